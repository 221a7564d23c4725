//! cf-origin-doctor: finds why a site that works on its origin fails through Amazon CloudFront.
//!
//! One pipeline, each stage reading only what the previous one produced:
//! request → [`inventory`] (AWS, read-only) → [`plan`] → [`probe`] → [`checks`] → [`verdict`] →
//! [`report`] (returned, or published). The [`engine`] runs it; the CLI and the Lambda are thin
//! front ends on the engine.

pub mod checks;
pub mod delivery;
pub mod engine;
pub mod error;
pub mod event;
pub mod evidence;
pub mod forwarding;
pub mod inventory;
pub mod lambda;
pub mod plan;
pub mod plan_tls;
pub mod probe;
pub mod report;
pub mod request;
pub mod sweep;
#[cfg(test)]
pub(crate) mod testing;
pub mod verdict;
