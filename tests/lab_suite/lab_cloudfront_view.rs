//! CloudFront's own view (its access logs and metrics) deciding what a probe from outside
//! CloudFront's addresses cannot: the edge stand-in logs every request it serves in CloudFront's
//! standard log format to the emulator's S3, and the real CLI and Lambda binaries read it.

use lab::{Lab, Options, Scenario, assert_schema_valid, runtime_api::run_function};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");
const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");

/// Viewer data a request carries that must never come out of the diagnosis.
const VIEWER_ADDRESS: &str = "203.0.113.77";
const VIEWER_COOKIE: &str = "session=LABCOOKIE7f3a91";
const VIEWER_QUERY: &str = "token=LABQUERY91c2e5";

fn logged(deny_origin_reads: bool) -> Options {
    Options { deny_origin_reads, access_logs: true, ..Options::default() }
}

fn run_cli(lab: &Lab, args: &[&str]) -> Output {
    let mut cmd = Command::new(CLI);
    cmd.args(args).args(lab.cli_args()).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in lab.aws_env() {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run the CLI")
}

/// The CLI's JSON report and its text report.
fn cli_reports(lab: &Lab) -> (Value, String, String) {
    let out = run_cli(lab, &["diagnose", &lab.distribution_id, "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {stderr}", out.status.code());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    assert_schema_valid(&json);
    let text = run_cli(lab, &["diagnose", &lab.distribution_id]);
    let text = format!("{}{}", String::from_utf8_lossy(&text.stdout), String::from_utf8_lossy(&text.stderr));
    (json, text, format!("{stderr}{}", String::from_utf8_lossy(&out.stdout)))
}

async fn lambda_report(lab: &Lab) -> (Value, String) {
    let event = serde_json::json!({ "distribution_id": lab.distribution_id }).to_string();
    let run = run_function(LAMBDA, &lab.lambda_env(), &event, 90_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    assert_schema_valid(&run.body);
    let all = format!("{}{}", run.body, run.stdout);
    (run.body, all)
}

/// Viewer requests through the edge stand-in, all at once, each carrying viewer data.
async fn traffic(lab: &Lab, path: &str, n: usize) {
    let target = format!("{path}?{VIEWER_QUERY}");
    let requests = (0..n).map(|_| {
        lab.through_edge("GET", &target, &[("Cookie", VIEWER_COOKIE), ("X-Lab-Viewer-Address", VIEWER_ADDRESS)])
    });
    futures_util::future::join_all(requests).await;
}

/// The same viewer requests one after the other (an origin that fails every n-th request).
async fn sequential_traffic(lab: &Lab, path: &str, n: usize) {
    let target = format!("{path}?{VIEWER_QUERY}");
    for _ in 0..n {
        lab.through_edge("GET", &target, &[("Cookie", VIEWER_COOKIE), ("X-Lab-Viewer-Address", VIEWER_ADDRESS)]).await;
    }
}

fn assert_no_viewer_data(what: &str, output: &str) {
    for secret in [VIEWER_ADDRESS, VIEWER_COOKIE, "LABCOOKIE7f3a91", VIEWER_QUERY, "LABQUERY91c2e5"] {
        assert!(!output.contains(secret), "{what} shows the viewer's {secret}");
    }
}

fn logs_of(r: &Value) -> &Value {
    &r["observations"]["cloudfront"]["logs"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_name_a_security_group_that_blocks_cloudfront_when_its_read_is_denied() {
    let lab = Lab::start_with(Scenario::SgBlocksCloudFront, logged(true)).await;
    traffic(&lab, "/", 8).await;
    let (r, text, _) = cli_reports(&lab);
    assert_eq!(logs_of(&r)["outcome"], "fetched", "{:#}", r["observations"]["cloudfront"]);
    assert_eq!(r["status"], "fail", "{:#}", r["verdict"]);
    assert_eq!(r["verdict"]["primary"], "sg-blocks-cloudfront", "{:#}", r["verdict"]);
    let top = &r["findings"][0];
    assert!(top["summary"].as_str().unwrap().contains("CloudFront's logs"), "{top:#}");
    assert!(top["observed"].as_bool().unwrap());
    assert!(
        r["unverified"].as_array().unwrap().iter().any(|u| {
            let reason = u["reason"].as_str().unwrap();
            reason.contains("access denied for ec2:") || reason.contains("access denied for elasticloadbalancing:")
        }),
        "the denied read is still named: {:#}",
        r["unverified"]
    );
    assert!(text.contains("CloudFront's logs, last 60 min:"), "{text}");
    assert!(text.contains("OriginCommError") || text.contains("OriginConnectError"), "{text}");

    let (l, _) = lambda_report(&lab).await;
    assert_eq!(l["verdict"]["primary"], "sg-blocks-cloudfront", "{:#}", l["verdict"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intermittent_502_is_said_to_be_intermittent() {
    let lab = Lab::start_with(Scenario::IntermittentOriginFailure, logged(false)).await;
    sequential_traffic(&lab, "/", 48).await;
    let (r, text, _) = cli_reports(&lab);
    let logs = &logs_of(&r)["value"];
    let failing = logs["failing"].as_u64().unwrap();
    let requests = logs["requests"].as_u64().unwrap();
    assert!(failing > 0 && failing * 5 < requests, "{failing} of {requests} failing");
    assert_ne!(r["status"], "pass", "{:#}", r["verdict"]);
    let said = format!("{}{text}", r["verdict"]["symptom"]);
    assert!(said.contains("intermittent"), "{said}");
    assert!(said.contains("502 OriginCommError"), "{said}");

    let (l, _) = lambda_report(&lab).await;
    assert_ne!(l["status"], "pass");
    assert!(
        l["observations"]["cloudfront"]["lines"].to_string().contains("intermittent"),
        "{:#}",
        l["observations"]["cloudfront"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_probe_with_failing_logs_is_not_a_pass_and_no_viewer_data_comes_out() {
    let lab = Lab::start_with(Scenario::FailingPathHealthyProbe, logged(false)).await;
    traffic(&lab, "/api/orders", 8).await;
    traffic(&lab, "/", 12).await;
    let (r, text, raw) = cli_reports(&lab);
    assert_ne!(r["status"], "pass", "{:#}", r["verdict"]);
    let symptom = r["verdict"]["symptom"].as_str().unwrap();
    assert!(symptom.starts_with("CloudFront's logs, last 60 min:"), "{symptom}");
    assert!(symptom.contains("502 OriginCommError"), "{symptom}");
    assert!(symptom.contains("disagree"), "the probes and the logs disagree, and the report says so: {symptom}");
    let paths = &logs_of(&r)["value"]["paths"];
    assert_eq!(paths[0]["path"], "/api/orders", "{paths:#}");
    let withheld = &logs_of(&r)["value"]["withheld"];
    assert!(withheld["requests_with_cookies"].as_u64().unwrap() >= 20, "{withheld:#}");
    assert!(withheld["requests_with_query"].as_u64().unwrap() >= 20, "{withheld:#}");
    assert_no_viewer_data("the CLI's JSON report", &raw);
    assert_no_viewer_data("the CLI's text report", &text);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evidence.json");
    let out =
        run_cli(&lab, &["diagnose", &lab.distribution_id, "--format", "json", "--record", file.to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let recorded_run: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_no_viewer_data("the recorded evidence", &std::fs::read_to_string(&file).unwrap());
    // The recorded view replays to the same symptom and view, offline.
    let replay = Command::new(CLI).args(["replay", file.to_str().unwrap(), "--format", "json"]).output().unwrap();
    let replayed: Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(replayed["verdict"]["symptom"], recorded_run["verdict"]["symptom"]);
    assert_eq!(replayed["observations"]["cloudfront"], recorded_run["observations"]["cloudfront"]);

    let (l, all) = lambda_report(&lab).await;
    assert_ne!(l["status"], "pass");
    assert!(l["verdict"]["symptom"].as_str().unwrap().contains("502 OriginCommError"));
    assert_no_viewer_data("the Lambda function's answer and logs", &all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_not_configured_is_said_and_the_run_passes() {
    let lab = Lab::start(Scenario::Healthy).await;
    let (r, text, _) = cli_reports(&lab);
    assert_eq!(r["status"], "pass", "{:#}", r["verdict"]);
    let logs = logs_of(&r);
    assert_eq!(logs["outcome"], "not_applicable");
    assert!(logs["reason"].as_str().unwrap().contains("not configured"), "{logs:#}");
    assert!(text.contains("CloudFront's logs, last 60 min: not read"), "{text}");
    let (l, _) = lambda_report(&lab).await;
    assert_eq!(l["status"], "pass");
    assert_eq!(logs_of(&l)["outcome"], "not_applicable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_log_bucket_is_named_in_the_report() {
    let lab =
        Lab::start_with(Scenario::Healthy, Options { access_logs: true, deny_log_reads: true, ..Options::default() })
            .await;
    traffic(&lab, "/", 3).await;
    let (r, text, _) = cli_reports(&lab);
    let logs = logs_of(&r);
    assert_eq!(logs["outcome"], "denied", "{logs:#}");
    assert!(logs["reason"].as_str().unwrap().contains("s3:ListBucket"), "{logs:#}");
    assert!(text.contains("access denied for s3:ListBucket"), "{text}");
    let (l, _) = lambda_report(&lab).await;
    assert_eq!(logs_of(&l)["outcome"], "denied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_log_bucket_is_read_within_its_bounds() {
    let lab = Lab::start_with(Scenario::Healthy, logged(false)).await;
    traffic(&lab, "/", 2).await;
    let s3 = lab::lab_s3_client(&lab.sdk);
    let bucket = lab.log_bucket.clone().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let hour = {
        let out = Command::new("date").args(["-u", "-d", &format!("@{now}"), "+%Y-%m-%d-%H"]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    // Sixty log objects of this hour, and one gzip bomb (100 MiB of zeros in a few hundred KiB).
    let line = format!("{}\n", cf_origin_doctor::evidence::log_header());
    for i in 0..60 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(line.as_bytes()).unwrap();
        let key = format!("{}{}.{hour}.seed{i:04}.gz", lab::LOG_PREFIX, lab.distribution_id);
        s3.put_object().bucket(&bucket).key(key).body(gz.finish().unwrap().into()).send().await.unwrap();
    }
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..100 {
        bomb.write_all(&zeros).unwrap();
    }
    // Among the 24 newest objects, so it is read.
    let key = format!("{}{}.{hour}.seed0050bomb.gz", lab::LOG_PREFIX, lab.distribution_id);
    s3.put_object().bucket(&bucket).key(key).body(bomb.finish().unwrap().into()).send().await.unwrap();

    let started = std::time::Instant::now();
    let (r, _, _) = cli_reports(&lab);
    let read = &logs_of(&r)["value"]["read"];
    assert_eq!(logs_of(&r)["outcome"], "fetched", "{:#}", logs_of(&r));
    assert!(read["objects_found"].as_u64().unwrap() >= 61, "{read:#}");
    // The listing is cut to the 24 newest; the bomb among them takes the decompressed budget.
    let objects_read = read["objects_read"].as_u64().unwrap();
    assert!((1..24).contains(&objects_read), "{read:#}");
    let bounds = read["bounds_hit"].to_string();
    assert!(bounds.contains("objects (24 newest read)"), "{bounds}");
    assert!(bounds.contains("decompressed bytes") || bounds.contains("seconds"), "{bounds}");
    assert!(read["bytes_decompressed"].as_u64().unwrap() <= 64 * 1024 * 1024, "{read:#}");
    assert!(started.elapsed() < std::time::Duration::from_secs(120), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_logging_v2_in_a_log_group_is_read_too() {
    let lab =
        Lab::start_with(Scenario::FailingPathHealthyProbe, Options { log_group: true, ..Options::default() }).await;
    traffic(&lab, "/api/orders", 6).await;
    traffic(&lab, "/", 6).await;
    let (r, _, raw) = cli_reports(&lab);
    let logs = logs_of(&r);
    assert_eq!(logs["outcome"], "fetched", "{logs:#}");
    assert_eq!(logs["value"]["source"]["kind"], "cloud_watch_logs", "{logs:#}");
    assert_ne!(r["status"], "pass", "{:#}", r["verdict"]);
    assert!(r["verdict"]["symptom"].as_str().unwrap().contains("502 OriginCommError"), "{:#}", r["verdict"]);
    assert_no_viewer_data("the CLI's report", &raw);
    let (l, _) = lambda_report(&lab).await;
    assert_eq!(logs_of(&l)["value"]["source"]["kind"], "cloud_watch_logs");
}
