//! Repeated probes (`--samples N`) through the real CLI and the Lambda function: a flaky origin
//! shows as an intermittent failure with its rate, an origin that closes idle keep-alive
//! connections before CloudFront's `OriginKeepaliveTimeout` is the keep-alive race with the
//! measured idle close, and their healthy twins report no failure.

use super::lab_locate::report;
use lab::{Lab, Scenario, assert_schema_valid, runtime_api::run_function};
use serde_json::Value;
use std::process::{Command, Output};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");
const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");

/// `diagnose <id>` through the real CLI with the lab's flags and `extra`.
fn diagnose(lab: &Lab, extra: &[&str]) -> Output {
    let mut args = vec!["diagnose", lab.distribution_id.as_str()];
    args.extend_from_slice(extra);
    super::lab_locate::run(lab, &[], &args)
}

fn series<'a>(r: &'a Value, target: &str) -> Vec<&'a Value> {
    r["observations"]["samples"].as_array().map_or(vec![], |a| a.iter().filter(|s| s["target"] == target).collect())
}

fn rate(s: &Value) -> f64 {
    s["failure_rate"].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_samples_of_a_flaky_origin_report_its_failure_rate_and_an_intermittent_verdict() {
    let lab = Lab::start(Scenario::IntermittentOriginFailures).await;
    let out = diagnose(&lab, &["--samples", "20", "--format", "json"]);
    let r = report(&out);
    // The origin closes every fourth connection unanswered: 25 %, within 15 points per series.
    let edge = series(&r, "edge");
    let origin = series(&r, "origin");
    assert!(!edge.is_empty() && !origin.is_empty(), "{:#}", r["observations"]["samples"]);
    for s in edge.iter().chain(&origin) {
        assert_eq!(s["requested"], 20);
        assert_eq!(s["sent"].as_u64().unwrap() + s["not_sent"].as_u64().unwrap(), 20, "{s:#}");
        assert!(s["sent"].as_u64().unwrap() >= 16, "{s:#}");
        assert!((rate(s) - 0.25).abs() <= 0.15, "rate {} in {s:#}", rate(s));
        assert_eq!(s["intermittent"], true, "{s:#}");
    }
    // Through CloudFront the failures are its 502 (the origin closed the connection).
    let classes = edge[0]["classes"].as_array().unwrap();
    let cf502 = classes.iter().find(|c| c["class"] == "cloudfront_error").expect("CloudFront's page");
    assert_eq!(cf502["status"], 502, "{classes:?}");
    assert_eq!(cf502["label"], "CloudFront's 502");
    assert!(edge[0]["summary"].as_str().unwrap().contains("got CloudFront's 502 in"), "{:#}", edge[0]);
    // Straight to the origin: connections closed without an answer.
    assert!(origin[0]["classes"].as_array().unwrap().iter().any(|c| c["class"] == "broken_answer"), "{:#}", origin[0]);
    assert!(origin[0]["first_byte_ms"]["p90"].is_u64() && origin[0]["origin_read_timeout_s"] == 30, "{:#}", origin[0]);
    // The verdict is not a pass and says it is intermittent, with the rate.
    assert_ne!(r["status"], "pass");
    let symptom = r["verdict"]["symptom"].as_str().unwrap();
    assert!(symptom.contains("intermittent") && symptom.contains(" of 20 requests"), "{symptom}");
    // Its own requests to the origin failed too: unless a single request hit by a failure
    // made some check name a cause, the summary puts the failure on the origin.
    let summary = r["verdict"]["summary"].as_str().unwrap();
    if r["verdict"]["primary"].is_null() {
        assert!(summary.contains("the origin itself fails some of the time"), "{summary}");
    }
    assert!(["fail", "incomplete"].contains(&r["status"].as_str().unwrap()), "{:#}", r["verdict"]);

    // The text report shows the same per series.
    let text = String::from_utf8(diagnose(&lab, &["--samples", "8"]).stdout).unwrap();
    assert!(text.contains("Repeated requests (--samples):"), "{text}");
    assert!(text.contains("of 8 failed, intermittent") || text.contains("of 8 failed ("), "{text}");
    assert!(text.contains("(OriginReadTimeout 30 s)"), "{text}");
    let markdown = String::from_utf8(diagnose(&lab, &["--samples", "4", "--format", "markdown"]).stdout).unwrap();
    assert!(markdown.contains("### Repeated requests") && markdown.contains("of 4 failed"), "{markdown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_of_a_healthy_origin_report_no_failure_and_no_finding() {
    let lab = Lab::start(Scenario::Healthy).await;
    let r = report(&diagnose(&lab, &["--samples", "20", "--format", "json"]));
    let all = series(&r, "edge").into_iter().chain(series(&r, "origin")).collect::<Vec<_>>();
    assert!(all.len() >= 2);
    for s in &all {
        assert_eq!(s["failures"], 0, "{s:#}");
        assert_eq!(s["sent"], 20, "{s:#}");
    }
    assert_eq!(r["status"], "pass", "{:#}", r["verdict"]);
    for f in r["findings"].as_array().unwrap() {
        assert!(!["medium", "high", "critical"].contains(&f["severity"].as_str().unwrap()), "{f:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_closing_idle_connections_before_cloudfront_is_the_measured_keepalive_race() {
    let lab = Lab::start(Scenario::KeepaliveRace).await;
    let r = report(&diagnose(&lab, &["--samples", "3", "--format", "json"]));
    let k = &r["observations"]["keepalive"][0];
    assert_eq!(k["outcome"], "closed_idle", "{k:#}");
    let idle = k["idle_ms"].as_u64().unwrap();
    assert!((1800..3500).contains(&idle), "the origin closes after 2 s: {k:#}");
    assert_eq!(k["origin_keepalive_timeout_s"], 5);
    let f = r["findings"].as_array().unwrap().iter().find(|f| f["id"] == "keepalive-race").expect("keepalive-race");
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains(&format!("after {:.1} s (measured)", idle as f64 / 1000.0)), "{summary}");
    assert!(summary.contains("for 5 s (OriginKeepaliveTimeout)"), "{summary}");
    assert_eq!(f["confidence"], "high");
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["source"] == "probe" && e["observed"].as_str().unwrap().contains("closed by the origin after"))
    );
    // No failure was seen through the edge stand-in (one connection per request): a warning.
    assert_eq!(r["status"], "warn", "{:#}", r["verdict"]);
    // The evidence replays to the same finding.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evidence.json");
    report(&diagnose(&lab, &["--samples", "2", "--format", "json", "--record", file.to_str().unwrap()]));
    let replayed = Command::new(CLI).args(["replay", file.to_str().unwrap(), "--format", "json"]).output().unwrap();
    let replayed = report(&replayed);
    assert!(replayed["findings"].as_array().unwrap().iter().any(|f| f["id"] == "keepalive-race"), "{replayed:#}");
    assert_eq!(
        replayed["observations"]["samples"].as_array().map(Vec::len),
        Some(series(&replayed, "edge").len() + series(&replayed, "origin").len())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_that_keeps_idle_connections_longer_has_no_keepalive_race() {
    let lab = Lab::start(Scenario::KeepaliveRaceFixed).await;
    let r = report(&diagnose(&lab, &["--samples", "3", "--format", "json"]));
    let k = &r["observations"]["keepalive"][0];
    assert_eq!(k["outcome"], "still_open", "{k:#}");
    assert!(k["idle_ms"].as_u64().unwrap() >= 5000, "{k:#}");
    assert!(r["findings"].as_array().unwrap().iter().all(|f| f["id"] != "keepalive-race"), "{:#}", r["findings"]);
    assert_eq!(r["status"], "pass", "{:#}", r["verdict"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_takes_samples_and_refuses_too_many() {
    let lab = Lab::start(Scenario::IntermittentOriginFailures).await;
    let event = serde_json::json!({"distribution_id": lab.distribution_id, "samples": 12}).to_string();
    let run = run_function(LAMBDA, &lab.lambda_env(), &event, 60_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    assert_schema_valid(&run.body);
    let edge = series(&run.body, "edge");
    assert_eq!(edge[0]["requested"], 12, "{:#}", run.body["observations"]);
    assert!(edge[0]["failures"].as_u64().unwrap() >= 1, "{:#}", edge[0]);
    assert_ne!(run.body["status"], "pass");

    let event = serde_json::json!({"distribution_id": lab.distribution_id, "samples": 51}).to_string();
    let run = run_function(LAMBDA, &lab.lambda_env(), &event, 60_000).await;
    assert_eq!(run.kind, "error", "{:#}", run.body);
    assert_eq!(run.body["errorType"], "InvalidRequest", "{:#}", run.body);
    assert!(run.body["errorMessage"].as_str().unwrap().contains("samples must be 1 to 50"), "{:#}", run.body);

    // The CLI says the same in one line, before any AWS call.
    let out = diagnose(&lab, &["--samples", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().lines().count() == 1 && stderr.contains("samples must be 1 to 50"), "{stderr}");
}
