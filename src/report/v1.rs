//! Report format v1: the CLI's `--format json` and the Lambda's return value.
//! Its JSON Schema is `schema/report-v1.schema.json`; later versions extend it, never break it.

use crate::checks::{EvidenceItem, Finding, Remediation, Resource, Unverified};
use crate::evidence::{Evidence, Hop, HopResult, ProbeRecord, ProbeTarget, RedirectOutcome, Timings};
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportV1 {
    pub schema_version: u32,
    pub tool: Tool,
    pub generated_at: String,
    pub distribution_id: String,
    pub domain_name: String,
    pub status: String,
    pub highest_severity: Option<String>,
    pub verdict: VerdictV1,
    pub findings: Vec<FindingV1>,
    pub unverified: Vec<UnverifiedV1>,
    pub observations: ObservationsV1,
    pub aws_calls: Vec<AwsCallV1>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerdictV1 {
    pub primary: Option<String>,
    pub summary: String,
    /// What a viewer sees through CloudFront.
    pub symptom: String,
    /// The kind of symptom: `healthy`, `redirect_loop`, `redirect_escape`, `cloudfront_403`,
    /// `cloudfront_502`, `cloudfront_503`, `cloudfront_504`, `origin_error`, `viewer_tls`,
    /// `viewer_connect`, `misdirected_request`, `not_probed`.
    pub symptom_class: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingV1 {
    pub id: String,
    pub severity: String,
    pub confidence: String,
    pub title: String,
    pub summary: String,
    pub observed: bool,
    pub evidence: Vec<EvidenceV1>,
    pub remediation: RemediationV1,
    pub docs_url: String,
    pub resources: Vec<ResourceV1>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvidenceV1 {
    pub source: String,
    pub subject: String,
    pub observed: String,
    pub expected: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemediationV1 {
    pub summary: String,
    pub steps: Vec<String>,
    pub cli: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceV1 {
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnverifiedV1 {
    pub what: String,
    pub reason: String,
    pub check: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObservationsV1 {
    pub probed_from: String,
    pub overrides: Vec<String>,
    pub probes: Vec<ProbeV1>,
    pub skipped: Vec<SkippedV1>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkippedV1 {
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeV1 {
    pub id: String,
    /// `origin` or `edge`.
    pub target: String,
    pub origin_id: Option<String>,
    pub method: String,
    pub request_headers: Vec<(String, String)>,
    pub hops: Vec<HopV1>,
    /// `final`, `loop`, `too_many`, `not_followed`, `failed`.
    pub redirects: String,
    pub redirects_detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HopV1 {
    pub url: String,
    pub address: Option<String>,
    pub address_from_override: bool,
    pub host_header: String,
    pub sni: Option<String>,
    pub status: Option<u16>,
    pub location: Option<String>,
    pub server: Option<String>,
    pub x_cache: Option<String>,
    pub cloudfront_error: Option<String>,
    pub error: Option<String>,
    pub error_stage: Option<String>,
    pub timings_ms: TimingsV1,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimingsV1 {
    pub connect: Option<u64>,
    pub tls: Option<u64>,
    pub first_byte: Option<u64>,
    pub max_gap: Option<u64>,
    pub total: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsCallV1 {
    pub action: String,
    pub region: String,
    pub outcome: String,
    pub millis: u64,
}

impl ReportV1 {
    pub fn build(ev: &Evidence, verdict: &Verdict) -> Self {
        let d = &ev.inventory.distribution;
        ReportV1 {
            schema_version: SCHEMA_VERSION,
            tool: Tool { name: "cf-origin-doctor".into(), version: env!("CARGO_PKG_VERSION").into() },
            generated_at: ev.collected_at.clone(),
            distribution_id: d.id.clone(),
            domain_name: d.domain_name.clone(),
            status: verdict.status.as_str().into(),
            highest_severity: verdict.highest_severity().map(|s| s.as_str().to_string()),
            verdict: VerdictV1 {
                primary: verdict.primary.clone(),
                summary: verdict.summary.clone(),
                symptom: verdict.symptom.description.clone(),
                symptom_class: serde_plain(&verdict.symptom.class),
            },
            findings: verdict.findings.iter().map(finding).collect(),
            unverified: verdict.unverified.iter().map(unverified).collect(),
            observations: ObservationsV1 {
                probed_from: ev.observations.probed_from.clone(),
                overrides: ev.observations.overrides.clone(),
                probes: ev.observations.probes.iter().map(probe).collect(),
                skipped: ev
                    .observations
                    .skipped
                    .iter()
                    .map(|s| SkippedV1 { id: s.id.clone(), reason: s.reason.clone() })
                    .collect(),
            },
            aws_calls: ev
                .inventory
                .calls
                .iter()
                .map(|c| AwsCallV1 {
                    action: c.action.clone(),
                    region: c.region.clone(),
                    outcome: c.outcome.clone(),
                    millis: c.millis,
                })
                .collect(),
        }
    }
}

fn finding(f: &Finding) -> FindingV1 {
    FindingV1 {
        id: f.id.clone(),
        severity: f.severity.as_str().into(),
        confidence: serde_plain(&f.confidence),
        title: f.title.clone(),
        summary: f.summary.clone(),
        observed: f.observed,
        evidence: f.evidence.iter().map(evidence).collect(),
        remediation: remediation(&f.remediation),
        docs_url: f.docs_url.clone(),
        resources: f.resources.iter().map(resource).collect(),
    }
}

fn serde_plain<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn evidence(e: &EvidenceItem) -> EvidenceV1 {
    EvidenceV1 {
        source: serde_plain(&e.source),
        subject: e.subject.clone(),
        observed: e.observed.clone(),
        expected: e.expected.clone(),
    }
}

fn remediation(r: &Remediation) -> RemediationV1 {
    RemediationV1 { summary: r.summary.clone(), steps: r.steps.clone(), cli: r.cli.clone() }
}

fn resource(r: &Resource) -> ResourceV1 {
    ResourceV1 { kind: r.kind.clone(), id: r.id.clone() }
}

fn unverified(u: &Unverified) -> UnverifiedV1 {
    UnverifiedV1 { what: u.what.clone(), reason: u.reason.clone(), check: u.check.clone() }
}

fn probe(p: &ProbeRecord) -> ProbeV1 {
    let (target, origin_id) = match &p.target {
        ProbeTarget::Origin { origin_id, .. } => ("origin", Some(origin_id.clone())),
        ProbeTarget::Edge { .. } => ("edge", None),
    };
    let (redirects, detail) = match &p.redirects {
        RedirectOutcome::Final => ("final", None),
        RedirectOutcome::Loop { repeated_url } => ("loop", Some(format!("{repeated_url} came back"))),
        RedirectOutcome::TooMany { limit } => ("too_many", Some(format!("more than {limit} redirects"))),
        RedirectOutcome::NotFollowed { location, reason } => ("not_followed", Some(format!("{location}: {reason}"))),
        RedirectOutcome::Failed => ("failed", None),
    };
    ProbeV1 {
        id: p.id.clone(),
        target: target.into(),
        origin_id,
        method: p.method.clone(),
        request_headers: p.request_headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
        hops: p.hops.iter().map(hop).collect(),
        redirects: redirects.into(),
        redirects_detail: detail,
    }
}

fn timings(t: &Timings) -> TimingsV1 {
    TimingsV1 {
        connect: t.connect_ms,
        tls: t.tls_ms,
        first_byte: t.first_byte_ms,
        max_gap: t.max_gap_ms,
        total: t.total_ms,
    }
}

fn hop(h: &Hop) -> HopV1 {
    let mut out = HopV1 {
        url: h.url.clone(),
        address: h.address.clone(),
        address_from_override: h.address_from_override,
        host_header: h.host_header.clone(),
        sni: h.sni.clone(),
        status: None,
        location: None,
        server: None,
        x_cache: None,
        cloudfront_error: None,
        error: None,
        error_stage: None,
        timings_ms: timings(&h.timings),
    };
    match &h.result {
        HopResult::Response(r) => {
            out.status = Some(r.status);
            out.location = r.header("location").map(str::to_string);
            out.server = r.header("server").map(str::to_string);
            out.x_cache = r.header("x-cache").map(str::to_string);
            out.cloudfront_error = r.cloudfront_error.as_ref().map(|p| match &p.reason {
                Some(reason) => format!("{}: {reason}", p.heading),
                None => p.heading.clone(),
            });
        }
        HopResult::Error(e) => {
            out.error = Some(e.message.clone());
            out.error_stage = Some(serde_plain(&e.stage));
        }
    }
    out
}
