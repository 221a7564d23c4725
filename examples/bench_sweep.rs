//! Distributions per minute and peak memory of `cf-origin-doctor sweep` over many lab
//! distributions, at concurrency 1, 4 and 16. Prints figures; not a test.
//!
//! `cargo run --example bench_sweep [-- DISTRIBUTIONS [RATE [/path/to/cf-origin-doctor]]]`
//! (defaults: 1000 distributions, a rate of 100 diagnoses a second, the CLI built next to this
//! example). The lab is the redirect-loop scenario; every distribution stands in front of its
//! load balancer and is routed to its edge stand-in (which plays only the lab's distribution and
//! answers the others with CloudFront's 403), one in five over HTTP (the loop).

// A panic here is a failed example, not a crash of the tool.
#![allow(clippy::unwrap_used)]

use lab::{Lab, Scenario, seed};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let rate: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100.0);
    let bin = args.next().unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap_or_default();
        exe.parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("cf-origin-doctor").display().to_string())
            .unwrap_or_default()
    });
    let kind = if bin.contains("/debug/") { "DEBUG build" } else { "release build" };

    let lab = Lab::start(Scenario::RedirectLoop).await;
    let started = Instant::now();
    let mut cli_args = lab.cli_args();
    for i in 1..n {
        let mut spec = seed::DistributionSpec::new(&lab.alb.dns_name);
        if i % 5 == 0 {
            spec.protocol_policy = "http-only";
        }
        let (_, domain) = seed::create_distribution(&lab.sdk, &spec).await;
        let domain = domain.to_ascii_lowercase();
        for (port, addr) in [(443, lab.edge.https.addr), (80, lab.edge.http.addr)] {
            cli_args.push("--connect-to".into());
            cli_args.push(format!("{domain}:{port}:{}:{}", addr.ip(), addr.port()));
        }
    }
    println!("binary: {bin} ({kind}); {n} lab distributions created in {:.1} s", started.elapsed().as_secs_f64());
    println!("rate limit: {rate} diagnoses a second ({:.0} a minute)", rate * 60.0);
    println!("{:>11} {:>10} {:>22} {:>14}", "concurrency", "wall (s)", "distributions/minute", "peak RSS (MiB)");
    for concurrency in [1, 4, 16] {
        let mut cmd = tokio::process::Command::new(&bin);
        cmd.args(["sweep", "--quiet", "--format", "json", "--concurrency", &concurrency.to_string()])
            .args(["--rate", &rate.to_string()])
            .args(&cli_args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(lab.aws_env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let t0 = Instant::now();
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("bench: cannot run {bin}: {e} (cargo build --bin cf-origin-doctor)");
                return ExitCode::from(2);
            }
        };
        let pid = child.id().unwrap_or(0);
        // VmHWM is the process's own high-water mark; sampled until the process is gone.
        let sampler = tokio::spawn(async move {
            let mut peak = 0;
            while let Some(k) = lab::vm_hwm_kib(pid) {
                peak = peak.max(k);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak
        });
        let out = child.wait_with_output().await.unwrap();
        let wall = t0.elapsed().as_secs_f64();
        let peak = sampler.await.unwrap_or(0);
        let lines = String::from_utf8_lossy(&out.stdout).lines().count();
        if lines != n {
            eprintln!("bench: {lines} reports for {n} distributions at concurrency {concurrency}");
            return ExitCode::from(1);
        }
        println!("{concurrency:>11} {wall:>10.1} {:>22.0} {:>14.1}", n as f64 / wall * 60.0, peak as f64 / 1024.0);
    }
    ExitCode::SUCCESS
}
