//! `sg-rule-quota-prevented-prefix-list`: the CloudFront prefix list does not fit in the
//! security group's rule quota, so the rule that should admit CloudFront is missing.
//!
//! A rule that references a prefix list counts as that list's `MaxEntries` rules against the
//! security group quota (60 inbound rules by default); CloudFront's origin-facing list weighs
//! 55. A group that already holds other rules, or references the list on two ports, exceeds
//! the quota: the API refuses the rule (`RulesPerSecurityGroupLimitExceeded`), infrastructure
//! code fails or skips it, and CloudFront's connections time out (504).
//!
//! Docs: <https://docs.aws.amazon.com/vpc/latest/userguide/managed-prefix-lists.html#managed-prefix-lists-weight>

use super::net_common::{Family, SgContext, net_origins, network_of, sg_admission, sg_context};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix};
use crate::evidence::{Evidence, PrefixList, SecurityGroup};

pub static META: CheckMeta = CheckMeta {
    id: "sg-rule-quota-prevented-prefix-list",
    title: "CloudFront prefix list does not fit in the security group's rule quota",
    what_breaks: "The rule admitting CloudFront could not be added (RulesPerSecurityGroupLimitExceeded), so CloudFront's connections are dropped: 504.",
    why: "A prefix-list reference counts as the list's MaxEntries (55 for CloudFront's origin-facing list) against the default quota of 60 inbound rules per security group; the group's other rules leave no room for it.",
    evidence_used: &[
        "ec2:DescribeSecurityGroups inbound rules of the origin's groups",
        "ec2:DescribeManagedPrefixLists MaxEntries of the CloudFront and referenced lists",
    ],
    fix: "Put the CloudFront prefix-list rule in a security group of its own (one rule with a port range covering both ports if needed), or raise the rules-per-group quota.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/vpc/latest/userguide/managed-prefix-lists.html#managed-prefix-lists-weight",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
};

/// The default quota of inbound rules per security group.
const DEFAULT_QUOTA: usize = 60;
/// The weight of CloudFront's origin-facing list when its MaxEntries is unknown.
const CLOUDFRONT_WEIGHT: usize = 55;

/// The inbound rule weight of a group: one per CIDR and group source, a list's MaxEntries per
/// prefix-list source.
fn weight(g: &SecurityGroup, lists: &[&PrefixList]) -> usize {
    g.ingress
        .iter()
        .map(|r| {
            r.ipv4_ranges.len()
                + r.ipv6_ranges.len()
                + r.group_ids.len()
                + r.prefix_list_ids
                    .iter()
                    .map(|id| {
                        lists
                            .iter()
                            .find(|p| &p.prefix_list_id == id)
                            .and_then(|p| p.max_entries)
                            .map_or(CLOUDFRONT_WEIGHT, |m| usize::try_from(m).unwrap_or(CLOUDFRONT_WEIGHT))
                    })
                    .sum::<usize>()
        })
        .sum()
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in net_origins(ev) {
        let Ok(Some(net)) = network_of(&o) else {
            continue;
        };
        let Some(SgContext { groups, cf, cf_missing: None, lists: referenced, .. }) = sg_context(ev, &o, net) else {
            continue;
        };
        // Only where CloudFront is actually left out on a port it uses.
        let blocked: Vec<u16> = o
            .connections(ev)
            .iter()
            .map(|(_, p)| *p)
            .filter(|p| !sg_admission(groups, *p, &cf, referenced, Family::V4).admits_all())
            .collect();
        if blocked.is_empty() {
            continue;
        }
        let mut lists: Vec<&PrefixList> = referenced.iter().collect();
        lists.extend(cf.v4);
        let cf_weight =
            cf.v4.and_then(|p| p.max_entries).and_then(|m| usize::try_from(m).ok()).unwrap_or(CLOUDFRONT_WEIGHT);
        // The group whose room is largest is where the rule would go; if even it cannot hold it, no group can.
        let Some((g, w)) = groups.iter().map(|g| (g, weight(g, &lists))).min_by_key(|(_, w)| *w) else {
            continue;
        };
        if w + cf_weight <= DEFAULT_QUOTA {
            continue;
        }
        let b = META.finding(Severity::High, Confidence::Medium)
            .summary(format!(
                "Security group {} already weighs {w} of the default {DEFAULT_QUOTA} inbound rules, so the CloudFront prefix list (weight {cf_weight}) cannot be added for tcp {}: CloudFront is left out.",
                g.group_id,
                blocked.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
            ))
            .evidence([
                EvidenceItem::new(
                    Source::Network,
                    format!("security group {} inbound rules", g.group_id),
                    format!("{} rules weighing {w}", g.ingress.len()),
                )
                .expected(format!("at most {} so the CloudFront list fits", DEFAULT_QUOTA - cf_weight)),
            ])
            .remediation(Remediation {
                fix: Fix::changes([Change::Other {
                    what: format!(
                        "attach a separate security group holding the CloudFront rule next to {}, or raise the rules-per-security-group quota",
                        g.group_id
                    ),
                }]),
                summary: format!(
                    "Create a separate security group for the CloudFront rule (tcp {} from {}) and attach it next to {}, or ask for a higher rules-per-security-group quota.",
                    blocked.iter().map(u16::to_string).collect::<Vec<_>>().join(","),
                    cf.v4_id().unwrap_or("<pl-id>"),
                    g.group_id
                ),
                steps: vec!["One rule with a port range (e.g. 80-443) weighs 55 once instead of twice.".into()],
                cli: vec!["aws service-quotas get-service-quota --service-code vpc --quota-code L-0EA8095F".into()],
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id)
            .resource("security-group", &g.group_id);
        out.push(b);
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
    fn a_full_group_without_cloudfront_is_flagged() {
        let cidrs: Vec<String> = (0..10).map(|i| format!("198.51.{i}.0/24")).collect();
        let refs: Vec<&str> = cidrs.iter().map(String::as_str).collect();
        let out = run(&ev(vec![sg_rule_cidr(22, 22, &refs)]));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("weighs 10"));
    }

    #[test]
    fn room_left_or_cloudfront_already_admitted_is_no_finding() {
        assert!(run(&ev(vec![sg_rule_cidr(22, 22, &["198.51.100.0/24"])])).findings.is_empty());
        let cidrs: Vec<String> = (0..10).map(|i| format!("198.51.{i}.0/24")).collect();
        let mut rules = vec![sg_rule_cidr(22, 22, &cidrs.iter().map(String::as_str).collect::<Vec<_>>())];
        rules.push(sg_rule_cidr(443, 443, &["0.0.0.0/0"]));
        assert!(run(&ev(rules)).findings.is_empty());
    }
}
