//! `origin-requires-client-cert`: the origin asks for a TLS client certificate (mTLS).
//!
//! Without origin mTLS configured, CloudFront answers a CertificateRequest with no certificate;
//! an origin that requires one (nginx `ssl_verify_client on`, API Gateway mTLS) aborts the
//! handshake and CloudFront returns 502. An origin that only asks (optional verification) still
//! works.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "origin-requires-client-cert",
    title: "Origin requires a TLS client certificate",
    what_breaks: "The origin aborts CloudFront's handshake for lack of a client certificate: 502.",
    why: "CloudFront presents no client certificate to an origin unless origin mutual TLS is configured.",
    evidence_used: &["TLS probe: CertificateRequest received, handshake outcome without a certificate"],
    fix: "Make client-certificate verification optional for CloudFront's requests (authenticate CloudFront with a secret custom origin header instead), or configure origin mutual TLS on the distribution.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: CF_TLS_DOCS,
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    for (origin, custom, obs) in https_origins(ev) {
        let sent = sent(&obs);
        let Some(t) = sent.iter().copied().find(|t| t.client_certificate_requested) else {
            continue;
        };
        let fails = t.established().is_none();
        let observed = if fails { edge_502(ev) } else { None };
        let mut evidence = vec![
            origin_config(origin, custom),
            EvidenceItem::new(
                Source::Probe,
                subject(t),
                format!("the origin sent a CertificateRequest; without a certificate: {}", describe_result(&t.result)),
            )
            .expected("no client certificate requested (or optional)"),
        ];
        if let Some(e) = observed.clone() {
            evidence.push(e);
        }
        // A legacy suite stops after the server's hello: whether the request is mandatory is
        // decided later in the handshake, which this probe does not make.
        let untested = t.established().is_some_and(|e| !e.full_handshake);
        let (severity, confidence, summary) = if fails {
            (
                if observed.is_some() { Severity::Critical } else { Severity::High },
                Confidence::High,
                format!(
                    "Origin {} requires a TLS client certificate, which CloudFront does not present; the handshake fails (502).",
                    origin.id
                ),
            )
        } else if untested {
            (
                Severity::Medium,
                Confidence::Low,
                format!(
                    "Origin {} asks for a TLS client certificate, which CloudFront does not present; on {} the probe stops after the server's hello, so whether the origin requires one was not tested.",
                    origin.id,
                    describe_result(&t.result)
                ),
            )
        } else {
            (
                Severity::Info,
                Confidence::High,
                format!(
                    "Origin {} asks for a TLS client certificate but accepts the handshake without one.",
                    origin.id
                ),
            )
        };
        let b = builder(&META, severity, confidence, ev, origin, &[t])
            .summary(summary)
            .observed(observed.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Origin {
                    part: OriginPart::Server,
                    what: format!("turn off mandatory client-certificate verification on {}:{}", t.host, t.port),
                }]),
                summary: format!(
                    "Turn off mandatory client-certificate verification on {}:{} (e.g. nginx ssl_verify_client optional) and authenticate CloudFront with a secret custom origin header.",
                    t.host, t.port
                ),
                steps: vec!["Or configure origin mutual TLS for this origin in the distribution (OriginMtlsConfig) with a certificate the origin trusts.".into()],
                cli: vec![],
            });
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::TlsFailureKind;
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    #[test]
    fn required_client_certificate_is_high() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        ev.observations.tls[0].client_certificate_requested = true;
        ev.observations.tls[0].result = tls_failed(TlsFailureKind::Alert, Some("CertificateRequired"));
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
    }

    #[test]
    fn optional_or_no_request_is_not_a_failure() {
        assert!(run(&tls_evidence(ALB, &[ALB])).findings.is_empty());
        let mut ev = tls_evidence(ALB, &[ALB]);
        ev.observations.tls[0].client_certificate_requested = true;
        let out = run(&ev);
        assert_eq!(out.findings[0].severity, Severity::Info);
        // Only the no-SNI comparison handshake saw it: not what CloudFront sends.
        let mut ev = tls_evidence(ALB, &[ALB]);
        ev.observations.tls[2].client_certificate_requested = true;
        assert!(run(&ev).findings.is_empty());
    }

    #[test]
    fn a_request_seen_only_in_the_servers_hello_is_medium_and_untested() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        ev.observations.tls[0].client_certificate_requested = true;
        ev.observations.tls[0].result = tls12_gcm(false);
        let out = run(&ev);
        assert_eq!(out.findings[0].severity, Severity::Medium);
        assert_eq!(out.findings[0].confidence, Confidence::Low);
        assert!(out.findings[0].summary.contains("not tested"));
    }
}
