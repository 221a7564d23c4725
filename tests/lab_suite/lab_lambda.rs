//! The real Lambda binary, run through the Runtime API stand-in against the lab, publishing to
//! the emulator's SNS topic; the message is read back from a subscribed SQS queue.

use lab::{Lab, Scenario, assert_schema_valid, runtime_api::run_function, seed, subscribed_queue};
use serde_json::Value;

const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");
const SECRET: &str = "s3cr3t-origin-verify-7f3a9c";

/// A second distribution in the lab, in front of the same load balancer, whose origin carries a
/// secret custom header; its domain is routed to the lab's edge stand-in.
async fn secret_distribution(lab: &Lab) -> (String, Vec<(String, String)>) {
    let mut spec = seed::DistributionSpec::new(&lab.alb.dns_name);
    spec.protocol_policy = "http-only";
    spec.viewer_protocol_policy = "allow-all";
    spec.cache_policy_id = None;
    spec.origin_request_policy_id = None;
    spec.legacy_headers = vec!["Host"];
    spec.custom_headers = vec![("X-Origin-Verify".into(), SECRET.into())];
    let (id, domain) = seed::create_distribution(&lab.sdk, &spec).await;
    let mut env = lab.lambda_env();
    let domain = domain.to_ascii_lowercase();
    for (k, v) in env.iter_mut() {
        if k == "CF_ORIGIN_DOCTOR_CONNECT_TO" {
            v.push_str(&format!(
                ",{domain}:443:{}:{},{domain}:80:{}:{}",
                lab.edge.https.addr.ip(),
                lab.edge.https.addr.port(),
                lab.edge.http.addr.ip(),
                lab.edge.http.addr.port()
            ));
        }
    }
    (id, env)
}

/// An SNS topic with an SQS queue subscribed to it (envelope delivery, not raw).
async fn topic_and_queue(lab: &Lab) -> (String, String, aws_sdk_sqs::Client) {
    let sns = aws_sdk_sns::Client::new(&lab.sdk);
    let topic = sns.create_topic().name("cf-origin-doctor").send().await.unwrap().topic_arn.unwrap();
    let queue_url = subscribed_queue(&lab.sdk, &topic, "doctor-reports", None).await;
    (topic, queue_url, aws_sdk_sqs::Client::new(&lab.sdk))
}

async fn receive(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Vec<String> {
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    out.messages.unwrap_or_default().into_iter().filter_map(|m| m.body).collect()
}

fn event_file(name: &str, id: &str) -> String {
    std::fs::read_to_string(format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .replace("E2QWRUHEXAMPLE", id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarm_action_diagnoses_and_publishes_to_sns_read_back_from_sqs() {
    let lab = Lab::start(Scenario::RedirectLoop).await;
    let (id, mut env) = secret_distribution(&lab).await;
    let (topic, queue_url, sqs) = topic_and_queue(&lab).await;
    env.push(("CF_ORIGIN_DOCTOR_TOPIC_ARN".into(), topic.clone()));
    // Subscribers filter on the message attributes: one wants this cause, one only passes.
    let this_cause = subscribed_queue(
        &lab.sdk,
        &topic,
        "redirect-loops",
        Some(r#"{"status": ["fail"], "primary_finding": ["redirect-loop-origin-forces-https"]}"#),
    )
    .await;
    let only_pass = subscribed_queue(&lab.sdk, &topic, "passes", Some(r#"{"status": ["pass"]}"#)).await;

    let run = run_function(LAMBDA, &env, &event_file("alarm-action-metric.json", &id), 60_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    let r = &run.body;
    assert_eq!(r["distribution_id"], id.as_str());
    assert_eq!(r["status"], "fail", "{r:#}");
    assert_eq!(r["verdict"]["primary"], "redirect-loop-origin-forces-https");
    assert_eq!(r["trigger"]["source"], "cloudwatch-alarm-action");
    assert_eq!(r["trigger"]["alarm"]["name"], "cf-origin-doctor-5xx");
    assert_eq!(r["delivery"]["published"], true, "{:#}", r["delivery"]);
    assert_eq!(r["delivery"]["topic_arn"], topic.as_str());
    // The origin probe sent the secret header (CloudFront does), and the report redacts it.
    let origin_headers: Vec<&Value> = r["observations"]["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["target"] == "origin")
        .flat_map(|p| p["request_headers"].as_array().unwrap())
        .collect();
    assert!(
        origin_headers.iter().any(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case("x-origin-verify"))),
        "the origin probe did not carry the custom header: {origin_headers:?}"
    );
    assert!(!r.to_string().contains(SECRET));
    // The return value (report v1 plus trigger and delivery) is a valid report v1, and so is
    // the same report trimmed down to little more than its verdict.
    assert_schema_valid(r);
    let small = cf_origin_doctor::delivery::fit(r, 3000);
    assert_schema_valid(&small);
    assert_eq!(small["verdict"], r["verdict"]);
    assert!(small["trimmed"]["removed"].as_array().is_some_and(|a| !a.is_empty()));

    let bodies = receive(&sqs, &queue_url).await;
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert!(!bodies[0].contains(SECRET), "the secret reached SNS");
    let envelope: Value = serde_json::from_str(&bodies[0]).expect("SNS envelope is JSON");
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["TopicArn"], topic.as_str());
    let subject = envelope["Subject"].as_str().unwrap();
    assert!(subject.len() < 100, "{subject}");
    assert!(subject.contains(&id) && subject.contains("redirect-loop-origin-forces-https"), "{subject}");
    assert_eq!(envelope["MessageId"], r["delivery"]["message_id"]);
    // The SQS subscriber gets the JSON report (the "sqs" member of the structured message).
    let published: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).expect("report JSON");
    assert_eq!(published["verdict"], r["verdict"]);
    assert_eq!(published["status"], "fail");
    assert_eq!(published["findings"][0]["id"], "redirect-loop-origin-forces-https");
    let attr = |k: &str| envelope["MessageAttributes"][k]["Value"].as_str().unwrap_or_default().to_string();
    assert_eq!(attr("status"), "fail");
    assert_eq!(attr("severity"), r["highest_severity"].as_str().unwrap());
    assert_eq!(attr("distribution_id"), id);
    assert_eq!(attr("primary_finding"), "redirect-loop-origin-forces-https");
    for k in ["status", "severity", "distribution_id", "primary_finding"] {
        assert_eq!(envelope["MessageAttributes"][k]["Type"], "String", "{k}");
    }
    // The filter policies select on those attributes.
    assert_eq!(receive(&sqs, &this_cause).await.len(), 1, "the matching filtered subscriber got nothing");
    assert!(receive(&sqs, &only_pass).await.is_empty(), "a pass-only subscriber got a failing report");

    // Logs: JSON lines with the request id, an embedded-metric line, no secret.
    assert!(!run.stdout.contains(SECRET));
    let lines: Vec<Value> = run.stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "diagnosis complete" && l["span"]["requestId"] == "lab-request-1"),
        "no structured log line with the request id in:\n{}",
        run.stdout
    );
    let emf = lines.iter().find(|l| l.get("_aws").is_some()).expect("an embedded metric line");
    assert_eq!(emf["Diagnoses"], 1);
    assert_eq!(emf["Outcome"], "diagnosed");
    assert!(emf["Findings_critical"].as_u64().unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_publish_recovery_and_deadline_are_reported() {
    let lab = Lab::start(Scenario::RedirectLoop).await;
    let (_topic, queue_url, sqs) = topic_and_queue(&lab).await;
    let mut env = lab.lambda_env();
    env.push(("CF_ORIGIN_DOCTOR_TOPIC_ARN".into(), "arn:aws:sns:us-east-1:123456789012:no-such-topic".into()));

    // A publish that fails is in the return value and the logs; the diagnosis still returns.
    let run = run_function(LAMBDA, &env, &event_file("direct.json", &lab.distribution_id), 60_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    assert_eq!(run.body["status"], "fail");
    let d = &run.body["delivery"];
    assert_eq!((d["attempted"].as_bool(), d["published"].as_bool()), (Some(true), Some(false)), "{d:#}");
    assert!(d["error"].as_str().is_some_and(|e| !e.is_empty()), "{d:#}");
    assert!(run.stdout.contains("SNS publish failed"), "{}", run.stdout);

    // An OK transition: nothing diagnosed, nothing published.
    let run = run_function(LAMBDA, &env, &event_file("alarm-action-ok.json", &lab.distribution_id), 60_000).await;
    assert_eq!(run.kind, "response");
    assert_eq!(run.body["status"], "skipped");
    assert_eq!(run.body["diagnosed"], false);
    assert_eq!(run.body["trigger"]["alarm"]["state"], "OK");
    assert!(receive(&sqs, &queue_url).await.is_empty());

    // A composite alarm without a distribution: a typed error.
    let run =
        run_function(LAMBDA, &env, &event_file("alarm-action-composite.json", &lab.distribution_id), 60_000).await;
    assert_eq!(run.kind, "error");
    assert_eq!(run.body["errorType"], "InvalidRequest");
    assert!(run.body["errorMessage"].as_str().unwrap().contains("site-down"));

    // role_arn: the function reads AWS through the assumed role (STS in the emulator).
    let event = format!(
        r#"{{"distribution_id": "{}", "role_arn": "arn:aws:iam::123456789012:role/cf-origin-doctor-reader", "publish": false}}"#,
        lab.distribution_id
    );
    let run = run_function(LAMBDA, &env, &event, 60_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    assert_eq!(run.body["verdict"]["primary"], "redirect-loop-origin-forces-https");
    assert_eq!(run.body["delivery"]["attempted"], false);
    assert!(run.body["delivery"]["reason"].as_str().unwrap().contains("turned off"));
    assert!(run.stdout.contains("reading AWS through the given role"), "{}", run.stdout);

    // Every other sample in events/ diagnoses the lab's distribution through the real binary.
    for (file, source) in [
        ("direct-camel-case.json", "direct"),
        ("step-functions-task.json", "direct"),
        ("alarm-action-metric-math.json", "cloudwatch-alarm-action"),
        ("eventbridge-alarm-state-change.json", "eventbridge"),
        ("sns-alarm.json", "sns"),
    ] {
        let run = run_function(LAMBDA, &env, &event_file(file, &lab.distribution_id), 60_000).await;
        assert_eq!(run.kind, "response", "{file}: {:#}", run.body);
        assert_eq!(run.body["trigger"]["source"], source, "{file}");
        assert_eq!(run.body["distribution_id"], lab.distribution_id.as_str(), "{file}");
        assert_eq!(run.body["verdict"]["primary"], "redirect-loop-origin-forces-https", "{file}");
    }

    // Less time left than the reporting margin: DeadlineExceeded, before any probe.
    let run = run_function(LAMBDA, &env, &event_file("direct.json", &lab.distribution_id), 3_000).await;
    assert_eq!(run.kind, "error");
    assert_eq!(run.body["errorType"], "DeadlineExceeded", "{:#}", run.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_description_with_expectations_changes_the_diagnosis() {
    // The behavior allows only GET and HEAD; the app needs POST. Only the alarm description says so.
    let lab = Lab::start(Scenario::MethodNotAllowed).await;
    let mut env = lab.lambda_env();
    let event = event_file("alarm-action-expect.json", &lab.distribution_id);

    // The description sends POST to a probe path: refused unless the function opts in.
    let run = run_function(LAMBDA, &env, &event, 60_000).await;
    assert_eq!(run.kind, "error", "{:#}", run.body);
    assert_eq!(run.body["errorType"], "InvalidRequest", "{:#}", run.body);
    assert!(lab.origins.iter().all(|(_, o)| o.log.lock().unwrap().iter().all(|r| r.method != "POST")));
    env.push(("CF_ORIGIN_DOCTOR_ALARM_WRITE_METHODS".into(), "true".into()));
    let run = run_function(LAMBDA, &env, &event, 60_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    let r = &run.body;
    assert_eq!(r["trigger"]["alarm"]["name"], "checkout-5xx");
    assert_eq!(r["status"], "fail", "{r:#}");
    assert_eq!(r["verdict"]["primary"], "method-not-allowed", "{r:#}");
    let probes = r["observations"]["probes"].as_array().unwrap();
    let posts: Vec<&Value> = probes.iter().filter(|p| p["method"] == "POST").collect();
    assert_eq!(posts.len(), 1, "one POST, to the declared path only: {probes:#?}");
    assert!(posts[0]["hops"][0]["url"].as_str().unwrap().ends_with("/api/echo"));
    assert!(probes.iter().any(|p| p["method"] == "OPTIONS"), "declared methods bring an OPTIONS probe");
    assert_schema_valid(r);

    // The same alarm without the description: nothing tells the diagnosis about POST.
    let mut bare: Value = serde_json::from_str(&event).unwrap();
    bare["alarmData"]["configuration"]["description"] = Value::Null;
    let run = run_function(LAMBDA, &env, &bare.to_string(), 60_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    assert_ne!(run.body["verdict"]["primary"], "method-not-allowed", "{:#}", run.body);
    assert!(run.body["findings"].as_array().unwrap().iter().all(|f| f["id"] != "method-not-allowed"));
    let probes = run.body["observations"]["probes"].as_array().unwrap();
    // No method declared: GET, and the one OPTIONS to the origin that asks what the application
    // accepts; nothing but GET through the distribution, no write method anywhere.
    let other: Vec<&Value> = probes.iter().filter(|p| p["method"] != "GET" && p["method"] != "HEAD").collect();
    assert_eq!(other.len(), 1, "{probes:#?}");
    assert_eq!(other[0]["method"], "OPTIONS");
    assert_eq!(other[0]["target"], "origin");
}
