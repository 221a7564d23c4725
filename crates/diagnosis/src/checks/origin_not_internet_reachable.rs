//! `origin-not-internet-reachable`: the origin can only be reached from inside its VPC.
//!
//! CloudFront reaches custom origins over the public internet (VPC origins aside). An internal
//! load balancer has only private addresses; an instance without a public IP has none
//! CloudFront can use; a subnet whose route table has no default route to an internet gateway
//! cannot answer the internet. CloudFront's connections then time out (504) or its DNS lookup
//! yields private addresses, while a test from inside the VPC or over a VPN works.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistS3AndCustomOrigins.html#concept_CustomOrigin>

use super::net_common::{edge_gateway_error, net_origins, network_of};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix};
use crate::evidence::{Evidence, Fetch, OriginResource};

pub static META: CheckMeta = CheckMeta {
    id: "origin-not-internet-reachable",
    title: "Origin is not reachable from the internet",
    what_breaks: "CloudFront cannot reach the origin at all: viewers get 504 (or 502), while the origin works from inside the VPC.",
    why: "CloudFront connects to custom origins over the internet. An internal load balancer, an instance without a public IP, or a subnet without a route to an internet gateway cannot be reached from CloudFront's edge locations.",
    evidence_used: &[
        "elasticloadbalancing:DescribeLoadBalancers Scheme",
        "ec2:DescribeInstances public IP",
        "ec2:DescribeRouteTables for the origin's subnets (0.0.0.0/0 → igw-…)",
    ],
    fix: "Use an internet-facing load balancer in public subnets (route 0.0.0.0/0 to an internet gateway), or make the origin a CloudFront VPC origin.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistS3AndCustomOrigins.html#concept_CustomOrigin",
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
        let mut evidence = Vec::new();
        let mut resources: Vec<(&str, String)> = Vec::new();
        let mut fix = String::new();
        match o.inv.resource.value() {
            Some(OriginResource::LoadBalancer(lb)) => {
                resources.push(("load-balancer", lb.arn.clone()));
                if lb.scheme == "internal" {
                    evidence.push(
                        EvidenceItem::new(Source::Network, format!("load balancer {} Scheme", lb.name), "internal")
                            .expected("internet-facing"),
                    );
                    fix = format!(
                        "Put an internet-facing load balancer in front of the targets (the scheme of {} cannot be changed), or create a CloudFront VPC origin for it.",
                        lb.name
                    );
                }
            }
            Some(OriginResource::Ec2Instance(i)) => {
                resources.push(("instance", i.instance_id.clone()));
                if i.public_ip.is_none() {
                    evidence.push(
                        EvidenceItem::new(Source::Network, format!("instance {} public IP", i.instance_id), "none")
                            .expected("a public IPv4 address or Elastic IP"),
                    );
                    fix = format!("Associate an Elastic IP with {} or use a VPC origin.", i.instance_id);
                }
            }
            _ => {}
        }
        // Routes: the subnets CloudFront's packets enter must route 0.0.0.0/0 to an internet gateway.
        let mut no_route = Vec::new();
        match &net.route_tables {
            Fetch::Fetched { .. } => {
                for s in &net.subnet_ids {
                    match net.route_table_for_subnet(s) {
                        Some(t) if t.has_internet_gateway_route() => {}
                        Some(t) => no_route.push(format!(
                            "{s} uses {} ({})",
                            t.route_table_id,
                            t.routes
                                .iter()
                                .map(|r| format!("{} → {}", r.destination, r.target))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                        None => out.unverified(
                            &META,
                            format!("the route table of subnet {s}"),
                            "no route table was read for it",
                        ),
                    }
                }
            }
            Fetch::NotApplicable { .. } => {}
            other => out.unverified(
                &META,
                format!("whether origin {}'s subnets route to an internet gateway", o.origin.id),
                other.missing_reason().unwrap_or_default(),
            ),
        }
        // An internet-facing LB needs every enabled subnet public; one private subnet breaks
        // the share of connections that land in it. All private is total.
        let all_private = !net.subnet_ids.is_empty() && no_route.len() == net.subnet_ids.len();
        if !no_route.is_empty() {
            evidence.push(
                EvidenceItem::new(
                    Source::Network,
                    format!("route tables of origin {}'s subnets", o.origin.id),
                    no_route.join("; "),
                )
                .expected("0.0.0.0/0 → igw-… in every subnet"),
            );
            if fix.is_empty() {
                fix = "Add a route 0.0.0.0/0 to the VPC's internet gateway in the route table of these subnets (or move the origin to public subnets).".into();
            }
        }
        if evidence.is_empty() {
            continue;
        }
        let certain = evidence.len() > 1
            || all_private
            || evidence.iter().any(|e| e.observed == "internal" || e.observed == "none");
        let seen = edge_gateway_error(ev);
        evidence.insert(
            0,
            EvidenceItem::new(
                Source::Config,
                format!("Origins[Id={}].DomainName", o.origin.id),
                o.origin.domain_name.clone(),
            )
            .expected("a publicly reachable origin (or a VpcOriginConfig)"),
        );
        if let Some((subject, what)) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()));
        }
        let mut b = META.finding(if certain { Severity::Critical } else { Severity::High }, Confidence::High)
            .summary(format!(
                "Origin {} ({}) cannot be reached from the internet, so CloudFront cannot connect to it.",
                o.origin.id, o.origin.domain_name
            ))
            .observed(seen.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Other { what: fix.clone() }]),
                summary: fix,
                steps: vec!["CloudFront VPC origins reach private ALBs, NLBs and instances without exposing them.".into()],
                cli: vec![
                    "aws cloudfront create-vpc-origin --vpc-origin-endpoint-config Name=<name>,Arn=<lb-or-instance-arn>,HTTPPort=80,HTTPSPort=443,OriginProtocolPolicy=https-only".into(),
                ],
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id);
        for (kind, id) in resources {
            b = b.resource(kind, id);
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

    const ALB: &str = "internal-app-1.us-east-1.elb.amazonaws.com";

    fn ev(scheme: &str, igw: bool) -> Evidence {
        let mut lb = load_balancer(ALB, vec![listener(443, "HTTPS", forward())]);
        if let OriginResource::LoadBalancer(l) = &mut lb {
            l.scheme = scheme.into();
        }
        let mut path = network_path("load-balancer", vec![security_group("sg-1", vec![])]);
        path.route_tables = Fetch::fetched(vec![route_table(&["subnet-0a", "subnet-0b"], igw)]);
        network_evidence(OriginProtocolPolicy::HttpsOnly, lb, path)
    }

    #[test]
    fn an_internal_load_balancer_is_critical() {
        let out = run(&ev("internal", false));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].evidence.iter().any(|e| e.observed == "internal"));
    }

    #[test]
    fn a_public_load_balancer_in_subnets_without_an_internet_route_is_flagged() {
        let out = run(&ev("internet-facing", false));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].evidence.iter().any(|e| e.observed.contains("rtb-0fixture")));
    }

    #[test]
    fn internet_facing_with_an_internet_route_passes() {
        assert!(run(&ev("internet-facing", true)).findings.is_empty());
    }

    #[test]
    fn instance_without_public_ip_is_flagged_and_a_denied_route_read_is_unverified() {
        let path = network_path("instance", vec![]);
        let out = run(&network_evidence(OriginProtocolPolicy::HttpOnly, ec2_instance("i-1", None, &[]), path));
        assert_eq!(out.findings.len(), 1);
        let mut e = ev("internet-facing", true);
        e.inventory.origins[0].network.as_mut().unwrap().route_tables =
            Fetch::Denied { action: "ec2:DescribeRouteTables".into(), message: "x".into() };
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("ec2:DescribeRouteTables")));
    }
}
