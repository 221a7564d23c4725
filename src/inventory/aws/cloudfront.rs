//! CloudFront (global, addressed in us-east-1): the distribution, its custom policies, VPC
//! origins and the account's distributions (id, name, aliases), mapped to the project's types.

use super::{bounded, empty_response, non_empty, paginate};
use crate::evidence::{
    Behavior, CustomErrorResponse, CustomHeader, CustomOriginConfig, Distribution, FunctionAssociation, GeoRestriction,
    LambdaAssociation, LegacyForwarding, LoggingConfig, NameSet, Origin, OriginGroup, OriginKind, OriginProtocolPolicy,
    PolicyDefinition, SecretValue, ViewerCertificate, ViewerProtocolPolicy, VpcOrigin,
};
use crate::inventory::{ApiError, DistributionSummary};
use aws_sdk_cloudfront as cf;

/// `GetDistribution`.
pub(super) async fn get_distribution(client: &cf::Client, id: &str) -> Result<Distribution, ApiError> {
    let out = bounded(client.get_distribution().id(id).send()).await?;
    let d = out.distribution().ok_or_else(|| empty_response("GetDistribution returned no distribution"))?;
    map_distribution(d)
}

/// `GetCachePolicy`.
pub(super) async fn cache_policy(client: &cf::Client, id: &str) -> Result<PolicyDefinition, ApiError> {
    let out = bounded(client.get_cache_policy().id(id).send()).await?;
    let config = out
        .cache_policy()
        .and_then(|p| p.cache_policy_config())
        .ok_or_else(|| empty_response("GetCachePolicy returned no CachePolicyConfig"))?;
    Ok(map_cache_policy(id, config))
}

/// `GetOriginRequestPolicy`.
pub(super) async fn origin_request_policy(client: &cf::Client, id: &str) -> Result<PolicyDefinition, ApiError> {
    let out = bounded(client.get_origin_request_policy().id(id).send()).await?;
    let config = out
        .origin_request_policy()
        .and_then(|p| p.origin_request_policy_config())
        .ok_or_else(|| empty_response("GetOriginRequestPolicy returned no OriginRequestPolicyConfig"))?;
    Ok(map_origin_request_policy(id, config))
}

/// `GetVpcOrigin`.
pub(super) async fn vpc_origin(client: &cf::Client, id: &str) -> Result<VpcOrigin, ApiError> {
    let out = bounded(client.get_vpc_origin().id(id).send()).await?;
    let v = out.vpc_origin().ok_or_else(|| empty_response("GetVpcOrigin returned no VpcOrigin"))?;
    map_vpc_origin(v)
}

/// `ListDistributions`, every page: each distribution's id, CloudFront name and aliases.
pub(super) async fn list_distributions(
    client: &cf::Client,
    max_pages: usize,
) -> Result<Vec<DistributionSummary>, ApiError> {
    paginate(
        max_pages,
        |marker| bounded(client.list_distributions().set_marker(marker).max_items(100).send()),
        // CloudFront pages on IsTruncated; a marker on the last page is not a next page.
        |page| page.distribution_list().filter(|l| l.is_truncated()).and_then(|l| l.next_marker()),
        |page, out| {
            out.extend(page.distribution_list().iter().flat_map(|l| l.items()).map(|d| DistributionSummary {
                id: d.id().to_string(),
                domain_name: d.domain_name().to_string(),
                aliases: d.aliases().map(|a| a.items().to_vec()).unwrap_or_default(),
            }))
        },
    )
    .await
}

/// A policy's name set from its behavior (`none`, `whitelist`, `allExcept`, `all`, and for
/// origin request headers `allViewer`, `allViewerAndWhitelistCloudFront`) and its names.
fn name_set(behavior: &str, names: &[String]) -> NameSet {
    match behavior {
        "whitelist" => NameSet::Only(names.to_vec()),
        "allExcept" => NameSet::AllExcept(names.to_vec()),
        "all" | "allViewer" | "allViewerAndWhitelistCloudFront" => NameSet::All,
        _ => NameSet::None,
    }
}

fn map_cache_policy(id: &str, c: &cf::types::CachePolicyConfig) -> PolicyDefinition {
    let p = c.parameters_in_cache_key_and_forwarded_to_origin();
    let headers = p.and_then(|p| p.headers_config());
    let cookies = p.and_then(|p| p.cookies_config());
    let queries = p.and_then(|p| p.query_strings_config());
    PolicyDefinition {
        id: id.to_string(),
        name: c.name().to_string(),
        headers: headers.map_or(NameSet::None, |h| {
            name_set(h.header_behavior().as_str(), h.headers().map(|n| n.items()).unwrap_or_default())
        }),
        cookies: cookies.map_or(NameSet::None, |k| {
            name_set(k.cookie_behavior().as_str(), k.cookies().map(|n| n.items()).unwrap_or_default())
        }),
        query_strings: queries.map_or(NameSet::None, |q| {
            name_set(q.query_string_behavior().as_str(), q.query_strings().map(|n| n.items()).unwrap_or_default())
        }),
    }
}

fn map_origin_request_policy(id: &str, c: &cf::types::OriginRequestPolicyConfig) -> PolicyDefinition {
    PolicyDefinition {
        id: id.to_string(),
        name: c.name().to_string(),
        headers: c.headers_config().map_or(NameSet::None, |h| {
            name_set(h.header_behavior().as_str(), h.headers().map(|n| n.items()).unwrap_or_default())
        }),
        cookies: c.cookies_config().map_or(NameSet::None, |k| {
            name_set(k.cookie_behavior().as_str(), k.cookies().map(|n| n.items()).unwrap_or_default())
        }),
        query_strings: c.query_strings_config().map_or(NameSet::None, |q| {
            name_set(q.query_string_behavior().as_str(), q.query_strings().map(|n| n.items()).unwrap_or_default())
        }),
    }
}

fn origin_protocol_policy(p: &cf::types::OriginProtocolPolicy) -> OriginProtocolPolicy {
    match p.as_str() {
        "http-only" => OriginProtocolPolicy::HttpOnly,
        "https-only" => OriginProtocolPolicy::HttpsOnly,
        "match-viewer" => OriginProtocolPolicy::MatchViewer,
        _ => OriginProtocolPolicy::Unknown,
    }
}

fn map_vpc_origin(v: &cf::types::VpcOrigin) -> Result<VpcOrigin, ApiError> {
    let e = v
        .vpc_origin_endpoint_config()
        .ok_or_else(|| empty_response("GetVpcOrigin returned no VpcOriginEndpointConfig"))?;
    Ok(VpcOrigin {
        id: v.id().to_string(),
        arn: v.arn().to_string(),
        status: v.status().to_string(),
        name: e.name().to_string(),
        endpoint_arn: e.arn().to_string(),
        http_port: u16::try_from(e.http_port()).unwrap_or(80),
        https_port: u16::try_from(e.https_port()).unwrap_or(443),
        protocol_policy: origin_protocol_policy(e.origin_protocol_policy()),
        ssl_protocols: e
            .origin_ssl_protocols()
            .map(|p| p.items().iter().map(|s| s.as_str().to_string()).collect())
            .unwrap_or_default(),
    })
}
fn map_distribution(d: &cf::types::Distribution) -> Result<Distribution, ApiError> {
    let config =
        d.distribution_config().ok_or_else(|| empty_response("GetDistribution returned no DistributionConfig"))?;
    let origins = config.origins().map(|o| o.items().iter().map(map_origin).collect()).unwrap_or_default();
    let default_behavior = config
        .default_cache_behavior()
        .map(map_default_behavior)
        .ok_or_else(|| empty_response("no DefaultCacheBehavior"))?;
    let behaviors = config.cache_behaviors().map(|b| b.items().iter().map(map_behavior).collect()).unwrap_or_default();
    Ok(Distribution {
        id: d.id().to_string(),
        arn: d.arn().to_string(),
        domain_name: d.domain_name().to_string(),
        status: d.status().to_string(),
        enabled: config.enabled(),
        aliases: config.aliases().map(|a| a.items().to_vec()).unwrap_or_default(),
        origins,
        default_behavior,
        behaviors,
        default_root_object: config.default_root_object().unwrap_or_default().to_string(),
        http_version: config.http_version().map(|v| v.as_str().to_string()).unwrap_or_default(),
        web_acl_id: non_empty(config.web_acl_id()),
        viewer_certificate: config.viewer_certificate().map(|v| ViewerCertificate {
            cloudfront_default_certificate: v.cloud_front_default_certificate().unwrap_or(false),
            acm_certificate_arn: non_empty(v.acm_certificate_arn()),
            iam_certificate_id: non_empty(v.iam_certificate_id()),
            ssl_support_method: v.ssl_support_method().map(|m| m.as_str().to_string()),
            minimum_protocol_version: v.minimum_protocol_version().map(|m| m.as_str().to_string()),
        }),
        geo_restriction: config.restrictions().and_then(|r| r.geo_restriction()).map(|g| GeoRestriction {
            restriction_type: g.restriction_type().as_str().to_string(),
            locations: g.items().to_vec(),
        }),
        origin_groups: config
            .origin_groups()
            .map(|g| {
                g.items()
                    .iter()
                    .map(|g| OriginGroup {
                        id: g.id().to_string(),
                        members: g
                            .members()
                            .map(|m| m.items().iter().map(|m| m.origin_id().to_string()).collect())
                            .unwrap_or_default(),
                        failover_status_codes: g
                            .failover_criteria()
                            .and_then(|f| f.status_codes())
                            .map(|c| c.items().to_vec())
                            .unwrap_or_default(),
                        selection_criteria: g.selection_criteria().map(|c| c.as_str().to_string()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        custom_error_responses: config
            .custom_error_responses()
            .map(|c| {
                c.items()
                    .iter()
                    .map(|e| CustomErrorResponse {
                        error_code: e.error_code(),
                        response_page_path: non_empty(e.response_page_path()),
                        response_code: non_empty(e.response_code()),
                        error_caching_min_ttl: e.error_caching_min_ttl(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        logging: config.logging().map(|l| LoggingConfig {
            enabled: l.enabled(),
            bucket: l.bucket().to_string(),
            prefix: l.prefix().to_string(),
            include_cookies: l.include_cookies(),
        }),
    })
}

fn map_origin(o: &cf::types::Origin) -> Origin {
    let kind = if let Some(c) = o.custom_origin_config() {
        OriginKind::Custom(CustomOriginConfig {
            http_port: u16::try_from(c.http_port()).unwrap_or(80),
            https_port: u16::try_from(c.https_port()).unwrap_or(443),
            protocol_policy: origin_protocol_policy(c.origin_protocol_policy()),
            ssl_protocols: c
                .origin_ssl_protocols()
                .map(|p| p.items().iter().map(|s| s.as_str().to_string()).collect())
                .unwrap_or_default(),
            read_timeout_s: c.origin_read_timeout().unwrap_or(30),
            keepalive_timeout_s: c.origin_keepalive_timeout().unwrap_or(5),
            ip_address_type: c.ip_address_type().map(|t| t.as_str().to_string()),
        })
    } else if let Some(v) = o.vpc_origin_config() {
        OriginKind::Vpc { vpc_origin_id: v.vpc_origin_id().to_string() }
    } else {
        OriginKind::S3 {
            origin_access_identity: o
                .s3_origin_config()
                .map(|s| s.origin_access_identity().to_string())
                .unwrap_or_default(),
        }
    };
    Origin {
        id: o.id().to_string(),
        domain_name: o.domain_name().to_string(),
        origin_path: o.origin_path().unwrap_or_default().to_string(),
        custom_headers: o
            .custom_headers()
            .map(|h| {
                h.items()
                    .iter()
                    .map(|h| CustomHeader {
                        name: h.header_name().to_string(),
                        value: SecretValue::new(h.header_value()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        connection_attempts: o.connection_attempts().unwrap_or(3),
        connection_timeout_s: o.connection_timeout().unwrap_or(10),
        kind,
        response_completion_timeout_s: o.response_completion_timeout(),
        origin_access_control_id: non_empty(o.origin_access_control_id()),
    }
}

fn viewer_policy(p: &cf::types::ViewerProtocolPolicy) -> ViewerProtocolPolicy {
    match p.as_str() {
        "allow-all" => ViewerProtocolPolicy::AllowAll,
        "redirect-to-https" => ViewerProtocolPolicy::RedirectToHttps,
        "https-only" => ViewerProtocolPolicy::HttpsOnly,
        _ => ViewerProtocolPolicy::Unknown,
    }
}

fn methods(items: &[cf::types::Method]) -> Vec<String> {
    items.iter().map(|m| m.as_str().to_string()).collect()
}

fn legacy(fv: Option<&cf::types::ForwardedValues>) -> Option<LegacyForwarding> {
    let fv = fv?;
    Some(LegacyForwarding {
        query_string: fv.query_string(),
        query_string_cache_keys: fv.query_string_cache_keys().map(|k| k.items().to_vec()).unwrap_or_default(),
        cookies_forward: fv.cookies().map(|c| c.forward().as_str().to_string()).unwrap_or_else(|| "none".into()),
        cookie_names: fv.cookies().and_then(|c| c.whitelisted_names()).map(|n| n.items().to_vec()).unwrap_or_default(),
        headers: fv.headers().map(|h| h.items().to_vec()).unwrap_or_default(),
    })
}

fn function_associations(f: Option<&cf::types::FunctionAssociations>) -> Vec<FunctionAssociation> {
    f.map(|f| {
        f.items()
            .iter()
            .map(|a| FunctionAssociation {
                function_arn: a.function_arn().to_string(),
                event_type: a.event_type().as_str().to_string(),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn lambda_associations(f: Option<&cf::types::LambdaFunctionAssociations>) -> Vec<LambdaAssociation> {
    f.map(|f| {
        f.items()
            .iter()
            .map(|a| LambdaAssociation {
                lambda_function_arn: a.lambda_function_arn().to_string(),
                event_type: a.event_type().as_str().to_string(),
                include_body: a.include_body().unwrap_or(false),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn trusted_key_groups(t: Option<&cf::types::TrustedKeyGroups>) -> Vec<String> {
    t.filter(|t| t.enabled()).map(|t| t.items().to_vec()).unwrap_or_default()
}

/// A behavior from `DefaultCacheBehavior` or `CacheBehavior`: two SDK types with the same
/// accessors and no common trait, so one macro body reads both.
macro_rules! map_behavior_fields {
    ($b:expr, $path_pattern:expr) => {{
        let b = $b;
        let allowed = b.allowed_methods();
        Behavior {
            path_pattern: $path_pattern,
            target_origin_id: b.target_origin_id().to_string(),
            viewer_protocol_policy: viewer_policy(b.viewer_protocol_policy()),
            allowed_methods: allowed.map(|m| methods(m.items())).unwrap_or_else(|| vec!["GET".into(), "HEAD".into()]),
            cached_methods: allowed
                .and_then(|m| m.cached_methods())
                .map(|c| methods(c.items()))
                .unwrap_or_else(|| vec!["GET".into(), "HEAD".into()]),
            cache_policy_id: non_empty(b.cache_policy_id()),
            origin_request_policy_id: non_empty(b.origin_request_policy_id()),
            // The API echoes ForwardedValues even when a cache policy is set; it only counts without one.
            forwarded_values: if non_empty(b.cache_policy_id()).is_some() {
                None
            } else {
                legacy(b.forwarded_values())
            },
            function_associations: function_associations(b.function_associations()),
            lambda_associations: lambda_associations(b.lambda_function_associations()),
            trusted_key_groups: trusted_key_groups(b.trusted_key_groups()),
            cache_policy: None,
            origin_request_policy: None,
        }
    }};
}

// ForwardedValues is deprecated in the API but still what legacy distributions use.
#[allow(deprecated)]
fn map_default_behavior(b: &cf::types::DefaultCacheBehavior) -> Behavior {
    map_behavior_fields!(b, None)
}

#[allow(deprecated)]
fn map_behavior(b: &cf::types::CacheBehavior) -> Behavior {
    map_behavior_fields!(b, Some(b.path_pattern().to_string()))
}
