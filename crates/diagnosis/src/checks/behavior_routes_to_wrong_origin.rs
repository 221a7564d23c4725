//! `behavior-routes-to-wrong-origin`: a probed path is handled by another cache behavior (and
//! so another origin) than the one meant for it.
//!
//! CloudFront evaluates `CacheBehaviors` in order and the first match wins; patterns are
//! case-sensitive. A broad pattern listed before a specific one (`/*` before `/api/*`), or a
//! pattern that differs only in case from the path (`/API/*` for `/api/x`), sends requests to
//! the default or the wrong origin: 403/404 or unexpected content.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern>

use super::probe_view::update_cli;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::Fix;
use crate::evidence::{Evidence, path_pattern_matches};

pub static META: CheckMeta = CheckMeta {
    id: "behavior-routes-to-wrong-origin",
    title: "A path is routed by an earlier or case-mismatched behavior",
    what_breaks: "Requests for the path reach another origin than intended: 403, 404 or the wrong content.",
    why: "CloudFront uses the first cache behavior whose path pattern matches (case-sensitive); later, more specific patterns never apply.",
    evidence_used: &["CacheBehaviors[].PathPattern order and TargetOriginId", "the probed paths"],
    fix: "Order cache behaviors from most to least specific and match the path's case exactly.",
    fix_kinds: &[super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern",
    explains: Explains::Symptoms(&[SymptomClass::OriginError]),
    module: module_path!(),
};

fn literal_len(p: &str) -> usize {
    p.find(['*', '?']).unwrap_or(p.len())
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for path in &ev.request.paths {
        let path_only = path.split(['?', '#']).next().unwrap_or(path);
        let chosen = d.behavior_for_path(path);
        let chosen_len = chosen.path_pattern.as_deref().map(literal_len).unwrap_or(0);
        // A later behavior that matches more specifically, or one that matches ignoring case.
        let shadowed = d.behaviors.iter().find(|b| {
            let Some(p) = b.path_pattern.as_deref() else {
                return false;
            };
            !std::ptr::eq(*b, chosen)
                && b.target_origin_id != chosen.target_origin_id
                && path_pattern_matches(p, path_only)
                && literal_len(p) > chosen_len
        });
        let case = d.behaviors.iter().find(|b| {
            b.path_pattern.as_deref().is_some_and(|p| {
                !path_pattern_matches(p, path_only)
                    && path_pattern_matches(&p.to_ascii_lowercase(), &path_only.to_ascii_lowercase())
            }) && b.target_origin_id != chosen.target_origin_id
        });
        let (other, why) = match (shadowed, case) {
            (Some(b), _) => (b, "is listed after a broader pattern that matches first"),
            (None, Some(b)) => (b, "differs from the path only in case (patterns are case-sensitive)"),
            (None, None) => continue,
        };
        let pattern = other.path_pattern.clone().unwrap_or_default();
        let finding = META.finding(Severity::Medium, Confidence::Medium)
            .summary(format!(
                "{path} is handled by behavior {} (origin {}); pattern {pattern} (origin {}) {why}.",
                chosen.label(),
                chosen.target_origin_id,
                other.target_origin_id
            ))
            .evidence([
                EvidenceItem::new(
                    Source::Config,
                    format!("{}.TargetOriginId", chosen.field_path()),
                    &chosen.target_origin_id,
                ),
                EvidenceItem::new(Source::Config, format!("{}.PathPattern", other.field_path()), &pattern)
                    .expected(format!("to be the first pattern matching {path}")),
            ])
            .remediation(Remediation {
                fix: Fix::manual(
                    "the order of CacheBehaviors (or a pattern's case) is not a field change this tool states as data",
                ),
                summary: format!(
                    "Move the behavior {pattern} before {} in CacheBehaviors (or fix its case).",
                    chosen.label()
                ),
                steps: vec![],
                cli: vec![update_cli(d)],
            })
            .resource("distribution", &d.id)
            .resource("behavior", chosen.label())
            .resource("behavior", pattern);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Behavior, Fetch, OriginProtocolPolicy, OriginResource};
    use crate::testing::*;

    fn ev(patterns: &[(&str, &str)], path: &str) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.behaviors =
            patterns.iter().map(|(p, o)| Behavior { path_pattern: Some(p.to_string()), ..behavior(o) }).collect();
        e.request.paths = vec![path.into()];
        e
    }

    #[test]
    fn a_shadowed_or_case_mismatched_pattern_is_medium() {
        assert_eq!(run(&ev(&[("/a*", "s3"), ("/api/*", "api")], "/api/x")).findings.len(), 1);
        assert_eq!(run(&ev(&[("/API/*", "api")], "/api/x")).findings[0].severity, Severity::Medium);
    }

    #[test]
    fn well_ordered_behaviors_are_no_finding() {
        assert!(run(&ev(&[("/api/*", "api"), ("/a*", "s3")], "/api/x")).findings.is_empty());
        assert!(run(&ev(&[("/api/*", "api")], "/other")).findings.is_empty());
    }
}
