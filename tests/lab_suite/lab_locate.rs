//! `cf-origin-doctor diagnose <URL | HOSTNAME>` against the lab: the distribution is found by
//! its aliases (exact before wildcard) or its CloudFront domain name, through the real CLI.

use lab::{Lab, Scenario, assert_schema_valid, runtime_api::run_function, seed};
use serde_json::Value;
use std::process::{Command, Output, Stdio};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");
const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");

pub(crate) fn run(lab: &Lab, extra: &[String], args: &[&str]) -> Output {
    let mut cmd = Command::new(CLI);
    cmd.args(args).args(lab.cli_args()).args(extra).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in lab.aws_env() {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run the CLI")
}

pub(crate) fn report(out: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {stderr}", out.status.code());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    assert_schema_valid(&r);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_or_hostname_finds_its_distribution() {
    let lab = Lab::start(Scenario::HostHeaderForwarded).await;
    let alias = lab.alias.clone().expect("the scenario has an alias");
    let parent = alias.split_once('.').unwrap().1.to_string();
    // A second distribution holding the wildcard over the alias's parent domain.
    let mut spec = seed::DistributionSpec::new(&lab.alb.dns_name);
    spec.aliases = vec![format!("*.{parent}")];
    let (wild, wild_domain) = seed::create_distribution(&lab.sdk, &spec).await;
    let mut extra = Vec::new();
    for (port, addr) in [(443, lab.edge.https.addr), (80, lab.edge.http.addr)] {
        extra.push("--connect-to".to_string());
        extra.push(format!("{}:{port}:{}:{}", wild_domain.to_ascii_lowercase(), addr.ip(), addr.port()));
    }

    // The exact alias outranks the wildcard; the URL's path and query are probed.
    let url = format!("https://{}/checkout?step=2", alias.to_ascii_uppercase());
    let out = run(&lab, &extra, &["diagnose", &url, "--format", "json"]);
    let r = report(&out);
    assert_eq!(r["distribution_id"], lab.distribution_id.as_str());
    let how = r["located_by"].as_str().unwrap();
    assert!(how.contains(&format!("alternate domain name {alias}")), "{how}");
    let urls: Vec<&str> = r["observations"]["probes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["hops"].as_array().unwrap())
        .filter_map(|h| h["url"].as_str())
        .collect();
    assert!(urls.iter().any(|u| u.ends_with("/checkout?step=2")), "{urls:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("diagnosing {}", lab.distribution_id)));

    // Another name under the same parent: the wildcard's distribution.
    let out = run(&lab, &extra, &["diagnose", &format!("shop.{parent}"), "--format", "json"]);
    let r = report(&out);
    assert_eq!(r["distribution_id"], wild.as_str());
    assert!(r["located_by"].as_str().unwrap().contains(&format!("wildcard alternate domain name *.{parent}")));

    // The CloudFront domain name.
    let out = run(&lab, &extra, &["diagnose", &lab.domain_name, "--format", "json"]);
    let r = report(&out);
    assert_eq!(r["distribution_id"], lab.distribution_id.as_str());
    assert!(r["located_by"].as_str().unwrap().contains("CloudFront domain name"));

    // The id form still reports no "located_by".
    let out = run(&lab, &extra, &["diagnose", &lab.distribution_id, "--format", "json"]);
    assert!(report(&out).get("located_by").is_none());

    // The Lambda function takes `url` the same way.
    let event = serde_json::json!({"url": format!("https://{alias}/checkout")}).to_string();
    let lambda = run_function(LAMBDA, &lab.lambda_env(), &event, 60_000).await;
    assert_eq!(lambda.kind, "response", "{:#}", lambda.body);
    assert_schema_valid(&lambda.body);
    assert_eq!(lambda.body["distribution_id"], lab.distribution_id.as_str());
    assert!(lambda.body["located_by"].as_str().unwrap().contains(&alias), "{:#}", lambda.body);
    let event = serde_json::json!({"url": "https://nowhere.example.invalid/"}).to_string();
    let lambda = run_function(LAMBDA, &lab.lambda_env(), &event, 60_000).await;
    assert_eq!(lambda.kind, "error", "{:#}", lambda.body);
    assert_eq!(lambda.body["errorType"], "DistributionNotFound", "{:#}", lambda.body);

    // A name no distribution holds: exit 2, the candidates listed, no report.
    let out = run(&lab, &extra, &["diagnose", "https://nowhere.example.invalid/x", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(stderr.contains("no distribution has nowhere.example.invalid"), "{stderr}");
    assert!(stderr.contains(&lab.distribution_id) && stderr.contains(&wild), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    // A third distribution with the same wildcard makes the name ambiguous.
    let (twin, _) = seed::create_distribution(&lab.sdk, &spec).await;
    let out = run(&lab, &extra, &["diagnose", &format!("shop.{parent}"), "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("matches 2 distributions"), "{stderr}");
    assert!(stderr.contains(&wild) && stderr.contains(&twin), "{stderr}");
}
