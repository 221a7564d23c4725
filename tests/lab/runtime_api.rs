//! A local stand-in for the Lambda Runtime API, so the real Lambda binary can be run against
//! the lab: it hands out one event and captures the function's response or error.

use super::server::{self, BoxFuture, Handler, Request, Response, Server};
use std::sync::{Arc, Mutex};
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
