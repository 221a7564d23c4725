//! `origin-rejects-cloudfront-shaped-requests`: the origin refuses requests because of how
//! CloudFront shapes them (its User-Agent, `Via`, `X-Forwarded-For`), not because of Host or
//! missing parameters.
//!
//! Bot filters that block `User-Agent: Amazon CloudFront`, rate limits per source address (all
//! viewers arrive from CloudFront's addresses), IP allow-lists and proxy-detection rules answer
//! 403/429/400 to CloudFront while a browser straight to the origin is served.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-user-agent-header>

use super::inferred_needs::dropped_by_cloudfront;
use super::probe_view::{describe, edge, first, is_success, last_response, shape_pairs};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "origin-rejects-cloudfront-shaped-requests",
    title: "The origin rejects CloudFront's requests (User-Agent, Via, source address)",
    what_breaks: "Through CloudFront the origin answers 403/429/400; a browser straight to the origin is served.",
    why: "CloudFront sends User-Agent: Amazon CloudFront (unless forwarded), adds Via and X-Forwarded-For, and connects from its own addresses; origin-side bot, proxy or rate rules react to that.",
    evidence_used: &[
        "direct probes as CloudFront sends them and as the viewer sends them, with the same Host",
        "probes through the distribution",
    ],
    fix: "Allow CloudFront's User-Agent and address ranges in the origin's bot/WAF rules, forward User-Agent if the app needs it, and read the client address from X-Forwarded-For / CloudFront-Viewer-Address.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-user-agent-header",
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
        let (Some(cf), Some(v)) = (first(pair.cf), pair.viewer.and_then(first)) else {
            continue;
        };
        if !matches!(cf.status, 400 | 403 | 406 | 429) || cf.cloudfront_error.is_some() || !is_success(v) {
            continue;
        }
        let same_host = pair.cf.hops.first().map(|h| h.host_header.to_ascii_lowercase())
            == pair.viewer.and_then(|p| p.hops.first()).map(|h| h.host_header.to_ascii_lowercase());
        let origin_path = d.origin(pair.origin_id).map(|o| o.origin_path.as_str()).unwrap_or("");
        // With another Host, the viewer's request carrying CloudFront's Host must work too.
        let host_cleared = same_host || pair.viewer_cf_host.and_then(first).is_some_and(is_success);
        if !host_cleared || !origin_path.is_empty() || done.contains(&pair.origin_id) {
            continue; // Host or OriginPath differ: other checks explain it.
        }
        if !dropped_by_cloudfront(&pair).is_empty() {
            continue; // It also went without query strings, cookies or headers: params-not-forwarded.
        }
        done.push(pair.origin_id);
        let seen = edge(ev).find_map(|p| {
            let (h, r) = last_response(p)?;
            (r.status == cf.status && r.cloudfront_error.is_none())
                .then(|| format!("{} → {} (the origin's answer)", h.url, r.status))
        });
        let mut evidence = vec![
            EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", describe(pair.cf))
                .expected("the answer the viewer-shaped request got"),
            EvidenceItem::new(
                Source::Probe,
                "origin, as the viewer sends it (same Host)",
                describe(pair.viewer.unwrap_or(pair.cf)),
            ),
        ];
        if let Some(s) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
        }
        let finding = META.finding(if seen.is_some() { Severity::Critical } else { Severity::High }, Confidence::Medium)
            .summary(format!(
                "Origin {} answers {} to CloudFront's request shape (User-Agent: Amazon CloudFront, Via, X-Forwarded-For) and {} to a viewer's with the same Host.",
                pair.origin_id, cf.status, v.status
            ))
            .observed(seen.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Origin {
                    part: OriginPart::Firewall,
                    what: format!(
                        "allow User-Agent \"Amazon CloudFront\" and CloudFront's origin-facing ranges in origin {}'s bot, WAF and rate-limit rules",
                        pair.origin_id
                    ),
                }]),
                summary: "Allow User-Agent \"Amazon CloudFront\" and CloudFront's origin-facing address ranges in the origin's bot, WAF and rate-limit rules.".into(),
                steps: vec![
                    "Or forward the viewer's User-Agent with an origin request policy (e.g. UserAgentRefererHeaders).".into(),
                    "Take the client address from X-Forwarded-For or CloudFront-Viewer-Address, not from the connection.".into(),
                ],
                cli: vec![],
            })
            .resource("distribution", &d.id)
            .resource("origin", pair.origin_id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, RequestShape};
    use crate::testing::*;

    fn ev(cf: u16, viewer_host: &str) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "www.example.com",
            "/",
            HopResult::Response(response(cf, &[])),
        ));
        e.observations.probes.push(origin_probe(
            RequestShape::Viewer,
            viewer_host,
            "/",
            HopResult::Response(response(200, &[])),
        ));
        e
    }

    #[test]
    fn refused_with_the_same_host_is_a_finding() {
        assert_eq!(run(&ev(403, "www.example.com")).findings[0].severity, Severity::High);
    }

    #[test]
    fn a_host_difference_cleared_by_the_cloudfront_host_twin_is_a_finding() {
        let mut e = ev(403, "other.example.com");
        e.observations.probes.push(origin_probe(
            RequestShape::ViewerWithCloudfrontHost,
            "www.example.com",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        assert_eq!(run(&e).findings.len(), 1);
    }

    #[test]
    fn a_request_that_also_dropped_what_the_viewer_kept_cannot_blame_the_user_agent() {
        let mut e = ev(400, "www.example.com");
        for p in &mut e.observations.probes {
            p.viewer_path = Some("/search?q=x".into());
        }
        e.observations.probes[1].hops[0].url.push_str("search?q=x");
        assert!(run(&e).findings.is_empty(), "the dropped query string may be the cause");
        e.observations.probes[0].hops[0].url.push_str("search?q=x");
        assert_eq!(run(&e).findings.len(), 1, "kept by both: the shape is what differs");
    }

    #[test]
    fn a_host_difference_or_success_is_no_finding() {
        assert!(run(&ev(403, "other.example.com")).findings.is_empty());
        assert!(run(&ev(200, "www.example.com")).findings.is_empty());
    }
}
