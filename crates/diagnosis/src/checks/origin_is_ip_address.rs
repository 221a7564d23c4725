//! `origin-is-ip-address`: the origin is named by an IP address, or by a wildcard-DNS service
//! name that maps to one (nip.io, sslip.io).
//!
//! CloudFront refuses an IP address as a custom origin (`InvalidArgument: The parameter origin
//! name cannot be an IP address.`), so such a configuration never deploys. The usual workaround,
//! a `*.nip.io`/`*.sslip.io` name, deploys but almost never has a certificate CloudFront accepts,
//! so HTTPS to the origin fails with 502.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html>

use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::Fix;
use crate::evidence::{Evidence, OriginProtocolPolicy};

pub static META: CheckMeta = CheckMeta {
    id: "origin-is-ip-address",
    title: "Origin is an IP address or an IP-in-DNS name",
    what_breaks: "The distribution change is rejected (IP address), or HTTPS to the origin fails with 502 (nip.io/sslip.io names have no certificate CloudFront trusts).",
    why: "CloudFront custom origins must be DNS names that resolve publicly; an IP address is rejected by the API, and the origin certificate must match the name CloudFront sends.",
    evidence_used: &["Origins.Items[].DomainName", "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy"],
    fix: "Give the origin a DNS name you own (an A record to an Elastic IP, or the load balancer's name) with a certificate that covers it.",
    fix_kinds: &[super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

const IP_DNS_SERVICES: &[&str] = &[".nip.io", ".sslip.io", ".xip.io", ".traefik.me", ".localtest.me"];

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in &d.origins {
        let Some(custom) = o.custom() else { continue };
        let name = o.domain_name.trim_end_matches('.').to_ascii_lowercase();
        let field = format!("Origins[Id={}].DomainName", o.id);
        let is_ip = name.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok();
        let service = IP_DNS_SERVICES.iter().find(|s| name.ends_with(*s));
        let uses_https = custom.protocol_policy != OriginProtocolPolicy::HttpOnly;
        let (severity, summary) = if is_ip {
            (
                Severity::Critical,
                format!("Origin {} is the IP address {name}; CloudFront rejects IP addresses as origins.", o.id),
            )
        } else if let (Some(service), true) = (service, uses_https) {
            (
                Severity::Medium,
                format!(
                    "Origin {} uses the IP-in-DNS name {name} ({}) over HTTPS; such names rarely have a certificate CloudFront trusts.",
                    o.id,
                    service.trim_start_matches('.')
                ),
            )
        } else {
            continue;
        };
        out.push(
            META.finding(severity, if is_ip { Confidence::High } else { Confidence::Medium })
                .summary(summary)
                .evidence([EvidenceItem::new(Source::Config, field.clone(), &o.domain_name)
                    .expected("a DNS name you own, publicly resolvable")])
                .remediation(Remediation {
                    fix: Fix::manual(
                        "the DNS name to use is one the owner creates (with a certificate for it); no such name is in the evidence",
                    ),
                    summary: format!("Set {field} to a DNS name you own (e.g. origin.example.com → the origin's Elastic IP or load balancer), with a certificate covering it."),
                    steps: vec!["Create the DNS record first, then the certificate (ACM on a load balancer, a public CA on EC2), then change the origin.".into()],
                    cli: vec![format!("aws cloudfront get-distribution-config --id {} > dist.json", d.id)],
                })
                .resource("distribution", &d.id)
                .resource("origin", &o.id),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, OriginResource};
    use crate::testing::*;

    fn ev(domain: &str, policy: OriginProtocolPolicy) -> Evidence {
        evidence(custom_origin("o1", domain, policy), Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }))
    }

    #[test]
    fn ip_addresses_and_ip_dns_names_over_https_are_flagged() {
        let out = run(&ev("203.0.113.9", OriginProtocolPolicy::HttpOnly));
        assert_eq!(out.findings[0].severity, Severity::Critical);
        let out = run(&ev("203-0-113-9.sslip.io", OriginProtocolPolicy::HttpsOnly));
        assert_eq!(out.findings[0].severity, Severity::Medium);
    }

    #[test]
    fn ordinary_names_and_plain_http_ip_dns_names_are_not() {
        assert!(run(&ev("origin.example.com", OriginProtocolPolicy::HttpsOnly)).findings.is_empty());
        assert!(run(&ev("203.0.113.9.nip.io", OriginProtocolPolicy::HttpOnly)).findings.is_empty());
    }
}
