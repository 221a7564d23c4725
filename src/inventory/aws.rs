//! The AWS SDK adapter: the only module that touches SDK types on the inventory side.
//!
//! It normalises the SDK's `Option` soup into the project's types, paginates, bounds each call
//! in time and maps SDK errors to [`ApiError`].

use super::{ApiError, AwsApi, LoadBalancerSummary};
use crate::evidence::{
    Behavior, CustomHeader, CustomOriginConfig, Distribution, LegacyForwarding, Listener, ListenerAction, Origin,
    OriginKind, OriginProtocolPolicy, SecretValue, ViewerProtocolPolicy,
};
use aws_sdk_cloudfront as cf;
use aws_sdk_elasticloadbalancingv2 as elb;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Per-call bound; the SDK's standard retry (for throttling) runs inside it.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// [`AwsApi`] over the AWS SDK for Rust. Clients are built once per region and reused.
pub struct SdkApi {
    config: aws_config::SdkConfig,
    cloudfront: cf::Client,
    elb: Mutex<HashMap<String, elb::Client>>,
}

impl SdkApi {
    /// `config` comes from the standard environment (`AWS_ENDPOINT_URL`, `AWS_REGION`,
    /// credentials, profiles). CloudFront is global and always addressed in us-east-1.
    pub fn new(config: aws_config::SdkConfig) -> Self {
        let cf_config = cf::config::Builder::from(&config).region(cf::config::Region::new("us-east-1")).build();
        SdkApi { cloudfront: cf::Client::from_conf(cf_config), elb: Mutex::new(HashMap::new()), config }
    }

    fn elb(&self, region: &str) -> elb::Client {
        let mut clients = match self.elb.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let conf = elb::config::Builder::from(&self.config)
                    .region(elb::config::Region::new(region.to_string()))
                    .build();
                elb::Client::from_conf(conf)
            })
            .clone()
    }
}

/// The SDK configuration loader with this project's single HTTP stack (rustls with ring).
pub fn config_loader() -> aws_config::ConfigLoader {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client)
}

/// Loads the SDK configuration from the standard environment (`AWS_ENDPOINT_URL`,
/// `AWS_REGION`, credentials, profiles).
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    config_loader().load().await
}

async fn bounded<T, E, R>(fut: impl std::future::Future<Output = Result<T, SdkError<E, R>>>) -> Result<T, ApiError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Err(_) => Err(ApiError::TimedOut { seconds: CALL_TIMEOUT.as_secs() }),
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(map_sdk_error(e)),
    }
}

/// Maps an SDK error to the project's error kinds by error code, never by type name.
pub fn map_sdk_error<E, R>(err: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let chain = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = e.message().unwrap_or_default().to_string();
            classify_code(code, message)
        }
        SdkError::DispatchFailure(_)
        | SdkError::TimeoutError(_)
        | SdkError::ResponseError(_)
        | SdkError::ConstructionFailure(_)
            if chain.contains("credentials")
                && (chain.contains("no credentials")
                    || chain.contains("not loaded")
                    || chain.contains("CredentialsNotLoaded")) =>
        {
            ApiError::NoCredentials { message: shorten(&chain) }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => ApiError::Unreachable { message: shorten(&chain) },
        _ => ApiError::Failed { code: "SdkError".into(), message: shorten(&chain) },
    }
}

fn classify_code(code: String, message: String) -> ApiError {
    match code.as_str() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "UnauthorizedAccess" | "AuthFailure" => {
            ApiError::Denied { message: if message.is_empty() { code } else { message } }
        }
        "NoSuchDistribution" | "LoadBalancerNotFound" | "ListenerNotFound" | "NotFound" => {
            ApiError::NotFound { code, message }
        }
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled" => ApiError::Throttled { message },
        "InvalidClientTokenId" | "UnrecognizedClientException" | "ExpiredToken" | "SignatureDoesNotMatch" => {
            ApiError::NoCredentials { message: format!("{code}: {message}") }
        }
        _ => ApiError::Failed { code, message },
    }
}

fn shorten(s: &str) -> String {
    let s = s.replace('\n', " ");
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

impl AwsApi for SdkApi {
    async fn get_distribution(&self, id: &str) -> Result<Distribution, ApiError> {
        let out = bounded(self.cloudfront.get_distribution().id(id).send()).await?;
        let d = out.distribution().ok_or_else(|| ApiError::Failed {
            code: "EmptyResponse".into(),
            message: "GetDistribution returned no distribution".into(),
        })?;
        map_distribution(d)
    }

    async fn load_balancers(&self, region: &str) -> Result<Vec<LoadBalancerSummary>, ApiError> {
        let client = self.elb(region);
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page =
                bounded(client.describe_load_balancers().set_marker(marker.clone()).page_size(400).send()).await?;
            for lb in page.load_balancers() {
                out.push(LoadBalancerSummary {
                    arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
                    name: lb.load_balancer_name().unwrap_or_default().to_string(),
                    dns_name: lb.dns_name().unwrap_or_default().to_string(),
                    lb_type: lb.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    scheme: lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    security_groups: lb.security_groups().to_vec(),
                });
            }
            match page.next_marker() {
                Some(m) if !m.is_empty() && marker.as_deref() != Some(m) => marker = Some(m.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn listeners(&self, region: &str, lb_arn: &str) -> Result<Vec<Listener>, ApiError> {
        let client = self.elb(region);
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = bounded(
                client.describe_listeners().load_balancer_arn(lb_arn).set_marker(marker.clone()).page_size(400).send(),
            )
            .await?;
            for l in page.listeners() {
                out.push(map_listener(l));
            }
            match page.next_marker() {
                Some(m) if !m.is_empty() && marker.as_deref() != Some(m) => marker = Some(m.to_string()),
                _ => break,
            }
        }
        out.sort_by_key(|l| l.port);
        Ok(out)
    }

    async fn list_distribution_ids(&self) -> Result<Vec<String>, ApiError> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page =
                bounded(self.cloudfront.list_distributions().set_marker(marker.clone()).max_items(100).send()).await?;
            let Some(list) = page.distribution_list() else { break };
            out.extend(list.items().iter().map(|d| d.id().to_string()));
            match list.next_marker() {
                Some(m) if list.is_truncated() && !m.is_empty() && marker.as_deref() != Some(m) => {
                    marker = Some(m.to_string())
                }
                _ => break,
            }
        }
        Ok(out)
    }
}

fn map_listener(l: &elb::types::Listener) -> Listener {
    Listener {
        arn: l.listener_arn().unwrap_or_default().to_string(),
        port: l.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
        protocol: l.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
        ssl_policy: l.ssl_policy().filter(|s| !s.is_empty()).map(str::to_string),
        certificate_arns: l.certificates().iter().filter_map(|c| c.certificate_arn().map(str::to_string)).collect(),
        default_actions: l.default_actions().iter().map(map_action).collect(),
    }
}

fn map_action(a: &elb::types::Action) -> ListenerAction {
    use elb::types::ActionTypeEnum as T;
    match a.r#type() {
        Some(T::Redirect) => {
            let r = a.redirect_config();
            let field = |v: Option<&str>, default: &str| v.unwrap_or(default).to_string();
            ListenerAction::Redirect {
                protocol: field(r.and_then(|r| r.protocol()), "#{protocol}"),
                port: field(r.and_then(|r| r.port()), "#{port}"),
                host: field(r.and_then(|r| r.host()), "#{host}"),
                path: field(r.and_then(|r| r.path()), "/#{path}"),
                query: field(r.and_then(|r| r.query()), "#{query}"),
                status_code: r.and_then(|r| r.status_code()).map(|c| c.as_str().to_string()).unwrap_or_default(),
            }
        }
        Some(T::FixedResponse) => {
            let f = a.fixed_response_config();
            ListenerAction::FixedResponse {
                status_code: f.and_then(|f| f.status_code()).map(str::to_string).unwrap_or_default(),
                content_type: f.and_then(|f| f.content_type()).map(str::to_string),
            }
        }
        Some(T::Forward) => {
            let mut arns: Vec<String> = a.target_group_arn().map(str::to_string).into_iter().collect();
            if let Some(fc) = a.forward_config() {
                for tg in fc.target_groups() {
                    if let Some(arn) = tg.target_group_arn() {
                        if !arns.iter().any(|a| a == arn) {
                            arns.push(arn.to_string());
                        }
                    }
                }
            }
            ListenerAction::Forward { target_group_arns: arns }
        }
        other => ListenerAction::Other { action_type: other.map(|t| t.as_str().to_string()).unwrap_or_default() },
    }
}

fn map_distribution(d: &cf::types::Distribution) -> Result<Distribution, ApiError> {
    let config = d.distribution_config().ok_or_else(|| ApiError::Failed {
        code: "EmptyResponse".into(),
        message: "GetDistribution returned no DistributionConfig".into(),
    })?;
    let origins = config.origins().map(|o| o.items().iter().map(map_origin).collect()).unwrap_or_default();
    let default_behavior = config
        .default_cache_behavior()
        .map(map_default_behavior)
        .ok_or_else(|| ApiError::Failed { code: "EmptyResponse".into(), message: "no DefaultCacheBehavior".into() })?;
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
    })
}

fn map_origin(o: &cf::types::Origin) -> Origin {
    let kind = if let Some(c) = o.custom_origin_config() {
        OriginKind::Custom(CustomOriginConfig {
            http_port: u16::try_from(c.http_port()).unwrap_or(80),
            https_port: u16::try_from(c.https_port()).unwrap_or(443),
            protocol_policy: match c.origin_protocol_policy().as_str() {
                "http-only" => OriginProtocolPolicy::HttpOnly,
                "https-only" => OriginProtocolPolicy::HttpsOnly,
                "match-viewer" => OriginProtocolPolicy::MatchViewer,
                _ => OriginProtocolPolicy::Unknown,
            },
            ssl_protocols: c
                .origin_ssl_protocols()
                .map(|p| p.items().iter().map(|s| s.as_str().to_string()).collect())
                .unwrap_or_default(),
            read_timeout_s: c.origin_read_timeout().unwrap_or(30),
            keepalive_timeout_s: c.origin_keepalive_timeout().unwrap_or(5),
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

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
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

// ForwardedValues is deprecated in the API but still what legacy distributions use.
#[allow(deprecated)]
fn map_default_behavior(b: &cf::types::DefaultCacheBehavior) -> Behavior {
    let allowed = b.allowed_methods();
    Behavior {
        path_pattern: None,
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
        forwarded_values: if non_empty(b.cache_policy_id()).is_some() { None } else { legacy(b.forwarded_values()) },
    }
}

#[allow(deprecated)]
fn map_behavior(b: &cf::types::CacheBehavior) -> Behavior {
    let allowed = b.allowed_methods();
    Behavior {
        path_pattern: Some(b.path_pattern().to_string()),
        target_origin_id: b.target_origin_id().to_string(),
        viewer_protocol_policy: viewer_policy(b.viewer_protocol_policy()),
        allowed_methods: allowed.map(|m| methods(m.items())).unwrap_or_else(|| vec!["GET".into(), "HEAD".into()]),
        cached_methods: allowed
            .and_then(|m| m.cached_methods())
            .map(|c| methods(c.items()))
            .unwrap_or_else(|| vec!["GET".into(), "HEAD".into()]),
        cache_policy_id: non_empty(b.cache_policy_id()),
        origin_request_policy_id: non_empty(b.origin_request_policy_id()),
        forwarded_values: if non_empty(b.cache_policy_id()).is_some() { None } else { legacy(b.forwarded_values()) },
    }
}
