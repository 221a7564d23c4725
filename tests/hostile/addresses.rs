//! Steering by address: an origin (or its DNS) that points the probes at the instance metadata
//! service in any spelling, at a private range, at another port, or that never answers DNS.
//! The plan comes from a hand-built inventory and runs as in a diagnosis (`plan::plan`, then
//! `probe::run` beside the TLS scan); where a refused target could be routed, a loopback
//! listener stands in for it and must stay silent.

use cf_origin_doctor::evidence::*;
use cf_origin_doctor::request::{ConnectTo, DiagnoseRequest, ProbeLimits, ProbeSettings};
use cf_origin_doctor::{plan, plan_tls, probe};
use lab::dns::{self as labdns, Record};
use lab::origin::{self, Behavior as Answer};
use lab::server::{self, Response};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const DIST: &str = "d111hostile.cloudfront.net";
const ORIGIN: &str = "origin.lab.test";

/// Every way a URL can spell the EC2 and ECS metadata endpoints.
const METADATA_LOCATIONS: &[&str] = &[
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://0251.0376.0251.0376/latest/meta-data/",
    "http://0xa9fea9fe/latest/meta-data/",
    "http://169.254.43518/latest/meta-data/",
    "http://169.254.169.254./latest/meta-data/",
    "http://origin.lab.test@169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[::169.254.169.254]/latest/meta-data/",
    "http://[::ffff:0:169.254.169.254]/latest/meta-data/",
    "http://[64:ff9b::169.254.169.254]/latest/meta-data/",
    "http://[64:ff9b:1::a9fe:a9fe]/latest/meta-data/",
    "http://[2002:a9fe:a9fe::1]/latest/meta-data/",
    "http://[2001:0:a9fe:a9fe::1]/latest/meta-data/",
    "http://[2001:0:4136:e378:8000:63bf:5601:5601]/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://169.254.170.2/v2/credentials/",
    "http://[::ffff:a9fe:aa02]/v2/credentials/",
];

fn route(host: &str, port: u16, target: SocketAddr) -> ConnectTo {
    ConnectTo { host: host.to_string(), port, target }
}

fn origin(id: &str, domain: &str, policy: OriginProtocolPolicy, http_port: u16, https_port: u16) -> Origin {
    Origin {
        id: id.into(),
        domain_name: domain.into(),
        origin_path: String::new(),
        custom_headers: vec![],
        connection_attempts: 1,
        connection_timeout_s: 10,
        kind: OriginKind::Custom(CustomOriginConfig {
            http_port,
            https_port,
            protocol_policy: policy,
            ssl_protocols: vec!["TLSv1.2".into()],
            read_timeout_s: 30,
            keepalive_timeout_s: 5,
            ip_address_type: Default::default(),
        }),
        origin_access_control_id: Default::default(),
        response_completion_timeout_s: Default::default(),
    }
}

fn http_origin(id: &str, domain: &str) -> Origin {
    origin(id, domain, OriginProtocolPolicy::HttpOnly, 80, 443)
}

/// A distribution whose default behaviour goes to the first origin and `/<id>` to each origin.
fn inventory(origins: Vec<Origin>) -> Inventory {
    let behavior = |target: &str, pattern: Option<String>| -> cf_origin_doctor::evidence::Behavior {
        serde_json::from_value(serde_json::json!({
            "path_pattern": pattern, "target_origin_id": target, "viewer_protocol_policy": "allow-all",
            "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
            // CachingDisabled: nothing of the viewer's is forwarded.
            "cache_policy_id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            "origin_request_policy_id": null, "forwarded_values": null
        }))
        .expect("behavior")
    };
    let mut distribution: Distribution = serde_json::from_value(serde_json::json!({
        "id": "EHOSTILEADDR", "arn": "arn:aws:cloudfront::123456789012:distribution/EHOSTILEADDR",
        "domain_name": DIST, "status": "Deployed", "enabled": true, "aliases": [], "origins": [],
        "behaviors": [],
        "default_behavior": {"path_pattern": null, "target_origin_id": "", "viewer_protocol_policy": "allow-all",
            "allowed_methods": [], "cached_methods": [], "cache_policy_id": null,
            "origin_request_policy_id": null, "forwarded_values": null}
    }))
    .expect("distribution");
    distribution.default_behavior = behavior(&origins[0].id, None);
    distribution.behaviors = origins.iter().map(|o| behavior(&o.id, Some(format!("/{}", o.id)))).collect();
    distribution.origins = origins.clone();
    Inventory {
        distribution,
        origins: origins
            .iter()
            .map(|o| OriginInventory {
                origin_id: o.id.clone(),
                region: None,
                resource: Fetch::NotApplicable { reason: "hostile lab".into() },
                network: Default::default(),
                vpc_origin: None,
            })
            .collect(),
        calls: vec![],
        cloudfront_prefix_lists: Default::default(),
        viewer_certificate_acm: Default::default(),
    }
}

fn settings(connect_to: Vec<ConnectTo>, dns: Option<SocketAddr>, allow_private: bool) -> ProbeSettings {
    let mut connect_to = connect_to;
    // The edge is not what these tests look at: its probes fail fast.
    connect_to.push(route(DIST, 80, server::refused_addr()));
    connect_to.push(route(DIST, 443, server::refused_addr()));
    ProbeSettings {
        connect_to,
        allow_private_targets: allow_private,
        limits: ProbeLimits {
            connect_timeout: Duration::from_millis(800),
            tls_timeout: Duration::from_secs(2),
            first_byte_timeout: Duration::from_secs(3),
            hop_timeout: Duration::from_secs(6),
            phase_budget: Duration::from_secs(15),
            ..ProbeLimits::default()
        },
        dns_server: dns,
        extra_roots_pem: None,
    }
}

/// The probes and the TLS scan, side by side within one budget, as the engine runs them.
async fn diagnose(inv: &Inventory, paths: &[String], s: &ProbeSettings) -> Observations {
    let req = DiagnoseRequest::new("EHOSTILEADDR", paths).expect("request");
    let p = plan::plan(inv, &req);
    let tls_plan = plan_tls::plan(inv);
    let tls = probe::TlsConfigs::new(None).expect("tls");
    let deadline = tokio::time::Instant::now() + s.limits.phase_budget;
    let (mut obs, scans) =
        tokio::join!(probe::run(&p, s, &tls, "hostile lab"), probe::tls_scan::run(&tls_plan, s, deadline));
    obs.tls = scans;
    obs
}

fn find<'a>(obs: &'a Observations, id: &str) -> &'a ProbeRecord {
    obs.probes
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no probe {id}: {:?}", obs.probes.iter().map(|p| &p.id).collect::<Vec<_>>()))
}

fn error_of(h: &Hop) -> &ProbeError {
    match &h.result {
        HopResult::Error(e) => e,
        HopResult::Response(r) => panic!("expected an error, got {} {:?}", r.status, r.headers),
    }
}

/// A loopback HTTP server that answers each request path with `answer(path)`, else 404.
async fn answering(answer: impl Fn(&str) -> Option<Response> + Send + Sync + 'static) -> server::Server {
    server::start(
        None,
        server::handler(move |req| answer(&req.target).unwrap_or_else(|| Response::new(404, "Not Found"))),
    )
    .await
}

/// A loopback listener that records every request and answers 200.
async fn stand_in() -> origin::Origin {
    origin::start(Answer::App, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_the_metadata_service_in_every_spelling_are_refused_and_recorded() {
    // `/N` redirects to the Nth spelling. Every host those spellings name is routed to a
    // loopback stand-in, so a followed redirect would show up in its log.
    let redirector = answering(move |path| {
        let i: usize = path.trim_start_matches('/').parse().ok()?;
        METADATA_LOCATIONS.get(i).map(|l| Response::new(302, "Found").header("Location", *l))
    })
    .await;
    let metadata = stand_in().await;
    let mut routes = vec![route(ORIGIN, 80, redirector.addr)];
    for l in METADATA_LOCATIONS {
        let host = url::Url::parse(l).unwrap().host_str().unwrap().to_string();
        routes.push(route(&host, 80, metadata.server.addr));
    }
    let paths: Vec<String> = (0..METADATA_LOCATIONS.len()).map(|i| format!("/{i}")).collect();
    let inv = inventory(vec![http_origin("o1", ORIGIN)]);
    // Loopback must be opted into to reach the redirector; the opt-in opens no metadata form.
    let obs = diagnose(&inv, &paths, &settings(routes, None, true)).await;

    for (i, location) in METADATA_LOCATIONS.iter().enumerate() {
        let p = find(&obs, &format!("origin:o1:http:/{i}"));
        assert_eq!(p.hops.len(), 1, "{location}: {:?}", p.hops);
        match &p.redirects {
            RedirectOutcome::NotFollowed { location: l, reason } => {
                assert_eq!(l, location);
                // The local-use NAT64 prefix is refused whole: where it carries an IPv4 is not
                // knowable (RFC 6052 section 2.2).
                let why = if location.contains("64:ff9b:1::") { "RFC 8215" } else { "metadata" };
                assert!(reason.contains(why) && reason.contains("never probed"), "{location}: {reason}");
            }
            other => panic!("{location}: {other:?}"),
        }
    }
    assert!(metadata.log.lock().unwrap().is_empty(), "a metadata spelling was reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_names_overrides_and_dns_answers_that_spell_the_metadata_service_are_refused() {
    let meta4 = Record::Addr("169.254.169.254".parse().unwrap());
    let dns = labdns::start(vec![
        ("v4.lab.test", meta4.clone()),
        ("chain.lab.test", Record::Cname("v4.lab.test".into())),
        ("mapped.lab.test", Record::Addr("::ffff:169.254.169.254".parse().unwrap())),
        ("compat.lab.test", Record::Addr("::169.254.169.254".parse().unwrap())),
        ("siit.lab.test", Record::Addr("::ffff:0:169.254.169.254".parse().unwrap())),
        ("nat64.lab.test", Record::Addr("64:ff9b::a9fe:a9fe".parse().unwrap())),
        ("sixtofour.lab.test", Record::Addr("2002:a9fe:a9fe::1".parse().unwrap())),
        ("teredo.lab.test", Record::Addr("2001:0:4136:e378:8000:63bf:5601:5601".parse().unwrap())),
        ("imds6.lab.test", Record::Addr("fd00:ec2::254".parse().unwrap())),
    ])
    .await;
    let stand_in = stand_in().await;
    let origins = vec![
        // Origin domain names that are address spellings (the API refuses them, the probe must too).
        http_origin("decimal", "2852039166"),
        http_origin("hex", "0xa9fea9fe"),
        http_origin("dotted", "169.254.169.254."),
        http_origin("bracketed", "[::ffff:169.254.169.254]"),
        // `--connect-to` targets.
        http_origin("ovnat64", "ov-nat64.lab.test"),
        http_origin("ov6to4", "ov-6to4.lab.test"),
        http_origin("ovecs", "ov-ecs.lab.test"),
        // DNS answers.
        http_origin("v4", "v4.lab.test"),
        http_origin("chain", "chain.lab.test"),
        http_origin("mapped", "mapped.lab.test"),
        http_origin("compat", "compat.lab.test"),
        http_origin("siit", "siit.lab.test"),
        http_origin("nat64", "nat64.lab.test"),
        http_origin("sixtofour", "sixtofour.lab.test"),
        http_origin("teredo", "teredo.lab.test"),
        http_origin("imds6", "imds6.lab.test"),
    ];
    let ids: Vec<String> = origins.iter().map(|o| o.id.clone()).collect();
    let paths: Vec<String> = ids.iter().map(|id| format!("/{id}")).collect();
    let inv = inventory(origins);
    let routes = || {
        vec![
            route("ov-nat64.lab.test", 80, "[64:ff9b::a9fe:a9fe]:80".parse().unwrap()),
            route("ov-6to4.lab.test", 80, "[2002:a9fe:aa02::]:80".parse().unwrap()),
            route("ov-ecs.lab.test", 80, "169.254.170.2:80".parse().unwrap()),
            // Were a literal spelling used as a name, it would reach the stand-in.
            route("2852039166", 80, stand_in.server.addr),
            route("0xa9fea9fe", 80, stand_in.server.addr),
            route("169.254.169.254", 80, stand_in.server.addr),
            route("[::ffff:169.254.169.254]", 80, stand_in.server.addr),
        ]
    };
    for allow_private in [false, true] {
        let obs = diagnose(&inv, &paths, &settings(routes(), Some(dns.addr), allow_private)).await;
        for id in &ids {
            let p = find(&obs, &format!("origin:{id}:http:/{id}"));
            let e = error_of(&p.hops[0]);
            assert_eq!(e.stage, ProbeStage::Refused, "{id} (allow {allow_private}): {e:?}");
            assert!(e.message.contains("metadata") && e.message.contains("never probed"), "{id}: {}", e.message);
            assert_eq!(p.hops[0].address, None, "{id}: no address may be connected to");
            let tcp = obs.tcp.iter().find(|t| t.origin_id == *id).unwrap();
            assert_eq!(tcp.outcome, TcpOutcome::NotAttempted, "{id}: {tcp:?}");
            assert!(tcp.message.as_deref().is_some_and(|m| m.contains("metadata")), "{id}: {tcp:?}");
        }
        // The DNS observations say why each answer is never probed.
        for name in [
            "v4.lab.test",
            "chain.lab.test",
            "nat64.lab.test",
            "sixtofour.lab.test",
            "teredo.lab.test",
            "ov-nat64.lab.test",
        ] {
            let d = obs.dns_for(name).unwrap_or_else(|| panic!("no DNS observation of {name}"));
            assert!(
                d.notes.iter().any(|n| n.contains("metadata") && n.contains("never probed")),
                "{name}: {:?}",
                d.notes
            );
        }
        assert_eq!(obs.dns_for("chain.lab.test").unwrap().cname_chain, vec!["v4.lab.test"]);
    }
    assert!(stand_in.log.lock().unwrap().is_empty(), "a metadata spelling was reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_answers_probe_only_the_allowed_addresses_and_record_the_refused_ones() {
    let app = stand_in().await;
    let port = app.server.addr.port();
    let dns = labdns::start(vec![
        ("mixed.lab.test", Record::Addr("169.254.169.254".parse().unwrap())),
        ("mixed.lab.test", Record::Addr("64:ff9b::a9fe:a9fe".parse().unwrap())),
        ("mixed.lab.test", Record::Addr("127.0.0.1".parse().unwrap())),
        ("private.lab.test", Record::Cname("inner.lab.test".into())),
        ("inner.lab.test", Record::Addr("10.20.30.40".parse().unwrap())),
    ])
    .await;
    let inv = inventory(vec![origin("mixed", "mixed.lab.test", OriginProtocolPolicy::HttpOnly, port, 443)]);
    let obs = diagnose(&inv, &["/".into()], &settings(vec![], Some(dns.addr), true)).await;
    let hop = &find(&obs, "origin:mixed:http:/").hops[0];
    assert_eq!(hop.address.as_deref(), Some(format!("127.0.0.1:{port}").as_str()), "{hop:?}");
    assert!(hop.response().is_some_and(|r| r.status == 200), "{hop:?}");
    assert!(!app.log.lock().unwrap().is_empty());
    let d = obs.dns_for("mixed.lab.test").unwrap();
    for refused in ["169.254.169.254", "64:ff9b::a9fe:a9fe"] {
        assert!(
            d.notes.iter().any(|n| n.starts_with(refused) && n.contains("never probed")),
            "{refused}: {:?}",
            d.notes
        );
    }

    // A CNAME chain to a private address: refused without the opt-in, the chain recorded.
    let inv = inventory(vec![http_origin("private", "private.lab.test")]);
    let obs = diagnose(&inv, &["/".into()], &settings(vec![], Some(dns.addr), false)).await;
    let e = error_of(&find(&obs, "origin:private:http:/").hops[0]);
    assert_eq!(e.stage, ProbeStage::Refused);
    assert!(e.message.contains("10.20.30.40") && e.message.contains("--allow-private-targets"), "{}", e.message);
    assert_eq!(obs.dns_for("private.lab.test").unwrap().cname_chain, vec!["inner.lab.test"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_resolver_ends_within_the_phase_budget_with_the_timeout_recorded() {
    // A resolver that takes every query and answers none.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let inv = inventory(vec![origin("silent", "silent.lab.test", OriginProtocolPolicy::MatchViewer, 80, 443)]);
    let mut s = settings(vec![], Some(silent_addr), true);
    s.limits.phase_budget = Duration::from_secs(3);
    let started = Instant::now();
    let obs = diagnose(&inv, &["/".into()], &s).await;
    let took = started.elapsed();
    assert!(took < s.limits.phase_budget + Duration::from_secs(3), "the probes took {took:?}");

    let d = obs.dns_for("silent.lab.test").unwrap();
    assert!(d.error.as_deref().is_some_and(|e| e.contains("timeout")), "{d:?}");
    for id in ["origin:silent:http:/", "origin:silent:https:/"] {
        let e = error_of(&find(&obs, id).hops[0]);
        assert_eq!(e.stage, ProbeStage::Dns, "{id}: {e:?}");
        assert!(e.message.contains("timeout"), "{id}: {}", e.message);
    }
    assert!(!obs.tls.is_empty());
    for t in &obs.tls {
        match &t.result {
            TlsHandshakeResult::Failed(f) => {
                assert_eq!(f.kind, TlsFailureKind::Dns, "{t:?}");
                assert!(f.message.contains("timeout") && f.message.contains(&silent_addr.to_string()), "{}", f.message);
            }
            other => panic!("{other:?}"),
        }
    }
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_port_of_an_allowed_host_is_recorded_and_not_followed() {
    let other_port = stand_in().await;
    let redirector = answering(|path| {
        let to = match path {
            "/o1" => "http://origin.lab.test:8080/next",
            "/o2" => "https://origin2.lab.test:8443/next",
            _ => return None,
        };
        Some(Response::new(301, "Moved Permanently").header("Location", to))
    })
    .await;
    // o2 listens for plain HTTP on 8080 (its HTTPPort), so a redirect there is CloudFront's own
    // path and is followed; its HTTPS on 8443 is not its HTTPSPort.
    let followed = stand_in().await;
    let inv = inventory(vec![
        http_origin("o1", ORIGIN),
        origin("o2", "origin2.lab.test", OriginProtocolPolicy::HttpOnly, 8080, 443),
    ]);
    let routes = vec![
        route(ORIGIN, 80, redirector.addr),
        route(ORIGIN, 8080, other_port.server.addr),
        route("origin2.lab.test", 8080, redirector.addr),
        route("origin2.lab.test", 8443, other_port.server.addr),
        route("origin2.lab.test", 443, followed.server.addr),
    ];
    let obs = diagnose(&inv, &["/o1".into(), "/o2".into()], &settings(routes, None, true)).await;
    for (id, port) in [("origin:o1:http:/o1", "http port 8080"), ("origin:o2:http:/o2", "https port 8443")] {
        let p = find(&obs, id);
        assert_eq!(p.hops.len(), 1, "{id}: {:?}", p.hops);
        match &p.redirects {
            RedirectOutcome::NotFollowed { reason, .. } => {
                assert!(reason.contains(port) && reason.contains("CloudFront never does"), "{id}: {reason}")
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    assert!(other_port.log.lock().unwrap().is_empty(), "a redirect to another port was followed");

    // Its own HTTPPort is followed: a redirect from o1's host to o2's http://…:8080 is.
    let to_o2 =
        answering(|_| Some(Response::new(302, "Found").header("Location", "http://origin2.lab.test:8080/o2"))).await;
    let inv = inventory(vec![
        http_origin("o1", ORIGIN),
        origin("o2", "origin2.lab.test", OriginProtocolPolicy::HttpOnly, 8080, 443),
    ]);
    let routes = vec![route(ORIGIN, 80, to_o2.addr), route("origin2.lab.test", 8080, followed.server.addr)];
    let obs = diagnose(&inv, &["/".into()], &settings(routes, None, true)).await;
    let p = find(&obs, "origin:o1:http:/");
    assert_eq!(p.hops.len(), 2, "{:?}", p.redirects);
    assert!(p.hops[1].response().is_some_and(|r| r.status == 200));
    assert!(!followed.log.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_refuses_a_connect_to_target_that_embeds_the_metadata_address() {
    // The lab's origin routed, by `--connect-to`, to NAT64's spelling of 169.254.169.254.
    let lab =
        lab::hostile::lab_with_origin(lab::Scenario::RedirectLoop, 80, "[64:ff9b::a9fe:a9fe]:80".parse().unwrap())
            .await;
    for opt_in in [true, false] {
        let args: Vec<String> =
            lab.cli_args().into_iter().filter(|a| opt_in || a != "--allow-private-targets").collect();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cf-origin-doctor"));
        cmd.args(["diagnose", &lab.distribution_id, "--format", "json"]).args(&args).env_clear();
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in lab.aws_env() {
            cmd.env(k, v);
        }
        let out = cmd.stdin(std::process::Stdio::null()).output().expect("run the CLI");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        let origin_probes: Vec<&serde_json::Value> =
            report["observations"]["probes"].as_array().unwrap().iter().filter(|p| p["target"] == "origin").collect();
        assert!(!origin_probes.is_empty(), "{report:#}");
        for p in origin_probes {
            let hop = &p["hops"][0];
            let error = hop["error"].as_str().unwrap_or_default();
            assert!(error.contains("64:ff9b::a9fe:a9fe") && error.contains("metadata"), "{}: {hop:#}", p["id"]);
            assert!(error.contains("never probed"), "opt-in {opt_in}: {error}");
            assert_eq!(hop["address"], serde_json::Value::Null, "{hop:#}");
        }
    }
}
