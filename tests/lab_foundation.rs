//! End-to-end lab tests for the foundation: emulator + real origins + edge stand-in.

mod lab;

use lab::{Lab, Scenario};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_distribution_passes() {
    let lab = Lab::start(Scenario::Healthy).await;
    let req = cf_origin_doctor::request::DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    let d = lab.engine().diagnose(&req).await.unwrap();
    let r = &d.report;
    assert_eq!(
        r.status,
        "pass",
        "{}",
        serde_json::to_string_pretty(r).unwrap()
    );
}
