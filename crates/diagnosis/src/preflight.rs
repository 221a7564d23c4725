//! Pre-flight of a proposed configuration: the checks and the verdict run on the proposed
//! configuration's evidence, and its findings are compared with the live run's.
//!
//! A finding is the same in both runs when its id and its resources match (the resources name
//! the origin, behavior, listener or group it is about). The proposed configuration is not
//! deployed: only its origins were probed, as CloudFront would reach them under it, so a live
//! finding that the proposed run could not re-check (its check said what it lacked) is not
//! counted as removed.

use crate::checks::{Finding, Resource, Severity};
use crate::evidence::{DnsRole, Evidence, ProbeTarget};
use crate::verdict::{self, Verdict};

/// What the report says of a pre-flight's probes.
pub const NOT_DEPLOYED: &str = "The proposed configuration is not deployed: its origins were probed as CloudFront would reach them under it, but no viewer request went through the distribution (the edge-side checks could not re-check it).";

/// What the pre-flight found: the proposed configuration's own verdict and how its findings
/// differ from the live configuration's.
#[derive(Debug, Clone)]
pub struct Preflight {
    /// The proposed configuration's evidence, as a diagnosis of its own.
    pub evidence: Evidence,
    pub verdict: Verdict,
    /// Findings of the proposed configuration the live one does not have.
    pub introduced: Vec<Finding>,
    /// Live findings the proposed configuration no longer has.
    pub removed: Vec<Finding>,
    /// Findings of both (as the proposed run states them).
    pub unchanged: Vec<Finding>,
    /// Live findings the proposed run could not re-check without a deployed distribution.
    pub not_rechecked: Vec<Finding>,
}

impl Preflight {
    /// Whether the proposed configuration introduces a finding at or above `level`.
    pub fn introduces_at_or_above(&self, level: Severity) -> bool {
        self.introduced.iter().any(|f| f.severity >= level)
    }
}

/// The pre-flight of the proposed configuration the evidence carries, if any.
pub fn run(evidence: &Evidence, live: &Verdict) -> Option<Preflight> {
    let proposed = evidence.proposed()?;
    let outputs = crate::checks::run_all(&proposed);
    let mut verdict = verdict::decide(&proposed, outputs);
    if verdict.primary.is_none() && !verdict.symptom.seen {
        // Nothing went through the distribution by design: say what was checked instead of
        // "could not be probed".
        verdict.symptom.description = "not probed: the proposed configuration is not deployed".into();
        verdict.summary = match verdict.findings.iter().find(|f| f.severity >= Severity::Low) {
            Some(f) => format!("No failure found at the proposed configuration's origins; a latent risk: {}", f.summary),
            None => "No problem found in the proposed configuration or at its origins, reached as CloudFront would reach them under it.".into(),
        };
    }
    let (mut introduced, mut unchanged) = (Vec::new(), Vec::new());
    for f in &verdict.findings {
        if live.findings.iter().any(|l| same(l, f)) {
            unchanged.push(f.clone());
        } else {
            introduced.push(f.clone());
        }
    }
    // What the live run concludes from its origin-side evidence alone: a live finding that
    // needs the requests through the distribution cannot be judged for the proposal, which
    // has none, so its absence there is no removal.
    let origin_side = crate::checks::run_all(&origin_side(evidence));
    let (mut removed, mut not_rechecked) = (Vec::new(), Vec::new());
    for l in live.findings.iter().filter(|l| !verdict.findings.iter().any(|f| same(l, f))) {
        let needs_edge = !origin_side.findings.iter().any(|f| same(l, f));
        if needs_edge || verdict.unverified.iter().any(|u| u.check == l.id) {
            not_rechecked.push(l.clone());
        } else {
            removed.push(l.clone());
        }
    }
    // Worst first within each list (the verdict's rank order breaks ties).
    for list in [&mut introduced, &mut removed, &mut unchanged, &mut not_rechecked] {
        list.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
    Some(Preflight { evidence: proposed, verdict, introduced, removed, unchanged, not_rechecked })
}

/// The live evidence without what was sent through the distribution (the viewer requests and
/// the viewer names' DNS): what a proposal's evidence can hold.
fn origin_side(evidence: &Evidence) -> Evidence {
    let mut ev = Evidence { preflight: None, ..evidence.clone() };
    ev.observations.probes.retain(|p| matches!(p.target, ProbeTarget::Origin { .. }));
    ev.observations.dns.retain(|d| matches!(d.role, DnsRole::Origin { .. }));
    ev
}

fn same(a: &Finding, b: &Finding) -> bool {
    a.id == b.id && resources(&a.resources) == resources(&b.resources)
}

fn resources(r: &[Resource]) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = r.iter().map(|r| (r.kind.as_str(), r.id.as_str())).collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use crate::evidence::{Evidence, Fetch, OriginProtocolPolicy, ProposedEvidence};
    use crate::report::text::{Style, render, render_markdown};
    use crate::testing::{custom_origin, evidence, forward, listener, load_balancer, redirect_to_https};

    const LOOP: &str = "redirect-loop-origin-forces-https";

    /// A load balancer whose HTTP listener redirects to HTTPS, reached with `live` and, in the
    /// proposed configuration, with `proposed`.
    fn with_proposal(live: OriginProtocolPolicy, proposed: OriginProtocolPolicy) -> Evidence {
        let lb = load_balancer(
            "lb.example.com",
            vec![listener(80, "HTTP", redirect_to_https()), listener(443, "HTTPS", forward())],
        );
        let mut ev = evidence(custom_origin("app", "lb.example.com", live), Fetch::fetched(lb));
        let mut inventory = ev.inventory.clone();
        inventory.distribution.origins[0] = custom_origin("app", "lb.example.com", proposed);
        ev.preflight = Some(Box::new(ProposedEvidence {
            source: "proposed.json".into(),
            etag: Some("E2QWRUHAPOMQZL".into()),
            inventory,
            observations: ev.observations.clone(),
        }));
        ev
    }

    #[test]
    fn a_change_that_breaks_the_origin_is_reported_as_introducing_its_finding() {
        let d = crate::evaluate(with_proposal(OriginProtocolPolicy::HttpsOnly, OriginProtocolPolicy::HttpOnly));
        assert!(!d.verdict.findings.iter().any(|f| f.id == LOOP), "the live configuration is fine");
        let p = d.preflight.as_ref().expect("a pre-flight");
        assert_eq!(p.introduced.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), [LOOP]);
        assert!(p.removed.is_empty() && p.not_rechecked.is_empty());
        assert!(p.introduces_at_or_above(crate::checks::Severity::High));
        let r = d.report.preflight.as_ref().expect("the report's section");
        assert_eq!(r.introduced[0].id, LOOP);
        assert_eq!(r.verdict.primary.as_deref(), Some(LOOP));
        assert_eq!((r.source.as_str(), r.etag.as_deref()), ("proposed.json", Some("E2QWRUHAPOMQZL")));
        let text = render(&d.report, Style { color: false });
        let first = text.lines().position(|l| l.starts_with("Pre-flight of the proposed configuration (proposed.json"));
        assert_eq!(first, Some(0), "first: {text}");
        assert!(text.contains(&format!("  introduces {LOOP} (")), "{text}");
        assert!(text.contains("not deployed"), "{text}");
        let md = render_markdown(&d.report);
        assert!(md.starts_with("## Pre-flight of the proposed configuration"), "{md}");
        assert!(md.contains(&format!("- introduces {LOOP} (")), "{md}");
    }

    #[test]
    fn a_change_that_fixes_it_is_reported_as_removing_the_finding() {
        let d = crate::evaluate(with_proposal(OriginProtocolPolicy::HttpOnly, OriginProtocolPolicy::HttpsOnly));
        assert!(d.verdict.findings.iter().any(|f| f.id == LOOP), "the live configuration loops");
        let p = d.preflight.as_ref().expect("a pre-flight");
        assert!(p.removed.iter().any(|f| f.id == LOOP), "{:?}", p.removed);
        assert!(!p.introduces_at_or_above(crate::checks::Severity::Info), "{:?}", p.introduced);
        let r = d.report.preflight.as_ref().unwrap();
        assert!(
            r.verdict.summary.starts_with("No problem found in the proposed configuration"),
            "{}",
            r.verdict.summary
        );
        assert_eq!(r.verdict.symptom, "not probed: the proposed configuration is not deployed");
        let text = render(&d.report, Style { color: false });
        assert!(text.contains(&format!("  removes {LOOP} (")), "{text}");
    }

    #[test]
    fn a_live_finding_seen_only_through_the_distribution_is_not_counted_as_removed() {
        use crate::evidence::CloudFrontReason;
        use crate::testing::{cloudfront_page, push_edge_get};
        let mut ev = with_proposal(OriginProtocolPolicy::HttpsOnly, OriginProtocolPolicy::HttpsOnly);
        let acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1";
        ev.inventory.distribution.web_acl_id = Some(acl.into());
        ev.preflight.as_mut().unwrap().inventory.distribution.web_acl_id = Some(acl.into());
        let blocked = cloudfront_page(403, CloudFrontReason::RequestBlocked);
        push_edge_get(&mut ev, blocked);
        let d = crate::evaluate(ev);
        let waf = "edge-access-controls-block";
        assert!(d.verdict.findings.iter().any(|f| f.id == waf), "the live run sees the block");
        let p = d.preflight.as_ref().unwrap();
        assert!(p.not_rechecked.iter().any(|f| f.id == waf), "{:?}", p.not_rechecked);
        assert!(!p.removed.iter().any(|f| f.id == waf), "{:?}", p.removed);
        let text = render(&d.report, Style { color: false });
        assert!(text.contains(&format!("cannot re-check before deployment {waf} (")), "{text}");
    }

    #[test]
    fn an_unchanged_configuration_keeps_its_findings_and_a_recorded_pre_flight_replays_alike() {
        let ev = with_proposal(OriginProtocolPolicy::HttpOnly, OriginProtocolPolicy::HttpOnly);
        let json = serde_json::to_string(&ev).unwrap();
        let d = crate::evaluate(serde_json::from_str(&json).unwrap());
        let p = d.preflight.as_ref().expect("a pre-flight");
        assert!(p.unchanged.iter().any(|f| f.id == LOOP));
        assert!(p.introduced.is_empty() && p.removed.is_empty());
        let again = crate::evaluate(ev);
        assert_eq!(
            serde_json::to_value(&again.report.preflight).unwrap(),
            serde_json::to_value(&d.report.preflight).unwrap()
        );
        // Evidence without a pre-flight has none, and its file does not name the field.
        let plain = with_proposal(OriginProtocolPolicy::HttpOnly, OriginProtocolPolicy::HttpOnly);
        let plain = Evidence { preflight: None, ..plain };
        assert!(!serde_json::to_string(&plain).unwrap().contains("preflight"));
        assert!(crate::evaluate(plain).report.preflight.is_none());
    }
}
