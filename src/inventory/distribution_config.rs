//! A proposed distribution configuration, read from the JSON the AWS CLI prints.
//!
//! `aws cloudfront get-distribution-config --id E…` prints `{"ETag": …, "DistributionConfig":
//! {…}}` with the API's PascalCase names and its `{"Quantity": n, "Items": [...]}` lists
//! (<https://docs.aws.amazon.com/cli/latest/reference/cloudfront/get-distribution-config.html>,
//! <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html>).
//! An engineer edits that document and hands it, or the bare `DistributionConfig` object, to a
//! pre-flight. [`parse`] maps it into the evidence's [`Distribution`] model the way the SDK
//! adapter maps `GetDistribution` (same defaults, same "only with a cache policy" rule for
//! `ForwardedValues`), so the checks read both alike.
//!
//! Pure and bounded: a wrong type, a missing field the API requires, or a value CloudFront would
//! refuse (a port outside 1–65535, an unknown protocol policy, a behavior targeting no origin)
//! is an error naming the field's path; a field this tool does not read is ignored.

use crate::event::kind;
use crate::evidence::{
    Behavior, CustomErrorResponse, CustomHeader, CustomOriginConfig, Distribution, FunctionAssociation, GeoRestriction,
    LambdaAssociation, LegacyForwarding, LoggingConfig, Origin, OriginGroup, OriginKind, OriginProtocolPolicy,
    SecretValue, ViewerCertificate, ViewerProtocolPolicy,
};
use serde_json::{Map, Value};

/// Largest proposed configuration read, serialized (CloudFront's own documents are far smaller;
/// this bounds what a caller can make the tool parse and keep).
pub const MAX_DISTRIBUTION_CONFIG_BYTES: usize = 256 * 1024;

/// Why a proposed configuration was refused: the field's path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct ConfigError {
    pub path: String,
    pub problem: String,
}

/// A proposed configuration: everything of a [`Distribution`] but its identity (id, ARN,
/// CloudFront domain name, status), which comes from the live distribution it would replace.
#[derive(Debug, Clone)]
pub struct ProposedConfig {
    config: Distribution,
    /// The `ETag` of the document, when it carried one (the version it was edited from).
    pub etag: Option<String>,
}

impl ProposedConfig {
    /// The distribution as it would be with this configuration: the live one's identity, the
    /// proposed configuration for everything else.
    pub fn applied_to(&self, live: &Distribution) -> Distribution {
        Distribution {
            id: live.id.clone(),
            arn: live.arn.clone(),
            domain_name: live.domain_name.clone(),
            status: live.status.clone(),
            ..self.config.clone()
        }
    }

    /// The configuration as mapped (its identity fields are empty).
    pub fn config(&self) -> &Distribution {
        &self.config
    }
}

/// Reads a proposed configuration from the bytes of a file (bounded, UTF-8 JSON).
pub fn parse_bytes(raw: &[u8]) -> Result<ProposedConfig, ConfigError> {
    if raw.len() > MAX_DISTRIBUTION_CONFIG_BYTES {
        return Err(too_large(raw.len()));
    }
    let value: Value = serde_json::from_slice(raw)
        .map_err(|e| ConfigError { path: "(document)".into(), problem: format!("not valid JSON: {e}") })?;
    parse(&value)
}

fn too_large(len: usize) -> ConfigError {
    ConfigError {
        path: "(document)".into(),
        problem: format!(
            "{len} bytes; a distribution configuration is read up to {MAX_DISTRIBUTION_CONFIG_BYTES} bytes"
        ),
    }
}

/// Reads a proposed configuration: `get-distribution-config`'s output (`{"ETag", "DistributionConfig"}`),
/// `get-distribution`'s (`{"Distribution": {"DistributionConfig"}}`), or a bare `DistributionConfig`.
pub fn parse(value: &Value) -> Result<ProposedConfig, ConfigError> {
    // Bounded whatever the caller did before: the serialized size is what is kept and parsed.
    let size = serde_json::to_vec(value).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_DISTRIBUTION_CONFIG_BYTES {
        return Err(too_large(size));
    }
    let top = Obj::new(value, "(document)")?;
    let etag = top.opt_str("ETag")?.map(str::to_string);
    let config = if let Some(c) = top.opt_obj("DistributionConfig")? {
        c
    } else if let Some(d) = top.opt_obj("Distribution")? {
        d.obj("DistributionConfig")?
    } else if top.map.contains_key("Origins") || top.map.contains_key("DefaultCacheBehavior") {
        Obj { map: top.map, path: String::new() }
    } else {
        return Err(ConfigError {
            path: "(document)".into(),
            problem: "expected the output of `aws cloudfront get-distribution-config` ({\"ETag\", \"DistributionConfig\"}) or a DistributionConfig object".into(),
        });
    };
    Ok(ProposedConfig { config: distribution(&config)?, etag })
}

fn distribution(c: &Obj<'_>) -> Result<Distribution, ConfigError> {
    let origins = c.obj("Origins")?.items("Items")?.iter().map(origin).collect::<Result<Vec<_>, _>>()?;
    if origins.is_empty() {
        return Err(c.error("Origins.Items", "a distribution needs at least one origin"));
    }
    let default_behavior = behavior(&c.obj("DefaultCacheBehavior")?, None)?;
    let behaviors = match c.opt_obj("CacheBehaviors")? {
        Some(b) => b
            .items("Items")?
            .iter()
            .map(|b| {
                let pattern = b.str("PathPattern")?.to_string();
                behavior(b, Some(pattern))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let origin_groups = match c.opt_obj("OriginGroups")? {
        Some(g) => g.items("Items")?.iter().map(origin_group).collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    // CloudFront refuses a behavior whose target is neither an origin nor an origin group.
    let targets = |id: &str| origins.iter().any(|o: &Origin| o.id == id) || origin_groups.iter().any(|g| g.id == id);
    for (b, at) in std::iter::once((&default_behavior, c.path_of("DefaultCacheBehavior")))
        .chain(behaviors.iter().enumerate().map(|(i, b)| (b, c.path_of(&format!("CacheBehaviors.Items[{i}]")))))
    {
        if !targets(&b.target_origin_id) {
            return Err(ConfigError {
                path: format!("{at}.TargetOriginId"),
                problem: format!(
                    "{:?} is the id of no origin or origin group of this configuration",
                    clip(&b.target_origin_id)
                ),
            });
        }
    }
    let custom_error_responses = match c.opt_obj("CustomErrorResponses")? {
        Some(e) => e.items("Items")?.iter().map(custom_error_response).collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let geo_restriction = match c.opt_obj("Restrictions")? {
        Some(r) => match r.opt_obj("GeoRestriction")? {
            Some(g) => Some(GeoRestriction {
                restriction_type: g.str("RestrictionType")?.to_string(),
                locations: g.opt_strings("Items")?,
            }),
            None => None,
        },
        None => None,
    };
    let viewer_certificate = match c.opt_obj("ViewerCertificate")? {
        Some(v) => Some(ViewerCertificate {
            cloudfront_default_certificate: v.opt_bool("CloudFrontDefaultCertificate")?.unwrap_or(false),
            acm_certificate_arn: non_empty(v.opt_str("ACMCertificateArn")?),
            iam_certificate_id: non_empty(v.opt_str("IAMCertificateId")?),
            ssl_support_method: v.opt_str("SSLSupportMethod")?.map(str::to_string),
            minimum_protocol_version: v.opt_str("MinimumProtocolVersion")?.map(str::to_string),
        }),
        None => None,
    };
    Ok(Distribution {
        id: String::new(),
        arn: String::new(),
        domain_name: String::new(),
        status: String::new(),
        enabled: c.bool("Enabled")?,
        aliases: match c.opt_obj("Aliases")? {
            Some(a) => a.opt_strings("Items")?,
            None => Vec::new(),
        },
        origins,
        default_behavior,
        behaviors,
        default_root_object: c.opt_str("DefaultRootObject")?.unwrap_or_default().to_string(),
        http_version: c.opt_str("HttpVersion")?.unwrap_or_default().to_string(),
        web_acl_id: non_empty(c.opt_str("WebACLId")?),
        viewer_certificate,
        geo_restriction,
        origin_groups,
        custom_error_responses,
        logging: match c.opt_obj("Logging")? {
            Some(l) => Some(LoggingConfig {
                enabled: l.opt_bool("Enabled")?.unwrap_or(false),
                bucket: l.opt_str("Bucket")?.unwrap_or_default().to_string(),
                prefix: l.opt_str("Prefix")?.unwrap_or_default().to_string(),
                include_cookies: l.opt_bool("IncludeCookies")?.unwrap_or(false),
            }),
            None => None,
        },
    })
}

fn origin(o: &Obj<'_>) -> Result<Origin, ConfigError> {
    let kind = if let Some(c) = o.opt_obj("CustomOriginConfig")? {
        OriginKind::Custom(CustomOriginConfig {
            http_port: c.port("HTTPPort")?,
            https_port: c.port("HTTPSPort")?,
            protocol_policy: match c.str("OriginProtocolPolicy")? {
                "http-only" => OriginProtocolPolicy::HttpOnly,
                "https-only" => OriginProtocolPolicy::HttpsOnly,
                "match-viewer" => OriginProtocolPolicy::MatchViewer,
                other => return Err(c.invalid("OriginProtocolPolicy", other, "http-only, https-only or match-viewer")),
            },
            ssl_protocols: match c.opt_obj("OriginSslProtocols")? {
                Some(p) => p.strings("Items")?,
                None => Vec::new(),
            },
            read_timeout_s: c.opt_i32("OriginReadTimeout")?.unwrap_or(30),
            keepalive_timeout_s: c.opt_i32("OriginKeepaliveTimeout")?.unwrap_or(5),
            ip_address_type: c.opt_str("IpAddressType")?.map(str::to_string),
        })
    } else if let Some(v) = o.opt_obj("VpcOriginConfig")? {
        OriginKind::Vpc { vpc_origin_id: v.str("VpcOriginId")?.to_string() }
    } else {
        OriginKind::S3 {
            origin_access_identity: match o.opt_obj("S3OriginConfig")? {
                Some(s) => s.opt_str("OriginAccessIdentity")?.unwrap_or_default().to_string(),
                None => String::new(),
            },
        }
    };
    let custom_headers = match o.opt_obj("CustomHeaders")? {
        Some(h) => h
            .items("Items")?
            .iter()
            .map(|h| {
                Ok(CustomHeader {
                    name: h.str("HeaderName")?.to_string(),
                    value: SecretValue::new(h.str("HeaderValue")?),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?,
        None => Vec::new(),
    };
    Ok(Origin {
        id: o.str("Id")?.to_string(),
        domain_name: o.str("DomainName")?.to_string(),
        origin_path: o.opt_str("OriginPath")?.unwrap_or_default().to_string(),
        custom_headers,
        connection_attempts: o.opt_i32("ConnectionAttempts")?.unwrap_or(3),
        connection_timeout_s: o.opt_i32("ConnectionTimeout")?.unwrap_or(10),
        kind,
        response_completion_timeout_s: o.opt_i32("ResponseCompletionTimeout")?,
        origin_access_control_id: non_empty(o.opt_str("OriginAccessControlId")?),
    })
}

fn origin_group(g: &Obj<'_>) -> Result<OriginGroup, ConfigError> {
    Ok(OriginGroup {
        id: g.str("Id")?.to_string(),
        members: g
            .obj("Members")?
            .items("Items")?
            .iter()
            .map(|m| m.str("OriginId").map(str::to_string))
            .collect::<Result<Vec<_>, _>>()?,
        failover_status_codes: {
            let codes = g.obj("FailoverCriteria")?.obj("StatusCodes")?;
            codes
                .array("Items")?
                .iter()
                .enumerate()
                .map(|(i, v)| int_in(v, &codes.path_of(&format!("Items[{i}]"))))
                .collect::<Result<Vec<_>, _>>()?
        },
        selection_criteria: g.opt_str("SelectionCriteria")?.map(str::to_string),
    })
}

fn custom_error_response(e: &Obj<'_>) -> Result<CustomErrorResponse, ConfigError> {
    Ok(CustomErrorResponse {
        error_code: e.i32("ErrorCode")?,
        response_page_path: non_empty(e.opt_str("ResponsePagePath")?),
        // A string in the API ("200"), though the CLI also accepts a number.
        response_code: match e.map.get("ResponseCode") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => non_empty(Some(s)),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => return Err(e.wrong("ResponseCode", "a string", other)),
        },
        error_caching_min_ttl: e.opt_i64("ErrorCachingMinTTL")?,
    })
}

fn behavior(b: &Obj<'_>, path_pattern: Option<String>) -> Result<Behavior, ConfigError> {
    let viewer_protocol_policy = match b.str("ViewerProtocolPolicy")? {
        "allow-all" => ViewerProtocolPolicy::AllowAll,
        "redirect-to-https" => ViewerProtocolPolicy::RedirectToHttps,
        "https-only" => ViewerProtocolPolicy::HttpsOnly,
        other => return Err(b.invalid("ViewerProtocolPolicy", other, "allow-all, redirect-to-https or https-only")),
    };
    let get_head = || vec!["GET".to_string(), "HEAD".to_string()];
    let (allowed_methods, cached_methods) = match b.opt_obj("AllowedMethods")? {
        Some(m) => (
            m.strings("Items")?,
            match m.opt_obj("CachedMethods")? {
                Some(c) => c.strings("Items")?,
                None => get_head(),
            },
        ),
        None => (get_head(), get_head()),
    };
    let cache_policy_id = non_empty(b.opt_str("CachePolicyId")?);
    // ForwardedValues counts only without a cache policy (the API echoes it either way).
    let forwarded_values = match (&cache_policy_id, b.opt_obj("ForwardedValues")?) {
        (None, Some(f)) => Some(legacy(&f)?),
        _ => None,
    };
    let function_associations = match b.opt_obj("FunctionAssociations")? {
        Some(f) => f
            .items("Items")?
            .iter()
            .map(|a| {
                Ok(FunctionAssociation {
                    function_arn: a.str("FunctionARN")?.to_string(),
                    event_type: a.str("EventType")?.to_string(),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?,
        None => Vec::new(),
    };
    let lambda_associations = match b.opt_obj("LambdaFunctionAssociations")? {
        Some(f) => f
            .items("Items")?
            .iter()
            .map(|a| {
                Ok(LambdaAssociation {
                    lambda_function_arn: a.str("LambdaFunctionARN")?.to_string(),
                    event_type: a.str("EventType")?.to_string(),
                    include_body: a.opt_bool("IncludeBody")?.unwrap_or(false),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?,
        None => Vec::new(),
    };
    let trusted_key_groups = match b.opt_obj("TrustedKeyGroups")? {
        Some(t) if t.bool("Enabled")? => t.opt_strings("Items")?,
        _ => Vec::new(),
    };
    Ok(Behavior {
        path_pattern,
        target_origin_id: b.str("TargetOriginId")?.to_string(),
        viewer_protocol_policy,
        allowed_methods,
        cached_methods,
        cache_policy_id,
        origin_request_policy_id: non_empty(b.opt_str("OriginRequestPolicyId")?),
        forwarded_values,
        function_associations,
        lambda_associations,
        trusted_key_groups,
        cache_policy: None,
        origin_request_policy: None,
    })
}

fn legacy(f: &Obj<'_>) -> Result<LegacyForwarding, ConfigError> {
    let cookies = f.opt_obj("Cookies")?;
    Ok(LegacyForwarding {
        query_string: f.bool("QueryString")?,
        query_string_cache_keys: match f.opt_obj("QueryStringCacheKeys")? {
            Some(k) => k.opt_strings("Items")?,
            None => Vec::new(),
        },
        cookies_forward: match &cookies {
            Some(c) => c.str("Forward")?.to_string(),
            None => "none".to_string(),
        },
        cookie_names: match cookies.as_ref().map(|c| c.opt_obj("WhitelistedNames")).transpose()?.flatten() {
            Some(n) => n.opt_strings("Items")?,
            None => Vec::new(),
        },
        headers: match f.opt_obj("Headers")? {
            Some(h) => h.opt_strings("Items")?,
            None => Vec::new(),
        },
    })
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

/// A caller's value in an error message, cut short.
fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

fn int_in(v: &Value, path: &str) -> Result<i32, ConfigError> {
    let n = v
        .as_i64()
        .ok_or_else(|| ConfigError { path: path.into(), problem: format!("must be an integer, not {}", kind(v)) })?;
    i32::try_from(n).map_err(|_| ConfigError { path: path.into(), problem: format!("{n} is out of range") })
}

/// One JSON object of the document and its path, with readers that name the field they fail on.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    /// The object's path in the document ("" for the top of a bare `DistributionConfig`).
    path: String,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, path: &str) -> Result<Self, ConfigError> {
        match v {
            Value::Object(map) => Ok(Obj { map, path: path.to_string() }),
            other => Err(ConfigError { path: path.into(), problem: format!("must be an object, not {}", kind(other)) }),
        }
    }

    fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() || self.path == "(document)" { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    fn error(&self, key: &str, problem: impl Into<String>) -> ConfigError {
        ConfigError { path: self.path_of(key), problem: problem.into() }
    }

    fn wrong(&self, key: &str, expected: &str, got: &Value) -> ConfigError {
        self.error(key, format!("must be {expected}, not {}", kind(got)))
    }

    fn invalid(&self, key: &str, got: &str, allowed: &str) -> ConfigError {
        self.error(key, format!("{:?} is not one of {allowed}", clip(got)))
    }

    /// The value at `key`; JSON null counts as absent, as the AWS CLI reads it.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required(&self, key: &str) -> Result<&'a Value, ConfigError> {
        self.get(key).ok_or_else(|| self.error(key, "is missing (the CloudFront API requires it)"))
    }

    fn opt_obj(&self, key: &str) -> Result<Option<Obj<'a>>, ConfigError> {
        self.get(key).map(|v| Obj::new(v, &self.path_of(key))).transpose()
    }

    fn obj(&self, key: &str) -> Result<Obj<'a>, ConfigError> {
        Obj::new(self.required(key)?, &self.path_of(key))
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong(key, "a string", other)),
        }
    }

    fn str(&self, key: &str) -> Result<&'a str, ConfigError> {
        match self.required(key)? {
            Value::String(s) => Ok(s),
            other => Err(self.wrong(key, "a string", other)),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(key, "a boolean", other)),
        }
    }

    fn bool(&self, key: &str) -> Result<bool, ConfigError> {
        self.opt_bool(key)?.ok_or_else(|| self.error(key, "is missing (the CloudFront API requires it)"))
    }

    fn opt_i64(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| self.wrong(key, "an integer", v)),
        }
    }

    fn opt_i32(&self, key: &str) -> Result<Option<i32>, ConfigError> {
        self.get(key).map(|v| int_in(v, &self.path_of(key))).transpose()
    }

    fn i32(&self, key: &str) -> Result<i32, ConfigError> {
        int_in(self.required(key)?, &self.path_of(key))
    }

    fn port(&self, key: &str) -> Result<u16, ConfigError> {
        let n = self.i32(key)?;
        u16::try_from(n)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| self.error(key, format!("{n} is not a port (1 to 65535)")))
    }

    fn array(&self, key: &str) -> Result<&'a [Value], ConfigError> {
        match self.required(key)? {
            Value::Array(a) => Ok(a),
            other => Err(self.wrong(key, "an array", other)),
        }
    }

    /// The objects of a `{"Quantity", "Items"}` list; absent `Items` is an empty list (the CLI
    /// omits it when `Quantity` is 0).
    fn items(&self, key: &str) -> Result<Vec<Obj<'a>>, ConfigError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(_) => self
                .array(key)?
                .iter()
                .enumerate()
                .map(|(i, v)| Obj::new(v, &self.path_of(&format!("{key}[{i}]"))))
                .collect(),
        }
    }

    fn opt_strings(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(_) => self.strings(key),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        self.array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(self.error(&format!("{key}[{i}]"), format!("must be a string, not {}", kind(other)))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DOCUMENT: &str = include_str!("../../tests/fixtures/distribution-config/get-distribution-config.json");

    fn document() -> Value {
        serde_json::from_str(DOCUMENT).unwrap()
    }

    fn error_of(v: &Value) -> ConfigError {
        parse(v).unwrap_err()
    }

    #[test]
    fn maps_every_field_of_a_get_distribution_config_document() {
        let p = parse(&document()).unwrap();
        assert_eq!(p.etag.as_deref(), Some("E2QWRUHAPOMQZL"));
        let d = p.config();
        assert!(d.enabled);
        assert_eq!(d.aliases, ["www.example.com", "example.com"]);
        assert_eq!(d.default_root_object, "index.html");
        assert_eq!(d.http_version, "http2and3");
        assert!(d.web_acl_id.as_deref().unwrap().starts_with("arn:aws:wafv2:"));

        let app = d.origin("app-alb").unwrap();
        assert_eq!(app.domain_name, "app-1234567890.us-east-1.elb.amazonaws.com");
        assert_eq!((app.connection_attempts, app.connection_timeout_s), (2, 5));
        assert_eq!(app.response_completion_timeout_s, Some(120));
        assert_eq!(app.origin_access_control_id, None, "\"\" is unset");
        assert_eq!(app.custom_headers.len(), 1);
        assert_eq!(app.custom_headers[0].name, "X-Origin-Verify");
        assert_eq!(app.custom_headers[0].value.expose(), Some("s3cr3t-value"));
        let c = app.custom().unwrap();
        assert_eq!((c.http_port, c.https_port), (80, 443));
        assert_eq!(c.protocol_policy, OriginProtocolPolicy::HttpsOnly);
        assert_eq!(c.ssl_protocols, ["TLSv1.2"]);
        assert_eq!((c.read_timeout_s, c.keepalive_timeout_s), (60, 10));
        assert_eq!(c.ip_address_type.as_deref(), Some("dualstack"));

        let s3 = d.origin("assets-s3").unwrap();
        assert_eq!(s3.origin_path, "/static");
        assert_eq!(s3.origin_access_control_id.as_deref(), Some("E1OACEXAMPLE"));
        assert!(matches!(&s3.kind, OriginKind::S3 { origin_access_identity } if origin_access_identity.is_empty()));
        assert_eq!(s3.response_completion_timeout_s, None);
        let vpc = d.origin("internal-api").unwrap();
        assert!(matches!(&vpc.kind, OriginKind::Vpc { vpc_origin_id } if vpc_origin_id == "vo_0123456789abcdef"));

        assert_eq!(d.origin_groups.len(), 1);
        let g = &d.origin_groups[0];
        assert_eq!(
            (g.id.as_str(), g.members.as_slice()),
            ("app-failover", &["app-alb".to_string(), "assets-s3".to_string()][..])
        );
        assert_eq!(g.failover_status_codes, [502, 503]);
        assert_eq!(g.selection_criteria.as_deref(), Some("default"));

        let b = &d.default_behavior;
        assert_eq!(b.path_pattern, None);
        assert_eq!(b.target_origin_id, "app-alb");
        assert_eq!(b.viewer_protocol_policy, ViewerProtocolPolicy::RedirectToHttps);
        assert_eq!(b.allowed_methods.len(), 7);
        assert_eq!(b.cached_methods, ["HEAD", "GET"]);
        assert_eq!(b.cache_policy_id.as_deref(), Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"));
        assert_eq!(b.origin_request_policy_id.as_deref(), Some("b689b0a8-53d0-40ab-baf2-68738e2966ac"));
        assert!(b.forwarded_values.is_none());
        assert_eq!(b.function_associations[0].event_type, "viewer-request");
        assert_eq!(
            b.lambda_associations[0].lambda_function_arn,
            "arn:aws:lambda:us-east-1:123456789012:function:auth:3"
        );
        assert_eq!(b.lambda_associations[0].event_type, "origin-request");
        assert!(b.trusted_key_groups.is_empty(), "disabled key groups are not required");

        assert_eq!(d.behaviors.len(), 2);
        let st = &d.behaviors[0];
        assert_eq!(st.path_pattern.as_deref(), Some("/static/*"));
        assert_eq!(st.viewer_protocol_policy, ViewerProtocolPolicy::HttpsOnly);
        assert_eq!(st.trusted_key_groups, ["K2JCJMDEHXQW5F"]);
        let fv = st.forwarded_values.as_ref().expect("legacy forwarding without a cache policy");
        assert!(fv.query_string);
        assert_eq!(fv.query_string_cache_keys, ["v"]);
        assert_eq!(
            (fv.cookies_forward.as_str(), fv.cookie_names.as_slice()),
            ("whitelist", &["session".to_string()][..])
        );
        assert_eq!(fv.headers, ["Authorization"]);
        let api = &d.behaviors[1];
        assert_eq!(api.target_origin_id, "app-failover");
        assert!(api.forwarded_values.is_none(), "ForwardedValues is echoed but a cache policy is set");
        assert_eq!(d.behavior_for_path("/api/orders").target_origin_id, "app-failover");

        let v = d.viewer_certificate.as_ref().unwrap();
        assert!(!v.cloudfront_default_certificate);
        assert!(v.acm_certificate_arn.as_deref().unwrap().starts_with("arn:aws:acm:us-east-1:"));
        assert_eq!(v.iam_certificate_id, None);
        assert_eq!(v.ssl_support_method.as_deref(), Some("sni-only"));
        assert_eq!(v.minimum_protocol_version.as_deref(), Some("TLSv1.2_2021"));
        let geo = d.geo_restriction.as_ref().unwrap();
        assert_eq!(
            (geo.restriction_type.as_str(), geo.locations.as_slice()),
            ("blacklist", &["KP".to_string(), "IR".to_string()][..])
        );
        let e = &d.custom_error_responses[0];
        assert_eq!(e.error_code, 404);
        assert_eq!(e.response_page_path.as_deref(), Some("/404.html"));
        assert_eq!(e.response_code.as_deref(), Some("404"));
        assert_eq!(e.error_caching_min_ttl, Some(10));
    }

    #[test]
    fn custom_header_values_are_secrets_never_written_or_quoted() {
        let p = parse(&document()).unwrap();
        let written = serde_json::to_string(p.config()).unwrap();
        assert!(!written.contains("s3cr3t-value") && written.contains("hmac:"), "{written}");
        assert!(!format!("{:?}", p.config()).contains("s3cr3t-value"));
        // A refused document does not quote the value either.
        let mut doc = document();
        doc["DistributionConfig"]["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderName"] =
            json!(["s3cr3t-value"]);
        assert!(!error_of(&doc).to_string().contains("s3cr3t-value"));
    }

    #[test]
    fn the_bare_config_and_get_distribution_output_map_alike() {
        let doc = document();
        let bare = doc["DistributionConfig"].clone();
        let wrapped = json!({"Distribution": {"Id": "E1", "DistributionConfig": bare.clone()}});
        let a = serde_json::to_value(parse(&doc).unwrap().config()).unwrap();
        assert_eq!(serde_json::to_value(parse(&bare).unwrap().config()).unwrap(), a);
        assert_eq!(serde_json::to_value(parse(&wrapped).unwrap().config()).unwrap(), a);
        assert_eq!(parse(&bare).unwrap().etag, None);
    }

    #[test]
    fn the_live_identity_is_kept_and_the_rest_is_proposed() {
        let p = parse(&document()).unwrap();
        let mut live = p.config().clone();
        live.id = "E2LIVE".into();
        live.arn = "arn:aws:cloudfront::123456789012:distribution/E2LIVE".into();
        live.domain_name = "d111111abcdef8.cloudfront.net".into();
        live.status = "Deployed".into();
        live.aliases = vec!["old.example.com".into()];
        let d = p.applied_to(&live);
        assert_eq!(
            (d.id.as_str(), d.domain_name.as_str(), d.status.as_str()),
            ("E2LIVE", "d111111abcdef8.cloudfront.net", "Deployed")
        );
        assert_eq!(d.arn, live.arn);
        assert_eq!(d.aliases, ["www.example.com", "example.com"]);
    }

    #[test]
    fn defaults_follow_the_api_when_optional_fields_are_absent() {
        let v = json!({
            "Enabled": false,
            "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "origin.example.net",
                "CustomOriginConfig": {"HTTPPort": 8080, "HTTPSPort": 8443, "OriginProtocolPolicy": "match-viewer"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                "ForwardedValues": {"QueryString": false}},
            "SomeFieldFromTheFuture": {"Anything": [1, 2, 3]}
        });
        let d = parse(&v).unwrap().config().clone();
        assert!(!d.enabled);
        let o = &d.origins[0];
        assert_eq!((o.connection_attempts, o.connection_timeout_s, o.origin_path.as_str()), (3, 10, ""));
        let c = o.custom().unwrap();
        assert_eq!((c.read_timeout_s, c.keepalive_timeout_s, c.ip_address_type.as_deref()), (30, 5, None));
        assert_eq!(c.origin_connections().len(), 2);
        let b = &d.default_behavior;
        assert_eq!(
            (b.allowed_methods.as_slice(), b.cached_methods.as_slice()),
            (&["GET".to_string(), "HEAD".to_string()][..], &["GET".to_string(), "HEAD".to_string()][..])
        );
        let fv = b.forwarded_values.as_ref().unwrap();
        assert_eq!((fv.query_string, fv.cookies_forward.as_str()), (false, "none"));
        assert!(d.viewer_certificate.is_none() && d.geo_restriction.is_none() && d.behaviors.is_empty());
    }

    /// `doc` with the value at `pointer` replaced (or removed when `value` is None).
    fn edited(doc: &Value, pointer: &str, value: Option<Value>) -> Value {
        let mut v = doc.clone();
        match value {
            Some(new) => *v.pointer_mut(pointer).unwrap() = new,
            None => {
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                v.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
            }
        }
        v
    }

    #[test]
    fn each_error_names_the_field() {
        let doc = document();
        let o0 = "/DistributionConfig/Origins/Items/0";
        let cases = [
            ("DistributionConfig.Origins", "/DistributionConfig/Origins".to_string(), None, "is missing"),
            (
                "DistributionConfig.Enabled",
                "/DistributionConfig/Enabled".into(),
                Some(json!("yes")),
                "must be a boolean, not a string",
            ),
            (
                "DistributionConfig.Origins.Items[0].CustomOriginConfig.HTTPPort",
                format!("{o0}/CustomOriginConfig/HTTPPort"),
                Some(json!("80")),
                "must be an integer, not a string",
            ),
            (
                "DistributionConfig.Origins.Items[0].CustomOriginConfig.HTTPSPort",
                format!("{o0}/CustomOriginConfig/HTTPSPort"),
                Some(json!(70000)),
                "70000 is not a port",
            ),
            (
                "DistributionConfig.Origins.Items[0].CustomOriginConfig.OriginProtocolPolicy",
                format!("{o0}/CustomOriginConfig/OriginProtocolPolicy"),
                Some(json!("https-please")),
                "is not one of http-only",
            ),
            (
                "DistributionConfig.Origins.Items[1].DomainName",
                "/DistributionConfig/Origins/Items/1/DomainName".into(),
                None,
                "is missing",
            ),
            (
                "DistributionConfig.Origins.Items[0].CustomHeaders.Items[0].HeaderValue",
                format!("{o0}/CustomHeaders/Items/0/HeaderValue"),
                Some(json!(7)),
                "must be a string, not a number",
            ),
            (
                "DistributionConfig.DefaultCacheBehavior.ViewerProtocolPolicy",
                "/DistributionConfig/DefaultCacheBehavior/ViewerProtocolPolicy".into(),
                Some(json!("sometimes")),
                "is not one of allow-all",
            ),
            (
                "DistributionConfig.DefaultCacheBehavior.AllowedMethods.Items[1]",
                "/DistributionConfig/DefaultCacheBehavior/AllowedMethods/Items/1".into(),
                Some(json!(null)),
                "must be a string, not null",
            ),
            (
                "DistributionConfig.CacheBehaviors.Items[1].TargetOriginId",
                "/DistributionConfig/CacheBehaviors/Items/1/TargetOriginId".into(),
                Some(json!("gone")),
                "no origin or origin group",
            ),
            (
                "DistributionConfig.CacheBehaviors.Items[0].PathPattern",
                "/DistributionConfig/CacheBehaviors/Items/0/PathPattern".into(),
                None,
                "is missing",
            ),
            (
                "DistributionConfig.OriginGroups.Items[0].FailoverCriteria.StatusCodes.Items[0]",
                "/DistributionConfig/OriginGroups/Items/0/FailoverCriteria/StatusCodes/Items/0".into(),
                Some(json!(5e20)),
                "must be an integer",
            ),
            (
                "DistributionConfig.Origins.Items",
                "/DistributionConfig/Origins/Items".into(),
                Some(json!({})),
                "must be an array, not an object",
            ),
            (
                "DistributionConfig.Origins.Items",
                "/DistributionConfig/Origins/Items".into(),
                Some(json!([])),
                "at least one origin",
            ),
            ("DistributionConfig", "/DistributionConfig".into(), Some(json!([1])), "must be an object, not an array"),
            (
                "(document)",
                String::new(),
                Some(json!({"ETag": "X"})),
                "expected the output of `aws cloudfront get-distribution-config`",
            ),
            ("(document)", String::new(), Some(json!("text")), "must be an object, not a string"),
        ];
        for (path, pointer, value, problem) in cases {
            let e = error_of(&edited(&doc, &pointer, value));
            assert_eq!(e.path, path, "{e}");
            assert!(e.problem.contains(problem), "{path}: {e}");
        }
        // A field this tool does not read may hold anything.
        assert!(parse(&edited(&doc, "/DistributionConfig/Comment", Some(json!({"any": [null]})))).is_ok());
    }

    #[test]
    fn malformed_and_oversized_documents_are_refused_by_size_and_syntax() {
        let e = parse_bytes(b"{\"DistributionConfig\": {").unwrap_err();
        assert!(e.problem.starts_with("not valid JSON"), "{e}");
        let big = vec![b' '; MAX_DISTRIBUTION_CONFIG_BYTES + 1];
        let e = parse_bytes(&big).unwrap_err();
        assert!(e.problem.contains("read up to 262144 bytes"), "{e}");
        let mut doc = document();
        doc["DistributionConfig"]["Comment"] = json!("x".repeat(MAX_DISTRIBUTION_CONFIG_BYTES));
        assert!(parse(&doc).unwrap_err().problem.contains("read up to"));
        assert!(parse_bytes(DOCUMENT.as_bytes()).is_ok());
    }
}
