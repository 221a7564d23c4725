//! `origin-cert-expired-or-not-yet-valid`: a certificate the origin serves is past its
//! `notAfter` or before its `notBefore` (and, as a latent risk, a leaf that expires within 30 days).
//!
//! CloudFront rejects an expired or not-yet-valid origin certificate (leaf or intermediate)
//! and drops the connection: a quick 502. Dates are compared with the evidence's collection
//! time, never the clock of the replaying machine.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::Evidence;
use crate::fix::{Change, Fix, OriginPart};

pub static META: CheckMeta = CheckMeta {
    id: "origin-cert-expired-or-not-yet-valid",
    title: "Origin certificate expired, not yet valid, or expiring soon",
    what_breaks: "CloudFront rejects the origin certificate: HTTPS requests fail with 502 (expiring soon: they will).",
    why: "CloudFront validates the origin certificate's dates, for the leaf and every intermediate it serves.",
    evidence_used: &["TLS probe: notBefore/notAfter of each served certificate", "the evidence collection time"],
    fix: "Renew the certificate (or the intermediate bundle) on the origin and serve the new full chain.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: CF_TLS_DOCS,
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

/// A leaf expiring within this many days is reported as a latent risk.
pub const WARN_DAYS: i64 = 30;

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let now = ev.collected_at_unix;
    // Expiry dates already reported from a served certificate; ACM's view of the same one is not repeated.
    let mut seen_not_after: Vec<i64> = Vec::new();
    for (origin, custom, obs) in https_origins(ev) {
        let sent = sent(&obs);
        note_unobserved(&mut out, &META, origin, &sent, "the certificate dates");
        let mut reported: Vec<String> = Vec::new();
        for t in sent {
            for (i, c) in t.chain.iter().enumerate() {
                if reported.contains(&c.sha256) {
                    continue;
                }
                let role = if i == 0 { "leaf" } else { "intermediate" };
                let (severity, state) = if c.not_after_unix < now {
                    (Severity::High, format!("expired {} days ago", days(now - c.not_after_unix)))
                } else if c.not_before_unix > now {
                    (Severity::High, format!("is not valid for another {} days", days(c.not_before_unix - now) + 1))
                } else if i == 0 && c.not_after_unix - now < WARN_DAYS * 86_400 {
                    let left = days(c.not_after_unix - now);
                    (if left < 7 { Severity::Medium } else { Severity::Low }, format!("expires in {left} days"))
                } else {
                    continue;
                };
                reported.push(c.sha256.clone());
                seen_not_after.push(c.not_after_unix);
                let broken = severity >= Severity::High;
                let observed = if broken { edge_502(ev) } else { None };
                let mut evidence = vec![
                    origin_config(origin, custom),
                    EvidenceItem::new(
                        Source::Probe,
                        subject(t),
                        format!(
                            "{role} {} valid from {} to {} (unix seconds): {state} at collection time {}",
                            describe_cert(c),
                            c.not_before_unix,
                            c.not_after_unix,
                            ev.collected_at
                        ),
                    )
                    .expected(format!("valid at collection time, with more than {WARN_DAYS} days left")),
                ];
                if let Some(e) = observed.clone() {
                    evidence.push(e);
                }
                let severity = if observed.is_some() { Severity::Critical } else { severity };
                let b = builder(&META, severity, Confidence::High, ev, origin, &[t])
                    .summary(if broken {
                        format!(
                            "Origin {}'s {role} certificate ({}) {state}; CloudFront rejects it and answers 502.",
                            origin.id, c.subject
                        )
                    } else {
                        format!(
                            "Origin {}'s certificate ({}) {state}; when it does, CloudFront will answer 502.",
                            origin.id, c.subject
                        )
                    })
                    .observed(observed.is_some())
                    .evidence(evidence)
                    .remediation(Remediation {
                        summary: format!(
                            "Renew the {role} certificate served by {}:{} and deploy it with its full chain.",
                            t.host, t.port
                        ),
                        fix: Fix::changes([Change::Origin {
                            part: OriginPart::Certificate,
                            what: format!(
                                "renew the {role} certificate ({}) served on {}:{} and serve it with its full chain",
                                c.subject, t.host, t.port
                            ),
                        }]),
                        steps: vec![
                            "ACM certificates on a load balancer renew automatically when DNS validation records stay in place; imported ones must be re-imported before NotAfter.".into(),
                        ],
                        cli: vec!["aws acm describe-certificate --certificate-arn <certificate-arn> --query Certificate.NotAfter".into()],
                    });
                out.push(b);
            }
        }
    }
    listener_certificate_dates(ev, &mut out, &seen_not_after);
    out
}

/// The load balancer's listener certificates as ACM describes them (default and SNI ones,
/// served or not to the probe): expired, revoked or expiring within [`WARN_DAYS`].
fn listener_certificate_dates(ev: &Evidence, out: &mut CheckOutput, seen_not_after: &[i64]) {
    let now = ev.collected_at_unix;
    for (origin, custom, _) in https_origins(ev) {
        let mut reported: Vec<&str> = Vec::new();
        for c in super::acm_support::listener_acm(ev, &origin.id, custom.https_port) {
            let Some(not_after) = c.not_after_unix else { continue };
            if seen_not_after.contains(&not_after) || reported.contains(&c.arn.as_str()) {
                continue;
            }
            let (severity, state) = if not_after < now || c.status == "EXPIRED" {
                (Severity::High, format!("expired {} days ago", days(now - not_after)))
            } else if c.status == "REVOKED" {
                (Severity::High, "is revoked".to_string())
            } else if c.not_before_unix.is_some_and(|nb| nb > now) {
                (Severity::High, "is not valid yet".to_string())
            } else if not_after - now < WARN_DAYS * 86_400 {
                let left = days(not_after - now);
                (if left < 7 { Severity::Medium } else { Severity::Low }, format!("expires in {left} days"))
            } else {
                continue;
            };
            reported.push(&c.arn);
            let renew = if c.certificate_type == "IMPORTED" {
                "It is imported: ACM does not renew it; re-import a renewed certificate before NotAfter."
            } else {
                "ACM renews it only while its DNS validation records stay in place; check its renewal status."
            };
            let b = META.finding(severity, Confidence::Medium)
                .summary(format!(
                    "A certificate on origin {}'s HTTPS listener (port {}) {state} ({}); CloudFront gets a 502 whenever the listener serves it.",
                    origin.id,
                    custom.https_port,
                    c.names().join(", ")
                ))
                .observed(false)
                .evidence(vec![
                    origin_config(origin, custom),
                    EvidenceItem::new(
                        Source::Config,
                        format!("acm:DescribeCertificate {}", c.arn),
                        format!("{}; {state} at collection time {}", super::acm_support::describe_acm(c), ev.collected_at),
                    )
                    .expected(format!("valid at collection time, with more than {WARN_DAYS} days left")),
                ])
                .remediation(Remediation {
                    summary: format!("Renew or replace certificate {} on the listener.", c.arn),
                    fix: Fix::changes([Change::Origin {
                        part: OriginPart::Certificate,
                        what: format!("renew or replace certificate {} on the HTTPS listener (port {})", c.arn, custom.https_port),
                    }]),
                    steps: vec![renew.into()],
                    cli: vec![format!(
                        "aws acm describe-certificate --certificate-arn {} --query 'Certificate.[Status,NotAfter,RenewalSummary]'",
                        c.arn
                    )],
                })
                .resource("certificate", &c.arn)
                .resource("origin", &origin.id);
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    #[test]
    fn expired_leaf_is_high_and_critical_when_502_is_seen() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.chain[0].not_after_unix = ev.collected_at_unix - 3 * 86_400;
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1, "one certificate, reported once");
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(out.findings[0].summary.contains("expired 3 days ago"), "{}", out.findings[0].summary);
        add_edge_502(&mut ev);
        assert_eq!(run(&ev).findings[0].severity, Severity::Critical);
    }

    #[test]
    fn not_yet_valid_intermediate_is_a_finding() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        ev.observations.tls[0].chain[1].not_before_unix = ev.collected_at_unix + 86_400;
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("intermediate"));
    }

    #[test]
    fn expiring_soon_is_only_a_warning_and_valid_is_nothing() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        assert!(run(&ev).findings.is_empty());
        ev.observations.tls[0].chain[0].not_after_unix = ev.collected_at_unix + 20 * 86_400;
        let out = run(&ev);
        assert_eq!(out.findings[0].severity, Severity::Low);
        assert!(out.findings[0].severity < Severity::High, "never the primary cause of an outage");
        ev.observations.tls[0].chain[0].not_after_unix = ev.collected_at_unix + 2 * 86_400;
        assert_eq!(run(&ev).findings[0].severity, Severity::Medium);
    }

    #[test]
    fn an_acm_listener_certificate_expiring_soon_is_a_latent_warning_once() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        let arn = "arn:aws:acm:us-east-1:123456789012:certificate/sni";
        let soon = ev.collected_at_unix + 10 * 86_400;
        with_listener_certs(
            &mut ev,
            ALB,
            vec![
                acm_cert("arn:aws:acm:us-east-1:123456789012:certificate/ok", &[ALB], 1_900_000_000),
                acm_cert(arn, &["old.example.com"], soon),
            ],
        );
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1, "{out:?}");
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::Low);
        assert!(!f.observed);
        assert!(f.summary.contains("expires in 10 days") && f.summary.contains("old.example.com"), "{}", f.summary);
        assert!(f.evidence.iter().any(|e| e.source == Source::Config && e.subject.contains(arn)));
        // Expired per ACM: high.
        let mut ev = tls_evidence(ALB, &[ALB]);
        let gone = ev.collected_at_unix - 86_400;
        with_listener_certs(&mut ev, ALB, vec![acm_cert(arn, &["old.example.com"], gone)]);
        assert_eq!(run(&ev).findings[0].severity, Severity::High);
    }
}
