//! `vpc-origin-sg`: the security groups of a VPC origin's endpoint (internal ALB, NLB or EC2
//! instance) do not admit CloudFront's VPC-origin network interfaces.
//!
//! With a VPC origin, CloudFront reaches the private endpoint through service-managed network
//! interfaces in the VPC whose security group is `CloudFront-VPCOrigins-Service-SG`. The
//! endpoint's groups must admit that group (or CloudFront's origin-facing prefix list) on the
//! port CloudFront uses; rules written for the VPC CIDR or an office range do not match, the
//! connections are dropped and viewers get 504.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html>

use super::net_common::{describe_rules, edge_gateway_error};
use super::vpc_common::{VpcOriginView, vpc_origins};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::Fix;
use crate::evidence::{
    CLOUDFRONT_PREFIX_LIST_V4, CLOUDFRONT_PREFIX_LIST_V6, Evidence, Fetch, SecurityGroup, VPC_ORIGINS_SERVICE_SG,
};

pub static META: CheckMeta = CheckMeta {
    id: "vpc-origin-sg",
    title: "VPC origin's security groups do not admit CloudFront's VPC-origin service group",
    what_breaks: "CloudFront's connections to the private origin are dropped: viewers get 504.",
    why: "CloudFront reaches a VPC origin from service-managed network interfaces in the security group CloudFront-VPCOrigins-Service-SG; the endpoint's security groups must admit that group (or the CloudFront origin-facing prefix list) on the port CloudFront uses. VPC-CIDR rules do not match it.",
    evidence_used: &[
        "Origins.Items[].VpcOriginConfig.VpcOriginId and cloudfront:GetVpcOrigin (endpoint ARN, ports, protocol policy)",
        "ec2:DescribeSecurityGroups of the endpoint's groups and of the groups their rules reference",
        "ec2:DescribeManagedPrefixLists of the prefix lists their rules reference",
    ],
    fix: "Add an inbound rule to the endpoint's security group for the port CloudFront uses, with source CloudFront-VPCOrigins-Service-SG (or the com.amazonaws.global.cloudfront.origin-facing prefix list).",
    fix_kinds: &[super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
};

/// How the endpoint's groups treat CloudFront on one port.
enum Verdict {
    Admitted,
    Blocked,
    /// Rules reference groups whose names could not be read.
    Unknown(String),
}

fn admission(v: &VpcOriginView<'_>, groups: &[SecurityGroup], port: u16) -> Verdict {
    let (referenced, unknown_groups) = match &v.facts.referenced_groups {
        Fetch::Fetched { value } => (value.as_slice(), None),
        other => (&[][..], other.missing_reason()),
    };
    let service: Vec<&str> = referenced
        .iter()
        .filter(|g| g.group_name.starts_with(VPC_ORIGINS_SERVICE_SG))
        .map(|g| g.group_id.as_str())
        .collect();
    let cf_lists: Vec<&str> = v
        .network
        .referenced_prefix_lists
        .value()
        .into_iter()
        .flatten()
        .filter(|p| p.prefix_list_name == CLOUDFRONT_PREFIX_LIST_V4 || p.prefix_list_name == CLOUDFRONT_PREFIX_LIST_V6)
        .map(|p| p.prefix_list_id.as_str())
        .collect();
    let rules: Vec<_> = groups.iter().flat_map(|g| &g.ingress).filter(|r| r.covers_tcp_port(port)).collect();
    let admitted = rules.iter().any(|r| {
        r.group_ids.iter().any(|g| service.contains(&g.as_str()))
            || r.prefix_list_ids.iter().any(|p| cf_lists.contains(&p.as_str()))
            || r.ipv4_ranges.iter().any(|c| c.trim() == "0.0.0.0/0")
    });
    if admitted {
        return Verdict::Admitted;
    }
    let own: Vec<&str> = groups.iter().map(|g| g.group_id.as_str()).collect();
    let unnamed = rules.iter().any(|r| r.group_ids.iter().any(|g| !own.contains(&g.as_str())));
    match unknown_groups {
        Some(reason) if unnamed => Verdict::Unknown(reason),
        _ => Verdict::Blocked,
    }
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    for v in vpc_origins(ev, &mut out, &META) {
        let groups = match &v.network.security_groups {
            Fetch::Fetched { value } => value,
            other => {
                out.unverified(
                    &META,
                    format!("whether VPC origin {}'s security groups admit CloudFront", v.origin.id),
                    other.missing_reason().unwrap_or_default(),
                );
                continue;
            }
        };
        // An NLB without security groups is not a supported VPC origin: the other check says so.
        if groups.is_empty() {
            continue;
        }
        let connections = v.connections(ev);
        let mut blocked = Vec::new();
        for (_, port) in &connections {
            match admission(&v, groups, *port) {
                Verdict::Admitted => {}
                Verdict::Blocked => blocked.push(*port),
                Verdict::Unknown(reason) => out.unverified(
                    &META,
                    format!("whether the groups referenced by VPC origin {}'s rules are CloudFront's", v.origin.id),
                    reason,
                ),
            }
        }
        if blocked.is_empty() {
            continue;
        }
        let mut evidence = vec![EvidenceItem::new(
            Source::Config,
            format!("VpcOrigin {} VpcOriginEndpointConfig", v.vpc.id),
            format!(
                "{} → CloudFront connects to {} on {}",
                v.vpc.protocol_policy.as_api(),
                v.vpc.endpoint_arn,
                connections.iter().map(|(s, p)| format!("{}:{p}", s.as_str())).collect::<Vec<_>>().join(" and ")
            ),
        )];
        for port in &blocked {
            evidence.push(
                EvidenceItem::new(
                    Source::Network,
                    format!("security groups of VPC origin {} ({})", v.origin.id, v.network.entry),
                    describe_rules(v.network, groups, *port),
                )
                .expected(format!(
                    "an inbound rule tcp {port} from {VPC_ORIGINS_SERVICE_SG} (or {CLOUDFRONT_PREFIX_LIST_V4})"
                )),
            );
        }
        let observed = edge_gateway_error(ev);
        if let Some((subject, what)) = &observed {
            evidence
                .push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()).expected("the origin's answer"));
        }
        let group = v.network.security_group_ids.first().cloned().unwrap_or_default();
        let ports: Vec<String> = blocked.iter().map(u16::to_string).collect();
        let b = META.finding(if observed.is_some() { Severity::Critical } else { Severity::High },
            Confidence::High,
        )
        .summary(format!(
            "No inbound rule of {} admits {VPC_ORIGINS_SERVICE_SG} or CloudFront's prefix list on tcp {} for VPC origin {}: CloudFront's connections are dropped (504).",
            v.network.security_group_ids.join(", "),
            ports.join(" and "),
            v.origin.id
        ))
        .observed(observed.is_some())
        .evidence(evidence)
        .remediation(Remediation {
            fix: Fix::manual(format!(
                "the id of {VPC_ORIGINS_SERVICE_SG}, the source the rule needs, is not in the evidence"
            )),
            summary: format!(
                "Allow tcp {} in {group} from {VPC_ORIGINS_SERVICE_SG} (the group CloudFront created in VPC {}).",
                ports.join(" and "),
                v.network.vpc_id.as_deref().unwrap_or("of the origin")
            ),
            steps: vec![
                "Find the service group's id: it is created with the first VPC origin of the VPC; do not edit it.".into(),
                "Rules for the VPC CIDR do not match: CloudFront's interfaces are identified by their group.".into(),
            ],
            cli: blocked
                .iter()
                .map(|port| {
                    format!(
                        "aws ec2 authorize-security-group-ingress --group-id {group} --protocol tcp --port {port} --source-group $(aws ec2 describe-security-groups --filters Name=group-name,Values={VPC_ORIGINS_SERVICE_SG} Name=vpc-id,Values={} --query 'SecurityGroups[0].GroupId' --output text)",
                        v.network.vpc_id.as_deref().unwrap_or("<vpc-id>")
                    )
                })
                .collect(),
        })
        .resource("vpc-origin", &v.vpc.id)
        .resource("security-group", group);
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    fn service_group() -> SecurityGroup {
        let mut g = security_group("sg-cfvpc", vec![]);
        g.group_name = VPC_ORIGINS_SERVICE_SG.into();
        g
    }

    fn sg_rule_group(port: i32, group: &str) -> crate::evidence::SgRule {
        let mut r = sg_rule_cidr(port, port, &[]);
        r.group_ids = vec![group.into()];
        r
    }

    #[test]
    fn a_group_admitting_only_the_vpc_cidr_blocks_cloudfront() {
        let ev = vpc_evidence(vec![security_group("sg-alb", vec![sg_rule_cidr(443, 443, &["10.0.0.0/16"])])], vec![]);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1, "{out:?}");
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::High);
        assert!(f.summary.contains("tcp 443") && f.summary.contains("sg-alb"), "{}", f.summary);
        assert!(f.evidence.iter().any(|e| e.source == Source::Network && e.observed.contains("10.0.0.0/16")));
    }

    #[test]
    fn the_service_group_or_the_prefix_list_admits_cloudfront() {
        let ev =
            vpc_evidence(vec![security_group("sg-alb", vec![sg_rule_group(443, "sg-cfvpc")])], vec![service_group()]);
        let out = run(&ev);
        assert!(out.findings.is_empty() && out.unverified.is_empty(), "{out:?}");
        let mut ev = vpc_evidence(vec![security_group("sg-alb", vec![sg_rule_prefix_list(443, 443, "pl-cf")])], vec![]);
        let mut pl = cloudfront_prefix_lists("us-east-1").lists.value().unwrap()[0].clone();
        pl.prefix_list_id = "pl-cf".into();
        ev.inventory.origins[0].network.as_mut().unwrap().referenced_prefix_lists = Fetch::fetched(vec![pl]);
        assert!(run(&ev).findings.is_empty());
    }

    #[test]
    fn a_group_reference_whose_name_could_not_be_read_is_unverified_not_blocked() {
        let mut ev = vpc_evidence(vec![security_group("sg-alb", vec![sg_rule_group(443, "sg-other")])], vec![]);
        ev.inventory.origins[0].vpc_origin.as_mut().unwrap().referenced_groups =
            Fetch::Denied { action: "ec2:DescribeSecurityGroups".into(), message: "no".into() };
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("ec2:DescribeSecurityGroups")), "{out:?}");
    }

    #[test]
    fn a_denied_vpc_origin_read_is_named_in_unverified() {
        let mut ev = vpc_evidence(vec![security_group("sg-alb", vec![])], vec![]);
        ev.inventory.origins[0].vpc_origin.as_mut().unwrap().vpc_origin =
            Fetch::Denied { action: "cloudfront:GetVpcOrigin".into(), message: "no".into() };
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("cloudfront:GetVpcOrigin")), "{out:?}");
    }
}
