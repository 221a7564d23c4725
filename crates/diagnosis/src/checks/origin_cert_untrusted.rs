//! `origin-cert-untrusted`: the origin's certificate does not chain to a root CloudFront trusts
//! (self-signed, a private or corporate CA, a root outside Mozilla's program).
//!
//! CloudFront validates origin certificates against the Mozilla Included CA list and drops the
//! connection otherwise: a quick 502, while `curl -k` or a browser with the corporate root
//! installed "works". ACM private CA certificates are not publicly trusted either.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{ChainEnd, ChainError, ChainValidation, Evidence};

pub static META: CheckMeta = CheckMeta {
    id: "origin-cert-untrusted",
    title: "Origin certificate is not publicly trusted",
    what_breaks: "CloudFront refuses the origin's certificate: HTTPS requests to the origin fail with a quick 502.",
    why: "CloudFront accepts only origin certificates that chain to a CA in the Mozilla Included CA list; self-signed and private-CA certificates are rejected.",
    evidence_used: &["TLS probe: the presented chain, validated against Mozilla's roots plus --ca-file anchors"],
    fix: "Install a certificate from a publicly trusted CA on the origin (ACM public certificate on a load balancer, or a public CA such as Let's Encrypt on an instance).",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: CF_TLS_DOCS,
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    for (origin, custom, obs) in https_origins(ev) {
        let sent = sent(&obs);
        note_unobserved(&mut out, &META, origin, &sent, "the certificate chain");
        let bad = sent.iter().copied().find(|t| match &t.chain_check {
            Some(c) => match &c.validation {
                ChainValidation::Failed { error: ChainError::UnknownIssuer, .. } => {
                    c.ends == ChainEnd::SelfSignedUntrusted
                }
                ChainValidation::Failed { error: ChainError::BadSignature, .. } => true,
                _ => false,
            },
            None => false,
        });
        let Some(t) = bad else {
            continue;
        };
        let Some(check) = &t.chain_check else {
            continue;
        };
        let observed = edge_502(ev);
        let top = t.chain.last();
        let self_signed_leaf = t.chain.len() == 1 && t.leaf().is_some_and(|l| l.self_issued);
        let what = if self_signed_leaf {
            "a self-signed certificate".to_string()
        } else {
            format!("a chain ending at {}, which is not a trusted root", top.map(|c| c.subject.as_str()).unwrap_or("?"))
        };
        let mut evidence = vec![
            origin_config(origin, custom),
            EvidenceItem::new(
                Source::Probe,
                subject(t),
                format!("served {what}: {}", t.chain.iter().map(describe_cert).collect::<Vec<_>>().join(" → ")),
            )
            .expected("a chain to a root in Mozilla's CA program"),
        ];
        if let ChainValidation::Failed { message, .. } = &check.validation {
            evidence.push(EvidenceItem::new(
                Source::Probe,
                "chain validation (Mozilla roots + --ca-file)",
                message.clone(),
            ));
        }
        if let Some(e) = observed.clone() {
            evidence.push(e);
        }
        let b = builder(&META, if observed.is_some() { Severity::Critical } else { Severity::High }, Confidence::High, ev, origin, &[t])
            .summary(format!(
                "Origin {} presents {what}; CloudFront trusts only Mozilla's roots and drops the connection (502).",
                origin.id
            ))
            .observed(observed.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Origin {
                    part: OriginPart::Certificate,
                    what: format!(
                        "replace the certificate on {}:{} with one from a publicly trusted CA covering {}",
                        t.host,
                        t.port,
                        t.sni.as_deref().unwrap_or(&t.host)
                    ),
                }]),
                summary: format!(
                    "Replace the certificate on {}:{} with one from a publicly trusted CA covering {}.",
                    t.host,
                    t.port,
                    t.sni.as_deref().unwrap_or(&t.host)
                ),
                steps: vec![
                    "On a load balancer: request a public ACM certificate and set it as the HTTPS listener's certificate.".into(),
                    "On an instance or container: use a public CA (e.g. Let's Encrypt) and serve the full chain.".into(),
                ],
                cli: vec![
                    format!("aws acm request-certificate --domain-name {} --validation-method DNS", t.sni.as_deref().unwrap_or(&t.host)),
                    "aws elbv2 modify-listener --listener-arn <https-listener-arn> --certificates CertificateArn=<certificate-arn>".into(),
                ],
            });
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{ChainCheck, SniRole};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn self_signed(ev: &mut Evidence) {
        for t in &mut ev.observations.tls {
            t.chain.truncate(1);
            t.chain[0].self_issued = true;
            t.chain_check = Some(ChainCheck {
                validation: ChainValidation::Failed {
                    error: ChainError::UnknownIssuer,
                    message: "UnknownIssuer".into(),
                },
                in_order: true,
                ends: ChainEnd::SelfSignedUntrusted,
                trusted_only_by_extra_anchor: false,
            });
        }
    }

    #[test]
    fn self_signed_certificate_is_untrusted() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        self_signed(&mut ev);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("self-signed"));
        assert_eq!(out.findings[0].severity, Severity::High);
    }

    #[test]
    fn trusted_chain_or_missing_intermediate_is_not_this_finding() {
        assert!(run(&tls_evidence(ALB, &[ALB])).findings.is_empty());
        let mut ev = tls_evidence(ALB, &[ALB]);
        self_signed(&mut ev);
        for t in &mut ev.observations.tls {
            if let Some(c) = &mut t.chain_check {
                c.ends = ChainEnd::IssuerMissing;
            }
        }
        assert!(run(&ev).findings.is_empty(), "an unsent intermediate is origin-chain-incomplete-or-misordered");
    }

    #[test]
    fn only_comparison_handshakes_do_not_count() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        self_signed(&mut ev);
        ev.observations.tls.retain(|t| t.role != SniRole::OriginDomain);
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
    }
}
