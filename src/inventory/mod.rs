//! Stage 1: read the AWS configuration behind a distribution, read-only.
//!
//! [`gather`] is generic over [`AwsApi`], a narrow trait returning the project's own types; the
//! SDK adapter lives in [`aws`]. Every call is timed and recorded; a call that fails for any
//! reason other than "the distribution does not exist" or "no credentials" becomes a
//! [`Fetch`] value that the checks read as "could not verify".

#[cfg(feature = "aws")]
pub mod aws;
pub mod cloudfront_view;
pub mod distribution_config;
mod gather;
mod origin_dns;

pub use origin_dns::{OriginDomainKind, classify_origin_domain};

use crate::evidence::{
    AcmCertificate, CallRecord, CloudFrontView, Distribution, Ec2Instance, ElasticIp, Fetch, Inventory, Listener,
    ListenerCertificate, ListenerRule, NetworkAcl, NetworkInterface, PolicyDefinition, PrefixList, RouteTable,
    SecurityGroup, SslPolicy, Subnet, TargetGroup, TargetHealth, VpcOrigin,
};
use crate::request::DiagnoseRequest;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

/// A load balancer as `DescribeLoadBalancers` lists it, before its listeners are read.
#[derive(Debug, Clone)]
pub struct LoadBalancerSummary {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub lb_type: String,
    pub scheme: String,
    pub security_groups: Vec<String>,
    pub ip_address_type: String,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
}

/// A distribution as `ListDistributions` lists it: enough to find it by a viewer's hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionSummary {
    pub id: String,
    /// Its CloudFront name, `d111111abcdef8.cloudfront.net`.
    pub domain_name: String,
    /// Its alternate domain names, wildcards (`*.example.com`) included.
    pub aliases: Vec<String>,
}

/// Which EC2 instances to describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceQuery {
    /// Instances whose public IPv4 address is this one (filter `ip-address`).
    PublicIp(String),
    /// Instances by id (filter `instance-id`).
    Ids(Vec<String>),
}

/// Which network interfaces to describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceQuery {
    /// Filter `association.public-ip`.
    PublicIp(String),
    /// Filter `network-interface-id`.
    Ids(Vec<String>),
    /// Filter `addresses.private-ip-address`: the interfaces holding these private addresses
    /// (a load balancer's `ip` targets).
    PrivateIps(Vec<String>),
}

/// Which managed prefix lists to describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixListQuery {
    /// Filter `prefix-list-name`.
    Names(Vec<String>),
    /// Filter `prefix-list-id`.
    Ids(Vec<String>),
}

/// Why one AWS call did not return data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("access denied ({message})")]
    Denied { message: String },
    #[error("not found ({code}: {message})")]
    NotFound { code: String, message: String },
    #[error("throttled ({message})")]
    Throttled { message: String },
    #[error("no AWS credentials could be loaded ({message})")]
    NoCredentials { message: String },
    #[error("the AWS endpoint could not be reached ({message})")]
    Unreachable { message: String },
    #[error("timed out after {seconds} s")]
    TimedOut { seconds: u64 },
    #[error("{code}: {message}")]
    Failed { code: String, message: String },
    /// A paginated call that still had a next page after its page bound: what it read is not
    /// the whole answer, so none of it is used.
    #[error("truncated after {pages} pages")]
    Truncated { pages: usize },
}

impl ApiError {
    fn code(&self) -> String {
        match self {
            ApiError::Denied { .. } => "AccessDenied".into(),
            ApiError::NotFound { code, .. } | ApiError::Failed { code, .. } => code.clone(),
            ApiError::Throttled { .. } => "Throttling".into(),
            ApiError::NoCredentials { .. } => "NoCredentials".into(),
            ApiError::Unreachable { .. } => "EndpointUnreachable".into(),
            ApiError::TimedOut { .. } => "Timeout".into(),
            ApiError::Truncated { .. } => "Truncated".into(),
        }
    }

    fn outcome(&self) -> &'static str {
        match self {
            ApiError::Denied { .. } => "denied",
            ApiError::NotFound { .. } => "not_found",
            ApiError::Truncated { .. } => "truncated",
            _ => "failed",
        }
    }

    fn into_fetch<T>(self, action: &str) -> Fetch<T> {
        match self {
            ApiError::Denied { message } => Fetch::Denied { action: action.into(), message },
            ApiError::NotFound { message, .. } => Fetch::NotFound { action: action.into(), message },
            other => Fetch::Failed { action: action.into(), code: other.code(), message: other.to_string() },
        }
    }
}

/// The read-only AWS calls the inventory makes. Implemented by [`aws::SdkApi`] over the AWS SDK.
///
/// No call has a default body: a call added here fails to compile in every implementation
/// (test fakes included) until each says what it answers. A paginated call ("every page") that
/// reaches its page bound fails with [`ApiError::Truncated`].
pub trait AwsApi: Sync {
    /// `cloudfront:GetDistribution`.
    fn get_distribution(&self, id: &str) -> impl Future<Output = Result<Distribution, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeLoadBalancers`, every page, in one region.
    fn load_balancers(&self, region: &str) -> impl Future<Output = Result<Vec<LoadBalancerSummary>, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeListeners`, every page, for one load balancer.
    fn listeners(&self, region: &str, lb_arn: &str) -> impl Future<Output = Result<Vec<Listener>, ApiError>> + Send;

    /// `elasticloadbalancing:DescribeLoadBalancerAttributes`.
    fn load_balancer_attributes(
        &self,
        region: &str,
        lb_arn: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeListenerCertificates`, every page.
    fn listener_certificates(
        &self,
        region: &str,
        listener_arn: &str,
    ) -> impl Future<Output = Result<Vec<ListenerCertificate>, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeRules`, every page, in priority order.
    fn listener_rules(
        &self,
        region: &str,
        listener_arn: &str,
    ) -> impl Future<Output = Result<Vec<ListenerRule>, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeSSLPolicies` for the named policies, every page.
    fn ssl_policies(
        &self,
        region: &str,
        names: &[String],
    ) -> impl Future<Output = Result<Vec<SslPolicy>, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeTargetGroups` of one load balancer, every page
    /// (attributes and health are left for the next calls).
    fn target_groups(
        &self,
        region: &str,
        lb_arn: &str,
    ) -> impl Future<Output = Result<Vec<TargetGroup>, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeTargetGroupAttributes`.
    fn target_group_attributes(
        &self,
        region: &str,
        tg_arn: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeTargetHealth`.
    fn target_health(
        &self,
        region: &str,
        tg_arn: &str,
    ) -> impl Future<Output = Result<Vec<TargetHealth>, ApiError>> + Send;
    /// `ec2:DescribeInstances`, every page.
    fn instances(
        &self,
        region: &str,
        query: &InstanceQuery,
    ) -> impl Future<Output = Result<Vec<Ec2Instance>, ApiError>> + Send;
    /// `ec2:DescribeAddresses` for one public IP.
    fn elastic_ips(
        &self,
        region: &str,
        public_ip: &str,
    ) -> impl Future<Output = Result<Vec<ElasticIp>, ApiError>> + Send;
    /// `ec2:DescribeNetworkInterfaces`, every page.
    fn network_interfaces(
        &self,
        region: &str,
        query: &InterfaceQuery,
    ) -> impl Future<Output = Result<Vec<NetworkInterface>, ApiError>> + Send;
    /// `ec2:DescribeSecurityGroups` (filter `group-id`), every page.
    fn security_groups(
        &self,
        region: &str,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<SecurityGroup>, ApiError>> + Send;
    /// `ec2:DescribeManagedPrefixLists`, every page (entries are left for the next call).
    fn managed_prefix_lists(
        &self,
        region: &str,
        query: &PrefixListQuery,
    ) -> impl Future<Output = Result<Vec<PrefixList>, ApiError>> + Send;
    /// `ec2:GetManagedPrefixListEntries`, every page: the CIDRs.
    fn prefix_list_entries(
        &self,
        region: &str,
        prefix_list_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, ApiError>> + Send;
    /// `ec2:DescribeSubnets` (filter `subnet-id`), every page.
    fn subnets(&self, region: &str, ids: &[String]) -> impl Future<Output = Result<Vec<Subnet>, ApiError>> + Send;
    /// `ec2:DescribeNetworkAcls` of one VPC, every page.
    fn network_acls(
        &self,
        region: &str,
        vpc_id: &str,
    ) -> impl Future<Output = Result<Vec<NetworkAcl>, ApiError>> + Send;
    /// `ec2:DescribeRouteTables` of one VPC, every page.
    fn route_tables(
        &self,
        region: &str,
        vpc_id: &str,
    ) -> impl Future<Output = Result<Vec<RouteTable>, ApiError>> + Send;

    /// `acm:DescribeCertificate` in the certificate's region.
    fn certificate(&self, region: &str, arn: &str) -> impl Future<Output = Result<AcmCertificate, ApiError>> + Send;
    /// `cloudfront:GetCachePolicy` of a custom cache policy.
    fn cache_policy(&self, id: &str) -> impl Future<Output = Result<PolicyDefinition, ApiError>> + Send;
    /// `cloudfront:GetOriginRequestPolicy` of a custom origin request policy.
    fn origin_request_policy(&self, id: &str) -> impl Future<Output = Result<PolicyDefinition, ApiError>> + Send;
    /// `cloudfront:GetVpcOrigin`.
    fn vpc_origin(&self, id: &str) -> impl Future<Output = Result<VpcOrigin, ApiError>> + Send;

    /// `cloudfront:ListDistributions`, every page: the ids of the account's distributions (used
    /// by `cf-origin-doctor sweep`, not by a diagnosis).
    fn list_distribution_ids(&self) -> impl Future<Output = Result<Vec<String>, ApiError>> + Send;

    /// `cloudfront:ListDistributions`, every page: each distribution's id, name and aliases
    /// (used only to find the distribution behind a URL or hostname).
    fn list_distributions(&self) -> impl Future<Output = Result<Vec<DistributionSummary>, ApiError>> + Send;

    /// `cloudwatch:GetMetricData` in us-east-1 over one distribution's metrics (namespace
    /// `AWS/CloudFront`, dimensions `DistributionId` and `Region=Global`).
    fn metric_data(&self, query: &MetricQuery) -> impl Future<Output = Result<Vec<MetricSeries>, ApiError>> + Send;
    /// `s3:ListObjectsV2` of a log bucket, keys after `start_after` under `prefix`, at most
    /// `max_pages` pages (a listing still unfinished then is returned as it stands: the caller
    /// takes the newest it saw and says so).
    fn list_log_objects(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: &str,
        max_pages: usize,
    ) -> impl Future<Output = Result<LogListing, ApiError>> + Send;
    /// `s3:GetObject` of one log object, its first `max_bytes` bytes only.
    fn get_log_object(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Vec<u8>, ApiError>> + Send;
    /// `logs:FilterLogEvents` of one log group over a window, at most `max_events` messages.
    fn filter_log_events(
        &self,
        log_group: &str,
        start_ms: i64,
        end_ms: i64,
        max_events: usize,
    ) -> impl Future<Output = Result<LogEvents, ApiError>> + Send;
}

/// One `GetMetricData` request: the distribution, the window and the metrics with their statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    pub distribution_id: String,
    pub start_unix: i64,
    pub end_unix: i64,
    /// Seconds per data point (a multiple of 60).
    pub period_s: i32,
    /// (metric name, statistic), e.g. (`Requests`, `Sum`), (`OriginLatency`, `p90`).
    pub metrics: Vec<(String, String)>,
}

/// The data points of one queried metric, in the order of [`MetricQuery::metrics`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricSeries {
    pub metric: String,
    pub stat: String,
    pub values: Vec<f64>,
}

/// Log objects as listed: key, size in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogListing {
    pub objects: Vec<(String, u64)>,
    /// The listing had more pages than were read.
    pub truncated: bool,
}

/// Log event messages as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogEvents {
    pub messages: Vec<String>,
    pub truncated: bool,
}

/// What a test fake answers for a call it does not model: an explicit failure, which the
/// gather records and the checks read as "could not verify", never as data.
#[cfg(test)]
pub(crate) fn not_faked() -> ApiError {
    ApiError::Failed { code: "NotFaked".into(), message: "this test fake does not answer the call".into() }
}

/// Errors that end a diagnosis before any evidence exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    #[error("distribution {0} does not exist in this account")]
    DistributionNotFound(String),
    #[error(
        "the identity in use may not call cloudfront:GetDistribution on {id} ({message}): grant it that action, or choose another identity with --profile or --role-arn"
    )]
    AccessDenied { id: String, message: String },
    #[error("no AWS credentials: {0}")]
    NoCredentials(String),
    #[error("AWS API throttled reading the distribution: {0}")]
    Throttled(String),
    #[error("cannot reach the AWS API: {0}")]
    Unreachable(String),
    #[error("reading the distribution failed: {0}")]
    Failed(String),
}

struct Recorder {
    calls: Mutex<Vec<CallRecord>>,
    began: Instant,
}

impl Recorder {
    async fn call<T>(
        &self,
        action: &str,
        region: &str,
        fut: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let started = Instant::now();
        let result = fut.await;
        let record = CallRecord {
            action: action.to_string(),
            region: region.to_string(),
            outcome: match &result {
                Ok(_) => "ok".to_string(),
                Err(e) => e.outcome().to_string(),
            },
            millis: started.elapsed().as_millis() as u64,
            started_ms: started.duration_since(self.began).as_millis() as u64,
        };
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(record);
        }
        result
    }
}

const GET_DISTRIBUTION: &str = "cloudfront:GetDistribution";
const DESCRIBE_LOAD_BALANCERS: &str = "elasticloadbalancing:DescribeLoadBalancers";
const DESCRIBE_LISTENERS: &str = "elasticloadbalancing:DescribeListeners";
const DESCRIBE_LB_ATTRIBUTES: &str = "elasticloadbalancing:DescribeLoadBalancerAttributes";
const DESCRIBE_LISTENER_CERTIFICATES: &str = "elasticloadbalancing:DescribeListenerCertificates";
const DESCRIBE_RULES: &str = "elasticloadbalancing:DescribeRules";
const DESCRIBE_TARGET_GROUPS: &str = "elasticloadbalancing:DescribeTargetGroups";
const DESCRIBE_TG_ATTRIBUTES: &str = "elasticloadbalancing:DescribeTargetGroupAttributes";
const DESCRIBE_TARGET_HEALTH: &str = "elasticloadbalancing:DescribeTargetHealth";
const DESCRIBE_INSTANCES: &str = "ec2:DescribeInstances";
const DESCRIBE_ADDRESSES: &str = "ec2:DescribeAddresses";
const DESCRIBE_NETWORK_INTERFACES: &str = "ec2:DescribeNetworkInterfaces";
const DESCRIBE_SECURITY_GROUPS: &str = "ec2:DescribeSecurityGroups";
const DESCRIBE_PREFIX_LISTS: &str = "ec2:DescribeManagedPrefixLists";
const GET_PREFIX_LIST_ENTRIES: &str = "ec2:GetManagedPrefixListEntries";
const DESCRIBE_SUBNETS: &str = "ec2:DescribeSubnets";
const DESCRIBE_NETWORK_ACLS: &str = "ec2:DescribeNetworkAcls";
const DESCRIBE_ROUTE_TABLES: &str = "ec2:DescribeRouteTables";
const DESCRIBE_SSL_POLICIES: &str = "elasticloadbalancing:DescribeSSLPolicies";
const DESCRIBE_CERTIFICATE: &str = "acm:DescribeCertificate";
const GET_CACHE_POLICY: &str = "cloudfront:GetCachePolicy";
const GET_ORIGIN_REQUEST_POLICY: &str = "cloudfront:GetOriginRequestPolicy";
const GET_VPC_ORIGIN: &str = "cloudfront:GetVpcOrigin";
/// Called only when a request names a URL or hostname instead of the distribution id.
pub const LIST_DISTRIBUTIONS: &str = "cloudfront:ListDistributions";
/// CloudFront's own view: its metrics, and its access logs where the function may read them.
pub const GET_METRIC_DATA: &str = "cloudwatch:GetMetricData";
pub const LIST_BUCKET: &str = "s3:ListBucket";
pub const GET_OBJECT: &str = "s3:GetObject";
pub const FILTER_LOG_EVENTS: &str = "logs:FilterLogEvents";

/// Every IAM action the inventory calls: the function's policy in `template.yaml` grants
/// exactly these (a test compares the two).
pub const AWS_ACTIONS: &[&str] = &[
    GET_DISTRIBUTION,
    DESCRIBE_LOAD_BALANCERS,
    DESCRIBE_LISTENERS,
    DESCRIBE_LB_ATTRIBUTES,
    DESCRIBE_LISTENER_CERTIFICATES,
    DESCRIBE_RULES,
    DESCRIBE_TARGET_GROUPS,
    DESCRIBE_TG_ATTRIBUTES,
    DESCRIBE_TARGET_HEALTH,
    DESCRIBE_INSTANCES,
    DESCRIBE_ADDRESSES,
    DESCRIBE_NETWORK_INTERFACES,
    DESCRIBE_SECURITY_GROUPS,
    DESCRIBE_PREFIX_LISTS,
    GET_PREFIX_LIST_ENTRIES,
    DESCRIBE_SUBNETS,
    DESCRIBE_NETWORK_ACLS,
    DESCRIBE_ROUTE_TABLES,
    DESCRIBE_SSL_POLICIES,
    DESCRIBE_CERTIFICATE,
    GET_CACHE_POLICY,
    GET_ORIGIN_REQUEST_POLICY,
    GET_VPC_ORIGIN,
    LIST_DISTRIBUTIONS,
    GET_METRIC_DATA,
    LIST_BUCKET,
    GET_OBJECT,
    FILTER_LOG_EVENTS,
];

/// Reads the distribution, then what stands behind each origin, concurrently where independent.
pub async fn gather(api: &impl AwsApi, request: &DiagnoseRequest) -> Result<Inventory, InventoryError> {
    gather_all(api, request, None).await.map(|(inventory, _)| inventory)
}

/// As [`gather`], and CloudFront's own view (metrics, access logs) of the window ending at
/// `now_unix`, read alongside what stands behind the origins, when the request asks for it.
pub async fn gather_with_view(
    api: &impl AwsApi,
    request: &DiagnoseRequest,
    now_unix: i64,
    bounds: cloudfront_view::LogBounds,
) -> Result<(Inventory, Option<CloudFrontView>), InventoryError> {
    gather_all(api, request, request.view.enabled.then_some((now_unix, bounds))).await
}

async fn gather_all(
    api: &impl AwsApi,
    request: &DiagnoseRequest,
    view: Option<(i64, cloudfront_view::LogBounds)>,
) -> Result<(Inventory, Option<CloudFrontView>), InventoryError> {
    let recorder = Recorder { calls: Mutex::new(Vec::new()), began: Instant::now() };
    let id = request.distribution_id.as_str();
    let distribution =
        recorder.call(GET_DISTRIBUTION, "us-east-1", api.get_distribution(id)).await.map_err(|e| match e {
            ApiError::NotFound { .. } => InventoryError::DistributionNotFound(id.to_string()),
            ApiError::Denied { message } => InventoryError::AccessDenied { id: id.to_string(), message },
            ApiError::NoCredentials { message } => InventoryError::NoCredentials(message),
            ApiError::Throttled { message } => InventoryError::Throttled(message),
            ApiError::Unreachable { message } => InventoryError::Unreachable(message),
            other => InventoryError::Failed(other.to_string()),
        })?;
    Ok(behind(api, recorder, distribution, view.map(|(now, bounds)| (request, now, bounds))).await)
}

/// The inventory of a distribution that is given rather than read (a proposed configuration,
/// applied to the live distribution's identity): what stands behind its origins, its custom
/// policies and its viewer certificate, read exactly as [`gather`] reads them for the live one.
pub async fn gather_for(api: &impl AwsApi, distribution: Distribution) -> Inventory {
    let recorder = Recorder { calls: Mutex::new(Vec::new()), began: Instant::now() };
    behind(api, recorder, distribution, None).await.0
}

async fn behind(
    api: &impl AwsApi,
    recorder: Recorder,
    mut distribution: Distribution,
    view: Option<(&DiagnoseRequest, i64, cloudfront_view::LogBounds)>,
) -> (Inventory, Option<CloudFrontView>) {
    let read_view = async {
        match view {
            // Boxed: the reading's state would otherwise sit in the caller's future, and the
            // pipeline's future is already deep.
            Some((request, now, bounds)) => {
                Some(Box::pin(cloudfront_view::gather(api, &recorder, &distribution, &request.view, now, bounds)).await)
            }
            None => None,
        }
    };
    let (((origins, cloudfront_prefix_lists), (policies, viewer_certificate_acm)), view) = futures_util::future::join(
        futures_util::future::join(
            gather::behind_origins(api, &recorder, &distribution),
            futures_util::future::join(
                gather::custom_policies(api, &recorder, &distribution),
                gather::viewer_certificate(api, &recorder, &distribution),
            ),
        ),
        read_view,
    )
    .await;
    policies.apply(&mut distribution);
    let calls = recorder.calls.into_inner().unwrap_or_default();
    (Inventory { distribution, origins, calls, cloudfront_prefix_lists, viewer_certificate_acm }, view)
}

/// The dependency depth the recorded calls show: a call's depth is one more than the deepest
/// call that had finished when it started. For a benchmark's summary.
pub fn observed_depth(calls: &[CallRecord]) -> usize {
    let mut depth = vec![0usize; calls.len()];
    let mut order: Vec<usize> = (0..calls.len()).collect();
    order.sort_by_key(|&i| calls[i].started_ms);
    for (pos, &i) in order.iter().enumerate() {
        let before = order[..pos]
            .iter()
            .filter(|&&j| calls[j].started_ms + calls[j].millis <= calls[i].started_ms)
            .map(|&j| depth[j])
            .max()
            .unwrap_or(0);
        depth[i] = before + 1;
    }
    depth.into_iter().max().unwrap_or(0)
}

/// Matches an origin domain to a load balancer: case-insensitive, with or without `dualstack.`,
/// ignoring a trailing dot.
pub fn find_load_balancer<'a>(lbs: &'a [LoadBalancerSummary], origin_domain: &str) -> Option<&'a LoadBalancerSummary> {
    let norm = |s: &str| {
        let s = s.trim_end_matches('.').to_ascii_lowercase();
        s.strip_prefix("dualstack.").map(str::to_string).unwrap_or(s)
    };
    let want = norm(origin_domain);
    lbs.iter().find(|lb| norm(&lb.dns_name) == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb(dns: &str) -> LoadBalancerSummary {
        LoadBalancerSummary {
            arn: format!("arn:{dns}"),
            name: "n".into(),
            dns_name: dns.into(),
            lb_type: "application".into(),
            scheme: "internet-facing".into(),
            security_groups: vec![],
            ip_address_type: "ipv4".into(),
            vpc_id: None,
            subnet_ids: vec![],
        }
    }

    #[test]
    fn load_balancer_matching_ignores_case_dualstack_and_trailing_dot() {
        let lbs = vec![lb("a-1.us-east-1.elb.amazonaws.com"), lb("App-2.eu-west-1.elb.amazonaws.com")];
        assert_eq!(find_load_balancer(&lbs, "DUALSTACK.app-2.EU-west-1.elb.amazonaws.com.").unwrap().arn, lbs[1].arn);
        assert_eq!(find_load_balancer(&lbs, "a-1.us-east-1.elb.amazonaws.com").unwrap().arn, lbs[0].arn);
        assert!(find_load_balancer(&lbs, "a-10.us-east-1.elb.amazonaws.com").is_none());
    }

    /// A fake AWS: one distribution with an origin outside AWS, whose behaviors use custom
    /// policies; the policy reads answer as `policies` says.
    struct PolicyFake {
        distribution: Distribution,
        cache: Result<PolicyDefinition, ApiError>,
        orp: Result<PolicyDefinition, ApiError>,
        vpc: Result<VpcOrigin, ApiError>,
    }

    impl AwsApi for PolicyFake {
        async fn get_distribution(&self, _id: &str) -> Result<Distribution, ApiError> {
            Ok(self.distribution.clone())
        }
        async fn load_balancers(&self, _region: &str) -> Result<Vec<LoadBalancerSummary>, ApiError> {
            Ok(vec![])
        }
        async fn listeners(&self, _region: &str, _arn: &str) -> Result<Vec<Listener>, ApiError> {
            Ok(vec![])
        }
        async fn cache_policy(&self, _id: &str) -> Result<PolicyDefinition, ApiError> {
            self.cache.clone()
        }
        async fn origin_request_policy(&self, _id: &str) -> Result<PolicyDefinition, ApiError> {
            self.orp.clone()
        }
        async fn vpc_origin(&self, _id: &str) -> Result<VpcOrigin, ApiError> {
            self.vpc.clone()
        }
        async fn load_balancer_attributes(&self, _: &str, _: &str) -> Result<BTreeMap<String, String>, ApiError> {
            Err(not_faked())
        }
        async fn listener_certificates(&self, _: &str, _: &str) -> Result<Vec<ListenerCertificate>, ApiError> {
            Err(not_faked())
        }
        async fn listener_rules(&self, _: &str, _: &str) -> Result<Vec<ListenerRule>, ApiError> {
            Err(not_faked())
        }
        async fn ssl_policies(&self, _: &str, _: &[String]) -> Result<Vec<SslPolicy>, ApiError> {
            Err(not_faked())
        }
        async fn target_groups(&self, _: &str, _: &str) -> Result<Vec<TargetGroup>, ApiError> {
            Err(not_faked())
        }
        async fn target_group_attributes(&self, _: &str, _: &str) -> Result<BTreeMap<String, String>, ApiError> {
            Err(not_faked())
        }
        async fn target_health(&self, _: &str, _: &str) -> Result<Vec<TargetHealth>, ApiError> {
            Err(not_faked())
        }
        async fn instances(&self, _: &str, _: &InstanceQuery) -> Result<Vec<Ec2Instance>, ApiError> {
            Err(not_faked())
        }
        async fn elastic_ips(&self, _: &str, _: &str) -> Result<Vec<ElasticIp>, ApiError> {
            Err(not_faked())
        }
        async fn network_interfaces(&self, _: &str, _: &InterfaceQuery) -> Result<Vec<NetworkInterface>, ApiError> {
            Err(not_faked())
        }
        async fn security_groups(&self, _: &str, _: &[String]) -> Result<Vec<SecurityGroup>, ApiError> {
            Err(not_faked())
        }
        async fn managed_prefix_lists(&self, _: &str, _: &PrefixListQuery) -> Result<Vec<PrefixList>, ApiError> {
            Err(not_faked())
        }
        async fn prefix_list_entries(&self, _: &str, _: &str) -> Result<Vec<String>, ApiError> {
            Err(not_faked())
        }
        async fn subnets(&self, _: &str, _: &[String]) -> Result<Vec<Subnet>, ApiError> {
            Err(not_faked())
        }
        async fn network_acls(&self, _: &str, _: &str) -> Result<Vec<NetworkAcl>, ApiError> {
            Err(not_faked())
        }
        async fn route_tables(&self, _: &str, _: &str) -> Result<Vec<RouteTable>, ApiError> {
            Err(not_faked())
        }
        async fn certificate(&self, _: &str, _: &str) -> Result<AcmCertificate, ApiError> {
            Err(not_faked())
        }
        async fn list_distribution_ids(&self) -> Result<Vec<String>, ApiError> {
            Err(not_faked())
        }
        async fn list_distributions(&self) -> Result<Vec<DistributionSummary>, ApiError> {
            Err(not_faked())
        }
        async fn metric_data(&self, _: &MetricQuery) -> Result<Vec<MetricSeries>, ApiError> {
            Err(not_faked())
        }
        async fn list_log_objects(&self, _: &str, _: &str, _: &str, _: usize) -> Result<LogListing, ApiError> {
            Err(not_faked())
        }
        async fn get_log_object(&self, _: &str, _: &str, _: u64) -> Result<Vec<u8>, ApiError> {
            Err(not_faked())
        }
        async fn filter_log_events(&self, _: &str, _: i64, _: i64, _: usize) -> Result<LogEvents, ApiError> {
            Err(not_faked())
        }
    }

    fn fake(orp: Result<PolicyDefinition, ApiError>) -> PolicyFake {
        use crate::evidence::{Fetch, OriginProtocolPolicy, OriginResource};
        let mut ev = crate::testing::evidence(
            crate::testing::custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        let b = &mut ev.inventory.distribution.default_behavior;
        b.cache_policy_id = Some("658327ea-f89d-4fab-a63d-7e88639e58f6".into());
        b.origin_request_policy_id = Some("orp-custom".into());
        PolicyFake {
            distribution: ev.inventory.distribution,
            cache: Err(not_faked()),
            orp,
            vpc: Err(ApiError::NotFound { code: "EntityNotFound".into(), message: "no".into() }),
        }
    }

    fn diagnose(api: &PolicyFake) -> (Inventory, crate::checks::CheckOutput) {
        use crate::evidence::Expectations;
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let request = DiagnoseRequest::new("EFIXTURE", &[]).unwrap();
        let inv = rt.block_on(gather(api, &request)).unwrap();
        let mut ev = crate::testing::evidence(inv.distribution.origins[0].clone(), inv.origins[0].resource.clone());
        ev.inventory = inv.clone();
        ev.request.expect =
            Expectations { cookies: vec!["session".into()], headers: vec!["X-Tenant".into()], ..Default::default() };
        (inv, crate::checks::run_all(&ev))
    }

    #[test]
    fn a_fetched_custom_origin_request_policy_reaches_the_checks() {
        use crate::evidence::NameSet;
        let orp = PolicyDefinition {
            id: "orp-custom".into(),
            name: "tenant-only".into(),
            headers: NameSet::Only(vec!["X-Tenant".into()]),
            cookies: NameSet::None,
            query_strings: NameSet::All,
        };
        let (inv, out) = diagnose(&fake(Ok(orp)));
        assert!(inv.calls.iter().any(|c| c.action == GET_ORIGIN_REQUEST_POLICY && c.outcome == "ok"));
        assert!(!inv.calls.iter().any(|c| c.action == GET_CACHE_POLICY), "a managed cache policy costs no call");
        let f = out.findings.iter().find(|f| f.id == "params-not-forwarded").expect("params-not-forwarded");
        assert!(f.summary.contains("session") && !f.summary.contains("X-Tenant"), "{}", f.summary);
        assert!(f.evidence.iter().any(|e| e.observed.contains("tenant-only")), "{:?}", f.evidence);
        assert!(!out.unverified.iter().any(|u| u.reason.contains("orp-custom")), "{:?}", out.unverified);
    }

    #[test]
    fn a_truncated_call_is_recorded_as_truncated_and_leaves_its_check_unverified() {
        let (inv, out) = diagnose(&fake(Err(ApiError::Truncated { pages: 20 })));
        assert!(inv.calls.iter().any(|c| c.action == GET_ORIGIN_REQUEST_POLICY && c.outcome == "truncated"));
        assert!(!out.findings.iter().any(|f| f.id == "params-not-forwarded"));
        let u = out
            .unverified
            .iter()
            .find(|u| u.check == "params-not-forwarded")
            .expect("params-not-forwarded could not verify");
        assert!(
            u.reason.contains("cloudfront:GetOriginRequestPolicy failed (Truncated): truncated after 20 pages"),
            "{}",
            u.reason
        );
    }

    #[test]
    fn a_denied_custom_policy_leaves_forwarding_unverified_with_the_action_named() {
        let (inv, out) = diagnose(&fake(Err(ApiError::Denied { message: "not authorized".into() })));
        assert!(inv.calls.iter().any(|c| c.action == GET_ORIGIN_REQUEST_POLICY && c.outcome == "denied"));
        assert!(!out.findings.iter().any(|f| f.id == "params-not-forwarded"));
        let u = out
            .unverified
            .iter()
            .find(|u| u.check == "params-not-forwarded")
            .expect("params-not-forwarded could not verify");
        assert!(u.reason.contains("access denied for cloudfront:GetOriginRequestPolicy"), "{}", u.reason);
    }
}
