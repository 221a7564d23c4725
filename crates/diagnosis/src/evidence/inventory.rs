//! The project's own model of the AWS configuration a diagnosis reads.
//!
//! Field names follow the CloudFront / ELBv2 API names in snake_case, so a finding's evidence
//! can name the API field path (`Origins.Items[].CustomOriginConfig.OriginProtocolPolicy`).

use super::{Fetch, SecretValue};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{NetworkPath, RegionalPrefixLists};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub distribution: Distribution,
    /// One entry per origin of the distribution, in the distribution's order.
    pub origins: Vec<OriginInventory>,
    /// Every AWS call made, in order of completion, for the report's audit trail.
    pub calls: Vec<CallRecord>,
    /// CloudFront's origin-facing prefix lists, per region that holds an AWS origin.
    #[serde(default)]
    pub cloudfront_prefix_lists: Vec<RegionalPrefixLists>,
    /// `acm:DescribeCertificate` of the viewer certificate (us-east-1); not applicable for
    /// CloudFront's default certificate or an IAM certificate.
    #[serde(default)]
    pub viewer_certificate_acm: Fetch<AcmCertificate>,
}

impl Inventory {
    pub fn origin(&self, origin_id: &str) -> Option<&OriginInventory> {
        self.origins.iter().find(|o| o.origin_id == origin_id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRecord {
    /// IAM-style action name, e.g. `cloudfront:GetDistribution`.
    pub action: String,
    pub region: String,
    /// `ok`, `denied`, `not_found`, `failed`, `truncated`.
    pub outcome: String,
    pub millis: u64,
    /// When the call started, in milliseconds after the inventory began (0 in old evidence).
    #[serde(default)]
    pub started_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    /// `Deployed` or `InProgress`.
    pub status: String,
    pub enabled: bool,
    pub aliases: Vec<String>,
    pub origins: Vec<Origin>,
    pub default_behavior: Behavior,
    /// `CacheBehaviors.Items[]` in their evaluation order (first match wins).
    pub behaviors: Vec<Behavior>,
    /// `DefaultRootObject` ("" when unset).
    #[serde(default)]
    pub default_root_object: String,
    /// `HttpVersion`: `http1.1`, `http2`, `http3`, `http2and3`.
    #[serde(default)]
    pub http_version: String,
    /// `WebACLId` (a WAF web ACL ARN or id), when set.
    #[serde(default)]
    pub web_acl_id: Option<String>,
    #[serde(default)]
    pub viewer_certificate: Option<ViewerCertificate>,
    #[serde(default)]
    pub geo_restriction: Option<GeoRestriction>,
    #[serde(default)]
    pub origin_groups: Vec<OriginGroup>,
    #[serde(default)]
    pub custom_error_responses: Vec<CustomErrorResponse>,
    /// `Logging`: standard logging (legacy) to an S3 bucket, when the configuration has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingConfig>,
}

/// `DistributionConfig.Logging`: where standard logging (legacy) writes the access logs
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    pub enabled: bool,
    /// The bucket as configured, `name.s3.amazonaws.com`.
    pub bucket: String,
    pub prefix: String,
    #[serde(default)]
    pub include_cookies: bool,
}

impl LoggingConfig {
    /// The bucket's name (the configuration holds its domain, `name.s3.amazonaws.com`).
    pub fn bucket_name(&self) -> &str {
        let b = self.bucket.trim();
        b.find(".s3.").or_else(|| b.find(".s3-")).map_or(b, |i| &b[..i])
    }
}

impl Distribution {
    pub fn origin(&self, id: &str) -> Option<&Origin> {
        self.origins.iter().find(|o| o.id == id)
    }

    /// The behavior CloudFront applies to a viewer path: the first ordered behavior whose
    /// pattern matches (case-sensitive, `*` and `?` wildcards), else the default behavior.
    pub fn behavior_for_path(&self, path: &str) -> &Behavior {
        let path_only = path.split(['?', '#']).next().unwrap_or(path);
        self.behaviors
            .iter()
            .find(|b| b.path_pattern.as_deref().is_some_and(|p| path_pattern_matches(p, path_only)))
            .unwrap_or(&self.default_behavior)
    }

    /// Every hostname a viewer can use: the distribution's own domain, then the aliases.
    pub fn viewer_hostnames(&self) -> Vec<String> {
        let mut names = vec![self.domain_name.clone()];
        names.extend(self.aliases.iter().cloned());
        names
    }
}

/// CloudFront path-pattern matching: `*` matches any run of characters (including `/`), `?`
/// exactly one; the leading `/` is optional in the pattern.
pub fn path_pattern_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.strip_prefix('/').unwrap_or(pattern).as_bytes();
    let path = path.strip_prefix('/').unwrap_or(path).as_bytes();
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut p, mut s, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while s < path.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == path[s]) {
            p += 1;
            s += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = s;
            p += 1;
        } else if let Some(sp) = star {
            p = sp + 1;
            mark += 1;
            s = mark;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    pub id: String,
    pub domain_name: String,
    /// `OriginPath`: prefixed to every request path sent to this origin ("" when unset).
    pub origin_path: String,
    pub custom_headers: Vec<CustomHeader>,
    pub connection_attempts: i32,
    pub connection_timeout_s: i32,
    pub kind: OriginKind,
    /// `ResponseCompletionTimeout` in seconds, when set.
    #[serde(default)]
    pub response_completion_timeout_s: Option<i32>,
    /// `OriginAccessControlId`, when set ("" is unset).
    #[serde(default)]
    pub origin_access_control_id: Option<String>,
}

impl Origin {
    pub fn custom(&self) -> Option<&CustomOriginConfig> {
        match &self.kind {
            OriginKind::Custom(c) => Some(c),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomHeader {
    pub name: String,
    pub value: SecretValue,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OriginKind {
    Custom(CustomOriginConfig),
    S3 { origin_access_identity: String },
    Vpc { vpc_origin_id: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomOriginConfig {
    pub http_port: u16,
    pub https_port: u16,
    pub protocol_policy: OriginProtocolPolicy,
    /// `OriginSslProtocols.Items`, e.g. `["TLSv1.2"]`.
    pub ssl_protocols: Vec<String>,
    pub read_timeout_s: i32,
    pub keepalive_timeout_s: i32,
    /// `IpAddressType`: `ipv4`, `ipv6` or `dualstack` (CloudFront's default is ipv4).
    #[serde(default)]
    pub ip_address_type: Option<String>,
}

impl CustomOriginConfig {
    /// The (scheme, port) pairs CloudFront uses toward this origin; both for `match-viewer`.
    pub fn origin_connections(&self) -> Vec<(Scheme, u16)> {
        self.protocol_policy.connections(self.http_port, self.https_port)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OriginProtocolPolicy {
    HttpOnly,
    HttpsOnly,
    MatchViewer,
    #[serde(other)]
    Unknown,
}

impl OriginProtocolPolicy {
    /// The (scheme, port) pairs this policy makes CloudFront use; both for `match-viewer`.
    pub fn connections(self, http_port: u16, https_port: u16) -> Vec<(Scheme, u16)> {
        match self {
            OriginProtocolPolicy::HttpOnly => vec![(Scheme::Http, http_port)],
            OriginProtocolPolicy::HttpsOnly => vec![(Scheme::Https, https_port)],
            OriginProtocolPolicy::MatchViewer | OriginProtocolPolicy::Unknown => {
                vec![(Scheme::Https, https_port), (Scheme::Http, http_port)]
            }
        }
    }

    pub fn as_api(self) -> &'static str {
        match self {
            OriginProtocolPolicy::HttpOnly => "http-only",
            OriginProtocolPolicy::HttpsOnly => "https-only",
            OriginProtocolPolicy::MatchViewer => "match-viewer",
            OriginProtocolPolicy::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViewerProtocolPolicy {
    AllowAll,
    RedirectToHttps,
    HttpsOnly,
    #[serde(other)]
    Unknown,
}

impl ViewerProtocolPolicy {
    pub fn as_api(self) -> &'static str {
        match self {
            ViewerProtocolPolicy::AllowAll => "allow-all",
            ViewerProtocolPolicy::RedirectToHttps => "redirect-to-https",
            ViewerProtocolPolicy::HttpsOnly => "https-only",
            ViewerProtocolPolicy::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behavior {
    /// `None` for the default cache behavior.
    pub path_pattern: Option<String>,
    pub target_origin_id: String,
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    pub allowed_methods: Vec<String>,
    pub cached_methods: Vec<String>,
    pub cache_policy_id: Option<String>,
    pub origin_request_policy_id: Option<String>,
    /// Legacy forwarding settings; only meaningful when no cache policy is attached.
    pub forwarded_values: Option<LegacyForwarding>,
    #[serde(default)]
    pub function_associations: Vec<FunctionAssociation>,
    #[serde(default)]
    pub lambda_associations: Vec<LambdaAssociation>,
    /// `TrustedKeyGroups.Items` when enabled (signed URLs/cookies required).
    #[serde(default)]
    pub trusted_key_groups: Vec<String>,
    /// `GetCachePolicy` of a custom cache policy (managed ones are known without a call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_policy: Option<Fetch<PolicyDefinition>>,
    /// `GetOriginRequestPolicy` of a custom origin request policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_request_policy: Option<Fetch<PolicyDefinition>>,
}

impl Behavior {
    /// How the report names this behavior: its path pattern, or `default`.
    pub fn label(&self) -> String {
        self.path_pattern.clone().unwrap_or_else(|| "default (*)".to_string())
    }

    /// The API field path prefix of this behavior inside the distribution config.
    pub fn field_path(&self) -> String {
        match &self.path_pattern {
            None => "DefaultCacheBehavior".to_string(),
            Some(p) => format!("CacheBehaviors[PathPattern={p}]"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyForwarding {
    pub query_string: bool,
    pub query_string_cache_keys: Vec<String>,
    /// `none`, `whitelist` or `all`.
    pub cookies_forward: String,
    pub cookie_names: Vec<String>,
    pub headers: Vec<String>,
}

/// What stands behind one origin of the distribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginInventory {
    pub origin_id: String,
    /// The AWS region inferred from the origin's DNS name, if any.
    pub region: Option<String>,
    pub resource: Fetch<OriginResource>,
    /// The network path in front of the origin (security groups, ACLs, routes), when it is
    /// an AWS resource in a VPC.
    #[serde(default)]
    pub network: Option<NetworkPath>,
    /// For a VPC origin: `GetVpcOrigin` and what its endpoint's groups reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_origin: Option<VpcOriginFacts>,
}

// Plain evidence data, a handful per diagnosis: the variants' size difference does not matter,
// and boxing the load balancer would change every pattern that reads it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OriginResource {
    LoadBalancer(LoadBalancer),
    /// Not an AWS name this tool recognises (or in another account): network checks cannot run,
    /// probes still do.
    OutsideAws {
        reason: String,
    },
    S3Bucket,
    /// An EC2 instance matched by public DNS name, public IP or Elastic IP.
    Ec2Instance(super::Ec2Instance),
    /// A network interface that is no instance's (e.g. an Elastic IP on a load balancer node).
    NetworkInterface(super::NetworkInterface),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    /// `application`, `network` or `gateway`.
    pub lb_type: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    pub security_groups: Vec<String>,
    pub listeners: Fetch<Vec<Listener>>,
    /// `ipv4`, `dualstack` or `dualstack-without-public-ipv4`.
    #[serde(default)]
    pub ip_address_type: String,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    /// `DescribeLoadBalancerAttributes`, e.g. `idle_timeout.timeout_seconds`.
    #[serde(default)]
    pub attributes: Fetch<BTreeMap<String, String>>,
    #[serde(default)]
    pub target_groups: Fetch<Vec<TargetGroup>>,
    /// `DescribeSSLPolicies` for the policies of the HTTPS/TLS listeners.
    #[serde(default)]
    pub ssl_policies: Fetch<Vec<SslPolicy>>,
}

impl LoadBalancer {
    pub fn listener_on(&self, port: u16) -> Option<&Listener> {
        self.listeners.value()?.iter().find(|l| l.port == port)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    pub arn: String,
    pub port: u16,
    /// `HTTP`, `HTTPS`, `TCP`, `TLS`, `UDP`, `TCP_UDP`.
    pub protocol: String,
    pub ssl_policy: Option<String>,
    pub certificate_arns: Vec<String>,
    pub default_actions: Vec<ListenerAction>,
    /// `DescribeListenerCertificates`: the default certificate and the SNI certificates.
    #[serde(default)]
    pub certificates: Fetch<Vec<ListenerCertificate>>,
    /// `DescribeRules`, in priority order (the default rule last).
    #[serde(default)]
    pub rules: Fetch<Vec<ListenerRule>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ListenerAction {
    Redirect { protocol: String, port: String, host: String, path: String, query: String, status_code: String },
    FixedResponse { status_code: String, content_type: Option<String> },
    Forward { target_group_arns: Vec<String> },
    Other { action_type: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewerCertificate {
    pub cloudfront_default_certificate: bool,
    pub acm_certificate_arn: Option<String>,
    pub iam_certificate_id: Option<String>,
    /// `sni-only`, `vip`, `static-ip`.
    pub ssl_support_method: Option<String>,
    /// e.g. `TLSv1.2_2021`.
    pub minimum_protocol_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoRestriction {
    /// `none`, `whitelist` or `blacklist`.
    pub restriction_type: String,
    pub locations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginGroup {
    pub id: String,
    /// Member origin ids, primary first.
    pub members: Vec<String>,
    /// Status codes that make CloudFront fail over to the next member.
    pub failover_status_codes: Vec<i32>,
    /// `default` or `media-quality-based`.
    pub selection_criteria: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomErrorResponse {
    pub error_code: i32,
    pub response_page_path: Option<String>,
    pub response_code: Option<String>,
    pub error_caching_min_ttl: Option<i64>,
}

/// A CloudFront Functions association.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionAssociation {
    pub function_arn: String,
    /// `viewer-request` or `viewer-response`.
    pub event_type: String,
}

/// A Lambda@Edge association.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaAssociation {
    pub lambda_function_arn: String,
    /// `viewer-request`, `origin-request`, `origin-response`, `viewer-response`.
    pub event_type: String,
    pub include_body: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerCertificate {
    pub certificate_arn: String,
    pub is_default: bool,
    /// `acm:DescribeCertificate` in the load balancer's region (not applicable for IAM certificates).
    #[serde(default)]
    pub acm: Fetch<AcmCertificate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerRule {
    pub arn: String,
    /// A number as text, or `default`.
    pub priority: String,
    pub is_default: bool,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<ListenerAction>,
}

/// One rule condition: `host-header`, `path-pattern`, `http-header`, `http-request-method`,
/// `query-string`, `source-ip`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleCondition {
    pub field: String,
    /// For `http-header`: the header name.
    pub header_name: Option<String>,
    pub values: Vec<String>,
    /// For `http-header`: the values the header must carry. A rule that admits only requests
    /// with CloudFront's custom origin header holds that secret, so these are secrets too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_values: Vec<SecretValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub protocol: String,
    pub port: Option<u16>,
    /// `instance`, `ip`, `lambda`, `alb`.
    pub target_type: String,
    pub vpc_id: Option<String>,
    pub health_check_protocol: Option<String>,
    pub health_check_port: Option<String>,
    pub health_check_path: Option<String>,
    /// `DescribeTargetGroupAttributes`, e.g. `preserve_client_ip.enabled`.
    pub attributes: Fetch<BTreeMap<String, String>>,
    pub health: Fetch<Vec<TargetHealth>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetHealth {
    pub target_id: String,
    pub port: Option<u16>,
    /// `healthy`, `unhealthy`, `initial`, `draining`, `unused`, `unavailable`.
    pub state: String,
    pub reason: Option<String>,
    pub description: Option<String>,
}

/// An ELB security policy: the TLS protocols and ciphers a listener offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SslPolicy {
    pub name: String,
    /// e.g. `TLSv1.2`, `TLSv1.3`.
    pub protocols: Vec<String>,
    /// OpenSSL-style names, in the policy's priority order.
    pub ciphers: Vec<String>,
}

/// An ACM certificate as `acm:DescribeCertificate` returns it (the viewer certificate, read in
/// us-east-1, or a load balancer listener's, read in the load balancer's region).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmCertificate {
    pub arn: String,
    pub domain_name: String,
    /// `SubjectAlternativeNames` (ACM lists the domain name there too).
    pub subject_alternative_names: Vec<String>,
    /// `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, `REVOKED`, `FAILED`, `INACTIVE`, `VALIDATION_TIMED_OUT`.
    pub status: String,
    pub not_before_unix: Option<i64>,
    pub not_after_unix: Option<i64>,
    pub issuer: Option<String>,
    /// e.g. `RSA_2048`, `EC_prime256v1`.
    pub key_algorithm: Option<String>,
    /// `IMPORTED`, `AMAZON_ISSUED` or `PRIVATE`.
    pub certificate_type: String,
    /// `InUseBy`: the ARNs of the resources that use it.
    pub in_use_by: Vec<String>,
}

impl AcmCertificate {
    /// Every DNS name on the certificate: the domain name and the SANs, without repeats.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = vec![self.domain_name.as_str()];
        for n in &self.subject_alternative_names {
            if !names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
                names.push(n);
            }
        }
        names.retain(|n| !n.is_empty());
        names
    }

    /// Whether a name on the certificate covers `host`: exactly (case-insensitive), or by a
    /// wildcard standing for exactly one leftmost label.
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names().iter().any(|n| {
            let n = n.trim_end_matches('.').to_ascii_lowercase();
            match n.strip_prefix("*.") {
                Some(suffix) => host.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
                None => n == host,
            }
        })
    }
}

/// A custom cache or origin request policy, as `GetCachePolicy` / `GetOriginRequestPolicy`
/// define what it sends to the origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDefinition {
    pub id: String,
    pub name: String,
    pub headers: NameSet,
    pub cookies: NameSet,
    pub query_strings: NameSet,
}

/// A set of header, cookie or query-string names (names compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "names", rename_all = "snake_case")]
pub enum NameSet {
    None,
    All,
    Only(Vec<String>),
    AllExcept(Vec<String>),
}

impl NameSet {
    pub fn contains(&self, name: &str) -> bool {
        match self {
            NameSet::None => false,
            NameSet::All => true,
            NameSet::Only(names) => names.iter().any(|n| n.eq_ignore_ascii_case(name)),
            NameSet::AllExcept(names) => !names.iter().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }
}

/// A CloudFront VPC origin (`GetVpcOrigin`): the private endpoint CloudFront reaches through
/// its service-managed network interfaces, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpcOrigin {
    pub id: String,
    pub arn: String,
    /// `Deployed` when usable; `Deploying` for up to 15 minutes after a change.
    pub status: String,
    /// `VpcOriginEndpointConfig.Name`.
    pub name: String,
    /// `VpcOriginEndpointConfig.Arn`: an internal ALB or NLB, or an EC2 instance.
    pub endpoint_arn: String,
    pub http_port: u16,
    pub https_port: u16,
    pub protocol_policy: OriginProtocolPolicy,
    /// `OriginSslProtocols.Items`.
    pub ssl_protocols: Vec<String>,
}

impl VpcOrigin {
    /// The (scheme, port) pairs CloudFront uses toward the endpoint; both for `match-viewer`.
    pub fn connections(&self) -> Vec<(Scheme, u16)> {
        self.protocol_policy.connections(self.http_port, self.https_port)
    }

    /// The region of the endpoint, from its ARN (`arn:aws:<service>:<region>:…`).
    pub fn endpoint_region(&self) -> Option<&str> {
        self.endpoint_arn.split(':').nth(3).filter(|r| !r.is_empty())
    }
}

/// What the inventory read for a VPC origin: the VPC origin itself and the security groups its
/// endpoint's groups admit by reference (to recognise `CloudFront-VPCOrigins-Service-SG`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpcOriginFacts {
    pub vpc_origin: Fetch<VpcOrigin>,
    pub referenced_groups: Fetch<Vec<super::SecurityGroup>>,
}

/// The name AWS gives the security group of CloudFront's VPC-origin network interfaces.
pub const VPC_ORIGINS_SERVICE_SG: &str = "CloudFront-VPCOrigins-Service-SG";
