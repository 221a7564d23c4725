//! The fleet-sweep state machine of `template.yaml`, executed by the emulator's Amazon States
//! Language engine over 260 lab distributions (11 pages of the template's default page size),
//! with the real function's reports as the Lambda task's results; and `sweep` on the same lab
//! giving the same counts.
//!
//! The definition is read out of `template.yaml` when the test runs (by cfn-lint's own template
//! decoder, which knows CloudFormation's tags), with only its `DefinitionSubstitutions` filled
//! in: what runs here is what the template deploys.
//!
//! The emulator's Lambda backend (no Docker) cannot run the function; it answers invocations, in
//! order, with results queued beforehand. So each distribution is first diagnosed here, in this
//! process, by the function's own handler (`lambda::Function::handle`, what the Lambda binary
//! runs), those outputs are queued in listing order, and the map runs one item at a time so the
//! engine's invocations take them in that order. Every record names both the distribution the
//! engine asked about and the one the report is about; the test checks they are the same.

use cf_origin_doctor::delivery::{PublishSettings, SnsPublisher};
use cf_origin_doctor::engine::Engine;
use cf_origin_doctor::inventory::aws::SdkApi;
use cf_origin_doctor::lambda::{Function, NoRoles};
use cf_origin_doctor::request::ConnectTo;
use futures_util::StreamExt as _;
use lab::sweep_sizes::{self, Sizing};
use lab::{Lab, Scenario, seed, subscribed_queue};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CLI: &str = env!("CARGO_BIN_EXE_cf-origin-doctor");
const DISTRIBUTIONS: usize = 260;
const BUCKET: &str = "fleet-sweep-results";
const ROLE: &str = "arn:aws:iam::123456789012:role/fleet-sweep";
const FUNCTION: &str = "cf-origin-doctor";
/// How many failing distributions the summary names (the template's bound).
const NAMED: usize = 20;

/// The state machine's definition with its substitutions filled in; fails on a placeholder the
/// test does not know, so a new one cannot go untested.
fn definition(template: &Value, values: &BTreeMap<&str, String>) -> String {
    let props = &template["Resources"]["FleetSweep"]["Properties"];
    let names: BTreeSet<&str> =
        props["DefinitionSubstitutions"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(names, values.keys().copied().collect(), "the template's DefinitionSubstitutions changed");
    let mut text = props["Definition"].to_string();
    for (name, value) in values {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    assert!(!text.contains("${"), "unfilled placeholder in {text}");
    text
}

/// A setup call to an emulated service whose SDK crate this project does not link (IAM, Lambda,
/// S3): the emulator routes by the credential scope and does not check the signature.
fn emulator_call(lab: &Lab, service: &str, method: &str, path: &str, content_type: &str, body: &str) -> Vec<u8> {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=lab/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
    );
    let (status, answer) = lab.moto.request(
        method,
        path,
        &[("Authorization", auth.as_str()), ("Content-Type", content_type)],
        body.as_bytes(),
    );
    assert!((200..300).contains(&status), "{service} {method} {path}: {status} {}", String::from_utf8_lossy(&answer));
    answer
}

/// The function's result for one invocation as the Lambda service returns it: the report, or
/// the runtime's `{"errorType", "errorMessage"}` for a failed invocation.
async fn invoke(function: &Function<SdkApi, SnsPublisher>, id: &str, remaining: Duration) -> (Value, String) {
    match function.handle(json!({"distribution_id": id, "publish": false}), Some(remaining)).await {
        Ok(report) => {
            let text = report.to_string();
            (report, text)
        }
        Err(e) => {
            let error = json!({"errorType": e.error_type(), "errorMessage": e.to_string()});
            (error.clone(), error.to_string())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_templates_state_machine_sweeps_every_page_on_the_emulators_engine() {
    let started = Instant::now();
    let lab = Lab::start(Scenario::RedirectLoopFixed).await;
    // Before any state machine exists: the engine executes only those created afterwards.
    lab.moto.execute_state_machines();
    let template = sweep_sizes::template();
    let page_size: usize =
        template["Parameters"]["SweepPageSize"]["Default"].to_string().trim_matches('"').parse().unwrap();
    assert!(DISTRIBUTIONS > 3 * page_size && DISTRIBUTIONS >= 250, "at least three pages");

    // The lab's distribution passes. 259 more in front of its load balancer, each routed to the
    // lab's edge stand-in, which plays only the lab's distribution and answers the others with
    // CloudFront's 403: they fail, one in five (origin over HTTP) with the redirect loop named.
    let cf = aws_sdk_cloudfront::Client::new(&lab.sdk);
    // One at a time: the emulator's CloudFront backend fails concurrent creations now and then.
    let mut created: Vec<(String, String)> = Vec::new();
    for i in 1..DISTRIBUTIONS {
        let mut spec = seed::DistributionSpec::new(&lab.alb.dns_name);
        if i % 5 == 0 {
            spec.protocol_policy = "http-only";
        }
        created.push(seed::create_distribution(&lab.sdk, &spec).await);
    }
    eprintln!("{:.1} s: {DISTRIBUTIONS} distributions", started.elapsed().as_secs_f64());
    let mut settings = lab.probe_settings();
    let mut connect_args = lab.cli_args();
    for (_, domain) in &created {
        let domain = domain.to_ascii_lowercase();
        for (port, addr) in [(443, lab.edge.https.addr), (80, lab.edge.http.addr)] {
            settings.connect_to.push(ConnectTo { host: domain.clone(), port, target: addr });
            connect_args.push("--connect-to".into());
            connect_args.push(format!("{domain}:{port}:{}:{}", addr.ip(), addr.port()));
        }
    }

    // Every id, in the order ListDistributions gives them (the order the engine pages).
    let mut listed = Vec::new();
    let mut marker = None;
    loop {
        let page = cf.list_distributions().set_marker(marker).max_items(100).send().await.unwrap();
        let list = page.distribution_list.unwrap();
        listed.extend(list.items.unwrap_or_default().into_iter().map(|d| d.id));
        marker = list.next_marker.filter(|_| list.is_truncated);
        if marker.is_none() {
            break;
        }
    }
    assert_eq!(listed.len(), DISTRIBUTIONS);

    // The real function's output for each. One invocation is given less time than the function
    // keeps for reporting, so it fails with DeadlineExceeded: the engine must catch and count it.
    let engine = Engine::new(SdkApi::new(lab.sdk.clone()), settings, "the lab (in-process)").unwrap();
    let function = Function {
        engine,
        publisher: SnsPublisher::new(&lab.sdk),
        publish: PublishSettings::default(),
        parse: Default::default(),
        roles: NoRoles,
    };
    let undiagnosed = listed[7].clone();
    let function = &function;
    let outputs: Vec<(Value, String)> = futures_util::stream::iter(listed.iter().map(|id| {
        let remaining = if *id == undiagnosed { Duration::from_secs(3) } else { Duration::from_secs(90) };
        invoke(function, id, remaining)
    }))
    .buffered(16)
    .collect()
    .await;
    let expected: BTreeMap<&str, &Value> =
        listed.iter().map(String::as_str).zip(outputs.iter().map(|o| &o.0)).collect();
    assert_eq!(expected[undiagnosed.as_str()]["errorType"], "DeadlineExceeded");
    let status_of = |v: &Value| v["status"].as_str().unwrap_or("error").to_string();
    let mut want_counts: BTreeMap<String, u64> = BTreeMap::new();
    for v in expected.values() {
        *want_counts.entry(status_of(v)).or_default() += 1;
    }
    // More than one status to count.
    assert!(want_counts.get("fail").copied().unwrap_or(0) > 0, "{want_counts:?}");
    assert!(want_counts.get("pass").copied().unwrap_or(0) > 0, "{want_counts:?}");
    eprintln!("{:.1} s: {DISTRIBUTIONS} diagnosed in-process: {want_counts:?}", started.elapsed().as_secs_f64());
    lab.moto.queue_lambda_results(&outputs.iter().map(|o| o.1.clone()).collect::<Vec<_>>());

    // What the template names: the function, the topic (a queue subscribed to it), the bucket.
    emulator_call(
        &lab,
        "iam",
        "POST",
        "/",
        "application/x-www-form-urlencoded",
        "Action=CreateRole&Version=2010-05-08&RoleName=fleet-sweep&AssumeRolePolicyDocument=%7B%7D",
    );
    let function_arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}");
    // An empty zip: the simple backend never runs the code.
    let create = json!({"FunctionName": FUNCTION, "Runtime": "provided.al2023", "Role": ROLE,
        "Handler": "bootstrap", "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}});
    emulator_call(&lab, "lambda", "POST", "/2015-03-31/functions", "application/json", &create.to_string());
    emulator_call(&lab, "s3", "PUT", &format!("/{BUCKET}"), "application/xml", "");
    let sns = aws_sdk_sns::Client::new(&lab.sdk);
    let topic = sns.create_topic().name("cf-origin-doctor").send().await.unwrap().topic_arn.unwrap();
    let queue_url = subscribed_queue(&lab.sdk, &topic, "fleet-sweep-summaries", None).await;

    let values: BTreeMap<&str, String> = [
        ("FunctionArn", function_arn),
        ("TopicArn", topic.clone()),
        // One at a time: the simple backend answers in invocation order (see above).
        ("Concurrency", "1".to_string()),
        ("PageSize", page_size.to_string()),
        ("ResultBucket", BUCKET.to_string()),
    ]
    .into();
    let sfn = aws_sdk_sfn::Client::new(&lab.sdk);
    let machine = sfn
        .create_state_machine()
        .name("fleet-sweep")
        .definition(definition(&template, &values))
        .role_arn(ROLE)
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let execution =
        sfn.start_execution().state_machine_arn(&machine).name("sweep-1").send().await.unwrap().execution_arn;
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let d = sfn.describe_execution().execution_arn(&execution).send().await.unwrap();
        if d.status != aws_sdk_sfn::types::ExecutionStatus::Running {
            break d;
        }
        assert!(Instant::now() < deadline, "the execution is still running after 120 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Succeeded, "{:?}: {:?}", done.error, done.cause);
    let summary: Value = serde_json::from_str(done.output.as_deref().unwrap()).unwrap();
    eprintln!("{:.1} s: the execution succeeded", started.elapsed().as_secs_f64());

    // Each page's records, from the bucket: every distribution exactly once, each with the
    // real function's status and primary finding for that distribution.
    let pages = summary["pages"].as_u64().unwrap() as usize;
    assert_eq!(pages, DISTRIBUTIONS.div_ceil(page_size), "{summary:#}");
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut page_failing: Vec<Vec<String>> = Vec::new();
    for page in 0..pages {
        let body = emulator_call(&lab, "s3", "GET", &format!("/{BUCKET}/sweep-1/page-{page}.json"), "", "");
        let records: Vec<Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!(records.len(), page_size.min(DISTRIBUTIONS - page * page_size));
        let (mut fails, mut errors) = (Vec::new(), Vec::new());
        for r in &records {
            let id = r["distribution_id"].as_str().unwrap();
            *seen.entry(id.to_string()).or_default() += 1;
            let want = expected[id];
            let report = &r["report"];
            if want.get("errorType").is_some() {
                assert_eq!(report["status"], "error", "{r}");
                assert!(report["error"].is_string(), "{r}");
                errors.push(id.to_string());
            } else {
                assert_eq!(report["distribution_id"], id, "the engine gave {id} another distribution's report");
                assert_eq!(report["status"], want["status"], "{r}");
                assert_eq!(report["primary"], want["verdict"]["primary"], "{r}");
                if want["status"] == "fail" {
                    fails.push(id.to_string());
                }
            }
        }
        fails.extend(errors);
        page_failing.push(fails);
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "diagnosed more than once: {twice:?}");
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), listed.iter().cloned().collect());

    // The counts, and the failing distributions named up to the bound, page by page.
    assert_eq!(summary["total"], DISTRIBUTIONS);
    for status in ["pass", "warn", "incomplete", "fail", "error"] {
        assert_eq!(summary[status], want_counts.get(status).copied().unwrap_or(0), "{status}: {summary:#}");
    }
    assert_eq!(summary["error"], 1, "the undiagnosed invocation is caught and counted");
    let failing_count = want_counts.get("fail").copied().unwrap_or(0) + 1;
    assert_eq!(summary["failing_count"], failing_count);
    let mut named: Vec<String> = Vec::new();
    for fails in page_failing {
        if named.len() < NAMED && !fails.is_empty() {
            named.extend(fails);
            named.truncate(NAMED);
        }
    }
    assert_eq!(summary["failing"], json!(named));
    assert_eq!(summary["results"], format!("s3://{BUCKET}/sweep-1/"));
    assert_eq!(summary["status"], "fail");

    // No state carried more than the computed worst case for this many distributions (states
    // that hold a raw ListDistributions page are bounded by the page size, checked apart).
    let primary_len = cf_origin_doctor::checks::ALL.iter().map(|c| c.meta.id.len()).max().unwrap();
    let sizing = Sizing {
        distributions: DISTRIBUTIONS,
        page_size,
        id_len: 15,
        primary_len,
        error_len: 256,
        marker_len: 1024,
        summary_len: 0,
        function_result_len: cf_origin_doctor::delivery::STEP_FUNCTIONS_BUDGET,
    };
    let bounds = sweep_sizes::bounds(&sizing);
    let mut carried: BTreeMap<String, usize> = BTreeMap::new();
    let mut entered = 0;
    let mut token = None;
    loop {
        let h = sfn.get_execution_history().execution_arn(&execution).set_next_token(token).send().await.unwrap();
        for e in &h.events {
            let (name, payload) = match (&e.state_entered_event_details, &e.state_exited_event_details) {
                (Some(d), _) => (d.name.clone(), d.input.clone().unwrap_or_default()),
                (_, Some(d)) => (d.name.clone(), d.output.clone().unwrap_or_default()),
                _ => continue,
            };
            if e.state_entered_event_details.is_some() {
                entered += 1;
            }
            let n = carried.entry(name).or_default();
            *n = (*n).max(payload.len());
        }
        token = h.next_token;
        if token.is_none() {
            break;
        }
    }
    assert!(carried.len() >= 15, "{carried:?}");
    // The cost note's count of the sweep's own state transitions: ten per page, 65 at most for the
    // rest (the items' are in their own executions).
    assert!(entered <= 10 * pages + 65 && entered >= 10 * pages, "{entered} state transitions for {pages} pages");
    for (name, bytes) in &carried {
        let bound = bounds.get(name.as_str()).unwrap_or_else(|| panic!("no computed bound for state {name}"));
        if !bound.holds_page {
            assert!(*bytes <= bound.bytes, "{name} carried {bytes} bytes, over its computed bound {}", bound.bytes);
        }
    }

    // The summary reached the topic.
    let sqs = aws_sdk_sqs::Client::new(&lab.sdk);
    let mut bodies = Vec::new();
    for _ in 0..10 {
        let got = sqs.receive_message().queue_url(&queue_url).wait_time_seconds(1).send().await.unwrap();
        bodies.extend(got.messages.unwrap_or_default().into_iter().filter_map(|m| m.body));
        if !bodies.is_empty() {
            break;
        }
    }
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let envelope: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(
        envelope["Subject"],
        format!("cf-origin-doctor fleet sweep - {failing_count} failing of {DISTRIBUTIONS}")
    );
    assert_eq!(envelope["MessageAttributes"]["status"]["Value"], "fail");
    let message: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(message, summary);

    eprintln!("{:.1} s: results, sizes and the summary checked", started.elapsed().as_secs_f64());
    // `sweep` on the same lab counts the same (its one difference: the invocation the test
    // starved above is diagnosed normally there).
    let out = Command::new(CLI)
        .args(["sweep", "--concurrency", "16", "--rate", "500", "--format", "json"])
        .args(&connect_args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(lab.aws_env())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut cli_counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut cli_status = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let r: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not one report per line ({e}): {line}"));
        let status = status_of(&r);
        cli_status.insert(r["distribution_id"].as_str().unwrap().to_string(), status.clone());
        *cli_counts.entry(status).or_default() += 1;
    }
    assert_eq!(cli_status.len(), DISTRIBUTIONS, "{stderr}");
    let starved = &cli_status[&undiagnosed];
    *cli_counts.get_mut(starved).unwrap() -= 1;
    *cli_counts.entry("error".into()).or_default() += 1;
    cli_counts.retain(|_, n| *n > 0);
    assert_eq!(cli_counts, want_counts, "sweep and the state machine count differently");
    assert!(
        stderr.contains(&format!("{DISTRIBUTIONS} of {DISTRIBUTIONS} diagnosed, ")),
        "no progress on stderr: {stderr}"
    );
    eprintln!("fleet sweep lab test: {:.1} s", started.elapsed().as_secs_f64());
}
