//! `sg-blocks-cloudfront`: the security groups in front of the origin do not admit CloudFront
//! on the port CloudFront connects to.
//!
//! CloudFront connects to a custom origin from its origin-facing address ranges, on `HTTPPort`
//! or `HTTPSPort` as the origin protocol policy says. The security groups that see those
//! connections (an ALB's, an instance's, an NLB's when it has groups) drop every packet no rule
//! admits, so CloudFront's connection attempts time out and viewers get a 504 after
//! `ConnectionAttempts × ConnectionTimeout`, while a test from an office address that is
//! allowed works. A rule admits CloudFront when its protocol and port range cover the port and
//! its source is the managed prefix list `com.amazonaws.global.cloudfront.origin-facing`,
//! `0.0.0.0/0`, or CIDRs that together cover every entry of that list. NLBs without security
//! groups are left to `nlb-security-model`; CIDR sets covering only part of the list to
//! `stale-or-partial-cloudfront-ip-allowlist`.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html>

use super::cloudfront_view::{self, OriginFailure};
use super::net_common::{
    Admission, Family, NetOrigin, describe_rules, edge_gateway_error, group_only_sources, net_origins, network_of,
    origin_answered, sg_context,
};
use super::{
    CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, FindingBuilder, Remediation, Severity, Source,
    SymptomClass,
};
use crate::evidence::{CLOUDFRONT_PREFIX_LIST_V4, Evidence, Fetch, OriginResource};
use crate::fix::{Change, Fix, NetworkChange, RuleSource};

pub static META: CheckMeta = CheckMeta {
    id: "sg-blocks-cloudfront",
    title: "Origin security group does not admit CloudFront",
    what_breaks: "CloudFront cannot open a connection to the origin: viewers get 504 Gateway Timeout (or 502) while the origin works when tested directly.",
    why: "The security groups that see CloudFront's connections (the ALB's, the instance's, or an NLB's) have no inbound rule for the origin port from CloudFront's origin-facing addresses, so the SYN packets are dropped and every connection attempt times out.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy, HTTPPort, HTTPSPort",
        "ec2:DescribeSecurityGroups of the load balancer or instance",
        "com.amazonaws.global.cloudfront.origin-facing prefix list and its entries",
        "probes: a CloudFront 504/502 through the distribution while the origin answers directly",
        "CloudFront's access logs: failed connects to the origin (x-edge-detailed-result-type), also when the security groups could not be read",
    ],
    fix: "Add an inbound rule for the origin port from the managed prefix list com.amazonaws.global.cloudfront.origin-facing to the security group in front of the origin.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in net_origins(ev) {
        let net = match network_of(&o) {
            Ok(Some(n)) => n,
            Ok(None) => continue,
            Err(reason) => {
                if !matches!(o.inv.resource, Fetch::NotApplicable { .. }) {
                    if let Some(b) = refused_while_unread(ev, &o, &reason) {
                        out.push(b);
                    }
                    out.unverified(
                        &META,
                        format!("whether the security groups of origin {} admit CloudFront", o.origin.id),
                        reason,
                    );
                }
                continue;
            }
        };
        if net.entry == "targets" || net.security_group_ids.is_empty() {
            continue;
        }
        let Some(sg) = sg_context(ev, &o, net) else {
            let reason = net.security_groups.missing_reason().unwrap_or_default();
            if let Some(b) = refused_while_unread(ev, &o, &reason) {
                out.push(b.resource("security-group", net.security_group_ids.join(",")));
            }
            out.unverified(
                &META,
                format!(
                    "whether security groups {} of origin {} admit CloudFront",
                    net.security_group_ids.join(", "),
                    o.origin.id
                ),
                net.security_groups.missing_reason().unwrap_or_default(),
            );
            continue;
        };
        let (groups, cf) = (sg.groups, &sg.cf);
        let connections = o.connections(ev);
        let mut blocked = Vec::new();
        for (scheme, port) in &connections {
            match sg.admission(*port, Family::V4) {
                Admission::Blocked => blocked.push((*scheme, *port)),
                Admission::Unknown(reason) => out.unverified(
                    &META,
                    format!("whether origin {}'s security groups admit CloudFront on tcp {port}", o.origin.id),
                    reason,
                ),
                _ => {}
            }
        }
        if blocked.is_empty() {
            continue;
        }
        let all_blocked = blocked.len() == connections.len();
        let pl_id = cf.v4_id().unwrap_or("<pl-id of com.amazonaws.global.cloudfront.origin-facing>").to_string();
        let field = format!("Origins[Id={}].CustomOriginConfig", o.origin.id);
        let mut evidence = vec![EvidenceItem::new(
            Source::Config,
            format!("{field}.OriginProtocolPolicy"),
            format!(
                "{} → CloudFront connects on {}",
                o.custom.protocol_policy.as_api(),
                connections.iter().map(|(s, p)| format!("{}:{p}", s.as_str())).collect::<Vec<_>>().join(" and ")
            ),
        )];
        let mut group_only = Vec::new();
        for (_, port) in &blocked {
            evidence.push(
                EvidenceItem::new(
                    Source::Network,
                    format!("security groups of {} ({})", o.origin.id, net.entry),
                    describe_rules(net, groups, *port),
                )
                .expected(format!("an inbound rule tcp {port} from {pl_id} ({CLOUDFRONT_PREFIX_LIST_V4})")),
            );
            for note in group_only_sources(net, groups, *port) {
                evidence.push(
                    EvidenceItem::new(Source::Network, format!("security-group sources on tcp {port}"), note.clone())
                        .expected("CloudFront's addresses are in no security group: a group source never admits them"),
                );
                group_only.push(note);
            }
        }
        let observed = edge_gateway_error(ev);
        if let Some((subject, what)) = &observed {
            evidence
                .push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()).expected("the origin's answer"));
        }
        for (_, port) in &blocked {
            if let Some((subject, what)) = origin_answered(ev, &o.origin.id, *port) {
                evidence.push(EvidenceItem::new(Source::Probe, subject, what));
            }
        }
        let target_group = net.security_group_ids[0].clone();
        let ports: Vec<String> = blocked.iter().map(|(_, p)| p.to_string()).collect();
        // One rule per blocked port, from the prefix list read in the origin's region.
        let fix = match cf.v4_id() {
            Some(pl) => Fix::changes(blocked.iter().map(|(_, p)| {
                Change::Network(NetworkChange::SecurityGroupIngress {
                    group_id: target_group.clone(),
                    region: o.inv.region.clone(),
                    port_from: *p,
                    port_to: *p,
                    source: RuleSource::PrefixList { prefix_list_id: pl.to_string() },
                })
            })),
            None => Fix::manual(format!(
                "the id of {CLOUDFRONT_PREFIX_LIST_V4} in the origin's region was not read, so the rule cannot be written"
            )),
        };
        let cli = if fix.is_typed() {
            fix.cli(d)
        } else {
            blocked
                .iter()
                .map(|(_, p)| {
                    format!(
                        "aws ec2 authorize-security-group-ingress --group-id {target_group} --ip-permissions 'IpProtocol=tcp,FromPort={p},ToPort={p},PrefixListIds=[{{PrefixListId={pl_id}}}]'"
                    )
                })
                .collect()
        };
        let mut b = META.finding(if all_blocked { Severity::Critical } else { Severity::High }, Confidence::High)
            .summary(format!(
                "No inbound rule of {} admits CloudFront on tcp {} for origin {}: CloudFront's connections are dropped{}.{}",
                net.security_group_ids.join(", "),
                ports.join(" and "),
                o.origin.id,
                if all_blocked { "" } else { " for one of the two protocols match-viewer uses" },
                if group_only.is_empty() {
                    String::new()
                } else {
                    format!(" {} (a security-group source never matches CloudFront's addresses).", group_only.join("; "))
                }
            ))
            .observed(observed.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!(
                    "Add an inbound rule to {target_group}: tcp {} from prefix list {pl_id} ({CLOUDFRONT_PREFIX_LIST_V4}).",
                    ports.join(",")
                ),
                steps: vec![
                    "The CloudFront prefix list weighs 55 rules against the security group quota (60 by default); one rule with a port range saves room.".into(),
                    "Prefer the prefix list to a hand-kept CIDR list: CloudFront's ranges change.".into(),
                ],
                cli,
                fix,
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id);
        for g in &net.security_group_ids {
            b = b.resource("security-group", g);
        }
        match o.inv.resource.value() {
            Some(OriginResource::LoadBalancer(lb)) => b = b.resource("load-balancer", &lb.arn),
            Some(OriginResource::Ec2Instance(i)) => b = b.resource("instance", &i.instance_id),
            _ => {}
        }
        out.push(b);
    }
    out
}

/// CloudFront's own logs show it failing to connect to the origin while the prober connects to
/// the same ports, and the configuration that would name the culprit could not be read: the
/// path from CloudFront's addresses is refused (a security group first, then a network ACL or a
/// host firewall), which no probe from another address can show.
fn refused_while_unread(ev: &Evidence, o: &NetOrigin<'_>, unread: &str) -> Option<FindingBuilder> {
    let (logs, failure) = cloudfront_view::origin_failure(ev, o.origin, OriginFailure::Connect, None)?;
    let answered: Vec<(u16, (String, String))> = o
        .connections(ev)
        .iter()
        .filter_map(|(_, port)| origin_answered(ev, &o.origin.id, *port).map(|a| (*port, a)))
        .collect();
    let ports: Vec<String> = answered.iter().map(|(p, _)| p.to_string()).collect();
    if answered.is_empty() {
        return None;
    }
    let mut evidence = vec![cloudfront_view::evidence_item(ev, logs, failure)];
    evidence.extend(answered.into_iter().map(|(_, (subject, what))| EvidenceItem::new(Source::Probe, subject, what)));
    evidence.push(
        EvidenceItem::new(Source::Network, format!("security groups of {}", o.origin.id), unread.to_string())
            .expected("read to name the group and rule"),
    );
    let d = &ev.inventory.distribution;
    Some(
        META.finding(Severity::High, Confidence::Medium)
            .summary(format!(
                "CloudFront's logs show {} of {} requests failing to connect to origin {} ({} {}), while this prober connects to it on tcp {}: CloudFront's addresses are refused on the way, most likely by a security group that does not admit {CLOUDFRONT_PREFIX_LIST_V4} (else a network ACL or a host firewall). The security groups could not be read ({unread}).",
                cloudfront_view::thousands(failure.count),
                cloudfront_view::thousands(logs.requests),
                o.origin.id,
                failure.status,
                failure.detailed_result_type,
                ports.join(" and ")
            ))
            .observed(true)
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!(
                    "Admit the prefix list {CLOUDFRONT_PREFIX_LIST_V4} on tcp {} in the security groups in front of origin {} (then the network ACLs and the host firewall).",
                    ports.join(","),
                    o.origin.id
                ),
                steps: vec![
                    "Grant the read that failed (named above) and run again to name the group and rule.".into(),
                    "Look at the inbound rules of the load balancer's or instance's security groups for the origin port.".into(),
                ],
                cli: vec![],
                fix: Fix::manual(format!(
                    "the security groups could not be read ({unread}): the group and rule to change are known only once the read is granted"
                )),
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{OriginProtocolPolicy, ProbeTarget, RedirectOutcome, Scheme};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn ev_with(policy: OriginProtocolPolicy, rules: Vec<crate::evidence::SgRule>) -> Evidence {
        let lb = load_balancer(ALB, vec![listener(443, "HTTPS", forward()), listener(80, "HTTP", forward())]);
        network_evidence(policy, lb, network_path("load-balancer", vec![security_group("sg-0123", rules)]))
    }

    #[test]
    fn no_rule_on_the_origin_port_is_critical_and_names_the_group_and_prefix_list() {
        let mut ev = ev_with(OriginProtocolPolicy::HttpsOnly, vec![sg_rule_cidr(22, 22, &["0.0.0.0/0"])]);
        add_edge_error(&mut ev, 504);
        ev.observations.probes.push(probe(
            "origin:o1:https:/",
            ProbeTarget::Origin {
                origin_id: "o1".into(),
                behavior: "default".into(),
                scheme: Scheme::Https,
                port: 443,
                host_header: ALB.into(),
            },
            vec![hop(&format!("https://{ALB}/"), crate::evidence::HopResult::Response(response(200, &[])))],
            RedirectOutcome::Final,
        ));
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.observed);
        assert!(f.resources.iter().any(|r| r.kind == "security-group" && r.id == "sg-0123"));
        assert!(f.remediation.cli[0].contains(CF_PREFIX_LIST) && f.remediation.cli[0].contains("FromPort=443"));
        let sources: Vec<Source> = f.evidence.iter().map(|e| e.source).collect();
        assert!(
            sources.contains(&Source::Config) && sources.contains(&Source::Network) && sources.contains(&Source::Probe)
        );
    }

    #[test]
    fn prefix_list_on_the_wrong_port_blocks_http_only() {
        let out = run(&ev_with(OriginProtocolPolicy::HttpOnly, vec![sg_rule_prefix_list(443, 443, CF_PREFIX_LIST)]));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("tcp 80"));
    }

    #[test]
    fn match_viewer_with_one_port_open_is_high_not_critical() {
        let mut ev = ev_with(OriginProtocolPolicy::MatchViewer, vec![sg_rule_prefix_list(443, 443, CF_PREFIX_LIST)]);
        assert!(run(&ev).findings.is_empty(), "HTTPS-only viewers never make CloudFront use port 80");
        ev.inventory.distribution.default_behavior.viewer_protocol_policy =
            crate::evidence::ViewerProtocolPolicy::AllowAll;
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
    }

    #[test]
    fn prefix_list_world_or_a_covering_cidr_set_admit_cloudfront() {
        for rules in [
            vec![sg_rule_prefix_list(443, 443, CF_PREFIX_LIST)],
            vec![sg_rule_cidr(0, 65535, &["0.0.0.0/0"])],
            vec![
                sg_rule_cidr(443, 443, &["130.176.0.0/17", "15.158.0.0/15"]),
                sg_rule_cidr(400, 500, &["64.252.0.0/16", "70.132.0.0/18"]),
            ],
            vec![crate::evidence::SgRule {
                ip_protocol: "-1".into(),
                prefix_list_ids: vec![CF_PREFIX_LIST.into()],
                ..Default::default()
            }],
        ] {
            let out = run(&ev_with(OriginProtocolPolicy::HttpsOnly, rules.clone()));
            assert!(out.findings.is_empty(), "{rules:?} should admit CloudFront: {:?}", out.findings);
            assert!(out.unverified.is_empty());
        }
    }

    #[test]
    fn a_partial_cidr_allowlist_is_left_to_the_stale_allowlist_check() {
        let out = run(&ev_with(OriginProtocolPolicy::HttpsOnly, vec![sg_rule_cidr(443, 443, &["130.176.0.0/18"])]));
        assert!(out.findings.is_empty());
    }

    #[test]
    fn a_denied_security_group_read_is_unverified_naming_the_action() {
        let mut ev = ev_with(OriginProtocolPolicy::HttpsOnly, vec![]);
        ev.inventory.origins[0].network.as_mut().unwrap().security_groups =
            Fetch::Denied { action: "ec2:DescribeSecurityGroups".into(), message: "denied".into() };
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("ec2:DescribeSecurityGroups")));
    }

    #[test]
    fn an_unreadable_prefix_list_with_cidr_rules_cannot_be_decided() {
        let mut ev = ev_with(OriginProtocolPolicy::HttpsOnly, vec![sg_rule_cidr(443, 443, &["130.176.0.0/18"])]);
        ev.inventory.cloudfront_prefix_lists[0].lists =
            Fetch::Denied { action: "ec2:DescribeManagedPrefixLists".into(), message: "denied".into() };
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert!(
            out.unverified.iter().any(|u| u.reason.contains("ec2:DescribeManagedPrefixLists")),
            "{:?}",
            out.unverified
        );
    }

    #[test]
    fn an_ec2_instance_group_is_evaluated_too() {
        let path = network_path(
            "instance",
            vec![security_group("sg-0inst", vec![sg_rule_cidr(443, 443, &["203.0.113.0/24"])])],
        );
        let out = run(&network_evidence(
            OriginProtocolPolicy::HttpsOnly,
            ec2_instance("i-0abc", Some("54.1.2.3"), &["sg-0inst"]),
            path,
        ));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].resources.iter().any(|r| r.kind == "instance" && r.id == "i-0abc"));
    }

    #[test]
    fn a_rule_admitting_only_another_group_is_blocked_and_names_the_group() {
        let mut ev = ev_with(
            OriginProtocolPolicy::HttpsOnly,
            vec![crate::evidence::SgRule { group_ids: vec!["sg-0web".into()], ..sg_rule_cidr(443, 443, &[]) }],
        );
        let net = ev.inventory.origins[0].network.as_mut().unwrap();
        net.referenced_groups = Fetch::fetched(vec![crate::evidence::SecurityGroup {
            group_name: "web-tier".into(),
            ..security_group("sg-0web", vec![])
        }]);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert!(f.summary.contains("sg-0123 admits only sg-0web (web-tier) on tcp 443"), "{}", f.summary);
        assert!(f.evidence.iter().any(|e| e.observed.contains("group sg-0web (web-tier)")), "{f:#?}");
    }
}
