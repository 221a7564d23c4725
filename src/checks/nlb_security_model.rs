//! `nlb-security-model`: behind a network load balancer without security groups, the targets'
//! security groups do not admit CloudFront.
//!
//! An NLB created without security groups filters nothing: with client IP preservation (on by
//! default for instance targets) the targets see CloudFront's own addresses, so the targets'
//! security groups must admit CloudFront's origin-facing prefix list on the target port. Groups
//! written for the VPC CIDR (right when preservation is off, when targets see the NLB's private
//! addresses) drop CloudFront's connections and viewers get 504. An NLB with security groups is
//! evaluated like an ALB by `sg-blocks-cloudfront`.
//!
//! Docs: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>

use super::net_common::{
    Admission, CfLists, cloudfront_lists, describe_rules, edge_gateway_error, net_origins, network_of, sg_admission,
};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, FindingBuilder, Remediation, Severity, Source};
use crate::evidence::{CLOUDFRONT_PREFIX_LIST_V4, Evidence, Fetch, OriginResource};

pub static META: CheckMeta = CheckMeta {
    id: "nlb-security-model",
    title: "NLB targets' security groups do not admit CloudFront (NLB without security groups)",
    what_breaks: "CloudFront's connections through the network load balancer are dropped at the targets: viewers get 504.",
    why: "A network load balancer without security groups passes CloudFront's source addresses through to its targets (client IP preservation), so the targets' security groups, not the load balancer's, must admit CloudFront's origin-facing prefix list on the target port.",
    evidence_used: &[
        "elasticloadbalancing:DescribeLoadBalancers SecurityGroups (none)",
        "elasticloadbalancing:DescribeTargetGroupAttributes preserve_client_ip.enabled",
        "elasticloadbalancing:DescribeTargetHealth and ec2:DescribeInstances of the targets",
        "ec2:DescribeSecurityGroups of the targets",
    ],
    fix: "Allow the CloudFront prefix list on the target port in the targets' security groups (or recreate the NLB with a security group that admits CloudFront and let the targets admit that group).",
    docs_url: "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html",
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in net_origins(ev) {
        let Ok(Some(net)) = network_of(&o) else {
            continue;
        };
        let Some(OriginResource::LoadBalancer(lb)) = o.inv.resource.value() else {
            continue;
        };
        if lb.lb_type != "network" || !lb.security_groups.is_empty() || net.entry != "targets" {
            continue;
        }
        let groups = match &net.security_groups {
            Fetch::Fetched { value } => value,
            other => {
                out.unverified(
                    &META,
                    format!("whether the targets of network load balancer {} admit CloudFront", lb.name),
                    other.missing_reason().unwrap_or_default(),
                );
                continue;
            }
        };
        let Some(tgs) = lb.target_groups.value() else {
            out.unverified(
                &META,
                format!("the target groups of {}", lb.name),
                lb.target_groups.missing_reason().unwrap_or_default(),
            );
            continue;
        };
        let cf = cloudfront_lists(ev, o.inv.region.as_deref()).unwrap_or(CfLists { v4: None, v6: None });
        let referenced: &[crate::evidence::PrefixList] =
            net.referenced_prefix_lists.value().map(Vec::as_slice).unwrap_or(&[]);
        let mut blocked: Vec<(String, u16, String)> = Vec::new(); // (target group, port, preserve)
        for tg in tgs.iter().filter(|tg| tg.target_type == "instance") {
            let preserve = tg
                .attributes
                .value()
                .and_then(|a| a.get("preserve_client_ip.enabled").cloned())
                .unwrap_or_else(|| "true (default for instance targets)".into());
            if preserve.starts_with("false") {
                continue;
            }
            let mut ports: Vec<u16> = tg.health.value().into_iter().flatten().filter_map(|h| h.port).collect();
            if ports.is_empty() {
                ports.extend(tg.port);
            }
            ports.sort_unstable();
            ports.dedup();
            for port in ports {
                match sg_admission(groups, port, &cf, referenced) {
                    Admission::Blocked => blocked.push((tg.name.clone(), port, preserve.clone())),
                    Admission::Unknown(reason) => out.unverified(
                        &META,
                        format!("whether {}'s targets admit CloudFront on tcp {port}", lb.name),
                        reason,
                    ),
                    _ => {}
                }
            }
        }
        if blocked.is_empty() {
            continue;
        }
        let pl_id = cf.v4_id().unwrap_or("<pl-id of com.amazonaws.global.cloudfront.origin-facing>").to_string();
        let mut evidence = vec![
            EvidenceItem::new(
                Source::Config,
                format!("Origins[Id={}].CustomOriginConfig.OriginProtocolPolicy", o.origin.id),
                format!(
                    "{} → CloudFront connects to {} on {}",
                    o.custom.protocol_policy.as_api(),
                    lb.name,
                    o.connections(ev)
                        .iter()
                        .map(|(s, p)| format!("{}:{p}", s.as_str()))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            ),
            EvidenceItem::new(Source::Network, format!("network load balancer {} SecurityGroups", lb.name), "none")
                .expected("none is fine if the targets' groups admit CloudFront"),
        ];
        for (tg, port, preserve) in &blocked {
            evidence.push(EvidenceItem::new(
                Source::Network,
                format!("target group {tg} preserve_client_ip.enabled"),
                format!("{preserve}: the targets see CloudFront's addresses on tcp {port}"),
            ));
            evidence.push(
                EvidenceItem::new(Source::Network, "targets' security groups", describe_rules(groups, *port))
                    .expected(format!("an inbound rule tcp {port} from {pl_id} ({CLOUDFRONT_PREFIX_LIST_V4})")),
            );
        }
        let seen = edge_gateway_error(ev);
        if let Some((subject, what)) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()));
        }
        let group = net.security_group_ids.first().cloned().unwrap_or_else(|| "<target-sg>".into());
        let port = blocked[0].1;
        let mut b = FindingBuilder::new(&META, Severity::Critical, Confidence::High)
            .summary(format!(
                "Network load balancer {} has no security groups, so its targets see CloudFront's addresses, but the targets' groups ({}) do not admit CloudFront on tcp {port}.",
                lb.name,
                net.security_group_ids.join(", ")
            ))
            .observed(seen.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!("Add an inbound rule to {group}: tcp {port} from prefix list {pl_id} ({CLOUDFRONT_PREFIX_LIST_V4})."),
                steps: vec![
                    "Security groups cannot be added to an NLB created without them; to filter at the NLB, create a new NLB with a group that admits CloudFront.".into(),
                ],
                cli: vec![format!(
                    "aws ec2 authorize-security-group-ingress --group-id {group} --ip-permissions 'IpProtocol=tcp,FromPort={port},ToPort={port},PrefixListIds=[{{PrefixListId={pl_id}}}]'"
                )],
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id)
            .resource("load-balancer", &lb.arn);
        for g in &net.security_group_ids {
            b = b.resource("security-group", g);
        }
        out.push(&META, b.build());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{OriginProtocolPolicy, TargetGroup, TargetHealth};
    use crate::testing::*;

    fn ev(target_rules: Vec<crate::evidence::SgRule>, preserve: Option<&str>) -> Evidence {
        let mut lb = load_balancer("net-1.us-east-1.elb.amazonaws.com", vec![listener(80, "TCP", forward())]);
        if let OriginResource::LoadBalancer(l) = &mut lb {
            l.lb_type = "network".into();
            l.security_groups = vec![];
            let mut attrs = std::collections::BTreeMap::new();
            if let Some(p) = preserve {
                attrs.insert("preserve_client_ip.enabled".to_string(), p.to_string());
            }
            l.target_groups = Fetch::fetched(vec![TargetGroup {
                arn: "arn:tg/1".into(),
                name: "tg-1".into(),
                protocol: "TCP".into(),
                port: Some(8080),
                target_type: "instance".into(),
                vpc_id: None,
                health_check_protocol: None,
                health_check_port: None,
                health_check_path: None,
                attributes: Fetch::fetched(attrs),
                health: Fetch::fetched(vec![TargetHealth {
                    target_id: "i-1".into(),
                    port: Some(8080),
                    state: "healthy".into(),
                    reason: None,
                    description: None,
                }]),
            }]);
        }
        let path = network_path("targets", vec![security_group("sg-target", target_rules)]);
        network_evidence(OriginProtocolPolicy::HttpOnly, lb, path)
    }

    #[test]
    fn targets_admitting_only_the_vpc_are_blocked_when_client_ip_is_preserved() {
        let out = run(&ev(vec![sg_rule_cidr(8080, 8080, &["10.0.0.0/16"])], None));
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert!(f.summary.contains("tcp 8080"));
        assert!(f.remediation.cli[0].contains("sg-target"));
    }

    #[test]
    fn targets_admitting_the_prefix_list_pass_and_preservation_off_is_not_this_failure() {
        assert!(run(&ev(vec![sg_rule_prefix_list(8080, 8080, CF_PREFIX_LIST)], None)).findings.is_empty());
        assert!(run(&ev(vec![sg_rule_cidr(8080, 8080, &["10.0.0.0/16"])], Some("false"))).findings.is_empty());
    }

    #[test]
    fn unreadable_target_groups_are_unverified() {
        let mut e = ev(vec![], None);
        e.inventory.origins[0].network.as_mut().unwrap().security_groups =
            Fetch::Denied { action: "ec2:DescribeInstances".into(), message: "x".into() };
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("ec2:DescribeInstances")));
    }
}
