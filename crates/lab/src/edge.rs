//! A local stand-in for the CloudFront edge, playing the distribution's domain.
//!
//! It reads the distribution from the AWS API emulator and serves viewers the way CloudFront
//! does for the settings the diagnosis looks at: alias check, behavior matching, viewer protocol
//! policy, allowed methods, origin protocol policy and ports, Host and SNI (forwarded or the
//! origin's name), forwarded headers/cookies/query strings, custom origin headers, TLS toward
//! the origin (TLS 1.2 with CloudFront's ECDHE-AES-GCM suites, SNI = the Host it sends, the
//! served chain in issuing order, validated against the trusted roots, hostname = SNI; when
//! `OriginSslProtocols` lists TLS 1.0 or 1.1, one hello offering the listed versions and
//! CloudFront's suites through `openssl s_client`, see [`super::openssl_client`]), connection
//! attempts and timeouts; failures come back as CloudFront's error pages with its headers; a GET
//! with a body gets its 403. It does not cache. It is test equipment and never ships.

use super::openssl_client;
use super::pki::Leaf;
use super::server::{self, BoxFuture, Handler, Request, Response, Server};
use bytes::Bytes;
use cf_origin_doctor::evidence::{Distribution, OriginProtocolPolicy, ViewerProtocolPolicy};
use cf_origin_doctor::forwarding;
use cf_origin_doctor::inventory::AwsApi;
use cf_origin_doctor::inventory::aws::SdkApi;
use cf_origin_doctor::request::ConnectTo;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::timeout;

pub const REASON_CONNECT: &str = "CloudFront wasn't able to connect to the origin.";
pub const REASON_TIMEOUT: &str = "CloudFront attempted to establish a connection with the origin, but either the attempt failed or the origin closed the connection.";
pub const REASON_DNS: &str = "CloudFront wasn't able to resolve the origin domain name.";
pub const REASON_METHOD: &str = "This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.";
pub const REASON_BAD_REQUEST: &str = "Bad request. We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.";
pub const REASON_DISABLED: &str = "The distribution is disabled.";

#[derive(Clone)]
pub struct EdgeOptions {
    pub connect_to: Vec<ConnectTo>,
    /// PEM trust anchors for origin certificates (the lab CA stands in for Mozilla's roots).
    pub origin_roots_pem: String,
    /// Multiplies CloudFront's timeouts (connection timeout, read timeout) to keep tests short.
    pub timeout_scale: f64,
    /// Where to write CloudFront's record of each request (access logs, metrics); `None`: nowhere.
    pub log_targets: Option<super::edge_logs::EdgeLogTargets>,
}

pub struct Edge {
    pub http: Server,
    pub https: Server,
}

struct State {
    dist: Distribution,
    opts: EdgeOptions,
    tls: Arc<rustls::ClientConfig>,
    /// The origin trust anchors as a PEM file, for `openssl s_client`.
    roots_file: tempfile::NamedTempFile,
    counter: AtomicU64,
    log: Option<super::edge_logs::EdgeLog>,
}

pub async fn start(api: &SdkApi, distribution_id: &str, viewer_cert: Leaf, opts: EdgeOptions) -> Edge {
    let dist = api.get_distribution(distribution_id).await.expect("edge reads the distribution from the emulator");
    let mut roots = rustls::RootCertStore::empty();
    use rustls_pki_types::pem::PemObject;
    for c in rustls_pki_types::CertificateDer::pem_slice_iter(opts.origin_roots_pem.as_bytes()) {
        roots.add(c.expect("root pem")).expect("add root");
    }
    let p = rustls::crypto::ring::default_provider();
    let provider = rustls::crypto::CryptoProvider {
        cipher_suites: vec![
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        kx_groups: vec![
            rustls::crypto::ring::kx_group::X25519,
            rustls::crypto::ring::kx_group::SECP256R1,
            rustls::crypto::ring::kx_group::SECP384R1,
        ],
        ..p
    };
    let provider = Arc::new(provider);
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("origin verifier");
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("tls12")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ServedOrder(webpki)))
        .with_no_client_auth();
    let mut roots_file = tempfile::NamedTempFile::new().expect("roots temp file");
    std::io::Write::write_all(&mut roots_file, opts.origin_roots_pem.as_bytes()).expect("write roots");
    let log = opts.log_targets.clone().map(|t| super::edge_logs::EdgeLog::new(t, &dist));
    let state = Arc::new(State { dist, opts, tls: Arc::new(tls), roots_file, counter: AtomicU64::new(0), log });
    let s1 = state.clone();
    let h_http: Handler = Arc::new(move |req| -> BoxFuture {
        let s = s1.clone();
        Box::pin(async move { handle_logged(s, req).await })
    });
    let s2 = state;
    let h_https: Handler = Arc::new(move |req| -> BoxFuture {
        let s = s2.clone();
        Box::pin(async move { handle_logged(s, req).await })
    });
    Edge { http: server::start(None, h_http).await, https: server::start(Some(viewer_cert), h_https).await }
}

fn request_id(state: &State) -> String {
    let n = state.counter.fetch_add(1, Ordering::Relaxed);
    format!("LAB{n:08}-{}", state.dist.id)
}

fn decorate(state: &State, resp: Response, error: bool) -> Response {
    resp.header("Via", "1.1 lab0000000000000000.cloudfront.net (CloudFront)")
        .header("X-Cache", if error { "Error from cloudfront" } else { "Miss from cloudfront" })
        .header("X-Amz-Cf-Pop", "LAB50-C1")
        .header("X-Amz-Cf-Id", request_id(state))
}

/// CloudFront's generated error page (AWS "Troubleshooting error responses", `HTTPStatusCodes.html`).
fn error_page(state: &State, status: u16, reason: &str) -> Response {
    let title = match status {
        403 => "Forbidden",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n<H1>{status} ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\n{reason}\n<BR clear=\"all\">\nIf you provide content to customers through CloudFront, you can find steps to troubleshoot and help prevent this error by reviewing the CloudFront documentation.\n<BR clear=\"all\">\n<HR noshade size=\"1px\">\n<PRE>\nGenerated by cloudfront (CloudFront)\nRequest ID: {}\n</PRE>\n<ADDRESS>\n</ADDRESS>\n</BODY></HTML>",
        request_id(state)
    );
    let resp =
        Response::new(status, title).header("Server", "CloudFront").header("Content-Type", "text/html").body(body);
    decorate(state, resp, true)
}

/// The edge locations the stand-in takes turns playing, as CloudFront spreads viewers over them.
const EDGE_LOCATIONS: &[&str] = &["LAB50-C1", "LAB51-C2", "LAB52-P1"];

/// CloudFront's result types for an answer: (`x-edge-result-type`, `x-edge-detailed-result-type`),
/// from the standard logs reference.
fn result_types(resp: &Response) -> (&'static str, &'static str) {
    let body = String::from_utf8_lossy(&resp.body);
    let generated = resp.headers.iter().any(|(n, v)| n == "Server" && v == "CloudFront")
        && body.contains("Generated by cloudfront");
    if !generated {
        return if resp.status >= 400 { ("Error", "Error") } else { ("Miss", "Miss") };
    }
    let detailed = match resp.status {
        502 if body.contains(REASON_DNS) => "OriginDnsError",
        502 if body.contains(REASON_CONNECT) => "OriginConnectError",
        502 | 504 => "OriginCommError",
        403 if body.contains(REASON_METHOD) => "InvalidRequestMethod",
        403 => "InvalidRequest",
        _ => "Error",
    };
    ("Error", detailed)
}

/// Serves one request and records it as CloudFront would (access log line, metrics).
async fn handle_logged(state: Arc<State>, req: Request) -> Response {
    let started = std::time::Instant::now();
    let Some(log) = &state.log else {
        return handle(state.clone(), req).await;
    };
    let (method, host, target, https) = (req.method.clone(), req.host(), req.target.clone(), req.tls);
    let cookie = req.header("cookie").map(str::to_string);
    // Every lab viewer shares loopback: a test may name the viewer address it stands for.
    let viewer_ip = req.header("x-lab-viewer-address").map_or_else(|| req.peer.ip().to_string(), str::to_string);
    let n = state.counter.load(Ordering::Relaxed);
    let resp = handle(state.clone(), req).await;
    let (result_type, detailed) = result_types(&resp);
    let served = super::edge_logs::Served {
        method: &method,
        host: &host,
        target: &target,
        status: resp.status,
        result_type,
        detailed_result_type: detailed,
        viewer_ip,
        cookie: cookie.as_deref(),
        https,
        elapsed: started.elapsed(),
        edge_location: EDGE_LOCATIONS[(n as usize) % EDGE_LOCATIONS.len()],
        bytes: resp.body.len(),
    };
    log.record(served, state.opts.timeout_scale).await;
    resp
}

async fn handle(state: Arc<State>, req: Request) -> Response {
    let d = &state.dist;
    let host = req.host().split(':').next().unwrap_or("").to_ascii_lowercase();
    if !d.viewer_hostnames().iter().any(|n| n.eq_ignore_ascii_case(&host)) {
        return error_page(&state, 403, REASON_BAD_REQUEST);
    }
    if !d.enabled {
        return error_page(&state, 403, REASON_DISABLED);
    }
    let behavior = d.behavior_for_path(&req.target);
    let viewer_https = req.tls;
    if !viewer_https {
        match behavior.viewer_protocol_policy {
            ViewerProtocolPolicy::HttpsOnly => return error_page(&state, 403, REASON_BAD_REQUEST),
            ViewerProtocolPolicy::RedirectToHttps => {
                let status = if matches!(req.method.as_str(), "GET" | "HEAD") { 301 } else { 307 };
                let resp = Response::new(status, "Moved Permanently")
                    .header("Server", "CloudFront")
                    .header("Location", format!("https://{host}{}", req.target));
                return decorate(&state, resp, false);
            }
            _ => {}
        }
    }
    // CloudFront refuses a GET that carries a body, whatever the behavior allows (AWS
    // "Request and response behavior for custom origins", GET requests that include a body).
    // The sentence of its page for this case is not documented; this stand-in uses the generic one.
    let declared_body = req.header("content-length").and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(0);
    if req.method == "GET" && (declared_body > 0 || !req.body.is_empty()) {
        return error_page(&state, 403, REASON_BAD_REQUEST);
    }
    if !behavior.allowed_methods.iter().any(|m| m.eq_ignore_ascii_case(&req.method)) {
        return error_page(&state, 403, REASON_METHOD);
    }
    let Some(origin) = d.origin(&behavior.target_origin_id) else {
        return error_page(&state, 502, REASON_CONNECT);
    };
    let Some(custom) = origin.custom() else {
        return error_page(&state, 502, REASON_CONNECT);
    };
    let https = match custom.protocol_policy {
        OriginProtocolPolicy::HttpOnly => false,
        OriginProtocolPolicy::HttpsOnly => true,
        _ => viewer_https,
    };
    let port = if https { custom.https_port } else { custom.http_port };
    let fwd = match forwarding::for_behavior(behavior) {
        Ok(f) => f,
        Err(_) => return error_page(&state, 502, REASON_CONNECT),
    };
    let host_header = if fwd.forwards_host() { req.host() } else { origin.domain_name.clone() };

    // Name resolution: the lab has no DNS; only --connect-to style entries resolve.
    let origin_host = origin.domain_name.to_ascii_lowercase();
    let Some(target) = state.opts.connect_to.iter().find(|c| c.host == origin_host && c.port == port).map(|c| c.target)
    else {
        return error_page(&state, 502, REASON_DNS);
    };
    let scale = state.opts.timeout_scale;
    let connect_timeout = Duration::from_secs_f64(f64::from(origin.connection_timeout_s) * scale);
    let read_timeout = Duration::from_secs_f64(f64::from(custom.read_timeout_s) * scale);
    let mut tcp = None;
    let mut refused = false;
    for _ in 0..origin.connection_attempts.max(1) {
        match timeout(connect_timeout, TcpStream::connect(target)).await {
            Ok(Ok(s)) => {
                tcp = Some(s);
                break;
            }
            Ok(Err(_)) => refused = true,
            Err(_) => {}
        }
    }
    let Some(tcp) = tcp else {
        return if refused { error_page(&state, 502, REASON_CONNECT) } else { error_page(&state, 504, REASON_TIMEOUT) };
    };

    // The origin request as CloudFront builds it.
    let (path, query) = req.target.split_once('?').unwrap_or((req.target.as_str(), ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && fwd.query_strings.contains(kv.split('=').next().unwrap_or("")))
        .collect();
    let uri = if kept.is_empty() {
        format!("{}{path}", origin.origin_path)
    } else {
        format!("{}{path}?{}", origin.origin_path, kept.join("&"))
    };
    let mut builder =
        hyper::Request::builder().method(req.method.as_str()).uri(uri).header("Host", host_header.as_str());
    for (name, value) in &req.headers {
        let lname = name.to_ascii_lowercase();
        if matches!(lname.as_str(), "host" | "connection" | "user-agent" | "x-forwarded-for" | "via" | "cookie") {
            continue;
        }
        if fwd.headers.contains(&lname) {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    if let Some(cookies) = req.header("cookie") {
        let kept: Vec<&str> = cookies
            .split(';')
            .map(str::trim)
            .filter(|c| fwd.cookies.contains(c.split('=').next().unwrap_or("")))
            .collect();
        if !kept.is_empty() {
            builder = builder.header("Cookie", kept.join("; "));
        }
    }
    let ua = if fwd.headers.contains("user-agent") {
        req.header("user-agent").unwrap_or("Amazon CloudFront")
    } else {
        "Amazon CloudFront"
    };
    builder = builder
        .header("User-Agent", ua)
        .header("X-Forwarded-For", req.peer.ip().to_string())
        .header("Via", "1.1 lab0000000000000000.cloudfront.net (CloudFront)")
        .header("X-Amz-Cf-Id", request_id(&state))
        .header("Connection", "close");
    for h in &origin.custom_headers {
        if let Some(v) = h.value.expose() {
            builder = builder.header(h.name.as_str(), v);
        }
    }
    let Ok(origin_req) = builder.body(Empty::<Bytes>::new()) else {
        return error_page(&state, 502, REASON_CONNECT);
    };

    let result = if https {
        let sni = host_header.split(':').next().unwrap_or("").to_string();
        if openssl_client::needed(&custom.ssl_protocols) {
            // CloudFront's one hello offers every listed version: TLS 1.0/1.1 need OpenSSL. The
            // TCP connect above stands for CloudFront's attempts; s_client makes its own.
            drop(tcp);
            let budget = connect_timeout + read_timeout;
            let Some(mut conn) = openssl_client::connect(target, &sni, &custom.ssl_protocols, state.roots_file.path())
            else {
                return error_page(&state, 502, REASON_CONNECT);
            };
            let fetched = match timeout(budget, fetch(conn.io, origin_req, read_timeout)).await {
                Ok(f) => f,
                Err(_) => Fetched::Timeout,
            };
            if matches!(fetched, Fetched::Failed) {
                // No answer: a failed handshake (s_client exits non-zero) is CloudFront's 502.
                let status = timeout(Duration::from_secs(1), conn.child.wait()).await;
                if !matches!(status, Ok(Ok(s)) if s.success()) {
                    return error_page(&state, 502, REASON_CONNECT);
                }
            }
            fetched
        } else {
            if !custom.ssl_protocols.iter().any(|p| p == "TLSv1.2") {
                // CloudFront offers only the listed protocols; SSLv3 is not staged by the lab.
                return error_page(&state, 502, REASON_CONNECT);
            }
            let Ok(name) = rustls_pki_types::ServerName::try_from(sni) else {
                return error_page(&state, 502, REASON_CONNECT);
            };
            let connector = tokio_rustls::TlsConnector::from(state.tls.clone());
            match timeout(connect_timeout, connector.connect(name, tcp)).await {
                Ok(Ok(tls)) => fetch(tls, origin_req, read_timeout).await,
                _ => return error_page(&state, 502, REASON_CONNECT),
            }
        }
    } else {
        fetch(tcp, origin_req, read_timeout).await
    };
    match result {
        Fetched::Response(parts, body) => {
            let mut resp = Response::new(parts.status.as_u16(), parts.status.canonical_reason().unwrap_or(""));
            for (name, value) in parts.headers.iter() {
                let n = name.as_str();
                if matches!(n, "connection" | "transfer-encoding" | "content-length" | "keep-alive") {
                    continue;
                }
                resp = resp.header(n, value.to_str().unwrap_or(""));
            }
            let error = parts.status.as_u16() >= 400;
            decorate(&state, resp.body(body.to_vec()), error)
        }
        Fetched::Timeout => error_page(&state, 504, REASON_TIMEOUT),
        Fetched::Failed => error_page(&state, 502, REASON_TIMEOUT),
    }
}

/// CloudFront's rule for the origin's chain (AWS "Requirements for using SSL/TLS certificates
/// with CloudFront": a chain in the wrong order fails with 502): the
/// served chain must start with the leaf and each next certificate must be the issuer of the one
/// before it. rustls (webpki) builds a path from the intermediates in any order, so the order is
/// checked here first; the rest (trust, dates, name = SNI) is webpki's.
#[derive(Debug)]
struct ServedOrder(Arc<rustls::client::WebPkiServerVerifier>);

/// Whether each certificate after the first is the issuer (by name) of the one before it.
pub fn served_in_issuing_order(chain: &[&[u8]]) -> bool {
    let names = |der: &[u8]| {
        x509_parser::parse_x509_certificate(der)
            .ok()
            .map(|(_, c)| (c.subject().as_raw().to_vec(), c.issuer().as_raw().to_vec()))
    };
    let parsed: Vec<_> = chain.iter().map(|d| names(d)).collect();
    parsed.windows(2).all(|w| matches!((&w[0], &w[1]), (Some((_, issuer)), Some((subject, _))) if issuer == subject))
}

impl rustls::client::danger::ServerCertVerifier for ServedOrder {
    fn verify_server_cert(
        &self,
        end_entity: &rustls_pki_types::CertificateDer<'_>,
        intermediates: &[rustls_pki_types::CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let served: Vec<&[u8]> = std::iter::once(end_entity).chain(intermediates).map(|c| c.as_ref()).collect();
        if !served_in_issuing_order(&served) {
            return Err(rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding));
        }
        self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

enum Fetched {
    Response(hyper::http::response::Parts, Bytes),
    Timeout,
    Failed,
}

async fn fetch<S>(stream: S, req: hyper::Request<Empty<Bytes>>, read_timeout: Duration) -> Fetched
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await else {
        return Fetched::Failed;
    };
    tokio::spawn(conn);
    let resp = match timeout(read_timeout, sender.send_request(req)).await {
        Err(_) => return Fetched::Timeout,
        Ok(Err(_)) => return Fetched::Failed,
        Ok(Ok(r)) => r,
    };
    let (parts, body) = resp.into_parts();
    match timeout(read_timeout, Limited::new(body, 8 * 1024 * 1024).collect()).await {
        Err(_) => Fetched::Timeout,
        Ok(Err(_)) => Fetched::Failed,
        Ok(Ok(b)) => Fetched::Response(parts, b.to_bytes()),
    }
}
