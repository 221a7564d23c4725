//! A minimal HTTP/1.1 server on loopback, plain or TLS, that hands each parsed request to a
//! handler and writes back whatever raw response it returns. Misbehaving origins need that
//! control (wrong framing, slow bytes), so this is written by hand rather than with a framework.

use super::pki::Leaf;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub peer: SocketAddr,
    pub tls: bool,
    /// The SNI the client sent, when TLS.
    pub sni: Option<String>,
    /// The request body (Content-Length framing only, capped at 1 MiB).
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn host(&self) -> String {
        self.header("host").unwrap_or("").to_string()
    }
}

/// A response: status, headers, body. `Content-Length` and `Connection: close` are added.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, reason: &str) -> Self {
        Response { status, reason: reason.to_string(), headers: Vec::new(), body: Vec::new() }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (n, v) in &self.headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

pub type BoxFuture = Pin<Box<dyn Future<Output = Response> + Send>>;
pub type Handler = Arc<dyn Fn(Request) -> BoxFuture + Send + Sync>;

pub struct Server {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a server on 127.0.0.1 (random port). `tls` makes it HTTPS with that certificate.
pub async fn start(tls: Option<Leaf>, handler: Handler) -> Server {
    let config = tls.map(|leaf| {
        Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("tls versions")
                .with_no_client_auth()
                .with_single_cert(leaf.chain, leaf.key)
                .expect("server cert"),
        )
    });
    start_with_config(config, handler).await
}

/// Starts a server on 127.0.0.1 (random port) with any TLS server configuration (or plain).
pub async fn start_with_config(tls: Option<Arc<rustls::ServerConfig>>, handler: Handler) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else {
                continue;
            };
            let handler = handler.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match acceptor {
                    None => serve(tcp, peer, false, None, handler).await,
                    Some(acc) => {
                        if let Ok(stream) = acc.accept(tcp).await {
                            let sni = stream.get_ref().1.server_name().map(str::to_string);
                            serve(stream, peer, true, sni, handler).await;
                        }
                    }
                }
            });
        }
    });
    Server { addr, task }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    peer: SocketAddr,
    tls: bool,
    sni: Option<String>,
    handler: Handler,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut request = loop {
        let Ok(n) = s.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let parsed = Request {
                    method: req.method.unwrap_or("").to_string(),
                    target: req.path.unwrap_or("").to_string(),
                    headers: req
                        .headers
                        .iter()
                        .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
                        .collect(),
                    peer,
                    tls,
                    sni,
                    body: Vec::new(),
                };
                buf.drain(..head_len);
                break parsed;
            }
            Ok(httparse::Status::Partial) if buf.len() < 256 * 1024 => continue,
            _ => {
                let _ = s.write_all(&Response::new(400, "Bad Request").to_bytes()).await;
                return;
            }
        }
    };
    let length =
        request.header("content-length").and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0).min(1 << 20);
    while buf.len() < length {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    buf.truncate(length);
    request.body = buf;
    let response = handler(request).await;
    let _ = s.write_all(&response.to_bytes()).await;
    let _ = s.flush().await;
    let _ = s.shutdown().await;
}

/// Wraps a synchronous closure as a handler.
pub fn handler(f: impl Fn(Request) -> Response + Send + Sync + 'static) -> Handler {
    let f = Arc::new(f);
    Arc::new(move |req| {
        let f = f.clone();
        Box::pin(async move { f(req) })
    })
}
