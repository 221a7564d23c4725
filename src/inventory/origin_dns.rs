//! What an origin's domain name says about the resource behind it.

/// The kind of resource an origin domain name points at, as far as the name tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginDomainKind {
    /// `<name>-<id>.<region>.elb.amazonaws.com` (ALB, NLB; `dualstack.` prefix allowed).
    LoadBalancer {
        region: String,
    },
    /// An S3 bucket or S3 website endpoint.
    S3,
    Other,
}

/// Classifies an origin domain from its name alone.
pub fn classify_origin_domain(domain: &str) -> OriginDomainKind {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = d.strip_suffix(".elb.amazonaws.com") {
        // rest = "[dualstack.]name-123.us-east-1"
        if let Some((_, region)) = rest.rsplit_once('.') {
            if looks_like_region(region) {
                return OriginDomainKind::LoadBalancer { region: region.to_string() };
            }
        }
        return OriginDomainKind::Other;
    }
    if d.ends_with(".s3.amazonaws.com")
        || d.contains(".s3.") && d.ends_with(".amazonaws.com")
        || d.contains(".s3-website")
    {
        return OriginDomainKind::S3;
    }
    OriginDomainKind::Other
}

fn looks_like_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3 && parts.last().is_some_and(|n| n.chars().all(|c| c.is_ascii_digit())) && parts[0].len() == 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_balancer_names_give_their_region() {
        assert_eq!(
            classify_origin_domain("my-alb-123.us-east-1.elb.amazonaws.com"),
            OriginDomainKind::LoadBalancer { region: "us-east-1".into() }
        );
        assert_eq!(
            classify_origin_domain("dualstack.My-ALB-1.AP-southeast-2.elb.amazonaws.com."),
            OriginDomainKind::LoadBalancer { region: "ap-southeast-2".into() }
        );
        assert_eq!(classify_origin_domain("net-lb-abc.elb.us-gov-west-1.amazonaws.com"), OriginDomainKind::Other);
    }

    #[test]
    fn s3_and_other_names() {
        assert_eq!(classify_origin_domain("bucket.s3.amazonaws.com"), OriginDomainKind::S3);
        assert_eq!(classify_origin_domain("bucket.s3.eu-west-1.amazonaws.com"), OriginDomainKind::S3);
        assert_eq!(classify_origin_domain("app.example.com"), OriginDomainKind::Other);
    }
}
