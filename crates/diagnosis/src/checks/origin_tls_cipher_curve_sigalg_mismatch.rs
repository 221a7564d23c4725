//! `origin-tls-cipher-curve-sigalg-mismatch`: the origin speaks TLS 1.2 but accepts none of the
//! cipher suites, curves or signature schemes CloudFront offers.
//!
//! CloudFront offers origins ECDHE suites with AES-GCM or AES-CBC (plus a few legacy RSA
//! suites), the curves P-256, P-384 and X25519, and PKCS#1/ECDSA signatures (no RSA-PSS, no
//! CHACHA20, no DHE). An origin limited to CHACHA20-POLY1305, DHE or AES-CCM suites, or one with
//! an ECDSA P-521 key, fails the handshake: 502. The probe sends CloudFront's exact hello (all
//! sixteen suites, CBC/3DES/RC4 included), so an origin that takes only a CBC suite is not
//! reported.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-ciphers-cloudfront-to-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{Evidence, TlsFailureKind};

pub static META: CheckMeta = CheckMeta {
    id: "origin-tls-cipher-curve-sigalg-mismatch",
    title: "No cipher suite, curve or signature scheme in common with CloudFront",
    what_breaks: "The TLS 1.2 handshake between CloudFront and the origin fails: 502 for every HTTPS request to the origin.",
    why: "CloudFront offers origins a fixed list of ECDHE suites (AES-GCM/AES-CBC), curves P-256/P-384/X25519 and PKCS#1/ECDSA signatures; an origin configured outside that list has nothing to choose.",
    evidence_used: &["TLS probes: CloudFront's hello failing, TLS 1.2 with any suite succeeding"],
    fix: "Enable at least one of CloudFront's suites on the origin; ECDHE-RSA-AES128-GCM-SHA256 (or ECDHE-ECDSA-AES128-GCM-SHA256) is the safe choice.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-ciphers-cloudfront-to-origin.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    for (origin, custom, obs) in https_origins(ev) {
        let sent = sent(&obs);
        for t in &sent {
            let Some(f) = t.failure() else {
                continue;
            };
            if f.kind.before_tls() || f.kind == TlsFailureKind::NotTls {
                continue;
            }
            // CloudFront's suites work at some version: a protocol question, not this one.
            if t.hellos.iter().any(|h| h.result.is_established()) {
                continue;
            }
            match &t.fallback {
                Some(fb) if fb.tls12_any_suite.is_established() => {}
                Some(fb) if !fb.tls13.is_established() => {
                    let versions: Vec<&str> = t.hellos.iter().map(|h| h.version.as_str()).collect();
                    out.unverified(
                        &META,
                        format!("TLS parameters of origin {} ({})", origin.id, t.id),
                        format!(
                            "no hello succeeded ({}): CloudFront's suites at {}, TLS 1.2 with every suite rustls has, TLS 1.3 alone",
                            f.message,
                            if versions.is_empty() { "its versions".to_string() } else { versions.join(", ") }
                        ),
                    );
                    break;
                }
                _ => continue,
            }
            let Some(fb) = &t.fallback else { continue };
            let observed = edge_502(ev);
            let mut evidence = vec![
                origin_config(origin, custom),
                EvidenceItem::new(
                    Source::Probe,
                    subject(t),
                    format!(
                        "offered {} with groups {} and signatures {}: {}",
                        t.offered.cipher_suites.join(", "),
                        t.offered.groups.join(", "),
                        t.offered.signature_schemes.join(", "),
                        describe_result(&t.result)
                    ),
                )
                .expected("a TLS 1.2 handshake on one of CloudFront's suites"),
                EvidenceItem::new(
                    Source::Probe,
                    format!("{} with every TLS 1.2 suite this probe has", t.id),
                    describe_result(&fb.tls12_any_suite),
                ),
            ];
            if let Some(e) = observed.clone() {
                evidence.push(e);
            }
            let chosen = match &fb.tls12_any_suite {
                crate::evidence::TlsHandshakeResult::Established(e) => e.cipher_suite.clone(),
                _ => String::new(),
            };
            let b = builder(&META, Severity::Critical, Confidence::High, ev, origin, &[*t])
                .summary(format!(
                    "Origin {} speaks TLS 1.2 but refuses every suite, curve and signature CloudFront offers (it chose {chosen} when offered more); CloudFront's handshake fails with 502.",
                    origin.id
                ))
                .observed(observed.is_some())
                .evidence(evidence)
                .remediation(Remediation {
                    fix: Fix::changes([Change::Origin {
                        part: OriginPart::Listener,
                        what: format!(
                            "enable ECDHE-RSA-AES128-GCM-SHA256 (or ECDHE-ECDSA-AES128-GCM-SHA256) with curves P-256/X25519 on {}:{}",
                            t.host, t.port
                        ),
                    }]),
                    summary: format!(
                        "Enable ECDHE-RSA-AES128-GCM-SHA256 (or ECDHE-ECDSA-AES128-GCM-SHA256 for an ECDSA key) on {}:{}, with curves P-256/X25519.",
                        t.host, t.port
                    ),
                    steps: vec![
                        "On a load balancer, choose a security policy that includes ECDHE-*-AES128-GCM-SHA256 (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06).".into(),
                        "Use an RSA 2048 or ECDSA P-256 key; CloudFront does not offer P-521 or RSA-PSS signatures.".into(),
                    ],
                    cli: vec!["aws elbv2 modify-listener --listener-arn <https-listener-arn> --ssl-policy ELBSecurityPolicy-TLS13-1-2-2021-06".into()],
                });
            out.push(b);
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{TlsEstablished, TlsFallback, TlsHandshakeResult};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn chacha() -> TlsHandshakeResult {
        TlsHandshakeResult::Established(TlsEstablished {
            version: "TLSv1.2".into(),
            cipher_suite: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256".into(),
            group: Some("X25519".into()),
            full_handshake: true,
        })
    }

    #[test]
    fn chacha_only_origin_is_critical() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.result = tls_failed(TlsFailureKind::Alert, Some("HandshakeFailure"));
            t.hellos[0].result = t.result.clone();
            t.fallback = Some(TlsFallback { tls12_any_suite: chacha(), tls13: chacha() });
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].summary.contains("CHACHA20"));
    }

    #[test]
    fn working_handshake_or_tls13_only_is_not_this_finding() {
        assert!(run(&tls_evidence(ALB, &[ALB])).findings.is_empty());
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.result = tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion"));
            t.fallback = Some(TlsFallback {
                tls12_any_suite: tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion")),
                tls13: chacha(),
            });
        }
        assert!(run(&ev).findings.is_empty());
    }

    #[test]
    fn nothing_this_probe_can_offer_works_is_unverified() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.result = tls_failed(TlsFailureKind::Alert, Some("HandshakeFailure"));
            t.hellos[0].result = t.result.clone();
            t.fallback = Some(TlsFallback {
                tls12_any_suite: tls_failed(TlsFailureKind::Alert, Some("HandshakeFailure")),
                tls13: tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion")),
            });
        }
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert!(out.unverified[0].reason.contains("CloudFront's suites at TLSv1.2"), "{}", out.unverified[0].reason);
    }

    #[test]
    fn cloudfronts_suites_working_at_another_version_is_not_this_finding() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.result = tls_failed(TlsFailureKind::Incompatible, None);
            t.hellos[0].result = TlsHandshakeResult::Established(TlsEstablished {
                version: "TLSv1".into(),
                cipher_suite: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA".into(),
                group: None,
                full_handshake: false,
            });
            t.fallback = Some(TlsFallback {
                tls12_any_suite: tls_failed(TlsFailureKind::Incompatible, None),
                tls13: tls_failed(TlsFailureKind::Alert, Some("ProtocolVersion")),
            });
        }
        let out = run(&ev);
        assert!(out.findings.is_empty() && out.unverified.is_empty(), "{out:?}");
    }
}
