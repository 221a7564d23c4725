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

use super::acm_support::describe_acm;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix};
use crate::evidence::{Evidence, Fetch, HopResult, ProbeStage, ProbeTarget, Scheme, TlsErrorKind};

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
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html",
    explains: Explains::Symptoms(&[SymptomClass::ViewerTls]),
    module: module_path!(),
};

fn cause(kind: Option<&TlsErrorKind>) -> &'static str {
    match kind {
        Some(TlsErrorKind::NameMismatch) => "the certificate does not cover this hostname",
        Some(TlsErrorKind::Expired) => "the certificate is expired",
        Some(TlsErrorKind::NotYetValid) => "the certificate is not valid yet",
        Some(TlsErrorKind::UnknownIssuer | TlsErrorKind::BadSignature) => {
            "the certificate does not chain to a trusted root"
        }
        Some(TlsErrorKind::Alert(_)) => {
            "the distribution refused the handshake (no certificate for this name, or a protocol the policy excludes)"
        }
        _ => "the TLS handshake failed",
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
        let why = cause(e.tls.as_ref());
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
        if let Some(acm) = ev.inventory.viewer_certificate_acm.value() {
            evidence.push(
                EvidenceItem::new(Source::Config, "acm:DescribeCertificate (us-east-1)", describe_acm(acm))
                    .expected(format!("ISSUED, in date, with a name covering {hostname}")),
            );
        }
        let is_alias = d.aliases.iter().any(|a| a.eq_ignore_ascii_case(hostname));
        if !is_alias && !hostname.eq_ignore_ascii_case(&d.domain_name) {
            evidence.push(
                EvidenceItem::new(Source::Config, "Aliases", d.aliases.join(", "))
                    .expected(format!("{hostname} listed, and covered by the certificate")),
            );
        }
        let mut b = META.finding(Severity::Critical, Confidence::High)
            .summary(format!("HTTPS viewers of {hostname} fail before any HTTP status: {why}."))
            .observed(true)
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Other {
                    what: format!(
                        "attach an ACM certificate in us-east-1 covering {hostname} as ViewerCertificate (SSLSupportMethod sni-only)"
                    ),
                }]),
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
        out.push(b);
    }
    acm_viewer_certificate(ev, &mut out, &seen);
    out
}

/// What ACM says of the viewer certificate, for the hostnames no probe saw failing: an alias
/// it does not cover, a status other than ISSUED, dates past or within 30 days of `NotAfter`.
fn acm_viewer_certificate(ev: &Evidence, out: &mut CheckOutput, probed_failing: &[String]) {
    let d = &ev.inventory.distribution;
    let acm = match &ev.inventory.viewer_certificate_acm {
        Fetch::Fetched { value } => value,
        Fetch::NotApplicable { .. } => return,
        other => {
            out.unverified(
                &META,
                "the viewer certificate's names, status and dates (ACM)",
                other.missing_reason().unwrap_or_default(),
            );
            return;
        }
    };
    let now = ev.collected_at_unix;
    let mut problems: Vec<(Severity, String)> = Vec::new();
    let uncovered: Vec<&str> =
        d.aliases.iter().filter(|a| !probed_failing.contains(a) && !acm.covers(a)).map(String::as_str).collect();
    if !uncovered.is_empty() {
        problems.push((Severity::High, format!("it does not cover {}", uncovered.join(", "))));
    }
    if acm.status != "ISSUED" {
        problems.push((Severity::High, format!("its ACM status is {}", acm.status)));
    }
    match acm.not_after_unix {
        Some(t) if t < now => problems.push((Severity::High, format!("it expired {} days ago", (now - t) / 86_400))),
        Some(t) if t - now < WARN_DAYS * 86_400 => {
            let left = (t - now) / 86_400;
            problems.push((
                if left < 7 { Severity::Medium } else { Severity::Low },
                format!(
                    "it expires in {left} days{}",
                    if acm.certificate_type == "IMPORTED" { " (imported: ACM does not renew it)" } else { "" }
                ),
            ));
        }
        _ => {}
    }
    let Some(severity) = problems.iter().map(|(s, _)| *s).max() else { return };
    let whats: Vec<String> = problems.into_iter().map(|(_, w)| w).collect();
    let b = META.finding(severity, Confidence::Medium)
        .summary(format!(
            "The viewer certificate {} will fail viewers: {} (from ACM; not seen failing by a probe).",
            acm.arn,
            whats.join("; ")
        ))
        .observed(false)
        .evidence(vec![
            EvidenceItem::new(Source::Config, "acm:DescribeCertificate (us-east-1)", describe_acm(acm))
                .expected(format!("ISSUED, in date for more than {WARN_DAYS} days, names covering every alias")),
            EvidenceItem::new(Source::Config, "Aliases", d.aliases.join(", ")),
        ])
        .remediation(Remediation {
            fix: Fix::changes([Change::Other {
                what: format!("renew or replace viewer certificate {} with an issued one covering every alias", acm.arn),
            }]),
            summary: "Attach an issued ACM certificate in us-east-1 that covers every alias, and keep it renewed.".into(),
            steps: vec![
                "Imported certificates are not renewed by ACM: re-import before NotAfter.".into(),
                "ACM renews issued certificates only while the DNS validation records exist.".into(),
            ],
            cli: vec![format!(
                "aws acm describe-certificate --region us-east-1 --certificate-arn {} --query 'Certificate.[Status,NotAfter,SubjectAlternativeNames]'",
                acm.arn
            )],
        })
        .resource("distribution", &d.id)
        .resource("certificate", &acm.arn);
    out.push(b);
}

/// A viewer certificate expiring within this many days is reported as a latent risk.
const WARN_DAYS: i64 = 30;

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

    fn tls_error(kind: TlsErrorKind, message: &str) -> HopResult {
        HopResult::Error(ProbeError::tls(kind, message))
    }

    #[test]
    fn a_certificate_that_does_not_cover_the_alias_is_critical_and_observed() {
        let out = run(&ev_with(
            "www.example.com",
            Scheme::Https,
            tls_error(TlsErrorKind::NameMismatch, "certificate rejected: NotValidForName"),
        ));
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
        let refused = HopResult::Error(ProbeError::new(ProbeStage::Connect, "refused"));
        assert!(run(&ev_with("www.example.com", Scheme::Https, refused)).findings.is_empty());
        assert!(
            run(&ev_with("www.example.com", Scheme::Http, tls_error(TlsErrorKind::Other, "x"))).findings.is_empty()
        );
    }

    const ACM_ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/viewer";

    fn with_acm(cert: AcmCertificate) -> Evidence {
        let mut e = ev_with("www.example.com", Scheme::Https, HopResult::Response(response(200, &[])));
        e.inventory.distribution.viewer_certificate = Some(ViewerCertificate {
            cloudfront_default_certificate: false,
            acm_certificate_arn: Some(ACM_ARN.into()),
            iam_certificate_id: None,
            ssl_support_method: Some("sni-only".into()),
            minimum_protocol_version: Some("TLSv1.2_2021".into()),
        });
        e.inventory.viewer_certificate_acm = Fetch::fetched(cert);
        e
    }

    #[test]
    fn acm_names_status_and_dates_of_the_viewer_certificate_are_checked_without_a_failing_probe() {
        let out = run(&with_acm(acm_cert(ACM_ARN, &["*.example.com"], 1_900_000_000)));
        assert!(out.findings.is_empty(), "a same-level wildcard covers the alias: {out:?}");
        let out = run(&with_acm(acm_cert(ACM_ARN, &["example.com"], 1_900_000_000)));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(!out.findings[0].observed);
        assert!(out.findings[0].summary.contains("does not cover www.example.com"), "{}", out.findings[0].summary);
        let soon = 1_795_651_200 + 12 * 86_400;
        let out = run(&with_acm(acm_cert(ACM_ARN, &["www.example.com"], soon)));
        assert_eq!(out.findings[0].severity, Severity::Low);
        assert!(out.findings[0].summary.contains("expires in 12 days"), "{}", out.findings[0].summary);
        let mut pending = acm_cert(ACM_ARN, &["www.example.com"], 1_900_000_000);
        pending.status = "PENDING_VALIDATION".into();
        assert!(run(&with_acm(pending)).findings[0].summary.contains("PENDING_VALIDATION"));
    }

    #[test]
    fn a_denied_acm_read_is_unverified_and_the_probe_finding_cites_acm() {
        let mut e = with_acm(acm_cert(ACM_ARN, &["example.com"], 1_900_000_000));
        e.observations.probes.clear();
        e.observations.probes.push(edge_probe(
            "www.example.com",
            Scheme::Https,
            "GET",
            "/",
            tls_error(TlsErrorKind::NameMismatch, "certificate rejected: NotValidForName"),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "the failing alias is reported once, by the probe: {out:?}");
        assert!(out.findings[0].observed);
        assert!(out.findings[0].evidence.iter().any(|i| i.subject.starts_with("acm:DescribeCertificate")));
        e.inventory.viewer_certificate_acm =
            Fetch::Denied { action: "acm:DescribeCertificate".into(), message: "no".into() };
        let out = run(&e);
        assert!(out.unverified.iter().any(|u| u.reason.contains("acm:DescribeCertificate")), "{out:?}");
    }
}
