//! Recorded evidence replays offline to the expected verdict. The files in
//! `tests/fixtures/evidence/` were recorded from lab scenarios with `--record`; a user's
//! recorded evidence can become a test the same way (add it with its expected verdict below).

// A panic here is a failed test, not a crash of the tool.
#![allow(clippy::unwrap_used)]

use cf_origin_doctor::engine::evaluate;
use cf_origin_doctor::evidence::Evidence;
use cf_origin_doctor::report::v1::{SeverityV1, StatusV1, SymptomClassV1};

fn replay(name: &str) -> cf_origin_doctor::engine::Diagnosis {
    let path = format!("{}/tests/fixtures/evidence/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let ev: Evidence = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{path} no longer loads: {e}"));
    evaluate(ev)
}

#[test]
fn recorded_redirect_loop_replays_to_its_cause() {
    let d = replay("redirect-loop");
    assert_eq!(d.report.status, StatusV1::Fail);
    assert_eq!(d.report.verdict.primary.as_deref(), Some("redirect-loop-origin-forces-https"));
    assert_eq!(d.report.verdict.symptom_class, SymptomClassV1::RedirectLoop);
}

#[test]
fn recorded_healthy_distribution_replays_to_pass() {
    let d = replay("healthy");
    assert_eq!(d.report.status, StatusV1::Pass, "{}", d.report.verdict.summary);
    assert!(d.report.findings.iter().all(|f| f.severity == SeverityV1::Info));
}

/// Each recorded lab scenario replays offline to the cause the live run found, with the same
/// symptom class (one per way CloudFront fails: 504, 502, 403, the origin's own error).
#[test]
fn recorded_failures_replay_to_their_cause_and_symptom() {
    let cases = [
        ("sg-blocks-cloudfront", "sg-blocks-cloudfront", SymptomClassV1::CloudFront504),
        ("origin-read-timeout", "origin-read-timeout", SymptomClassV1::CloudFront504),
        ("tls-expired", "origin-cert-expired-or-not-yet-valid", SymptomClassV1::CloudFront502),
        ("tls-incomplete-chain", "origin-chain-incomplete-or-misordered", SymptomClassV1::CloudFront502),
        ("method-not-allowed", "method-not-allowed", SymptomClassV1::CloudFront403),
        ("alias-not-on-distribution", "alias-not-on-distribution", SymptomClassV1::CloudFront403),
        ("host-header-routing-mismatch", "host-header-routing-mismatch", SymptomClassV1::OriginError),
        ("origin-secret-header-mismatch", "origin-secret-header-mismatch", SymptomClassV1::OriginError),
    ];
    for (file, primary, symptom) in cases {
        let d = replay(file);
        assert_eq!(d.report.status, StatusV1::Fail, "{file}: {}", d.report.verdict.summary);
        assert_eq!(d.report.verdict.primary.as_deref(), Some(primary), "{file}");
        assert_eq!(d.report.verdict.symptom_class, symptom, "{file}");
        assert_eq!(d.report.findings[0].id, primary, "{file}: the primary finding comes first");
    }
}

/// Two problems at once, replayed: the security group that explains the 504 ranks first, the
/// certificate that expires soon stays a low warning.
#[test]
fn recorded_two_problems_keep_their_ranking() {
    let d = replay("sg-blocks-and-cert-expiring");
    assert_eq!(d.report.verdict.primary.as_deref(), Some("sg-blocks-cloudfront"));
    let cert = d.report.findings.iter().find(|f| f.id == "origin-cert-expired-or-not-yet-valid").expect("cert warning");
    assert_eq!(cert.severity, SeverityV1::Low);
}

/// A TLS 1.0-only origin that CloudFront is allowed to reach: a warning, and the HTTP exchange
/// this probe's TLS stack cannot make is named as not observed, not read as a failure.
#[test]
fn recorded_tls10_origin_is_a_warning_with_the_unobserved_exchange_named() {
    let d = replay("tls10-only-allowed");
    assert_eq!(d.report.status, StatusV1::Warn, "{}", d.report.verdict.summary);
    assert!(d.report.verdict.primary.is_none());
    assert!(d.report.findings.iter().any(|f| f.id == "origin-tls-protocol-mismatch" && f.severity == SeverityV1::Low));
    assert!(
        d.report.unverified.iter().any(|u| u.what.contains("TLSv1") && u.what.contains("not observed")),
        "{:#?}",
        d.report.unverified
    );
}

/// Worlds whose cause shows only in the origin's answers (an EC2 instance or a host outside AWS,
/// any port, needs nobody declared): the request ladder and the inferred needs are in the
/// evidence, so the replay reaches the same cause with no network.
#[test]
fn recorded_differential_worlds_replay_to_their_cause() {
    for (name, primary, ladder_cause) in [
        ("nothing-listening-on-origin-port-ec2", "nothing-listening-on-origin-port", Some("connection")),
        ("protocol-port-mismatch-tls-to-plain-port", "protocol-port-mismatch", Some("connection")),
        ("protocol-port-mismatch-plain-to-tls-port", "protocol-port-mismatch", Some("connection")),
        ("params-not-forwarded-query-string", "params-not-forwarded", Some("query_strings")),
        ("host-header-routing-mismatch-forwarded-host", "host-header-routing-mismatch", Some("host")),
        ("method-not-allowed-allow-header", "method-not-allowed", None),
        ("authorization-stripped-bearer", "authorization-stripped", None),
    ] {
        let d = replay(name);
        assert_eq!(d.report.status, StatusV1::Fail, "{name}: {}", d.report.verdict.summary);
        assert_eq!(d.report.verdict.primary.as_deref(), Some(primary), "{name}: {}", d.report.verdict.summary);
        if let Some(cause) = ladder_cause {
            assert!(
                d.report.observations.ladders.iter().any(|l| l.cause.iter().any(|c| c == cause)),
                "{name}: no ladder isolates {cause}: {:#?}",
                d.report.observations.ladders.iter().map(|l| &l.conclusion).collect::<Vec<_>>()
            );
        }
        // A wrong cause the probes' shapes alone would suggest is not named above low.
        assert!(
            d.report
                .findings
                .iter()
                .filter(|f| f.id == "origin-rejects-cloudfront-shaped-requests")
                .all(|f| f.severity == SeverityV1::Low || f.severity == SeverityV1::Info),
            "{name}"
        );
    }
}

/// The fixtures were recorded before fixes were checked: a network fix is still verified by
/// the network model offline, while a configuration fix, whose origin probes the file does not
/// hold, is not verifiable and says what to run.
#[test]
fn recorded_evidence_without_fix_probes_checks_what_it_can() {
    use cf_origin_doctor::report::v1::{FixCheckResultV1, VerifiedByV1};
    let sg = replay("sg-blocks-cloudfront");
    let c = &sg.report.fix_check[0];
    assert_eq!(c.result, FixCheckResultV1::Verified, "{c:#?}");
    assert_eq!(c.verified_by, Some(VerifiedByV1::NetworkModel));
    let text =
        cf_origin_doctor::report::text::render(&sg.report, cf_origin_doctor::report::text::Style { color: false });
    assert_eq!(text.lines().nth(2).map(|l| l.starts_with("Fix check: verified — ")), Some(true), "{text}");
    let markdown = cf_origin_doctor::report::text::render_markdown(&sg.report);
    let fix_check = markdown.find("Fix check: verified").expect("the fix check in Markdown");
    assert!(fix_check < markdown.find("### Fix").unwrap_or(usize::MAX), "under the verdict: {markdown}");

    let lp = replay("redirect-loop");
    let c = &lp.report.fix_check[0];
    assert_eq!(c.result, FixCheckResultV1::NotVerifiable, "{c:#?}");
    let id = &lp.report.distribution_id;
    assert_eq!(c.rerun.as_deref(), Some(format!("cf-origin-doctor diagnose {id}").as_str()));
}
