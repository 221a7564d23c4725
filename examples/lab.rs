//! The bundled local lab, as a demo: starts the AWS API emulator, seeds a broken (or healthy)
//! distribution, starts the origins and the CloudFront edge stand-in, runs the real
//! `cf-origin-doctor` CLI against them, prints its report and tears everything down.
//!
//! `cargo run --example lab -- [scenario] [extra CLI flags, e.g. --format json]` (default
//! scenario: redirect-loop-origin-forces-https; `list` prints every scenario's name): the CLI
//! runs with the flags the scenario's entry names, then the extra ones.
//!
//! `cargo run --example lab -- record <scenario> <file>` runs the diagnosis with the flags the
//! scenario's entry names, `--format json` and `--record <file>`: what `scripts/record-fixtures`
//! re-records `tests/fixtures/evidence/` with.
//!
//! `cargo run --example lab -- serve [scenario]` keeps the lab up for the Lambda function instead:
//! it creates an SNS topic in the emulator, writes `lab-output/lambda.env` (the function's
//! settings pointing at the lab, for `cargo lambda watch --env-file`) and
//! `lab-output/events/*.json` (every sample of `events/` aimed at the lab's distribution), and
//! waits for Enter.

// A panic here is a failed example, not a crash of the tool.
#![allow(clippy::unwrap_used)]

use std::process::{Command, ExitCode};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| DEFAULT_SCENARIO.to_string());
    if name == "serve" {
        return serve(args.next().unwrap_or_else(|| DEFAULT_SCENARIO.to_string())).await;
    }
    if name == "list" {
        for n in lab::Scenario::names() {
            println!("{n}");
        }
        return ExitCode::SUCCESS;
    }
    if name == "table" {
        print!("{}", lab::scenario::markdown_table());
        return ExitCode::SUCCESS;
    }
    let recording = name == "record";
    let (name, mut extra) = if recording {
        let (Some(name), Some(file)) = (args.next(), args.next()) else {
            eprintln!("usage: lab record <scenario> <evidence file>");
            return ExitCode::from(2);
        };
        (name, vec!["--format".to_string(), "json".into(), "--record".into(), file])
    } else {
        (name, args.collect::<Vec<String>>())
    };
    let Some(scenario) = parse(&name) else { return ExitCode::from(2) };
    // The flags the scenario's entry names (the paths to probe, the application's declared
    // needs) come first; flags given here follow.
    extra.splice(0..0, scenario.def().flags.iter().map(|f| f.to_string()));
    eprintln!("lab: starting the AWS API emulator, origins and edge stand-in for scenario {name:?}…");
    let lab = lab::Lab::start(scenario).await;
    eprintln!(
        "lab: distribution {} ({}) in front of origin {}",
        lab.distribution_id, lab.domain_name, lab.origin_domain
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

const DEFAULT_SCENARIO: &str = "redirect-loop-origin-forces-https";

/// The scenario with this name (or former name), or None after saying which names there are.
fn parse(name: &str) -> Option<lab::Scenario> {
    let scenario = lab::Scenario::parse(name);
    if scenario.is_none() {
        eprintln!("unknown scenario {name:?}; one of: {}", lab::Scenario::names().join(", "));
    }
    scenario
}

/// Keeps a scenario's lab running for `cargo lambda watch`/`invoke`.
async fn serve(name: String) -> ExitCode {
    let Some(scenario) = parse(&name) else { return ExitCode::from(2) };
    eprintln!("lab: starting the AWS API emulator, origins and edge stand-in for scenario {name:?}…");
    let lab = lab::Lab::start(scenario).await;
    let sns = aws_sdk_sns::Client::new(&lab.sdk);
    let topic = match sns.create_topic().name("cf-origin-doctor-lab").send().await {
        Ok(t) => t.topic_arn.unwrap_or_default(),
        Err(e) => {
            eprintln!("lab: cannot create the SNS topic: {e}");
            return ExitCode::from(2);
        }
    };
    match write_lambda_files(&lab, &topic) {
        Ok(written) => {
            println!("lab: distribution {} ({}) is up; SNS topic {topic}", lab.distribution_id, lab.domain_name);
            println!("lab: function settings in lab-output/lambda.env; {written} events in lab-output/events/");
            println!("lab: send them with cargo lambda (README, \"Invoking the function locally against the lab\")");
            println!("lab: press Enter to stop");
        }
        Err(e) => {
            eprintln!("lab: cannot write lab-output/: {e}");
            return ExitCode::from(2);
        }
    }
    let mut line = String::new();
    let _ = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut line)).await;
    drop(lab);
    ExitCode::SUCCESS
}

/// The sample distribution id in `events/`, replaced by the lab's in `lab-output/events/`.
const SAMPLE_DISTRIBUTION: &str = "E2QWRUHEXAMPLE";

fn write_lambda_files(lab: &lab::Lab, topic: &str) -> std::io::Result<usize> {
    let out = std::path::Path::new("lab-output");
    std::fs::create_dir_all(out.join("events"))?;
    let mut env: Vec<String> = lab.lambda_env().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    env.push(format!("CF_ORIGIN_DOCTOR_TOPIC_ARN={topic}"));
    std::fs::write(out.join("lambda.env"), env.join("\n") + "\n")?;
    let mut written = 0;
    for entry in std::fs::read_dir("events")? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?.replace(SAMPLE_DISTRIBUTION, &lab.distribution_id);
        if let Some(file) = path.file_name() {
            std::fs::write(out.join("events").join(file), text)?;
            written += 1;
        }
    }
    Ok(written)
}
