//! Stage 1: read the AWS configuration behind a distribution, read-only.
//!
//! [`gather`] is generic over [`AwsApi`], a narrow trait returning the project's own types; the
//! SDK adapter lives in [`aws`]. Every call is timed and recorded; a call that fails for any
//! reason other than "the distribution does not exist" or "no credentials" becomes a
//! [`Fetch`] value that the checks read as "could not verify".

pub mod aws;
mod origin_dns;

pub use origin_dns::{OriginDomainKind, classify_origin_domain};

use crate::evidence::{
    CallRecord, Distribution, Fetch, Inventory, Listener, LoadBalancer, OriginInventory, OriginKind, OriginResource,
};
use crate::request::DiagnoseRequest;
use futures_util::future::join_all;
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
        }
    }

    fn outcome(&self) -> &'static str {
        match self {
            ApiError::Denied { .. } => "denied",
            ApiError::NotFound { .. } => "not_found",
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
pub trait AwsApi: Sync {
    /// `cloudfront:GetDistribution`.
    fn get_distribution(&self, id: &str) -> impl Future<Output = Result<Distribution, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeLoadBalancers`, every page, in one region.
    fn load_balancers(&self, region: &str) -> impl Future<Output = Result<Vec<LoadBalancerSummary>, ApiError>> + Send;
    /// `elasticloadbalancing:DescribeListeners`, every page, for one load balancer.
    fn listeners(&self, region: &str, lb_arn: &str) -> impl Future<Output = Result<Vec<Listener>, ApiError>> + Send;
    /// `cloudfront:ListDistributions`, every page: the ids of the account's distributions (used
    /// by `cf-origin-doctor sweep`, not by a diagnosis). Fakes that do not list get an error.
    fn list_distribution_ids(&self) -> impl Future<Output = Result<Vec<String>, ApiError>> + Send {
        async {
            Err(ApiError::Failed {
                code: "NotImplemented".into(),
                message: "this AWS adapter cannot list distributions".into(),
            })
        }
    }
}

/// Errors that end a diagnosis before any evidence exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    #[error("distribution {0} does not exist in this account")]
    DistributionNotFound(String),
    #[error("access denied reading distribution {id}: {message}")]
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

/// Every IAM action the inventory calls: the function's policy in `template.yaml` grants
/// exactly these (a test compares the two).
pub const AWS_ACTIONS: &[&str] = &[GET_DISTRIBUTION, DESCRIBE_LOAD_BALANCERS, DESCRIBE_LISTENERS];

/// Reads the distribution, then what stands behind each origin, concurrently where independent.
pub async fn gather(api: &impl AwsApi, request: &DiagnoseRequest) -> Result<Inventory, InventoryError> {
    let recorder = Recorder { calls: Mutex::new(Vec::new()) };
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

    // Which regions hold load balancers we need: one DescribeLoadBalancers per region.
    let mut lb_regions: Vec<String> = Vec::new();
    for origin in &distribution.origins {
        if let OriginDomainKind::LoadBalancer { region } = classify_origin_domain(&origin.domain_name) {
            if !lb_regions.contains(&region) {
                lb_regions.push(region);
            }
        }
    }
    let listings =
        join_all(
            lb_regions.iter().map(|region| {
                let recorder = &recorder;
                async move {
                    (region.clone(), recorder.call(DESCRIBE_LOAD_BALANCERS, region, api.load_balancers(region)).await)
                }
            }),
        )
        .await;
    let listings: BTreeMap<String, Result<Vec<LoadBalancerSummary>, ApiError>> = listings.into_iter().collect();

    let origins = join_all(distribution.origins.iter().map(|origin| {
        let recorder = &recorder;
        let listings = &listings;
        async move {
            let kind = classify_origin_domain(&origin.domain_name);
            let region = match &kind {
                OriginDomainKind::LoadBalancer { region } => Some(region.clone()),
                _ => None,
            };
            let resource = match (&origin.kind, kind) {
                (OriginKind::S3 { .. }, _) | (_, OriginDomainKind::S3) => Fetch::fetched(OriginResource::S3Bucket),
                (OriginKind::Vpc { .. }, _) => Fetch::NotApplicable { reason: "VPC origins are not inventoried yet".into() },
                (OriginKind::Custom(_), OriginDomainKind::LoadBalancer { region }) => {
                    match listings.get(&region) {
                        Some(Ok(lbs)) => match find_load_balancer(lbs, &origin.domain_name) {
                            Some(summary) => {
                                let listeners = recorder
                                    .call(DESCRIBE_LISTENERS, &region, api.listeners(&region, &summary.arn))
                                    .await
                                    .map_or_else(|e| e.into_fetch(DESCRIBE_LISTENERS), Fetch::fetched);
                                Fetch::fetched(OriginResource::LoadBalancer(LoadBalancer {
                                    arn: summary.arn.clone(),
                                    name: summary.name.clone(),
                                    dns_name: summary.dns_name.clone(),
                                    lb_type: summary.lb_type.clone(),
                                    scheme: summary.scheme.clone(),
                                    security_groups: summary.security_groups.clone(),
                                    listeners,
                                }))
                            }
                            None => Fetch::NotFound {
                                action: DESCRIBE_LOAD_BALANCERS.into(),
                                message: format!(
                                    "no load balancer named {} in {region} of this account (deleted, or in another account)",
                                    origin.domain_name
                                ),
                            },
                        },
                        Some(Err(e)) => e.clone().into_fetch(DESCRIBE_LOAD_BALANCERS),
                        None => Fetch::NotApplicable { reason: "region was not listed".into() },
                    }
                }
                (OriginKind::Custom(_), OriginDomainKind::Other) => Fetch::fetched(OriginResource::OutsideAws {
                    reason: format!("{} is not an AWS load balancer name this tool recognises", origin.domain_name),
                }),
            };
            OriginInventory { origin_id: origin.id.clone(), region, resource }
        }
    }))
    .await;

    let calls = recorder.calls.into_inner().unwrap_or_default();
    Ok(Inventory { distribution, origins, calls })
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
        }
    }

    #[test]
    fn load_balancer_matching_ignores_case_dualstack_and_trailing_dot() {
        let lbs = vec![lb("a-1.us-east-1.elb.amazonaws.com"), lb("App-2.eu-west-1.elb.amazonaws.com")];
        assert_eq!(find_load_balancer(&lbs, "DUALSTACK.app-2.EU-west-1.elb.amazonaws.com.").unwrap().arn, lbs[1].arn);
        assert_eq!(find_load_balancer(&lbs, "a-1.us-east-1.elb.amazonaws.com").unwrap().arn, lbs[0].arn);
        assert!(find_load_balancer(&lbs, "a-10.us-east-1.elb.amazonaws.com").is_none());
    }
}
