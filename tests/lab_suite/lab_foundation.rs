//! End-to-end lab tests for the foundation: the AWS API emulator, real origin servers on
//! loopback with real TLS, and the CloudFront edge stand-in, driven through the engine, the
//! real CLI binary and the real Lambda binary.

use cf_origin_doctor::request::DiagnoseRequest;
use lab::{Lab, Scenario, assert_schema_valid, runtime_api::run_function};
use serde_json::Value;
use std::process::{Command, Stdio};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");
const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");

async fn diagnose(lab: &Lab) -> Value {
    let req = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    let d = lab.engine().diagnose(&req).await.expect("diagnosis completes");
    serde_json::to_value(&d.report).unwrap()
}

fn edge_probe<'a>(report: &'a Value, scheme: &str) -> &'a Value {
    report["observations"]["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["target"] == "edge" && p["id"].as_str().unwrap().contains(&format!(":{scheme}:")))
        .unwrap_or_else(|| panic!("no {scheme} edge probe in {report:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_distribution_passes_with_nothing_above_info() {
    let lab = Lab::start(Scenario::Healthy).await;
    let r = diagnose(&lab).await;
    assert_schema_valid(&r);
    assert_eq!(r["status"], "pass", "{r:#}");
    assert_eq!(r["verdict"]["primary"], Value::Null);
    assert_eq!(r["verdict"]["symptom_class"], "healthy");
    for f in r["findings"].as_array().unwrap() {
        assert_eq!(f["severity"], "info", "unexpected finding {f:#}");
    }
    // Through the edge: HTTPS answers 200 from the app (no redirect); HTTP is redirected once.
    let https = edge_probe(&r, "https");
    assert_eq!(https["redirects"], "final");
    assert_eq!(https["hops"][0]["status"], 200);
    assert_eq!(https["hops"][0]["x_cache"], "Miss from cloudfront");
    let http = edge_probe(&r, "http");
    assert_eq!(http["hops"][0]["status"], 301);
    assert_eq!(http["hops"].as_array().unwrap().len(), 2);
    assert_eq!(http["hops"][1]["status"], 200);
    // The direct origin probe went over HTTPS with SNI and Host = the origin's domain.
    let origin_probe =
        r["observations"]["probes"].as_array().unwrap().iter().find(|p| p["target"] == "origin").expect("origin probe");
    assert_eq!(origin_probe["hops"][0]["status"], 200);
    assert_eq!(origin_probe["hops"][0]["sni"], lab.alb.dns_name.to_ascii_lowercase());

    // The secret origin header was sent to the origin, but appears nowhere in the report.
    let headers = origin_probe["request_headers"].as_array().unwrap();
    assert!(headers.iter().any(|h| h[0] == lab::LAB_SECRET_HEADER && h[1] == "<redacted>"), "{headers:?}");
    assert!(!r.to_string().contains(lab::LAB_SECRET_VALUE));
    let (_, https_origin) = lab.origins.iter().find(|(port, _)| *port == 443).unwrap();
    let log = https_origin.log.lock().unwrap();
    assert!(log.iter().any(|req| req.header(lab::LAB_SECRET_HEADER) == Some(lab::LAB_SECRET_VALUE)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loop_is_the_primary_cause_with_config_and_probe_evidence() {
    let lab = Lab::start(Scenario::RedirectLoop).await;
    let r = diagnose(&lab).await;
    assert_schema_valid(&r);
    assert_eq!(r["status"], "fail");
    assert_eq!(r["verdict"]["primary"], "redirect-loop-origin-forces-https", "{r:#}");
    assert_eq!(r["verdict"]["symptom_class"], "redirect_loop");
    let f = &r["findings"][0];
    assert_eq!(f["id"], "redirect-loop-origin-forces-https");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["observed"], true);
    let sources: Vec<&str> = f["evidence"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
    for s in ["config", "network", "probe"] {
        assert!(sources.contains(&s), "missing {s} evidence in {f:#}");
    }
    let config = f["evidence"].as_array().unwrap().iter().find(|e| e["source"] == "config").unwrap();
    assert!(config["subject"].as_str().unwrap().ends_with("OriginProtocolPolicy"));
    assert_eq!(config["observed"], "http-only");
    assert!(f["remediation"]["summary"].as_str().unwrap().contains("https-only"));
    let kinds: Vec<&str> = f["resources"].as_array().unwrap().iter().map(|x| x["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"listener") && kinds.contains(&"origin") && kinds.contains(&"distribution"));

    // Through the edge, the same URL comes back.
    let https = edge_probe(&r, "https");
    assert_eq!(https["redirects"], "loop");
    let first = https["hops"][0]["url"].as_str().unwrap();
    assert_eq!(first, format!("https://{}/", lab.domain_name));
    assert_eq!(https["hops"][0]["status"], 301);
    assert_eq!(https["hops"][0]["location"], format!("https://{}:443/", lab.domain_name));
    assert!(https["redirects_detail"].as_str().unwrap().starts_with(first));

    // The origin saw CloudFront-shaped requests: CloudFront's User-Agent, the forwarded Host.
    let (_, http_origin) = lab.origins.iter().find(|(port, _)| *port == 80).unwrap();
    let log = http_origin.log.lock().unwrap();
    assert!(
        log.iter().any(|req| req.header("user-agent") == Some("Amazon CloudFront") && req.host() == lab.domain_name)
    );
}

/// The redirect loop's twin: the same redirecting listener and the same Host forwarding, with the
/// fix the finding names (https-only, a certificate for the name CloudFront sends).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_only_toward_the_redirecting_listener_passes() {
    let lab = Lab::start(Scenario::RedirectLoopFixed).await;
    let r = diagnose(&lab).await;
    assert_schema_valid(&r);
    assert_eq!(r["status"], "pass", "{r:#}");
    assert_eq!(r["verdict"]["primary"], Value::Null);
    let https = edge_probe(&r, "https");
    assert_eq!(https["hops"][0]["status"], 200, "{https:#}");
    assert_eq!(https["redirects"], "final", "{https:#}");
    // CloudFront reached the HTTPS listener with the viewer's Host, not the redirecting one.
    let (_, https_origin) = lab.origins.iter().find(|(port, _)| *port == 443).unwrap();
    let log = https_origin.log.lock().unwrap();
    assert!(
        log.iter().any(|req| req.header("user-agent") == Some("Amazon CloudFront") && req.host() == lab.domain_name)
    );
}

fn normalise(report: &Value) -> Value {
    let probes: Vec<Value> = report["observations"]["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let hops: Vec<Value> = p["hops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| serde_json::json!([h["url"], h["status"], h["error_stage"]]))
                .collect();
            serde_json::json!({"id": p["id"], "hops": hops, "redirects": p["redirects"]})
        })
        .collect();
    serde_json::json!({
        "status": report["status"],
        "verdict": {"primary": report["verdict"]["primary"], "summary": report["verdict"]["summary"]},
        "highest_severity": report["highest_severity"],
        "findings": report["findings"],
        "unverified": report["unverified"],
        "probes": probes,
    })
}

pub(crate) fn run_cli(lab: &Lab, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(CLI);
    cmd.args(args).args(lab.cli_args()).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in lab.aws_env() {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run the CLI")
}

/// Runs the real Lambda binary against a local Runtime API with one event.
async fn run_lambda(lab: &Lab, event: &str) -> (String, Value) {
    let run = run_function(LAMBDA, &lab.lambda_env(), event, 60_000).await;
    (run.kind, run.body)
}

fn event_for(lab: &Lab, file: &str) -> String {
    let raw = std::fs::read_to_string(format!("{}/events/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    raw.replace("E2QWRUHEXAMPLE", &lab.distribution_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_and_lambda_return_the_same_report() {
    let lab = Lab::start(Scenario::RedirectLoop).await;
    let out = run_cli(&lab, &["diagnose", &lab.distribution_id, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let cli: Value = serde_json::from_slice(&out.stdout).expect("CLI prints JSON");
    assert_schema_valid(&cli);

    let (kind, lambda) = run_lambda(&lab, &event_for(&lab, "direct.json")).await;
    assert_eq!(kind, "response", "{lambda:#}");
    assert_schema_valid(&lambda);
    assert_eq!(normalise(&cli), normalise(&lambda));
    assert!(lambda["observations"]["probed_from"].as_str().unwrap().contains("Lambda"));

    let (kind, camel) = run_lambda(&lab, &event_for(&lab, "direct-camel-case.json")).await;
    assert_eq!(kind, "response");
    assert_eq!(camel["verdict"]["primary"], "redirect-loop-origin-forces-https");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_evidence_replays_to_the_same_report() {
    let lab = Lab::start(Scenario::RedirectLoop).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evidence.json");
    let out =
        run_cli(&lab, &["diagnose", &lab.distribution_id, "--format", "json", "--record", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let live: Value = serde_json::from_slice(&out.stdout).unwrap();
    let recorded = std::fs::read_to_string(&file).unwrap();
    assert!(!recorded.contains(lab::LAB_SECRET_VALUE), "the evidence file leaks the origin secret");
    assert!(recorded.contains("fingerprint"));
    drop(lab); // replay needs neither the emulator nor the network
    let replay = Command::new(CLI).args(["replay", file.to_str().unwrap(), "--format", "json"]).output().unwrap();
    assert_eq!(replay.status.code(), Some(1));
    let replayed: Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(live, replayed);

    // The same evidence as Markdown for a ticket: verdict, fix, findings.
    let md = Command::new(CLI).args(["replay", file.to_str().unwrap(), "--format", "markdown"]).output().unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("## cf-origin-doctor: **FAIL**"), "{md}");
    assert!(md.contains("### Fix (`redirect-loop-origin-forces-https`)"), "{md}");
    assert!(md.contains("```sh\naws cloudfront get-distribution-config"), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_get_clear_errors_not_panics() {
    let lab = Lab::start(Scenario::Healthy).await;

    // Unknown distribution: exit 2 and one line on stderr.
    let out = run_cli(&lab, &["diagnose", "ENOSUCHDIST123"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("ENOSUCHDIST123") && stderr.contains("not found"), "{stderr}");
    assert!(!stderr.contains("panicked"));

    // Malformed id and path.
    for args in [
        vec!["diagnose", "not-an-id"],
        vec!["diagnose", "EABC", "--path", "nope"],
        vec!["diagnose", "EABC", "--connect-to", "x"],
    ] {
        let out = run_cli(&lab, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("cf-origin-doctor: invalid request: "), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }

    // Through the Lambda: typed errors with stable names.
    let (kind, err) = run_lambda(&lab, r#"{"distribution_id": "ENOSUCHDIST123"}"#).await;
    assert_eq!(kind, "error");
    assert_eq!(err["errorType"], "DistributionNotFound", "{err:#}");
    let (kind, err) = run_lambda(&lab, r#"{"distribution": "E1"}"#).await;
    assert_eq!(kind, "error");
    assert_eq!(err["errorType"], "InvalidRequest", "{err:#}");
    assert!(err["errorMessage"].as_str().unwrap().contains("distribution_id"));
}

#[test]
fn unreachable_emulator_is_a_clear_error() {
    let port = lab::moto::free_port();
    let out = Command::new(CLI)
        .args(["diagnose", "E2QWRUHEXAMPLE"])
        .env_clear()
        .envs(lab::aws_env_for(&format!("http://127.0.0.1:{port}")))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot reach the AWS API"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
