//! Stage 5: from findings and the symptom seen through CloudFront, one ranked verdict.

use crate::checks::{CheckOutput, Finding, Severity, Unverified};
use crate::evidence::{Evidence, HopResult, ProbeTarget, RedirectOutcome, Scheme};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Incomplete,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Incomplete => "incomplete",
        }
    }
}

/// What a viewer sees through the distribution, summarised from the edge probes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symptom {
    /// e.g. `https://d111.cloudfront.net/ → 301 loop`.
    pub description: String,
    /// True when a viewer request failed (error status, loop, connection failure).
    pub failing: bool,
    /// True when at least one edge probe ran.
    pub seen: bool,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub primary: Option<String>,
    pub summary: String,
    pub symptom: Symptom,
    /// Findings in rank order, best-supported cause first.
    pub findings: Vec<Finding>,
    pub unverified: Vec<Unverified>,
}

impl Verdict {
    pub fn highest_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Reads the edge probes: the first failing one describes the symptom.
pub fn symptom(ev: &Evidence) -> Symptom {
    let mut seen = false;
    let mut healthy = Vec::new();
    for p in ev.observations.probes.iter() {
        let ProbeTarget::Edge { scheme, .. } = &p.target else {
            continue;
        };
        seen = true;
        let first_url = p.hops.first().map(|h| h.url.clone()).unwrap_or_default();
        match &p.redirects {
            RedirectOutcome::Loop { repeated_url } => {
                return Symptom {
                    description: format!("{first_url}: redirect loop ({repeated_url} came back)"),
                    failing: true,
                    seen,
                };
            }
            RedirectOutcome::TooMany { limit } => {
                return Symptom {
                    description: format!("{first_url}: more than {limit} redirects"),
                    failing: true,
                    seen,
                };
            }
            _ => {}
        }
        match p.last_hop().map(|h| &h.result) {
            Some(HopResult::Response(r)) if r.status >= 400 => {
                let origin = match &r.cloudfront_error {
                    Some(page) => format!(
                        "CloudFront's own error page{}",
                        page.reason.as_deref().map(|s| format!(": \"{s}\"")).unwrap_or_default()
                    ),
                    None => "the origin's answer".to_string(),
                };
                return Symptom {
                    description: format!("{first_url} → {} ({origin})", r.status), failing: true, seen
                };
            }
            // An HTTP-only failure with HTTPS working is judged by the HTTPS probe.
            Some(HopResult::Error(e)) if *scheme == Scheme::Https => {
                return Symptom { description: format!("{first_url}: {}", e.message), failing: true, seen };
            }
            Some(HopResult::Error(_)) => {}
            Some(HopResult::Response(r)) => healthy.push(format!("{first_url} → {}", r.status)),
            None => {}
        }
    }
    if !seen {
        return Symptom { description: "the distribution was not probed".into(), failing: false, seen };
    }
    Symptom { description: healthy.join("; "), failing: false, seen }
}

fn rank_key(f: &Finding) -> (bool, Severity, crate::checks::Confidence) {
    (f.observed, f.severity, f.confidence)
}

pub fn decide(ev: &Evidence, checks: CheckOutput) -> Verdict {
    let symptom = symptom(ev);
    let mut findings = checks.findings;
    findings.sort_by_key(|f| std::cmp::Reverse(rank_key(f)));
    let unverified = checks.unverified;
    let top = findings.first();
    let explains = top.is_some_and(|f| f.severity >= Severity::High);
    let status = if explains {
        Status::Fail
    } else if symptom.failing || (!unverified.is_empty() && !symptom.seen) {
        Status::Incomplete
    } else if findings.iter().any(|f| f.severity >= Severity::Low) {
        Status::Warn
    } else {
        Status::Pass
    };
    let primary = if explains { top.map(|f| f.id.clone()) } else { None };
    let summary = match (status, top) {
        (Status::Fail, Some(f)) => format!("{} Fix: {}", f.summary, f.remediation.summary),
        (Status::Incomplete, _) if symptom.failing => format!(
            "Through CloudFront: {}. No check explains it{}.",
            symptom.description,
            if unverified.is_empty() {
                String::new()
            } else {
                format!("; {} item(s) could not be verified and may hide the cause", unverified.len())
            }
        ),
        (Status::Incomplete, _) => {
            format!("{} item(s) could not be verified and the distribution could not be probed.", unverified.len())
        }
        (Status::Warn, Some(f)) => {
            format!("Traffic works, but there is a latent risk: {}", f.summary)
        }
        _ => format!("No problem found. Through CloudFront: {}.", symptom.description),
    };
    Verdict { status, primary, summary, symptom, findings, unverified }
}
