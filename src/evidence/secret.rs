//! Secret values (custom origin header values, ALB header-rule values).
//!
//! The plain value lives only in memory, for the probe that must send it. It is never
//! serialized, printed or logged: evidence files and reports carry a short SHA-256 fingerprint,
//! so two secrets can still be compared after a replay without either being revealed.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecretValue {
    #[serde(skip)]
    plain: Option<String>,
    /// First 16 hex digits of the SHA-256 of the value.
    pub fingerprint: String,
}

impl SecretValue {
    pub fn new(plain: impl Into<String>) -> Self {
        let plain = plain.into();
        let fingerprint = fingerprint(&plain);
        SecretValue { plain: Some(plain), fingerprint }
    }

    /// The value to put on the wire. `None` after a replay from a recorded file.
    pub fn expose(&self) -> Option<&str> {
        self.plain.as_deref()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted sha256:{}>", self.fingerprint)
    }
}

fn fingerprint(value: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, value.as_bytes());
    digest.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}
