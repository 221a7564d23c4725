//! Read-only helpers that let CloudFront's own view (its access logs and metrics,
//! `observations.cloudfront`) speak in the checks and the verdict like a probe does: what
//! CloudFront logged toward the origin decides what a probe from outside CloudFront's address
//! ranges cannot see (a security group, ACL or firewall that refuses only CloudFront, failures
//! that come and go).
//!
//! Field meanings: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html>;
//! metrics: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html>.

use super::{EvidenceItem, Source, SymptomClass};
use crate::evidence::{CloudFrontLogs, CloudFrontMetrics, CloudFrontView, Evidence, FailureKind, Fetch, Origin};
use crate::verdict::Symptom;

/// Fewer records than this say nothing about a share.
pub const MIN_RECORDS: u64 = 5;
/// A failing share at or above this (percent) is a failure viewers see.
pub const FAILING_PERCENT: f64 = 1.0;
/// Below this share (percent) the failure is intermittent: some requests fail, most work.
pub const INTERMITTENT_PERCENT: f64 = 20.0;

pub fn view(ev: &Evidence) -> Option<&CloudFrontView> {
    ev.observations.cloudfront.as_ref()
}

/// The access log summary, when the logs were read and hold enough records.
pub fn logs(ev: &Evidence) -> Option<&CloudFrontLogs> {
    view(ev)?.logs.value().filter(|l| l.requests >= MIN_RECORDS)
}

pub fn metrics(ev: &Evidence) -> Option<&CloudFrontMetrics> {
    view(ev)?.metrics.value()
}

/// "last 60 min" or "the alarm's window, 5 min".
fn window_words(v: &CloudFrontView) -> String {
    if v.window.origin.starts_with("alarm") {
        format!("{} window, {} min", v.window.origin, v.window.minutes())
    } else {
        format!("last {} min", v.window.minutes())
    }
}

/// `1204` → `1,204`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(p: f64) -> String {
    if p >= 10.0 || p == 0.0 || (p - p.round()).abs() < 0.05 { format!("{:.0} %", p) } else { format!("{p:.1} %") }
}

/// Whether the logs show viewers failing (enough records, a failing share past the threshold).
pub fn logs_failing(l: &CloudFrontLogs) -> bool {
    l.requests >= MIN_RECORDS && l.failing >= 2 && l.failing_percent() >= FAILING_PERCENT
}

pub fn intermittent(l: &CloudFrontLogs) -> bool {
    logs_failing(l) && l.failing_percent() < INTERMITTENT_PERCENT
}

/// The one line that says what CloudFront's logs saw, e.g. "CloudFront's logs, last 60 min:
/// 1,204 requests, 38 % 502 OriginConnectError at 9 edge locations".
pub fn logs_line(ev: &Evidence) -> Option<String> {
    let v = view(ev)?;
    let head = format!("CloudFront's logs, {}", window_words(v));
    Some(match &v.logs {
        Fetch::Fetched { value: l } => {
            let mut s = format!("{head}: {} requests", thousands(l.requests));
            match l.dominant_failure() {
                Some(f) if l.failing > 0 => {
                    s.push_str(&format!(
                        ", {} {} {} at {} edge location{}",
                        pct(crate::evidence::percent(f.count, l.requests)),
                        f.status,
                        f.detailed_result_type,
                        f.edge_locations,
                        if f.edge_locations == 1 { "" } else { "s" }
                    ));
                    if f.time_to_first_byte.count > 0 {
                        s.push_str(&format!(" (time to first byte p50 {} ms)", f.time_to_first_byte.p50_ms));
                    }
                    let others = l.failing.saturating_sub(f.count);
                    if others > 0 {
                        s.push_str(&format!(", {} other failing", thousands(others)));
                    }
                    if intermittent(l) {
                        s.push_str(&format!("; intermittent: {} of requests fail", pct(l.failing_percent())));
                    }
                }
                _ => s.push_str(", none failing"),
            }
            if !l.read.bounds_hit.is_empty() {
                s.push_str(&format!(" (read stopped at its bound: {})", l.read.bounds_hit.join(", ")));
            }
            s
        }
        other => format!("{head}: not read ({})", other.missing_reason().unwrap_or_default()),
    })
}

/// The one line of CloudFront's metrics, e.g. "CloudFront's metrics, last 60 min: 1,204
/// requests, 5xx 38 %, 4xx 0 %".
pub fn metrics_line(ev: &Evidence) -> Option<String> {
    let v = view(ev)?;
    let head = format!("CloudFront's metrics, {}", window_words(v));
    Some(match &v.metrics {
        Fetch::Fetched { value: m } => {
            let mut parts = Vec::new();
            if let Some(r) = m.requests {
                parts.push(format!("{} requests", thousands(r.max(0.0).round() as u64)));
            }
            for (name, value) in [
                ("5xx", m.error_rate_5xx),
                ("4xx", m.error_rate_4xx),
                ("502", m.error_rate_502),
                ("503", m.error_rate_503),
                ("504", m.error_rate_504),
            ] {
                if let Some(v) = value {
                    parts.push(format!("{name} {}", pct(v)));
                }
            }
            if let Some(p) = m.origin_latency_p90_ms {
                parts.push(format!("origin latency p90 {p:.0} ms"));
            }
            if parts.is_empty() {
                parts.push("no data points".into());
            }
            format!("{head}: {}", parts.join(", "))
        }
        other => format!("{head}: not read ({})", other.missing_reason().unwrap_or_default()),
    })
}

/// The symptom class a failure kind shows viewers.
pub fn class_of(status: u16) -> SymptomClass {
    match status {
        503 => SymptomClass::CloudFront503,
        504 => SymptomClass::CloudFront504,
        403 => SymptomClass::CloudFront403,
        400..=499 => SymptomClass::CloudFront4xx,
        _ => SymptomClass::CloudFront502,
    }
}

/// The failing symptom CloudFront's own records show, when they show one: the logs first (they
/// say which failure), then the metrics' 5xx rate.
pub fn failing_symptom(ev: &Evidence) -> Option<(SymptomClass, String)> {
    if let Some(l) = logs(ev).filter(|l| logs_failing(l)) {
        let class = l.dominant_failure().map_or(SymptomClass::CloudFront502, |f| class_of(f.status));
        return Some((class, logs_line(ev)?));
    }
    if view(ev).is_some_and(|v| v.logs.value().is_some()) {
        // The logs were read and do not show a failure: they outrank the aggregate metrics.
        return None;
    }
    let m = metrics(ev)?;
    let requests = m.requests.unwrap_or(0.0);
    let rate = m.error_rate_5xx.unwrap_or(0.0);
    if requests < MIN_RECORDS as f64 || rate < FAILING_PERCENT {
        return None;
    }
    let by_code = [(502, m.error_rate_502), (503, m.error_rate_503), (504, m.error_rate_504)];
    let class = by_code
        .iter()
        .filter_map(|(c, r)| r.map(|r| (*c, r)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(SymptomClass::CloudFront502, |(c, _)| class_of(c));
    Some((class, metrics_line(ev)?))
}

/// The probes' symptom joined with CloudFront's records: a failure the logs (or metrics) show
/// makes a healthy or unprobed distribution failing; where the two disagree, the description
/// says so. A failing probe stays the symptom (one live failure is direct), with the logs'
/// disagreement noted.
pub fn join_symptom(ev: &Evidence, probes: Symptom) -> Symptom {
    if probes.failing {
        return match contradicts_failing_probe(ev) {
            Some(note) => Symptom { description: format!("{}; {note}", probes.description), ..probes },
            None => probes,
        };
    }
    let Some((class, line)) = failing_symptom(ev) else {
        return probes;
    };
    let intermittent_hint = if logs(ev).is_some_and(intermittent) {
        " (an intermittent failure: look at the origin's keep-alive timeout against CloudFront's, an allowlist that admits only part of CloudFront's ranges, and the origin's capacity)"
    } else {
        ""
    };
    let probes_saw = if probes.seen {
        format!(
            "; the probes through CloudFront got {} (they disagree: the failure is not on every request, or not from every edge location)",
            probes.description
        )
    } else {
        String::new()
    };
    Symptom { description: format!("{line}{intermittent_hint}{probes_saw}"), class, failing: true, seen: true }
}

/// A healthy-looking read of the logs that contradicts a failing probe, said in one clause.
pub fn contradicts_failing_probe(ev: &Evidence) -> Option<String> {
    let l = logs(ev)?;
    (!logs_failing(l)).then(|| {
        format!(
            "CloudFront's logs disagree: {} of {} requests failed ({})",
            thousands(l.failing),
            thousands(l.requests),
            view(ev).map(window_words).unwrap_or_default()
        )
    })
}

/// Whether the logs attribute failures to `origin`: a failing path the logs list is routed to it
/// (or the distribution has a single origin).
fn routes_to(ev: &Evidence, l: &CloudFrontLogs, origin: &Origin) -> bool {
    let d = &ev.inventory.distribution;
    if d.origins.len() <= 1 {
        return true;
    }
    l.paths.iter().filter(|p| p.failing > 0).any(|p| d.behavior_for_path(&p.path).target_origin_id == origin.id)
}

/// The kind of origin failure a logged failure kind is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginFailure {
    /// CloudFront could not open a connection (refused, reset, or timed out connecting).
    Connect,
    /// CloudFront connected and waited for the answer past `OriginReadTimeout`.
    ReadTimeout,
}

/// What a failure kind says about `origin`. `OriginConnectError` is a failed connect;
/// `OriginCommError` ("timed out while connecting to the origin, or reading data from it") is
/// told apart by its time to first byte: near `OriginReadTimeout` (past the connect budget) it
/// is the read timeout; near `ConnectionAttempts × ConnectionTimeout`, or well below the read
/// timeout, a connect. When both budgets are equal (the defaults, 3 × 10 s and 30 s), the probe
/// straight to the origin decides: `origin_answers_within` is how long the origin took to send
/// its first byte to the prober.
pub fn classify(f: &FailureKind, origin: &Origin, origin_first_byte_ms: Option<u64>) -> Option<OriginFailure> {
    let detailed = f.detailed_result_type.as_str();
    if detailed == "OriginConnectError" {
        return Some(OriginFailure::Connect);
    }
    let timeoutish = detailed == "OriginCommError" || detailed.contains("Timeout") || detailed == "OriginReadError";
    if !timeoutish {
        return None;
    }
    let custom = origin.custom()?;
    let read_ms = u64::try_from(custom.read_timeout_s.max(1)).unwrap_or(30).saturating_mul(1000);
    let connect_ms = u64::try_from(origin.connection_attempts.max(1))
        .unwrap_or(3)
        .saturating_mul(u64::try_from(origin.connection_timeout_s.max(1)).unwrap_or(10))
        .saturating_mul(1000);
    let t = f.time_to_first_byte.p50_ms;
    if f.time_to_first_byte.count == 0 {
        return None;
    }
    let near = |budget: u64| t.saturating_mul(10) >= budget.saturating_mul(8);
    let read_near = near(read_ms);
    let connect_near = near(connect_ms) && t <= connect_ms.saturating_mul(13) / 10;
    match (read_near, connect_near) {
        (true, false) => Some(OriginFailure::ReadTimeout),
        (false, true) => Some(OriginFailure::Connect),
        (true, true) => match origin_first_byte_ms {
            Some(ms) if ms.saturating_mul(10) >= read_ms.saturating_mul(8) => Some(OriginFailure::ReadTimeout),
            Some(_) => Some(OriginFailure::Connect),
            None => None,
        },
        // A quick communication error is neither: the origin closed or broke the exchange.
        (false, false) => None,
    }
}

/// The quickest first byte the origin sent a CloudFront-shaped probe from this host, in ms.
pub fn direct_first_byte(ev: &Evidence, origin_id: &str) -> Option<u64> {
    ev.observations
        .origin_probes(origin_id)
        .filter_map(|p| p.hops.first())
        .filter(|h| h.response().is_some())
        .filter_map(|h| h.timings.first_byte_ms)
        .min()
}

/// The logged failure of `kind` toward `origin`, when it is a share viewers see.
/// `origin_first_byte_ms` defaults to the probes' quickest first byte from the origin.
pub fn origin_failure<'a>(
    ev: &'a Evidence,
    origin: &Origin,
    kind: OriginFailure,
    origin_first_byte_ms: Option<u64>,
) -> Option<(&'a CloudFrontLogs, &'a FailureKind)> {
    let l = logs(ev).filter(|l| logs_failing(l))?;
    if !routes_to(ev, l, origin) {
        return None;
    }
    let direct = origin_first_byte_ms.or_else(|| direct_first_byte(ev, &origin.id));
    let f = l.failures.iter().find(|f| classify(f, origin, direct) == Some(kind))?;
    (f.count >= 2).then_some((l, f))
}

/// The evidence item a logged failure kind gives a finding.
pub fn evidence_item(ev: &Evidence, l: &CloudFrontLogs, f: &FailureKind) -> EvidenceItem {
    EvidenceItem::new(
        Source::Probe,
        format!(
            "CloudFront's access logs ({}, {})",
            l.source.describe(),
            view(ev).map(window_words).unwrap_or_default()
        ),
        format!(
            "{} of {} requests {} {} at {} edge location(s), time to first byte p50 {} ms / max {} ms",
            thousands(f.count),
            thousands(l.requests),
            f.status,
            f.detailed_result_type,
            f.edge_locations,
            f.time_to_first_byte.p50_ms,
            f.time_to_first_byte.max_ms
        ),
    )
    .expected("CloudFront's requests answered by the origin")
}

/// For the network checks: what CloudFront logged when it could not reach `origin`, as the
/// (subject, observed) pair a failing edge probe gives.
pub fn connect_failure(ev: &Evidence, origin: &Origin) -> Option<(String, String)> {
    let (l, f) = origin_failure(ev, origin, OriginFailure::Connect, None)?;
    let item = evidence_item(ev, l, f);
    Some((item.subject, item.observed))
}

/// Any origin's connect failure in the logs (for checks that do not iterate origins).
pub fn any_connect_failure(ev: &Evidence) -> Option<(String, String)> {
    ev.inventory.distribution.origins.iter().find_map(|o| connect_failure(ev, o))
}

/// Any origin's connect failure in the logs as (subject, status, observed).
pub fn logged_gateway(ev: &Evidence) -> Option<(String, u16, String)> {
    ev.inventory.distribution.origins.iter().find_map(|o| {
        let (l, f) = origin_failure(ev, o, OriginFailure::Connect, None)?;
        let item = evidence_item(ev, l, f);
        Some((item.subject, f.status, item.observed))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{LogPercentiles, OriginProtocolPolicy};
    use crate::testing::*;

    fn kind(detailed: &str, p50: u64) -> FailureKind {
        FailureKind {
            status: 504,
            detailed_result_type: detailed.into(),
            count: 10,
            time_to_first_byte: LogPercentiles { count: 10, p50_ms: p50, p90_ms: p50, p99_ms: p50, max_ms: p50 },
            edge_locations: 2,
        }
    }

    #[test]
    fn a_comm_error_is_told_apart_by_its_time_to_first_byte() {
        let mut o = custom_origin("o1", "o.example", OriginProtocolPolicy::HttpOnly);
        o.connection_attempts = 1;
        o.connection_timeout_s = 2;
        if let crate::evidence::OriginKind::Custom(c) = &mut o.kind {
            c.read_timeout_s = 10;
        }
        assert_eq!(classify(&kind("OriginCommError", 9_900), &o, None), Some(OriginFailure::ReadTimeout));
        assert_eq!(classify(&kind("OriginCommError", 2_050), &o, None), Some(OriginFailure::Connect));
        assert_eq!(classify(&kind("OriginConnectError", 5), &o, None), Some(OriginFailure::Connect));
        assert_eq!(classify(&kind("OriginDnsError", 5), &o, None), None);
        // Equal budgets: the probe decides.
        o.connection_attempts = 5;
        assert_eq!(classify(&kind("OriginCommError", 10_000), &o, Some(40)), Some(OriginFailure::Connect));
        assert_eq!(classify(&kind("OriginCommError", 10_000), &o, Some(12_000)), Some(OriginFailure::ReadTimeout));
        assert_eq!(classify(&kind("OriginCommError", 10_000), &o, None), None);
    }

    /// CloudFront's view of the last hour: `lines` are (status, detailed type, time to first
    /// byte in seconds, how many).
    fn view(lines: &[(u16, &str, &str, usize)]) -> CloudFrontView {
        let t = crate::evidence::utc_unix("2026-12-06", "10:00:00").unwrap();
        let mut acc = crate::evidence::LogAccumulator::new(t - 3600, t + 60);
        let mut edge = 0;
        for (status, detailed, ttfb, n) in lines {
            for _ in 0..*n {
                edge += 1;
                let status = status.to_string();
                let location = format!("IAD{}-C1", edge % 9);
                acc.add_line(&crate::evidence::format_record(&[
                    ("date", "2026-12-06"),
                    ("time", "10:00:00"),
                    ("x-edge-location", &location),
                    ("c-ip", "198.51.100.7"),
                    ("cs-uri-stem", "/"),
                    ("sc-status", &status),
                    ("x-edge-result-type", if status.starts_with('5') { "Error" } else { "Miss" }),
                    ("time-to-first-byte", ttfb),
                    ("x-edge-detailed-result-type", detailed),
                ]));
            }
        }
        CloudFrontView {
            window: crate::evidence::ViewWindow { start_unix: t - 3600, end_unix: t, origin: "default".into() },
            metrics: Fetch::NotApplicable { reason: "not read".into() },
            logs: Fetch::fetched(
                acc.finish(crate::evidence::LogSource::S3 { bucket: "logs".into(), prefix: "cf/".into() }),
            ),
        }
    }

    fn healthy_edge(mut ev: Evidence) -> Evidence {
        use crate::evidence::{HopResult, ProbeTarget, RedirectOutcome, Scheme};
        ev.observations.probes.push(probe(
            "edge:https:/",
            ProbeTarget::Edge { hostname: "d111.cloudfront.net".into(), scheme: Scheme::Https },
            vec![hop("https://d111.cloudfront.net/", HopResult::Response(response(200, &[])))],
            RedirectOutcome::Final,
        ));
        ev
    }

    fn outside() -> Evidence {
        evidence(
            custom_origin("o1", "o.example", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(crate::evidence::OriginResource::OutsideAws { reason: "x".into() }),
        )
    }

    #[test]
    fn a_healthy_probe_with_failing_logs_is_not_a_pass_and_the_disagreement_is_said() {
        let mut ev = healthy_edge(outside());
        ev.observations.cloudfront =
            Some(view(&[(502, "OriginConnectError", "0.002", 458), (200, "Miss", "0.030", 746)]));
        let d = crate::evaluate(ev);
        assert_ne!(d.verdict.status, crate::verdict::Status::Pass);
        let s = &d.verdict.symptom;
        assert!(s.failing);
        assert_eq!(s.class, SymptomClass::CloudFront502);
        assert!(
            s.description.starts_with(
                "CloudFront's logs, last 60 min: 1,204 requests, 38 % 502 OriginConnectError at 9 edge locations"
            ),
            "{}",
            s.description
        );
        assert!(s.description.contains("disagree"), "{}", s.description);
        let text = crate::report::text::render(&d.report, crate::report::text::Style { color: false });
        assert!(text.contains("38 % 502 OriginConnectError"), "{text}");
    }

    #[test]
    fn healthy_logs_keep_a_healthy_probe_a_pass_and_note_a_failing_probe() {
        let mut ev = healthy_edge(outside());
        ev.observations.cloudfront = Some(view(&[(200, "Hit", "0.001", 100), (502, "OriginCommError", "0.1", 1)]));
        assert_eq!(crate::evaluate(ev.clone()).verdict.status, crate::verdict::Status::Pass);
        // The same logs against a probe that failed: the probe stays the symptom, the logs' view is noted.
        if let crate::evidence::HopResult::Response(r) = &mut ev.observations.probes[0].hops[0].result {
            r.status = 502;
            r.cloudfront_error =
                Some(crate::evidence::CloudFrontErrorPage { heading: "502 ERROR".into(), reason: None });
        }
        let s = crate::verdict::symptom(&ev);
        assert!(s.failing && s.description.contains("CloudFront's logs disagree: 1 of 101"), "{}", s.description);
    }

    #[test]
    fn a_small_failing_share_is_intermittent() {
        let mut ev = healthy_edge(outside());
        ev.observations.cloudfront = Some(view(&[(502, "OriginCommError", "0.004", 3), (200, "Miss", "0.02", 97)]));
        let s = crate::verdict::symptom(&ev);
        assert!(s.failing && s.description.contains("intermittent: 3 % of requests fail"), "{}", s.description);
    }

    #[test]
    fn logged_connect_failures_name_the_blocked_path_even_when_the_security_groups_were_denied() {
        use crate::evidence::{HopResult, Scheme};
        let lb = load_balancer("app-1.us-east-1.elb.amazonaws.com", vec![listener(80, "HTTP", forward())]);
        let mut path = network_path("load-balancer", vec![security_group("sg-1", vec![])]);
        path.security_groups = Fetch::Denied { action: "ec2:DescribeSecurityGroups".into(), message: "denied".into() };
        let mut ev = network_evidence(OriginProtocolPolicy::HttpOnly, lb, path);
        let mut direct = origin_probe_to(
            "o1",
            "app-1.us-east-1.elb.amazonaws.com",
            Scheme::Http,
            80,
            HopResult::Response(response(200, &[])),
        );
        direct.hops[0].timings.first_byte_ms = Some(40);
        ev.observations.probes.push(direct);
        let without = crate::evaluate(ev.clone());
        assert!(without.verdict.findings.iter().all(|f| f.id != "sg-blocks-cloudfront"));
        // Connect timeouts (3 attempts of 10 s) logged as OriginCommError 504s.
        ev.observations.cloudfront = Some(view(&[(504, "OriginCommError", "30.2", 40), (200, "Hit", "0.01", 10)]));
        let d = crate::evaluate(ev);
        assert_eq!(
            d.verdict.primary.as_deref(),
            Some("sg-blocks-cloudfront"),
            "{:#?} {:#?} {:?}",
            d.verdict.findings,
            d.verdict.unverified,
            d.evidence.inventory.distribution.origins[0]
        );
        let f = &d.verdict.findings[0];
        assert!(f.observed && f.summary.contains("CloudFront's logs show 40 of 50 requests"), "{}", f.summary);
        assert!(d.verdict.unverified.iter().any(|u| u.reason.contains("ec2:DescribeSecurityGroups")));
    }

    #[test]
    fn requests_ending_at_the_read_timeout_confirm_origin_read_timeout() {
        use crate::evidence::{HopResult, RequestShape};
        let mut ev = outside();
        let mut p = origin_probe(RequestShape::Cloudfront, "o.example", "/", HopResult::Response(response(200, &[])));
        p.hops[0].timings.first_byte_ms = Some(900);
        ev.observations.probes.push(p);
        ev.observations.cloudfront = Some(view(&[(504, "OriginCommError", "30.05", 12), (200, "Miss", "2.0", 88)]));
        if let crate::evidence::OriginKind::Custom(c) = &mut ev.inventory.distribution.origins[0].kind {
            c.read_timeout_s = 30;
        }
        ev.inventory.distribution.origins[0].connection_attempts = 3;
        ev.inventory.distribution.origins[0].connection_timeout_s = 2;
        let d = crate::evaluate(ev);
        let f = d.verdict.findings.iter().find(|f| f.id == "origin-read-timeout").expect("origin-read-timeout");
        assert!(f.observed && f.summary.contains("12 of 100 requests ending in 504 OriginCommError"), "{}", f.summary);
        assert!(f.summary.contains("intermittent"), "{}", f.summary);
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(12), "12");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(pct(38.2), "38 %");
        assert_eq!(pct(3.25), "3.2 %");
    }
}
