//! `viewer-certificate-problems`: viewers cannot complete TLS with the distribution.
//!
//! The certificate CloudFront presents for a viewer hostname must cover that name (exactly, or
//! by a wildcard at the same label), be in date and chain to a trusted root; the distribution's
//! `ViewerCertificate` (an ACM certificate in us-east-1, an IAM certificate, or CloudFront's
//! default `*.cloudfront.net` one), `SSLSupportMethod` and `MinimumProtocolVersion` decide what a
//! client gets. When they do not fit, browsers stop before any HTTP status: the site "is down"
//! while the origin is fine. Seen from an HTTPS probe of each viewer hostname.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html>

use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, FindingBuilder, Remediation, Severity, Source};
use crate::evidence::{Evidence, HopResult, ProbeStage, ProbeTarget, Scheme};

pub static META: CheckMeta = CheckMeta {
    id: "viewer-certificate-problems",
    title: "Viewers cannot complete TLS with the distribution",
    what_breaks: "Browsers show a certificate or TLS error for the site's hostname before any page loads.",
    why: "CloudFront presents the distribution's viewer certificate; if it does not cover the hostname the viewer used, is expired, or the TLS settings (SNI-only, minimum protocol) exclude the client, the TLS handshake fails.",
    evidence_used: &[
        "HTTPS probe through the distribution for its domain and each alias: TLS outcome",
        "ViewerCertificate (CloudFrontDefaultCertificate, ACMCertificateArn, IAMCertificateId, SSLSupportMethod, MinimumProtocolVersion)",
        "Aliases",
    ],
    fix: "Attach an ACM certificate in us-east-1 that covers every alias (exact name or same-level wildcard), keep it renewed, and choose a security policy your clients support.",
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html",
};

fn cause(message: &str) -> &'static str {
    if message.contains("NotValidForName") {
        "the certificate does not cover this hostname"
    } else if message.contains("Expired") {
        "the certificate is expired"
    } else if message.contains("NotValidYet") {
        "the certificate is not valid yet"
    } else if message.contains("UnknownIssuer") || message.contains("BadSignature") {
        "the certificate does not chain to a trusted root"
    } else if message.contains("alert") {
        "the distribution refused the handshake (no certificate for this name, or a protocol the policy excludes)"
    } else {
        "the TLS handshake failed"
    }
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let mut seen = Vec::new();
    for p in ev.observations.edge_probes() {
        let ProbeTarget::Edge { hostname, scheme: Scheme::Https } = &p.target else { continue };
        let Some(hop) = p.hops.first() else { continue };
        let HopResult::Error(e) = &hop.result else { continue };
        if e.stage != ProbeStage::Tls || seen.contains(hostname) {
            continue;
        }
        seen.push(hostname.clone());
        let why = cause(&e.message);
        let mut evidence = vec![
            EvidenceItem::new(Source::Probe, format!("TLS handshake with {hostname}:443 (SNI {hostname})"), &e.message)
                .expected(format!("a certificate valid for {hostname}")),
        ];
        let cert = d.viewer_certificate.as_ref();
        let cert_desc = match cert {
            Some(c) if c.cloudfront_default_certificate => {
                "CloudFrontDefaultCertificate (*.cloudfront.net only)".to_string()
            }
            Some(c) => c
                .acm_certificate_arn
                .clone()
                .or_else(|| c.iam_certificate_id.as_ref().map(|i| format!("IAM certificate {i}")))
                .unwrap_or_else(|| "none".into()),
            None => "not read".to_string(),
        };
        let mut config = EvidenceItem::new(Source::Config, "ViewerCertificate", &cert_desc);
        if let Some(c) = cert {
            config.observed.push_str(&format!(
                "; SSLSupportMethod {}; MinimumProtocolVersion {}",
                c.ssl_support_method.as_deref().unwrap_or("-"),
                c.minimum_protocol_version.as_deref().unwrap_or("-")
            ));
        }
        evidence.push(config);
        let is_alias = d.aliases.iter().any(|a| a.eq_ignore_ascii_case(hostname));
        if !is_alias && !hostname.eq_ignore_ascii_case(&d.domain_name) {
            evidence.push(
                EvidenceItem::new(Source::Config, "Aliases", d.aliases.join(", "))
                    .expected(format!("{hostname} listed, and covered by the certificate")),
            );
        }
        let mut b = FindingBuilder::new(&META, Severity::Critical, Confidence::High)
            .summary(format!("HTTPS viewers of {hostname} fail before any HTTP status: {why}."))
            .observed(true)
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!(
                    "Set ViewerCertificate.ACMCertificateArn to an ACM certificate in us-east-1 covering {hostname} (SSLSupportMethod sni-only), and renew or replace the current one."
                ),
                steps: vec![
                    "List every alias in the certificate's names (a wildcard covers one label only).".into(),
                    "If old clients must connect, pick a MinimumProtocolVersion they support.".into(),
                ],
                cli: vec![
                    format!("aws acm request-certificate --region us-east-1 --domain-name {hostname} --validation-method DNS"),
                    format!("aws cloudfront get-distribution-config --id {} > dist.json  # then set ViewerCertificate and update-distribution", d.id),
                ],
            })
            .resource("distribution", &d.id);
        if let Some(arn) = cert.and_then(|c| c.acm_certificate_arn.clone()) {
            b = b.resource("certificate", arn);
        }
        out.push(&META, b.build());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::*;
    use crate::testing::*;

    fn ev_with(hostname: &str, scheme: Scheme, result: HopResult) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "o.example", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.aliases = vec!["www.example.com".into()];
        e.observations.probes.push(edge_probe(hostname, scheme, "GET", "/", result));
        e
    }

    fn tls_error(message: &str) -> HopResult {
        HopResult::Error(ProbeError { stage: ProbeStage::Tls, message: message.into() })
    }

    #[test]
    fn a_certificate_that_does_not_cover_the_alias_is_critical_and_observed() {
        let out = run(&ev_with("www.example.com", Scheme::Https, tls_error("certificate rejected: NotValidForName")));
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.observed);
        assert!(f.summary.contains("does not cover this hostname"), "{}", f.summary);
        assert!(f.evidence.iter().any(|e| e.source == Source::Config));
    }

    #[test]
    fn a_working_handshake_or_a_non_tls_failure_is_not_a_viewer_certificate_problem() {
        assert!(
            run(&ev_with("www.example.com", Scheme::Https, HopResult::Response(response(200, &[]))))
                .findings
                .is_empty()
        );
        let refused = HopResult::Error(ProbeError { stage: ProbeStage::Connect, message: "refused".into() });
        assert!(run(&ev_with("www.example.com", Scheme::Https, refused)).findings.is_empty());
        assert!(run(&ev_with("www.example.com", Scheme::Http, tls_error("x"))).findings.is_empty());
    }
}
