//! The probes of cf-origin-doctor: the requests and handshakes CloudFront would make toward
//! each origin, planned from the configuration ([`plan`], [`plan_tls`]), and sent the way
//! CloudFront sends them, and the way a viewer reaches the distribution ([`probe`]).
//!
//! The plan reads the evidence types of the diagnosis crate; the probes record what they saw in
//! them. Nothing here decides what a failure means: that is the diagnosis crate's part.

pub mod ladder;
pub mod plan;
pub mod plan_tls;
pub mod probe;

#[cfg(test)]
use cf_origin_doctor_diagnosis::testing;
use cf_origin_doctor_diagnosis::{evidence, forwarding, request};
