//! TLS client configurations: one shaped like CloudFront's connection to an origin, one like a
//! modern viewer. Both trust Mozilla's roots (CloudFront trusts the Mozilla included CA list)
//! plus any `--ca-file` anchors.

// Parses what an origin (or a caller) sends: no arithmetic that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

use rustls::crypto::ring as provider;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;

#[derive(Clone)]
pub struct TlsConfigs {
    /// TLS 1.2 only, CloudFront's origin cipher suites that rustls implements, its curves.
    pub cloudfront_to_origin: Arc<ClientConfig>,
    /// TLS 1.2 and 1.3, rustls defaults: how a browser-like viewer connects.
    pub viewer: Arc<ClientConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("--ca-file holds no PEM certificate")]
    NoCertificates,
    #[error("--ca-file: {0}")]
    BadCertificate(String),
    #[error("TLS configuration: {0}")]
    Config(String),
}

impl TlsConfigs {
    pub fn new(extra_roots_pem: Option<&[u8]>) -> Result<Self, TlsSetupError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = extra_roots_pem {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|e| TlsSetupError::BadCertificate(e.to_string()))?;
            if certs.is_empty() {
                return Err(TlsSetupError::NoCertificates);
            }
            for c in certs {
                roots.add(c).map_err(|e| TlsSetupError::BadCertificate(e.to_string()))?;
            }
        }
        let roots = Arc::new(roots);

        // CloudFront → origin: ECDHE with AES-GCM is what both CloudFront's list and rustls have
        // (no CHACHA20, no TLS 1.3); curves X25519, P-256, P-384.
        let base = provider::default_provider();
        let cf_provider = rustls::crypto::CryptoProvider {
            cipher_suites: vec![
                provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            ],
            kx_groups: vec![provider::kx_group::X25519, provider::kx_group::SECP256R1, provider::kx_group::SECP384R1],
            ..base.clone()
        };
        let mut cf = ClientConfig::builder_with_provider(Arc::new(cf_provider))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .map_err(|e| TlsSetupError::Config(e.to_string()))?
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        cf.alpn_protocols = vec![b"http/1.1".to_vec()];

        let mut viewer = ClientConfig::builder_with_provider(Arc::new(base))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Config(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        viewer.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfigs { cloudfront_to_origin: Arc::new(cf), viewer: Arc::new(viewer) })
    }
}
