//! `request-too-large`: the viewer's request is larger than CloudFront or the origin accepts,
//! usually because of large cookies.
//!
//! CloudFront refuses a URL over 8,192 bytes and a request line plus headers over 20,480 bytes
//! with 413 (a limit that cannot be raised). Below that, CloudFront forwards the request with
//! headers of its own added (`Via`, `X-Forwarded-For`, `X-Amz-Cf-Id`, `CloudFront-*`, custom
//! origin headers), which can push a request that the origin accepts directly over the origin's
//! own limit: an ALB answers 400 for a header line over 16 KB or all headers over 64 KB, nginx
//! 400 "Request Header Or Cookie Too Large" with its 8 KB default buffers, others 431 or 494.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html>

use super::probe_view::{edge, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{Evidence, HttpResponse, ProbeRecord, ProbeTarget};

/// CloudFront's maximum URL length, in bytes.
pub const MAX_URL_BYTES: usize = 8_192;
/// CloudFront's maximum request line plus headers (query string included, body not), in bytes.
pub const MAX_REQUEST_BYTES: usize = 20_480;

pub static META: CheckMeta = CheckMeta {
    id: "request-too-large",
    title: "The request is larger than CloudFront or the origin accepts",
    what_breaks: "Requests with a long URL or large headers (usually cookies) get 413 from CloudFront, or 400/431/494 from the origin, while smaller requests work.",
    why: "CloudFront refuses URLs over 8,192 bytes and requests over 20,480 bytes of request line and headers; under that, the headers CloudFront adds can push the request over the origin's own header limit.",
    evidence_used: &[
        "the probed paths (URL length)",
        "probes through the distribution and straight to the origin: 413, 414, 431, 494, or 400 with a header-too-large body",
        "the probes' request size (request line and headers sent)",
    ],
    fix: "Shrink what viewers send (fewer or smaller cookies, shorter URLs), forward only the cookies and headers the origin needs, and raise the origin's header limits (e.g. nginx large_client_header_buffers) where it is the one refusing.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html",
    explains: Explains::Symptoms(&[SymptomClass::OriginError, SymptomClass::CloudFront4xx]),
    module: module_path!(),
};

const TOO_LARGE_WORDS: &[&str] = &[
    "request header or cookie too large",
    "request header fields too large",
    "requestheadersectiontoolarge",
    "header too long",
    "request entity too large",
    "uri too long",
    "request-uri too large",
    "size of a request header field exceeds",
];

/// Why a response says the request was too large, when it does.
fn too_large(r: &HttpResponse) -> Option<String> {
    let body = r.body_sample.to_ascii_lowercase();
    let words = TOO_LARGE_WORDS.iter().find(|w| body.contains(*w) || r.reason.to_ascii_lowercase().contains(*w));
    match (r.status, words) {
        (413 | 414 | 431 | 494, _) => Some(format!("{} {}", r.status, words.copied().unwrap_or(r.reason.as_str()))),
        (400, Some(w)) => Some(format!("400 \"{w}\"")),
        _ => None,
    }
}

fn by_cloudfront(r: &HttpResponse) -> bool {
    r.cloudfront_error.is_some() || r.header("server").is_some_and(|s| s.eq_ignore_ascii_case("cloudfront"))
}

/// Bytes of request line and headers the probe sent (redacted values count as sent).
fn request_bytes(p: &ProbeRecord) -> usize {
    let url = p.hops.first().map(|h| h.url.as_str()).unwrap_or("");
    let path = url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..])).unwrap_or("/");
    p.method.len() + path.len() + 11 + p.request_headers.iter().map(|h| h.name.len() + h.value.len() + 4).sum::<usize>()
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let mut evidence = Vec::new();
    let mut at_edge = false;
    let mut at_origin = false;
    let mut via_edge = false;
    for path in &ev.request.paths {
        if path.len() > MAX_URL_BYTES {
            evidence.push(
                EvidenceItem::new(Source::Config, "request.paths", format!("a path of {} bytes", path.len()))
                    .expected(format!("at most {MAX_URL_BYTES} bytes (CloudFront's URL limit)")),
            );
        }
    }
    for p in &ev.observations.probes {
        let Some(h) = p.hops.last() else { continue };
        let Some(r) = h.response() else { continue };
        let Some(why) = too_large(r) else { continue };
        let edge_probe = matches!(p.target, ProbeTarget::Edge { .. });
        via_edge |= edge_probe;
        let who = match (edge_probe, by_cloudfront(r)) {
            (true, true) => {
                at_edge = true;
                "CloudFront refused it"
            }
            (true, false) => {
                at_origin = true;
                "the origin refused it (its own answer, passed through CloudFront)"
            }
            (false, _) => {
                at_origin = true;
                "the origin refused it when asked directly"
            }
        };
        evidence.push(
            EvidenceItem::new(
                Source::Probe,
                format!("{} {} ({} bytes of request line and headers)", p.method, h.url, request_bytes(p)),
                format!("{why}: {who}"),
            )
            .expected(format!("an answer (CloudFront accepts up to {MAX_REQUEST_BYTES} bytes)")),
        );
    }
    if evidence.is_empty() {
        // An origin 400 through CloudFront without a reason could still be a size limit hit by real viewers' cookies.
        let bare_400 = edge(ev)
            .any(|p| p.hops.last().and_then(|h| h.response()).is_some_and(|r| r.status == 400 && !by_cloudfront(r)));
        if bare_400 {
            out.unverified(
                &META,
                "whether the origin's 400 through CloudFront is a header-size limit hit by viewers' cookies",
                "the probes send small requests; the origin's logs (or CloudFront's, sc-status 400 with the request's cs(Cookie)) would show the size",
            );
        }
        return out;
    }
    let observed = via_edge;
    let summary = match (at_edge, at_origin) {
        (true, _) => "CloudFront refuses the request as too large (413/494): its limits are 8,192 bytes of URL and 20,480 bytes of request line and headers, and cannot be raised.".to_string(),
        (false, true) => "The origin refuses the request as too large: with the headers CloudFront adds, viewers' requests exceed the origin's header limit.".to_string(),
        (false, false) => format!("A probed URL is longer than CloudFront's {MAX_URL_BYTES}-byte limit: CloudFront answers 413."),
    };
    let finding = META.finding(if observed { Severity::Critical } else { Severity::High }, Confidence::High)
        .summary(summary)
        .observed(observed)
        .evidence(evidence)
        .remediation(Remediation {
            fix: Fix::changes([if at_origin && !at_edge {
                Change::Origin {
                    part: OriginPart::Server,
                    what: "raise the origin's request header limits above what CloudFront forwards".into(),
                }
            } else {
                Change::Origin {
                    part: OriginPart::Application,
                    what: "send fewer or smaller cookies and shorter URLs (CloudFront's limits cannot be raised)".into(),
                }
            }]),
            summary: if at_origin && !at_edge {
                "Raise the origin's header limits (nginx: large_client_header_buffers 4 32k; Apache: LimitRequestFieldSize) and forward only the cookies and headers it needs (the behavior's origin request policy, CookieBehavior whitelist).".into()
            } else {
                "Shrink what viewers send: fewer or smaller cookies (split or move state server-side), shorter URLs and query strings; CloudFront's limits cannot be raised.".into()
            },
            steps: vec![
                "Large cookies are the usual cause: list them in the browser's developer tools for the failing site.".into(),
                "An ALB refuses a header line over 16 KB or all headers over 64 KB; those limits are fixed.".into(),
            ],
            cli: vec![update_cli(d)],
        })
        .resource("distribution", &d.id);
    out.push(finding);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{HopResult, RequestShape, Scheme};
    use crate::testing::*;

    #[test]
    fn cloudfronts_413_is_critical() {
        let mut e = edge_code_evidence();
        let r = response(413, &[("Server", "CloudFront"), ("X-Cache", "Error from cloudfront")]);
        push_edge_get(&mut e, r);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].summary.contains("20,480"));
    }

    #[test]
    fn the_origins_header_limit_is_told_apart() {
        let mut e = edge_code_evidence();
        let mut r = response(400, &[("Server", "nginx")]);
        r.body_sample =
            "<center><h1>400 Bad Request</h1></center><center>Request Header Or Cookie Too Large</center>".into();
        e.observations.probes.push(origin_probe(RequestShape::Cloudfront, "o.example", "/", HopResult::Response(r)));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High, "seen directly, not through CloudFront");
        assert!(out.findings[0].remediation.summary.contains("large_client_header_buffers"));
    }

    #[test]
    fn a_url_over_cloudfronts_limit_is_flagged_before_any_probe() {
        let mut e = edge_code_evidence();
        e.request.paths = vec![format!("/search?q={}", "a".repeat(MAX_URL_BYTES))];
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("8192"));
    }

    #[test]
    fn ordinary_errors_are_not_size_problems() {
        let mut e = edge_code_evidence();
        let mut r = response(400, &[("Server", "nginx")]);
        r.body_sample = "<h1>400 Bad Request</h1>".into();
        push_edge_get(&mut e, r);
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Http,
            "GET",
            "/",
            HopResult::Response(response(404, &[])),
        ));
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1, "a bare origin 400 through CloudFront leaves the size undecided");
    }
}
