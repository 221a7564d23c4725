//! What the emulator cannot produce, injected by a loopback proxy in front of it (the real SDK,
//! real HTTP): AccessDenied on each service, throttling then success, multi-page answers. Each
//! test shows what ends up in the inventory's `Fetch` values and in the checks' `unverified`.

use lab::run;

use cf_origin_doctor::checks;
use cf_origin_doctor::evidence::{
    EVIDENCE_SCHEMA_VERSION, Evidence, Fetch, Inventory, Observations, OriginResource, RequestEcho,
};
use cf_origin_doctor::inventory::aws::{PageLimits, SdkApi};
use cf_origin_doctor::inventory::{self, InventoryError};
use cf_origin_doctor::request::DiagnoseRequest;
use lab::aws_proxy::{self, AwsProxy, Fault};
use lab::seed_net::{self, OriginSpec, Source};
use lab::{emulator_config, moto::Moto, seed};
use std::time::Duration;

struct Setup {
    _moto: Moto,
    proxy: AwsProxy,
    distribution_id: String,
}

async fn setup(faults: Vec<(&str, Fault)>) -> Setup {
    let moto = tokio::task::spawn_blocking(Moto::start).await.expect("emulator");
    let sdk = emulator_config(&moto.endpoint).await;
    let alb = seed::create_alb(
        &sdk,
        "faults-alb",
        &[
            seed::ListenerSpec { port: 80, https: false, action: seed::ListenerAction::RedirectToHttps },
            seed::ListenerSpec { port: 443, https: true, action: seed::ListenerAction::Forward },
        ],
    )
    .await;
    let vpc = seed_net::vpc(&sdk, 30, true).await;
    let cf = seed_net::cloudfront_prefix_list(&sdk).await;
    let sg = seed_net::security_group(&sdk, &vpc.vpc_id, "web", 443, 443, Source::PrefixList(cf)).await;
    let (_, dns) = seed_net::instance(&sdk, &vpc.subnets[0], &[sg], true).await;
    let origins = vec![
        OriginSpec { id: "alb".into(), domain: alb.dns_name.clone(), protocol_policy: Some("http-only") },
        OriginSpec { id: "ec2".into(), domain: dns.expect("public dns"), protocol_policy: Some("https-only") },
    ];
    let distribution_id = seed_net::multi_origin_distribution(&sdk, &origins).await;
    let proxy = aws_proxy::start(&moto.endpoint, Duration::ZERO, faults).await;
    Setup { _moto: moto, proxy, distribution_id }
}

async fn gather(s: &Setup, retries: bool) -> Result<Inventory, InventoryError> {
    gather_with(s, retries, PageLimits::default()).await
}

async fn gather_with(s: &Setup, retries: bool, pages: PageLimits) -> Result<Inventory, InventoryError> {
    let mut sdk = emulator_config(&s.proxy.endpoint).await;
    if retries {
        sdk = sdk
            .into_builder()
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(5))
                    .with_max_backoff(Duration::from_millis(20)),
            )
            .build();
    }
    let req = DiagnoseRequest::new(&s.distribution_id, &[]).unwrap();
    Box::pin(inventory::gather(&SdkApi::new(sdk).with_page_limits(pages), &req)).await
}

fn evidence(inventory: Inventory) -> Evidence {
    Evidence {
        schema_version: EVIDENCE_SCHEMA_VERSION,
        collected_at: "2026-11-26T00:00:00Z".into(),
        collected_at_unix: 1_795_651_200,
        request: RequestEcho {
            distribution_id: inventory.distribution.id.clone(),
            paths: vec!["/".into()],
            ..Default::default()
        },
        inventory,
        observations: Observations { probed_from: "test".into(), ..Default::default() },
        preflight: None,
    }
}

fn network<'a>(inv: &'a Inventory, origin: &str) -> &'a cf_origin_doctor::evidence::NetworkPath {
    inv.origin(origin).and_then(|o| o.network.as_ref()).unwrap_or_else(|| panic!("no network for {origin}"))
}

#[test]
fn denied_load_balancer_listing_leaves_the_rest_and_is_named_in_unverified() {
    run(async {
        let s = setup(vec![("DescribeLoadBalancers", Fault::Deny)]).await;
        let inv = gather(&s, false).await.expect("a denied ELB call does not end the run");
        match &inv.origin("alb").unwrap().resource {
            Fetch::Denied { action, .. } => assert_eq!(action, "elasticloadbalancing:DescribeLoadBalancers"),
            other => panic!("expected denied, got {other:?}"),
        }
        assert!(inv.calls.iter().any(|c| c.action.ends_with("DescribeLoadBalancers") && c.outcome == "denied"));
        // The EC2 origin is untouched by the ELB denial.
        assert!(matches!(
            inv.origin("ec2").unwrap().resource,
            Fetch::Fetched { value: OriginResource::Ec2Instance(_) }
        ));
        assert!(network(&inv, "ec2").security_groups.value().is_some());
        let out = checks::run_all(&evidence(inv));
        assert!(
            out.unverified.iter().any(|u| u.reason.contains("elasticloadbalancing:DescribeLoadBalancers")),
            "{:#?}",
            out.unverified
        );
    });
}

#[test]
fn denied_ec2_calls_degrade_one_fact_at_a_time() {
    run(async {
        let s = setup(vec![("DescribeSecurityGroups", Fault::Deny), ("DescribeNetworkAcls", Fault::Deny)]).await;
        let inv = gather(&s, false).await.expect("inventory");
        for origin in ["alb", "ec2"] {
            let net = network(&inv, origin);
            assert!(
                matches!(&net.security_groups, Fetch::Denied { action, .. } if action == "ec2:DescribeSecurityGroups"),
                "{origin}: {:?}",
                net.security_groups
            );
            assert!(matches!(&net.network_acls, Fetch::Denied { action, .. } if action == "ec2:DescribeNetworkAcls"));
            assert!(net.route_tables.value().is_some(), "route tables are still read");
            assert!(net.subnets.value().is_some(), "subnets are still read");
        }
        assert!(matches!(inv.origin("alb").unwrap().resource, Fetch::Fetched { .. }));
    });
}

#[test]
fn denied_instance_lookup_is_not_reported_as_not_found() {
    run(async {
        let s = setup(vec![("DescribeInstances", Fault::Deny)]).await;
        let inv = gather(&s, false).await.expect("inventory");
        match &inv.origin("ec2").unwrap().resource {
            Fetch::Denied { action, .. } => assert_eq!(action, "ec2:DescribeInstances"),
            other => panic!("expected denied, got {other:?}"),
        }
        assert!(inv.origin("ec2").unwrap().network.is_none());
    });
}

#[test]
fn denied_distribution_read_ends_the_run_with_a_typed_error() {
    run(async {
        let s = setup(vec![("GetDistribution", Fault::Deny)]).await;
        match gather(&s, false).await {
            Err(InventoryError::AccessDenied { id, .. }) => assert_eq!(id, s.distribution_id),
            other => panic!("expected AccessDenied, got {other:?}"),
        }
        assert_eq!(s.proxy.count("DescribeLoadBalancers"), 0, "nothing else is read");
    });
}

#[test]
fn throttling_is_retried_until_it_succeeds_and_reported_when_it_does_not() {
    run(async {
        let s = setup(vec![
            ("DescribeListeners", Fault::Throttle { times: 2 }),
            ("DescribeSecurityGroups", Fault::Throttle { times: 2 }),
        ])
        .await;
        let inv = gather(&s, true).await.expect("inventory");
        let OriginResource::LoadBalancer(lb) = inv.origin("alb").unwrap().resource.value().unwrap() else {
            panic!("alb")
        };
        assert_eq!(lb.listeners.value().map(Vec::len), Some(2), "listeners after two throttles");
        assert_eq!(s.proxy.count("DescribeListeners"), 3);
        assert!(network(&inv, "ec2").security_groups.value().is_some());
        assert!(s.proxy.count("DescribeSecurityGroups") >= 3);

        // Without retries the same throttling is a failed fetch with its code, not an abort.
        let s = setup(vec![("DescribeListeners", Fault::Throttle { times: 99 })]).await;
        let inv = gather(&s, false).await.expect("inventory");
        let OriginResource::LoadBalancer(lb) = inv.origin("alb").unwrap().resource.value().unwrap() else {
            panic!("alb")
        };
        match &lb.listeners {
            Fetch::Failed { action, code, .. } => {
                assert_eq!(action, "elasticloadbalancing:DescribeListeners");
                assert_eq!(code, "Throttling");
            }
            other => panic!("expected failed, got {other:?}"),
        }
        let out = checks::run_all(&evidence(inv));
        assert!(out.unverified.iter().any(|u| u.reason.contains("DescribeListeners")), "{:#?}", out.unverified);
    });
}

const ELB_NS: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

fn cert_page(arns: &[&str], next: Option<&str>) -> String {
    let members: String = arns
        .iter()
        .map(|a| format!("<member><CertificateArn>{a}</CertificateArn><IsDefault>false</IsDefault></member>"))
        .collect();
    let next = next.map(|n| format!("<NextMarker>{n}</NextMarker>")).unwrap_or_default();
    format!(
        "<DescribeListenerCertificatesResponse xmlns=\"{ELB_NS}\"><DescribeListenerCertificatesResult><Certificates>{members}</Certificates>{next}</DescribeListenerCertificatesResult><ResponseMetadata><RequestId>lab</RequestId></ResponseMetadata></DescribeListenerCertificatesResponse>"
    )
}

fn entries_page(cidrs: &[&str], next: Option<&str>) -> String {
    let items: String =
        cidrs.iter().map(|c| format!("<item><cidr>{c}</cidr><description>x</description></item>")).collect();
    let next = next.map(|n| format!("<nextToken>{n}</nextToken>")).unwrap_or_default();
    format!(
        "<GetManagedPrefixListEntriesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>lab</requestId><entrySet>{items}</entrySet>{next}</GetManagedPrefixListEntriesResponse>"
    )
}

#[test]
fn multi_page_answers_are_read_to_the_last_page() {
    run(async {
        let s = setup(vec![
            (
                "DescribeListenerCertificates",
                Fault::Pages(vec![
                    cert_page(&["arn:cert/a", "arn:cert/b"], Some("p1")),
                    cert_page(&["arn:cert/c"], None),
                ]),
            ),
            (
                "GetManagedPrefixListEntries",
                Fault::Pages(vec![
                    entries_page(&["130.176.0.0/18"], Some("p1")),
                    entries_page(&["15.158.0.0/16", "18.68.0.0/16"], Some("p2")),
                    entries_page(&["3.172.0.0/18"], None),
                ]),
            ),
        ])
        .await;
        let inv = gather(&s, false).await.expect("inventory");
        let OriginResource::LoadBalancer(lb) = inv.origin("alb").unwrap().resource.value().unwrap() else {
            panic!("alb")
        };
        let certs: Vec<&str> = lb
            .listener_on(443)
            .unwrap()
            .certificates
            .value()
            .unwrap()
            .iter()
            .map(|c| c.certificate_arn.as_str())
            .collect();
        assert_eq!(certs, ["arn:cert/a", "arn:cert/b", "arn:cert/c"]);
        let lists = inv.cloudfront_prefix_lists[0].lists.value().unwrap();
        assert_eq!(
            lists[0].entries.value().unwrap(),
            &vec!["130.176.0.0/18", "15.158.0.0/16", "18.68.0.0/16", "3.172.0.0/18"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        );
        assert_eq!(s.proxy.count("GetManagedPrefixListEntries"), 3);
    });
}

#[test]
fn a_call_still_paging_at_its_bound_is_truncated_not_cut_short() {
    run(async {
        let s = setup(vec![(
            "GetManagedPrefixListEntries",
            Fault::Pages(vec![
                entries_page(&["130.176.0.0/18"], Some("p1")),
                entries_page(&["15.158.0.0/16"], Some("p2")),
                entries_page(&["3.172.0.0/18"], None),
            ]),
        )])
        .await;
        let inv = gather_with(&s, false, PageLimits { per_call: 2, ..PageLimits::default() }).await.expect("inventory");
        let lists = inv.cloudfront_prefix_lists[0].lists.value().unwrap();
        match &lists[0].entries {
            Fetch::Failed { action, code, message } => {
                assert_eq!(action, "ec2:GetManagedPrefixListEntries");
                assert_eq!(code, "Truncated");
                assert_eq!(message, "truncated after 2 pages");
            }
            other => panic!("expected a truncated fetch, got {other:?}"),
        }
        assert!(
            inv.calls.iter().any(|c| c.action == "ec2:GetManagedPrefixListEntries" && c.outcome == "truncated"),
            "{:#?}",
            inv.calls
        );
        assert_eq!(s.proxy.count("GetManagedPrefixListEntries"), 2, "no page past the bound is asked for");
    });
}
