//! From the verdict and the evidence to report v1: the only place that reads internal types
//! for the public format. Every internal enum is matched exhaustively, so a new variant is a
//! compile error here until it is given its public name.

use super::*;
use crate::checks::{Confidence, EvidenceItem, Finding, Remediation, Resource, Severity, Source, Unverified};
use crate::evidence::Distribution;
use crate::evidence::{
    Answer, AnswerClass, ChainError, ChainValidation, Conclusion, DnsObservation, DnsRole, Evidence, Hop, HopResult,
    Ladder, ProbeRecord, ProbeStage, ProbeTarget, RedirectOutcome, Scheme, TcpObservation, TcpOutcome, Timings,
    TlsFailureKind, TlsHandshakeResult, TlsObservation,
};
use crate::evidence::{KeepaliveObservation, KeepaliveOutcome, Percentiles, SampleSeries};
use crate::fix::{Change, Fix, NetworkChange, OriginPart, RuleSource};
use crate::fix_check::{FixCheck, Outcome, VerifiedBy};
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
            verdict: verdict_v1(verdict),
            fix_check: Vec::new(),
            findings: verdict.findings.iter().map(|f| finding(f, d)).collect(),
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
                samples: ev.observations.samples.iter().map(|s| sample_series(ev, s)).collect(),
                keepalive: ev.observations.keepalive.iter().map(|k| keepalive(ev, k)).collect(),
                cloudfront: super::cloudfront::map(ev),
            },
            aws_calls: aws_calls(&ev.inventory.calls),
            preflight: None,
        }
    }

    /// Adds the pre-flight section: the proposed configuration's verdict and its comparison
    /// with the live one (`self` is the live report).
    pub fn with_preflight(mut self, ev: &Evidence, p: &crate::preflight::Preflight) -> Self {
        let Some(proposed) = ev.preflight.as_deref() else { return self };
        let brief = |f: &Finding| PreflightFindingV1 {
            id: f.id.clone(),
            severity: f.severity.into(),
            confidence: f.confidence.into(),
            title: f.title.clone(),
            summary: f.summary.clone(),
            resources: f.resources.iter().map(|r| ResourceV1 { kind: r.kind.clone(), id: r.id.clone() }).collect(),
        };
        let v = &p.verdict;
        self.preflight = Some(PreflightV1 {
            source: proposed.source.clone(),
            etag: proposed.etag.clone(),
            note: crate::preflight::NOT_DEPLOYED.to_string(),
            status: v.status.into(),
            highest_severity: v.highest_severity().map(SeverityV1::from),
            verdict: verdict_v1(v),
            live_status: self.status,
            live_primary: self.verdict.primary.clone(),
            introduced: p.introduced.iter().map(brief).collect(),
            removed: p.removed.iter().map(brief).collect(),
            unchanged: p.unchanged.iter().map(brief).collect(),
            not_rechecked: p.not_rechecked.iter().map(brief).collect(),
            findings: v.findings.iter().map(|f| finding(f, &proposed.inventory.distribution)).collect(),
            unverified: v.unverified.iter().map(unverified).collect(),
            aws_calls: aws_calls(&proposed.inventory.calls),
            probes: proposed.observations.probes.iter().map(probe).collect(),
        });
        self
    }
}

impl ReportV1 {
    /// The report with the checks of the primary finding's fix.
    pub fn with_fix_checks(mut self, checks: &[FixCheck]) -> Self {
        self.fix_check = checks.iter().map(fix_check).collect();
        self
    }
}

fn fix_check(c: &FixCheck) -> FixCheckV1 {
    FixCheckV1 {
        finding_id: c.finding_id.clone(),
        alternative: c.alternative,
        changes: c.changes.clone(),
        result: match c.outcome {
            Outcome::Verified => FixCheckResultV1::Verified,
            Outcome::NotEnough => FixCheckResultV1::NotEnough,
            Outcome::NotVerifiable => FixCheckResultV1::NotVerifiable,
        },
        verified_by: c.verified_by.map(|v| match v {
            VerifiedBy::Probes => VerifiedByV1::Probes,
            VerifiedBy::NetworkModel => VerifiedByV1::NetworkModel,
            VerifiedBy::ProbesAndNetworkModel => VerifiedByV1::ProbesAndNetworkModel,
        }),
        summary: c.summary.clone(),
        next: c.next.as_ref().map(|n| NextCauseV1 {
            id: n.id.clone(),
            title: n.title.clone(),
            summary: n.summary.clone(),
        }),
        rerun: c.rerun.clone(),
    }
}

fn finding(f: &Finding, d: &Distribution) -> FindingV1 {
    FindingV1 {
        id: f.id.clone(),
        severity: f.severity.into(),
        confidence: f.confidence.into(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        observed: f.observed,
        evidence: f.evidence.iter().map(evidence).collect(),
        remediation: remediation(&f.remediation, d),
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

fn remediation(r: &Remediation, d: &Distribution) -> RemediationV1 {
    RemediationV1 { summary: r.summary.clone(), steps: r.steps.clone(), cli: r.cli.clone(), fix: Some(fix(&r.fix, d)) }
}

/// The fix with each configuration change's old value read from the evidence's distribution.
fn fix(f: &Fix, d: &Distribution) -> FixV1 {
    match f {
        Fix::Manual { reason } => FixV1::Manual { reason: reason.clone() },
        Fix::Changes { alternatives } => FixV1::Changes {
            alternatives: alternatives
                .iter()
                .map(|a| AlternativeV1 { changes: a.changes.iter().map(|c| change(c, d)).collect(), cli: a.cli(d) })
                .collect(),
        },
    }
}

fn change(c: &Change, d: &Distribution) -> ChangeV1 {
    match c {
        Change::Config(c) => ChangeV1::Config { field: c.field_path(), from: c.old_value(d), to: c.new_value() },
        Change::Network(n) => ChangeV1::Network {
            description: n.describe(),
            rule: match n {
                NetworkChange::SecurityGroupIngress { group_id, region, port_from, port_to, source } => {
                    NetworkRuleV1::SecurityGroupIngress {
                        group_id: group_id.clone(),
                        region: region.clone(),
                        port_from: *port_from,
                        port_to: *port_to,
                        source: match source {
                            RuleSource::PrefixList { prefix_list_id } => prefix_list_id.clone(),
                            RuleSource::Cidr { cidr } => cidr.clone(),
                        },
                    }
                }
                NetworkChange::NetworkAclEntry { acl_id, region, egress, rule_number, port_from, port_to, cidr } => {
                    NetworkRuleV1::NetworkAclEntry {
                        acl_id: acl_id.clone(),
                        region: region.clone(),
                        egress: *egress,
                        rule_number: *rule_number,
                        port_from: *port_from,
                        port_to: *port_to,
                        cidr: cidr.clone(),
                    }
                }
            },
        },
        Change::Origin { part, what } => ChangeV1::Origin {
            part: match part {
                OriginPart::Certificate => OriginPartV1::Certificate,
                OriginPart::Listener => OriginPartV1::Listener,
                OriginPart::Server => OriginPartV1::Server,
                OriginPart::Application => OriginPartV1::Application,
                OriginPart::Firewall => OriginPartV1::Firewall,
                OriginPart::Dns => OriginPartV1::Dns,
            },
            what: what.clone(),
        },
        Change::Other { what } => ChangeV1::Other { what: what.clone() },
    }
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

fn verdict_v1(v: &Verdict) -> VerdictV1 {
    VerdictV1 {
        primary: v.primary.clone(),
        summary: v.summary.clone(),
        symptom: v.symptom.description.clone(),
        symptom_class: v.symptom.class.into(),
    }
}

fn aws_calls(calls: &[crate::evidence::CallRecord]) -> Vec<AwsCallV1> {
    calls
        .iter()
        .map(|c| AwsCallV1 {
            action: c.action.clone(),
            region: c.region.clone(),
            outcome: c.outcome.clone(),
            millis: c.millis,
        })
        .collect()
}

fn percentiles(p: Option<Percentiles>) -> Option<PercentilesV1> {
    p.map(|p| PercentilesV1 { p50: p.p50, p90: p.p90, max: p.max })
}

fn answer_class(c: &AnswerClass) -> (AnswerClassV1, Option<u16>, Option<String>) {
    match c {
        AnswerClass::Success => (AnswerClassV1::Success, None, None),
        AnswerClass::Redirect => (AnswerClassV1::Redirect, None, None),
        AnswerClass::ClientError => (AnswerClassV1::ClientError, None, None),
        AnswerClass::ServerError => (AnswerClassV1::ServerError, None, None),
        AnswerClass::Cloudfront { status, reason } => {
            (AnswerClassV1::Cloudfront, Some(*status), reason.as_ref().map(|r| r.sentence().to_string()))
        }
        AnswerClass::ConnectFailure => (AnswerClassV1::ConnectFailure, None, None),
        AnswerClass::TlsFailure => (AnswerClassV1::TlsFailure, None, None),
        AnswerClass::Timeout => (AnswerClassV1::Timeout, None, None),
        AnswerClass::BrokenAnswer => (AnswerClassV1::BrokenAnswer, None, None),
        AnswerClass::NotReached => (AnswerClassV1::NotReached, None, None),
    }
}

fn sample_series(ev: &Evidence, s: &SampleSeries) -> SampleSeriesV1 {
    let (target, origin_id) = match &s.target {
        ProbeTarget::Origin { origin_id, .. } => (ProbeTargetV1::Origin, Some(origin_id.clone())),
        ProbeTarget::Edge { .. } => (ProbeTargetV1::Edge, None),
    };
    let read_timeout = origin_id
        .as_deref()
        .and_then(|id| ev.inventory.distribution.origin(id))
        .and_then(|o| o.custom())
        .map(|c| c.read_timeout_s);
    let sent = s.sent();
    SampleSeriesV1 {
        probe_id: s.probe_id.clone(),
        target,
        origin_id,
        url: s.url.clone(),
        viewer_path: s.viewer_path.clone(),
        requested: s.requested,
        sent,
        not_sent: s.not_sent,
        failures: s.failures(),
        failure_rate: if sent == 0 { 0.0 } else { f64::from(s.failures()) / f64::from(sent) },
        intermittent: s.intermittent(),
        summary: s.describe_failures().unwrap_or_else(|| s.describe()),
        classes: s
            .classes()
            .iter()
            .map(|c| {
                let (class, status, reason) = answer_class(&c.class);
                AnswerClassCountV1 {
                    class,
                    status,
                    reason,
                    label: c.class.label(),
                    count: c.count,
                    median_ms: c.median_ms,
                    failure: c.failure,
                }
            })
            .collect(),
        first_byte_ms: percentiles(s.first_byte()),
        connect_ms: percentiles(s.connect()),
        origin_read_timeout_s: read_timeout,
    }
}

fn keepalive(ev: &Evidence, k: &KeepaliveObservation) -> KeepaliveV1 {
    let (outcome, idle_ms, detail) = match &k.outcome {
        KeepaliveOutcome::ClosedIdle { after_ms } => (KeepaliveOutcomeV1::ClosedIdle, Some(*after_ms), None),
        KeepaliveOutcome::StillOpen { after_ms } => (KeepaliveOutcomeV1::StillOpen, Some(*after_ms), None),
        KeepaliveOutcome::NotKept { detail } => (KeepaliveOutcomeV1::NotKept, None, Some(detail.clone())),
        KeepaliveOutcome::NotMeasured { reason } => (KeepaliveOutcomeV1::NotMeasured, None, Some(reason.clone())),
    };
    KeepaliveV1 {
        origin_id: k.origin_id.clone(),
        url: k.url.clone(),
        outcome,
        idle_ms,
        detail,
        origin_keepalive_timeout_s: ev
            .inventory
            .distribution
            .origin(&k.origin_id)
            .and_then(|o| o.custom())
            .map(|c| c.keepalive_timeout_s),
        keep_alive_header: k.keep_alive_header.clone(),
        summary: k.describe(),
    }
}
