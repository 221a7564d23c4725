//! `origin-tls-protocol-mismatch`: the TLS versions CloudFront may offer the origin
//! (`OriginSslProtocols`) and the versions the origin accepts do not overlap.
//!
//! CloudFront never speaks TLS 1.3 to an origin, so an origin that accepts only TLS 1.3 (an
//! ALB/NLB `ELBSecurityPolicy-TLS13-1-3-*` policy, nginx `ssl_protocols TLSv1.3`) always fails;
//! so does an origin that requires TLS 1.2 while `OriginSslProtocols` lists only TLSv1/TLSv1.1,
//! and an origin that speaks only TLS 1.0/1.1 while `OriginSslProtocols` is `[TLSv1.2]` (the
//! raw hello sees the version the origin chooses). As a latent risk, TLSv1/TLSv1.1/SSLv3
//! allowed toward a working origin is reported low, also when CloudFront reaches the origin
//! over one of them (that is not a failure).
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-ciphers-cloudfront-to-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, ConfigChange, Fix, OriginPart};
use crate::evidence::{Evidence, TlsFailureKind, TlsObservation};

pub static META: CheckMeta = CheckMeta {
    id: "origin-tls-protocol-mismatch",
    title: "No TLS version in common between CloudFront and the origin",
    what_breaks: "The TLS handshake between CloudFront and the origin fails: 502 for every HTTPS request to the origin.",
    why: "CloudFront offers the origin only the versions in OriginSslProtocols (SSLv3, TLSv1, TLSv1.1, TLSv1.2; never TLS 1.3).",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginSslProtocols",
        "TLS probes: CloudFront's hello, a hello per protocol version, TLS 1.2 with any suite and TLS 1.3 alone",
    ],
    fix: "Let the origin accept TLS 1.2 (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06 on a load balancer) and keep TLSv1.2 in OriginSslProtocols.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-ciphers-cloudfront-to-origin.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for (origin, custom, obs) in https_origins(ev) {
        let sent = sent(&obs);
        let field = format!("Origins.Items[Id={}].CustomOriginConfig.OriginSslProtocols", origin.id);
        let set_tls12 = update_cli(&d.id, &format!("{field} to {{\"Quantity\":1,\"Items\":[\"TLSv1.2\"]}}"));
        let tls13_only = sent.iter().copied().find(|t| t.fallback.as_ref().is_some_and(|f| f.speaks_only_tls13()));
        // CloudFront's hello failed, and the versions the origin does speak are all left out.
        let outside = |t: &TlsObservation| {
            let spoken = t.versions_spoken();
            let failed = t.failure().is_some_and(|f| !f.kind.before_tls() && f.kind != TlsFailureKind::NotTls);
            (failed && !spoken.is_empty() && spoken.iter().all(|v| !custom.ssl_protocols.contains(v))).then_some(spoken)
        };
        let mismatch = sent.iter().copied().find_map(|t| outside(t).map(|spoken| (t, spoken)));
        let found = match (tls13_only, mismatch) {
            (Some(t), _) => Some((t, vec!["TLSv1.3".to_string()])),
            (None, m) => m,
        };
        if let Some((t, spoken)) = found {
            let only13 = tls13_only.is_some();
            let observed = edge_502(ev);
            let mut evidence = vec![
                EvidenceItem::new(Source::Config, field.clone(), format!("{:?}", custom.ssl_protocols))
                    .expected(format!("a version the origin speaks ({})", spoken.join(", "))),
                EvidenceItem::new(Source::Probe, subject(t), describe_result(&t.result))
                    .expected("a version CloudFront allows"),
            ];
            let tried: Vec<String> =
                t.hellos.iter().map(|h| format!("{}: {}", h.version, describe_result(&h.result))).collect();
            if !tried.is_empty() {
                evidence.push(EvidenceItem::new(
                    Source::Probe,
                    format!("{} with CloudFront's suites at each version", t.id),
                    tried.join("; "),
                ));
            }
            if let Some(f) = &t.fallback {
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
            let severity = if observed.is_some() { Severity::Critical } else { Severity::High };
            let tls12 = || {
                vec![Change::Config(ConfigChange::OriginSslProtocols {
                    origin_id: origin.id.clone(),
                    value: vec!["TLSv1.2".into()],
                })]
            };
            let enable12 = || {
                vec![Change::Origin {
                    part: OriginPart::Listener,
                    what: format!("allow TLS 1.2 on {}:{}", t.host, t.port),
                }]
            };
            let typed = if only13 {
                Fix::alternatives([enable12()])
            } else if spoken.iter().any(|v| v == "TLSv1.2") {
                Fix::alternatives([tls12()])
            } else {
                // The stopgap: let CloudFront use the obsolete protocol the origin speaks.
                let mut stopgap = custom.ssl_protocols.clone();
                stopgap.extend(spoken.iter().filter(|v| !custom.ssl_protocols.contains(v)).cloned());
                Fix::alternatives([
                    enable12(),
                    vec![Change::Config(ConfigChange::OriginSslProtocols { origin_id: origin.id.clone(), value: stopgap })],
                ])
            };
            let (summary, fix, steps, cli) = if only13 {
                (
                    format!(
                        "Origin {} accepts only TLS 1.3, which CloudFront never offers to origins; every HTTPS request to it fails with 502.",
                        origin.id
                    ),
                    format!(
                        "Allow TLS 1.2 on {}:{} (on a load balancer, a security policy such as ELBSecurityPolicy-TLS13-1-2-2021-06).",
                        t.host, t.port
                    ),
                    vec!["Keep OriginSslProtocols to TLSv1.2 only unless the origin cannot speak it.".to_string()],
                    set_tls12.clone(),
                )
            } else if spoken.iter().any(|v| v == "TLSv1.2") {
                (
                    format!(
                        "OriginSslProtocols of origin {} is {:?}, but the origin speaks {}; CloudFront's handshake fails with 502.",
                        origin.id,
                        custom.ssl_protocols,
                        spoken.join(", ")
                    ),
                    format!("Set {field} to [\"TLSv1.2\"]."),
                    vec![],
                    set_tls12.clone(),
                )
            } else {
                (
                    format!(
                        "Origin {} speaks only {}, which OriginSslProtocols {:?} does not allow; CloudFront's handshake fails with 502.",
                        origin.id,
                        spoken.join(", "),
                        custom.ssl_protocols
                    ),
                    format!("Enable TLS 1.2 on {}:{} (and keep {field} at [\"TLSv1.2\"]).", t.host, t.port),
                    vec![format!(
                        "Only as a stopgap while the origin is upgraded: add {} to {field}, which lets CloudFront use an obsolete protocol.",
                        spoken.join(" and ")
                    )],
                    vec![],
                )
            };
            let b = builder(&META, severity, Confidence::High, ev, origin, &[t])
                .summary(summary)
                .observed(observed.is_some())
                .evidence(evidence)
                .remediation(Remediation { summary: fix, steps, cli: typed.cli_or(d, cli), fix: typed });
            out.push(b);
            continue;
        }
        // Latent: old protocols allowed toward an origin that works.
        let works = sent.iter().copied().find(|t| t.established().is_some());
        let old: Vec<&String> = custom.ssl_protocols.iter().filter(|p| p.as_str() != "TLSv1.2").collect();
        if let Some(t) = works.filter(|_| !old.is_empty()) {
            let negotiated = t.established().map(|e| e.version.clone()).unwrap_or_default();
            let accepted: Vec<&str> = t
                .hellos
                .iter()
                .filter(|h| h.allowed && h.result.is_established() && h.version != "TLSv1.2")
                .map(|h| h.version.as_str())
                .collect();
            let summary = if negotiated != "TLSv1.2" {
                format!(
                    "CloudFront reaches origin {} over {negotiated} (OriginSslProtocols {:?}): an obsolete protocol toward the origin.",
                    origin.id, custom.ssl_protocols
                )
            } else if !accepted.is_empty() {
                format!(
                    "Origin {} works over TLS 1.2, but OriginSslProtocols also allows {:?} and the origin still accepts {}: CloudFront may negotiate them.",
                    origin.id,
                    old,
                    accepted.join(", ")
                )
            } else {
                format!(
                    "Origin {} works over TLS 1.2, but OriginSslProtocols also allows {:?}: CloudFront may negotiate them with a weakened origin.",
                    origin.id, old
                )
            };
            let typed = Fix::changes([Change::Config(ConfigChange::OriginSslProtocols {
                origin_id: origin.id.clone(),
                value: vec!["TLSv1.2".into()],
            })]);
            let fix = if negotiated == "TLSv1.2" {
                format!("Set {field} to [\"TLSv1.2\"].")
            } else {
                format!("Enable TLS 1.2 on {}:{}, then set {field} to [\"TLSv1.2\"].", t.host, t.port)
            };
            let b = builder(&META, Severity::Low, Confidence::High, ev, origin, &[t])
                .summary(summary)
                .evidence([
                    EvidenceItem::new(Source::Config, field.clone(), format!("{:?}", custom.ssl_protocols))
                        .expected("[\"TLSv1.2\"]"),
                    EvidenceItem::new(Source::Probe, subject(t), describe_result(&t.result)),
                ])
                .remediation(Remediation {
                    summary: fix,
                    steps: vec![],
                    cli: typed.cli_or(d, set_tls12),
                    fix: typed,
                });
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{OriginKind, TlsEstablished, TlsFallback, TlsHandshakeResult, VersionHello};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn tls13() -> TlsHandshakeResult {
        TlsHandshakeResult::Established(TlsEstablished {
            version: "TLSv1.3".into(),
            cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
            group: None,
            full_handshake: true,
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

    fn legacy(version: &str) -> TlsHandshakeResult {
        TlsHandshakeResult::Established(TlsEstablished {
            version: version.into(),
            cipher_suite: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA".into(),
            group: Some("secp256r1".into()),
            full_handshake: false,
        })
    }

    fn hello(version: &str, allowed: bool, result: TlsHandshakeResult) -> VersionHello {
        VersionHello { version: version.into(), allowed, result }
    }

    #[test]
    fn tls12_missing_from_the_config_is_a_finding() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        if let OriginKind::Custom(c) = &mut ev.inventory.distribution.origins[0].kind {
            c.ssl_protocols = vec!["TLSv1".into(), "TLSv1.1".into()];
        }
        for t in &mut ev.observations.tls {
            t.result = tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion"));
            t.hellos = vec![
                hello("TLSv1.1", true, tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion"))),
                hello("TLSv1", true, tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion"))),
                hello("TLSv1.2", false, tls12_gcm(false)),
            ];
            t.fallback = Some(TlsFallback { tls12_any_suite: tls12_gcm(true), tls13: tls13() });
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::High);
        assert!(out.findings[0].summary.contains("speaks TLSv1.2, TLSv1.3"), "{}", out.findings[0].summary);
        assert!(out.findings[0].remediation.summary.contains("[\"TLSv1.2\"]"));
    }

    #[test]
    fn a_tls10_only_origin_with_tls12_configured_is_a_finding() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.result = tls_failed(TlsFailureKind::Incompatible, None);
            t.hellos = vec![
                hello("TLSv1.2", true, legacy("TLSv1")),
                hello("TLSv1.1", false, legacy("TLSv1")),
                hello("TLSv1", false, legacy("TLSv1")),
            ];
            t.fallback = Some(TlsFallback {
                tls12_any_suite: tls_failed(TlsFailureKind::Incompatible, None),
                tls13: tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion")),
            });
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert!(f.summary.contains("speaks only TLSv1,"), "{}", f.summary);
        assert!(f.remediation.summary.contains("Enable TLS 1.2"));
        assert_eq!(f.severity, Severity::High);
    }

    #[test]
    fn a_tls10_only_origin_that_cloudfront_reaches_is_only_the_latent_warning() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        if let OriginKind::Custom(c) = &mut ev.inventory.distribution.origins[0].kind {
            c.ssl_protocols = vec!["TLSv1".into(), "TLSv1.2".into()];
        }
        for t in &mut ev.observations.tls {
            t.result = legacy("TLSv1");
            t.hellos = vec![hello("TLSv1.2", true, legacy("TLSv1")), hello("TLSv1", true, legacy("TLSv1"))];
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Low);
        assert!(out.findings[0].summary.contains("over TLSv1 "), "{}", out.findings[0].summary);
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
