//! Lab tests of the probes' limits and safety: real servers, a DNS stand-in and black-holed
//! ports on loopback; the plan comes from a hand-built inventory (no emulator needed), and the
//! probes run exactly as in a diagnosis (`plan::plan` then `probe::run`).

use cf_origin_doctor::evidence::*;
use cf_origin_doctor::plan;
use cf_origin_doctor::probe::{self, TlsConfigs};
use cf_origin_doctor::request::{ConnectTo, DiagnoseRequest, ProbeLimits, ProbeSettings};
use lab::dns::{self as labdns, Record};
use lab::origin::{self, Behavior};
use lab::server;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const DIST: &str = "d111lab.cloudfront.net";
const ORIGIN: &str = "origin.lab.test";

fn behavior(origin_id: &str) -> Behavior_ {
    Behavior_ {
        path_pattern: None,
        target_origin_id: origin_id.into(),
        viewer_protocol_policy: ViewerProtocolPolicy::AllowAll,
        allowed_methods: vec!["GET".into(), "HEAD".into()],
        cached_methods: vec!["GET".into(), "HEAD".into()],
        // CachingDisabled, no origin request policy: nothing of the viewer's is forwarded
        // (CloudFront's own User-Agent, the origin's name as Host).
        cache_policy_id: Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad".into()),
        origin_request_policy_id: None,
        forwarded_values: None,
        function_associations: Default::default(),
        lambda_associations: Default::default(),
        trusted_key_groups: Default::default(),
        cache_policy: None,
        origin_request_policy: None,
    }
}
type Behavior_ = cf_origin_doctor::evidence::Behavior;

fn origin_def(id: &str, domain: &str, policy: OriginProtocolPolicy) -> Origin {
    Origin {
        id: id.into(),
        domain_name: domain.into(),
        origin_path: String::new(),
        custom_headers: vec![],
        connection_attempts: 3,
        connection_timeout_s: 10,
        kind: OriginKind::Custom(CustomOriginConfig {
            http_port: 80,
            https_port: 443,
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

fn inventory(origins: Vec<Origin>, aliases: Vec<String>) -> Inventory {
    let first = origins[0].id.clone();
    Inventory {
        distribution: Distribution {
            id: "ELABPROBES".into(),
            arn: "arn:aws:cloudfront::123456789012:distribution/ELABPROBES".into(),
            domain_name: DIST.into(),
            status: "Deployed".into(),
            enabled: true,
            aliases,
            origins: origins.clone(),
            default_behavior: behavior(&first),
            behaviors: vec![],
            ..serde_json::from_value(serde_json::json!({
                "id": "", "arn": "", "domain_name": "", "status": "", "enabled": true, "aliases": [],
                "origins": [], "behaviors": [],
                "default_behavior": {"path_pattern": null, "target_origin_id": "", "viewer_protocol_policy": "allow-all",
                    "allowed_methods": [], "cached_methods": [], "cache_policy_id": null,
                    "origin_request_policy_id": null, "forwarded_values": null}
            }))
            .expect("the newer distribution fields all have defaults")
        },
        origins: origins
            .iter()
            .map(|o| OriginInventory {
                origin_id: o.id.clone(),
                region: None,
                resource: Fetch::NotApplicable { reason: "lab".into() },
                network: Default::default(),
                vpc_origin: None,
            })
            .collect(),
        calls: vec![],
        cloudfront_prefix_lists: Default::default(),
        viewer_certificate_acm: Default::default(),
    }
}

fn limits() -> ProbeLimits {
    ProbeLimits {
        connect_timeout: Duration::from_millis(800),
        tls_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(3),
        hop_timeout: Duration::from_secs(6),
        phase_budget: Duration::from_secs(15),
        ..ProbeLimits::default()
    }
}

fn settings(connect_to: Vec<(&str, u16, SocketAddr)>, dns: Option<SocketAddr>, limits: ProbeLimits) -> ProbeSettings {
    ProbeSettings {
        connect_to: connect_to
            .into_iter()
            .map(|(h, p, a)| ConnectTo { host: h.to_string(), port: p, target: a })
            .collect(),
        allow_private_targets: true,
        limits,
        dns_server: dns,
        extra_roots_pem: None,
    }
}

async fn run(inv: &Inventory, req: &DiagnoseRequest, s: &ProbeSettings) -> Observations {
    let p = plan::plan(inv, req);
    let tls = TlsConfigs::new(None).unwrap();
    probe::run(&p, s, &tls, "lab").await
}

fn req() -> DiagnoseRequest {
    DiagnoseRequest::new("ELABPROBES", &[]).unwrap()
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

fn response_of(h: &Hop) -> &HttpResponse {
    h.response().unwrap_or_else(|| panic!("expected a response, got {:?}", h.result))
}

/// One http-only origin served by `behavior`, the distribution's domain refused (edge probes
/// fail fast and are not what these tests look at).
async fn single_origin(behavior: Behavior, limits: ProbeLimits) -> (origin::Origin, Observations) {
    let o = origin::start(behavior, None).await;
    let inv = inventory(vec![origin_def("o1", ORIGIN, OriginProtocolPolicy::HttpOnly)], vec![]);
    let s = settings(
        vec![(ORIGIN, 80, o.server.addr), (DIST, 80, server::refused_addr()), (DIST, 443, server::refused_addr())],
        None,
        limits,
    );
    let obs = run(&inv, &req(), &s).await;
    (o, obs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_first_byte_is_timed_and_bounded() {
    let (_o, obs) = single_origin(Behavior::SlowFirstByte(Duration::from_millis(1200)), limits()).await;
    let hop = &find(&obs, "origin:o1:http:/").hops[0];
    assert_eq!(response_of(hop).status, 200);
    let fb = hop.timings.first_byte_ms.unwrap();
    assert!((1100..2900).contains(&fb), "first byte after {fb} ms");
    assert!(hop.timings.max_gap_ms.unwrap() < 1000, "the wait for the first byte is not a gap: {:?}", hop.timings);

    // Past the bound: a first-byte timeout, with the time waited recorded.
    let short = ProbeLimits { first_byte_timeout: Duration::from_millis(400), ..limits() };
    let (_o, obs) = single_origin(Behavior::SlowFirstByte(Duration::from_secs(3)), short).await;
    let hop = &find(&obs, "origin:o1:http:/").hops[0];
    assert_eq!(error_of(hop).stage, ProbeStage::FirstByteTimeout);
    let waited = hop.timings.first_byte_waited_ms.unwrap();
    assert!((380..1500).contains(&waited), "waited {waited} ms");
    assert!(hop.timings.total_ms < 2000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_between_chunks_is_measured_and_a_stall_is_cut_but_recorded() {
    let parts = vec![(Duration::ZERO, "first ".to_string()), (Duration::from_millis(1200), "second".to_string())];
    let (_o, obs) = single_origin(Behavior::Chunks(parts), limits()).await;
    let hop = &find(&obs, "origin:o1:http:/").hops[0];
    let r = response_of(hop);
    assert_eq!(r.body_sample, "first second");
    assert!(!r.body_truncated);
    let gap = hop.timings.max_gap_ms.unwrap();
    assert!((1100..2900).contains(&gap), "gap {gap} ms");
    assert!(hop.timings.first_byte_ms.unwrap() < 1000);

    // A pause longer than the read bound: the response is kept, truncated, the stall measured.
    let parts = vec![(Duration::ZERO, "first ".to_string()), (Duration::from_secs(4), "never".to_string())];
    let short = ProbeLimits { first_byte_timeout: Duration::from_millis(700), ..limits() };
    let (_o, obs) = single_origin(Behavior::Chunks(parts), short).await;
    let hop = &find(&obs, "origin:o1:http:/").hops[0];
    let r = response_of(hop);
    assert!(r.body_truncated);
    assert!(r.body_incomplete.as_deref().unwrap().contains("stalled"), "{:?}", r.body_incomplete);
    let gap = hop.timings.max_gap_ms.unwrap();
    assert!((650..2000).contains(&gap), "gap {gap} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loop_is_detected() {
    let (o, obs) = single_origin(Behavior::RedirectTo(format!("http://{ORIGIN}/")), limits()).await;
    let p = find(&obs, "origin:o1:http:/");
    assert_eq!(p.redirects, RedirectOutcome::Loop { repeated_url: format!("http://{ORIGIN}/") });
    assert_eq!(p.hops.len(), 1);
    // The loop is cut at once: besides the request ladder's rungs (each one request, redirects
    // never followed), the origin saw at most three requests.
    let rungs: usize = obs.ladders.iter().map(|l| l.rungs.len()).sum();
    assert!(o.log.lock().unwrap().len() <= 3 + rungs, "{} requests, {rungs} rungs", o.log.lock().unwrap().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_the_origins_own_hostname_is_noted_as_an_escape() {
    // The "edge" answers with a redirect to the origin's own name, as an app that builds
    // absolute URLs from the Host it received does.
    let edge = origin::start(Behavior::RedirectTo(format!("http://{ORIGIN}/login")), None).await;
    let app = origin::start(Behavior::App, None).await;
    let inv = inventory(vec![origin_def("o1", ORIGIN, OriginProtocolPolicy::HttpOnly)], vec![]);
    let s = settings(
        vec![(ORIGIN, 80, app.server.addr), (DIST, 80, edge.server.addr), (DIST, 443, server::refused_addr())],
        None,
        limits(),
    );
    let obs = run(&inv, &req(), &s).await;
    let p = find(&obs, &format!("edge:{DIST}:http:/"));
    let esc = p.redirect_escape.as_ref().expect("escape noted");
    assert_eq!(esc.origin_id, "o1");
    assert_eq!(esc.origin_hostname, ORIGIN);
    assert_eq!(esc.hop, 0);
    assert_eq!(esc.location, format!("http://{ORIGIN}/login"));
    // The origin probes themselves are not escapes.
    assert!(find(&obs, "origin:o1:http:/").redirect_escape.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_that_rejects_cloudfronts_user_agent_differs_between_the_two_shapes() {
    let (o, obs) = single_origin(Behavior::RejectCloudFrontUserAgent, limits()).await;
    let cf = find(&obs, "origin:o1:http:/");
    let viewer = find(&obs, "origin-viewer:o1:http:/");
    assert_eq!(cf.shape, RequestShape::Cloudfront);
    assert_eq!(viewer.shape, RequestShape::Viewer);
    assert_eq!(response_of(&cf.hops[0]).status, 403);
    assert_eq!(response_of(&viewer.hops[0]).status, 200);
    // Host: the origin's name for CloudFront's shape (Host not forwarded), the viewer's name otherwise.
    assert_eq!(cf.hops[0].host_header, ORIGIN);
    assert_eq!(viewer.hops[0].host_header, DIST);
    // The viewer's request with CloudFront's Host works: the difference is not Host.
    let cf_host = find(&obs, "origin-viewer-cfhost:o1:http:/");
    assert_eq!(cf_host.hops[0].host_header, ORIGIN);
    assert_eq!(response_of(&cf_host.hops[0]).status, 200);
    // The checks read it that way: CloudFront's shape is rejected, Host routing is not blamed.
    let ev = Evidence {
        schema_version: EVIDENCE_SCHEMA_VERSION,
        collected_at: "2026-11-26T00:00:00Z".into(),
        collected_at_unix: 0,
        request: RequestEcho { distribution_id: "ELABPROBES".into(), paths: vec!["/".into()], ..Default::default() },
        inventory: inventory(vec![origin_def("o1", ORIGIN, OriginProtocolPolicy::HttpOnly)], vec![]),
        observations: obs.clone(),
        preflight: None,
    };
    let ids: Vec<String> = cf_origin_doctor::checks::run_all(&ev).findings.into_iter().map(|f| f.id).collect();
    assert!(ids.contains(&"origin-rejects-cloudfront-shaped-requests".to_string()), "{ids:?}");
    assert!(!ids.contains(&"host-header-routing-mismatch".to_string()), "{ids:?}");
    let log = o.log.lock().unwrap();
    assert!(log.iter().any(|r| r.header("user-agent") == Some("Amazon CloudFront")
        && r.header("x-forwarded-for").is_some()
        && r.header("via").is_some_and(|v| v.contains("CloudFront"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gb_body_and_1_mb_of_headers_are_read_within_bounds() {
    let started = Instant::now();
    let (_o, obs) = single_origin(Behavior::HugeBody(1 << 30), limits()).await;
    let hop = &find(&obs, "origin:o1:http:/").hops[0];
    let r = response_of(hop);
    let cap = limits().max_body_bytes;
    assert!(r.body_truncated);
    assert!(r.body_bytes_read >= cap && r.body_bytes_read < cap + 64 * 1024, "read {}", r.body_bytes_read);
    // The sample keeps its cap and says it was cut.
    let sample = r.body_sample.strip_suffix('…').expect("a cut sample is marked");
    assert!(sample.len() <= limits().body_sample_bytes);
    assert!(r.body_incomplete.as_deref().unwrap().contains("cap"));

    let (_o, obs) = single_origin(Behavior::HugeHeaders(1 << 20), limits()).await;
    let hop = &find(&obs, "origin:o1:http:/").hops[0];
    let e = error_of(hop);
    assert_eq!(e.stage, ProbeStage::Http);
    assert!(e.message.contains("larger than"), "{}", e.message);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_addresses_are_refused_from_dns_and_from_redirects() {
    // DNS answers 169.254.169.254 for the origin; a redirect leads to an alias that DNS also
    // points at the metadata service.
    let redirector = origin::start(Behavior::RedirectTo("http://www.lab.test/".into()), None).await;
    let dns = labdns::start(vec![
        ("meta.lab.test", Record::Addr("169.254.169.254".parse().unwrap())),
        ("www.lab.test", Record::Cname("evil.lab.test".into())),
        ("evil.lab.test", Record::Addr("169.254.169.254".parse().unwrap())),
    ])
    .await;
    let inv = inventory(
        vec![
            origin_def("o1", ORIGIN, OriginProtocolPolicy::HttpOnly),
            origin_def("meta", "meta.lab.test", OriginProtocolPolicy::HttpOnly),
        ],
        vec!["www.lab.test".into()],
    );
    let mut inv = inv;
    inv.distribution.behaviors.push(Behavior_ { path_pattern: Some("/meta".into()), ..behavior("meta") });
    let s = settings(
        vec![
            (ORIGIN, 80, redirector.server.addr),
            (DIST, 80, server::refused_addr()),
            (DIST, 443, server::refused_addr()),
        ],
        Some(dns.addr),
        limits(),
    );
    let r = DiagnoseRequest::new("ELABPROBES", &["/".into(), "/meta".into()]).unwrap();
    let obs = run(&inv, &r, &s).await;

    let meta = find(&obs, "origin:meta:http:/meta");
    let e = error_of(&meta.hops[0]);
    assert_eq!(e.stage, ProbeStage::Refused);
    assert!(e.message.contains("169.254.169.254"), "{}", e.message);
    let d = obs.dns_for("meta.lab.test").unwrap();
    assert_eq!(d.a, vec!["169.254.169.254"]);
    assert!(d.notes.iter().any(|n| n.contains("link-local")), "{:?}", d.notes);
    let tcp = obs.tcp.iter().find(|t| t.origin_id == "meta").unwrap();
    assert_eq!(tcp.outcome, TcpOutcome::NotAttempted);

    let p = find(&obs, "origin:o1:http:/");
    assert_eq!(p.hops.len(), 2, "{:?}", p.hops);
    assert_eq!(error_of(&p.hops[1]).stage, ProbeStage::Refused);
    let www = obs.dns_for("www.lab.test").unwrap();
    assert_eq!(www.cname_chain, vec!["evil.lab.test"]);
    assert_eq!(www.points_to_distribution, Some(false));

    // A redirect straight to the metadata address is not followed at all.
    let (_o, obs) =
        single_origin(Behavior::RedirectTo("http://169.254.169.254/latest/meta-data/".into()), limits()).await;
    let p = find(&obs, "origin:o1:http:/");
    assert_eq!(p.hops.len(), 1);
    assert!(matches!(p.redirects, RedirectOutcome::NotFollowed { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_observations_follow_cname_chains_and_report_failures() {
    let dns = labdns::start(vec![
        ("www.lab.test", Record::Cname(DIST.into())),
        (DIST, Record::Addr("127.0.0.1".parse().unwrap())),
        ("other.lab.test", Record::Cname("d999other.cloudfront.net".into())),
        ("d999other.cloudfront.net", Record::Addr("127.0.0.9".parse().unwrap())),
        ("broken.lab.test", Record::ServFail),
    ])
    .await;
    let inv = inventory(
        vec![origin_def("o1", "broken.lab.test", OriginProtocolPolicy::HttpOnly)],
        vec!["www.lab.test".into(), "other.lab.test".into(), "missing.lab.test".into()],
    );
    let s = settings(vec![], Some(dns.addr), ProbeLimits { phase_budget: Duration::from_secs(6), ..limits() });
    let obs = run(&inv, &req(), &s).await;
    let www = obs.dns_for("www.lab.test").unwrap();
    assert_eq!(www.cname_chain, vec![DIST]);
    assert_eq!(www.points_to_distribution, Some(true));
    assert!(www.source.starts_with("resolver "));
    assert!(www.notes.iter().any(|n| n.contains("loopback")));
    assert_eq!(obs.dns_for("other.lab.test").unwrap().points_to_distribution, Some(false));
    assert!(obs.dns_for("missing.lab.test").unwrap().error.as_deref().unwrap().starts_with("nxdomain"));
    let broken = obs.dns_for("broken.lab.test").unwrap();
    assert!(broken.error.as_deref().unwrap().starts_with("servfail"), "{broken:?}");
    assert_eq!(broken.role, DnsRole::Origin { origin_id: "o1".into() });
    assert_eq!(error_of(&find(&obs, "origin:o1:http:/").hops[0]).stage, ProbeStage::Dns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_black_holed_ports_are_told_apart_within_the_connect_bound() {
    let hole = server::black_hole().await;
    let refused = server::refused_addr();
    let inv = inventory(vec![origin_def("o1", ORIGIN, OriginProtocolPolicy::MatchViewer)], vec![]);
    let s = settings(
        vec![(ORIGIN, 80, refused), (ORIGIN, 443, hole.addr), (DIST, 80, refused), (DIST, 443, refused)],
        None,
        limits(),
    );
    let started = Instant::now();
    let obs = run(&inv, &req(), &s).await;
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    let http = obs.tcp.iter().find(|t| t.port == 80).unwrap();
    assert_eq!(http.outcome, TcpOutcome::Refused);
    assert!(http.from_override);
    let https = obs.tcp.iter().find(|t| t.port == 443).unwrap();
    assert_eq!(https.outcome, TcpOutcome::TimedOut, "{https:?}");
    assert!(https.message.as_deref().unwrap().contains("no answer"));
    let refused_hop = error_of(&find(&obs, "origin:o1:http:/").hops[0]);
    assert_eq!(refused_hop.stage, ProbeStage::Connect);
    assert!(refused_hop.refused, "the socket error types the refusal: {refused_hop:?}");
    let hole_hop = &find(&obs, "origin:o1:https:/").hops[0];
    assert_eq!(error_of(hole_hop).stage, ProbeStage::ConnectTimeout);
    assert!(!error_of(hole_hop).refused);
    assert!(hole_hop.timings.total_ms >= 700 && hole_hop.timings.total_ms < 2500, "{:?}", hole_hop.timings);
    // The origin's name came from an override, and the DNS observation says so.
    let d = obs.dns_for(ORIGIN).unwrap();
    assert_eq!(d.source, "override");
    assert!(obs.overrides.contains(&ORIGIN.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_phase_with_every_origin_black_holed_ends_within_its_budget() {
    let hole = server::black_hole().await;
    let budget = Duration::from_secs(2);
    let inv = inventory(
        vec![
            origin_def("o1", ORIGIN, OriginProtocolPolicy::MatchViewer),
            origin_def("o2", "origin2.lab.test", OriginProtocolPolicy::HttpsOnly),
        ],
        vec!["www.lab.test".into()],
    );
    let mut inv = inv;
    inv.distribution.behaviors.push(Behavior_ { path_pattern: Some("/two/*".into()), ..behavior("o2") });
    let mut pairs = Vec::new();
    for h in [ORIGIN, "origin2.lab.test", DIST, "www.lab.test"] {
        for p in [80, 443] {
            pairs.push((h, p, hole.addr));
        }
    }
    // Connect bound longer than the budget: only the budget can end the phase.
    let l = ProbeLimits {
        connect_timeout: Duration::from_secs(30),
        first_byte_timeout: Duration::from_secs(30),
        hop_timeout: Duration::from_secs(40),
        phase_budget: budget,
        ..limits()
    };
    let s = settings(pairs, None, l);
    let r = DiagnoseRequest::new("ELABPROBES", &["/".into(), "/two/x".into()]).unwrap();
    let started = Instant::now();
    let obs = run(&inv, &r, &s).await;
    let took = started.elapsed();
    assert!(took < budget + Duration::from_secs(1), "the probe phase took {took:?} with a {budget:?} budget");
    assert!(
        took >= budget - Duration::from_millis(200),
        "it ended before the budget ({took:?}): nothing was bounded by it?"
    );
    assert!(obs.probes.len() >= 8);
    for p in &obs.probes {
        let e = error_of(p.hops.last().unwrap());
        assert!(matches!(e.stage, ProbeStage::Budget | ProbeStage::ConnectTimeout), "{}: {e:?}", p.id);
    }
    assert!(obs.tcp.iter().all(|t| t.outcome == TcpOutcome::TimedOut));
}

/// What an origin that does not answer with a plain HTTP/1.1 response looks like in the
/// evidence: each way is recorded as a structured defect on the hop, with the head's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_cloudfront_cannot_use_are_recorded_as_defects() {
    async fn defects_of(bytes: &[u8]) -> Hop {
        let (_o, obs) = single_origin(Behavior::Verbatim(bytes.to_vec()), limits()).await;
        find(&obs, "origin:o1:http:/").hops[0].clone()
    }
    // An HTTP/2-only (h2c prior knowledge) server: its SETTINGS frame, then GOAWAY.
    let h2 =
        defects_of(&[0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100, 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
            .await;
    assert_eq!(error_of(&h2).stage, ProbeStage::Http);
    assert_eq!(h2.response_defects, vec![ResponseDefect::Http2Frames { frame_type: "SETTINGS".into() }]);

    // A TLS alert record: plain HTTP sent to a TLS port.
    let tls = defects_of(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]).await;
    assert_eq!(tls.response_defects, vec![ResponseDefect::TlsRecord]);

    let garbage = defects_of(b"HTTP/1.1 2OO OK\r\n\r\n").await;
    assert!(
        matches!(garbage.response_defects[..], [ResponseDefect::Malformed { .. }]),
        "{:?}",
        garbage.response_defects
    );

    let continues = defects_of(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    )
    .await;
    assert_eq!(response_of(&continues).status, 200);
    assert_eq!(continues.response_defects, vec![ResponseDefect::RepeatedContinue { count: 2 }]);

    let te = defects_of(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\nxx").await;
    assert_eq!(te.response_defects, vec![ResponseDefect::UnsupportedTransferEncoding { value: "gzip".into() }]);

    let short = defects_of(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this").await;
    assert_eq!(short.response_defects, vec![ResponseDefect::BodyCutShort { announced: Some(100), received: 9 }]);

    // A clean answer has no defect and its head size is recorded.
    let clean = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let ok = defects_of(clean).await;
    assert!(ok.response_defects.is_empty());
    assert_eq!(ok.head_bytes, Some((clean.len() - 2) as u64));

    // A head past the cap: cut, its size and the cap recorded.
    let (_o, obs) = single_origin(Behavior::HugeHeaders(1 << 20), limits()).await;
    let big = &find(&obs, "origin:o1:http:/").hops[0];
    assert!(
        matches!(big.response_defects[..], [ResponseDefect::HeadOverCap { cap, bytes_read }] if cap == limits().max_header_bytes as u64 && bytes_read > cap),
        "{:?}",
        big.response_defects
    );
}

/// The request ladder against real servers: the first change that breaks a working request is
/// found from the origin's answers alone (the inventory says nothing about the origin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_ladder_isolates_a_forwarded_host_the_app_does_not_serve() {
    let app = origin::start(Behavior::RequireHost(vec![ORIGIN.into()]), None).await;
    let mut inv =
        inventory(vec![origin_def("o1", ORIGIN, OriginProtocolPolicy::HttpOnly)], vec!["www.lab.test".into()]);
    // AllViewer: the viewer's Host goes to the origin.
    inv.distribution.default_behavior.origin_request_policy_id = Some("216adef6-5c7f-47e4-b989-5492eafa07d3".into());
    let s = settings(
        vec![(ORIGIN, 80, app.server.addr), (ORIGIN, 443, server::refused_addr()), (DIST, 80, server::refused_addr())],
        None,
        limits(),
    );
    let obs = run(&inv, &req(), &s).await;
    assert_eq!(obs.ladders.len(), 1);
    let l = &obs.ladders[0];
    let Conclusion::Breaks { changes, working, failing } = l.conclusion() else {
        panic!(
            "{:?}: {:#?}",
            l.conclusion(),
            l.rungs.iter().map(|r| (&r.label, r.describe_answer())).collect::<Vec<_>>()
        )
    };
    assert_eq!(changes, vec![Change::Host]);
    assert_eq!(l.rungs[working].response().map(|r| r.status), Some(200));
    assert_eq!(l.rungs[failing].response().map(|r| r.status), Some(404));
    assert_eq!(l.rungs[failing].request.host, "www.lab.test");
    // One round was enough: the origin saw each rung once, and no rung followed a redirect.
    let sent = l.rungs.iter().filter(|r| r.hop.is_some()).count();
    let to_80 = l.rungs.iter().filter(|r| r.request.port == 80).count();
    assert!(sent <= 8, "{sent} rungs");
    assert!(app.log.lock().unwrap().iter().filter(|q| q.header("via").is_some()).count() >= 1);
    assert!(to_80 >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_ladder_finds_where_the_app_answers_when_cloudfronts_port_refuses() {
    let app = origin::start(Behavior::App, None).await;
    let mut o = origin_def("o1", ORIGIN, OriginProtocolPolicy::HttpOnly);
    if let OriginKind::Custom(c) = &mut o.kind {
        c.http_port = 8080;
    }
    let inv = inventory(vec![o], vec![]);
    let s = settings(
        vec![
            (ORIGIN, 8080, server::refused_addr()),
            (ORIGIN, 80, app.server.addr),
            (ORIGIN, 443, server::refused_addr()),
            (DIST, 80, server::refused_addr()),
            (DIST, 443, server::refused_addr()),
        ],
        None,
        limits(),
    );
    let obs = run(&inv, &req(), &s).await;
    let l = &obs.ladders[0];
    assert_eq!((l.scheme, l.port), (Scheme::Http, 8080));
    let Conclusion::Breaks { changes, working, failing } = l.conclusion() else { panic!("{:?}", l.conclusion()) };
    assert_eq!(changes, vec![Change::Connection]);
    assert_eq!((l.rungs[working].request.scheme, l.rungs[working].request.port), (Scheme::Http, 80));
    assert_eq!(l.rungs[failing].transport_failure(), Some(TransportFailure::Refused));
    assert_eq!(l.differences[0].change, Change::Connection);
    assert!(l.differences[0].direct.starts_with("http:80"));
    // Only the origin's own host was asked, on CloudFront's port and the alternates.
    let ports: Vec<u16> = l.rungs.iter().map(|r| r.request.port).collect();
    assert!(ports.iter().all(|p| [8080, 80, 443].contains(p)), "{ports:?}");
}
