//! Benchmark of the inventory's concurrency: a loopback proxy in front of the AWS API emulator
//! adds a fixed delay to every call; the inventory of a distribution with an ALB origin and an
//! EC2 origin is gathered and the figures printed: calls, dependency depth (as the call
//! timings show it), the sum of call latencies (what a sequential implementation would take),
//! our wall time, and wall / (depth x delay) (target: at most 1.2). The first run goes to the
//! emulator; later runs replay its answers from memory, so only the fixed delay remains.
//!
//! The process's CPU time over each run is printed too: what a run spends beyond depth x delay
//! is CPU (SigV4 signing, XML and JSON parsing, the proxy), which a debug build inflates several
//! times; measure with `--release`.
//!
//! `cargo run --release --example inventory_bench -- [delay_ms (default 50)] [runs (default 3)]`

// A panic here is a failed example, not a crash of the tool.
#![allow(clippy::unwrap_used)]

use cf_origin_doctor::inventory::{self, aws::SdkApi, observed_depth};
use cf_origin_doctor::request::DiagnoseRequest;
use lab::seed_net::{self, OriginSpec, Source};
use std::time::{Duration, Instant};

async fn bench(delay_ms: u64, runs: usize) {
    let moto = tokio::task::spawn_blocking(lab::moto::Moto::start).await.expect("emulator");
    let sdk = lab::emulator_config(&moto.endpoint).await;
    let alb = lab::seed::create_alb(
        &sdk,
        "bench-alb",
        &[
            lab::seed::ListenerSpec { port: 80, https: false, action: lab::seed::ListenerAction::RedirectToHttps },
            lab::seed::ListenerSpec { port: 443, https: true, action: lab::seed::ListenerAction::Forward },
        ],
    )
    .await;
    let vpc = seed_net::vpc(&sdk, 40, true).await;
    let cf = seed_net::cloudfront_prefix_list(&sdk).await;
    let sg = seed_net::security_group(&sdk, &vpc.vpc_id, "bench-web", 443, 443, Source::PrefixList(cf)).await;
    let (_, dns) = seed_net::instance(&sdk, &vpc.subnets[0], &[sg], true).await;
    let origins = vec![
        OriginSpec { id: "alb".into(), domain: alb.dns_name.clone(), protocol_policy: Some("https-only") },
        OriginSpec { id: "ec2".into(), domain: dns.expect("public dns"), protocol_policy: Some("https-only") },
    ];
    let id = seed_net::multi_origin_distribution(&sdk, &origins).await;
    let delay = Duration::from_millis(delay_ms);
    let proxy = lab::aws_proxy::start_replaying(&moto.endpoint, delay).await;
    let api = SdkApi::new(lab::emulator_config(&proxy.endpoint).await);
    let req = DiagnoseRequest::new(&id, &[]).expect("request");
    println!("inventory benchmark: ALB origin + EC2 origin, {delay_ms} ms added to every AWS call");
    println!("run 1 reaches the emulator (its own latency adds up); later runs replay its answers from memory");
    println!(
        "{:>4} {:>6} {:>6} {:>14} {:>10} {:>16} {:>8}",
        "run", "calls", "depth", "sum_latency_ms", "wall_ms", "wall/(depth*d)", "cpu_ms"
    );
    let mut last_calls = Vec::new();
    for run in 1..=runs {
        let cpu_before = lab::cpu_time_ms("self");
        let started = Instant::now();
        let inv = Box::pin(inventory::gather(&api, &req)).await.expect("inventory");
        let wall = started.elapsed();
        let cpu = match (cpu_before, lab::cpu_time_ms("self")) {
            (Some(a), Some(b)) => (b - a).to_string(),
            _ => "n/a".into(),
        };
        last_calls = inv.calls.clone();
        let failed = inv.calls.iter().filter(|c| c.outcome != "ok").count();
        let depth = observed_depth(&inv.calls);
        let sum: u64 = inv.calls.iter().map(|c| c.millis).sum();
        let ratio = wall.as_secs_f64() / (depth as f64 * delay.as_secs_f64());
        println!(
            "{run:>4} {:>6} {depth:>6} {sum:>14} {:>10} {ratio:>16.2} {cpu:>8}{}",
            inv.calls.len(),
            wall.as_millis(),
            if failed > 0 { format!("  ({failed} calls failed)") } else { String::new() }
        );
    }
    for c in last_calls.iter().filter(|c| c.outcome != "ok") {
        println!("not ok in the last run: {} -> {}", c.action, c.outcome);
    }
    print_critical_path(&last_calls, delay_ms);
}

/// The chain of calls that ends last, each with the gap between its parent's end and its own
/// start and its time beyond the added delay: where wall time exceeds depth x delay.
fn print_critical_path(calls: &[cf_origin_doctor::evidence::CallRecord], delay_ms: u64) {
    let end = |c: &cf_origin_doctor::evidence::CallRecord| c.started_ms + c.millis;
    let mut path = Vec::new();
    let mut current = calls.iter().max_by_key(|c| end(c));
    while let Some(c) = current {
        path.push(c);
        current = calls.iter().filter(|p| end(p) <= c.started_ms).max_by_key(|p| end(p));
    }
    path.reverse();
    println!("critical path of the last run (ms): start, duration, gap after the previous call, beyond the delay");
    let mut prev_end = 0;
    for c in path {
        println!(
            "  {:>5} {:>5} {:>5} {:>5}  {}",
            c.started_ms,
            c.millis,
            c.started_ms.saturating_sub(prev_end),
            c.millis.saturating_sub(delay_ms),
            c.action
        );
        prev_end = end(c);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let delay_ms = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let runs = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    // The SDK's futures are large in debug builds: give the runtime roomy stacks.
    let result = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(16 << 20)
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(bench(delay_ms, runs))
        })
        .expect("thread")
        .join();
    if result.is_err() {
        std::process::exit(1);
    }
}
