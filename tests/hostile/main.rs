//! The hostile-origin suite: real servers on loopback that answer the probes with what an
//! attacker-controlled origin could send (reflected secrets, floods, malformed framing, steering
//! redirects and addresses), and hostile event shapes for the Lambda front end. Each test asserts
//! the bound that held, the error recorded, and that no secret value appears in any output.

// A panic here is a failed test, not a crash of the tool.
#![allow(clippy::unwrap_used)]

mod addresses;
mod events;
mod parsers;
mod secrets;
