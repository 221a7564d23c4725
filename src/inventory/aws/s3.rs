//! S3: the distribution's standard (legacy) access log objects, listed and read within bounds
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html>).

use super::{bounded, shorten};
use crate::inventory::{ApiError, LogListing};
use aws_sdk_s3 as s3;

/// Lists keys under `prefix` after `start_after`, at most `max_pages` pages.
pub(super) async fn list_log_objects(
    client: &s3::Client,
    bucket: &str,
    prefix: &str,
    start_after: &str,
    max_pages: usize,
) -> Result<LogListing, ApiError> {
    let mut out = LogListing::default();
    let mut token: Option<String> = None;
    for page in 0..max_pages.max(1) {
        let mut req = client.list_objects_v2().bucket(bucket).prefix(prefix).set_continuation_token(token.clone());
        if page == 0 && !start_after.is_empty() {
            req = req.start_after(start_after);
        }
        let p = bounded(req.send()).await?;
        for o in p.contents() {
            if let Some(key) = o.key() {
                out.objects.push((key.to_string(), u64::try_from(o.size().unwrap_or(0)).unwrap_or(0)));
            }
        }
        match p.next_continuation_token().filter(|t| !t.is_empty() && p.is_truncated().unwrap_or(false)) {
            Some(t) if token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
    out.truncated = true;
    Ok(out)
}

/// The first `max_bytes` of one object (a `Range` request, and the body read no further).
pub(super) async fn get_log_object(
    client: &s3::Client,
    bucket: &str,
    key: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, ApiError> {
    let last = max_bytes.max(1).saturating_sub(1);
    let out = bounded(client.get_object().bucket(bucket).key(key).range(format!("bytes=0-{last}")).send()).await?;
    let mut body = out.body;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::Failed {
            code: "BodyRead".into(),
            message: shorten(&format!("reading s3://{bucket}/{key}: {e}")),
        })?;
        let room = usize::try_from(max_bytes).unwrap_or(usize::MAX).saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    Ok(bytes)
}

/// The bucket's region: `HeadBucket` answers it in `x-amz-bucket-region`, also when asked in
/// another region (then as an error whose raw answer still carries the header). `None` when
/// the bucket's region could not be learnt; the caller then asks in its default region.
pub(super) async fn bucket_region(client: &s3::Client, bucket: &str) -> Option<String> {
    match tokio::time::timeout(super::CALL_TIMEOUT, client.head_bucket().bucket(bucket).send()).await {
        Ok(Ok(o)) => o.bucket_region().map(str::to_string),
        Ok(Err(e)) => e.raw_response().and_then(|r| r.headers().get("x-amz-bucket-region")).map(str::to_string),
        Err(_) => None,
    }
    .filter(|r| !r.is_empty() && r.len() < 32 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}
