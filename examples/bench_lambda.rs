//! Peak RSS, CPU and wall time of the Lambda binary over one full lab diagnosis (by default the redirect-loop
//! scenario), through the Runtime API stand-in. Prints figures; `scripts/bench-lambda` calls it.
//!
//! `cargo run --example bench_lambda [-- /path/to/cf-origin-doctor-lambda [scenario]]` (default
//! scenario: redirect-loop; `tls-full-chain` exercises the TLS probes; `certificate-flood` is
//! the healthy world whose origin answers every ClientHello with a Certificate message of
//! 85,000 empty certificates, the worst hostile origin for memory).

// A panic here is a failed example, not a crash of the tool.
#![allow(clippy::unwrap_used)]

use lab::{flood, hostile};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> ExitCode {
    let bin = std::env::args().nth(1).unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap_or_default();
        exe.parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("cf-origin-doctor-lambda").display().to_string())
            .unwrap_or_default()
    });
    let kind = if bin.contains("/debug/") {
        "DEBUG build (not representative of the release package)"
    } else {
        "release build"
    };
    let name = std::env::args().nth(2).unwrap_or_else(|| "redirect-loop".into());
    let flood_origin = name == "certificate-flood";
    let Some(scenario) = (if flood_origin { Some(lab::Scenario::Healthy) } else { lab::Scenario::parse(&name) }) else {
        eprintln!("bench: unknown scenario {name:?}; one of: certificate-flood, {}", lab::Scenario::names().join(", "));
        return ExitCode::from(2);
    };
    // For the flood, the prober's HTTPS connections to the origin go to the flood server.
    let (lab, _flood) = if flood_origin {
        let (addr, task) = flood::certificate_flood_server().await;
        (hostile::lab_with_origin(scenario, 443, addr).await, Some(task))
    } else {
        (lab::Lab::start(scenario).await, None)
    };
    let event = format!(r#"{{"distribution_id": "{}", "publish": false}}"#, lab.distribution_id);
    let api = lab::runtime_api::RuntimeApi::start(event, 90_000).await;
    let mut cmd = api.function_command(&bin, &lab.lambda_env());
    cmd.env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench: cannot run {bin}: {e} (cargo build --bin cf-origin-doctor-lambda)");
            return ExitCode::from(2);
        }
    };
    let pid = child.id().unwrap_or(0);
    let Ok(outcome) = tokio::time::timeout(Duration::from_secs(90), api.outcome()).await else {
        eprintln!("bench: the function did not answer within 90 s");
        return ExitCode::from(1);
    };
    let wall = started.elapsed();
    // The runtime now waits for a second event that never comes: its peak is final.
    let hwm = lab::vm_hwm_kib(pid);
    let cpu = lab::cpu_time_ms(&pid.to_string());
    let _ = child.kill().await;
    let report: serde_json::Value = serde_json::from_str(&outcome.1).unwrap_or_default();
    println!("binary: {bin} ({kind}); scenario {name}");
    println!(
        "lab diagnosis: outcome={} status={} primary={}",
        outcome.0, report["status"], report["verdict"]["primary"]
    );
    println!("lab diagnosis wall time (process start to response): {} ms", wall.as_millis());
    if let Some(ms) = cpu {
        // Lambda gives one vCPU at 1,769 MB, and CPU in proportion below it.
        println!(
            "CPU time of the function over the diagnosis: {ms} ms (at 256 MB, about {:.1} s of Lambda CPU share; at 128 MB about {:.1} s)",
            ms as f64 * 1769.0 / 256.0 / 1000.0,
            ms as f64 * 1769.0 / 128.0 / 1000.0
        );
    }
    match hwm {
        Some(k) => println!("peak RSS (VmHWM) over the diagnosis: {:.1} MiB", k as f64 / 1024.0),
        None => println!("peak RSS: unavailable (no /proc)"),
    }
    ExitCode::SUCCESS
}
