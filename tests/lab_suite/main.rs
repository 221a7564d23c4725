//! Every integration test that stages the lab (the AWS API emulator, real origins on loopback,
//! the CloudFront edge stand-in), in one binary so that the lab and the AWS SDK are linked once.
//! One module per former test file; filter with `cargo test --test lab_suite lab_tls::`.

// A panic here is a failed test, not a crash of the tool.
#![allow(clippy::unwrap_used)]

mod inventory_faults;
mod lab_aws_flags;
mod lab_certificates;
mod lab_cli;
mod lab_cloudfront_view;
mod lab_differential;
mod lab_fix_check;
mod lab_fleet_sweep;
mod lab_foundation;
mod lab_http_scenarios;
mod lab_inventory;
mod lab_lambda;
mod lab_locate;
mod lab_network;
mod lab_preflight;
mod lab_probes;
mod lab_samples;
mod lab_sweep;
mod lab_tls;
mod lab_tls_scenarios;
mod lab_viewer;
mod scenarios;
