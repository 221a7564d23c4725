//! `params-not-forwarded`: the application needs a header, cookie or query-string parameter
//! that the behavior does not forward to the origin.
//!
//! With a cache policy, CloudFront forwards only what the cache policy and the origin request
//! policy name (CachingOptimized alone forwards nothing); with legacy settings, only what
//! `ForwardedValues` lists. The application then loses sessions (cookies), language or
//! pagination (query strings), CORS (Origin) or API keys (headers): login loops, 400/403,
//! the same page for every query.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html>

use super::probe_view::{behaviors_in_use, describe, first, shape_pairs, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::Evidence;
use crate::forwarding;

pub static META: CheckMeta = CheckMeta {
    id: "params-not-forwarded",
    title: "The behavior drops headers, cookies or query strings the application needs",
    what_breaks: "Sessions, language, pagination, CORS or API keys are lost through CloudFront: login loops, 400/401/403 or wrong content.",
    why: "CloudFront forwards to the origin only the headers, cookies and query strings named by the behavior's cache and origin request policies (or legacy ForwardedValues).",
    evidence_used: &[
        "the behavior's CachePolicyId / OriginRequestPolicyId (managed policies are known) or ForwardedValues",
        "what the caller declared the application needs (expect.headers, expect.cookies, expect.query_strings)",
        "direct probes shaped as CloudFront sends them (reduced) and as the viewer sends them (everything kept)",
    ],
    fix: "Attach an origin request policy that forwards them (AllViewer / AllViewerExceptHostHeader, or a custom one listing them), or add them to the cache policy if they change the response.",
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html",
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
    let e = &ev.request.expect;
    if e.headers.is_empty() && e.cookies.is_empty() && e.query_strings.is_empty() {
        return out;
    }
    for b in behaviors_in_use(ev) {
        let f = match forwarding::for_behavior(b) {
            Ok(f) => f,
            Err(err) => {
                out.unverified(&META, format!("what behavior {} forwards", b.label()), err.to_string());
                continue;
            }
        };
        // Host and Authorization have their own checks.
        let headers: Vec<&String> = e
            .headers
            .iter()
            .filter(|h| !h.eq_ignore_ascii_case("host") && !h.eq_ignore_ascii_case("authorization"))
            .filter(|h| !f.headers.contains(h))
            .collect();
        let cookies: Vec<&String> = e.cookies.iter().filter(|c| !f.cookies.contains(c)).collect();
        let queries: Vec<&String> = e.query_strings.iter().filter(|q| !f.query_strings.contains(q)).collect();
        if headers.is_empty() && cookies.is_empty() && queries.is_empty() {
            continue;
        }
        let mut dropped = Vec::new();
        let join = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        if !headers.is_empty() {
            dropped.push(format!("headers {}", join(&headers)));
        }
        if !cookies.is_empty() {
            dropped.push(format!("cookies {}", join(&cookies)));
        }
        if !queries.is_empty() {
            dropped.push(format!("query strings {}", join(&queries)));
        }
        let dropped = dropped.join("; ");
        let mut evidence = vec![
            EvidenceItem::new(
                Source::Config,
                format!("{}.CachePolicyId / OriginRequestPolicyId", b.field_path()),
                format!("forwards: {}", f.sources.join(" + ")),
            )
            .expected(format!("to forward {dropped}")),
        ];
        // Probe comparison: the reduced request fails where the full one works.
        let mut observed_diff = false;
        let mut failing_status = None;
        for pair in shape_pairs(ev) {
            if !std::ptr::eq(super::probe_view::behavior_of(d, pair.cf), b) {
                continue;
            }
            if let (Some(cf), Some(v)) = (first(pair.cf), pair.viewer.and_then(first)) {
                if cf.status != v.status {
                    observed_diff = true;
                    failing_status = (cf.status >= 400).then_some(cf.status);
                    evidence.push(EvidenceItem::new(
                        Source::Probe,
                        "origin, as CloudFront sends it",
                        describe(pair.cf),
                    ));
                    evidence.push(EvidenceItem::new(
                        Source::Probe,
                        "origin, as the viewer sends it",
                        describe(pair.viewer.unwrap_or(pair.cf)),
                    ));
                    break;
                }
            }
        }
        // The same failure seen through CloudFront (the origin's answer, passed through).
        let seen = failing_status.and_then(|status| {
            super::probe_view::edge(ev).find_map(|p| {
                let (h, r) = super::probe_view::last_response(p)?;
                (r.status == status && r.cloudfront_error.is_none())
                    .then(|| format!("{} → {status} (the origin's answer)", h.url))
            })
        });
        if let Some(s) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
        }
        let finding = META.finding(if seen.is_some() { Severity::Critical } else { Severity::High },
            if observed_diff { Confidence::High } else { Confidence::Medium },
        )
        .observed(seen.is_some())
            .summary(format!(
                "Behavior {} does not forward the {dropped} the application needs; the origin never receives them through CloudFront.",
                b.label()
            ))
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!(
                    "Set {}.OriginRequestPolicyId to b689b0a8-53d0-40ab-baf2-68738e2966ac (AllViewerExceptHostHeader) or a custom origin request policy that includes {dropped}.",
                    b.field_path()
                ),
                steps: vec![
                    "If the response depends on them, add them to the cache policy's cache key instead (they are then forwarded too).".into(),
                ],
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
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, RequestShape};
    use crate::testing::*;

    fn ev(orp: Option<&str>) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.default_behavior.origin_request_policy_id = orp.map(str::to_string);
        e.request.expect.cookies = vec!["session".into()];
        e.request.expect.query_strings = vec!["lang".into()];
        e
    }

    #[test]
    fn caching_optimized_alone_drops_the_cookie_and_query() {
        let mut e = ev(None);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("cookies session") && out.findings[0].summary.contains("lang"));
        assert_eq!(out.findings[0].confidence, Confidence::Medium);
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "app.example.com",
            "/",
            HopResult::Response(response(400, &[])),
        ));
        e.observations.probes.push(origin_probe(
            RequestShape::Viewer,
            "www.example.com",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        assert_eq!(run(&e).findings[0].confidence, Confidence::High);
    }

    #[test]
    fn all_viewer_except_host_forwards_them_and_custom_policies_are_unverified() {
        assert!(run(&ev(Some("b689b0a8-53d0-40ab-baf2-68738e2966ac"))).findings.is_empty());
        let out = run(&ev(Some("00000000-custom")));
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
        let mut e = ev(None);
        e.request.expect = Default::default();
        assert!(run(&e).findings.is_empty());
    }
}
