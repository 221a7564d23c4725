//! `authorization-stripped`: the origin needs the `Authorization` header and the behavior does
//! not forward it.
//!
//! CloudFront removes `Authorization` from origin requests unless the cache policy or the origin
//! request policy includes it (the AllViewer policies do; CachingOptimized alone forwards
//! nothing). The origin then
//! answers 401 with `WWW-Authenticate` to every authenticated call through CloudFront.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-forward-authorization>

use super::inferred_needs;
use super::probe_view::{behaviors_in_use, edge, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use super::fix_support::authorization_fix;
use crate::evidence::{Behavior, Distribution, Evidence};
use crate::forwarding;

pub static META: CheckMeta = CheckMeta {
    id: "authorization-stripped",
    title: "CloudFront strips the Authorization header the origin needs",
    what_breaks: "Authenticated requests get 401 through CloudFront while the same token works against the origin.",
    why: "CloudFront forwards Authorization only when the cache policy or origin request policy names it; otherwise the origin sees an anonymous request.",
    evidence_used: &[
        "the behavior's cache and origin request policies (is Authorization forwarded?)",
        "expect.headers containing Authorization",
        "origin answers with 401 / WWW-Authenticate (direct and through the distribution); when Authorization was not declared, a 401 challenge to CloudFront's request is an inferred need",
    ],
    fix: "Add Authorization to the behavior's cache policy (keeps per-user responses apart in the cache), or disable caching (CachingDisabled) with an origin request policy that forwards every viewer header (AllViewer or AllViewerExceptHostHeader).",
    fix_kinds: &[super::FixKind::OriginSide, super::FixKind::Typed],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-forward-authorization",
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
    let declared = ev.request.expect.headers.iter().any(|h| h.eq_ignore_ascii_case("authorization"));
    if !declared {
        return inferred(ev);
    }
    // The origin asks for credentials (direct probes, any shape).
    let challenge = ev.observations.probes.iter().find_map(|p| {
        let r = p.first_response()?;
        (matches!(p.target, crate::evidence::ProbeTarget::Origin { .. })
            && (r.status == 401 || r.header("www-authenticate").is_some()))
        .then(|| {
            format!(
                "{} {} → {} WWW-Authenticate: {}",
                p.method,
                p.hops[0].url,
                r.status,
                r.header("www-authenticate").unwrap_or("-")
            )
        })
    });
    let edge_401 = edge(ev).find_map(|p| {
        let (h, r) = last_response(p)?;
        (r.status == 401 && r.cloudfront_error.is_none()).then(|| format!("{} → 401 from the origin", h.url))
    });
    for b in behaviors_in_use(ev) {
        let forwards = match forwarding::for_behavior(b) {
            Ok(f) => f.forwards_authorization(),
            Err(e) => {
                out.unverified(&META, format!("whether behavior {} forwards Authorization", b.label()), e.to_string());
                continue;
            }
        };
        if forwards {
            continue;
        }
        let mut evidence = vec![
            not_forwarded(b),
            EvidenceItem::new(Source::Config, "request.expect.headers", "Authorization (declared needed)"),
        ];
        if let Some(c) = &challenge {
            evidence.push(EvidenceItem::new(Source::Probe, "origin", c.clone()));
        }
        if let Some(s) = &edge_401 {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
        }
        let observed = edge_401.is_some();
        let finding = META.finding(if observed { Severity::Critical } else { Severity::High },
            Confidence::High,
        )
        .summary(format!(
            "Behavior {} does not forward Authorization: the origin receives no credentials through CloudFront and answers 401.",
            b.label()
        ))
        .observed(observed)
        .evidence(evidence)
        .remediation(remediation(d, b))
        .resource("distribution", &d.id)
        .resource("behavior", b.label());
        out.push(finding);
    }
    out
}

fn not_forwarded(b: &Behavior) -> EvidenceItem {
    EvidenceItem::new(
        Source::Config,
        format!("{}.CachePolicyId / OriginRequestPolicyId", b.field_path()),
        "Authorization is not forwarded",
    )
    .expected("Authorization in the cache policy's headers or forwarded by the origin request policy")
}

fn remediation(d: &Distribution, b: &Behavior) -> Remediation {
    let mut r = Remediation {
        fix: authorization_fix(d, b),
        summary: format!(
            "Add Authorization to the headers of {}'s cache policy (a custom cache policy); an origin request policy cannot name it, and one that forwards every viewer header carries it only with caching disabled (CachingDisabled).",
            b.field_path()
        ),
        steps: vec!["Never cache per-user responses without Authorization in the cache key.".into()],
        cli: vec![update_cli(d)],
    };
    r.cli = r.fix.cli_or(d, std::mem::take(&mut r.cli));
    r
}

/// Without a declared need: a 401 challenge to CloudFront's request (`inferred_needs`) on a
/// behavior that strips Authorization. The probes send no credentials, so the 401 itself
/// proves nothing about forwarding; what it shows is that clients must answer with
/// Authorization there, and this behavior never passes it on. A behavior that forwards it
/// gives no finding, however often the origin asks. Medium confidence, never seen failing.
fn inferred(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for need in inferred_needs::authorization(ev) {
        let b = need.behavior;
        match forwarding::for_behavior(b) {
            Ok(f) if f.forwards_authorization() => continue,
            Ok(_) => {}
            Err(e) => {
                out.unverified(&META, format!("whether behavior {} forwards Authorization", b.label()), e.to_string());
                continue;
            }
        }
        let evidence = vec![
            not_forwarded(b),
            inferred_needs::evidence_item("header", &[&need]),
        ];
        let finding = META
            .finding(Severity::High, Confidence::Medium)
            .summary(format!(
                "Behavior {} does not forward Authorization, and the origin asks CloudFront's request for credentials ({}): viewers' credentials never reach it through CloudFront. This need is {}.",
                b.label(),
                need.clue,
                inferred_needs::declare_hint("header", &[&need])
            ))
            .evidence(evidence)
            .remediation(remediation(d, b))
            .resource("distribution", &d.id)
            .resource("behavior", b.label());
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, RequestShape, Scheme};
    use crate::testing::*;

    const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

    fn ev(orp: Option<&str>, declared: bool) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.default_behavior.origin_request_policy_id = orp.map(str::to_string);
        if orp.is_some() {
            // Every viewer header includes Authorization only while caching is disabled.
            e.inventory.distribution.default_behavior.cache_policy_id = Some(CACHING_DISABLED.into());
        }
        if declared {
            e.request.expect.headers = vec!["Authorization".into()];
        }
        e
    }

    fn challenged(shape: RequestShape, path: &str, headers: &[(&str, &str)]) -> crate::evidence::ProbeRecord {
        origin_probe(shape, "app.example.com", path, HopResult::Response(response(401, headers)))
    }

    #[test]
    fn declared_without_forwarding_is_a_finding_and_seen_failing_is_critical() {
        let out = run(&ev(None, true));
        assert_eq!((out.findings[0].severity, out.findings[0].confidence), (Severity::High, Confidence::High));
        let mut e = ev(None, true);
        e.observations.probes.push(challenged(RequestShape::Cloudfront, "/", &[("WWW-Authenticate", "Bearer")]));
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(401, &[])),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "CachingOptimized alone forwards nothing: {:?}", out.findings);
        assert_eq!((out.findings[0].severity, out.findings[0].confidence), (Severity::Critical, Confidence::High));
    }

    #[test]
    fn a_challenge_to_cloudfronts_request_without_forwarding_is_an_inferred_need() {
        let mut e = ev(None, false);
        e.observations.probes.push(challenged(RequestShape::Cloudfront, "/", &[("WWW-Authenticate", "Basic realm=\"x\"")]));
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(401, &[("WWW-Authenticate", "Basic realm=\"x\"")])),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence, f.observed), (Severity::High, Confidence::Medium, false));
        assert!(f.summary.contains("declare it with --expect-header Authorization"), "{}", f.summary);
        assert!(f.summary.contains("401 WWW-Authenticate: Basic"), "{}", f.summary);
        assert!(f.evidence.iter().any(|x| x.subject == inferred_needs::INFERRED_SUBJECT));
    }

    #[test]
    fn an_inferred_need_is_judged_per_behavior_and_forwarding_ends_it() {
        // The challenge comes from a path under /api/*, which forwards Authorization.
        let mut e = ev(None, false);
        let mut api = e.inventory.distribution.default_behavior.clone();
        api.path_pattern = Some("/api/*".into());
        api.origin_request_policy_id = Some("216adef6-5c7f-47e4-b989-5492eafa07d3".into());
        api.cache_policy_id = Some(CACHING_DISABLED.into());
        e.inventory.distribution.behaviors = vec![api];
        e.request.paths = vec!["/".into(), "/api/me".into()];
        e.observations.probes.push(challenged(RequestShape::Cloudfront, "/api/me", &[("WWW-Authenticate", "Bearer")]));
        let out = run(&e);
        assert!(out.findings.is_empty() && out.unverified.is_empty(), "{:?}", out.findings);
        // The same challenge under a stripping behavior names that behavior only.
        e.inventory.distribution.behaviors[0].origin_request_policy_id = None;
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].resources.iter().any(|r| r.id == "/api/*"), "{:?}", out.findings[0].resources);
    }

    #[test]
    fn forwarded_or_not_needed_is_no_finding() {
        assert!(run(&ev(Some("216adef6-5c7f-47e4-b989-5492eafa07d3"), true)).findings.is_empty());
        assert!(run(&ev(None, false)).findings.is_empty());
        // Forwarded: an origin that always asks for credentials is not this finding.
        let mut e = ev(Some("216adef6-5c7f-47e4-b989-5492eafa07d3"), false);
        e.observations.probes.push(challenged(RequestShape::Cloudfront, "/", &[("WWW-Authenticate", "Bearer")]));
        assert!(run(&e).findings.is_empty());
        // A 401 without a challenge, or one only to the viewer-shaped request, implies nothing.
        let mut e = ev(None, false);
        e.observations.probes.push(challenged(RequestShape::Cloudfront, "/", &[]));
        e.observations.probes.push(challenged(RequestShape::Viewer, "/", &[("WWW-Authenticate", "Bearer")]));
        assert!(run(&e).findings.is_empty());
        // A custom policy not read: said, not guessed.
        let mut e = ev(Some("custom-orp"), false);
        e.observations.probes.push(challenged(RequestShape::Cloudfront, "/", &[("WWW-Authenticate", "Bearer")]));
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
    }
}
