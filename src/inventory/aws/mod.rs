//! The AWS SDK adapter: the only module that touches SDK types on the inventory side.
//!
//! One module per service normalises the SDK's `Option` soup into the project's types; this one
//! holds the clients, paginates, bounds each call in time and maps SDK errors to [`ApiError`].

mod acm;
mod clients;
mod cloudfront;
mod cloudwatch;
mod ec2;
mod elbv2;
mod logs;
mod s3;
#[cfg(test)]
mod tests;

use super::{
    ApiError, AwsApi, DistributionSummary, InstanceQuery, InterfaceQuery, LoadBalancerSummary, LogEvents, LogListing,
    MetricQuery, MetricSeries, PrefixListQuery,
};
use crate::evidence::{
    AcmCertificate, Distribution, Ec2Instance, ElasticIp, Listener, ListenerCertificate, ListenerRule, NetworkAcl,
    NetworkInterface, PolicyDefinition, PrefixList, RouteTable, SecurityGroup, SslPolicy, Subnet, TargetGroup,
    TargetHealth, VpcOrigin,
};
use aws_sdk_cloudfront as cf;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use clients::RegionalClients;
use std::collections::BTreeMap;
use std::time::Duration;

/// Per-call bound; the SDK's standard retry (for throttling) runs inside it.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// How many pages one paginated call reads before it stops and reports itself truncated
/// ([`ApiError::Truncated`]): a partial list (of security group rules, say) could make a check
/// conclude wrongly, so it is never passed off as the whole answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    /// Calls about one resource (a listener's certificates, a VPC's route tables, the groups
    /// of an interface). Each page holds hundreds of items.
    pub per_call: usize,
    /// Account-wide listings (load balancers of a region, distributions, a load balancer's
    /// listeners), which read to the end: only a broken pager reaches this bound.
    pub listing: usize,
}

impl Default for PageLimits {
    fn default() -> Self {
        PageLimits { per_call: 20, listing: 1000 }
    }
}

/// [`AwsApi`] over the AWS SDK for Rust. Clients are built once per region and reused.
pub struct SdkApi {
    cloudfront: cf::Client,
    elb: RegionalClients<aws_sdk_elasticloadbalancingv2::Client>,
    ec2: RegionalClients<aws_sdk_ec2::Client>,
    acm: RegionalClients<aws_sdk_acm::Client>,
    /// CloudFront's metrics live in us-east-1.
    cloudwatch: aws_sdk_cloudwatch::Client,
    /// Log buckets are read in their own region, learnt once per bucket.
    s3: RegionalClients<aws_sdk_s3::Client>,
    bucket_regions: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// Log groups named by the caller: in the configuration's region (or us-east-1).
    logs: aws_sdk_cloudwatchlogs::Client,
    pages: PageLimits,
}

impl SdkApi {
    /// `config` comes from the standard environment (`AWS_ENDPOINT_URL`, `AWS_REGION`,
    /// credentials, profiles). CloudFront is global and always addressed in us-east-1.
    pub fn new(config: aws_config::SdkConfig) -> Self {
        let cf_config = cf::config::Builder::from(&config).region(cf::config::Region::new("us-east-1")).build();
        SdkApi {
            cloudfront: cf::Client::from_conf(cf_config),
            elb: RegionalClients::new(&config, aws_sdk_elasticloadbalancingv2::Client::new),
            ec2: RegionalClients::new(&config, aws_sdk_ec2::Client::new),
            acm: RegionalClients::new(&config, aws_sdk_acm::Client::new),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(&config)
                    .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
                    .build(),
            ),
            s3: RegionalClients::new(&config, s3_client),
            bucket_regions: Default::default(),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            pages: PageLimits::default(),
        }
    }

    /// The S3 client for `bucket`, in the bucket's region.
    async fn s3_for(&self, bucket: &str) -> aws_sdk_s3::Client {
        let known = self.bucket_regions.lock().ok().and_then(|m| m.get(bucket).cloned());
        let region = match known {
            Some(r) => r,
            None => {
                let r =
                    s3::bucket_region(&self.s3.get("us-east-1"), bucket).await.unwrap_or_else(|| "us-east-1".into());
                if let Ok(mut m) = self.bucket_regions.lock() {
                    m.insert(bucket.to_string(), r.clone());
                }
                r
            }
        };
        self.s3.get(&region)
    }

    /// The same adapter with other page bounds (a test reaches them with a few pages).
    pub fn with_page_limits(self, pages: PageLimits) -> Self {
        SdkApi { pages, ..self }
    }
}

/// An S3 client; path-style addressing where an endpoint is configured (an emulator on
/// loopback has no per-bucket host names), virtual-hosted style on AWS itself.
fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config).force_path_style(config.endpoint_url().is_some()).build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// This project's single HTTP stack (rustls with ring).
fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The SDK configuration loader with this project's single HTTP stack.
pub fn config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client())
}

/// Loads the SDK configuration from the standard environment (`AWS_ENDPOINT_URL`,
/// `AWS_REGION`, credentials, profiles).
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    config_loader().load().await
}

/// Where the AWS settings come from, as the AWS CLI's global options say it.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--profile`: a profile of the shared config and credentials files.
    pub profile: Option<String>,
    /// `--region`: the region of the origin-side calls whose region the origin's name does not
    /// give (CloudFront is always addressed in us-east-1).
    pub region: Option<String>,
    /// `--role-arn`: read AWS through this role (`sts:AssumeRole`), from the credentials the
    /// other settings give.
    pub role_arn: Option<String>,
    /// `--external-id`: the external id the role's trust policy requires.
    pub external_id: Option<String>,
}

/// Loads the SDK configuration with the AWS CLI's precedence: a flag outranks the environment
/// (`AWS_PROFILE`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`), which outranks the config files
/// (<https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-precedence.html>).
pub async fn load_sdk_config_with(opts: &AwsOptions) -> aws_config::SdkConfig {
    let mut loader = config_loader();
    if let Some(profile) = &opts.profile {
        // The SDK's default chain reads credentials from the environment before any profile;
        // the AWS CLI's --profile outranks them, so the profile's own provider is set.
        let provider_config = aws_config::provider_config::ProviderConfig::default().with_http_client(http_client());
        let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_name(profile)
            .configure(&provider_config)
            .build();
        loader = loader.profile_name(profile).credentials_provider(credentials);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    let config = loader.load().await;
    match &opts.role_arn {
        Some(arn) => assume_role(&config, arn, opts.external_id.as_deref()).await,
        None => config,
    }
}

/// `config` with its credentials replaced by those of `role_arn` (`sts:AssumeRole`, refreshed
/// as they expire), obtained with `config`'s own credentials.
pub async fn assume_role(
    config: &aws_config::SdkConfig,
    role_arn: &str,
    external_id: Option<&str>,
) -> aws_config::SdkConfig {
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name("cf-origin-doctor");
    if let Some(id) = external_id {
        provider = provider.external_id(id);
    }
    let provider = provider.configure(config).build().await;
    config.to_builder().credentials_provider(cf::config::SharedCredentialsProvider::new(provider)).build()
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
            let message = e.message().unwrap_or_default().to_string();
            match e.code() {
                Some(code) => classify_code(code.to_string(), message),
                // An error answer the SDK could not read an error code from: an endpoint that
                // does not speak this API's protocol (a proxy, an emulator), not a service error.
                None if message.is_empty() => ApiError::Failed {
                    code: "NoErrorCode".into(),
                    message: "an error answer without an error code (the endpoint may not speak this API's protocol)"
                        .into(),
                },
                None => classify_code("Unknown".into(), message),
            }
        }
        // The credential chain's last provider is the instance metadata service: where it is off
        // or refuses, the chain's error names it, but the cause is that no provider had any.
        SdkError::DispatchFailure(_)
        | SdkError::TimeoutError(_)
        | SdkError::ResponseError(_)
        | SdkError::ConstructionFailure(_)
            if (chain.contains("credential") || chain.contains("Credentials"))
                && (chain.contains("no credentials")
                    || chain.contains("not loaded")
                    || chain.contains("CredentialsNotLoaded")
                    || chain.contains("IMDS")) =>
        {
            ApiError::NoCredentials { message: credentials_cause(&chain) }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            ApiError::Unreachable { message: unreachable_cause(&chain) }
        }
        _ => ApiError::Failed { code: "SdkError".into(), message: shorten(without_debug(&chain)) },
    }
}

/// The SDK's error chain without the `Debug` rendering it appends in parentheses
/// (`dispatch failure: io error: … (DispatchFailure(DispatchFailure { … }))`).
fn without_debug(chain: &str) -> &str {
    chain.find(" (").map_or(chain, |i| &chain[..i])
}

/// Why no credentials were found, in a few words (the SDK's chain of every provider tried,
/// with its `Debug` details, says nothing more a person can act on).
fn credentials_cause(chain: &str) -> String {
    if chain.contains("profile") && (chain.contains("not found") || chain.contains("ProfileFile")) {
        "the profile named was not found or has no credentials".into()
    } else if chain.contains("sso") || chain.contains("SSO") {
        "the SSO session is missing or expired".into()
    } else {
        "none in the environment, the config files or the instance metadata".into()
    }
}

/// Why the endpoint could not be reached, in a few words.
fn unreachable_cause(chain: &str) -> String {
    let lower = chain.to_ascii_lowercase();
    if lower.contains("refused") {
        "connection refused".into()
    } else if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve") {
        "its name does not resolve".into()
    } else if lower.contains("timeout") || lower.contains("timed out") {
        "the connection timed out".into()
    } else {
        shorten(without_debug(chain))
    }
}

fn classify_code(code: String, message: String) -> ApiError {
    match code.as_str() {
        "AccessDenied"
        | "AccessDeniedException"
        | "AllAccessDisabled"
        | "UnauthorizedOperation"
        | "UnauthorizedAccess"
        | "AuthFailure" => ApiError::Denied { message: if message.is_empty() { code } else { message } },
        "NoSuchDistribution"
        | "LoadBalancerNotFound"
        | "ListenerNotFound"
        | "NotFound"
        | "NoSuchCachePolicy"
        | "NoSuchOriginRequestPolicy"
        | "EntityNotFound"
        | "NoSuchBucket"
        | "NoSuchKey"
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
// Each call picks the client of its region and the page bound of its kind; the service modules
// send the requests and map the answers.
impl AwsApi for SdkApi {
    async fn get_distribution(&self, id: &str) -> Result<Distribution, ApiError> {
        cloudfront::get_distribution(&self.cloudfront, id).await
    }
    async fn load_balancers(&self, region: &str) -> Result<Vec<LoadBalancerSummary>, ApiError> {
        elbv2::load_balancers(&self.elb.get(region), self.pages.listing).await
    }
    async fn listeners(&self, region: &str, lb_arn: &str) -> Result<Vec<Listener>, ApiError> {
        elbv2::listeners(&self.elb.get(region), self.pages.listing, lb_arn).await
    }
    async fn load_balancer_attributes(&self, region: &str, lb_arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        elbv2::load_balancer_attributes(&self.elb.get(region), lb_arn).await
    }
    async fn listener_certificates(&self, region: &str, arn: &str) -> Result<Vec<ListenerCertificate>, ApiError> {
        elbv2::listener_certificates(&self.elb.get(region), self.pages.per_call, arn).await
    }
    async fn listener_rules(&self, region: &str, arn: &str) -> Result<Vec<ListenerRule>, ApiError> {
        elbv2::listener_rules(&self.elb.get(region), self.pages.per_call, arn).await
    }
    async fn ssl_policies(&self, region: &str, names: &[String]) -> Result<Vec<SslPolicy>, ApiError> {
        elbv2::ssl_policies(&self.elb.get(region), self.pages.per_call, names).await
    }
    async fn target_groups(&self, region: &str, lb_arn: &str) -> Result<Vec<TargetGroup>, ApiError> {
        elbv2::target_groups(&self.elb.get(region), self.pages.per_call, lb_arn).await
    }
    async fn target_group_attributes(&self, region: &str, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        elbv2::target_group_attributes(&self.elb.get(region), arn).await
    }
    async fn target_health(&self, region: &str, arn: &str) -> Result<Vec<TargetHealth>, ApiError> {
        elbv2::target_health(&self.elb.get(region), arn).await
    }
    async fn instances(&self, region: &str, query: &InstanceQuery) -> Result<Vec<Ec2Instance>, ApiError> {
        ec2::instances(&self.ec2.get(region), self.pages.per_call, query).await
    }
    async fn elastic_ips(&self, region: &str, public_ip: &str) -> Result<Vec<ElasticIp>, ApiError> {
        ec2::elastic_ips(&self.ec2.get(region), public_ip).await
    }
    async fn network_interfaces(
        &self,
        region: &str,
        query: &InterfaceQuery,
    ) -> Result<Vec<NetworkInterface>, ApiError> {
        ec2::network_interfaces(&self.ec2.get(region), self.pages.per_call, query).await
    }
    async fn security_groups(&self, region: &str, ids: &[String]) -> Result<Vec<SecurityGroup>, ApiError> {
        ec2::security_groups(&self.ec2.get(region), self.pages.per_call, ids).await
    }
    async fn managed_prefix_lists(&self, region: &str, query: &PrefixListQuery) -> Result<Vec<PrefixList>, ApiError> {
        ec2::managed_prefix_lists(&self.ec2.get(region), self.pages.per_call, query).await
    }
    async fn prefix_list_entries(&self, region: &str, id: &str) -> Result<Vec<String>, ApiError> {
        ec2::prefix_list_entries(&self.ec2.get(region), self.pages.per_call, id).await
    }
    async fn subnets(&self, region: &str, ids: &[String]) -> Result<Vec<Subnet>, ApiError> {
        ec2::subnets(&self.ec2.get(region), self.pages.per_call, ids).await
    }
    async fn network_acls(&self, region: &str, vpc_id: &str) -> Result<Vec<NetworkAcl>, ApiError> {
        ec2::network_acls(&self.ec2.get(region), self.pages.per_call, vpc_id).await
    }
    async fn route_tables(&self, region: &str, vpc_id: &str) -> Result<Vec<RouteTable>, ApiError> {
        ec2::route_tables(&self.ec2.get(region), self.pages.per_call, vpc_id).await
    }
    async fn certificate(&self, region: &str, arn: &str) -> Result<AcmCertificate, ApiError> {
        acm::certificate(&self.acm.get(region), arn).await
    }
    async fn cache_policy(&self, id: &str) -> Result<PolicyDefinition, ApiError> {
        cloudfront::cache_policy(&self.cloudfront, id).await
    }
    async fn origin_request_policy(&self, id: &str) -> Result<PolicyDefinition, ApiError> {
        cloudfront::origin_request_policy(&self.cloudfront, id).await
    }
    async fn vpc_origin(&self, id: &str) -> Result<VpcOrigin, ApiError> {
        cloudfront::vpc_origin(&self.cloudfront, id).await
    }
    async fn list_distribution_ids(&self) -> Result<Vec<String>, ApiError> {
        let all = cloudfront::list_distributions(&self.cloudfront, self.pages.listing).await?;
        Ok(all.into_iter().map(|d| d.id).collect())
    }
    async fn list_distributions(&self) -> Result<Vec<DistributionSummary>, ApiError> {
        cloudfront::list_distributions(&self.cloudfront, self.pages.listing).await
    }
    async fn metric_data(&self, query: &MetricQuery) -> Result<Vec<MetricSeries>, ApiError> {
        cloudwatch::metric_data(&self.cloudwatch, query).await
    }
    async fn list_log_objects(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: &str,
        max_pages: usize,
    ) -> Result<LogListing, ApiError> {
        s3::list_log_objects(&self.s3_for(bucket).await, bucket, prefix, start_after, max_pages).await
    }
    async fn get_log_object(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Vec<u8>, ApiError> {
        s3::get_log_object(&self.s3_for(bucket).await, bucket, key, max_bytes).await
    }
    async fn filter_log_events(
        &self,
        log_group: &str,
        start_ms: i64,
        end_ms: i64,
        max_events: usize,
    ) -> Result<LogEvents, ApiError> {
        logs::filter_log_events(&self.logs, log_group, start_ms, end_ms, max_events).await
    }
}

/// Reads a paginated call to its last page: `send` sends one request for a page token (none
/// for the first page), `next` reads the page's next token and `items` takes its items. Stops
/// at a missing, empty or repeated token; a call still pointing at a next page after
/// `max_pages` pages fails with [`ApiError::Truncated`] rather than pass part of the answer off
/// as the whole.
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
            None => return Ok(out),
        }
    }
    Err(ApiError::Truncated { pages: max_pages })
}

fn next_token(current: &Option<String>, next: Option<&str>) -> Option<String> {
    match next {
        Some(n) if !n.is_empty() && current.as_deref() != Some(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A response that parsed but lacks the part the call exists for.
fn empty_response(message: &str) -> ApiError {
    ApiError::Failed { code: "EmptyResponse".into(), message: message.into() }
}

/// The SDK's optional strings, with the empty string read as absent.
fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}
