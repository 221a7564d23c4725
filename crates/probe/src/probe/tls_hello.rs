//! A raw ClientHello prober: sends CloudFront's own hello toward an origin, byte for byte, and
//! reads what comes back up to the end of the server's first flight, without ever completing
//! the handshake.
//!
//! Why: rustls (the project's only TLS stack) cannot offer SSLv3/TLS 1.0/1.1, the CBC, 3DES and
//! RC4 suites or SHA-1/SHA-224 signatures, all of which CloudFront still offers origins
//! (AWS "Supported protocols and ciphers between CloudFront and the origin"). Rather than add a second TLS stack (the `openssl` crate would bring a C
//! library into the arm64 Lambda build and a second stack to audit), this module does what
//! testssl.sh and sslyze do to enumerate: build the ClientHello by hand and parse the server's
//! answer. For TLS <= 1.2 the ServerHello, Certificate, ServerKeyExchange and
//! CertificateRequest are sent in plaintext, so one hello tells the negotiated version, suite
//! and curve, whether a client certificate is asked for, and the presented chain (DER), even
//! for an origin that speaks only TLS 1.0 or only CBC suites. No key exchange is ever made and
//! the connection never carries a request; the socket is dropped after ServerHelloDone.
//!
//! The hello (CloudFront's, as far as its documentation describes it):
//! - record layer version 0x0301 (0x0300 for SSLv3), `client_version` = the version offered;
//! - the sixteen suites AWS lists for origins, in that order, by IANA code, no SCSV;
//! - extensions: `server_name` (when SNI is sent), `supported_groups` (P-256, P-384, X25519),
//!   `ec_point_formats` (uncompressed), `signature_algorithms` (TLS 1.2 only: PKCS#1 and ECDSA
//!   with SHA-256/384/512/224/SHA-1, no RSA-PSS) and an empty `renegotiation_info` (RFC 5746,
//!   which some servers require); no `supported_versions`, since CloudFront never offers TLS 1.3
//!   to origins. An SSLv3 hello carries no extensions.
//!
//! The reader is bounded ([`MAX_FLIGHT_BYTES`], the caller's time limit) and defensive: every
//! length is checked against what was received, nothing is allocated beyond what arrived, and
//! malformed input is an outcome, never a panic.

// Parses what an origin (or a caller) sends: no arithmetic that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

use crate::evidence::MAX_CHAIN_CERTIFICATES;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The most bytes read from the server before ServerHelloDone (a long chain fits well below).
pub const MAX_FLIGHT_BYTES: usize = 256 * 1024;
/// The largest TLS record body accepted (2^14 plus the expansion allowed for ciphertext).
const MAX_RECORD: usize = 16_384 + 2_048;

/// CloudFront's origin cipher suites, in its order: IANA code and IANA name
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-ciphers-cloudfront-to-origin.html>).
pub const CLOUDFRONT_SUITES: &[(u16, &str)] = &[
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
];

/// CloudFront's curves toward origins (same AWS page): IANA code and the name rustls uses.
pub const CLOUDFRONT_GROUPS: &[(u16, &str)] = &[(23, "secp256r1"), (24, "secp384r1"), (29, "X25519")];

/// CloudFront's signature schemes toward origins (same AWS page), as TLS 1.2 hash/signature pairs.
pub const CLOUDFRONT_SIGNATURE_SCHEMES: &[(u16, &str)] = &[
    (0x0401, "rsa_pkcs1_sha256"),
    (0x0501, "rsa_pkcs1_sha384"),
    (0x0601, "rsa_pkcs1_sha512"),
    (0x0301, "rsa_pkcs1_sha224"),
    (0x0201, "rsa_pkcs1_sha1"),
    (0x0403, "ecdsa_sha256"),
    (0x0503, "ecdsa_sha384"),
    (0x0603, "ecdsa_sha512"),
    (0x0303, "ecdsa_sha224"),
    (0x0203, "ecdsa_sha1"),
];

/// A protocol version CloudFront may offer an origin (`OriginSslProtocols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HelloVersion {
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
}

impl HelloVersion {
    pub const ALL: [HelloVersion; 4] =
        [HelloVersion::Ssl3, HelloVersion::Tls10, HelloVersion::Tls11, HelloVersion::Tls12];

    /// The `OriginSslProtocols` value, e.g. `TLSv1.2`.
    pub fn config_name(self) -> &'static str {
        match self {
            HelloVersion::Ssl3 => "SSLv3",
            HelloVersion::Tls10 => "TLSv1",
            HelloVersion::Tls11 => "TLSv1.1",
            HelloVersion::Tls12 => "TLSv1.2",
        }
    }

    pub fn from_config(name: &str) -> Option<HelloVersion> {
        HelloVersion::ALL.into_iter().find(|v| v.config_name() == name)
    }

    pub fn wire(self) -> u16 {
        match self {
            HelloVersion::Ssl3 => 0x0300,
            HelloVersion::Tls10 => 0x0301,
            HelloVersion::Tls11 => 0x0302,
            HelloVersion::Tls12 => 0x0303,
        }
    }

    pub fn from_wire(v: u16) -> Option<HelloVersion> {
        HelloVersion::ALL.into_iter().find(|h| h.wire() == v)
    }
}

/// The name a wire version is recorded under: the `OriginSslProtocols` spelling, `TLSv1.3`, or
/// the hex code.
pub fn version_name(v: u16) -> String {
    match HelloVersion::from_wire(v) {
        Some(h) => h.config_name().to_string(),
        None if v == 0x0304 => "TLSv1.3".into(),
        None => format!("0x{v:04x}"),
    }
}

/// The IANA name of a suite from CloudFront's list, or its hex code.
pub fn suite_name(code: u16) -> String {
    CLOUDFRONT_SUITES.iter().find(|(c, _)| *c == code).map(|(_, n)| n.to_string()).unwrap_or(format!("0x{code:04x}"))
}

pub fn group_name(code: u16) -> String {
    CLOUDFRONT_GROUPS.iter().find(|(c, _)| *c == code).map(|(_, n)| n.to_string()).unwrap_or_else(|| match code {
        25 => "secp521r1".into(),
        30 => "X448".into(),
        other => format!("0x{other:04x}"),
    })
}

/// The TLS alert description's name, in the spelling rustls uses (`HandshakeFailure`).
pub fn alert_name(description: u8) -> String {
    match description {
        0 => "CloseNotify",
        10 => "UnexpectedMessage",
        20 => "BadRecordMac",
        22 => "RecordOverflow",
        40 => "HandshakeFailure",
        42 => "BadCertificate",
        47 => "IllegalParameter",
        48 => "UnknownCA",
        50 => "DecodeError",
        51 => "DecryptError",
        70 => "ProtocolVersion",
        71 => "InsufficientSecurity",
        80 => "InternalError",
        86 => "InappropriateFallback",
        90 => "UserCanceled",
        100 => "NoRenegotiation",
        109 => "MissingExtension",
        110 => "UnsupportedExtension",
        112 => "UnrecognisedName",
        116 => "CertificateRequired",
        120 => "NoApplicationProtocol",
        other => return format!("Unknown({other})"),
    }
    .to_string()
}

/// Builds CloudFront's ClientHello record offering `version` (see the module doc).
pub fn client_hello(version: HelloVersion, sni: Option<&str>, random: &[u8; 32]) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(&version.wire().to_be_bytes());
    body.extend_from_slice(random);
    body.push(0); // no session id
    put_u16(&mut body, CLOUDFRONT_SUITES.len().saturating_mul(2) as u16);
    for (code, _) in CLOUDFRONT_SUITES {
        put_u16(&mut body, *code);
    }
    body.extend_from_slice(&[1, 0]); // compression: null only
    if version != HelloVersion::Ssl3 {
        let mut ext = Vec::new();
        if let Some(name) = sni {
            let name = name.as_bytes();
            let mut list = Vec::with_capacity(name.len().saturating_add(3));
            list.push(0); // host_name
            put_u16(&mut list, name.len() as u16);
            list.extend_from_slice(name);
            let mut data = Vec::with_capacity(list.len().saturating_add(2));
            put_u16(&mut data, list.len() as u16);
            data.extend_from_slice(&list);
            put_extension(&mut ext, 0x0000, &data);
        }
        put_extension(&mut ext, 0x000a, &u16_list(CLOUDFRONT_GROUPS.iter().map(|(c, _)| *c)));
        put_extension(&mut ext, 0x000b, &[1, 0]);
        if version == HelloVersion::Tls12 {
            put_extension(&mut ext, 0x000d, &u16_list(CLOUDFRONT_SIGNATURE_SCHEMES.iter().map(|(c, _)| *c)));
        }
        put_extension(&mut ext, 0xff01, &[0]);
        put_u16(&mut body, ext.len() as u16);
        body.extend_from_slice(&ext);
    }
    let mut handshake = Vec::with_capacity(body.len().saturating_add(4));
    handshake.push(1); // client_hello
    put_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);
    let mut record = Vec::with_capacity(handshake.len().saturating_add(5));
    record.push(22);
    put_u16(&mut record, if version == HelloVersion::Ssl3 { 0x0300 } else { 0x0301 });
    put_u16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
}

fn put_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    put_u16(out, kind);
    put_u16(out, data.len() as u16);
    out.extend_from_slice(data);
}

fn u16_list(items: impl Iterator<Item = u16>) -> Vec<u8> {
    let items: Vec<u16> = items.collect();
    let mut out = Vec::with_capacity(items.len().saturating_mul(2).saturating_add(2));
    put_u16(&mut out, items.len().saturating_mul(2) as u16);
    for i in items {
        put_u16(&mut out, i);
    }
    out
}

/// What the server's first flight said about CloudFront's hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// The version the server chose (wire code).
    pub version: u16,
    pub cipher_suite: u16,
    /// The ECDHE curve from ServerKeyExchange, when the suite uses one.
    pub group: Option<u16>,
    /// Certificates in the order sent (leaf first), DER; at most [`MAX_CHAIN_CERTIFICATES`].
    pub chain: Vec<Vec<u8>>,
    /// Certificates the server sent beyond [`MAX_CHAIN_CERTIFICATES`]: counted, not kept.
    pub chain_dropped: u64,
    pub certificate_requested: bool,
    /// ServerHelloDone arrived (the whole first flight was read).
    pub complete: bool,
    /// The server added an alert after its ServerHello (level, description).
    pub alert: Option<(u8, u8)>,
}

/// How the server answered one hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloAnswer {
    ServerHello(ServerHello),
    /// An alert instead of a ServerHello: level (1 warning, 2 fatal) and description.
    Alert {
        level: u8,
        description: u8,
    },
    /// The bytes are not TLS (e.g. an HTTP answer); a printable sample of the start.
    NotTls {
        sample: String,
    },
    /// The connection ended (EOF) before a ServerHello; `bytes` were received.
    Closed {
        bytes: usize,
    },
    /// TLS records that do not parse, or more than [`MAX_FLIGHT_BYTES`].
    Malformed(String),
}

/// The parser's verdict on the bytes received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    NeedMore,
    Done(HelloAnswer),
}

/// A bounds-checked reader over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self) -> Option<usize> {
        self.take(3).map(|b| (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]))
    }
}

/// Parses the server's bytes so far. Pure and total: any input gives `NeedMore` or an answer.
pub fn parse_flight(buf: &[u8]) -> Progress {
    if buf.is_empty() {
        return Progress::NeedMore;
    }
    // A TLS record starts with a content type 20..=24 and major version 3.
    if !(20..=24).contains(&buf[0]) || buf.get(1).is_some_and(|m| *m != 3) {
        return Progress::Done(HelloAnswer::NotTls { sample: printable(buf) });
    }
    let mut r = Reader::new(buf);
    let mut handshake: Vec<u8> = Vec::new();
    let mut hello: Option<ServerHello> = None;
    let mut consumed_handshake = 0usize;
    loop {
        if r.left() < 5 {
            return Progress::NeedMore;
        }
        let (Some(kind), Some(_version), Some(len)) = (r.u8(), r.u16(), r.u16()) else {
            return Progress::NeedMore;
        };
        let len = usize::from(len);
        if len > MAX_RECORD {
            return malformed(hello, format!("a TLS record of {len} bytes"));
        }
        if !(20..=24).contains(&kind) {
            return malformed(hello, format!("a record of unknown content type {kind}"));
        }
        let Some(body) = r.take(len) else {
            return Progress::NeedMore;
        };
        match kind {
            21 => {
                let mut a = Reader::new(body);
                let (Some(level), Some(description)) = (a.u8(), a.u8()) else {
                    return malformed(hello, "a truncated alert".into());
                };
                return Progress::Done(match hello {
                    Some(mut h) => {
                        h.alert = Some((level, description));
                        HelloAnswer::ServerHello(h)
                    }
                    None => HelloAnswer::Alert { level, description },
                });
            }
            22 => {
                handshake.extend_from_slice(body);
                // Parse every complete handshake message not yet seen.
                loop {
                    let mut m = Reader::new(handshake.get(consumed_handshake..).unwrap_or_default());
                    let (Some(msg_type), Some(msg_len)) = (m.u8(), m.u24()) else {
                        break;
                    };
                    if msg_len > MAX_FLIGHT_BYTES {
                        return malformed(hello, format!("a handshake message of {msg_len} bytes"));
                    }
                    let Some(msg) = m.take(msg_len) else {
                        break;
                    };
                    consumed_handshake = consumed_handshake.saturating_add(4).saturating_add(msg_len);
                    match (msg_type, hello.as_mut()) {
                        (2, None) => match server_hello(msg) {
                            Some(h) => hello = Some(h),
                            None => return malformed(None, "a ServerHello that does not parse".into()),
                        },
                        (0, _) => {} // HelloRequest: ignored
                        (_, None) => {
                            return malformed(None, format!("handshake message {msg_type} before the ServerHello"));
                        }
                        (11, Some(h)) => match certificates(msg) {
                            Some((chain, dropped)) => {
                                h.chain = chain;
                                h.chain_dropped = dropped;
                            }
                            None => return malformed(hello, "a Certificate message that does not parse".into()),
                        },
                        (12, Some(h)) => h.group = ecdhe_group(msg),
                        (13, Some(h)) => h.certificate_requested = true,
                        (14, Some(h)) => {
                            h.complete = true;
                            return Progress::Done(HelloAnswer::ServerHello(h.clone()));
                        }
                        _ => {} // CertificateStatus and others: not needed
                    }
                }
            }
            // ChangeCipherSpec or application data before ServerHelloDone: the flight is over
            // for what can be read in plaintext.
            _ => {
                return match hello {
                    Some(h) => Progress::Done(HelloAnswer::ServerHello(h)),
                    None => malformed(None, format!("a record of content type {kind} before the ServerHello")),
                };
            }
        }
    }
}

fn malformed(hello: Option<ServerHello>, why: String) -> Progress {
    Progress::Done(match hello {
        Some(h) => HelloAnswer::ServerHello(h),
        None => HelloAnswer::Malformed(why),
    })
}

fn server_hello(msg: &[u8]) -> Option<ServerHello> {
    let mut r = Reader::new(msg);
    let version = r.u16()?;
    r.take(32)?;
    let sid = usize::from(r.u8()?);
    r.take(sid)?;
    let cipher_suite = r.u16()?;
    r.u8()?;
    Some(ServerHello {
        version,
        cipher_suite,
        group: None,
        chain: Vec::new(),
        chain_dropped: 0,
        certificate_requested: false,
        complete: false,
        alert: None,
    })
}

/// The chain of a Certificate message (RFC 5246 7.4.2) and how many entries were left out: a
/// hostile server can pack some 85,000 empty entries into one flight, and each kept entry
/// becomes a described certificate in the evidence.
fn certificates(msg: &[u8]) -> Option<(Vec<Vec<u8>>, u64)> {
    let mut r = Reader::new(msg);
    let total = r.u24()?;
    let mut list = Reader::new(r.take(total)?);
    let mut chain = Vec::new();
    let mut dropped = 0u64;
    while list.left() > 0 {
        let n = list.u24()?;
        let der = list.take(n)?;
        if chain.len() < MAX_CHAIN_CERTIFICATES {
            chain.push(der.to_vec());
        } else {
            dropped = dropped.saturating_add(1);
        }
    }
    Some((chain, dropped))
}

/// The named curve of an ECDHE ServerKeyExchange (curve_type 3); `None` for other exchanges.
fn ecdhe_group(msg: &[u8]) -> Option<u16> {
    let mut r = Reader::new(msg);
    (r.u8()? == 3).then_some(())?;
    r.u16()
}

/// The first bytes of a non-TLS answer, printable, for the evidence.
fn printable(buf: &[u8]) -> String {
    let head = &buf[..buf.len().min(64)];
    let text: String =
        head.iter().map(|b| if b.is_ascii_graphic() || *b == b' ' { char::from(*b) } else { '.' }).collect();
    text.trim_end_matches('.').to_string()
}

/// How a hello over the network ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchange {
    Answer(HelloAnswer),
    /// The server sent nothing conclusive within the time limit.
    Timeout,
    /// A socket error (reset, aborted) while sending or reading.
    Io(String),
}

/// Sends CloudFront's hello on a connected socket and reads the answer, within `limit`.
pub async fn exchange(mut tcp: TcpStream, version: HelloVersion, sni: Option<&str>, limit: Duration) -> Exchange {
    let mut random = [0u8; 32];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).is_err() {
        // Only the server's echo of it would differ; any value is a valid hello.
        random = [0x5a; 32];
    }
    let hello = client_hello(version, sni, &random);
    let run = async {
        if let Err(e) = tcp.write_all(&hello).await {
            return Exchange::Io(format!("sending the ClientHello: {e}"));
        }
        let mut buf: Vec<u8> = Vec::with_capacity(8 * 1024);
        let mut chunk = [0u8; 8 * 1024];
        loop {
            match tcp.read(&mut chunk).await {
                Ok(0) => {
                    return Exchange::Answer(match parse_flight(&buf) {
                        Progress::Done(a) => a,
                        Progress::NeedMore => partial(&buf),
                    });
                }
                Ok(n) => {
                    let room = MAX_FLIGHT_BYTES.saturating_sub(buf.len());
                    buf.extend_from_slice(&chunk[..n.min(room)]);
                    if let Progress::Done(a) = parse_flight(&buf) {
                        return Exchange::Answer(a);
                    }
                    if buf.len() >= MAX_FLIGHT_BYTES {
                        return Exchange::Answer(match partial(&buf) {
                            HelloAnswer::Closed { .. } => {
                                HelloAnswer::Malformed(format!("no ServerHelloDone within {MAX_FLIGHT_BYTES} bytes"))
                            }
                            other => other,
                        });
                    }
                }
                Err(e) => {
                    return match partial(&buf) {
                        a @ HelloAnswer::ServerHello(_) => Exchange::Answer(a),
                        _ => Exchange::Io(e.to_string()),
                    };
                }
            }
        }
    };
    match timeout(limit, run).await {
        Ok(x) => x,
        Err(_) => Exchange::Timeout,
    }
}

/// The answer when the server stopped sending mid-flight: a ServerHello seen so far, or Closed.
fn partial(buf: &[u8]) -> HelloAnswer {
    // Cut at the last whole record and parse that: a ServerHello may already be in it.
    let mut r = Reader::new(buf);
    let mut whole = 0;
    while let (Some(_), Some(_), Some(len)) = (r.u8(), r.u16(), r.u16()) {
        if r.take(usize::from(len)).is_none() {
            break;
        }
        whole = r.pos;
    }
    match parse_flight(&buf[..whole]) {
        Progress::Done(a) => a,
        Progress::NeedMore => {
            // A flight cut short after the ServerHello still tells the negotiation.
            let mut copy = buf[..whole].to_vec();
            copy.extend_from_slice(&[20, 3, 3, 0, 1, 1]); // a ChangeCipherSpec ends the flight
            match parse_flight(&copy) {
                Progress::Done(a @ HelloAnswer::ServerHello(_)) => a,
                _ => HelloAnswer::Closed { bytes: buf.len() },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 3, 3];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind];
        put_u24(&mut m, body.len());
        m.extend_from_slice(body);
        m
    }

    fn server_hello_msg(version: u16, suite: u16) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend_from_slice(&[7; 32]);
        b.push(32);
        b.extend_from_slice(&[9; 32]);
        b.extend_from_slice(&suite.to_be_bytes());
        b.push(0);
        message(2, &b)
    }

    fn certificate_msg(certs: &[&[u8]]) -> Vec<u8> {
        let mut list = Vec::new();
        for c in certs {
            put_u24(&mut list, c.len());
            list.extend_from_slice(c);
        }
        let mut b = Vec::new();
        put_u24(&mut b, list.len());
        b.extend_from_slice(&list);
        message(11, &b)
    }

    fn full_flight() -> Vec<u8> {
        let mut hs = server_hello_msg(0x0301, 0xC009);
        hs.extend(certificate_msg(&[b"leaf-der", b"intermediate-der"]));
        hs.extend(message(12, &[3, 0, 23, 65, 4, 1, 2]));
        hs.extend(message(13, &[1, 1, 0, 0]));
        hs.extend(message(14, &[]));
        hs
    }

    #[test]
    fn the_hello_carries_cloudfronts_suites_groups_and_schemes_in_order() {
        let h = client_hello(HelloVersion::Tls12, Some("origin.example.com"), &[1; 32]);
        assert_eq!(&h[..3], &[22, 3, 1], "handshake record, version 0x0301");
        assert_eq!(usize::from(u16::from_be_bytes([h[3], h[4]])), h.len() - 5);
        assert_eq!(h[5], 1, "client_hello");
        assert_eq!(&h[9..11], &[3, 3], "client_version TLS 1.2");
        let suites_at = 9 + 2 + 32 + 1;
        assert_eq!(usize::from(u16::from_be_bytes([h[suites_at], h[suites_at + 1]])), 32);
        let suites: Vec<u16> =
            h[suites_at + 2..suites_at + 34].chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        assert_eq!(suites, CLOUDFRONT_SUITES.iter().map(|(c, _)| *c).collect::<Vec<_>>());
        assert!(suites.contains(&0x000A) && suites.contains(&0x0004), "3DES and RC4 are offered");
        let find = |needle: &[u8]| h.windows(needle.len()).any(|w| w == needle);
        assert!(find(b"origin.example.com"));
        assert!(find(&[0x00, 0x0a, 0, 8, 0, 6, 0, 23, 0, 24, 0, 29]), "supported_groups P-256, P-384, X25519");
        assert!(find(&[0x00, 0x0d, 0, 22, 0, 20, 4, 1]), "signature_algorithms, PKCS#1 SHA-256 first");
        assert!(!find(&[8, 4]) && !find(&[8, 9]), "no RSA-PSS");
        assert!(!find(&[0x00, 0x2b]), "no supported_versions extension");
    }

    #[test]
    fn older_versions_and_ssl3_shape_the_hello() {
        let h = client_hello(HelloVersion::Tls10, None, &[1; 32]);
        assert_eq!(&h[9..11], &[3, 1]);
        assert!(!h.windows(2).any(|w| w == [0x00, 0x0d]), "no signature_algorithms before TLS 1.2");
        assert!(h.windows(2).any(|w| w == [0x00, 0x0a]));
        let s = client_hello(HelloVersion::Ssl3, Some("x.example"), &[1; 32]);
        assert_eq!(&s[1..3], &[3, 0]);
        assert_eq!(&s[9..11], &[3, 0]);
        assert!(s.ends_with(&[1, 0]), "SSLv3: compression methods last, no extensions");
    }

    #[test]
    fn a_whole_flight_gives_version_suite_group_chain_and_certificate_request() {
        let flight = record(22, &full_flight());
        let Progress::Done(HelloAnswer::ServerHello(h)) = parse_flight(&flight) else { panic!() };
        assert_eq!(h.version, 0x0301);
        assert_eq!(suite_name(h.cipher_suite), "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
        assert_eq!(h.group.map(group_name).as_deref(), Some("secp256r1"));
        assert_eq!(h.chain, vec![b"leaf-der".to_vec(), b"intermediate-der".to_vec()]);
        assert!(h.certificate_requested && h.complete);
        assert_eq!(h.alert, None);
    }

    #[test]
    fn messages_split_across_records_and_reads_are_reassembled() {
        let hs = full_flight();
        let mut bytes = Vec::new();
        for piece in hs.chunks(7) {
            bytes.extend(record(22, piece));
        }
        for cut in 0..bytes.len() {
            assert!(
                !matches!(parse_flight(&bytes[..cut]), Progress::Done(HelloAnswer::ServerHello(ref h)) if h.complete),
                "complete only at the end (cut {cut})"
            );
        }
        let Progress::Done(HelloAnswer::ServerHello(h)) = parse_flight(&bytes) else { panic!() };
        assert_eq!(h.chain.len(), 2);
        assert!(h.complete);
    }

    #[test]
    fn alerts_http_and_garbage_are_told_apart() {
        assert_eq!(
            parse_flight(&record(21, &[2, 40])),
            Progress::Done(HelloAnswer::Alert { level: 2, description: 40 })
        );
        assert_eq!(alert_name(40), "HandshakeFailure");
        assert_eq!(alert_name(70), "ProtocolVersion");
        let Progress::Done(HelloAnswer::NotTls { sample }) = parse_flight(b"HTTP/1.1 400 Bad Request\r\n\r\n") else {
            panic!()
        };
        assert_eq!(sample, "HTTP/1.1 400 Bad Request");
        assert!(matches!(parse_flight(&[22, 3, 3, 0xff, 0xff]), Progress::Done(HelloAnswer::Malformed(_))));
        assert!(matches!(parse_flight(&record(22, &message(11, &[]))), Progress::Done(HelloAnswer::Malformed(_))));
        assert_eq!(parse_flight(&[22, 3]), Progress::NeedMore);
    }

    #[test]
    fn an_alert_after_the_server_hello_is_kept_with_it() {
        let mut bytes = record(22, &server_hello_msg(0x0303, 0xC02F));
        bytes.extend(record(21, &[2, 116]));
        let Progress::Done(HelloAnswer::ServerHello(h)) = parse_flight(&bytes) else { panic!() };
        assert_eq!(h.alert, Some((2, 116)));
        assert!(!h.complete);
    }

    #[test]
    fn a_flight_cut_short_still_reports_the_server_hello() {
        let mut bytes = record(22, &server_hello_msg(0x0303, 0xC013));
        bytes.extend_from_slice(&[22, 3, 3, 0x10]); // a record header cut in half
        let HelloAnswer::ServerHello(h) = partial(&bytes) else { panic!() };
        assert_eq!(h.cipher_suite, 0xC013);
        assert!(!h.complete);
        assert_eq!(partial(&[22, 3, 3, 0, 9, 2]), HelloAnswer::Closed { bytes: 6 });
    }

    /// Every prefix and single-byte corruption of a valid flight parses without panicking,
    /// and lying lengths never allocate beyond the input.
    #[test]
    fn corrupted_input_never_panics() {
        let flight = record(22, &full_flight());
        for cut in 0..flight.len() {
            let _ = parse_flight(&flight[..cut]);
            let _ = partial(&flight[..cut]);
        }
        for i in 0..flight.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut f = flight.clone();
                f[i] = v;
                let _ = parse_flight(&f);
                let _ = partial(&f);
            }
        }
        let mut lying = record(22, &message(11, &[0xff, 0xff, 0xff]));
        lying.extend_from_slice(&[0; 16]);
        assert!(!matches!(parse_flight(&lying), Progress::Done(HelloAnswer::ServerHello(_))));
    }
}
