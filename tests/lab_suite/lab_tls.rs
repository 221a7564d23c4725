//! TLS probe tests: real TLS servers on loopback with real misbehaviours, probed as CloudFront
//! offers its hello, each asserting the recorded observation.

use cf_origin_doctor::evidence::{
    ChainEnd, ChainError, ChainValidation, SniRole, TlsEstablished, TlsFailureKind, TlsHandshakeResult, TlsObservation,
};
use cf_origin_doctor::plan_tls::PlannedTls;
use cf_origin_doctor::probe::tls_scan;
use cf_origin_doctor::request::{ConnectTo, ProbeLimits, ProbeSettings};
use lab::openssl_origin;
use lab::pki::{self, TestCa, Validity};
use lab::server::{self, Response};
use lab::tls_origin::{self, TlsSetup};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

const HOST: &str = "origin.lab.example";

fn settings(ca: &TestCa, addr: SocketAddr) -> ProbeSettings {
    ProbeSettings {
        connect_to: vec![ConnectTo { host: HOST.into(), port: 443, target: addr }],
        extra_roots_pem: Some(ca.pem().into_bytes()),
        allow_private_targets: true,
        limits: ProbeLimits {
            connect_timeout: Duration::from_secs(2),
            tls_timeout: Duration::from_secs(2),
            phase_budget: Duration::from_secs(10),
            ..ProbeLimits::default()
        },
        dns_server: None,
    }
}

fn planned(sni: Option<&str>, protocols: &[&str]) -> PlannedTls {
    PlannedTls {
        id: format!("tls:o1:443:{}", sni.unwrap_or("no-sni")),
        origin_id: "o1".into(),
        host: HOST.into(),
        port: 443,
        sni: sni.map(str::to_string),
        role: if sni.is_some() { SniRole::OriginDomain } else { SniRole::NoSni },
        cloudfront_sends: Some(sni.is_some()),
        behaviors: vec!["default (*)".into()],
        ssl_protocols: protocols.iter().map(|s| s.to_string()).collect(),
    }
}

fn ok_handler() -> server::Handler {
    server::handler(|_| Response::new(200, "OK").body("hello"))
}

/// Starts an origin with this TLS setup and probes it with these plans.
async fn probe(ca: &TestCa, setup: &TlsSetup, plans: &[PlannedTls]) -> Vec<TlsObservation> {
    let srv = tls_origin::start(setup, ok_handler()).await;
    let s = settings(ca, srv.addr);
    tls_scan::run(plans, &s, Instant::now() + s.limits.phase_budget).await
}

async fn probe_one(ca: &TestCa, setup: &TlsSetup) -> TlsObservation {
    probe(ca, setup, &[planned(Some(HOST), &["TLSv1.2"])]).await.remove(0)
}

fn validation_error(o: &TlsObservation) -> Option<ChainError> {
    match &o.chain_check.as_ref()?.validation {
        ChainValidation::Trusted => None,
        ChainValidation::Failed { error, .. } => Some(*error),
    }
}

#[tokio::test]
async fn a_valid_full_chain_is_recorded_with_every_certificate_detail() {
    let ca = TestCa::new();
    let leaf = ca.intermediate("Lab Intermediate CA").leaf(&[HOST]);
    let o = probe_one(&ca, &TlsSetup::Standard(leaf)).await;
    let TlsHandshakeResult::Established(e) = &o.result else { panic!("{:?}", o.result) };
    assert_eq!(e.version, "TLSv1.2", "CloudFront's hello is TLS 1.2 only");
    assert!(o.offered.cipher_suites.contains(&e.cipher_suite), "{e:?}");
    assert!(e.full_handshake, "a GCM suite: rustls completes the handshake");
    assert_eq!(o.offered.cipher_suites.len(), 16, "CloudFront's whole list, CBC, 3DES and RC4 included");
    assert!(o.offered.cipher_suites.iter().any(|s| s == "TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
    assert_eq!(o.hellos.len(), 1, "one raw hello: CloudFront's");
    assert!(o.hellos[0].result.is_established());
    assert_eq!(o.chain.len(), 2);
    assert_eq!(o.chain[0].dns_names, vec![HOST.to_string()]);
    assert!(o.chain[0].issuer.contains("Lab Intermediate CA"));
    assert!(o.chain[1].is_ca && !o.chain[0].is_ca);
    assert_eq!(o.chain[0].key_type, "EC");
    assert_eq!(o.chain[0].key_bits, Some(256));
    assert_eq!(o.chain[0].signature_algorithm, "ecdsa-with-SHA256");
    assert!(o.chain[0].not_before_unix < o.chain[0].not_after_unix);
    let check = o.chain_check.as_ref().unwrap();
    assert_eq!(check.validation, ChainValidation::Trusted);
    assert!(check.in_order);
    assert_eq!(check.ends, ChainEnd::IssuedByTrustedRoot);
    assert!(check.trusted_only_by_extra_anchor, "the lab CA is a --ca-file anchor, not a Mozilla root");
    assert!(o.name_check.as_ref().unwrap().matches);
    assert!(!o.client_certificate_requested);
    assert!(o.fallback.is_none());
    assert!(o.address_from_override);
}

#[tokio::test]
async fn self_signed_expired_and_wrong_name_are_each_recorded() {
    let ca = TestCa::new();
    let o = probe_one(&ca, &TlsSetup::Standard(pki::self_signed(&[HOST]))).await;
    assert!(o.established().is_some(), "the capturing verifier completes the handshake");
    assert_eq!(validation_error(&o), Some(ChainError::UnknownIssuer));
    assert_eq!(o.chain_check.as_ref().unwrap().ends, ChainEnd::SelfSignedUntrusted);
    assert!(o.chain[0].self_issued);

    let o = probe_one(&ca, &TlsSetup::Standard(ca.leaf_with(&[HOST], Validity::Expired))).await;
    assert_eq!(validation_error(&o), Some(ChainError::Expired));
    assert!(o.chain[0].not_after_unix < 1_600_000_000);

    let o = probe_one(&ca, &TlsSetup::Standard(ca.leaf_with(&["app.example.com"], Validity::Now))).await;
    assert_eq!(validation_error(&o), None, "trusted, only the name is wrong");
    let n = o.name_check.as_ref().unwrap();
    assert_eq!(n.name, HOST);
    assert!(!n.matches);
}

#[tokio::test]
async fn missing_and_misordered_intermediates_are_told_apart() {
    let ca = TestCa::new();
    let inter = ca.intermediate("Lab Intermediate CA");
    let o = probe_one(&ca, &TlsSetup::Standard(inter.leaf(&[HOST]).without_intermediates())).await;
    assert_eq!(o.chain.len(), 1);
    assert_eq!(validation_error(&o), Some(ChainError::UnknownIssuer));
    assert_eq!(o.chain_check.as_ref().unwrap().ends, ChainEnd::IssuerMissing);

    let o = probe_one(&ca, &TlsSetup::Standard(inter.leaf(&[HOST]).misordered(&ca))).await;
    assert_eq!(o.chain.len(), 3);
    let check = o.chain_check.as_ref().unwrap();
    assert!(!check.in_order);
    assert_eq!(check.validation, ChainValidation::Trusted, "all certificates are there");
}

#[tokio::test]
async fn tls13_only_and_chacha_only_origins_explain_the_failed_hello() {
    let ca = TestCa::new();
    let o = probe_one(&ca, &TlsSetup::Tls13Only(ca.leaf(&[HOST]))).await;
    let f = o.failure().expect("CloudFront's TLS 1.2 hello fails");
    assert_eq!(f.kind, TlsFailureKind::Alert, "{f:?}");
    let fb = o.fallback.as_ref().expect("fallback handshakes");
    assert!(fb.speaks_only_tls13(), "{fb:?}");
    assert_eq!(o.chain.len(), 1, "the chain comes from the TLS 1.3 handshake");
    assert!(o.name_check.as_ref().unwrap().matches);

    let o = probe_one(&ca, &TlsSetup::Chacha20Only(ca.leaf(&[HOST]))).await;
    let f = o.failure().expect("no suite in common");
    assert_eq!((f.kind, f.alert.as_deref()), (TlsFailureKind::Alert, Some("HandshakeFailure")), "{f:?}");
    let fb = o.fallback.as_ref().unwrap();
    let TlsHandshakeResult::Established(e) = &fb.tls12_any_suite else { panic!("{fb:?}") };
    assert!(e.cipher_suite.contains("CHACHA20"), "{e:?}");
    assert!(!fb.speaks_only_tls13());
}

#[tokio::test]
async fn a_required_client_certificate_is_recorded() {
    let ca = TestCa::new();
    let o = probe_one(&ca, &TlsSetup::ClientCertRequired(ca.leaf(&[HOST]), ca.pem())).await;
    assert!(o.client_certificate_requested);
    assert!(o.failure().is_some(), "no certificate was presented: {:?}", o.result);
    assert!(!o.chain.is_empty());
}

#[tokio::test]
async fn sni_dependent_default_certificate_shows_in_the_no_sni_handshake() {
    let ca = TestCa::new();
    let setup = TlsSetup::SniDependent {
        by_name: vec![("www.example.com".into(), ca.leaf(&["www.example.com"]))],
        default: ca.leaf(&["default.example.net"]),
    };
    let obs = probe(
        &ca,
        &setup,
        &[
            planned(Some(HOST), &["TLSv1.2"]),
            planned(Some("www.example.com"), &["TLSv1.2"]),
            planned(None, &["TLSv1.2"]),
        ],
    )
    .await;
    assert_eq!(obs[0].chain[0].dns_names, vec!["default.example.net".to_string()]);
    assert!(!obs[0].name_check.as_ref().unwrap().matches);
    assert_eq!(obs[1].chain[0].dns_names, vec!["www.example.com".to_string()]);
    assert!(obs[1].name_check.as_ref().unwrap().matches);
    assert_eq!(obs[2].sni, None);
    assert_eq!(obs[2].chain[0].sha256, obs[0].chain[0].sha256, "no SNI gets the default certificate");
    assert_eq!(obs[2].name_check.as_ref().unwrap().name, HOST, "no SNI is checked against the origin name");
}

#[tokio::test]
async fn plain_http_refused_port_private_address_and_budget() {
    let ca = TestCa::new();
    let plain = server::start(None, ok_handler()).await;
    let s = settings(&ca, plain.addr);
    let o = tls_scan::run(&[planned(Some(HOST), &["TLSv1.2"])], &s, Instant::now() + Duration::from_secs(5))
        .await
        .remove(0);
    let f = o.failure().expect("not TLS");
    assert_eq!(f.kind, TlsFailureKind::NotTls, "{f:?}");
    assert!(f.message.contains("HTTP/1.1 400"), "the answer's start is recorded: {f:?}");
    assert!(o.fallback.is_none(), "not TLS at all: no point in other hellos");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let s = settings(&ca, closed);
    let o = tls_scan::run(&[planned(Some(HOST), &["TLSv1.2"])], &s, Instant::now() + Duration::from_secs(5))
        .await
        .remove(0);
    assert_eq!(o.failure().map(|f| f.kind), Some(TlsFailureKind::Connect), "{:?}", o.result);

    let mut s = settings(&ca, plain.addr);
    s.allow_private_targets = false;
    let o = tls_scan::run(&[planned(Some(HOST), &["TLSv1.2"])], &s, Instant::now() + Duration::from_secs(5))
        .await
        .remove(0);
    assert_eq!(o.failure().map(|f| f.kind), Some(TlsFailureKind::Refused));
    assert!(o.address.is_none());

    let s = settings(&ca, plain.addr);
    let o = tls_scan::run(&[planned(Some(HOST), &["TLSv1.2"])], &s, Instant::now()).await.remove(0);
    assert_eq!(o.failure().map(|f| f.kind), Some(TlsFailureKind::Budget));
}

#[tokio::test]
async fn only_old_protocols_configured_toward_a_tls12_origin_is_a_version_refusal() {
    let ca = TestCa::new();
    let srv = tls_origin::start(&TlsSetup::Standard(ca.leaf(&[HOST])), ok_handler()).await;
    let s = settings(&ca, srv.addr);
    let o = tls_scan::run(&[planned(Some(HOST), &["TLSv1", "TLSv1.1"])], &s, Instant::now() + Duration::from_secs(5))
        .await
        .remove(0);
    let f = o.failure().expect("a TLS 1.2+ origin refuses CloudFront's TLS 1.1 hello");
    assert_eq!(f.kind, TlsFailureKind::Alert, "rustls answers an old version with a fatal alert: {f:?}");
    assert_eq!(o.offered.versions, vec!["TLSv1.1".to_string(), "TLSv1".to_string()]);
    assert!(o.offered.signature_schemes.is_empty(), "no signature_algorithms before TLS 1.2");
    let seen: Vec<(&str, bool, bool)> =
        o.hellos.iter().map(|h| (h.version.as_str(), h.allowed, h.result.is_established())).collect();
    assert_eq!(seen, vec![("TLSv1.1", true, false), ("TLSv1", true, false), ("TLSv1.2", false, true)]);
    assert_eq!(o.versions_spoken()[0], "TLSv1.2");
    assert!(o.fallback.as_ref().unwrap().tls12_any_suite.is_established());
    assert_eq!(o.chain.len(), 1);
}

fn established(o: &TlsObservation) -> &TlsEstablished {
    match &o.result {
        TlsHandshakeResult::Established(e) => e,
        TlsHandshakeResult::Failed(f) => panic!("CloudFront's hello failed: {f:?}"),
    }
}

#[tokio::test]
async fn a_tls10_only_origin_is_reached_when_allowed_and_refused_when_not_with_its_chain_captured() {
    let ca = TestCa::new();
    let leaf = ca.intermediate("Lab Intermediate CA").leaf(&[HOST]);
    let srv = openssl_origin::start(&leaf, openssl_origin::TLS10_ONLY);
    let s = settings(&ca, srv.addr);
    let deadline = Instant::now() + Duration::from_secs(8);
    let obs =
        tls_scan::run(&[planned(Some(HOST), &["TLSv1", "TLSv1.2"]), planned(Some(HOST), &["TLSv1.2"])], &s, deadline)
            .await;

    // Allowed: CloudFront's TLS 1.2 hello gets TLS 1.0 with a CBC suite, which it accepts.
    let o = &obs[0];
    let e = established(o);
    assert_eq!(e.version, "TLSv1");
    assert_eq!(e.cipher_suite, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
    assert_eq!(e.group.as_deref(), Some("secp256r1"));
    assert!(!e.full_handshake, "the probe stops after the server's hello");
    assert!(o.fallback.is_none());
    assert_eq!(o.hellos.iter().map(|h| h.version.as_str()).collect::<Vec<_>>(), vec!["TLSv1.2", "TLSv1"]);
    assert!(o.hellos.iter().all(|h| h.allowed && h.result.is_established()));
    // The chain, read from the plaintext Certificate message.
    assert_eq!(o.chain.len(), 2);
    assert!(o.chain[0].dns_names.contains(&HOST.to_string()));
    assert!(o.chain[1].is_ca);
    assert_eq!(o.chain_check.as_ref().unwrap().validation, ChainValidation::Trusted);
    assert!(o.chain_check.as_ref().unwrap().in_order);
    assert!(o.name_check.as_ref().unwrap().matches);

    // Not allowed: the same answer is a failure for CloudFront, and the version is named.
    let o = &obs[1];
    let f = o.failure().expect("TLSv1 is not in OriginSslProtocols");
    assert_eq!(f.kind, TlsFailureKind::Incompatible, "{f:?}");
    assert!(f.message.contains("chose TLSv1 "), "{f:?}");
    assert_eq!(o.versions_spoken(), vec!["TLSv1".to_string()]);
    let outside: Vec<&str> = o.hellos.iter().filter(|h| !h.allowed).map(|h| h.version.as_str()).collect();
    assert_eq!(outside, vec!["TLSv1.1", "TLSv1"]);
    let fb = o.fallback.as_ref().expect("wider hellos");
    assert!(!fb.tls12_any_suite.is_established() && !fb.tls13.is_established());
    assert_eq!(o.chain.len(), 2, "the chain is captured even though CloudFront would refuse");
}

#[tokio::test]
async fn a_tls12_origin_with_only_cbc_suites_gets_cloudfronts_hello() {
    let ca = TestCa::new();
    let srv = openssl_origin::start(&ca.leaf(&[HOST]), openssl_origin::TLS12_CBC_ONLY);
    let s = settings(&ca, srv.addr);
    let o = tls_scan::run(&[planned(Some(HOST), &["TLSv1.2"])], &s, Instant::now() + Duration::from_secs(5))
        .await
        .remove(0);
    let e = established(&o);
    assert_eq!(e.version, "TLSv1.2");
    assert!(e.cipher_suite.starts_with("TLS_ECDHE_ECDSA_WITH_AES_") && e.cipher_suite.contains("_CBC_"), "{e:?}");
    assert!(!e.full_handshake);
    assert!(o.fallback.is_none());
    assert!(!o.client_certificate_requested);
    assert_eq!(o.chain.len(), 1);
    assert!(o.name_check.as_ref().unwrap().matches);
}
