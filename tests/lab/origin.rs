//! Origin stand-ins: real servers on loopback that behave as the seeded configuration says
//! (an ALB listener's default action, or an application).

use super::pki::Leaf;
use super::server::{self, Request, Response, Server};
use std::sync::{Arc, Mutex};

/// What a listener does with a request, mirroring ELBv2 default actions.
#[derive(Debug, Clone)]
pub enum Behavior {
    /// The application: 200 with a small page, echoing what it received.
    App,
    /// ALB redirect action: `https://#{host}:443/#{path}?#{query}` with 301.
    RedirectToHttps,
    /// ALB fixed response.
    Fixed { status: u16, body: String },
}

/// Every request an origin received, for assertions.
pub type Log = Arc<Mutex<Vec<Request>>>;

pub struct Origin {
    pub server: Server,
    pub log: Log,
}

pub async fn start(behavior: Behavior, tls: Option<Leaf>) -> Origin {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let server = server::start(
        tls,
        server::handler(move |req: Request| {
            if let Ok(mut l) = seen.lock() {
                l.push(req.clone());
            }
            respond(&behavior, &req)
        }),
    )
    .await;
    Origin { server, log }
}

fn respond(behavior: &Behavior, req: &Request) -> Response {
    match behavior {
        Behavior::App => Response::new(200, "OK")
            .header("Content-Type", "text/html")
            .header("Server", "lab-app")
            .body(format!("<html><body>hello from the app; Host={}</body></html>", req.host())),
        Behavior::RedirectToHttps => {
            let host = req.host();
            let host = host.split(':').next().unwrap_or("");
            let (path, query) = req.target.split_once('?').unwrap_or((req.target.as_str(), ""));
            let query = if query.is_empty() { String::new() } else { format!("?{query}") };
            Response::new(301, "Moved Permanently")
                .header("Server", "awselb/2.0")
                .header("Location", format!("https://{host}:443{path}{query}"))
                .header("Content-Type", "text/html")
                .body("<html><head><title>301 Moved Permanently</title></head><body><center><h1>301 Moved Permanently</h1></center></body></html>")
        }
        Behavior::Fixed { status, body } => Response::new(*status, "Fixed")
            .header("Server", "awselb/2.0")
            .header("Content-Type", "text/plain")
            .body(body.clone()),
    }
}

/// As [`start`], behind a TLS listener set up as `setup` (misbehaving TLS origins).
pub async fn start_tls(behavior: Behavior, setup: &super::tls_origin::TlsSetup) -> Origin {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let server = super::tls_origin::start(
        setup,
        server::handler(move |req: Request| {
            if let Ok(mut l) = seen.lock() {
                l.push(req.clone());
            }
            respond(&behavior, &req)
        }),
    )
    .await;
    Origin { server, log }
}
