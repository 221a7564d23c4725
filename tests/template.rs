//! `template.yaml` grants the function exactly the AWS actions the code calls, plus `sns:Publish`
//! on its own topic and `sts:AssumeRole` only on the role ARNs given as a parameter.

// A panic here is a failed test, not a crash of the tool.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

const TEMPLATE: &str = include_str!("../template.yaml");

/// The lines of one top-level resource (`  Name:` up to the next resource or section).
fn resource(name: &str) -> Vec<&'static str> {
    let header = format!("  {name}:");
    let mut lines = TEMPLATE.lines().skip_while(|l| *l != header);
    let mut out: Vec<&str> = lines.next().into_iter().collect();
    assert!(!out.is_empty(), "no resource {name} in template.yaml");
    for l in lines {
        let top = !l.starts_with("   ") && !l.trim().is_empty() && !l.trim_start().starts_with('#');
        if top {
            break;
        }
        out.push(l);
    }
    out
}

/// Each `Action:` list item with the `Resource:` of its statement.
fn statements(lines: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_action = false;
    let mut pending: Vec<String> = Vec::new();
    for line in lines {
        let t = line.trim();
        if t.starts_with("Action:") {
            in_action = true;
            continue;
        }
        if in_action {
            if let Some(item) = t.strip_prefix("- ") {
                if item.contains(':') && !item.contains(' ') {
                    pending.push(item.to_string());
                    continue;
                }
            }
            in_action = false;
        }
        if let Some(res) = t.strip_prefix("Resource:") {
            for a in pending.drain(..) {
                out.push((a, res.trim().to_string()));
            }
        }
    }
    assert!(pending.is_empty(), "actions without a Resource: {pending:?}");
    out
}

#[test]
fn template_grants_exactly_the_actions_the_code_calls() {
    let code: BTreeSet<String> = cf_origin_doctor::inventory::AWS_ACTIONS.iter().map(|s| s.to_string()).collect();
    let function = statements(&resource("DoctorFunction"));
    let granted: BTreeSet<String> =
        function.iter().map(|(a, _)| a.clone()).filter(|a| a != "sns:Publish" && a != "sts:AssumeRole").collect();
    assert!(!granted.is_empty(), "no actions found in template.yaml");
    assert_eq!(granted, code, "template.yaml's IAM actions differ from inventory::AWS_ACTIONS");
    for action in &granted {
        let verb = action.split(':').nth(1).unwrap_or("");
        assert!(["Get", "List", "Describe", "Filter"].iter().any(|p| verb.starts_with(p)), "{action} is not read-only");
    }
}

#[test]
fn the_function_publishes_only_to_its_topic_and_assumes_only_given_roles() {
    let function = statements(&resource("DoctorFunction"));
    let publish: Vec<&(String, String)> = function.iter().filter(|(a, _)| a == "sns:Publish").collect();
    assert_eq!(publish.len(), 1, "{function:?}");
    assert_eq!(publish[0].1, "!Ref ReportTopic");
    let assume: Vec<&(String, String)> = function.iter().filter(|(a, _)| a == "sts:AssumeRole").collect();
    assert_eq!(assume.len(), 1);
    assert_eq!(assume[0].1, "!Ref TargetRoleArns");
    assert!(
        TEMPLATE.contains("- HasTargetRoles\n              - Sid: AssumeGivenRoles"),
        "sts:AssumeRole must be conditional"
    );
    // The function reads the topic from its environment, under the name the code uses.
    let env = format!("{}: !Ref ReportTopic", cf_origin_doctor::delivery::ENV_TOPIC_ARN);
    assert!(resource("DoctorFunction").iter().any(|l| l.trim() == env), "missing {env}");
}

#[test]
fn the_sweep_state_machine_has_only_what_it_needs() {
    let sweep = statements(&resource("FleetSweep"));
    let actions: BTreeSet<&str> = sweep.iter().map(|(a, _)| a.as_str()).collect();
    let want: BTreeSet<&str> = [
        "cloudfront:ListDistributions",
        "lambda:InvokeFunction",
        "sns:Publish",
        "s3:PutObject",
        "states:StartExecution",
        "states:DescribeExecution",
        "states:StopExecution",
    ]
    .into();
    assert_eq!(actions, want);
    let text = resource("FleetSweep").join("\n");
    for needle in [
        "aws-sdk:cloudfront:listDistributions",
        "Mode: DISTRIBUTED",
        "MaxConcurrencyPath:",
        "- ErrorEquals: [Throttled, AwsUnavailable]",
        "arn:aws:states:::sns:publish",
    ] {
        assert!(text.contains(needle), "the state machine lacks {needle}");
    }
    // It writes only into its own bucket, whose objects expire.
    let write: Vec<&(String, String)> = sweep.iter().filter(|(a, _)| a == "s3:PutObject").collect();
    assert_eq!(write[0].1, "!Sub '${SweepResultBucket.Arn}/*'");
    let bucket = resource("SweepResultBucket").join("\n");
    assert!(bucket.contains("ExpirationInDays: !Ref SweepResultRetentionDays"), "{bucket}");
    assert!(bucket.contains("RestrictPublicBuckets: true"), "{bucket}");
}

#[test]
fn the_alarm_invokes_the_function_with_the_cloudwatch_alarms_principal() {
    let alarm = resource("ErrorRateAlarm").join("\n");
    assert!(alarm.contains("MetricName: 5xxErrorRate") && alarm.contains("Namespace: AWS/CloudFront"));
    assert!(alarm.contains("- !GetAtt DoctorFunction.Arn"));
    let perm = resource("AlarmInvokePermission").join("\n");
    assert!(perm.contains("Principal: lambda.alarms.cloudwatch.amazonaws.com"));
    assert!(perm.contains("SourceArn: !GetAtt ErrorRateAlarm.Arn"));
}

/// cfn-lint (pinned in scripts/requirements-lab.txt, installed into `.venv` by scripts/test)
/// passes on the template, so the lint is part of the test run and not only of CI.
#[test]
fn cfn_lint_passes_on_the_template() {
    let root = env!("CARGO_MANIFEST_DIR");
    let lint = format!("{root}/.venv/bin/cfn-lint");
    let out = std::process::Command::new(&lint)
        .arg("template.yaml")
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {lint}: {e} (scripts/test installs it into .venv)"));
    assert!(
        out.status.success(),
        "cfn-lint failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The template's alarm description, with its parameters filled in, is read back by the event
/// parser: the distribution and the diagnosis settings reach the request.
#[test]
fn the_alarm_description_carries_the_settings_parameter_to_the_diagnosis() {
    let line = resource("ErrorRateAlarm").into_iter().find(|l| l.trim().starts_with("AlarmDescription:")).unwrap();
    let sub = line.split_once("!Sub").unwrap().1.trim().trim_matches('\'');
    let description = sub
        .replace("${AlarmDistributionId}", "E2QWRUHEXAMPLE")
        .replace("${AlarmDiagnosisSettings}", "paths=/,/checkout expect.methods=[POST] method_probe_path=/api/echo");
    assert!(!description.contains("${"), "unfilled parameter in {description}");
    let event = serde_json::json!({"source": "aws.cloudwatch", "alarmData": {"alarmName": "a",
        "state": {"value": "ALARM"}, "configuration": {"description": description, "metrics": []}}});
    // A write method from an alarm needs the AlarmWriteMethods parameter (the function's
    // CF_ORIGIN_DOCTOR_ALARM_WRITE_METHODS).
    let refused = cf_origin_doctor::event::parse(&event, Default::default()).unwrap_err();
    assert!(refused.to_string().contains("CF_ORIGIN_DOCTOR_ALARM_WRITE_METHODS"), "{refused}");
    assert!(
        resource("DoctorFunction")
            .iter()
            .any(|l| l.trim() == "CF_ORIGIN_DOCTOR_ALARM_WRITE_METHODS: !Ref AlarmWriteMethods")
    );
    let opts = cf_origin_doctor::event::ParseOptions { alarm_write_methods: true, ..Default::default() };
    let inv = cf_origin_doctor::event::parse(&event, opts).unwrap();
    let cf_origin_doctor::event::Action::Diagnose(d) = inv.action else { panic!("not a diagnosis") };
    assert_eq!(d.request.distribution_id.as_str(), "E2QWRUHEXAMPLE");
    assert_eq!(d.request.paths, vec!["/", "/checkout"]);
    assert_eq!(d.request.expect.methods, vec!["POST"]);
    assert_eq!(d.request.method_probe_path.as_deref(), Some("/api/echo"));
}

/// No state of the fleet sweep holds more than Step Functions' 256 KiB for 5,000 distributions
/// (the bounds are computed state by state in `lab::sweep_sizes`; the lab test checks that the
/// engine's real payloads stay within them). The one size not ours, a ListDistributions page's
/// summaries, is what the page size bounds: at the default page size, a page may average this
/// much per summary.
#[test]
fn no_fleet_sweep_state_exceeds_the_payload_quota_for_5000_distributions() {
    use lab::sweep_sizes::{self, PAYLOAD_LIMIT, Sizing};
    let template = sweep_sizes::template();
    let definition = &template["Resources"]["FleetSweep"]["Properties"]["Definition"];
    let param = |k: &str| template["Parameters"]["SweepPageSize"][k].as_u64().unwrap() as usize;
    let primary_len = cf_origin_doctor::checks::ALL.iter().map(|c| c.meta.id.len()).max().unwrap();
    let sizing = |page_size: usize, summary_len: usize| Sizing {
        distributions: 5_000,
        page_size,
        id_len: 15,
        primary_len,
        error_len: 256,
        marker_len: 1024,
        summary_len,
        function_result_len: cf_origin_doctor::delivery::STEP_FUNCTIONS_BUDGET,
    };
    // Every state has a bound.
    let bounds = sweep_sizes::bounds(&sizing(param("Default"), 0));
    let mut states = sweep_sizes::state_names(definition);
    states.sort();
    assert_eq!(states, bounds.keys().map(|k| k.to_string()).collect::<Vec<_>>());
    // Whatever the page size, the states that do not hold a raw page fit.
    for page_size in [param("Default"), param("MaxValue")] {
        for (name, b) in sweep_sizes::bounds(&sizing(page_size, 0)) {
            if !b.holds_page {
                assert!(b.bytes < PAYLOAD_LIMIT, "{name}: {} bytes at page size {page_size}", b.bytes);
            }
        }
    }
    // The largest average summary the default page size carries (a summary is 1-3 KB).
    let fits = |summary_len: usize| {
        sweep_sizes::bounds(&sizing(param("Default"), summary_len)).values().all(|b| b.bytes < PAYLOAD_LIMIT)
    };
    let (mut largest, mut over) = (0, 64 * 1024);
    while over - largest > 1 {
        let mid = (largest + over) / 2;
        if fits(mid) { largest = mid } else { over = mid }
    }
    assert!(largest >= 8 * 1024, "a page of {} summaries of {largest} bytes fills a state", param("Default"));
    let worst = bounds.iter().filter(|(_, b)| !b.holds_page).max_by_key(|(_, b)| b.bytes).unwrap();
    eprintln!(
        "fleet sweep, 5,000 distributions, page size {}: largest state without a page {} ({} bytes); \
         pages fit while their summaries average under {largest} bytes",
        param("Default"),
        worst.0,
        worst.1.bytes
    );
}

#[test]
fn access_logs_are_read_only_from_the_buckets_and_groups_given() {
    let function = statements(&resource("DoctorFunction"));
    let resource_of = |action: &str| function.iter().find(|(a, _)| a == action).map(|(_, r)| r.clone());
    assert_eq!(resource_of("s3:ListBucket").as_deref(), Some("!Ref AccessLogBucketArns"));
    assert!(resource_of("s3:GetObject").is_some_and(|r| r.contains("AccessLogBucketArns") && r.contains("/*")));
    assert_eq!(resource_of("logs:FilterLogEvents").as_deref(), Some("!Ref AccessLogGroupArns"));
    for (cond, sid) in [
        ("HasLogBuckets", "ListAccessLogBuckets"),
        ("HasLogBuckets", "ReadAccessLogObjects"),
        ("HasLogGroups", "ReadAccessLogGroups"),
    ] {
        assert!(TEMPLATE.contains(&format!("- {cond}\n              - Sid: {sid}")), "{sid} must be conditional");
    }
    for env in [cf_origin_doctor::lambda::ENV_LOG_BUCKETS, cf_origin_doctor::lambda::ENV_LOG_GROUPS] {
        assert!(resource("DoctorFunction").iter().any(|l| l.trim().starts_with(&format!("{env}: "))), "missing {env}");
    }
}
