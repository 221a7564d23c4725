//! `origin-chain-incomplete-or-misordered`: the origin serves its certificate without the
//! intermediates that link it to a trusted root, or serves them in the wrong order.
//!
//! Browsers often hide this (they fetch missing intermediates via AIA or have them cached);
//! CloudFront does not fetch anything and drops the connection: a quick 502. The usual cause is
//! nginx `ssl_certificate` pointing at `cert.pem` instead of `fullchain.pem`.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{ChainEnd, ChainError, ChainValidation, Evidence};

pub static META: CheckMeta = CheckMeta {
    id: "origin-chain-incomplete-or-misordered",
    title: "Origin certificate chain is incomplete or out of order",
    what_breaks: "CloudFront cannot build a path to a trusted root from what the origin sends: HTTPS requests fail with 502, while browsers may work.",
    why: "CloudFront validates the chain exactly as served (leaf first, then each issuer) and does not fetch missing intermediates.",
    evidence_used: &["TLS probe: the served chain, its order, and validation without fetching"],
    fix: "Serve the full chain in order: the leaf, then each intermediate (the root is not needed).",
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
        for t in sent {
            let Some(check) = &t.chain_check else {
                continue;
            };
            let missing = matches!(&check.validation, ChainValidation::Failed { error: ChainError::UnknownIssuer, .. })
                && check.ends == ChainEnd::IssuerMissing;
            let misordered = !check.in_order && t.chain.len() > 1;
            if !missing && !misordered {
                continue;
            }
            let top = t.chain.last();
            // A leaf served alone whose issuer is unknown is the classic missing intermediate; a
            // chain ending at a CA could also be a private CA whose root is simply not trusted.
            let confidence =
                if missing && top.is_some_and(|c| c.is_ca) { Confidence::Medium } else { Confidence::High };
            let observed = edge_502(ev);
            let served = t.chain.iter().map(|c| format!("[{}] issued by {}", c.subject, c.issuer)).collect::<Vec<_>>();
            let problem = if missing {
                format!(
                    "the issuer of {} ({}) is neither served nor a trusted root",
                    top.map(|c| c.subject.as_str()).unwrap_or("?"),
                    top.map(|c| c.issuer.as_str()).unwrap_or("?")
                )
            } else {
                "the certificates are not in issuing order (each must be followed by its issuer)".to_string()
            };
            let mut evidence = vec![
                origin_config(origin, custom),
                EvidenceItem::new(
                    Source::Probe,
                    subject(t),
                    format!("served chain: {}; {problem}", served.join(" , ")),
                )
                .expected("leaf, then each intermediate in order, up to a trusted root"),
            ];
            if let Some(e) = observed.clone() {
                evidence.push(e);
            }
            let severity =
                if observed.is_some() && confidence == Confidence::High { Severity::Critical } else { Severity::High };
            let b = builder(&META, severity, confidence, ev, origin, &[t])
                .summary(format!(
                    "Origin {} serves an {} certificate chain: {problem}; CloudFront does not fetch intermediates and answers 502.",
                    origin.id,
                    if missing { "incomplete" } else { "out-of-order" }
                ))
                .observed(observed.is_some())
                .evidence(evidence)
                .remediation(Remediation {
                    fix: Fix::changes([Change::Origin {
                        part: OriginPart::Certificate,
                        what: format!("serve the full chain in order (leaf, then intermediates) on {}:{}", t.host, t.port),
                    }]),
                    summary: format!(
                        "Configure {}:{} to serve the full chain in order (leaf, then intermediates), e.g. nginx ssl_certificate fullchain.pem.",
                        t.host, t.port
                    ),
                    steps: vec![
                        "If the chain was meant to end at a private CA, that CA is not trusted by CloudFront either: use a public certificate (see origin-cert-untrusted).".into(),
                    ],
                    cli: vec![format!(
                        "openssl s_client -connect {}:{} -servername {} -showcerts </dev/null  # check the served order",
                        t.host,
                        t.port,
                        t.sni.as_deref().unwrap_or(&t.host)
                    )],
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
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    #[test]
    fn leaf_without_intermediate_is_incomplete() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.chain.truncate(1);
            if let Some(c) = &mut t.chain_check {
                c.validation =
                    ChainValidation::Failed { error: ChainError::UnknownIssuer, message: "UnknownIssuer".into() };
                c.ends = ChainEnd::IssuerMissing;
            }
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::High);
        assert!(out.findings[0].summary.contains("incomplete"));
    }

    #[test]
    fn misordered_chain_is_a_finding_even_when_it_validates() {
        let mut ev = tls_evidence(ALB, &[ALB]);
        ev.observations.tls[0].chain.reverse();
        ev.observations.tls[0].chain_check.as_mut().unwrap().in_order = false;
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("out-of-order"));
    }

    #[test]
    fn complete_ordered_or_self_signed_chain_is_not_this_finding() {
        assert!(run(&tls_evidence(ALB, &[ALB])).findings.is_empty());
        let mut ev = tls_evidence(ALB, &[ALB]);
        for t in &mut ev.observations.tls {
            t.chain.truncate(1);
            if let Some(c) = &mut t.chain_check {
                c.validation = ChainValidation::Failed { error: ChainError::UnknownIssuer, message: "x".into() };
                c.ends = ChainEnd::SelfSignedUntrusted;
            }
        }
        assert!(run(&ev).findings.is_empty());
    }
}
