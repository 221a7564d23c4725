//! `sni-dependent-origin-default-cert`: the origin chooses its certificate by SNI and, for the
//! name CloudFront sends, falls back to a default certificate that does not cover that name.
//!
//! An ALB listener with several certificates, or nginx/Apache with several virtual hosts,
//! serves the certificate matching the SNI; when the name CloudFront sends (the origin domain,
//! or the forwarded Host) matches none, the default certificate is served and CloudFront
//! rejects it (502), while a browser using the application's hostname gets the right one.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, ConfigChange, Fix, OriginPart};
use crate::evidence::{Evidence, SniRole};

pub static META: CheckMeta = CheckMeta {
    id: "sni-dependent-origin-default-cert",
    title: "Origin serves its default certificate for the name CloudFront sends",
    what_breaks: "CloudFront gets the origin's default certificate, which does not cover the name it checks: 502.",
    why: "The origin picks certificates by SNI; CloudFront's SNI (origin domain or forwarded Host) matches none of them, so the default is served.",
    evidence_used: &[
        "TLS probes with CloudFront's SNI, with other hostnames and without SNI: the leaf served for each",
    ],
    fix: "Add a certificate for the name CloudFront sends to the origin's certificate list (or make it the default), or change the origin domain / Host forwarding to a name the origin has a certificate for.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: CF_TLS_DOCS,
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    for (origin, custom, obs) in https_origins(ev) {
        let Some(default) = obs.iter().find(|t| t.role == SniRole::NoSni).and_then(|t| t.leaf()) else {
            continue;
        };
        for t in sent(&obs) {
            let (Some(leaf), Some(check)) = (t.leaf(), &t.name_check) else {
                continue;
            };
            if check.matches || leaf.sha256 != default.sha256 || t.sni.is_none() {
                continue;
            }
            // Another name got a different certificate: the origin does choose by SNI.
            let Some(other) =
                obs.iter().find(|o| o.sni.is_some() && o.leaf().is_some_and(|l| l.sha256 != default.sha256))
            else {
                continue;
            };
            let other_leaf = other.leaf().map(describe_cert).unwrap_or_default();
            let b = builder(&META, Severity::Medium, Confidence::Medium, ev, origin, &[t])
                .summary(format!(
                    "Origin {} serves its default certificate for {}, the name CloudFront sends, though it has a certificate for {}.",
                    origin.id,
                    check.name,
                    other.sni.as_deref().unwrap_or("?")
                ))
                .evidence([
                    origin_config(origin, custom),
                    EvidenceItem::new(Source::Probe, subject(t), format!("leaf {} (the same as without SNI)", describe_cert(leaf)))
                        .expected(format!("a certificate covering {}", check.name)),
                    EvidenceItem::new(Source::Probe, subject(other), format!("leaf {other_leaf}")),
                ])
                .remediation(Remediation {
                    fix: {
                        let own = ev.inventory.distribution.viewer_hostnames();
                        let mut alternatives = vec![vec![Change::Origin {
                            part: OriginPart::Certificate,
                            what: format!("add a certificate covering {} to the origin's listener or virtual hosts", check.name),
                        }]];
                        // A name the origin has a certificate for, unless it leads back to CloudFront.
                        if let Some(name) = other.sni.as_ref().filter(|n| !own.iter().any(|o| o.eq_ignore_ascii_case(n))) {
                            alternatives.push(vec![Change::Config(ConfigChange::OriginDomainName {
                                origin_id: origin.id.clone(),
                                value: name.clone(),
                            })]);
                        }
                        Fix::alternatives(alternatives)
                    },
                    summary: format!(
                        "Add a certificate covering {} to the origin's listener/virtual hosts, or set Origins[Id={}].DomainName to {}.",
                        check.name,
                        origin.id,
                        other.sni.as_deref().unwrap_or("a name the origin has a certificate for")
                    ),
                    steps: vec!["On an ALB: aws elbv2 add-listener-certificates adds a certificate chosen by SNI.".into()],
                    cli: vec!["aws elbv2 add-listener-certificates --listener-arn <https-listener-arn> --certificates CertificateArn=<certificate-arn>".into()],
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
    fn default_certificate_for_cloudfronts_name_is_a_finding() {
        let mut ev = tls_evidence(ALB, &["default.example.net"]);
        ev.observations.tls[1] =
            tls_observation("o1", ALB, Some("www.example.com"), SniRole::ViewerHostname, false, &["www.example.com"]);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("www.example.com"));
    }

    #[test]
    fn one_certificate_for_all_names_or_a_matching_one_is_not_this_finding() {
        // Same certificate for every SNI: a plain name mismatch, not an SNI-dependent default.
        assert!(run(&tls_evidence(ALB, &["default.example.net"])).findings.is_empty());
        let mut ev = tls_evidence(ALB, &[ALB]);
        ev.observations.tls[1] =
            tls_observation("o1", ALB, Some("www.example.com"), SniRole::ViewerHostname, false, &["www.example.com"]);
        assert!(run(&ev).findings.is_empty());
    }
}
