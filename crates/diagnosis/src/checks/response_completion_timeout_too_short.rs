//! `response-completion-timeout-too-short`: the whole origin fetch takes longer than the
//! origin's `ResponseCompletionTimeout`.
//!
//! `ResponseCompletionTimeout` (2025) caps the wall-clock time of an origin fetch, retries
//! included, however steadily the bytes flow; past it CloudFront ends the response with a 504
//! (or the custom error page). Large downloads and long streams that work straight from the
//! origin, and pass `OriginReadTimeout` because packets keep coming, fail through CloudFront.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#response-completion-timeout>

use super::origin_answers::{origin_first_hops, reached_http};
use super::probe_view::{edge, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, ConfigChange, Fix};
use crate::evidence::{CloudFrontReason, Evidence, Hop, HopResult};

pub static META: CheckMeta = CheckMeta {
    id: "response-completion-timeout-too-short",
    title: "Origin responses take longer than the response completion timeout",
    what_breaks: "Long downloads or streams end in 504 (or stop short) through CloudFront although data keeps flowing and the origin, asked directly, completes them.",
    why: "ResponseCompletionTimeout caps the total time of the origin fetch, retries included, independently of OriginReadTimeout; a response still arriving when it runs out is abandoned.",
    evidence_used: &[
        "Origins.Items[].ResponseCompletionTimeout and CustomOriginConfig.OriginReadTimeout",
        "direct probes shaped as CloudFront sends them: total transfer time, bytes read, Content-Length (the full time is extrapolated at the observed rate when the probe stopped at its byte cap)",
        "probes through the distribution: 504 with CloudFront's error page",
    ],
    fix: "Raise Origins.Items[].ResponseCompletionTimeout above the slowest complete response (or unset it), or make the responses smaller or faster.",
    fix_kinds: &[super::FixKind::Typed],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#response-completion-timeout",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504]),
    module: module_path!(),
};

/// The time the whole response takes, in ms, and whether that is measured or extrapolated.
fn full_time_ms(h: &Hop) -> Option<(u64, bool)> {
    let HopResult::Response(r) = &h.result else {
        return None;
    };
    let total = h.timings.total_ms;
    if r.body_incomplete.is_none() {
        return Some((total, true));
    }
    // Cut at the probe's cap (or time bound): extrapolate the body at the rate it arrived.
    let length = r.header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    match (length, h.timings.first_byte_ms) {
        (Some(len), Some(fb)) if r.body_bytes_read > 0 && len > r.body_bytes_read => {
            let body_ms = total.saturating_sub(fb) as f64;
            let rest = body_ms * (len as f64 / r.body_bytes_read as f64);
            Some(((fb as f64 + rest) as u64, false))
        }
        _ => None,
    }
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for origin in &d.origins {
        let (Some(custom), Some(limit_s)) = (origin.custom(), origin.response_completion_timeout_s) else {
            continue;
        };
        let field = format!("Origins[Id={}].ResponseCompletionTimeout", origin.id);
        let limit_ms = u64::try_from(limit_s.max(1)).unwrap_or(1) * 1000;
        let hops = origin_first_hops(ev, &origin.id);
        // The slowest complete (or extrapolated) transfer: (ms, measured, description).
        let mut worst: Option<(u64, bool, String)> = None;
        let mut unknown = Vec::new();
        for (p, h) in &hops {
            match full_time_ms(h) {
                Some((ms, measured)) if worst.as_ref().is_none_or(|(w, _, _)| ms > *w) => {
                    let r = h.response().map(|r| r.body_bytes_read).unwrap_or(0);
                    let how = if measured {
                        format!("complete response in {ms} ms ({r} body bytes)")
                    } else {
                        format!(
                            "about {ms} ms for the whole response at the rate seen ({r} body bytes in {} ms, {} announced)",
                            h.timings.total_ms,
                            h.response().and_then(|x| x.header("content-length")).unwrap_or("?")
                        )
                    };
                    worst = Some((ms, measured, format!("{} {}: {how}", p.method, h.url)));
                }
                Some(_) => {}
                None if h.timings.total_ms > limit_ms && reached_http(h) => {
                    // Still arriving (or waiting) past the limit, measured.
                    worst = Some((
                        h.timings.total_ms,
                        true,
                        format!("{} {}: still unfinished after {} ms", p.method, h.url, h.timings.total_ms),
                    ));
                }
                None if reached_http(h) => unknown.push(format!(
                    "{} {}: the probe stopped after {} ms ({}) without a length to extrapolate from",
                    p.method,
                    h.url,
                    h.timings.total_ms,
                    h.response().and_then(|r| r.body_incomplete.clone()).unwrap_or_else(|| "no complete answer".into())
                )),
                None => {}
            }
        }
        let what = format!(
            "whether origin {}'s responses complete within its {limit_s} s ResponseCompletionTimeout",
            origin.id
        );
        let Some((ms, measured, desc)) = worst else {
            match unknown.first() {
                Some(u) => out.unverified(&META, what, u.clone()),
                None => {
                    out.unverified(&META, what, "no probe shaped as CloudFront's request got an answer from the origin")
                }
            }
            continue;
        };
        let exceeded = ms > limit_ms;
        let near = !exceeded && ms * 10 >= limit_ms * 8;
        if !exceeded && !near {
            if let Some(u) = unknown.first() {
                out.unverified(&META, what, u.clone());
            }
            continue;
        }
        let edge_504 = edge(ev).find_map(|p| {
            let (h, r) = last_response(p)?;
            (r.status == 504
                && (r.cloudfront_error.is_some()
                    || r.cloudfront_reason() == Some(&CloudFrontReason::ConnectionFailedOrClosed)))
            .then(|| EvidenceItem::new(Source::Probe, format!("viewer request {}", h.url), "504 from CloudFront"))
        });
        let observed = exceeded && edge_504.is_some();
        let (severity, confidence) = match (exceeded, observed, measured) {
            (true, true, _) => (Severity::Critical, Confidence::High),
            (true, false, true) => (Severity::High, Confidence::High),
            (true, false, false) => (Severity::High, Confidence::Medium),
            (false, _, _) => (Severity::Low, Confidence::Medium),
        };
        let mut evidence = vec![
            EvidenceItem::new(Source::Config, &field, format!("{limit_s} s"))
                .expected(format!("more than the {ms} ms a full response takes")),
            EvidenceItem::new(
                Source::Config,
                format!("Origins[Id={}].CustomOriginConfig.OriginReadTimeout", origin.id),
                format!("{} s", custom.read_timeout_s),
            ),
            EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", desc)
                .expected(format!("under {limit_ms} ms")),
        ];
        if observed {
            evidence.extend(edge_504);
        }
        let suggested = (ms / 1000) * 3 / 2 + 10;
        let finding = META.finding(severity, confidence)
            .summary(if exceeded {
                format!(
                    "A full response from origin {} takes about {:.1} s, longer than its {limit_s} s ResponseCompletionTimeout: CloudFront abandons it with a 504.",
                    origin.id,
                    ms as f64 / 1000.0
                )
            } else {
                format!(
                    "A full response from origin {} takes {:.1} s, close to its {limit_s} s ResponseCompletionTimeout: larger or slower responses will end in 504.",
                    origin.id,
                    ms as f64 / 1000.0
                )
            })
            .observed(observed)
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::alternatives([
                    vec![Change::Config(ConfigChange::ResponseCompletionTimeout {
                        origin_id: origin.id.clone(),
                        seconds: Some(i32::try_from(suggested).unwrap_or(i32::MAX)),
                    })],
                    vec![Change::Config(ConfigChange::ResponseCompletionTimeout { origin_id: origin.id.clone(), seconds: None })],
                ]),
                summary: format!("Set {field} to {suggested} (seconds) or remove it (no overall limit)."),
                steps: vec![
                    "It must stay at or above OriginReadTimeout.".into(),
                    "For large files, serve them from S3 or split them (range requests) so each fetch finishes in time.".into(),
                ],
                cli: vec![update_cli(d)],
            }.exact(d))
            .resource("distribution", &d.id)
            .resource("origin", &origin.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, OriginProtocolPolicy, OriginResource, RequestShape, Scheme};
    use crate::testing::*;

    fn ev(limit: Option<i32>, total_ms: u64, incomplete: Option<&str>, content_length: Option<&str>) -> Evidence {
        let mut o = custom_origin("o1", "files.example.com", OriginProtocolPolicy::HttpOnly);
        o.response_completion_timeout_s = limit;
        let mut e = evidence(o, Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }));
        let headers: Vec<(&str, &str)> = content_length.map(|c| vec![("Content-Length", c)]).unwrap_or_default();
        let mut r = response(200, &headers);
        r.body_bytes_read = 262_144;
        r.body_incomplete = incomplete.map(str::to_string);
        r.body_truncated = incomplete.is_some();
        let mut p = origin_probe(RequestShape::Cloudfront, "files.example.com", "/big", HopResult::Response(r));
        p.hops[0].timings.total_ms = total_ms;
        p.hops[0].timings.first_byte_ms = Some(100);
        e.observations.probes.push(p);
        e
    }

    #[test]
    fn a_measured_transfer_past_the_limit_is_high_and_critical_with_an_edge_504() {
        let f = &run(&ev(Some(30), 42_000, None, None)).findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::High));
        let mut e = ev(Some(30), 42_000, None, None);
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/big",
            HopResult::Response(cloudfront_page(504, CloudFrontReason::ConnectionFailedOrClosed)),
        ));
        let f = &run(&e).findings[0];
        assert!(f.observed && f.severity == Severity::Critical);
    }

    #[test]
    fn a_body_cut_at_the_cap_is_extrapolated_from_its_length() {
        // 256 KiB in 2.1 s of a 100 MiB body: about 800 s in all.
        let out = run(&ev(Some(60), 2_100, Some("stopped reading at the 262144 byte cap"), Some("104857600")));
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::Medium));
        assert!(f.evidence[2].observed.contains("at the rate seen"), "{}", f.evidence[2].observed);
        // Without a length the total is unknown: said, not passed.
        let out = run(&ev(Some(60), 2_100, Some("stopped reading at the 262144 byte cap"), None));
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
    }

    #[test]
    fn fast_responses_and_unset_timeouts_are_no_finding_and_near_misses_are_low() {
        assert!(run(&ev(Some(30), 1_000, None, None)).findings.is_empty());
        assert!(run(&ev(Some(30), 1_000, None, None)).unverified.is_empty());
        assert!(run(&ev(None, 500_000, None, None)).findings.is_empty(), "no ResponseCompletionTimeout set");
        assert_eq!(run(&ev(Some(30), 25_000, None, None)).findings[0].severity, Severity::Low);
    }
}
