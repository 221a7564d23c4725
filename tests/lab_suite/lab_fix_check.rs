//! The check of the primary finding's fix, end to end through the real CLI binary (and once the
//! Lambda binary): the origins probed again with the fix applied to a copy of the configuration,
//! the network model with the new rule, the record in the evidence file and its replay.

use lab::{Lab, Scenario, assert_schema_valid, runtime_api::run_function};
use serde_json::Value;
use std::process::{Command, Stdio};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");
const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");

fn cli(lab: &Lab, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(CLI);
    cmd.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in lab.aws_env() {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run the CLI")
}

/// `diagnose --format json --record FILE`: the report and the recorded evidence.
fn diagnose_recorded(lab: &Lab) -> (Value, Value, tempfile::TempPath) {
    let file = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    let path = file.to_str().unwrap().to_string();
    let mut args = vec!["diagnose", lab.distribution_id.as_str(), "--format", "json", "--record", path.as_str()];
    let lab_args = lab.cli_args();
    args.extend(lab_args.iter().map(String::as_str));
    let out = cli(lab, &args);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("the CLI prints JSON");
    assert_schema_valid(&report);
    let evidence: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).expect("evidence JSON");
    (report, evidence, file)
}

fn replay(lab: &Lab, file: &tempfile::TempPath, format: &str) -> std::process::Output {
    cli(lab, &["replay", file.to_str().unwrap(), "--format", format])
}

fn first_check(report: &Value) -> &Value {
    let checks = report["fix_check"].as_array().unwrap_or_else(|| panic!("no fix_check in {report:#}"));
    assert!(!checks.is_empty(), "{report:#}");
    assert_eq!(checks[0]["finding_id"], report["verdict"]["primary"], "the primary finding's fix");
    assert_eq!(checks[0]["alternative"], 0);
    &checks[0]
}

/// The fix probes recorded in the evidence: origin requests only, within the probe limits,
/// secrets redacted; and `replay` of the file gives the same fix check, in JSON and text.
fn assert_recorded_and_replayed(lab: &Lab, report: &Value, evidence: &Value, file: &tempfile::TempPath) {
    let recorded = evidence["observations"]["fix_checks"].as_array().expect("fix probes in the evidence file");
    assert!(!recorded.is_empty());
    // Only to names the distribution holds: its origins, and (a redirect followed as CloudFront
    // would) its own names.
    let d = &evidence["inventory"]["distribution"];
    let mut names: Vec<String> = d["origins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["domain_name"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    names.push(d["domain_name"].as_str().unwrap().to_ascii_lowercase());
    names.extend(d["aliases"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_ascii_lowercase()));
    let limits = lab.probe_settings().limits;
    for r in recorded {
        assert_eq!(r["finding_id"], report["verdict"]["primary"]);
        let probes = r["probes"].as_array().unwrap();
        assert!(!probes.is_empty(), "{r:#}");
        for p in probes {
            assert_eq!(p["target"]["kind"], "origin", "edge probes are not re-run: {p:#}");
            let hops = p["hops"].as_array().unwrap();
            assert!(hops.len() <= limits.max_redirects as usize + 1, "{p:#}");
            for h in hops {
                let url = h["url"].as_str().unwrap();
                let host = url.split("://").nth(1).unwrap().split(['/', ':']).next().unwrap();
                assert!(names.iter().any(|n| n == host), "only the distribution's names: {url}");
                let sample = h["result"]["body_sample"].as_str().unwrap_or_default();
                assert!(sample.len() <= limits.body_sample_bytes * 4, "{} bytes kept", sample.len());
                assert!(h["timings"]["total_ms"].as_u64().unwrap_or(0) <= limits.phase_budget.as_millis() as u64);
            }
            let headers = p["request_headers"].as_array().unwrap();
            if let Some(h) = headers.iter().find(|h| h["name"] == lab::LAB_SECRET_HEADER) {
                assert_eq!(h["value"], "<redacted>");
            }
        }
    }
    assert!(!evidence.to_string().contains(lab::LAB_SECRET_VALUE), "the secret header value is never recorded");
    let out = replay(lab, file, "json");
    let replayed: Value = serde_json::from_slice(&out.stdout).expect("replay prints JSON");
    assert_eq!(replayed["fix_check"], report["fix_check"], "replay reproduces the fix check");
    let text = String::from_utf8(replay(lab, file, "text").stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[2].starts_with("Fix check: "), "right under the verdict:\n{text}");
}

/// (a) The redirect loop, on an origin whose certificate already covers the names CloudFront
/// sends: https-only is verified by the origin probes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_only_on_an_origin_with_a_valid_certificate_is_verified() {
    let lab = Lab::start(Scenario::RedirectLoopCertReady).await;
    let (report, evidence, file) = diagnose_recorded(&lab);
    assert_eq!(report["verdict"]["primary"], "redirect-loop-origin-forces-https");
    let c = first_check(&report);
    assert_eq!(c["result"], "verified", "{c:#}");
    assert_eq!(c["verified_by"], "probes");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(
            "with OriginProtocolPolicy https-only the origin answers 200 over TLS with a trusted certificate for "
        ),
        "{summary}"
    );
    assert!(c["changes"][0].as_str().unwrap().contains(r#""http-only" → "https-only""#), "{c:#}");
    assert_recorded_and_replayed(&lab, &report, &evidence, &file);
    // The origin was really probed again over HTTPS, as CloudFront would after the change.
    let probes = evidence["observations"]["fix_checks"][0]["probes"].as_array().unwrap();
    assert!(probes.iter().any(|p| p["target"]["scheme"] == "https"), "{probes:#?}");
    assert!(!evidence["observations"]["fix_checks"][0]["tls"].as_array().unwrap().is_empty());
}

/// (b) The same loop on an origin whose certificate does not cover the name CloudFront sends
/// over HTTPS: https-only is not enough, and the next cause is the name mismatch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_only_on_an_origin_whose_certificate_lacks_the_name_is_not_enough() {
    let lab = Lab::start(Scenario::RedirectLoop).await;
    let (report, evidence, file) = diagnose_recorded(&lab);
    assert_eq!(report["verdict"]["primary"], "redirect-loop-origin-forces-https");
    let c = first_check(&report);
    assert_eq!(c["result"], "not_enough", "{c:#}");
    // Host is forwarded, so CloudFront would check the certificate against the viewer's name.
    let next = c["next"]["id"].as_str().unwrap();
    assert_eq!(next, "origin-cert-name-mismatch-forwarded-host", "{c:#}");
    assert!(c["summary"].as_str().unwrap().contains("redirect-loop-origin-forces-https is gone"), "{c:#}");
    assert_recorded_and_replayed(&lab, &report, &evidence, &file);
    let text = String::from_utf8(replay(&lab, &file, "text").stdout).unwrap();
    assert!(text.contains(&format!("Fix check: not enough — next: {next}")), "{text}");
}

/// (c) A security group without CloudFront's prefix list: the rule is verified by the network
/// model, with no probe (none can come from CloudFront's addresses).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prefix_list_rule_is_verified_by_the_network_model() {
    let lab = Lab::start(Scenario::SgBlocksCloudFront).await;
    let (report, evidence, file) = diagnose_recorded(&lab);
    assert_eq!(report["verdict"]["primary"], "sg-blocks-cloudfront");
    let c = first_check(&report);
    assert_eq!(c["result"], "verified", "{c:#}");
    assert_eq!(c["verified_by"], "network_model");
    assert!(c["summary"].as_str().unwrap().contains("verified by the network model"), "{c:#}");
    assert!(c["changes"][0].as_str().unwrap().contains("prefix list"), "{c:#}");
    assert!(evidence["observations"].get("fix_checks").is_none(), "nothing to probe: {:#}", evidence["observations"]);
    let replayed: Value = serde_json::from_slice(&replay(&lab, &file, "json").stdout).unwrap();
    assert_eq!(replayed["fix_check"], report["fix_check"]);
}

/// (d) An expired origin certificate: renewing it is the owner's change, not verifiable here;
/// the check says what to run after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewing_an_expired_certificate_is_not_verifiable_and_says_what_to_run() {
    let lab = Lab::start(Scenario::TlsExpired).await;
    let (report, evidence, _file) = diagnose_recorded(&lab);
    assert_eq!(report["verdict"]["primary"], "origin-cert-expired-or-not-yet-valid");
    let c = first_check(&report);
    assert_eq!(c["result"], "not_verifiable", "{c:#}");
    let rerun = format!("cf-origin-doctor diagnose {}", lab.distribution_id);
    assert_eq!(c["rerun"], rerun.as_str(), "{c:#}");
    assert!(c["summary"].as_str().unwrap().ends_with(&format!("then run: {rerun}")), "{c:#}");
    assert!(evidence["observations"].get("fix_checks").is_none());
}

/// The Lambda function's report carries the fix check too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_report_carries_the_fix_check() {
    let lab = Lab::start(Scenario::RedirectLoopCertReady).await;
    let event = format!(r#"{{"distribution_id": "{}", "publish": false}}"#, lab.distribution_id);
    let run = run_function(LAMBDA, &lab.lambda_env(), &event, 60_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    assert_schema_valid(&run.body);
    let c = first_check(&run.body);
    assert_eq!(c["result"], "verified", "{c:#}");
}

/// The fix phase has its own bounded budget (a third of the probe phase) and the same limits:
/// an origin slower than that budget is cut off by it, and the run does not wait longer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fix_probes_stop_at_their_own_budget() {
    let lab = Lab::start(Scenario::OriginReadTimeout).await;
    let mut settings = lab.probe_settings();
    settings.limits.phase_budget = std::time::Duration::from_secs(6);
    let budget = cf_origin_doctor::engine::fix_phase_budget(&settings.limits);
    assert_eq!(budget, std::time::Duration::from_secs(2));
    let req = cf_origin_doctor::request::DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    let d = Box::pin(lab.engine().diagnose_with(&req, &settings)).await.expect("diagnosis completes");
    assert_eq!(d.verdict.primary.as_deref(), Some("origin-read-timeout"), "{}", d.report.verdict.summary);
    let recorded = &d.evidence.observations.fix_checks;
    assert!(!recorded.is_empty(), "the raised OriginReadTimeout is probed");
    for p in recorded.iter().flat_map(|r| &r.probes) {
        for h in &p.hops {
            // The origin sends its first byte after 2.6 s: the 2 s budget ends the wait first.
            assert!(h.timings.total_ms <= budget.as_millis() as u64 + 500, "{p:#?}");
            assert!(h.response().is_none(), "cut off before the slow answer: {p:#?}");
        }
    }
}
