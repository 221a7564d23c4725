//! Pre-flight of a proposed configuration through the real CLI binary (and one Lambda
//! invocation): the document is what `aws cloudfront get-distribution-config` prints for the
//! lab's live distribution, edited as an engineer would edit it.

use super::lab_foundation::run_cli;
use cf_origin_doctor::evidence::{Distribution, OriginKind};
use cf_origin_doctor::inventory::distribution_config;
use cf_origin_doctor::request::DiagnoseRequest;
use lab::{Lab, Scenario, assert_schema_valid, runtime_api::run_function};
use serde_json::{Value, json};

const LAMBDA: &str = env!("CARGO_BIN_EXE_cf-origin-doctor-lambda");
const LOOP: &str = "redirect-loop-origin-forces-https";

/// A `{"Quantity", "Items"}` list as the AWS CLI prints it.
fn list<T: serde::Serialize>(items: &[T]) -> Value {
    json!({"Quantity": items.len(), "Items": items})
}

fn behavior_json(b: &cf_origin_doctor::evidence::Behavior) -> Value {
    let mut v = json!({
        "TargetOriginId": b.target_origin_id,
        "TrustedSigners": {"Enabled": false, "Quantity": 0},
        "TrustedKeyGroups": {"Enabled": !b.trusted_key_groups.is_empty(), "Quantity": b.trusted_key_groups.len(), "Items": b.trusted_key_groups},
        "ViewerProtocolPolicy": b.viewer_protocol_policy.as_api(),
        "AllowedMethods": {"Quantity": b.allowed_methods.len(), "Items": b.allowed_methods, "CachedMethods": list(&b.cached_methods)},
        "SmoothStreaming": false,
        "Compress": true,
        "LambdaFunctionAssociations": list(&b.lambda_associations.iter().map(|a| json!({"LambdaFunctionARN": a.lambda_function_arn, "EventType": a.event_type, "IncludeBody": a.include_body})).collect::<Vec<_>>()),
        "FunctionAssociations": list(&b.function_associations.iter().map(|a| json!({"FunctionARN": a.function_arn, "EventType": a.event_type})).collect::<Vec<_>>()),
        "FieldLevelEncryptionId": "",
        "CachePolicyId": b.cache_policy_id.clone().unwrap_or_default(),
        "OriginRequestPolicyId": b.origin_request_policy_id.clone().unwrap_or_default(),
    });
    if let Some(p) = &b.path_pattern {
        v["PathPattern"] = json!(p);
    }
    if let Some(f) = &b.forwarded_values {
        v["ForwardedValues"] = json!({
            "QueryString": f.query_string,
            "Cookies": {"Forward": f.cookies_forward, "WhitelistedNames": list(&f.cookie_names)},
            "Headers": list(&f.headers),
            "QueryStringCacheKeys": list(&f.query_string_cache_keys),
        });
        v["MinTTL"] = json!(0);
    }
    v
}

/// What `aws cloudfront get-distribution-config` prints for a distribution (the fields the
/// diagnosis reads, plus a few it does not, as the CLI prints them).
fn get_distribution_config(d: &Distribution) -> Value {
    let origins: Vec<Value> = d
        .origins
        .iter()
        .map(|o| {
            let mut v = json!({
                "Id": o.id,
                "DomainName": o.domain_name,
                "OriginPath": o.origin_path,
                "CustomHeaders": list(&o.custom_headers.iter().map(|h| json!({"HeaderName": h.name, "HeaderValue": h.value.expose().unwrap()})).collect::<Vec<_>>()),
                "ConnectionAttempts": o.connection_attempts,
                "ConnectionTimeout": o.connection_timeout_s,
                "OriginShield": {"Enabled": false},
                "OriginAccessControlId": o.origin_access_control_id.clone().unwrap_or_default(),
            });
            if let Some(t) = o.response_completion_timeout_s {
                v["ResponseCompletionTimeout"] = json!(t);
            }
            match &o.kind {
                OriginKind::Custom(c) => {
                    let mut config = json!({
                        "HTTPPort": c.http_port,
                        "HTTPSPort": c.https_port,
                        "OriginProtocolPolicy": c.protocol_policy.as_api(),
                        "OriginSslProtocols": list(&c.ssl_protocols),
                        "OriginReadTimeout": c.read_timeout_s,
                        "OriginKeepaliveTimeout": c.keepalive_timeout_s,
                    });
                    if let Some(t) = &c.ip_address_type {
                        config["IpAddressType"] = json!(t);
                    }
                    v["CustomOriginConfig"] = config;
                }
                OriginKind::S3 { origin_access_identity } => {
                    v["S3OriginConfig"] = json!({"OriginAccessIdentity": origin_access_identity});
                }
                OriginKind::Vpc { vpc_origin_id } => v["VpcOriginConfig"] = json!({"VpcOriginId": vpc_origin_id}),
            }
            v
        })
        .collect();
    let mut config = json!({
        "CallerReference": "lab",
        "Aliases": list(&d.aliases),
        "DefaultRootObject": d.default_root_object,
        "Origins": list(&origins),
        "OriginGroups": list(&d.origin_groups.iter().map(|g| json!({
            "Id": g.id,
            "FailoverCriteria": {"StatusCodes": list(&g.failover_status_codes)},
            "Members": list(&g.members.iter().map(|m| json!({"OriginId": m})).collect::<Vec<_>>()),
        })).collect::<Vec<_>>()),
        "DefaultCacheBehavior": behavior_json(&d.default_behavior),
        "CacheBehaviors": list(&d.behaviors.iter().map(behavior_json).collect::<Vec<_>>()),
        "CustomErrorResponses": list(&d.custom_error_responses.iter().map(|e| json!({
            "ErrorCode": e.error_code, "ResponsePagePath": e.response_page_path.clone().unwrap_or_default(),
            "ResponseCode": e.response_code.clone().unwrap_or_default(), "ErrorCachingMinTTL": e.error_caching_min_ttl,
        })).collect::<Vec<_>>()),
        "Comment": "",
        "Logging": {"Enabled": false, "IncludeCookies": false, "Bucket": "", "Prefix": ""},
        "PriceClass": "PriceClass_All",
        "Enabled": d.enabled,
        "WebACLId": d.web_acl_id.clone().unwrap_or_default(),
        "HttpVersion": d.http_version,
        "IsIPV6Enabled": true,
    });
    if let Some(v) = &d.viewer_certificate {
        config["ViewerCertificate"] = json!({
            "CloudFrontDefaultCertificate": v.cloudfront_default_certificate,
            "ACMCertificateArn": v.acm_certificate_arn, "IAMCertificateId": v.iam_certificate_id,
            "SSLSupportMethod": v.ssl_support_method, "MinimumProtocolVersion": v.minimum_protocol_version,
        });
    }
    if let Some(g) = &d.geo_restriction {
        config["Restrictions"] = json!({"GeoRestriction": {"RestrictionType": g.restriction_type, "Quantity": g.locations.len(), "Items": g.locations}});
    }
    json!({"ETag": "E2LABETAG", "DistributionConfig": config})
}

/// The live distribution as the diagnosis reads it, and its `get-distribution-config` document.
async fn live(lab: &Lab) -> (Distribution, Value) {
    let request = DiagnoseRequest::new(&lab.distribution_id, &[]).unwrap();
    let d =
        cf_origin_doctor::inventory::gather(&cf_origin_doctor::inventory::aws::SdkApi::new(lab.sdk.clone()), &request)
            .await
            .unwrap()
            .distribution;
    let doc = get_distribution_config(&d);
    (d, doc)
}

fn write(dir: &tempfile::TempDir, name: &str, doc: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

/// Runs a pre-flight through the CLI; the JSON report and the exit code.
fn preflight(lab: &Lab, file: &str) -> (Value, Option<i32>) {
    let out = run_cli(lab, &["diagnose", &lab.distribution_id, "--distribution-config", file, "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stderr {}", String::from_utf8_lossy(&out.stderr)));
    assert_schema_valid(&report);
    (report, out.status.code())
}

fn ids(section: &Value, list: &str) -> Vec<String> {
    section[list].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

fn set_policy(doc: &mut Value, policy: &str) {
    for o in doc["DistributionConfig"]["Origins"]["Items"].as_array_mut().unwrap() {
        o["CustomOriginConfig"]["OriginProtocolPolicy"] = json!(policy);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_document_of_the_live_distribution_maps_to_the_live_model() {
    let lab = Lab::start(Scenario::RedirectLoop).await;
    let (d, doc) = live(&lab).await;
    let proposed = distribution_config::parse(&doc).unwrap();
    assert_eq!(proposed.etag.as_deref(), Some("E2LABETAG"));
    assert_eq!(serde_json::to_value(proposed.applied_to(&d)).unwrap(), serde_json::to_value(&d).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_breaks_a_healthy_distribution_introduces_its_finding_and_fails() {
    // The origin's HTTP listener redirects to HTTPS; the live configuration reaches it over HTTPS.
    let lab = Lab::start(Scenario::RedirectLoopFixed).await;
    let (_, mut doc) = live(&lab).await;
    set_policy(&mut doc, "http-only");
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "proposed.json", &doc);
    let (r, code) = preflight(&lab, &file);
    let p = &r["preflight"];
    assert_eq!(code, Some(1), "{p:#}");
    assert_eq!(p["live_status"], "pass", "{r:#}");
    assert_eq!(ids(p, "introduced"), [LOOP], "{p:#}");
    assert!(ids(p, "removed").is_empty(), "{p:#}");
    assert_eq!(p["verdict"]["primary"], LOOP);
    assert_eq!((p["source"].as_str(), p["etag"].as_str()), (Some("proposed.json"), Some("E2LABETAG")));
    // Only the proposed origins were probed, over HTTP as CloudFront would under it.
    let probes = p["probes"].as_array().unwrap();
    assert!(!probes.is_empty() && probes.iter().all(|x| x["target"] == "origin"), "{:#}", p["probes"]);
    assert!(probes.iter().any(|x| x["hops"][0]["url"].as_str().unwrap().starts_with("http://")), "{:#}", p["probes"]);
    // The secret origin header of the document went to the origin but appears nowhere.
    assert!(!r.to_string().contains(lab::LAB_SECRET_VALUE));

    // The text report puts the pre-flight first.
    let out = run_cli(&lab, &["diagnose", &lab.distribution_id, "--distribution-config", &file]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.lines().next().unwrap().starts_with("Pre-flight of the proposed configuration (proposed.json"),
        "{text}"
    );
    assert!(text.contains(&format!("introduces {LOOP} (")), "{text}");
    assert!(text.contains("not deployed"), "{text}");

    // The recorded evidence replays the same comparison, offline, with the same exit code.
    let record = dir.path().join("evidence.json").to_string_lossy().into_owned();
    let args =
        ["diagnose", &lab.distribution_id, "--distribution-config", &file, "--record", &record, "--format", "json"];
    let recorded: Value = serde_json::from_slice(&run_cli(&lab, &args).stdout).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cf-origin-doctor"))
        .args(["replay", &record, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let replayed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&replayed["preflight"], "introduced"), [LOOP]);
    assert_eq!(replayed["preflight"], recorded["preflight"]);
    assert!(!std::fs::read_to_string(&record).unwrap().contains(lab::LAB_SECRET_VALUE));

    // The unchanged document introduces nothing and passes.
    let same = write(&dir, "same.json", &live(&lab).await.1);
    let (r, code) = preflight(&lab, &same);
    assert_eq!(code, Some(0), "{:#}", r["preflight"]);
    assert!(ids(&r["preflight"], "introduced").is_empty(), "{:#}", r["preflight"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_fixes_a_broken_distribution_removes_its_finding_and_passes() {
    // http-only to a listener that redirects to HTTPS, Host forwarded: viewers loop.
    let lab = Lab::start(Scenario::RedirectLoop).await;
    let (_, mut doc) = live(&lab).await;
    // https-only, and Host no longer forwarded: the origin's certificate covers its own name.
    set_policy(&mut doc, "https-only");
    doc["DistributionConfig"]["DefaultCacheBehavior"]["ForwardedValues"]["Headers"] = json!({"Quantity": 0});
    let dir = tempfile::tempdir().unwrap();
    let (r, code) = preflight(&lab, &write(&dir, "fix.json", &doc));
    let p = &r["preflight"];
    assert_eq!(r["verdict"]["primary"], LOOP, "the live configuration still loops");
    assert!(ids(p, "removed").contains(&LOOP.to_string()), "{p:#}");
    assert_eq!(code, Some(0), "{p:#}");
    assert!(p["introduced"].as_array().unwrap().iter().all(|f| f["severity"] != "high" && f["severity"] != "critical"));

    // https-only alone keeps Host forwarded: CloudFront would send the distribution's name as
    // SNI, which the origin's certificate does not cover. The loop goes, a TLS failure comes.
    set_policy(&mut doc, "https-only");
    doc["DistributionConfig"]["DefaultCacheBehavior"]["ForwardedValues"]["Headers"] =
        json!({"Quantity": 1, "Items": ["Host"]});
    let (r, code) = preflight(&lab, &write(&dir, "not-enough.json", &doc));
    let p = &r["preflight"];
    assert!(ids(p, "removed").contains(&LOOP.to_string()), "{p:#}");
    assert!(ids(p, "introduced").contains(&"origin-cert-name-mismatch-forwarded-host".to_string()), "{p:#}");
    assert_eq!(code, Some(1), "{p:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_proposals_are_refused_before_any_diagnosis() {
    let lab = Lab::start(Scenario::Healthy).await;
    let (_, doc) = live(&lab).await;
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = doc.clone();
    wrong["DistributionConfig"]["Origins"]["Items"][0]["CustomOriginConfig"]["HTTPSPort"] = json!("443");
    let mut huge = doc.clone();
    huge["DistributionConfig"]["Comment"] = json!("x".repeat(300 * 1024));
    let cases = [
        (
            write(&dir, "wrong.json", &wrong),
            "DistributionConfig.Origins.Items[0].CustomOriginConfig.HTTPSPort: must be an integer, not a string",
        ),
        (write(&dir, "huge.json", &huge), "bytes; a distribution configuration is read up to 262144 bytes"),
        (
            {
                let p = dir.path().join("broken.json");
                std::fs::write(&p, b"{\"DistributionConfig\": {\"Origins\": ").unwrap();
                p.to_string_lossy().into_owned()
            },
            "not valid JSON",
        ),
        (dir.path().join("absent.json").to_string_lossy().into_owned(), "absent.json"),
    ];
    for (file, says) in cases {
        let out = run_cli(&lab, &["diagnose", &lab.distribution_id, "--distribution-config", &file]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains("--distribution-config") && err.contains(says), "{file}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.stdout.is_empty(), "no report for a refused request");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_pre_flights_a_distribution_config_in_the_request() {
    let lab = Lab::start(Scenario::RedirectLoopFixed).await;
    let (_, mut doc) = live(&lab).await;
    set_policy(&mut doc, "http-only");
    let event = json!({"distribution_id": lab.distribution_id, "distribution_config": doc["DistributionConfig"]});
    let run = run_function(LAMBDA, &lab.lambda_env(), &event.to_string(), 60_000).await;
    assert_eq!(run.kind, "response", "{:#}", run.body);
    let p = &run.body["preflight"];
    assert_eq!(ids(p, "introduced"), [LOOP], "{p:#}");
    assert_eq!(p["source"], "request");

    // A wrong type is an InvalidRequest naming the field.
    let mut bad = doc["DistributionConfig"].clone();
    bad["Enabled"] = json!("true");
    let event = json!({"distribution_id": lab.distribution_id, "distribution_config": bad});
    let run = run_function(LAMBDA, &lab.lambda_env(), &event.to_string(), 60_000).await;
    assert_eq!(run.kind, "error", "{:#}", run.body);
    assert_eq!(run.body["errorType"], "InvalidRequest", "{:#}", run.body);
    assert!(
        run.body["errorMessage"].as_str().unwrap().contains("distribution_config.Enabled: must be a boolean"),
        "{:#}",
        run.body
    );
}
