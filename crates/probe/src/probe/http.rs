//! One HTTP/1.1 exchange over TCP or TLS, written by hand so that every byte sent is the one
//! CloudFront would send (Host, headers, no normalisation) and every stage is timed and bounded.
//!
//! Why not an HTTP client library (hyper, reqwest): they normalise what this probe must control
//! (header case and order, a Host that differs from the connect address and the SNI, a GET with
//! a body, no added `Accept`/`User-Agent`/`Accept-Encoding`), follow or refuse redirects by their
//! own rules, and time a request as a whole, while a diagnosis needs the connect, TLS, first
//! byte and body stages timed apart, 1xx heads, framing defects (a `Content-Length` that lies, a
//! chunk size that overflows) recorded as observations rather than errors, and every read capped
//! in bytes. The response head is parsed by `httparse`; only the framing and the bounds are ours.

// Parses what an origin (or a caller) sends: no arithmetic that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

use super::body::BodyReader;
use super::cloudfront_page::recognise_error_page;
use super::target::{ResolveError, Resolver, resolve};
use crate::evidence::{
    ALERT_RECEIVED, CERTIFICATE_REJECTED, Header, Hop, HopResult, HttpResponse, INVALID_SERVER_NAME, ProbeError,
    ProbeStage, ResponseDefect, Scheme, TLS_TIMED_OUT, Timings, TlsErrorKind,
};
pub use crate::plan::Exchange;
use crate::request::{ConnectTo, ProbeLimits};
use rustls_pki_types::ServerName;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant as TokioInstant, timeout, timeout_at};

/// What the exchange needs from its surroundings.
pub struct Context<'a> {
    pub limits: &'a ProbeLimits,
    pub overrides: &'a [ConnectTo],
    pub allow_private: bool,
    pub tls: Arc<rustls::ClientConfig>,
    /// The probe phase's deadline; no hop runs past it.
    pub deadline: TokioInstant,
    /// DNS server to ask directly instead of the system resolver (tests, `ProbeSettings`).
    pub dns_server: Option<std::net::SocketAddr>,
}

impl Exchange {
    /// The request as it goes on the wire: Host first, the headers in their planned order and
    /// case, the body's length, then `Connection: close`.
    fn request_bytes(&self) -> Vec<u8> {
        let mut s = format!("{} {} HTTP/1.1\r\nHost: {}\r\n", self.method, self.path_and_query, self.host_header);
        for (n, v) in &self.headers {
            s.push_str(n);
            s.push_str(": ");
            s.push_str(v);
            s.push_str("\r\n");
        }
        if let Some(b) = &self.body {
            s.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        // One request per connection, unless the planned headers say otherwise (the keep-alive
        // probe asks the origin to keep its connection, as CloudFront does).
        if !self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("connection")) {
            s.push_str("Connection: close\r\n");
        }
        s.push_str("\r\n");
        let mut bytes = s.into_bytes();
        if let Some(b) = &self.body {
            bytes.extend_from_slice(b);
        }
        bytes
    }
}

/// Now plus `wait`, but no later than `deadline`.
fn read_bound(wait: std::time::Duration, deadline: TokioInstant) -> TokioInstant {
    TokioInstant::now().checked_add(wait).map_or(deadline, |t| t.min(deadline))
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// A connection kept after its exchange (TCP or TLS).
pub trait KeptStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> KeptStream for T {}

/// Sends one request and records the hop. Never panics; every failure is a recorded stage.
pub async fn run(ex: &Exchange, ctx: &Context<'_>) -> Hop {
    run_keeping(ex, ctx, false).await.0
}

/// As [`run`]; with `keep`, also hands back the connection when the response was read to its
/// end and the origin did not ask to close it (for the keep-alive probe).
pub async fn run_keeping(ex: &Exchange, ctx: &Context<'_>, keep: bool) -> (Hop, Option<Box<dyn KeptStream>>) {
    let mut kept: Option<Box<dyn KeptStream>> = None;
    let wanted = if keep { Some(&mut kept) } else { None };
    let hop = run_inner_timed(ex, ctx, wanted).await;
    (hop, kept)
}

async fn run_inner_timed(ex: &Exchange, ctx: &Context<'_>, kept: Option<&mut Option<Box<dyn KeptStream>>>) -> Hop {
    let started = Instant::now();
    let hop_deadline =
        TokioInstant::now().checked_add(ctx.limits.hop_timeout).map_or(ctx.deadline, |t| t.min(ctx.deadline));
    let mut hop = Hop {
        url: ex.url(),
        address: None,
        address_from_override: false,
        sni: if ex.scheme == Scheme::Https { ex.sni.clone() } else { None },
        host_header: ex.host_header.clone(),
        result: HopResult::Error(ProbeError::new(ProbeStage::Budget, "not started")),
        timings: Timings::default(),
        head_bytes: None,
        response_defects: Vec::new(),
    };
    let result = match timeout_at(hop_deadline, run_inner(ex, ctx, &mut hop, started, hop_deadline, kept)).await {
        Ok(r) => r,
        Err(_) => {
            let in_phase = TokioInstant::now() >= ctx.deadline;
            HopResult::Error(ProbeError::new(
                ProbeStage::Budget,
                if in_phase {
                    "the probe phase's time budget ran out".into()
                } else {
                    format!("no complete answer within the {} s hop bound", ctx.limits.hop_timeout.as_secs())
                },
            ))
        }
    };
    hop.result = result;
    hop.timings.total_ms = ms(started);
    hop
}

fn err(stage: ProbeStage, message: impl Into<String>) -> HopResult {
    HopResult::Error(ProbeError::new(stage, message))
}

fn tls_err(kind: TlsErrorKind, message: impl Into<String>) -> HopResult {
    HopResult::Error(ProbeError::tls(kind, message))
}

async fn run_inner(
    ex: &Exchange,
    ctx: &Context<'_>,
    hop: &mut Hop,
    started: Instant,
    hop_deadline: TokioInstant,
    kept: Option<&mut Option<Box<dyn KeptStream>>>,
) -> HopResult {
    let resolver = Resolver {
        overrides: ctx.overrides,
        allow_private: ctx.allow_private,
        dns_server: ctx.dns_server,
        wait: ctx.limits.connect_timeout,
        deadline: ctx.deadline,
    };
    let (addrs, from_override) = match resolve(&ex.connect_host, ex.port, &resolver).await {
        Ok(r) => r,
        Err(ResolveError::Dns(m)) => return err(ProbeStage::Dns, m),
        Err(ResolveError::Refused(m)) => return err(ProbeStage::Refused, m),
    };
    hop.address_from_override = from_override;
    let connect_started = Instant::now();
    let mut last_error = None;
    let mut stream = None;
    for addr in &addrs {
        hop.address = Some(addr.to_string());
        match timeout(ctx.limits.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last_error = Some(HopResult::Error(ProbeError::connect_refused(format!("{addr}: {e}"))))
            }
            Ok(Err(e)) => last_error = Some(err(ProbeStage::Connect, format!("{addr}: {e}"))),
            Err(_) => {
                last_error = Some(err(
                    ProbeStage::ConnectTimeout,
                    format!(
                        "{addr}: no answer to the TCP connect within {} ms",
                        ctx.limits.connect_timeout.as_millis()
                    ),
                ))
            }
        }
    }
    let Some(tcp) = stream else {
        hop.timings.connect_ms = None;
        return last_error.unwrap_or_else(|| err(ProbeStage::Connect, "no address to connect to"));
    };
    hop.timings.connect_ms = Some(ms(connect_started));
    let _ = tcp.set_nodelay(true);

    match ex.scheme {
        Scheme::Http => exchange_on(tcp, ex, ctx, hop, started, hop_deadline, kept).await,
        Scheme::Https => {
            let tls_started = Instant::now();
            let name = match ex.sni.as_deref().map(|s| ServerName::try_from(s.to_string())) {
                Some(Ok(n)) => n,
                Some(Err(_)) | None => {
                    // rustls always needs a name for verification; an IP literal sends no SNI.
                    match ServerName::try_from(ex.connect_host.clone()) {
                        Ok(n) => n,
                        Err(e) => {
                            return tls_err(TlsErrorKind::InvalidServerName, format!("{INVALID_SERVER_NAME}{e}"));
                        }
                    }
                }
            };
            let connector = tokio_rustls::TlsConnector::from(ctx.tls.clone());
            match timeout(ctx.limits.tls_timeout, connector.connect(name, tcp)).await {
                Err(_) => tls_err(
                    TlsErrorKind::TimedOut,
                    format!("{TLS_TIMED_OUT} {} ms", ctx.limits.tls_timeout.as_millis()),
                ),
                Ok(Err(e)) => {
                    if let Some(d) = alpn_defect(&e) {
                        hop.response_defects.push(d);
                    }
                    tls_err(tls_error_kind(&e), describe_tls_error(&e))
                }
                Ok(Ok(tls)) => {
                    hop.timings.tls_ms = Some(ms(tls_started));
                    exchange_on(tls, ex, ctx, hop, started, hop_deadline, kept).await
                }
            }
        }
    }
}

/// An origin that speaks only HTTP/2 over TLS refuses the `http/1.1` ALPN offer.
fn alpn_defect(e: &std::io::Error) -> Option<ResponseDefect> {
    let detail = match rustls_error(e)? {
        rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol) => {
            "the server answered the http/1.1 offer with the no_application_protocol alert"
        }
        rustls::Error::PeerMisbehaved(rustls::PeerMisbehaved::SelectedUnofferedApplicationProtocol) => {
            "the server selected an application protocol other than the offered http/1.1"
        }
        _ => return None,
    };
    Some(ResponseDefect::AlpnRefused { detail: detail.into() })
}

/// The frame type when `buf` opens with an HTTP/2 frame on stream 0 (what an HTTP/2-only server
/// sends first: its SETTINGS, or a GOAWAY for the request it could not read).
fn http2_frame(buf: &[u8]) -> Option<&'static str> {
    if buf.len() < 9 || buf[5..9] != [0, 0, 0, 0] {
        return None;
    }
    let len = (usize::from(buf[0]) << 16) | (usize::from(buf[1]) << 8) | usize::from(buf[2]);
    let kind = match buf[3] {
        0x04 if len % 6 == 0 => "SETTINGS",
        0x07 if len >= 8 => "GOAWAY",
        _ => return None,
    };
    (len <= 16_384).then_some(kind)
}

/// Checks of the head CloudFront is known to refuse: a transfer coding other than chunked,
/// a Content-Length that is not one number, a 206 whose length disagrees with its range.
fn head_defects(status: u16, headers: &[Header]) -> Vec<ResponseDefect> {
    let mut out = Vec::new();
    let values = |name: &str| -> Vec<String> {
        headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.trim().to_string()).collect()
    };
    let te = values("transfer-encoding");
    let chunked_only = matches!(te.as_slice(), [one] if one.eq_ignore_ascii_case("chunked"));
    if !te.is_empty() && !chunked_only {
        out.push(ResponseDefect::UnsupportedTransferEncoding { value: te.join(", ") });
    }
    let cl = values("content-length");
    let numbers: Vec<Option<u64>> =
        cl.iter().flat_map(|v| v.split(',')).map(|v| v.trim().parse::<u64>().ok()).collect();
    let one_number = numbers.first().copied().flatten().filter(|n| numbers.iter().all(|x| *x == Some(*n)));
    if !cl.is_empty() && one_number.is_none() {
        out.push(ResponseDefect::InvalidContentLength { values: cl.clone() });
    }
    if status == 206 {
        if let (Some(len), Some(range)) = (one_number, values("content-range").first()) {
            let span = range
                .strip_prefix("bytes ")
                .and_then(|r| r.split('/').next())
                .and_then(|r| r.split_once('-'))
                .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)));
            if let Some((a, b)) = span {
                // `bytes 0-18446744073709551615` spans 2^64 bytes: a span that does not fit in
                // 64 bits (or runs backwards) matches no Content-Length (RFC 9110 14.4).
                if b.checked_sub(a).and_then(|d| d.checked_add(1)) != Some(len) {
                    out.push(ResponseDefect::ContentRangeMismatch {
                        content_length: len,
                        content_range: range.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The most interim (1xx) responses read before the final one. RFC 9110 15.2 allows several
/// (a 100 Continue, 103 Early Hints); a real server sends one or two.
const MAX_INTERIM_RESPONSES: u32 = 10;

fn rustls_error(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// What kind of failure a failed handshake was, from rustls' typed error.
fn tls_error_kind(e: &std::io::Error) -> TlsErrorKind {
    use rustls::CertificateError as C;
    match rustls_error(e) {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsErrorKind::NameMismatch,
            C::Expired | C::ExpiredContext { .. } => TlsErrorKind::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsErrorKind::NotYetValid,
            C::UnknownIssuer => TlsErrorKind::UnknownIssuer,
            C::BadSignature => TlsErrorKind::BadSignature,
            _ => TlsErrorKind::OtherCertificate,
        },
        Some(rustls::Error::AlertReceived(a)) => TlsErrorKind::Alert(format!("{a:?}")),
        // The first bytes back are no TLS record: the port answered in plain text.
        Some(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType | rustls::InvalidMessage::UnknownProtocolVersion,
        )) => TlsErrorKind::NotTls,
        _ => TlsErrorKind::Other,
    }
}

fn describe_tls_error(e: &std::io::Error) -> String {
    match rustls_error(e) {
        Some(rustls::Error::InvalidCertificate(c)) => format!("{CERTIFICATE_REJECTED}{c:?}"),
        Some(rustls::Error::AlertReceived(a)) => format!("{ALERT_RECEIVED}{a:?}"),
        Some(other) => format!("TLS error: {other}"),
        None => format!("TLS handshake failed: {e}"),
    }
}

async fn exchange_on<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    mut stream: S,
    ex: &Exchange,
    ctx: &Context<'_>,
    hop: &mut Hop,
    started: Instant,
    hop_deadline: TokioInstant,
    kept: Option<&mut Option<Box<dyn KeptStream>>>,
) -> HopResult {
    let _ = started;
    // The body is read until this instant at the latest, a little before the hop bound, so that
    // a response that stalls mid-body is still recorded (truncated) instead of lost.
    let body_deadline = hop_deadline.checked_sub(std::time::Duration::from_millis(50)).unwrap_or(hop_deadline);
    if let Err(e) = stream.write_all(&ex.request_bytes()).await {
        return err(ProbeStage::Http, format!("sending the request failed: {e}"));
    }
    if let Err(e) = stream.flush().await {
        return err(ProbeStage::Http, format!("sending the request failed: {e}"));
    }
    let sent = Instant::now();
    let limits = ctx.limits;
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut last_read = sent;
    let mut max_gap = 0u64;
    let mut continues = 0u32;
    // Interim (1xx) responses and the bytes of their heads: they count against the head cap,
    // and their number is bounded, so an endless `100 Continue` stream ends the read.
    let mut interims = 0u32;
    let mut interim_bytes = 0usize;
    let mut pending = false;

    // Response head. The first byte is bounded by the first-byte timeout (CloudFront's origin
    // response timeout); every later read by the same bound, as CloudFront applies it between
    // packets too.
    let (status, reason, headers, head_len) = loop {
        // An interim response can arrive in the same read as the final one: parse what is
        // left before reading again.
        if !std::mem::take(&mut pending) {
            let read_until = read_bound(limits.first_byte_timeout, body_deadline);
            let n = match timeout_at(read_until, stream.read(&mut chunk)).await {
                Err(_) if buf.is_empty() => {
                    hop.timings.first_byte_waited_ms = Some(ms(sent));
                    if read_until >= body_deadline && hop_deadline >= ctx.deadline {
                        return err(
                            ProbeStage::Budget,
                            "the probe phase's time budget ran out waiting for the first byte",
                        );
                    }
                    return err(
                        ProbeStage::FirstByteTimeout,
                        format!("no response byte within {} ms of sending the request", ms(sent)),
                    );
                }
                Err(_) => {
                    max_gap = max_gap.max(ms(last_read));
                    hop.timings.max_gap_ms = Some(max_gap);
                    return err(ProbeStage::Http, format!("the response head stalled for {} ms", ms(last_read)));
                }
                Ok(Err(e)) => {
                    return err(ProbeStage::Http, format!("reading the response failed: {e}"));
                }
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                return err(
                    ProbeStage::Http,
                    if buf.is_empty() {
                        "the connection closed without a response".to_string()
                    } else {
                        "the connection closed inside the response head".to_string()
                    },
                );
            }
            if buf.is_empty() {
                hop.timings.first_byte_ms = Some(ms(sent));
            } else {
                max_gap = max_gap.max(ms(last_read));
            }
            last_read = Instant::now();
            buf.extend_from_slice(&chunk[..n]);
        }
        let mut parsed_headers = vec![httparse::EMPTY_HEADER; 256];
        let mut resp = httparse::Response::new(&mut parsed_headers);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let code = resp.code.unwrap_or(0);
                if (100..200).contains(&code) && code != 101 {
                    if code == 100 {
                        continues = continues.saturating_add(1);
                    }
                    interims = interims.saturating_add(1);
                    interim_bytes = interim_bytes.saturating_add(len);
                    if interims > MAX_INTERIM_RESPONSES || interim_bytes > limits.max_header_bytes {
                        hop.head_bytes = Some(interim_bytes as u64);
                        if continues > 1 {
                            hop.response_defects.push(ResponseDefect::RepeatedContinue { count: continues });
                        }
                        return err(
                            ProbeStage::Http,
                            format!(
                                "more than {MAX_INTERIM_RESPONSES} interim (1xx) responses or {} bytes of them; \
                                 reading stopped",
                                limits.max_header_bytes
                            ),
                        );
                    }
                    buf.drain(..len);
                    pending = !buf.is_empty();
                    continue;
                }
                hop.head_bytes = Some(len as u64);
                let headers: Vec<Header> = resp
                    .headers
                    .iter()
                    .map(|h| Header { name: h.name.to_string(), value: String::from_utf8_lossy(h.value).into_owned() })
                    .collect();
                break (code, resp.reason.unwrap_or("").to_string(), headers, len);
            }
            Ok(httparse::Status::Partial) => {
                let head_read = buf.len().saturating_add(interim_bytes);
                if head_read > limits.max_header_bytes {
                    hop.head_bytes = Some(head_read as u64);
                    hop.response_defects.push(ResponseDefect::HeadOverCap {
                        bytes_read: head_read as u64,
                        cap: limits.max_header_bytes as u64,
                    });
                    return err(
                        ProbeStage::Http,
                        format!("the response head is larger than {} bytes; reading stopped", limits.max_header_bytes),
                    );
                }
            }
            Err(httparse::Error::TooManyHeaders) => {
                hop.response_defects.push(ResponseDefect::TooManyHeaderFields { limit: 256 });
                return err(ProbeStage::Http, "the response has more than 256 header fields; reading stopped");
            }
            Err(e) => {
                let sample = String::from_utf8_lossy(&buf[..buf.len().min(80)]).into_owned();
                let tls_record = buf.len() >= 3 && matches!(buf[0], 0x15 | 0x16) && buf[1] == 0x03;
                hop.response_defects.push(match http2_frame(&buf) {
                    Some(kind) => ResponseDefect::Http2Frames { frame_type: kind.into() },
                    None if tls_record => ResponseDefect::TlsRecord,
                    None => ResponseDefect::Malformed {
                        parse_error: e.to_string(),
                        first_bytes: String::from_utf8_lossy(&buf[..buf.len().min(32)]).into_owned(),
                    },
                });
                return err(ProbeStage::Http, format!("not an HTTP/1.x response ({e}); first bytes: {sample:?}"));
            }
        }
    };

    if continues > 1 {
        hop.response_defects.push(ResponseDefect::RepeatedContinue { count: continues });
    }
    hop.response_defects.extend(head_defects(status, &headers));

    // Body, bounded.
    let header = |name: &str| headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str());
    let no_body = ex.method == "HEAD" || status == 204 || status == 304;
    let chunked = header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let mut body = BodyReader::new(
        limits.max_body_bytes,
        limits.body_sample_bytes,
        chunked,
        if no_body { Some(0) } else { length },
    );
    body.feed(&buf[head_len..]);
    let mut truncated = false;
    let mut incomplete = None;
    let mut cut_short = false;
    while !body.done() {
        if body.over_cap() {
            truncated = true;
            incomplete = Some(format!("stopped reading at the {} byte cap", limits.max_body_bytes));
            break;
        }
        let read_until = read_bound(limits.first_byte_timeout, body_deadline);
        let n = match timeout_at(read_until, stream.read(&mut chunk)).await {
            Err(_) => {
                // The stall counts as a gap even though it never ended.
                max_gap = max_gap.max(ms(last_read));
                truncated = true;
                incomplete = Some(if read_until >= body_deadline {
                    format!("the body was still arriving at the hop bound; stalled {} ms", ms(last_read))
                } else {
                    format!("the body stalled for more than {} ms", limits.first_byte_timeout.as_millis())
                });
                break;
            }
            Ok(Err(e)) => {
                truncated = true;
                incomplete = Some(format!("reading the body failed: {e}"));
                break;
            }
            Ok(Ok(0)) => {
                if !body.until_close() {
                    cut_short = true;
                    truncated = true;
                    incomplete = Some("the connection closed before the end of the body".into());
                }
                break;
            }
            Ok(Ok(n)) => n,
        };
        max_gap = max_gap.max(ms(last_read));
        last_read = Instant::now();
        body.feed(&chunk[..n]);
    }
    hop.timings.max_gap_ms = Some(max_gap);
    let complete = body.done() && !truncated;
    let (sample, read) = body.finish();
    if cut_short {
        hop.response_defects
            .push(ResponseDefect::BodyCutShort { announced: if chunked { None } else { length }, received: read });
    }
    let mut body_sample = String::from_utf8_lossy(&sample).into_owned();
    // A sample cut at its cap is marked like every other cut text, so the secret scrubber
    // knows that its end may be the start of a longer value (see `evidence::secret`).
    if read > sample.len() as u64 {
        body_sample.push('…');
    }
    let closes = header("connection").is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
    if let Some(kept) = kept {
        if complete && !closes {
            *kept = Some(Box::new(stream));
        }
    }
    let cloudfront_error = recognise_error_page(&body_sample);
    let set_cookie_names = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|h| h.value.split(['=', ';']).next().map(|n| n.trim().to_string()))
        .filter(|n| !n.is_empty())
        .collect();
    HopResult::Response(HttpResponse {
        status,
        reason,
        headers: cap_headers(redact_set_cookie(headers)),
        body_sample,
        body_bytes_read: read,
        body_truncated: truncated,
        cloudfront_error,
        set_cookie_names,
        body_incomplete: incomplete,
    })
}

/// Cookie values (sessions, tokens) never reach the evidence: `Set-Cookie: name=<redacted>`.
fn redact_set_cookie(headers: Vec<Header>) -> Vec<Header> {
    headers
        .into_iter()
        .map(|mut h| {
            if h.name.eq_ignore_ascii_case("set-cookie") {
                let name = h.value.split(['=', ';']).next().unwrap_or("").trim().to_string();
                h.value = format!("{name}=<redacted>");
            }
            h
        })
        .collect()
}

/// Keeps the evidence small: at most 64 headers, values cut at 1 KiB.
fn cap_headers(headers: Vec<Header>) -> Vec<Header> {
    headers
        .into_iter()
        .take(64)
        .map(|mut h| {
            if h.value.len() > 1024 {
                let mut cut = 1024;
                while !h.value.is_char_boundary(cut) {
                    cut = cut.saturating_sub(1);
                }
                h.value.truncate(cut);
                h.value.push('…');
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, value: &str) -> Header {
        Header { name: name.into(), value: value.into() }
    }

    #[test]
    fn a_failed_handshake_is_typed_from_rustls_error_and_described_as_before() {
        use rustls::{AlertDescription, CertificateError, Error, InvalidMessage};
        let io = |e: Error| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let cases = [
            (Error::InvalidCertificate(CertificateError::NotValidForName), TlsErrorKind::NameMismatch),
            (Error::InvalidCertificate(CertificateError::Expired), TlsErrorKind::Expired),
            (Error::InvalidCertificate(CertificateError::NotValidYet), TlsErrorKind::NotYetValid),
            (Error::InvalidCertificate(CertificateError::UnknownIssuer), TlsErrorKind::UnknownIssuer),
            (Error::InvalidCertificate(CertificateError::BadSignature), TlsErrorKind::BadSignature),
            (Error::InvalidCertificate(CertificateError::Revoked), TlsErrorKind::OtherCertificate),
            (Error::AlertReceived(AlertDescription::HandshakeFailure), TlsErrorKind::Alert("HandshakeFailure".into())),
            (Error::InvalidMessage(InvalidMessage::InvalidContentType), TlsErrorKind::NotTls),
            (Error::DecryptError, TlsErrorKind::Other),
        ];
        for (e, kind) in cases {
            let e = io(e);
            assert_eq!(tls_error_kind(&e), kind, "{e:?}");
            // An older recording of the same failure is given the same kind when it loads.
            assert_eq!(TlsErrorKind::from_recorded_message(&describe_tls_error(&e)), kind, "{e:?}");
        }
        let e = io(Error::InvalidCertificate(CertificateError::Expired));
        assert_eq!(describe_tls_error(&e), "certificate rejected: Expired");
        let e = io(Error::AlertReceived(AlertDescription::HandshakeFailure));
        assert_eq!(describe_tls_error(&e), "server sent TLS alert HandshakeFailure");
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(tls_error_kind(&reset), TlsErrorKind::Other);
    }

    #[test]
    fn http2_frames_are_told_from_other_bytes() {
        // SETTINGS with two parameters, then the start of a GOAWAY.
        let settings = [0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100, 0, 4, 0, 1, 0, 0];
        assert_eq!(http2_frame(&settings), Some("SETTINGS"));
        assert_eq!(http2_frame(&[0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), Some("GOAWAY"));
        assert_eq!(http2_frame(b"HTTP/1.1 200 OK\r\n"), None);
        assert_eq!(http2_frame(&[0, 0, 12, 4, 0, 0, 0, 0, 1]), None, "not stream 0");
        assert_eq!(http2_frame(&[0, 0, 12, 4]), None, "too short to tell");
    }

    #[test]
    fn head_defects_name_what_cloudfront_refuses() {
        assert!(head_defects(200, &[h("Transfer-Encoding", "chunked"), h("Content-Length", "5")]).is_empty());
        assert!(head_defects(200, &[h("Content-Length", "5, 5")]).is_empty());
        assert_eq!(
            head_defects(200, &[h("Transfer-Encoding", "gzip, chunked")]),
            vec![ResponseDefect::UnsupportedTransferEncoding { value: "gzip, chunked".into() }]
        );
        assert_eq!(
            head_defects(200, &[h("Content-Length", "5"), h("Content-Length", "7")]),
            vec![ResponseDefect::InvalidContentLength { values: vec!["5".into(), "7".into()] }]
        );
        assert!(matches!(
            head_defects(200, &[h("Content-Length", "five")])[..],
            [ResponseDefect::InvalidContentLength { .. }]
        ));
        assert!(head_defects(206, &[h("Content-Length", "100"), h("Content-Range", "bytes 0-99/1000")]).is_empty());
        // A span of 2^64 bytes overflows 64 bits: a mismatch, not a panic.
        assert!(matches!(
            head_defects(206, &[h("Content-Length", "5"), h("Content-Range", "bytes 0-18446744073709551615/*")])[..],
            [ResponseDefect::ContentRangeMismatch { .. }]
        ));
        assert!(matches!(
            head_defects(206, &[h("Content-Length", "5"), h("Content-Range", "bytes 9-5/*")])[..],
            [ResponseDefect::ContentRangeMismatch { .. }]
        ));
        assert_eq!(
            head_defects(206, &[h("Content-Length", "100"), h("Content-Range", "bytes 0-199/1000")]),
            vec![ResponseDefect::ContentRangeMismatch {
                content_length: 100,
                content_range: "bytes 0-199/1000".into()
            }]
        );
    }

    fn get(body: Option<&[u8]>) -> Exchange {
        Exchange {
            scheme: Scheme::Https,
            connect_host: "d111.cloudfront.net".into(),
            port: 443,
            method: "GET".into(),
            path_and_query: "/search".into(),
            host_header: "d111.cloudfront.net".into(),
            sni: Some("d111.cloudfront.net".into()),
            headers: vec![("Content-Type".into(), "application/json".into())],
            redact: Vec::new(),
            body: body.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn a_body_goes_after_the_head_with_its_length_and_is_recorded_by_its_length() {
        let bytes = get(Some(b"{}")).request_bytes();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("GET /search HTTP/1.1\r\nHost: d111.cloudfront.net\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\nConnection: close\r\n\r\n{}"), "{text:?}");
        let rec = get(Some(b"{}")).recorded_headers();
        assert_eq!(rec.last().map(|h| (h.name.as_str(), h.value.as_str())), Some(("Content-Length", "2")));

        let plain = String::from_utf8(get(None).request_bytes()).unwrap();
        assert!(plain.ends_with("Connection: close\r\n\r\n") && !plain.contains("Content-Length"));
        assert!(get(None).recorded_headers().iter().all(|h| h.name != "Content-Length"));
    }
}
