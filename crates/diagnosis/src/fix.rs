//! Fixes as data: what a finding's remediation asks to change, typed, so that it can be shown as
//! the exact field with its old and new value, turned into the AWS CLI steps that make it, and
//! applied to a copy of the evidence to check it before anyone makes it.
//!
//! This tool stays read-only: the commands are printed, never run. A distribution change is
//! written as `get-distribution-config`, a `jq` edit that refuses to run when the field no
//! longer holds the value this diagnosis recorded, and `update-distribution --if-match` with the
//! ETag just read (CloudFront refuses an update whose ETag is stale):
//! <https://docs.aws.amazon.com/cli/latest/reference/cloudfront/update-distribution.html>.

use crate::evidence::{
    Distribution, Inventory, NaclEntry, OriginKind, OriginProtocolPolicy, SecurityGroup, SgRule, ViewerProtocolPolicy,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The typed part of a remediation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fix {
    /// Alternatives in order of preference; each is a set of changes made together. The first
    /// is the one a verification checks.
    Changes { alternatives: Vec<Alternative> },
    /// No change this tool can state as data; says why (e.g. the cause is in application code).
    Manual { reason: String },
}

impl Fix {
    /// One alternative of one or more changes.
    pub fn changes(changes: impl IntoIterator<Item = Change>) -> Self {
        Fix::Changes { alternatives: vec![Alternative { changes: changes.into_iter().collect() }] }
    }

    /// Several alternatives, preferred first.
    pub fn alternatives(alternatives: impl IntoIterator<Item = Vec<Change>>) -> Self {
        Fix::Changes { alternatives: alternatives.into_iter().map(|changes| Alternative { changes }).collect() }
    }

    pub fn manual(reason: impl Into<String>) -> Self {
        Fix::Manual { reason: reason.into() }
    }

    /// The preferred alternative, when there is one.
    pub fn preferred(&self) -> Option<&Alternative> {
        match self {
            Fix::Changes { alternatives } => alternatives.first(),
            Fix::Manual { .. } => None,
        }
    }

    /// Whether the fix is stated as data, with at least one change.
    pub fn is_typed(&self) -> bool {
        self.preferred().is_some_and(|a| !a.changes.is_empty())
    }

    /// The AWS CLI steps of the preferred alternative (none for a manual fix).
    pub fn cli(&self, d: &Distribution) -> Vec<String> {
        self.preferred().map(|a| a.cli(d)).unwrap_or_default()
    }

    /// The steps of the preferred alternative, or `fallback` when it has none (a manual fix,
    /// an origin-side change).
    pub fn cli_or(&self, d: &Distribution, fallback: Vec<String>) -> Vec<String> {
        let cli = self.cli(d);
        if cli.is_empty() { fallback } else { cli }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alternative {
    pub changes: Vec<Change>,
}

impl Alternative {
    /// Whether every change can be applied to the evidence and checked there (configuration
    /// and network changes); origin-side and other changes cannot.
    pub fn is_checkable(&self) -> bool {
        !self.changes.is_empty() && self.changes.iter().all(|c| matches!(c, Change::Config(_) | Change::Network(_)))
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A field of the distribution's configuration (`DistributionConfig`).
    Config(ConfigChange),
    /// A security-group rule or network ACL entry in front of the origin.
    Network(NetworkChange),
    /// A change only the origin's owner can make: its certificate, listener, server or code.
    Origin { part: OriginPart, what: String },
    /// A change outside both (edge code, a WAF rule, DNS, a quota, a cache invalidation).
    Other { what: String },
}

/// What part of the origin an origin-side change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginPart {
    Certificate,
    Listener,
    Server,
    Application,
    Firewall,
    Dns,
}

/// Which behavior: its path pattern, or `None` for the default cache behavior.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BehaviorRef {
    pub path_pattern: Option<String>,
}

impl BehaviorRef {
    pub fn default_behavior() -> Self {
        BehaviorRef { path_pattern: None }
    }

    pub fn of(behavior: &crate::evidence::Behavior) -> Self {
        BehaviorRef { path_pattern: behavior.path_pattern.clone() }
    }
}

/// A change to one field of the distribution's configuration, with the value to set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum ConfigChange {
    OriginProtocolPolicy {
        origin_id: String,
        value: OriginProtocolPolicy,
    },
    OriginHttpPort {
        origin_id: String,
        value: u16,
    },
    OriginHttpsPort {
        origin_id: String,
        value: u16,
    },
    /// `OriginSslProtocols.Items`.
    OriginSslProtocols {
        origin_id: String,
        value: Vec<String>,
    },
    OriginReadTimeout {
        origin_id: String,
        seconds: i32,
    },
    OriginKeepaliveTimeout {
        origin_id: String,
        seconds: i32,
    },
    ConnectionAttempts {
        origin_id: String,
        value: i32,
    },
    ConnectionTimeout {
        origin_id: String,
        seconds: i32,
    },
    /// `ResponseCompletionTimeout`; `None` removes it.
    ResponseCompletionTimeout {
        origin_id: String,
        seconds: Option<i32>,
    },
    OriginDomainName {
        origin_id: String,
        value: String,
    },
    OriginPath {
        origin_id: String,
        value: String,
    },
    /// `IpAddressType` of a custom origin: `ipv4`, `ipv6` or `dualstack`.
    OriginIpAddressType {
        origin_id: String,
        value: String,
    },
    /// A custom origin header set to the value the origin expects. The value is a secret this
    /// tool never holds in a fix: the owner supplies it.
    OriginCustomHeader {
        origin_id: String,
        name: String,
    },
    ViewerProtocolPolicy {
        behavior: BehaviorRef,
        value: ViewerProtocolPolicy,
    },
    AllowedMethods {
        behavior: BehaviorRef,
        value: Vec<String>,
    },
    /// `OriginRequestPolicyId`; `None` detaches the policy.
    OriginRequestPolicy {
        behavior: BehaviorRef,
        policy_id: Option<String>,
    },
    CachePolicy {
        behavior: BehaviorRef,
        policy_id: String,
    },
    /// `ForwardedValues.Headers.Items` of a behavior that uses the legacy forwarding settings.
    ForwardedHeaders {
        behavior: BehaviorRef,
        value: Vec<String>,
    },
    TargetOrigin {
        behavior: BehaviorRef,
        origin_id: String,
    },
    /// An alternate domain name added to `Aliases`.
    AddAlias {
        alias: String,
    },
    Enabled {
        value: bool,
    },
}

/// What part of the configuration a field belongs to.
enum Scope<'a> {
    Origin(&'a str),
    Behavior(&'a BehaviorRef),
    Distribution,
}

/// Why a change could not be applied to the recorded configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("origin {0} is not in the distribution")]
    NoOrigin(String),
    #[error("origin {0} is not a custom origin")]
    NotCustom(String),
    #[error("behavior {0} is not in the distribution")]
    NoBehavior(String),
    #[error("security group {0} is not in the recorded network path")]
    NoSecurityGroup(String),
    #[error("network ACL {0} is not in the recorded network path")]
    NoNetworkAcl(String),
    #[error("the value of a custom origin header is a secret this tool does not hold")]
    SecretValue,
    #[error("behavior {0} has no legacy ForwardedValues (it uses a cache policy)")]
    NotLegacy(String),
}

/// Every method CloudFront can allow, the set `AllowedMethods` takes for write methods.
pub const ALL_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];

const OMITTED: &str = "<the value the origin expects>";

impl ConfigChange {
    /// The origin the change is about (`None` for a behavior or the distribution).
    pub fn origin_id(&self) -> Option<&str> {
        use ConfigChange::*;
        match self {
            OriginProtocolPolicy { origin_id, .. }
            | OriginHttpPort { origin_id, .. }
            | OriginHttpsPort { origin_id, .. }
            | OriginSslProtocols { origin_id, .. }
            | OriginReadTimeout { origin_id, .. }
            | OriginKeepaliveTimeout { origin_id, .. }
            | ConnectionAttempts { origin_id, .. }
            | ConnectionTimeout { origin_id, .. }
            | ResponseCompletionTimeout { origin_id, .. }
            | OriginDomainName { origin_id, .. }
            | OriginPath { origin_id, .. }
            | OriginIpAddressType { origin_id, .. }
            | OriginCustomHeader { origin_id, .. } => Some(origin_id),
            _ => None,
        }
    }

    fn behavior(&self) -> Option<&BehaviorRef> {
        use ConfigChange::*;
        match self {
            ViewerProtocolPolicy { behavior, .. }
            | AllowedMethods { behavior, .. }
            | OriginRequestPolicy { behavior, .. }
            | CachePolicy { behavior, .. }
            | ForwardedHeaders { behavior, .. }
            | TargetOrigin { behavior, .. } => Some(behavior),
            _ => None,
        }
    }

    /// The field inside `DistributionConfig`, as this project's evidence names fields
    /// (`Origins[Id=app].CustomOriginConfig.OriginProtocolPolicy`).
    pub fn field_path(&self) -> String {
        let (scope, path, list) = self.location();
        let path = match self {
            ConfigChange::OriginCustomHeader { name, .. } => format!("{path}.Items[HeaderName={name}].HeaderValue"),
            _ if list => format!("{path}.Items"),
            _ => path.to_string(),
        };
        match scope {
            Scope::Origin(id) => format!("Origins[Id={id}].{path}"),
            Scope::Behavior(BehaviorRef { path_pattern: None }) => format!("DefaultCacheBehavior.{path}"),
            Scope::Behavior(BehaviorRef { path_pattern: Some(p) }) => format!("CacheBehaviors[PathPattern={p}].{path}"),
            Scope::Distribution => path,
        }
    }

    /// Where the field is: its scope, its path inside it as the `DistributionConfig` JSON names
    /// it, and whether it is a `{Quantity, Items}` list.
    fn location(&self) -> (Scope<'_>, &'static str, bool) {
        use ConfigChange::*;
        match self {
            OriginProtocolPolicy { origin_id, .. } => {
                (Scope::Origin(origin_id), "CustomOriginConfig.OriginProtocolPolicy", false)
            }
            OriginHttpPort { origin_id, .. } => (Scope::Origin(origin_id), "CustomOriginConfig.HTTPPort", false),
            OriginHttpsPort { origin_id, .. } => (Scope::Origin(origin_id), "CustomOriginConfig.HTTPSPort", false),
            OriginSslProtocols { origin_id, .. } => {
                (Scope::Origin(origin_id), "CustomOriginConfig.OriginSslProtocols", true)
            }
            OriginReadTimeout { origin_id, .. } => {
                (Scope::Origin(origin_id), "CustomOriginConfig.OriginReadTimeout", false)
            }
            OriginKeepaliveTimeout { origin_id, .. } => {
                (Scope::Origin(origin_id), "CustomOriginConfig.OriginKeepaliveTimeout", false)
            }
            ConnectionAttempts { origin_id, .. } => (Scope::Origin(origin_id), "ConnectionAttempts", false),
            ConnectionTimeout { origin_id, .. } => (Scope::Origin(origin_id), "ConnectionTimeout", false),
            ResponseCompletionTimeout { origin_id, .. } => {
                (Scope::Origin(origin_id), "ResponseCompletionTimeout", false)
            }
            OriginDomainName { origin_id, .. } => (Scope::Origin(origin_id), "DomainName", false),
            OriginPath { origin_id, .. } => (Scope::Origin(origin_id), "OriginPath", false),
            OriginIpAddressType { origin_id, .. } => {
                (Scope::Origin(origin_id), "CustomOriginConfig.IpAddressType", false)
            }
            OriginCustomHeader { origin_id, .. } => (Scope::Origin(origin_id), "CustomHeaders", false),
            ViewerProtocolPolicy { behavior, .. } => (Scope::Behavior(behavior), "ViewerProtocolPolicy", false),
            AllowedMethods { behavior, .. } => (Scope::Behavior(behavior), "AllowedMethods", true),
            OriginRequestPolicy { behavior, .. } => (Scope::Behavior(behavior), "OriginRequestPolicyId", false),
            CachePolicy { behavior, .. } => (Scope::Behavior(behavior), "CachePolicyId", false),
            ForwardedHeaders { behavior, .. } => (Scope::Behavior(behavior), "ForwardedValues.Headers", true),
            TargetOrigin { behavior, .. } => (Scope::Behavior(behavior), "TargetOriginId", false),
            AddAlias { .. } => (Scope::Distribution, "Aliases", true),
            Enabled { .. } => (Scope::Distribution, "Enabled", false),
        }
    }

    /// The value to set, as it appears in the `DistributionConfig` JSON (a custom header's
    /// value is a placeholder).
    pub fn new_value(&self) -> Value {
        use ConfigChange::*;
        match self {
            OriginProtocolPolicy { value, .. } => json!(value.as_api()),
            OriginHttpPort { value, .. } | OriginHttpsPort { value, .. } => json!(value),
            OriginSslProtocols { value, .. } | AllowedMethods { value, .. } | ForwardedHeaders { value, .. } => {
                json!(value)
            }
            OriginReadTimeout { seconds, .. }
            | OriginKeepaliveTimeout { seconds, .. }
            | ConnectionTimeout { seconds, .. } => json!(seconds),
            ConnectionAttempts { value, .. } => json!(value),
            ResponseCompletionTimeout { seconds, .. } => json!(seconds),
            OriginDomainName { value, .. } | OriginPath { value, .. } | OriginIpAddressType { value, .. } => {
                json!(value)
            }
            OriginCustomHeader { .. } => json!(OMITTED),
            ViewerProtocolPolicy { value, .. } => json!(value.as_api()),
            OriginRequestPolicy { policy_id, .. } => json!(policy_id),
            CachePolicy { policy_id, .. } => json!(policy_id),
            TargetOrigin { origin_id, .. } => json!(origin_id),
            AddAlias { alias } => json!(alias),
            Enabled { value } => json!(value),
        }
    }

    /// The field's value in the recorded configuration (`null` when unset or not found; a
    /// custom header's value is never read out).
    pub fn old_value(&self, d: &Distribution) -> Value {
        use ConfigChange::*;
        if let Some(id) = self.origin_id() {
            let Some(o) = d.origin(id) else {
                return Value::Null;
            };
            let c = o.custom();
            return match self {
                OriginProtocolPolicy { .. } => c.map(|c| json!(c.protocol_policy.as_api())),
                OriginHttpPort { .. } => c.map(|c| json!(c.http_port)),
                OriginHttpsPort { .. } => c.map(|c| json!(c.https_port)),
                OriginSslProtocols { .. } => c.map(|c| json!(c.ssl_protocols)),
                OriginReadTimeout { .. } => c.map(|c| json!(c.read_timeout_s)),
                OriginKeepaliveTimeout { .. } => c.map(|c| json!(c.keepalive_timeout_s)),
                OriginIpAddressType { .. } => c.and_then(|c| c.ip_address_type.as_ref()).map(|t| json!(t)),
                ConnectionAttempts { .. } => Some(json!(o.connection_attempts)),
                ConnectionTimeout { .. } => Some(json!(o.connection_timeout_s)),
                ResponseCompletionTimeout { .. } => o.response_completion_timeout_s.map(|s| json!(s)),
                OriginDomainName { .. } => Some(json!(o.domain_name)),
                OriginPath { .. } => Some(json!(o.origin_path)),
                _ => None,
            }
            .unwrap_or(Value::Null);
        }
        if let Some(b) = self.behavior() {
            let Some(behavior) = find_behavior(d, b) else {
                return Value::Null;
            };
            return match self {
                ViewerProtocolPolicy { .. } => json!(behavior.viewer_protocol_policy.as_api()),
                AllowedMethods { .. } => json!(behavior.allowed_methods),
                OriginRequestPolicy { .. } => json!(behavior.origin_request_policy_id),
                ForwardedHeaders { .. } => json!(behavior.forwarded_values.as_ref().map(|f| &f.headers)),
                CachePolicy { .. } => json!(behavior.cache_policy_id),
                TargetOrigin { .. } => json!(behavior.target_origin_id),
                _ => Value::Null,
            };
        }
        match self {
            AddAlias { .. } => json!(d.aliases),
            Enabled { .. } => json!(d.enabled),
            _ => Value::Null,
        }
    }

    /// Makes the change on a copy of the recorded configuration.
    pub fn apply(&self, d: &mut Distribution) -> Result<(), ApplyError> {
        use ConfigChange::*;
        if let Some(id) = self.origin_id() {
            let o = d.origins.iter_mut().find(|o| o.id == id).ok_or_else(|| ApplyError::NoOrigin(id.to_string()))?;
            match self {
                ConnectionAttempts { value, .. } => o.connection_attempts = *value,
                ConnectionTimeout { seconds, .. } => o.connection_timeout_s = *seconds,
                ResponseCompletionTimeout { seconds, .. } => o.response_completion_timeout_s = *seconds,
                OriginDomainName { value, .. } => o.domain_name.clone_from(value),
                OriginPath { value, .. } => o.origin_path.clone_from(value),
                OriginCustomHeader { .. } => return Err(ApplyError::SecretValue),
                _ => {
                    let OriginKind::Custom(c) = &mut o.kind else {
                        return Err(ApplyError::NotCustom(id.to_string()));
                    };
                    match self {
                        OriginProtocolPolicy { value, .. } => c.protocol_policy = *value,
                        OriginHttpPort { value, .. } => c.http_port = *value,
                        OriginHttpsPort { value, .. } => c.https_port = *value,
                        OriginSslProtocols { value, .. } => c.ssl_protocols.clone_from(value),
                        OriginReadTimeout { seconds, .. } => c.read_timeout_s = *seconds,
                        OriginKeepaliveTimeout { seconds, .. } => c.keepalive_timeout_s = *seconds,
                        OriginIpAddressType { value, .. } => c.ip_address_type = Some(value.clone()),
                        _ => {}
                    }
                }
            }
            return Ok(());
        }
        if let Some(b) = self.behavior() {
            let behavior = find_behavior_mut(d, b).ok_or_else(|| {
                ApplyError::NoBehavior(b.path_pattern.clone().unwrap_or_else(|| "default".to_string()))
            })?;
            match self {
                ViewerProtocolPolicy { value, .. } => behavior.viewer_protocol_policy = *value,
                AllowedMethods { value, .. } => behavior.allowed_methods.clone_from(value),
                OriginRequestPolicy { policy_id, .. } => {
                    behavior.origin_request_policy_id.clone_from(policy_id);
                    // A managed policy is known without a read; a custom one is not read here.
                    behavior.origin_request_policy = None;
                }
                CachePolicy { policy_id, .. } => {
                    behavior.cache_policy_id = Some(policy_id.clone());
                    behavior.cache_policy = None;
                    behavior.forwarded_values = None;
                }
                TargetOrigin { origin_id, .. } => behavior.target_origin_id.clone_from(origin_id),
                ForwardedHeaders { value, behavior: b } => match behavior.forwarded_values.as_mut() {
                    Some(f) if behavior.cache_policy_id.is_none() => f.headers.clone_from(value),
                    _ => return Err(ApplyError::NotLegacy(b.path_pattern.clone().unwrap_or_else(|| "default".into()))),
                },
                _ => {}
            }
            return Ok(());
        }
        match self {
            AddAlias { alias } if !d.aliases.iter().any(|a| a.eq_ignore_ascii_case(alias)) => {
                d.aliases.push(alias.clone());
            }
            Enabled { value } => d.enabled = *value,
            _ => {}
        }
        Ok(())
    }

    /// The `jq` path of the field inside `get-distribution-config`'s output (a list field is
    /// its whole `{Quantity, Items}` object).
    fn jq_path(&self) -> String {
        let (scope, path, _) = self.location();
        let path = match self {
            ConfigChange::OriginCustomHeader { name, .. } => {
                format!(".{path}.Items[] | select(.HeaderName == {}) | .HeaderValue", jq_string(name))
            }
            _ => format!(".{path}"),
        };
        match scope {
            Scope::Origin(id) => format!(".Origins.Items[] | select(.Id == {}) | {path}", jq_string(id)),
            Scope::Behavior(BehaviorRef { path_pattern: None }) => format!(".DefaultCacheBehavior{path}"),
            Scope::Behavior(BehaviorRef { path_pattern: Some(p) }) => {
                format!(".CacheBehaviors.Items[] | select(.PathPattern == {}) | {path}", jq_string(p))
            }
            Scope::Distribution => path,
        }
    }

    /// The `jq` edit of this field: the new value where the field holds the recorded one, an
    /// error naming the field otherwise (the configuration changed since the diagnosis).
    fn jq_edit(&self, d: &Distribution) -> String {
        use ConfigChange::*;
        let path = self.jq_path();
        let field = jq_string(&self.field_path());
        let guarded = |current: &str, old: &Value, set: &str| {
            format!(
                "({path}) |= (if {current} == {} then {set} else error(\"changed since the diagnosis: \" + {field}) end)",
                jq_value(old)
            )
        };
        match self {
            // `{Quantity, Items}` lists: compared as sets, AWS does not keep their order.
            OriginSslProtocols { value, .. } => guarded(
                "((.Items // []) | sort)",
                &sorted(self.old_value(d)),
                &format!("(.Quantity = {} | .Items = {})", value.len(), jq_value(&json!(value))),
            ),
            AllowedMethods { value, .. } | ForwardedHeaders { value, .. } => guarded(
                "((.Items // []) | sort)",
                &sorted(self.old_value(d)),
                &format!("(.Quantity = {} | .Items = {})", value.len(), jq_value(&json!(value))),
            ),
            AddAlias { alias } => format!(
                "({path}) |= (if ((.Items // []) | index([{a}])) then . else {{Quantity: ((.Quantity // 0) + 1), Items: ((.Items // []) + [{a}])}} end)",
                a = jq_string(alias)
            ),
            // The value is the owner's secret: the command takes it from the environment.
            OriginCustomHeader { .. } => format!("({path}) |= env.ORIGIN_HEADER_VALUE"),
            _ => guarded(".", &self.old_value(d), &jq_value(&self.new_value())),
        }
    }
}

fn sorted(v: Value) -> Value {
    match v {
        Value::Array(mut items) => {
            items.sort_by_key(|a| a.to_string());
            Value::Array(items)
        }
        other => other,
    }
}

fn find_behavior<'a>(d: &'a Distribution, b: &BehaviorRef) -> Option<&'a crate::evidence::Behavior> {
    match &b.path_pattern {
        None => Some(&d.default_behavior),
        Some(p) => d.behaviors.iter().find(|x| x.path_pattern.as_deref() == Some(p)),
    }
}

fn find_behavior_mut<'a>(d: &'a mut Distribution, b: &BehaviorRef) -> Option<&'a mut crate::evidence::Behavior> {
    match &b.path_pattern {
        None => Some(&mut d.default_behavior),
        Some(p) => d.behaviors.iter_mut().find(|x| x.path_pattern.as_deref() == Some(p)),
    }
}

/// A network change in front of the origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum NetworkChange {
    /// An inbound TCP rule on a security group.
    SecurityGroupIngress { group_id: String, region: Option<String>, port_from: u16, port_to: u16, source: RuleSource },
    /// An allow entry of a network ACL (inbound, or outbound for the return traffic), on a rule
    /// number the ACL does not use.
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleSource {
    PrefixList { prefix_list_id: String },
    Cidr { cidr: String },
}

impl NetworkChange {
    pub fn describe(&self) -> String {
        match self {
            NetworkChange::SecurityGroupIngress { group_id, port_from, port_to, source, .. } => {
                format!(
                    "allow tcp {} from {} on security group {group_id}",
                    ports(*port_from, *port_to),
                    source.describe()
                )
            }
            NetworkChange::NetworkAclEntry { acl_id, egress, rule_number, port_from, port_to, cidr, .. } => format!(
                "allow tcp {} {} {cidr} as rule {rule_number} of network ACL {acl_id}",
                ports(*port_from, *port_to),
                if *egress { "to" } else { "from" }
            ),
        }
    }

    /// Makes the change on the recorded network path of every origin that shows the group or ACL.
    pub fn apply(&self, inv: &mut Inventory) -> Result<(), ApplyError> {
        let mut found = false;
        match self {
            NetworkChange::SecurityGroupIngress { group_id, port_from, port_to, source, .. } => {
                let rule = SgRule {
                    ip_protocol: "tcp".to_string(),
                    from_port: Some(i32::from(*port_from)),
                    to_port: Some(i32::from(*port_to)),
                    ipv4_ranges: match source {
                        RuleSource::Cidr { cidr } if !cidr.contains(':') => vec![cidr.clone()],
                        _ => vec![],
                    },
                    ipv6_ranges: match source {
                        RuleSource::Cidr { cidr } if cidr.contains(':') => vec![cidr.clone()],
                        _ => vec![],
                    },
                    prefix_list_ids: match source {
                        RuleSource::PrefixList { prefix_list_id } => vec![prefix_list_id.clone()],
                        RuleSource::Cidr { .. } => vec![],
                    },
                    group_ids: vec![],
                    group_refs: vec![],
                };
                let mut add = |groups: &mut Vec<SecurityGroup>| {
                    for g in groups.iter_mut().filter(|g| &g.group_id == group_id) {
                        g.ingress.push(rule.clone());
                        found = true;
                    }
                };
                for net in inv.origins.iter_mut().filter_map(|o| o.network.as_mut()) {
                    if let Some(groups) = net.security_groups.value_mut() {
                        add(groups);
                    }
                    if let Some(groups) = net.referenced_groups.value_mut() {
                        add(groups);
                    }
                }
                if found { Ok(()) } else { Err(ApplyError::NoSecurityGroup(group_id.clone())) }
            }
            NetworkChange::NetworkAclEntry { acl_id, egress, rule_number, port_from, port_to, cidr, .. } => {
                let entry = NaclEntry {
                    rule_number: *rule_number,
                    egress: *egress,
                    protocol: "6".to_string(),
                    rule_action: "allow".to_string(),
                    cidr_block: (!cidr.contains(':')).then(|| cidr.clone()),
                    ipv6_cidr_block: cidr.contains(':').then(|| cidr.clone()),
                    port_from: Some(i32::from(*port_from)),
                    port_to: Some(i32::from(*port_to)),
                };
                for o in &mut inv.origins {
                    if let Some(acls) = o.network.as_mut().and_then(|n| n.network_acls.value_mut()) {
                        for acl in acls.iter_mut().filter(|a| &a.network_acl_id == acl_id) {
                            acl.entries.retain(|e| !(e.rule_number == *rule_number && e.egress == *egress));
                            acl.entries.push(entry.clone());
                            found = true;
                        }
                    }
                }
                if found { Ok(()) } else { Err(ApplyError::NoNetworkAcl(acl_id.clone())) }
            }
        }
    }

    /// The AWS CLI command that makes the change.
    pub fn cli(&self) -> String {
        let region = |r: &Option<String>| r.as_deref().map(|r| format!(" --region {r}")).unwrap_or_default();
        match self {
            NetworkChange::SecurityGroupIngress { group_id, region: r, port_from, port_to, source } => {
                let src = match source {
                    RuleSource::PrefixList { prefix_list_id } => {
                        format!("PrefixListIds=[{{PrefixListId={prefix_list_id}}}]")
                    }
                    RuleSource::Cidr { cidr } if cidr.contains(':') => format!("Ipv6Ranges=[{{CidrIpv6={cidr}}}]"),
                    RuleSource::Cidr { cidr } => format!("IpRanges=[{{CidrIp={cidr}}}]"),
                };
                format!(
                    "aws ec2 authorize-security-group-ingress{} --group-id {group_id} --ip-permissions 'IpProtocol=tcp,FromPort={port_from},ToPort={port_to},{src}'",
                    region(r)
                )
            }
            NetworkChange::NetworkAclEntry { acl_id, region: r, egress, rule_number, port_from, port_to, cidr } => {
                format!(
                    "aws ec2 create-network-acl-entry{} --network-acl-id {acl_id} {} --rule-number {rule_number} --protocol tcp --port-range From={port_from},To={port_to} --{} {cidr} --rule-action allow",
                    region(r),
                    if *egress { "--egress" } else { "--ingress" },
                    if cidr.contains(':') { "ipv6-cidr-block" } else { "cidr-block" }
                )
            }
        }
    }
}

impl RuleSource {
    pub fn describe(&self) -> String {
        match self {
            RuleSource::PrefixList { prefix_list_id } => format!("prefix list {prefix_list_id}"),
            RuleSource::Cidr { cidr } => cidr.clone(),
        }
    }
}

fn ports(from: u16, to: u16) -> String {
    if from == to { from.to_string() } else { format!("{from}-{to}") }
}

impl Change {
    /// One line for a person: the field with its old and new value, the rule, or the
    /// origin-side change.
    pub fn describe(&self, d: &Distribution) -> String {
        match self {
            Change::Config(c) => {
                let old = c.old_value(d);
                let old = if matches!(c, ConfigChange::OriginCustomHeader { .. }) {
                    "<recorded value>".to_string()
                } else {
                    old.to_string()
                };
                format!("{}: {old} → {}", c.field_path(), c.new_value())
            }
            Change::Network(n) => n.describe(),
            Change::Origin { what, .. } | Change::Other { what } => what.clone(),
        }
    }
}

impl Alternative {
    /// The AWS CLI steps that make this alternative's changes: one `update-distribution` for
    /// every configuration change together (with the ETag step), one command per network
    /// change. Origin-side and other changes have no command.
    pub fn cli(&self, d: &Distribution) -> Vec<String> {
        let mut out = Vec::new();
        let config: Vec<&ConfigChange> = self
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Config(c) => Some(c),
                _ => None,
            })
            .collect();
        if !config.is_empty() {
            let id = &d.id;
            let edits: Vec<String> = config.iter().map(|c| c.jq_edit(d)).collect();
            out.push(format!("aws cloudfront get-distribution-config --id {id} > dist.json"));
            out.push(format!("jq '.DistributionConfig | {}' dist.json > new-config.json", edits.join(" | ")));
            out.push(format!(
                "aws cloudfront update-distribution --id {id} --if-match \"$(jq -r .ETag dist.json)\" --distribution-config file://new-config.json"
            ));
        }
        for c in &self.changes {
            if let Change::Network(n) = c {
                out.push(n.cli());
            }
        }
        out
    }
}

/// A string as a `jq` string literal (JSON quoting is jq's), safe inside single quotes.
fn jq_string(s: &str) -> String {
    jq_value(&json!(s))
}

/// A JSON value as a `jq` literal; a single quote (which would end the shell's quoting) is
/// written as jq's `\u0027`.
fn jq_value(v: &Value) -> String {
    v.to_string().replace('\'', "\\u0027")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::sg_blocks_cloudfront;
    use crate::evidence::Fetch;
    use crate::testing::*;

    fn http_only_evidence() -> crate::evidence::Evidence {
        evidence(
            custom_origin("app", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::NotApplicable { reason: "outside AWS".into() },
        )
    }

    #[test]
    fn a_config_change_names_its_field_with_old_and_new_values_and_applies_to_a_copy() {
        let ev = http_only_evidence();
        let change =
            ConfigChange::OriginProtocolPolicy { origin_id: "app".into(), value: OriginProtocolPolicy::HttpsOnly };
        assert_eq!(change.field_path(), "Origins[Id=app].CustomOriginConfig.OriginProtocolPolicy");
        assert_eq!(change.old_value(&ev.inventory.distribution), json!("http-only"));
        assert_eq!(change.new_value(), json!("https-only"));
        let mut d = ev.inventory.distribution.clone();
        change.apply(&mut d).unwrap();
        assert_eq!(d.origin("app").unwrap().custom().unwrap().protocol_policy, OriginProtocolPolicy::HttpsOnly);
        assert_eq!(
            ev.inventory.distribution.origin("app").unwrap().custom().unwrap().protocol_policy,
            OriginProtocolPolicy::HttpOnly,
            "the recorded configuration is untouched"
        );
        let missing = ConfigChange::OriginReadTimeout { origin_id: "nope".into(), seconds: 60 };
        assert_eq!(missing.apply(&mut d), Err(ApplyError::NoOrigin("nope".into())));
        let secret = ConfigChange::OriginCustomHeader { origin_id: "app".into(), name: "X-Origin-Verify".into() };
        assert_eq!(secret.apply(&mut d), Err(ApplyError::SecretValue));
    }

    #[test]
    fn the_update_command_reads_the_etag_and_refuses_a_configuration_that_changed_since() {
        let ev = http_only_evidence();
        let d = &ev.inventory.distribution;
        let fix = Fix::changes([
            Change::Config(ConfigChange::OriginProtocolPolicy {
                origin_id: "app".into(),
                value: OriginProtocolPolicy::HttpsOnly,
            }),
            Change::Config(ConfigChange::AllowedMethods {
                behavior: BehaviorRef::default_behavior(),
                value: vec!["GET".into(), "HEAD".into(), "OPTIONS".into()],
            }),
        ]);
        let cli = fix.preferred().unwrap().cli(d);
        assert_eq!(cli.len(), 3, "{cli:#?}");
        assert!(cli[0].starts_with(&format!("aws cloudfront get-distribution-config --id {}", d.id)));
        assert!(cli[1].contains(r#"select(.Id == "app") | .CustomOriginConfig.OriginProtocolPolicy) |= (if . == "http-only" then "https-only""#), "{}", cli[1]);
        assert!(
            cli[1].contains(
                r#"error("changed since the diagnosis: " + "Origins[Id=app].CustomOriginConfig.OriginProtocolPolicy")"#
            ),
            "{}",
            cli[1]
        );
        assert!(cli[1].contains(r#".Items = ["GET","HEAD","OPTIONS"]"#), "{}", cli[1]);
        assert!(cli[2].contains("--if-match \"$(jq -r .ETag dist.json)\""), "{}", cli[2]);
    }

    #[test]
    fn a_quote_in_a_value_cannot_end_the_shell_quoting() {
        let ev = http_only_evidence();
        let change = ConfigChange::OriginPath { origin_id: "app".into(), value: "/it's".into() };
        let cli = Fix::changes([Change::Config(change)]).preferred().unwrap().cli(&ev.inventory.distribution);
        assert!(
            !cli[1].trim_start_matches("jq '").trim_end_matches("' dist.json > new-config.json").contains('\''),
            "{}",
            cli[1]
        );
    }

    #[test]
    fn an_ingress_rule_for_the_prefix_list_makes_the_security_group_admit_cloudfront() {
        let mut ev = alb_with_rules(OriginProtocolPolicy::HttpsOnly, vec![sg_rule_cidr(443, 443, &["10.0.0.0/8"])]);
        let before = sg_blocks_cloudfront::run(&ev);
        assert!(!before.findings.is_empty(), "the fixture blocks CloudFront");
        let group =
            ev.inventory.origins[0].network.as_ref().unwrap().security_groups.value().unwrap()[0].group_id.clone();
        let pl = ev.inventory.cloudfront_prefix_lists[0].lists.value().unwrap()[0].prefix_list_id.clone();
        let change = NetworkChange::SecurityGroupIngress {
            group_id: group.clone(),
            region: None,
            port_from: 443,
            port_to: 443,
            source: RuleSource::PrefixList { prefix_list_id: pl.clone() },
        };
        change.apply(&mut ev.inventory).unwrap();
        assert!(sg_blocks_cloudfront::run(&ev).findings.is_empty());
        assert!(change.cli().contains(&format!("--group-id {group}")) && change.cli().contains(&pl));
        let absent = NetworkChange::SecurityGroupIngress {
            group_id: "sg-absent".into(),
            region: None,
            port_from: 443,
            port_to: 443,
            source: RuleSource::PrefixList { prefix_list_id: pl },
        };
        assert_eq!(absent.apply(&mut ev.inventory), Err(ApplyError::NoSecurityGroup("sg-absent".into())));
    }

    #[test]
    fn only_config_and_network_alternatives_can_be_checked() {
        let origin =
            Alternative { changes: vec![Change::Origin { part: OriginPart::Certificate, what: "renew".into() }] };
        assert!(!origin.is_checkable());
        assert!(!Alternative { changes: vec![] }.is_checkable());
        let config = Alternative { changes: vec![Change::Config(ConfigChange::Enabled { value: true })] };
        assert!(config.is_checkable());
        assert!(!Fix::manual("the application decides").is_typed());
    }
}
