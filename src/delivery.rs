//! Delivery of a report: trimmed to fit Step Functions and SNS, published to an SNS topic when
//! its status is at or above a level, and CloudWatch embedded-metric lines.
//!
//! The report is built by `report::v1`; this module only shapes and ships it. Trimming removes
//! observations first and never the verdict (`status`, `highest_severity`, `verdict`, the
//! primary finding). A failed publish is data ([`DeliveryOutcome`]) returned to the caller.

use crate::event::AlarmContext;
use crate::report::v1::{ReportV1, SeverityV1, StatusV1};
use serde::Serialize;
use serde_json::{Value, json};
use std::future::Future;
use std::time::Duration;

#[cfg(feature = "aws")]
mod sns;
#[cfg(feature = "aws")]
pub use sns::SnsPublisher;

/// The function's topic, used when the request names none.
pub const ENV_TOPIC_ARN: &str = "CF_ORIGIN_DOCTOR_TOPIC_ARN";
/// Publish when the status is at or above this level: `pass`, `warn`, `incomplete`, `fail` (default).
pub const ENV_PUBLISH_AT: &str = "CF_ORIGIN_DOCTOR_PUBLISH_AT";

/// Step Functions caps a state's payload at 256 KiB; this leaves room for its envelope.
pub const STEP_FUNCTIONS_BUDGET: usize = 240 * 1024;
/// SNS caps a message (body plus attributes) at 256 KiB. The JSON report travels inside the
/// `MessageStructure: json` envelope as an escaped string, next to the text bodies.
pub const SNS_MESSAGE_LIMIT: usize = 256 * 1024;
/// Subjects must be shorter than 100 characters.
pub const SUBJECT_MAX: usize = 99;
/// How long a publish may take before it is reported as failed.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(4);

/// Publishing settings from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishSettings {
    pub topic_arn: Option<String>,
    /// Publish at or above this status ([`StatusV1`] is declared in that order).
    pub min_status: StatusV1,
}

impl Default for PublishSettings {
    fn default() -> Self {
        PublishSettings { topic_arn: None, min_status: StatusV1::Fail }
    }
}

impl PublishSettings {
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let topic_arn = get(ENV_TOPIC_ARN).filter(|t| !t.trim().is_empty()).map(|t| t.trim().to_string());
        if let Some(t) = &topic_arn {
            crate::event::validate_topic_arn(t).map_err(|e| format!("{ENV_TOPIC_ARN}: {e}"))?;
        }
        let min_status = match get(ENV_PUBLISH_AT).filter(|s| !s.trim().is_empty()) {
            None => StatusV1::Fail,
            Some(s) => {
                let s = s.trim().to_ascii_lowercase();
                StatusV1::parse(&s)
                    .ok_or_else(|| format!("{ENV_PUBLISH_AT}={s:?} is not pass, warn, incomplete or fail"))?
            }
        };
        Ok(PublishSettings { topic_arn, min_status })
    }
}

/// What happened to the SNS notification; part of the Lambda's return value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryOutcome {
    /// True when a publish was attempted.
    pub attempted: bool,
    pub published: bool,
    pub topic_arn: Option<String>,
    pub message_id: Option<String>,
    /// Why nothing was published, or why the publish failed.
    pub reason: Option<String>,
    pub error: Option<String>,
}

/// Where to publish, or why not.
pub fn target(
    settings: &PublishSettings,
    override_: Option<&crate::event::PublishOverride>,
    status: StatusV1,
) -> Result<String, String> {
    if override_.and_then(|o| o.enabled) == Some(false) {
        return Err("publishing was turned off by the request".into());
    }
    let topic = override_.and_then(|o| o.topic_arn.clone()).or_else(|| settings.topic_arn.clone());
    let Some(topic) = topic else {
        return Err(format!("no topic: set {ENV_TOPIC_ARN} or publish.topic_arn"));
    };
    if override_.and_then(|o| o.enabled) == Some(true) && override_.and_then(|o| o.min_status.as_ref()).is_none() {
        return Ok(topic);
    }
    let min = override_.and_then(|o| o.min_status).unwrap_or(settings.min_status);
    if status < min {
        return Err(format!("status {status} is below the publishing level {min}"));
    }
    Ok(topic)
}

/// One SNS message, ready to send with `MessageStructure: json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub subject: String,
    /// The `MessageStructure: json` envelope: a body per protocol.
    pub message: String,
    pub attributes: Vec<(String, String)>,
}

/// Something that can publish a message (SNS in the function, a fake in tests).
pub trait Publisher {
    fn publish(&self, topic_arn: &str, msg: &OutgoingMessage) -> impl Future<Output = Result<String, String>> + Send;
}

/// Publishes `report` when the settings say so, waiting at most `timeout` for SNS; never fails,
/// the outcome says what happened.
pub async fn deliver(
    publisher: &impl Publisher,
    settings: &PublishSettings,
    override_: Option<&crate::event::PublishOverride>,
    report: &ReportV1,
    alarm: Option<&AlarmContext>,
    timeout: Duration,
) -> DeliveryOutcome {
    let topic = match target(settings, override_, report.status) {
        Ok(t) => t,
        Err(reason) => return DeliveryOutcome { reason: Some(reason), ..Default::default() },
    };
    let msg = compose(report, alarm);
    let result = tokio::time::timeout(timeout, publisher.publish(&topic, &msg)).await;
    let result = result.unwrap_or_else(|_| Err(format!("no answer from SNS within {timeout:?}")));
    match result {
        Ok(id) => DeliveryOutcome {
            attempted: true,
            published: true,
            topic_arn: Some(topic),
            message_id: Some(id),
            ..Default::default()
        },
        Err(e) => DeliveryOutcome {
            attempted: true,
            published: false,
            topic_arn: Some(topic),
            error: Some(e),
            ..Default::default()
        },
    }
}

/// Subject: `cf-origin-doctor E2QWRUHEXAMPLE fail: redirect-loop-origin-forces-https`, printable
/// ASCII, under 100 characters, always naming the distribution.
pub fn subject(report: &ReportV1) -> String {
    let (id, status) = (&report.distribution_id, report.status);
    let cause = report.verdict.primary.as_deref().unwrap_or(match status {
        StatusV1::Pass => "no problem found",
        StatusV1::Warn => "latent risk",
        StatusV1::Incomplete | StatusV1::Fail => "cause not determined",
    });
    let head = ascii(&format!("cf-origin-doctor {id} {status}: "));
    let room = SUBJECT_MAX.saturating_sub(head.len());
    let mut cause = ascii(cause);
    if cause.len() > room {
        cause.truncate(room.saturating_sub(3));
        cause.push_str("...");
    }
    let mut s = head + &cause;
    s.truncate(SUBJECT_MAX);
    s.trim_end().to_string()
}

fn ascii(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect()
}

/// A person's reading of the report, for email.
pub fn text_body(report: &ReportV1, alarm: Option<&AlarmContext>) -> String {
    let mut out = String::new();
    let id = &report.distribution_id;
    out.push_str(&format!(
        "Distribution {id} ({}): {}\n",
        report.domain_name,
        report.status.as_str().to_ascii_uppercase()
    ));
    if let Some(a) = alarm {
        out.push_str(&format!("Triggered by alarm {} ({})\n", a.name, a.state.as_str()));
    }
    out.push_str(&format!("\n{}\n", report.verdict.summary));
    out.push_str(&format!("Through CloudFront: {}\n", report.verdict.symptom));
    let findings = &report.findings;
    if !findings.is_empty() {
        out.push_str("\nFindings:\n");
    }
    for f in findings.iter().take(10) {
        out.push_str(&format!("- [{}] {}: {}\n  Fix: {}\n", f.severity, f.id, f.summary, f.remediation.summary));
    }
    if findings.len() > 10 {
        out.push_str(&format!("... and {} more in the JSON report\n", findings.len() - 10));
    }
    if !report.unverified.is_empty() {
        out.push_str(&format!("\n{} item(s) could not be verified.\n", report.unverified.len()));
    }
    out.push_str(&format!(
        "\nRe-run: aws lambda invoke --function-name <function> --payload '{{\"distribution_id\":\"{id}\"}}' report.json\n"
    ));
    out
}

/// One line for SMS.
fn sms_body(report: &ReportV1) -> String {
    let mut s = subject(report);
    s.truncate(140);
    s
}

/// The `MessageStructure: json` envelope, the subject and the filterable attributes, with the
/// JSON report trimmed until the whole message fits SNS's limit.
pub fn compose(report: &ReportV1, alarm: Option<&AlarmContext>) -> OutgoingMessage {
    let attributes = vec![
        ("status".to_string(), attr(report.status.as_str())),
        ("severity".to_string(), attr(report.highest_severity.map_or("none", SeverityV1::as_str))),
        ("distribution_id".to_string(), attr(&report.distribution_id)),
        ("primary_finding".to_string(), attr(report.verdict.primary.as_deref().unwrap_or("none"))),
    ];
    // Serialising a report cannot fail: every map key is a field name.
    let json = serde_json::to_value(report).unwrap_or_default();
    let attr_bytes: usize = attributes.iter().map(|(k, v)| k.len() + v.len() + "String".len()).sum();
    let subject = subject(report);
    let mut text = text_body(report, alarm);
    // The text body can grow with many findings; it is cut at a line end if it must be.
    if text.len() > 32 * 1024 {
        let cut = text[..32 * 1024].rfind('\n').unwrap_or(0);
        text.truncate(cut);
        text.push_str("\n... (cut; the JSON report has the rest)\n");
    }
    let sms = sms_body(report);
    let envelope = |json_report: &str| {
        json!({
            "default": text,
            "email": text,
            "email-json": json_report,
            "sms": sms,
            "sqs": json_report,
            "lambda": json_report,
            "http": json_report,
            "https": json_report,
            "firehose": json_report,
        })
        .to_string()
    };
    // The report appears six times, escaped: give each copy an equal share of what is left.
    let fixed = envelope("").len() + subject.len() + attr_bytes;
    let per_copy = SNS_MESSAGE_LIMIT.saturating_sub(fixed + 1024) / 6;
    let mut budget = per_copy;
    let mut message = String::new();
    for _ in 0..8 {
        let fitted = fit(&json, budget);
        message = envelope(&fitted.to_string());
        if message.len() + subject.len() + attr_bytes <= SNS_MESSAGE_LIMIT {
            break;
        }
        budget = budget * 3 / 4;
    }
    OutgoingMessage { subject, message, attributes }
}

fn attr(s: &str) -> String {
    if s.is_empty() { "none".into() } else { s.chars().take(256).collect() }
}

/// Trims a report v1 until its JSON is at most `max_bytes`: a pre-flight's probes, AWS calls
/// and finding evidence first (its comparison and verdict stay), then observations (probe hops,
/// then probes, DNS/TCP/TLS observations, AWS call log, skipped probes), then the evidence and remediation detail of
/// secondary findings, then unverified items, then secondary findings. The schema fields,
/// the verdict and the primary finding always stay; `trimmed` says what was removed.
pub fn fit(report: &Value, max_bytes: usize) -> Value {
    let original = report.to_string().len();
    if original <= max_bytes {
        return report.clone();
    }
    let mut r = report.clone();
    let mut removed: Vec<&'static str> = Vec::new();
    let primary = r["verdict"]["primary"].as_str().map(str::to_string);
    let is_secondary = |f: &Value| primary.as_deref() != f["id"].as_str();
    // A pre-flight's detail goes first; its comparison and verdict stay.
    if let Some(p) = r.get_mut("preflight").filter(|p| p.is_object()) {
        set_array(&mut p["probes"]);
        set_array(&mut p["aws_calls"]);
        for f in p["findings"].as_array_mut().into_iter().flatten() {
            f["evidence"] = json!([]);
            f["remediation"]["steps"] = json!([]);
            f["remediation"]["cli"] = json!([]);
        }
        removed.push("preflight.probes, preflight.aws_calls and the evidence of preflight.findings");
        r["trimmed"] = json!({"original_bytes": original, "removed": removed.clone()});
        if r.to_string().len() <= max_bytes {
            return r;
        }
    }
    type Step = (&'static str, fn(&mut Value, &dyn Fn(&Value) -> bool));
    let steps: [Step; 9] = [
        ("observations.probes[].hops beyond the first and last", |r, _| {
            for p in r["observations"]["probes"].as_array_mut().into_iter().flatten() {
                if let Some(h) = p["hops"].as_array_mut() {
                    if h.len() > 2 {
                        let last = h.pop();
                        h.truncate(1);
                        h.extend(last);
                    }
                }
            }
        }),
        ("observations.probes", |r, _| set_array(&mut r["observations"]["probes"])),
        ("observations.dns, tcp and tls", |r, _| {
            for k in ["dns", "tcp", "tls"] {
                set_array(&mut r["observations"][k]);
            }
        }),
        ("aws_calls and observations.skipped", |r, _| {
            set_array(&mut r["aws_calls"]);
            set_array(&mut r["observations"]["skipped"]);
        }),
        ("evidence and remediation steps of secondary findings", |r, sec| {
            for f in r["findings"].as_array_mut().into_iter().flatten() {
                if sec(f) {
                    f["evidence"] = json!([]);
                    f["remediation"]["steps"] = json!([]);
                    f["remediation"]["cli"] = json!([]);
                }
            }
        }),
        ("unverified beyond the first 10", |r, _| {
            if let Some(u) = r["unverified"].as_array_mut() {
                u.truncate(10);
            }
        }),
        ("secondary findings", |r, sec| {
            if let Some(fs) = r["findings"].as_array_mut() {
                fs.retain(|f| !sec(f));
            }
        }),
        ("unverified", |r, _| set_array(&mut r["unverified"])),
        ("evidence of the primary finding beyond the first 5", |r, _| {
            for f in r["findings"].as_array_mut().into_iter().flatten() {
                if let Some(e) = f["evidence"].as_array_mut() {
                    e.truncate(5);
                }
            }
        }),
    ];
    for (what, step) in steps {
        step(&mut r, &is_secondary);
        removed.push(what);
        r["trimmed"] = json!({"original_bytes": original, "removed": removed.clone()});
        if r.to_string().len() <= max_bytes {
            break;
        }
    }
    r
}

fn set_array(v: &mut Value) {
    if v.is_array() {
        *v = json!([]);
    }
}

/// CloudWatch embedded metric format: one JSON line per invocation, read by CloudWatch Logs
/// into metrics under the `CfOriginDoctor` namespace (no secrets: counts, ids and a duration).
pub fn emf_line(report: Option<&Value>, outcome: &str, duration_ms: u64, now_ms: u64) -> String {
    let mut by_sev = serde_json::Map::new();
    for sev in SeverityV1::ALL {
        let n = report
            .and_then(|r| r["findings"].as_array())
            .map(|fs| fs.iter().filter(|f| f["severity"] == sev.as_str()).count())
            .unwrap_or(0);
        by_sev.insert(format!("Findings_{sev}"), json!(n));
    }
    let mut metrics =
        vec![json!({"Name": "Diagnoses", "Unit": "Count"}), json!({"Name": "Duration", "Unit": "Milliseconds"})];
    for sev in SeverityV1::ALL {
        metrics.push(json!({"Name": format!("Findings_{sev}"), "Unit": "Count"}));
    }
    let mut line = json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": "CfOriginDoctor",
                "Dimensions": [["Outcome"]],
                "Metrics": metrics,
            }]
        },
        "Outcome": outcome,
        "Diagnoses": 1,
        "Duration": duration_ms,
    });
    if let (Some(obj), Some(r)) = (line.as_object_mut(), report) {
        obj.extend(by_sev);
        obj.insert("distribution_id".into(), r["distribution_id"].clone());
        obj.insert("status".into(), r["status"].clone());
    } else if let Some(obj) = line.as_object_mut() {
        obj.extend(by_sev);
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{AlarmState, PublishOverride};
    use std::sync::Mutex;

    fn report(status: &str, primary: Option<&str>, probes: usize, findings: usize) -> ReportV1 {
        let hop = json!({"url": "https://d1.cloudfront.net/", "status": 301, "error": "x".repeat(400),
            "address_from_override": false, "host_header": "d1.cloudfront.net", "timings_ms": {"total": 5}});
        let probe = json!({"id": "edge:https:/", "target": "edge", "hops": vec![hop; 6], "redirects": "loop",
            "method": "GET", "request_headers": []});
        let finding = |id: &str, severity: &str, summary: &str, evidence: Value, remediation: Value| {
            json!({"id": id, "severity": severity, "confidence": "high", "title": id, "summary": summary,
                "observed": true, "evidence": evidence, "remediation": remediation,
                "docs_url": "https://docs.aws.amazon.com/", "resources": []})
        };
        let mut fs = Vec::new();
        if let Some(p) = primary {
            fs.push(finding(
                p,
                "critical",
                "The origin redirects to HTTPS.",
                json!([{"source": "config", "subject": "s", "observed": "http-only"}]),
                json!({"summary": "Set the origin protocol policy to https-only.", "steps": ["a"], "cli": ["b"]}),
            ));
        }
        for i in 0..findings {
            fs.push(finding(
                &format!("other-{i}"),
                "low",
                &"s".repeat(200),
                json!(vec![json!({"source": "probe", "subject": "x", "observed": "y".repeat(500)}); 4]),
                json!({"summary": "fix", "steps": ["one", "two"], "cli": ["aws ..."]}),
            ));
        }
        serde_json::from_value(json!({
            "schema_version": 1, "tool": {"name": "cf-origin-doctor", "version": "0"},
            "generated_at": "2026-01-01T00:00:00Z",
            "distribution_id": "E2QWRUHEXAMPLE", "domain_name": "d1.cloudfront.net",
            "status": status, "highest_severity": primary.map(|_| "critical"),
            "verdict": {"primary": primary, "summary": "Viewers loop. Fix: set https-only.", "symptom": "301 loop",
                "symptom_class": "redirect_loop"},
            "findings": fs, "unverified": vec![json!({"what": "w", "reason": "r".repeat(100), "check": "c"}); 30],
            "observations": {"probed_from": "lab", "overrides": [], "probes": vec![probe; probes], "skipped": [],
                "dns": [], "tcp": [], "tls": []},
            "aws_calls": vec![json!({"action": "cloudfront:GetDistribution", "region": "us-east-1", "outcome": "ok", "millis": 3}); 20],
        }))
        .expect("a complete report v1")
    }

    #[test]
    fn subject_is_short_ascii_and_names_distribution_and_cause() {
        let r = report("fail", Some("redirect-loop-origin-forces-https"), 1, 0);
        let s = subject(&r);
        assert_eq!(s, "cf-origin-doctor E2QWRUHEXAMPLE fail: redirect-loop-origin-forces-https");
        let long = report("fail", Some(&format!("{}-é", "x".repeat(200))), 1, 0);
        let s = subject(&long);
        assert!(s.len() < 100 && s.is_ascii() && s.contains("E2QWRUHEXAMPLE") && s.ends_with("..."), "{s}");
        assert_eq!(
            subject(&report("incomplete", None, 1, 0)),
            "cf-origin-doctor E2QWRUHEXAMPLE incomplete: cause not determined"
        );
    }

    #[test]
    fn publishing_level_topic_and_overrides() {
        let env = PublishSettings {
            topic_arn: Some("arn:aws:sns:us-east-1:123456789012:t".into()),
            min_status: StatusV1::Fail,
        };
        assert!(target(&env, None, StatusV1::Fail).is_ok());
        assert!(target(&env, None, StatusV1::Incomplete).unwrap_err().contains("below"));
        let off = PublishOverride { enabled: Some(false), ..Default::default() };
        assert!(target(&env, Some(&off), StatusV1::Fail).is_err());
        let always = PublishOverride { enabled: Some(true), ..Default::default() };
        assert!(target(&env, Some(&always), StatusV1::Pass).is_ok());
        let warn = PublishOverride { min_status: Some(StatusV1::Warn), ..Default::default() };
        assert!(target(&env, Some(&warn), StatusV1::Warn).is_ok());
        assert!(target(&env, Some(&warn), StatusV1::Pass).is_err());
        let other = PublishOverride {
            topic_arn: Some("arn:aws:sns:us-east-1:123456789012:other".into()),
            ..Default::default()
        };
        assert_eq!(target(&env, Some(&other), StatusV1::Fail).unwrap(), "arn:aws:sns:us-east-1:123456789012:other");
        assert!(target(&PublishSettings::default(), None, StatusV1::Fail).unwrap_err().contains(ENV_TOPIC_ARN));
        let s = PublishSettings::from_env(|k| (k == ENV_PUBLISH_AT).then(|| "WARN".to_string())).unwrap();
        assert_eq!(s.min_status, StatusV1::Warn);
        assert!(PublishSettings::from_env(|k| (k == ENV_PUBLISH_AT).then(|| "loud".to_string())).is_err());
        assert!(PublishSettings::from_env(|k| (k == ENV_TOPIC_ARN).then(|| "not-an-arn".to_string())).is_err());
    }

    #[test]
    fn fit_trims_a_pre_flights_detail_first_and_keeps_its_comparison() {
        let mut r = serde_json::to_value(report("pass", None, 3, 0)).unwrap();
        let probe = r["observations"]["probes"][0].clone();
        let brief = json!({"id": "redirect-loop-origin-forces-https", "severity": "critical", "confidence": "high",
            "title": "t", "summary": "s", "resources": []});
        r["preflight"] = json!({"introduced": [brief], "probes": vec![probe; 30], "aws_calls": [], "findings": []});
        let full = r.to_string().len();
        let t = fit(&r, full - 1000);
        assert!(t.to_string().len() <= full - 1000);
        assert!(t["preflight"]["probes"].as_array().unwrap().is_empty());
        assert_eq!(t["preflight"]["introduced"], r["preflight"]["introduced"]);
        assert_eq!(t["observations"]["probes"], r["observations"]["probes"], "the live probes stay");
        // A report without a pre-flight gets none from trimming.
        let plain = serde_json::to_value(report("fail", Some("x"), 40, 3)).unwrap();
        assert!(fit(&plain, 2000).get("preflight").is_none());
    }

    #[test]
    fn fit_trims_observations_first_and_never_the_verdict() {
        let r = serde_json::to_value(report("fail", Some("redirect-loop-origin-forces-https"), 40, 30)).unwrap();
        let full = r.to_string().len();
        assert_eq!(fit(&r, full), r, "a report that fits is untouched");
        // Just under: the hops go, the probes stay.
        let t = fit(&r, full - 1000);
        assert!(t.to_string().len() <= full - 1000);
        assert_eq!(t["observations"]["probes"].as_array().unwrap().len(), 40);
        assert_eq!(t["observations"]["probes"][0]["hops"].as_array().unwrap().len(), 2);
        assert_eq!(t["findings"].as_array().unwrap().len(), 31);
        // Very small: only the verdict and the primary finding survive, schema fields intact.
        let t = fit(&r, 2000);
        assert_eq!(t["verdict"], r["verdict"]);
        assert_eq!(t["status"], "fail");
        assert_eq!(t["highest_severity"], "critical");
        assert_eq!(t["findings"].as_array().unwrap().len(), 1);
        assert_eq!(t["findings"][0]["id"], "redirect-loop-origin-forces-https");
        assert_eq!(t["findings"][0]["remediation"], r["findings"][0]["remediation"]);
        assert!(t["observations"]["probes"].as_array().unwrap().is_empty());
        assert_eq!(t["trimmed"]["original_bytes"], full);
        assert!(t["trimmed"]["removed"].as_array().unwrap().len() >= 6);
    }

    #[test]
    fn composed_message_fits_sns_with_text_json_and_attributes() {
        let alarm = AlarmContext { name: "cf-5xx".into(), arn: None, state: AlarmState::Alarm, previous_state: None };
        for r in [
            report("fail", Some("redirect-loop-origin-forces-https"), 2, 1),
            report("fail", Some("redirect-loop-origin-forces-https"), 200, 200),
        ] {
            let m = compose(&r, Some(&alarm));
            let r = serde_json::to_value(&r).unwrap();
            assert!(m.message.len() + m.subject.len() <= SNS_MESSAGE_LIMIT, "{} bytes", m.message.len());
            let env: Value = serde_json::from_str(&m.message).unwrap();
            let email = env["email"].as_str().unwrap();
            assert!(
                email.contains("E2QWRUHEXAMPLE") && email.contains("Fix: Set the origin protocol policy"),
                "{email}"
            );
            assert!(email.contains("alarm cf-5xx (ALARM)"));
            assert_eq!(env["default"], env["email"]);
            assert!(env["sms"].as_str().unwrap().len() <= 140);
            let sqs: Value = serde_json::from_str(env["sqs"].as_str().unwrap()).unwrap();
            assert_eq!(sqs["verdict"], r["verdict"]);
            assert_eq!(sqs["status"], "fail");
            assert_eq!(env["lambda"], env["sqs"]);
            assert_eq!(env["https"], env["sqs"]);
            let attrs: std::collections::HashMap<_, _> = m.attributes.iter().cloned().collect();
            assert_eq!(attrs["status"], "fail");
            assert_eq!(attrs["severity"], "critical");
            assert_eq!(attrs["distribution_id"], "E2QWRUHEXAMPLE");
            assert_eq!(attrs["primary_finding"], "redirect-loop-origin-forces-https");
        }
        let m = compose(&report("pass", None, 1, 0), None);
        let attrs: std::collections::HashMap<_, _> = m.attributes.iter().cloned().collect();
        assert_eq!((attrs["severity"].as_str(), attrs["primary_finding"].as_str()), ("none", "none"));
    }

    struct Fake {
        answer: Result<String, String>,
        sent: Mutex<Vec<(String, OutgoingMessage)>>,
    }

    impl Publisher for Fake {
        async fn publish(&self, topic_arn: &str, msg: &OutgoingMessage) -> Result<String, String> {
            self.sent.lock().unwrap().push((topic_arn.to_string(), msg.clone()));
            self.answer.clone()
        }
    }

    #[tokio::test]
    async fn a_failed_publish_is_reported_not_swallowed() {
        let settings = PublishSettings {
            topic_arn: Some("arn:aws:sns:us-east-1:123456789012:t".into()),
            min_status: StatusV1::Fail,
        };
        let r = report("fail", Some("redirect-loop-origin-forces-https"), 1, 0);
        let bad = Fake { answer: Err("AuthorizationError: not allowed".into()), sent: Mutex::new(vec![]) };
        let out = deliver(&bad, &settings, None, &r, None, PUBLISH_TIMEOUT).await;
        assert!(out.attempted && !out.published);
        assert_eq!(out.error.as_deref(), Some("AuthorizationError: not allowed"));
        assert_eq!(bad.sent.lock().unwrap().len(), 1);
        let good = Fake { answer: Ok("m-1".into()), sent: Mutex::new(vec![]) };
        let out = deliver(&good, &settings, None, &r, None, PUBLISH_TIMEOUT).await;
        assert_eq!((out.published, out.message_id.as_deref()), (true, Some("m-1")));
        let out = deliver(&good, &settings, None, &report("warn", None, 1, 0), None, PUBLISH_TIMEOUT).await;
        assert!(!out.attempted && out.reason.unwrap().contains("below"));
        assert_eq!(good.sent.lock().unwrap().len(), 1);
    }

    #[test]
    fn emf_line_counts_findings_by_severity() {
        let r = serde_json::to_value(report("fail", Some("redirect-loop-origin-forces-https"), 1, 3)).unwrap();
        let line: Value = serde_json::from_str(&emf_line(Some(&r), "diagnosed", 1234, 1_700_000_000_000)).unwrap();
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "CfOriginDoctor");
        assert_eq!(line["Findings_critical"], 1);
        assert_eq!(line["Findings_low"], 3);
        assert_eq!(line["Duration"], 1234);
        assert_eq!(line["Outcome"], "diagnosed");
        let names: Vec<&str> = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        for n in &names {
            assert!(line.get(*n).is_some(), "metric {n} has no value");
        }
    }
}
