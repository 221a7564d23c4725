//! `observations.cloudfront` of report v1: CloudFront's own view of the window (its metrics and
//! the summary of its access logs), and the lines the text report shows under the symptom.

use crate::checks::cloudfront_view;
use crate::evidence::{CloudFrontLogs, CloudFrontMetrics, Evidence, Fetch};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloudFrontViewV1 {
    pub window_start_unix: i64,
    pub window_end_unix: i64,
    pub window_minutes: i64,
    /// `default` or the alarm whose evaluation window was read.
    pub window_origin: String,
    /// One line each for the logs and the metrics, as the text report shows them.
    pub lines: Vec<String>,
    pub metrics: CloudFrontPartV1<CloudFrontMetrics>,
    pub logs: CloudFrontPartV1<CloudFrontLogs>,
}

/// One of the two reads: what it gave, or why it gave nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloudFrontPartV1<T> {
    /// `fetched`, `denied`, `failed`, `not_found` or `not_applicable`.
    pub outcome: String,
    /// Why nothing was read (the IAM action when denied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<T>,
}

fn part<T: Clone>(f: &Fetch<T>) -> CloudFrontPartV1<T> {
    let outcome = match f {
        Fetch::Fetched { .. } => "fetched",
        Fetch::Denied { .. } => "denied",
        Fetch::Failed { .. } => "failed",
        Fetch::NotFound { .. } => "not_found",
        Fetch::NotApplicable { .. } => "not_applicable",
    };
    CloudFrontPartV1 { outcome: outcome.into(), reason: f.missing_reason(), value: f.value().cloned() }
}

pub(super) fn map(ev: &Evidence) -> Option<CloudFrontViewV1> {
    let v = ev.observations.cloudfront.as_ref()?;
    Some(CloudFrontViewV1 {
        window_start_unix: v.window.start_unix,
        window_end_unix: v.window.end_unix,
        window_minutes: v.window.minutes(),
        window_origin: v.window.origin.clone(),
        lines: [cloudfront_view::logs_line(ev), cloudfront_view::metrics_line(ev)].into_iter().flatten().collect(),
        metrics: part(&v.metrics),
        logs: part(&v.logs),
    })
}
