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

use super::inferred_needs::{self, Inferred};
use super::probe_view::{behavior_of, behaviors_in_use, describe, edge, first, last_response, shape_pairs, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix};
use super::fix_support::forward_all_viewer;
use crate::evidence::{Behavior, Distribution, Evidence, NameSet};
use crate::forwarding::{self, Forwarding};

pub static META: CheckMeta = CheckMeta {
    id: "params-not-forwarded",
    title: "The behavior drops headers, cookies or query strings the application needs",
    what_breaks: "Sessions, language, pagination, CORS or API keys are lost through CloudFront: login loops, 400/401/403 or wrong content.",
    why: "CloudFront forwards to the origin only the headers, cookies and query strings named by the behavior's cache and origin request policies (or legacy ForwardedValues).",
    evidence_used: &[
        "the behavior's CachePolicyId / OriginRequestPolicyId (managed policies are known) or ForwardedValues",
        "what the caller declared the application needs (expect.headers, expect.cookies, expect.query_strings)",
        "direct probes shaped as CloudFront sends them (reduced) and as the viewer sends them (everything kept)",
        "inferred needs, when not declared: the query strings of the probed paths when CloudFront's request without them fails where the viewer's succeeds; the request headers and cookies the origin's Vary names (a hint unless the answers differ)",
    ],
    fix: "Attach an origin request policy that forwards them (AllViewer / AllViewerExceptHostHeader, or a custom one listing them), or add them to the cache policy if they change the response.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html",
    explains: Explains::Symptoms(&[SymptomClass::OriginError]),
    module: module_path!(),
};

/// Whether a behavior forwards a header the origin's `Vary` names (`Cookie`: any cookie).
fn forwards_varied(f: &Forwarding, name: &str) -> bool {
    if name.eq_ignore_ascii_case("cookie") { f.cookies != NameSet::None } else { f.headers.contains(name) }
}

/// The origin's answer with `status` seen through the distribution (passed on, not CloudFront's page).
fn seen_through_cloudfront(ev: &Evidence, status: u16) -> Option<String> {
    edge(ev).find_map(|p| {
        let (h, r) = last_response(p)?;
        (r.status == status && r.cloudfront_error.is_none()).then(|| format!("{} → {status} (the origin's answer)", h.url))
    })
}

/// What the behavior forwards against what it should, and the inferred needs, marked so.
fn forwarding_evidence(
    b: &Behavior,
    f: &Forwarding,
    dropped: &str,
    queries: &[&Inferred<'_>],
    headers: &[&Inferred<'_>],
) -> Vec<EvidenceItem> {
    let mut evidence = vec![
        EvidenceItem::new(
            Source::Config,
            format!("{}.CachePolicyId / OriginRequestPolicyId", b.field_path()),
            format!("forwards: {}", f.sources.join(" + ")),
        )
        .expected(format!("to forward {dropped}")),
    ];
    if !queries.is_empty() {
        evidence.push(inferred_needs::evidence_item("query strings", queries));
    }
    if !headers.is_empty() {
        evidence.push(inferred_needs::evidence_item("headers", headers));
    }
    evidence
}

fn remediation(d: &Distribution, b: &Behavior, dropped: &str) -> Remediation {
    let mut r = Remediation {
        fix: match forward_all_viewer(d, b) {
            Some(change) => Fix::changes([Change::Config(change)]),
            None => Fix::manual(format!(
                "behavior {} has no single origin request policy change that forwards {dropped} (legacy ForwardedValues, or it is already attached)",
                b.label()
            )),
        },
        summary: format!(
            "Set {}.OriginRequestPolicyId to b689b0a8-53d0-40ab-baf2-68738e2966ac (AllViewerExceptHostHeader) or a custom origin request policy that includes {dropped}.",
            b.field_path()
        ),
        steps: vec![
            "If the response depends on them, add them to the cache policy's cache key instead (they are then forwarded too).".into(),
        ],
        cli: vec![update_cli(d)],
    };
    r.cli = r.fix.cli_or(d, std::mem::take(&mut r.cli));
    r
}

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
    let declared = !(e.headers.is_empty() && e.cookies.is_empty() && e.query_strings.is_empty());
    // Inferred needs, those the caller did not declare (Host and Authorization have their own checks).
    let queries: Vec<Inferred<'_>> =
        inferred_needs::query_strings(ev).into_iter().filter(|q| !e.query_strings.contains(&q.name)).collect();
    let varied: Vec<Inferred<'_>> = inferred_needs::varied(ev)
        .into_iter()
        .filter(|v| !["host", "authorization"].contains(&v.name.to_ascii_lowercase().as_str()))
        .filter(|v| {
            if v.name.eq_ignore_ascii_case("cookie") {
                e.cookies.is_empty()
            } else {
                !e.headers.iter().any(|h| h.eq_ignore_ascii_case(&v.name))
            }
        })
        .collect();
    let mut behaviors = behaviors_in_use(ev);
    for n in queries.iter().chain(&varied) {
        if !behaviors.iter().any(|b| std::ptr::eq(*b, n.behavior)) {
            behaviors.push(n.behavior);
        }
    }
    for b in behaviors {
        let here = |v: &[Inferred<'_>]| v.iter().any(|n| std::ptr::eq(n.behavior, b) && n.refused);
        let inferred_refusal = here(&queries) || here(&varied);
        let hinted = varied.iter().any(|n| std::ptr::eq(n.behavior, b));
        if !declared && !inferred_refusal && !hinted {
            continue;
        }
        let f = match forwarding::for_behavior(b) {
            Ok(f) => f,
            // A Vary hint alone does not need the note.
            Err(_) if !declared && !inferred_refusal => continue,
            Err(err) => {
                out.unverified(&META, format!("what behavior {} forwards", b.label()), err.to_string());
                continue;
            }
        };
        let inferred_queries: Vec<&Inferred<'_>> = queries
            .iter()
            .filter(|n| std::ptr::eq(n.behavior, b) && n.refused && !f.query_strings.contains(&n.name))
            .collect();
        let inferred_headers: Vec<&Inferred<'_>> = varied
            .iter()
            .filter(|n| std::ptr::eq(n.behavior, b) && n.refused && !forwards_varied(&f, &n.name))
            .collect();
        if let Some(finding) = declared_finding(ev, b, &f, &inferred_queries, &inferred_headers) {
            out.push(finding);
        } else if !inferred_queries.is_empty() || !inferred_headers.is_empty() {
            inferred_finding(ev, b, &f, &inferred_queries, &inferred_headers, &mut out);
        } else {
            let hints: Vec<&Inferred<'_>> =
                varied.iter().filter(|n| std::ptr::eq(n.behavior, b) && !forwards_varied(&f, &n.name)).collect();
            if !hints.is_empty() {
                out.push(vary_hint(d, b, &f, &hints));
            }
        }
    }
    out
}

/// What the caller declared and the behavior drops, judged as declared (with the inferred
/// needs of the same behavior named alongside, marked as inferred).
fn declared_finding(
    ev: &Evidence,
    b: &Behavior,
    f: &Forwarding,
    inferred_queries: &[&Inferred<'_>],
    inferred_headers: &[&Inferred<'_>],
) -> Option<super::FindingBuilder> {
    let d = &ev.inventory.distribution;
    let e = &ev.request.expect;
    let headers: Vec<&String> = e
        .headers
        .iter()
        .filter(|h| !h.eq_ignore_ascii_case("host") && !h.eq_ignore_ascii_case("authorization"))
        .filter(|h| !f.headers.contains(h))
        .collect();
    let cookies: Vec<&String> = e.cookies.iter().filter(|c| !f.cookies.contains(c)).collect();
    let queries: Vec<&String> = e.query_strings.iter().filter(|q| !f.query_strings.contains(q)).collect();
    if headers.is_empty() && cookies.is_empty() && queries.is_empty() {
        return None;
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
    let names = |v: &[&Inferred<'_>]| v.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ");
    if !inferred_queries.is_empty() {
        dropped.push(format!("query strings {} (inferred)", names(inferred_queries)));
    }
    if !inferred_headers.is_empty() {
        dropped.push(format!("headers {} (inferred)", names(inferred_headers)));
    }
    let dropped = dropped.join("; ");
    let mut evidence = forwarding_evidence(b, f, &dropped, inferred_queries, inferred_headers);
    // Probe comparison: the reduced request fails where the full one works.
    let mut observed_diff = false;
    let mut failing_status = None;
    for pair in shape_pairs(ev) {
        if !std::ptr::eq(behavior_of(d, pair.cf), b) {
            continue;
        }
        if let (Some(cf), Some(v)) = (first(pair.cf), pair.viewer.and_then(first)) {
            if cf.status != v.status {
                observed_diff = true;
                failing_status = (cf.status >= 400).then_some(cf.status);
                evidence.push(EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", describe(pair.cf)));
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
    let seen = failing_status.and_then(|status| seen_through_cloudfront(ev, status));
    if let Some(s) = &seen {
        evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
    }
    Some(
        META.finding(
            if seen.is_some() { Severity::Critical } else { Severity::High },
            if observed_diff { Confidence::High } else { Confidence::Medium },
        )
        .observed(seen.is_some())
        .summary(format!(
            "Behavior {} does not forward the {dropped} the application needs; the origin never receives them through CloudFront.",
            b.label()
        ))
        .evidence(evidence)
        .remediation(remediation(d, b, &dropped))
        .resource("distribution", &d.id)
        .resource("behavior", b.label()),
    )
}

/// Nothing declared is dropped, but CloudFront's request failed at the origin where the
/// viewer's succeeded, and it went without query strings of the probed path (or headers the
/// origin's `Vary` names) that the behavior does not forward: they are the likely cause.
/// Medium confidence: CloudFront's User-Agent differed too, and no probe sent CloudFront's
/// shape with them kept, which is said as not verified.
fn inferred_finding(
    ev: &Evidence,
    b: &Behavior,
    f: &Forwarding,
    queries: &[&Inferred<'_>],
    headers: &[&Inferred<'_>],
    out: &mut CheckOutput,
) {
    let d = &ev.inventory.distribution;
    let names = |v: &[&Inferred<'_>]| v.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ");
    let mut dropped = Vec::new();
    let mut hints = Vec::new();
    if !queries.is_empty() {
        dropped.push(format!("{} {}", if queries.len() == 1 { "query string" } else { "query strings" }, names(queries)));
        hints.push(inferred_needs::declare_hint("query", queries));
    }
    if !headers.is_empty() {
        dropped.push(format!("{} {}", if headers.len() == 1 { "header" } else { "headers" }, names(headers)));
        hints.push(inferred_needs::declare_hint("header", headers));
    }
    let dropped = dropped.join("; ");
    let mut evidence = forwarding_evidence(b, f, &dropped, queries, headers);
    let failing = shape_pairs(ev).into_iter().find_map(|pair| {
        if !std::ptr::eq(behavior_of(d, pair.cf), b) {
            return None;
        }
        let (cf, v) = inferred_needs::fails_only_as_cloudfront(ev, &pair)?;
        Some((pair, cf.status, v.status))
    });
    let mut answers = String::new();
    if let Some((pair, cf_status, v_status)) = &failing {
        evidence.push(EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", describe(pair.cf)));
        if let Some(v) = pair.viewer {
            evidence.push(EvidenceItem::new(Source::Probe, "origin, as the viewer sends it", describe(v)));
        }
        let them = if queries.len() + headers.len() == 1 { "it" } else { "them" };
        answers = format!(
            ": origin {} answers {cf_status} to CloudFront's request without {them} and {v_status} to the viewer's with {them}",
            pair.origin_id
        );
    }
    let seen = failing.as_ref().and_then(|(_, status, _)| seen_through_cloudfront(ev, *status));
    if let Some(s) = &seen {
        evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
    }
    out.push(
        META.finding(if seen.is_some() { Severity::Critical } else { Severity::High }, Confidence::Medium)
            .observed(seen.is_some())
            .summary(format!(
                "Behavior {} does not forward the {dropped} the application reads{answers}. This need is {}.",
                b.label(),
                hints.join("; ")
            ))
            .evidence(evidence)
            .remediation(remediation(d, b, &dropped))
            .resource("distribution", &d.id)
            .resource("behavior", b.label()),
    );
    // The request ladder, where it ran, sends CloudFront's request with each difference apart.
    if !super::ladder_view::decided(ev, &b.target_origin_id) {
        out.unverified(
            &META,
            format!("which difference the origin refuses: the missing {dropped}, or CloudFront's User-Agent and Via"),
            "no probe sent CloudFront's request shape with them kept",
        );
    }
}

/// The origin's `Vary` names headers or cookies the behavior does not forward, and nothing
/// failed because of it: a hint (the answer depends on what the origin never receives through
/// CloudFront), never a cause.
fn vary_hint(d: &Distribution, b: &Behavior, f: &Forwarding, hints: &[&Inferred<'_>]) -> super::FindingBuilder {
    let names: Vec<&str> = hints.iter().map(|n| n.name.as_str()).collect();
    let dropped = format!("headers {}", names.join(", "));
    META.finding(Severity::Info, Confidence::Low)
        .summary(format!(
            "The origin's answers vary on {} (Vary), which behavior {} does not forward: through CloudFront the origin always answers as if they were absent. If the application needs them, this need is {}.",
            names.join(", "),
            b.label(),
            inferred_needs::declare_hint("header", hints)
        ))
        .evidence([
            EvidenceItem::new(
                Source::Config,
                format!("{}.CachePolicyId / OriginRequestPolicyId", b.field_path()),
                format!("forwards: {}", f.sources.join(" + ")),
            ),
            inferred_needs::evidence_item("headers", hints),
        ])
        .remediation(remediation(d, b, &dropped))
        .resource("distribution", &d.id)
        .resource("behavior", b.label())
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

    const EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

    /// Nothing declared; the probed path `/search?q=x`, CloudFront's request without the query.
    fn searched(orp: Option<&str>, cf_status: u16, viewer_status: u16) -> Evidence {
        let mut e = ev(orp);
        e.request.expect = Default::default();
        e.request.paths = vec!["/search?q=x".into()];
        let mut cf = origin_probe(
            RequestShape::Cloudfront,
            "app.example.com",
            "/search?q=x",
            HopResult::Response(response(cf_status, &[])),
        );
        cf.hops[0].url = "http://app-1.us-east-1.elb.amazonaws.com/search".into();
        e.observations.probes.push(cf);
        e.observations.probes.push(origin_probe(
            RequestShape::Viewer,
            "app.example.com",
            "/search?q=x",
            HopResult::Response(response(viewer_status, &[])),
        ));
        e
    }

    #[test]
    fn a_query_string_of_the_path_dropped_where_the_answers_differ_is_an_inferred_need() {
        let mut e = searched(None, 400, 200);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence, f.observed), (Severity::High, Confidence::Medium, false));
        assert!(f.summary.contains("query string q "), "{}", f.summary);
        assert!(f.summary.contains("answers 400 to CloudFront's request without it and 200"), "{}", f.summary);
        assert!(f.summary.contains("declare it with --expect-query q"), "{}", f.summary);
        assert!(f.evidence.iter().any(|x| x.subject == inferred_needs::INFERRED_SUBJECT && x.observed.contains("/search?q=x")));
        assert_eq!(out.unverified.len(), 1, "what the probes lacked is said");
        // The origin's 400 seen through CloudFront.
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            crate::evidence::Scheme::Https,
            "GET",
            "/search?q=x",
            HopResult::Response(response(400, &[])),
        ));
        let f = &run(&e).findings[0];
        assert_eq!((f.severity, f.confidence, f.observed), (Severity::Critical, Confidence::Medium, true));
    }

    #[test]
    fn a_forwarded_query_or_the_same_answers_or_a_declared_one_is_not_inferred() {
        let out = run(&searched(Some(EXCEPT_HOST), 400, 200));
        assert!(out.findings.is_empty() && out.unverified.is_empty());
        let out = run(&searched(None, 200, 200));
        assert!(out.findings.is_empty() && out.unverified.is_empty(), "dropped, but the answers agree");
        let out = run(&searched(None, 400, 400));
        assert!(out.findings.is_empty());
        // Declared, it is judged as declared: high confidence from the differing answers.
        let mut e = searched(None, 400, 200);
        e.request.expect.query_strings = vec!["q".into()];
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::High);
        assert!(!out.findings[0].summary.contains("inferred"), "{}", out.findings[0].summary);
        assert!(out.unverified.is_empty());
    }

    #[test]
    fn vary_on_what_the_behavior_drops_is_an_info_hint_and_a_cause_only_when_the_answers_differ() {
        let mut e = ev(None);
        e.request.expect = Default::default();
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "app.example.com",
            "/",
            HopResult::Response(response(200, &[("Vary", "Accept-Encoding, Accept-Language, Cookie")])),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::Info, Confidence::Low));
        assert!(f.summary.contains("vary on Accept-Language, Cookie"), "{}", f.summary);
        assert!(f.summary.contains("--expect-header Accept-Language --expect-cookie <name>"), "{}", f.summary);
        assert!(out.unverified.is_empty());
        // Forwarded: nothing.
        e.inventory.distribution.default_behavior.origin_request_policy_id = Some(EXCEPT_HOST.into());
        assert!(run(&e).findings.is_empty());

        // CloudFront's request lacks Accept and gets 406; the viewer's has it and gets 200.
        let mut e = ev(None);
        e.request.expect = Default::default();
        let header = |n: &str, v: &str| crate::evidence::Header { name: n.into(), value: v.into() };
        let mut cf = origin_probe(
            RequestShape::Cloudfront,
            "app.example.com",
            "/",
            HopResult::Response(response(406, &[("Vary", "Accept")])),
        );
        cf.request_headers = vec![header("User-Agent", "Amazon CloudFront")];
        let mut v = origin_probe(
            RequestShape::Viewer,
            "app.example.com",
            "/",
            HopResult::Response(response(200, &[("Vary", "Accept")])),
        );
        v.request_headers = vec![header("User-Agent", "cf-origin-doctor"), header("Accept", "*/*")];
        e.observations.probes.extend([cf, v]);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::Medium));
        assert!(f.summary.contains("header Accept the application reads"), "{}", f.summary);
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
