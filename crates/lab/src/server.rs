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
    /// How the bytes go out when not all at once (slow, chunked, huge); `None`: all at once.
    pub raw: Option<Raw>,
    /// Keep the connection open for another request for this long (`Connection: keep-alive`,
    /// no `Keep-Alive` header), unless the client asked to close it; `None`: close after this
    /// response.
    pub keep_alive: Option<std::time::Duration>,
}

/// Misbehaving ways of sending a response. Huge parts are generated while writing, never held
/// in memory.
#[derive(Debug, Clone)]
pub enum Raw {
    /// Wait this long before the first byte, then send the response as usual.
    Delay(std::time::Duration),
    /// The head with `Transfer-Encoding: chunked`, then each chunk after its delay.
    Chunks(Vec<(std::time::Duration, Vec<u8>)>),
    /// `Content-Length: n` and n bytes of body, written in blocks until done or the peer leaves.
    HugeBody(u64),
    /// Header fields totalling about n bytes, then an empty body.
    HugeHeaders(usize),
    /// Accept the request and never answer (the connection stays open until the peer leaves).
    Silent,
    /// These bytes exactly, whatever they are (HTTP/2 frames, a malformed head), then close.
    Verbatim(Vec<u8>),
    /// Close the connection without answering.
    Close,
}

impl Response {
    pub fn new(status: u16, reason: &str) -> Self {
        Response {
            status,
            reason: reason.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            raw: None,
            keep_alive: None,
        }
    }

    pub fn keep_alive(mut self, idle: std::time::Duration) -> Self {
        self.keep_alive = Some(idle);
        self
    }

    pub fn raw(mut self, raw: Raw) -> Self {
        self.raw = Some(raw);
        self
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
        let connection = if self.keep_alive.is_some() { "keep-alive" } else { "close" };
        out.push_str(&format!("Content-Length: {}\r\nConnection: {connection}\r\n\r\n", self.body.len()));
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
    start_inner(tls, handler, None).await
}

/// A TLS server that, like nginx on its `ssl` port, also reads a plain-HTTP request (the
/// connection's first byte is not a TLS handshake record) and hands it to `plain`.
pub async fn start_tls_with_plain(tls: Arc<rustls::ServerConfig>, handler: Handler, plain: Handler) -> Server {
    start_inner(Some(tls), handler, Some(plain)).await
}

/// The first byte of a TLS handshake record (RFC 8446 5.1, ContentType handshake).
const TLS_HANDSHAKE: u8 = 22;

async fn start_inner(tls: Option<Arc<rustls::ServerConfig>>, handler: Handler, plain: Option<Handler>) -> Server {
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
            let plain = plain.clone();
            tokio::spawn(async move {
                if let (Some(plain), Some(_)) = (plain, &acceptor) {
                    let mut first = [0u8; 1];
                    if matches!(tcp.peek(&mut first).await, Ok(1) if first[0] != TLS_HANDSHAKE) {
                        return serve(tcp, peer, false, None, plain).await;
                    }
                }
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
    // After a keep-alive response: how long to wait for the next request before closing.
    let mut idle: Option<std::time::Duration> = None;
    loop {
        let next = read_request(&mut s, &mut buf, peer, tls, sni.clone());
        let request = match idle {
            None => next.await,
            Some(d) => tokio::time::timeout(d, next).await.ok().flatten(),
        };
        let Some(request) = request else { break };
        let client_closes = request.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let response = handler(request).await;
        match response.raw.clone() {
            None => {
                let _ = s.write_all(&response.to_bytes()).await;
            }
            Some(raw) => write_raw(&mut s, &response, raw).await,
        }
        let _ = s.flush().await;
        match response.keep_alive {
            Some(d) if !client_closes && response.raw.is_none() => idle = Some(d),
            _ => break,
        }
    }
    let _ = s.shutdown().await;
}

/// Reads one request (head and Content-Length body) from the connection; `None` when the
/// client closed it or sent something unreadable (answered with 400).
async fn read_request<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
    peer: SocketAddr,
    tls: bool,
    sni: Option<String>,
) -> Option<Request> {
    let mut chunk = [0u8; 4096];
    let mut request = loop {
        if !buf.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 128];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(buf) {
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
                Ok(httparse::Status::Partial) if buf.len() < 256 * 1024 => {}
                _ => {
                    let _ = s.write_all(&Response::new(400, "Bad Request").to_bytes()).await;
                    return None;
                }
            }
        }
        let Ok(n) = s.read(&mut chunk).await else {
            return None;
        };
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let length =
        request.header("content-length").and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0).min(1 << 20);
    while buf.len() < length {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body: Vec<u8> = buf.drain(..length.min(buf.len())).collect();
    request.body = body;
    Some(request)
}

fn head(r: &Response) -> String {
    let mut out = format!("HTTP/1.1 {} {}\r\n", r.status, r.reason);
    for (n, v) in &r.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out
}

async fn write_raw<S: AsyncWrite + Unpin>(s: &mut S, r: &Response, raw: Raw) {
    match raw {
        Raw::Delay(d) => {
            tokio::time::sleep(d).await;
            let _ = s.write_all(&r.to_bytes()).await;
        }
        Raw::Chunks(parts) => {
            let h = head(r) + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            if s.write_all(h.as_bytes()).await.is_err() {
                return;
            }
            let _ = s.flush().await;
            for (delay, data) in parts {
                tokio::time::sleep(delay).await;
                let mut c = format!("{:x}\r\n", data.len()).into_bytes();
                c.extend_from_slice(&data);
                c.extend_from_slice(b"\r\n");
                if s.write_all(&c).await.is_err() || s.flush().await.is_err() {
                    return;
                }
            }
            let _ = s.write_all(b"0\r\n\r\n").await;
        }
        Raw::HugeBody(len) => {
            let h = head(r) + &format!("Content-Length: {len}\r\nConnection: close\r\n\r\n");
            if s.write_all(h.as_bytes()).await.is_err() {
                return;
            }
            let block = vec![b'x'; 64 * 1024];
            let mut left = len;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                if s.write_all(&block[..n]).await.is_err() {
                    return;
                }
                left -= n as u64;
            }
        }
        Raw::HugeHeaders(len) => {
            if s.write_all(head(r).as_bytes()).await.is_err() {
                return;
            }
            let line = format!("X-Padding: {}\r\n", "p".repeat(1000));
            let mut sent = 0;
            while sent < len {
                if s.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
                sent += line.len();
            }
            let _ = s.write_all(b"Content-Length: 0\r\nConnection: close\r\n\r\n").await;
        }
        Raw::Silent => tokio::time::sleep(std::time::Duration::from_secs(120)).await,
        Raw::Verbatim(bytes) => {
            let _ = s.write_all(&bytes).await;
        }
        Raw::Close => {}
    }
}

/// A loopback port where TCP connects time out: a listener with a zero backlog that never
/// accepts, its queue filled by one held connection, so the kernel drops further SYNs.
pub struct BlackHole {
    pub addr: SocketAddr,
    _listener: TcpListener,
    _held: Vec<tokio::net::TcpStream>,
}

pub async fn black_hole() -> BlackHole {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    let listener = socket.listen(0).expect("listen");
    let addr = listener.local_addr().expect("local addr");
    let mut held = Vec::new();
    for _ in 0..4 {
        match tokio::time::timeout(std::time::Duration::from_millis(300), tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(s)) => held.push(s),
            _ => break,
        }
    }
    BlackHole { addr, _listener: listener, _held: held }
}

/// A loopback address where nothing listens (connects are refused).
pub fn refused_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    addr
}

/// Wraps a synchronous closure as a handler.
pub fn handler(f: impl Fn(Request) -> Response + Send + Sync + 'static) -> Handler {
    let f = Arc::new(f);
    Arc::new(move |req| {
        let f = f.clone();
        Box::pin(async move { f(req) })
    })
}
