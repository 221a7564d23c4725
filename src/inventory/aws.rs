//! The AWS SDK adapter: the only module that touches SDK types on the inventory side.
//!
//! It normalises the SDK's `Option` soup into the project's types, paginates, bounds each call
//! in time and maps SDK errors to [`ApiError`].

use super::{ApiError, AwsApi, InstanceQuery, InterfaceQuery, LoadBalancerSummary, PrefixListQuery};
use crate::evidence::{
    AcmCertificate, Behavior, CustomErrorResponse, CustomHeader, CustomOriginConfig, Distribution, Ec2Instance,
    ElasticIp, Fetch, FunctionAssociation, GeoRestriction, GroupRef, LambdaAssociation, LegacyForwarding, Listener,
    ListenerAction, ListenerCertificate, ListenerRule, NaclEntry, NameSet, NetworkAcl, NetworkInterface, Origin,
    OriginGroup, OriginKind, OriginProtocolPolicy, PolicyDefinition, PrefixList, Route, RouteTable, RuleCondition,
    SecretValue, SecurityGroup, SgRule, SslPolicy, Subnet, TargetGroup, TargetHealth, ViewerCertificate,
    ViewerProtocolPolicy, VpcOrigin,
};
use aws_sdk_acm as acm;
use aws_sdk_cloudfront as cf;
use aws_sdk_ec2 as ec2;
use aws_sdk_elasticloadbalancingv2 as elb;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::BTreeMap;
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
    ec2: Mutex<HashMap<String, ec2::Client>>,
    acm: Mutex<HashMap<String, acm::Client>>,
}

impl SdkApi {
    /// `config` comes from the standard environment (`AWS_ENDPOINT_URL`, `AWS_REGION`,
    /// credentials, profiles). CloudFront is global and always addressed in us-east-1.
    pub fn new(config: aws_config::SdkConfig) -> Self {
        let cf_config = cf::config::Builder::from(&config).region(cf::config::Region::new("us-east-1")).build();
        SdkApi {
            cloudfront: cf::Client::from_conf(cf_config),
            elb: Mutex::new(HashMap::new()),
            ec2: Mutex::new(HashMap::new()),
            acm: Mutex::new(HashMap::new()),
            config,
        }
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
        "NoSuchDistribution"
        | "LoadBalancerNotFound"
        | "ListenerNotFound"
        | "NotFound"
        | "NoSuchCachePolicy"
        | "NoSuchOriginRequestPolicy"
        | "EntityNotFound"
        | "ResourceNotFoundException" => ApiError::NotFound { code, message },
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
        paginate(
            MAX_LISTING_PAGES,
            |marker| bounded(client.describe_load_balancers().set_marker(marker).page_size(400).send()),
            |page| page.next_marker(),
            |page, out| {
                out.extend(page.load_balancers().iter().map(|lb| LoadBalancerSummary {
                    arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
                    name: lb.load_balancer_name().unwrap_or_default().to_string(),
                    dns_name: lb.dns_name().unwrap_or_default().to_string(),
                    lb_type: lb.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    scheme: lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    security_groups: lb.security_groups().to_vec(),
                    ip_address_type: lb.ip_address_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    vpc_id: opt(lb.vpc_id()),
                    subnet_ids:
                        lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect(),
                }))
            },
        )
        .await
    }

    async fn listeners(&self, region: &str, lb_arn: &str) -> Result<Vec<Listener>, ApiError> {
        let client = self.elb(region);
        let mut out = paginate(
            MAX_LISTING_PAGES,
            |marker| {
                bounded(client.describe_listeners().load_balancer_arn(lb_arn).set_marker(marker).page_size(400).send())
            },
            |page| page.next_marker(),
            |page, out| out.extend(page.listeners().iter().map(map_listener)),
        )
        .await?;
        out.sort_by_key(|l| l.port);
        Ok(out)
    }

    async fn load_balancer_attributes(&self, region: &str, lb_arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        self.sdk_load_balancer_attributes(region, lb_arn).await
    }
    async fn listener_certificates(&self, region: &str, arn: &str) -> Result<Vec<ListenerCertificate>, ApiError> {
        self.sdk_listener_certificates(region, arn).await
    }
    async fn listener_rules(&self, region: &str, arn: &str) -> Result<Vec<ListenerRule>, ApiError> {
        self.sdk_listener_rules(region, arn).await
    }
    async fn target_groups(&self, region: &str, lb_arn: &str) -> Result<Vec<TargetGroup>, ApiError> {
        self.sdk_target_groups(region, lb_arn).await
    }
    async fn ssl_policies(&self, region: &str, names: &[String]) -> Result<Vec<SslPolicy>, ApiError> {
        self.sdk_ssl_policies(region, names).await
    }
    async fn target_group_attributes(&self, region: &str, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        self.sdk_target_group_attributes(region, arn).await
    }
    async fn target_health(&self, region: &str, arn: &str) -> Result<Vec<TargetHealth>, ApiError> {
        self.sdk_target_health(region, arn).await
    }
    async fn instances(&self, region: &str, query: &InstanceQuery) -> Result<Vec<Ec2Instance>, ApiError> {
        self.sdk_instances(region, query).await
    }
    async fn elastic_ips(&self, region: &str, public_ip: &str) -> Result<Vec<ElasticIp>, ApiError> {
        self.sdk_elastic_ips(region, public_ip).await
    }
    async fn network_interfaces(
        &self,
        region: &str,
        query: &InterfaceQuery,
    ) -> Result<Vec<NetworkInterface>, ApiError> {
        self.sdk_network_interfaces(region, query).await
    }
    async fn security_groups(&self, region: &str, ids: &[String]) -> Result<Vec<SecurityGroup>, ApiError> {
        self.sdk_security_groups(region, ids).await
    }
    async fn managed_prefix_lists(&self, region: &str, query: &PrefixListQuery) -> Result<Vec<PrefixList>, ApiError> {
        self.sdk_managed_prefix_lists(region, query).await
    }
    async fn prefix_list_entries(&self, region: &str, id: &str) -> Result<Vec<String>, ApiError> {
        self.sdk_prefix_list_entries(region, id).await
    }
    async fn subnets(&self, region: &str, ids: &[String]) -> Result<Vec<Subnet>, ApiError> {
        self.sdk_subnets(region, ids).await
    }
    async fn network_acls(&self, region: &str, vpc_id: &str) -> Result<Vec<NetworkAcl>, ApiError> {
        self.sdk_network_acls(region, vpc_id).await
    }
    async fn route_tables(&self, region: &str, vpc_id: &str) -> Result<Vec<RouteTable>, ApiError> {
        self.sdk_route_tables(region, vpc_id).await
    }
    async fn certificate(&self, region: &str, arn: &str) -> Result<AcmCertificate, ApiError> {
        let out = bounded(self.acm(region).describe_certificate().certificate_arn(arn).send()).await?;
        let c = out.certificate().ok_or_else(|| ApiError::Failed {
            code: "EmptyResponse".into(),
            message: "DescribeCertificate returned no certificate".into(),
        })?;
        Ok(map_certificate(arn, c))
    }
    async fn cache_policy(&self, id: &str) -> Result<PolicyDefinition, ApiError> {
        let out = bounded(self.cloudfront.get_cache_policy().id(id).send()).await?;
        let config = out.cache_policy().and_then(|p| p.cache_policy_config()).ok_or_else(|| ApiError::Failed {
            code: "EmptyResponse".into(),
            message: "GetCachePolicy returned no CachePolicyConfig".into(),
        })?;
        Ok(map_cache_policy(id, config))
    }
    async fn origin_request_policy(&self, id: &str) -> Result<PolicyDefinition, ApiError> {
        let out = bounded(self.cloudfront.get_origin_request_policy().id(id).send()).await?;
        let config = out.origin_request_policy().and_then(|p| p.origin_request_policy_config()).ok_or_else(|| {
            ApiError::Failed {
                code: "EmptyResponse".into(),
                message: "GetOriginRequestPolicy returned no OriginRequestPolicyConfig".into(),
            }
        })?;
        Ok(map_origin_request_policy(id, config))
    }
    async fn vpc_origin(&self, id: &str) -> Result<VpcOrigin, ApiError> {
        let out = bounded(self.cloudfront.get_vpc_origin().id(id).send()).await?;
        let v = out.vpc_origin().ok_or_else(|| ApiError::Failed {
            code: "EmptyResponse".into(),
            message: "GetVpcOrigin returned no VpcOrigin".into(),
        })?;
        map_vpc_origin(v)
    }
    async fn list_distribution_ids(&self) -> Result<Vec<String>, ApiError> {
        paginate(
            MAX_LISTING_PAGES,
            |marker| bounded(self.cloudfront.list_distributions().set_marker(marker).max_items(100).send()),
            // CloudFront pages on IsTruncated; a marker on the last page is not a next page.
            |page| page.distribution_list().filter(|l| l.is_truncated()).and_then(|l| l.next_marker()),
            |page, out| out.extend(page.distribution_list().iter().flat_map(|l| l.items()).map(|d| d.id().to_string())),
        )
        .await
    }
}

fn map_certificate(arn: &str, c: &acm::types::CertificateDetail) -> AcmCertificate {
    AcmCertificate {
        arn: c.certificate_arn().unwrap_or(arn).to_string(),
        domain_name: c.domain_name().unwrap_or_default().to_string(),
        subject_alternative_names: c.subject_alternative_names().to_vec(),
        status: c.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        not_before_unix: c.not_before().map(|t| t.secs()),
        not_after_unix: c.not_after().map(|t| t.secs()),
        issuer: opt(c.issuer()),
        key_algorithm: c.key_algorithm().map(|k| k.as_str().to_string()),
        certificate_type: c.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
        in_use_by: c.in_use_by().to_vec(),
    }
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
    let e = v.vpc_origin_endpoint_config().ok_or_else(|| ApiError::Failed {
        code: "EmptyResponse".into(),
        message: "GetVpcOrigin returned no VpcOriginEndpointConfig".into(),
    })?;
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

fn map_listener(l: &elb::types::Listener) -> Listener {
    Listener {
        arn: l.listener_arn().unwrap_or_default().to_string(),
        port: l.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
        protocol: l.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
        ssl_policy: l.ssl_policy().filter(|s| !s.is_empty()).map(str::to_string),
        certificate_arns: l.certificates().iter().filter_map(|c| c.certificate_arn().map(str::to_string)).collect(),
        default_actions: l.default_actions().iter().map(map_action).collect(),
        certificates: Fetch::default(),
        rules: Fetch::default(),
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
        function_associations: function_associations(b.function_associations()),
        lambda_associations: lambda_associations(b.lambda_function_associations()),
        trusted_key_groups: trusted_key_groups(b.trusted_key_groups()),
        cache_policy: None,
        origin_request_policy: None,
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
        function_associations: function_associations(b.function_associations()),
        lambda_associations: lambda_associations(b.lambda_function_associations()),
        trusted_key_groups: trusted_key_groups(b.trusted_key_groups()),
        cache_policy: None,
        origin_request_policy: None,
    }
}

/// Upper bound on the pages read by one paginated call (each page holds hundreds of items).
const MAX_PAGES: usize = 20;
/// The bound for account-wide listings (load balancers of a region, distributions, a load
/// balancer's listeners), which read to the end: only a broken pager reaches it.
const MAX_LISTING_PAGES: usize = 1000;

/// Reads a paginated call to its last page: `send` sends one request for a page token (none
/// for the first page), `next` reads the page's next token and `items` takes its items. Stops
/// at a missing, empty or repeated token, or after `max_pages` pages.
async fn paginate<P, T, Fut>(
    max_pages: usize,
    mut send: impl FnMut(Option<String>) -> Fut,
    next: impl Fn(&P) -> Option<&str>,
    mut items: impl FnMut(&P, &mut Vec<T>),
) -> Result<Vec<T>, ApiError>
where
    Fut: std::future::Future<Output = Result<P, ApiError>>,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..max_pages {
        let page = send(token.clone()).await?;
        items(&page, &mut out);
        match next_token(&token, next(&page)) {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    Ok(out)
}

fn next_token(current: &Option<String>, next: Option<&str>) -> Option<String> {
    match next {
        Some(n) if !n.is_empty() && current.as_deref() != Some(n) => Some(n.to_string()),
        _ => None,
    }
}

fn opt(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

fn group_ids(groups: &[ec2::types::GroupIdentifier]) -> Vec<String> {
    groups.iter().filter_map(|g| g.group_id().map(str::to_string)).collect()
}

fn ec2_filter(name: &str, values: &[String]) -> ec2::types::Filter {
    ec2::types::Filter::builder().name(name).set_values(Some(values.to_vec())).build()
}

fn attributes_map<'a>(pairs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>) -> BTreeMap<String, String> {
    pairs.filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string()))).collect()
}

fn map_instance(i: &ec2::types::Instance) -> Ec2Instance {
    let mut groups = group_ids(i.security_groups());
    let mut ipv6 = Vec::new();
    for n in i.network_interfaces() {
        for g in group_ids(n.groups()) {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        ipv6.extend(n.ipv6_addresses().iter().filter_map(|a| a.ipv6_address().map(str::to_string)));
    }
    Ec2Instance {
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        state: i.state().and_then(|s| s.name()).map(|n| n.as_str().to_string()).unwrap_or_default(),
        public_ip: opt(i.public_ip_address()),
        public_dns_name: opt(i.public_dns_name()),
        private_ip: opt(i.private_ip_address()),
        ipv6_addresses: ipv6,
        vpc_id: opt(i.vpc_id()),
        subnet_id: opt(i.subnet_id()),
        security_groups: groups,
        matched_by: String::new(),
    }
}

fn map_permission(p: &ec2::types::IpPermission) -> SgRule {
    SgRule {
        ip_protocol: p.ip_protocol().unwrap_or("-1").to_string(),
        from_port: p.from_port(),
        to_port: p.to_port(),
        ipv4_ranges: p.ip_ranges().iter().filter_map(|r| r.cidr_ip().map(str::to_string)).collect(),
        ipv6_ranges: p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6().map(str::to_string)).collect(),
        prefix_list_ids: p.prefix_list_ids().iter().filter_map(|r| r.prefix_list_id().map(str::to_string)).collect(),
        group_ids: p.user_id_group_pairs().iter().filter_map(|r| r.group_id().map(str::to_string)).collect(),
        group_refs: p.user_id_group_pairs().iter().filter_map(map_group_pair).collect(),
    }
}

fn map_group_pair(r: &ec2::types::UserIdGroupPair) -> Option<GroupRef> {
    Some(GroupRef {
        group_id: r.group_id()?.to_string(),
        user_id: opt(r.user_id()),
        vpc_id: opt(r.vpc_id()),
        vpc_peering_connection_id: opt(r.vpc_peering_connection_id()),
    })
}

fn map_rule(r: &elb::types::Rule) -> ListenerRule {
    let conditions = r
        .conditions()
        .iter()
        .map(|c| {
            let field = c.field().unwrap_or_default().to_string();
            let mut values: Vec<String> = c.values().to_vec();
            let mut header_name = None;
            let mut secret_values = Vec::new();
            if let Some(h) = c.host_header_config() {
                values.extend(h.values().iter().cloned());
            }
            if let Some(p) = c.path_pattern_config() {
                values.extend(p.values().iter().cloned());
            }
            if let Some(h) = c.http_header_config() {
                header_name = opt(h.http_header_name());
                secret_values.extend(h.values().iter().map(|v| SecretValue::new(v.clone())));
            }
            if let Some(m) = c.http_request_method_config() {
                values.extend(m.values().iter().cloned());
            }
            if let Some(s) = c.source_ip_config() {
                values.extend(s.values().iter().cloned());
            }
            if let Some(q) = c.query_string_config() {
                values.extend(q.values().iter().map(|kv| match kv.key() {
                    Some(k) => format!("{k}={}", kv.value().unwrap_or_default()),
                    None => kv.value().unwrap_or_default().to_string(),
                }));
            }
            values.dedup();
            RuleCondition { field, header_name, values, secret_values }
        })
        .collect();
    ListenerRule {
        arn: r.rule_arn().unwrap_or_default().to_string(),
        priority: r.priority().unwrap_or_default().to_string(),
        is_default: r.is_default().unwrap_or(false),
        conditions,
        actions: r.actions().iter().map(map_action).collect(),
    }
}

fn rule_order(r: &ListenerRule) -> (bool, i64) {
    (r.is_default, r.priority.parse::<i64>().unwrap_or(i64::MAX))
}

impl SdkApi {
    fn acm(&self, region: &str) -> acm::Client {
        let mut clients = match self.acm.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let conf = acm::config::Builder::from(&self.config)
                    .region(acm::config::Region::new(region.to_string()))
                    .build();
                acm::Client::from_conf(conf)
            })
            .clone()
    }

    fn ec2(&self, region: &str) -> ec2::Client {
        let mut clients = match self.ec2.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let conf = ec2::config::Builder::from(&self.config)
                    .region(ec2::config::Region::new(region.to_string()))
                    .build();
                ec2::Client::from_conf(conf)
            })
            .clone()
    }

    pub(super) async fn sdk_load_balancer_attributes(
        &self,
        region: &str,
        lb_arn: &str,
    ) -> Result<BTreeMap<String, String>, ApiError> {
        let out =
            bounded(self.elb(region).describe_load_balancer_attributes().load_balancer_arn(lb_arn).send()).await?;
        Ok(attributes_map(out.attributes().iter().map(|a| (a.key(), a.value()))))
    }

    pub(super) async fn sdk_listener_certificates(
        &self,
        region: &str,
        listener_arn: &str,
    ) -> Result<Vec<ListenerCertificate>, ApiError> {
        let client = self.elb(region);
        paginate(
            MAX_PAGES,
            |marker| {
                bounded(
                    client
                        .describe_listener_certificates()
                        .listener_arn(listener_arn)
                        .set_marker(marker)
                        .page_size(400)
                        .send(),
                )
            },
            |page| page.next_marker(),
            |page, out| {
                for c in page.certificates() {
                    if let Some(arn) = c.certificate_arn() {
                        if !out.iter().any(|x: &ListenerCertificate| x.certificate_arn == arn) {
                            out.push(ListenerCertificate {
                                certificate_arn: arn.to_string(),
                                is_default: c.is_default().unwrap_or(false),
                                acm: Fetch::default(),
                            });
                        }
                    }
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_listener_rules(
        &self,
        region: &str,
        listener_arn: &str,
    ) -> Result<Vec<ListenerRule>, ApiError> {
        let client = self.elb(region);
        let mut out = paginate(
            MAX_PAGES,
            |marker| {
                bounded(client.describe_rules().listener_arn(listener_arn).set_marker(marker).page_size(400).send())
            },
            |page| page.next_marker(),
            |page, out| out.extend(page.rules().iter().map(map_rule)),
        )
        .await?;
        out.sort_by_key(rule_order);
        Ok(out)
    }

    pub(super) async fn sdk_ssl_policies(&self, region: &str, names: &[String]) -> Result<Vec<SslPolicy>, ApiError> {
        let client = self.elb(region);
        paginate(
            MAX_PAGES,
            |marker| {
                bounded(
                    client
                        .describe_ssl_policies()
                        .set_names(Some(names.to_vec()))
                        .set_marker(marker)
                        .page_size(400)
                        .send(),
                )
            },
            |page| page.next_marker(),
            |page, out| {
                for p in page.ssl_policies() {
                    let mut ciphers: Vec<(i32, String)> = p
                        .ciphers()
                        .iter()
                        .filter_map(|c| Some((c.priority().unwrap_or(i32::MAX), c.name()?.to_string())))
                        .collect();
                    ciphers.sort();
                    out.push(SslPolicy {
                        name: p.name().unwrap_or_default().to_string(),
                        protocols: p.ssl_protocols().to_vec(),
                        ciphers: ciphers.into_iter().map(|(_, n)| n).collect(),
                    });
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_target_groups(&self, region: &str, lb_arn: &str) -> Result<Vec<TargetGroup>, ApiError> {
        let client = self.elb(region);
        paginate(
            MAX_PAGES,
            |marker| {
                bounded(
                    client.describe_target_groups().load_balancer_arn(lb_arn).set_marker(marker).page_size(400).send(),
                )
            },
            |page| page.next_marker(),
            |page, out| {
                for tg in page.target_groups() {
                    out.push(TargetGroup {
                        arn: tg.target_group_arn().unwrap_or_default().to_string(),
                        name: tg.target_group_name().unwrap_or_default().to_string(),
                        protocol: tg.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
                        port: tg.port().and_then(|p| u16::try_from(p).ok()),
                        target_type: tg.target_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                        vpc_id: opt(tg.vpc_id()),
                        health_check_protocol: tg.health_check_protocol().map(|p| p.as_str().to_string()),
                        health_check_port: opt(tg.health_check_port()),
                        health_check_path: opt(tg.health_check_path()),
                        attributes: Fetch::default(),
                        health: Fetch::default(),
                    });
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_target_group_attributes(
        &self,
        region: &str,
        tg_arn: &str,
    ) -> Result<BTreeMap<String, String>, ApiError> {
        let out = bounded(self.elb(region).describe_target_group_attributes().target_group_arn(tg_arn).send()).await?;
        Ok(attributes_map(out.attributes().iter().map(|a| (a.key(), a.value()))))
    }

    pub(super) async fn sdk_target_health(&self, region: &str, tg_arn: &str) -> Result<Vec<TargetHealth>, ApiError> {
        let out = bounded(self.elb(region).describe_target_health().target_group_arn(tg_arn).send()).await?;
        Ok(out
            .target_health_descriptions()
            .iter()
            .map(|d| TargetHealth {
                target_id: d.target().and_then(|t| t.id()).unwrap_or_default().to_string(),
                port: d.target().and_then(|t| t.port()).and_then(|p| u16::try_from(p).ok()),
                state: d.target_health().and_then(|h| h.state()).map(|s| s.as_str().to_string()).unwrap_or_default(),
                reason: d.target_health().and_then(|h| h.reason()).map(|r| r.as_str().to_string()),
                description: d.target_health().and_then(|h| opt(h.description())),
            })
            .collect())
    }

    pub(super) async fn sdk_instances(
        &self,
        region: &str,
        query: &InstanceQuery,
    ) -> Result<Vec<Ec2Instance>, ApiError> {
        let client = self.ec2(region);
        let filter = match query {
            InstanceQuery::PublicIp(ip) => ec2_filter("ip-address", std::slice::from_ref(ip)),
            InstanceQuery::Ids(ids) => ec2_filter("instance-id", ids),
        };
        paginate(
            MAX_PAGES,
            |token| {
                bounded(
                    client.describe_instances().filters(filter.clone()).set_next_token(token).max_results(1000).send(),
                )
            },
            |page| page.next_token(),
            |page, out| {
                for r in page.reservations() {
                    out.extend(r.instances().iter().map(map_instance));
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_elastic_ips(&self, region: &str, public_ip: &str) -> Result<Vec<ElasticIp>, ApiError> {
        let out = bounded(
            self.ec2(region).describe_addresses().filters(ec2_filter("public-ip", &[public_ip.to_string()])).send(),
        )
        .await?;
        Ok(out
            .addresses()
            .iter()
            .map(|a| ElasticIp {
                public_ip: a.public_ip().unwrap_or_default().to_string(),
                allocation_id: opt(a.allocation_id()),
                instance_id: opt(a.instance_id()),
                network_interface_id: opt(a.network_interface_id()),
                private_ip: opt(a.private_ip_address()),
            })
            .collect())
    }

    pub(super) async fn sdk_network_interfaces(
        &self,
        region: &str,
        query: &InterfaceQuery,
    ) -> Result<Vec<NetworkInterface>, ApiError> {
        let client = self.ec2(region);
        let filter = match query {
            InterfaceQuery::PublicIp(ip) => ec2_filter("association.public-ip", std::slice::from_ref(ip)),
            InterfaceQuery::Ids(ids) => ec2_filter("network-interface-id", ids),
            InterfaceQuery::PrivateIps(ips) => ec2_filter("addresses.private-ip-address", ips),
        };
        paginate(
            MAX_PAGES,
            |token| {
                bounded(
                    client
                        .describe_network_interfaces()
                        .filters(filter.clone())
                        .set_next_token(token)
                        .max_results(1000)
                        .send(),
                )
            },
            |page| page.next_token(),
            |page, out| {
                for n in page.network_interfaces() {
                    out.push(NetworkInterface {
                        network_interface_id: n.network_interface_id().unwrap_or_default().to_string(),
                        interface_type: n.interface_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                        description: n.description().unwrap_or_default().to_string(),
                        public_ip: n.association().and_then(|a| opt(a.public_ip())),
                        private_ip: opt(n.private_ip_address()),
                        vpc_id: opt(n.vpc_id()),
                        subnet_id: opt(n.subnet_id()),
                        security_groups: group_ids(n.groups()),
                        attached_instance_id: n.attachment().and_then(|a| opt(a.instance_id())),
                        private_ips: n
                            .private_ip_addresses()
                            .iter()
                            .filter_map(|a| opt(a.private_ip_address()))
                            .collect(),
                    });
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_security_groups(
        &self,
        region: &str,
        ids: &[String],
    ) -> Result<Vec<SecurityGroup>, ApiError> {
        let client = self.ec2(region);
        paginate(
            MAX_PAGES,
            |token| {
                bounded(
                    client
                        .describe_security_groups()
                        .filters(ec2_filter("group-id", ids))
                        .set_next_token(token)
                        .max_results(1000)
                        .send(),
                )
            },
            |page| page.next_token(),
            |page, out| {
                for g in page.security_groups() {
                    out.push(SecurityGroup {
                        group_id: g.group_id().unwrap_or_default().to_string(),
                        group_name: g.group_name().unwrap_or_default().to_string(),
                        vpc_id: opt(g.vpc_id()),
                        owner_id: opt(g.owner_id()),
                        ingress: g.ip_permissions().iter().map(map_permission).collect(),
                        egress: g.ip_permissions_egress().iter().map(map_permission).collect(),
                    });
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_managed_prefix_lists(
        &self,
        region: &str,
        query: &PrefixListQuery,
    ) -> Result<Vec<PrefixList>, ApiError> {
        let client = self.ec2(region);
        let filter = match query {
            PrefixListQuery::Names(names) => ec2_filter("prefix-list-name", names),
            PrefixListQuery::Ids(ids) => ec2_filter("prefix-list-id", ids),
        };
        paginate(
            MAX_PAGES,
            |token| {
                bounded(
                    client
                        .describe_managed_prefix_lists()
                        .filters(filter.clone())
                        .set_next_token(token)
                        .max_results(100)
                        .send(),
                )
            },
            |page| page.next_token(),
            |page, out| {
                for p in page.prefix_lists() {
                    out.push(PrefixList {
                        prefix_list_id: p.prefix_list_id().unwrap_or_default().to_string(),
                        prefix_list_name: p.prefix_list_name().unwrap_or_default().to_string(),
                        address_family: p.address_family().unwrap_or_default().to_string(),
                        owner_id: p.owner_id().unwrap_or_default().to_string(),
                        max_entries: p.max_entries(),
                        entries: Fetch::default(),
                    });
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_prefix_list_entries(&self, region: &str, id: &str) -> Result<Vec<String>, ApiError> {
        let client = self.ec2(region);
        paginate(
            MAX_PAGES,
            |token| {
                bounded(
                    client
                        .get_managed_prefix_list_entries()
                        .prefix_list_id(id)
                        .set_next_token(token)
                        .max_results(100)
                        .send(),
                )
            },
            |page| page.next_token(),
            |page, out| {
                out.extend(page.entries().iter().filter_map(|e| e.cidr().map(str::to_string)));
            },
        )
        .await
    }

    pub(super) async fn sdk_subnets(&self, region: &str, ids: &[String]) -> Result<Vec<Subnet>, ApiError> {
        let client = self.ec2(region);
        paginate(
            MAX_PAGES,
            |token| {
                bounded(
                    client
                        .describe_subnets()
                        .filters(ec2_filter("subnet-id", ids))
                        .set_next_token(token)
                        .max_results(1000)
                        .send(),
                )
            },
            |page| page.next_token(),
            |page, out| {
                for s in page.subnets() {
                    out.push(Subnet {
                        subnet_id: s.subnet_id().unwrap_or_default().to_string(),
                        vpc_id: s.vpc_id().unwrap_or_default().to_string(),
                        cidr_block: s.cidr_block().unwrap_or_default().to_string(),
                        ipv6_cidr_blocks: s
                            .ipv6_cidr_block_association_set()
                            .iter()
                            .filter_map(|a| a.ipv6_cidr_block().map(str::to_string))
                            .collect(),
                        availability_zone: s.availability_zone().unwrap_or_default().to_string(),
                        map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
                    });
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_network_acls(&self, region: &str, vpc_id: &str) -> Result<Vec<NetworkAcl>, ApiError> {
        let client = self.ec2(region);
        paginate(
            MAX_PAGES,
            |token| {
                bounded(
                    client
                        .describe_network_acls()
                        .filters(ec2_filter("vpc-id", &[vpc_id.to_string()]))
                        .set_next_token(token)
                        .max_results(1000)
                        .send(),
                )
            },
            |page| page.next_token(),
            |page, out| {
                for a in page.network_acls() {
                    out.push(NetworkAcl {
                        network_acl_id: a.network_acl_id().unwrap_or_default().to_string(),
                        vpc_id: a.vpc_id().unwrap_or_default().to_string(),
                        is_default: a.is_default().unwrap_or(false),
                        subnet_ids: a.associations().iter().filter_map(|s| s.subnet_id().map(str::to_string)).collect(),
                        entries: a
                            .entries()
                            .iter()
                            .map(|e| NaclEntry {
                                rule_number: e.rule_number().unwrap_or(32767),
                                egress: e.egress().unwrap_or(false),
                                protocol: e.protocol().unwrap_or("-1").to_string(),
                                rule_action: e.rule_action().map(|r| r.as_str().to_string()).unwrap_or_default(),
                                cidr_block: opt(e.cidr_block()),
                                ipv6_cidr_block: opt(e.ipv6_cidr_block()),
                                port_from: e.port_range().and_then(|p| p.from()),
                                port_to: e.port_range().and_then(|p| p.to()),
                            })
                            .collect(),
                    });
                }
            },
        )
        .await
    }

    pub(super) async fn sdk_route_tables(&self, region: &str, vpc_id: &str) -> Result<Vec<RouteTable>, ApiError> {
        let client = self.ec2(region);
        paginate(
            MAX_PAGES,
            |token| {
                bounded(
                    client
                        .describe_route_tables()
                        .filters(ec2_filter("vpc-id", &[vpc_id.to_string()]))
                        .set_next_token(token)
                        .max_results(100)
                        .send(),
                )
            },
            |page| page.next_token(),
            |page, out| {
                for t in page.route_tables() {
                    out.push(RouteTable {
                        route_table_id: t.route_table_id().unwrap_or_default().to_string(),
                        vpc_id: t.vpc_id().unwrap_or_default().to_string(),
                        main: t.associations().iter().any(|a| a.main().unwrap_or(false)),
                        subnet_ids: t.associations().iter().filter_map(|a| a.subnet_id().map(str::to_string)).collect(),
                        routes: t
                            .routes()
                            .iter()
                            .map(|r| Route {
                                destination: r
                                    .destination_cidr_block()
                                    .or(r.destination_ipv6_cidr_block())
                                    .or(r.destination_prefix_list_id())
                                    .unwrap_or_default()
                                    .to_string(),
                                target: r
                                    .gateway_id()
                                    .or(r.nat_gateway_id())
                                    .or(r.transit_gateway_id())
                                    .or(r.vpc_peering_connection_id())
                                    .or(r.network_interface_id())
                                    .or(r.instance_id())
                                    .or(r.egress_only_internet_gateway_id())
                                    .or(r.local_gateway_id())
                                    .or(r.carrier_gateway_id())
                                    .unwrap_or_default()
                                    .to_string(),
                                state: r.state().map(|s| s.as_str().to_string()).unwrap_or_else(|| "active".into()),
                            })
                            .collect(),
                    });
                }
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake pager: page `n` holds item `n` and points at the token the table gives.
    async fn pages(next: &[Option<&str>], max: usize) -> (Vec<usize>, Vec<Option<String>>) {
        let asked = std::cell::RefCell::new(Vec::new());
        let items = paginate(
            max,
            |token: Option<String>| {
                asked.borrow_mut().push(token.clone());
                let n = token.as_deref().and_then(|t| t.strip_prefix('p')).and_then(|n| n.parse().ok()).unwrap_or(0);
                async move { Ok::<_, ApiError>((n, next[n].map(str::to_string))) }
            },
            |page: &(usize, Option<String>)| page.1.as_deref(),
            |page, out| out.push(page.0),
        )
        .await
        .unwrap();
        (items, asked.into_inner())
    }

    #[tokio::test]
    async fn paginate_reads_to_the_last_page_and_stops_on_a_repeated_or_empty_token() {
        let (items, asked) = pages(&[Some("p1"), Some("p2"), None], 20).await;
        assert_eq!(items, [0, 1, 2]);
        assert_eq!(asked, [None, Some("p1".to_string()), Some("p2".to_string())]);
        // A pager that repeats its token is read once per distinct token.
        assert_eq!(pages(&[Some("p1"), Some("p1")], 20).await.0, [0, 1]);
        assert_eq!(pages(&[Some("")], 20).await.0, [0]);
        // The page bound holds against a pager that never ends.
        assert_eq!(pages(&[Some("p1"), Some("p2"), Some("p3"), Some("p0")], 3).await.0, [0, 1, 2]);
    }

    #[tokio::test]
    async fn paginate_stops_at_the_first_error() {
        let mut calls = 0;
        let r: Result<Vec<u8>, ApiError> = paginate(
            20,
            |_token| {
                calls += 1;
                async { Err::<(), _>(ApiError::Denied { message: "no".into() }) }
            },
            |_| Some("p1"),
            |_, _| {},
        )
        .await;
        assert!(matches!(r, Err(ApiError::Denied { .. })));
        assert_eq!(calls, 1);
    }

    // SDK mapping of the CloudFront calls the emulator does not implement, over a client whose
    // answers come from aws-smithy-mocks rules (the real deserializer for the error body).
    mod mocked {
        use super::super::*;
        use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, mock};
        use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use cf::types::*;

        fn api(rules: &[&Rule]) -> SdkApi {
            let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
            for r in rules {
                interceptor = interceptor.with_rule(r);
            }
            let conf = cf::Config::builder()
                .behavior_version(cf::config::BehaviorVersion::latest())
                .region(cf::config::Region::new("us-east-1"))
                .credentials_provider(cf::config::Credentials::new("AKIDTEST", "secret", None, None, "test"))
                .http_client(aws_smithy_mocks::create_mock_http_client())
                .interceptor(interceptor)
                .build();
            SdkApi {
                config: aws_config::SdkConfig::builder().build(),
                cloudfront: cf::Client::from_conf(conf),
                elb: Mutex::new(HashMap::new()),
                ec2: Mutex::new(HashMap::new()),
                acm: Mutex::new(HashMap::new()),
            }
        }

        fn access_denied() -> HttpResponse {
            let body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform cloudfront:GetCachePolicy</Message></Error><RequestId>r</RequestId></ErrorResponse>";
            let mut r = HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::from(body));
            r.headers_mut().insert("Content-Type", "text/xml");
            r
        }

        fn cache_policy_output() -> cf::operation::get_cache_policy::GetCachePolicyOutput {
            let params = ParametersInCacheKeyAndForwardedToOrigin::builder()
                .enable_accept_encoding_gzip(true)
                .headers_config(
                    CachePolicyHeadersConfig::builder()
                        .header_behavior(CachePolicyHeaderBehavior::Whitelist)
                        .headers(Headers::builder().quantity(1).items("Authorization").build().unwrap())
                        .build()
                        .unwrap(),
                )
                .cookies_config(
                    CachePolicyCookiesConfig::builder()
                        .cookie_behavior(CachePolicyCookieBehavior::AllExcept)
                        .cookies(CookieNames::builder().quantity(1).items("tracking").build().unwrap())
                        .build()
                        .unwrap(),
                )
                .query_strings_config(
                    CachePolicyQueryStringsConfig::builder()
                        .query_string_behavior(CachePolicyQueryStringBehavior::None)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap();
            let config = CachePolicyConfig::builder()
                .name("api-auth")
                .min_ttl(0)
                .parameters_in_cache_key_and_forwarded_to_origin(params)
                .build()
                .unwrap();
            let policy = CachePolicy::builder()
                .id("cp-1")
                .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
                .cache_policy_config(config)
                .build()
                .unwrap();
            cf::operation::get_cache_policy::GetCachePolicyOutput::builder().cache_policy(policy).build()
        }

        fn origin_request_policy_output() -> cf::operation::get_origin_request_policy::GetOriginRequestPolicyOutput {
            let config = OriginRequestPolicyConfig::builder()
                .name("viewer-and-cf")
                .headers_config(
                    OriginRequestPolicyHeadersConfig::builder()
                        .header_behavior(OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront)
                        .headers(Headers::builder().quantity(1).items("CloudFront-Viewer-Country").build().unwrap())
                        .build()
                        .unwrap(),
                )
                .cookies_config(
                    OriginRequestPolicyCookiesConfig::builder()
                        .cookie_behavior(OriginRequestPolicyCookieBehavior::Whitelist)
                        .cookies(CookieNames::builder().quantity(1).items("session").build().unwrap())
                        .build()
                        .unwrap(),
                )
                .query_strings_config(
                    OriginRequestPolicyQueryStringsConfig::builder()
                        .query_string_behavior(OriginRequestPolicyQueryStringBehavior::All)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap();
            let policy = OriginRequestPolicy::builder()
                .id("orp-1")
                .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
                .origin_request_policy_config(config)
                .build()
                .unwrap();
            cf::operation::get_origin_request_policy::GetOriginRequestPolicyOutput::builder()
                .origin_request_policy(policy)
                .build()
        }

        #[tokio::test]
        async fn custom_policies_map_to_their_forwarding_name_sets() {
            let cp = mock!(cf::Client::get_cache_policy)
                .match_requests(|r| r.id() == Some("cp-1"))
                .then_output(cache_policy_output);
            let orp = mock!(cf::Client::get_origin_request_policy)
                .match_requests(|r| r.id() == Some("orp-1"))
                .then_output(origin_request_policy_output);
            let api = api(&[&cp, &orp]);
            let c = api.cache_policy("cp-1").await.unwrap();
            assert_eq!(c.name, "api-auth");
            assert_eq!(c.headers, NameSet::Only(vec!["Authorization".into()]));
            assert_eq!(c.cookies, NameSet::AllExcept(vec!["tracking".into()]));
            assert_eq!(c.query_strings, NameSet::None);
            let o = api.origin_request_policy("orp-1").await.unwrap();
            assert_eq!(o.headers, NameSet::All, "allViewerAndWhitelistCloudFront forwards every viewer header");
            assert_eq!(o.cookies, NameSet::Only(vec!["session".into()]));
            assert_eq!(o.query_strings, NameSet::All);
            assert_eq!((cp.num_calls(), orp.num_calls()), (1, 1));
        }

        #[tokio::test]
        async fn a_denied_policy_read_is_denied_not_failed() {
            let cp = mock!(cf::Client::get_cache_policy).then_http_response(access_denied);
            let e = api(&[&cp]).cache_policy("cp-1").await.unwrap_err();
            assert!(matches!(&e, ApiError::Denied { message } if message.contains("not authorized")), "{e:?}");
        }

        #[tokio::test]
        async fn a_denied_certificate_description_is_denied_and_an_unknown_one_not_found() {
            let denied = mock!(acm::Client::describe_certificate)
                .match_requests(|r| r.certificate_arn() == Some("arn:aws:acm:us-east-1:123456789012:certificate/denied"))
                .then_http_response(|| {
                    let body = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/doctor/x is not authorized to perform: acm:DescribeCertificate"}"#;
                    let mut r = HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body));
                    r.headers_mut().insert("Content-Type", "application/x-amz-json-1.1");
                    r
                });
            let missing = mock!(acm::Client::describe_certificate).then_http_response(|| {
                let body = r#"{"__type":"ResourceNotFoundException","message":"Could not find certificate"}"#;
                let mut r = HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body));
                r.headers_mut().insert("Content-Type", "application/x-amz-json-1.1");
                r
            });
            let interceptor =
                MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).with_rule(&denied).with_rule(&missing);
            let conf = acm::Config::builder()
                .behavior_version(acm::config::BehaviorVersion::latest())
                .region(acm::config::Region::new("us-east-1"))
                .credentials_provider(acm::config::Credentials::new("AKIDTEST", "secret", None, None, "test"))
                .http_client(aws_smithy_mocks::create_mock_http_client())
                .interceptor(interceptor)
                .build();
            let api = api(&[]);
            api.acm.lock().unwrap().insert("us-east-1".into(), acm::Client::from_conf(conf));
            let e = api.certificate("us-east-1", "arn:aws:acm:us-east-1:123456789012:certificate/denied").await;
            assert!(
                matches!(&e, Err(ApiError::Denied { message }) if message.contains("acm:DescribeCertificate")),
                "{e:?}"
            );
            let e = api.certificate("us-east-1", "arn:aws:acm:us-east-1:123456789012:certificate/gone").await;
            assert!(matches!(&e, Err(ApiError::NotFound { .. })), "{e:?}");
        }

        #[tokio::test]
        async fn a_vpc_origin_maps_its_endpoint_config() {
            let rule = mock!(cf::Client::get_vpc_origin).match_requests(|r| r.id() == Some("vo-1")).then_output(|| {
                let endpoint = VpcOriginEndpointConfig::builder()
                    .name("internal-app")
                    .arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/internal-app/50dc6c495c0c9188")
                    .http_port(8080)
                    .https_port(8443)
                    .origin_protocol_policy(cf::types::OriginProtocolPolicy::MatchViewer)
                    .origin_ssl_protocols(
                        OriginSslProtocols::builder().quantity(1).items(SslProtocol::TlSv12).build().unwrap(),
                    )
                    .build()
                    .unwrap();
                let vo = cf::types::VpcOrigin::builder()
                    .id("vo-1")
                    .arn("arn:aws:cloudfront::123456789012:vpcorigin/vo-1")
                    .status("Deploying")
                    .created_time(aws_smithy_types::DateTime::from_secs(0))
                    .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
                    .vpc_origin_endpoint_config(endpoint)
                    .build()
                    .unwrap();
                cf::operation::get_vpc_origin::GetVpcOriginOutput::builder().vpc_origin(vo).build()
            });
            let v = api(&[&rule]).vpc_origin("vo-1").await.unwrap();
            assert_eq!(v.status, "Deploying");
            assert_eq!((v.http_port, v.https_port), (8080, 8443));
            assert_eq!(v.protocol_policy, crate::evidence::OriginProtocolPolicy::MatchViewer);
            assert_eq!(v.ssl_protocols, ["TLSv1.2"]);
            assert_eq!(v.endpoint_region(), Some("eu-west-1"));
        }
    }
}
