//! What the live probes saw: each request, every redirect hop, timings and failures.

use super::Scheme;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observations {
    /// Where the probes ran from. They never come from CloudFront's origin-facing addresses, so
    /// a direct probe that passes says nothing about security groups that admit only CloudFront.
    pub probed_from: String,
    /// Hosts whose address came from a `--connect-to` override instead of DNS.
    pub overrides: Vec<String>,
    pub probes: Vec<ProbeRecord>,
    /// Probes that were planned but not run (out of budget, refused target).
    pub skipped: Vec<SkippedProbe>,
    /// Name resolution of every origin domain and viewer hostname.
    #[serde(default)]
    pub dns: Vec<DnsObservation>,
    /// TCP connects to each port CloudFront uses toward each origin.
    #[serde(default)]
    pub tcp: Vec<TcpObservation>,
    /// TLS handshakes toward each HTTPS origin, shaped as CloudFront's hello.
    #[serde(default)]
    pub tls: Vec<super::TlsObservation>,
    /// The request ladders: from the request that works directly to CloudFront's, one
    /// difference at a time, per origin and viewer path.
    #[serde(default)]
    pub ladders: Vec<super::Ladder>,
    /// CloudFront's own view: its metrics and access logs over a window ending at collection
    /// (absent when not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudfront: Option<super::CloudFrontView>,
    /// Edge and origin probes repeated (`--samples`), one series per probe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<super::SampleSeries>,
    /// How long each origin keeps an idle keep-alive connection open, measured (with samples).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keepalive: Vec<super::KeepaliveObservation>,
    /// The origin-side probes made again after the diagnosis, each with one fix of the primary
    /// finding applied to a copy of the configuration ([`crate::fix_check`]). Absent from
    /// evidence recorded before fixes were checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fix_checks: Vec<FixProbes>,
}

/// What the origins answered with one alternative of a fix applied to a copy of the
/// configuration: CloudFront's origin requests and TLS handshakes planned again from it. Edge
/// probes are never part of it (the distribution itself is not changed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixProbes {
    /// The finding whose fix was probed.
    pub finding_id: String,
    /// The alternative's index in the fix (0 = the preferred one).
    pub alternative: usize,
    /// The changes as probed: a replay uses these observations only for the same changes.
    pub changes: Vec<crate::fix::Change>,
    pub probes: Vec<ProbeRecord>,
    #[serde(default)]
    pub skipped: Vec<SkippedProbe>,
    /// The origins' names only.
    #[serde(default)]
    pub dns: Vec<DnsObservation>,
    #[serde(default)]
    pub tcp: Vec<TcpObservation>,
    #[serde(default)]
    pub tls: Vec<super::TlsObservation>,
}

impl Observations {
    /// Probes straight to an origin, shaped as CloudFront sends them (any method).
    pub fn origin_probes<'a>(&'a self, origin_id: &'a str) -> impl Iterator<Item = &'a ProbeRecord> + 'a {
        self.probes.iter().filter(move |p| {
            p.shape == RequestShape::Cloudfront
                && matches!(&p.target, ProbeTarget::Origin { origin_id: o, .. } if o == origin_id)
        })
    }

    /// Probes straight to an origin, shaped as the viewer sends them (Host = a viewer hostname).
    pub fn viewer_shaped_origin_probes<'a>(&'a self, origin_id: &'a str) -> impl Iterator<Item = &'a ProbeRecord> + 'a {
        self.probes.iter().filter(move |p| {
            p.shape == RequestShape::Viewer
                && matches!(&p.target, ProbeTarget::Origin { origin_id: o, .. } if o == origin_id)
        })
    }

    /// The series repeating probes straight to an origin, shaped as CloudFront sends them.
    pub fn origin_samples<'a>(&'a self, origin_id: &'a str) -> impl Iterator<Item = &'a super::SampleSeries> + 'a {
        self.samples
            .iter()
            .filter(move |s| matches!(&s.target, ProbeTarget::Origin { origin_id: o, .. } if o == origin_id))
    }

    /// The series repeating viewer requests through the distribution.
    pub fn edge_samples(&self) -> impl Iterator<Item = &super::SampleSeries> {
        self.samples.iter().filter(|s| matches!(s.target, ProbeTarget::Edge { .. }))
    }

    pub fn keepalive_for(&self, origin_id: &str) -> Option<&super::KeepaliveObservation> {
        self.keepalive.iter().find(|k| k.origin_id == origin_id)
    }

    pub fn dns_for(&self, name: &str) -> Option<&DnsObservation> {
        self.dns.iter().find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// Viewer requests through the distribution. A GET sent with a body (declared by
    /// `expect.get_with_body`) is left out: CloudFront refuses it whatever else is right, so only
    /// the check about it reads that answer ([`Observations::edge_body_probes`]).
    pub fn edge_probes(&self) -> impl Iterator<Item = &ProbeRecord> {
        self.probes.iter().filter(|p| matches!(p.target, ProbeTarget::Edge { .. }) && !p.get_with_body())
    }

    /// GET requests with a body sent through the distribution.
    pub fn edge_body_probes(&self) -> impl Iterator<Item = &ProbeRecord> {
        self.probes.iter().filter(|p| matches!(p.target, ProbeTarget::Edge { .. }) && p.get_with_body())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedProbe {
    pub id: String,
    pub reason: String,
}

/// One probe: a first request and the redirects followed from it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeRecord {
    /// Stable within a report, e.g. `origin:app-alb:http:/` or `edge:https:/`.
    pub id: String,
    pub target: ProbeTarget,
    pub method: String,
    /// Headers sent on the first hop; secret values appear as `<redacted>`.
    pub request_headers: Vec<Header>,
    pub hops: Vec<Hop>,
    pub redirects: RedirectOutcome,
    /// How the request was shaped: as CloudFront sends it (origin probes) or as a viewer does.
    #[serde(default)]
    pub shape: RequestShape,
    /// The path asked for (the viewer path, before `OriginPath`), when known.
    #[serde(default)]
    pub viewer_path: Option<String>,
    /// Set when a redirect sent the viewer to an origin's own hostname (bypassing CloudFront).
    #[serde(default)]
    pub redirect_escape: Option<RedirectEscape>,
}

/// Which request a probe reproduces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestShape {
    /// CloudFront's origin request: Host as CloudFront sets it, `User-Agent: Amazon CloudFront`,
    /// custom origin headers, only the forwarded headers, cookies and query strings.
    #[default]
    Cloudfront,
    /// The viewer's request: Host = a viewer hostname, every header, cookie and query string kept.
    Viewer,
    /// The viewer's request with the Host CloudFront sends (only when that differs from the
    /// viewer's): separates a Host difference from the rest of CloudFront's shape.
    ViewerWithCloudfrontHost,
}

/// A redirect whose `Location` names an origin's own hostname.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectEscape {
    /// Index of the hop that answered with the redirect.
    pub hop: usize,
    pub location: String,
    pub origin_id: String,
    pub origin_hostname: String,
}

impl ProbeRecord {
    pub fn first_response(&self) -> Option<&HttpResponse> {
        self.hops.first().and_then(|h| h.response())
    }

    pub fn last_hop(&self) -> Option<&Hop> {
        self.hops.last()
    }

    /// The body length the first request declared (its `Content-Length`), 0 without one.
    pub fn sent_body_bytes(&self) -> u64 {
        self.request_headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| h.value.trim().parse::<u64>().ok())
            .unwrap_or(0)
    }

    /// A GET that carried a body.
    pub fn get_with_body(&self) -> bool {
        self.method == "GET" && self.sent_body_bytes() > 0
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProbeTarget {
    /// Straight to an origin, shaped as CloudFront sends it.
    Origin { origin_id: String, behavior: String, scheme: Scheme, port: u16, host_header: String },
    /// Through the distribution, as a viewer.
    Edge { hostname: String, scheme: Scheme },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// One request/response exchange.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hop {
    pub url: String,
    /// The address actually connected to, e.g. `192.0.2.10:443`.
    pub address: Option<String>,
    /// True when the address came from a `--connect-to` override.
    pub address_from_override: bool,
    /// The TLS server name sent (None for plain HTTP).
    pub sni: Option<String>,
    pub host_header: String,
    pub result: HopResult,
    pub timings: Timings,
    /// Size in bytes of the response head (status line and header fields) as read; when the
    /// head was cut at the probe's cap, how much was read.
    #[serde(default)]
    pub head_bytes: Option<u64>,
    /// What made the answer unusable, or suspect, as the HTTP/1.1 response CloudFront expects.
    #[serde(default)]
    pub response_defects: Vec<ResponseDefect>,
}

/// A way an origin's answer departs from the HTTP/1.1 response CloudFront accepts, as read by
/// the probe (which speaks HTTP/1.1 as CloudFront does toward custom origins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResponseDefect {
    /// Binary HTTP/2 frames came back to an HTTP/1.1 request: the server speaks only HTTP/2.
    Http2Frames { frame_type: String },
    /// The TLS server refused `http/1.1` in ALPN (or picked a protocol that was not offered).
    AlpnRefused { detail: String },
    /// A TLS record came back to plain HTTP: the port speaks TLS (see `protocol-port-mismatch`).
    TlsRecord,
    /// The bytes are not an HTTP/1.x response.
    Malformed { parse_error: String, first_bytes: String },
    /// The response head grew past the probe's cap without ending.
    HeadOverCap { bytes_read: u64, cap: u64 },
    /// More header fields than the probe parses.
    TooManyHeaderFields { limit: u32 },
    /// More than one interim `100 Continue` before the final response.
    RepeatedContinue { count: u32 },
    /// A `Transfer-Encoding` other than `chunked` (CloudFront supports only chunked).
    UnsupportedTransferEncoding { value: String },
    /// `Content-Length` values that are not one number.
    InvalidContentLength { values: Vec<String> },
    /// A 206 whose `Content-Length` disagrees with its `Content-Range`.
    ContentRangeMismatch { content_length: u64, content_range: String },
    /// The connection closed before the length the head announced.
    BodyCutShort { announced: Option<u64>, received: u64 },
}

impl ResponseDefect {
    /// One line for a report.
    pub fn describe(&self) -> String {
        match self {
            ResponseDefect::Http2Frames { frame_type } => {
                format!("answered an HTTP/1.1 request with an HTTP/2 {frame_type} frame")
            }
            ResponseDefect::AlpnRefused { detail } => format!("refused HTTP/1.1 in TLS ALPN ({detail})"),
            ResponseDefect::TlsRecord => "answered plain HTTP with a TLS record (the port speaks TLS)".into(),
            ResponseDefect::Malformed { parse_error, first_bytes } => {
                format!("not an HTTP/1.x response ({parse_error}); first bytes {first_bytes:?}")
            }
            ResponseDefect::HeadOverCap { bytes_read, cap } => {
                format!("response head still unfinished after {bytes_read} bytes (probe cap {cap})")
            }
            ResponseDefect::TooManyHeaderFields { limit } => format!("more than {limit} response header fields"),
            ResponseDefect::RepeatedContinue { count } => format!("{count} interim 100 Continue responses"),
            ResponseDefect::UnsupportedTransferEncoding { value } => format!("Transfer-Encoding: {value}"),
            ResponseDefect::InvalidContentLength { values } => format!("Content-Length: {}", values.join(" / ")),
            ResponseDefect::ContentRangeMismatch { content_length, content_range } => {
                format!("206 with Content-Length {content_length} but Content-Range {content_range}")
            }
            ResponseDefect::BodyCutShort { announced, received } => match announced {
                Some(n) => format!("connection closed after {received} of {n} announced body bytes"),
                None => format!("connection closed inside a chunked body after {received} bytes"),
            },
        }
    }

    /// True for the defects that say the origin does not speak HTTP/1.1 at all.
    pub fn is_http_version(&self) -> bool {
        matches!(self, ResponseDefect::Http2Frames { .. } | ResponseDefect::AlpnRefused { .. })
    }
}

impl Hop {
    pub fn response(&self) -> Option<&HttpResponse> {
        match &self.result {
            HopResult::Response(r) => Some(r),
            HopResult::Error(_) => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HopResult {
    Response(HttpResponse),
    Error(ProbeError),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpResponse {
    pub status: u16,
    pub reason: String,
    /// Response headers in order, capped in count and size.
    pub headers: Vec<Header>,
    /// The first bytes of the body (lossy UTF-8), capped.
    pub body_sample: String,
    pub body_bytes_read: u64,
    /// True when the body was cut at the byte cap or the time budget.
    pub body_truncated: bool,
    /// Set when the body is CloudFront's own error page.
    pub cloudfront_error: Option<CloudFrontErrorPage>,
    /// Names of the cookies set by `Set-Cookie` (values are never recorded).
    #[serde(default)]
    pub set_cookie_names: Vec<String>,
    /// Why the body was not read to its end (cap, stall, time bound), when it was not.
    #[serde(default)]
    pub body_incomplete: Option<String>,
}

impl HttpResponse {
    /// The reason sentence of CloudFront's own error page, when this is one and it has one.
    pub fn cloudfront_reason(&self) -> Option<&CloudFrontReason> {
        self.cloudfront_error.as_ref().and_then(|p| p.reason.as_ref())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }

    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }
}

/// CloudFront's generated error page, recognised by its title and footer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFrontErrorPage {
    /// e.g. `502 ERROR`.
    pub heading: String,
    /// The reason sentence, when one of the known ones is present.
    pub reason: Option<CloudFrontReason>,
}

/// Why CloudFront says it answered with its own error page: the reason sentence of the page,
/// recorded (and serialized) as the sentence itself. See
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/troubleshooting-response-errors.html>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudFrontReason {
    /// A 502: no connection to the origin (refused, or TLS to it failed).
    CannotConnect,
    /// A 504: the connection failed or the origin closed it (timeouts included).
    ConnectionFailedOrClosed,
    /// A 502: the origin's domain name does not resolve.
    OriginDnsFailure,
    /// A 403: the behavior does not allow the request's method.
    MethodNotAllowed,
    /// A 403: the request's Host is not an alternate domain name of this distribution (or the
    /// request is one CloudFront refuses, such as a GET with a body).
    BadRequest,
    /// A 403: AWS WAF blocked the request.
    RequestBlocked,
    /// A 403: the distribution's geographic restriction blocks the viewer's country.
    GeoBlocked,
    /// A 403: the distribution is disabled.
    DistributionDisabled,
    /// CloudFront's XML `MissingKey` error: a behavior with trusted key groups got an unsigned
    /// request.
    MissingKey,
    /// A sentence this version does not know (kept as recorded, so older evidence still loads).
    Other(String),
}

impl CloudFrontReason {
    /// Every reason with a known sentence, in the order the recogniser looks for them.
    pub const KNOWN: [CloudFrontReason; 9] = [
        CloudFrontReason::CannotConnect,
        CloudFrontReason::ConnectionFailedOrClosed,
        CloudFrontReason::OriginDnsFailure,
        CloudFrontReason::MethodNotAllowed,
        CloudFrontReason::BadRequest,
        CloudFrontReason::RequestBlocked,
        CloudFrontReason::GeoBlocked,
        CloudFrontReason::DistributionDisabled,
        CloudFrontReason::MissingKey,
    ];

    /// The sentence CloudFront writes (for [`CloudFrontReason::MissingKey`], its XML `Message`).
    pub fn sentence(&self) -> &str {
        match self {
            CloudFrontReason::CannotConnect => "CloudFront wasn't able to connect to the origin.",
            CloudFrontReason::ConnectionFailedOrClosed => {
                "CloudFront attempted to establish a connection with the origin, but either the attempt failed or the origin closed the connection."
            }
            CloudFrontReason::OriginDnsFailure => "CloudFront wasn't able to resolve the origin domain name.",
            CloudFrontReason::MethodNotAllowed => {
                "This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests."
            }
            CloudFrontReason::BadRequest => {
                "Bad request. We can't connect to the server for this app or website at this time."
            }
            CloudFrontReason::RequestBlocked => {
                "Request blocked. We can't connect to the server for this app or website at this time."
            }
            CloudFrontReason::GeoBlocked => {
                "The Amazon CloudFront distribution is configured to block access from your country."
            }
            CloudFrontReason::DistributionDisabled => "The distribution is disabled.",
            CloudFrontReason::MissingKey => "Missing Key-Pair-Id query parameter or cookie value",
            CloudFrontReason::Other(s) => s,
        }
    }

    /// The reason a recorded sentence stands for.
    pub fn from_sentence(sentence: &str) -> CloudFrontReason {
        Self::KNOWN.into_iter().find(|r| r.sentence() == sentence).unwrap_or_else(|| Self::Other(sentence.into()))
    }
}

impl std::fmt::Display for CloudFrontReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.sentence())
    }
}

impl Serialize for CloudFrontReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.sentence())
    }
}

impl<'de> Deserialize<'de> for CloudFrontReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| CloudFrontReason::from_sentence(&s))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, from = "RecordedProbeError")]
pub struct ProbeError {
    pub stage: ProbeStage,
    pub message: String,
    /// For a [`ProbeStage::Tls`] failure: what kind of failure, as the TLS stack typed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsErrorKind>,
    /// For a [`ProbeStage::Connect`] failure: the peer refused the connection (answered with a
    /// reset: nothing listens on the port, or a firewall rejects), as the socket error typed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
}

/// A [`ProbeError`] as recorded, before the TLS kind of an older recording is derived.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordedProbeError {
    stage: ProbeStage,
    message: String,
    #[serde(default)]
    tls: Option<TlsErrorKind>,
    #[serde(default)]
    refused: bool,
}

impl From<RecordedProbeError> for ProbeError {
    fn from(r: RecordedProbeError) -> Self {
        let tls =
            r.tls.or_else(|| (r.stage == ProbeStage::Tls).then(|| TlsErrorKind::from_recorded_message(&r.message)));
        ProbeError { stage: r.stage, message: r.message, tls, refused: r.refused && r.stage == ProbeStage::Connect }
    }
}

/// How a TLS handshake of an HTTP probe failed, from the TLS stack's typed error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsErrorKind {
    /// The certificate does not cover the server name.
    NameMismatch,
    /// The certificate is past its end date.
    Expired,
    /// The certificate's start date is in the future.
    NotYetValid,
    /// The chain does not lead to a trusted root.
    UnknownIssuer,
    /// A signature in the chain does not verify.
    BadSignature,
    /// Another rejection of the certificate (revoked, malformed, wrong purpose, ...).
    OtherCertificate,
    /// The server sent this TLS alert (its name, e.g. `HandshakeFailure`).
    Alert(String),
    /// The server answered with bytes that are not TLS (e.g. a plain HTTP answer).
    NotTls,
    /// The handshake did not complete within the probe's bound.
    TimedOut,
    /// The name to verify is not a valid TLS server name.
    InvalidServerName,
    /// Any other failure (the connection closed, the peer misbehaved).
    Other,
}

impl TlsErrorKind {
    /// True for a rejected certificate.
    pub fn is_certificate(&self) -> bool {
        matches!(
            self,
            TlsErrorKind::NameMismatch
                | TlsErrorKind::Expired
                | TlsErrorKind::NotYetValid
                | TlsErrorKind::UnknownIssuer
                | TlsErrorKind::BadSignature
                | TlsErrorKind::OtherCertificate
        )
    }

    /// True for a failed negotiation (an alert, an incompatible or closed peer), not a rejected
    /// certificate, a timeout or a bad server name.
    pub fn is_negotiation(&self) -> bool {
        !self.is_certificate() && !matches!(self, TlsErrorKind::TimedOut | TlsErrorKind::InvalidServerName)
    }

    /// The kind of a [`ProbeStage::Tls`] failure recorded before the kind was: read from the
    /// message the probe wrote then, so that such evidence replays to the same findings.
    pub fn from_recorded_message(message: &str) -> TlsErrorKind {
        let cert = message.starts_with(CERTIFICATE_REJECTED);
        if message.contains("NotValidForName") {
            TlsErrorKind::NameMismatch
        } else if message.contains("Expired") {
            TlsErrorKind::Expired
        } else if message.contains("NotValidYet") {
            TlsErrorKind::NotYetValid
        } else if message.contains("UnknownIssuer") {
            TlsErrorKind::UnknownIssuer
        } else if message.contains("BadSignature") {
            TlsErrorKind::BadSignature
        } else if message.contains("alert") {
            TlsErrorKind::Alert(message.strip_prefix(ALERT_RECEIVED).unwrap_or(message).to_string())
        } else if cert {
            TlsErrorKind::OtherCertificate
        } else if message.starts_with(TLS_TIMED_OUT) {
            TlsErrorKind::TimedOut
        } else if message.starts_with(INVALID_SERVER_NAME) {
            TlsErrorKind::InvalidServerName
        } else if message.contains("InvalidContentType") || message.contains("UnknownProtocolVersion") {
            TlsErrorKind::NotTls
        } else {
            TlsErrorKind::Other
        }
    }
}

/// How the HTTP probe opens the message of a rejected certificate, a received alert, a handshake
/// timeout and an invalid server name.
pub const CERTIFICATE_REJECTED: &str = "certificate rejected: ";
pub const ALERT_RECEIVED: &str = "server sent TLS alert ";
pub const TLS_TIMED_OUT: &str = "TLS handshake did not complete within";
pub const INVALID_SERVER_NAME: &str = "invalid TLS server name: ";

/// Joins what was not observed and why in a [`ProbeStage::TlsNotSpokenByProbe`] message.
pub const NOT_OBSERVED: &str = " not observed: ";

impl ProbeError {
    /// A failure that is not a TLS handshake's.
    pub fn new(stage: ProbeStage, message: impl Into<String>) -> Self {
        ProbeError { stage, message: message.into(), tls: None, refused: false }
    }

    /// A failed TLS handshake ([`ProbeStage::Tls`]) of this kind.
    pub fn tls(kind: TlsErrorKind, message: impl Into<String>) -> Self {
        ProbeError { stage: ProbeStage::Tls, message: message.into(), tls: Some(kind), refused: false }
    }

    /// A TCP connect the peer refused ([`ProbeStage::Connect`]).
    pub fn connect_refused(message: impl Into<String>) -> Self {
        ProbeError { stage: ProbeStage::Connect, message: message.into(), tls: None, refused: true }
    }

    /// For a [`ProbeStage::TlsNotSpokenByProbe`] error: what was not observed (e.g. `HTTP over
    /// TLSv1 with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA`) and why.
    pub fn not_observed(&self) -> Option<(&str, &str)> {
        (self.stage == ProbeStage::TlsNotSpokenByProbe).then(|| self.message.split_once(NOT_OBSERVED)).flatten()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeStage {
    /// The target was refused before any packet was sent (link-local, private without opt-in).
    Refused,
    Dns,
    Connect,
    ConnectTimeout,
    Tls,
    /// The probe's own TLS stack (rustls: TLS 1.2 and up, AEAD suites only) could not speak the
    /// version or suite that CloudFront's raw hello toward the same origin got (TLS 1.0/1.1, a
    /// CBC suite): the HTTP exchange was not observed. Not a failure of the origin, nor of
    /// CloudFront's handshake.
    TlsNotSpokenByProbe,
    /// Sending the request or reading the response head failed.
    Http,
    FirstByteTimeout,
    /// The overall probe budget ran out.
    Budget,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timings {
    pub connect_ms: Option<u64>,
    pub tls_ms: Option<u64>,
    /// From sending the request to the first response byte.
    pub first_byte_ms: Option<u64>,
    /// Longest pause between two reads of the response after its first byte, including a
    /// stall that was cut by the read bound.
    pub max_gap_ms: Option<u64>,
    pub total_ms: u64,
    /// How long the probe waited for a first byte that never came (cut by the first-byte bound).
    #[serde(default)]
    pub first_byte_waited_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum RedirectOutcome {
    /// The last hop was not a redirect (or redirects were not to be followed).
    Final,
    /// A URL came back that had already been visited: the viewer would loop forever.
    Loop { repeated_url: String },
    /// The hop bound was reached without a final answer.
    TooMany { limit: u32 },
    /// A redirect CloudFront would not follow (another host, scheme or port than it connects to,
    /// or a refused address); `reason` says which. It was not followed.
    NotFollowed { location: String, reason: String },
    /// The last hop failed (see its error).
    Failed,
}

/// What the caller declared the application needs (`expect`), recorded for the checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// HTTP methods viewers use, upper case (e.g. `POST`).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Request header names the application reads (e.g. `Authorization`).
    #[serde(default)]
    pub headers: Vec<String>,
    /// Cookie names the application reads.
    #[serde(default)]
    pub cookies: Vec<String>,
    /// Query-string parameter names the application reads.
    #[serde(default, alias = "queryStrings", alias = "query")]
    pub query_strings: Vec<String>,
    /// Viewers send GET requests with a body (search APIs); one such GET is then sent through
    /// the distribution.
    #[serde(default, alias = "getWithBody")]
    pub get_with_body: bool,
}

impl Expectations {
    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
            && self.headers.is_empty()
            && self.cookies.is_empty()
            && self.query_strings.is_empty()
            && !self.get_with_body
    }
}

/// Which name a DNS observation is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DnsRole {
    Origin {
        origin_id: String,
    },
    /// The distribution's own `*.cloudfront.net` name.
    DistributionDomain,
    Alias,
}

/// One name resolved: A, AAAA and the CNAME chain, or why it did not resolve.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsObservation {
    pub name: String,
    pub role: DnsRole,
    /// `override` (a `--connect-to` entry stands in for DNS), `resolver <addr>` or `system`.
    pub source: String,
    /// CNAME targets in order, when the resolver returned them.
    pub cname_chain: Vec<String>,
    pub a: Vec<String>,
    pub aaaa: Vec<String>,
    /// `nxdomain`, `servfail`, `timeout`, … when the name did not resolve.
    pub error: Option<String>,
    /// Private, loopback, link-local or metadata answers, one line each.
    pub notes: Vec<String>,
    /// For aliases: whether the name leads to this distribution's domain (CNAME chain or the
    /// same addresses); `None` when that could not be told.
    pub points_to_distribution: Option<bool>,
}

impl DnsObservation {
    pub fn resolved(&self) -> bool {
        self.error.is_none() && (!self.a.is_empty() || !self.aaaa.is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpOutcome {
    Connected,
    Refused,
    TimedOut,
    /// The address may not be probed (link-local, private without opt-in) or did not resolve.
    NotAttempted,
    Error,
}

/// One TCP connect to a port CloudFront uses toward an origin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpObservation {
    pub origin_id: String,
    pub host: String,
    pub port: u16,
    pub scheme: Scheme,
    pub address: Option<String>,
    pub from_override: bool,
    pub outcome: TcpOutcome,
    pub connect_ms: Option<u64>,
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_from_before_the_new_fields_still_load() {
        let old = r#"{"probed_from":"x","overrides":[],"skipped":[],"probes":[{"id":"origin:o1:http:/",
            "target":{"kind":"origin","origin_id":"o1","behavior":"default (*)","scheme":"http","port":80,"host_header":"a"},
            "method":"GET","request_headers":[],"redirects":{"outcome":"final"},
            "hops":[{"url":"http://a/","address":null,"address_from_override":false,"sni":null,"host_header":"a",
              "result":{"type":"response","status":200,"reason":"OK","headers":[],"body_sample":"","body_bytes_read":0,
                "body_truncated":false,"cloudfront_error":null},
              "timings":{"connect_ms":1,"tls_ms":null,"first_byte_ms":2,"max_gap_ms":0,"total_ms":3}}]}]}"#;
        let o: Observations = serde_json::from_str(old).unwrap();
        assert!(o.dns.is_empty() && o.tcp.is_empty());
        assert_eq!(o.probes[0].shape, RequestShape::Cloudfront);
        assert_eq!(o.origin_probes("o1").count(), 1);
        let echo: crate::evidence::RequestEcho =
            serde_json::from_str(r#"{"distribution_id":"E1","paths":["/"]}"#).unwrap();
        assert!(echo.expect.is_empty() && echo.method_probe_path.is_none());
    }

    #[test]
    fn a_cloudfront_reason_is_recorded_as_its_sentence_and_an_unknown_one_is_kept() {
        for r in CloudFrontReason::KNOWN {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, serde_json::to_string(r.sentence()).unwrap());
            assert_eq!(serde_json::from_str::<CloudFrontReason>(&json).unwrap(), r);
        }
        let old = r#"{"heading":"503 ERROR","reason":"A sentence from another year."}"#;
        let page: CloudFrontErrorPage = serde_json::from_str(old).unwrap();
        assert_eq!(page.reason, Some(CloudFrontReason::Other("A sentence from another year.".into())));
        assert_eq!(serde_json::to_string(&page).unwrap(), old);
    }

    #[test]
    fn hop_results_survive_the_json_value_round_trip() {
        let mut page = crate::testing::cloudfront_page(502, CloudFrontReason::CannotConnect);
        page.body_sample.clear();
        for result in [
            HopResult::Error(ProbeError::tls(
                TlsErrorKind::Alert("HandshakeFailure".into()),
                "server sent TLS alert x",
            )),
            HopResult::Error(ProbeError::tls(TlsErrorKind::Expired, "certificate rejected: Expired")),
            HopResult::Error(ProbeError::new(ProbeStage::Connect, "refused")),
            HopResult::Response(page),
        ] {
            let value = serde_json::to_value(&result).unwrap();
            let back: HopResult = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"));
            assert_eq!(serde_json::to_value(&back).unwrap(), value);
        }
    }

    #[test]
    fn a_tls_failure_recorded_without_its_kind_gets_it_from_the_message_at_load_time() {
        let load = |stage: &str, message: &str| -> ProbeError {
            serde_json::from_value(serde_json::json!({"stage": stage, "message": message})).unwrap()
        };
        let kind = |message: &str| load("tls", message).tls.expect("a kind");
        assert_eq!(kind("certificate rejected: NotValidForName"), TlsErrorKind::NameMismatch);
        assert_eq!(
            kind("certificate rejected: NotValidForNameContext { expected: DnsName(\"a\"), presented: [] }"),
            TlsErrorKind::NameMismatch
        );
        assert_eq!(kind("certificate rejected: ExpiredContext { time: 1, not_after: 0 }"), TlsErrorKind::Expired);
        assert_eq!(kind("certificate rejected: NotValidYet"), TlsErrorKind::NotYetValid);
        assert_eq!(kind("certificate rejected: UnknownIssuer"), TlsErrorKind::UnknownIssuer);
        assert_eq!(kind("certificate rejected: BadSignature"), TlsErrorKind::BadSignature);
        assert_eq!(kind("certificate rejected: Revoked"), TlsErrorKind::OtherCertificate);
        assert_eq!(kind("server sent TLS alert HandshakeFailure"), TlsErrorKind::Alert("HandshakeFailure".into()));
        assert_eq!(kind("TLS handshake did not complete within 2000 ms"), TlsErrorKind::TimedOut);
        assert_eq!(kind("invalid TLS server name: x"), TlsErrorKind::InvalidServerName);
        assert_eq!(kind("TLS error: received corrupt message of type InvalidContentType"), TlsErrorKind::NotTls);
        assert_eq!(kind("TLS handshake failed: connection reset by peer"), TlsErrorKind::Other);
        // Only a TLS failure has a kind; a recorded kind is kept as it is.
        assert_eq!(load("connect", "certificate rejected: Expired").tls, None);
        let recorded: ProbeError = serde_json::from_str(
            r#"{"stage":"tls","message":"certificate rejected: Expired","tls":{"alert":"CertificateExpired"}}"#,
        )
        .unwrap();
        assert_eq!(recorded.tls, Some(TlsErrorKind::Alert("CertificateExpired".into())));
        // Written with its kind, without one for other stages.
        let written = serde_json::to_string(&ProbeError::tls(TlsErrorKind::Expired, "certificate rejected: Expired"));
        assert_eq!(written.unwrap(), r#"{"stage":"tls","message":"certificate rejected: Expired","tls":"expired"}"#);
        let written = serde_json::to_string(&ProbeError::new(ProbeStage::Connect, "refused")).unwrap();
        assert_eq!(written, r#"{"stage":"connect","message":"refused"}"#);
        // A refused connect is written as such and read back; older recordings read as not refused.
        let written = serde_json::to_string(&ProbeError::connect_refused("x: Connection refused")).unwrap();
        assert_eq!(written, r#"{"stage":"connect","message":"x: Connection refused","refused":true}"#);
        assert!(serde_json::from_str::<ProbeError>(&written).unwrap().refused);
        assert!(!load("connect", "x: Connection refused").refused);
        assert!(serde_json::from_str::<ProbeError>(r#"{"stage":"tls","message":"x","other":1}"#).is_err());
    }
}
