//! Network failure modes end to end: the emulator holds the network configuration, the edge
//! stand-in (CloudFront's view) cannot reach the origin where the network drops CloudFront,
//! while the prober (admitted) reaches the real origin. Each scenario's report must name the
//! cause as `verdict.primary` with config, network and probe evidence; each fixed twin passes.

mod lab;

use lab::run;

use cf_origin_doctor::request::DiagnoseRequest;
use lab::{Lab, Scenario};
use serde_json::Value;

async fn diagnose(scenario: Scenario) -> Value {
    let lab = Lab::start(scenario).await;
    let req = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    let d = Box::pin(lab.engine().diagnose(&req)).await.expect("diagnosis completes");
    serde_json::to_value(&d.report).unwrap()
}

fn assert_primary_with_evidence(r: &Value, id: &str) {
    assert_eq!(r["status"], "fail", "{r:#}");
    assert_eq!(r["verdict"]["primary"], id, "{r:#}");
    let f = r["findings"].as_array().unwrap().iter().find(|f| f["id"] == id).expect("the finding");
    assert_eq!(f["observed"], true, "the failure was seen through the edge: {f:#}");
    let sources: Vec<&str> = f["evidence"].as_array().unwrap().iter().filter_map(|e| e["source"].as_str()).collect();
    for s in ["config", "network", "probe"] {
        assert!(sources.contains(&s), "missing {s} evidence in {f:#}");
    }
}

fn assert_passes(r: &Value) {
    assert_eq!(r["status"], "pass", "{r:#}");
    assert_eq!(r["verdict"]["primary"], Value::Null);
    assert!(r["unverified"].as_array().is_none_or(|u| u.is_empty()), "{r:#}");
}

#[test]
fn security_group_without_cloudfront_is_the_primary_cause() {
    let r = run(diagnose(Scenario::SgBlocksCloudFront));
    assert_primary_with_evidence(&r, "sg-blocks-cloudfront");
    assert_eq!(r["verdict"]["symptom_class"], "cloudfront_504", "dropped packets time out: {r:#}");
    let f = &r["findings"][0];
    assert!(f["remediation"]["summary"].as_str().unwrap().contains("com.amazonaws.global.cloudfront.origin-facing"));
    assert!(f["resources"].as_array().unwrap().iter().any(|x| x["kind"] == "security-group"));
    // The direct probe got through: the prober is admitted, CloudFront is not.
    let origin = r["observations"]["probes"].as_array().unwrap().iter().find(|p| p["target"] == "origin").unwrap();
    assert_eq!(origin["hops"][0]["status"], 200);
}

/// Two problems at once: the security group blocks CloudFront (the 504 viewers see) and the
/// origin certificate expires in 12 days (a latent risk). The group ranks first; the certificate
/// stays a low warning below it.
#[test]
fn blocked_security_group_outranks_an_expiring_certificate() {
    let r = run(diagnose(Scenario::SgBlocksAndCertExpiring));
    assert_primary_with_evidence(&r, "sg-blocks-cloudfront");
    assert_eq!(r["verdict"]["symptom_class"], "cloudfront_504", "{r:#}");
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings[0]["id"], "sg-blocks-cloudfront");
    let (rank, cert) = findings
        .iter()
        .enumerate()
        .find(|(_, f)| f["id"] == "origin-cert-expired-or-not-yet-valid")
        .expect("the expiring certificate is still reported");
    assert!(rank > 0);
    assert_eq!(cert["severity"], "low", "{cert:#}");
    assert_eq!(cert["observed"], false, "{cert:#}");
    let days = lab::tls_origin::EXPIRES_IN_DAYS;
    assert!(
        [days, days - 1].iter().any(|d| cert["summary"].as_str().unwrap().contains(&format!("expires in {d} days"))),
        "{cert:#}"
    );
    assert!(cert["evidence"].as_array().unwrap().iter().any(|e| e["source"] == "probe"), "{cert:#}");
    lab::assert_schema_valid(&r);
}

#[test]
fn security_group_admitting_the_prefix_list_passes() {
    assert_passes(&run(diagnose(Scenario::SgBlocksCloudFrontFixed)));
}

#[test]
fn network_acl_deny_is_the_primary_cause() {
    let r = run(diagnose(Scenario::NaclBlocks));
    assert_primary_with_evidence(&r, "nacl-blocks");
    let f = &r["findings"][0];
    assert!(
        f["evidence"].as_array().unwrap().iter().any(|e| e["observed"].as_str().unwrap_or("").contains("rule 50")),
        "{f:#}"
    );
}

#[test]
fn network_acl_deny_on_another_port_passes() {
    assert_passes(&run(diagnose(Scenario::NaclBlocksFixed)));
}

#[test]
fn denied_security_group_read_on_a_failing_distribution_is_incomplete_and_names_the_action() {
    let r = run(async {
        let lab = Lab::start(Scenario::SgBlocksCloudFront).await;
        let proxy = lab::aws_proxy::start(
            &lab.moto.endpoint,
            std::time::Duration::ZERO,
            vec![("DescribeSecurityGroups", lab::aws_proxy::Fault::Deny)],
        )
        .await;
        let api = cf_origin_doctor::inventory::aws::SdkApi::new(lab::emulator_config(&proxy.endpoint).await);
        let engine = cf_origin_doctor::engine::Engine::new(api, lab.probe_settings(), "the lab host (loopback)")
            .expect("engine");
        let req = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
        let d = Box::pin(engine.diagnose(&req)).await.expect("diagnosis completes");
        serde_json::to_value(&d.report).unwrap()
    });
    // The security group drops CloudFront's packets: the viewer sees CloudFront's 504.
    assert_eq!(r["verdict"]["symptom_class"], "cloudfront_504", "{r:#}");
    assert_eq!(r["status"], "incomplete", "{r:#}");
    assert_eq!(r["verdict"]["primary"], Value::Null, "no cause is claimed that could not be seen");
    let findings = r["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["id"] != "sg-blocks-cloudfront"), "{r:#}");
    assert!(
        findings.iter().all(|f| f["observed"] != true && f["severity"] != "critical"),
        "nothing else is blamed for the 504: {r:#}"
    );
    assert!(r["verdict"]["summary"].as_str().unwrap().contains("ec2:DescribeSecurityGroups"), "{r:#}");
    lab::assert_schema_valid(&r);
    let unverified = r["unverified"].as_array().unwrap();
    assert!(
        unverified.iter().any(|u| u["reason"].as_str().unwrap_or("").contains("ec2:DescribeSecurityGroups")),
        "{r:#}"
    );
}

#[test]
fn internal_load_balancer_is_the_primary_cause() {
    let r = run(diagnose(Scenario::InternalAlb));
    assert_primary_with_evidence(&r, "origin-not-internet-reachable");
    let f = &r["findings"][0];
    assert!(f["evidence"].as_array().unwrap().iter().any(|e| e["observed"] == "internal"), "{f:#}");
}

#[test]
fn missing_https_listener_is_the_primary_cause() {
    let r = run(diagnose(Scenario::NothingListening));
    assert_primary_with_evidence(&r, "nothing-listening-on-origin-port");
    let f = &r["findings"][0];
    assert!(f["summary"].as_str().unwrap().contains("https:443"), "{f:#}");
}

/// The twin of the internal-ALB and missing-listener scenarios is the healthy lab: an
/// internet-facing ALB listening on 80 and 443, which passes.
#[test]
fn the_fixed_twin_of_internal_and_missing_listener_passes() {
    assert_passes(&run(diagnose(Scenario::Healthy)));
}

#[test]
fn https_port_on_the_http_listener_is_the_primary_cause() {
    let r = run(diagnose(Scenario::ProtocolPortMismatch));
    assert_primary_with_evidence(&r, "protocol-port-mismatch");
    let f = &r["findings"][0];
    assert!(f["remediation"]["summary"].as_str().unwrap().contains("HTTPSPort to 443"), "{f:#}");
}

#[test]
fn nlb_targets_without_cloudfront_are_the_primary_cause() {
    let r = run(diagnose(Scenario::NlbSecurityModel));
    assert_primary_with_evidence(&r, "nlb-security-model");
    let f = &r["findings"][0];
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["subject"].as_str().unwrap_or("").contains("preserve_client_ip")),
        "{f:#}"
    );
}

#[test]
fn nlb_targets_admitting_the_prefix_list_pass() {
    assert_passes(&run(diagnose(Scenario::NlbSecurityModelFixed)));
}
