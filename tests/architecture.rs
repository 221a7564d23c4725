//! The pipeline's direction, held by the crate graph: the diagnosis crate (evidence, checks,
//! verdict, report) depends on no network stack, no TLS stack and no AWS SDK, and the probe
//! crate on no AWS SDK. Read from `cargo tree`, so a dependency added by any route fails here.

// A panic here is a failed test, not a crash of the tool.
#![allow(clippy::unwrap_used)]

use std::process::Command;

/// Every package `package` depends on for its library (normal edges only, features resolved).
fn normal_dependencies(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The dependencies named in `forbidden`: a name, or a family ending in `-` (`aws-sdk-`).
fn offending<'a>(deps: &'a [String], forbidden: &[&str]) -> Vec<&'a String> {
    deps.iter()
        .filter(|d| forbidden.iter().any(|f| if f.ends_with('-') { d.starts_with(f) } else { d.as_str() == *f }))
        .collect()
}

#[test]
fn the_diagnosis_crate_has_no_network_tls_or_sdk_dependency() {
    let deps = normal_dependencies("cf-origin-doctor-diagnosis");
    assert!(deps.iter().any(|d| d == "serde_json"), "the tree was read: {deps:?}");
    let bad = offending(
        &deps,
        &[
            "tokio",
            "rustls",
            "tokio-rustls",
            "hyper",
            "aws-config",
            "aws-sdk",
            "aws-smithy",
            "lambda_runtime",
            "cf-origin-doctor-probe",
            "cf-origin-doctor",
        ],
    );
    assert!(bad.is_empty(), "the diagnosis crate must stay pure; it depends on {bad:?}");
}

#[test]
fn the_probe_crate_has_no_sdk_dependency_and_does_not_reach_back() {
    let deps = normal_dependencies("cf-origin-doctor-probe");
    assert!(deps.iter().any(|d| d == "rustls"), "the tree was read: {deps:?}");
    let bad = offending(&deps, &["aws-config", "aws-sdk-", "aws-smithy-", "lambda_runtime", "cf-origin-doctor"]);
    assert!(bad.is_empty(), "the probe crate depends on {bad:?}");
}
