//! Report format v1: the CLI's `--format json` and the Lambda's return value.
//! Its JSON Schema is `schema/report-v1.schema.json`; later versions extend it, never break it.
//!
//! The format has types of its own: every closed set the JSON carries is an enum declared here
//! with its wire names spelled out, so renaming an internal type cannot change the public
//! format. [`map`] is the one place that turns the verdict and the evidence into these types.

use serde::{Deserialize, Serialize};
use std::fmt;

mod cloudfront;
mod map;

pub use cloudfront::{CloudFrontPartV1, CloudFrontViewV1};

pub const SCHEMA_VERSION: u32 = 1;

/// An enum of the public format: each variant with its wire name, `as_str` giving the same
/// name, `parse` reading it back (for settings that name a value, e.g. a publishing level).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// The value whose wire name is exactly `s`.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl fmt::Display for $name {
            /// The wire name (padded when a width is given).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// The outcome of a diagnosis, declared worst last: an incomplete diagnosis (viewers may be
    /// failing and no check explains it) ranks above a warning, so `status >= level` is the
    /// test for "at or above a publishing level".
    #[derive(PartialOrd, Ord)]
    pub enum StatusV1 {
        Pass = "pass",
        Warn = "warn",
        Incomplete = "incomplete",
        Fail = "fail",
    }
}

wire_enum! {
    /// A finding's severity, lowest first.
    #[derive(PartialOrd, Ord)]
    pub enum SeverityV1 {
        Info = "info",
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

wire_enum! {
    /// How sure a finding is, lowest first.
    #[derive(PartialOrd, Ord)]
    pub enum ConfidenceV1 {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

wire_enum! {
    /// The kind of symptom a viewer sees through CloudFront.
    pub enum SymptomClassV1 {
        Healthy = "healthy",
        RedirectLoop = "redirect_loop",
        RedirectEscape = "redirect_escape",
        CloudFront403 = "cloudfront_403",
        CloudFront502 = "cloudfront_502",
        CloudFront503 = "cloudfront_503",
        CloudFront504 = "cloudfront_504",
        CloudFront4xx = "cloudfront_4xx",
        OriginError = "origin_error",
        ViewerTls = "viewer_tls",
        ViewerConnect = "viewer_connect",
        MisdirectedRequest = "misdirected_request",
        NotProbed = "not_probed",
    }
}

wire_enum! {
    /// Where a finding's evidence item comes from.
    pub enum EvidenceSourceV1 {
        Config = "config",
        Network = "network",
        Probe = "probe",
    }
}

wire_enum! {
    /// Why a name was resolved.
    pub enum DnsRoleV1 {
        Origin = "origin",
        DistributionDomain = "distribution_domain",
        Alias = "alias",
    }
}

wire_enum! {
    pub enum SchemeV1 {
        Http = "http",
        Https = "https",
    }
}

wire_enum! {
    /// What a TCP connect toward an origin port did.
    pub enum TcpOutcomeV1 {
        Connected = "connected",
        Refused = "refused",
        TimedOut = "timed_out",
        NotAttempted = "not_attempted",
        Error = "error",
    }
}

wire_enum! {
    pub enum TlsOutcomeV1 {
        Established = "established",
        Failed = "failed",
    }
}

wire_enum! {
    /// Why a TLS handshake failed.
    pub enum TlsFailureV1 {
        Refused = "refused",
        Dns = "dns",
        Connect = "connect",
        ConnectTimeout = "connect_timeout",
        HandshakeTimeout = "handshake_timeout",
        Budget = "budget",
        Alert = "alert",
        Closed = "closed",
        NotTls = "not_tls",
        Incompatible = "incompatible",
        Other = "other",
    }
}

wire_enum! {
    /// `trusted`, or why the served chain did not validate.
    pub enum ChainValidationV1 {
        Trusted = "trusted",
        UnknownIssuer = "unknown_issuer",
        Expired = "expired",
        NotYetValid = "not_yet_valid",
        BadSignature = "bad_signature",
        UnsupportedSignatureAlgorithm = "unsupported_signature_algorithm",
        NotForServerAuth = "not_for_server_auth",
        Other = "other",
    }
}

wire_enum! {
    /// What a probe was sent to: an origin directly, or the distribution.
    pub enum ProbeTargetV1 {
        Origin = "origin",
        Edge = "edge",
    }
}

wire_enum! {
    /// How a probe's redirect chain ended.
    pub enum RedirectsV1 {
        Final = "final",
        Loop = "loop",
        TooMany = "too_many",
        NotFollowed = "not_followed",
        Failed = "failed",
    }
}

wire_enum! {
    /// Where a probe hop stopped.
    pub enum ProbeStageV1 {
        Refused = "refused",
        Dns = "dns",
        Connect = "connect",
        ConnectTimeout = "connect_timeout",
        Tls = "tls",
        TlsNotSpokenByProbe = "tls_not_spoken_by_probe",
        Http = "http",
        FirstByteTimeout = "first_byte_timeout",
        Budget = "budget",
    }
}

wire_enum! {
    /// What the check of a fix concluded.
    pub enum FixCheckResultV1 {
        Verified = "verified",
        NotEnough = "not_enough",
        NotVerifiable = "not_verifiable",
    }
}

wire_enum! {
    /// What showed a verified fix.
    pub enum VerifiedByV1 {
        Probes = "probes",
        NetworkModel = "network_model",
        ProbesAndNetworkModel = "probes_and_network_model",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportV1 {
    pub schema_version: u32,
    pub tool: Tool,
    pub generated_at: String,
    pub distribution_id: String,
    pub domain_name: String,
    /// How the distribution was found when the caller named a URL or hostname, not its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub located_by: Option<String>,
    pub status: StatusV1,
    pub highest_severity: Option<SeverityV1>,
    pub verdict: VerdictV1,
    /// The check of each alternative of the primary finding's fix, applied to a copy of the
    /// evidence (absent when there is no primary finding with a typed fix).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fix_check: Vec<FixCheckV1>,
    pub findings: Vec<FindingV1>,
    pub unverified: Vec<UnverifiedV1>,
    pub observations: ObservationsV1,
    pub aws_calls: Vec<AwsCallV1>,
    /// The pre-flight of a proposed configuration, when one was given: its verdict and which
    /// findings it introduces, removes or keeps compared with the live configuration above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<PreflightV1>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreflightV1 {
    /// Where the proposed configuration came from (a file name, or `request`).
    pub source: String,
    /// The `ETag` of the document (the version it was edited from), when it had one.
    pub etag: Option<String>,
    /// What was and was not probed for the proposed configuration.
    pub note: String,
    /// The proposed configuration's status and verdict, as a diagnosis of its own.
    pub status: StatusV1,
    pub highest_severity: Option<SeverityV1>,
    pub verdict: VerdictV1,
    /// The live configuration's status and primary finding, for the comparison.
    pub live_status: StatusV1,
    pub live_primary: Option<String>,
    /// Findings the proposed configuration would add.
    pub introduced: Vec<PreflightFindingV1>,
    /// Live findings the proposed configuration would remove.
    pub removed: Vec<PreflightFindingV1>,
    /// Findings of both.
    pub unchanged: Vec<PreflightFindingV1>,
    /// Live findings the proposed configuration could not be checked for without deploying it.
    pub not_rechecked: Vec<PreflightFindingV1>,
    /// The proposed configuration's findings in rank order, with their evidence and fix.
    pub findings: Vec<FindingV1>,
    pub unverified: Vec<UnverifiedV1>,
    /// The AWS reads made for the proposed configuration (what stands behind its origins).
    pub aws_calls: Vec<AwsCallV1>,
    /// The probes sent to the proposed configuration's origins.
    pub probes: Vec<ProbeV1>,
}

/// A finding in the pre-flight comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreflightFindingV1 {
    pub id: String,
    pub severity: SeverityV1,
    pub confidence: ConfidenceV1,
    pub title: String,
    pub summary: String,
    pub resources: Vec<ResourceV1>,
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
    /// The kind of symptom.
    pub symptom_class: SymptomClassV1,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FixCheckV1 {
    /// The finding whose fix was checked (the primary one).
    pub finding_id: String,
    /// The alternative's index in the finding's fix (0 = the preferred one).
    pub alternative: usize,
    /// The changes, one line each.
    pub changes: Vec<String>,
    pub result: FixCheckResultV1,
    /// For `verified`: the origins probed again, the network model, or both.
    pub verified_by: Option<VerifiedByV1>,
    pub summary: String,
    /// For `not_enough`: the cause that remains or would follow.
    pub next: Option<NextCauseV1>,
    /// For `not_verifiable`: the command to run after making the change.
    pub rerun: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NextCauseV1 {
    pub id: String,
    pub title: String,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingV1 {
    pub id: String,
    pub severity: SeverityV1,
    pub confidence: ConfidenceV1,
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
    pub source: EvidenceSourceV1,
    pub subject: String,
    pub observed: String,
    pub expected: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemediationV1 {
    pub summary: String,
    pub steps: Vec<String>,
    pub cli: Vec<String>,
    /// The fix as data (absent in reports of earlier tool versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<FixV1>,
}

/// Typed alternatives, preferred first, or why there is no automatic fix.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FixV1 {
    Changes { alternatives: Vec<AlternativeV1> },
    Manual { reason: String },
}

/// Changes made together, with the AWS CLI steps that make the configuration and network ones
/// (origin-side changes have none).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlternativeV1 {
    pub changes: Vec<ChangeV1>,
    pub cli: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeV1 {
    /// A field of `DistributionConfig`, with its value in the evidence and the value to set (a
    /// custom origin header's value is never shown: `from` is null, `to` a placeholder).
    Config { field: String, from: serde_json::Value, to: serde_json::Value },
    /// A security-group rule or network ACL entry.
    Network { rule: NetworkRuleV1, description: String },
    /// A change only the origin's owner can make.
    Origin { part: OriginPartV1, what: String },
    /// A change outside the distribution and the origin (edge code, DNS, a quota, an invalidation).
    Other { what: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NetworkRuleV1 {
    SecurityGroupIngress {
        group_id: String,
        region: Option<String>,
        port_from: u16,
        port_to: u16,
        /// A prefix list id (`pl-…`) or a CIDR.
        source: String,
    },
    NetworkAclEntry {
        acl_id: String,
        region: Option<String>,
        egress: bool,
        rule_number: i32,
        port_from: u16,
        port_to: u16,
        cidr: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginPartV1 {
    Certificate,
    Listener,
    Server,
    Application,
    Firewall,
    Dns,
}

impl OriginPartV1 {
    pub const ALL: &'static [OriginPartV1] = &[
        OriginPartV1::Certificate,
        OriginPartV1::Listener,
        OriginPartV1::Server,
        OriginPartV1::Application,
        OriginPartV1::Firewall,
        OriginPartV1::Dns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OriginPartV1::Certificate => "certificate",
            OriginPartV1::Listener => "listener",
            OriginPartV1::Server => "server",
            OriginPartV1::Application => "application",
            OriginPartV1::Firewall => "firewall",
            OriginPartV1::Dns => "dns",
        }
    }
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
    /// The request ladders: from the request that works directly to CloudFront's.
    #[serde(default)]
    pub ladders: Vec<LadderV1>,
    /// CloudFront's own view of the window: its metrics and access logs (absent when not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudfront: Option<CloudFrontViewV1>,
    /// Edge and origin probes repeated (`--samples`): failure rates, answer classes, timings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<SampleSeriesV1>,
    /// How long each origin kept an idle keep-alive connection open (with `--samples`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keepalive: Vec<KeepaliveV1>,
}

wire_enum! {
    /// The kind of answer a repeated request got.
    pub enum AnswerClassV1 {
        Success = "success",
        Redirect = "redirect",
        ClientError = "client_error",
        ServerError = "server_error",
        Cloudfront = "cloudfront_error",
        ConnectFailure = "connect_failure",
        TlsFailure = "tls_failure",
        Timeout = "timeout",
        BrokenAnswer = "broken_answer",
        NotReached = "not_reached",
    }
}

wire_enum! {
    /// What the keep-alive probe saw after its response.
    pub enum KeepaliveOutcomeV1 {
        ClosedIdle = "closed_idle",
        StillOpen = "still_open",
        NotKept = "not_kept",
        NotMeasured = "not_measured",
    }
}

/// One probe repeated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleSeriesV1 {
    pub probe_id: String,
    pub target: ProbeTargetV1,
    /// The origin, for a probe straight to one.
    pub origin_id: Option<String>,
    pub url: String,
    pub viewer_path: Option<String>,
    pub requested: u32,
    pub sent: u32,
    /// Not sent, or cut before an answer, because the probe budget ran out.
    pub not_sent: u32,
    pub failures: u32,
    /// failures / sent, 0 to 1 (0 when nothing was sent).
    pub failure_rate: f64,
    /// Some samples failed and some did not.
    pub intermittent: bool,
    /// One sentence: `3 of 20 requests to … got CloudFront's 502 in 0.1 s`.
    pub summary: String,
    /// Each answer class seen, most frequent first.
    pub classes: Vec<AnswerClassCountV1>,
    pub first_byte_ms: Option<PercentilesV1>,
    pub connect_ms: Option<PercentilesV1>,
    /// The origin's OriginReadTimeout, for a probe straight to a custom origin.
    pub origin_read_timeout_s: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerClassCountV1 {
    pub class: AnswerClassV1,
    /// For CloudFront's own error page: its status and reason sentence.
    pub status: Option<u16>,
    pub reason: Option<String>,
    /// e.g. `2xx`, `CloudFront's 502`, `connect failure`.
    pub label: String,
    pub count: u32,
    /// Median total time of these requests.
    pub median_ms: u64,
    /// Whether these count as failures.
    pub failure: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PercentilesV1 {
    pub p50: u64,
    pub p90: u64,
    pub max: u64,
}

/// The keep-alive probe of one origin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeepaliveV1 {
    pub origin_id: String,
    pub url: String,
    pub outcome: KeepaliveOutcomeV1,
    /// For closed_idle and still_open: how long after the response.
    pub idle_ms: Option<u64>,
    /// For not_kept and not_measured: why.
    pub detail: Option<String>,
    /// CloudFront's OriginKeepaliveTimeout for this origin.
    pub origin_keepalive_timeout_s: Option<i32>,
    pub keep_alive_header: Option<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LadderV1 {
    pub origin_id: String,
    pub viewer_path: String,
    /// CloudFront's scheme and port toward the origin, e.g. `https:443`.
    pub connection: String,
    /// What the ladder shows, one sentence.
    pub conclusion: String,
    /// The differences that turn the working request into a failing one (snake_case names).
    pub cause: Vec<String>,
    pub differences: Vec<LadderDifferenceV1>,
    pub rungs: Vec<RungV1>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LadderDifferenceV1 {
    pub change: String,
    pub direct: String,
    pub cloudfront: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RungV1 {
    pub label: String,
    /// The URL sent (None when the rung was not sent).
    pub url: Option<String>,
    pub host: String,
    /// The answer: a status, or what failed.
    pub answer: String,
    /// True when it worked, false when it failed, None when not sent or not observable.
    pub works: Option<bool>,
    /// `working` or `failing` for the two rungs that isolate the cause, `cloudfront` for
    /// CloudFront's own request.
    pub role: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DnsV1 {
    pub name: String,
    pub role: DnsRoleV1,
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
    pub scheme: SchemeV1,
    pub address: Option<String>,
    pub from_override: bool,
    pub outcome: TcpOutcomeV1,
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
    /// Null without a chain.
    pub chain_validation: Option<ChainValidationV1>,
    pub chain_in_order: Option<bool>,
    pub chain_trusted_only_by_ca_file: Option<bool>,
    pub name_checked: Option<String>,
    pub name_matches: Option<bool>,
    pub handshake_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsResultV1 {
    pub outcome: TlsOutcomeV1,
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    pub group: Option<String>,
    /// The handshake was completed (otherwise the probe stopped after the server's hello).
    pub full_handshake: Option<bool>,
    pub failure: Option<TlsFailureV1>,
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
    pub target: ProbeTargetV1,
    pub origin_id: Option<String>,
    pub method: String,
    pub request_headers: Vec<(String, String)>,
    pub hops: Vec<HopV1>,
    pub redirects: RedirectsV1,
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
    pub error_stage: Option<ProbeStageV1>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn names<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|v| as_str(*v)).collect()
    }

    /// The wire names declared here are the values `schema/report-v1.schema.json` allows, and
    /// what serde writes.
    #[test]
    fn wire_names_are_the_schemas_enums() {
        let schema: Value = serde_json::from_str(include_str!("../../../../../schema/report-v1.schema.json")).unwrap();
        let cases = [
            ("/properties/status", names(StatusV1::ALL, StatusV1::as_str)),
            ("/$defs/severity", names(SeverityV1::ALL, SeverityV1::as_str)),
            ("/$defs/finding/properties/confidence", names(ConfidenceV1::ALL, ConfidenceV1::as_str)),
            ("/properties/verdict/properties/symptom_class", names(SymptomClassV1::ALL, SymptomClassV1::as_str)),
            (
                "/$defs/finding/properties/evidence/items/properties/source",
                names(EvidenceSourceV1::ALL, EvidenceSourceV1::as_str),
            ),
            ("/$defs/dns/properties/role", names(DnsRoleV1::ALL, DnsRoleV1::as_str)),
            ("/$defs/tcp/properties/scheme", names(SchemeV1::ALL, SchemeV1::as_str)),
            ("/$defs/tcp/properties/outcome", names(TcpOutcomeV1::ALL, TcpOutcomeV1::as_str)),
            ("/$defs/tls_result/properties/outcome", names(TlsOutcomeV1::ALL, TlsOutcomeV1::as_str)),
            ("/$defs/tls_result/properties/failure/oneOf/0", names(TlsFailureV1::ALL, TlsFailureV1::as_str)),
            (
                "/$defs/tls/properties/chain_validation/oneOf/0",
                names(ChainValidationV1::ALL, ChainValidationV1::as_str),
            ),
            ("/$defs/probe/properties/target", names(ProbeTargetV1::ALL, ProbeTargetV1::as_str)),
            ("/$defs/probe/properties/redirects", names(RedirectsV1::ALL, RedirectsV1::as_str)),
            ("/$defs/hop/properties/error_stage", names(ProbeStageV1::ALL, ProbeStageV1::as_str)),
            ("/$defs/ladder_change", names(&crate::evidence::Change::ALL, |c| c.id())),
            ("/$defs/fix_check/properties/result", names(FixCheckResultV1::ALL, FixCheckResultV1::as_str)),
            ("/$defs/fix_check/properties/verified_by/oneOf/0", names(VerifiedByV1::ALL, VerifiedByV1::as_str)),
            (
                "/$defs/finding/properties/remediation/properties/fix/oneOf/0/properties/alternatives/items/properties/changes/items/oneOf/2/properties/part",
                names(OriginPartV1::ALL, OriginPartV1::as_str),
            ),
            (
                "/$defs/sample_series/properties/classes/items/properties/class",
                names(AnswerClassV1::ALL, AnswerClassV1::as_str),
            ),
            ("/$defs/keepalive/properties/outcome", names(KeepaliveOutcomeV1::ALL, KeepaliveOutcomeV1::as_str)),
        ];
        for p in OriginPartV1::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        for (pointer, mut ours) in cases {
            let allowed = schema.pointer(&format!("{pointer}/enum")).and_then(Value::as_array).expect(pointer);
            let mut theirs: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
            theirs.sort_unstable();
            ours.sort_unstable();
            assert_eq!(ours, theirs, "{pointer}");
        }
        for s in StatusV1::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(StatusV1::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn statuses_rank_worst_last_and_display_pads() {
        assert!(StatusV1::Pass < StatusV1::Warn);
        assert!(StatusV1::Warn < StatusV1::Incomplete);
        assert!(StatusV1::Incomplete < StatusV1::Fail);
        assert_eq!(StatusV1::parse("FAIL"), None);
        assert_eq!(format!("[{:<6}]", StatusV1::Warn), "[warn  ]");
    }
}
