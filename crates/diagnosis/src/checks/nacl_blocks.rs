//! `nacl-blocks`: a network ACL on the origin's subnets drops CloudFront's packets or the
//! origin's replies.
//!
//! Network ACLs are stateless and evaluated in rule-number order, first match wins, with a
//! final implicit deny. CloudFront's connections need an inbound allow for the origin port from
//! CloudFront's origin-facing ranges and an outbound allow for the replies to CloudFront's
//! ephemeral ports (1024-65535). When either is missing, or a lower-numbered deny matches first,
//! CloudFront's connection attempts time out and viewers get a 504, while a prober whose
//! address is allowed gets through.
//!
//! Docs: <https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html>

use super::net_common::{Family, acl_problems, acl_samples, edge_gateway_error, net_origins, network_of};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, NetworkChange};
use super::fix_support::acl_allow;
use crate::evidence::{Evidence, Fetch};

pub static META: CheckMeta = CheckMeta {
    id: "nacl-blocks",
    title: "Subnet network ACL blocks CloudFront or the replies to it",
    what_breaks: "CloudFront's connections to the origin time out: viewers get 504 Gateway Timeout.",
    why: "The network ACL of a subnet CloudFront's packets cross denies inbound traffic on the origin port from CloudFront's ranges, or outbound replies to ports 1024-65535 (ACLs are stateless, so replies need their own rule).",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy, HTTPPort, HTTPSPort",
        "ec2:DescribeNetworkAcls of the origin's VPC, for the load balancer's or instance's subnets",
        "CloudFront's origin-facing prefix list entries (the addresses evaluated)",
    ],
    fix: "Allow inbound tcp on the origin port from 0.0.0.0/0 (or CloudFront's ranges) and outbound tcp 1024-65535 to 0.0.0.0/0, with rule numbers below any deny that matches them.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html",
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
        let acls = match &net.network_acls {
            Fetch::Fetched { .. } => net,
            Fetch::NotApplicable { .. } => continue,
            other => {
                out.unverified(
                    &META,
                    format!("whether the network ACLs of origin {}'s subnets admit CloudFront", o.origin.id),
                    other.missing_reason().unwrap_or_default(),
                );
                continue;
            }
        };
        let samples = acl_samples(ev, o.inv.region.as_deref(), Family::V4);
        let connections = o.connections(ev);
        let mut problems: Vec<(String, String, String)> = Vec::new(); // (acl, observed, expected)
        let mut acl_ids = Vec::new();
        // (ACL, outbound, port): each direction of each ACL that drops CloudFront's traffic.
        let mut needs: Vec<(&crate::evidence::NetworkAcl, bool, u16)> = Vec::new();
        for subnet in &net.subnet_ids {
            let Some(acl) = acls.acl_for_subnet(subnet) else {
                out.unverified(
                    &META,
                    format!("the network ACL of subnet {subnet}"),
                    "no ACL lists the subnet and no default ACL was read",
                );
                continue;
            };
            for (_, port) in &connections {
                let found = acl_problems(acl, subnet, &samples, *port);
                if !found.is_empty() && !acl_ids.contains(&acl.network_acl_id) {
                    acl_ids.push(acl.network_acl_id.clone());
                }
                for (subject, _, _) in &found {
                    let need = if subject.contains(" outbound ") { (acl, true, 0) } else { (acl, false, *port) };
                    if !needs.iter().any(|n| n.0.network_acl_id == acl.network_acl_id && n.1 == need.1 && n.2 == need.2) {
                        needs.push(need);
                    }
                }
                problems.extend(found);
            }
        }
        if problems.is_empty() {
            continue;
        }
        let mut evidence = vec![EvidenceItem::new(
            Source::Config,
            format!("Origins[Id={}].CustomOriginConfig.OriginProtocolPolicy", o.origin.id),
            format!(
                "{} → ports {}",
                o.custom.protocol_policy.as_api(),
                connections.iter().map(|(_, p)| p.to_string()).collect::<Vec<_>>().join(", ")
            ),
        )];
        for (subject, observed, expected) in &problems {
            evidence
                .push(EvidenceItem::new(Source::Network, subject.clone(), observed.clone()).expected(expected.clone()));
        }
        let seen = edge_gateway_error(ev);
        if let Some((subject, what)) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()));
        }
        let acl = acl_ids.first().cloned().unwrap_or_default();
        let port = connections.first().map(|c| c.1).unwrap_or(443);
        let region = o.inv.region.as_deref();
        let mut rules: Option<Vec<NetworkChange>> = Some(Vec::new());
        for (acl, egress, port) in &needs {
            let ports = if *egress { (1024, 65535) } else { (*port, *port) };
            rules = rules.and_then(|mut taken| {
                taken.push(acl_allow(acl, region, *egress, ports, "0.0.0.0/0", &taken)?);
                Some(taken)
            });
        }
        let fix = match rules {
            Some(rules) => Fix::changes(rules.into_iter().map(Change::Network)),
            None => Fix::manual(format!(
                "no rule number is free below the first deny entry of {}: the entries must be renumbered",
                acl_ids.join(", ")
            )),
        };
        let mut b = META.finding(Severity::Critical, Confidence::High)
            .summary(format!(
                "The network ACL {} on origin {}'s subnets drops CloudFront's traffic ({}).",
                acl_ids.join(", "),
                o.origin.id,
                problems.iter().map(|p| p.1.split(':').next().unwrap_or("").to_string()).collect::<Vec<_>>().join("; ")
            ))
            .observed(seen.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!(
                    "In {acl}, allow inbound tcp {port} from 0.0.0.0/0 and outbound tcp 1024-65535 to 0.0.0.0/0, numbered below any deny that matches CloudFront's ranges."
                ),
                steps: vec!["ACLs are stateless: the outbound rule for replies is as necessary as the inbound one.".into()],
                cli: fix.cli_or(d, vec![
                    format!("aws ec2 create-network-acl-entry --network-acl-id {acl} --ingress --rule-number <below the first deny> --protocol tcp --port-range From={port},To={port} --cidr-block 0.0.0.0/0 --rule-action allow"),
                    format!("aws ec2 create-network-acl-entry --network-acl-id {acl} --egress --rule-number <below the first deny> --protocol tcp --port-range From=1024,To=65535 --cidr-block 0.0.0.0/0 --rule-action allow"),
                ]),
                fix,
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id);
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
    use crate::evidence::OriginProtocolPolicy;
    use crate::testing::*;

    fn ev_with_acl(entries: Vec<crate::evidence::NaclEntry>) -> Evidence {
        let lb = load_balancer("app-1.us-east-1.elb.amazonaws.com", vec![listener(443, "HTTPS", forward())]);
        let mut path =
            network_path("load-balancer", vec![security_group("sg-1", vec![sg_rule_cidr(443, 443, &["0.0.0.0/0"])])]);
        let mut acl = open_nacl(&["subnet-0a", "subnet-0b"]);
        acl.entries = entries;
        path.network_acls = Fetch::fetched(vec![acl]);
        network_evidence(OriginProtocolPolicy::HttpsOnly, lb, path)
    }

    #[test]
    fn a_lower_numbered_deny_wins_over_a_later_allow() {
        let out = run(&ev_with_acl(vec![
            nacl_entry(50, false, false, "0.0.0.0/0", Some((443, 443))),
            nacl_entry(100, false, true, "0.0.0.0/0", None),
            nacl_entry(100, true, true, "0.0.0.0/0", None),
        ]));
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.evidence.iter().any(|e| e.source == Source::Network && e.observed.contains("rule 50")), "{f:#?}");
        assert!(f.resources.iter().any(|r| r.kind == "network-acl"));
    }

    /// The typed fix, applied to the evidence, makes the ACL admit CloudFront: the allow entries
    /// come before the deny, in both directions, on numbers the ACL does not use.
    #[test]
    fn the_fix_applied_to_the_evidence_admits_cloudfront() {
        for entries in [
            vec![
                nacl_entry(50, false, false, "0.0.0.0/0", Some((443, 443))),
                nacl_entry(100, false, true, "0.0.0.0/0", None),
                nacl_entry(100, true, true, "0.0.0.0/0", None),
            ],
            vec![
                nacl_entry(100, false, true, "0.0.0.0/0", Some((443, 443))),
                nacl_entry(100, true, true, "0.0.0.0/0", Some((443, 443))),
            ],
        ] {
            let mut ev = ev_with_acl(entries);
            let out = run(&ev);
            let Some(alt) = out.findings[0].remediation.fix.preferred().cloned() else {
                panic!("a typed fix: {:?}", out.findings[0].remediation.fix);
            };
            assert!(alt.is_checkable());
            for c in &alt.changes {
                let Change::Network(n) = c else { panic!("{c:?}") };
                n.apply(&mut ev.inventory).unwrap();
                assert!(n.cli().starts_with("aws ec2 create-network-acl-entry"), "{}", n.cli());
            }
            assert!(run(&ev).findings.is_empty(), "{:?}", alt.changes);
        }
    }

    #[test]
    fn missing_outbound_ephemeral_rule_blocks_replies() {
        let out = run(&ev_with_acl(vec![
            nacl_entry(100, false, true, "0.0.0.0/0", Some((443, 443))),
            nacl_entry(100, true, true, "0.0.0.0/0", Some((443, 443))),
        ]));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].evidence.iter().any(|e| e.subject.contains("outbound")));
    }

    #[test]
    fn the_recommended_rules_and_the_default_acl_pass() {
        assert!(
            run(&ev_with_acl(vec![
                nacl_entry(10, false, false, "198.51.100.0/24", None),
                nacl_entry(100, false, true, "0.0.0.0/0", Some((443, 443))),
                nacl_entry(100, true, true, "0.0.0.0/0", Some((1024, 65535))),
            ]))
            .findings
            .is_empty()
        );
        assert!(run(&ev_with_acl(open_nacl(&[]).entries)).findings.is_empty());
    }

    #[test]
    fn a_denied_acl_read_is_unverified() {
        let mut ev = ev_with_acl(vec![]);
        ev.inventory.origins[0].network.as_mut().unwrap().network_acls =
            Fetch::Denied { action: "ec2:DescribeNetworkAcls".into(), message: "x".into() };
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("ec2:DescribeNetworkAcls")));
    }
}
