//! The diagnosis of cf-origin-doctor: what the evidence is, how CloudFront forwards requests,
//! the checks, the verdict and the report.
//!
//! Pure and offline: no network, no clock, no AWS SDK. Everything here reads [`evidence`] that
//! the probe and inventory stages (other crates) gathered, or that a file recorded, so a
//! replayed run decides exactly as the live one did.

pub mod checks;
pub mod evidence;
pub mod fix;
pub mod fix_check;
pub mod forwarding;
pub mod preflight;
pub mod report;
pub mod request;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod verdict;

use evidence::Evidence;
use report::ReportV1;
use verdict::Verdict;

/// Everything a run produced: the evidence (recordable), the verdict, the check of the primary
/// finding's fix and the public report.
pub struct Diagnosis {
    pub evidence: Evidence,
    pub verdict: Verdict,
    pub fix_checks: Vec<fix_check::FixCheck>,
    pub report: ReportV1,
    /// The pre-flight of the proposed configuration the evidence carries, if any.
    pub preflight: Option<preflight::Preflight>,
}

/// Checks and verdict over gathered or recorded evidence, then the check of the primary
/// finding's fix on a changed copy of it ([`fix_check`]) and, when the evidence carries a
/// proposed configuration, its pre-flight ([`preflight`]).
pub fn evaluate(evidence: Evidence) -> Diagnosis {
    let outputs = checks::run_all(&evidence);
    let verdict = verdict::decide(&evidence, outputs);
    let fix_checks = fix_check::check(&evidence, &verdict);
    let mut report = ReportV1::build(&evidence, &verdict).with_fix_checks(&fix_checks);
    let preflight = preflight::run(&evidence, &verdict);
    if let Some(p) = &preflight {
        report = report.with_preflight(&evidence, p);
    }
    Diagnosis { evidence, verdict, fix_checks, report, preflight }
}
