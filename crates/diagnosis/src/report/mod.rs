//! Stage 6: the public report. [`v1`] is a versioned format of its own, built from the verdict
//! and the evidence, never a dump of internal types; [`text`] renders it for a person.

pub mod text;
pub mod v1;

pub use v1::ReportV1;
