//! What the Lambda function is invoked with, parsed into the project's own types.
//!
//! One handler accepts every way in: a direct request (`aws lambda invoke`, Step Functions, the
//! console), a CloudWatch alarm's Lambda action (`source: aws.cloudwatch`, `alarmData`), an
//! EventBridge "CloudWatch Alarm State Change" event, and an SNS notification that carries an
//! alarm (`Records[].Sns.Message`, a JSON *string*). The alarm shapes are read tolerantly from
//! `serde_json::Value` (the published `aws_lambda_events` types reject real alarms whose
//! `AlarmDescription` is null or whose period exceeds 65535 s); only the fields used here are
//! looked at, and each wrong one is named by its JSON path in a typed [`EventError`].

pub use crate::evidence::Expectations;
use crate::inventory::distribution_config::{self, ProposedConfig};
use crate::locate::{Target, parse_target};
use crate::report::v1::StatusV1;
use crate::request::{DiagnoseRequest, InvalidRequest};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The shapes the function accepts, quoted in every "unrecognised event" error.
pub const ACCEPTED_SHAPES: &str = "accepted: a direct request {\"distribution_id\": \"E2QWRUHEXAMPLE\", \"paths\": [\"/\"]} \
or {\"url\": \"https://www.example.com/checkout\"} (camelCase keys too; optional expect, method_probe_path, role_arn, publish, samples, distribution_config), a CloudWatch alarm Lambda action \
(source \"aws.cloudwatch\" with alarmData), an EventBridge \"CloudWatch Alarm State Change\" event, or an SNS \
notification whose Message is a CloudWatch alarm or a direct request";

/// The distribution id a request carries until the one behind its `url` is found.
const LOCATE_PLACEHOLDER: &str = "ELOCATING";

/// Longest SNS `Message` read (SNS itself caps messages at 256 KiB).
const MAX_SNS_MESSAGE: usize = 256 * 1024;
/// Longest alarm name kept (CloudWatch allows 255 characters).
const MAX_NAME: usize = 1024;

/// Why an event was refused. Every variant becomes the `InvalidRequest` error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the event is {0}, not a JSON object; {ACCEPTED_SHAPES}")]
    NotAnObject(&'static str),
    #[error("unrecognised event (keys: {0}); {ACCEPTED_SHAPES}")]
    UnknownShape(String),
    #[error("{path} is missing")]
    Missing { path: String },
    #[error("{path} must be {expected}, not {got}")]
    WrongType { path: String, expected: &'static str, got: &'static str },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("not a diagnosis request: {0}")]
    BadRequest(String),
    #[error(
        "alarm {alarm:?} names no CloudFront distribution: a composite alarm, or metrics without a DistributionId \
         dimension; put \"DistributionId=E…\" in the alarm description, or invoke with {{\"distribution_id\": …}}"
    )]
    NoDistribution { alarm: String },
    #[error("alarm {alarm:?} watches several distributions ({ids}); give an alarm one distribution")]
    SeveralDistributions { alarm: String, ids: String },
    #[error(
        "EventBridge event {detail_type:?} from {source_name:?} is not a CloudWatch alarm state change; {ACCEPTED_SHAPES}"
    )]
    UnsupportedEventBridge { detail_type: String, source_name: String },
    #[error("{0} SNS records in one event; SNS delivers one per invocation")]
    SeveralRecords(usize),
    #[error("invalid request: {0}")]
    Request(String),
    /// A setting this way in may not carry (see [`Authority`]).
    #[error("{path}: {what} is not accepted from {from}; {rule}")]
    NotAllowed { path: String, what: String, from: &'static str, rule: &'static str },
}

impl From<InvalidRequest> for EventError {
    fn from(e: InvalidRequest) -> Self {
        EventError::Request(e.0)
    }
}

/// Which way the invocation came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    Direct,
    AlarmAction,
    EventBridge,
    Sns,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Direct => "direct",
            EventSource::AlarmAction => "cloudwatch-alarm-action",
            EventSource::EventBridge => "eventbridge",
            EventSource::Sns => "sns",
        }
    }
}

/// CloudWatch alarm states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmState {
    Alarm,
    Ok,
    InsufficientData,
}

impl AlarmState {
    fn parse(path: &str, raw: &str) -> Result<Self, EventError> {
        match raw {
            "ALARM" => Ok(AlarmState::Alarm),
            "OK" => Ok(AlarmState::Ok),
            "INSUFFICIENT_DATA" => Ok(AlarmState::InsufficientData),
            other => Err(EventError::Invalid {
                path: path.into(),
                reason: format!("{:?} is not ALARM, OK or INSUFFICIENT_DATA", clip(other)),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Alarm => "ALARM",
            AlarmState::Ok => "OK",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// The alarm behind an alarm-triggered invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmContext {
    pub name: String,
    pub arn: Option<String>,
    pub state: AlarmState,
    pub previous_state: Option<AlarmState>,
}

/// A per-request override of SNS delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishOverride {
    /// `Some(false)`: never publish; `Some(true)`: publish whatever the status.
    pub enabled: Option<bool>,
    pub topic_arn: Option<String>,
    /// Publish when the status is at or above this level.
    pub min_status: Option<StatusV1>,
}

/// A validated diagnosis to run (its `request` carries the paths, `expect` and
/// `method_probe_path`), with the delivery extras the request carried.
#[derive(Debug, Clone)]
pub struct DiagnoseInput {
    pub request: DiagnoseRequest,
    /// The hostname to find the distribution by (`ListDistributions`), when the request named a
    /// URL instead of an id; `request.distribution_id` is then a placeholder until it is found.
    pub locate_host: Option<String>,
    pub role_arn: Option<String>,
    pub publish: Option<PublishOverride>,
    /// A proposed configuration to pre-flight against the live one (a direct request only).
    pub proposed: Option<ProposedConfig>,
}

/// What the invocation asks for.
#[derive(Debug, Clone)]
pub enum Action {
    Diagnose(Box<DiagnoseInput>),
    /// An alarm recovered (or lost its data): nothing to diagnose.
    NothingToDiagnose {
        reason: String,
    },
}

/// A parsed invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub source: EventSource,
    pub alarm: Option<AlarmContext>,
    pub action: Action,
}

/// Parse options from the function's settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// Diagnose on OK and INSUFFICIENT_DATA transitions too (off by default).
    pub diagnose_all_states: bool,
    /// Let alarm descriptions and SNS messages ask for write-method probes (off by default).
    pub alarm_write_methods: bool,
}

/// Who may ask for what. Invoking the function (`lambda:InvokeFunction`: `aws lambda invoke`,
/// Step Functions, the console) is the authority the IAM policy grants, so a direct invocation
/// may ask for everything. Whoever can write an alarm description (`cloudwatch:PutMetricAlarm`)
/// or publish to the function's topic (`sns:Publish`) is a weaker principal: from those shapes
/// a request may not assume a role (`role_arn`) or redirect delivery (`publish`), and may send a
/// write method to the origin only when the function's environment opts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Authority {
    /// A direct invocation.
    Invoker,
    /// An alarm description or a request published to an SNS topic.
    AlarmOrTopic { write_methods: bool },
}

const ROLE_RULE: &str = "role_arn and publish are accepted only in a direct invocation (aws lambda invoke, Step Functions), \
     never from an alarm or an SNS message, so whoever can publish to the topic cannot make the function assume a role";
const PREFLIGHT_RULE: &str = "distribution_config is accepted only in a direct invocation (aws lambda invoke, Step Functions): \
     a proposed configuration names the hosts the function probes, which whoever can publish to the topic may not choose";
const WRITE_RULE: &str = "write methods are sent only on a direct invocation (aws lambda invoke, Step Functions), or from \
     alarms and SNS messages when the function's CF_ORIGIN_DOCTOR_ALARM_WRITE_METHODS is true";

/// Refuses a request, from an alarm or a topic, that would send a write method to the origin
/// (a write method is sent only to `method_probe_path`, so both must be present).
fn check_write_probes(request: &DiagnoseRequest, authority: Authority, at: &str) -> Result<(), EventError> {
    if authority != (Authority::AlarmOrTopic { write_methods: false }) {
        return Ok(());
    }
    let Some(path) = &request.method_probe_path else { return Ok(()) };
    let writes: Vec<&str> =
        request.expect.methods.iter().map(String::as_str).filter(|m| crate::request::is_write_method(m)).collect();
    if writes.is_empty() {
        return Ok(());
    }
    Err(EventError::NotAllowed {
        path: at.into(),
        what: format!("sending {} to {}", writes.join(", "), clip(path)),
        from: "an alarm or an SNS message",
        rule: WRITE_RULE,
    })
}

/// Parses one invocation payload.
pub fn parse(event: &Value, opts: ParseOptions) -> Result<Invocation, EventError> {
    let obj = event.as_object().ok_or(EventError::NotAnObject(kind(event)))?;
    if obj.contains_key("Records") {
        return parse_sns(obj, opts);
    }
    if obj.contains_key("detail-type") {
        return parse_eventbridge(obj, opts);
    }
    if obj.contains_key("alarmData") {
        let source = str_field(obj, "", "source")?;
        if source != "aws.cloudwatch" {
            return Err(EventError::Invalid {
                path: "source".into(),
                reason: format!("{:?} is not aws.cloudwatch", clip(source)),
            });
        }
        let data = object_field(obj, "", "alarmData")?;
        let arn = opt_str_field(obj, "", "alarmArn")?.map(str::to_string);
        return alarm_from_data(data, "alarmData", arn, EventSource::AlarmAction, opts);
    }
    if DIRECT_KEYS.iter().any(|k| obj.contains_key(*k)) {
        return Ok(Invocation {
            source: EventSource::Direct,
            alarm: None,
            action: Action::Diagnose(Box::new(direct(event, Authority::Invoker)?)),
        });
    }
    Err(EventError::UnknownShape(key_list(obj)))
}

/// The keys that make an object a direct request: the distribution's id, or the failing URL.
const DIRECT_KEYS: &[&str] = &["distribution_id", "distributionId", "DistributionId", "url"];

/// The direct request as sent by `aws lambda invoke` or a Step Functions task.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectEvent {
    #[serde(default, alias = "distributionId", alias = "DistributionId")]
    distribution_id: Option<String>,
    /// The failing URL or hostname instead of the id: the distribution is found by its aliases
    /// or domain name, and the URL's path and query are probed first.
    #[serde(default, alias = "URL")]
    url: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    expect: Option<Expectations>,
    #[serde(default, alias = "methodProbePath")]
    method_probe_path: Option<String>,
    #[serde(default, alias = "roleArn")]
    role_arn: Option<String>,
    #[serde(default)]
    publish: Option<PublishField>,
    /// A proposed configuration to pre-flight: what `aws cloudfront get-distribution-config`
    /// prints, or its `DistributionConfig` object.
    #[serde(default, alias = "distributionConfig")]
    distribution_config: Option<Value>,
    /// Requests per edge and origin probe (1 to 50), as the CLI's `--samples`.
    #[serde(default)]
    samples: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PublishField {
    Flag(bool),
    Detail(PublishDetail),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishDetail {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default, alias = "topicArn")]
    topic_arn: Option<String>,
    #[serde(default, alias = "minStatus")]
    min_status: Option<String>,
}

fn direct(event: &Value, authority: Authority) -> Result<DiagnoseInput, EventError> {
    let d: DirectEvent = serde_json::from_value(event.clone()).map_err(|e| EventError::BadRequest(e.to_string()))?;
    if authority != Authority::Invoker {
        for (present, what, rule) in [
            (d.role_arn.is_some(), "role_arn", ROLE_RULE),
            (d.publish.is_some(), "publish", ROLE_RULE),
            (d.distribution_config.is_some(), "distribution_config", PREFLIGHT_RULE),
        ] {
            if present {
                return Err(EventError::NotAllowed {
                    path: "Records[0].Sns.Message".into(),
                    what: what.into(),
                    from: "an SNS message",
                    rule,
                });
            }
        }
    }
    let mut paths = d.paths;
    let (distribution_id, locate_host) = match (d.distribution_id, d.url.as_deref()) {
        (Some(id), None) => (id, None),
        (None, Some(url)) => match parse_target(bounded(url, "url")?)? {
            Target::Id(id) => (id, None),
            Target::Host { host, path } => {
                if let Some(p) = path {
                    paths.insert(0, p);
                }
                // Replaced by the located distribution's id before the run.
                (LOCATE_PLACEHOLDER.to_string(), Some(host))
            }
        },
        (Some(_), Some(_)) => {
            return Err(EventError::BadRequest("give distribution_id or url, not both".into()));
        }
        (None, None) => return Err(EventError::BadRequest("missing field `distribution_id` (or `url`)".into())),
    };
    let mut request = DiagnoseRequest::new(&distribution_id, &paths)?;
    if let Some(n) = d.samples {
        request = request.with_samples(n)?;
    }
    let request = with_expectations(request, d.expect, d.method_probe_path.as_deref(), "expect")?;
    check_write_probes(&request, authority, "Records[0].Sns.Message")?;
    if let Some(arn) = &d.role_arn {
        validate_role_arn(arn)?;
    }
    let publish = match d.publish {
        None => None,
        Some(PublishField::Flag(b)) => Some(PublishOverride { enabled: Some(b), ..Default::default() }),
        Some(PublishField::Detail(p)) => {
            if let Some(t) = &p.topic_arn {
                validate_topic_arn(t)?;
            }
            let min_status = match &p.min_status {
                None => None,
                Some(s) => Some(StatusV1::parse(s).ok_or_else(|| EventError::Invalid {
                    path: "publish.min_status".into(),
                    reason: format!("{:?} is not pass, warn, incomplete or fail", clip(s)),
                })?),
            };
            Some(PublishOverride { enabled: p.enabled, topic_arn: p.topic_arn, min_status })
        }
    };
    let proposed = match &d.distribution_config {
        None | Some(Value::Null) => None,
        Some(v) => Some(distribution_config::parse(v).map_err(|e| EventError::Invalid {
            path: if e.path == "(document)" {
                "distribution_config".into()
            } else {
                format!("distribution_config.{}", e.path)
            },
            reason: e.problem,
        })?),
    };
    Ok(DiagnoseInput { request, locate_host, role_arn: d.role_arn, publish, proposed })
}

/// Adds what the application needs to a request; a refused name is an error at `at`.
fn with_expectations(
    mut request: DiagnoseRequest,
    expect: Option<Expectations>,
    method_probe_path: Option<&str>,
    at: &str,
) -> Result<DiagnoseRequest, EventError> {
    if let Some(x) = expect {
        request.expect = crate::request::validate_expectations(x)
            .map_err(|e| EventError::Invalid { path: at.into(), reason: e.0 })?;
    }
    if let Some(p) = method_probe_path {
        request.method_probe_path = Some(crate::request::validate_path(p)?);
    }
    Ok(request)
}

/// An IAM role ARN, `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`, by the grammar IAM itself
/// enforces (IAM User Guide, "IAM identifiers" and the `CreateRole` API reference): a partition
/// of `aws` and dash-separated lower-case words (`aws-cn`, `aws-us-gov`, `aws-iso-b`, ...), no
/// region, a 12-digit account, a path that is `/` or starts and ends with `/` and holds only
/// printable ASCII (`!` through `~`, 512 characters at most), and a name of 1 to 64 characters from
/// letters, digits and `+=,.@_-`. Anything else (a newline, JSON, a wildcard) never reaches STS.
pub fn validate_role_arn(arn: &str) -> Result<(), EventError> {
    if role_arn_is_valid(arn) {
        Ok(())
    } else {
        Err(EventError::Invalid {
            path: "role_arn".into(),
            reason: format!("{:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", clip(arn)),
        })
    }
}

fn role_arn_is_valid(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let partition_ok = partition
        .split('-')
        .enumerate()
        .all(|(i, word)| (i > 0 || word == "aws") && !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()));
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let Some(path_and_name) = resource.strip_prefix("role") else { return false };
    let Some(slash) = path_and_name.rfind('/') else { return false };
    let (path, name) = (&path_and_name[..=slash], &path_and_name[slash + 1..]);
    let path_ok = path.starts_with('/') && path.len() <= 512 && path.bytes().all(|b| (b'!'..=b'~').contains(&b));
    let name_ok =
        (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    partition_ok && account_ok && path_ok && name_ok
}

/// An SNS topic ARN: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`.
pub fn validate_topic_arn(arn: &str) -> Result<(), EventError> {
    let parts: Vec<&str> = arn.split(':').collect();
    let ok = arn.len() <= 1024
        && parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty()
        && parts[5].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(EventError::Invalid {
            path: "publish.topic_arn".into(),
            reason: format!("{:?} is not an SNS topic ARN", clip(arn)),
        })
    }
}

fn parse_eventbridge(obj: &Map<String, Value>, opts: ParseOptions) -> Result<Invocation, EventError> {
    let detail_type = str_field(obj, "", "detail-type")?;
    let source = str_field(obj, "", "source")?;
    if detail_type != "CloudWatch Alarm State Change" || source != "aws.cloudwatch" {
        return Err(EventError::UnsupportedEventBridge { detail_type: clip(detail_type), source_name: clip(source) });
    }
    let detail = object_field(obj, "", "detail")?;
    let arn = match obj.get("resources") {
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_string),
        Some(Value::Null) | None => None,
        Some(other) => {
            return Err(EventError::WrongType { path: "resources".into(), expected: "an array", got: kind(other) });
        }
    };
    alarm_from_data(detail, "detail", arn, EventSource::EventBridge, opts)
}

/// The inner alarm shape shared by the Lambda alarm action (`alarmData`) and EventBridge (`detail`).
fn alarm_from_data(
    data: &Map<String, Value>,
    at: &str,
    arn: Option<String>,
    source: EventSource,
    opts: ParseOptions,
) -> Result<Invocation, EventError> {
    let name = bounded(str_field(data, at, "alarmName")?, &format!("{at}.alarmName"))?;
    let state_obj = object_field(data, at, "state")?;
    let state_path = format!("{at}.state");
    let state = AlarmState::parse(&format!("{state_path}.value"), str_field(state_obj, &state_path, "value")?)?;
    let previous_state = match data.get("previousState") {
        Some(Value::Object(p)) => match opt_str_field(p, &format!("{at}.previousState"), "value")? {
            Some(v) => Some(AlarmState::parse(&format!("{at}.previousState.value"), v)?),
            None => None,
        },
        Some(Value::Null) | None => None,
        Some(other) => {
            return Err(EventError::WrongType {
                path: format!("{at}.previousState"),
                expected: "an object",
                got: kind(other),
            });
        }
    };
    let alarm = AlarmContext { name: name.to_string(), arn, state, previous_state };
    if let Some(done) = recovered(&alarm, opts) {
        return Ok(Invocation { source, alarm: Some(alarm), action: done });
    }
    let conf_path = format!("{at}.configuration");
    let conf = object_field(data, at, "configuration")?;
    let mut ids = Vec::new();
    match conf.get("metrics") {
        Some(Value::Array(metrics)) => {
            for (i, m) in metrics.iter().enumerate() {
                let mp = format!("{conf_path}.metrics[{i}]");
                let m = m.as_object().ok_or(EventError::WrongType {
                    path: mp.clone(),
                    expected: "an object",
                    got: kind(m),
                })?;
                let Some(stat) = m.get("metricStat") else { continue };
                let sp = format!("{mp}.metricStat");
                let stat = stat.as_object().ok_or(EventError::WrongType {
                    path: sp.clone(),
                    expected: "an object",
                    got: kind(stat),
                })?;
                let metric = object_field(stat, &sp, "metric")?;
                let metric_path = format!("{sp}.metric");
                match metric.get("dimensions") {
                    Some(Value::Object(dims)) => {
                        if let Some(v) = dims.get("DistributionId") {
                            let p = format!("{metric_path}.dimensions.DistributionId");
                            let id = v.as_str().ok_or(EventError::WrongType {
                                path: p,
                                expected: "a string",
                                got: kind(v),
                            })?;
                            push_unique(&mut ids, id);
                        }
                    }
                    Some(Value::Null) | None => {}
                    Some(other) => {
                        return Err(EventError::WrongType {
                            path: format!("{metric_path}.dimensions"),
                            expected: "an object",
                            got: kind(other),
                        });
                    }
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => {
            return Err(EventError::WrongType {
                path: format!("{conf_path}.metrics"),
                expected: "an array",
                got: kind(other),
            });
        }
    }
    let description = opt_str_field(conf, &conf_path, "description")?;
    let request = request_for_alarm(&alarm.name, ids, description, &format!("{conf_path}.description"), opts)?;
    Ok(Invocation { source, alarm: Some(alarm), action: Action::Diagnose(Box::new(request)) })
}

fn recovered(alarm: &AlarmContext, opts: ParseOptions) -> Option<Action> {
    (alarm.state != AlarmState::Alarm && !opts.diagnose_all_states).then(|| Action::NothingToDiagnose {
        reason: format!(
            "alarm {:?} is {}: nothing to diagnose (set CF_ORIGIN_DOCTOR_DIAGNOSE_ALL_STATES=true to diagnose on every transition)",
            alarm.name,
            alarm.state.as_str()
        ),
    })
}

/// The diagnosis an alarm asks for: the distribution from its metrics, else from its description
/// (the way to point a composite alarm at a distribution); paths and expectations from the
/// description's settings (see [`DescriptionSettings`]).
fn request_for_alarm(
    alarm: &str,
    mut ids: Vec<String>,
    description: Option<&str>,
    description_path: &str,
    opts: ParseOptions,
) -> Result<DiagnoseInput, EventError> {
    let settings = match description {
        Some(d) => DescriptionSettings::parse(d, description_path)?,
        None => DescriptionSettings::default(),
    };
    if ids.is_empty() {
        ids = settings.distribution_ids;
    }
    match ids.len() {
        0 => Err(EventError::NoDistribution { alarm: clip(alarm) }),
        1 => {
            let request = DiagnoseRequest::new(&ids[0], &settings.paths)?;
            let expect = (!settings.expect.is_empty()).then_some(settings.expect);
            let request = with_expectations(request, expect, settings.method_probe_path.as_deref(), description_path)?;
            let authority = Authority::AlarmOrTopic { write_methods: opts.alarm_write_methods };
            check_write_probes(&request, authority, description_path)?;
            Ok(DiagnoseInput { request, locate_host: None, role_arn: None, publish: None, proposed: None })
        }
        _ => Err(EventError::SeveralDistributions {
            alarm: clip(alarm),
            ids: ids.iter().map(|s| clip(s)).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// What an alarm description may say about the diagnosis, as `key=value` words anywhere in its
/// prose:
///
/// ```text
/// Checkout is failing. DistributionId=E2QWRUHEXAMPLE paths=/,/checkout
/// expect.methods=[POST, OPTIONS] expect.headers=Authorization expect.cookies=session
/// expect.query_strings=lang method_probe_path=/api/echo
/// ```
///
/// Words are separated by whitespace or `;`; spaces around `=` are allowed. A value is a
/// comma-separated list, either without spaces or in brackets (`[POST, PUT]`); a trailing `.`
/// or `,` after an unbracketed value (the end of a sentence) is dropped. Keys are matched without
/// regard to case or underscores (`DistributionId`, `distribution_id`; `expect.queryStrings`).
/// Other words are prose and ignored, but a key that starts with `expect.` and is not one of the
/// four, a bad value, or `method_probe_path` given twice is an error: a typo must not silently
/// drop what the application needs.
#[derive(Debug, Default)]
struct DescriptionSettings {
    distribution_ids: Vec<String>,
    paths: Vec<String>,
    expect: Expectations,
    method_probe_path: Option<String>,
}

impl DescriptionSettings {
    fn parse(description: &str, at: &str) -> Result<Self, EventError> {
        let mut out = DescriptionSettings::default();
        let err = |key: &str, reason: String| EventError::Invalid {
            path: at.into(),
            reason: format!("{}: {reason}", clip(key)),
        };
        for (key, value) in settings_words(description) {
            let value = value.map_err(|reason| err(key, reason))?;
            let items = || value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
            let normal = key.to_ascii_lowercase().replace('_', "");
            match normal.as_str() {
                "distributionid" => {
                    for id in items() {
                        push_unique(&mut out.distribution_ids, &id);
                    }
                }
                "paths" => out.paths.extend(items()),
                "expect.methods" => out.expect.methods.extend(items()),
                "expect.headers" => out.expect.headers.extend(items()),
                "expect.cookies" => out.expect.cookies.extend(items()),
                "expect.querystrings" => out.expect.query_strings.extend(items()),
                "methodprobepath" => {
                    let mut all: Vec<String> = items().collect();
                    if all.len() != 1 || out.method_probe_path.is_some() {
                        return Err(err(key, "give one method probe path".into()));
                    }
                    out.method_probe_path = all.pop();
                }
                other if other.starts_with("expect.") => {
                    return Err(err(
                        key,
                        "unknown setting; use expect.methods, expect.headers, expect.cookies or expect.query_strings"
                            .into(),
                    ));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// The `key=value` words of a description, in order; the value is an error for an unclosed `[`.
/// Splits only at ASCII bytes, so every slice is on a character boundary.
fn settings_words(s: &str) -> Vec<(&str, Result<&str, String>)> {
    let b = s.as_bytes();
    let sep = |c: u8| c.is_ascii_whitespace() || c == b';';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && sep(b[i]) {
            i += 1;
        }
        let start = i;
        while i < b.len() && !sep(b[i]) && b[i] != b'=' {
            i += 1;
        }
        let key = &s[start..i];
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= b.len() || b[j] != b'=' {
            continue;
        }
        if key.is_empty() {
            // A stray `=`: skip it.
            i = j + 1;
            continue;
        }
        i = j + 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'[' {
            let from = i + 1;
            match s[from..].find(']') {
                Some(len) => {
                    out.push((key, Ok(&s[from..from + len])));
                    i = from + len + 1;
                }
                None => {
                    out.push((key, Err("a list opened with [ is not closed with ]".into())));
                    i = b.len();
                }
            }
        } else {
            let from = i;
            while i < b.len() && !sep(b[i]) {
                i += 1;
            }
            out.push((key, Ok(s[from..i].trim_end_matches(['.', ',']))));
        }
    }
    out
}

fn parse_sns(obj: &Map<String, Value>, opts: ParseOptions) -> Result<Invocation, EventError> {
    let records = match obj.get("Records") {
        Some(Value::Array(r)) => r,
        Some(other) => {
            return Err(EventError::WrongType { path: "Records".into(), expected: "an array", got: kind(other) });
        }
        None => return Err(EventError::Missing { path: "Records".into() }),
    };
    let record = match records.as_slice() {
        [one] => one,
        [] => return Err(EventError::Invalid { path: "Records".into(), reason: "is empty".into() }),
        many => return Err(EventError::SeveralRecords(many.len())),
    };
    let record = record.as_object().ok_or(EventError::WrongType {
        path: "Records[0]".into(),
        expected: "an object",
        got: kind(record),
    })?;
    let event_source = opt_str_field(record, "Records[0]", "EventSource")?;
    if event_source.is_some_and(|s| s != "aws:sns") {
        return Err(EventError::Invalid {
            path: "Records[0].EventSource".into(),
            reason: format!("{:?} is not aws:sns", clip(event_source.unwrap_or_default())),
        });
    }
    let sns = object_field(record, "Records[0]", "Sns")?;
    let message = str_field(sns, "Records[0].Sns", "Message")?;
    if message.len() > MAX_SNS_MESSAGE {
        return Err(EventError::Invalid {
            path: "Records[0].Sns.Message".into(),
            reason: format!("{} bytes, more than SNS's {MAX_SNS_MESSAGE}", message.len()),
        });
    }
    let inner: Value = serde_json::from_str(message).map_err(|e| EventError::Invalid {
        path: "Records[0].Sns.Message".into(),
        reason: format!("is not JSON ({e})"),
    })?;
    let inner_obj = inner.as_object().ok_or(EventError::WrongType {
        path: "Records[0].Sns.Message".into(),
        expected: "a JSON object",
        got: kind(&inner),
    })?;
    if !inner_obj.contains_key("AlarmName") {
        // Someone published a direct request to the topic (never another envelope: no nesting).
        if DIRECT_KEYS.iter().any(|k| inner_obj.contains_key(*k)) {
            return Ok(Invocation {
                source: EventSource::Sns,
                alarm: None,
                action: Action::Diagnose(Box::new(direct(
                    &inner,
                    Authority::AlarmOrTopic { write_methods: opts.alarm_write_methods },
                )?)),
            });
        }
        return Err(EventError::UnknownShape(format!("Records[0].Sns.Message: {}", key_list(inner_obj))));
    }
    let at = "Records[0].Sns.Message";
    let name = bounded(str_field(inner_obj, at, "AlarmName")?, &format!("{at}.AlarmName"))?;
    let state = AlarmState::parse(&format!("{at}.NewStateValue"), str_field(inner_obj, at, "NewStateValue")?)?;
    let previous_state = match opt_str_field(inner_obj, at, "OldStateValue")? {
        Some(v) => Some(AlarmState::parse(&format!("{at}.OldStateValue"), v)?),
        None => None,
    };
    let arn = opt_str_field(inner_obj, at, "AlarmArn")?.map(str::to_string);
    let alarm = AlarmContext { name: name.to_string(), arn, state, previous_state };
    if let Some(done) = recovered(&alarm, opts) {
        return Ok(Invocation { source: EventSource::Sns, alarm: Some(alarm), action: done });
    }
    let mut ids = Vec::new();
    match inner_obj.get("Trigger") {
        Some(Value::Object(trigger)) => {
            let tp = format!("{at}.Trigger");
            sns_dimensions(trigger.get("Dimensions"), &format!("{tp}.Dimensions"), &mut ids)?;
            match trigger.get("Metrics") {
                Some(Value::Array(metrics)) => {
                    for (i, m) in metrics.iter().enumerate() {
                        let mp = format!("{tp}.Metrics[{i}]");
                        let m = m.as_object().ok_or(EventError::WrongType {
                            path: mp.clone(),
                            expected: "an object",
                            got: kind(m),
                        })?;
                        let Some(stat) = m.get("MetricStat") else { continue };
                        let stat = stat.as_object().ok_or(EventError::WrongType {
                            path: format!("{mp}.MetricStat"),
                            expected: "an object",
                            got: kind(stat),
                        })?;
                        let metric = object_field(stat, &format!("{mp}.MetricStat"), "Metric")?;
                        sns_dimensions(
                            metric.get("Dimensions"),
                            &format!("{mp}.MetricStat.Metric.Dimensions"),
                            &mut ids,
                        )?;
                    }
                }
                Some(Value::Null) | None => {}
                Some(other) => {
                    return Err(EventError::WrongType {
                        path: format!("{tp}.Metrics"),
                        expected: "an array",
                        got: kind(other),
                    });
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => {
            return Err(EventError::WrongType {
                path: format!("{at}.Trigger"),
                expected: "an object",
                got: kind(other),
            });
        }
    }
    // Often null: tolerated.
    let description = opt_str_field(inner_obj, at, "AlarmDescription")?;
    let request = request_for_alarm(&alarm.name, ids, description, &format!("{at}.AlarmDescription"), opts)?;
    Ok(Invocation { source: EventSource::Sns, alarm: Some(alarm), action: Action::Diagnose(Box::new(request)) })
}

/// SNS alarm dimensions: `[{"name": "DistributionId", "value": "E…"}]`.
fn sns_dimensions(dims: Option<&Value>, path: &str, ids: &mut Vec<String>) -> Result<(), EventError> {
    let dims = match dims {
        Some(Value::Array(d)) => d,
        Some(Value::Null) | None => return Ok(()),
        Some(other) => {
            return Err(EventError::WrongType { path: path.into(), expected: "an array", got: kind(other) });
        }
    };
    for (i, d) in dims.iter().enumerate() {
        let dp = format!("{path}[{i}]");
        let d = d.as_object().ok_or(EventError::WrongType { path: dp.clone(), expected: "an object", got: kind(d) })?;
        let name = str_field(d, &dp, "name")?;
        if name == "DistributionId" {
            push_unique(ids, str_field(d, &dp, "value")?);
        }
    }
    Ok(())
}

fn push_unique(ids: &mut Vec<String>, id: &str) {
    if !ids.iter().any(|x| x == id) {
        ids.push(id.to_string());
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() { key.to_string() } else { format!("{at}.{key}") }
}

fn str_field<'a>(obj: &'a Map<String, Value>, at: &str, key: &str) -> Result<&'a str, EventError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(Value::Null) | None => Err(EventError::Missing { path: join(at, key) }),
        Some(other) => Err(EventError::WrongType { path: join(at, key), expected: "a string", got: kind(other) }),
    }
}

fn opt_str_field<'a>(obj: &'a Map<String, Value>, at: &str, key: &str) -> Result<Option<&'a str>, EventError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Null) | None => Ok(None),
        Some(other) => Err(EventError::WrongType { path: join(at, key), expected: "a string", got: kind(other) }),
    }
}

fn object_field<'a>(obj: &'a Map<String, Value>, at: &str, key: &str) -> Result<&'a Map<String, Value>, EventError> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(Value::Null) | None => Err(EventError::Missing { path: join(at, key) }),
        Some(other) => Err(EventError::WrongType { path: join(at, key), expected: "an object", got: kind(other) }),
    }
}

fn bounded<'a>(s: &'a str, path: &str) -> Result<&'a str, EventError> {
    if s.is_empty() || s.len() > MAX_NAME {
        return Err(EventError::Invalid {
            path: path.into(),
            reason: format!("length {} is not 1 to {MAX_NAME}", s.len()),
        });
    }
    Ok(s)
}

/// At most 40 characters of untrusted input in an error message.
fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn key_list(obj: &Map<String, Value>) -> String {
    if obj.is_empty() {
        return "none".into();
    }
    let mut keys: Vec<String> = obj.keys().take(8).map(|k| format!("{:?}", clip(k))).collect();
    if obj.len() > 8 {
        keys.push(format!("… {} more", obj.len() - 8));
    }
    keys.join(", ")
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The time window an alarm evaluated: from its state change back over `Period` ×
/// `EvaluationPeriods` (at least 5 minutes, at most a day), read tolerantly from the three alarm
/// shapes (`alarmData` / `detail`: `state.timestamp`, `configuration.metrics[].metricStat.period`;
/// SNS: `StateChangeTime`, `Trigger.Period`, `Trigger.EvaluationPeriods`). `None` when the event
/// does not say (the run then reads its default window).
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions>
pub fn alarm_window(event: &Value) -> Option<(i64, i64)> {
    let sns: Option<Value> =
        event.pointer("/Records/0/Sns/Message").and_then(Value::as_str).and_then(|m| serde_json::from_str(m).ok());
    let (stamp, period, periods) = if let Some(m) = &sns {
        (
            m.get("StateChangeTime")?.as_str()?.to_string(),
            m.pointer("/Trigger/Period").and_then(Value::as_i64),
            m.pointer("/Trigger/EvaluationPeriods").and_then(Value::as_i64),
        )
    } else {
        let data = event.get("alarmData").or_else(|| event.get("detail"))?;
        let period = data
            .pointer("/configuration/metrics")
            .and_then(Value::as_array)
            .and_then(|ms| ms.iter().find_map(|m| m.pointer("/metricStat/period").and_then(Value::as_i64)));
        let periods = data.pointer("/configuration/evaluationPeriods").and_then(Value::as_i64);
        (data.pointer("/state/timestamp")?.as_str()?.to_string(), period, periods)
    };
    let (date, time) = stamp.get(..19)?.split_once('T')?;
    let end = crate::evidence::utc_unix(date, time)?;
    let span = period.unwrap_or(300).clamp(60, 86_400).saturating_mul(periods.unwrap_or(1).clamp(1, 100));
    Some((end.saturating_sub(span.clamp(300, 86_400)), end))
}
