//! A test certificate authority, made at test time, and leaf certificates signed by it.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Clone for Leaf {
    fn clone(&self) -> Self {
        Leaf { chain: self.chain.clone(), key: self.key.clone_key() }
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.distinguished_name.push(DnType::CommonName, "cf-origin-doctor lab CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().expect("ca key");
        TestCa { issuer: CertifiedIssuer::self_signed(params, key).expect("self-signed ca") }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A leaf for these DNS names (wildcards allowed), valid now.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("lab"));
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("sign leaf");
        Leaf {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// An intermediate CA signed by a [`TestCa`] (or by another intermediate), for chains of more
/// than one certificate.
pub struct Intermediate {
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// The intermediates above this one, nearest first (empty when the root signed it).
    above: Vec<CertificateDer<'static>>,
}

/// Validity of a test leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// rcgen's default (1975 to 4096): valid now.
    Now,
    /// Expired in 2020.
    Expired,
    /// Valid only from 2090.
    NotYetValid,
    /// Expires this many days from now.
    ExpiresInDays(i64),
}

fn leaf_params(names: &[&str], validity: Validity) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("leaf params");
    params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("lab"));
    match validity {
        Validity::Now => {}
        Validity::Expired => {
            params.not_before = rcgen::date_time_ymd(2019, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        }
        Validity::NotYetValid => {
            params.not_before = rcgen::date_time_ymd(2090, 1, 1);
            params.not_after = rcgen::date_time_ymd(2091, 1, 1);
        }
        Validity::ExpiresInDays(days) => {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs()
                    as i64;
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after =
                time::OffsetDateTime::from_unix_timestamp(now + days * 86_400).expect("valid expiry timestamp");
        }
    }
    params
}

fn pkcs8(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

impl TestCa {
    /// A leaf for these names with the given validity, signed by this CA.
    pub fn leaf_with(&self, names: &[&str], validity: Validity) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let cert = leaf_params(names, validity).signed_by(&key, &self.issuer).expect("sign leaf");
        Leaf { chain: vec![cert.der().clone()], key: pkcs8(&key) }
    }

    /// An intermediate CA under this CA.
    pub fn intermediate(&self, name: &str) -> Intermediate {
        let key = KeyPair::generate().expect("intermediate key");
        let issuer =
            CertifiedIssuer::signed_by(intermediate_params(name), key, &self.issuer).expect("sign intermediate");
        Intermediate { issuer, above: Vec::new() }
    }
}

fn intermediate_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("intermediate params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params
}

impl Intermediate {
    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// An intermediate CA signed by this one (a two-level chain below the root).
    pub fn intermediate(&self, name: &str) -> Intermediate {
        let key = KeyPair::generate().expect("intermediate key");
        let issuer =
            CertifiedIssuer::signed_by(intermediate_params(name), key, &self.issuer).expect("sign intermediate");
        let above = std::iter::once(self.der()).chain(self.above.iter().cloned()).collect();
        Intermediate { issuer, above }
    }

    /// A leaf signed by this intermediate, served with the full chain in issuing order (leaf,
    /// this intermediate, then the ones above it; not the root).
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let cert = leaf_params(names, Validity::Now).signed_by(&key, &self.issuer).expect("sign leaf");
        let chain = [cert.der().clone(), self.der()].into_iter().chain(self.above.iter().cloned()).collect();
        Leaf { chain, key: pkcs8(&key) }
    }
}

impl Leaf {
    /// The same leaf served without its intermediates (the classic nginx `cert.pem` mistake).
    pub fn without_intermediates(mut self) -> Leaf {
        self.chain.truncate(1);
        self
    }

    /// The chain with the root inserted between the leaf and its intermediate (leaf, root,
    /// intermediate): every certificate is there, in the wrong order.
    pub fn misordered(mut self, ca: &TestCa) -> Leaf {
        self.chain.insert(1, ca.der());
        self
    }

    /// The intermediates served in reverse (leaf, root-side intermediate, …, issuing
    /// intermediate): every certificate is there, the leaf first, the rest upside down (a
    /// bundle concatenated in the wrong order).
    pub fn intermediates_reversed(mut self) -> Leaf {
        self.chain[1..].reverse();
        self
    }
}

/// A self-signed leaf for these names (no CA behind it).
pub fn self_signed(names: &[&str]) -> Leaf {
    let key = KeyPair::generate().expect("key");
    let cert = leaf_params(names, Validity::Now).self_signed(&key).expect("self-signed leaf");
    Leaf { chain: vec![cert.der().clone()], key: pkcs8(&key) }
}
