//! A local stand-in for the Lambda Runtime API, so the real Lambda binary can be run against
//! the lab: it hands out one event and captures the function's response or error.

use super::server::{self, BoxFuture, Handler, Request, Response, Server};
use serde_json::Value;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// What the function answered: `response` or `error`, and the body it posted.
pub type Outcome = (String, String);

pub struct RuntimeApi {
    pub server: Server,
    result: Arc<Mutex<Option<Outcome>>>,
    done: Arc<Notify>,
}

impl RuntimeApi {
    /// Serves `event` as the one invocation, with its deadline `deadline_ms` from now.
    pub async fn start(event: String, deadline_ms: u64) -> RuntimeApi {
        let result: Arc<Mutex<Option<Outcome>>> = Arc::new(Mutex::new(None));
        let done = Arc::new(Notify::new());
        let served = Arc::new(Mutex::new(false));
        let (r, d) = (result.clone(), done.clone());
        let handler: Handler = Arc::new(move |req: Request| -> BoxFuture {
            let (r, d, served, event) = (r.clone(), d.clone(), served.clone(), event.clone());
            Box::pin(async move {
                if req.method == "GET" && req.target.ends_with("/invocation/next") {
                    let first = !std::mem::replace(&mut *served.lock().unwrap(), true);
                    if !first {
                        // Only one invocation: park the runtime until the test stops it.
                        std::future::pending::<()>().await;
                    }
                    let now =
                        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
                    return Response::new(200, "OK")
                        .header("Content-Type", "application/json")
                        .header("Lambda-Runtime-Aws-Request-Id", "lab-request-1")
                        .header("Lambda-Runtime-Deadline-Ms", (now + deadline_ms).to_string())
                        .header(
                            "Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:us-east-1:123456789012:function:cf-origin-doctor",
                        )
                        .header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
                        .body(event.into_bytes());
                }
                if req.method == "POST" {
                    let kind = if req.target.ends_with("/response") { "response" } else { "error" };
                    *r.lock().unwrap() = Some((kind.to_string(), String::from_utf8_lossy(&req.body).into_owned()));
                    d.notify_waiters();
                    d.notify_one();
                }
                Response::new(202, "Accepted")
            })
        });
        let server = server::start(None, handler).await;
        RuntimeApi { server, result, done }
    }

    /// A command that runs `binary` as a Lambda function against this stand-in: a clean
    /// environment with the runtime's variables, plus `env`; killed when dropped.
    pub fn function_command(&self, binary: &str, env: &[(String, String)]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", self.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "cf-origin-doctor")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "lab")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/cf-origin-doctor")
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The address to put in `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.server.addr.to_string()
    }

    /// Waits for the function's answer.
    pub async fn outcome(&self) -> Outcome {
        loop {
            if let Some(r) = self.result.lock().unwrap().clone() {
                return r;
            }
            let _ = tokio::time::timeout(std::time::Duration::from_millis(100), self.done.notified()).await;
        }
    }
}

/// What one invocation of the function produced.
pub struct Run {
    pub kind: String,
    pub body: Value,
    pub stdout: String,
}

/// Runs a Lambda binary for one event against this Runtime API stand-in, with `env` added.
pub async fn run_function(binary: &str, env: &[(String, String)], event: &str, deadline_ms: u64) -> Run {
    let api = RuntimeApi::start(event.to_string(), deadline_ms).await;
    let mut cmd = api.function_command(binary, env);
    cmd.env("RUST_LOG", "info").stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect("start the Lambda binary");
    let outcome = tokio::time::timeout(Duration::from_secs(60), api.outcome()).await.expect("the function answers");
    // Give the log lines written after the answer a moment, then stop the function.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = child.start_kill();
    let out = child.wait_with_output().await.expect("collect output");
    Run {
        kind: outcome.0,
        body: serde_json::from_str(&outcome.1).expect("the function posts JSON"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}
