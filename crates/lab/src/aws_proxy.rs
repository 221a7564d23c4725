//! A loopback proxy in front of the AWS API emulator that can delay every call and inject what
//! the emulator cannot produce: AccessDenied, throttling (then success), and multi-page
//! answers. Faults are chosen per API action (`DescribeSecurityGroups`, `GetDistribution`), or
//! for every action of a query-protocol service (`ec2:*`, `elasticloadbalancing:*`).

use super::server::{self, BoxFuture, Handler, Request, Response, Server};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone)]
pub enum Fault {
    /// 403 AccessDenied (UnauthorizedOperation for EC2).
    Deny,
    /// Throttled the first `times` calls, then forwarded.
    Throttle { times: u32 },
    /// Canned XML pages: page N answers a request whose marker/token is `pN` (page 0 has none).
    Pages(Vec<String>),
}

pub struct AwsProxy {
    pub server: Server,
    pub endpoint: String,
    /// Every action seen, in order of arrival.
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl AwsProxy {
    pub fn count(&self, action: &str) -> usize {
        self.seen.lock().map(|s| s.iter().filter(|a| *a == action).count()).unwrap_or(0)
    }
}

fn form_value<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    body.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v))
}

/// The API action of a request: the `Action` form field (EC2, ELBv2), else from the
/// CloudFront REST path.
pub fn action_of(req: &Request) -> String {
    let body = String::from_utf8_lossy(&req.body);
    if let Some(a) = form_value(&body, "Action") {
        return a.to_string();
    }
    let path = req.target.split('?').next().unwrap_or("");
    let query = req.target.split_once('?').map_or("", |(_, q)| q);
    if req.method == "GET" && path.contains("/distribution/") {
        if path.ends_with("/config") { "GetDistributionConfig".into() } else { "GetDistribution".into() }
    } else if let Some(s3) = s3_action(&req.method, path, query) {
        s3.into()
    } else {
        format!("{} {path}", req.method)
    }
}

/// The S3 action of a path-style request (`/bucket`, `/bucket/key`), as the SDK sends them.
fn s3_action(method: &str, path: &str, query: &str) -> Option<&'static str> {
    if path.starts_with("/20") || path == "/" || path.starts_with("/moto-api") {
        return None;
    }
    let segments = path.trim_start_matches('/').splitn(2, '/').filter(|s| !s.is_empty()).count();
    match (method, segments) {
        ("GET", 1) if query.contains("list-type=2") => Some("ListObjectsV2"),
        ("HEAD", 1) => Some("HeadBucket"),
        ("GET", 2) => Some("GetObject"),
        _ => None,
    }
}

fn is_s3(req: &Request) -> bool {
    let path = req.target.split('?').next().unwrap_or("");
    let query = req.target.split_once('?').map_or("", |(_, q)| q);
    s3_action(&req.method, path, query).is_some()
}

fn is_ec2(req: &Request) -> bool {
    service_of(req) == Some("ec2")
}

/// The service of a query-protocol request, from its API version.
pub fn service_of(req: &Request) -> Option<&'static str> {
    match form_value(&String::from_utf8_lossy(&req.body), "Version")? {
        "2016-11-15" => Some("ec2"),
        "2015-12-01" => Some("elasticloadbalancing"),
        _ => None,
    }
}

fn error(req: &Request, status: u16, code: &str, message: &str) -> Response {
    let body = if is_s3(req) {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>lab</RequestId></Error>"
        )
    } else if is_ec2(req) {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>lab</RequestID></Response>"
        )
    } else {
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>lab</RequestId></ErrorResponse>"
        )
    };
    Response::new(status, "Error").header("Content-Type", "text/xml").body(body)
}

fn page_index(req: &Request) -> usize {
    let body = String::from_utf8_lossy(&req.body).into_owned();
    let token = form_value(&body, "Marker").or_else(|| form_value(&body, "NextToken")).unwrap_or("");
    token.strip_prefix('p').and_then(|n| n.parse().ok()).unwrap_or(0)
}

async fn forward(upstream: SocketAddr, req: &Request) -> Response {
    let Ok(mut tcp) = tokio::net::TcpStream::connect(upstream).await else {
        return Response::new(502, "Bad Gateway");
    };
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.target);
    for (n, v) in &req.headers {
        if n.eq_ignore_ascii_case("connection") || n.eq_ignore_ascii_case("content-length") {
            continue;
        }
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", req.body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(&req.body);
    if tcp.write_all(&out).await.is_err() {
        return Response::new(502, "Bad Gateway");
    }
    let mut raw = Vec::new();
    let _ = tcp.read_to_end(&mut raw).await;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(head_len)) = resp.parse(&raw) else {
        return Response::new(502, "Bad Gateway");
    };
    let mut r = Response::new(resp.code.unwrap_or(502), resp.reason.unwrap_or(""));
    let mut chunked = false;
    for h in resp.headers.iter() {
        let n = h.name.to_ascii_lowercase();
        if n == "transfer-encoding" {
            chunked = true;
        }
        if matches!(n.as_str(), "content-length" | "connection" | "transfer-encoding") {
            continue;
        }
        r = r.header(h.name, String::from_utf8_lossy(h.value).into_owned());
    }
    let body = raw[head_len..].to_vec();
    r.body(if chunked { dechunk(&body) } else { body })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 || b.len() < pos + 2 + size {
            break;
        }
        out.extend_from_slice(&b[pos + 2..pos + 2 + size]);
        b = &b[(pos + 4 + size).min(b.len())..];
    }
    out
}

/// Starts the proxy; `delay` is added to every call (forwarded or injected).
pub async fn start(upstream: &str, delay: Duration, faults: Vec<(&str, Fault)>) -> AwsProxy {
    start_inner(upstream, delay, faults, false).await
}

/// Like [`start`] without faults, but each distinct request is forwarded once and its answer
/// replayed from memory afterwards: the emulator's own latency (tens of milliseconds under
/// concurrent load) then no longer blurs the fixed delay.
pub async fn start_replaying(upstream: &str, delay: Duration) -> AwsProxy {
    start_inner(upstream, delay, vec![], true).await
}

async fn start_inner(upstream: &str, delay: Duration, faults: Vec<(&str, Fault)>, replay: bool) -> AwsProxy {
    let upstream: SocketAddr =
        upstream.trim_start_matches("http://").parse().expect("upstream is http://127.0.0.1:PORT");
    let faults: HashMap<String, Fault> = faults.into_iter().map(|(a, f)| (a.to_string(), f)).collect();
    let faults = Arc::new(faults);
    let counts: Arc<Mutex<HashMap<String, u32>>> = Arc::new(Mutex::new(HashMap::new()));
    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let cache: Arc<Mutex<HashMap<String, Response>>> = Arc::new(Mutex::new(HashMap::new()));
    let handler: Handler = Arc::new(move |req: Request| -> BoxFuture {
        let faults = faults.clone();
        let counts = counts.clone();
        let log = log.clone();
        let cache = cache.clone();
        Box::pin(async move {
            let action = action_of(&req);
            if let Ok(mut l) = log.lock() {
                l.push(action.clone());
            }
            let n = {
                let mut c = counts.lock().expect("counts");
                let e = c.entry(action.clone()).or_insert(0);
                *e += 1;
                *e
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let fault = faults.get(&action).or_else(|| faults.get(&format!("{}:*", service_of(&req)?)));
            match fault {
                Some(Fault::Deny) => {
                    let code = if is_ec2(&req) { "UnauthorizedOperation" } else { "AccessDenied" };
                    error(&req, 403, code, &format!("lab: not authorized to perform {action}"))
                }
                Some(Fault::Throttle { times }) if n <= *times => {
                    if is_ec2(&req) {
                        error(&req, 503, "RequestLimitExceeded", "Request limit exceeded.")
                    } else {
                        error(&req, 400, "Throttling", "Rate exceeded")
                    }
                }
                Some(Fault::Pages(pages)) => {
                    let i = page_index(&req).min(pages.len().saturating_sub(1));
                    Response::new(200, "OK").header("Content-Type", "text/xml").body(pages[i].clone())
                }
                _ if replay => {
                    let key = format!("{} {} {}", req.method, req.target, String::from_utf8_lossy(&req.body));
                    let hit = cache.lock().ok().and_then(|c| c.get(&key).cloned());
                    match hit {
                        Some(r) => r,
                        None => {
                            let r = forward(upstream, &req).await;
                            if let Ok(mut c) = cache.lock() {
                                c.insert(key, r.clone());
                            }
                            r
                        }
                    }
                }
                _ => forward(upstream, &req).await,
            }
        })
    });
    let server = server::start(None, handler).await;
    let endpoint = format!("http://{}", server.addr);
    AwsProxy { server, endpoint, seen }
}
