//! The Lambda front end: event parsing, settings from the environment, stable error names.
//! The runtime glue is in `bin/cf-origin-doctor-lambda.rs`; everything here is testable without it.

use crate::delivery::{PUBLISH_TIMEOUT, PublishSettings, Publisher, STEP_FUNCTIONS_BUDGET, deliver, emf_line, fit};
use crate::engine::Engine;
use crate::error::DiagnoseError;
use crate::event::{self, Action, Invocation, ParseOptions};
use crate::inventory::AwsApi;
use crate::request::{ConnectTo, ProbeSettings};
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Environment variables the function reads (all optional).
pub const ENV_CONNECT_TO: &str = "CF_ORIGIN_DOCTOR_CONNECT_TO";
pub const ENV_CA_FILE: &str = "CF_ORIGIN_DOCTOR_CA_FILE";
pub const ENV_ALLOW_PRIVATE: &str = "CF_ORIGIN_DOCTOR_ALLOW_PRIVATE_TARGETS";

/// The log buckets (comma-separated ARNs or names) the function may read CloudFront's standard
/// logs from; empty or unset: none (the report says so).
pub const ENV_LOG_BUCKETS: &str = "CF_ORIGIN_DOCTOR_LOG_BUCKETS";
/// CloudWatch Logs groups (comma-separated ARNs or names) holding the standard logs (v2).
pub const ENV_LOG_GROUPS: &str = "CF_ORIGIN_DOCTOR_LOG_GROUPS";

/// The log sources the deployment lets the function read.
pub fn log_sources_from_env(get: impl Fn(&str) -> Option<String>) -> crate::inventory::cloudfront_view::LogSources {
    crate::inventory::cloudfront_view::LogSources::parse(
        &get(ENV_LOG_BUCKETS).unwrap_or_default(),
        &get(ENV_LOG_GROUPS).unwrap_or_default(),
    )
}

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
    settings.allow_private_targets = flag(&get, ENV_ALLOW_PRIVATE)?;
    Ok(settings)
}

/// A `true`/`false` setting (also `1`/`0`, `yes`/`no`; unset or empty is false).
fn flag(get: &impl Fn(&str) -> Option<String>, name: &str) -> Result<bool, DiagnoseError> {
    match get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("0" | "false" | "no" | "") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(DiagnoseError::InvalidRequest(format!("{name}={other:?} is not true or false"))),
    }
}

/// Diagnose on OK and INSUFFICIENT_DATA alarm transitions too (`true`/`false`, default false).
pub const ENV_DIAGNOSE_ALL_STATES: &str = "CF_ORIGIN_DOCTOR_DIAGNOSE_ALL_STATES";
/// Let alarm descriptions and SNS messages ask for write-method probes (`true`/`false`, default
/// false): whoever can write an alarm description or publish to the topic could otherwise make
/// the function send a DELETE to the origin.
pub const ENV_ALARM_WRITE_METHODS: &str = "CF_ORIGIN_DOCTOR_ALARM_WRITE_METHODS";

/// Event-parsing options from the environment.
pub fn parse_options_from_env(get: impl Fn(&str) -> Option<String>) -> Result<ParseOptions, DiagnoseError> {
    Ok(ParseOptions {
        diagnose_all_states: flag(&get, ENV_DIAGNOSE_ALL_STATES)?,
        alarm_write_methods: flag(&get, ENV_ALARM_WRITE_METHODS)?,
    })
}

/// The invocation payload as the runtime hands it over. Its deserialization never fails: JSON
/// that does not parse (malformed, or nested past serde_json's recursion limit of 128) becomes
/// [`RawEvent::Unreadable`], so the function answers `InvalidRequest` like for every other bad
/// input rather than the runtime's own deserializer error.
#[derive(Debug)]
pub enum RawEvent {
    Json(Value),
    Unreadable(String),
}

impl<'de> serde::Deserialize<'de> for RawEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The runtime reads the payload with this one call and checks nothing after it, so an
        // error caught here ends the read cleanly.
        Ok(match <Value as serde::Deserialize>::deserialize(deserializer) {
            Ok(v) => RawEvent::Json(v),
            Err(e) => RawEvent::Unreadable(e.to_string()),
        })
    }
}

impl From<Value> for RawEvent {
    fn from(v: Value) -> Self {
        RawEvent::Json(v)
    }
}

impl RawEvent {
    /// The event, or the `InvalidRequest` that an unreadable payload is.
    pub fn into_value(self) -> Result<Value, DiagnoseError> {
        match self {
            RawEvent::Json(v) => Ok(v),
            RawEvent::Unreadable(e) => Err(DiagnoseError::InvalidRequest(format!(
                "the event is not readable JSON ({e}); {}",
                event::ACCEPTED_SHAPES
            ))),
        }
    }
}

/// Parses an invocation payload (any accepted shape) into the project's own types.
pub fn parse_event(event: &Value, opts: ParseOptions) -> Result<Invocation, DiagnoseError> {
    event::parse(event, opts).map_err(|e| DiagnoseError::InvalidRequest(e.to_string()))
}

/// Time kept back from the Lambda deadline for checks, report, publish and return.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);
/// The whole diagnosis stops this long before the deadline, whatever it is doing.
pub const HARD_STOP_MARGIN: Duration = Duration::from_millis(1500);

/// Builds an engine that reads AWS through another role, for requests that give `role_arn`.
pub trait RoleEngines<A>: Sync {
    fn engine_for(&self, role_arn: &str) -> impl Future<Output = Result<Engine<A>, DiagnoseError>> + Send;
}

/// No cross-account access: requests with `role_arn` are refused.
pub struct NoRoles;

impl<A: Send> RoleEngines<A> for NoRoles {
    async fn engine_for(&self, _role_arn: &str) -> Result<Engine<A>, DiagnoseError> {
        Err(DiagnoseError::InvalidRequest("role_arn: this function is not set up to assume other roles".into()))
    }
}

/// Everything one invocation needs, built once per cold start.
pub struct Function<A, P, R = NoRoles> {
    pub engine: Engine<A>,
    pub publisher: P,
    pub publish: PublishSettings,
    pub parse: ParseOptions,
    pub roles: R,
}

impl<A: AwsApi + Send, P: Publisher + Sync, R: RoleEngines<A>> Function<A, P, R> {
    /// Handles one invocation; `remaining` is the time left before the function's timeout.
    ///
    /// Returns report v1 (trimmed under Step Functions' payload limit) plus `trigger` and
    /// `delivery`, or for an alarm that recovered a short `{"status": "skipped", …}` result.
    pub async fn handle(
        &self,
        event: impl Into<RawEvent>,
        remaining: Option<Duration>,
    ) -> Result<Value, DiagnoseError> {
        let started = Instant::now();
        let result = match event.into().into_value() {
            Ok(event) => self.handle_inner(event, remaining).await,
            Err(e) => Err(e),
        };
        let (outcome, report) = match &result {
            Ok(Handled::Skipped(_)) => ("skipped", None),
            Ok(Handled::Diagnosed(v)) => ("diagnosed", Some(v)),
            Err(e) => (e.error_type(), None),
        };
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        // Embedded metric format goes to stdout as its own line; CloudWatch Logs extracts it.
        println!("{}", emf_line(report, outcome, started.elapsed().as_millis() as u64, now_ms));
        if let Err(e) = &result {
            tracing::error!(error_type = e.error_type(), retryable = e.retryable(), error = %e, "invocation failed");
        }
        result.map(|handled| match handled {
            Handled::Skipped(v) | Handled::Diagnosed(v) => v,
        })
    }

    async fn handle_inner(&self, event: Value, remaining: Option<Duration>) -> Result<Handled, DiagnoseError> {
        let deadline = remaining.map(|left| Instant::now() + left);
        let invocation = parse_event(&event, self.parse)?;
        let window = event::alarm_window(&event);
        let trigger = trigger_json(&invocation);
        let mut input = match invocation.action {
            Action::NothingToDiagnose { reason } => {
                tracing::info!(source = invocation.source.as_str(), %reason, "nothing to diagnose");
                return Ok(Handled::Skipped(
                    json!({"status": "skipped", "diagnosed": false, "reason": reason, "trigger": trigger}),
                ));
            }
            Action::Diagnose(input) => input,
        };
        let assumed = match &input.role_arn {
            Some(arn) => {
                tracing::info!(role_arn = %arn, "reading AWS through the given role");
                Some(self.roles.engine_for(arn).await?)
            }
            None => None,
        };
        let engine = assumed.as_ref().unwrap_or(&self.engine);
        if let Some(host) = input.locate_host.take() {
            // Boxed, like the run below: inlined, the handler's future exceeds the layout depth.
            let (id, how) = Box::pin(crate::locate::locate(engine.api(), &host)).await?;
            tracing::info!(%host, distribution_id = %id, "found the distribution {how}");
            input.request.distribution_id = crate::request::DistributionId::parse(&id)?;
            input.request = input.request.located_by(how);
        }
        let mut settings = engine.settings().clone();
        if let Some(left) = remaining {
            // The probe phase must end before the function is killed, leaving room to report.
            let budget = left.saturating_sub(DEADLINE_MARGIN);
            if budget < Duration::from_secs(1) {
                return Err(DiagnoseError::DeadlineExceeded(
                    "less than the reporting margin is left in this invocation".into(),
                ));
            }
            // Three quarters: the check of the primary finding's fix may add a third of the
            // probe phase (`engine::fix_phase_budget`), and both must fit.
            settings.limits.phase_budget = settings.limits.phase_budget.min(budget * 3 / 4);
            settings.limits.hop_timeout = settings.limits.hop_timeout.min(budget);
        }
        if let (Some((start, end)), Some(alarm)) = (window, &invocation.alarm) {
            // CloudFront's own view covers the window the alarm evaluated.
            input.request.view.window = Some((start, end, format!("alarm {}", alarm.name)));
        }
        let id = input.request.distribution_id.as_str().to_string();
        tracing::info!(source = invocation.source.as_str(), distribution_id = %id, paths = ?input.request.paths, "diagnosis started");
        // `input.request` carries the paths, `expect` and `method_probe_path` from whichever shape
        // came in (direct request fields, or the alarm description's settings).
        // Boxed: the pipeline future is deep enough to exceed the compiler's layout depth when inlined.
        let run = match &input.proposed {
            Some(proposed) => {
                // A pre-flight runs two probe phases (live, then the proposed origins): each
                // gets half of what one diagnosis may spend, so both end within the invocation.
                settings.limits.phase_budget /= 2;
                tracing::info!(distribution_id = %id, "pre-flight of a proposed configuration");
                Box::pin(engine.preflight_with(&input.request, proposed, "request", &settings))
                    as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>>
            }
            None => Box::pin(engine.diagnose_with(&input.request, &settings)),
        };
        // The probe phase has its budget; the AWS reads before it do not, so the whole run is
        // also capped: a typed error beats being killed by the Lambda service.
        let diagnosis = match deadline {
            Some(d) => {
                let cap = d.saturating_duration_since(Instant::now()).saturating_sub(HARD_STOP_MARGIN);
                tokio::time::timeout(cap, run).await.map_err(|_| {
                    DiagnoseError::DeadlineExceeded(format!(
                        "the diagnosis did not finish within the invocation's time (stopped {HARD_STOP_MARGIN:?} before it)"
                    ))
                })??
            }
            None => run.await?,
        };
        let report = &diagnosis.report;
        tracing::info!(
            distribution_id = %id,
            status = report.status.as_str(),
            primary = report.verdict.primary.as_deref().unwrap_or("none"),
            findings = report.findings.len(),
            "diagnosis complete"
        );
        let publish_timeout = deadline
            .map(|d| d.saturating_duration_since(Instant::now()).saturating_sub(Duration::from_millis(500)))
            .unwrap_or(PUBLISH_TIMEOUT)
            .min(PUBLISH_TIMEOUT);
        let delivery = deliver(
            &self.publisher,
            &self.publish,
            input.publish.as_ref(),
            report,
            invocation.alarm.as_ref(),
            publish_timeout,
        )
        .await;
        if let Some(err) = &delivery.error {
            tracing::warn!(distribution_id = %id, topic = delivery.topic_arn.as_deref().unwrap_or(""), error = %err, "SNS publish failed");
        } else if delivery.published {
            tracing::info!(distribution_id = %id, message_id = delivery.message_id.as_deref().unwrap_or(""), "report published to SNS");
        }
        let delivery = serde_json::to_value(&delivery).map_err(|e| DiagnoseError::Internal(e.to_string()))?;
        let report = serde_json::to_value(report).map_err(|e| DiagnoseError::Internal(e.to_string()))?;
        let extra = trigger.to_string().len() + delivery.to_string().len() + 64;
        let mut out = fit(&report, STEP_FUNCTIONS_BUDGET.saturating_sub(extra));
        if let Some(obj) = out.as_object_mut() {
            obj.insert("trigger".into(), trigger);
            obj.insert("delivery".into(), delivery);
        }
        Ok(Handled::Diagnosed(out))
    }
}

/// What an invocation returned, by kind: the metric line's `Outcome` comes from this, never from
/// the returned JSON.
enum Handled {
    /// An alarm that recovered: nothing was diagnosed.
    Skipped(Value),
    /// Report v1 with `trigger` and `delivery`.
    Diagnosed(Value),
}

/// What started the run, echoed in the result.
fn trigger_json(inv: &Invocation) -> Value {
    json!({
        "source": inv.source.as_str(),
        "alarm": inv.alarm.as_ref().map(|a| json!({
            "name": a.name,
            "arn": a.arn,
            "state": a.state.as_str(),
            "previous_state": a.previous_state.map(|s| s.as_str()),
        })),
    })
}

/// The `errorType`/`errorMessage` pair Lambda returns for a failed invocation.
#[cfg(feature = "aws")]
pub fn diagnostic(e: &DiagnoseError) -> lambda_runtime::Diagnostic {
    lambda_runtime::Diagnostic { error_type: e.error_type().to_string(), error_message: e.to_string() }
}

#[cfg(feature = "aws")]
impl From<DiagnoseError> for lambda_runtime::Diagnostic {
    fn from(e: DiagnoseError) -> Self {
        diagnostic(&e)
    }
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
            let e = parse_event(&ev, ParseOptions::default()).unwrap_err();
            assert_eq!(e.error_type(), "InvalidRequest", "{ev}");
        }
        let inv = parse_event(&serde_json::json!({"distributionId": "EABC"}), ParseOptions::default()).unwrap();
        let Action::Diagnose(input) = inv.action else { panic!("not a diagnosis") };
        assert_eq!(input.request.paths, vec!["/"]);
    }

    /// Reads a payload the way the Lambda runtime does: one `deserialize` call on the bytes,
    /// nothing checked after it.
    fn as_runtime_reads(body: &[u8]) -> RawEvent {
        let mut de = serde_json::Deserializer::from_slice(body);
        <RawEvent as serde::Deserialize>::deserialize(&mut de).expect("RawEvent never fails")
    }

    #[test]
    fn unreadable_payloads_become_invalid_requests() {
        let deep = "[".repeat(100_000);
        let deep_object = format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
        for body in
            [b"{".as_slice(), b"{\"distribution_id\": }", b"\xff\xfe", b"", deep.as_bytes(), deep_object.as_bytes()]
        {
            let e = as_runtime_reads(body).into_value().unwrap_err();
            assert_eq!(e.error_type(), "InvalidRequest", "{}", String::from_utf8_lossy(&body[..body.len().min(40)]));
            assert!(e.to_string().contains("not readable JSON"), "{e}");
        }
        let ok = as_runtime_reads(br#"{"distribution_id": "EABC"}"#).into_value().unwrap();
        assert_eq!(ok["distribution_id"], "EABC");
    }

    #[test]
    fn alarm_write_methods_is_a_flag_of_the_environment() {
        let env = |v: &'static str| move |k: &str| (k == ENV_ALARM_WRITE_METHODS).then(|| v.to_string());
        assert!(parse_options_from_env(env("true")).unwrap().alarm_write_methods);
        assert!(!parse_options_from_env(env("false")).unwrap().alarm_write_methods);
        assert!(!parse_options_from_env(|_: &str| None).unwrap().alarm_write_methods);
        assert_eq!(parse_options_from_env(env("maybe")).unwrap_err().error_type(), "InvalidRequest");
    }

    use crate::delivery::OutgoingMessage;
    use crate::evidence as ev;
    use crate::inventory::{self as inv, ApiError};
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct FakeApi {
        error: ApiError,
        calls: std::sync::Arc<AtomicUsize>,
        delay: Duration,
    }

    impl AwsApi for FakeApi {
        async fn get_distribution(&self, _id: &str) -> Result<crate::evidence::Distribution, ApiError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            Err(self.error.clone())
        }
        async fn load_balancers(&self, _region: &str) -> Result<Vec<crate::inventory::LoadBalancerSummary>, ApiError> {
            Ok(vec![])
        }
        async fn listeners(&self, _region: &str, _arn: &str) -> Result<Vec<crate::evidence::Listener>, ApiError> {
            Ok(vec![])
        }
        async fn load_balancer_attributes(
            &self,
            _: &str,
            _: &str,
        ) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
            Err(inv::not_faked())
        }
        async fn listener_certificates(&self, _: &str, _: &str) -> Result<Vec<ev::ListenerCertificate>, ApiError> {
            Err(inv::not_faked())
        }
        async fn listener_rules(&self, _: &str, _: &str) -> Result<Vec<ev::ListenerRule>, ApiError> {
            Err(inv::not_faked())
        }
        async fn ssl_policies(&self, _: &str, _: &[String]) -> Result<Vec<ev::SslPolicy>, ApiError> {
            Err(inv::not_faked())
        }
        async fn target_groups(&self, _: &str, _: &str) -> Result<Vec<ev::TargetGroup>, ApiError> {
            Err(inv::not_faked())
        }
        async fn target_group_attributes(
            &self,
            _: &str,
            _: &str,
        ) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
            Err(inv::not_faked())
        }
        async fn target_health(&self, _: &str, _: &str) -> Result<Vec<ev::TargetHealth>, ApiError> {
            Err(inv::not_faked())
        }
        async fn instances(&self, _: &str, _: &inv::InstanceQuery) -> Result<Vec<ev::Ec2Instance>, ApiError> {
            Err(inv::not_faked())
        }
        async fn elastic_ips(&self, _: &str, _: &str) -> Result<Vec<ev::ElasticIp>, ApiError> {
            Err(inv::not_faked())
        }
        async fn network_interfaces(
            &self,
            _: &str,
            _: &inv::InterfaceQuery,
        ) -> Result<Vec<ev::NetworkInterface>, ApiError> {
            Err(inv::not_faked())
        }
        async fn security_groups(&self, _: &str, _: &[String]) -> Result<Vec<ev::SecurityGroup>, ApiError> {
            Err(inv::not_faked())
        }
        async fn managed_prefix_lists(
            &self,
            _: &str,
            _: &inv::PrefixListQuery,
        ) -> Result<Vec<ev::PrefixList>, ApiError> {
            Err(inv::not_faked())
        }
        async fn prefix_list_entries(&self, _: &str, _: &str) -> Result<Vec<String>, ApiError> {
            Err(inv::not_faked())
        }
        async fn subnets(&self, _: &str, _: &[String]) -> Result<Vec<ev::Subnet>, ApiError> {
            Err(inv::not_faked())
        }
        async fn network_acls(&self, _: &str, _: &str) -> Result<Vec<ev::NetworkAcl>, ApiError> {
            Err(inv::not_faked())
        }
        async fn route_tables(&self, _: &str, _: &str) -> Result<Vec<ev::RouteTable>, ApiError> {
            Err(inv::not_faked())
        }
        async fn certificate(&self, _: &str, _: &str) -> Result<ev::AcmCertificate, ApiError> {
            Err(inv::not_faked())
        }
        async fn cache_policy(&self, _: &str) -> Result<ev::PolicyDefinition, ApiError> {
            Err(inv::not_faked())
        }
        async fn origin_request_policy(&self, _: &str) -> Result<ev::PolicyDefinition, ApiError> {
            Err(inv::not_faked())
        }
        async fn vpc_origin(&self, _: &str) -> Result<ev::VpcOrigin, ApiError> {
            Err(inv::not_faked())
        }
        async fn list_distribution_ids(&self) -> Result<Vec<String>, ApiError> {
            Err(inv::not_faked())
        }
        async fn list_distributions(&self) -> Result<Vec<inv::DistributionSummary>, ApiError> {
            Err(inv::not_faked())
        }
        async fn metric_data(&self, _: &inv::MetricQuery) -> Result<Vec<inv::MetricSeries>, ApiError> {
            Err(inv::not_faked())
        }
        async fn list_log_objects(&self, _: &str, _: &str, _: &str, _: usize) -> Result<inv::LogListing, ApiError> {
            Err(inv::not_faked())
        }
        async fn get_log_object(&self, _: &str, _: &str, _: u64) -> Result<Vec<u8>, ApiError> {
            Err(inv::not_faked())
        }
        async fn filter_log_events(&self, _: &str, _: i64, _: i64, _: usize) -> Result<inv::LogEvents, ApiError> {
            Err(inv::not_faked())
        }
    }

    struct NoPublish;

    impl Publisher for NoPublish {
        async fn publish(&self, _topic: &str, _msg: &OutgoingMessage) -> Result<String, String> {
            Err("no publishing in unit tests".into())
        }
    }

    fn function(error: ApiError) -> Function<FakeApi, NoPublish> {
        function_counting(error, Default::default())
    }

    fn function_counting(error: ApiError, calls: std::sync::Arc<AtomicUsize>) -> Function<FakeApi, NoPublish> {
        let api = FakeApi { error, calls, delay: Duration::ZERO };
        Function {
            engine: Engine::new(api, ProbeSettings::default(), "unit test").unwrap(),
            publisher: NoPublish,
            publish: PublishSettings::default(),
            parse: ParseOptions::default(),
            roles: NoRoles,
        }
    }

    #[tokio::test]
    async fn aws_errors_keep_stable_names_and_retryability() {
        let ev = serde_json::json!({"distribution_id": "EABC"});
        let f = function(ApiError::Throttled { message: "Rate exceeded".into() });
        let e = f.handle(ev.clone(), None).await.unwrap_err();
        assert_eq!((e.error_type(), e.retryable()), ("Throttled", true));
        let f = function(ApiError::NotFound { code: "NoSuchDistribution".into(), message: String::new() });
        let e = f.handle(ev.clone(), None).await.unwrap_err();
        assert_eq!((e.error_type(), e.retryable()), ("DistributionNotFound", false));
        let f = function(ApiError::Denied { message: "no".into() });
        assert_eq!(f.handle(ev, None).await.unwrap_err().error_type(), "AccessDenied");
    }

    #[cfg(feature = "aws")]
    #[tokio::test]
    async fn lambda_gets_the_stable_error_name_and_message() {
        let f = function(ApiError::Throttled { message: "Rate exceeded".into() });
        let e = f.handle(serde_json::json!({"distribution_id": "EABC"}), None).await.unwrap_err();
        let message = e.to_string();
        let d: lambda_runtime::Diagnostic = e.into();
        assert_eq!((d.error_type.as_str(), d.error_message), ("Throttled", message));
    }

    #[tokio::test]
    async fn recovered_alarms_deadlines_and_roles_stop_before_any_aws_call() {
        let counter = std::sync::Arc::new(AtomicUsize::new(0));
        let f = function_counting(ApiError::Throttled { message: String::new() }, counter.clone());
        let ok = serde_json::json!({"source": "aws.cloudwatch", "alarmData": {"alarmName": "a", "state": {"value": "OK"},
            "configuration": {"metrics": []}}});
        let out = f.handle(ok, None).await.unwrap();
        assert_eq!(out["status"], "skipped");
        assert_eq!(out["trigger"]["source"], "cloudwatch-alarm-action");
        let direct = serde_json::json!({"distribution_id": "EABC"});
        let e = f.handle(direct, Some(Duration::from_secs(3))).await.unwrap_err();
        assert_eq!(e.error_type(), "DeadlineExceeded");
        let role = serde_json::json!({"distribution_id": "EABC", "role_arn": "arn:aws:iam::123456789012:role/r"});
        assert_eq!(f.handle(role, None).await.unwrap_err().error_type(), "InvalidRequest");
        let e = f.handle(serde_json::json!({"hello": 1}), None).await.unwrap_err();
        assert!(e.to_string().contains("accepted:"), "{e}");
        assert_eq!(counter.load(Ordering::SeqCst), 0);
        // The same direct request with time to spare does reach AWS.
        let _ = f.handle(serde_json::json!({"distribution_id": "EABC"}), None).await;
        assert_eq!(counter.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_slow_aws_read_ends_in_deadline_exceeded_before_the_function_is_killed() {
        let mut f = function(ApiError::Throttled { message: String::new() });
        f.engine = Engine::new(
            FakeApi {
                error: ApiError::Throttled { message: String::new() },
                calls: Default::default(),
                delay: Duration::from_secs(30),
            },
            ProbeSettings::default(),
            "unit test",
        )
        .unwrap();
        let started = Instant::now();
        let left = Duration::from_millis(6600);
        let e = f.handle(serde_json::json!({"distribution_id": "EABC"}), Some(left)).await.unwrap_err();
        assert_eq!(e.error_type(), "DeadlineExceeded", "{e}");
        let took = started.elapsed();
        assert!(
            took < left - Duration::from_secs(1) && took >= left - HARD_STOP_MARGIN - Duration::from_millis(200),
            "{took:?}"
        );
    }
}
