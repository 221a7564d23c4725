//! `vpc-origin-protocol-or-unsupported`: a VPC origin CloudFront cannot use as configured:
//! its protocol policy sends to a port without a matching listener, or the setup is one VPC
//! origins do not support.
//!
//! `VpcOriginEndpointConfig.OriginProtocolPolicy` decides the port (`HTTPPort`/`HTTPSPort`) and
//! protocol CloudFront uses toward the private endpoint: `match-viewer` or `https-only` sends
//! TLS to 443 where often only an HTTP listener exists. AWS also documents setups VPC origins
//! do not support: Gateway Load Balancers, dual-stack NLBs, NLBs with TLS listeners or without
//! security groups, IPv6-only subnets, a VPC without an internet gateway, Lambda@Edge
//! origin-request/origin-response triggers; and a VPC origin is usable only once `Deployed`.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html>

use super::net_common::edge_gateway_error;
use super::net_common::routes_to;
use super::vpc_common::{VpcOriginView, vpc_origins};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix};
use crate::evidence::{Evidence, OriginResource, Scheme};

pub static META: CheckMeta = CheckMeta {
    id: "vpc-origin-protocol-or-unsupported",
    title: "VPC origin's protocol, port or setup is one CloudFront cannot use",
    what_breaks: "Requests to the private origin fail with 502 or 504 (or the VPC origin is not usable yet).",
    why: "CloudFront connects to a VPC origin's endpoint with the protocol and port of VpcOriginEndpointConfig; a port without a listener of that protocol fails, and VPC origins do not support Gateway Load Balancers, dual-stack NLBs, NLBs with TLS listeners or without security groups, IPv6-only subnets, VPCs without an internet gateway, or Lambda@Edge origin triggers. A VPC origin is used only once Deployed.",
    evidence_used: &[
        "cloudfront:GetVpcOrigin: Status, VpcOriginEndpointConfig (Arn, HTTPPort, HTTPSPort, OriginProtocolPolicy)",
        "elasticloadbalancing:DescribeLoadBalancers and DescribeListeners of the endpoint",
        "ec2:DescribeSubnets and DescribeRouteTables of the endpoint's VPC",
        "the behaviors' Lambda@Edge associations",
    ],
    fix: "Set the VPC origin's protocol policy and ports to a listener the endpoint has (http-only to an HTTP listener, https-only to an HTTPS one whose certificate covers the origin domain), and move unsupported endpoints to a supported setup.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502, SymptomClass::CloudFront504]),
    module: module_path!(),
};

/// One problem: (what is wrong, its evidence).
type Problem = (String, EvidenceItem);

fn problems(ev: &Evidence, v: &VpcOriginView<'_>, out: &mut CheckOutput) -> Vec<Problem> {
    let mut found: Vec<Problem> = Vec::new();
    let vo_field = format!("VpcOrigin {}", v.vpc.id);
    if !v.vpc.status.eq_ignore_ascii_case("Deployed") {
        found.push((
            format!("the VPC origin is {} (usable only once Deployed, up to 15 minutes)", v.vpc.status),
            EvidenceItem::new(Source::Config, format!("{vo_field} Status"), &v.vpc.status).expected("Deployed"),
        ));
    }
    if let OriginResource::LoadBalancer(lb) = v.resource {
        let lb_field = format!("load balancer {}", lb.name);
        if lb.lb_type == "gateway" {
            found.push((
                "a Gateway Load Balancer cannot be a VPC origin".into(),
                EvidenceItem::new(Source::Config, format!("{lb_field} Type"), "gateway")
                    .expected("application or network"),
            ));
        }
        if lb.lb_type == "network" {
            if lb.ip_address_type.starts_with("dualstack") {
                found.push((
                    "a dual-stack network load balancer is not supported as a VPC origin".into(),
                    EvidenceItem::new(Source::Config, format!("{lb_field} IpAddressType"), &lb.ip_address_type)
                        .expected("ipv4"),
                ));
            }
            if lb.security_groups.is_empty() {
                found.push((
                    "a network load balancer without security groups is not supported as a VPC origin".into(),
                    EvidenceItem::new(Source::Config, format!("{lb_field} SecurityGroups"), "none")
                        .expected("a security group that admits CloudFront-VPCOrigins-Service-SG"),
                ));
            }
            let tls: Vec<u16> =
                lb.listeners.value().into_iter().flatten().filter(|l| l.protocol == "TLS").map(|l| l.port).collect();
            if !tls.is_empty() {
                found.push((
                    "a network load balancer with TLS listeners is not supported as a VPC origin".into(),
                    EvidenceItem::new(
                        Source::Config,
                        format!("{lb_field} listeners"),
                        format!("TLS on {}", tls.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")),
                    )
                    .expected("TCP listeners only"),
                ));
            }
        }
        match lb.listeners.value() {
            Some(listeners) => {
                for (scheme, port) in v.connections(ev) {
                    let wanted: &[&str] = match (lb.lb_type.as_str(), scheme) {
                        ("application", Scheme::Https) => &["HTTPS"],
                        ("application", Scheme::Http) => &["HTTP"],
                        _ => &["TCP", "TLS", "TCP_UDP", "HTTP", "HTTPS"],
                    };
                    let policy = v.vpc.protocol_policy.as_api();
                    let sends = format!("{policy} → CloudFront sends {} to port {port}", scheme.as_str());
                    match listeners.iter().find(|l| l.port == port) {
                        None => found.push((
                            format!(
                                "CloudFront sends {} to port {port}, where {} has no listener",
                                scheme.as_str(),
                                lb.name
                            ),
                            EvidenceItem::new(
                                Source::Config,
                                format!("{lb_field} listeners"),
                                format!(
                                    "{sends}; listeners on {}",
                                    listeners
                                        .iter()
                                        .map(|l| format!("{} {}", l.protocol, l.port))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                            .expected(format!("a {} listener on {port}", wanted[0])),
                        )),
                        Some(l) if !wanted.contains(&l.protocol.as_str()) => found.push((
                            format!(
                                "CloudFront sends {} to port {port}, where {}'s listener speaks {}",
                                scheme.as_str(),
                                lb.name,
                                l.protocol
                            ),
                            EvidenceItem::new(
                                Source::Config,
                                format!("{lb_field} listener {port}"),
                                format!("{sends}; listener protocol {}", l.protocol),
                            )
                            .expected(format!("a {} listener on {port}", wanted[0])),
                        )),
                        Some(_) => {}
                    }
                }
            }
            None => out.unverified(
                &META,
                format!("which ports VPC origin {}'s load balancer listens on", v.origin.id),
                lb.listeners.missing_reason().unwrap_or_default(),
            ),
        }
    }
    if let Some(subnets) = v.network.subnets.value() {
        let v6_only: Vec<&str> =
            subnets.iter().filter(|s| s.cidr_block.is_empty()).map(|s| s.subnet_id.as_str()).collect();
        if !v6_only.is_empty() {
            found.push((
                format!("subnet(s) {} are IPv6-only, which VPC origins do not support", v6_only.join(", ")),
                EvidenceItem::new(
                    Source::Network,
                    "endpoint subnets CidrBlock",
                    format!("none on {}", v6_only.join(", ")),
                )
                .expected("an IPv4 CIDR"),
            ));
        }
    }
    if let Some(tables) = v.network.route_tables.value() {
        let igw = tables.iter().flat_map(|t| &t.routes).any(|r| r.target.starts_with("igw-"));
        if !igw {
            found.push((
                format!(
                    "VPC {} has no internet gateway, which VPC origins require (the origin itself stays private)",
                    v.network.vpc_id.as_deref().unwrap_or("-")
                ),
                EvidenceItem::new(Source::Network, "route tables of the endpoint's VPC", "no route to an igw-")
                    .expected("an internet gateway attached to the VPC"),
            ));
        }
    }
    let d = &ev.inventory.distribution;
    for b in std::iter::once(&d.default_behavior).chain(&d.behaviors) {
        if !routes_to(ev, &b.target_origin_id, &v.origin.id) {
            continue;
        }
        for a in b.lambda_associations.iter().filter(|a| a.event_type.starts_with("origin-")) {
            found.push((
                format!(
                    "behavior {} has a Lambda@Edge {} trigger, which VPC origins do not support",
                    b.label(),
                    a.event_type
                ),
                EvidenceItem::new(
                    Source::Config,
                    format!("{}.LambdaFunctionAssociations", b.field_path()),
                    format!("{} {}", a.event_type, a.lambda_function_arn),
                )
                .expected("no origin-request/origin-response trigger toward a VPC origin"),
            ));
        }
    }
    found
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    for v in vpc_origins(ev, &mut out, &META) {
        let found = problems(ev, &v, &mut out);
        if found.is_empty() {
            continue;
        }
        let observed = edge_gateway_error(ev);
        let whats: Vec<String> = found.iter().map(|(w, _)| w.clone()).collect();
        let mut evidence = vec![EvidenceItem::new(
            Source::Config,
            format!("Origins[Id={}].VpcOriginConfig.VpcOriginId", v.origin.id),
            format!("{} → endpoint {}", v.vpc.id, v.vpc.endpoint_arn),
        )];
        evidence.extend(found.into_iter().map(|(_, e)| e));
        if let Some((subject, what)) = &observed {
            evidence
                .push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()).expected("the origin's answer"));
        }
        let b = META.finding(if observed.is_some() { Severity::Critical } else { Severity::High },
            Confidence::High,
        )
        .summary(format!("VPC origin {} cannot work as configured: {}.", v.origin.id, whats.join("; ")))
        .observed(observed.is_some())
        .evidence(evidence)
        .remediation(Remediation {
            fix: Fix::changes([Change::Other {
                what: format!("fix VPC origin {}: {}", v.vpc.id, whats.first().cloned().unwrap_or_default()),
            }]),
            summary: format!(
                "Fix VPC origin {}: {}.",
                v.vpc.id,
                whats.first().cloned().unwrap_or_default()
            ),
            steps: vec![
                "Match OriginProtocolPolicy and HTTPPort/HTTPSPort to a listener the endpoint has (https-only needs an HTTPS listener whose certificate covers the origin's domain name).".into(),
                "Unsupported endpoints (GWLB, dual-stack NLB, NLB with TLS listeners or without security groups) need another load balancer; IPv6-only subnets need IPv4; the VPC needs an internet gateway.".into(),
                "Move Lambda@Edge origin-request/origin-response logic to a CloudFront Function or the origin.".into(),
            ],
            cli: vec![
                format!("aws cloudfront get-vpc-origin --id {} > vpc-origin.json", v.vpc.id),
                format!("aws cloudfront update-vpc-origin --id {} --if-match <ETag> --vpc-origin-endpoint-config file://endpoint.json", v.vpc.id),
            ],
        })
        .resource("vpc-origin", &v.vpc.id)
        .resource("origin", &v.inv.origin_id);
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, LambdaAssociation, OriginProtocolPolicy};
    use crate::testing::*;

    fn healthy() -> Evidence {
        vpc_evidence(vec![security_group("sg-alb", vec![])], vec![])
    }

    fn set_policy(ev: &mut Evidence, policy: OriginProtocolPolicy) {
        if let Some(Fetch::Fetched { value }) = ev.inventory.origins[0].vpc_origin.as_mut().map(|f| &mut f.vpc_origin) {
            value.protocol_policy = policy;
        }
    }

    #[test]
    fn a_deployed_https_only_vpc_origin_with_an_https_listener_is_fine() {
        let out = run(&healthy());
        assert!(out.findings.is_empty() && out.unverified.is_empty(), "{out:?}");
    }

    #[test]
    fn http_only_toward_an_alb_with_only_an_https_listener_is_a_port_mismatch() {
        let mut ev = healthy();
        set_policy(&mut ev, OriginProtocolPolicy::HttpOnly);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1, "{out:?}");
        assert!(out.findings[0].summary.contains("port 80"), "{}", out.findings[0].summary);
    }

    #[test]
    fn https_to_an_http_listener_on_443_is_a_protocol_mismatch() {
        let mut ev = healthy();
        if let Fetch::Fetched { value: OriginResource::LoadBalancer(lb) } = &mut ev.inventory.origins[0].resource {
            lb.listeners = Fetch::fetched(vec![listener(443, "HTTP", forward())]);
        }
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("speaks HTTP"), "{}", out.findings[0].summary);
    }

    #[test]
    fn unsupported_setups_and_a_deploying_status_are_each_named() {
        let mut ev = healthy();
        if let Fetch::Fetched { value: OriginResource::LoadBalancer(lb) } = &mut ev.inventory.origins[0].resource {
            lb.lb_type = "network".into();
            lb.ip_address_type = "dualstack".into();
            lb.security_groups = vec![];
            lb.listeners = Fetch::fetched(vec![listener(443, "TLS", forward())]);
        }
        if let Some(Fetch::Fetched { value }) = ev.inventory.origins[0].vpc_origin.as_mut().map(|f| &mut f.vpc_origin) {
            value.status = "Deploying".into();
        }
        ev.inventory.origins[0].network.as_mut().unwrap().route_tables =
            Fetch::fetched(vec![route_table(&["subnet-0a"], false)]);
        ev.inventory.distribution.default_behavior.lambda_associations = vec![LambdaAssociation {
            lambda_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f:1".into(),
            event_type: "origin-request".into(),
            include_body: false,
        }];
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        let s = &out.findings[0].summary;
        for part in [
            "Deploying",
            "dual-stack",
            "without security groups",
            "TLS listeners",
            "internet gateway",
            "origin-request",
        ] {
            assert!(s.contains(part), "{part} missing from {s}");
        }
    }

    #[test]
    fn unread_listeners_are_unverified() {
        let mut ev = healthy();
        if let Fetch::Fetched { value: OriginResource::LoadBalancer(lb) } = &mut ev.inventory.origins[0].resource {
            lb.listeners =
                Fetch::Denied { action: "elasticloadbalancing:DescribeListeners".into(), message: "no".into() };
        }
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("DescribeListeners")), "{out:?}");
    }
}
