//! `ipv6-origin-not-allowed`: CloudFront is set to reach the origin over IPv6 (or dual-stack)
//! but the origin does not accept CloudFront over IPv6.
//!
//! With `CustomOriginConfig.IpAddressType` `ipv6` CloudFront connects only over IPv6; with
//! `dualstack` it may use either. An origin whose load balancer is IPv4-only, or whose security
//! groups admit only the IPv4 origin-facing prefix list and not
//! `com.amazonaws.global.ipv6.cloudfront.origin-facing` (nor `::/0`), drops those connections:
//! always-504 for `ipv6`, intermittent 504 for `dualstack`.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginIPAddressType>

use super::net_common::{cloudfront_lists, net_origins, network_of};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, FindingBuilder, Remediation, Severity, Source};
use crate::evidence::{CLOUDFRONT_PREFIX_LIST_V6, Evidence, Fetch, OriginResource};

pub static META: CheckMeta = CheckMeta {
    id: "ipv6-origin-not-allowed",
    title: "CloudFront reaches the origin over IPv6, which the origin does not accept",
    what_breaks: "CloudFront's IPv6 connections to the origin fail: 504 always (IpAddressType ipv6) or intermittently (dualstack).",
    why: "The origin's IpAddressType lets CloudFront connect over IPv6, but the load balancer has no IPv6 address or its security groups admit CloudFront only over IPv4.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.IpAddressType",
        "elasticloadbalancing:DescribeLoadBalancers IpAddressType",
        "ec2:DescribeSecurityGroups IPv6 sources (::/0 or the IPv6 CloudFront prefix list)",
    ],
    fix: "Set IpAddressType to ipv4, or make the origin dual-stack and admit com.amazonaws.global.ipv6.cloudfront.origin-facing in its security groups.",
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginIPAddressType",
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in net_origins(ev) {
        let mode = o.custom.ip_address_type.as_deref().unwrap_or("ipv4");
        if mode == "ipv4" {
            continue;
        }
        let Ok(Some(net)) = network_of(&o) else {
            continue;
        };
        let mut evidence = vec![EvidenceItem::new(
            Source::Config,
            format!("Origins[Id={}].CustomOriginConfig.IpAddressType", o.origin.id),
            mode,
        )];
        if let Some(OriginResource::LoadBalancer(lb)) = o.inv.resource.value() {
            if lb.ip_address_type == "ipv4" {
                evidence.push(
                    EvidenceItem::new(Source::Network, format!("load balancer {} IpAddressType", lb.name), "ipv4")
                        .expected("dualstack"),
                );
            }
        }
        let v6_list =
            cloudfront_lists(ev, o.inv.region.as_deref()).ok().and_then(|c| c.v6.map(|p| p.prefix_list_id.clone()));
        match &net.security_groups {
            Fetch::Fetched { value: groups } if !net.security_group_ids.is_empty() => {
                for (_, port) in o.connections(ev) {
                    let admits = groups.iter().flat_map(|g| &g.ingress).filter(|r| r.covers_tcp_port(port)).any(|r| {
                        r.ipv6_ranges.iter().any(|c| c.trim() == "::/0")
                            || v6_list.as_ref().is_some_and(|id| r.prefix_list_ids.contains(id))
                    });
                    if !admits {
                        evidence.push(
                            EvidenceItem::new(
                                Source::Network,
                                format!("security groups {}", net.security_group_ids.join(", ")),
                                format!("no IPv6 source admits tcp {port}"),
                            )
                            .expected(format!("::/0 or prefix list {CLOUDFRONT_PREFIX_LIST_V6}")),
                        );
                    }
                }
            }
            Fetch::Fetched { .. } => {}
            other => out.unverified(
                &META,
                format!("whether origin {} admits CloudFront over IPv6", o.origin.id),
                other.missing_reason().unwrap_or_default(),
            ),
        }
        if evidence.len() == 1 {
            continue;
        }
        let severity = if mode == "ipv6" { Severity::Critical } else { Severity::Medium };
        let b = FindingBuilder::new(&META, severity, Confidence::Medium)
            .summary(format!(
                "Origin {} has IpAddressType {mode}, but it does not accept CloudFront over IPv6{}.",
                o.origin.id,
                if mode == "dualstack" { " (connections that CloudFront makes over IPv6 fail)" } else { "" }
            ))
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!("Set Origins[Id={}].CustomOriginConfig.IpAddressType to ipv4.", o.origin.id),
                steps: vec![format!(
                    "Or make the load balancer dual-stack and admit the prefix list {CLOUDFRONT_PREFIX_LIST_V6} on the origin port."
                )],
                cli: vec![],
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id);
        out.push(&META, b.build());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{OriginKind, OriginProtocolPolicy};
    use crate::testing::*;

    fn ev(mode: Option<&str>, rules: Vec<crate::evidence::SgRule>) -> Evidence {
        let lb = load_balancer("app-1.us-east-1.elb.amazonaws.com", vec![listener(443, "HTTPS", forward())]);
        let mut e = network_evidence(
            OriginProtocolPolicy::HttpsOnly,
            lb,
            network_path("load-balancer", vec![security_group("sg-1", rules)]),
        );
        if let OriginKind::Custom(c) = &mut e.inventory.distribution.origins[0].kind {
            c.ip_address_type = mode.map(str::to_string);
        }
        e
    }

    #[test]
    fn ipv6_to_an_ipv4_only_origin_is_critical() {
        let out = run(&ev(Some("ipv6"), vec![sg_rule_prefix_list(443, 443, CF_PREFIX_LIST)]));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        let out = run(&ev(Some("dualstack"), vec![sg_rule_prefix_list(443, 443, CF_PREFIX_LIST)]));
        assert_eq!(out.findings[0].severity, Severity::Medium);
    }

    #[test]
    fn ipv4_or_an_origin_open_to_ipv6_passes() {
        assert!(run(&ev(None, vec![])).findings.is_empty());
        let mut e = ev(
            Some("dualstack"),
            vec![crate::evidence::SgRule {
                ip_protocol: "tcp".into(),
                from_port: Some(443),
                to_port: Some(443),
                ipv6_ranges: vec!["::/0".into()],
                ..Default::default()
            }],
        );
        if let Some(OriginResource::LoadBalancer(lb)) = e.inventory.origins[0].resource.value().cloned().as_mut() {
            lb.ip_address_type = "dualstack".into();
            e.inventory.origins[0].resource = Fetch::fetched(OriginResource::LoadBalancer(lb.clone()));
        }
        assert!(run(&e).findings.is_empty());
    }
}
