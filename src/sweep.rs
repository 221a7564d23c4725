//! The fleet sweep: every distribution of the account, diagnosed with bounded concurrency.
//!
//! CloudFront's control-plane API is rate limited per account, so diagnoses run a few at a
//! time; each result is handed to the caller as soon as it is ready (one line per
//! distribution), and a summary counts them.

use crate::engine::Engine;
use crate::error::DiagnoseError;
use crate::inventory::AwsApi;
use crate::report::ReportV1;
use crate::request::DiagnoseRequest;
use futures_util::StreamExt as _;
use std::collections::BTreeMap;

/// Diagnoses at once when the caller does not say.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// One distribution's outcome.
pub struct SweepItem {
    pub distribution_id: String,
    pub result: Result<ReportV1, DiagnoseError>,
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

/// Lists the distributions, then diagnoses each (`concurrency` at a time, at least 1), calling
/// `each` as results arrive. Fails only when the list itself cannot be read.
pub async fn sweep<A: AwsApi>(
    engine: &Engine<A>,
    api: &A,
    paths: &[String],
    concurrency: usize,
    mut each: impl FnMut(SweepItem),
) -> Result<SweepSummary, DiagnoseError> {
    let ids = api.list_distribution_ids().await.map_err(|e| match e {
        crate::inventory::ApiError::Denied { message } => {
            DiagnoseError::AccessDenied(format!("cloudfront:ListDistributions: {message}"))
        }
        crate::inventory::ApiError::Throttled { message } => DiagnoseError::Throttled(message),
        crate::inventory::ApiError::NoCredentials { message } => DiagnoseError::NoCredentials(message),
        other => DiagnoseError::AwsUnavailable(format!("cloudfront:ListDistributions: {other}")),
    })?;
    let mut summary = SweepSummary::default();
    let runs = futures_util::stream::iter(ids.into_iter().map(|id| async move {
        let result = match DiagnoseRequest::new(&id, paths) {
            Ok(req) => Box::pin(engine.diagnose(&req)).await.map(|d| d.report),
            Err(e) => Err(e.into()),
        };
        SweepItem { distribution_id: id, result }
    }))
    .buffer_unordered(concurrency.max(1));
    let mut runs = std::pin::pin!(runs);
    while let Some(item) = runs.next().await {
        summary.add(&item);
        each(item);
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
