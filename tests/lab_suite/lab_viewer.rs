//! Viewer side: the distribution's certificate must cover every alias viewers use.

use cf_origin_doctor::request::DiagnoseRequest;
use lab::{Lab, Scenario, assert_schema_valid};
use serde_json::Value;

async fn diagnose(lab: &Lab) -> Value {
    let req = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    let d = Box::pin(lab.engine().diagnose(&req)).await.expect("diagnosis completes");
    serde_json::to_value(&d.report).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_certificate_that_misses_the_alias_is_the_primary_cause_and_the_covering_one_passes() {
    let lab = Lab::start(Scenario::ViewerCertMissingAlias).await;
    let r = diagnose(&lab).await;
    assert_schema_valid(&r);
    assert_eq!(r["status"], "fail", "{r:#}");
    assert_eq!(r["verdict"]["primary"], "viewer-certificate-problems", "{r:#}");
    assert_eq!(r["verdict"]["symptom_class"], "viewer_tls");
    let f = &r["findings"][0];
    let alias = lab.alias.as_deref().unwrap();
    assert!(f["summary"].as_str().unwrap().contains(alias), "{f:#}");
    let sources: Vec<&str> = f["evidence"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert!(sources.contains(&"probe") && sources.contains(&"config"), "{f:#}");
    drop(lab);

    let twin = Lab::start(Scenario::AliasOnDistribution).await;
    let r = diagnose(&twin).await;
    assert_eq!(r["status"], "pass", "{r:#}");
}
