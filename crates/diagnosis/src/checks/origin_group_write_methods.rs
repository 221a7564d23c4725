//! `origin-group-write-methods`: a behavior that targets an origin group serves an application
//! that needs write methods.
//!
//! CloudFront fails over between the origins of a group only for GET, HEAD and OPTIONS; a
//! behavior targeting an origin group cannot allow POST, PUT, PATCH or DELETE, so writes on its
//! paths are refused with 403 (or the configuration that tried to allow them was rejected).
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html>

use super::probe_view::{behaviors_in_use, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::Fix;
use crate::evidence::Evidence;
use crate::request::is_write_method;

pub static META: CheckMeta = CheckMeta {
    id: "origin-group-write-methods",
    title: "Write methods on a behavior that targets an origin group",
    what_breaks: "POST/PUT/PATCH/DELETE on the behavior's paths are refused; failover never applies to writes.",
    why: "Origin failover works only for GET, HEAD and OPTIONS, so a behavior whose target is an origin group allows only those methods.",
    evidence_used: &["the behavior's TargetOriginId (not a single origin)", "expected write methods"],
    fix: "Route the write paths to a single origin through their own cache behavior (e.g. /api/*) and keep the origin group for reads.",
    fix_kinds: &[super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront403]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let writes: Vec<&str> =
        ev.request.expect.methods.iter().map(String::as_str).filter(|m| is_write_method(m)).collect();
    if writes.is_empty() {
        return out;
    }
    for b in behaviors_in_use(ev) {
        if d.origin(&b.target_origin_id).is_some() {
            continue;
        }
        let finding = META.finding(Severity::High, Confidence::Medium)
            .summary(format!(
                "Behavior {} targets {}, which is not a single origin (an origin group): {} cannot be allowed there.",
                b.label(),
                b.target_origin_id,
                writes.join(", ")
            ))
            .evidence([
                EvidenceItem::new(Source::Config, format!("{}.TargetOriginId", b.field_path()), &b.target_origin_id)
                    .expected("a single origin for paths that take writes"),
                EvidenceItem::new(Source::Config, "request.expect.methods", writes.join(", ")),
            ])
            .remediation(Remediation {
                fix: Fix::manual(
                    "a new cache behavior (its path pattern is the owner's) is not a field change this tool states as data",
                ),
                summary: "Add a cache behavior for the write paths whose TargetOriginId is a single origin, with all seven AllowedMethods.".into(),
                steps: vec![],
                cli: vec![update_cli(d)],
            })
            .resource("distribution", &d.id)
            .resource("behavior", b.label());
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, OriginProtocolPolicy, OriginResource};
    use crate::testing::*;

    fn ev(target: &str, methods: &[&str]) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.default_behavior.target_origin_id = target.into();
        e.request.expect.methods = methods.iter().map(|s| s.to_string()).collect();
        e
    }

    #[test]
    fn writes_on_an_origin_group_are_high() {
        assert_eq!(run(&ev("group-1", &["POST"])).findings[0].severity, Severity::High);
    }

    #[test]
    fn a_single_origin_or_reads_only_is_no_finding() {
        assert!(run(&ev("o1", &["POST"])).findings.is_empty());
        assert!(run(&ev("group-1", &["GET", "OPTIONS"])).findings.is_empty());
    }
}
