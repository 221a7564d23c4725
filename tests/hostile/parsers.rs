//! Hostile parsers: an origin that answers the probes with floods, endless framing, numbers
//! that overflow, or random bytes instead of HTTP or TLS. Each test asserts the bound that held
//! (bytes read against the caps, the hop's duration against its bound, the report's size), the
//! error recorded, and that the run completed (no panic).

use cf_origin_doctor::evidence::*;
use cf_origin_doctor::request::{DiagnoseRequest, ProbeLimits};
use lab::hostile::{RawServer, lab_with_origin, raw_server};
use lab::{self, Scenario, flood, runtime_api::RuntimeApi};
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");
const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");

/// The lab's hop bound (`Lab::probe_settings`); a bounded read ends well before it.
const HOP_BOUND_MS: u64 = 8_000;
/// Bytes a server may have written on one connection before the client's close stops it: the
/// caps plus what loopback socket buffers can hold. An unbounded read streams gigabytes.
const WRITTEN_BOUND: u64 = 64 << 20;

struct Run {
    evidence: Evidence,
    report_bytes: usize,
    evidence_bytes: usize,
}

async fn diagnose(scenario: Scenario, port: u16, target: SocketAddr) -> Run {
    let lab = lab_with_origin(scenario, port, target).await;
    let req = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    let d = lab.engine().diagnose(&req).await.expect("the diagnosis completes");
    let report = serde_json::to_value(&d.report).unwrap();
    lab::assert_schema_valid(&report);
    Run {
        report_bytes: serde_json::to_vec_pretty(&report).unwrap().len(),
        evidence_bytes: serde_json::to_vec_pretty(&d.evidence).unwrap().len(),
        evidence: d.evidence,
    }
}

/// The hops that reached the hostile server.
fn hops_to(ev: &Evidence, addr: SocketAddr) -> Vec<&Hop> {
    let addr = addr.to_string();
    let hops: Vec<&Hop> =
        ev.observations.probes.iter().flat_map(|p| &p.hops).filter(|h| h.address.as_deref() == Some(&addr)).collect();
    assert!(!hops.is_empty(), "no probe reached the hostile origin at {addr}");
    hops
}

fn response(h: &Hop) -> &HttpResponse {
    match &h.result {
        HopResult::Response(r) => r,
        HopResult::Error(e) => panic!("expected a response at {}, got {e:?}", h.url),
    }
}

fn error(h: &Hop) -> &ProbeError {
    match &h.result {
        HopResult::Error(e) => e,
        HopResult::Response(r) => panic!("expected an error at {}, got status {}", h.url, r.status),
    }
}

fn assert_well_under_hop_bound(h: &Hop) {
    assert!(
        h.timings.total_ms < HOP_BOUND_MS / 2,
        "{}: {} ms, not well under the {HOP_BOUND_MS} ms hop bound",
        h.url,
        h.timings.total_ms
    );
}

/// Deterministic noise (a linear congruential generator): "random bytes" that every run repeats.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        })
        .collect()
}

/// A server that reads the request, writes `head`, then `repeat` until the client closes (or
/// `limit` bytes), and keeps the most bytes it wrote on one connection.
async fn streaming_server(head: Vec<u8>, repeat: Vec<u8>, limit: u64) -> (RawServer, Arc<AtomicU64>) {
    let most = Arc::new(AtomicU64::new(0));
    let m = most.clone();
    let server = raw_server(move |mut tcp| {
        let (head, repeat, most) = (head.clone(), repeat.clone(), m.clone());
        async move {
            let mut req = [0u8; 8192];
            if tcp.read(&mut req).await.unwrap_or(0) == 0 {
                return;
            }
            let mut written = 0u64;
            if tcp.write_all(&head).await.is_ok() {
                written += head.len() as u64;
                while !repeat.is_empty() && written < limit {
                    if tcp.write_all(&repeat).await.is_err() {
                        break;
                    }
                    written += repeat.len() as u64;
                }
            }
            most.fetch_max(written, Ordering::SeqCst);
        }
    })
    .await;
    (server, most)
}

fn limits() -> ProbeLimits {
    ProbeLimits::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_headers_stop_at_the_field_limit() {
    let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..100_000 {
        head.extend_from_slice(format!("X-Flood-{i}: 1\r\n").as_bytes());
    }
    head.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    let (server, written) = streaming_server(head, Vec::new(), 0).await;
    let run = diagnose(Scenario::RedirectLoop, 80, server.addr).await;
    for h in hops_to(&run.evidence, server.addr) {
        assert_well_under_hop_bound(h);
        assert!(error(h).message.contains("header fields"), "{:?}", error(h));
        assert!(h.response_defects.iter().any(|d| matches!(d, ResponseDefect::TooManyHeaderFields { .. })));
    }
    assert!(written.load(Ordering::SeqCst) < WRITTEN_BOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_header_stops_at_the_head_cap() {
    let mut head = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    head.resize(head.len() + (10 << 20), b'a');
    head.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let (server, written) = streaming_server(head, Vec::new(), 0).await;
    let run = diagnose(Scenario::RedirectLoop, 80, server.addr).await;
    let cap = limits().max_header_bytes as u64;
    for h in hops_to(&run.evidence, server.addr) {
        assert_well_under_hop_bound(h);
        assert!(error(h).message.contains("response head is larger"), "{:?}", error(h));
        // One read past the cap at most.
        assert!(h.head_bytes.is_some_and(|b| b > cap && b <= cap + 16 * 1024), "{:?}", h.head_bytes);
    }
    assert!(written.load(Ordering::SeqCst) <= (10 << 20) + 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_chunked_body_stops_at_the_body_cap() {
    let mut chunk = b"4000\r\n".to_vec();
    chunk.resize(chunk.len() + 0x4000, b'x');
    chunk.extend_from_slice(b"\r\n");
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let (server, written) = streaming_server(head, chunk, u64::MAX).await;
    let run = diagnose(Scenario::RedirectLoop, 80, server.addr).await;
    let cap = limits().max_body_bytes;
    for h in hops_to(&run.evidence, server.addr) {
        assert_well_under_hop_bound(h);
        let r = response(h);
        assert!(r.body_truncated && r.body_bytes_read <= cap + 16 * 1024, "{} bytes", r.body_bytes_read);
        assert!(r.body_incomplete.as_deref().is_some_and(|m| m.contains("cap")), "{:?}", r.body_incomplete);
    }
    assert!(written.load(Ordering::SeqCst) < WRITTEN_BOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_size_of_two_to_the_72_ends_the_body_without_reading_it() {
    // 2^72 does not fit the 64-bit chunk size: the body ends there, nothing is awaited.
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000000\r\nabc".to_vec();
    let (server, _) = streaming_server(head, Vec::new(), 0).await;
    let run = diagnose(Scenario::RedirectLoop, 80, server.addr).await;
    for h in hops_to(&run.evidence, server.addr) {
        assert_well_under_hop_bound(h);
        let r = response(h);
        assert_eq!(r.status, 200);
        assert_eq!(r.body_bytes_read, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_instead_of_http_are_a_recorded_parse_error() {
    let mut bytes = noise(64 * 1024, 7);
    bytes[0] = b'Z'; // neither a TLS record nor an HTTP/2 frame: plain garbage
    let (server, _) = streaming_server(bytes, Vec::new(), 0).await;
    let run = diagnose(Scenario::RedirectLoop, 80, server.addr).await;
    for h in hops_to(&run.evidence, server.addr) {
        assert_well_under_hop_bound(h);
        let e = error(h);
        assert_eq!(e.stage, ProbeStage::Http);
        assert!(e.message.contains("not an HTTP/1.x response"), "{e:?}");
        assert!(h.response_defects.iter().any(|d| matches!(d, ResponseDefect::Malformed { .. })));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_instead_of_tls_fail_both_the_handshake_and_the_raw_hello() {
    for (seed, first) in [(11u64, 0x16u8), (12, b'Z')] {
        // Once shaped as a handshake record header (the raw hello parses on), once not.
        let mut bytes = noise(64 * 1024, seed);
        bytes[0] = first;
        bytes[1] = 3;
        let (server, written) = streaming_server(bytes, Vec::new(), 0).await;
        let run = diagnose(Scenario::Healthy, 443, server.addr).await;
        for h in hops_to(&run.evidence, server.addr) {
            assert_well_under_hop_bound(h);
            assert_eq!(error(h).stage, ProbeStage::Tls, "{:?}", error(h));
        }
        let addr = server.addr.to_string();
        let scans: Vec<_> =
            run.evidence.observations.tls.iter().filter(|t| t.address.as_deref() == Some(&addr)).collect();
        assert!(!scans.is_empty(), "no raw hello reached the hostile origin");
        for t in scans {
            assert!(!t.result.is_established(), "{:?}", t.result);
            assert!(t.chain.is_empty());
            assert!(t.handshake_ms.is_some_and(|ms| ms < HOP_BOUND_MS / 2), "{:?}", t.handshake_ms);
        }
        assert!(written.load(Ordering::SeqCst) <= 64 * 1024);
    }
}

/// A bound far above a real report (a few tens of KiB for the lab) and far below the flood's
/// unbounded figures (a 108 MB report, a 122 MB evidence file).
const REPORT_BOUND: usize = 1 << 20;
/// The most certificates of one chain the evidence describes.
const MAX_CHAIN: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_flood_is_cut_to_a_short_chain_and_a_small_report() {
    let (addr, _task) = flood::certificate_flood_server().await;
    let run = diagnose(Scenario::Healthy, 443, addr).await;
    let a = addr.to_string();
    let scans: Vec<_> = run.evidence.observations.tls.iter().filter(|t| t.address.as_deref() == Some(&a)).collect();
    assert!(!scans.is_empty(), "no raw hello reached the flood");
    for t in scans {
        assert!(t.chain.len() <= MAX_CHAIN, "{} certificates described", t.chain.len());
        // Read from the serialised evidence: the count of certificates left out is recorded.
        let dropped = serde_json::to_value(t).unwrap()["chain_dropped"].as_u64().unwrap_or(0) as usize;
        assert_eq!(t.chain.len() + dropped, flood::FLOOD_CERTIFICATES, "the drop is recorded");
    }
    assert!(run.report_bytes < REPORT_BOUND, "report: {} bytes", run.report_bytes);
    assert!(run.evidence_bytes < REPORT_BOUND, "evidence: {} bytes", run.evidence_bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_binary_stays_under_64_mib_against_a_certificate_flood() {
    let (addr, _task) = flood::certificate_flood_server().await;
    let lab = lab_with_origin(Scenario::Healthy, 443, addr).await;
    let event = format!(r#"{{"distribution_id": "{}", "publish": false}}"#, lab.distribution_id);
    let api = RuntimeApi::start(event, 90_000).await;
    let mut cmd = api.function_command(LAMBDA, &lab.lambda_env());
    cmd.env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect("start the Lambda binary");
    let pid = child.id().expect("pid");
    let outcome = tokio::time::timeout(Duration::from_secs(90), api.outcome()).await.expect("the function answers");
    // The runtime now waits for a second event that never comes: its peak is final.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    let _ = child.kill().await;
    assert_eq!(outcome.0, "response", "{}", outcome.1);
    assert!(outcome.1.len() < REPORT_BOUND, "response: {} bytes", outcome.1.len());
    let hwm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    assert!(hwm_kib < 64 * 1024, "peak RSS {} KiB", hwm_kib);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_range_that_overflows_is_a_recorded_mismatch() {
    let head = b"HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\nContent-Range: bytes 0-18446744073709551615/*\r\n\r\nhello"
        .to_vec();
    let (server, _) = streaming_server(head, Vec::new(), 0).await;
    let run = diagnose(Scenario::RedirectLoop, 80, server.addr).await;
    for h in hops_to(&run.evidence, server.addr) {
        assert_eq!(response(h).status, 206);
        assert!(
            h.response_defects.iter().any(|d| matches!(d, ResponseDefect::ContentRangeMismatch { .. })),
            "{:?}",
            h.response_defects
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_trailers_stop_at_the_body_cap() {
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n".to_vec();
    let (server, written) = streaming_server(head, b"X-Trailer: again and again\r\n".to_vec(), u64::MAX).await;
    let run = diagnose(Scenario::RedirectLoop, 80, server.addr).await;
    let cap = limits().max_body_bytes;
    for h in hops_to(&run.evidence, server.addr) {
        assert_well_under_hop_bound(h);
        let r = response(h);
        assert!(r.body_truncated, "the trailers were read to the end?");
        assert!(r.body_incomplete.as_deref().is_some_and(|m| m.contains("cap")), "{:?}", r.body_incomplete);
        assert!(r.body_bytes_read <= cap);
    }
    assert!(written.load(Ordering::SeqCst) < WRITTEN_BOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_100_continue_stops_at_the_interim_limit() {
    let (server, written) = streaming_server(Vec::new(), b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(), u64::MAX).await;
    let run = diagnose(Scenario::RedirectLoop, 80, server.addr).await;
    let cap = limits().max_header_bytes as u64;
    for h in hops_to(&run.evidence, server.addr) {
        assert_well_under_hop_bound(h);
        assert!(error(h).message.contains("interim"), "{:?}", error(h));
        assert!(h.head_bytes.is_none_or(|b| b <= cap + 16 * 1024), "{:?}", h.head_bytes);
        assert!(h.response_defects.iter().any(|d| matches!(d, ResponseDefect::RepeatedContinue { .. })));
    }
    assert!(written.load(Ordering::SeqCst) < WRITTEN_BOUND);
}

/// Names that frame the message or route it (RFC 9110 7.6.1, 8.6, 6.6.2; RFC 9112 6, 7.4):
/// sent as expectations they would change how the origin reads the probe.
const FRAMING: &[&str] = &[
    "Transfer-Encoding",
    "content-length",
    "Connection",
    "Upgrade",
    "TE",
    "Trailer",
    "Keep-Alive",
    "Proxy-Authorization",
    "Proxy-Connection",
    "Host",
];

#[test]
fn framing_headers_are_refused_as_expectations_by_the_cli() {
    for name in FRAMING.iter().copied().chain(["Bad Header", "X:Y"]) {
        let out = std::process::Command::new(CLI)
            .args(["diagnose", "E2QWRUHEXAMPLE", "--expect-header", name, "--expect-get-body"])
            .envs(lab::aws_env_for("http://127.0.0.1:9"))
            .output()
            .expect("run the CLI");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framing_headers_are_refused_as_expectations_by_the_lambda() {
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "lab"),
        ("AWS_SECRET_ACCESS_KEY", "lab"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_MAX_ATTEMPTS", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for name in ["Transfer-Encoding", "Content-Length", "Host"] {
        let event = format!(
            r#"{{"distributionId": "E2QWRUHEXAMPLE", "publish": false, "expect": {{"headers": ["{name}"], "getWithBody": true}}}}"#
        );
        let run = lab::runtime_api::run_function(LAMBDA, &env, &event, 30_000).await;
        assert_eq!(run.kind, "error", "{name}: {:#}", run.body);
        assert_eq!(run.body["errorType"], "InvalidRequest", "{name}: {:#}", run.body);
        assert!(run.body["errorMessage"].as_str().unwrap_or("").contains(name), "{name}: {:#}", run.body);
    }
}
