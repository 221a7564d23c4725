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

use super::probe_view::{behaviors_in_use, edge, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::{CloudFrontReason, Evidence};

pub static META: CheckMeta = CheckMeta {
    id: "method-not-allowed",
    title: "The behavior does not allow a method the application needs",
    what_breaks: "Requests with the method (form posts, API writes, CORS preflights) get CloudFront's 403 page; the same request straight to the origin works.",
    why: "CloudFront accepts only the methods in the behavior's AllowedMethods (GET, HEAD by default; or GET, HEAD, OPTIONS; or all seven) and rejects others at the edge with a 403, without contacting the origin.",
    evidence_used: &[
        "DefaultCacheBehavior / CacheBehaviors[].AllowedMethods of the behavior matching each probed path",
        "the methods the caller declared (expect.methods, --expect-method)",
        "method probes through the distribution (OPTIONS always; write methods only on --method-probe-path): CloudFront's 403 method page",
    ],
    fix: "Set the behavior's AllowedMethods to GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE (or GET, HEAD, OPTIONS for CORS only), and protect the origin from methods it should not receive.",
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesAllowedHTTPMethods",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront403]),
    module: module_path!(),
};

fn set_for(method: &str) -> &'static str {
    match method {
        "OPTIONS" => "GET, HEAD, OPTIONS",
        _ => "GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE",
    }
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    // Method pages seen through the distribution, by method.
    let rejected: Vec<(&str, String)> = edge(ev)
        .filter_map(|p| {
            let (h, r) = last_response(p)?;
            (r.status == 403 && r.cloudfront_reason() == Some(&CloudFrontReason::MethodNotAllowed))
                .then(|| (p.method.as_str(), format!("{} {} → 403, CloudFront's method page", p.method, h.url)))
        })
        .collect();
    if ev.request.expect.methods.is_empty() {
        if !rejected.is_empty() {
            out.unverified(
                &META,
                "whether the application needs the methods CloudFront rejected",
                "no methods were declared (expect.methods / --expect-method)",
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
            rejected.iter().filter(|(m, _)| missing.iter().any(|x| x.as_str() == *m)).map(|(_, s)| s).collect();
        let observed = !seen.is_empty();
        let names: Vec<&str> = missing.iter().map(|m| m.as_str()).collect();
        let needed = if names.iter().any(|m| *m != "OPTIONS") { set_for("POST") } else { set_for("OPTIONS") };
        let mut evidence = vec![
            EvidenceItem::new(
                Source::Config,
                format!("{}.AllowedMethods", b.field_path()),
                b.allowed_methods.join(", "),
            )
            .expected(format!("to include {}", names.join(", "))),
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
        .remediation(Remediation {
            summary: format!("Set {}.AllowedMethods to {needed}.", b.field_path()),
            steps: vec![
                "CachedMethods can stay GET, HEAD; only AllowedMethods must include the write methods.".into(),
                "Make sure the origin rejects methods it should not receive (CloudFront forwards all allowed methods)."
                    .into(),
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
