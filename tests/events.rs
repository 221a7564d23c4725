//! Every sample in `events/` parses to what it says, and malformed events get typed errors,
//! never a panic.

use cf_origin_doctor::event::{Action, AlarmState, EventError, EventSource, Invocation, ParseOptions, parse};
use serde_json::{Value, json};

fn sample(name: &str) -> Value {
    let raw = std::fs::read_to_string(format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&raw).unwrap_or_else(|e| panic!("events/{name} is not JSON: {e}"))
}

fn diagnosed(inv: &Invocation) -> (&str, &[String]) {
    match &inv.action {
        Action::Diagnose(d) => (d.request.distribution_id.as_str(), &d.request.paths),
        Action::NothingToDiagnose { reason } => panic!("expected a diagnosis, got {reason}"),
    }
}

fn ok(name: &str) -> Invocation {
    parse(&sample(name), ParseOptions::default()).unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

#[test]
fn every_sample_in_events_is_covered() {
    let mut names: Vec<String> = std::fs::read_dir(format!("{}/events", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "alarm-action-composite.json",
            "alarm-action-metric-math.json",
            "alarm-action-metric.json",
            "alarm-action-ok.json",
            "direct-camel-case.json",
            "direct.json",
            "eventbridge-alarm-state-change.json",
            "sns-alarm.json",
            "step-functions-task.json",
        ],
        "a new sample needs a test below"
    );
}

#[test]
fn direct_requests_snake_and_camel_case() {
    let inv = ok("direct.json");
    assert_eq!(inv.source, EventSource::Direct);
    assert!(inv.alarm.is_none());
    assert_eq!(diagnosed(&inv), ("E2QWRUHEXAMPLE", &["/".to_string()][..]));
    let inv = ok("direct-camel-case.json");
    assert_eq!(diagnosed(&inv), ("E2QWRUHEXAMPLE", &["/".to_string(), "/login".to_string()][..]));
}

#[test]
fn step_functions_task_input_carries_expectations_and_publish_override() {
    let inv = ok("step-functions-task.json");
    assert_eq!(inv.source, EventSource::Direct);
    let Action::Diagnose(d) = &inv.action else { panic!() };
    assert_eq!(d.request.paths, vec!["/", "/api/health"]);
    let x = d.expect.as_ref().expect("expect parsed");
    assert_eq!(x.methods, vec!["GET", "POST"]);
    assert_eq!(x.headers, vec!["Authorization"]);
    assert_eq!(x.cookies, vec!["session"]);
    assert_eq!(x.query_strings, vec!["v"]);
    assert_eq!(d.method_probe_path.as_deref(), Some("/api/health"));
    assert_eq!(d.publish.as_ref().and_then(|p| p.enabled), Some(false));
    assert!(d.role_arn.is_none());
}

#[test]
fn camel_case_extras_and_publish_detail() {
    let inv = parse(
        &json!({"distributionId": "EABC", "methodProbePath": "/form", "roleArn": "arn:aws:iam::123456789012:role/Doctor",
                "publish": {"topicArn": "arn:aws:sns:us-east-1:123456789012:t", "minStatus": "warn"},
                "expect": {"queryStrings": ["q"], "getWithBody": true}}),
        ParseOptions::default(),
    )
    .unwrap();
    let Action::Diagnose(d) = inv.action else { panic!() };
    assert_eq!(d.method_probe_path.as_deref(), Some("/form"));
    assert_eq!(d.role_arn.as_deref(), Some("arn:aws:iam::123456789012:role/Doctor"));
    let p = d.publish.unwrap();
    assert_eq!(p.topic_arn.as_deref(), Some("arn:aws:sns:us-east-1:123456789012:t"));
    assert_eq!(p.min_status.as_deref(), Some("warn"));
    assert_eq!(p.enabled, None);
    assert_eq!(d.expect.unwrap().query_strings, vec!["q"]);
    // The request the engine runs carries the expectations and the method-probe path.
    assert_eq!(d.request.expect.query_strings, vec!["q"]);
    assert!(d.request.expect.get_with_body);
    assert_eq!(d.request.method_probe_path.as_deref(), Some("/form"));
    let snake = parse(&json!({"distribution_id": "EABC", "expect": {"get_with_body": true}}), ParseOptions::default());
    let Action::Diagnose(d) = snake.unwrap().action else { panic!() };
    assert!(d.request.expect.get_with_body);
    let Action::Diagnose(d) = parse(&json!({"distribution_id": "EABC"}), ParseOptions::default()).unwrap().action
    else {
        panic!()
    };
    assert!(!d.request.expect.get_with_body, "off unless declared");
}

#[test]
fn metric_alarm_action_names_its_distribution_despite_a_day_long_period() {
    let inv = ok("alarm-action-metric.json");
    assert_eq!(inv.source, EventSource::AlarmAction);
    let a = inv.alarm.as_ref().unwrap();
    assert_eq!(a.name, "cf-origin-doctor-5xx");
    assert_eq!(a.state, AlarmState::Alarm);
    assert_eq!(a.previous_state, Some(AlarmState::Ok));
    assert_eq!(a.arn.as_deref(), Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:cf-origin-doctor-5xx"));
    assert_eq!(diagnosed(&inv).0, "E2QWRUHEXAMPLE");
}

#[test]
fn metric_math_alarm_finds_the_distribution_inside_its_queries() {
    let inv = ok("alarm-action-metric-math.json");
    assert_eq!(inv.alarm.as_ref().unwrap().name, "cf-origin-doctor-error-share");
    assert_eq!(diagnosed(&inv).0, "E2QWRUHEXAMPLE");
}

#[test]
fn composite_alarm_without_distribution_is_a_clear_error() {
    let err = parse(&sample("alarm-action-composite.json"), ParseOptions::default()).unwrap_err();
    assert_eq!(err, EventError::NoDistribution { alarm: "site-down".into() });
    assert!(err.to_string().contains("DistributionId="), "{err}");
    // With the id in its description, the composite alarm works.
    let mut ev = sample("alarm-action-composite.json");
    ev["alarmData"]["configuration"]["description"] = json!("Site down. DistributionId=E2QWRUHEXAMPLE");
    assert_eq!(diagnosed(&parse(&ev, ParseOptions::default()).unwrap()).0, "E2QWRUHEXAMPLE");
}

#[test]
fn eventbridge_state_change() {
    let inv = ok("eventbridge-alarm-state-change.json");
    assert_eq!(inv.source, EventSource::EventBridge);
    let a = inv.alarm.as_ref().unwrap();
    assert_eq!(a.arn.as_deref(), Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:cf-origin-doctor-5xx"));
    assert_eq!(a.state, AlarmState::Alarm);
    assert_eq!(diagnosed(&inv).0, "E2QWRUHEXAMPLE");
}

#[test]
fn sns_wrapped_alarm_with_null_description_and_long_period() {
    let ev = sample("sns-alarm.json");
    let message: Value = serde_json::from_str(ev["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(message["AlarmDescription"], Value::Null, "the sample must keep the null description");
    assert!(message["Trigger"]["Period"].as_u64().unwrap() > 65535, "the sample must keep the long period");
    let inv = ok("sns-alarm.json");
    assert_eq!(inv.source, EventSource::Sns);
    let a = inv.alarm.as_ref().unwrap();
    assert_eq!((a.state, a.previous_state), (AlarmState::Alarm, Some(AlarmState::Ok)));
    assert_eq!(diagnosed(&inv).0, "E2QWRUHEXAMPLE");
}

#[test]
fn sns_metric_math_and_direct_request_messages() {
    let mut ev = sample("sns-alarm.json");
    let mut msg: Value = serde_json::from_str(ev["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    msg["Trigger"] = json!({"Metrics": [
        {"Id": "e1", "Expression": "m1 * 100", "ReturnData": true},
        {"Id": "m1", "MetricStat": {"Metric": {"Dimensions": [{"name": "DistributionId", "value": "EMATH1"}],
            "MetricName": "5xxErrorRate", "Namespace": "AWS/CloudFront"}, "Period": 604800, "Stat": "Sum"}, "ReturnData": false}
    ]});
    ev["Records"][0]["Sns"]["Message"] = json!(msg.to_string());
    assert_eq!(diagnosed(&parse(&ev, ParseOptions::default()).unwrap()).0, "EMATH1");
    ev["Records"][0]["Sns"]["Message"] = json!(r#"{"distribution_id": "EDIRECT1", "paths": ["/x"]}"#);
    let inv = parse(&ev, ParseOptions::default()).unwrap();
    assert_eq!(inv.source, EventSource::Sns);
    assert_eq!(diagnosed(&inv), ("EDIRECT1", &["/x".to_string()][..]));
}

#[test]
fn ok_and_insufficient_data_transitions_have_nothing_to_diagnose_unless_asked() {
    let inv = ok("alarm-action-ok.json");
    assert_eq!(inv.alarm.as_ref().unwrap().state, AlarmState::Ok);
    match &inv.action {
        Action::NothingToDiagnose { reason } => assert!(reason.contains("OK"), "{reason}"),
        Action::Diagnose(_) => panic!("an OK transition must not diagnose"),
    }
    let inv = parse(&sample("alarm-action-ok.json"), ParseOptions { diagnose_all_states: true }).unwrap();
    assert_eq!(diagnosed(&inv).0, "E2QWRUHEXAMPLE");
    // A recovered composite alarm is not an error either.
    let mut ev = sample("alarm-action-composite.json");
    ev["alarmData"]["state"]["value"] = json!("INSUFFICIENT_DATA");
    assert!(matches!(parse(&ev, ParseOptions::default()).unwrap().action, Action::NothingToDiagnose { .. }));
    let mut ev = sample("sns-alarm.json");
    let msg = ev["Records"][0]["Sns"]["Message"]
        .as_str()
        .unwrap()
        .replace("\"NewStateValue\": \"ALARM\"", "\"NewStateValue\": \"OK\"");
    ev["Records"][0]["Sns"]["Message"] = json!(msg);
    assert!(matches!(parse(&ev, ParseOptions::default()).unwrap().action, Action::NothingToDiagnose { .. }));
}

/// Which kind of error an event must give.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    NotAnObject,
    UnknownShape,
    Missing,
    WrongType,
    Invalid,
    BadRequest,
    NoDistribution,
    Several,
    UnsupportedEventBridge,
    SeveralRecords,
    Request,
}

fn kind_of(e: &EventError) -> Want {
    match e {
        EventError::NotAnObject(_) => Want::NotAnObject,
        EventError::UnknownShape(_) => Want::UnknownShape,
        EventError::Missing { .. } => Want::Missing,
        EventError::WrongType { .. } => Want::WrongType,
        EventError::Invalid { .. } => Want::Invalid,
        EventError::BadRequest(_) => Want::BadRequest,
        EventError::NoDistribution { .. } => Want::NoDistribution,
        EventError::SeveralDistributions { .. } => Want::Several,
        EventError::UnsupportedEventBridge { .. } => Want::UnsupportedEventBridge,
        EventError::SeveralRecords(_) => Want::SeveralRecords,
        EventError::Request(_) => Want::Request,
    }
}

fn with(mut v: Value, ptr: &str, new: Value) -> Value {
    *v.pointer_mut(ptr).unwrap_or_else(|| panic!("no {ptr}")) = new;
    v
}

fn without(mut v: Value, ptr: &str) -> Value {
    let (parent, key) = ptr.rsplit_once('/').unwrap();
    v.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key).unwrap_or_else(|| panic!("no {ptr}"));
    v
}

fn sns_with_message(message: Value) -> Value {
    with(sample("sns-alarm.json"), "/Records/0/Sns/Message", message)
}

fn sns_message_edit(f: impl FnOnce(&mut Value)) -> Value {
    let ev = sample("sns-alarm.json");
    let mut msg: Value = serde_json::from_str(ev["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    f(&mut msg);
    sns_with_message(json!(msg.to_string()))
}

#[test]
fn malformed_events_give_typed_errors() {
    let action = sample("alarm-action-metric.json");
    let eb = sample("eventbridge-alarm-state-change.json");
    let sns = sample("sns-alarm.json");
    let huge = "E".repeat(1 << 20);
    let two_ids = with(
        sample("alarm-action-metric-math.json"),
        "/alarmData/configuration/metrics/2/metricStat/metric/dimensions/DistributionId",
        json!("EOTHER"),
    );
    let cases: Vec<(&str, Value, Want)> = vec![
        ("null", json!(null), Want::NotAnObject),
        ("array", json!([{"distribution_id": "EABC"}]), Want::NotAnObject),
        ("string", json!("E2QWRUHEXAMPLE"), Want::NotAnObject),
        ("number", json!(42), Want::NotAnObject),
        ("empty object", json!({}), Want::UnknownShape),
        ("misspelt key", json!({"distribution": "EABC"}), Want::UnknownShape),
        ("id is a number", json!({"distribution_id": 5}), Want::BadRequest),
        ("id is null", json!({"distribution_id": null}), Want::BadRequest),
        ("id lower case", json!({"distribution_id": "eabc"}), Want::Request),
        ("id empty", json!({"distribution_id": ""}), Want::Request),
        ("id huge", json!({"distribution_id": huge}), Want::Request),
        ("paths a string", json!({"distribution_id": "EABC", "paths": "/"}), Want::BadRequest),
        ("path without slash", json!({"distribution_id": "EABC", "paths": ["x"]}), Want::Request),
        ("path huge", json!({"distribution_id": "EABC", "paths": [format!("/{}", "a".repeat(5000))]}), Want::Request),
        (
            "too many paths",
            json!({"distribution_id": "EABC", "paths": (0..25).map(|i| format!("/p{i}")).collect::<Vec<_>>()}),
            Want::Request,
        ),
        ("unknown key", json!({"distribution_id": "EABC", "bogus": 1}), Want::BadRequest),
        ("expect not an object", json!({"distribution_id": "EABC", "expect": ["GET"]}), Want::BadRequest),
        ("expect unknown method", json!({"distribution_id": "EABC", "expect": {"methods": ["FETCH"]}}), Want::Invalid),
        (
            "expect header with colon",
            json!({"distribution_id": "EABC", "expect": {"headers": ["X-A: 1"]}}),
            Want::Invalid,
        ),
        ("method_probe_path relative", json!({"distribution_id": "EABC", "method_probe_path": "form"}), Want::Request),
        (
            "role_arn not a role",
            json!({"distribution_id": "EABC", "role_arn": "arn:aws:iam::123:user/x"}),
            Want::Invalid,
        ),
        ("publish a string", json!({"distribution_id": "EABC", "publish": "yes"}), Want::BadRequest),
        (
            "publish topic not sns",
            json!({"distribution_id": "EABC", "publish": {"topic_arn": "arn:aws:sqs:us-east-1:123456789012:q"}}),
            Want::Invalid,
        ),
        (
            "publish min_status unknown",
            json!({"distribution_id": "EABC", "publish": {"min_status": "bad"}}),
            Want::Invalid,
        ),
        ("action wrong source", with(action.clone(), "/source", json!("aws.events")), Want::Invalid),
        ("action source missing", without(action.clone(), "/source"), Want::Missing),
        ("alarmData a string", with(action.clone(), "/alarmData", json!("{}")), Want::WrongType),
        ("alarmName missing", without(action.clone(), "/alarmData/alarmName"), Want::Missing),
        ("alarmName number", with(action.clone(), "/alarmData/alarmName", json!(1)), Want::WrongType),
        ("alarmName huge", with(action.clone(), "/alarmData/alarmName", json!("a".repeat(100_000))), Want::Invalid),
        ("state unknown", with(action.clone(), "/alarmData/state/value", json!("FIRING")), Want::Invalid),
        ("state missing", without(action.clone(), "/alarmData/state"), Want::Missing),
        ("state value a number", with(action.clone(), "/alarmData/state/value", json!(1)), Want::WrongType),
        ("previousState an array", with(action.clone(), "/alarmData/previousState", json!([])), Want::WrongType),
        ("configuration missing", without(action.clone(), "/alarmData/configuration"), Want::Missing),
        ("metrics an object", with(action.clone(), "/alarmData/configuration/metrics", json!({})), Want::WrongType),
        ("metric a string", with(action.clone(), "/alarmData/configuration/metrics/0", json!("m1")), Want::WrongType),
        (
            "dimensions an array",
            with(
                action.clone(),
                "/alarmData/configuration/metrics/0/metricStat/metric/dimensions",
                json!([{"name": "DistributionId", "value": "E1"}]),
            ),
            Want::WrongType,
        ),
        (
            "DistributionId a number",
            with(
                action.clone(),
                "/alarmData/configuration/metrics/0/metricStat/metric/dimensions/DistributionId",
                json!(7),
            ),
            Want::WrongType,
        ),
        (
            "DistributionId invalid",
            with(
                action.clone(),
                "/alarmData/configuration/metrics/0/metricStat/metric/dimensions/DistributionId",
                json!("not an id"),
            ),
            Want::Request,
        ),
        (
            "no DistributionId dimension",
            without(action.clone(), "/alarmData/configuration/metrics/0/metricStat/metric/dimensions/DistributionId"),
            Want::NoDistribution,
        ),
        ("two distributions", two_ids, Want::Several),
        (
            "eventbridge other detail-type",
            with(eb.clone(), "/detail-type", json!("EC2 Instance State-change Notification")),
            Want::UnsupportedEventBridge,
        ),
        ("eventbridge detail missing", without(eb.clone(), "/detail"), Want::Missing),
        ("eventbridge resources a string", with(eb.clone(), "/resources", json!("arn")), Want::WrongType),
        ("eventbridge detail-type a number", with(eb.clone(), "/detail-type", json!(3)), Want::WrongType),
        ("Records an object", json!({"Records": {}}), Want::WrongType),
        ("Records empty", json!({"Records": []}), Want::Invalid),
        (
            "two SNS records",
            with(sns.clone(), "/Records", json!([sns["Records"][0], sns["Records"][0]])),
            Want::SeveralRecords,
        ),
        ("record a string", json!({"Records": ["x"]}), Want::WrongType),
        ("record from SQS", with(sns.clone(), "/Records/0/EventSource", json!("aws:sqs")), Want::Invalid),
        ("Sns missing", without(sns.clone(), "/Records/0/Sns"), Want::Missing),
        ("Message an object (not a string)", sns_with_message(json!({"AlarmName": "x"})), Want::WrongType),
        ("Message not JSON", sns_with_message(json!("ALARM: site down")), Want::Invalid),
        ("Message a JSON array", sns_with_message(json!("[1,2]")), Want::WrongType),
        ("Message huge", sns_with_message(json!(format!("\"{}\"", "a".repeat(300 * 1024)))), Want::Invalid),
        ("Message unknown object", sns_with_message(json!(r#"{"hello": "world"}"#)), Want::UnknownShape),
        ("Message nested SNS envelope", sns_with_message(json!(sns.to_string())), Want::UnknownShape),
        (
            "NewStateValue missing",
            sns_message_edit(|m| {
                m.as_object_mut().unwrap().remove("NewStateValue");
            }),
            Want::Missing,
        ),
        ("Trigger a string", sns_message_edit(|m| m["Trigger"] = json!("x")), Want::WrongType),
        (
            "Dimensions an object",
            sns_message_edit(|m| m["Trigger"]["Dimensions"] = json!({"DistributionId": "E1"})),
            Want::WrongType,
        ),
        (
            "Dimension without value",
            sns_message_edit(|m| m["Trigger"]["Dimensions"] = json!([{"name": "DistributionId"}])),
            Want::Missing,
        ),
        ("SNS without dimensions", sns_message_edit(|m| m["Trigger"]["Dimensions"] = json!([])), Want::NoDistribution),
        (
            "AlarmDescription a number",
            sns_message_edit(|m| {
                m["AlarmDescription"] = json!(1);
                m["Trigger"]["Dimensions"] = json!([]);
            }),
            Want::WrongType,
        ),
    ];
    assert!(cases.len() >= 30);
    for (name, event, want) in cases {
        let got = std::panic::catch_unwind(|| parse(&event, ParseOptions::default()))
            .unwrap_or_else(|_| panic!("{name}: the parser panicked"));
        match got {
            Ok(inv) => panic!("{name}: accepted as {:?}", inv.source),
            Err(e) => {
                assert_eq!(kind_of(&e), want, "{name}: {e}");
                // Error messages stay short even for huge inputs (no echo of the input).
                assert!(e.to_string().len() < 1500, "{name}: {} bytes of error", e.to_string().len());
            }
        }
    }
}

#[test]
fn deeply_nested_and_random_mutations_never_panic() {
    // Nesting deeper than serde_json's recursion limit can only come as a string: it is refused.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let ev = sns_with_message(json!(deep));
    assert!(parse(&ev, ParseOptions::default()).is_err());
    // Every leaf of every sample replaced by every JSON kind: an answer, never a panic.
    let replacements =
        [json!(null), json!(true), json!(-1), json!(1e300), json!(""), json!([]), json!({}), json!("\u{0}")];
    for name in [
        "alarm-action-metric.json",
        "alarm-action-metric-math.json",
        "eventbridge-alarm-state-change.json",
        "sns-alarm.json",
        "step-functions-task.json",
    ] {
        let base = sample(name);
        let mut ptrs = Vec::new();
        collect_pointers(&base, String::new(), &mut ptrs);
        for ptr in &ptrs {
            for r in &replacements {
                let ev = with(base.clone(), ptr, r.clone());
                let _ = std::panic::catch_unwind(|| parse(&ev, ParseOptions::default()))
                    .unwrap_or_else(|_| panic!("{name} with {ptr} = {r}: panic"));
            }
        }
    }
}

fn collect_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                collect_pointers(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                collect_pointers(x, p, out);
            }
        }
        _ => {}
    }
}
