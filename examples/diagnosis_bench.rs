//! Benchmark of a whole diagnosis against its bound: a lab world whose AWS calls each take an
//! added delay (a loopback proxy in front of the emulator, answers replayed from memory after
//! the first run) and whose origin answers each request after an added round trip (a loopback
//! proxy that holds every response turn back). The bound is what a diagnosis that waits only
//! on its dependencies would take:
//!
//! (AWS dependency depth x AWS delay) + (longest probe chain x origin round trip)
//!
//! where the depth is read from the calls' timings and the longest chain from the evidence: the
//! hops of the longest redirect chain, or the rounds of a request ladder (one, or two when no
//! single change explained the failure). The worlds are plain-HTTP origins, so every exchange is
//! one response turn (no TLS handshake turns to count). Target: wall at most 1.25 x the bound.
//!
//! `cargo run --release --example diagnosis_bench -- [aws_delay_ms (100)] [origin_rtt_ms (300)] [runs (4)]`
//! (a debug build adds its CPU time to every run; the figures in docs/benchmarks.md say which).

// A panic here is a failed example, not a crash of the tool.
#![allow(clippy::unwrap_used)]

use cf_origin_doctor::engine::Engine;
use cf_origin_doctor::evidence::{Conclusion, Evidence, ProbeTarget};
use cf_origin_doctor::inventory::{aws::SdkApi, observed_depth};
use cf_origin_doctor::request::{ConnectTo, DiagnoseRequest};
use lab::{Lab, Scenario};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy to `target` that holds back the first bytes of every answer that follows bytes
/// from the client by `rtt`: one added round trip per request/response turn.
async fn turn_delay_proxy(target: SocketAddr, rtt: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(target).await else { return };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let turn = Arc::new(AtomicBool::new(false));
                let spoke = turn.clone();
                let up = async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        spoke.store(true, Ordering::SeqCst);
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = sw.shutdown().await;
                };
                let down = async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = sr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        if turn.swap(false, Ordering::SeqCst) {
                            tokio::time::sleep(rtt).await;
                        }
                        if cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = cw.shutdown().await;
                };
                tokio::join!(up, down);
            });
        }
    });
    addr
}

/// The longest chain of origin exchanges one after another: redirect hops of one origin probe,
/// or the rounds of a ladder.
fn longest_chain(ev: &Evidence) -> usize {
    let probes = ev
        .observations
        .probes
        .iter()
        .filter(|p| matches!(p.target, ProbeTarget::Origin { .. }))
        .map(|p| p.hops.len())
        .max()
        .unwrap_or(0);
    let ladders = ev
        .observations
        .ladders
        .iter()
        .map(|l| {
            let first_round_alone = matches!(l.conclusion(), Conclusion::Breaks { failing, .. } if failing != l.cloudfront_rung)
                || l.rungs.len() <= l.cloudfront_rung + 1;
            if first_round_alone { 1 } else { 2 }
        })
        .max()
        .unwrap_or(0);
    probes.max(ladders).max(1)
}

async fn bench(scenario: Scenario, aws_delay: Duration, rtt: Duration, runs: usize) {
    let lab = Lab::start(scenario).await;
    let proxy = lab::aws_proxy::start_replaying(&lab.moto.endpoint, aws_delay).await;
    let mut settings = lab.probe_settings();
    let viewer_names: Vec<String> =
        std::iter::once(lab.domain_name.to_ascii_lowercase()).chain(lab.alias.clone()).collect();
    let mut connect_to = Vec::new();
    for c in &settings.connect_to {
        // A port that refuses keeps refusing: a proxy in front would accept and then close.
        let listening = TcpStream::connect(c.target).await.is_ok();
        let to_origin = !viewer_names.contains(&c.host) && listening;
        let target = if to_origin { turn_delay_proxy(c.target, rtt).await } else { c.target };
        connect_to.push(ConnectTo { target, ..c.clone() });
    }
    settings.connect_to = connect_to;
    let engine =
        Engine::new(SdkApi::new(lab::emulator_config(&proxy.endpoint).await), settings, "benchmark").expect("engine");
    let req = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    println!(
        "{}: {} ms per AWS call, {} ms per origin round trip (run 1 fills the AWS replay cache)",
        scenario.name(),
        aws_delay.as_millis(),
        rtt.as_millis()
    );
    println!(
        "{:>4} {:>6} {:>6} {:>6} {:>9} {:>9} {:>11} {:>8}  verdict",
        "run", "calls", "depth", "chain", "bound_ms", "wall_ms", "wall/bound", "cpu_ms"
    );
    for run in 1..=runs {
        let cpu_before = lab::cpu_time_ms("self");
        let started = Instant::now();
        let d = Box::pin(engine.diagnose(&req)).await.expect("diagnosis");
        let wall = started.elapsed();
        let cpu = match (cpu_before, lab::cpu_time_ms("self")) {
            (Some(a), Some(b)) => (b - a).to_string(),
            _ => "n/a".into(),
        };
        let depth = observed_depth(&d.evidence.inventory.calls);
        let chain = longest_chain(&d.evidence);
        let bound = aws_delay * depth as u32 + rtt * chain as u32;
        println!(
            "{run:>4} {:>6} {depth:>6} {chain:>6} {:>9} {:>9} {:>11.2} {cpu:>8}  {} {}",
            d.evidence.inventory.calls.len(),
            bound.as_millis(),
            wall.as_millis(),
            wall.as_secs_f64() / bound.as_secs_f64(),
            d.report.status.as_str(),
            d.report.verdict.primary.as_deref().unwrap_or("-"),
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let aws = Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(100));
    let rtt = Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(300));
    let runs = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    lab::run(async move {
        for s in [Scenario::NothingListeningEc2Fixed, Scenario::NothingListeningEc2] {
            bench(s, aws, rtt, runs).await;
        }
    });
}
