//! CloudFront's own view of a window: the distribution's CloudWatch metrics and its standard
//! access logs, read-only and bounded in objects, bytes and time. What could not be read is
//! data (denied, failed, not configured), never an error of the run.
//!
//! Metrics: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html>
//! (us-east-1, namespace `AWS/CloudFront`, dimensions `DistributionId` and `Region=Global`; the
//! additional metrics exist only where enabled on the distribution). Standard logging (legacy)
//! writes gzip objects named `<prefix><distribution id>.YYYY-MM-DD-HH.<unique>.gz`
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html>),
//! whose lines are those of
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html>.

use super::{
    ApiError, AwsApi, FILTER_LOG_EVENTS, GET_METRIC_DATA, GET_OBJECT, LIST_BUCKET, MetricQuery, MetricSeries, Recorder,
};
use crate::evidence::{
    CloudFrontLogs, CloudFrontMetrics, CloudFrontView, Distribution, Fetch, LogAccumulator, LogSource,
    UnavailableMetric, ViewWindow,
};
use crate::request::ViewRequest;
use std::io::{BufRead, Read};
use std::time::{Duration, Instant};

/// How much one run may read of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogBounds {
    /// Newest log objects read.
    pub max_objects: usize,
    /// Pages of `ListObjectsV2` (1,000 keys each) read from the window's first hour on.
    pub max_list_pages: usize,
    /// Bytes fetched per object and in all (as stored, gzip).
    pub max_object_bytes: u64,
    pub max_total_bytes: u64,
    /// Bytes after decompression, in all: a gzip bomb stops here.
    pub max_decompressed_bytes: u64,
    /// Log events read from a CloudWatch Logs group.
    pub max_events: usize,
    /// Time for the whole log reading.
    pub time: Duration,
}

impl Default for LogBounds {
    fn default() -> Self {
        LogBounds {
            max_objects: 24,
            max_list_pages: 10,
            max_object_bytes: 16 * 1024 * 1024,
            max_total_bytes: 48 * 1024 * 1024,
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_events: 50_000,
            time: Duration::from_secs(20),
        }
    }
}

/// The log sources a deployment lets the function read (the template's parameters): the
/// buckets (names or ARNs) and CloudWatch Logs groups. They replace what a request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSources {
    pub buckets: Vec<String>,
    pub groups: Vec<String>,
}

impl LogSources {
    /// Reads comma-separated lists (empty items ignored).
    pub fn parse(buckets: &str, groups: &str) -> Self {
        let list = |s: &str| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        LogSources { buckets: list(buckets), groups: list(groups) }
    }

    /// `view` with these sources in place of the request's own.
    pub fn apply(&self, view: &mut ViewRequest) {
        view.log_buckets = Some(self.buckets.clone());
        view.log_groups = self.groups.clone();
    }
}

/// The longest log line read; longer ones are counted as malformed.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// The window: the request's (an alarm's evaluation window) or the last `minutes` before `now`.
pub fn window(view: &ViewRequest, now_unix: i64) -> ViewWindow {
    match &view.window {
        Some((start, end, origin)) if end > start => {
            ViewWindow { start_unix: *start, end_unix: *end, origin: origin.clone() }
        }
        _ => ViewWindow {
            start_unix: now_unix.saturating_sub(i64::from(view.minutes.clamp(1, 24 * 60)) * 60),
            end_unix: now_unix,
            origin: "default".into(),
        },
    }
}

pub(super) async fn gather(
    api: &impl AwsApi,
    recorder: &Recorder,
    d: &Distribution,
    view: &ViewRequest,
    now_unix: i64,
    bounds: LogBounds,
) -> CloudFrontView {
    let window = window(view, now_unix);
    let (metrics, logs) =
        futures_util::future::join(metrics(api, recorder, d, &window), logs(api, recorder, d, view, &window, bounds))
            .await;
    CloudFrontView { window, metrics, logs }
}

/// The standard metrics and, where enabled, the additional ones.
const STANDARD: &[(&str, &str)] =
    &[("Requests", "Sum"), ("4xxErrorRate", "Average"), ("5xxErrorRate", "Average"), ("TotalErrorRate", "Average")];
const ADDITIONAL: &[(&str, &str)] = &[
    ("401ErrorRate", "Average"),
    ("403ErrorRate", "Average"),
    ("404ErrorRate", "Average"),
    ("502ErrorRate", "Average"),
    ("503ErrorRate", "Average"),
    ("504ErrorRate", "Average"),
    ("OriginLatency", "p50"),
    ("OriginLatency", "p90"),
    ("OriginLatency", "Maximum"),
    ("CacheHitRate", "Average"),
];

async fn metrics(api: &impl AwsApi, recorder: &Recorder, d: &Distribution, w: &ViewWindow) -> Fetch<CloudFrontMetrics> {
    let span = w.end_unix.saturating_sub(w.start_unix).max(60);
    // One data point per minute for short windows, fewer for long ones (GetMetricData returns
    // at most 100,800 points per call; this keeps each series under 1,440).
    let period = i32::try_from(((span / 1440) / 60 + 1) * 60).unwrap_or(3600);
    let query = MetricQuery {
        distribution_id: d.id.clone(),
        start_unix: w.start_unix,
        end_unix: w.end_unix,
        period_s: period,
        metrics: STANDARD.iter().chain(ADDITIONAL).map(|(m, s)| (m.to_string(), s.to_string())).collect(),
    };
    match recorder.call(GET_METRIC_DATA, "us-east-1", api.metric_data(&query)).await {
        Ok(series) => Fetch::fetched(summarise_metrics(&series)),
        Err(e) => e.into_fetch(GET_METRIC_DATA),
    }
}

fn series<'a>(all: &'a [MetricSeries], metric: &str, stat: &str) -> Option<&'a [f64]> {
    all.iter().find(|s| s.metric == metric && s.stat == stat).map(|s| s.values.as_slice()).filter(|v| !v.is_empty())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Sums, means and extremes of the series, and which returned nothing.
pub fn summarise_metrics(all: &[MetricSeries]) -> CloudFrontMetrics {
    let avg = |m: &str| series(all, m, "Average").map(mean);
    let standard_has_data = STANDARD.iter().any(|(m, s)| series(all, m, s).is_some());
    let mut unavailable = Vec::new();
    for (m, s) in STANDARD.iter().chain(ADDITIONAL) {
        if series(all, m, s).is_none() {
            let additional = ADDITIONAL.iter().any(|(am, _)| am == m);
            unavailable.push(UnavailableMetric {
                metric: if *s == "Average" || *s == "Sum" { m.to_string() } else { format!("{m} {s}") },
                why: if additional && standard_has_data { "not_enabled".into() } else { "no_data".into() },
            });
        }
    }
    unavailable.dedup();
    CloudFrontMetrics {
        requests: series(all, "Requests", "Sum").map(|v| v.iter().sum()),
        error_rate_4xx: avg("4xxErrorRate"),
        error_rate_5xx: avg("5xxErrorRate"),
        total_error_rate: avg("TotalErrorRate"),
        error_rate_401: avg("401ErrorRate"),
        error_rate_403: avg("403ErrorRate"),
        error_rate_404: avg("404ErrorRate"),
        error_rate_502: avg("502ErrorRate"),
        error_rate_503: avg("503ErrorRate"),
        error_rate_504: avg("504ErrorRate"),
        origin_latency_p50_ms: series(all, "OriginLatency", "p50").map(mean),
        origin_latency_p90_ms: series(all, "OriginLatency", "p90").map(mean),
        origin_latency_max_ms: series(all, "OriginLatency", "Maximum")
            .map(|v| v.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        cache_hit_rate: avg("CacheHitRate"),
        unavailable,
    }
}

/// The bucket name of a name or an ARN (`arn:aws:s3:::name`).
fn bucket_of(s: &str) -> &str {
    s.rsplit(":::").next().unwrap_or(s).trim_end_matches("/*").trim_end_matches('/')
}

/// The group name of a name or an ARN (`arn:aws:logs:r:a:log-group:name[:*]`).
fn group_of(s: &str) -> &str {
    match s.split_once(":log-group:") {
        Some((_, rest)) => rest.trim_end_matches(":*"),
        None => s,
    }
}

async fn logs(
    api: &impl AwsApi,
    recorder: &Recorder,
    d: &Distribution,
    view: &ViewRequest,
    w: &ViewWindow,
    bounds: LogBounds,
) -> Fetch<CloudFrontLogs> {
    if let Some(group) = view.log_groups.first() {
        return log_group(api, recorder, group_of(group), w, bounds).await;
    }
    let Some(logging) = d.logging.as_ref().filter(|l| l.enabled && !l.bucket.is_empty()) else {
        return Fetch::NotApplicable {
            reason: "standard logging is not configured on the distribution (DistributionConfig.Logging), and no CloudWatch Logs group was given".into(),
        };
    };
    let bucket = logging.bucket_name().to_string();
    if let Some(allowed) = &view.log_buckets {
        if allowed.is_empty() {
            return Fetch::NotApplicable {
                reason: format!(
                    "the distribution logs to s3://{bucket}/{}, but this run may read no log bucket (the template's AccessLogBucketArns is empty)",
                    logging.prefix
                ),
            };
        }
        if !allowed.iter().any(|a| bucket_of(a) == bucket) {
            return Fetch::NotApplicable {
                reason: format!(
                    "the distribution logs to s3://{bucket}, which is not among the log buckets this run may read"
                ),
            };
        }
    }
    let source = LogSource::S3 { bucket: bucket.clone(), prefix: logging.prefix.clone() };
    let began = Instant::now();
    let mut acc = LogAccumulator::new(w.start_unix, w.end_unix);
    // Keys sort by their hour: start the listing at the hour before the window (a file holds
    // the requests of its hour, delivered up to an hour later).
    let base = format!("{}{}.", logging.prefix, d.id);
    let start_after = format!("{base}{}", hour_stamp(w.start_unix.saturating_sub(3600)));
    let listing = match tokio::time::timeout(
        bounds.time,
        recorder.call(LIST_BUCKET, "", api.list_log_objects(&bucket, &base, &start_after, bounds.max_list_pages)),
    )
    .await
    {
        Err(_) => return ApiError::TimedOut { seconds: bounds.time.as_secs() }.into_fetch(LIST_BUCKET),
        Ok(Err(e)) => return e.into_fetch(LIST_BUCKET),
        Ok(Ok(l)) => l,
    };
    let end_key = format!("{base}{}", hour_stamp(w.end_unix.saturating_add(3600)));
    let mut objects: Vec<(String, u64)> = listing
        .objects
        .into_iter()
        .filter(|(k, _)| k.as_str() > start_after.as_str() && k.as_str() <= end_key.as_str())
        .collect();
    objects.sort();
    acc.stats().objects_found = objects.len() as u64;
    if listing.truncated {
        acc.stats().bounds_hit.push(format!("listing ({} pages)", bounds.max_list_pages));
    }
    if objects.len() > bounds.max_objects {
        acc.stats().bounds_hit.push(format!("objects ({} newest read)", bounds.max_objects));
        objects.drain(..objects.len().saturating_sub(bounds.max_objects));
    }
    let mut denied = None;
    // Newest first, so the bounds leave out the oldest records.
    for (key, size) in objects.iter().rev() {
        let (read, decompressed) = (acc.stats().bytes_read, acc.stats().bytes_decompressed);
        if read >= bounds.max_total_bytes {
            acc.stats().bounds_hit.push("bytes".into());
            break;
        }
        if decompressed >= bounds.max_decompressed_bytes {
            acc.stats().bounds_hit.push("decompressed bytes".into());
            break;
        }
        let Some(left) = bounds.time.checked_sub(began.elapsed()) else {
            acc.stats().bounds_hit.push("seconds".into());
            break;
        };
        let want = (*size).min(bounds.max_object_bytes).min(bounds.max_total_bytes.saturating_sub(read)).max(1);
        let body =
            match tokio::time::timeout(left, recorder.call(GET_OBJECT, "", api.get_log_object(&bucket, key, want)))
                .await
            {
                Err(_) => {
                    acc.stats().bounds_hit.push("seconds".into());
                    break;
                }
                Ok(Err(ApiError::Denied { message })) => {
                    denied = Some(message);
                    break;
                }
                Ok(Err(e)) => {
                    if acc.stats().object_errors.len() < 5 {
                        acc.stats().object_errors.push(format!("{key}: {e}"));
                    }
                    continue;
                }
                Ok(Ok(b)) => b,
            };
        if *size > want {
            acc.stats().bounds_hit.push(format!("bytes per object ({want} of {size} read)"));
        }
        let budget = bounds.max_decompressed_bytes.saturating_sub(decompressed);
        let deadline = began + bounds.time;
        acc = match tokio::task::spawn_blocking(move || {
            let mut acc = acc;
            read_gzip_into(&body, budget, deadline, &mut acc);
            acc
        })
        .await
        {
            Ok(a) => a,
            Err(e) => {
                return Fetch::Failed {
                    action: GET_OBJECT.into(),
                    code: "DecodeTask".into(),
                    message: format!("reading a log object stopped: {e}"),
                };
            }
        };
    }
    if let Some(message) = denied {
        if acc.stats().objects_read == 0 {
            return Fetch::Denied { action: GET_OBJECT.into(), message };
        }
        acc.stats().object_errors.push(format!("access denied for {GET_OBJECT}: {message}"));
    }
    Fetch::fetched(acc.finish(source))
}

/// `YYYY-MM-DD-HH` of a Unix time (UTC), as in the log object names.
fn hour_stamp(unix: i64) -> String {
    crate::evidence::log_stamps(unix).map(|s| s.2).unwrap_or_else(|| "1970-01-01-00".into())
}

/// Decompresses one gzip log object (all its members) line by line into `acc`, reading at most
/// `budget` decompressed bytes and stopping at `deadline`; a body that is not gzip is read as
/// plain text (a log copied uncompressed), a broken stream ends the object where it broke.
pub fn read_gzip_into(body: &[u8], budget: u64, deadline: Instant, acc: &mut LogAccumulator) {
    acc.start_object();
    acc.stats().objects_read = acc.stats().objects_read.saturating_add(1);
    acc.stats().bytes_read = acc.stats().bytes_read.saturating_add(body.len() as u64);
    let gz = body.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> = if gz { Box::new(flate2::read::MultiGzDecoder::new(body)) } else { Box::new(body) };
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    let mut line: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    let mut next_clock_check: u64 = 0;
    let mut overlong = false;
    loop {
        if total > budget {
            acc.stats().bounds_hit.push("decompressed bytes".into());
            break;
        }
        if total >= next_clock_check {
            if Instant::now() >= deadline {
                acc.stats().bounds_hit.push("seconds".into());
                break;
            }
            next_clock_check = total.saturating_add(1 << 20);
        }
        let chunk = match reader.fill_buf() {
            Ok([]) => break,
            Ok(c) => c,
            Err(e) => {
                let stats = acc.stats();
                if stats.object_errors.len() < 5 {
                    stats.object_errors.push(format!("gzip stream broken after {total} bytes: {e}"));
                }
                break;
            }
        };
        let (take, end_of_line) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        // A line longer than the bound is skipped to its end without being kept.
        if !overlong {
            line.extend_from_slice(&chunk[..take]);
            if line.len() > MAX_LINE_BYTES {
                overlong = true;
                line.clear();
            }
        }
        reader.consume(take);
        total = total.saturating_add(take as u64);
        if end_of_line {
            if overlong {
                let stats = acc.stats();
                stats.malformed_lines = stats.malformed_lines.saturating_add(1);
            } else {
                acc.add_line(&String::from_utf8_lossy(&line));
            }
            line.clear();
            overlong = false;
        }
    }
    if !line.is_empty() && !overlong && total <= budget {
        acc.add_line(&String::from_utf8_lossy(&line));
    }
    acc.stats().bytes_decompressed = acc.stats().bytes_decompressed.saturating_add(total.min(budget));
}

async fn log_group(
    api: &impl AwsApi,
    recorder: &Recorder,
    group: &str,
    w: &ViewWindow,
    bounds: LogBounds,
) -> Fetch<CloudFrontLogs> {
    let call = api.filter_log_events(
        group,
        w.start_unix.saturating_mul(1000),
        w.end_unix.saturating_mul(1000),
        bounds.max_events,
    );
    let events = match tokio::time::timeout(bounds.time, recorder.call(FILTER_LOG_EVENTS, "", call)).await {
        Err(_) => return ApiError::TimedOut { seconds: bounds.time.as_secs() }.into_fetch(FILTER_LOG_EVENTS),
        Ok(Err(e)) => return e.into_fetch(FILTER_LOG_EVENTS),
        Ok(Ok(e)) => e,
    };
    let mut acc = LogAccumulator::new(w.start_unix, w.end_unix);
    acc.stats().objects_found = events.messages.len() as u64;
    acc.stats().objects_read = events.messages.len() as u64;
    if events.truncated {
        acc.stats().bounds_hit.push(format!("events ({})", bounds.max_events));
    }
    for m in &events.messages {
        let stats = acc.stats();
        stats.bytes_read = stats.bytes_read.saturating_add(m.len() as u64);
        stats.bytes_decompressed = stats.bytes_decompressed.saturating_add(m.len() as u64);
        // Standard logging v2 in W3C format writes the same `#Fields:` header and records.
        acc.add_text(m);
    }
    Fetch::fetched(acc.finish(LogSource::CloudWatchLogs { log_group: group.to_string() }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{format_record, log_header};
    use std::io::Write;

    #[test]
    fn hour_stamps_name_log_objects() {
        assert_eq!(hour_stamp(0), "1970-01-01-00");
        assert_eq!(hour_stamp(951_868_800 + 3600 * 5), "2000-03-01-05");
        assert_eq!(hour_stamp(1_765_065_600), "2025-12-07-00");
    }

    #[test]
    fn bucket_and_group_names_come_from_names_or_arns() {
        assert_eq!(bucket_of("arn:aws:s3:::logs-bucket"), "logs-bucket");
        assert_eq!(bucket_of("logs-bucket"), "logs-bucket");
        assert_eq!(group_of("arn:aws:logs:us-east-1:123:log-group:/cf/logs:*"), "/cf/logs");
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    fn gz(text: &str) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_decompressed_bound() {
        let line = format_record(&[("date", "2026-12-06"), ("time", "10:00:00"), ("sc-status", "200")]);
        let text = format!("{}{}", log_header(), format!("{line}\n").repeat(200_000));
        let body = gz(&text);
        let mut acc = LogAccumulator::new(0, i64::MAX / 2);
        read_gzip_into(&body, 1_000_000, far(), &mut acc);
        assert!(acc.records() < 200_000);
        let logs = acc.finish(LogSource::S3 { bucket: "b".into(), prefix: String::new() });
        assert!(logs.read.bounds_hit.iter().any(|b| b == "decompressed bytes"), "{:?}", logs.read);
        assert!(logs.read.bytes_decompressed <= 1_000_000);
    }

    #[test]
    fn broken_or_plain_bodies_are_data() {
        let mut acc = LogAccumulator::new(0, i64::MAX / 2);
        let mut body = gz(&format!("{}200\n", log_header()));
        body.truncate(body.len() / 2);
        read_gzip_into(&body, 1 << 20, far(), &mut acc);
        read_gzip_into(b"\x1f\x8b garbage", 1 << 20, far(), &mut acc);
        read_gzip_into(&vec![b'x'; MAX_LINE_BYTES * 3], 1 << 22, far(), &mut acc);
        let logs = acc.finish(LogSource::S3 { bucket: "b".into(), prefix: String::new() });
        assert_eq!(logs.requests, 0);
        assert!(!logs.read.object_errors.is_empty() || logs.read.malformed_lines > 0);
    }

    #[test]
    fn metrics_say_which_were_not_enabled() {
        let s = |m: &str, st: &str, v: &[f64]| MetricSeries { metric: m.into(), stat: st.into(), values: v.to_vec() };
        let m = summarise_metrics(&[
            s("Requests", "Sum", &[600.0, 604.0]),
            s("5xxErrorRate", "Average", &[40.0, 36.0]),
            s("4xxErrorRate", "Average", &[0.0]),
        ]);
        assert_eq!(m.requests, Some(1204.0));
        assert_eq!(m.error_rate_5xx, Some(38.0));
        assert!(m.unavailable.iter().any(|u| u.metric == "502ErrorRate" && u.why == "not_enabled"));
        assert!(m.unavailable.iter().any(|u| u.metric == "TotalErrorRate" && u.why == "no_data"));
    }
}
