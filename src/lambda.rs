//! The Lambda front end: event parsing, settings from the environment, stable error names.
//! The runtime glue is in `bin/cf-origin-doctor-lambda.rs`; everything here is testable without it.

use crate::engine::Engine;
use crate::error::DiagnoseError;
use crate::inventory::AwsApi;
use crate::request::{ConnectTo, DirectRequest, ProbeSettings};
use serde_json::Value;
use std::time::Duration;

/// Environment variables the function reads (all optional).
pub const ENV_CONNECT_TO: &str = "CF_ORIGIN_DOCTOR_CONNECT_TO";
pub const ENV_CA_FILE: &str = "CF_ORIGIN_DOCTOR_CA_FILE";
pub const ENV_ALLOW_PRIVATE: &str = "CF_ORIGIN_DOCTOR_ALLOW_PRIVATE_TARGETS";

/// Builds probe settings from environment values: `CF_ORIGIN_DOCTOR_CONNECT_TO` holds
/// comma-separated `HOST:PORT:ADDR:PORT` entries, `CF_ORIGIN_DOCTOR_CA_FILE` a PEM path,
/// `CF_ORIGIN_DOCTOR_ALLOW_PRIVATE_TARGETS` `true`/`1`.
pub fn settings_from_env(get: impl Fn(&str) -> Option<String>) -> Result<ProbeSettings, DiagnoseError> {
    let mut settings = ProbeSettings::default();
    if let Some(list) = get(ENV_CONNECT_TO) {
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            settings.connect_to.push(ConnectTo::parse(item)?);
        }
    }
    if let Some(path) = get(ENV_CA_FILE).filter(|p| !p.is_empty()) {
        let pem =
            std::fs::read(&path).map_err(|e| DiagnoseError::InvalidRequest(format!("{ENV_CA_FILE}={path}: {e}")))?;
        settings.extra_roots_pem = Some(pem);
    }
    if let Some(v) = get(ENV_ALLOW_PRIVATE) {
        settings.allow_private_targets = match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" | "" => false,
            other => {
                return Err(DiagnoseError::InvalidRequest(format!(
                    "{ENV_ALLOW_PRIVATE}={other:?} is not true or false"
                )));
            }
        };
    }
    Ok(settings)
}

/// Parses an invocation payload into a request.
pub fn parse_event(event: &Value) -> Result<crate::request::DiagnoseRequest, DiagnoseError> {
    if !event.is_object() {
        return Err(DiagnoseError::InvalidRequest(format!(
            "the event must be a JSON object like {{\"distribution_id\": \"E2QWRUHEXAMPLE\", \"paths\": [\"/\"]}}; got {}",
            json_kind(event)
        )));
    }
    let direct: DirectRequest = serde_json::from_value(event.clone())
        .map_err(|e| DiagnoseError::InvalidRequest(format!("the event is not a diagnosis request: {e}")))?;
    Ok(direct.into_request()?)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Time kept back from the Lambda deadline for checks, report and return.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

/// Handles one invocation; `remaining` is the time left before the function's timeout.
pub async fn handle<A: AwsApi>(
    engine: &Engine<A>,
    event: Value,
    remaining: Option<Duration>,
) -> Result<Value, DiagnoseError> {
    let request = parse_event(&event)?;
    let mut settings = engine.settings().clone();
    if let Some(left) = remaining {
        // The probe phase must end before the function is killed, leaving room to report.
        let budget = left.saturating_sub(DEADLINE_MARGIN);
        if budget < Duration::from_secs(1) {
            return Err(DiagnoseError::DeadlineExceeded(
                "less than the reporting margin is left in this invocation".into(),
            ));
        }
        settings.limits.phase_budget = settings.limits.phase_budget.min(budget);
        settings.limits.hop_timeout = settings.limits.hop_timeout.min(budget);
    }
    // Boxed: the pipeline future is deep enough to exceed the compiler's layout depth when inlined.
    let diagnosis = Box::pin(engine.diagnose_with(&request, &settings)).await?;
    serde_json::to_value(&diagnosis.report).map_err(|e| DiagnoseError::Internal(e.to_string()))
}

/// The `errorType`/`errorMessage` pair Lambda returns for a failed invocation.
pub fn diagnostic(e: &DiagnoseError) -> lambda_runtime::Diagnostic {
    lambda_runtime::Diagnostic { error_type: e.error_type().to_string(), error_message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn settings_come_from_the_environment() {
        let env: HashMap<&str, &str> = [
            (ENV_CONNECT_TO, "a.example:80:127.0.0.1:8080, b.example:443:127.0.0.1:8443"),
            (ENV_ALLOW_PRIVATE, "true"),
        ]
        .into();
        let s = settings_from_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(s.connect_to.len(), 2);
        assert!(s.allow_private_targets);
        let bad: HashMap<&str, &str> = [(ENV_ALLOW_PRIVATE, "maybe")].into();
        assert!(settings_from_env(|k| bad.get(k).map(|v| v.to_string())).is_err());
        let bad: HashMap<&str, &str> = [(ENV_CA_FILE, "/nonexistent/ca.pem")].into();
        assert_eq!(
            settings_from_env(|k| bad.get(k).map(|v| v.to_string())).unwrap_err().error_type(),
            "InvalidRequest"
        );
    }

    #[test]
    fn malformed_events_are_invalid_requests() {
        for ev in [
            serde_json::json!(null),
            serde_json::json!([]),
            serde_json::json!("E123"),
            serde_json::json!({}),
            serde_json::json!({"distribution_id": 5}),
            serde_json::json!({"distribution_id": "lower"}),
            serde_json::json!({"distribution_id": "EABC", "paths": "/"}),
            serde_json::json!({"distribution_id": "EABC", "paths": ["no-slash"]}),
        ] {
            let e = parse_event(&ev).unwrap_err();
            assert_eq!(e.error_type(), "InvalidRequest", "{ev}");
        }
        assert_eq!(parse_event(&serde_json::json!({"distributionId": "EABC"})).unwrap().paths, vec!["/"]);
    }
}
