//! The command line's conventions through the real binary: shell completions and the man page
//! generated from the clap definition, `--version` with the git revision, `--quiet`,
//! `--color` beside `NO_COLOR`, and the one-line errors of an unknown region and an expired
//! AWS SSO session.

use lab::{Lab, Scenario};
use std::process::{Command, Output, Stdio};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");

/// The binary with exactly `env` (and PATH), stdin closed.
fn cli(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(CLI);
    cmd.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("HOME", "/nonexistent");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("run the CLI")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Exit 2, nothing on stdout, one line on stderr containing `want`, no `Debug` dump.
fn one_line_error(out: &Output, want: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(want), "{want:?} not in: {stderr}");
    for dump in ["{ ", "Some(", "source:", "DispatchFailure", "ProviderError"] {
        assert!(!stderr.contains(dump), "a Debug dump ({dump:?}) in: {stderr}");
    }
    stderr
}

#[test]
fn completions_and_the_man_page_come_from_the_clap_definition() {
    for (shell, marker) in
        [("bash", "complete -F"), ("zsh", "#compdef cf-origin-doctor"), ("fish", "complete -c cf-origin-doctor")]
    {
        let script = stdout(&cli(&["completions", shell], &[]));
        assert!(script.contains(marker), "{shell}: {script}");
        for word in ["diagnose", "replay", "samples", "color"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    assert_eq!(cli(&["completions", "tcsh"], &[]).status.code(), Some(2));
    let man = stdout(&cli(&["man"], &[]));
    assert!(man.starts_with(".ie") || man.contains(".TH cf-origin-doctor"), "{}", &man[..man.len().min(300)]);
    assert!(man.contains("diagnose") && man.contains("completions"), "{man}");
}

#[test]
fn version_shows_the_git_revision() {
    let version = stdout(&cli(&["--version"], &[]));
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("unknown".to_string(), |o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    assert_eq!(version.trim(), format!("cf-origin-doctor {} ({rev})", env!("CARGO_PKG_VERSION")));
}

#[test]
fn color_follows_the_flag_then_no_color_then_the_terminal() {
    let fixture = format!("{}/tests/fixtures/evidence/redirect-loop.json", env!("CARGO_MANIFEST_DIR"));
    let run = |extra: &[&str], env: &[(&str, String)]| {
        let mut args = vec!["replay", fixture.as_str()];
        args.extend_from_slice(extra);
        let out = cli(&args, env);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let no_color = [("NO_COLOR", "1".to_string())];
    assert!(run(&["--color", "always"], &[]).contains("\x1b[1;31m"), "always paints");
    assert!(run(&["--color", "always"], &no_color).contains("\x1b["), "the flag outranks NO_COLOR");
    assert!(!run(&["--color", "never"], &[]).contains('\x1b'));
    // auto: stdout is a pipe here, so no colour, with or without NO_COLOR.
    assert!(!run(&[], &[]).contains('\x1b'));
    assert!(!run(&["--color", "auto"], &no_color).contains('\x1b'));
    assert_eq!(cli(&["replay", &fixture, "--color", "sometimes"], &[]).status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_leaves_only_the_report_and_the_exit_code() {
    let lab = Lab::start(Scenario::HostHeaderForwarded).await;
    let alias = lab.alias.clone().expect("the scenario has an alias");
    let env: Vec<(String, String)> = lab.aws_env();
    let run = |quiet: bool| {
        let mut cmd = Command::new(CLI);
        cmd.args(["diagnose", &format!("https://{alias}/"), "--format", "json"]).args(lab.cli_args());
        if quiet {
            cmd.arg("--quiet");
        }
        cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).envs(env.iter().cloned());
        cmd.stdin(Stdio::null()).output().expect("run the CLI")
    };
    let loud = run(false);
    assert!(String::from_utf8_lossy(&loud.stderr).contains("diagnosing"), "{}", String::from_utf8_lossy(&loud.stderr));
    let quiet = run(true);
    assert!(quiet.stderr.is_empty(), "{}", String::from_utf8_lossy(&quiet.stderr));
    assert_eq!(quiet.status.code(), loud.status.code());
    let report: serde_json::Value = serde_json::from_slice(&quiet.stdout).unwrap();
    assert_eq!(report["distribution_id"], lab.distribution_id.as_str());
}

#[test]
fn a_region_no_partition_has_is_named_in_one_line() {
    let env = [("AWS_ACCESS_KEY_ID", "x".to_string()), ("AWS_SECRET_ACCESS_KEY", "y".to_string())];
    let e = one_line_error(
        &cli(&["diagnose", "E2QWRUHEXAMPLE", "--region", "xx-fake-9"], &env),
        "--region xx-fake-9 is not a region AWS knows",
    );
    assert!(e.contains("us-east-1"), "says what to use instead: {e}");
}

/// A HOME whose config has an `sso-session` profile `oncall`, with the session's cached token
/// expiring at `expires_at`.
fn sso_home(expires_at: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(aws.join("sso").join("cache")).unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile oncall]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
    )
    .unwrap();
    // The cache file is named by the SHA-1 of the session name ("corp").
    let token = serde_json::json!({
        "startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "token",
        "expiresAt": expires_at, "clientId": "client", "clientSecret": "secret",
        "registrationExpiresAt": "2099-01-01T00:00:00Z", "refreshToken": "refresh",
    });
    let digest = sha1_hex("corp");
    std::fs::write(aws.join("sso/cache").join(format!("{digest}.json")), token.to_string()).unwrap();
    home
}

fn sha1_hex(s: &str) -> String {
    let out = Command::new("sha1sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().and_then(|mut c| {
        use std::io::Write;
        c.stdin.take().unwrap().write_all(s.as_bytes())?;
        c.wait_with_output()
    });
    String::from_utf8_lossy(&out.unwrap().stdout).split_whitespace().next().unwrap().to_string()
}

#[test]
fn an_expired_sso_session_says_to_sign_in_again() {
    // Every endpoint the SDK could try (SSO portal, its token refresh, CloudFront) refuses.
    let refused = format!("http://{}", lab::server::refused_addr());
    for expires in ["2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"] {
        let home = sso_home(expires);
        let env = [
            ("HOME", home.path().display().to_string()),
            ("AWS_ENDPOINT_URL", refused.clone()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ];
        for args in [&["diagnose", "E2QWRUHEXAMPLE", "--profile", "oncall"][..], &["diagnose", "E2QWRUHEXAMPLE"][..]] {
            let mut env = env.to_vec();
            if args.len() == 2 {
                env.push(("AWS_PROFILE", "oncall".into()));
            }
            let out = cli(args, &env);
            if expires.starts_with("2020") {
                one_line_error(
                    &out,
                    "your AWS SSO session for profile oncall has expired: run `aws sso login --profile oncall`",
                );
            } else {
                // A valid session with the endpoints unreachable is a network problem.
                let e = one_line_error(&out, "cannot reach the AWS API");
                assert!(!e.contains("sso login"), "{e}");
            }
        }
    }
}
