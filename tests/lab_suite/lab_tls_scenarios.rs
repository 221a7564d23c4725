//! Lab scenarios for the origin TLS checks: the AWS API emulator, a real TLS origin that
//! misbehaves, and the edge stand-in (which validates origin TLS as CloudFront does). Each
//! broken scenario's verdict names the TLS finding; its fixed twin passes.

use cf_origin_doctor::engine::Diagnosis;
use cf_origin_doctor::report::text::render_markdown;
use cf_origin_doctor::report::v1::ReportV1;
use cf_origin_doctor::request::DiagnoseRequest;
use cf_origin_doctor::verdict::Status;
use lab::{Lab, Scenario};

async fn diagnose(scenario: Scenario) -> (Lab, Diagnosis) {
    let lab = Lab::start(scenario).await;
    let req = DiagnoseRequest::new(&lab.distribution_id, &["/".to_string()]).expect("request");
    let d = lab.engine().diagnose(&req).await.expect("diagnosis");
    (lab, d)
}

async fn assert_primary(scenario: Scenario, id: &str) -> Diagnosis {
    primary(scenario, id).await.1
}

/// Diagnoses the scenario and checks that `id` is the primary cause, seen failing through the
/// edge, with config and probe evidence.
async fn primary(scenario: Scenario, id: &str) -> (Lab, Diagnosis) {
    let (lab, d) = diagnose(scenario).await;
    let v = &d.verdict;
    assert_eq!(v.primary.as_deref(), Some(id), "{scenario:?}: {:#?}", v.findings);
    assert_eq!(v.status, Status::Fail);
    assert!(v.symptom.failing, "the edge stand-in fails too: {:?}", v.symptom);
    let f = &v.findings[0];
    assert!(f.observed, "the 502 through the edge is part of the evidence");
    assert!(f.evidence.iter().any(|e| e.source == cf_origin_doctor::checks::Source::Probe));
    assert!(f.evidence.iter().any(|e| e.source == cf_origin_doctor::checks::Source::Config), "{f:#?}");
    assert!(f.resources.iter().any(|r| r.kind == "origin"));
    // The TLS observations were recorded for the origin's name, the viewer names and no SNI.
    let tls = &d.evidence.observations.tls;
    let alb = lab.alb.dns_name.to_ascii_lowercase();
    assert!(tls.iter().any(|t| t.sni.as_deref() == Some(alb.as_str())), "{tls:#?}");
    assert!(tls.iter().any(|t| t.sni.is_none()));
    (lab, d)
}

async fn assert_passes(scenario: Scenario) {
    let (_lab, d) = diagnose(scenario).await;
    let v = &d.verdict;
    assert_eq!(v.status, Status::Pass, "{scenario:?}: {:#?}", v.findings);
    assert_eq!(v.primary, None);
    let t = d.evidence.observations.tls.first().expect("TLS observed");
    assert!(t.established().is_some(), "{t:#?}");
    assert!(t.name_check.as_ref().is_some_and(|n| n.matches));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_mismatch_on_the_origin_domain_is_the_primary_cause() {
    let d = assert_primary(Scenario::TlsNameMismatchOriginDomain, "origin-cert-name-mismatch-origin-domain").await;
    assert!(d.verdict.summary.contains("app.example.com"), "{}", d.verdict.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_origin_certificate_is_the_primary_cause() {
    assert_primary(Scenario::TlsUntrusted, "origin-cert-untrusted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_origin_certificate_is_the_primary_cause() {
    assert_primary(Scenario::TlsExpired, "origin-cert-expired-or-not-yet-valid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_intermediate_is_the_primary_cause_and_the_full_chain_passes() {
    assert_primary(Scenario::TlsIncompleteChain, "origin-chain-incomplete-or-misordered").await;
    assert_passes(Scenario::TlsFullChain).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls13_only_origin_is_the_primary_cause() {
    assert_primary(Scenario::Tls13Only, "origin-tls-protocol-mismatch").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chacha_only_origin_is_a_cipher_mismatch_and_its_gcm_twin_passes() {
    let d = assert_primary(Scenario::TlsCipherMismatch, "origin-tls-cipher-curve-sigalg-mismatch").await;
    let t = &d.evidence.observations.tls[0];
    assert_eq!(t.failure().and_then(|f| f.alert.as_deref()), Some("HandshakeFailure"), "{t:#?}");
    assert!(d.verdict.findings[0].summary.contains("CHACHA20"), "{}", d.verdict.findings[0].summary);
    assert_passes(Scenario::TlsCipherMismatchFixed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls10_only_origin_with_tls12_configured_is_a_protocol_mismatch() {
    let d = assert_primary(Scenario::Tls10Only, "origin-tls-protocol-mismatch").await;
    let f = &d.verdict.findings[0];
    assert!(f.summary.contains("speaks only TLSv1,"), "{}", f.summary);
    assert!(f.remediation.summary.contains("Enable TLS 1.2"), "{:?}", f.remediation);
    assert!(
        !d.verdict.findings.iter().any(|f| f.id == "origin-tls-cipher-curve-sigalg-mismatch"),
        "{:#?}",
        d.verdict.findings
    );
    // The chain came from the raw hello, so the certificate checks still ran on it.
    let t = &d.evidence.observations.tls[0];
    assert!(!t.chain.is_empty() && t.name_check.is_some(), "{t:#?}");

    // Report v1 carries the DNS, TCP and TLS observations, and matches its schema.
    let report = ReportV1::build(&d.evidence, &d.verdict);
    let json = serde_json::to_value(&report).expect("report JSON");
    lab::assert_schema_valid(&json);
    let obs = &json["observations"];
    assert!(obs["dns"].as_array().is_some_and(|a| !a.is_empty()), "{obs:#}");
    assert!(obs["tcp"].as_array().is_some_and(|a| a.iter().any(|t| t["outcome"] == "connected")), "{obs:#}");
    let tls = obs["tls"].as_array().expect("tls observations");
    let first = tls.iter().find(|t| t["sni"].is_string()).expect("a TLS observation with SNI");
    assert_eq!(first["result"]["failure"], "incompatible");
    assert_eq!(first["hellos"][0]["result"]["version"], "TLSv1");
    assert_eq!(first["offered_cipher_suites"].as_array().map(Vec::len), Some(16));
    assert_eq!(first["chain_validation"], "trusted");
    let text = render_markdown(&report);
    assert!(text.contains("CloudFront's hello [TLSv1.2]: failed: the server chose TLSv1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls10_only_origin_allowed_by_origin_ssl_protocols_works_and_the_probes_limit_is_no_failure() {
    use cf_origin_doctor::checks::Severity;
    use cf_origin_doctor::evidence::{HopResult, ProbeStage, ProbeTarget, Scheme};
    let (lab, d) = diagnose(Scenario::Tls10OnlyAllowed).await;
    let v = &d.verdict;

    // CloudFront (the edge stand-in, through openssl s_client) reaches the TLS 1.0 origin: the
    // page it relays is `openssl s_server -www`'s account of that very session.
    assert!(!v.symptom.failing, "{:?}", v.symptom);
    let edge = d.evidence.observations.edge_probes().find(|p| p.first_response().is_some()).expect("an edge answer");
    let page = edge.first_response().expect("edge response");
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body_sample.contains("New, TLSv1.0, Cipher is ECDHE-ECDSA-AES128-SHA"), "{}", page.body_sample);

    // CloudFront's raw hello gets TLS 1.0 with a CBC suite, which OriginSslProtocols allows.
    let alb = lab.alb.dns_name.to_ascii_lowercase();
    let t = d.evidence.observations.tls.iter().find(|t| t.sni.as_deref() == Some(alb.as_str())).expect("TLS observed");
    let e = t.established().expect("CloudFront's hello succeeds");
    assert_eq!((e.version.as_str(), e.cipher_suite.as_str()), ("TLSv1", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"));

    // The HTTPS probes straight to the origin (rustls) could not speak it: recorded as not
    // observed, with what and why, never as a TLS failure.
    let https_origin = |p: &&cf_origin_doctor::evidence::ProbeRecord| {
        matches!(&p.target, ProbeTarget::Origin { scheme: Scheme::Https, .. })
    };
    let origin_probes: Vec<_> = d.evidence.observations.probes.iter().filter(https_origin).collect();
    assert!(!origin_probes.is_empty());
    for p in &origin_probes {
        let HopResult::Error(err) = &p.hops[0].result else { panic!("rustls cannot speak TLS 1.0: {p:#?}") };
        assert_eq!(err.stage, ProbeStage::TlsNotSpokenByProbe, "{err:?}");
        assert!(
            err.message.starts_with("HTTP over TLSv1 with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA not observed: this probe's TLS stack speaks TLS 1.2+ with AEAD suites; CloudFront's own handshake succeeds"),
            "{}",
            err.message
        );
    }

    // The verdict: no cause claimed, the latent TLSv1 risk as a warning, the gap named once.
    assert_eq!(v.primary, None, "{:#?}", v.findings);
    assert_eq!(v.status, Status::Warn, "{:#?}", v.findings);
    assert!(v.findings.iter().all(|f| f.severity <= Severity::Low), "{:#?}", v.findings);
    let risk = v.findings.iter().find(|f| f.id == "origin-tls-protocol-mismatch").expect("the latent TLSv1 warning");
    assert_eq!(risk.severity, Severity::Low);
    let gaps: Vec<_> = v.unverified.iter().filter(|u| u.what.contains("not observed")).collect();
    assert_eq!(gaps.len(), 1, "{:#?}", v.unverified);
    let expected = "HTTP over TLSv1 with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA straight to origin";
    assert!(gaps[0].what.starts_with(expected) && gaps[0].what.ends_with("not observed"), "{:?}", gaps[0]);
    assert!(gaps[0].reason.contains("TLS 1.2+ with AEAD suites"), "{:?}", gaps[0]);
    assert!(
        v.unverified.iter().all(|u| !u.reason.contains("ProtocolVersion") || u.what.contains("not observed")),
        "no other check reports the probe's own handshake as the origin's: {:#?}",
        v.unverified
    );

    let report = ReportV1::build(&d.evidence, v);
    let json = serde_json::to_value(&report).expect("report JSON");
    lab::assert_schema_valid(&json);
    assert_eq!(json["status"], "warn");
    let stages: Vec<&serde_json::Value> = json["observations"]["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .flat_map(|p| p["hops"].as_array().into_iter().flatten())
        .map(|h| &h["error_stage"])
        .collect();
    assert!(stages.iter().any(|s| *s == "tls_not_spoken_by_probe"), "{stages:?}");
    assert!(!stages.iter().any(|s| *s == "tls"), "{stages:?}");
    assert!(
        json["unverified"]
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["what"].as_str().is_some_and(|w| w.contains("not observed"))))
    );
}

#[test]
fn the_edge_offers_openssl_exactly_the_listed_versions() {
    use lab::openssl_client::{needed, protocol_args};
    let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(needed(&v(&["TLSv1", "TLSv1.2"])) && !needed(&v(&["TLSv1.2"])));
    assert_eq!(
        protocol_args(&v(&["TLSv1", "TLSv1.2"])),
        Some(v(&["-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2", "-no_tls1_1"]))
    );
    assert_eq!(protocol_args(&v(&["TLSv1.1"])), Some(v(&["-min_protocol", "TLSv1.1", "-max_protocol", "TLSv1.1"])));
    assert_eq!(protocol_args(&v(&["SSLv3"])), None, "OpenSSL 3 cannot offer SSLv3");
}

/// What the edge stand-in's legacy client gets from a TLS 1.0-only origin: the page when the
/// listed versions and the name allow it, nothing (and a failed `s_client`) otherwise.
async fn legacy_exchange(protocols: &[&str], sni: &str) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ca = lab::pki::TestCa::new();
    let origin = lab::openssl_origin::start(&ca.leaf(&["origin.lab.example"]), lab::openssl_origin::TLS10_ONLY);
    let roots = tempfile::NamedTempFile::new().expect("roots");
    std::fs::write(roots.path(), ca.pem()).expect("write roots");
    let protocols: Vec<String> = protocols.iter().map(|s| s.to_string()).collect();
    let mut conn = lab::openssl_client::connect(origin.addr, sni, &protocols, roots.path()).expect("s_client");
    let request = format!("GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n");
    let _ = conn.io.write_all(request.as_bytes()).await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), conn.io.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "bounded: s_client ends when the origin closes or the handshake fails");
    let status = tokio::time::timeout(std::time::Duration::from_secs(5), conn.child.wait()).await;
    (String::from_utf8_lossy(&out).into_owned(), matches!(status, Ok(Ok(s)) if s.success()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edges_legacy_client_reaches_tls10_only_when_allowed_and_checks_the_name() {
    let (page, ok) = legacy_exchange(&["TLSv1", "TLSv1.2"], "origin.lab.example").await;
    assert!(ok && page.starts_with("HTTP/1.0 200 ok"), "{page}");
    assert!(page.contains("New, TLSv1.0, Cipher is ECDHE-ECDSA-AES128-SHA"), "{page}");
    // TLSv1.1 alone is not what the origin speaks: no answer, as CloudFront gets none.
    let (page, ok) = legacy_exchange(&["TLSv1.1"], "origin.lab.example").await;
    assert!(!ok && page.is_empty(), "{page}");
    // The certificate must cover the SNI (the Host CloudFront sends).
    let (page, ok) = legacy_exchange(&["TLSv1"], "other.lab.example").await;
    assert!(!ok && page.is_empty(), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_twin_passes_with_tls_observed() {
    assert_passes(Scenario::Healthy).await;
}

/// The origin requests that came from the edge stand-in (CloudFront), not from the prober.
fn edge_requests(lab: &Lab) -> Vec<lab::server::Request> {
    lab.origins
        .iter()
        .flat_map(|(_, o)| o.log.lock().unwrap().clone())
        .filter(|q| q.header("x-amz-cf-id").is_some_and(|id| id.starts_with("LAB")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misordered_intermediates_are_the_primary_cause_and_the_ordered_chain_passes() {
    let (lab, d) = primary(Scenario::TlsMisorderedChain, "origin-chain-incomplete-or-misordered").await;
    let f = &d.verdict.findings[0];
    assert!(f.summary.contains("out-of-order"), "{}", f.summary);
    assert!(
        f.evidence.iter().any(|e| e.source == cf_origin_doctor::checks::Source::Probe
            && e.observed.contains("Lab Root-side Intermediate CA"))
    );
    // Every certificate is there and a path exists: only the order is wrong, and the probe says so.
    let t = d.evidence.observations.tls.first().expect("TLS observed");
    assert_eq!(t.chain.len(), 3, "{t:#?}");
    let check = t.chain_check.as_ref().expect("chain checked");
    assert!(!check.in_order);
    assert_eq!(check.validation, cf_origin_doctor::evidence::ChainValidation::Trusted);
    assert!(edge_requests(&lab).is_empty(), "CloudFront drops the connection before any request");
    drop(lab);

    // The twin: the same two intermediates served in issuing order; the edge gets through.
    let (lab, d) = diagnose(Scenario::TlsFullChain).await;
    assert_eq!(d.verdict.status, Status::Pass, "{:#?}", d.verdict.findings);
    let t = d.evidence.observations.tls.first().expect("TLS observed");
    assert_eq!(t.chain.len(), 3);
    assert!(t.chain_check.as_ref().is_some_and(|c| c.in_order));
    assert!(!edge_requests(&lab).is_empty(), "the edge reached the origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_host_outside_the_origin_certificate_is_the_primary_cause() {
    let (lab, d) = primary(Scenario::TlsForwardedHostMismatch, "origin-cert-name-mismatch-forwarded-host").await;
    let v = &d.verdict;
    let alias = lab.alias.clone().expect("alias");
    let f = &v.findings[0];
    assert!(f.summary.contains(&alias), "{}", f.summary);
    use cf_origin_doctor::checks::Source;
    assert!(f.evidence.iter().any(|e| e.source == Source::Config && e.observed.contains("Host is forwarded")));
    assert!(f.evidence.iter().any(|e| e.source == Source::Probe));
    assert!(f.remediation.summary.contains("AllViewerExceptHostHeader"));
    // The certificate is right for the origin's own name: that check stays quiet.
    assert!(v.findings.iter().all(|f| f.id != "origin-cert-name-mismatch-origin-domain"), "{:#?}", v.findings);
    let tls = &d.evidence.observations.tls;
    assert!(
        tls.iter()
            .any(|t| t.sni.as_deref() == Some(alias.as_str()) && t.name_check.as_ref().is_some_and(|n| !n.matches)),
        "{tls:#?}"
    );
    assert!(edge_requests(&lab).is_empty(), "CloudFront's handshake with SNI = the alias fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_forwarding_host_passes_and_the_edge_sends_the_origin_name_as_sni() {
    let (lab, d) = diagnose(Scenario::TlsForwardedHostNotForwarded).await;
    assert_eq!(d.verdict.status, Status::Pass, "{:#?}", d.verdict.findings);
    assert_eq!(d.verdict.primary, None);
    let alb = lab.alb.dns_name.to_ascii_lowercase();
    let reqs = edge_requests(&lab);
    assert!(!reqs.is_empty());
    for q in &reqs {
        assert_eq!(q.sni.as_deref(), Some(alb.as_str()));
        assert_eq!(q.host(), alb);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_host_on_the_certificate_passes_and_the_edge_sends_it_as_sni() {
    let (lab, d) = diagnose(Scenario::TlsForwardedHostCovered).await;
    assert_eq!(d.verdict.status, Status::Pass, "{:#?}", d.verdict.findings);
    let alias = lab.alias.clone().expect("alias");
    let reqs = edge_requests(&lab);
    // Like CloudFront, the edge sends the Host it forwards as SNI, for each viewer hostname.
    for name in [alias.as_str(), lab.domain_name.as_str()] {
        assert!(
            reqs.iter().any(|q| q.sni.as_deref() == Some(name) && q.host() == name),
            "no edge request with SNI and Host {name}: {:?}",
            reqs.iter().map(|q| (q.sni.clone(), q.host())).collect::<Vec<_>>()
        );
    }
    assert!(reqs.iter().all(|q| q.sni.as_deref() == Some(q.host().as_str())));
}
