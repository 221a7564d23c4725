//! `nlb-security-model`: behind a network load balancer without security groups, the targets'
//! security groups do not admit CloudFront.
//!
//! An NLB created without security groups filters nothing: with client IP preservation (on by
//! default for instance targets) the targets see CloudFront's own addresses, so the targets'
//! security groups must admit CloudFront's origin-facing prefix list on the target port. Groups
//! written for the VPC CIDR (right when preservation is off, when targets see the NLB's private
//! addresses) drop CloudFront's connections and viewers get 504. `ip` targets see CloudFront's
//! addresses only with preservation on (off by default over TCP/TLS); their groups are those of
//! the network interface holding the address. Each target is evaluated with its own groups. An
//! NLB with security groups is evaluated like an ALB by `sg-blocks-cloudfront`.
//!
//! Docs: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html>

use super::net_common::{Admission, Family, describe_rules, edge_gateway_error, net_origins, network_of, sg_context};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, NetworkChange, RuleSource};
use crate::evidence::{CLOUDFRONT_PREFIX_LIST_V4, Evidence, Fetch, OriginResource, SecurityGroup, TargetGroup};

pub static META: CheckMeta = CheckMeta {
    id: "nlb-security-model",
    title: "NLB targets' security groups do not admit CloudFront (NLB without security groups)",
    what_breaks: "CloudFront's connections through the network load balancer are dropped at the targets: viewers get 504.",
    why: "A network load balancer without security groups passes CloudFront's source addresses through to its targets (client IP preservation), so the targets' security groups, not the load balancer's, must admit CloudFront's origin-facing prefix list on the target port.",
    evidence_used: &[
        "elasticloadbalancing:DescribeLoadBalancers SecurityGroups (none)",
        "elasticloadbalancing:DescribeTargetGroupAttributes preserve_client_ip.enabled",
        "elasticloadbalancing:DescribeTargetHealth, ec2:DescribeInstances (instance targets) and ec2:DescribeNetworkInterfaces (ip targets)",
        "ec2:DescribeSecurityGroups of the targets",
    ],
    fix: "Allow the CloudFront prefix list on the target port in the targets' security groups (or recreate the NLB with a security group that admits CloudFront and let the targets admit that group).",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
};

/// One target whose groups do not admit CloudFront.
struct BlockedTarget {
    target_group: String,
    preserve: String,
    target: String,
    port: u16,
    groups: Vec<String>,
    rules: String,
}

/// Whether the targets of `tg` see CloudFront's addresses: `preserve_client_ip.enabled`, whose
/// default is on for instance targets and for ip targets over UDP, off for ip targets over
/// TCP/TLS (those see the load balancer's private addresses).
fn preservation(tg: &TargetGroup) -> (bool, String) {
    if let Some(v) = tg.attributes.value().and_then(|a| a.get("preserve_client_ip.enabled")) {
        return (!v.eq_ignore_ascii_case("false"), v.clone());
    }
    let on = tg.target_type == "instance" || matches!(tg.protocol.as_str(), "UDP" | "TCP_UDP");
    (on, format!("{on} (default for {} targets over {})", tg.target_type, tg.protocol))
}

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
        let Some(sg) = sg_context(ev, &o, net) else {
            out.unverified(
                &META,
                format!("whether the targets of network load balancer {} admit CloudFront", lb.name),
                net.security_groups.missing_reason().unwrap_or_default(),
            );
            continue;
        };
        let Some(tgs) = lb.target_groups.value() else {
            out.unverified(
                &META,
                format!("the target groups of {}", lb.name),
                lb.target_groups.missing_reason().unwrap_or_default(),
            );
            continue;
        };
        let mut blocked: Vec<BlockedTarget> = Vec::new();
        for tg in tgs.iter().filter(|tg| matches!(tg.target_type.as_str(), "instance" | "ip")) {
            let (on, preserve) = preservation(tg);
            if !on {
                continue;
            }
            // (target, port, its groups); evidence recorded before per-target groups were kept
            // evaluates the targets' groups together.
            let mut targets: Vec<(String, u16, Fetch<Vec<String>>)> = Vec::new();
            if let Some(reason) = tg.health.missing_reason() {
                out.unverified(&META, format!("the targets of target group {} of {}", tg.name, lb.name), reason);
            }
            for h in tg.health.value().into_iter().flatten() {
                let Some(port) = h.port.or(tg.port) else {
                    continue;
                };
                let groups =
                    match net.targets.iter().find(|t| t.target_group_arn == tg.arn && t.target_id == h.target_id) {
                        Some(t) => t.security_groups.clone(),
                        None if net.targets.is_empty() => Fetch::fetched(net.security_group_ids.clone()),
                        None => continue,
                    };
                let name =
                    match net.targets.iter().find(|t| t.target_id == h.target_id && t.network_interface_id.is_some()) {
                        Some(t) => {
                            format!("{} ({})", h.target_id, t.network_interface_id.as_deref().unwrap_or_default())
                        }
                        None => h.target_id.clone(),
                    };
                targets.push((name, port, groups));
            }
            for (target, port, ids) in targets {
                let ids = match ids {
                    Fetch::Fetched { value } => value,
                    other => {
                        out.unverified(
                            &META,
                            format!("whether target {target} of {} admits CloudFront on tcp {port}", lb.name),
                            other.missing_reason().unwrap_or_default(),
                        );
                        continue;
                    }
                };
                let groups: Vec<SecurityGroup> =
                    sg.groups.iter().filter(|g| ids.contains(&g.group_id)).cloned().collect();
                match sg.admission_of(&groups, port, Family::V4) {
                    Admission::Blocked => blocked.push(BlockedTarget {
                        target_group: tg.name.clone(),
                        preserve: preserve.clone(),
                        rules: describe_rules(net, &groups, port),
                        target,
                        port,
                        groups: ids,
                    }),
                    Admission::Unknown(reason) => out.unverified(
                        &META,
                        format!("whether target {target} of {} admits CloudFront on tcp {port}", lb.name),
                        reason,
                    ),
                    _ => {}
                }
            }
        }
        if blocked.is_empty() {
            continue;
        }
        let pl_id = sg.cf.v4_id().unwrap_or("<pl-id of com.amazonaws.global.cloudfront.origin-facing>").to_string();
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
        let mut seen_groups = Vec::new();
        for b in &blocked {
            let key = format!("{}:{}", b.target_group, b.port);
            if !seen_groups.contains(&key) {
                evidence.push(EvidenceItem::new(
                    Source::Network,
                    format!("target group {} preserve_client_ip.enabled", b.target_group),
                    format!("{}: the targets see CloudFront's addresses on tcp {}", b.preserve, b.port),
                ));
                seen_groups.push(key);
            }
            evidence.push(
                EvidenceItem::new(Source::Network, format!("security groups of target {}", b.target), b.rules.clone())
                    .expected(format!("an inbound rule tcp {} from {pl_id} ({CLOUDFRONT_PREFIX_LIST_V4})", b.port)),
            );
        }
        let seen = edge_gateway_error(ev);
        if let Some((subject, what)) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()));
        }
        let first = &blocked[0];
        let group = first.groups.first().cloned().unwrap_or_else(|| "<target-sg>".into());
        let port = first.port;
        let mut b = META.finding(Severity::Critical, Confidence::High)
            .summary(format!(
                "Network load balancer {} has no security groups, so its targets see CloudFront's addresses, but the groups of {} do not admit CloudFront on tcp {port}.",
                lb.name,
                blocked
                    .iter()
                    .map(|b| format!("target {} ({})", b.target, if b.groups.is_empty() { "no groups".to_string() } else { b.groups.join(", ") }))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .observed(seen.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                fix: match (sg.cf.v4_id(), first.groups.first()) {
                    (Some(pl), Some(group)) => Fix::changes([Change::Network(NetworkChange::SecurityGroupIngress {
                        group_id: group.clone(),
                        region: o.inv.region.clone(),
                        port_from: port,
                        port_to: port,
                        source: RuleSource::PrefixList { prefix_list_id: pl.to_string() },
                    })]),
                    (None, _) => Fix::manual(format!(
                        "the id of {CLOUDFRONT_PREFIX_LIST_V4} in the origin's region was not read, so the rule cannot be written"
                    )),
                    (_, None) => Fix::manual("the target has no security group to add the rule to"),
                },
                summary: format!("Add an inbound rule to {group}: tcp {port} from prefix list {pl_id} ({CLOUDFRONT_PREFIX_LIST_V4})."),
                steps: vec![
                    "Security groups cannot be added to an NLB created without them; to filter at the NLB, create a new NLB with a group that admits CloudFront.".into(),
                ],
                cli: vec![format!(
                    "aws ec2 authorize-security-group-ingress --group-id {group} --ip-permissions 'IpProtocol=tcp,FromPort={port},ToPort={port},PrefixListIds=[{{PrefixListId={pl_id}}}]'"
                )],
            }.exact(d))
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id)
            .resource("load-balancer", &lb.arn);
        let mut listed: Vec<&String> = Vec::new();
        for g in blocked.iter().flat_map(|b| &b.groups) {
            if !listed.contains(&g) {
                b = b.resource("security-group", g);
                listed.push(g);
            }
        }
        out.push(b);
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

    /// An NLB whose one target group of `target_type` holds `targets` (id, its groups), each
    /// group admitting what `rules` says.
    fn ev_targets(
        target_type: &str,
        preserve: Option<&str>,
        targets: &[(&str, Fetch<Vec<String>>)],
        groups: Vec<crate::evidence::SecurityGroup>,
    ) -> Evidence {
        let mut e = ev(vec![], preserve);
        if let Some(OriginResource::LoadBalancer(lb)) = e.inventory.origins[0].resource.value().cloned().as_mut() {
            if let Fetch::Fetched { value } = &mut lb.target_groups {
                value[0].target_type = target_type.into();
                value[0].health = Fetch::fetched(
                    targets
                        .iter()
                        .map(|(id, _)| TargetHealth {
                            target_id: id.to_string(),
                            port: Some(8080),
                            state: "healthy".into(),
                            reason: None,
                            description: None,
                        })
                        .collect(),
                );
            }
            e.inventory.origins[0].resource = Fetch::fetched(OriginResource::LoadBalancer(lb.clone()));
        }
        let mut path = network_path("targets", groups);
        path.targets = targets
            .iter()
            .map(|(id, g)| crate::evidence::TargetNetwork {
                target_group_arn: "arn:tg/1".into(),
                target_id: id.to_string(),
                target_type: target_type.into(),
                network_interface_id: (target_type == "ip").then(|| format!("eni-{id}")),
                security_groups: g.clone(),
            })
            .collect();
        e.inventory.origins[0].network = Some(path);
        e
    }

    fn ids(v: &[&str]) -> Fetch<Vec<String>> {
        Fetch::fetched(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn ip_targets_are_judged_by_their_interface_groups_when_client_ip_is_preserved() {
        let groups = || vec![security_group("sg-vpc", vec![sg_rule_cidr(8080, 8080, &["10.0.0.0/16"])])];
        let out = run(&ev_targets("ip", Some("true"), &[("10.0.1.50", ids(&["sg-vpc"]))], groups()));
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert!(f.summary.contains("target 10.0.1.50 (eni-10.0.1.50) (sg-vpc)"), "{}", f.summary);
        assert!(f.resources.iter().any(|r| r.kind == "security-group" && r.id == "sg-vpc"));
        // Over TCP, ip targets see the NLB's own addresses unless preservation is turned on.
        let out = run(&ev_targets("ip", None, &[("10.0.1.50", ids(&["sg-vpc"]))], groups()));
        assert!(out.findings.is_empty() && out.unverified.is_empty(), "{out:?}");
    }

    #[test]
    fn each_target_is_evaluated_with_its_own_groups() {
        let groups = vec![
            security_group("sg-open", vec![sg_rule_prefix_list(8080, 8080, CF_PREFIX_LIST)]),
            security_group("sg-vpc", vec![sg_rule_cidr(8080, 8080, &["10.0.0.0/16"])]),
        ];
        let out =
            run(&ev_targets("instance", None, &[("i-ok", ids(&["sg-open"])), ("i-bad", ids(&["sg-vpc"]))], groups));
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert!(f.summary.contains("target i-bad (sg-vpc)") && !f.summary.contains("i-ok"), "{}", f.summary);
        assert!(!f.resources.iter().any(|r| r.id == "sg-open"));
    }

    #[test]
    fn an_ip_target_without_a_known_interface_is_unverified_not_passed() {
        let missing = Fetch::NotFound {
            action: "ec2:DescribeNetworkInterfaces".into(),
            message: "no network interface holds 192.168.9.9".into(),
        };
        let out = run(&ev_targets("ip", Some("true"), &[("192.168.9.9", missing)], vec![]));
        assert!(out.findings.is_empty());
        assert!(
            out.unverified
                .iter()
                .any(|u| u.what.contains("192.168.9.9") && u.reason.contains("DescribeNetworkInterfaces")),
            "{:?}",
            out.unverified
        );
    }
}
