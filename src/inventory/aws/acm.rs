//! ACM: the certificates that viewer and listener TLS use, read in the certificate's region.

use super::{bounded, empty_response, non_empty};
use crate::evidence::AcmCertificate;
use crate::inventory::ApiError;
use aws_sdk_acm as acm;

/// `DescribeCertificate`.
pub(super) async fn certificate(client: &acm::Client, arn: &str) -> Result<AcmCertificate, ApiError> {
    let out = bounded(client.describe_certificate().certificate_arn(arn).send()).await?;
    let c = out.certificate().ok_or_else(|| empty_response("DescribeCertificate returned no certificate"))?;
    Ok(map_certificate(arn, c))
}

fn map_certificate(arn: &str, c: &acm::types::CertificateDetail) -> AcmCertificate {
    AcmCertificate {
        arn: c.certificate_arn().unwrap_or(arn).to_string(),
        domain_name: c.domain_name().unwrap_or_default().to_string(),
        subject_alternative_names: c.subject_alternative_names().to_vec(),
        status: c.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        not_before_unix: c.not_before().map(|t| t.secs()),
        not_after_unix: c.not_after().map(|t| t.secs()),
        issuer: non_empty(c.issuer()),
        key_algorithm: c.key_algorithm().map(|k| k.as_str().to_string()),
        certificate_type: c.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
        in_use_by: c.in_use_by().to_vec(),
    }
}
