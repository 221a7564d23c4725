//! `origin-secret-header-mismatch`: the origin checks a shared-secret header that CloudFront
//! adds, and the value CloudFront sends is not the one it accepts.
//!
//! A common lock-down: the distribution adds a custom origin header (`X-Origin-Verify: <secret>`)
//! and the load balancer forwards only requests that carry it, answering everything else with a
//! fixed 403. When the secret is rotated on one side only (or set on another origin than the one
//! the behavior targets), every request through CloudFront gets the origin's 403.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/restrict-access-to-load-balancer.html>

use super::probe_view::{describe, edge, first, last_response, shape_pairs, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, ConfigChange, Fix, OriginPart};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "origin-secret-header-mismatch",
    title: "The origin rejects CloudFront's secret origin header",
    what_breaks: "Every request through CloudFront gets the origin's 403 (e.g. an ALB fixed response \"Access denied\").",
    why: "CloudFront sends the custom origin headers configured on the origin; an origin that admits only requests with the right secret value rejects a stale or misplaced one.",
    evidence_used: &[
        "Origins[].CustomHeaders (names only; values are never recorded)",
        "direct probes carrying the custom headers, as CloudFront and as the viewer would send them: both 403 from the origin",
        "probes through the distribution: the origin's 403 passed through",
    ],
    fix: "Make the custom origin header value equal to what the origin's rule accepts (during rotation, let the rule accept both values first).",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/restrict-access-to-load-balancer.html",
    explains: Explains::Symptoms(&[SymptomClass::OriginError]),
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
    let mut done: Vec<String> = Vec::new();
    for pair in shape_pairs(ev) {
        let Some(origin) = d.origin(pair.origin_id) else {
            continue;
        };
        if origin.custom_headers.is_empty() || done.iter().any(|o| o == pair.origin_id) {
            continue;
        }
        let Some(cf) = first(pair.cf) else {
            continue;
        };
        if cf.status != 403 || cf.cloudfront_error.is_some() {
            continue;
        }
        // A viewer-shaped request (same custom headers, viewer Host and User-Agent) that succeeds
        // points at Host or User-Agent, not at the secret.
        if pair.viewer.and_then(first).is_some_and(|v| v.status != 403) {
            continue;
        }
        done.push(pair.origin_id.to_string());
        let names: Vec<&str> = origin.custom_headers.iter().map(|h| h.name.as_str()).collect();
        let seen = edge(ev).find_map(|p| {
            let (h, r) = last_response(p)?;
            (r.status == 403 && r.cloudfront_error.is_none())
                .then(|| format!("{} → 403 from the origin, passed through", h.url))
        });
        let mut evidence = vec![
            EvidenceItem::new(
                Source::Config,
                format!("Origins[Id={}].CustomHeaders", origin.id),
                format!("{} (values redacted)", names.join(", ")),
            ),
            EvidenceItem::new(
                Source::Probe,
                "origin, as CloudFront sends it (custom headers included)",
                describe(pair.cf),
            )
            .expected("2xx/3xx: the origin accepts CloudFront's secret"),
        ];
        if let Some(v) = pair.viewer {
            evidence.push(EvidenceItem::new(
                Source::Probe,
                "origin, with the viewer's Host (custom headers included)",
                describe(v),
            ));
        }
        if let Some(s) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
        }
        let observed = seen.is_some();
        // Listener-rule evidence (ALB http-header conditions and their values' fingerprints)
        // will plug in here once the inventory reads DescribeRules; until then the match is
        // inferred from the origin's answers.
        let finding = META.finding(if observed { Severity::Critical } else { Severity::High }, Confidence::Medium)
            .summary(format!(
                "Origin {} answers 403 to requests carrying CloudFront's custom header{} {}: the secret CloudFront sends is probably not the one the origin accepts.",
                origin.id,
                if names.len() > 1 { "s" } else { "" },
                names.join(", ")
            ))
            .observed(observed)
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::alternatives([
                    names
                        .iter()
                        .map(|n| {
                            Change::Config(ConfigChange::OriginCustomHeader {
                                origin_id: origin.id.clone(),
                                name: n.to_string(),
                            })
                        })
                        .collect(),
                    vec![Change::Origin {
                        part: OriginPart::Application,
                        what: format!("accept CloudFront's value of {} in the origin's rule", names.join(", ")),
                    }],
                ]),
                summary: format!(
                    "Set Origins[Id={}].CustomHeaders {} to the value the origin's rule accepts (or add CloudFront's value to the rule).",
                    origin.id,
                    names.join(", ")
                ),
                steps: vec![
                    "Rotate safely: add the new value to the load balancer rule, then change CloudFront, then remove the old value.".into(),
                    "Check that the header is set on the origin the behavior actually targets.".into(),
                ],
                cli: vec![
                    update_cli(d),
                    "aws elbv2 describe-rules --listener-arn <listener-arn>".into(),
                ],
            }.exact(d))
            .resource("distribution", &d.id)
            .resource("origin", &origin.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{
        CustomHeader, Fetch, HopResult, OriginProtocolPolicy, OriginResource, RequestShape, Scheme, SecretValue,
    };
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn ev(cf: u16, viewer: u16, with_header: bool) -> Evidence {
        let mut o = custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly);
        if with_header {
            o.custom_headers.push(CustomHeader { name: "X-Origin-Verify".into(), value: SecretValue::new("old") });
        }
        let mut e = evidence(o, Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }));
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            ALB,
            "/",
            HopResult::Response(response(cf, &[("Server", "awselb/2.0")])),
        ));
        e.observations.probes.push(origin_probe(
            RequestShape::Viewer,
            "www.example.com",
            "/",
            HopResult::Response(response(viewer, &[])),
        ));
        e
    }

    #[test]
    fn both_shapes_refused_with_a_secret_configured_is_a_finding() {
        let out = run(&ev(403, 403, true));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(out.findings[0].evidence.iter().all(|x| !x.observed.contains("old")), "the secret never appears");
        let mut e = ev(403, 403, true);
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(403, &[])),
        ));
        assert_eq!(run(&e).findings[0].severity, Severity::Critical);
    }

    #[test]
    fn no_secret_accepted_requests_or_a_host_difference_are_no_finding() {
        assert!(run(&ev(403, 403, false)).findings.is_empty());
        assert!(run(&ev(200, 200, true)).findings.is_empty());
        assert!(run(&ev(403, 200, true)).findings.is_empty());
    }
}
