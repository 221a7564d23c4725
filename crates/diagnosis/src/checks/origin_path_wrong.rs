//! `origin-path-wrong`: the origin's `OriginPath` prefix turns working paths into 404s.
//!
//! CloudFront prepends `OriginPath` to every request path it sends to the origin (`/app` + `/x`
//! = `/app/x`). A prefix the origin does not serve (a stale deployment folder, a doubled
//! `/api/api/…`) makes every path fail through CloudFront while the same path works directly.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginPath>

use super::probe_view::{describe, first, is_success, shape_pairs};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, ConfigChange, Fix};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "origin-path-wrong",
    title: "OriginPath sends requests to paths the origin does not serve",
    what_breaks: "Paths that work on the origin answer 404 (or 403) through CloudFront.",
    why: "CloudFront prefixes every origin request path with the origin's OriginPath.",
    evidence_used: &[
        "Origins[].OriginPath",
        "direct probes with the prefix (as CloudFront sends) and without (as the viewer asks)",
    ],
    fix: "Correct or clear Origins[].OriginPath (it must start with / and not end with /).",
    fix_kinds: &[super::FixKind::Typed],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginPath",
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
    let mut done: Vec<&str> = Vec::new();
    for pair in shape_pairs(ev) {
        let Some(origin) = d.origin(pair.origin_id) else {
            continue;
        };
        if origin.origin_path.is_empty() || done.contains(&pair.origin_id) {
            continue;
        }
        let (Some(cf), Some(v)) = (first(pair.cf), pair.viewer.and_then(first)) else {
            continue;
        };
        if !matches!(cf.status, 403 | 404) || !is_success(v) {
            continue;
        }
        done.push(pair.origin_id);
        let same_host = pair.cf.hops.first().map(|h| &h.host_header)
            == pair.viewer.and_then(|p| p.hops.first()).map(|h| &h.host_header);
        let field = format!("Origins[Id={}].OriginPath", origin.id);
        let fix =
            Fix::changes([Change::Config(ConfigChange::OriginPath { origin_id: origin.id.clone(), value: String::new() })]);
        let finding =
            META.finding(Severity::High, if same_host { Confidence::High } else { Confidence::Medium })
                .summary(format!(
                    "Origin {} answers {} under OriginPath {} but {} without it: the prefix is wrong.",
                    origin.id, cf.status, origin.origin_path, v.status
                ))
                .evidence([
                    EvidenceItem::new(Source::Config, &field, &origin.origin_path)
                        .expected("a prefix the origin serves, or empty"),
                    EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", describe(pair.cf)),
                    EvidenceItem::new(
                        Source::Probe,
                        "origin, as the viewer asks",
                        describe(pair.viewer.unwrap_or(pair.cf)),
                    ),
                ])
                .remediation(Remediation {
                    summary: format!("Set {field} to the prefix the origin serves (or to empty)."),
                    steps: vec![],
                    // The origin answered the viewer's path without the prefix.
                    cli: fix.cli(d),
                    fix,
                })
                .resource("distribution", &d.id)
                .resource("origin", &origin.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, RequestShape};
    use crate::testing::*;

    fn ev(origin_path: &str, cf: u16) -> Evidence {
        let mut o = custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly);
        o.origin_path = origin_path.into();
        let mut e = evidence(o, Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }));
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "app.example.com",
            "/",
            HopResult::Response(response(cf, &[])),
        ));
        e.observations.probes.push(origin_probe(
            RequestShape::Viewer,
            "app.example.com",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        e
    }

    #[test]
    fn a_prefix_that_404s_is_high() {
        let out = run(&ev("/v1", 404));
        assert_eq!(out.findings[0].severity, Severity::High);
        assert_eq!(out.findings[0].confidence, Confidence::High);
    }

    #[test]
    fn no_prefix_or_a_working_one_is_no_finding() {
        assert!(run(&ev("", 404)).findings.is_empty());
        assert!(run(&ev("/v1", 200)).findings.is_empty());
    }
}
