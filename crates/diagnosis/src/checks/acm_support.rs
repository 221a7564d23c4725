//! ACM facts the certificate checks cite: the viewer certificate and the load balancer
//! listener certificates as `acm:DescribeCertificate` described them. Pure.

use super::{EvidenceItem, Source};
use crate::evidence::{AcmCertificate, Evidence, OriginResource};

/// One line about an ACM certificate: names, status, type, issuer, key and dates.
pub(super) fn describe_acm(c: &AcmCertificate) -> String {
    let date = |t: Option<i64>| t.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
    format!(
        "{} [{}]: status {}, {} by {}, key {}, valid {} to {} (unix seconds)",
        c.arn,
        c.names().join(", "),
        c.status,
        c.certificate_type,
        c.issuer.as_deref().unwrap_or("-"),
        c.key_algorithm.as_deref().unwrap_or("-"),
        date(c.not_before_unix),
        date(c.not_after_unix)
    )
}

/// The ACM certificates (default and SNI) of the load balancer listener of `origin_id` on
/// `port`, as far as they were described.
pub(super) fn listener_acm<'a>(ev: &'a Evidence, origin_id: &str, port: u16) -> Vec<&'a AcmCertificate> {
    let Some(OriginResource::LoadBalancer(lb)) = ev.inventory.origin(origin_id).and_then(|o| o.resource.value()) else {
        return Vec::new();
    };
    lb.listener_on(port)
        .and_then(|l| l.certificates.value())
        .into_iter()
        .flatten()
        .filter_map(|c| c.acm.value())
        .collect()
}

/// Config evidence: the listener's ACM certificates and whether any covers `name`.
pub(super) fn listener_names_evidence(ev: &Evidence, origin_id: &str, port: u16, name: &str) -> Option<EvidenceItem> {
    let certs = listener_acm(ev, origin_id, port);
    if certs.is_empty() {
        return None;
    }
    let covering = certs.iter().any(|c| c.covers(name));
    Some(
        EvidenceItem::new(
            Source::Config,
            format!("acm:DescribeCertificate of the listener certificates on port {port}"),
            format!(
                "{}; {} covers {name}",
                certs.iter().map(|c| describe_acm(c)).collect::<Vec<_>>().join(" | "),
                if covering { "one" } else { "none" }
            ),
        )
        .expected(format!("a certificate whose names cover {name}")),
    )
}
