//! Worst-case payload sizes of the fleet-sweep state machine (`template.yaml`, `FleetSweep`),
//! state by state, for a number of distributions and a page size.
//!
//! Step Functions caps each state's input and output at 256 KiB
//! (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Each value below
//! is the largest JSON a state of the definition can hold, built with every field at its longest:
//! counters at the number of distributions, every record of a page at the longest record, the
//! failing list at its bound. `tests/template.rs` checks the bound for 5,000 distributions; the
//! lab test checks that what the engine really carried never exceeds it.

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Step Functions' payload quota for a state's input or output.
pub const PAYLOAD_LIMIT: usize = 256 * 1024;

/// How many failing distributions the summary names (the template's `NameFailing` bound).
pub const NAMED: usize = 20;

/// What the sizes depend on.
#[derive(Debug, Clone)]
pub struct Sizing {
    pub distributions: usize,
    pub page_size: usize,
    /// Longest distribution id (CloudFront's are 13-15 characters).
    pub id_len: usize,
    /// Longest finding id (the primary finding of a report).
    pub primary_len: usize,
    /// Longest error name a failed diagnosis records (the function's error types are short;
    /// Step Functions' and Lambda's are under 64 characters; 256 is Step Functions' limit for a
    /// task's error name).
    pub error_len: usize,
    /// Longest ListDistributions marker.
    pub marker_len: usize,
    /// Largest distribution summary in a ListDistributions page, as JSON. Not ours to bound: it
    /// grows with aliases, origins and behaviors; the page size is what keeps a page under the
    /// quota.
    pub summary_len: usize,
    /// Largest result the function returns (it trims its report to fit).
    pub function_result_len: usize,
}

/// A state's largest input or output, and whether it holds a raw ListDistributions page (whose
/// size depends on `summary_len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub bytes: usize,
    pub holds_page: bool,
}

fn size(v: &Value) -> usize {
    v.to_string().len()
}

fn merge(base: &Value, extra: &[(&str, &Value)]) -> Value {
    let mut out = base.clone();
    if let Some(obj) = out.as_object_mut() {
        for (k, v) in extra {
            obj.insert((*k).to_string(), (*v).clone());
        }
    }
    out
}

/// Every state of the definition (the map's item states prefixed `DiagnosePage/`), with its bound.
pub fn bounds(z: &Sizing) -> BTreeMap<&'static str, Bound> {
    let id = Value::String(format!("E{}", "X".repeat(z.id_len.saturating_sub(1))));
    let n = z.distributions;
    let p = z.page_size;
    let sentinels = json!([
        {"report": {"status": "pass"}}, {"report": {"status": "warn"}},
        {"report": {"status": "incomplete"}}, {"report": {"status": "fail"}}, {"report": {"status": "error"}}
    ]);
    let failing = json!({"ids": vec![id.clone(); NAMED]});
    let s = json!({"total": n, "pass": n, "warn": n, "incomplete": n, "fail": n, "error": n,
        "pages": n.div_ceil(p.max(1)), "page_failing": p, "named": NAMED, "failing": failing,
        "concurrency": 40, "sentinels": sentinels});
    let state = json!({"s": s});
    let marker = Value::String("M".repeat(z.marker_len));
    let summaries: Vec<Value> = vec![Value::String("S".repeat(z.summary_len.saturating_sub(2))); p];
    let page = json!({"DistributionList": {"Marker": marker, "NextMarker": marker, "MaxItems": p,
        "IsTruncated": true, "Quantity": p, "Items": summaries}});
    let ids = Value::Array(vec![id.clone(); p]);
    let diagnosed = json!({"distribution_id": id, "report": {"distribution_id": id, "status": "incomplete",
        "primary": "p".repeat(z.primary_len)}});
    let undiagnosed = json!({"distribution_id": id, "report": {"status": "error", "error": "e".repeat(z.error_len)}});
    let record = if size(&diagnosed) >= size(&undiagnosed) { diagnosed } else { undiagnosed };
    let results = Value::Array(vec![record.clone(); p]);
    // All of a page's records under one status, plus a sentinel under each.
    let mut by_status = json!({"pass": [], "warn": [], "incomplete": [], "fail": [], "error": []});
    if let Some(obj) = by_status.as_object_mut() {
        for (i, (_, list)) in obj.iter_mut().enumerate() {
            let mut items = if i == 0 { vec![record.clone(); p] } else { vec![] };
            items.push(json!({"report": {"status": "incomplete"}}));
            *list = Value::Array(items);
        }
    }
    let with_sentinels = json!({"v": [results, sentinels]});
    let joined = json!({"v": [vec![id.clone(); NAMED], ids, []]});
    let flattened = Value::Array(vec![id.clone(); NAMED + p]);

    let listed = merge(&state, &[("page", &page)]);
    let kept = merge(&state, &[("ids", &ids), ("next", &marker)]);
    let mapped = merge(&kept, &[("results", &results)]);
    let tallied = merge(&mapped, &[("tally", &with_sentinels)]);
    let counted = merge(&mapped, &[("tally", &by_status)]);
    let joining = merge(&mapped, &[("tally", &joined)]);
    let flat = merge(&mapped, &[("tally", &flattened)]);
    // A later page's list call carries what the previous page left behind.
    let relisted = merge(&counted, &[("page", &page)]);
    let summary = json!({"total": n, "pass": n, "warn": n, "incomplete": n, "fail": n, "error": n,
        "failing_count": 2 * n, "failing": vec![id.clone(); NAMED], "failing_named_up_to": NAMED,
        "pages": n.div_ceil(p.max(1)),
        "results": format!("s3://{}/{}/", "b".repeat(63), "x".repeat(80)), "status": "fail"});
    // What the S3 task sends: the records as one escaped JSON string.
    let body = json!({"Bucket": "b".repeat(63), "Key": format!("{}/page-{n}.json", "x".repeat(80)),
        "ContentType": "application/json", "Body": results.to_string()});
    let message = json!({"TopicArn": "t".repeat(256), "Subject": "s".repeat(100), "Message": summary.to_string(),
        "MessageAttributes": {"status": {"DataType": "String", "StringValue": "fail"},
        "kind": {"DataType": "String", "StringValue": "fleet-sweep"}}});
    let item = json!({"distribution_id": id});
    // The Lambda task's raw result: the function's payload and the integration's metadata.
    let invoked = z.function_result_len + 4096;

    let plain = |v: &Value| Bound { bytes: size(v), holds_page: false };
    let paged = |v: &Value| Bound { bytes: size(v), holds_page: true };
    let max = |vs: &[&Value]| vs.iter().map(|v| size(v)).max().unwrap_or(0);
    BTreeMap::from([
        ("Start", plain(&state)),
        ("ListFirstPage", paged(&listed)),
        ("ListNextPage", paged(&relisted)),
        ("PageKind", paged(&relisted)),
        ("KeepPageAndMarker", paged(&relisted)),
        ("KeepLastPage", paged(&relisted)),
        ("DiagnosePage", plain(&mapped)),
        ("SavePage", Bound { bytes: max(&[&mapped, &body]), holds_page: false }),
        ("WithSentinels", Bound { bytes: max(&[&mapped, &tallied]), holds_page: false }),
        ("ByStatus", Bound { bytes: max(&[&tallied, &counted]), holds_page: false }),
        ("Count", plain(&counted)),
        ("NameFailing", plain(&counted)),
        ("JoinFailing", Bound { bytes: max(&[&counted, &joining]), holds_page: false }),
        ("FlattenFailing", Bound { bytes: max(&[&joining, &flat]), holds_page: false }),
        ("BoundFailing", plain(&flat)),
        ("MorePages", plain(&counted)),
        ("Summarise", plain(&counted)),
        ("AnyFailing", plain(&summary)),
        ("Failing", plain(&summary)),
        ("Passing", plain(&summary)),
        ("PublishSummary", Bound { bytes: max(&[&summary, &message]), holds_page: false }),
        ("DiagnosePage/Diagnose", Bound { bytes: invoked.max(size(&record)).max(size(&item)), holds_page: false }),
        ("DiagnosePage/Undiagnosed", plain(&record)),
    ])
}

/// The states of a definition: top level, and each map's item states as `Map/State`.
pub fn state_names(definition: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(states) = definition["States"].as_object() {
        for (name, state) in states {
            out.push(name.clone());
            let inner =
                state["ItemProcessor"]["States"].as_object().or_else(|| state["Iterator"]["States"].as_object());
            for child in inner.into_iter().flat_map(|m| m.keys()) {
                out.push(format!("{name}/{child}"));
            }
        }
    }
    out
}

/// `template.yaml` as JSON, decoded by cfn-lint's own template decoder (it knows
/// CloudFormation's tags), from the project's virtual environment.
pub fn template() -> Value {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let python = format!("{root}/.venv/bin/python");
    let script = "import json, sys\nfrom cfnlint.decode import decode\n\
                  t, errors = decode(sys.argv[1])\n\
                  if t is None: sys.exit(str(errors))\n\
                  print(json.dumps(t))";
    let out = std::process::Command::new(&python)
        .args(["-c", script, &format!("{root}/template.yaml")])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/setup-venv installs it)"));
    assert!(out.status.success(), "decoding template.yaml: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cfn-lint's decoder prints JSON")
}
