//! Network failure modes end to end: the emulator holds the network configuration, the edge
//! stand-in (CloudFront's view) cannot reach the origin where the network drops CloudFront,
//! while the prober (admitted) reaches the real origin. Each scenario's report must name the
//! cause as `verdict.primary` with config, network and probe evidence; each fixed twin passes.

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

#[test]
fn security_group_admitting_only_another_group_is_the_primary_cause_and_names_that_group() {
    let r = run(diagnose(Scenario::SgAdmitsOnlyGroup));
    assert_primary_with_evidence(&r, "sg-blocks-cloudfront");
    let f = &r["findings"][0];
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains("admits only sg-") && summary.contains("(web-tier) on tcp 443"), "{f:#}");
    assert!(
        f["evidence"].as_array().unwrap().iter().any(|e| e["observed"].as_str().unwrap_or("").contains("(web-tier)")),
        "{f:#}"
    );
}

#[test]
fn nlb_ip_target_whose_interface_admits_only_the_vpc_is_the_primary_cause() {
    let r = run(diagnose(Scenario::NlbIpTargets));
    assert_primary_with_evidence(&r, "nlb-security-model");
    let f = &r["findings"][0];
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains(&format!("target {} (eni-", lab::net_scenarios::NLB_IP_TARGET)), "{f:#}");
    assert!(f["resources"].as_array().unwrap().iter().any(|x| x["kind"] == "security-group"), "{f:#}");
}

#[test]
fn nlb_ip_target_admitting_the_prefix_list_passes() {
    assert_passes(&run(diagnose(Scenario::NlbIpTargetsFixed)));
}

/// The emulator keeps IPv6 ACL entries and IPv6 rule sources, but drops `IpAddressType` on
/// origins and has no IPv6 origin-facing list: the inventory must carry the IPv6 facts, and
/// the IPv6 check (with the origin set to dual-stack in the evidence, as the emulator cannot)
/// must find the IPv6 deny and say it cannot judge IPv6 CIDRs without the IPv6 list.
#[test]
fn ipv6_acl_entries_and_rule_sources_reach_the_ipv6_check() {
    use aws_sdk_ec2::types as ec2t;
    use cf_origin_doctor::evidence::{OriginKind, OriginResource};
    let ev = run(async {
        let lab = Lab::start(Scenario::Healthy).await;
        let ec2 = aws_sdk_ec2::Client::new(&lab.sdk);
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&lab.sdk);
        let lbs = elb.describe_load_balancers().load_balancer_arns(&lab.alb.arn).send().await.unwrap();
        let lb = lbs.load_balancers().first().unwrap();
        let (vpc, sg) = (lb.vpc_id().unwrap().to_string(), lb.security_groups()[0].clone());
        ec2.authorize_security_group_ingress()
            .group_id(&sg)
            .ip_permissions(
                ec2t::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .ipv6_ranges(ec2t::Ipv6Range::builder().cidr_ipv6("2600:9000::/28").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let acls = ec2
            .describe_network_acls()
            .filters(ec2t::Filter::builder().name("vpc-id").values(&vpc).build())
            .send()
            .await
            .unwrap();
        let acl = acls.network_acls().iter().find(|a| a.is_default() == Some(true)).unwrap();
        let acl_id = acl.network_acl_id().unwrap().to_string();
        for (rule, egress, allow, ports) in
            [(40, false, false, Some(443)), (101, false, true, None), (101, true, true, None)]
        {
            let mut e = ec2
                .create_network_acl_entry()
                .network_acl_id(&acl_id)
                .rule_number(rule)
                .protocol(if ports.is_some() { "6" } else { "-1" })
                .rule_action(if allow { ec2t::RuleAction::Allow } else { ec2t::RuleAction::Deny })
                .egress(egress)
                .ipv6_cidr_block("::/0");
            if let Some(p) = ports {
                e = e.port_range(ec2t::PortRange::builder().from(p).to(p).build());
            }
            e.send().await.unwrap();
        }
        let req = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
        Box::pin(lab.engine().collect(&req)).await.expect("evidence")
    });
    let net = ev.inventory.origins[0].network.as_ref().expect("network path");
    let acls = net.network_acls.value().expect("acls");
    assert!(
        acls.iter()
            .flat_map(|a| &a.entries)
            .any(|e| e.rule_number == 40 && e.ipv6_cidr_block.as_deref() == Some("::/0") && e.cidr_block.is_none()),
        "{acls:#?}"
    );
    let groups = net.security_groups.value().expect("groups");
    assert!(groups.iter().flat_map(|g| &g.ingress).any(|r| r.ipv6_ranges == ["2600:9000::/28"]), "{groups:#?}");

    let mut ev = ev;
    if let OriginKind::Custom(c) = &mut ev.inventory.distribution.origins[0].kind {
        c.ip_address_type = Some("dualstack".into());
    }
    if let Some(OriginResource::LoadBalancer(lb)) = ev.inventory.origins[0].resource.value().cloned().as_mut() {
        lb.ip_address_type = "dualstack".into();
        ev.inventory.origins[0].resource =
            cf_origin_doctor::evidence::Fetch::fetched(OriginResource::LoadBalancer(lb.clone()));
    }
    let out = cf_origin_doctor::checks::ipv6_origin_not_allowed::run(&ev);
    assert_eq!(out.findings.len(), 1, "{out:#?}");
    assert!(
        out.findings[0].evidence.iter().any(|e| e.subject.contains("inbound") && e.observed.contains("rule 40")),
        "{:#?}",
        out.findings[0]
    );
    assert!(
        out.unverified.iter().any(|u| u.reason.contains("com.amazonaws.global.ipv6.cloudfront.origin-facing")),
        "{:#?}",
        out.unverified
    );
}

/// A scenario diagnosed with these AWS actions denied (by a loopback proxy in front of the
/// emulator).
async fn diagnose_denied(scenario: Scenario, denied: &[&'static str]) -> Value {
    let lab = Lab::start(scenario).await;
    let faults = denied.iter().map(|a| (*a, lab::aws_proxy::Fault::Deny)).collect();
    let proxy = lab::aws_proxy::start(&lab.moto.endpoint, std::time::Duration::ZERO, faults).await;
    let api = cf_origin_doctor::inventory::aws::SdkApi::new(lab::emulator_config(&proxy.endpoint).await);
    let engine =
        cf_origin_doctor::engine::Engine::new(api, lab.probe_settings(), "the lab host (loopback)").expect("engine");
    let req = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    let d = Box::pin(engine.diagnose(&req)).await.expect("diagnosis completes");
    serde_json::to_value(&d.report).unwrap()
}

/// The probes still name a cause they see when the listeners cannot be read: with less
/// confidence than with them, saying what was not read.
fn assert_primary_from_probes(r: &Value, id: &str) -> Value {
    assert_eq!(r["status"], "fail", "{r:#}");
    assert_eq!(r["verdict"]["primary"], id, "{r:#}");
    let f = r["findings"].as_array().unwrap().iter().find(|f| f["id"] == id).expect("the finding").clone();
    assert_eq!(f["observed"], true, "{f:#}");
    assert_eq!(f["confidence"], "medium", "{f:#}");
    assert!(f["summary"].as_str().unwrap().contains("DescribeListeners"), "{f:#}");
    let sources: Vec<&str> = f["evidence"].as_array().unwrap().iter().filter_map(|e| e["source"].as_str()).collect();
    assert!(sources.contains(&"probe") && sources.contains(&"config"), "{f:#}");
    let unverified = r["unverified"].as_array().unwrap();
    assert!(unverified.iter().any(|u| u["reason"].as_str().unwrap_or("").contains("DescribeListeners")), "{r:#}");
    f
}

#[test]
fn missing_https_listener_with_the_listeners_denied_is_named_from_the_refused_port() {
    let r = run(diagnose_denied(Scenario::NothingListening, &["DescribeListeners"]));
    let f = assert_primary_from_probes(&r, "nothing-listening-on-origin-port");
    assert!(f["summary"].as_str().unwrap().contains("https:443"), "{f:#}");
}

#[test]
fn https_port_on_the_http_listener_with_the_listeners_denied_is_named_from_the_plain_answer() {
    let r = run(diagnose_denied(Scenario::ProtocolPortMismatch, &["DescribeListeners"]));
    assert_primary_from_probes(&r, "protocol-port-mismatch");
}
