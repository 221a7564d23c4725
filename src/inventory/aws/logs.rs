//! CloudWatch Logs: the distribution's standard logs (v2) delivered to a log group
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html>),
//! read with `FilterLogEvents` over the window, bounded in events.

use super::bounded;
use crate::inventory::{ApiError, LogEvents};
use aws_sdk_cloudwatchlogs as logs;

/// Pages read at most (each up to 10,000 events or 1 MB).
const MAX_PAGES: usize = 20;

pub(super) async fn filter_log_events(
    client: &logs::Client,
    group: &str,
    start_ms: i64,
    end_ms: i64,
    max_events: usize,
) -> Result<LogEvents, ApiError> {
    let mut out = LogEvents::default();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let p = bounded(
            client
                .filter_log_events()
                .log_group_name(group)
                .start_time(start_ms)
                .end_time(end_ms)
                .set_next_token(token.clone())
                .send(),
        )
        .await?;
        for e in p.events() {
            if out.messages.len() >= max_events {
                out.truncated = true;
                return Ok(out);
            }
            if let Some(m) = e.message() {
                out.messages.push(m.to_string());
            }
        }
        match p.next_token().filter(|t| !t.is_empty()) {
            Some(t) if token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
    out.truncated = true;
    Ok(out)
}
