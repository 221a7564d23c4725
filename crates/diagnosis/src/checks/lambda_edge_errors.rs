//! `lambda-edge-errors`: a Lambda@Edge function of the behavior fails, and CloudFront answers
//! 502 or 503 itself without the origin being at fault.
//!
//! A Lambda@Edge function runs on the viewer or origin request/response. When its result fails
//! CloudFront's validation (a malformed response object, a read-only or disallowed header, a body
//! over the 40 KB viewer / 1 MB origin limit) CloudFront answers 502; when it throws, times out
//! or is throttled, 503. The origin works when tested directly. CloudFront says which in the
//! `X-Cache` header (`LambdaValidationError`, `LambdaExecutionError`, `LambdaLimitExceeded`) and
//! on its error page; the function's own logs are in CloudWatch in the Region where it ran.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-testing-debugging.html>

use super::edge_code::{EdgeCode, EdgeCodeText};
use super::{CheckMeta, CheckOutput, Explains, SymptomClass};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "lambda-edge-errors",
    title: "A Lambda@Edge function fails",
    what_breaks: "Viewers get CloudFront's 502 (the function's result failed validation) or 503 (the function threw, timed out or was throttled) on the paths of the behavior, while the origin answers normally.",
    why: "CloudFront runs the behavior's Lambda@Edge functions before or after the origin request and refuses a result it cannot use; the origin is never the problem, so testing it directly shows nothing.",
    evidence_used: &[
        "DefaultCacheBehavior / CacheBehaviors[].LambdaFunctionAssociations (EventType, LambdaFunctionARN, IncludeBody)",
        "probes through the distribution: CloudFront's own 502/503 page, X-Cache (LambdaValidationError, LambdaExecutionError, LambdaLimitExceeded)",
        "CloudFront-shaped probe straight to the origin for the same path",
    ],
    fix: "Read the function's logs (/aws/cloudfront/LambdaEdge/<DistributionId> for validation errors, /aws/lambda/us-east-1.<function> for its own, in the Region where it ran), fix the function and publish a new numbered version, or detach it.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-testing-debugging.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502, SymptomClass::CloudFront503]),
    module: module_path!(),
};

fn cli(id: &str) -> Vec<String> {
    vec![
        format!(
            "aws logs filter-log-events --region <Region of the edge location (X-Amz-Cf-Pop)> --log-group-name /aws/cloudfront/LambdaEdge/{id}"
        ),
        "aws logs filter-log-events --region <same Region> --log-group-name /aws/lambda/us-east-1.<function name>"
            .into(),
    ]
}

static TEXT: EdgeCodeText = EdgeCodeText {
    meta: &META,
    kind: EdgeCode::LambdaEdge,
    logs: "CloudFront logs validation errors to /aws/cloudfront/LambdaEdge/<DistributionId> and the function logs to /aws/lambda/us-east-1.<function name>, both in the Region of the edge location that ran it.",
    cli,
};

pub fn run(ev: &Evidence) -> CheckOutput {
    super::edge_code::run(ev, &TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Severity;
    use crate::evidence::{HopResult, LambdaAssociation, RequestShape, Scheme};
    use crate::testing::*;

    fn set_xcache(r: &mut crate::evidence::HttpResponse, value: &str) {
        r.headers.retain(|h| !h.name.eq_ignore_ascii_case("x-cache"));
        r.headers.push(crate::evidence::Header { name: "X-Cache".into(), value: value.into() });
    }

    #[test]
    fn the_x_cache_value_alone_names_the_lambda() {
        let mut r = response(502, &[]);
        set_xcache(&mut r, "LambdaValidationError from cloudfront");
        assert!(EdgeCode::LambdaEdge.named_by(&r).is_some());
        assert!(EdgeCode::CloudFrontFunctions.named_by(&r).is_none());
        set_xcache(&mut r, "Error from cloudfront");
        assert!(EdgeCode::LambdaEdge.named_by(&r).is_none());
    }

    fn with_lambda() -> Evidence {
        let mut e = edge_code_evidence();
        e.inventory.distribution.default_behavior.lambda_associations = vec![LambdaAssociation {
            lambda_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:rewrite:7".into(),
            event_type: "origin-response".into(),
            include_body: false,
        }];
        e
    }

    #[test]
    fn a_503_naming_the_lambda_is_critical_and_observed() {
        let mut e = with_lambda();
        let mut r = cloudfront_page_saying(
            503,
            "The Lambda function associated with the CloudFront distribution is invalid or doesn't have the required permissions.",
        );
        set_xcache(&mut r, "LambdaExecutionError from cloudfront");
        push_edge_get(&mut e, r);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.observed);
        assert!(f.evidence.iter().any(|x| x.observed.contains("function:rewrite:7")));
        assert!(f.remediation.cli.iter().any(|c| c.contains("/aws/cloudfront/LambdaEdge/EFIXTURE")));
    }

    #[test]
    fn a_plain_502_page_with_a_lambda_and_a_working_origin_is_high_medium() {
        let mut e = with_lambda();
        add_edge_502(&mut e);
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "o.example",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert_eq!(out.findings[0].confidence, crate::checks::Confidence::Medium);
        assert!(!out.findings[0].observed);
    }

    #[test]
    fn no_lambda_or_a_healthy_edge_or_a_function_error_is_no_finding() {
        // A 502 without any Lambda@Edge association.
        let mut e = edge_code_evidence();
        add_edge_502(&mut e);
        assert!(run(&e).findings.is_empty());
        // A Lambda, but the edge answers 200.
        let mut e = with_lambda();
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        let out = run(&e);
        assert!(out.findings.is_empty() && out.unverified.is_empty());
        // The 503 names a CloudFront Function, not the Lambda.
        let mut e = with_lambda();
        let mut r = cloudfront_page_saying(503, "x");
        set_xcache(&mut r, "FunctionExecutionError from cloudfront");
        push_edge_get(&mut e, r);
        assert!(run(&e).findings.is_empty());
        // An origin's own 502 passed through is not CloudFront's.
        let mut e = with_lambda();
        let r = response(502, &[("X-Cache", "Error from cloudfront"), ("Server", "awselb/2.0")]);
        push_edge_get(&mut e, r);
        assert!(run(&e).findings.is_empty());
    }

    #[test]
    fn a_lambda_behavior_never_probed_through_the_distribution_is_unverified() {
        let out = run(&with_lambda());
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
        assert!(out.unverified[0].what.contains("Lambda@Edge"));
    }
}
