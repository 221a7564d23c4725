//! `origin-cert-name-mismatch-forwarded-host`: the behavior forwards the viewer's Host, so
//! CloudFront sends each viewer hostname as SNI and checks the origin certificate against it,
//! and the certificate lacks some of those names.
//!
//! With Host forwarded (origin request policy AllViewer, HostHeaderOnly, a cache policy with
//! Host, legacy `ForwardedValues.Headers` with Host or `*`) the name CloudFront validates is the
//! viewer's: an alias the certificate does not list, or the distribution's own
//! `d….cloudfront.net` name (which no origin certificate can carry), gets a 502 while other
//! hostnames work.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use super::fix_support::{behaviors_labelled, header_forwarding_all};
use crate::evidence::{Evidence, SniRole};
use crate::fix::{Change, Fix, OriginPart};

pub static META: CheckMeta = CheckMeta {
    id: "origin-cert-name-mismatch-forwarded-host",
    title: "Host is forwarded but the origin certificate lacks a viewer hostname",
    what_breaks: "Requests for the viewer hostnames the origin certificate does not cover fail with 502; other hostnames work.",
    why: "When the behavior forwards the viewer's Host, CloudFront sends that hostname as SNI and Host and requires the origin certificate to cover it.",
    evidence_used: &[
        "the behaviors' forwarding of Host",
        "Aliases and the distribution's DomainName",
        "TLS probes with SNI = each viewer hostname: the leaf certificate's names",
    ],
    fix: "Stop forwarding Host (origin request policy AllViewerExceptHostHeader) so CloudFront checks the origin's own name, or add every alias to the origin certificate.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::OriginSide],
    docs_url: CF_TLS_DOCS,
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = from_config(ev);
    super::ladder_view::add(ev, &META, &mut out);
    out
}

/// What the configuration and the paired probes show, before the request ladder's word.
fn from_config(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for (origin, custom, obs) in https_origins(ev) {
        let viewer: Vec<_> = obs.iter().copied().filter(|t| t.role == SniRole::ViewerHostname).collect();
        let forwarded: Vec<_> = viewer.iter().copied().filter(|t| t.cloudfront_sends != Some(false)).collect();
        if forwarded.is_empty() {
            if viewer.is_empty() && obs.is_empty() {
                note_unobserved(&mut out, &META, origin, &obs, "the certificate names for viewer hostnames");
            }
            continue;
        }
        let mut failing = Vec::new();
        let mut working = Vec::new();
        let mut unknown = Vec::new();
        for t in &forwarded {
            match &t.name_check {
                Some(n) if !n.matches => failing.push(*t),
                Some(_) => working.push(*t),
                None => unknown.push(*t),
            }
        }
        for t in &unknown {
            let reason = t.failure().map(|f| f.message.clone()).unwrap_or_else(|| "no certificate was received".into());
            out.unverified(&META, format!("certificate names for {}", t.sni.as_deref().unwrap_or("?")), reason);
        }
        if failing.is_empty() {
            continue;
        }
        let known = failing.iter().all(|t| t.cloudfront_sends == Some(true));
        let only_cloudfront_domain =
            failing.iter().all(|t| t.sni.as_deref() == Some(d.domain_name.as_str())) && !d.aliases.is_empty();
        let observed = edge_502(ev);
        let severity = if !known {
            Severity::Medium
        } else if only_cloudfront_domain {
            // Viewers normally use the aliases; only the d….cloudfront.net name is broken.
            Severity::Medium
        } else if working.is_empty() || observed.is_some() {
            Severity::Critical
        } else {
            Severity::High
        };
        let names: Vec<String> = failing.iter().filter_map(|t| t.sni.clone()).collect();
        let mut evidence = vec![
            origin_config(origin, custom),
            EvidenceItem::new(
                Source::Config,
                "behaviors' Host forwarding",
                if known {
                    format!("Host is forwarded by {}", failing[0].behaviors.join(", "))
                } else {
                    "a custom policy decides whether Host is forwarded; it was not read".to_string()
                },
            )
            .expected("Host not forwarded (AllViewerExceptHostHeader), or every viewer hostname on the certificate"),
        ];
        for t in &failing {
            if let Some(leaf) = t.leaf() {
                evidence.push(
                    EvidenceItem::new(Source::Probe, subject(t), format!("leaf certificate {}", describe_cert(leaf)))
                        .expected(format!("a certificate covering {}", t.sni.as_deref().unwrap_or("?"))),
                );
            }
        }
        if let Some(e) = observed.clone() {
            evidence.push(e);
        }
        let mut labels: Vec<String> = failing.iter().flat_map(|t| t.behaviors.iter().cloned()).collect();
        labels.dedup();
        let certificate = vec![Change::Origin {
            part: OriginPart::Certificate,
            what: format!("add {} to the certificate origin {} serves on port {}", names.join(", "), origin.id, failing[0].port),
        }];
        // Stopping Host forwarding is preferred where one change per behavior does it.
        let fix = match header_forwarding_all(d, &behaviors_labelled(d, &labels), "host", false) {
            Some(stop) if !stop.is_empty() => Fix::alternatives([stop, certificate]),
            _ => Fix::alternatives([certificate]),
        };
        let b = builder(&META, severity, if known { Confidence::High } else { Confidence::Low }, ev, origin, &failing)
            .summary(format!(
                "Host is forwarded to origin {}, so CloudFront checks its certificate against the viewer's hostname, and the certificate does not cover {}{}.",
                origin.id,
                names.join(", "),
                if working.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (it does cover {})",
                        working.iter().filter_map(|t| t.sni.clone()).collect::<Vec<_>>().join(", ")
                    )
                }
            ))
            .observed(observed.is_some() && known && !only_cloudfront_domain)
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!(
                    "Attach origin request policy AllViewerExceptHostHeader (b689b0a8-53d0-40ab-baf2-68738e2966ac) to the behaviors of origin {} so CloudFront sends and checks {}, or add {} to the origin's certificate.",
                    origin.id,
                    origin.domain_name,
                    names.join(", ")
                ),
                steps: vec![
                    "If the application needs the viewer's hostname, read it from a CloudFront header you add (e.g. a CloudFront Function copying Host into X-Forwarded-Host) instead of forwarding Host.".into(),
                ],
                cli: fix.cli_or(
                    d,
                    update_cli(
                        &d.id,
                        "DefaultCacheBehavior/CacheBehaviors[].OriginRequestPolicyId to b689b0a8-53d0-40ab-baf2-68738e2966ac",
                    ),
                ),
                fix,
            });
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn forwarded(cert: &[&str], aliases: &[&str]) -> Evidence {
        let mut ev = tls_evidence(ALB, cert);
        ev.inventory.distribution.aliases = aliases.iter().map(|s| s.to_string()).collect();
        ev.observations.tls[0].cloudfront_sends = Some(false);
        ev.observations.tls[1].cloudfront_sends = Some(true);
        for a in aliases {
            ev.observations.tls.push(tls_observation("o1", ALB, Some(a), SniRole::ViewerHostname, true, cert));
        }
        ev
    }

    #[test]
    fn an_alias_missing_from_the_certificate_is_a_finding() {
        let ev = forwarded(&["www.example.com"], &["www.example.com", "shop.example.com"]);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert!(f.summary.contains("shop.example.com"), "{}", f.summary);
        assert!(f.summary.contains("it does cover www.example.com"), "{}", f.summary);
        assert_eq!(f.severity, Severity::High);
    }

    #[test]
    fn only_the_cloudfront_name_failing_with_aliases_is_medium() {
        let out = run(&forwarded(&["www.example.com"], &["www.example.com"]));
        assert_eq!(out.findings[0].severity, Severity::Medium);
        let out = run(&forwarded(&["www.example.com"], &[]));
        assert_eq!(out.findings[0].severity, Severity::Critical, "no alias: every request uses d111.cloudfront.net");
    }

    #[test]
    fn host_not_forwarded_or_all_names_covered_is_no_finding() {
        assert!(run(&tls_evidence(ALB, &["app.example.com"])).findings.is_empty());
        let ev = forwarded(&["*.example.com", "d111.cloudfront.net"], &["www.example.com"]);
        assert!(run(&ev).findings.is_empty());
    }
}
