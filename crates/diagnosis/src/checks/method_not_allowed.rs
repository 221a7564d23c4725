//! `method-not-allowed`: the application needs a method (POST, PUT, OPTIONS, …) that the
//! matching cache behavior does not allow.
//!
//! CloudFront checks the viewer's method against the behavior's `AllowedMethods` before anything
//! else and answers 403 with its own page ("This distribution is not configured to allow the
//! HTTP request method that was used for this request. The distribution supports only cachable
//! requests."). The default is GET and HEAD, so forms, APIs and CORS preflights fail through
//! CloudFront while working against the origin directly.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesAllowedHTTPMethods>

use super::inferred_needs::{self, Inferred};
use super::probe_view::{behavior_of, behaviors_in_use, edge, last_response};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{BehaviorRef, Change, ConfigChange, Fix};
use crate::evidence::{Behavior, CloudFrontReason, Distribution, Evidence};

pub static META: CheckMeta = CheckMeta {
    id: "method-not-allowed",
    title: "The behavior does not allow a method the application needs",
    what_breaks: "Requests with the method (form posts, API writes, CORS preflights) get CloudFront's 403 page; the same request straight to the origin works.",
    why: "CloudFront accepts only the methods in the behavior's AllowedMethods (GET, HEAD by default; or GET, HEAD, OPTIONS; or all seven) and rejects others at the edge with a 403, without contacting the origin.",
    evidence_used: &[
        "DefaultCacheBehavior / CacheBehaviors[].AllowedMethods of the behavior matching each probed path",
        "the methods the caller declared (expect.methods, --expect-method); when none were, the methods the application's answers name (Allow of a 405, Allow or Access-Control-Allow-Methods of an OPTIONS answer), as an inferred need",
        "method probes through the distribution (OPTIONS always; write methods only on --method-probe-path): CloudFront's 403 method page",
    ],
    fix: "Set the behavior's AllowedMethods to GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE (or GET, HEAD, OPTIONS for CORS only), and protect the origin from methods it should not receive.",
    fix_kinds: &[super::FixKind::Typed],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesAllowedHTTPMethods",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront403]),
    module: module_path!(),
};

/// The smallest AllowedMethods set CloudFront offers that includes `methods`.
fn set_for(methods: &[&str]) -> &'static str {
    if methods.iter().all(|m| *m == "OPTIONS") {
        "GET, HEAD, OPTIONS"
    } else {
        "GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE"
    }
}

/// The behavior's AllowedMethods, expected to include `missing`.
fn allowed_item(b: &Behavior, missing: &[&str]) -> EvidenceItem {
    EvidenceItem::new(Source::Config, format!("{}.AllowedMethods", b.field_path()), b.allowed_methods.join(", "))
        .expected(format!("to include {}", missing.join(", ")))
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    // Method pages seen through the distribution, by method.
    let rejected: Vec<(&str, &Behavior, String)> = edge(ev)
        .filter_map(|p| {
            let (h, r) = last_response(p)?;
            (r.status == 403 && r.cloudfront_reason() == Some(&CloudFrontReason::MethodNotAllowed)).then(|| {
                (p.method.as_str(), behavior_of(d, p), format!("{} {} → 403, CloudFront's method page", p.method, h.url))
            })
        })
        .collect();
    if ev.request.expect.methods.is_empty() {
        let explained = inferred(ev, &rejected, &mut out);
        if rejected.iter().any(|(m, _, _)| !explained.iter().any(|x| x == m)) {
            out.unverified(
                &META,
                "whether the application needs the methods CloudFront rejected",
                "no methods were declared (expect.methods / --expect-method) and the application's answers name none of them",
            );
        }
        return out;
    }
    for b in behaviors_in_use(ev) {
        let missing: Vec<&String> = ev
            .request
            .expect
            .methods
            .iter()
            .filter(|m| !b.allowed_methods.iter().any(|a| a.eq_ignore_ascii_case(m)))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let seen: Vec<&String> =
            rejected.iter().filter(|(m, _, _)| missing.iter().any(|x| x.as_str() == *m)).map(|(_, _, s)| s).collect();
        let observed = !seen.is_empty();
        let names: Vec<&str> = missing.iter().map(|m| m.as_str()).collect();
        let needed = set_for(&names);
        let mut evidence = vec![
            allowed_item(b, &names),
            EvidenceItem::new(Source::Config, "request.expect.methods", ev.request.expect.methods.join(", ")),
        ];
        for s in &seen {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", (*s).clone()));
        }
        let summary = format!(
            "Behavior {} allows only {}; the application needs {}, which CloudFront rejects with 403 before reaching the origin.",
            b.label(),
            b.allowed_methods.join(", "),
            names.join(", ")
        );
        let finding = META.finding(if observed { Severity::Critical } else { Severity::High },
            if observed { Confidence::High } else { Confidence::Medium },
        )
        .summary(summary)
        .observed(observed)
        .evidence(evidence)
        .remediation(remediation(d, b, needed, false))
        .resource("distribution", &d.id)
        .resource("behavior", b.label());
        out.push(finding);
    }
    out
}

/// Set AllowedMethods to `needed`; for an inferred need, also how to test it directly.
fn remediation(d: &Distribution, b: &Behavior, needed: &str, inferred: bool) -> Remediation {
    let mut steps = vec![
        "CachedMethods can stay GET, HEAD; only AllowedMethods must include the write methods.".to_string(),
        "Make sure the origin rejects methods it should not receive (CloudFront forwards all allowed methods)."
            .to_string(),
    ];
    if inferred {
        steps.push(
            "To see CloudFront's answer to a write method, declare it with --expect-method and give --method-probe-path, a path where sending it is safe."
                .to_string(),
        );
    }
    let fix = Fix::changes([Change::Config(ConfigChange::AllowedMethods {
        behavior: BehaviorRef::of(b),
        value: needed.split(", ").map(str::to_string).collect(),
    })]);
    Remediation {
        summary: format!("Set {}.AllowedMethods to {needed}.", b.field_path()),
        steps,
        cli: fix.cli(d),
        fix,
    }
}

/// Without declared methods: the methods the application's answers say it takes and each
/// behavior refuses (`inferred_needs::methods`), one finding per behavior, a step below the
/// confidence of a declared need. A 405 to the probed method (the path is not served by GET)
/// or CloudFront's method page for one of them makes it high; an `OPTIONS` answer alone only
/// says the application takes the method, not that viewers send it: a low hint. Returns the
/// methods found missing.
fn inferred(ev: &Evidence, rejected: &[(&str, &Behavior, String)], out: &mut CheckOutput) -> Vec<String> {
    let d = &ev.inventory.distribution;
    let needs = inferred_needs::methods(ev);
    let mut explained = Vec::new();
    let mut behaviors: Vec<&Behavior> = Vec::new();
    for n in &needs {
        if !behaviors.iter().any(|b| std::ptr::eq(*b, n.behavior)) {
            behaviors.push(n.behavior);
        }
    }
    for b in behaviors {
        let missing: Vec<&Inferred<'_>> = needs
            .iter()
            .filter(|n| std::ptr::eq(n.behavior, b) && !b.allowed_methods.iter().any(|a| a.eq_ignore_ascii_case(&n.name)))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let names: Vec<&str> = missing.iter().map(|n| n.name.as_str()).collect();
        let seen: Vec<&String> = rejected
            .iter()
            .filter(|(m, rb, _)| std::ptr::eq(*rb, b) && names.contains(m))
            .map(|(_, _, s)| s)
            .collect();
        let refused = missing.iter().any(|n| n.refused);
        let observed = !seen.is_empty();
        let severity = match (refused, observed) {
            (true, true) => Severity::Critical,
            (true, false) | (false, true) => Severity::High,
            (false, false) => Severity::Low,
        };
        let needed = set_for(&names);
        let mut evidence = vec![
            allowed_item(b, &names),
            inferred_needs::evidence_item("methods", &missing),
        ];
        for s in &seen {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", (*s).clone()));
        }
        let consequence = if refused || observed {
            "which CloudFront rejects with 403 before reaching the origin"
        } else {
            "which CloudFront would reject with 403 before reaching the origin if viewers send them"
        };
        let summary = format!(
            "Behavior {} allows only {}; the application takes {} ({}), {consequence}. This need is {}.",
            b.label(),
            b.allowed_methods.join(", "),
            names.join(", "),
            missing[0].clue,
            inferred_needs::declare_hint("method", &missing)
        );
        let finding = META
            .finding(severity, Confidence::Medium)
            .summary(summary)
            .observed(observed)
            .evidence(evidence)
            .remediation(remediation(d, b, needed, true))
            .resource("distribution", &d.id)
            .resource("behavior", b.label());
        out.push(finding);
        explained.extend(names.iter().map(|m| m.to_string()));
    }
    explained
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, Scheme};
    use crate::testing::*;

    fn ev(methods: &[&str]) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app-1.us-east-1.elb.amazonaws.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.request.expect.methods = methods.iter().map(|m| m.to_string()).collect();
        e
    }

    fn method_page(method: &str) -> crate::evidence::ProbeRecord {
        edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            method,
            "/",
            HopResult::Response(cloudfront_page(403, CloudFrontReason::MethodNotAllowed)),
        )
    }

    #[test]
    fn a_needed_method_outside_allowed_methods_is_high_and_critical_when_seen() {
        let out = run(&ev(&["POST"]));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(out.findings[0].remediation.summary.contains("DefaultCacheBehavior.AllowedMethods"));
        let mut e = ev(&["POST"]);
        e.observations.probes.push(method_page("POST"));
        let out = run(&e);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].observed);
        assert!(out.findings[0].evidence.iter().any(|x| x.source == Source::Probe));
    }

    #[test]
    fn allowed_methods_covering_the_need_is_no_finding() {
        let mut e = ev(&["POST", "OPTIONS"]);
        e.inventory.distribution.default_behavior.allowed_methods =
            ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"].iter().map(|s| s.to_string()).collect();
        assert!(run(&e).findings.is_empty());
        assert!(run(&ev(&["GET"])).findings.is_empty());
    }

    fn origin_answer(method: &str, path: &str, status: u16, headers: &[(&str, &str)]) -> crate::evidence::ProbeRecord {
        let mut p = origin_probe(
            crate::evidence::RequestShape::Cloudfront,
            "app-1.us-east-1.elb.amazonaws.com",
            path,
            HopResult::Response(response(status, headers)),
        );
        p.method = method.into();
        p
    }

    #[test]
    fn a_405_naming_methods_the_behavior_refuses_is_an_inferred_need_with_lower_confidence() {
        let mut e = ev(&[]);
        e.request.paths = vec!["/api/orders".into()];
        e.observations.probes.push(origin_answer("GET", "/api/orders", 405, &[("Allow", "POST, OPTIONS")]));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::Medium));
        assert!(f.summary.contains("GET http://app-1.us-east-1.elb.amazonaws.com/api/orders → 405 Allow: POST, OPTIONS"));
        assert!(f.summary.contains("takes POST ("), "OPTIONS from a plain Allow is not a need: {}", f.summary);
        assert!(f.summary.contains("declare it with --expect-method POST"), "{}", f.summary);
        assert!(f.evidence.iter().any(|x| x.subject == inferred_needs::INFERRED_SUBJECT && x.observed.contains("POST")));
        assert!(f.remediation.summary.contains("GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE"));
        assert!(!f.observed && out.unverified.is_empty());

        // CloudFront's method page for that method through the distribution: seen failing.
        e.observations.probes.push(method_page("POST"));
        let out = run(&e);
        assert_eq!((out.findings[0].severity, out.findings[0].confidence), (Severity::Critical, Confidence::Medium));
        assert!(out.findings[0].observed);
    }

    #[test]
    fn an_options_answer_alone_is_a_low_hint_and_an_allowed_or_healthy_answer_is_nothing() {
        let mut e = ev(&[]);
        e.observations.probes.push(origin_answer("OPTIONS", "/", 200, &[("Allow", "GET, HEAD, OPTIONS, PUT")]));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!((out.findings[0].severity, out.findings[0].confidence), (Severity::Low, Confidence::Medium));
        assert!(out.findings[0].summary.contains("if viewers send them"), "{}", out.findings[0].summary);

        // The behavior allows them all.
        let mut all = ev(&[]);
        all.inventory.distribution.default_behavior.allowed_methods =
            ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"].iter().map(|s| s.to_string()).collect();
        all.observations.probes.push(origin_answer("GET", "/", 405, &[("Allow", "POST")]));
        assert!(run(&all).findings.is_empty());
        // A healthy GET naming methods in Allow says nothing about what viewers send.
        let mut healthy = ev(&[]);
        healthy.observations.probes.push(origin_answer("GET", "/", 200, &[("Allow", "GET, POST")]));
        let out = run(&healthy);
        assert!(out.findings.is_empty() && out.unverified.is_empty());
    }

    #[test]
    fn declared_methods_are_judged_as_declared_and_not_widened_by_inference() {
        let mut e = ev(&["GET"]);
        e.observations.probes.push(origin_answer("GET", "/", 405, &[("Allow", "POST")]));
        assert!(run(&e).findings.is_empty(), "the caller said GET is what it needs");
        let mut e = ev(&["POST"]);
        e.observations.probes.push(origin_answer("GET", "/", 405, &[("Allow", "PUT")]));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!((out.findings[0].severity, out.findings[0].confidence), (Severity::High, Confidence::Medium));
        assert!(out.findings[0].summary.contains("needs POST,") && !out.findings[0].summary.contains("PUT"));
    }

    #[test]
    fn a_method_page_without_declared_methods_is_unverified_not_a_guess() {
        let mut e = ev(&[]);
        e.observations.probes.push(method_page("OPTIONS"));
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
        assert!(run(&ev(&[])).unverified.is_empty());
    }
}
