//! The fleet sweep: every distribution of the account, diagnosed with bounded concurrency and
//! a bounded rate.
//!
//! CloudFront's control-plane API is throttled per account
//! (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html),
//! so diagnoses run a few at a time and start no faster than a token bucket allows; each result
//! is handed to the caller as soon as it is ready (one line per distribution), with the
//! progress so far, and a summary counts them.

use crate::engine::Engine;
use crate::error::DiagnoseError;
use crate::inventory::AwsApi;
use crate::report::ReportV1;
use crate::request::DiagnoseRequest;
use futures_util::StreamExt as _;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Diagnoses at once when the caller does not say.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Diagnoses started per second when the caller does not say. A diagnosis reads CloudFront one
/// to three times (the distribution, custom cache and origin request policies, a VPC origin),
/// so 5 a second stays around 10 CloudFront reads a second, well under the account's
/// control-plane rate, and leaves room for whatever else the account runs; the SDK's own retry
/// absorbs an occasional throttle. 5,000 distributions take about 17 minutes.
pub const DEFAULT_RATE: f64 = 5.0;

/// Limits of a sweep: diagnoses in flight, and diagnoses started per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepLimits {
    pub concurrency: usize,
    /// Diagnoses started per second (average; bursts up to one second's worth).
    pub rate: f64,
}

impl Default for SweepLimits {
    fn default() -> Self {
        SweepLimits { concurrency: DEFAULT_CONCURRENCY, rate: DEFAULT_RATE }
    }
}

impl SweepLimits {
    /// Refuses a rate that is not a positive finite number and a concurrency of 0.
    pub fn new(concurrency: usize, rate: f64) -> Result<Self, DiagnoseError> {
        if concurrency == 0 {
            return Err(DiagnoseError::InvalidRequest("--concurrency must be at least 1".into()));
        }
        if !(rate.is_finite() && rate > 0.0) {
            return Err(DiagnoseError::InvalidRequest(format!("--rate {rate} is not a positive number")));
        }
        Ok(SweepLimits { concurrency, rate })
    }
}

/// A token bucket: `take` waits until a token is available. Tokens refill at `rate` a second
/// up to `burst`; the bucket starts full.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// `rate` tokens a second (positive), at most `burst` (at least 1) banked.
    pub fn new(rate: f64, burst: f64) -> Self {
        let burst = burst.max(1.0);
        TokenBucket { rate, burst, state: Mutex::new((burst, Instant::now())) }
    }

    /// Takes one token, waiting for it if the bucket is empty.
    pub async fn take(&self) {
        loop {
            let wait = {
                // A poisoned lock only means another task panicked mid-update; the numbers are
                // still usable.
                let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let (tokens, last) = *st;
                let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.burst);
                if tokens >= 1.0 {
                    *st = (tokens - 1.0, now);
                    return;
                }
                *st = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Where a sweep stands after a result: `done` of `total` diagnosed, `failing` of them at
/// `fail` status or not diagnosed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepProgress {
    pub done: usize,
    pub total: usize,
    pub failing: usize,
}

impl SweepProgress {
    /// One line for stderr.
    pub fn line(&self) -> String {
        format!("{} of {} diagnosed, {} failing so far", self.done, self.total, self.failing)
    }
}

/// One distribution's outcome.
pub struct SweepItem {
    pub distribution_id: String,
    pub result: Result<ReportV1, DiagnoseError>,
}

impl SweepItem {
    /// At `fail` status, or not diagnosed: what the fleet-sweep state machine counts as failing.
    pub fn is_failing(&self) -> bool {
        self.result.as_ref().map_or(true, |r| r.status.as_str() == "fail")
    }
}

/// Counts by status (`pass`, `warn`, `incomplete`, `fail`, `error`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepSummary {
    pub total: usize,
    pub by_status: BTreeMap<String, usize>,
}

impl SweepSummary {
    pub fn add(&mut self, item: &SweepItem) {
        self.total += 1;
        let key = match &item.result {
            Ok(r) => r.status.as_str().to_string(),
            Err(_) => "error".to_string(),
        };
        *self.by_status.entry(key).or_default() += 1;
    }

    pub fn line(&self) -> String {
        let parts: Vec<String> = self.by_status.iter().map(|(k, v)| format!("{v} {k}")).collect();
        format!("{} distribution(s): {}", self.total, if parts.is_empty() { "none".into() } else { parts.join(", ") })
    }
}

/// Lists the distributions, then diagnoses each (`limits.concurrency` at a time, started no
/// faster than `limits.rate` a second), calling `each` as results arrive, with the progress
/// including that result. Fails only when the list itself cannot be read.
pub async fn sweep<A: AwsApi>(
    engine: &Engine<A>,
    api: &A,
    paths: &[String],
    limits: SweepLimits,
    mut each: impl FnMut(SweepItem, SweepProgress),
) -> Result<SweepSummary, DiagnoseError> {
    let ids = api.list_distribution_ids().await.map_err(crate::locate::list_error)?;
    let mut summary = SweepSummary::default();
    let mut progress = SweepProgress { total: ids.len(), ..SweepProgress::default() };
    let bucket = TokenBucket::new(limits.rate, limits.rate);
    let bucket = &bucket;
    let runs = futures_util::stream::iter(ids.into_iter().map(|id| async move {
        bucket.take().await;
        let result = match DiagnoseRequest::new(&id, paths) {
            Ok(req) => Box::pin(engine.diagnose(&req)).await.map(|d| d.report),
            Err(e) => Err(e.into()),
        };
        SweepItem { distribution_id: id, result }
    }))
    .buffer_unordered(limits.concurrency.max(1));
    let mut runs = std::pin::pin!(runs);
    while let Some(item) = runs.next().await {
        summary.add(&item);
        progress.done += 1;
        if item.is_failing() {
            progress.failing += 1;
        }
        each(item, progress);
    }
    Ok(summary)
}

/// One line for a person: id, status, primary finding or error, summary.
pub fn text_line(item: &SweepItem) -> String {
    match &item.result {
        Ok(r) => format!(
            "{:<16} {:<10} {:<40} {}",
            item.distribution_id,
            r.status,
            r.verdict.primary.as_deref().unwrap_or("-"),
            r.verdict.summary.replace('\n', " ")
        ),
        Err(e) => format!("{:<16} {:<10} {:<40} {}", item.distribution_id, "error", e.error_type(), e),
    }
}

/// One JSON line: the report v1, or `{"distribution_id", "error": {"errorType", "errorMessage"}}`.
pub fn json_line(item: &SweepItem) -> String {
    match &item.result {
        Ok(r) => serde_json::to_string(r).unwrap_or_else(|e| {
            serde_json::json!({"distribution_id": item.distribution_id, "error": {"errorType": "InternalError", "errorMessage": e.to_string()}}).to_string()
        }),
        Err(e) => serde_json::json!({
            "distribution_id": item.distribution_id,
            "error": {"errorType": e.error_type(), "errorMessage": e.to_string()},
        })
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_bucket_spends_its_burst_then_paces_at_the_rate() {
        let bucket = TokenBucket::new(50.0, 2.0);
        let start = Instant::now();
        for _ in 0..2 {
            bucket.take().await;
        }
        assert!(start.elapsed() < Duration::from_millis(15), "the burst is immediate");
        for _ in 0..8 {
            bucket.take().await;
        }
        // 8 more tokens at 50 a second: 160 ms (a loaded machine may add to it).
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(155) && waited <= Duration::from_millis(600), "{waited:?}");
    }

    #[test]
    fn limits_refuse_zero_and_non_numbers() {
        assert!(SweepLimits::new(0, 1.0).is_err());
        assert!(SweepLimits::new(1, 0.0).is_err());
        assert!(SweepLimits::new(1, f64::NAN).is_err());
        assert!(SweepLimits::new(1, f64::INFINITY).is_err());
        assert_eq!(SweepLimits::new(3, 0.5).unwrap(), SweepLimits { concurrency: 3, rate: 0.5 });
    }
}
