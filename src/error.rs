//! Errors that stop a diagnosis, with stable names for machines (`errorType` in Lambda, exit
//! code 2 in the CLI). Findings are never errors.

use crate::inventory::InventoryError;
use crate::request::InvalidRequest;

#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("distribution {0} not found (check the id and the AWS account/credentials in use)")]
    DistributionNotFound(String),
    #[error("{0}")]
    NoDistributionFor(String),
    #[error("{0}")]
    AmbiguousTarget(String),
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error(
        "no AWS credentials found ({0}): set AWS_PROFILE or pass --profile, run `aws sso login` for an SSO profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials(String),
    #[error("AWS API throttled: {0}")]
    Throttled(String),
    #[error("cannot reach the AWS API: {0}; check the network, a proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL")]
    AwsUnavailable(String),
    #[error("deadline exceeded: {0}")]
    DeadlineExceeded(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// The profile signs in through IAM Identity Center and its cached session has expired.
    #[error("your AWS SSO session for profile {0} has expired: run `aws sso login --profile {0}`")]
    SsoSessionExpired(String),
    /// `--region` names a region that does not exist.
    #[error("{0}")]
    UnknownRegion(String),
}

impl DiagnoseError {
    /// Stable name for Step Functions `Catch`/`Retry` and scripts.
    pub fn error_type(&self) -> &'static str {
        match self {
            DiagnoseError::InvalidRequest(_) => "InvalidRequest",
            DiagnoseError::DistributionNotFound(_) => "DistributionNotFound",
            DiagnoseError::NoDistributionFor(_) => "DistributionNotFound",
            DiagnoseError::AmbiguousTarget(_) => "InvalidRequest",
            DiagnoseError::AccessDenied(_) => "AccessDenied",
            DiagnoseError::NoCredentials(_) => "NoCredentials",
            DiagnoseError::Throttled(_) => "Throttled",
            DiagnoseError::AwsUnavailable(_) => "AwsUnavailable",
            DiagnoseError::DeadlineExceeded(_) => "DeadlineExceeded",
            DiagnoseError::Internal(_) => "InternalError",
            DiagnoseError::SsoSessionExpired(_) => "NoCredentials",
            DiagnoseError::UnknownRegion(_) => "InvalidRequest",
        }
    }

    /// Whether retrying the same request later can succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, DiagnoseError::Throttled(_) | DiagnoseError::AwsUnavailable(_))
    }
}

impl From<InvalidRequest> for DiagnoseError {
    fn from(e: InvalidRequest) -> Self {
        DiagnoseError::InvalidRequest(e.0)
    }
}

impl From<InventoryError> for DiagnoseError {
    fn from(e: InventoryError) -> Self {
        match e {
            InventoryError::DistributionNotFound(id) => DiagnoseError::DistributionNotFound(id),
            e @ InventoryError::AccessDenied { .. } => DiagnoseError::AccessDenied(e.to_string()),
            InventoryError::NoCredentials(m) => DiagnoseError::NoCredentials(m),
            InventoryError::Throttled(m) => DiagnoseError::Throttled(m),
            InventoryError::Unreachable(m) => DiagnoseError::AwsUnavailable(m),
            InventoryError::Failed(m) => DiagnoseError::AwsUnavailable(m),
        }
    }
}
