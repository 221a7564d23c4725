//! The project's own model of the AWS configuration a diagnosis reads.
//!
//! Field names follow the CloudFront / ELBv2 API names in snake_case, so a finding's evidence
//! can name the API field path (`Origins.Items[].CustomOriginConfig.OriginProtocolPolicy`).

use super::{Fetch, SecretValue};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub distribution: Distribution,
    /// One entry per origin of the distribution, in the distribution's order.
    pub origins: Vec<OriginInventory>,
    /// Every AWS call made, in order of completion, for the report's audit trail.
    pub calls: Vec<CallRecord>,
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
    /// `ok`, `denied`, `not_found`, `failed`.
    pub outcome: String,
    pub millis: u64,
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
}

impl CustomOriginConfig {
    /// The (scheme, port) pairs CloudFront uses toward this origin; both for `match-viewer`.
    pub fn origin_connections(&self) -> Vec<(Scheme, u16)> {
        match self.protocol_policy {
            OriginProtocolPolicy::HttpOnly => vec![(Scheme::Http, self.http_port)],
            OriginProtocolPolicy::HttpsOnly => vec![(Scheme::Https, self.https_port)],
            OriginProtocolPolicy::MatchViewer | OriginProtocolPolicy::Unknown => {
                vec![(Scheme::Https, self.https_port), (Scheme::Http, self.http_port)]
            }
        }
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
}

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ListenerAction {
    Redirect { protocol: String, port: String, host: String, path: String, query: String, status_code: String },
    FixedResponse { status_code: String, content_type: Option<String> },
    Forward { target_group_arns: Vec<String> },
    Other { action_type: String },
}
