//! TLS probes toward each HTTPS origin, offering CloudFront's exact hello, recording the
//! negotiation, the presented chain and the verdicts on it (trust, order, names).
//!
//! CloudFront's hello is sent by [`super::tls_hello`], a raw ClientHello prober, not by a TLS
//! library: rustls (the project's only TLS stack) cannot offer SSLv3/TLS 1.0/1.1, the CBC, 3DES
//! and RC4 suites or SHA-1 signatures that CloudFront still offers origins, and adding a second
//! TLS stack (the `openssl` crate) would bring a C library into the arm64 Lambda build and a
//! second stack to audit. The raw hello reads the server's plaintext first flight, so it tells
//! what CloudFront would get for any version and suite, and captures the chain, without a key
//! exchange.
//!
//! Semantics (one observation per origin, port and SNI):
//! - CloudFront's hello offers the highest version in `OriginSslProtocols` (SSLv3 alone when
//!   SSLv3 is listed: CloudFront then sends only SSLv3 handshakes, per AWS "Supported protocols
//!   and ciphers between CloudFront and the origin"). The server
//!   picks a version up to it; a version CloudFront does not allow, or a suite it did not offer,
//!   is a failure (`Incompatible`), as it is for CloudFront. That judged outcome is `result`.
//! - Each lower version CloudFront allows gets a hello of its own (`hellos`, `allowed: true`),
//!   to show which of them the origin still accepts. No version fallback is implied: CloudFront,
//!   like any current client, sends one hello.
//! - When CloudFront's hello reached TLS 1.2 with a GCM suite, rustls completes the handshake
//!   with CloudFront's GCM suites, curves and signatures (`full_handshake`), which proves the
//!   server finishes it (a required client certificate shows here). Other suites stop after the
//!   server's first flight.
//! - When CloudFront's hello fails after TLS started, wider hellos explain it: raw hellos at the
//!   versions `OriginSslProtocols` leaves out (`allowed: false`), and rustls with TLS 1.2 and
//!   every suite it has (CHACHA20 included) and with TLS 1.3 alone (a TLS 1.3-only origin).
//!
//! The chain comes from the raw hello's Certificate message (or a fallback handshake) and is
//! validated here with webpki against Mozilla's roots plus the `--ca-file` anchors, without
//! fetching anything.

// Parses what an origin (or a caller) sends: no arithmetic that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

use super::target;
use super::tls_hello::{self, Exchange, HelloAnswer, HelloVersion};
use crate::evidence::{
    CertificateInfo, ChainCheck, ChainEnd, ChainError, ChainValidation, MAX_CHAIN_CERTIFICATES, MAX_LIST_ITEMS,
    NameCheck, TlsEstablished, TlsFailure, TlsFailureKind, TlsFallback, TlsHandshakeResult, TlsObservation, TlsOffer,
    VersionHello, bounded_list, bounded_text,
};
use crate::plan_tls::PlannedTls;
use crate::request::ProbeSettings;
use futures_util::future::join_all;
use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::ring as provider;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::time::{Instant as TokioInstant, timeout};

/// Trust anchors: Mozilla's roots (webpki-roots) and the `--ca-file` ones, kept apart so an
/// observation can say which one made a chain valid.
pub struct Anchors {
    mozilla: Vec<TrustAnchor<'static>>,
    extra: Vec<TrustAnchor<'static>>,
}

impl Anchors {
    pub fn new(extra_pem: Option<&[u8]>) -> Anchors {
        let mut extra = Vec::new();
        if let Some(pem) = extra_pem {
            // Bad PEM is already refused when the engine builds its TLS configuration.
            for der in CertificateDer::pem_slice_iter(pem).flatten() {
                if let Ok(a) = webpki::anchor_from_trusted_cert(&der) {
                    extra.push(a.to_owned());
                }
            }
        }
        Anchors { mozilla: webpki_roots::TLS_SERVER_ROOTS.to_vec(), extra }
    }

    fn all(&self) -> Vec<TrustAnchor<'static>> {
        self.mozilla.iter().chain(&self.extra).cloned().collect()
    }
}

/// Runs every planned TLS probe concurrently within the phase deadline.
pub async fn run(plan: &[PlannedTls], settings: &ProbeSettings, deadline: TokioInstant) -> Vec<TlsObservation> {
    let anchors = Anchors::new(settings.extra_roots_pem.as_deref());
    join_all(plan.iter().map(|p| probe_one(p, settings, &anchors, deadline))).await
}

/// What one handshake produced.
struct Attempt {
    result: TlsHandshakeResult,
    /// At most [`MAX_CHAIN_CERTIFICATES`]; `chain_dropped` counts those left out.
    chain: Vec<CertificateDer<'static>>,
    chain_dropped: u64,
    client_cert_requested: bool,
    millis: Option<u64>,
}

#[derive(Clone, Copy)]
enum Hello {
    /// CloudFront's GCM suites, curves and PKCS#1/ECDSA signatures, TLS 1.2: completes the
    /// handshake that the raw hello stops after the server's first flight.
    CloudFront,
    /// TLS 1.2 with every suite rustls has.
    Tls12Any,
    /// TLS 1.3 only.
    Tls13,
}

fn cloudfront_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: vec![
            provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        kx_groups: vec![provider::kx_group::X25519, provider::kx_group::SECP256R1, provider::kx_group::SECP384R1],
        ..provider::default_provider()
    }
}

/// Signature schemes CloudFront offers that rustls can verify: PKCS#1 and ECDSA, no RSA-PSS.
fn cloudfront_schemes(algs: &WebPkiSupportedAlgorithms) -> Vec<SignatureScheme> {
    algs.supported_schemes()
        .into_iter()
        .filter(|s| {
            let n = format!("{s:?}");
            n.starts_with("RSA_PKCS1") || n.starts_with("ECDSA_")
        })
        .collect()
}

/// The versions CloudFront offers for these `OriginSslProtocols`, highest first, and the one
/// its hello carries (SSLv3 alone when SSLv3 is listed; otherwise the highest).
fn allowed_versions(ssl_protocols: &[String]) -> (Vec<HelloVersion>, Option<HelloVersion>) {
    let mut allowed: Vec<HelloVersion> = ssl_protocols.iter().filter_map(|v| HelloVersion::from_config(v)).collect();
    allowed.sort_unstable_by(|a, b| b.cmp(a));
    allowed.dedup();
    let first = if allowed.contains(&HelloVersion::Ssl3) { Some(HelloVersion::Ssl3) } else { allowed.first().copied() };
    (allowed, first)
}

/// CloudFront's hello as this probe sends it.
pub fn cloudfront_offer(ssl_protocols: &[String]) -> TlsOffer {
    let (allowed, first) = allowed_versions(ssl_protocols);
    let versions = match first {
        Some(HelloVersion::Ssl3) => vec![HelloVersion::Ssl3],
        _ => allowed,
    };
    let tls12 = versions.contains(&HelloVersion::Tls12);
    TlsOffer {
        versions: versions.iter().map(|v| v.config_name().to_string()).collect(),
        cipher_suites: tls_hello::CLOUDFRONT_SUITES.iter().map(|(_, n)| n.to_string()).collect(),
        groups: tls_hello::CLOUDFRONT_GROUPS.iter().map(|(_, n)| n.to_string()).collect(),
        // The extension exists from TLS 1.2 on; older hellos leave the choice to the server.
        signature_schemes: if tls12 {
            tls_hello::CLOUDFRONT_SIGNATURE_SCHEMES.iter().map(|(_, n)| n.to_string()).collect()
        } else {
            Vec::new()
        },
    }
}

/// rustls's names of CloudFront's GCM suites (the ones a full handshake can complete).
fn rustls_suite_names() -> Vec<String> {
    cloudfront_provider().cipher_suites.iter().map(|s| format!("{:?}", s.suite())).collect()
}

/// Whether the HTTP probes toward origins (rustls, TLS 1.2, CloudFront's GCM suites) can speak
/// what this negotiation chose: not TLS 1.0/1.1, nor a CBC, 3DES or RC4 suite.
pub fn http_probe_speaks(e: &TlsEstablished) -> bool {
    e.version == "TLSv1.2" && rustls_suite_names().contains(&e.cipher_suite)
}

async fn probe_one(
    p: &PlannedTls,
    settings: &ProbeSettings,
    anchors: &Anchors,
    deadline: TokioInstant,
) -> TlsObservation {
    let mut obs = TlsObservation {
        id: p.id.clone(),
        origin_id: p.origin_id.clone(),
        host: p.host.clone(),
        port: p.port,
        sni: p.sni.clone(),
        role: p.role,
        cloudfront_sends: p.cloudfront_sends,
        behaviors: p.behaviors.clone(),
        address: None,
        address_from_override: false,
        offered: cloudfront_offer(&p.ssl_protocols),
        result: TlsHandshakeResult::Failed(failure(TlsFailureKind::Other, "not run")),
        hellos: Vec::new(),
        client_certificate_requested: false,
        chain: Vec::new(),
        chain_dropped: 0,
        chain_check: None,
        name_check: None,
        fallback: None,
        handshake_ms: None,
    };
    let (addrs, from_override) =
        match target::resolve(&p.host, p.port, &target::Resolver::new(settings, deadline)).await {
            Ok(r) => r,
            Err(target::ResolveError::Dns(m)) => {
                obs.result = TlsHandshakeResult::Failed(failure(TlsFailureKind::Dns, &m));
                return obs;
            }
            Err(target::ResolveError::Refused(m)) => {
                obs.result = TlsHandshakeResult::Failed(failure(TlsFailureKind::Refused, &m));
                return obs;
            }
        };
    let Some(addr) = addrs.first().copied() else {
        obs.result = TlsHandshakeResult::Failed(failure(TlsFailureKind::Dns, "no address"));
        return obs;
    };
    obs.address = Some(addr.to_string());
    obs.address_from_override = from_override;

    let (allowed, first) = allowed_versions(&p.ssl_protocols);
    let Some(first) = first else {
        obs.result = TlsHandshakeResult::Failed(failure(
            TlsFailureKind::Other,
            &format!("OriginSslProtocols {:?} names no protocol CloudFront offers", p.ssl_protocols),
        ));
        return obs;
    };
    let sni = p.sni.as_deref();
    let cf = raw_hello(addr, sni, first, settings, deadline).await;
    obs.handshake_ms = cf.millis;
    obs.result = judge(&cf.result, &allowed);
    let mut chain = cf.chain;
    obs.chain_dropped = cf.chain_dropped;
    obs.client_certificate_requested = cf.client_cert_requested;
    obs.hellos.push(VersionHello { version: first.config_name().into(), allowed: true, result: cf.result });
    let reached_tls = match &obs.result {
        TlsHandshakeResult::Established(_) => true,
        TlsHandshakeResult::Failed(f) => !(f.kind.before_tls() || f.kind == TlsFailureKind::NotTls),
    };
    if !reached_tls {
        return finish(obs, chain, anchors, p);
    }

    // The lower versions CloudFront allows, and (when its hello failed) those it leaves out.
    let mut others: Vec<(HelloVersion, bool)> =
        if first == HelloVersion::Ssl3 { Vec::new() } else { allowed.iter().skip(1).map(|v| (*v, true)).collect() };
    let failed = !obs.result.is_established();
    if failed {
        for v in [HelloVersion::Tls12, HelloVersion::Tls11, HelloVersion::Tls10] {
            if !allowed.contains(&v) {
                others.push((v, false));
            }
        }
    }
    let full = match &obs.result {
        TlsHandshakeResult::Established(e) => e.version == "TLSv1.2" && rustls_suite_names().contains(&e.cipher_suite),
        TlsHandshakeResult::Failed(_) => false,
    };
    let (more, completed, fallback) = tokio::join!(
        join_all(others.iter().map(|(v, _)| raw_hello(addr, sni, *v, settings, deadline))),
        async { if full { Some(handshake(addr, sni, Hello::CloudFront, settings, deadline).await) } else { None } },
        async {
            if failed {
                Some(tokio::join!(
                    handshake(addr, sni, Hello::Tls12Any, settings, deadline),
                    handshake(addr, sni, Hello::Tls13, settings, deadline)
                ))
            } else {
                None
            }
        }
    );
    for ((v, is_allowed), a) in others.iter().zip(more) {
        obs.client_certificate_requested |= a.client_cert_requested;
        if chain.is_empty() {
            chain = a.chain;
            obs.chain_dropped = a.chain_dropped;
        }
        obs.hellos.push(VersionHello { version: v.config_name().into(), allowed: *is_allowed, result: a.result });
    }
    if let Some(a) = completed {
        obs.client_certificate_requested |= a.client_cert_requested;
        obs.handshake_ms = a.millis;
        obs.result = a.result;
    }
    if let Some((a12, a13)) = fallback {
        obs.client_certificate_requested |= a12.client_cert_requested || a13.client_cert_requested;
        if chain.is_empty() {
            let a = if !a12.chain.is_empty() { &a12 } else { &a13 };
            chain = a.chain.clone();
            obs.chain_dropped = a.chain_dropped;
        }
        obs.fallback = Some(TlsFallback { tls12_any_suite: a12.result, tls13: a13.result });
    }
    finish(obs, chain, anchors, p)
}

/// Adds the chain and the verdicts on it.
fn finish(
    mut obs: TlsObservation,
    chain: Vec<CertificateDer<'static>>,
    anchors: &Anchors,
    p: &PlannedTls,
) -> TlsObservation {
    if !chain.is_empty() {
        obs.chain = chain.iter().map(|c| describe(c)).collect();
        obs.chain_check = Some(check_chain(&chain, anchors, UnixTime::now()));
        let name = p.sni.clone().unwrap_or_else(|| p.host.clone());
        obs.name_check = Some(NameCheck { matches: name_matches(&chain[0], &name), name });
    }
    obs
}

/// CloudFront's verdict on the server's answer to its hello: a version outside
/// `OriginSslProtocols` or a suite it did not offer ends the handshake.
fn judge(raw: &TlsHandshakeResult, allowed: &[HelloVersion]) -> TlsHandshakeResult {
    let TlsHandshakeResult::Established(e) = raw else {
        return raw.clone();
    };
    let names: Vec<&str> = allowed.iter().map(|v| v.config_name()).collect();
    if !names.contains(&e.version.as_str()) {
        return TlsHandshakeResult::Failed(failure(
            TlsFailureKind::Incompatible,
            &format!(
                "the server chose {} (suite {}), which OriginSslProtocols {names:?} does not allow: CloudFront aborts the handshake",
                e.version, e.cipher_suite
            ),
        ));
    }
    if !tls_hello::CLOUDFRONT_SUITES.iter().any(|(_, n)| *n == e.cipher_suite) {
        return TlsHandshakeResult::Failed(failure(
            TlsFailureKind::Incompatible,
            &format!("the server chose cipher suite {}, which CloudFront did not offer", e.cipher_suite),
        ));
    }
    raw.clone()
}

fn failure(kind: TlsFailureKind, message: &str) -> TlsFailure {
    TlsFailure { kind, message: message.to_string(), alert: None }
}

fn remaining(limit: Duration, deadline: TokioInstant) -> Option<Duration> {
    let left = deadline.saturating_duration_since(TokioInstant::now());
    if left.is_zero() { None } else { Some(limit.min(left)) }
}

/// A TCP connection within the connect timeout and the phase budget.
async fn connect(
    addr: std::net::SocketAddr,
    settings: &ProbeSettings,
    deadline: TokioInstant,
) -> Result<TcpStream, TlsFailure> {
    let Some(limit) = remaining(settings.limits.connect_timeout, deadline) else {
        return Err(failure(TlsFailureKind::Budget, "the probe phase's time budget ran out"));
    };
    match timeout(limit, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(failure(TlsFailureKind::Connect, &format!("connect to {addr}: {e}"))),
        Err(_) => {
            Err(failure(TlsFailureKind::ConnectTimeout, &format!("connect to {addr}: no answer within {limit:?}")))
        }
    }
}

/// One raw hello with CloudFront's suites offering `version`; the server's answer unjudged.
async fn raw_hello(
    addr: std::net::SocketAddr,
    sni: Option<&str>,
    version: HelloVersion,
    settings: &ProbeSettings,
    deadline: TokioInstant,
) -> Attempt {
    let fail = |f: TlsFailure| Attempt {
        result: TlsHandshakeResult::Failed(f),
        chain: Vec::new(),
        chain_dropped: 0,
        client_cert_requested: false,
        millis: None,
    };
    let tcp = match connect(addr, settings, deadline).await {
        Ok(t) => t,
        Err(f) => return fail(f),
    };
    let Some(limit) = remaining(settings.limits.tls_timeout, deadline) else {
        return fail(failure(TlsFailureKind::Budget, "the probe phase's time budget ran out"));
    };
    let started = Instant::now();
    let exchange = tls_hello::exchange(tcp, version, sni, limit).await;
    let millis = Some(started.elapsed().as_millis() as u64);
    let answer = match exchange {
        Exchange::Timeout => {
            return Attempt {
                millis,
                ..fail(failure(TlsFailureKind::HandshakeTimeout, &format!("no ServerHello within {limit:?}")))
            };
        }
        Exchange::Io(m) => return Attempt { millis, ..fail(failure(TlsFailureKind::Closed, &m)) },
        Exchange::Answer(a) => a,
    };
    let f = match answer {
        HelloAnswer::ServerHello(h) => {
            let result = match h.alert {
                Some((2, d)) => TlsHandshakeResult::Failed(TlsFailure {
                    kind: TlsFailureKind::Alert,
                    message: format!(
                        "the server chose {} {} and then sent fatal alert {} ({d})",
                        tls_hello::version_name(h.version),
                        tls_hello::suite_name(h.cipher_suite),
                        tls_hello::alert_name(d)
                    ),
                    alert: Some(tls_hello::alert_name(d)),
                }),
                _ => TlsHandshakeResult::Established(TlsEstablished {
                    version: tls_hello::version_name(h.version),
                    cipher_suite: tls_hello::suite_name(h.cipher_suite),
                    group: h.group.map(tls_hello::group_name),
                    full_handshake: false,
                }),
            };
            return Attempt {
                result,
                chain: h.chain.into_iter().map(CertificateDer::from).collect(),
                chain_dropped: h.chain_dropped,
                client_cert_requested: h.certificate_requested,
                millis,
            };
        }
        HelloAnswer::Alert { level, description } => TlsFailure {
            kind: TlsFailureKind::Alert,
            message: format!(
                "{} alert {} ({description})",
                if level == 2 { "fatal" } else { "warning" },
                tls_hello::alert_name(description)
            ),
            alert: Some(tls_hello::alert_name(description)),
        },
        HelloAnswer::NotTls { sample } => {
            failure(TlsFailureKind::NotTls, &format!("the answer is not TLS: {sample:?}"))
        }
        HelloAnswer::Closed { bytes } => failure(
            TlsFailureKind::Closed,
            &format!("the server closed the connection after {bytes} bytes, without a ServerHello"),
        ),
        HelloAnswer::Malformed(m) => failure(TlsFailureKind::Other, &format!("malformed TLS answer: {m}")),
    };
    Attempt { millis, ..fail(f) }
}

async fn handshake(
    addr: std::net::SocketAddr,
    sni: Option<&str>,
    hello: Hello,
    settings: &ProbeSettings,
    deadline: TokioInstant,
) -> Attempt {
    let fail = |kind, msg: String| Attempt {
        result: TlsHandshakeResult::Failed(failure(kind, &msg)),
        chain: Vec::new(),
        chain_dropped: 0,
        client_cert_requested: false,
        millis: None,
    };
    let tcp = match connect(addr, settings, deadline).await {
        Ok(t) => t,
        Err(f) => return fail(f.kind, f.message),
    };
    let captured = Arc::new(Capture::default());
    let config = match client_config(hello, sni.is_some(), captured.clone()) {
        Ok(c) => c,
        Err(e) => return fail(TlsFailureKind::Other, format!("TLS configuration: {e}")),
    };
    // Without SNI the name only feeds the (capturing) verifier; rustls sends no server_name.
    let name = match ServerName::try_from(sni.unwrap_or("no-sni.invalid").to_string()) {
        Ok(n) => n,
        Err(e) => return fail(TlsFailureKind::Other, format!("server name {sni:?}: {e}")),
    };
    let Some(limit) = remaining(settings.limits.tls_timeout, deadline) else {
        return fail(TlsFailureKind::Budget, "the probe phase's time budget ran out".into());
    };
    let started = Instant::now();
    let outcome = timeout(limit, tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp)).await;
    let millis = Some(started.elapsed().as_millis() as u64);
    let mut chain = captured.chain.lock().map(|c| c.clone()).unwrap_or_default();
    let client_cert_requested = captured.client_cert_requested.lock().map(|c| *c).unwrap_or(false);
    let result = match outcome {
        Err(_) => TlsHandshakeResult::Failed(failure(
            TlsFailureKind::HandshakeTimeout,
            &format!("no TLS handshake within {limit:?}"),
        )),
        Ok(Ok(stream)) => {
            let (_, conn) = stream.get_ref();
            if let Some(peer) = conn.peer_certificates() {
                chain = peer.to_vec();
            }
            TlsHandshakeResult::Established(TlsEstablished {
                version: conn.protocol_version().map(version_name).unwrap_or_default(),
                cipher_suite: conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default(),
                group: conn.negotiated_key_exchange_group().map(|g| format!("{:?}", g.name())),
                full_handshake: true,
            })
        }
        Ok(Err(e)) => TlsHandshakeResult::Failed(classify(&e)),
    };
    let (chain, chain_dropped) = bounded_list(chain, MAX_CHAIN_CERTIFICATES);
    Attempt { result, chain, chain_dropped, client_cert_requested, millis }
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        other => format!("{other:?}"),
    }
}

fn classify(e: &std::io::Error) -> TlsFailure {
    let message = e.to_string();
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match tls {
            rustls::Error::AlertReceived(a) => {
                TlsFailure { kind: TlsFailureKind::Alert, message, alert: Some(format!("{a:?}")) }
            }
            rustls::Error::InvalidMessage(_) => TlsFailure { kind: TlsFailureKind::NotTls, message, alert: None },
            rustls::Error::PeerIncompatible(_) | rustls::Error::PeerMisbehaved(_) => {
                TlsFailure { kind: TlsFailureKind::Incompatible, message, alert: None }
            }
            _ => TlsFailure { kind: TlsFailureKind::Other, message, alert: None },
        };
    }
    let kind = match e.kind() {
        std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => TlsFailureKind::Closed,
        _ => TlsFailureKind::Other,
    };
    TlsFailure { kind, message, alert: None }
}

fn client_config(hello: Hello, send_sni: bool, capture: Arc<Capture>) -> Result<ClientConfig, rustls::Error> {
    let (provider, versions, schemes): (CryptoProvider, &[&'static rustls::SupportedProtocolVersion], _) = match hello {
        Hello::CloudFront => {
            let p = cloudfront_provider();
            let s = cloudfront_schemes(&p.signature_verification_algorithms);
            (p, &[&rustls::version::TLS12], s)
        }
        Hello::Tls12Any => {
            let p = provider::default_provider();
            let s = p.signature_verification_algorithms.supported_schemes();
            (p, &[&rustls::version::TLS12], s)
        }
        Hello::Tls13 => {
            let p = provider::default_provider();
            let s = p.signature_verification_algorithms.supported_schemes();
            (p, &[&rustls::version::TLS13], s)
        }
    };
    let verifier = Arc::new(CapturingVerifier {
        capture: capture.clone(),
        algs: provider.signature_verification_algorithms,
        schemes,
    });
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(NoClientCert { capture }));
    config.enable_sni = send_sni;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug, Default)]
struct Capture {
    chain: Mutex<Vec<CertificateDer<'static>>>,
    client_cert_requested: Mutex<bool>,
}

/// Records the presented chain and accepts it; the handshake signature is still checked, so the
/// server proved it holds the leaf's key. Validation happens afterwards, in [`check_chain`].
#[derive(Debug)]
struct CapturingVerifier {
    capture: Arc<Capture>,
    algs: WebPkiSupportedAlgorithms,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for CapturingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut c) = self.capture.chain.lock() {
            *c = std::iter::once(end_entity).chain(intermediates).map(|d| d.clone().into_owned()).collect();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// Notes a CertificateRequest and answers it with no certificate, as CloudFront does without
/// origin mTLS.
#[derive(Debug)]
struct NoClientCert {
    capture: Arc<Capture>,
}

impl ResolvesClientCert for NoClientCert {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<rustls::sign::CertifiedKey>> {
        if let Ok(mut r) = self.capture.client_cert_requested.lock() {
            *r = true;
        }
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// Parses one certificate for the evidence; an unparsable one is still listed.
pub fn describe(der: &CertificateDer<'_>) -> CertificateInfo {
    let sha256 = ring::digest::digest(&ring::digest::SHA256, der.as_ref())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der.as_ref()) else {
        return CertificateInfo {
            subject: "<unparsable certificate>".into(),
            issuer: String::new(),
            common_name: None,
            dns_names: Vec::new(),
            not_before_unix: 0,
            not_after_unix: 0,
            key_type: String::new(),
            key_bits: None,
            signature_algorithm: String::new(),
            is_ca: false,
            self_issued: false,
            sha256,
        };
    };
    // Names are the certificate's to choose: each is bounded, and so is the list of SANs.
    let common_name = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string);
    let dns_names: Vec<String> = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|g| match g {
                x509_parser::extensions::GeneralName::DNSName(n) => Some(bounded_text(n.to_string())),
                _ => None,
            })
            .take(MAX_LIST_ITEMS)
            .collect(),
        _ => Vec::new(),
    };
    let (key_type, key_bits) = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(k)) => ("RSA".to_string(), Some(k.key_size() as u32)),
        Ok(x509_parser::public_key::PublicKey::EC(k)) => ("EC".to_string(), Some(k.key_size() as u32)),
        Ok(x509_parser::public_key::PublicKey::DSA(_)) => ("DSA".to_string(), None),
        _ => (oid_name(&cert.public_key().algorithm.algorithm.to_id_string()), None),
    };
    CertificateInfo {
        subject: bounded_text(cert.subject().to_string()),
        issuer: bounded_text(cert.issuer().to_string()),
        common_name: common_name.map(bounded_text),
        dns_names,
        not_before_unix: cert.validity().not_before.timestamp(),
        not_after_unix: cert.validity().not_after.timestamp(),
        key_type,
        key_bits,
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm.to_id_string()),
        is_ca: cert.is_ca(),
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        sha256,
    }
}

fn oid_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.112" => "Ed25519",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        other => return other.to_string(),
    }
    .to_string()
}

/// The raw DER of a certificate's subject and issuer names.
fn names(der: &CertificateDer<'_>) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    Some((cert.subject().as_raw().to_vec(), cert.issuer().as_raw().to_vec()))
}

/// A trust anchor's subject is the Name's contents; a certificate's raw name has the SEQUENCE
/// header in front.
fn same_name(raw_name: &[u8], anchor_subject: &[u8]) -> bool {
    raw_name == anchor_subject
        || (raw_name.len() > anchor_subject.len()
            && raw_name.len().saturating_sub(anchor_subject.len()) <= 4
            && raw_name.ends_with(anchor_subject))
}

/// Validates the served chain (no fetching) and describes its order and end.
pub fn check_chain(chain: &[CertificateDer<'static>], anchors: &Anchors, now: UnixTime) -> ChainCheck {
    let algs = provider::default_provider().signature_verification_algorithms.all;
    let validate = |roots: &[TrustAnchor<'_>]| -> Result<(), webpki::Error> {
        let ee = webpki::EndEntityCert::try_from(&chain[0])?;
        ee.verify_for_usage(algs, roots, &chain[1..], now, webpki::KeyUsage::server_auth(), None, None).map(|_| ())
    };
    let all = anchors.all();
    let validation = match validate(&all) {
        Ok(()) => ChainValidation::Trusted,
        Err(e) => {
            let dbg = format!("{e:?}");
            let error = if dbg.starts_with("UnknownIssuer") {
                ChainError::UnknownIssuer
            } else if dbg.starts_with("CertExpired") {
                ChainError::Expired
            } else if dbg.starts_with("CertNotValidYet") {
                ChainError::NotYetValid
            } else if dbg.starts_with("InvalidSignatureForPublicKey") || dbg.starts_with("BadSignature") {
                ChainError::BadSignature
            } else if dbg.starts_with("UnsupportedSignatureAlgorithm") {
                ChainError::UnsupportedSignatureAlgorithm
            } else if dbg.starts_with("RequiredEkuNotFound") || dbg.starts_with("InvalidCertValidity") {
                ChainError::NotForServerAuth
            } else {
                ChainError::Other
            };
            ChainValidation::Failed { error, message: dbg }
        }
    };
    let trusted_only_by_extra_anchor =
        validation == ChainValidation::Trusted && !anchors.extra.is_empty() && validate(&anchors.mozilla).is_err();
    let parsed: Vec<Option<(Vec<u8>, Vec<u8>)>> = chain.iter().map(names).collect();
    let in_order = parsed.windows(2).all(|w| match (&w[0], &w[1]) {
        (Some((_, issuer)), Some((subject, _))) => issuer == subject,
        _ => false,
    });
    let is_anchor = |raw: &[u8]| all.iter().any(|a| same_name(raw, a.subject.as_ref()));
    let ends = if parsed.iter().flatten().any(|(s, i)| s == i && is_anchor(s)) {
        ChainEnd::TrustedRootServed
    } else {
        match parsed.last().and_then(|p| p.as_ref()) {
            Some((_, issuer)) if is_anchor(issuer) => ChainEnd::IssuedByTrustedRoot,
            Some((s, i)) if s == i => ChainEnd::SelfSignedUntrusted,
            // The issuer may have been served out of order: then it is not missing.
            Some((_, issuer)) if parsed.iter().flatten().any(|(s, _)| s == issuer) => ChainEnd::IssuedByTrustedRoot,
            _ => ChainEnd::IssuerMissing,
        }
    };
    ChainCheck { validation, in_order, ends, trusted_only_by_extra_anchor }
}

fn name_matches(leaf: &CertificateDer<'_>, name: &str) -> bool {
    let Ok(server_name) = ServerName::try_from(name.to_string()) else {
        return false;
    };
    webpki::EndEntityCert::try_from(leaf).is_ok_and(|ee| ee.verify_is_valid_for_subject_name(&server_name).is_ok())
}
