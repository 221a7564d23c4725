//! CloudFront's own view of the distribution: its CloudWatch metrics and its access logs.
//!
//! The probes run from wherever the tool runs, never from CloudFront's origin-facing addresses;
//! CloudFront records what it saw itself. The metrics are the distribution's CloudWatch metrics
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html>),
//! the logs its standard access logs, whose fields and `x-edge-detailed-result-type` values are
//! those of <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html>.
//!
//! Only a summary is kept. Viewer addresses, cookies and query strings are counted, never
//! copied; paths are kept without their query string.

// Reads log lines that CloudFront (or whoever can write to the log bucket) wrote: no arithmetic
// that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

use super::Fetch;
use super::bound::bounded_text;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// `observations.cloudfront`: the window read, the metrics and the logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFrontView {
    pub window: ViewWindow,
    pub metrics: Fetch<CloudFrontMetrics>,
    pub logs: Fetch<CloudFrontLogs>,
}

/// The time window both reads cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewWindow {
    /// Seconds since the Unix epoch.
    pub start_unix: i64,
    pub end_unix: i64,
    /// Where the window came from: `default` (the last 60 minutes) or the alarm that triggered
    /// the run (`alarm <name>`).
    pub origin: String,
}

impl ViewWindow {
    pub fn minutes(&self) -> i64 {
        self.end_unix.saturating_sub(self.start_unix) / 60
    }
}

/// The distribution's metrics over the window (namespace `AWS/CloudFront`, dimensions
/// `DistributionId` and `Region=Global`, us-east-1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFrontMetrics {
    /// Sum of `Requests` over the window.
    pub requests: Option<f64>,
    /// Rates in percent, averaged over the window (weighted by period).
    pub error_rate_4xx: Option<f64>,
    pub error_rate_5xx: Option<f64>,
    pub total_error_rate: Option<f64>,
    /// The additional metrics (a paid option per distribution).
    pub error_rate_401: Option<f64>,
    pub error_rate_403: Option<f64>,
    pub error_rate_404: Option<f64>,
    pub error_rate_502: Option<f64>,
    pub error_rate_503: Option<f64>,
    pub error_rate_504: Option<f64>,
    /// `OriginLatency` in milliseconds.
    pub origin_latency_p50_ms: Option<f64>,
    pub origin_latency_p90_ms: Option<f64>,
    pub origin_latency_max_ms: Option<f64>,
    pub cache_hit_rate: Option<f64>,
    /// Metrics that returned no data point, and why.
    pub unavailable: Vec<UnavailableMetric>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnavailableMetric {
    pub metric: String,
    /// `not_enabled` (an additional metric while the standard ones have data) or `no_data`.
    pub why: String,
}

/// Where the access logs were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LogSource {
    /// Standard logging (legacy): gzip objects `<prefix><distribution id>.YYYY-MM-DD-HH.<unique>.gz`.
    S3 { bucket: String, prefix: String },
    /// Standard logging (v2) delivered to a CloudWatch Logs group.
    CloudWatchLogs { log_group: String },
}

impl LogSource {
    pub fn describe(&self) -> String {
        match self {
            LogSource::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
            LogSource::CloudWatchLogs { log_group } => format!("log group {log_group}"),
        }
    }
}

/// How much was read, and which bound stopped the reading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogReadStats {
    /// Log objects (or events) that matched the distribution and window.
    pub objects_found: u64,
    pub objects_read: u64,
    /// Bytes as stored (gzip), then after decompression.
    pub bytes_read: u64,
    pub bytes_decompressed: u64,
    /// Lines that were neither a header nor a record of the declared fields.
    pub malformed_lines: u64,
    /// Records outside the window (log objects cover whole hours).
    pub outside_window: u64,
    /// The bounds reached (`objects`, `bytes`, `decompressed bytes`, `seconds`, `records`).
    pub bounds_hit: Vec<String>,
    /// Objects that could not be read, with the reason (bounded).
    pub object_errors: Vec<String>,
}

/// LogPercentiles of a duration, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogPercentiles {
    pub count: u64,
    pub p50_ms: u64,
    pub p90_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
}

/// A path (no query string) and how its requests went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathCount {
    pub path: String,
    pub requests: u64,
    pub failing: u64,
    /// The most frequent `x-edge-detailed-result-type` among its failing requests.
    pub top_failure: Option<String>,
}

/// A failure kind from the logs: status and detailed result type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureKind {
    pub status: u16,
    pub detailed_result_type: String,
    pub count: u64,
    /// Time to first byte of these requests.
    pub time_to_first_byte: LogPercentiles,
    /// Edge locations that logged it.
    pub edge_locations: u64,
}

/// What the logs said about viewers without saying who they are: counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withheld {
    /// Distinct viewer addresses (`c-ip`), never listed.
    pub distinct_viewer_ips: u64,
    /// Requests that carried a cookie (`cs(Cookie)`), whose values are never copied.
    pub requests_with_cookies: u64,
    /// Requests that carried a query string (`cs-uri-query`), whose values are never copied.
    pub requests_with_query: u64,
}

/// The summary of the access log records in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFrontLogs {
    pub source: LogSource,
    pub read: LogReadStats,
    pub requests: u64,
    /// Requests CloudFront answered with a 5xx, or whose detailed result type is an origin error.
    pub failing: u64,
    /// Requests per `sc-status` (keys are the status as text, so the map survives any JSON
    /// round trip).
    pub by_status: BTreeMap<String, u64>,
    pub by_result_type: BTreeMap<String, u64>,
    pub by_detailed_result_type: BTreeMap<String, u64>,
    /// The failure kinds, most frequent first.
    pub failures: Vec<FailureKind>,
    /// Requests per edge location (codes such as `IAD89-C1`: CloudFront's, not the viewer's).
    pub edge_locations: BTreeMap<String, u64>,
    pub time_to_first_byte: Option<LogPercentiles>,
    /// The paths with the most failing requests (at most [`MAX_PATHS_REPORTED`]).
    pub paths: Vec<PathCount>,
    pub withheld: Withheld,
    /// First and last record time (`YYYY-MM-DDTHH:MM:SSZ`).
    pub first_record: Option<String>,
    pub last_record: Option<String>,
}

impl CloudFrontLogs {
    /// The failing share, in percent.
    pub fn failing_percent(&self) -> f64 {
        percent(self.failing, self.requests)
    }

    /// The most frequent failure kind.
    pub fn dominant_failure(&self) -> Option<&FailureKind> {
        self.failures.first()
    }

    /// How many requests logged this detailed result type.
    pub fn detailed(&self, kind: &str) -> u64 {
        self.by_detailed_result_type.get(kind).copied().unwrap_or(0)
    }
}

pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 }
}

/// The values of `x-edge-detailed-result-type` when `x-edge-result-type` is `Error`, from the
/// standard logs reference.
pub const DETAILED_ERROR_TYPES: &[&str] = &[
    "AbortedOrigin",
    "ClientCommError",
    "ClientGeoBlocked",
    "ClientHungUpRequest",
    "Error",
    "InvalidRequest",
    "InvalidRequestBlocked",
    "InvalidRequestCertificate",
    "InvalidRequestHeader",
    "InvalidRequestMethod",
    "OriginCommError",
    "OriginConnectError",
    "OriginContentRangeLengthError",
    "OriginDnsError",
    "OriginError",
    "OriginHeaderTooBigError",
    "OriginInvalidResponseError",
    "OriginReadError",
    "OriginWriteError",
    "OriginZeroSizeObjectError",
    "SlowReaderOriginError",
];

/// Whether a detailed result type says CloudFront failed toward the origin.
pub fn is_origin_failure(detailed: &str) -> bool {
    detailed.starts_with("Origin") || detailed == "AbortedOrigin" || detailed == "SlowReaderOriginError"
}

/// The fields of a standard log record in the order CloudFront writes them (the `#Fields:`
/// header of every legacy log file names them; the lab writes the same line).
pub const STANDARD_FIELDS: &[&str] = &[
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
];

/// Distinct values tracked per key (paths, edge locations, result types, viewer addresses):
/// beyond it new values are counted under [`OTHER`], so a hostile log cannot grow memory.
pub const MAX_DISTINCT: usize = 2000;
/// Paths listed in the summary.
pub const MAX_PATHS_REPORTED: usize = 10;
/// Failure kinds listed.
pub const MAX_FAILURE_KINDS: usize = 12;
/// Edge locations listed.
pub const MAX_EDGE_LOCATIONS: usize = 50;
/// Time samples kept per series for percentiles.
const MAX_SAMPLES: usize = 100_000;
const OTHER: &str = "(other)";

#[derive(Default)]
struct PathAcc {
    requests: u64,
    failing: u64,
    failures: BTreeMap<String, u64>,
}

#[derive(Default)]
struct KindAcc {
    count: u64,
    ttfb: Vec<u64>,
    edges: BTreeSet<String>,
}

/// Reads log text (the lines of one object or event after another) into a summary, bounded in
/// memory whatever the input.
pub struct LogAccumulator {
    window: (i64, i64),
    fields: Vec<String>,
    read: LogReadStats,
    requests: u64,
    failing: u64,
    by_status: BTreeMap<String, u64>,
    by_result: BTreeMap<String, u64>,
    by_detailed: BTreeMap<String, u64>,
    kinds: BTreeMap<(u16, String), KindAcc>,
    edges: BTreeMap<String, u64>,
    ttfb: Vec<u64>,
    paths: BTreeMap<String, PathAcc>,
    viewer_ips: BTreeSet<u64>,
    ips_over: bool,
    withheld: Withheld,
    first: Option<String>,
    last: Option<String>,
}

fn bump<K: Ord + Clone>(map: &mut BTreeMap<K, u64>, key: K, other: K) {
    let key = if map.len() >= MAX_DISTINCT && !map.contains_key(&key) { other } else { key };
    let n = map.entry(key).or_insert(0);
    *n = n.saturating_add(1);
}

fn push_sample(v: &mut Vec<u64>, x: u64) {
    if v.len() < MAX_SAMPLES {
        v.push(x);
    }
}

/// LogPercentiles of `samples` (sorted in place); None when empty.
pub fn percentiles(samples: &mut [u64]) -> Option<LogPercentiles> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let at = |q: usize| {
        let last = samples.len().saturating_sub(1);
        let i = last.saturating_mul(q) / 100;
        samples.get(i).copied().unwrap_or(0)
    };
    Some(LogPercentiles {
        count: samples.len() as u64,
        p50_ms: at(50),
        p90_ms: at(90),
        p99_ms: at(99),
        max_ms: samples.last().copied().unwrap_or(0),
    })
}

/// Seconds as CloudFront writes them (`0.123`) to milliseconds.
fn seconds_to_ms(s: &str) -> Option<u64> {
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && (0.0..1.0e9).contains(&v)).then(|| (v * 1000.0).round() as u64)
}

/// `2026-12-06` `23:59:01` (UTC) to seconds since the epoch; `None` for anything else.
pub fn utc_unix(date: &str, time: &str) -> Option<i64> {
    record_unix(date, time)
}

/// `2026-12-06` `23:59:01` to seconds since the epoch.
fn record_unix(date: &str, time: &str) -> Option<i64> {
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 || !(1970..=9999).contains(&y)
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm); every value is bounded above.
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y / 400;
    let yoe = y.checked_sub(era.checked_mul(400)?)?;
    let mp = if m > 2 { m.checked_sub(3)? } else { m.checked_add(9)? };
    let doy = (mp.checked_mul(153)?.checked_add(2)? / 5).checked_add(day.checked_sub(1)?)?;
    let doe = yoe.checked_mul(365)?.checked_add(yoe / 4)?.checked_sub(yoe / 100)?.checked_add(doy)?;
    let days = era.checked_mul(146_097)?.checked_add(doe)?.checked_sub(719_468)?;
    days.checked_mul(86_400)?.checked_add(h.checked_mul(3600)?)?.checked_add(mi.checked_mul(60)?)?.checked_add(s)
}

/// A Unix time (UTC) as the `date` and `time` fields of a log line (`2026-12-06`, `23:59:01`)
/// and the hour of a log object's name (`2026-12-06-23`); `None` before 1970 or past 9999.
pub fn log_stamps(unix: i64) -> Option<(String, String, String)> {
    if !(0..253_402_300_800).contains(&unix) {
        return None;
    }
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Civil from days (Howard Hinnant's algorithm); every value is bounded by the range above.
    let z = days.checked_add(719_468)?;
    let era = z / 146_097;
    let doe = z.checked_sub(era.checked_mul(146_097)?)?;
    let yoe = doe.checked_sub(doe / 1460)?.checked_add(doe / 36_524)?.checked_sub(doe / 146_096)? / 365;
    let doy = doe.checked_sub(yoe.checked_mul(365)?.checked_add(yoe / 4)?.checked_sub(yoe / 100)?)?;
    let mp = doy.checked_mul(5)?.checked_add(2)? / 153;
    let day = doy.checked_sub(mp.checked_mul(153)?.checked_add(2)? / 5)?.checked_add(1)?;
    let month = if mp < 10 { mp.checked_add(3)? } else { mp.checked_sub(9)? };
    let year = yoe.checked_add(era.checked_mul(400)?)?.checked_add(i64::from(month <= 2))?;
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    Some((
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{h:02}:{m:02}:{s:02}"),
        format!("{year:04}-{month:02}-{day:02}-{h:02}"),
    ))
}

/// A stable, non-reversible token for counting distinct viewer addresses without keeping them.
fn ip_token(ip: &str) -> u64 {
    // FNV-1a: only for counting distinct values in memory; never written anywhere.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ip.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn is_set(v: &str) -> bool {
    !v.is_empty() && v != "-"
}

impl LogAccumulator {
    pub fn new(window_start_unix: i64, window_end_unix: i64) -> Self {
        LogAccumulator {
            window: (window_start_unix, window_end_unix),
            fields: STANDARD_FIELDS.iter().map(|s| s.to_string()).collect(),
            read: LogReadStats::default(),
            requests: 0,
            failing: 0,
            by_status: BTreeMap::new(),
            by_result: BTreeMap::new(),
            by_detailed: BTreeMap::new(),
            kinds: BTreeMap::new(),
            edges: BTreeMap::new(),
            ttfb: Vec::new(),
            paths: BTreeMap::new(),
            viewer_ips: BTreeSet::new(),
            ips_over: false,
            withheld: Withheld::default(),
            first: None,
            last: None,
        }
    }

    /// The reading's own counters (objects, bytes, bounds), which the reader fills in.
    pub fn stats(&mut self) -> &mut LogReadStats {
        &mut self.read
    }

    pub fn records(&self) -> u64 {
        self.requests
    }

    /// Starts a new log file: its `#Fields:` header (if any) sets the field order again.
    pub fn start_object(&mut self) {
        self.fields = STANDARD_FIELDS.iter().map(|s| s.to_string()).collect();
    }

    /// Reads every line of `text`.
    pub fn add_text(&mut self, text: &str) {
        for line in text.lines() {
            self.add_line(line);
        }
    }

    /// Reads one line: a `#` header or a tab-separated record of the declared fields.
    pub fn add_line(&mut self, line: &str) {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return;
        }
        if let Some(header) = line.strip_prefix('#') {
            if let Some(fields) = header.strip_prefix("Fields:") {
                let fields: Vec<String> = fields.split_whitespace().take(256).map(str::to_string).collect();
                if fields.iter().any(|f| f == "sc-status") {
                    self.fields = fields;
                } else {
                    self.read.malformed_lines = self.read.malformed_lines.saturating_add(1);
                }
            }
            return;
        }
        // Standard logging (v2) can deliver JSON records, one object per line, named by field.
        if line.starts_with('{') {
            let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) else {
                self.read.malformed_lines = self.read.malformed_lines.saturating_add(1);
                return;
            };
            let fields: Vec<String> = map.keys().take(256).cloned().collect();
            let values: Vec<String> = map
                .values()
                .take(256)
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => "-".into(),
                    other => other.to_string(),
                })
                .collect();
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            self.add_record(&fields, &values);
            return;
        }
        let values: Vec<&str> = line.split('\t').collect();
        // A record of other fields than those declared is not read by guess.
        if values.len() != self.fields.len() {
            self.read.malformed_lines = self.read.malformed_lines.saturating_add(1);
            return;
        }
        let fields = std::mem::take(&mut self.fields);
        self.add_record(&fields, &values);
        self.fields = fields;
    }

    /// One record: `values[i]` is the value of `fields[i]`.
    fn add_record(&mut self, fields: &[String], values: &[&str]) {
        let get = |name: &str| fields.iter().position(|f| f == name).and_then(|i| values.get(i).copied());
        let Some(status) = get("sc-status").and_then(|s| s.parse::<u16>().ok()).filter(|s| (100..=999).contains(s))
        else {
            self.read.malformed_lines = self.read.malformed_lines.saturating_add(1);
            return;
        };
        if let (Some(date), Some(time)) = (get("date"), get("time")) {
            match record_unix(date, time) {
                Some(t) if t < self.window.0 || t > self.window.1 => {
                    self.read.outside_window = self.read.outside_window.saturating_add(1);
                    return;
                }
                Some(_) => {
                    let stamp = format!("{date}T{time}Z");
                    if self.first.as_ref().is_none_or(|f| stamp < *f) {
                        self.first = Some(stamp.clone());
                    }
                    if self.last.as_ref().is_none_or(|l| stamp > *l) {
                        self.last = Some(stamp);
                    }
                }
                None => {
                    self.read.malformed_lines = self.read.malformed_lines.saturating_add(1);
                    return;
                }
            }
        }
        self.requests = self.requests.saturating_add(1);
        bump(&mut self.by_status, status.to_string(), OTHER.to_string());
        let result = get("x-edge-result-type").filter(|v| is_set(v)).unwrap_or("-");
        bump(&mut self.by_result, bounded_text(result.to_string()), OTHER.to_string());
        let detailed = get("x-edge-detailed-result-type").filter(|v| is_set(v)).unwrap_or(result);
        let detailed = if detailed.len() > 64 { OTHER.to_string() } else { detailed.to_string() };
        bump(&mut self.by_detailed, detailed.clone(), OTHER.to_string());
        let edge = get("x-edge-location").filter(|v| is_set(v) && v.len() <= 32).unwrap_or(OTHER);
        bump(&mut self.edges, edge.to_string(), OTHER.to_string());
        let ttfb = get("time-to-first-byte").and_then(seconds_to_ms);
        if let Some(ms) = ttfb {
            push_sample(&mut self.ttfb, ms);
        }
        // Viewer data: counted, never kept.
        if let Some(ip) = get("c-ip").filter(|v| is_set(v)) {
            if self.viewer_ips.len() < MAX_DISTINCT.saturating_mul(10) {
                self.viewer_ips.insert(ip_token(ip));
            } else {
                self.ips_over = true;
            }
        }
        if get("cs(Cookie)").is_some_and(is_set) {
            self.withheld.requests_with_cookies = self.withheld.requests_with_cookies.saturating_add(1);
        }
        if get("cs-uri-query").is_some_and(is_set) {
            self.withheld.requests_with_query = self.withheld.requests_with_query.saturating_add(1);
        }
        let failing = status >= 500 || is_origin_failure(&detailed);
        if failing {
            self.failing = self.failing.saturating_add(1);
            let key = (status, detailed.clone());
            let kind = if self.kinds.len() >= MAX_DISTINCT && !self.kinds.contains_key(&key) {
                (status, OTHER.to_string())
            } else {
                key
            };
            let k = self.kinds.entry(kind).or_default();
            k.count = k.count.saturating_add(1);
            if let Some(ms) = ttfb {
                push_sample(&mut k.ttfb, ms);
            }
            if k.edges.len() < MAX_DISTINCT {
                k.edges.insert(edge.to_string());
            }
        }
        // The path only: the stem never holds the query string, and it is cut to a bounded size.
        let path = get("cs-uri-stem").filter(|v| is_set(v)).unwrap_or("/");
        let path = path.split(['?', '#']).next().unwrap_or("/");
        let path =
            if path.len() > 256 { format!("{}…", path.chars().take(200).collect::<String>()) } else { path.into() };
        let path =
            if self.paths.len() >= MAX_DISTINCT && !self.paths.contains_key(&path) { OTHER.into() } else { path };
        let p = self.paths.entry(path).or_default();
        p.requests = p.requests.saturating_add(1);
        if failing {
            p.failing = p.failing.saturating_add(1);
            bump(&mut p.failures, detailed, OTHER.to_string());
        }
    }

    /// The summary of what was read.
    pub fn finish(mut self, source: LogSource) -> CloudFrontLogs {
        let mut kinds: Vec<FailureKind> = std::mem::take(&mut self.kinds)
            .into_iter()
            .map(|((status, detailed), mut k)| FailureKind {
                status,
                detailed_result_type: detailed,
                count: k.count,
                time_to_first_byte: percentiles(&mut k.ttfb).unwrap_or_default(),
                edge_locations: k.edges.len() as u64,
            })
            .collect();
        kinds.sort_by(|a, b| b.count.cmp(&a.count).then(a.status.cmp(&b.status)));
        kinds.truncate(MAX_FAILURE_KINDS);
        let mut paths: Vec<PathCount> = std::mem::take(&mut self.paths)
            .into_iter()
            .map(|(path, p)| PathCount {
                path,
                requests: p.requests,
                failing: p.failing,
                top_failure: p.failures.iter().max_by_key(|(_, n)| **n).map(|(k, _)| k.clone()),
            })
            .collect();
        paths.sort_by(|a, b| b.failing.cmp(&a.failing).then(b.requests.cmp(&a.requests)).then(a.path.cmp(&b.path)));
        paths.truncate(MAX_PATHS_REPORTED);
        let mut edges: Vec<(String, u64)> = std::mem::take(&mut self.edges).into_iter().collect();
        edges.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        edges.truncate(MAX_EDGE_LOCATIONS);
        self.withheld.distinct_viewer_ips = self.viewer_ips.len() as u64;
        let mut seen = BTreeSet::new();
        self.read.bounds_hit.retain(|b| seen.insert(b.clone()));
        if self.ips_over {
            self.read.bounds_hit.push("distinct viewer addresses".into());
        }
        CloudFrontLogs {
            source,
            read: self.read,
            requests: self.requests,
            failing: self.failing,
            by_status: self.by_status,
            by_result_type: self.by_result,
            by_detailed_result_type: self.by_detailed,
            failures: kinds,
            edge_locations: edges.into_iter().collect(),
            time_to_first_byte: percentiles(&mut self.ttfb),
            paths,
            withheld: self.withheld,
            first_record: self.first,
            last_record: self.last,
        }
    }
}

/// One standard log record in CloudFront's field order, tab-separated, for writers of test logs
/// (the lab's edge stand-in, fixtures). `fields` maps a field name to its value; others are `-`.
pub fn format_record(fields: &[(&str, &str)]) -> String {
    STANDARD_FIELDS
        .iter()
        .map(|name| fields.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or("-"))
        .collect::<Vec<_>>()
        .join("\t")
}

/// The two header lines of a standard log file.
pub fn log_header() -> String {
    format!("#Version: 1.0\n#Fields: {}\n", STANDARD_FIELDS.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(status: &str, detailed: &str, ttfb: &str, edge: &str, ip: &str, path: &str) -> String {
        format_record(&[
            ("date", "2026-12-06"),
            ("time", "10:00:00"),
            ("x-edge-location", edge),
            ("c-ip", ip),
            ("cs-method", "GET"),
            ("cs-uri-stem", path),
            ("sc-status", status),
            ("cs-uri-query", "token=s3cr3t"),
            ("cs(Cookie)", "session=abc"),
            ("x-edge-result-type", if status.starts_with('5') { "Error" } else { "Miss" }),
            ("time-to-first-byte", ttfb),
            ("x-edge-detailed-result-type", detailed),
        ])
    }

    const T0: i64 = 1_765_015_200; // 2025-12-06T10:00:00Z, a window that holds the lines
    fn window() -> (i64, i64) {
        let t = record_unix("2026-12-06", "10:00:00").unwrap_or(T0);
        (t.saturating_sub(60), t.saturating_add(60))
    }

    #[test]
    fn a_log_file_is_summarised_by_its_fields_header_and_viewer_data_is_only_counted() {
        let (a, b) = window();
        let mut acc = LogAccumulator::new(a, b);
        let mut text = log_header();
        for i in 0..10 {
            let (status, detailed) = if i < 4 { ("502", "OriginConnectError") } else { ("200", "Miss") };
            text.push_str(&line(
                status,
                detailed,
                "0.010",
                &format!("IAD{}-C1", i % 3),
                &format!("192.0.2.{i}"),
                "/app",
            ));
            text.push('\n');
        }
        text.push_str("garbage line\n");
        acc.add_text(&text);
        let logs = acc.finish(LogSource::S3 { bucket: "b".into(), prefix: "p/".into() });
        assert_eq!(logs.requests, 10);
        assert_eq!(logs.failing, 4);
        assert_eq!(logs.read.malformed_lines, 1);
        assert_eq!(logs.detailed("OriginConnectError"), 4);
        let top = logs.dominant_failure().unwrap();
        assert_eq!((top.status, top.detailed_result_type.as_str(), top.count), (502, "OriginConnectError", 4));
        assert_eq!(logs.edge_locations.len(), 3);
        assert_eq!(logs.withheld.distinct_viewer_ips, 10);
        assert_eq!(logs.withheld.requests_with_cookies, 10);
        assert_eq!(logs.withheld.requests_with_query, 10);
        let json = serde_json::to_string(&logs).unwrap();
        for secret in ["192.0.2.", "s3cr3t", "session=abc"] {
            assert!(!json.contains(secret), "{secret} leaked: {json}");
        }
        assert_eq!(logs.paths[0].path, "/app");
        // The summary survives the JSON round trip every observation goes through (scrubbing).
        let back: CloudFrontLogs = serde_json::from_value(serde_json::to_value(&logs).unwrap()).unwrap();
        assert_eq!(back, logs);
        assert_eq!(logs.paths[0].top_failure.as_deref(), Some("OriginConnectError"));
    }

    #[test]
    fn another_field_order_is_read_by_the_header() {
        let (a, b) = window();
        let mut acc = LogAccumulator::new(a, b);
        acc.add_text(
            "#Version: 1.0\n#Fields: sc-status x-edge-location date time x-edge-detailed-result-type time-to-first-byte\n504\tFRA6\t2026-12-06\t10:00:01\tOriginCommError\t30.001\n",
        );
        let logs = acc.finish(LogSource::CloudWatchLogs { log_group: "g".into() });
        assert_eq!(logs.requests, 1);
        assert_eq!(logs.failures[0].time_to_first_byte.max_ms, 30_001);
        assert_eq!(logs.failures[0].status, 504);
    }

    #[test]
    fn json_records_of_standard_logging_v2_are_read_by_their_names() {
        let (a, b) = window();
        let mut acc = LogAccumulator::new(a, b);
        acc.add_line(r#"{"date":"2026-12-06","time":"10:00:00","sc-status":502,"x-edge-location":"FRA6-C1","x-edge-detailed-result-type":"OriginConnectError","time-to-first-byte":"0.004","c-ip":"192.0.2.9","cs-uri-stem":"/a"}"#);
        acc.add_line("{not json");
        let logs = acc.finish(LogSource::CloudWatchLogs { log_group: "g".into() });
        assert_eq!((logs.requests, logs.failing, logs.read.malformed_lines), (1, 1, 1));
        assert_eq!(logs.detailed("OriginConnectError"), 1);
        assert!(!serde_json::to_string(&logs).unwrap().contains("192.0.2.9"));
    }

    #[test]
    fn records_outside_the_window_are_counted_not_read() {
        let (a, _) = window();
        let mut acc = LogAccumulator::new(a + 3600, a + 7200);
        acc.add_line(&line("200", "Hit", "0.001", "IAD1", "198.51.100.1", "/"));
        let logs = acc.finish(LogSource::S3 { bucket: "b".into(), prefix: String::new() });
        assert_eq!((logs.requests, logs.read.outside_window), (0, 1));
    }

    #[test]
    fn hostile_lines_never_panic_and_distinct_values_are_bounded() {
        let (a, b) = window();
        let mut acc = LogAccumulator::new(a, b);
        for i in 0..(MAX_DISTINCT + 50) {
            acc.add_line(&line("502", &format!("X{i}"), "nan", &format!("E{i}"), "x", &format!("/p{i}")));
        }
        for bad in ["\t\t\t", "#Fields:", "#Fields: a b", "2026-99-99\t25:00:00", &"\t".repeat(32)] {
            acc.add_line(bad);
        }
        acc.add_line(&line("99999", "-", "-1", "-", "-", "-"));
        acc.add_line(&line("200", "Hit", "1e308", "IAD1", "-", &"/x".repeat(5000)));
        let logs = acc.finish(LogSource::S3 { bucket: "b".into(), prefix: String::new() });
        assert!(logs.edge_locations.len() <= MAX_EDGE_LOCATIONS);
        assert!(logs.failures.len() <= MAX_FAILURE_KINDS);
        assert!(logs.by_detailed_result_type.len() <= MAX_DISTINCT + 1);
        assert!(logs.paths.iter().all(|p| p.path.len() < 1024));
    }

    #[test]
    fn log_stamps_and_record_times_agree() {
        for t in [0, 951_782_400, 1_765_065_599, 4_107_542_400] {
            let (date, time, hour) = log_stamps(t).unwrap();
            assert_eq!(record_unix(&date, &time), Some(t), "{date} {time}");
            assert!(hour.starts_with(&date));
        }
        assert_eq!(log_stamps(951_868_800 + 3600 * 5).unwrap().2, "2000-03-01-05");
        assert_eq!(log_stamps(-1), None);
    }

    #[test]
    fn record_times_are_utc_seconds() {
        assert_eq!(record_unix("1970-01-01", "00:00:00"), Some(0));
        assert_eq!(record_unix("2000-03-01", "00:00:00"), Some(951_868_800));
        assert_eq!(record_unix("2000-13-01", "00:00:00"), None);
    }
}
