//! cf-origin-doctor: finds why a site that works on its origin fails through Amazon CloudFront.
//!
//! One pipeline, each stage reading only what the previous one produced, each stage a crate so
//! that the direction is the compiler's to hold:
//! request → [`inventory`] (AWS, read-only; this crate) → [`plan`] → [`probe`] (the probe
//! crate) → [`checks`] → [`verdict`] → [`report`] (the diagnosis crate, pure). The [`engine`]
//! runs it; the CLI and the Lambda are thin front ends on the engine.

pub mod aws_names;
pub mod delivery;
pub mod engine;
pub mod error;
pub mod event;
pub mod inventory;
pub mod lambda;
pub mod locate;
pub mod sweep;

#[cfg(test)]
pub(crate) use cf_origin_doctor_diagnosis::testing;
pub use cf_origin_doctor_diagnosis::{checks, evidence, forwarding, report, request, verdict};
pub use cf_origin_doctor_probe::{plan, plan_tls, probe};
