//! What the TLS probes saw toward each HTTPS origin: one observation per (origin, port, SNI),
//! shaped as CloudFront's own hello, with the certificate chain and the verdicts the probe
//! worked out from it (trust, order, names), so the checks stay pure.

use serde::{Deserialize, Serialize};

/// One TLS handshake toward an origin (plus the fallback handshakes that explain a failure).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsObservation {
    /// Stable within a report, e.g. `tls:app-alb:443:sni=app.example.com` or `…:no-sni`.
    pub id: String,
    pub origin_id: String,
    /// The origin's domain name (what CloudFront resolves and connects to).
    pub host: String,
    pub port: u16,
    /// The server name sent; `None` for the handshake without SNI.
    pub sni: Option<String>,
    pub role: SniRole,
    /// Whether CloudFront sends this SNI: `None` when the behaviors' forwarding could not be
    /// worked out (a custom policy that was not read).
    pub cloudfront_sends: Option<bool>,
    /// The behaviors (labels) that send this SNI to this origin.
    pub behaviors: Vec<String>,
    pub address: Option<String>,
    pub address_from_override: bool,
    /// CloudFront's hello exactly as this probe sent it (versions, suites, curves, signatures).
    pub offered: TlsOffer,
    /// What CloudFront would get: the version and suite the server chose for CloudFront's hello
    /// (the handshake completed when `full_handshake`), or the exact failure, including a
    /// version or suite the server chose that CloudFront does not allow.
    pub result: TlsHandshakeResult,
    /// Every raw hello sent with CloudFront's suites, the server's answer as it came (not judged
    /// against `OriginSslProtocols`): CloudFront's own first, then each lower version it allows,
    /// and, when CloudFront's hello failed, the versions it does not allow.
    #[serde(default)]
    pub hellos: Vec<VersionHello>,
    /// The server sent a CertificateRequest (in any of the handshakes below).
    pub client_certificate_requested: bool,
    /// The certificates the server presented, in the order it sent them (leaf first); at most
    /// [`super::MAX_CHAIN_CERTIFICATES`].
    pub chain: Vec<CertificateInfo>,
    /// Certificates the server presented beyond those described: counted, not kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub chain_dropped: u64,
    /// Trust, order and completeness of `chain`, worked out without fetching anything.
    pub chain_check: Option<ChainCheck>,
    /// Whether the leaf covers the name CloudFront would check for this handshake (the SNI, or
    /// the origin's domain name for the handshake without SNI).
    pub name_check: Option<NameCheck>,
    /// Handshakes with a wider hello, made only when CloudFront's hello failed, to tell a
    /// protocol mismatch from a cipher mismatch.
    pub fallback: Option<TlsFallback>,
    pub handshake_ms: Option<u64>,
}

impl TlsObservation {
    pub fn established(&self) -> Option<&TlsEstablished> {
        match &self.result {
            TlsHandshakeResult::Established(e) => Some(e),
            TlsHandshakeResult::Failed(_) => None,
        }
    }

    pub fn failure(&self) -> Option<&TlsFailure> {
        match &self.result {
            TlsHandshakeResult::Failed(f) => Some(f),
            TlsHandshakeResult::Established(_) => None,
        }
    }

    pub fn leaf(&self) -> Option<&CertificateInfo> {
        self.chain.first()
    }

    /// The server answered with TLS at all (a certificate came back, or a handshake finished).
    pub fn server_spoke_tls(&self) -> bool {
        !self.chain.is_empty()
            || self.established().is_some()
            || self.hellos.iter().any(|h| h.result.is_established())
            || self.fallback.as_ref().is_some_and(|f| f.tls12_any_suite.is_established() || f.tls13.is_established())
    }
}

/// Why this SNI was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SniRole {
    /// The origin's domain name: CloudFront's SNI when the viewer's Host is not forwarded.
    OriginDomain,
    /// A viewer hostname (alias or the distribution's domain): CloudFront's SNI when the
    /// behavior forwards Host; otherwise tried for comparison only.
    ViewerHostname,
    /// No SNI at all: shows the server's default certificate.
    NoSni,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsOffer {
    /// e.g. `["TLSv1.2"]`.
    pub versions: Vec<String>,
    /// IANA names, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub cipher_suites: Vec<String>,
    pub groups: Vec<String>,
    pub signature_schemes: Vec<String>,
}

/// One raw hello with CloudFront's suites, offering `version` as its highest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionHello {
    /// The version offered (`client_version`), e.g. `TLSv1.2`.
    pub version: String,
    /// `OriginSslProtocols` lists this version.
    pub allowed: bool,
    /// The server's answer: the version and suite it chose, or the failure.
    pub result: TlsHandshakeResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum TlsHandshakeResult {
    Established(TlsEstablished),
    Failed(TlsFailure),
}

impl TlsHandshakeResult {
    pub fn is_established(&self) -> bool {
        matches!(self, TlsHandshakeResult::Established(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsEstablished {
    /// `TLSv1.2` or `TLSv1.3`.
    pub version: String,
    pub cipher_suite: String,
    pub group: Option<String>,
    /// The probe completed the handshake (rustls: TLS 1.2 with a GCM suite, or a fallback);
    /// `false` when it stopped after the server's first flight (ServerHello to
    /// ServerHelloDone), where the version, suite and curve are already decided.
    #[serde(default)]
    pub full_handshake: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFailure {
    pub kind: TlsFailureKind,
    /// The exact error, e.g. `received fatal alert: HandshakeFailure`.
    pub message: String,
    /// The TLS alert the server sent, when it sent one (e.g. `HandshakeFailure`, `ProtocolVersion`).
    pub alert: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsFailureKind {
    /// The address policy refused the target before any packet was sent.
    Refused,
    Dns,
    Connect,
    ConnectTimeout,
    HandshakeTimeout,
    /// The probe phase's time budget ran out.
    Budget,
    /// The server sent a fatal alert.
    Alert,
    /// The server closed the connection during the handshake.
    Closed,
    /// The server's answer is not TLS (e.g. plain HTTP on the HTTPS port).
    NotTls,
    /// The server chose something that was not offered or that CloudFront does not allow
    /// (a version outside `OriginSslProtocols`), or offered nothing in common.
    Incompatible,
    Other,
}

impl TlsFailureKind {
    /// The failure happened before a TLS conversation started (no conclusion about TLS).
    pub fn before_tls(self) -> bool {
        matches!(
            self,
            TlsFailureKind::Refused
                | TlsFailureKind::Dns
                | TlsFailureKind::Connect
                | TlsFailureKind::ConnectTimeout
                | TlsFailureKind::Budget
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFallback {
    /// TLS 1.2 with every suite this stack has (CloudFront's plus CHACHA20).
    pub tls12_any_suite: TlsHandshakeResult,
    /// TLS 1.3 only.
    pub tls13: TlsHandshakeResult,
}

impl TlsObservation {
    /// The versions the server chose in any hello (raw or fallback), e.g. `["TLSv1"]`.
    pub fn versions_spoken(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let fb = self.fallback.iter().flat_map(|f| [&f.tls12_any_suite, &f.tls13]);
        for r in self.hellos.iter().map(|h| &h.result).chain(fb) {
            if let TlsHandshakeResult::Established(e) = r {
                if !out.contains(&e.version) {
                    out.push(e.version.clone());
                }
            }
        }
        out
    }
}

impl TlsFallback {
    /// The server completes TLS 1.3 but no TLS 1.2 handshake.
    pub fn speaks_only_tls13(&self) -> bool {
        self.tls13.is_established() && !self.tls12_any_suite.is_established()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub common_name: Option<String>,
    /// Subject Alternative Name DNS entries.
    pub dns_names: Vec<String>,
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    /// `RSA`, `EC`, `Ed25519`, …
    pub key_type: String,
    pub key_bits: Option<u32>,
    /// e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`.
    pub signature_algorithm: String,
    pub is_ca: bool,
    /// Subject and issuer are the same name.
    pub self_issued: bool,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainCheck {
    /// Validation of the served chain against Mozilla's roots plus the `--ca-file` anchors, at
    /// the time of the probe, without fetching anything.
    pub validation: ChainValidation,
    /// Each certificate is followed by its issuer (leaf first).
    pub in_order: bool,
    /// How the served chain ends.
    pub ends: ChainEnd,
    /// The chain validates only thanks to a `--ca-file` anchor (not Mozilla's roots).
    pub trusted_only_by_extra_anchor: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChainValidation {
    Trusted,
    Failed { error: ChainError, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainError {
    UnknownIssuer,
    Expired,
    NotYetValid,
    BadSignature,
    UnsupportedSignatureAlgorithm,
    NotForServerAuth,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainEnd {
    /// The last served certificate was issued by a trusted root.
    IssuedByTrustedRoot,
    /// The chain includes a trusted root itself.
    TrustedRootServed,
    /// The last served certificate is self-issued and not a trusted root.
    SelfSignedUntrusted,
    /// The last served certificate's issuer was neither served nor a trusted root.
    IssuerMissing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameCheck {
    pub name: String,
    pub matches: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
