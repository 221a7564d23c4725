//! Shared reading of TLS observations for the origin TLS checks (not a check itself).

use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, FindingBuilder, Severity, Source};
use crate::evidence::{
    CertificateInfo, CustomOriginConfig, Evidence, HopResult, Origin, OriginProtocolPolicy, TlsHandshakeResult,
    TlsObservation,
};

pub(super) const CF_TLS_DOCS: &str =
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html";

/// Custom origins CloudFront reaches over HTTPS, with their TLS observations.
pub(super) fn https_origins(ev: &Evidence) -> Vec<(&Origin, &CustomOriginConfig, Vec<&TlsObservation>)> {
    ev.inventory
        .distribution
        .origins
        .iter()
        .filter_map(|o| {
            let c = o.custom()?;
            matches!(c.protocol_policy, OriginProtocolPolicy::HttpsOnly | OriginProtocolPolicy::MatchViewer)
                .then(|| (o, c, ev.observations.tls.iter().filter(|t| t.origin_id == o.id).collect()))
        })
        .collect()
}

/// The observations whose SNI CloudFront sends (or may send, when forwarding is unknown).
pub(super) fn sent<'a>(obs: &[&'a TlsObservation]) -> Vec<&'a TlsObservation> {
    obs.iter().copied().filter(|t| t.cloudfront_sends != Some(false)).collect()
}

/// Notes an origin whose TLS could not be observed at all.
pub(super) fn note_unobserved(
    out: &mut CheckOutput,
    meta: &CheckMeta,
    origin: &Origin,
    obs: &[&TlsObservation],
    what: &str,
) {
    if obs.is_empty() {
        out.unverified(meta, format!("{what} of origin {}", origin.id), "no TLS probe of this origin was recorded");
    } else if !obs.iter().any(|t| t.server_spoke_tls()) {
        let reason = obs
            .iter()
            .find_map(|t| t.failure().map(|f| format!("{}: {}", t.id, f.message)))
            .unwrap_or_else(|| "no TLS answer".into());
        out.unverified(meta, format!("{what} of origin {}", origin.id), reason);
    }
}

/// How a probe is named in evidence.
pub(super) fn subject(t: &TlsObservation) -> String {
    format!(
        "TLS handshake to {}:{} ({}), CloudFront's hello",
        t.host,
        t.port,
        t.sni.as_deref().map(|s| format!("SNI {s}")).unwrap_or_else(|| "no SNI".into())
    )
}

pub(super) fn describe_cert(c: &CertificateInfo) -> String {
    let names = if c.dns_names.is_empty() {
        format!("CN={}", c.common_name.as_deref().unwrap_or("?"))
    } else {
        format!("SAN [{}]", c.dns_names.join(", "))
    };
    format!("{} issued by {}", names, c.issuer)
}

pub(super) fn describe_result(r: &TlsHandshakeResult) -> String {
    match r {
        TlsHandshakeResult::Established(e) => format!("{} {}", e.version, e.cipher_suite),
        TlsHandshakeResult::Failed(f) => format!("failed ({:?}): {}", f.kind, f.message),
    }
}

/// Config evidence: the origin's protocol policy and domain.
pub(super) fn origin_config(origin: &Origin, c: &CustomOriginConfig) -> EvidenceItem {
    EvidenceItem::new(
        Source::Config,
        format!("Origins[Id={}]", origin.id),
        format!(
            "DomainName {}, OriginProtocolPolicy {}, HTTPSPort {}, OriginSslProtocols {:?}",
            origin.domain_name,
            c.protocol_policy.as_api(),
            c.https_port,
            c.ssl_protocols
        ),
    )
}

/// True when a viewer request through CloudFront came back as CloudFront's own 502.
pub(super) fn edge_502(ev: &Evidence) -> Option<EvidenceItem> {
    ev.observations.edge_probes().find_map(|p| {
        let hop = p.hops.last()?;
        let HopResult::Response(r) = &hop.result else {
            return None;
        };
        (r.status == 502 && r.cloudfront_error.is_some()).then(|| {
            EvidenceItem::new(
                Source::Probe,
                format!("viewer request {}", hop.url),
                format!("502 from CloudFront ({})", r.header("x-cache").unwrap_or("CloudFront error page")),
            )
            .expected("the origin's content")
        })
    })
}

/// A finding builder with the distribution, origin and behaviors as resources.
pub(super) fn builder(
    meta: &'static CheckMeta,
    severity: Severity,
    confidence: Confidence,
    ev: &Evidence,
    origin: &Origin,
    obs: &[&TlsObservation],
) -> FindingBuilder {
    let mut b = meta
        .finding(severity, confidence)
        .resource("distribution", &ev.inventory.distribution.id)
        .resource("origin", &origin.id);
    for t in obs {
        for beh in &t.behaviors {
            b = b.resource("behavior", beh);
        }
    }
    b
}

pub(super) fn update_cli(dist: &str, field: &str) -> Vec<String> {
    vec![
        format!("aws cloudfront get-distribution-config --id {dist} > dist.json  # note the ETag"),
        format!("# in dist.json set {field}, then:"),
        format!(
            "aws cloudfront update-distribution --id {dist} --if-match <ETag> --distribution-config file://<DistributionConfig only>.json"
        ),
    ]
}

pub(super) fn days(secs: i64) -> i64 {
    secs.div_euclid(86_400)
}
