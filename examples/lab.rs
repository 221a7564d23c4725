//! The bundled local lab, as a demo: starts the AWS API emulator, seeds a broken (or healthy)
//! distribution, starts the origins and the CloudFront edge stand-in, runs the real
//! `cf-origin-doctor` CLI against them, prints its report and tears everything down.
//!
//! `cargo run --example lab -- [redirect-loop|healthy] [extra CLI flags, e.g. --format json]`

#[path = "../tests/lab/mod.rs"]
mod lab;

use std::process::{Command, ExitCode};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "redirect-loop".to_string());
    if name == "list" {
        for n in lab::Scenario::names() {
            println!("{n}");
        }
        return ExitCode::SUCCESS;
    }
    let Some(scenario) = lab::Scenario::parse(&name) else {
        eprintln!("unknown scenario {name:?}; one of: {}", lab::Scenario::names().join(", "));
        return ExitCode::from(2);
    };
    let extra: Vec<String> = args.collect();
    eprintln!("lab: starting the AWS API emulator, origins and edge stand-in for scenario {name:?}…");
    let lab = lab::Lab::start(scenario).await;
    eprintln!(
        "lab: distribution {} ({}) in front of load balancer {}",
        lab.distribution_id, lab.domain_name, lab.alb.dns_name
    );
    let cli = std::env::var("CF_ORIGIN_DOCTOR_BIN").unwrap_or_else(|_| {
        let exe = std::env::current_exe().expect("current exe");
        // target/<profile>/examples/lab → target/<profile>/cf-origin-doctor
        exe.parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("cf-origin-doctor").display().to_string())
            .unwrap_or_default()
    });
    let mut cmd = Command::new(&cli);
    cmd.arg("diagnose").arg(&lab.distribution_id).args(lab.cli_args()).args(&extra);
    for (k, v) in lab.aws_env() {
        cmd.env(k, v);
    }
    eprintln!("lab: running cf-origin-doctor diagnose {} …\n", lab.distribution_id);
    let status = match cmd.status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lab: cannot run {cli}: {e} (build it with `cargo build --bin cf-origin-doctor`)");
            return ExitCode::from(2);
        }
    };
    eprintln!("\nlab: cf-origin-doctor exited with {}; tearing the lab down", status.code().unwrap_or(-1));
    drop(lab);
    ExitCode::from(status.code().unwrap_or(2) as u8)
}
