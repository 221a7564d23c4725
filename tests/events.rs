//! Every sample in `events/` parses to what it says, and malformed events get typed errors,
//! never a panic.

// A panic here is a failed test, not a crash of the tool.
#![allow(clippy::unwrap_used)]

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
            "alarm-action-expect.json",
            "alarm-action-metric-math.json",
            "alarm-action-metric.json",
            "alarm-action-ok.json",
            "direct-camel-case.json",
            "direct-preflight.json",
            "direct-url.json",
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
fn direct_request_by_url_locates_later_and_probes_the_url_path_first() {
    let inv = ok("direct-url.json");
    let Action::Diagnose(d) = &inv.action else { panic!("not a diagnosis") };
    assert_eq!(d.locate_host.as_deref(), Some("www.example.com"));
    assert_eq!(d.request.paths, ["/checkout?step=2", "/"]);
    // A bare hostname, and an id given as `url`, are accepted too.
    let Action::Diagnose(d) =
        parse(&json!({"url": "d111111abcdef8.cloudfront.net"}), ParseOptions::default()).unwrap().action
    else {
        panic!("not a diagnosis")
    };
    assert_eq!(d.locate_host.as_deref(), Some("d111111abcdef8.cloudfront.net"));
    assert_eq!(d.request.paths, ["/"]);
    let Action::Diagnose(d) = parse(&json!({"url": "E2QWRUHEXAMPLE"}), ParseOptions::default()).unwrap().action else {
        panic!("not a diagnosis")
    };
    assert_eq!((d.locate_host.as_deref(), d.request.distribution_id.as_str()), (None, "E2QWRUHEXAMPLE"));
    for bad in [
        json!({"url": "ftp://www.example.com/"}),
        json!({"url": ""}),
        json!({"url": "x".repeat(5000)}),
        json!({"url": 7}),
        json!({"url": "https://www.example.com/", "distribution_id": "E2QWRUHEXAMPLE"}),
        json!({"url": "https://www.example.com/a b"}),
    ] {
        assert!(parse(&bad, ParseOptions::default()).is_err(), "{bad}");
    }
}

#[test]
fn a_direct_request_carries_a_proposed_configuration_for_a_pre_flight() {
    let inv = ok("direct-preflight.json");
    let Action::Diagnose(d) = &inv.action else { panic!("not a diagnosis") };
    let p = d.proposed.as_ref().expect("a proposed configuration");
    let origin = p.config().origin("app-origin").expect("the origin");
    assert_eq!(origin.custom().map(|c| c.protocol_policy.as_api()), Some("https-only"));
    assert_eq!(p.config().aliases, ["www.example.com"]);
    // Without it, no pre-flight; camelCase and the whole get-distribution-config output work too.
    assert!(proposed_of(&ok("direct.json")).is_none());
    let config = sample("direct-preflight.json")["distribution_config"].clone();
    for event in [
        json!({"distributionId": "EABC", "distributionConfig": config.clone()}),
        json!({"distribution_id": "EABC", "distribution_config": {"ETag": "E1", "DistributionConfig": config.clone()}}),
    ] {
        let inv = parse(&event, ParseOptions::default()).unwrap();
        assert!(proposed_of(&inv).is_some(), "{event}");
    }
    // A wrong field is an invalid request naming it under distribution_config.
    let mut bad = config.clone();
    bad["Origins"]["Items"][0]["CustomOriginConfig"]["HTTPPort"] = json!("80");
    let e =
        parse(&json!({"distribution_id": "EABC", "distribution_config": bad}), ParseOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("distribution_config.Origins.Items[0].CustomOriginConfig.HTTPPort: must be an integer"),
        "{e}"
    );
    // Bounded in size: 256 KiB serialized.
    let mut huge = config.clone();
    huge["Comment"] = json!("x".repeat(256 * 1024));
    let e =
        parse(&json!({"distribution_id": "EABC", "distribution_config": huge}), ParseOptions::default()).unwrap_err();
    assert!(e.to_string().contains("read up to 262144 bytes"), "{e}");
    // Not from an SNS message: a proposed configuration names the hosts the function probes.
    let message = json!({"distribution_id": "EABC", "distribution_config": config}).to_string();
    let e = parse(&sns_with_message(json!(message)), ParseOptions::default()).unwrap_err();
    assert!(matches!(e, EventError::NotAllowed { .. }), "{e}");
}

fn proposed_of(inv: &Invocation) -> Option<&cf_origin_doctor::inventory::distribution_config::ProposedConfig> {
    match &inv.action {
        Action::Diagnose(d) => d.proposed.as_ref(),
        Action::NothingToDiagnose { .. } => None,
    }
}

#[test]
fn step_functions_task_input_carries_expectations_and_publish_override() {
    let inv = ok("step-functions-task.json");
    assert_eq!(inv.source, EventSource::Direct);
    let Action::Diagnose(d) = &inv.action else { panic!() };
    assert_eq!(d.request.paths, vec!["/", "/api/health"]);
    let x = &d.request.expect;
    assert_eq!(x.methods, vec!["GET", "POST"]);
    assert_eq!(x.headers, vec!["Authorization"]);
    assert_eq!(x.cookies, vec!["session"]);
    assert_eq!(x.query_strings, vec!["v"]);
    assert_eq!(d.request.method_probe_path.as_deref(), Some("/api/health"));
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
    assert_eq!(d.request.method_probe_path.as_deref(), Some("/form"));
    assert_eq!(d.role_arn.as_deref(), Some("arn:aws:iam::123456789012:role/Doctor"));
    let p = d.publish.unwrap();
    assert_eq!(p.topic_arn.as_deref(), Some("arn:aws:sns:us-east-1:123456789012:t"));
    assert_eq!(p.min_status, Some(cf_origin_doctor::report::v1::StatusV1::Warn));
    assert_eq!(p.enabled, None);
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
fn alarm_description_carries_paths_and_expectations() {
    // The description sends POST to a probe path: only with the function's opt-in.
    let opts = ParseOptions { alarm_write_methods: true, ..Default::default() };
    let inv = parse(&sample("alarm-action-expect.json"), opts).unwrap();
    assert_eq!(inv.alarm.as_ref().unwrap().name, "checkout-5xx");
    let Action::Diagnose(d) = &inv.action else { panic!("not a diagnosis") };
    assert_eq!(d.request.distribution_id.as_str(), "E2QWRUHEXAMPLE");
    assert_eq!(d.request.paths, vec!["/", "/api/echo"]);
    assert_eq!(d.request.expect.methods, vec!["POST", "OPTIONS"]);
    assert_eq!(d.request.expect.cookies, vec!["session"]);
    assert!(d.request.expect.headers.is_empty() && d.request.expect.query_strings.is_empty());
    assert_eq!(d.request.method_probe_path.as_deref(), Some("/api/echo"));
    // Without the description the same alarm asks for nothing beyond the default path.
    let bare = with(sample("alarm-action-expect.json"), "/alarmData/configuration/description", json!(null));
    let Action::Diagnose(d) = parse(&bare, ParseOptions::default()).unwrap().action else { panic!() };
    assert!(d.request.expect.is_empty() && d.request.method_probe_path.is_none());
    assert_eq!(d.request.paths, vec!["/"]);
}

/// The request an alarm whose description is `desc` asks for, in each of the three alarm shapes.
fn from_description(desc: &str) -> Vec<Result<cf_origin_doctor::request::DiagnoseRequest, EventError>> {
    let mut action = sample("alarm-action-composite.json");
    action["alarmData"]["configuration"]["description"] = json!(desc);
    let eb = {
        let mut ev = sample("eventbridge-alarm-state-change.json");
        ev["detail"]["configuration"]["description"] = json!(desc);
        ev["detail"]["configuration"]["metrics"] = json!([]);
        ev
    };
    let sns = sns_message_edit(|m| {
        m["AlarmDescription"] = json!(desc);
        m["Trigger"]["Dimensions"] = json!([]);
    });
    [action, eb, sns]
        .iter()
        .map(|ev| {
            // The syntax is the same with or without the opt-in for write-method probes.
            let opts = ParseOptions { alarm_write_methods: true, ..Default::default() };
            parse(ev, opts).map(|inv| match inv.action {
                Action::Diagnose(d) => d.request,
                Action::NothingToDiagnose { reason } => panic!("{reason}"),
            })
        })
        .collect()
}

#[test]
fn description_settings_syntax_in_every_alarm_shape() {
    let desc = "Login broken; see runbook (error rate = 5%).\nDistributionId = E2QWRUHEXAMPLE\n\
                expect.methods = [post, PUT] expect.headers=Authorization,X-Tenant expect.Cookies=session;\
                expect.queryStrings=lang,page paths=[/login, /] method_probe_path=/api/echo.";
    for got in from_description(desc) {
        let r = got.unwrap();
        assert_eq!(r.distribution_id.as_str(), "E2QWRUHEXAMPLE");
        assert_eq!(r.paths, vec!["/login", "/"]);
        assert_eq!(r.expect.methods, vec!["POST", "PUT"]);
        assert_eq!(r.expect.headers, vec!["Authorization", "X-Tenant"]);
        assert_eq!(r.expect.cookies, vec!["session"]);
        assert_eq!(r.expect.query_strings, vec!["lang", "page"]);
        assert_eq!(r.method_probe_path.as_deref(), Some("/api/echo"));
    }
    // Prose only (with stray `=` and brackets): the id alone, nothing expected.
    for got in from_description("= [x] DistributionId=EPROSE1, a=b ratio=[1 / 2] ==") {
        let r = got.unwrap();
        assert_eq!(r.distribution_id.as_str(), "EPROSE1");
        assert!(r.expect.is_empty(), "{:?}", r.expect);
    }
}

#[test]
fn bad_description_settings_are_invalid_requests_naming_the_description() {
    for (desc, needle) in [
        ("DistributionId=E1 expect.method=POST", "expect.method"),
        ("DistributionId=E1 expect.methods=FETCH", "FETCH"),
        ("DistributionId=E1 expect.headers=[Bad Header]", "Bad"),
        ("DistributionId=E1 expect.methods=[POST", "not closed"),
        ("DistributionId=E1 method_probe_path=/a method_probe_path=/b", "one method probe path"),
        ("DistributionId=E1 method_probe_path=[/a, /b]", "one method probe path"),
    ] {
        for (shape, got) in ["action", "eventbridge", "sns"].iter().zip(from_description(desc)) {
            let e = got.expect_err(desc);
            let EventError::Invalid { path, reason } = &e else { panic!("{shape} {desc}: {e:?}") };
            assert!(path.ends_with("description") || path.ends_with("AlarmDescription"), "{shape}: {path}");
            assert!(reason.contains(needle), "{shape} {desc}: {reason}");
        }
    }
    // A path or id that fails the request's own checks is a request error.
    for desc in ["DistributionId=E1 paths=relative", "DistributionId=e-lower", "DistributionId=E1 method_probe_path=x"]
    {
        for got in from_description(desc) {
            assert!(matches!(got, Err(EventError::Request(_))), "{desc}: {got:?}");
        }
    }
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
    let inv = parse(&sample("alarm-action-ok.json"), ParseOptions { diagnose_all_states: true, ..Default::default() })
        .unwrap();
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
    NotAllowed,
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
        EventError::NotAllowed { .. } => Want::NotAllowed,
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
            "role_arn through SNS",
            sns_with_message(json!(
                json!({"distribution_id": "EABC", "role_arn": "arn:aws:iam::123456789012:role/Doctor"}).to_string()
            )),
            Want::NotAllowed,
        ),
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

/// Role ARNs follow IAM's grammar; a newline, JSON, a wildcard or a foreign service never
/// reaches STS.
#[test]
fn role_arns_are_checked_against_iam_grammar() {
    let parse_role = |arn: &str| parse(&json!({"distribution_id": "EABC", "role_arn": arn}), ParseOptions::default());
    for good in [
        "arn:aws:iam::123456789012:role/Doctor",
        "arn:aws-cn:iam::123456789012:role/Doctor",
        "arn:aws-us-gov:iam::123456789012:role/ops/diag/Doctor+Read=1,x.y@z_w-v",
        "arn:aws-iso-b:iam::123456789012:role/a",
        &format!("arn:aws:iam::123456789012:role/{}", "n".repeat(64)),
    ] {
        let inv = parse_role(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        let Action::Diagnose(d) = inv.action else { panic!() };
        assert_eq!(d.role_arn.as_deref(), Some(good));
    }
    for bad in [
        "arn:aws:iam::123456789012:role/Doctor\n",
        "arn:aws:iam::123456789012:role/Doc\ntor",
        "arn:aws:iam::123456789012:role/{\"a\":1}",
        "arn:aws:iam::123456789012:role/*",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/ops/",
        "arn:aws:iam::123456789012:role/ops path/Doctor",
        "arn:aws:iam::123456789012:roleDoctor",
        "arn:aws:iam::123456789012:user/Doctor",
        "arn:aws:iam:us-east-1:123456789012:role/Doctor",
        "arn:aws:sts::123456789012:role/Doctor",
        "arn:AWS:iam::123456789012:role/Doctor",
        "arn:aws-:iam::123456789012:role/Doctor",
        "arn:evil:iam::123456789012:role/Doctor",
        "arn:aws:iam::12345678901:role/Doctor",
        "arn:aws:iam::1234567890123:role/Doctor",
        "arn:aws:iam::12345678901a:role/Doctor",
        "arn:aws:iam::123456789012:role/Doctor:x",
        "arn:aws:iam::123456789012:role/Doc\u{7f}tor",
        "arn:aws:iam::123456789012:role/Dóctor",
        &format!("arn:aws:iam::123456789012:role/{}", "n".repeat(65)),
        &format!("arn:aws:iam::123456789012:role/{}/Doctor", "p".repeat(520)),
    ] {
        let e = parse_role(bad).map(|_| ()).expect_err(bad);
        assert!(matches!(e, EventError::Invalid { ref path, .. } if path == "role_arn"), "{bad:?}: {e}");
        assert!(!e.to_string().contains('\n'), "the error quotes the input escaped: {e}");
    }
}

/// Who may ask for what: a direct invocation may ask for a role, a publish override and a
/// write-method probe; a request published to the topic may not ask for the first two, and
/// neither it nor an alarm description may send a write method unless the function opts in.
#[test]
fn alarms_and_topics_cannot_ask_for_roles_publishing_or_write_probes() {
    let role = json!({"distribution_id": "EABC", "role_arn": "arn:aws:iam::123456789012:role/Doctor"});
    let publish = json!({"distribution_id": "EABC", "publish": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:t"}});
    let delete = json!({"distribution_id": "EABC", "expect": {"methods": ["DELETE"]}, "method_probe_path": "/api/x"});
    let read_only = json!({"distribution_id": "EABC", "expect": {"methods": ["DELETE"], "headers": ["Authorization"]}});
    let opt_in = ParseOptions { alarm_write_methods: true, ..Default::default() };
    for direct in [&role, &publish, &delete, &read_only] {
        parse(direct, ParseOptions::default()).unwrap_or_else(|e| panic!("direct {direct}: {e}"));
        let via_sns = sns_with_message(json!(direct.to_string()));
        let outcome = parse(&via_sns, ParseOptions::default());
        if direct == &read_only {
            // Declaring a write method without a probe path only compares it with the behavior.
            outcome.unwrap_or_else(|e| panic!("{e}"));
            continue;
        }
        let e = outcome.map(|_| ()).expect_err("refused through SNS");
        assert!(matches!(e, EventError::NotAllowed { .. }), "{e}");
        let opted = parse(&via_sns, opt_in);
        if direct == &delete {
            let Action::Diagnose(d) = opted.unwrap().action else { panic!() };
            assert_eq!(d.request.method_probe_path.as_deref(), Some("/api/x"));
            assert!(e.to_string().contains("CF_ORIGIN_DOCTOR_ALARM_WRITE_METHODS"), "{e}");
        } else {
            // No setting lets a topic choose the role or the delivery.
            assert!(matches!(opted.map(|_| ()).unwrap_err(), EventError::NotAllowed { .. }));
        }
    }
    let description =
        |d: &str| with(sample("alarm-action-metric.json"), "/alarmData/configuration/description", json!(d));
    let dangerous = description("expect.methods=[DELETE] method_probe_path=/api/x");
    let e = parse(&dangerous, ParseOptions::default()).map(|_| ()).unwrap_err();
    assert!(matches!(e, EventError::NotAllowed { .. }), "{e}");
    assert!(e.to_string().contains("DELETE"), "{e}");
    parse(&dangerous, opt_in).unwrap();
    // Safe methods and declarations without a probe path stay allowed.
    parse(&description("expect.methods=[OPTIONS, HEAD] method_probe_path=/api/x"), ParseOptions::default()).unwrap();
    parse(&description("expect.methods=[POST]"), ParseOptions::default()).unwrap();
    // The SNS-wrapped alarm takes the same rule.
    let sns_alarm = sns_message_edit(|m| {
        m["AlarmDescription"] = json!("expect.methods=PUT method_probe_path=/api/x");
    });
    assert!(matches!(parse(&sns_alarm, ParseOptions::default()).unwrap_err(), EventError::NotAllowed { .. }));
    parse(&sns_alarm, opt_in).unwrap();
}

#[test]
fn the_alarms_evaluation_window_is_read_from_each_alarm_shape() {
    let read = |file: &str| {
        let raw = std::fs::read_to_string(format!("{}/events/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        cf_origin_doctor::event::alarm_window(&serde_json::from_str(&raw).unwrap())
    };
    // 2026-11-26T12:36:15Z, one period of a day; one period of 60 s widened to 5 minutes.
    let end = 1_795_696_575;
    assert_eq!(read("alarm-action-metric.json"), Some((end - 86_400, end)));
    assert_eq!(read("sns-alarm.json"), Some((end - 86_400, end)));
    assert_eq!(read("eventbridge-alarm-state-change.json"), Some((end - 300, end)));
    assert_eq!(read("direct.json"), None);
}
