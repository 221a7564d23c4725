//! The inventory against the AWS API emulator: one distribution with an ALB origin (HTTP
//! redirect and HTTPS listeners with certificates and rules), an NLB origin, two EC2 origins
//! (public DNS name, Elastic IP), an origin outside AWS and an S3 origin; the inventory must
//! hold the facts the network checks read.

use lab::run;

use aws_sdk_ec2::types as ec2t;
use aws_sdk_elasticloadbalancingv2::types as elbt;
use cf_origin_doctor::evidence::{Fetch, Inventory, ListenerAction, OriginResource};
use cf_origin_doctor::inventory::{self, aws::SdkApi};
use cf_origin_doctor::request::DiagnoseRequest;
use lab::seed_net::{self, OriginSpec, Source};
use lab::{emulator_config, moto::Moto, seed};

struct World {
    _moto: Moto,
    inventory: Inventory,
    alb_arn: String,
    nlb_target: String,
    instance_a: String,
    instance_b: String,
    sg_a: String,
    sg_nlb_target: String,
    customer_list: String,
}

async fn world() -> World {
    let moto = tokio::task::spawn_blocking(Moto::start).await.expect("emulator");
    let sdk = emulator_config(&moto.endpoint).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);

    // ALB: HTTP:80 redirects to HTTPS, HTTPS:443 forwards, with an SNI certificate and a rule.
    let alb = seed::create_alb(
        &sdk,
        "inv-alb",
        &[
            seed::ListenerSpec { port: 80, https: false, action: seed::ListenerAction::RedirectToHttps },
            seed::ListenerSpec { port: 443, https: true, action: seed::ListenerAction::Forward },
        ],
    )
    .await;
    let https_listener = alb.listeners.iter().find(|(l, _)| l.https).map(|(_, arn)| arn.clone()).unwrap();
    elb.add_listener_certificates()
        .listener_arn(&https_listener)
        .certificates(
            elbt::Certificate::builder().certificate_arn("arn:aws:iam::123456789012:server-certificate/sni").build(),
        )
        .send()
        .await
        .expect("listener certificate");
    elb.create_rule()
        .listener_arn(&https_listener)
        .priority(10)
        .conditions(
            elbt::RuleCondition::builder()
                .field("host-header")
                .host_header_config(elbt::HostHeaderConditionConfig::builder().values("app.example.com").build())
                .build(),
        )
        .actions(
            elbt::Action::builder()
                .r#type(elbt::ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    elbt::FixedResponseActionConfig::builder().status_code("403").content_type("text/plain").build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("rule");
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(&alb.arn)
        .attributes(elbt::LoadBalancerAttribute::builder().key("idle_timeout.timeout_seconds").value("120").build())
        .send()
        .await
        .expect("lb attributes");

    // A VPC with an internet gateway for the EC2 origins and the NLB.
    let vpc = seed_net::vpc(&sdk, 20, true).await;
    let cf_list = seed_net::cloudfront_prefix_list(&sdk).await;
    let sg_a =
        seed_net::security_group(&sdk, &vpc.vpc_id, "web-a", 443, 443, Source::PrefixList(cf_list.clone())).await;
    // A customer-managed prefix list referenced by a second rule.
    let pl = ec2
        .create_managed_prefix_list()
        .prefix_list_name("office")
        .address_family("IPv4")
        .max_entries(5)
        .entries(ec2t::AddPrefixListEntry::builder().cidr("198.51.100.0/24").build())
        .send()
        .await
        .expect("customer prefix list");
    let customer_list = pl.prefix_list().and_then(|p| p.prefix_list_id()).unwrap().to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&sg_a)
        .ip_permissions(
            ec2t::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .prefix_list_ids(ec2t::PrefixListId::builder().prefix_list_id(&customer_list).build())
                .build(),
        )
        .send()
        .await
        .expect("second rule");
    let (instance_a, dns_a) = seed_net::instance(&sdk, &vpc.subnets[0], std::slice::from_ref(&sg_a), true).await;
    let dns_a = dns_a.expect("instance A has a public DNS name");
    let sg_b = seed_net::security_group(&sdk, &vpc.vpc_id, "web-b", 80, 80, Source::Cidr("0.0.0.0/0".into())).await;
    let (instance_b, _) = seed_net::instance(&sdk, &vpc.subnets[1], std::slice::from_ref(&sg_b), false).await;
    let eip = seed_net::elastic_ip(&sdk, &instance_b).await;

    // NLB without security groups in front of an instance whose group decides.
    let sg_nlb_target =
        seed_net::security_group(&sdk, &vpc.vpc_id, "nlb-target", 80, 80, Source::Cidr("0.0.0.0/0".into())).await;
    let (nlb_target, _) = seed_net::instance(&sdk, &vpc.subnets[1], std::slice::from_ref(&sg_nlb_target), false).await;
    let nlb = seed_net::nlb(
        &sdk,
        "inv-nlb",
        &vpc.subnets,
        &vpc.vpc_id,
        80,
        seed_net::NlbTarget::Instance(nlb_target.clone()),
    )
    .await;

    let origins = vec![
        OriginSpec { id: "alb".into(), domain: alb.dns_name.clone(), protocol_policy: Some("https-only") },
        OriginSpec {
            id: "nlb".into(),
            domain: format!("dualstack.{}", nlb.dns_name),
            protocol_policy: Some("http-only"),
        },
        OriginSpec { id: "ec2-dns".into(), domain: dns_a, protocol_policy: Some("https-only") },
        OriginSpec {
            id: "ec2-eip".into(),
            domain: seed_net::ec2_public_name(&eip),
            protocol_policy: Some("http-only"),
        },
        OriginSpec { id: "outside".into(), domain: "app.example.com".into(), protocol_policy: Some("https-only") },
        OriginSpec { id: "static".into(), domain: "lab-bucket.s3.amazonaws.com".into(), protocol_policy: None },
    ];
    let id = seed_net::multi_origin_distribution(&sdk, &origins).await;
    let req = DiagnoseRequest::new(&id, &[]).unwrap();
    let inventory = inventory::gather(&SdkApi::new(sdk.clone()), &req).await.expect("inventory");
    World {
        _moto: moto,
        inventory,
        alb_arn: alb.arn,
        nlb_target,
        instance_a,
        instance_b,
        sg_a,
        sg_nlb_target,
        customer_list,
    }
}

fn resource<'a>(inv: &'a Inventory, origin: &str) -> &'a OriginResource {
    match &inv.origin(origin).unwrap().resource {
        Fetch::Fetched { value } => value,
        other => panic!("origin {origin}: {other:?}"),
    }
}

#[test]
fn inventory_holds_the_facts_behind_every_kind_of_origin() {
    let w = run(world());
    let inv = &w.inventory;
    // The seeded viewer certificate ARN is not in ACM (the lab_certificates module imports real ones).
    let failed: Vec<_> =
        inv.calls.iter().filter(|c| c.outcome != "ok" && c.action != "acm:DescribeCertificate").collect();
    assert!(failed.is_empty(), "calls that did not succeed: {failed:#?}");
    assert!(matches!(inv.viewer_certificate_acm, Fetch::NotFound { .. }), "{:?}", inv.viewer_certificate_acm);

    // Distribution settings.
    let d = &inv.distribution;
    assert_eq!(d.default_root_object, "index.html");
    assert_eq!(d.http_version, "http2and3");
    let vc = d.viewer_certificate.as_ref().unwrap();
    assert_eq!(vc.acm_certificate_arn.as_deref(), Some("arn:aws:acm:us-east-1:123456789012:certificate/lab"));
    assert_eq!(vc.minimum_protocol_version.as_deref(), Some("TLSv1.2_2021"));
    let geo = d.geo_restriction.as_ref().unwrap();
    assert_eq!((geo.restriction_type.as_str(), geo.locations.clone()), ("blacklist", vec!["KP".to_string()]));
    assert_eq!(d.custom_error_responses.len(), 1);
    assert_eq!(d.custom_error_responses[0].error_code, 503);
    assert_eq!(d.default_behavior.trusted_key_groups, vec!["kg-lab".to_string()]);
    assert_eq!(d.behaviors.len(), 5);
    let legacy = d.behaviors.last().unwrap();
    assert!(legacy.cache_policy_id.is_none());
    assert_eq!(legacy.forwarded_values.as_ref().unwrap().headers, vec!["Authorization".to_string()]);
    assert_eq!(d.behaviors[0].origin_request_policy_id.as_deref(), Some("216adef6-5c7f-47e4-b989-5492eafa07d3"));

    // ALB: type, scheme, subnets, attributes, listeners with certificates and rules, network.
    let OriginResource::LoadBalancer(alb) = resource(inv, "alb") else { panic!("alb is not a load balancer") };
    assert_eq!(alb.arn, w.alb_arn);
    assert_eq!((alb.lb_type.as_str(), alb.scheme.as_str()), ("application", "internet-facing"));
    assert_eq!(alb.subnet_ids.len(), 2);
    assert!(alb.vpc_id.is_some());
    assert_eq!(alb.attributes.value().unwrap().get("idle_timeout.timeout_seconds").map(String::as_str), Some("120"));
    let http = alb.listener_on(80).unwrap();
    assert!(matches!(&http.default_actions[0], ListenerAction::Redirect { protocol, .. } if protocol == "HTTPS"));
    let https = alb.listener_on(443).unwrap();
    assert_eq!(https.ssl_policy.as_deref(), Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
    let certs = https.certificates.value().unwrap();
    assert!(certs.iter().any(|c| c.certificate_arn.ends_with("/sni")), "{certs:?}");
    let rules = https.rules.value().unwrap();
    let host_rule = rules.iter().find(|r| r.priority == "10").expect("priority-10 rule");
    assert_eq!(host_rule.conditions[0].field, "host-header");
    assert!(host_rule.conditions[0].values.contains(&"app.example.com".to_string()));
    assert!(matches!(&host_rule.actions[0], ListenerAction::FixedResponse { status_code, .. } if status_code == "403"));
    assert!(rules.last().unwrap().is_default, "the default rule comes last");
    let policies = alb.ssl_policies.value().unwrap();
    assert_eq!(policies.len(), 1, "only the HTTPS listener's policy: {policies:?}");
    assert_eq!(policies[0].name, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert!(policies[0].protocols.contains(&"TLSv1.2".to_string()) && !policies[0].ciphers.is_empty());
    let tgs = alb.target_groups.value().unwrap();
    assert_eq!(tgs.len(), 1);
    assert!(tgs[0].attributes.value().is_some() && tgs[0].health.value().is_some());
    let net = inv.origin("alb").unwrap().network.as_ref().unwrap();
    assert_eq!(net.entry, "load-balancer");
    assert_eq!(net.security_group_ids, alb.security_groups);
    let sgs = net.security_groups.value().unwrap();
    assert!(sgs[0].ingress.iter().any(|r| r.ipv4_ranges.contains(&"0.0.0.0/0".to_string()) && r.covers_tcp_port(443)));
    assert!(net.network_acls.value().unwrap().iter().any(|a| a.is_default));
    let rt = net.route_table_for_subnet(&alb.subnet_ids[0]).unwrap();
    assert!(rt.has_internet_gateway_route(), "the ALB's subnets are public");

    // NLB without security groups: its instance target's group is what CloudFront meets.
    let OriginResource::LoadBalancer(nlb) = resource(inv, "nlb") else { panic!("nlb is not a load balancer") };
    assert_eq!(nlb.lb_type, "network");
    assert!(nlb.security_groups.is_empty());
    let tg = &nlb.target_groups.value().unwrap()[0];
    assert_eq!(tg.target_type, "instance");
    assert!(tg.health.value().unwrap().iter().any(|h| h.target_id == w.nlb_target));
    let net = inv.origin("nlb").unwrap().network.as_ref().unwrap();
    assert_eq!(net.entry, "targets");
    assert_eq!(net.security_group_ids, vec![w.sg_nlb_target.clone()]);
    assert!(net.route_table_for_subnet(&nlb.subnet_ids[0]).unwrap().has_internet_gateway_route());

    // EC2 by public DNS name, with a CloudFront prefix-list rule and a customer prefix list.
    let OriginResource::Ec2Instance(a) = resource(inv, "ec2-dns") else { panic!("ec2-dns is not an instance") };
    assert_eq!(a.instance_id, w.instance_a);
    assert_eq!(a.matched_by, "public-dns-name");
    assert_eq!(inv.origin("ec2-dns").unwrap().region.as_deref(), Some("us-east-1"));
    let net = inv.origin("ec2-dns").unwrap().network.as_ref().unwrap();
    assert_eq!(net.entry, "instance");
    let sg = &net.security_groups.value().unwrap()[0];
    assert_eq!(sg.group_id, w.sg_a);
    let cf_ids: Vec<String> =
        inv.cloudfront_prefix_lists[0].lists.value().unwrap().iter().map(|p| p.prefix_list_id.clone()).collect();
    assert!(sg.ingress.iter().any(|r| r.covers_tcp_port(443) && r.prefix_list_ids.iter().any(|p| cf_ids.contains(p))));
    let referenced = net.referenced_prefix_lists.value().unwrap();
    assert_eq!(referenced.len(), 1, "only the customer list is read again: {referenced:?}");
    assert_eq!(referenced[0].prefix_list_id, w.customer_list);
    assert_eq!(referenced[0].entries.value().unwrap(), &vec!["198.51.100.0/24".to_string()]);
    assert!(net.route_table_for_subnet(a.subnet_id.as_deref().unwrap()).unwrap().has_internet_gateway_route());
    assert!(net.subnets.value().unwrap()[0].map_public_ip_on_launch);

    // EC2 by Elastic IP.
    let OriginResource::Ec2Instance(b) = resource(inv, "ec2-eip") else { panic!("ec2-eip is not an instance") };
    assert_eq!(b.instance_id, w.instance_b);
    assert_eq!(b.matched_by, "elastic-ip");

    // Outside AWS and S3: no network path, no lookups.
    assert!(matches!(resource(inv, "outside"), OriginResource::OutsideAws { .. }));
    assert!(inv.origin("outside").unwrap().network.is_none());
    assert!(matches!(resource(inv, "static"), OriginResource::S3Bucket));

    // CloudFront's origin-facing list (the emulator has the IPv4 one, 10 entries).
    assert_eq!(inv.cloudfront_prefix_lists.len(), 1);
    let lists = inv.cloudfront_prefix_lists[0].lists.value().unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].entries.value().unwrap().len(), 10);

    // Region-wide calls are made once, not once per origin.
    let count = |action: &str| inv.calls.iter().filter(|c| c.action == action).count();
    assert_eq!(count("elasticloadbalancing:DescribeLoadBalancers"), 1);
    assert_eq!(count("ec2:GetManagedPrefixListEntries"), 2, "CloudFront's list once, the customer list once");

    // The evidence round-trips through JSON (recordings must load back).
    let json = serde_json::to_string(inv).unwrap();
    let back: Inventory = serde_json::from_str(&json).unwrap();
    assert_eq!(back.origins.len(), 6);
}

/// An EC2 public DNS name spelling an address no instance, Elastic IP or interface of the account
/// holds. The emulator answers 500 to `DescribeNetworkInterfaces` filtered by
/// `association.public-ip` (EC2 itself supports the filter): the adapter then reads the
/// interfaces unfiltered and matches them itself, so the origin is "not found in this account"
/// (what `stale-origin-hostname` reads), not left unverified by a failed call.
#[test]
fn an_ec2_name_whose_address_the_account_does_not_hold_is_not_found_even_where_the_filter_fails() {
    run(async {
        let moto = tokio::task::spawn_blocking(Moto::start).await.expect("emulator");
        let sdk = emulator_config(&moto.endpoint).await;
        // An instance with a public address of its own: the unfiltered read has an interface to skip.
        let vpc = seed_net::vpc(&sdk, 30, true).await;
        let sg = seed_net::security_group(&sdk, &vpc.vpc_id, "web", 80, 80, Source::Cidr("0.0.0.0/0".into())).await;
        let (_, dns) = seed_net::instance(&sdk, &vpc.subnets[0], std::slice::from_ref(&sg), true).await;
        let held = dns.expect("the instance has a public DNS name");
        let gone = seed_net::ec2_public_name("54.214.10.2");
        assert_ne!(held, gone);
        let origins = vec![OriginSpec { id: "gone".into(), domain: gone, protocol_policy: Some("http-only") }];
        let id = seed_net::multi_origin_distribution(&sdk, &origins).await;
        let req = DiagnoseRequest::new(&id, &[]).unwrap();
        let inv = inventory::gather(&SdkApi::new(sdk.clone()), &req).await.expect("inventory");
        let eni_calls: Vec<_> = inv
            .calls
            .iter()
            .filter(|c| c.action == "ec2:DescribeNetworkInterfaces")
            .map(|c| c.outcome.as_str())
            .collect();
        assert_eq!(eni_calls, ["ok"], "{:#?}", inv.calls);
        match &inv.origin("gone").unwrap().resource {
            Fetch::NotFound { action, message } => {
                assert_eq!(action, "ec2:DescribeInstances");
                assert!(message.contains("54.214.10.2") && message.contains("another account"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        drop(moto);
    })
}
