//! Worlds for the differential diagnosis: origins of every kind (the load balancer, an EC2
//! instance, a host outside AWS) on any port, needs the diagnosis infers from the application's
//! own answers (405 with `Allow`, 401 with `WWW-Authenticate`, the path's query string), a second
//! origin behind a path behavior, two problems at once, and the origin's AWS reads denied.
//!
//! `each_world_is_staged_as_declared` shows the lab does what each scenario's entry says (the
//! edge stand-in's answer, the origin's kind); the other tests diagnose the worlds and hold the
//! diagnosis to each entry's `primary` and passing twin.

use cf_origin_doctor::evidence::Expectations;
use cf_origin_doctor::request::DiagnoseRequest;
use lab::scenario::OriginKind;
use lab::{Lab, Options, Scenario};
use serde_json::Value;

/// The scenarios with an EC2 or outside-AWS origin, a second origin, or a need the diagnosis
/// infers from the application's answers; each has a passing twin.
const WORLDS: &[Scenario] = &[
    Scenario::NothingListeningEc2,
    Scenario::ProtocolMismatchTlsToPlainPort,
    Scenario::ProtocolMismatchPlainToTlsPort,
    Scenario::HostRoutingForwardedHost,
    Scenario::QueryStringDropped,
    Scenario::MethodNotAllowedByAllow,
    Scenario::AuthorizationStrippedBearer,
    Scenario::NothingListeningApiBehavior,
    Scenario::ProtocolMismatchAndQueryDropped,
];

/// Causes a probe shows without reading AWS: a refused port, a protocol on the wrong port, a
/// redirect loop, an origin certificate CloudFront rejects.
const PROBE_VISIBLE: &[Scenario] = &[
    Scenario::NothingListeningEc2,
    Scenario::NothingListening,
    Scenario::ProtocolMismatchTlsToPlainPort,
    Scenario::ProtocolMismatchPlainToTlsPort,
    Scenario::RedirectLoop,
    Scenario::TlsExpired,
    Scenario::TlsNameMismatchOriginDomain,
];

/// The request the scenario's CLI flags describe (the same flags `scripts/demo` passes).
fn request_for(lab: &Lab, flags: &[&str]) -> DiagnoseRequest {
    let mut paths = Vec::new();
    let mut expect = Expectations::default();
    let mut method_probe_path = None;
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} without a value")).to_string();
        match *flag {
            "--path" => paths.push(value),
            "--expect-method" => expect.methods.push(value),
            "--expect-header" => expect.headers.push(value),
            "--expect-cookie" => expect.cookies.push(value),
            "--expect-query" => expect.query_strings.push(value),
            "--method-probe-path" => method_probe_path = Some(value),
            other => panic!("the lab test does not know the flag {other}"),
        }
    }
    DiagnoseRequest::new(&lab.distribution_id, &paths)
        .unwrap()
        .with_expectations(expect, method_probe_path.as_deref())
        .unwrap()
}

async fn diagnose(lab: &Lab, scenario: Scenario) -> Value {
    let req = request_for(lab, scenario.def().flags);
    let d = lab.engine().diagnose(&req).await.expect("diagnosis completes");
    serde_json::to_value(&d.report).unwrap()
}

/// What is wrong with a report that should name `primary`, if anything.
fn primary_problem(r: &Value, primary: &str) -> Option<String> {
    (r["verdict"]["primary"] != primary).then(|| {
        let found: Vec<String> = r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| format!("{} ({}, {})", f["id"], f["severity"], f["confidence"]))
            .collect();
        format!("primary {} instead of {primary}; findings: {}", r["verdict"]["primary"], found.join(", "))
    })
}

/// What is wrong with a report that should pass with nothing at medium or above, if anything.
fn pass_problem(r: &Value) -> Option<String> {
    let serious: Vec<String> = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| !matches!(f["severity"].as_str(), Some("info" | "low")))
        .map(|f| format!("{} ({})", f["id"], f["severity"]))
        .collect();
    (!r["verdict"]["primary"].is_null() || !serious.is_empty())
        .then(|| format!("primary {}, findings at medium or above: {}", r["verdict"]["primary"], serious.join(", ")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_world_names_its_primary_and_its_twin_passes() {
    let mut problems = Vec::new();
    for &scenario in WORLDS {
        let def = scenario.def();
        let primary = def.primary.expect("a broken world names its primary");
        let lab = Lab::start(scenario).await;
        if let Some(p) = primary_problem(&diagnose(&lab, scenario).await, primary) {
            problems.push(format!("{}: {p}", def.name));
        }
        drop(lab);
        let twin = def.twin.expect("a broken world has a passing twin");
        let lab = Lab::start(twin).await;
        if let Some(p) = pass_problem(&diagnose(&lab, twin).await) {
            problems.push(format!("{}: {p}", twin.name()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_visible_causes_are_named_with_the_origins_aws_reads_denied() {
    let mut problems = Vec::new();
    for &scenario in PROBE_VISIBLE {
        let def = scenario.def();
        let primary = def.primary.expect("a broken world names its primary");
        let lab = Lab::start_with(scenario, Options { deny_origin_reads: true, ..Options::default() }).await;
        let r = diagnose(&lab, scenario).await;
        // The diagnosis read AWS through the proxy that denies the origin's reads.
        let proxy = lab.aws_proxy.as_ref().expect("the lab denies through its proxy");
        assert!(proxy.count("GetDistribution") + proxy.count("GetDistributionConfig") > 0, "{}", def.name);
        if let Some(p) = primary_problem(&r, primary) {
            problems.push(format!("{}: {p}", def.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What a viewer request through the edge stand-in gets in a world, and in its twin.
struct Staged {
    scenario: Scenario,
    method: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    /// The broken world's status, and a piece of its body.
    broken: (u16, &'static str),
}

const STAGED: &[Staged] = &[
    // Refused on the configured port: CloudFront's 502 "wasn't able to connect".
    Staged {
        scenario: Scenario::NothingListeningEc2,
        method: "GET",
        path: "/",
        headers: &[],
        broken: (502, "CloudFront wasn't able to connect to the origin."),
    },
    // TLS to a plain-HTTP port: the handshake fails, 502.
    Staged {
        scenario: Scenario::ProtocolMismatchTlsToPlainPort,
        method: "GET",
        path: "/",
        headers: &[],
        broken: (502, "Generated by cloudfront"),
    },
    // Plain HTTP to nginx's TLS port: nginx's own 400, passed on.
    Staged {
        scenario: Scenario::ProtocolMismatchPlainToTlsPort,
        method: "GET",
        path: "/",
        headers: &[],
        broken: (400, "The plain HTTP request was sent to HTTPS port"),
    },
    // The forwarded Host is not the application's name.
    Staged {
        scenario: Scenario::HostRoutingForwardedHost,
        method: "GET",
        path: "/",
        headers: &[],
        broken: (404, "404 Not Found"),
    },
    // The query string is dropped: the origin's own 400.
    Staged {
        scenario: Scenario::QueryStringDropped,
        method: "GET",
        path: "/search?q=x",
        headers: &[],
        broken: (400, "missing query parameter q"),
    },
    // The method the application takes is refused by CloudFront itself.
    Staged {
        scenario: Scenario::MethodNotAllowedByAllow,
        method: "POST",
        path: "/api/orders",
        headers: &[],
        broken: (403, "not configured to allow the HTTP request method"),
    },
    // A signed-in viewer's Authorization is stripped: the origin's 401.
    Staged {
        scenario: Scenario::AuthorizationStrippedBearer,
        method: "GET",
        path: "/account",
        headers: &[("Authorization", "Bearer lab-token")],
        broken: (401, ""),
    },
    // The path behavior's origin refuses its port; the default behavior works (below).
    Staged {
        scenario: Scenario::NothingListeningApiBehavior,
        method: "GET",
        path: "/api/status",
        headers: &[],
        broken: (502, "CloudFront wasn't able to connect to the origin."),
    },
    // The port problem hides the query-string one.
    Staged {
        scenario: Scenario::ProtocolMismatchAndQueryDropped,
        method: "GET",
        path: "/search?q=x",
        headers: &[],
        broken: (400, "The plain HTTP request was sent to HTTPS port"),
    },
];

fn assert_kind(lab: &Lab, scenario: Scenario) {
    let domain = lab.origin_domain.to_ascii_lowercase();
    match scenario.def().kind {
        OriginKind::Alb => assert_eq!(domain, lab.alb.dns_name.to_ascii_lowercase()),
        OriginKind::Ec2(_) => {
            assert!(domain.starts_with("ec2-") && domain.ends_with(".compute-1.amazonaws.com"), "{domain}")
        }
        OriginKind::OutsideAws(_) => assert!(domain.ends_with(".origin.lab.test"), "{domain}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_world_is_staged_as_declared() {
    assert_eq!(STAGED.len(), WORLDS.len(), "every world has its staging row");
    for s in STAGED {
        let def = s.scenario.def();
        let lab = Lab::start(s.scenario).await;
        assert_kind(&lab, s.scenario);
        let (status, body) = lab.through_edge(s.method, s.path, s.headers).await.expect("the edge answers");
        assert_eq!(status, s.broken.0, "{}: {body}", def.name);
        assert!(body.contains(s.broken.1), "{}: {body}", def.name);
        if s.scenario == Scenario::NothingListeningApiBehavior {
            let (status, body) = lab.through_edge("GET", "/", &[]).await.unwrap();
            assert_eq!(status, 200, "{}: the default behavior works: {body}", def.name);
        }
        drop(lab);
        let twin = def.twin.unwrap();
        let lab = Lab::start(twin).await;
        assert_kind(&lab, twin);
        let (status, body) = lab.through_edge(s.method, s.path, s.headers).await.expect("the edge answers");
        assert_eq!(status, 200, "{}: {body}", twin.name());
        assert!(body.contains("hello from the app"), "{}: {body}", twin.name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_own_answers_carry_what_it_needs() {
    // Without the need met, the application says what it needs, to a direct request as to
    // CloudFront: `Allow` on a 405, `WWW-Authenticate` on a 401.
    let lab = Lab::start(Scenario::MethodNotAllowedByAllow).await;
    let (status, _) = lab.through_edge("POST", "/api/orders", &[]).await.unwrap();
    assert_eq!(status, 403, "CloudFront refuses a method the behavior does not allow");
    let (status, _) = lab.through_edge("GET", "/api/orders", &[]).await.unwrap();
    assert_eq!(status, 405);
    let (status, _) = lab.through_edge("GET", "/", &[]).await.unwrap();
    assert_eq!(status, 200, "only /api/orders is the order API");
    let methods: Vec<String> = lab
        .origins
        .iter()
        .flat_map(|(_, o)| o.log.lock().unwrap().iter().map(|q| q.method.clone()).collect::<Vec<_>>())
        .collect();
    assert_eq!(methods, vec!["GET", "GET"], "the refused POST never reaches the origin");
    drop(lab);

    let lab = Lab::start(Scenario::AuthorizationStrippedBearer).await;
    let (status, _) = lab.through_edge("GET", "/account", &[]).await.unwrap();
    assert_eq!(status, 401);
    let seen: Vec<Option<String>> = lab
        .origins
        .iter()
        .flat_map(|(_, o)| {
            o.log.lock().unwrap().iter().map(|q| q.header("authorization").map(str::to_string)).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(seen, vec![None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_origin_reads_are_refused_and_cloudfront_reads_work() {
    let lab =
        Lab::start_with(Scenario::NothingListeningEc2, Options { deny_origin_reads: true, ..Options::default() }).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&lab.diagnosis_sdk);
    let err = elb.describe_load_balancers().send().await.unwrap_err();
    assert!(format!("{err:?}").contains("AccessDenied"), "{err:?}");
    let ec2 = aws_sdk_ec2::Client::new(&lab.diagnosis_sdk);
    let err = ec2.describe_instances().send().await.unwrap_err();
    assert!(format!("{err:?}").contains("UnauthorizedOperation"), "{err:?}");
    let cf = aws_sdk_cloudfront::Client::new(&lab.diagnosis_sdk);
    let d = cf.get_distribution().id(&lab.distribution_id).send().await.unwrap();
    assert_eq!(d.distribution().unwrap().domain_name(), lab.domain_name);
    // The instance is there for whoever may read it: the seeding reads the emulator directly.
    let ec2 = aws_sdk_ec2::Client::new(&lab.sdk);
    let direct = ec2.describe_instances().send().await.unwrap();
    let instance = direct
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find(|i| i.public_dns_name() == Some(lab.origin_domain.as_str()))
        .unwrap_or_else(|| panic!("no instance named {}", lab.origin_domain));
    // Its security group admits every port the scenario lists, the one nothing listens on too:
    // the connection is refused by the host, not dropped by the group.
    let groups: Vec<String> =
        instance.security_groups().iter().filter_map(|g| g.group_id()).map(String::from).collect();
    let sgs = ec2.describe_security_groups().set_group_ids(Some(groups)).send().await.unwrap();
    let mut admitted: Vec<i32> =
        sgs.security_groups().iter().flat_map(|g| g.ip_permissions()).filter_map(|p| p.from_port()).collect();
    admitted.sort_unstable();
    assert_eq!(admitted, vec![80, 8080]);
    // And the CLI's environment points at the same proxy.
    let env = lab.aws_env();
    let endpoint = env.iter().find(|(k, _)| k == "AWS_ENDPOINT_URL").unwrap();
    assert_eq!(endpoint.1, lab.aws_proxy.as_ref().unwrap().endpoint);
}
