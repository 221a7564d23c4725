//! What a caller asks for, validated once into [`DiagnoseRequest`] and [`ProbeSettings`].
//!
//! The CLI builds these from flags, the Lambda from its event and environment; both go through
//! the same validation so a bad input gets the same one-line error either way.

// Parses what an origin (or a caller) sends: no arithmetic that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

use crate::evidence::{Expectations, MAX_SAMPLES};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Why a request was rejected before any work started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRequest(pub String);

fn invalid(msg: impl Into<String>) -> InvalidRequest {
    InvalidRequest(msg.into())
}

/// A CloudFront distribution id: 1 to 64 upper-case letters and digits (real ids are 13-14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionId(String);

impl DistributionId {
    pub fn parse(raw: &str) -> Result<Self, InvalidRequest> {
        let id = raw.trim();
        if id.is_empty() {
            return Err(invalid("distribution_id is empty"));
        }
        if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            let shown: String = id.chars().take(40).collect();
            return Err(invalid(format!(
                "distribution_id {shown:?} is not a CloudFront distribution id (upper-case letters and digits, like E2QWRUHEXAMPLE)"
            )));
        }
        Ok(DistributionId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A viewer path to probe: starts with `/`, no whitespace or control characters.
pub fn validate_path(raw: &str) -> Result<String, InvalidRequest> {
    if !raw.starts_with('/') {
        return Err(invalid(format!("path {raw:?} must start with '/'")));
    }
    if raw.len() > 2048 {
        return Err(invalid("a path is longer than 2048 characters"));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(format!("path {raw:?} contains whitespace or control characters")));
    }
    Ok(raw.to_string())
}

/// curl's `--connect-to HOST:PORT:ADDR:PORT`: connections for HOST:PORT go to ADDR:PORT, and
/// this stands in for DNS for that host. IPv6 addresses go in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    pub host: String,
    pub port: u16,
    pub target: SocketAddr,
}

impl ConnectTo {
    pub fn parse(raw: &str) -> Result<Self, InvalidRequest> {
        let err = || invalid(format!("--connect-to {raw:?} is not HOST:PORT:ADDR:PORT"));
        let (host, rest) = raw.split_once(':').ok_or_else(err)?;
        let (port, target) = rest.split_once(':').ok_or_else(err)?;
        let (addr, target_port) = target.rsplit_once(':').ok_or_else(err)?;
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        let ip: IpAddr = addr.parse().map_err(|_| {
            invalid(format!("--connect-to {raw:?}: {addr:?} is not an IP address (names are not resolved here)"))
        })?;
        let port: u16 = port.parse().map_err(|_| err())?;
        let target_port: u16 = target_port.parse().map_err(|_| err())?;
        if host.is_empty() || port == 0 || target_port == 0 {
            return Err(err());
        }
        Ok(ConnectTo { host: host.to_ascii_lowercase(), port, target: SocketAddr::new(ip, target_port) })
    }
}

/// One diagnosis to run.
#[derive(Debug, Clone)]
pub struct DiagnoseRequest {
    pub distribution_id: DistributionId,
    /// Viewer paths to probe; `["/"]` when none were given.
    pub paths: Vec<String>,
    /// What the application needs: methods, headers, cookies, query strings.
    pub expect: Expectations,
    /// Where write methods (POST, PUT, PATCH, DELETE) may be sent; without it they never are.
    pub method_probe_path: Option<String>,
    /// How the distribution was found when the caller named a URL or hostname, not its id.
    pub located_by: Option<String>,
    /// Requests per edge and origin probe (1: each probe once); see [`DiagnoseRequest::with_samples`].
    pub samples: u32,
    /// What of CloudFront's own view (metrics, access logs) to read, and over which window.
    pub view: ViewRequest,
}

/// CloudFront's own view: the window and the log sources the caller lets the run read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewRequest {
    /// Read metrics and logs at all.
    pub enabled: bool,
    /// Minutes before collection when no window is given.
    pub minutes: u32,
    /// An explicit window (start, end in Unix seconds) and where it came from (an alarm).
    pub window: Option<(i64, i64, String)>,
    /// The log buckets (names or ARNs) that may be read: `None` lets the run read the bucket the
    /// distribution's `Logging` names; an empty list reads none.
    pub log_buckets: Option<Vec<String>>,
    /// CloudWatch Logs groups (names or ARNs) holding the distribution's standard logs (v2).
    pub log_groups: Vec<String>,
}

impl Default for ViewRequest {
    fn default() -> Self {
        ViewRequest { enabled: true, minutes: 60, window: None, log_buckets: None, log_groups: Vec::new() }
    }
}

impl DiagnoseRequest {
    pub fn new(distribution_id: &str, paths: &[String]) -> Result<Self, InvalidRequest> {
        let distribution_id = DistributionId::parse(distribution_id)?;
        if paths.len() > 20 {
            return Err(invalid(format!("{} paths given; at most 20", paths.len())));
        }
        let mut checked = Vec::new();
        for p in paths {
            let p = validate_path(p)?;
            if !checked.contains(&p) {
                checked.push(p);
            }
        }
        if checked.is_empty() {
            checked.push("/".to_string());
        }
        Ok(DiagnoseRequest {
            distribution_id,
            paths: checked,
            expect: Expectations::default(),
            method_probe_path: None,
            located_by: None,
            samples: 1,
            view: ViewRequest::default(),
        })
    }

    /// Records how the distribution was found (from a URL or hostname), for the report.
    pub fn located_by(mut self, how: impl Into<String>) -> Self {
        self.located_by = Some(how.into());
        self
    }

    /// Repeats each edge and origin probe `n` times within the one probe budget (1 to
    /// [`MAX_SAMPLES`]), so a failure that comes and goes shows as a rate, and measures how long
    /// each origin keeps an idle keep-alive connection open.
    pub fn with_samples(mut self, n: u32) -> Result<Self, InvalidRequest> {
        if !(1..=MAX_SAMPLES).contains(&n) {
            return Err(invalid(format!("samples must be 1 to {MAX_SAMPLES} (requests per probe), not {n}")));
        }
        self.samples = n;
        Ok(self)
    }

    /// Adds what the application needs and the path on which write methods may be sent.
    pub fn with_expectations(
        mut self,
        expect: Expectations,
        method_probe_path: Option<&str>,
    ) -> Result<Self, InvalidRequest> {
        self.expect = validate_expectations(expect)?;
        self.method_probe_path = method_probe_path.map(validate_path).transpose()?;
        Ok(self)
    }
}

/// Methods a request may declare; CloudFront's allowed-method sets are built from these.
pub const KNOWN_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"];

/// Methods that change state: sent only to a declared method-probe path.
pub fn is_write_method(m: &str) -> bool {
    matches!(m, "PUT" | "PATCH" | "POST" | "DELETE")
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= 256 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Header names that frame or route the message (RFC 9112 6.1-6.3 and 9.6, RFC 9110 7.2,
/// 7.6.1, 7.8, 10.1.4, 6.6.2, 11.7): the probe sends each expected header with a marker value,
/// and one of these would change how the origin reads the request (a second Content-Length,
/// a Transfer-Encoding it cannot decode, a second Host) instead of testing forwarding.
/// `Proxy-*` names are refused as a family (RFC 9110 11.7, and `Proxy-Connection`).
const FRAMING_HEADERS: &[&str] =
    &["content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive", "host"];

fn is_framing_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    FRAMING_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-")
}

/// Upper-cases methods and checks every name; duplicates are dropped.
pub fn validate_expectations(e: Expectations) -> Result<Expectations, InvalidRequest> {
    fn dedup(v: Vec<String>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for x in v {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&x)) {
                out.push(x);
            }
        }
        out
    }
    let mut methods = Vec::new();
    for m in e.methods {
        let up = m.trim().to_ascii_uppercase();
        if !KNOWN_METHODS.contains(&up.as_str()) {
            return Err(invalid(format!("expected method {m:?} is not one of {}", KNOWN_METHODS.join(", "))));
        }
        methods.push(up);
    }
    for (kind, names) in [("header", &e.headers), ("cookie", &e.cookies), ("query string", &e.query_strings)] {
        if names.len() > 32 {
            return Err(invalid(format!("more than 32 expected {kind} names")));
        }
        for n in names {
            if !is_token(n) {
                return Err(invalid(format!("expected {kind} name {n:?} is not a valid name")));
            }
            if kind == "header" && is_framing_header(n) {
                return Err(invalid(format!(
                    "expected header {n:?} frames or routes the request (Content-Length, Transfer-Encoding, \
                     Connection, Upgrade, TE, Trailer, Keep-Alive, Host, Proxy-*) and cannot be tested as a \
                     forwarded header"
                )));
            }
        }
    }
    Ok(Expectations {
        methods: dedup(methods),
        headers: dedup(e.headers),
        cookies: dedup(e.cookies),
        query_strings: dedup(e.query_strings),
        get_with_body: e.get_with_body,
    })
}

/// How probes may reach the network: overrides, extra trust anchors, limits.
#[derive(Debug, Clone, Default)]
pub struct ProbeSettings {
    pub connect_to: Vec<ConnectTo>,
    /// PEM certificates added to Mozilla's roots.
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Allow private and loopback targets (link-local and metadata addresses stay refused).
    pub allow_private_targets: bool,
    pub limits: ProbeLimits,
    /// DNS server for name resolution and DNS observations; `None`: the first `nameserver` of
    /// `/etc/resolv.conf` for observations and the system resolver for connections.
    pub dns_server: Option<SocketAddr>,
}

/// Bounds on every probe. Defaults keep a full diagnosis well inside a Lambda's timeout.
#[derive(Debug, Clone)]
pub struct ProbeLimits {
    pub connect_timeout: Duration,
    pub tls_timeout: Duration,
    pub first_byte_timeout: Duration,
    /// Wall time for one hop, from connect to the last body byte read.
    pub hop_timeout: Duration,
    /// Wall time for the whole probe phase.
    pub phase_budget: Duration,
    pub max_header_bytes: usize,
    /// Body bytes read per response; the rest is not downloaded.
    pub max_body_bytes: u64,
    /// Body bytes kept in the evidence.
    pub body_sample_bytes: usize,
    pub max_redirects: u32,
}

impl Default for ProbeLimits {
    fn default() -> Self {
        ProbeLimits {
            connect_timeout: Duration::from_secs(5),
            tls_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(35),
            hop_timeout: Duration::from_secs(40),
            phase_budget: Duration::from_secs(60),
            max_header_bytes: 64 * 1024,
            max_body_bytes: 256 * 1024,
            body_sample_bytes: 2048,
            max_redirects: 5,
        }
    }
}

/// The direct-invocation payload (`aws lambda invoke`, Step Functions, the console test).
/// snake_case and camelCase keys are both accepted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectRequest {
    #[serde(alias = "distributionId", alias = "DistributionId")]
    pub distribution_id: String,
    #[serde(default)]
    pub paths: Vec<String>,
    /// What the application needs (methods, headers, cookies, query strings).
    #[serde(default)]
    pub expect: Option<Expectations>,
    #[serde(default, alias = "methodProbePath")]
    pub method_probe_path: Option<String>,
}

impl DirectRequest {
    pub fn into_request(self) -> Result<DiagnoseRequest, InvalidRequest> {
        DiagnoseRequest::new(&self.distribution_id, &self.paths)?
            .with_expectations(self.expect.unwrap_or_default(), self.method_probe_path.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_to_parses_ipv4_and_bracketed_ipv6() {
        let c = ConnectTo::parse("Example.com:443:127.0.0.1:8443").unwrap();
        assert_eq!(c.host, "example.com");
        assert_eq!(c.port, 443);
        assert_eq!(c.target, "127.0.0.1:8443".parse().unwrap());
        let c = ConnectTo::parse("a.b:80:[::1]:8080").unwrap();
        assert_eq!(c.target, "[::1]:8080".parse().unwrap());
    }

    #[test]
    fn connect_to_rejects_names_and_bad_ports() {
        for bad in ["a:80:localhost:80", "a:80:127.0.0.1", "a:x:127.0.0.1:80", ":80:127.0.0.1:80", "a:0:127.0.0.1:80"] {
            assert!(ConnectTo::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn distribution_ids_are_validated() {
        assert!(DistributionId::parse("E2QWRUHEXAMPLE").is_ok());
        for bad in ["", "e2qwruhexample", "E2 Q", "../etc", &"E".repeat(65)] {
            assert!(DistributionId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn samples_are_bounded() {
        let r = DiagnoseRequest::new("EABC", &[]).unwrap();
        assert_eq!(r.samples, 1);
        assert_eq!(r.clone().with_samples(20).unwrap().samples, 20);
        for bad in [0, MAX_SAMPLES + 1, 1000] {
            let e = r.clone().with_samples(bad).unwrap_err();
            assert!(e.0.contains("samples must be 1 to 50"), "{e}");
        }
    }

    #[test]
    fn paths_default_to_root_and_are_deduplicated() {
        let r = DiagnoseRequest::new("EABC", &[]).unwrap();
        assert_eq!(r.paths, vec!["/"]);
        let r = DiagnoseRequest::new("EABC", &["/a".into(), "/a".into(), "/b?x=1".into()]).unwrap();
        assert_eq!(r.paths, vec!["/a", "/b?x=1"]);
        assert!(DiagnoseRequest::new("EABC", &["a".into()]).is_err());
        assert!(DiagnoseRequest::new("EABC", &["/a b".into()]).is_err());
    }

    #[test]
    fn direct_request_accepts_camel_case_and_rejects_unknown_keys() {
        let r: DirectRequest = serde_json::from_str(r#"{"distributionId":"EABC","paths":["/x"]}"#).unwrap();
        assert_eq!(r.into_request().unwrap().paths, vec!["/x"]);
        assert!(serde_json::from_str::<DirectRequest>(r#"{"distribution_id":"EABC","bogus":1}"#).is_err());
    }

    #[test]
    fn expectations_are_validated_and_accepted_in_camel_case() {
        let r: DirectRequest = serde_json::from_str(
            r#"{"distributionId":"EABC","expect":{"methods":["post","GET"],"headers":["Authorization"],"cookies":["session"],"queryStrings":["lang"]},"methodProbePath":"/api/echo"}"#,
        )
        .unwrap();
        let r = r.into_request().unwrap();
        assert_eq!(r.expect.methods, vec!["POST", "GET"]);
        assert_eq!(r.expect.headers, vec!["Authorization"]);
        assert_eq!(r.expect.query_strings, vec!["lang"]);
        assert_eq!(r.method_probe_path.as_deref(), Some("/api/echo"));
        let bad = |e: Expectations| DiagnoseRequest::new("EABC", &[]).unwrap().with_expectations(e, None).is_err();
        assert!(bad(Expectations { methods: vec!["TRACE".into()], ..Default::default() }));
        assert!(bad(Expectations { headers: vec!["Bad Header".into()], ..Default::default() }));
        assert!(bad(Expectations { cookies: vec!["a;b".into()], ..Default::default() }));
        for framing in ["Transfer-Encoding", "content-length", "Host", "TE", "Proxy-Authorization", "Keep-Alive"] {
            assert!(bad(Expectations { headers: vec![framing.into()], ..Default::default() }), "{framing}");
        }
        assert!(!bad(Expectations { headers: vec!["X-Proxy-Id".into(), "Tracestate".into()], ..Default::default() }));
        assert!(
            DiagnoseRequest::new("EABC", &[]).unwrap().with_expectations(Expectations::default(), Some("x")).is_err()
        );
        assert!(is_write_method("POST") && !is_write_method("OPTIONS"));
    }
}
