//! `cloudfront-functions-errors`: a CloudFront Function of the behavior fails, and CloudFront
//! answers 502 or 503 itself without the origin being at fault.
//!
//! CloudFront Functions run on the viewer request and viewer response. A function that adds,
//! removes or changes a read-only header makes CloudFront answer 502 (the console's test does not
//! catch it: it appears only after deployment); a runtime error or exceeding the compute limit
//! gives 503. A function that changes the origin (`updateRequestOrigin`) with a host, SNI or
//! certificate names the origin does not match gives a TLS 502. CloudFront says which in the
//! `X-Cache` header (`FunctionExecutionError`, `FunctionThrottledError`) and on its error page.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-503-service-unavailable.html>

use super::edge_code::{EdgeCode, EdgeCodeText};
use super::{CheckMeta, CheckOutput, Explains, SymptomClass};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "cloudfront-functions-errors",
    title: "A CloudFront Function fails",
    what_breaks: "Viewers get CloudFront's 502 (the function changed a read-only header or set an origin CloudFront cannot use) or 503 (the function threw or exceeded its compute limit) on the paths of the behavior, while the origin answers normally.",
    why: "CloudFront runs the behavior's viewer-request and viewer-response functions on every request and answers an error itself when one fails; the origin is never asked, or its answer is discarded.",
    evidence_used: &[
        "DefaultCacheBehavior / CacheBehaviors[].FunctionAssociations (EventType, FunctionARN)",
        "probes through the distribution: CloudFront's own 502/503 page, X-Cache (FunctionExecutionError, FunctionThrottledError)",
        "CloudFront-shaped probe straight to the origin for the same path",
    ],
    fix: "Test the function with the failing request (aws cloudfront test-function), read its logs in /aws/cloudfront/function/<name> (us-east-1), fix and publish it, or remove the association.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-503-service-unavailable.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502, SymptomClass::CloudFront503]),
    module: module_path!(),
};

fn cli(_id: &str) -> Vec<String> {
    vec![
        "aws cloudfront describe-function --name <function name> --stage LIVE".into(),
        "aws cloudfront test-function --name <function name> --if-match <ETag> --stage LIVE --event-object fileb://viewer-request-event.json".into(),
        "aws logs filter-log-events --region us-east-1 --log-group-name /aws/cloudfront/function/<function name>".into(),
    ]
}

static TEXT: EdgeCodeText = EdgeCodeText {
    meta: &META,
    kind: EdgeCode::CloudFrontFunctions,
    logs: "test the function against the failing request and read /aws/cloudfront/function/<name> in us-east-1 (a read-only header change shows only after deployment).",
    cli,
};

pub fn run(ev: &Evidence) -> CheckOutput {
    super::edge_code::run(ev, &TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Confidence, Severity};
    use crate::evidence::{FunctionAssociation, Header, HopResult, Scheme};
    use crate::testing::*;

    fn with_function() -> Evidence {
        let mut e = edge_code_evidence();
        let mut b = behavior("o1");
        b.path_pattern = Some("/app/*".into());
        b.function_associations = vec![FunctionAssociation {
            function_arn: "arn:aws:cloudfront::123456789012:function/add-headers".into(),
            event_type: "viewer-response".into(),
        }];
        e.inventory.distribution.behaviors.push(b);
        e.request.paths = vec!["/".into(), "/app/x".into()];
        e
    }

    fn edge_answer(path: &str, status: u16, xcache: &str) -> crate::evidence::ProbeRecord {
        let mut r = if status >= 500 { cloudfront_page_saying(status, "x") } else { response(status, &[]) };
        r.headers.retain(|h| !h.name.eq_ignore_ascii_case("x-cache"));
        r.headers.push(Header { name: "X-Cache".into(), value: xcache.into() });
        edge_probe("d111.cloudfront.net", Scheme::Https, "GET", path, HopResult::Response(r))
    }

    #[test]
    fn a_502_naming_the_function_on_its_behavior_is_critical() {
        let mut e = with_function();
        e.observations.probes.push(edge_answer("/app/x", 502, "FunctionExecutionError from cloudfront"));
        e.observations.probes.push(edge_answer("/", 200, "Miss from cloudfront"));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::Critical, Confidence::High));
        assert!(f.resources.iter().any(|r| r.kind == "behavior" && r.id == "/app/*"));
        assert!(f.remediation.summary.contains("CacheBehaviors[PathPattern=/app/*].FunctionAssociations"));
    }

    #[test]
    fn a_failure_on_a_behavior_without_functions_is_not_blamed_on_them() {
        let mut e = with_function();
        // The default behavior (no function) fails with a plain CloudFront 502 page.
        e.observations.probes.push(edge_answer("/", 502, "Error from cloudfront"));
        e.observations.probes.push(edge_answer("/app/x", 200, "Miss from cloudfront"));
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert!(out.unverified.is_empty(), "both behaviors were probed");
    }

    #[test]
    fn a_plain_503_on_the_function_behavior_without_an_origin_probe_is_low_confidence() {
        let mut e = with_function();
        e.observations.probes.push(edge_answer("/app/x", 503, "Error from cloudfront"));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::Low);
        assert_eq!(out.findings[0].severity, Severity::High);
    }
}
