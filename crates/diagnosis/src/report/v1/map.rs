//! From the verdict and the evidence to report v1: the only place that reads internal types
//! for the public format. Every internal enum is matched exhaustively, so a new variant is a
//! compile error here until it is given its public name.

use super::*;
use crate::checks::{Confidence, EvidenceItem, Finding, Remediation, Resource, Severity, Source, Unverified};
use crate::evidence::{
    Answer, ChainError, ChainValidation, Conclusion, DnsObservation, DnsRole, Evidence, Hop, HopResult, Ladder,
    ProbeRecord, ProbeStage, ProbeTarget, RedirectOutcome, Scheme, TcpObservation, TcpOutcome, Timings, TlsFailureKind,
    TlsHandshakeResult, TlsObservation,
};
use crate::verdict::{Status, SymptomClass, Verdict};

impl From<Status> for StatusV1 {
    fn from(s: Status) -> Self {
        match s {
            Status::Pass => StatusV1::Pass,
            Status::Warn => StatusV1::Warn,
            Status::Incomplete => StatusV1::Incomplete,
            Status::Fail => StatusV1::Fail,
        }
    }
}

impl From<Severity> for SeverityV1 {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Info => SeverityV1::Info,
            Severity::Low => SeverityV1::Low,
            Severity::Medium => SeverityV1::Medium,
            Severity::High => SeverityV1::High,
            Severity::Critical => SeverityV1::Critical,
        }
    }
}

impl From<Confidence> for ConfidenceV1 {
    fn from(c: Confidence) -> Self {
        match c {
            Confidence::Low => ConfidenceV1::Low,
            Confidence::Medium => ConfidenceV1::Medium,
            Confidence::High => ConfidenceV1::High,
        }
    }
}

impl From<SymptomClass> for SymptomClassV1 {
    fn from(c: SymptomClass) -> Self {
        match c {
            SymptomClass::Healthy => SymptomClassV1::Healthy,
            SymptomClass::RedirectLoop => SymptomClassV1::RedirectLoop,
            SymptomClass::RedirectEscape => SymptomClassV1::RedirectEscape,
            SymptomClass::CloudFront403 => SymptomClassV1::CloudFront403,
            SymptomClass::CloudFront502 => SymptomClassV1::CloudFront502,
            SymptomClass::CloudFront503 => SymptomClassV1::CloudFront503,
            SymptomClass::CloudFront504 => SymptomClassV1::CloudFront504,
            SymptomClass::CloudFront4xx => SymptomClassV1::CloudFront4xx,
            SymptomClass::OriginError => SymptomClassV1::OriginError,
            SymptomClass::ViewerTls => SymptomClassV1::ViewerTls,
            SymptomClass::ViewerConnect => SymptomClassV1::ViewerConnect,
            SymptomClass::MisdirectedRequest => SymptomClassV1::MisdirectedRequest,
            SymptomClass::NotProbed => SymptomClassV1::NotProbed,
        }
    }
}

impl From<Source> for EvidenceSourceV1 {
    fn from(s: Source) -> Self {
        match s {
            Source::Config => EvidenceSourceV1::Config,
            Source::Network => EvidenceSourceV1::Network,
            Source::Probe => EvidenceSourceV1::Probe,
        }
    }
}

impl From<Scheme> for SchemeV1 {
    fn from(s: Scheme) -> Self {
        match s {
            Scheme::Http => SchemeV1::Http,
            Scheme::Https => SchemeV1::Https,
        }
    }
}

impl From<TcpOutcome> for TcpOutcomeV1 {
    fn from(o: TcpOutcome) -> Self {
        match o {
            TcpOutcome::Connected => TcpOutcomeV1::Connected,
            TcpOutcome::Refused => TcpOutcomeV1::Refused,
            TcpOutcome::TimedOut => TcpOutcomeV1::TimedOut,
            TcpOutcome::NotAttempted => TcpOutcomeV1::NotAttempted,
            TcpOutcome::Error => TcpOutcomeV1::Error,
        }
    }
}

impl From<TlsFailureKind> for TlsFailureV1 {
    fn from(k: TlsFailureKind) -> Self {
        match k {
            TlsFailureKind::Refused => TlsFailureV1::Refused,
            TlsFailureKind::Dns => TlsFailureV1::Dns,
            TlsFailureKind::Connect => TlsFailureV1::Connect,
            TlsFailureKind::ConnectTimeout => TlsFailureV1::ConnectTimeout,
            TlsFailureKind::HandshakeTimeout => TlsFailureV1::HandshakeTimeout,
            TlsFailureKind::Budget => TlsFailureV1::Budget,
            TlsFailureKind::Alert => TlsFailureV1::Alert,
            TlsFailureKind::Closed => TlsFailureV1::Closed,
            TlsFailureKind::NotTls => TlsFailureV1::NotTls,
            TlsFailureKind::Incompatible => TlsFailureV1::Incompatible,
            TlsFailureKind::Other => TlsFailureV1::Other,
        }
    }
}

impl From<&ChainValidation> for ChainValidationV1 {
    fn from(v: &ChainValidation) -> Self {
        match v {
            ChainValidation::Trusted => ChainValidationV1::Trusted,
            ChainValidation::Failed { error, .. } => match error {
                ChainError::UnknownIssuer => ChainValidationV1::UnknownIssuer,
                ChainError::Expired => ChainValidationV1::Expired,
                ChainError::NotYetValid => ChainValidationV1::NotYetValid,
                ChainError::BadSignature => ChainValidationV1::BadSignature,
                ChainError::UnsupportedSignatureAlgorithm => ChainValidationV1::UnsupportedSignatureAlgorithm,
                ChainError::NotForServerAuth => ChainValidationV1::NotForServerAuth,
                ChainError::Other => ChainValidationV1::Other,
            },
        }
    }
}

impl From<ProbeStage> for ProbeStageV1 {
    fn from(s: ProbeStage) -> Self {
        match s {
            ProbeStage::Refused => ProbeStageV1::Refused,
            ProbeStage::Dns => ProbeStageV1::Dns,
            ProbeStage::Connect => ProbeStageV1::Connect,
            ProbeStage::ConnectTimeout => ProbeStageV1::ConnectTimeout,
            ProbeStage::Tls => ProbeStageV1::Tls,
            ProbeStage::TlsNotSpokenByProbe => ProbeStageV1::TlsNotSpokenByProbe,
            ProbeStage::Http => ProbeStageV1::Http,
            ProbeStage::FirstByteTimeout => ProbeStageV1::FirstByteTimeout,
            ProbeStage::Budget => ProbeStageV1::Budget,
        }
    }
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
            located_by: ev.request.located_by.clone(),
            status: verdict.status.into(),
            highest_severity: verdict.highest_severity().map(SeverityV1::from),
            verdict: VerdictV1 {
                primary: verdict.primary.clone(),
                summary: verdict.summary.clone(),
                symptom: verdict.symptom.description.clone(),
                symptom_class: verdict.symptom.class.into(),
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
                ladders: ev.observations.ladders.iter().map(ladder).collect(),
                cloudfront: super::cloudfront::map(ev),
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
        severity: f.severity.into(),
        confidence: f.confidence.into(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        observed: f.observed,
        evidence: f.evidence.iter().map(evidence).collect(),
        remediation: remediation(&f.remediation),
        docs_url: f.docs_url.clone(),
        resources: f.resources.iter().map(resource).collect(),
    }
}

fn evidence(e: &EvidenceItem) -> EvidenceV1 {
    EvidenceV1 {
        source: e.source.into(),
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
        ProbeTarget::Origin { origin_id, .. } => (ProbeTargetV1::Origin, Some(origin_id.clone())),
        ProbeTarget::Edge { .. } => (ProbeTargetV1::Edge, None),
    };
    let (redirects, detail) = match &p.redirects {
        RedirectOutcome::Final => (RedirectsV1::Final, None),
        RedirectOutcome::Loop { repeated_url } => (RedirectsV1::Loop, Some(format!("{repeated_url} came back"))),
        RedirectOutcome::TooMany { limit } => (RedirectsV1::TooMany, Some(format!("more than {limit} redirects"))),
        RedirectOutcome::NotFollowed { location, reason } => {
            (RedirectsV1::NotFollowed, Some(format!("{location}: {reason}")))
        }
        RedirectOutcome::Failed => (RedirectsV1::Failed, None),
    };
    ProbeV1 {
        id: p.id.clone(),
        target,
        origin_id,
        method: p.method.clone(),
        request_headers: p.request_headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
        hops: p.hops.iter().map(hop).collect(),
        redirects,
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
            out.error_stage = Some(e.stage.into());
        }
    }
    out
}

fn dns(d: &DnsObservation) -> DnsV1 {
    let (role, origin_id) = match &d.role {
        DnsRole::Origin { origin_id } => (DnsRoleV1::Origin, Some(origin_id.clone())),
        DnsRole::DistributionDomain => (DnsRoleV1::DistributionDomain, None),
        DnsRole::Alias => (DnsRoleV1::Alias, None),
    };
    DnsV1 {
        name: d.name.clone(),
        role,
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

fn ladder(l: &Ladder) -> LadderV1 {
    let conclusion = l.conclusion();
    let (cause, working, failing) = match &conclusion {
        Conclusion::Breaks { changes, working, failing } => {
            (changes.iter().map(|c| c.id().to_string()).collect(), Some(*working), Some(*failing))
        }
        Conclusion::NotIsolated { working } => (vec![], Some(*working), None),
        _ => (vec![], None, None),
    };
    let rung_answer = |i: usize| l.rungs.get(i).map(|r| r.describe_answer()).unwrap_or_default();
    let rung_label = |i: usize| l.rungs.get(i).map(|r| r.label.clone()).unwrap_or_default();
    let sentence = match &conclusion {
        Conclusion::Unverified { reason } => format!("not decided: {reason}"),
        Conclusion::CloudfrontRequestWorks => "CloudFront's request works when sent from here".to_string(),
        Conclusion::DirectFails { direct } => {
            format!("the direct request fails too ({}): the origin itself fails", rung_answer(*direct))
        }
        Conclusion::Breaks { changes, working, failing } => {
            let names: Vec<&str> = changes.iter().map(|c| c.as_str()).collect();
            format!(
                "{} → {} works; {} → {} fails: the first failing change is {}",
                rung_label(*working),
                rung_answer(*working),
                rung_label(*failing),
                rung_answer(*failing),
                names.join(" + ")
            )
        }
        Conclusion::NotIsolated { working } => format!(
            "{} works and CloudFront's request fails, but no change was isolated within the ladder's bound",
            rung_label(*working)
        ),
    };
    LadderV1 {
        origin_id: l.origin_id.clone(),
        viewer_path: l.viewer_path.clone(),
        connection: format!("{}:{}", l.scheme.as_str(), l.port),
        conclusion: sentence,
        cause,
        differences: l
            .differences
            .iter()
            .map(|d| LadderDifferenceV1 {
                change: d.change.id().to_string(),
                direct: d.direct.clone(),
                cloudfront: d.cloudfront.clone(),
            })
            .collect(),
        rungs: l
            .rungs
            .iter()
            .enumerate()
            .map(|(i, r)| RungV1 {
                label: r.label.clone(),
                url: r.hop.as_ref().map(|h| h.url.clone()),
                host: r.request.host.clone(),
                answer: r.describe_answer(),
                works: match l.answer(r) {
                    Answer::Works => Some(true),
                    Answer::Fails => Some(false),
                    Answer::Unknown => None,
                },
                role: if Some(i) == failing {
                    Some("failing".into())
                } else if Some(i) == working {
                    Some("working".into())
                } else if i == l.cloudfront_rung {
                    Some("cloudfront".into())
                } else {
                    None
                },
            })
            .collect(),
    }
}

fn tcp(t: &TcpObservation) -> TcpV1 {
    TcpV1 {
        origin_id: t.origin_id.clone(),
        host: t.host.clone(),
        port: t.port,
        scheme: t.scheme.into(),
        address: t.address.clone(),
        from_override: t.from_override,
        outcome: t.outcome.into(),
        connect_ms: t.connect_ms,
        message: t.message.clone(),
    }
}

fn tls_result(r: &TlsHandshakeResult) -> TlsResultV1 {
    match r {
        TlsHandshakeResult::Established(e) => TlsResultV1 {
            outcome: TlsOutcomeV1::Established,
            version: Some(e.version.clone()),
            cipher_suite: Some(e.cipher_suite.clone()),
            group: e.group.clone(),
            full_handshake: Some(e.full_handshake),
            failure: None,
            alert: None,
            message: None,
        },
        TlsHandshakeResult::Failed(f) => TlsResultV1 {
            outcome: TlsOutcomeV1::Failed,
            version: None,
            cipher_suite: None,
            group: None,
            full_handshake: None,
            failure: Some(f.kind.into()),
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
        chain_validation: check.map(|c| ChainValidationV1::from(&c.validation)),
        chain_in_order: check.map(|c| c.in_order),
        chain_trusted_only_by_ca_file: check.map(|c| c.trusted_only_by_extra_anchor),
        name_checked: t.name_check.as_ref().map(|n| n.name.clone()),
        name_matches: t.name_check.as_ref().map(|n| n.matches),
        handshake_ms: t.handshake_ms,
    }
}
