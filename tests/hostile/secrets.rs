//! An origin that reflects CloudFront's secret origin header back in every way it can, and an
//! origin whose certificate carries terminal escapes: no output of the CLI or the Lambda
//! function may carry the secret in any form, nor a raw control character in text or Markdown.

use lab::hostile::lab_with_origin;
use lab::runtime_api::run_function;
use lab::server::{self, Response, handler};
use lab::{self, Scenario};
use serde_json::Value;
use std::process::{Output, Stdio};
use std::time::Duration;

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");
const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");

fn base64(input: &[u8], url_safe: bool, pad: bool) -> String {
    let alphabet: &[u8] = if url_safe {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let idx = [b[0] >> 2, (b[0] & 3) << 4 | b[1] >> 4, (b[1] & 15) << 2 | b[2] >> 6, b[2] & 63];
        for (i, &x) in idx.iter().enumerate() {
            if i <= chunk.len() {
                out.push(alphabet[x as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

fn percent_all(s: &str, upper: bool) -> String {
    s.bytes().map(|b| if upper { format!("%{b:02X}") } else { format!("%{b:02x}") }).collect()
}

/// Every form the origin sends back, and so every form no output may hold.
fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![
        secret.to_string(),
        secret.to_ascii_uppercase(),
        percent_all(secret, true),
        percent_all(secret, false),
        percent_all(&secret.to_ascii_uppercase(), false),
    ];
    for v in [secret.to_string(), secret.to_ascii_uppercase()] {
        for (url_safe, pad) in [(false, true), (false, false), (true, true), (true, false)] {
            out.push(base64(v.as_bytes(), url_safe, pad));
        }
    }
    out
}

/// The secret in any form inside `text`: the raw value in any case, percent-encoded in any hex
/// case, or base64 (either alphabet, padded or not: the padding-free prefix is looked for).
fn leak(text: &str, secret: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    for f in [secret.to_string(), percent_all(secret, false)] {
        if lower.contains(&f.to_ascii_lowercase()) {
            return Some(f);
        }
    }
    for v in [secret.to_string(), secret.to_ascii_uppercase(), secret.to_ascii_lowercase()] {
        for url_safe in [false, true] {
            let b = base64(v.as_bytes(), url_safe, false);
            let stable = &b[..b.len() - 1];
            if text.contains(stable) {
                return Some(b);
            }
        }
    }
    None
}

fn assert_no_leak(what: &str, text: &str) {
    if let Some(form) = leak(text, lab::LAB_SECRET_VALUE) {
        panic!("{what} carries the secret as {form:?}:\n{text}");
    }
}

/// An origin that reflects the secret: `/` redirects to `/landing` with the secret in its query
/// in every form, `/landing` redirects (absolute URL) to `/done` with it base64-encoded, `/done`
/// echoes the request; every answer also holds it in a cookie, a header value and a header name.
fn reflecting_origin(req: server::Request) -> Response {
    let secret = req.header(lab::LAB_SECRET_HEADER).unwrap_or(lab::LAB_SECRET_VALUE).to_string();
    let f = forms(&secret);
    let mut echo = format!("{} {} HTTP/1.1\n", req.method, req.target);
    for (n, v) in &req.headers {
        echo.push_str(&format!("{n}: {v}\n"));
    }
    echo.push_str(&f.join("\n"));
    let path = req.target.split('?').next().unwrap_or("").to_string();
    let resp = match path.as_str() {
        "/" => Response::new(302, "Found")
            .header("Location", format!("/landing?token={}&u={}&p={}&q={}&b={}", f[0], f[1], f[2], f[3], f[5])),
        "/landing" => {
            Response::new(302, "Found").header("Location", format!("http://{}/done?t={}&s={}", req.host(), f[7], f[8]))
        }
        _ => Response::new(200, "OK").header("Content-Type", "text/plain"),
    };
    resp.header("Set-Cookie", format!("session={secret}; Path=/"))
        .header("X-Echo", format!("{} {} {}", f[1], f[2], f[5]))
        .header(&format!("X-{secret}"), "1")
        .header("Refresh", format!("0; url=/x?{}", f[4]))
        .body(echo.into_bytes())
}

fn cli(lab: &lab::Lab, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(CLI);
    cmd.args(args).args(lab.cli_args()).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in lab.aws_env() {
        cmd.env(k, v);
    }
    cmd.env("RUST_LOG", "debug").stdin(Stdio::null()).output().expect("run the CLI")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_reflected_secret_reaches_no_output_in_any_form() {
    lab::run(async {
        let origin = server::start(None, handler(reflecting_origin)).await;
        let lab = lab_with_origin(Scenario::RedirectLoop, 80, origin.addr).await;
        let dir = tempfile::tempdir().unwrap();
        let mut evidence_seen = false;
        for format in ["json", "text", "markdown"] {
            let file = dir.path().join(format!("evidence-{format}.json"));
            let file_arg = file.to_str().unwrap();
            let out = cli(&lab, &["diagnose", &lab.distribution_id, "--record", file_arg, "--format", format]);
            let stdout = text(&out.stdout);
            let stderr = text(&out.stderr);
            assert!(matches!(out.status.code(), Some(0 | 1)), "{format}: {stderr}");
            assert_no_leak(&format!("{format} stdout"), &stdout);
            assert_no_leak(&format!("{format} stderr (RUST_LOG=debug)"), &stderr);
            let recorded = std::fs::read_to_string(&file).expect("evidence written");
            assert_no_leak(&format!("{format} evidence file"), &recorded);
            if !evidence_seen {
                evidence_seen = true;
                // The origin was reached and its chain followed: the scrub is what hides it.
                let ev: Value = serde_json::from_str(&recorded).unwrap();
                let probe = ev["observations"]["probes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["id"].as_str().is_some_and(|id| id.starts_with("origin:")))
                    .expect("an origin probe");
                let hops = probe["hops"].as_array().unwrap();
                assert_eq!(hops.len(), 3, "{probe:#}");
                assert!(hops[1]["url"].as_str().unwrap().contains("<redacted>"), "{probe:#}");
                assert!(hops[2]["url"].as_str().unwrap().contains("/done?t=<redacted>&s=<redacted>"), "{probe:#}");
                let body = hops[2]["result"]["body_sample"].as_str().unwrap_or_default();
                assert!(body.contains("GET /done?t=<redacted>&s=<redacted> HTTP/1.1"), "{probe:#}");
            }
        }

        // The Lambda function, publishing to an SNS topic read back from a subscribed queue.
        let sns = aws_sdk_sns::Client::new(&lab.sdk);
        let sqs = aws_sdk_sqs::Client::new(&lab.sdk);
        let topic = sns.create_topic().name("doctor").send().await.unwrap().topic_arn.unwrap();
        let queue_url = lab::subscribed_queue(&lab.sdk, &topic, "doctor-reports", None).await;
        let mut env = lab.lambda_env();
        env.push(("CF_ORIGIN_DOCTOR_TOPIC_ARN".into(), topic.clone()));
        let event = serde_json::json!({"distribution_id": lab.distribution_id, "paths": ["/"], "publish": true});
        let run = run_function(LAMBDA, &env, &event.to_string(), 60_000).await;
        assert_eq!(run.kind, "response", "{:#}", run.body);
        assert_eq!(run.body["delivery"]["published"], true, "{:#}", run.body["delivery"]);
        assert_no_leak("the Lambda response", &run.body.to_string());
        assert_no_leak("the Lambda log", &run.stdout);
        let mut messages = Vec::new();
        for _ in 0..5 {
            let got = sqs.receive_message().queue_url(&queue_url).wait_time_seconds(1).send().await.unwrap();
            messages.extend(got.messages.unwrap_or_default().into_iter().filter_map(|m| m.body));
            if !messages.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(!messages.is_empty(), "the report was published");
        for m in &messages {
            assert!(m.contains("<redacted>"), "the published report holds the scrubbed probe: {m}");
            assert_no_leak("the SNS message", m);
        }
    });
}

/// The default size of a recorded body sample (`ProbeLimits::body_sample_bytes`).
const SAMPLE_BYTES: usize = 2048;

#[test]
fn a_body_sample_cut_inside_a_reflected_secret_keeps_none_of_it() {
    lab::run(async {
        // The sample's cap falls ten bytes into the secret: what was kept is its start.
        let origin = server::start(
            None,
            handler(|req: server::Request| {
                let secret = req.header(lab::LAB_SECRET_HEADER).unwrap_or(lab::LAB_SECRET_VALUE).to_string();
                let body = format!("{}{secret} and more after it", "x".repeat(SAMPLE_BYTES - 10));
                Response::new(200, "OK").header("Content-Type", "text/plain").body(body.into_bytes())
            }),
        )
        .await;
        let lab = lab_with_origin(Scenario::RedirectLoop, 80, origin.addr).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("evidence.json");
        let out = cli(&lab, &["diagnose", &lab.distribution_id, "--record", file.to_str().unwrap()]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out.stderr));
        let recorded = std::fs::read_to_string(&file).expect("evidence written");
        let start = &lab::LAB_SECRET_VALUE[..10];
        assert!(!recorded.contains(start), "the cut start of the secret survives: {recorded}");
        let ev: Value = serde_json::from_str(&recorded).unwrap();
        let samples: Vec<&str> = ev["observations"]["probes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["id"].as_str().is_some_and(|id| id.starts_with("origin:")))
            .flat_map(|p| p["hops"].as_array().into_iter().flatten())
            .filter_map(|h| h["result"]["body_sample"].as_str())
            .collect();
        assert!(!samples.is_empty(), "{recorded}");
        for s in samples {
            assert!(s.ends_with("x<redacted>…"), "a cut sample is marked and loses the secret's start: {s:?}");
        }
    });
}

/// What a hostile certificate name carries: an OSC title change, a screen clear, a colour and
/// DEL (a DNS name is IA5, ASCII only: C1 controls and bidi overrides are the report's unit
/// tests' part).
const ESCAPES: &str = "\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31mFAKE\u{7f}x";

#[test]
fn terminal_escapes_in_a_certificate_never_reach_text_or_markdown() {
    lab::run(async {
        let ca = lab::pki::TestCa::new();
        let san = format!("evil{ESCAPES}.example");
        let leaf = ca.leaf(&[&san]);
        let origin = server::start(Some(leaf), handler(|_| Response::new(200, "OK").body("ok"))).await;
        let lab = lab_with_origin(Scenario::Healthy, 443, origin.addr).await;
        for format in ["text", "markdown"] {
            let out = cli(&lab, &["diagnose", &lab.distribution_id, "--format", format]);
            let stdout = text(&out.stdout);
            assert!(matches!(out.status.code(), Some(0 | 1)), "{format}: {}", text(&out.stderr));
            assert!(stdout.contains("PWNED"), "{format}: the certificate name is shown, escaped: {stdout}");
            let bad: Vec<(usize, u8)> = out
                .stdout
                .iter()
                .copied()
                .enumerate()
                .filter(|&(_, b)| (b < 0x20 && b != b'\n') || b == 0x7f)
                .collect();
            assert!(bad.is_empty(), "{format} output carries control bytes {bad:?}:\n{stdout:?}");
        }
    });
}
