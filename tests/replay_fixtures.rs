//! Recorded evidence replays offline to the expected verdict. The files in
//! `tests/fixtures/evidence/` were recorded from lab scenarios with `--record`; a user's
//! recorded evidence can become a test the same way (add it with its expected verdict below).

use cf_origin_doctor::engine::evaluate;
use cf_origin_doctor::evidence::Evidence;

fn replay(name: &str) -> cf_origin_doctor::engine::Diagnosis {
    let path = format!("{}/tests/fixtures/evidence/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let ev: Evidence = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{path} no longer loads: {e}"));
    evaluate(ev)
}

#[test]
fn recorded_redirect_loop_replays_to_its_cause() {
    let d = replay("redirect-loop");
    assert_eq!(d.report.status, "fail");
    assert_eq!(d.report.verdict.primary.as_deref(), Some("redirect-loop-origin-forces-https"));
    assert_eq!(d.report.verdict.symptom_class, "redirect_loop");
}

#[test]
fn recorded_healthy_distribution_replays_to_pass() {
    let d = replay("healthy");
    assert_eq!(d.report.status, "pass", "{}", d.report.verdict.summary);
    assert!(d.report.findings.iter().all(|f| f.severity == "info"));
}
