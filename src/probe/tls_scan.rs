//! TLS probes toward each HTTPS origin, shaped as CloudFront's hello, recording the handshake,
//! the presented chain and the verdicts on it (trust, order, names).
//!
//! TLS stack: rustls (ring), the project's only TLS stack. It offers what CloudFront offers that
//! it implements: TLS 1.2, the four ECDHE-AES-GCM suites of CloudFront's list, the curves X25519,
//! P-256 and P-384, and the PKCS#1/ECDSA signature schemes without RSA-PSS. It cannot offer
//! SSLv3/TLS 1.0/1.1, the CBC, 3DES and RC4 suites or SHA-1 signatures; every observation lists
//! what of CloudFront's hello was not offered (`TlsOffer::not_offered`), so a failure that only
//! those could have avoided is read as such. The `openssl` crate could offer the exact hello
//! (`@SECLEVEL=0`), but it adds a system library or a vendored C build to the arm64 Lambda
//! cross-compile and a second TLS stack to audit; the gap (origins that speak only TLS 1.0/1.1 or
//! only CBC suites) is rare and is still detected as a failure of the modern hello plus the
//! record of what was not offered.
//!
//! One handshake yields both the chain and the verdict: a capturing verifier accepts whatever
//! the server presents (this connection never carries a request), and the chain is then
//! validated here with webpki against Mozilla's roots plus the `--ca-file` anchors.

use super::target;
use crate::evidence::{
    CertificateInfo, ChainCheck, ChainEnd, ChainError, ChainValidation, NameCheck, TlsEstablished, TlsFailure,
    TlsFailureKind, TlsFallback, TlsHandshakeResult, TlsObservation, TlsOffer,
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

/// CloudFront's origin suites that this stack cannot offer (catalog 1.1).
const SUITES_NOT_OFFERED: &[&str] = &[
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA",
    "AES256-SHA",
    "AES128-SHA",
    "DES-CBC3-SHA",
    "RC4-MD5",
];

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
    chain: Vec<CertificateDer<'static>>,
    client_cert_requested: bool,
    millis: Option<u64>,
}

#[derive(Clone, Copy)]
enum Hello {
    /// CloudFront's hello, as far as rustls can offer it.
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

/// What this probe offers as CloudFront's hello, and what it cannot.
pub fn cloudfront_offer(ssl_protocols: &[String]) -> TlsOffer {
    let p = cloudfront_provider();
    let mut not_offered: Vec<String> =
        ssl_protocols.iter().filter(|v| v.as_str() != "TLSv1.2").map(|v| format!("protocol {v}")).collect();
    not_offered.extend(SUITES_NOT_OFFERED.iter().map(|s| format!("cipher suite {s}")));
    not_offered.push("signature schemes with SHA-1 and SHA-224".into());
    TlsOffer {
        versions: ssl_protocols.iter().filter(|v| v.as_str() == "TLSv1.2").cloned().collect(),
        cipher_suites: p.cipher_suites.iter().map(|s| format!("{:?}", s.suite())).collect(),
        groups: p.kx_groups.iter().map(|g| format!("{:?}", g.name())).collect(),
        signature_schemes: cloudfront_schemes(&p.signature_verification_algorithms)
            .iter()
            .map(|s| format!("{s:?}"))
            .collect(),
        not_offered,
    }
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
        client_certificate_requested: false,
        chain: Vec::new(),
        chain_check: None,
        name_check: None,
        fallback: None,
        handshake_ms: None,
    };
    let (addrs, from_override) =
        match target::resolve(&p.host, p.port, &settings.connect_to, settings.allow_private_targets).await {
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

    let offers_tls12 = p.ssl_protocols.iter().any(|v| v == "TLSv1.2");
    let mut chain = Vec::new();
    if offers_tls12 {
        let a = handshake(addr, p.sni.as_deref(), Hello::CloudFront, settings, deadline).await;
        obs.client_certificate_requested |= a.client_cert_requested;
        obs.handshake_ms = a.millis;
        chain = a.chain;
        obs.result = a.result;
    } else {
        obs.result = TlsHandshakeResult::Failed(failure(
            TlsFailureKind::NotOffered,
            &format!(
                "OriginSslProtocols {:?} has no TLSv1.2; this probe cannot offer the older versions CloudFront would",
                p.ssl_protocols
            ),
        ));
    }
    let needs_fallback = match &obs.result {
        TlsHandshakeResult::Established(_) => false,
        TlsHandshakeResult::Failed(f) => {
            f.kind == TlsFailureKind::NotOffered || !(f.kind.before_tls() || f.kind == TlsFailureKind::NotTls)
        }
    };
    if needs_fallback {
        let (a12, a13) = tokio::join!(
            handshake(addr, p.sni.as_deref(), Hello::Tls12Any, settings, deadline),
            handshake(addr, p.sni.as_deref(), Hello::Tls13, settings, deadline)
        );
        obs.client_certificate_requested |= a12.client_cert_requested || a13.client_cert_requested;
        if chain.is_empty() {
            chain = if !a12.chain.is_empty() { a12.chain } else { a13.chain };
        }
        obs.fallback = Some(TlsFallback { tls12_any_suite: a12.result, tls13: a13.result });
    }
    if !chain.is_empty() {
        obs.chain = chain.iter().map(|c| describe(c)).collect();
        let now = UnixTime::now();
        obs.chain_check = Some(check_chain(&chain, anchors, now));
        let name = p.sni.clone().unwrap_or_else(|| p.host.clone());
        obs.name_check = Some(NameCheck { matches: name_matches(&chain[0], &name), name });
    }
    obs
}

fn failure(kind: TlsFailureKind, message: &str) -> TlsFailure {
    TlsFailure { kind, message: message.to_string(), alert: None }
}

fn remaining(limit: Duration, deadline: TokioInstant) -> Option<Duration> {
    let left = deadline.saturating_duration_since(TokioInstant::now());
    if left.is_zero() { None } else { Some(limit.min(left)) }
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
        client_cert_requested: false,
        millis: None,
    };
    let Some(limit) = remaining(settings.limits.connect_timeout, deadline) else {
        return fail(TlsFailureKind::Budget, "the probe phase's time budget ran out".into());
    };
    let tcp = match timeout(limit, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return fail(TlsFailureKind::Connect, format!("connect to {addr}: {e}")),
        Err(_) => {
            return fail(TlsFailureKind::ConnectTimeout, format!("connect to {addr}: no answer within {limit:?}"));
        }
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
            })
        }
        Ok(Err(e)) => TlsHandshakeResult::Failed(classify(&e)),
    };
    Attempt { result, chain, client_cert_requested, millis }
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
    let common_name = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_string);
    let dns_names = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|g| match g {
                x509_parser::extensions::GeneralName::DNSName(n) => Some(n.to_string()),
                _ => None,
            })
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
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        common_name,
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
            && raw_name.len() - anchor_subject.len() <= 4
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
