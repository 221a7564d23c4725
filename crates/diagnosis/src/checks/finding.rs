//! Findings, their metadata and the builder that refuses an incomplete finding.

use super::symptom::Explains;
pub use crate::fix::Fix;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// The kind of fix a finding carries, as its check declares it in [`CheckMeta::fix_kinds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixKind {
    /// Configuration or network changes first: they can be applied to a copy of the evidence
    /// and checked there.
    Typed,
    /// First a change only the owner can make outside the distribution's configuration and
    /// the network rules: the origin's certificate, listener, server or code, DNS, edge code,
    /// a quota, an invalidation.
    OriginSide,
    /// No change this tool can state; the fix says why.
    Manual,
}

impl FixKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::Typed => "typed",
            FixKind::OriginSide => "origin-side",
            FixKind::Manual => "manual",
        }
    }

    /// The kind of a fix, judged by its preferred alternative.
    pub fn of(fix: &Fix) -> FixKind {
        match fix.preferred() {
            None => FixKind::Manual,
            Some(a) if a.is_checkable() => FixKind::Typed,
            Some(_) => FixKind::OriginSide,
        }
    }
}

/// Everything about a check, declared once in its module as `pub static META`: the docs page
/// of findings is generated from this, findings start from it ([`CheckMeta::finding`]) and the
/// ranking of findings reads from it which symptoms a finding explains.
#[derive(Debug)]
pub struct CheckMeta {
    /// Stable kebab-case id: reports, evidence files and `docs/findings.md` name the finding by
    /// it; the module is named after it (`-` becomes `_`).
    pub id: &'static str,
    pub title: &'static str,
    /// What breaks, for a person.
    pub what_breaks: &'static str,
    /// Why CloudFront fails on it.
    pub why: &'static str,
    /// The evidence the check reads.
    pub evidence_used: &'static [&'static str],
    /// The usual fix.
    pub fix: &'static str,
    /// The kinds of fix its findings carry, the usual one first.
    pub fix_kinds: &'static [FixKind],
    pub docs_url: &'static str,
    /// What viewers see when this check's finding is the cause, or that it is a latent risk.
    pub explains: Explains,
    /// `module_path!()` of the check's module, so a test can hold the module name to the id.
    pub module: &'static str,
}

impl CheckMeta {
    /// Starts a finding of this check.
    pub fn finding(&'static self, severity: Severity, confidence: Confidence) -> FindingBuilder {
        FindingBuilder {
            meta: self,
            severity,
            confidence,
            summary: None,
            observed: false,
            evidence: Vec::new(),
            remediation: None,
            resources: Vec::new(),
        }
    }
}

/// Where an evidence item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A field of the distribution's configuration.
    Config,
    /// Security groups, ACLs, load balancer listeners and other network configuration.
    Network,
    /// A live probe's observation.
    Probe,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceItem {
    pub source: Source,
    /// The field path, resource or probe this is about.
    pub subject: String,
    pub observed: String,
    /// What would have been fine, when there is such a thing.
    pub expected: Option<String>,
}

impl EvidenceItem {
    pub fn new(source: Source, subject: impl Into<String>, observed: impl Into<String>) -> Self {
        EvidenceItem { source, subject: subject.into(), observed: observed.into(), expected: None }
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// One sentence: the exact field and value to set.
    pub summary: String,
    /// Alternatives or follow-ups, in order of preference.
    pub steps: Vec<String>,
    /// AWS CLI commands (placeholders in angle brackets).
    pub cli: Vec<String>,
    /// The change as data: typed alternatives, or why there is none.
    pub fix: Fix,
}

impl Remediation {
    /// The remediation with the exact steps of its fix's preferred alternative first, in place
    /// of the generic `update-distribution` hint (which names no field).
    pub fn exact(mut self, d: &crate::evidence::Distribution) -> Self {
        let mut cli = self.fix.cli(d);
        if cli.is_empty() {
            return self;
        }
        // The same command without its region is the hand-written form of a generated one.
        let without_region = |c: &str| {
            let mut words = c.split_whitespace();
            let mut kept = Vec::new();
            while let Some(w) = words.next() {
                if w == "--region" {
                    words.next();
                } else {
                    kept.push(w.to_string());
                }
            }
            kept
        };
        let generated: Vec<Vec<String>> = cli.iter().map(|c| without_region(c)).collect();
        let generic = super::probe_view::update_cli(d);
        self.cli.retain(|c| *c != generic && !generated.contains(&without_region(c)));
        cli.append(&mut self.cli);
        self.cli = cli;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// `distribution`, `origin`, `behavior`, `load-balancer`, `listener`, `security-group`, `certificate`.
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub title: String,
    pub summary: String,
    /// True when the failure itself was seen through CloudFront (not only predicted).
    pub observed: bool,
    pub evidence: Vec<EvidenceItem>,
    pub remediation: Remediation,
    pub docs_url: String,
    pub resources: Vec<Resource>,
}

/// Something a check could not decide, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unverified {
    pub what: String,
    pub reason: String,
    /// The check that could not run fully.
    pub check: String,
}

#[derive(Debug, Clone, Default)]
pub struct CheckOutput {
    pub findings: Vec<Finding>,
    pub unverified: Vec<Unverified>,
}

impl CheckOutput {
    pub fn unverified(&mut self, meta: &CheckMeta, what: impl Into<String>, reason: impl Into<String>) {
        self.unverified.push(Unverified { what: what.into(), reason: reason.into(), check: meta.id.to_string() });
    }

    /// Builds and adds a finding; an invalid one (a bug in a check) becomes a "could not verify"
    /// note of its check.
    pub fn push(&mut self, finding: FindingBuilder) {
        let meta = finding.meta;
        match finding.build() {
            Ok(f) => self.findings.push(f),
            Err(e) => self.unverified(meta, format!("check {}", meta.id), format!("internal error: {e}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindingError {
    #[error("a finding needs a summary")]
    NoSummary,
    #[error("a finding needs at least one evidence item")]
    NoEvidence,
    #[error("a finding needs a remediation")]
    NoRemediation,
    #[error("a finding needs at least one resource")]
    NoResource,
    #[error("a fix with no automatic change needs its reason")]
    ManualWithoutReason,
    #[error("a typed fix needs at least one change in each alternative")]
    EmptyFix,
}

/// Builds a [`Finding`] from [`CheckMeta::finding`]; `build()` refuses one without summary,
/// evidence, remediation or resource.
pub struct FindingBuilder {
    meta: &'static CheckMeta,
    severity: Severity,
    confidence: Confidence,
    summary: Option<String>,
    observed: bool,
    evidence: Vec<EvidenceItem>,
    remediation: Option<Remediation>,
    resources: Vec<Resource>,
}

impl FindingBuilder {
    pub fn summary(mut self, s: impl Into<String>) -> Self {
        self.summary = Some(s.into());
        self
    }

    pub fn observed(mut self, observed: bool) -> Self {
        self.observed = observed;
        self
    }

    pub fn evidence(mut self, items: impl IntoIterator<Item = EvidenceItem>) -> Self {
        self.evidence.extend(items);
        self
    }

    pub fn remediation(mut self, r: Remediation) -> Self {
        self.remediation = Some(r);
        self
    }

    pub fn resource(mut self, kind: &str, id: impl Into<String>) -> Self {
        let r = Resource { kind: kind.to_string(), id: id.into() };
        if !self.resources.contains(&r) {
            self.resources.push(r);
        }
        self
    }

    pub fn build(self) -> Result<Finding, FindingError> {
        let summary = self.summary.filter(|s| !s.trim().is_empty()).ok_or(FindingError::NoSummary)?;
        if self.evidence.is_empty() {
            return Err(FindingError::NoEvidence);
        }
        let remediation =
            self.remediation.filter(|r| !r.summary.trim().is_empty()).ok_or(FindingError::NoRemediation)?;
        match &remediation.fix {
            Fix::Manual { reason } if reason.trim().is_empty() => return Err(FindingError::ManualWithoutReason),
            Fix::Changes { alternatives }
                if alternatives.is_empty() || alternatives.iter().any(|a| a.changes.is_empty()) =>
            {
                return Err(FindingError::EmptyFix);
            }
            _ => {}
        }
        if self.resources.is_empty() {
            return Err(FindingError::NoResource);
        }
        Ok(Finding {
            id: self.meta.id.to_string(),
            severity: self.severity,
            confidence: self.confidence,
            title: self.meta.title.to_string(),
            summary,
            observed: self.observed,
            evidence: self.evidence,
            remediation,
            docs_url: self.meta.docs_url.to_string(),
            resources: self.resources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static META: CheckMeta = CheckMeta {
        id: "test-check",
        title: "t",
        what_breaks: "w",
        why: "y",
        evidence_used: &[],
        fix: "f",
        fix_kinds: &[FixKind::Manual],
        docs_url: "https://example.invalid",
        explains: Explains::Latent,
        module: module_path!(),
    };

    #[test]
    fn builder_refuses_incomplete_findings() {
        let base = || META.finding(Severity::High, Confidence::High);
        assert_eq!(base().build().unwrap_err(), FindingError::NoSummary);
        assert_eq!(base().summary("s").build().unwrap_err(), FindingError::NoEvidence);
        let ev = EvidenceItem::new(Source::Config, "a", "b");
        assert_eq!(base().summary("s").evidence([ev.clone()]).build().unwrap_err(), FindingError::NoRemediation);
        let rem =
            Remediation { summary: "do".into(), steps: vec![], cli: vec![], fix: Fix::manual("the test needs none") };
        assert_eq!(
            base().summary("s").evidence([ev.clone()]).remediation(rem.clone()).build().unwrap_err(),
            FindingError::NoResource
        );
        let f = base()
            .summary("s")
            .evidence([ev.clone()])
            .remediation(rem.clone())
            .resource("distribution", "E1")
            .build()
            .unwrap();
        assert_eq!(f.id, "test-check");
        let with_fix = |fix: Fix| {
            base()
                .summary("s")
                .evidence([ev.clone()])
                .remediation(Remediation { fix, ..rem.clone() })
                .resource("distribution", "E1")
                .build()
        };
        assert_eq!(with_fix(Fix::manual("  ")).unwrap_err(), FindingError::ManualWithoutReason);
        assert_eq!(with_fix(Fix::changes([])).unwrap_err(), FindingError::EmptyFix);
        assert_eq!(with_fix(Fix::alternatives([vec![]])).unwrap_err(), FindingError::EmptyFix);
        assert_eq!(with_fix(Fix::Changes { alternatives: vec![] }).unwrap_err(), FindingError::EmptyFix);
    }

    #[test]
    fn severities_order_by_impact() {
        assert!(
            Severity::Critical > Severity::High && Severity::High > Severity::Medium && Severity::Low > Severity::Info
        );
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
        assert_eq!(Severity::parse("x"), None);
    }
}
