//! `origin-response-unacceptable`: the origin answers, but not with a response CloudFront accepts.
//!
//! CloudFront reads custom origins over HTTP/1.1 and refuses answers it cannot use: a head that is
//! not HTTP/1.x, response headers that are too big (`OriginHeaderTooBigError` in its logs), more
//! than one interim `100 Continue`, a transfer coding other than `chunked`, a `Content-Length`
//! that is not one number or that disagrees with `Content-Range`. The viewer gets a 502. A body
//! cut short by the origin reaches viewers truncated and is not cached. Browsers and curl are
//! lenient with all of these, so the site "works directly".
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html>

use super::origin_answers::{origin_first_hops, tls_not_observed, why_no_answer};
use super::tls_support::edge_502;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{Evidence, ResponseDefect};

pub static META: CheckMeta = CheckMeta {
    id: "origin-response-unacceptable",
    title: "The origin's response is not one CloudFront accepts",
    what_breaks: "Requests through CloudFront end in 502 (or a truncated body) while a browser or curl straight to the origin shows the page.",
    why: "CloudFront parses origin responses strictly as HTTP/1.1: a malformed head, oversized response headers, repeated 100 Continue, a transfer coding other than chunked or a Content-Length it cannot trust make it drop the response and answer 502.",
    evidence_used: &[
        "direct probes shaped as CloudFront sends them: how the response head parsed, its size, its framing headers (Transfer-Encoding, Content-Length, Content-Range), interim responses, whether the body ended where announced",
        "probes through the distribution: 502 with CloudFront's error page",
    ],
    fix: "Make the origin (or the proxy in front of it) send a plain HTTP/1.1 response: a valid status line, small headers, chunked or Content-Length framing with the real length, at most one 100 Continue.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

/// CloudFront publishes 20,480 bytes as its limit for a request's line and headers; its limit
/// for response headers is not published. A larger response head is flagged as a likely cause,
/// with low confidence.
pub const LARGE_HEAD_BYTES: u64 = 20_480;

/// Severity and confidence of one defect, and the fix that goes with it.
fn judge(d: &ResponseDefect) -> Option<(Severity, Confidence, &'static str)> {
    Some(match d {
        // The HTTP-version defects belong to `origin-http-version`, TLS on a plain HTTP port to
        // `protocol-port-mismatch`.
        ResponseDefect::Http2Frames { .. } | ResponseDefect::AlpnRefused { .. } | ResponseDefect::TlsRecord => {
            return None;
        }
        ResponseDefect::Malformed { .. } => {
            (Severity::High, Confidence::High, "Fix the status line and header syntax the origin (or its proxy) sends.")
        }
        ResponseDefect::HeadOverCap { .. } => (
            Severity::High,
            Confidence::Medium,
            "Cut the response headers down (large Set-Cookie, Link or CSP headers, debug headers).",
        ),
        ResponseDefect::TooManyHeaderFields { .. } => (
            Severity::Medium,
            Confidence::Low,
            "Send fewer response header fields (merge repeated ones, drop debug headers).",
        ),
        ResponseDefect::RepeatedContinue { .. } => {
            (Severity::High, Confidence::Medium, "Send at most one 100 Continue before the final response.")
        }
        ResponseDefect::UnsupportedTransferEncoding { .. } => (
            Severity::High,
            Confidence::Medium,
            "Use Content-Encoding for compression and only Transfer-Encoding: chunked (or Content-Length) for framing.",
        ),
        ResponseDefect::InvalidContentLength { .. } => {
            (Severity::High, Confidence::Medium, "Send exactly one Content-Length with the body's real length.")
        }
        ResponseDefect::ContentRangeMismatch { .. } => {
            (Severity::High, Confidence::Medium, "Make Content-Length equal the size of the range in Content-Range.")
        }
        ResponseDefect::BodyCutShort { .. } => (
            Severity::Medium,
            Confidence::Medium,
            "Find why the origin closes the connection mid-body (worker timeouts, crashes, a proxy buffer limit) and let it finish.",
        ),
    })
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for origin in &d.origins {
        if origin.custom().is_none() {
            continue;
        }
        // The probe's TLS stack cannot speak what CloudFront gets from this origin: say exactly
        // that (once per origin, here), not that the origin failed to answer.
        if let Some((what, why)) = tls_not_observed(ev, &origin.id) {
            out.unverified(&META, what, why);
            continue;
        }
        if let Some(reason) = why_no_answer(ev, &origin.id) {
            out.unverified(&META, format!("whether origin {} answers in a form CloudFront accepts", origin.id), reason);
            continue;
        }
        let mut worst: Option<(Severity, Confidence)> = None;
        let mut evidence = Vec::new();
        let mut fixes: Vec<&str> = Vec::new();
        let mut what: Vec<String> = Vec::new();
        for (p, h) in origin_first_hops(ev, &origin.id) {
            let mut judged: Vec<(Severity, Confidence, &str, String)> =
                h.response_defects.iter().filter_map(|x| judge(x).map(|(s, c, f)| (s, c, f, x.describe()))).collect();
            let cut = h.response_defects.iter().any(|x| matches!(x, ResponseDefect::HeadOverCap { .. }));
            if let (Some(bytes), false) = (h.head_bytes, cut) {
                if bytes > LARGE_HEAD_BYTES {
                    judged.push((
                        Severity::Medium,
                        Confidence::Low,
                        "Cut the response headers down (large Set-Cookie, Link or CSP headers, debug headers).",
                        format!("response head of {bytes} bytes"),
                    ));
                }
            }
            for (sev, conf, fix, text) in judged {
                evidence.push(
                    EvidenceItem::new(Source::Probe, format!("{} {} (as CloudFront sends it)", p.method, h.url), &text)
                        .expected(if text.starts_with("response head of") {
                            format!("a response head under {LARGE_HEAD_BYTES} bytes")
                        } else {
                            "a well-formed HTTP/1.1 response".to_string()
                        }),
                );
                worst = Some(worst.map_or((sev, conf), |(s, c)| if sev > s { (sev, conf) } else { (s, c) }));
                if !fixes.contains(&fix) {
                    fixes.push(fix);
                }
                if !what.contains(&text) {
                    what.push(text);
                }
            }
        }
        let Some((mut severity, confidence)) = worst else {
            continue;
        };
        let observed = edge_502(ev).filter(|_| severity >= Severity::High);
        if let Some(e) = observed.clone() {
            evidence.push(e);
            severity = Severity::Critical;
        }
        let summary = format!(
            "Origin {} answers in a form CloudFront refuses ({}): viewers get {} through CloudFront.",
            origin.id,
            what.join("; "),
            if severity >= Severity::High { "502" } else { "errors or truncated bodies" }
        );
        let finding = META.finding(severity, confidence)
            .summary(summary)
            .observed(observed.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Origin {
                    part: OriginPart::Server,
                    what: format!(
                        "on origin {}: {}",
                        origin.id,
                        fixes.first().copied().unwrap_or("send a plain HTTP/1.1 response.").trim_end_matches('.')
                    ),
                }]),
                summary: format!(
                    "On the origin {} ({}): {}",
                    origin.id,
                    origin.domain_name,
                    fixes.first().copied().unwrap_or("send a plain HTTP/1.1 response.")
                ),
                steps: fixes
                    .iter()
                    .skip(1)
                    .map(|s| s.to_string())
                    .chain([
                        "Reproduce with `curl --http1.1 -sv -o /dev/null` against the origin and read the response head it prints.".to_string(),
                        "CloudFront's standard logs name the refusal in x-edge-detailed-result-type (OriginInvalidResponseError, OriginHeaderTooBigError).".to_string(),
                    ])
                    .collect(),
                cli: vec![format!("curl --http1.1 -sv -o /dev/null http://{}/", origin.domain_name)],
            })
            .resource("distribution", &d.id)
            .resource("origin", &origin.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{
        Fetch, HopResult, OriginProtocolPolicy, OriginResource, ProbeError, ProbeStage, RequestShape,
    };
    use crate::testing::*;

    fn ev(result: HopResult, defects: Vec<ResponseDefect>, head_bytes: Option<u64>) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        let mut p = origin_probe(RequestShape::Cloudfront, "app.example.com", "/", result);
        p.hops[0].response_defects = defects;
        p.hops[0].head_bytes = head_bytes;
        e.observations.probes.push(p);
        e
    }

    fn http_error() -> HopResult {
        HopResult::Error(ProbeError::new(ProbeStage::Http, "not an HTTP/1.x response"))
    }

    #[test]
    fn a_malformed_head_is_high_and_critical_with_an_edge_502() {
        let malformed = vec![ResponseDefect::Malformed {
            parse_error: "invalid status".into(),
            first_bytes: "HTTP/1.1 2OO".into(),
        }];
        let out = run(&ev(http_error(), malformed.clone(), None));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(!out.findings[0].observed);
        let mut e = ev(http_error(), malformed, None);
        add_edge_502(&mut e);
        let f = &run(&e).findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.observed);
        assert!(f.evidence.iter().any(|x| x.observed.contains("502 from CloudFront")));
    }

    #[test]
    fn framing_defects_on_a_200_are_findings_with_their_fix() {
        let ok = HopResult::Response(response(200, &[("Transfer-Encoding", "gzip")]));
        let out = run(&ev(ok, vec![ResponseDefect::UnsupportedTransferEncoding { value: "gzip".into() }], Some(80)));
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::High);
        assert!(f.summary.contains("Transfer-Encoding: gzip"), "{}", f.summary);
        assert!(f.remediation.summary.contains("chunked"));
    }

    #[test]
    fn a_large_head_is_a_low_confidence_finding_and_a_small_one_is_none() {
        let ok = || HopResult::Response(response(200, &[]));
        let f = &run(&ev(ok(), vec![], Some(LARGE_HEAD_BYTES + 1))).findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::Medium, Confidence::Low));
        assert!(run(&ev(ok(), vec![], Some(LARGE_HEAD_BYTES))).findings.is_empty());
    }

    #[test]
    fn clean_answers_and_http_version_defects_are_not_this_check() {
        assert!(run(&ev(HopResult::Response(response(200, &[])), vec![], Some(120))).findings.is_empty());
        for other in [ResponseDefect::Http2Frames { frame_type: "SETTINGS".into() }, ResponseDefect::TlsRecord] {
            let out = run(&ev(http_error(), vec![other], None));
            assert!(out.findings.is_empty() && out.unverified.is_empty());
        }
    }

    #[test]
    fn an_origin_that_never_answered_is_unverified_not_passed() {
        let refused = HopResult::Error(ProbeError::new(ProbeStage::Connect, "connection refused"));
        let out = run(&ev(refused, vec![], None));
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
        assert!(out.unverified[0].reason.contains("connection refused"));
    }
}
