//! `origin-tls-protocol-mismatch`: the TLS versions CloudFront may offer the origin
//! (`OriginSslProtocols`) and the versions the origin accepts do not overlap.
//!
//! CloudFront never speaks TLS 1.3 to an origin, so an origin that accepts only TLS 1.3 (an
//! ALB/NLB `ELBSecurityPolicy-TLS13-1-3-*` policy, nginx `ssl_protocols TLSv1.3`) always fails;
//! so does an origin that requires TLS 1.2 while `OriginSslProtocols` lists only TLSv1/TLSv1.1.
//! As a latent risk, TLSv1/TLSv1.1/SSLv3 allowed toward a working origin is reported low.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-ciphers-cloudfront-to-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Remediation, Severity, Source};
use crate::evidence::{Evidence, TlsFailureKind};

pub static META: CheckMeta = CheckMeta {
    id: "origin-tls-protocol-mismatch",
    title: "No TLS version in common between CloudFront and the origin",
    what_breaks: "The TLS handshake between CloudFront and the origin fails: 502 for every HTTPS request to the origin.",
    why: "CloudFront offers the origin only the versions in OriginSslProtocols (SSLv3, TLSv1, TLSv1.1, TLSv1.2; never TLS 1.3).",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginSslProtocols",
        "TLS probes: CloudFront's hello, then TLS 1.2 with any suite and TLS 1.3 alone",
    ],
    fix: "Let the origin accept TLS 1.2 (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06 on a load balancer) and keep TLSv1.2 in OriginSslProtocols.",
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-ciphers-cloudfront-to-origin.html",
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for (origin, custom, obs) in https_origins(ev) {
        let sent = sent(&obs);
        let field = format!("Origins.Items[Id={}].CustomOriginConfig.OriginSslProtocols", origin.id);
        let tls13_only = sent.iter().copied().find(|t| t.fallback.as_ref().is_some_and(|f| f.speaks_only_tls13()));
        let not_offered = sent.iter().copied().find(|t| {
            t.failure().is_some_and(|f| f.kind == TlsFailureKind::NotOffered)
                && t.fallback.as_ref().is_some_and(|f| f.tls12_any_suite.is_established())
        });
        if let Some(t) = tls13_only.or(not_offered) {
            let only13 = tls13_only.is_some();
            let observed = edge_502(ev);
            let fb = t.fallback.as_ref();
            let mut evidence = vec![
                EvidenceItem::new(Source::Config, field.clone(), format!("{:?}", custom.ssl_protocols))
                    .expected("includes TLSv1.2"),
                EvidenceItem::new(Source::Probe, subject(t), describe_result(&t.result))
                    .expected("a TLS 1.2 handshake"),
            ];
            if let Some(f) = fb {
                evidence.push(EvidenceItem::new(
                    Source::Probe,
                    format!("{} with wider hellos", t.id),
                    format!(
                        "TLS 1.2 with any suite: {}; TLS 1.3 only: {}",
                        describe_result(&f.tls12_any_suite),
                        describe_result(&f.tls13)
                    ),
                ));
            }
            if let Some(e) = observed.clone() {
                evidence.push(e);
            }
            let (severity, confidence, summary, fix) = if only13 {
                (
                    if observed.is_some() { Severity::Critical } else { Severity::High },
                    Confidence::High,
                    format!(
                        "Origin {} accepts only TLS 1.3, which CloudFront never offers to origins; every HTTPS request to it fails with 502.",
                        origin.id
                    ),
                    format!(
                        "Allow TLS 1.2 on {}:{} (on a load balancer, a security policy such as ELBSecurityPolicy-TLS13-1-2-2021-06).",
                        t.host, t.port
                    ),
                )
            } else {
                (
                    Severity::High,
                    // This probe cannot offer TLS 1.0/1.1 to learn whether the origin still takes them.
                    Confidence::Medium,
                    format!(
                        "OriginSslProtocols of origin {} is {:?} without TLSv1.2, which the origin speaks; origins rarely still accept the older versions (not testable from here).",
                        origin.id, custom.ssl_protocols
                    ),
                    format!("Set {field} to [\"TLSv1.2\"]."),
                )
            };
            let b = builder(&META, severity, confidence, ev, origin, &[t])
                .summary(summary)
                .observed(observed.is_some())
                .evidence(evidence)
                .remediation(Remediation {
                    summary: fix,
                    steps: vec!["Keep OriginSslProtocols to TLSv1.2 only unless the origin cannot speak it.".into()],
                    cli: update_cli(&d.id, &format!("{field} to {{\"Quantity\":1,\"Items\":[\"TLSv1.2\"]}}")),
                });
            out.push(&META, b.build());
            continue;
        }
        // Latent: old protocols allowed toward an origin that works with TLS 1.2.
        let works = sent.iter().any(|t| t.established().is_some());
        let old: Vec<&String> = custom.ssl_protocols.iter().filter(|p| p.as_str() != "TLSv1.2").collect();
        if works && !old.is_empty() {
            let t = sent.iter().copied().find(|t| t.established().is_some());
            let b = builder(&META, Severity::Low, Confidence::High, ev, origin, &t.into_iter().collect::<Vec<_>>())
                .summary(format!(
                    "Origin {} works over TLS 1.2, but OriginSslProtocols also allows {:?}: CloudFront may negotiate them with a weakened origin.",
                    origin.id, old
                ))
                .evidence([EvidenceItem::new(Source::Config, field.clone(), format!("{:?}", custom.ssl_protocols))
                    .expected("[\"TLSv1.2\"]")])
                .remediation(Remediation {
                    summary: format!("Set {field} to [\"TLSv1.2\"]."),
                    steps: vec![],
                    cli: update_cli(&d.id, &format!("{field} to {{\"Quantity\":1,\"Items\":[\"TLSv1.2\"]}}")),
                });
            out.push(&META, b.build());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{OriginKind, TlsEstablished, TlsFallback, TlsHandshakeResult};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn tls13() -> TlsHandshakeResult {
        TlsHandshakeResult::Established(TlsEstablished {
            version: "TLSv1.3".into(),
            cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
            group: None,
        })
    }

    #[test]
    fn tls13_only_origin_is_a_finding() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.result = tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion"));
            t.fallback = Some(TlsFallback {
                tls12_any_suite: tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion")),
                tls13: tls13(),
            });
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("only TLS 1.3"));
        add_edge_502(&mut ev);
        assert_eq!(run(&ev).findings[0].severity, Severity::Critical);
    }

    #[test]
    fn tls12_missing_from_the_config_is_a_finding_with_medium_confidence() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        if let OriginKind::Custom(c) = &mut ev.inventory.distribution.origins[0].kind {
            c.ssl_protocols = vec!["TLSv1".into(), "TLSv1.1".into()];
        }
        for t in &mut ev.observations.tls {
            let ok = t.result.clone();
            t.result = tls_failed(TlsFailureKind::NotOffered, None);
            t.fallback = Some(TlsFallback { tls12_any_suite: ok, tls13: tls13() });
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::Medium);
    }

    #[test]
    fn tls12_working_is_clean_and_old_versions_allowed_is_low() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        assert!(run(&ev).findings.is_empty());
        if let OriginKind::Custom(c) = &mut ev.inventory.distribution.origins[0].kind {
            c.ssl_protocols = vec!["TLSv1".into(), "TLSv1.2".into()];
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Low);
    }
}
