//! `ipv6-origin-not-allowed`: CloudFront is set to reach the origin over IPv6 (or dual-stack)
//! but the origin does not accept CloudFront over IPv6.
//!
//! With `CustomOriginConfig.IpAddressType` `ipv6` CloudFront connects only over IPv6; with
//! `dualstack` it may use either. An origin whose load balancer is IPv4-only, or whose security
//! groups admit only the IPv4 origin-facing prefix list and not
//! `com.amazonaws.global.ipv6.cloudfront.origin-facing` (nor `::/0`), drops those connections:
//! always-504 for `ipv6`, intermittent 504 for `dualstack`. Network ACL entries for IPv6
//! (`Ipv6CidrBlock`) are evaluated in rule order apart from the IPv4 ones. Where the IPv6
//! origin-facing list could not be read and only IPv6 CIDRs or other lists might admit
//! CloudFront, the check says it could not verify rather than guess.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginIPAddressType>

use super::net_common::{
    Admission, Family, acl_problems, acl_samples, describe_rules, net_origins, network_of, sg_context,
};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, ConfigChange, Fix};
use crate::evidence::{CLOUDFRONT_PREFIX_LIST_V6, Evidence, Fetch, OriginResource};

pub static META: CheckMeta = CheckMeta {
    id: "ipv6-origin-not-allowed",
    title: "CloudFront reaches the origin over IPv6, which the origin does not accept",
    what_breaks: "CloudFront's IPv6 connections to the origin fail: 504 always (IpAddressType ipv6) or intermittently (dualstack).",
    why: "The origin's IpAddressType lets CloudFront connect over IPv6, but the load balancer has no IPv6 address or its security groups admit CloudFront only over IPv4.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.IpAddressType",
        "elasticloadbalancing:DescribeLoadBalancers IpAddressType",
        "ec2:DescribeSecurityGroups IPv6 sources (::/0, the IPv6 CloudFront prefix list, IPv6 CIDRs covering its entries)",
        "ec2:DescribeNetworkAcls IPv6 entries of the origin's subnets",
    ],
    fix: "Set IpAddressType to ipv4, or make the origin dual-stack and admit com.amazonaws.global.ipv6.cloudfront.origin-facing in its security groups.",
    fix_kinds: &[super::FixKind::Typed],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginIPAddressType",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
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
        let mut acl_ids: Vec<String> = Vec::new();
        if let Some(OriginResource::LoadBalancer(lb)) = o.inv.resource.value() {
            if lb.ip_address_type == "ipv4" {
                evidence.push(
                    EvidenceItem::new(Source::Network, format!("load balancer {} IpAddressType", lb.name), "ipv4")
                        .expected("dualstack"),
                );
            }
        }
        match sg_context(ev, &o, net) {
            Some(sg) if !net.security_group_ids.is_empty() => {
                for (_, port) in o.connections(ev) {
                    let observed = match sg.admission(port, Family::V6) {
                        Admission::Blocked => format!("no IPv6 source admits tcp {port}"),
                        Admission::Partial { covered, total, missing } => format!(
                            "IPv6 CIDRs on tcp {port} cover {covered} of {total} entries of {CLOUDFRONT_PREFIX_LIST_V6}; missing {}",
                            missing.join(", ")
                        ),
                        Admission::Unknown(reason) => {
                            out.unverified(
                                &META,
                                format!(
                                    "whether origin {}'s security groups admit CloudFront over IPv6 on tcp {port}",
                                    o.origin.id
                                ),
                                reason,
                            );
                            continue;
                        }
                        _ => continue,
                    };
                    evidence.push(
                        EvidenceItem::new(
                            Source::Network,
                            format!("security groups {}", net.security_group_ids.join(", ")),
                            format!("{observed}: {}", describe_rules(net, sg.groups, port)),
                        )
                        .expected(format!("::/0 or prefix list {CLOUDFRONT_PREFIX_LIST_V6}")),
                    );
                }
            }
            Some(_) => {}
            None => out.unverified(
                &META,
                format!("whether origin {} admits CloudFront over IPv6", o.origin.id),
                net.security_groups.missing_reason().unwrap_or_default(),
            ),
        }
        // Network ACLs: IPv6 entries are evaluated apart from IPv4 ones, in rule order.
        match &net.network_acls {
            Fetch::Fetched { .. } => {
                let samples = acl_samples(ev, o.inv.region.as_deref(), Family::V6);
                for subnet in &net.subnet_ids {
                    let Some(acl) = net.acl_for_subnet(subnet) else {
                        continue; // nacl-blocks says the subnet's ACL is unknown
                    };
                    for (_, port) in o.connections(ev) {
                        for (subject, observed, expected) in acl_problems(acl, subnet, &samples, port) {
                            evidence.push(EvidenceItem::new(Source::Network, subject, observed).expected(expected));
                            if !acl_ids.contains(&acl.network_acl_id) {
                                acl_ids.push(acl.network_acl_id.clone());
                            }
                        }
                    }
                }
            }
            Fetch::NotApplicable { .. } => {}
            other => out.unverified(
                &META,
                format!("whether the network ACLs of origin {}'s subnets admit CloudFront over IPv6", o.origin.id),
                other.missing_reason().unwrap_or_default(),
            ),
        }
        if evidence.len() == 1 {
            continue;
        }
        let severity = if mode == "ipv6" { Severity::Critical } else { Severity::Medium };
        let b = META.finding(severity, Confidence::Medium)
            .summary(format!(
                "Origin {} has IpAddressType {mode}, but it does not accept CloudFront over IPv6{}.",
                o.origin.id,
                if mode == "dualstack" { " (connections that CloudFront makes over IPv6 fail)" } else { "" }
            ))
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Config(ConfigChange::OriginIpAddressType {
                    origin_id: o.origin.id.clone(),
                    value: "ipv4".into(),
                })]),
                summary: format!("Set Origins[Id={}].CustomOriginConfig.IpAddressType to ipv4.", o.origin.id),
                steps: std::iter::once(format!(
                    "Or make the load balancer dual-stack and admit the prefix list {CLOUDFRONT_PREFIX_LIST_V6} on the origin port."
                ))
                .chain(acl_ids.iter().map(|a| {
                    format!("In network ACL {a}, allow tcp on the origin port from ::/0 and tcp 1024-65535 to ::/0 (IPv6 entries), below any IPv6 deny that matches.")
                }))
                .collect(),
                cli: vec![],
            }.exact(d))
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id);
        let mut b = b;
        for a in &acl_ids {
            b = b.resource("network-acl", a);
        }
        out.push(b);
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

    fn dualstack(mut e: Evidence) -> Evidence {
        if let Some(OriginResource::LoadBalancer(lb)) = e.inventory.origins[0].resource.value().cloned().as_mut() {
            lb.ip_address_type = "dualstack".into();
            e.inventory.origins[0].resource = Fetch::fetched(OriginResource::LoadBalancer(lb.clone()));
        }
        e
    }

    fn v6_rule(cidrs: &[&str]) -> crate::evidence::SgRule {
        crate::evidence::SgRule {
            ipv6_ranges: cidrs.iter().map(|s| s.to_string()).collect(),
            ..sg_rule_cidr(443, 443, &[])
        }
    }

    #[test]
    fn an_ipv6_acl_deny_blocks_a_dual_stack_origin_open_to_ipv6() {
        let mut e = dualstack(ev(Some("ipv6"), vec![v6_rule(&["::/0"])]));
        let mut acl = open_nacl(&["subnet-0a", "subnet-0b"]);
        acl.entries.push(nacl_entry_v6(20, false, false, "2600:9000::/28", Some((443, 443))));
        e.inventory.origins[0].network.as_mut().unwrap().network_acls = Fetch::fetched(vec![acl]);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(
            f.evidence.iter().any(|ev| ev.subject.contains("inbound") && ev.observed.contains("rule 20")),
            "{f:#?}"
        );
        assert!(f.resources.iter().any(|r| r.kind == "network-acl"));
    }

    #[test]
    fn ipv6_cidrs_without_the_ipv6_list_are_unverified_not_guessed() {
        // The fixtures, like the emulator, have no IPv6 origin-facing list.
        let out = run(&dualstack(ev(Some("dualstack"), vec![v6_rule(&["2600:9000::/28"])])));
        assert!(out.findings.is_empty(), "{:?}", out.findings);
        assert!(out.unverified.iter().any(|u| u.reason.contains(CLOUDFRONT_PREFIX_LIST_V6)), "{:?}", out.unverified);
    }

    #[test]
    fn ipv6_cidrs_covering_the_ipv6_list_pass_and_half_of_it_does_not() {
        let with_v6_list = |rules| {
            let mut e = dualstack(ev(Some("dualstack"), rules));
            if let Fetch::Fetched { value } = &mut e.inventory.cloudfront_prefix_lists[0].lists {
                value.push(crate::evidence::PrefixList {
                    prefix_list_id: "pl-0cf6".into(),
                    prefix_list_name: CLOUDFRONT_PREFIX_LIST_V6.into(),
                    address_family: "IPv6".into(),
                    owner_id: "AWS".into(),
                    max_entries: Some(55),
                    entries: Fetch::fetched(vec!["2600:9000:1000::/36".into(), "2600:9000:2000::/36".into()]),
                });
            }
            e
        };
        let out = run(&with_v6_list(vec![v6_rule(&["2600:9000::/28"])]));
        assert!(out.findings.is_empty() && out.unverified.is_empty(), "{out:?}");
        let out = run(&with_v6_list(vec![v6_rule(&["2600:9000:1000::/36"])]));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].evidence.iter().any(|e| e.observed.contains("cover 1 of 2")), "{:?}", out.findings);
    }
}
