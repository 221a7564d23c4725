//! Hostile event shapes sent to the real Lambda binary through a local Runtime API: payloads
//! the runtime cannot read, and requests from an alarm or a topic asking for more than those
//! ways in may ask for. Each is refused as `InvalidRequest` before any AWS call or probe.

use lab::hostile::raw_server;
use lab::runtime_api::run_function;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");

/// AWS settings pointing the SDK at a listener that counts connections: any AWS call (STS
/// included) shows up in the count.
async fn counting_aws() -> (lab::hostile::RawServer, Arc<AtomicUsize>, Vec<(String, String)>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let server = raw_server(move |_tcp| {
        counter.fetch_add(1, Ordering::SeqCst);
        async {}
    })
    .await;
    let env = lab::aws_env_for(&format!("http://{}", server.addr));
    (server, seen, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_payloads_are_invalid_requests_not_runtime_errors() {
    let (_aws, calls, env) = counting_aws().await;
    let deep_array = "[".repeat(200_000);
    let deep_object = format!("{}\"E1\"{}", "{\"distribution_id\":".repeat(10_000), "}".repeat(10_000));
    for event in ["{", "{\"distribution_id\": }", "not json at all", deep_array.as_str(), deep_object.as_str()] {
        let run = run_function(LAMBDA, &env, event, 30_000).await;
        assert_eq!(run.kind, "error", "{:#}", run.body);
        assert_eq!(run.body["errorType"], "InvalidRequest", "{:#}", run.body);
        let message = run.body["errorMessage"].as_str().unwrap();
        assert!(message.contains("not readable JSON"), "{message}");
        assert!(message.len() < 2_000, "the message does not echo the payload: {} bytes", message.len());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no AWS call for an unreadable payload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_cannot_make_the_function_assume_a_role_or_send_a_write_method() {
    let (_aws, calls, env) = counting_aws().await;
    let sns = |message: serde_json::Value| {
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": message.to_string()}}]}).to_string()
    };
    let asks = [
        json!({"distribution_id": "E2QWRUHEXAMPLE", "role_arn": "arn:aws:iam::123456789012:role/Admin"}),
        json!({"distribution_id": "E2QWRUHEXAMPLE", "publish": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:x"}}),
        json!({"distribution_id": "E2QWRUHEXAMPLE", "expect": {"methods": ["DELETE"]}, "method_probe_path": "/x"}),
    ];
    for ask in asks {
        let run = run_function(LAMBDA, &env, &sns(ask.clone()), 30_000).await;
        assert_eq!(run.kind, "error", "{ask}: {:#}", run.body);
        assert_eq!(run.body["errorType"], "InvalidRequest", "{ask}: {:#}", run.body);
        assert!(run.body["errorMessage"].as_str().unwrap().contains("not accepted from"), "{:#}", run.body);
    }
    // An alarm description asking for a DELETE, without the function's opt-in.
    let alarm = json!({"source": "aws.cloudwatch", "alarmData": {"alarmName": "a", "state": {"value": "ALARM"},
        "configuration": {"description": "DistributionId=E2QWRUHEXAMPLE expect.methods=[DELETE] method_probe_path=/x",
        "metrics": []}}});
    let run = run_function(LAMBDA, &env, &alarm.to_string(), 30_000).await;
    assert_eq!(run.body["errorType"], "InvalidRequest", "{:#}", run.body);
    assert!(run.body["errorMessage"].as_str().unwrap().contains("CF_ORIGIN_DOCTOR_ALARM_WRITE_METHODS"));
    assert_eq!(calls.load(Ordering::SeqCst), 0, "refused before any AWS call (STS included)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_arn_outside_iam_grammar_never_reaches_sts() {
    let (_aws, calls, env) = counting_aws().await;
    for arn in ["arn:aws:iam::123456789012:role/Admin\n{\"x\":1}", "arn:aws:iam::123456789012:role/*"] {
        let event = json!({"distribution_id": "E2QWRUHEXAMPLE", "role_arn": arn}).to_string();
        let run = run_function(LAMBDA, &env, &event, 30_000).await;
        assert_eq!(run.body["errorType"], "InvalidRequest", "{:#}", run.body);
        assert!(run.body["errorMessage"].as_str().unwrap().contains("role_arn"), "{:#}", run.body);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}
