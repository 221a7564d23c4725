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
    /// `ec2-a-b-c-d.<region>.compute.amazonaws.com` (`ec2-a-b-c-d.compute-1.amazonaws.com` in
    /// us-east-1): an instance's public DNS name, which spells its public IPv4 address.
    Ec2PublicName {
        region: String,
        ip: std::net::Ipv4Addr,
    },
    /// An IP address literal.
    IpLiteral(std::net::IpAddr),
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
    if let Some(kind) = classify_ec2_name(&d) {
        return kind;
    }
    if let Ok(ip) = d.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        return OriginDomainKind::IpLiteral(ip);
    }
    if d.ends_with(".s3.amazonaws.com")
        || d.contains(".s3.") && d.ends_with(".amazonaws.com")
        || d.contains(".s3-website")
    {
        return OriginDomainKind::S3;
    }
    OriginDomainKind::Other
}

fn classify_ec2_name(d: &str) -> Option<OriginDomainKind> {
    let rest = d.strip_prefix("ec2-")?;
    let (label, zone) = rest.split_once('.')?;
    let region = if zone == "compute-1.amazonaws.com" {
        "us-east-1".to_string()
    } else {
        let region = zone.strip_suffix(".compute.amazonaws.com")?;
        if !looks_like_region(region) {
            return None;
        }
        region.to_string()
    };
    let ip = label.replace('-', ".").parse::<std::net::Ipv4Addr>().ok()?;
    Some(OriginDomainKind::Ec2PublicName { region, ip })
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
    fn ec2_public_names_give_region_and_address() {
        assert_eq!(
            classify_origin_domain("ec2-54-214-10-2.compute-1.amazonaws.com"),
            OriginDomainKind::Ec2PublicName { region: "us-east-1".into(), ip: [54, 214, 10, 2].into() }
        );
        assert_eq!(
            classify_origin_domain("EC2-3-8-1-200.eu-west-2.compute.amazonaws.com."),
            OriginDomainKind::Ec2PublicName { region: "eu-west-2".into(), ip: [3, 8, 1, 200].into() }
        );
        assert_eq!(classify_origin_domain("ec2-3-8-1.eu-west-2.compute.amazonaws.com"), OriginDomainKind::Other);
        assert_eq!(classify_origin_domain("ec2-1-2-3-4.example.com"), OriginDomainKind::Other);
        assert_eq!(classify_origin_domain("203.0.113.7"), OriginDomainKind::IpLiteral([203, 0, 113, 7].into()));
    }

    #[test]
    fn s3_and_other_names() {
        assert_eq!(classify_origin_domain("bucket.s3.amazonaws.com"), OriginDomainKind::S3);
        assert_eq!(classify_origin_domain("bucket.s3.eu-west-1.amazonaws.com"), OriginDomainKind::S3);
        assert_eq!(classify_origin_domain("app.example.com"), OriginDomainKind::Other);
    }
}
