//! The evidence the checks read: what the inventory fetched from AWS and what the probes saw.
//!
//! Everything here is plain serde data owned by this project (never SDK types), so a run can be
//! recorded with `--record` and replayed offline, and test fixtures are such files.

mod bound;
pub mod cloudfront_page;
mod cloudfront_view;
mod inventory;
mod ladder;
mod network;
mod observation;
mod samples;
mod secret;
mod tls;

pub use bound::*;
pub use cloudfront_view::*;
pub use inventory::*;
pub use ladder::*;
pub use network::*;
pub use observation::*;
pub use samples::*;
pub use secret::{FingerprintKey, REDACTED, Scrubber, SecretValue};
pub use tls::*;

use serde::{Deserialize, Serialize};

/// Version of the evidence file format. Bump on an incompatible change.
pub const EVIDENCE_SCHEMA_VERSION: u32 = 1;

/// All a diagnosis knows: the request, the AWS inventory, the probe observations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub schema_version: u32,
    /// When the evidence was collected, RFC 3339 UTC. Checks read the clock from here.
    pub collected_at: String,
    /// Seconds since the Unix epoch at collection; certificate date checks compare against it.
    pub collected_at_unix: i64,
    pub request: RequestEcho,
    pub inventory: Inventory,
    pub observations: Observations,
    /// A proposed configuration checked before it is deployed (a pre-flight): its inventory
    /// and origin probes, compared with the live run above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<Box<ProposedEvidence>>,
}

/// The evidence of a proposed distribution configuration: the live distribution's identity
/// with the proposed configuration, what stands behind its origins, and the origins probed as
/// CloudFront would reach them under it. It is not deployed, so no request went through the
/// distribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposedEvidence {
    /// Where the configuration came from (a file name, or `request` in a Lambda request).
    pub source: String,
    /// The `ETag` the document carried (the version it was edited from), when it had one.
    #[serde(default)]
    pub etag: Option<String>,
    pub inventory: Inventory,
    pub observations: Observations,
}

impl Evidence {
    /// The proposed configuration's evidence as a diagnosis of its own: the same request and
    /// clock, the proposed inventory and observations.
    pub fn proposed(&self) -> Option<Evidence> {
        let p = self.preflight.as_deref()?;
        Some(Evidence {
            schema_version: self.schema_version,
            collected_at: self.collected_at.clone(),
            collected_at_unix: self.collected_at_unix,
            request: self.request.clone(),
            inventory: p.inventory.clone(),
            observations: p.observations.clone(),
            preflight: None,
        })
    }
}

/// What was asked, as the checks need it (never secrets).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestEcho {
    pub distribution_id: String,
    pub paths: Vec<String>,
    /// What the caller declared the application needs (methods, headers, cookies, query strings).
    #[serde(default)]
    pub expect: Expectations,
    /// The path on which write methods may be sent, when the caller named one.
    #[serde(default)]
    pub method_probe_path: Option<String>,
    /// How the distribution was found when the caller named a URL or hostname, not its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub located_by: Option<String>,
    /// Requests per repeated probe (`--samples`), when more than one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u32>,
}

/// The outcome of one read-only AWS call (or a chain of them), as data.
///
/// A denied or failed call never aborts a diagnosis: the checks that needed it report what they
/// could not verify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fetch<T> {
    Fetched {
        value: T,
    },
    /// The caller lacks the IAM permission; `action` is the IAM action, e.g. `ec2:DescribeSecurityGroups`.
    Denied {
        action: String,
        message: String,
    },
    /// The call failed for another reason (throttled past retries, timed out, service error).
    Failed {
        action: String,
        code: String,
        message: String,
    },
    /// The resource does not exist in the account and region that was asked.
    NotFound {
        action: String,
        message: String,
    },
    /// The call does not apply here (e.g. listeners of an origin that is not a load balancer).
    NotApplicable {
        reason: String,
    },
}

impl<T> Fetch<T> {
    pub fn fetched(value: T) -> Self {
        Fetch::Fetched { value }
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Fetch::Fetched { value } => Some(value),
            _ => None,
        }
    }

    pub fn value_mut(&mut self) -> Option<&mut T> {
        match self {
            Fetch::Fetched { value } => Some(value),
            _ => None,
        }
    }

    /// A one-line reason when the value is missing, for "could not verify" notes.
    pub fn missing_reason(&self) -> Option<String> {
        match self {
            Fetch::Fetched { .. } => None,
            Fetch::Denied { action, .. } => Some(format!("access denied for {action}")),
            Fetch::Failed { action, code, message } => Some(format!("{action} failed ({code}): {message}")),
            Fetch::NotFound { action, message } => Some(format!("{action}: not found ({message})")),
            Fetch::NotApplicable { reason } => Some(format!("not applicable: {reason}")),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetch<U> {
        match self {
            Fetch::Fetched { value } => Fetch::Fetched { value: f(value) },
            Fetch::Denied { action, message } => Fetch::Denied { action, message },
            Fetch::Failed { action, code, message } => Fetch::Failed { action, code, message },
            Fetch::NotFound { action, message } => Fetch::NotFound { action, message },
            Fetch::NotApplicable { reason } => Fetch::NotApplicable { reason },
        }
    }
}

/// What an evidence file recorded before a field existed: not collected.
impl<T> Default for Fetch<T> {
    fn default() -> Self {
        Fetch::NotApplicable { reason: "not collected (evidence recorded by an older version)".into() }
    }
}
