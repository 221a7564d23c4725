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
    /// TLS handshakes toward each HTTPS origin, shaped as CloudFront's hello.
    #[serde(default)]
    pub tls: Vec<super::TlsObservation>,
}

impl Observations {
    pub fn origin_probes<'a>(&'a self, origin_id: &'a str) -> impl Iterator<Item = &'a ProbeRecord> + 'a {
        self.probes
            .iter()
            .filter(move |p| matches!(&p.target, ProbeTarget::Origin { origin_id: o, .. } if o == origin_id))
    }

    pub fn edge_probes(&self) -> impl Iterator<Item = &ProbeRecord> {
        self.probes.iter().filter(|p| matches!(p.target, ProbeTarget::Edge { .. }))
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
}

impl ProbeRecord {
    pub fn first_response(&self) -> Option<&HttpResponse> {
        self.hops.first().and_then(|h| h.response())
    }

    pub fn last_hop(&self) -> Option<&Hop> {
        self.hops.last()
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
}

impl HttpResponse {
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
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeError {
    pub stage: ProbeStage,
    pub message: String,
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
    /// Longest pause between two reads of the response.
    pub max_gap_ms: Option<u64>,
    pub total_ms: u64,
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
    /// A redirect pointed at a host the distribution does not name; it was not followed.
    NotFollowed { location: String, reason: String },
    /// The last hop failed (see its error).
    Failed,
}
