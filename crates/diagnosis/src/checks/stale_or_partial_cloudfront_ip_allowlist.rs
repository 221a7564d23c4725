//! `stale-or-partial-cloudfront-ip-allowlist`: the security groups admit CloudFront through a
//! hand-kept list of CIDRs that misses some of CloudFront's current origin-facing ranges.
//!
//! CloudFront connects from any of its origin-facing ranges, which change over time. An
//! allowlist copied from `ip-ranges.json` once (or only part of it) admits the edge locations
//! it covers and drops the others: some viewers, some of the time, get 504s, and it gets worse
//! as ranges are added. The managed prefix list `com.amazonaws.global.cloudfront.origin-facing`
//! stays current by itself.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html>

use super::net_common::{Admission, Family, SgContext, net_origins, network_of, sg_context};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, NetworkChange, RuleSource};
use crate::evidence::{CLOUDFRONT_PREFIX_LIST_V4, Evidence};

pub static META: CheckMeta = CheckMeta {
    id: "stale-or-partial-cloudfront-ip-allowlist",
    title: "Security group admits only part of CloudFront's address ranges",
    what_breaks: "Some CloudFront edge locations cannot connect to the origin: intermittent 504s for some viewers, growing as CloudFront adds ranges.",
    why: "The security group admits CloudFront through a static list of CIDRs that covers only some entries of the current origin-facing prefix list.",
    evidence_used: &[
        "ec2:DescribeSecurityGroups CIDR rules on the origin port",
        "ec2:GetManagedPrefixListEntries of com.amazonaws.global.cloudfront.origin-facing",
    ],
    fix: "Replace the CIDR rules with one rule referencing the managed prefix list com.amazonaws.global.cloudfront.origin-facing.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in net_origins(ev) {
        let Ok(Some(net)) = network_of(&o) else {
            continue;
        };
        // sg-blocks-cloudfront reports unreadable groups and lists.
        let Some(sg @ SgContext { cf_missing: None, .. }) = sg_context(ev, &o, net) else {
            continue;
        };
        let cf = &sg.cf;
        for (_, port) in o.connections(ev) {
            let Admission::Partial { covered, total, missing } = sg.admission(port, Family::V4) else {
                continue;
            };
            let pl = cf.v4_id().unwrap_or("<pl-id>").to_string();
            let group = net.security_group_ids.first().cloned().unwrap_or_default();
            let shown: Vec<String> = missing.iter().take(8).cloned().collect();
            let mut b = META.finding(Severity::High, Confidence::High)
                .summary(format!(
                    "The security groups of origin {} admit only {covered} of CloudFront's {total} origin-facing ranges on tcp {port}: connections from the other edge locations are dropped.",
                    o.origin.id
                ))
                .evidence([
                    EvidenceItem::new(
                        Source::Network,
                        format!("security groups {} on tcp {port}", net.security_group_ids.join(", ")),
                        format!(
                            "CIDR rules cover {covered}/{total} entries; missing: {}{}",
                            shown.join(", "),
                            if missing.len() > shown.len() { ", …" } else { "" }
                        ),
                    )
                    .expected(format!("a rule from prefix list {pl} ({CLOUDFRONT_PREFIX_LIST_V4})")),
                ])
                .remediation(Remediation {
                    fix: match cf.v4_id() {
                        Some(id) if !group.is_empty() => Fix::changes([Change::Network(NetworkChange::SecurityGroupIngress {
                            group_id: group.clone(),
                            region: o.inv.region.clone(),
                            port_from: port,
                            port_to: port,
                            source: RuleSource::PrefixList { prefix_list_id: id.to_string() },
                        })]),
                        _ => Fix::manual(format!(
                            "the id of {CLOUDFRONT_PREFIX_LIST_V4} in the origin's region or the group was not read, so the rule cannot be written"
                        )),
                    },
                    summary: format!(
                        "Replace the CIDR rules for tcp {port} in {group} with one rule from prefix list {pl} ({CLOUDFRONT_PREFIX_LIST_V4})."
                    ),
                    steps: vec!["Remove the hand-kept CIDR rules afterwards: the prefix list stays current.".into()],
                    cli: vec![format!(
                        "aws ec2 authorize-security-group-ingress --group-id {group} --ip-permissions 'IpProtocol=tcp,FromPort={port},ToPort={port},PrefixListIds=[{{PrefixListId={pl}}}]'"
                    )],
                }.exact(d))
                .resource("distribution", &d.id)
                .resource("origin", &o.origin.id);
            for g in &net.security_group_ids {
                b = b.resource("security-group", g);
            }
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::OriginProtocolPolicy;
    use crate::testing::*;

    fn ev(rules: Vec<crate::evidence::SgRule>) -> Evidence {
        alb_with_rules(OriginProtocolPolicy::HttpsOnly, rules)
    }

    #[test]
    fn an_allowlist_missing_ranges_names_them() {
        let out = run(&ev(vec![sg_rule_cidr(443, 443, &["130.176.0.0/18", "15.158.0.0/16"])]));
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert!(f.summary.contains("2 of CloudFront's 4"));
        assert!(f.evidence[0].observed.contains("64.252.64.0/18") && f.evidence[0].observed.contains("70.132.0.0/18"));
    }

    #[test]
    fn complete_lists_prefix_list_or_nothing_at_all_are_not_this_finding() {
        let all: Vec<&str> = CF_ENTRIES.to_vec();
        assert!(run(&ev(vec![sg_rule_cidr(443, 443, &all)])).findings.is_empty());
        assert!(run(&ev(vec![sg_rule_prefix_list(443, 443, CF_PREFIX_LIST)])).findings.is_empty());
        assert!(run(&ev(vec![sg_rule_cidr(443, 443, &["203.0.113.0/24"])])).findings.is_empty());
    }
}
