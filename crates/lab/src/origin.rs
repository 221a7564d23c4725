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
    /// The application, answering only after a delay.
    SlowFirstByte(std::time::Duration),
    /// The application, streaming its body in chunks with pauses.
    Chunks(Vec<(std::time::Duration, String)>),
    /// 403 to `User-Agent: Amazon CloudFront`, the application otherwise.
    RejectCloudFrontUserAgent,
    /// A body of this many bytes (generated while sending).
    HugeBody(u64),
    /// A response head of about this many bytes (generated while sending).
    HugeHeaders(usize),
    /// 302 to this absolute URL for every request.
    RedirectTo(String),
    /// Name-based routing: the application for these Hosts, a fixed 404 for any other.
    RequireHost(Vec<String>),
    /// An ALB rule that forwards only requests carrying this header with this value; others get
    /// the default action's fixed 403.
    RequireHeader { name: String, value: String },
    /// 405 with `Allow` listing these methods to any other method; the application otherwise.
    AllowOnly(Vec<String>),
    /// The application, but 401 with `WWW-Authenticate` unless an Authorization header came.
    RequireAuthorization,
    /// Accepts and never answers.
    Silent,
    /// The application, redirecting `/` to `http://<the Host it received>/login`, as an app
    /// that builds absolute URLs from Host does.
    RedirectFromHost,
    /// The application, but 400 unless the request carries this cookie.
    RequireCookie(String),
    /// These bytes as the whole answer (HTTP/2 frames, a malformed or oversized head, ...).
    Verbatim(Vec<u8>),
    /// A web server's name-based virtual hosts (nginx `server_name`): the application for these
    /// Hosts, the default server's 404 for any other.
    VirtualHosts(Vec<String>),
    /// The application, but 400 unless the query string carries this parameter.
    RequireQuery(String),
    /// `then` on this path (the target without its query), the application on every other.
    OnPath { path: String, then: Box<Behavior> },
    /// The application, but every n-th request (counted over all the origin receives) has its
    /// connection closed without an answer: an intermittent failure.
    FailEvery(usize),
}

/// Every request an origin received, for assertions.
pub type Log = Arc<Mutex<Vec<Request>>>;

pub struct Origin {
    pub server: Server,
    pub log: Log,
}

pub async fn start(behavior: Behavior, tls: Option<Leaf>) -> Origin {
    let (log, handler) = logged(behavior);
    Origin { server: server::start(tls, handler).await, log }
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
        Behavior::SlowFirstByte(d) => respond(&Behavior::App, req).raw(server::Raw::Delay(*d)),
        Behavior::Chunks(parts) => Response::new(200, "OK")
            .header("Server", "lab-app")
            .header("Content-Type", "text/plain")
            .raw(server::Raw::Chunks(parts.iter().map(|(d, s)| (*d, s.clone().into_bytes())).collect())),
        Behavior::RejectCloudFrontUserAgent => {
            if req.header("user-agent") == Some("Amazon CloudFront") {
                Response::new(403, "Forbidden").header("Server", "lab-app").body("bots are not welcome here")
            } else {
                respond(&Behavior::App, req)
            }
        }
        Behavior::HugeBody(n) => Response::new(200, "OK").header("Server", "lab-app").raw(server::Raw::HugeBody(*n)),
        Behavior::HugeHeaders(n) => Response::new(200, "OK").raw(server::Raw::HugeHeaders(*n)),
        Behavior::RedirectTo(url) => {
            Response::new(302, "Found").header("Server", "lab-app").header("Location", url.clone())
        }
        Behavior::RequireHost(hosts) => {
            let h = req.host();
            let h = h.split(':').next().unwrap_or("");
            if hosts.iter().any(|x| x.eq_ignore_ascii_case(h)) {
                respond(&Behavior::App, req)
            } else {
                Response::new(404, "Not Found").header("Server", "awselb/2.0").body("no site for this host")
            }
        }
        Behavior::RequireHeader { name, value } => {
            if req.header(name) == Some(value.as_str()) {
                respond(&Behavior::App, req)
            } else {
                Response::new(403, "Forbidden").header("Server", "awselb/2.0").body("Access denied")
            }
        }
        Behavior::AllowOnly(methods) => {
            if methods.iter().any(|m| m.eq_ignore_ascii_case(&req.method)) {
                respond(&Behavior::App, req).header("Allow", methods.join(", "))
            } else {
                Response::new(405, "Method Not Allowed").header("Allow", methods.join(", "))
            }
        }
        Behavior::RequireAuthorization => {
            if req.header("authorization").is_some() {
                respond(&Behavior::App, req)
            } else {
                Response::new(401, "Unauthorized").header("WWW-Authenticate", "Bearer realm=\"lab\"")
            }
        }
        Behavior::Silent => Response::new(200, "OK").raw(server::Raw::Silent),
        Behavior::Verbatim(bytes) => Response::new(200, "OK").raw(server::Raw::Verbatim(bytes.clone())),
        Behavior::RedirectFromHost => {
            if req.target == "/" {
                Response::new(302, "Found")
                    .header("Server", "lab-app")
                    .header("Location", format!("http://{}/login", req.host()))
            } else {
                respond(&Behavior::App, req)
            }
        }
        Behavior::RequireCookie(name) => {
            let has = req
                .header("cookie")
                .is_some_and(|c| c.split(';').any(|kv| kv.trim().split('=').next() == Some(name.as_str())));
            if has {
                respond(&Behavior::App, req)
            } else {
                Response::new(400, "Bad Request").header("Server", "lab-app").body("missing session cookie")
            }
        }
        Behavior::VirtualHosts(hosts) => {
            let h = req.host();
            let h = h.split(':').next().unwrap_or("");
            if hosts.iter().any(|x| x.eq_ignore_ascii_case(h)) {
                respond(&Behavior::App, req)
            } else {
                let body = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
                Response::new(404, "Not Found").header("Server", "nginx").header("Content-Type", "text/html").body(body)
            }
        }
        Behavior::RequireQuery(name) => {
            let query = req.target.split_once('?').map_or("", |(_, q)| q);
            if query.split('&').any(|kv| kv.split('=').next() == Some(name.as_str())) {
                respond(&Behavior::App, req)
            } else {
                Response::new(400, "Bad Request")
                    .header("Server", "lab-app")
                    .header("Content-Type", "application/json")
                    .body(format!("{{\"error\":\"missing query parameter {name}\"}}"))
            }
        }
        Behavior::OnPath { path, then } => {
            let here = req.target.split(['?', '#']).next() == Some(path.as_str());
            respond(if here { then } else { &Behavior::App }, req)
        }
        // The count is kept by `logged`; alone it is the application.
        Behavior::FailEvery(_) => respond(&Behavior::App, req),
    }
}

/// What nginx answers a plain-HTTP request that arrives on its TLS port (`listen 443 ssl`):
/// 400 with its own page, instead of failing a handshake.
pub fn nginx_plain_http_on_tls_port() -> Response {
    let body = "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    Response::new(400, "Bad Request").header("Server", "nginx").header("Content-Type", "text/html").body(body)
}

/// As [`start`], behind a TLS listener set up as `setup` (misbehaving TLS origins).
pub async fn start_tls(behavior: Behavior, setup: &super::tls_origin::TlsSetup) -> Origin {
    let (log, handler) = logged(behavior);
    Origin { server: super::tls_origin::start(setup, handler).await, log }
}

/// As [`start_tls`], and a plain-HTTP request on the TLS port gets nginx's 400
/// ([`nginx_plain_http_on_tls_port`]); such requests are logged too.
pub async fn start_tls_nginx(behavior: Behavior, setup: &super::tls_origin::TlsSetup) -> Origin {
    let (log, handler) = logged(behavior);
    let seen = log.clone();
    let plain = server::handler(move |req: Request| {
        if let Ok(mut l) = seen.lock() {
            l.push(req);
        }
        nginx_plain_http_on_tls_port()
    });
    let config = super::tls_origin::server_config(setup);
    Origin { server: server::start_tls_with_plain(config, handler, plain).await, log }
}

/// A handler that logs each request and answers as `behavior` says.
fn logged(behavior: Behavior) -> (Log, server::Handler) {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let handler = server::handler(move |req: Request| {
        let n = match seen.lock() {
            Ok(mut l) => {
                l.push(req.clone());
                l.len()
            }
            Err(_) => 0,
        };
        match &behavior {
            Behavior::FailEvery(every) if *every > 0 && n % every == 0 => {
                Response::new(200, "OK").raw(server::Raw::Verbatim(Vec::new()))
            }
            _ => respond(&behavior, &req),
        }
    });
    (log, handler)
}
