//! TLS origins that misbehave the way real ones do: server configurations (protocol versions,
//! cipher suites, client-certificate requests, certificates chosen by SNI) and a server that
//! runs the lab's HTTP handler behind any of them.

use super::pki::Leaf;
use super::server::{self, Handler, Server};
use rustls::ServerConfig;
use rustls::crypto::ring as provider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use std::sync::Arc;

/// How the origin's TLS listener is set up.
#[derive(Clone)]
pub enum TlsSetup {
    /// TLS 1.2 and 1.3, rustls defaults, one certificate.
    Standard(Leaf),
    /// TLS 1.3 only (like `ELBSecurityPolicy-TLS13-1-3-*`).
    Tls13Only(Leaf),
    /// TLS 1.2 only, CHACHA20-POLY1305 suites only (none in CloudFront's list).
    Chacha20Only(Leaf),
    /// TLS 1.2 only, AES-GCM suites only (what CloudFront and the edge stand-in offer).
    Tls12GcmOnly(Leaf),
    /// Requires a client certificate issued by the given CA (PEM).
    ClientCertRequired(Leaf, String),
    /// A certificate per SNI name; `default` for no SNI or an unknown name.
    SniDependent { by_name: Vec<(String, Leaf)>, default: Leaf },
}

fn certified(leaf: &Leaf) -> Arc<CertifiedKey> {
    let key = provider::sign::any_supported_type(&leaf.key).expect("supported key");
    Arc::new(CertifiedKey::new(leaf.chain.clone(), key))
}

#[derive(Debug)]
struct BySni {
    by_name: Vec<(String, Arc<CertifiedKey>)>,
    default: Arc<CertifiedKey>,
}

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().map(str::to_ascii_lowercase);
        Some(
            self.by_name
                .iter()
                .find(|(n, _)| Some(n.as_str()) == name.as_deref())
                .map(|(_, k)| k.clone())
                .unwrap_or_else(|| self.default.clone()),
        )
    }
}

/// TLS 1.2 only, with only these suites.
fn tls12_only(
    base: rustls::crypto::CryptoProvider,
    suites: Vec<rustls::SupportedCipherSuite>,
    leaf: &Leaf,
) -> ServerConfig {
    let p = rustls::crypto::CryptoProvider { cipher_suites: suites, ..base };
    ServerConfig::builder_with_provider(Arc::new(p))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .expect("cert")
}

pub fn server_config(setup: &TlsSetup) -> Arc<ServerConfig> {
    let base = provider::default_provider();
    let config = match setup {
        TlsSetup::Standard(leaf) => ServerConfig::builder_with_provider(Arc::new(base))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
            .expect("cert"),
        TlsSetup::Tls13Only(leaf) => ServerConfig::builder_with_provider(Arc::new(base))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
            .expect("cert"),
        TlsSetup::Chacha20Only(leaf) => tls12_only(
            base,
            vec![
                provider::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            ],
            leaf,
        ),
        TlsSetup::Tls12GcmOnly(leaf) => tls12_only(
            base,
            vec![
                provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            ],
            leaf,
        ),
        TlsSetup::ClientCertRequired(leaf, ca_pem) => {
            use rustls_pki_types::pem::PemObject;
            let mut roots = rustls::RootCertStore::empty();
            for c in rustls_pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
                roots.add(c.expect("ca pem")).expect("add ca");
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::new(base.clone()))
                .build()
                .expect("client verifier");
            ServerConfig::builder_with_provider(Arc::new(base))
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_client_cert_verifier(verifier)
                .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
                .expect("cert")
        }
        TlsSetup::SniDependent { by_name, default } => ServerConfig::builder_with_provider(Arc::new(base))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(BySni {
                by_name: by_name.iter().map(|(n, l)| (n.to_ascii_lowercase(), certified(l))).collect(),
                default: certified(default),
            })),
    };
    Arc::new(config)
}

/// Starts the lab's HTTP server behind this TLS setup.
pub async fn start(setup: &TlsSetup, handler: Handler) -> Server {
    server::start_with_config(Some(server_config(setup)), handler).await
}

/// Days left on the origin certificate of `SgBlocksAndCertExpiring` (under the 30-day warning).
pub const EXPIRES_IN_DAYS: i64 = 12;

/// The managed origin request policy AllViewer (forwards the viewer's Host).
pub const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
