//! Report format v1: the CLI's `--format json` and the Lambda's return value.
//! Its JSON Schema is `schema/report-v1.schema.json`; later versions extend it, never break it.

use crate::checks::{EvidenceItem, Finding, Remediation, Resource, Unverified};
use crate::evidence::{
    ChainValidation, DnsObservation, DnsRole, Evidence, Hop, HopResult, ProbeRecord, ProbeTarget, RedirectOutcome,
    TcpObservation, Timings, TlsHandshakeResult, TlsObservation,
};
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
    /// Every name resolved: origins, the distribution's domain, aliases.
    pub dns: Vec<DnsV1>,
    /// A TCP connect to each port CloudFront uses toward an origin.
    pub tcp: Vec<TcpV1>,
    /// CloudFront's TLS hello toward each HTTPS origin, per server name.
    pub tls: Vec<TlsV1>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DnsV1 {
    pub name: String,
    /// `origin`, `distribution_domain` or `alias`.
    pub role: String,
    pub origin_id: Option<String>,
    pub source: String,
    pub cname_chain: Vec<String>,
    pub a: Vec<String>,
    pub aaaa: Vec<String>,
    pub error: Option<String>,
    pub notes: Vec<String>,
    pub points_to_distribution: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TcpV1 {
    pub origin_id: String,
    pub host: String,
    pub port: u16,
    pub scheme: String,
    pub address: Option<String>,
    pub from_override: bool,
    /// `connected`, `refused`, `timed_out`, `not_attempted`, `error`.
    pub outcome: String,
    pub connect_ms: Option<u64>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsV1 {
    pub id: String,
    pub origin_id: String,
    pub host: String,
    pub port: u16,
    pub sni: Option<String>,
    /// Whether CloudFront sends this SNI (null when the forwarding could not be worked out).
    pub cloudfront_sends: Option<bool>,
    pub address: Option<String>,
    /// CloudFront's hello as sent.
    pub offered_versions: Vec<String>,
    pub offered_cipher_suites: Vec<String>,
    pub offered_groups: Vec<String>,
    pub offered_signature_schemes: Vec<String>,
    /// What CloudFront would get.
    pub result: TlsResultV1,
    /// Each raw hello with CloudFront's suites, by the version offered.
    pub hellos: Vec<TlsHelloV1>,
    /// Only when CloudFront's hello failed: TLS 1.2 with every suite rustls has, TLS 1.3 alone.
    pub tls12_any_suite: Option<TlsResultV1>,
    pub tls13: Option<TlsResultV1>,
    pub client_certificate_requested: bool,
    pub chain: Vec<CertificateV1>,
    /// Certificates the server presented beyond the 16 described (a flood is counted, not kept).
    pub chain_dropped: u64,
    /// `trusted`, or the validation error (`unknown_issuer`, `expired`, …); null without a chain.
    pub chain_validation: Option<String>,
    pub chain_in_order: Option<bool>,
    pub chain_trusted_only_by_ca_file: Option<bool>,
    pub name_checked: Option<String>,
    pub name_matches: Option<bool>,
    pub handshake_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsResultV1 {
    /// `established` or `failed`.
    pub outcome: String,
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    pub group: Option<String>,
    /// The handshake was completed (otherwise the probe stopped after the server's hello).
    pub full_handshake: Option<bool>,
    /// The failure kind (`alert`, `incompatible`, `not_tls`, `closed`, …).
    pub failure: Option<String>,
    pub alert: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsHelloV1 {
    pub version: String,
    /// OriginSslProtocols lists this version.
    pub allowed: bool,
    pub result: TlsResultV1,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateV1 {
    pub subject: String,
    pub issuer: String,
    pub dns_names: Vec<String>,
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    pub key_type: String,
    pub key_bits: Option<u32>,
    pub signature_algorithm: String,
    pub is_ca: bool,
    pub sha256: String,
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
                dns: ev.observations.dns.iter().map(dns).collect(),
                tcp: ev.observations.tcp.iter().map(tcp).collect(),
                tls: ev.observations.tls.iter().map(tls).collect(),
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

fn dns(d: &DnsObservation) -> DnsV1 {
    let (role, origin_id) = match &d.role {
        DnsRole::Origin { origin_id } => ("origin", Some(origin_id.clone())),
        DnsRole::DistributionDomain => ("distribution_domain", None),
        DnsRole::Alias => ("alias", None),
    };
    DnsV1 {
        name: d.name.clone(),
        role: role.into(),
        origin_id,
        source: d.source.clone(),
        cname_chain: d.cname_chain.clone(),
        a: d.a.clone(),
        aaaa: d.aaaa.clone(),
        error: d.error.clone(),
        notes: d.notes.clone(),
        points_to_distribution: d.points_to_distribution,
    }
}

fn tcp(t: &TcpObservation) -> TcpV1 {
    TcpV1 {
        origin_id: t.origin_id.clone(),
        host: t.host.clone(),
        port: t.port,
        scheme: t.scheme.as_str().into(),
        address: t.address.clone(),
        from_override: t.from_override,
        outcome: serde_plain(&t.outcome),
        connect_ms: t.connect_ms,
        message: t.message.clone(),
    }
}

fn tls_result(r: &TlsHandshakeResult) -> TlsResultV1 {
    match r {
        TlsHandshakeResult::Established(e) => TlsResultV1 {
            outcome: "established".into(),
            version: Some(e.version.clone()),
            cipher_suite: Some(e.cipher_suite.clone()),
            group: e.group.clone(),
            full_handshake: Some(e.full_handshake),
            failure: None,
            alert: None,
            message: None,
        },
        TlsHandshakeResult::Failed(f) => TlsResultV1 {
            outcome: "failed".into(),
            version: None,
            cipher_suite: None,
            group: None,
            full_handshake: None,
            failure: Some(serde_plain(&f.kind)),
            alert: f.alert.clone(),
            message: Some(f.message.clone()),
        },
    }
}

fn tls(t: &TlsObservation) -> TlsV1 {
    let check = t.chain_check.as_ref();
    TlsV1 {
        id: t.id.clone(),
        origin_id: t.origin_id.clone(),
        host: t.host.clone(),
        port: t.port,
        sni: t.sni.clone(),
        cloudfront_sends: t.cloudfront_sends,
        address: t.address.clone(),
        offered_versions: t.offered.versions.clone(),
        offered_cipher_suites: t.offered.cipher_suites.clone(),
        offered_groups: t.offered.groups.clone(),
        offered_signature_schemes: t.offered.signature_schemes.clone(),
        result: tls_result(&t.result),
        hellos: t
            .hellos
            .iter()
            .map(|h| TlsHelloV1 { version: h.version.clone(), allowed: h.allowed, result: tls_result(&h.result) })
            .collect(),
        tls12_any_suite: t.fallback.as_ref().map(|f| tls_result(&f.tls12_any_suite)),
        tls13: t.fallback.as_ref().map(|f| tls_result(&f.tls13)),
        client_certificate_requested: t.client_certificate_requested,
        chain: t
            .chain
            .iter()
            .map(|c| CertificateV1 {
                subject: c.subject.clone(),
                issuer: c.issuer.clone(),
                dns_names: c.dns_names.clone(),
                not_before_unix: c.not_before_unix,
                not_after_unix: c.not_after_unix,
                key_type: c.key_type.clone(),
                key_bits: c.key_bits,
                signature_algorithm: c.signature_algorithm.clone(),
                is_ca: c.is_ca,
                sha256: c.sha256.clone(),
            })
            .collect(),
        chain_dropped: t.chain_dropped,
        chain_validation: check.map(|c| match &c.validation {
            ChainValidation::Trusted => "trusted".to_string(),
            ChainValidation::Failed { error, .. } => serde_plain(error),
        }),
        chain_in_order: check.map(|c| c.in_order),
        chain_trusted_only_by_ca_file: check.map(|c| c.trusted_only_by_extra_anchor),
        name_checked: t.name_check.as_ref().map(|n| n.name.clone()),
        name_matches: t.name_check.as_ref().map(|n| n.matches),
        handshake_ms: t.handshake_ms,
    }
}
