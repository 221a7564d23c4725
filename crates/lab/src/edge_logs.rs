//! What the edge stand-in records of every request it serves, as CloudFront does: a standard
//! access log line (gzip objects `<prefix><distribution id>.YYYY-MM-DD-HH.<unique>.gz` with the
//! `#Version` and `#Fields` headers, in the bucket the distribution's `Logging` names), the same
//! line in a CloudWatch Logs group where one is configured, and the distribution's metrics
//! (`AWS/CloudFront`, `DistributionId` + `Region=Global`) in the emulator's CloudWatch.
//!
//! Times are written in CloudFront's time scale: the stand-in shortens CloudFront's timeouts
//! for the tests (`timeout_scale`), and divides the times it logs by the same factor, so a
//! request that waited out `OriginReadTimeout` logs about that many seconds.

use cf_origin_doctor::evidence::{format_record, log_header};
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the stand-in writes.
#[derive(Clone)]
pub struct EdgeLogTargets {
    pub s3: aws_sdk_s3::Client,
    /// The emulator's endpoint, for `PutMetricData` in the query protocol.
    pub endpoint: String,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// A CloudWatch Logs group (standard logging v2) that receives each line too.
    pub log_group: Option<String>,
}

/// One served request, as the log line needs it.
pub struct Served<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub target: &'a str,
    pub status: u16,
    pub result_type: &'a str,
    pub detailed_result_type: &'a str,
    pub viewer_ip: String,
    pub cookie: Option<&'a str>,
    pub https: bool,
    pub elapsed: Duration,
    pub edge_location: &'a str,
    pub bytes: usize,
}

pub struct EdgeLog {
    targets: EdgeLogTargets,
    distribution_id: String,
    bucket: Option<String>,
    key: Option<String>,
    include_cookies: bool,
    lines: tokio::sync::Mutex<Vec<String>>,
}

fn utc(unix: u64) -> (String, String, String) {
    cf_origin_doctor::evidence::log_stamps(i64::try_from(unix).unwrap_or(0)).expect("a clock after 1970")
}

impl EdgeLog {
    pub fn new(targets: EdgeLogTargets, d: &cf_origin_doctor::evidence::Distribution) -> EdgeLog {
        let logging = d.logging.as_ref().filter(|l| l.enabled);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let unique = format!(
            "lab{:04}{:04}",
            std::process::id() % 10_000,
            SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        EdgeLog {
            targets,
            distribution_id: d.id.clone(),
            bucket: logging.map(|l| l.bucket_name().to_string()),
            key: logging.map(|l| format!("{}{}.{}.{unique}.gz", l.prefix, d.id, utc(now).2)),
            include_cookies: logging.is_some_and(|l| l.include_cookies),
            lines: tokio::sync::Mutex::new(Vec::new()),
        }
    }

    /// Records one request: the log line (S3 object rewritten with every line so far, log
    /// group event) and the metrics.
    pub async fn record(&self, s: Served<'_>, time_scale: f64) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let (date, time, _) = utc(now);
        let (stem, query) = s.target.split_once('?').unwrap_or((s.target, ""));
        let secs = s.elapsed.as_secs_f64() / time_scale.max(0.001);
        let secs = format!("{secs:.3}");
        let status = s.status.to_string();
        let bytes = s.bytes.to_string();
        let cookie = if self.include_cookies { s.cookie.unwrap_or("-") } else { "-" };
        let line = format_record(&[
            ("date", &date),
            ("time", &time),
            ("x-edge-location", s.edge_location),
            ("sc-bytes", &bytes),
            ("c-ip", &s.viewer_ip),
            ("cs-method", s.method),
            ("cs(Host)", s.host),
            ("cs-uri-stem", stem),
            ("sc-status", &status),
            ("cs(User-Agent)", "lab-viewer"),
            ("cs-uri-query", if query.is_empty() { "-" } else { query }),
            ("cs(Cookie)", cookie),
            ("x-edge-result-type", s.result_type),
            ("x-edge-request-id", "LAB"),
            ("x-host-header", s.host),
            ("cs-protocol", if s.https { "https" } else { "http" }),
            ("cs-bytes", "0"),
            ("time-taken", &secs),
            ("x-edge-response-result-type", s.result_type),
            ("cs-protocol-version", "HTTP/1.1"),
            ("c-port", "443"),
            ("time-to-first-byte", &secs),
            ("x-edge-detailed-result-type", s.detailed_result_type),
        ]);
        let mut lines = self.lines.lock().await;
        lines.push(line.clone());
        if let (Some(bucket), Some(key)) = (&self.bucket, &self.key) {
            let mut text = log_header();
            for l in lines.iter() {
                text.push_str(l);
                text.push('\n');
            }
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = gz.write_all(text.as_bytes());
            if let Ok(body) = gz.finish() {
                let _ = self.targets.s3.put_object().bucket(bucket).key(key).body(body.into()).send().await;
            }
        }
        if let Some(group) = &self.targets.log_group {
            // Standard logging (v2) to CloudWatch Logs in its JSON output format: one object
            // per record, named by field.
            let record: serde_json::Map<String, serde_json::Value> = cf_origin_doctor::evidence::STANDARD_FIELDS
                .iter()
                .zip(line.split('\t'))
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
                .collect();
            let event = aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(i64::try_from(now).unwrap_or(0) * 1000)
                .message(serde_json::Value::Object(record).to_string())
                .build();
            if let Ok(event) = event {
                let _ = self
                    .targets
                    .logs
                    .put_log_events()
                    .log_group_name(group)
                    .log_stream_name("edge")
                    .log_events(event)
                    .send()
                    .await;
            }
        }
        drop(lines);
        self.put_metrics(s.status).await;
    }

    /// `PutMetricData` in the query protocol (the emulator's CloudWatch does not speak the
    /// CBOR protocol of the current SDK).
    async fn put_metrics(&self, status: u16) {
        let rate = |hit: bool| if hit { "100" } else { "0" };
        let metrics = [
            ("Requests", "1"),
            ("4xxErrorRate", rate((400..500).contains(&status))),
            ("5xxErrorRate", rate(status >= 500)),
            ("TotalErrorRate", rate(status >= 400)),
        ];
        let mut form = String::from("Action=PutMetricData&Version=2010-08-01&Namespace=AWS%2FCloudFront");
        for (i, (name, value)) in metrics.iter().enumerate() {
            let n = i + 1;
            form.push_str(&format!(
                "&MetricData.member.{n}.MetricName={name}&MetricData.member.{n}.Value={value}\
                 &MetricData.member.{n}.Dimensions.member.1.Name=DistributionId\
                 &MetricData.member.{n}.Dimensions.member.1.Value={}\
                 &MetricData.member.{n}.Dimensions.member.2.Name=Region\
                 &MetricData.member.{n}.Dimensions.member.2.Value=Global",
                self.distribution_id
            ));
        }
        let _ = post_form(&self.targets.endpoint, &form).await;
    }
}

async fn post_form(endpoint: &str, form: &str) -> Option<u16> {
    use http_body_util::Full;
    let addr = endpoint.trim_start_matches("http://");
    let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await.ok()?;
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method("POST")
        .uri("/")
        .header("Host", addr)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=lab/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=lab")
        .body(Full::new(bytes::Bytes::from(form.to_string())))
        .ok()?;
    let resp = tokio::time::timeout(Duration::from_secs(5), sender.send_request(req)).await.ok()?.ok()?;
    Some(resp.status().as_u16())
}
