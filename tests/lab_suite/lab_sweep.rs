//! `cf-origin-doctor sweep` against the lab: every distribution listed, each diagnosed, one
//! line each and a summary.

use lab::{Lab, Scenario, seed};
use serde_json::Value;
use std::process::{Command, Stdio};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_diagnoses_every_distribution_of_the_account() {
    let lab = Lab::start(Scenario::RedirectLoop).await;
    // A second distribution in front of the same load balancer, https-only (it works), routed
    // to the lab's edge stand-in.
    let (second, domain) = seed::create_distribution(&lab.sdk, &seed::DistributionSpec::new(&lab.alb.dns_name)).await;
    let mut args = lab.cli_args();
    let domain = domain.to_ascii_lowercase();
    for (port, addr) in [(443, lab.edge.https.addr), (80, lab.edge.http.addr)] {
        args.push("--connect-to".into());
        args.push(format!("{domain}:{port}:{}:{}", addr.ip(), addr.port()));
    }
    let run = |format: &str| {
        let mut cmd = Command::new(CLI);
        cmd.args(["sweep", "--concurrency", "2", "--format", format])
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in lab.aws_env() {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null()).output().expect("run the CLI")
    };

    let out = run("json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The redirect loop is critical: exit 1.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let reports: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON report per line ({e}): {l}")))
        .collect();
    let mut ids: Vec<&str> = reports.iter().map(|r| r["distribution_id"].as_str().unwrap()).collect();
    ids.sort();
    let mut want = vec![lab.distribution_id.as_str(), second.as_str()];
    want.sort();
    assert_eq!(ids, want);
    let looping = reports.iter().find(|r| r["distribution_id"] == lab.distribution_id.as_str()).unwrap();
    assert_eq!(looping["verdict"]["primary"], "redirect-loop-origin-forces-https");
    assert_eq!(looping["schema_version"], 1);
    assert!(stderr.contains("2 distribution(s)"), "{stderr}");

    let out = run("text");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines.iter().any(|l| l.starts_with(&lab.distribution_id) && l.contains("redirect-loop-origin-forces-https"))
    );
    assert!(lines.iter().any(|l| l.starts_with(&second)));
    assert!(lines[2].starts_with("2 distribution(s): ") && lines[2].contains("fail"), "{}", lines[2]);
}
