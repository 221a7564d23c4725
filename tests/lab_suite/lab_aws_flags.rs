//! The AWS CLI's flags (`--profile`, `--region`, `--role-arn`, `--external-id`) and the one-line
//! errors of a run that cannot read AWS, through the real CLI against the lab.

use lab::aws_proxy::{self, Fault};
use lab::{Lab, Scenario, aws_env_for};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");

/// Runs `diagnose <id>` with the lab's probe flags, `extra` flags and exactly the environment `env`.
fn diagnose(lab: &Lab, env: &[(String, String)], extra: &[&str]) -> Output {
    let mut cmd = Command::new(CLI);
    cmd.args(["diagnose", &lab.distribution_id, "--format", "json"])
        .args(lab.cli_args())
        .args(extra)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run the CLI")
}

fn reported(out: &Output) -> serde_json::Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {stderr}", out.status.code());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"))
}

/// Exit 2 with one line on stderr containing each of `want`, and no `Debug` dump.
fn one_line_error(out: &Output, want: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for w in want {
        assert!(stderr.contains(w), "{w:?} not in: {stderr}");
    }
    for dump in ["{ ", "Some(", "source:", "DispatchFailure"] {
        assert!(!stderr.contains(dump), "a Debug dump ({dump:?}) in: {stderr}");
    }
    stderr
}

fn without_credentials(env: Vec<(String, String)>) -> Vec<(String, String)> {
    env.into_iter().filter(|(k, _)| !k.starts_with("AWS_ACCESS_KEY_ID") && k != "AWS_SECRET_ACCESS_KEY").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_region_and_role_flags_as_the_aws_cli_reads_them() {
    let lab = Lab::start(Scenario::HostHeaderForwarded).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(&config, "[profile lab-reader]\nregion = us-east-1\n").unwrap();
    std::fs::write(&credentials, "[lab-reader]\naws_access_key_id = labprofile\naws_secret_access_key = lab\n")
        .unwrap();
    let mut env = without_credentials(aws_env_for(&lab.moto.endpoint));
    env.push(("AWS_CONFIG_FILE".into(), config.display().to_string()));
    env.push(("AWS_SHARED_CREDENTIALS_FILE".into(), credentials.display().to_string()));

    // --profile outranks AWS_PROFILE (which names a profile the files do not have).
    env.push(("AWS_PROFILE".into(), "absent".into()));
    let r = reported(&diagnose(&lab, &env, &["--profile", "lab-reader"]));
    assert_eq!(r["distribution_id"], lab.distribution_id.as_str());
    // Without the flag the environment's absent profile is used: no credentials.
    one_line_error(&diagnose(&lab, &env, &[]), &["no AWS credentials found", "--profile"]);
    // A profile the files do not have, named by the flag: the error says which.
    one_line_error(
        &diagnose(&lab, &env, &["--profile", "absent"]),
        &["no AWS credentials found", "profile \"absent\""],
    );
    env.retain(|(k, _)| k != "AWS_PROFILE");

    // --region for the origin side; CloudFront is still read (in us-east-1).
    let r = reported(&diagnose(&lab, &env, &["--profile", "lab-reader", "--region", "us-east-1"]));
    assert_eq!(r["distribution_id"], lab.distribution_id.as_str());
    one_line_error(&diagnose(&lab, &env, &["--profile", "lab-reader", "--region", "US_EAST_1"]), &["--region"]);

    // --role-arn with --external-id: the run reads AWS through sts:AssumeRole (seen by a
    // recording proxy in front of the emulator).
    let proxy = aws_proxy::start(&lab.moto.endpoint, Duration::ZERO, vec![]).await;
    let env = aws_env_for(&proxy.endpoint);
    let role = "arn:aws:iam::123456789012:role/lab-reader";
    let r = reported(&diagnose(&lab, &env, &["--role-arn", role, "--external-id", "lab-external-id"]));
    assert_eq!(r["distribution_id"], lab.distribution_id.as_str());
    assert!(proxy.count("AssumeRole") >= 1, "{:?}", proxy.seen.lock().unwrap());
    // The Lambda's grammar check refuses a malformed role before any call.
    let before = proxy.seen.lock().unwrap().len();
    one_line_error(&diagnose(&lab, &env, &["--role-arn", "arn:aws:iam::1:role/x\ny"]), &["--role-arn"]);
    assert_eq!(proxy.seen.lock().unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_errors_are_one_line_saying_what_to_do() {
    let lab = Lab::start(Scenario::HostHeaderForwarded).await;

    // No credentials anywhere (the metadata service off).
    let env = without_credentials(aws_env_for(&lab.moto.endpoint));
    one_line_error(&diagnose(&lab, &env, &[]), &["no AWS credentials found", "AWS_PROFILE", "aws sso login"]);

    // The metadata service on, but its endpoint refusing: still "no credentials".
    let mut env = without_credentials(aws_env_for(&lab.moto.endpoint));
    env.retain(|(k, _)| k != "AWS_EC2_METADATA_DISABLED");
    let closed = lab::moto::free_port();
    env.push(("AWS_EC2_METADATA_SERVICE_ENDPOINT".into(), format!("http://127.0.0.1:{closed}")));
    one_line_error(&diagnose(&lab, &env, &[]), &["no AWS credentials found"]);

    // The AWS endpoint on a closed loopback port.
    let env = aws_env_for(&format!("http://127.0.0.1:{}", lab::moto::free_port()));
    one_line_error(&diagnose(&lab, &env, &[]), &["cannot reach the AWS API", "connection refused", "AWS_ENDPOINT_URL"]);

    // GetDistribution denied.
    let proxy = aws_proxy::start(&lab.moto.endpoint, Duration::ZERO, vec![("GetDistribution", Fault::Deny)]).await;
    one_line_error(
        &diagnose(&lab, &aws_env_for(&proxy.endpoint), &[]),
        &["access denied", "cloudfront:GetDistribution", &lab.distribution_id, "--role-arn"],
    );
}
