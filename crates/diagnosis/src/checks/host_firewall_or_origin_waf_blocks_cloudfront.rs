//! `host-firewall-or-origin-waf-blocks-cloudfront`: something past the security groups and ACLs
//! refuses CloudFront's addresses: a host firewall (iptables, nftables, Windows Firewall), an
//! application allowlist, or an AWS WAF web ACL on the load balancer.
//!
//! This is the disagreement case. Viewers get CloudFront's 504 (packets dropped) or 502
//! (connections reset), yet the security groups and network ACLs admit CloudFront on the origin
//! port and the origin answers a CloudFront-shaped request from the prober promptly; or viewers
//! get the origin's own 403/429 (a WAF or IP allowlist on the load balancer or the application)
//! while the same CloudFront-shaped request from the prober succeeds. What differs is the source
//! address, which a probe cannot borrow: the cause is decided by elimination, and the host's
//! firewall and the load balancer's web ACL are where to look.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-504-gateway-timeout.html>

use super::net_common::{
    Admission, CfLists, Cidr, Family, NetOrigin, SAMPLE_CLOUDFRONT_RANGES, cloudfront_lists, describe_rules,
    nacl_decision, net_origins, network_of, sg_admission,
};
use super::probe_ports::tls_answers_plain_http;
use super::probe_view::{edge, last_response};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{
    CLOUDFRONT_PREFIX_LIST_V4, CloudFrontReason, Evidence, HttpResponse, OriginResource, ProbeRecord, ProbeTarget,
    Scheme,
};

pub static META: CheckMeta = CheckMeta {
    id: "host-firewall-or-origin-waf-blocks-cloudfront",
    title: "A host firewall or the origin's WAF refuses CloudFront's addresses",
    what_breaks: "Viewers get CloudFront's 504/502, or the origin's own 403/429, although the security groups and network ACLs admit CloudFront and the origin answers the same request from elsewhere.",
    why: "Past the VPC's security groups and ACLs, a host firewall, an application IP allowlist, or an AWS WAF web ACL on the load balancer drops, resets or refuses connections from CloudFront's origin-facing ranges (or rate-limits them: all viewers arrive from a few CloudFront addresses).",
    evidence_used: &[
        "probes through the distribution: CloudFront's 502/504 page, or an error with the origin's own body",
        "CloudFront-shaped probe straight to the origin: answered promptly",
        "ec2:DescribeSecurityGroups and ec2:DescribeNetworkAcls: CloudFront admitted on the origin port",
        "TLS observations toward the origin (no handshake failure that would explain a 502)",
        "CloudFront's access logs: failed connects to the origin while the probes get through",
    ],
    fix: "Allow CloudFront's origin-facing ranges (managed prefix list com.amazonaws.global.cloudfront.origin-facing) in the host firewall, the application's allowlist and the load balancer's web ACL IP sets; key rate limits on the viewer address (X-Forwarded-For), not the source address.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-504-gateway-timeout.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
};

const LOG_NOTE: &str = "A host firewall is invisible from outside the host: CloudFront's logs (x-edge-detailed-result-type OriginConnectError / OriginCommError) and the host's firewall counters would show the drops.";

/// The CloudFront-shaped GET to `origin_id` on `port` that got an HTTP answer, with the answer.
fn direct_answer<'a>(ev: &'a Evidence, origin_id: &'a str, port: u16) -> Option<(&'a ProbeRecord, &'a HttpResponse)> {
    ev.observations.origin_probes(origin_id).find_map(|p| {
        let ProbeTarget::Origin { port: pp, .. } = &p.target else { return None };
        (*pp == port && p.method == "GET").then_some(())?;
        Some((p, p.first_response()?))
    })
}

/// Whether security groups and ACLs admit CloudFront on `port`: `Ok(facts)` when they do,
/// `Err(None)` when they block (their own checks report it), `Err(Some(reason))` when unknown.
fn network_admits(ev: &Evidence, o: &NetOrigin<'_>, port: u16) -> Result<Vec<EvidenceItem>, Option<String>> {
    let net = match network_of(o) {
        Ok(Some(n)) => n,
        Ok(None) => {
            return Err(Some("the origin is not an AWS resource whose security groups and ACLs could be read".into()));
        }
        Err(reason) => return Err(Some(reason)),
    };
    let mut facts = Vec::new();
    if net.security_group_ids.is_empty() {
        return Err(Some("no security group in front of the origin is known".into()));
    }
    let groups =
        net.security_groups.value().ok_or_else(|| Some(net.security_groups.missing_reason().unwrap_or_default()))?;
    let cf = cloudfront_lists(ev, o.inv.region.as_deref()).unwrap_or(CfLists { v4: None, v6: None });
    let referenced = net.referenced_prefix_lists.value().map(Vec::as_slice).unwrap_or(&[]);
    match sg_admission(groups, port, &cf, referenced, Family::V4) {
        a if a.admits_all() => facts.push(
            EvidenceItem::new(
                Source::Network,
                format!("security groups of {} ({})", o.origin.id, net.entry),
                describe_rules(net, groups, port),
            )
            .expected(format!("CloudFront ({CLOUDFRONT_PREFIX_LIST_V4}) admitted on tcp {port}: it is")),
        ),
        Admission::Unknown(reason) => return Err(Some(reason)),
        _ => return Err(None),
    }
    let Some(_) = net.network_acls.value() else {
        return Err(Some(net.network_acls.missing_reason().unwrap_or_default()));
    };
    let samples: Vec<Cidr> = match cf.v4_entries() {
        Some(e) if !e.is_empty() => e,
        _ => SAMPLE_CLOUDFRONT_RANGES.iter().filter_map(|s| Cidr::parse(s)).collect(),
    };
    let mut acl_ids = Vec::new();
    for subnet in &net.subnet_ids {
        let Some(acl) = net.acl_for_subnet(subnet) else {
            return Err(Some(format!("the network ACL of subnet {subnet} is unknown")));
        };
        for s in &samples {
            let host = s.first_host();
            if !nacl_decision(acl, false, &host, port).0 || !nacl_decision(acl, true, &host, 49152).0 {
                return Err(None);
            }
        }
        if !acl_ids.contains(&acl.network_acl_id) {
            acl_ids.push(acl.network_acl_id.clone());
        }
    }
    facts.push(
        EvidenceItem::new(
            Source::Network,
            format!("network ACLs {}", acl_ids.join(", ")),
            format!("allow tcp {port} in from {} CloudFront ranges and the replies out", samples.len()),
        )
        .expected("CloudFront admitted: it is"),
    );
    Ok(facts)
}

/// A CloudFront-sent TLS handshake toward the origin that failed (the TLS checks explain a 502 then).
fn tls_failed(ev: &Evidence, origin_id: &str) -> bool {
    ev.observations
        .tls
        .iter()
        .any(|t| t.origin_id == origin_id && t.cloudfront_sends == Some(true) && t.failure().is_some())
}

fn remediation(o: &NetOrigin<'_>, region: Option<&str>, lb_arn: Option<&str>) -> Remediation {
    let mut cli = vec![format!(
        "aws ec2 describe-managed-prefix-lists --region {} --filters Name=prefix-list-name,Values={CLOUDFRONT_PREFIX_LIST_V4}",
        region.unwrap_or("<region>")
    )];
    if let Some(arn) = lb_arn {
        cli.push(format!(
            "aws wafv2 get-web-acl-for-resource --region {} --resource-arn {arn}",
            region.unwrap_or("<region>")
        ));
    }
    Remediation {
        fix: Fix::changes([Change::Origin {
            part: OriginPart::Firewall,
            what: format!(
                "allow CloudFront's origin-facing ranges ({CLOUDFRONT_PREFIX_LIST_V4}) on origin {}'s host firewall, application allowlist and the load balancer's web ACL",
                o.origin.id
            ),
        }]),
        summary: format!(
            "Allow CloudFront's origin-facing ranges ({CLOUDFRONT_PREFIX_LIST_V4}) on origin {}'s host firewall, application allowlist and the load balancer's AWS WAF web ACL; key rate limits on X-Forwarded-For.",
            o.origin.id
        ),
        steps: vec![
            "On the host: iptables -S / nft list ruleset / Get-NetFirewallRule; look for rules admitting only office or VPN ranges, or fail2ban-style bans of CloudFront addresses.".into(),
            "In the load balancer's web ACL (not read by this tool): IP-set allow lists, geo rules and rate-based rules keyed on the source IP see all viewers as a few CloudFront addresses.".into(),
            LOG_NOTE.into(),
        ],
        cli,
    }
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    // What viewers see: CloudFront's own 502/504 (not the DNS page), or the origin's own 403/429.
    let mut gateway: Option<(String, u16, String)> = None;
    let mut refused: Option<(String, u16, String)> = None;
    for p in edge(ev) {
        let Some((h, r)) = last_response(p) else { continue };
        if matches!(r.status, 502 | 504)
            && r.cloudfront_error.is_some()
            && r.cloudfront_reason() != Some(&CloudFrontReason::OriginDnsFailure)
        {
            let reason = r.cloudfront_reason().map(|s| s.sentence().to_string()).unwrap_or_default();
            gateway.get_or_insert((format!("viewer request {}", h.url), r.status, format!("{} from CloudFront: {reason}", r.status)));
        } else if matches!(r.status, 403 | 429)
            && r.cloudfront_error.is_none()
            && !r.header("server").is_some_and(|s| s.eq_ignore_ascii_case("cloudfront"))
        {
            refused.get_or_insert((h.url.clone(), r.status, r.header("server").unwrap_or("").to_string()));
        }
    }
    // CloudFront's own logs of failed connects count as its 502/504 seen (the probes may have
    // been lucky, or the failure comes and goes).
    if gateway.is_none() {
        gateway = super::cloudfront_view::logged_gateway(ev);
    }
    if gateway.is_none() && refused.is_none() {
        return out;
    }
    for o in net_origins(ev) {
        let lb_arn = match o.inv.resource.value() {
            Some(OriginResource::LoadBalancer(lb)) => Some(lb.arn.as_str()),
            _ => None,
        };
        for (scheme, port) in o.connections(ev) {
            let Some((direct, answer)) = direct_answer(ev, &o.origin.id, port) else { continue };
            let first_byte = direct.hops.first().and_then(|h| h.timings.first_byte_ms).unwrap_or(0);
            let read_timeout_ms = u64::try_from(o.custom.read_timeout_s.max(1)).unwrap_or(30) * 1000;
            let prompt = first_byte < read_timeout_ms;
            // A 400 saying plain HTTP reached a TLS port is protocol-port-mismatch's, not an answer.
            let direct_ok = (200..500).contains(&answer.status)
                && !matches!(answer.status, 403 | 429)
                && tls_answers_plain_http(ev, &o.origin.domain_name, port).is_empty();
            let (observed_item, kind) = match (&gateway, &refused) {
                (Some((subject, status, observed)), _) if prompt && direct_ok => {
                    if *status == 502 && scheme == Scheme::Https && tls_failed(ev, &o.origin.id) {
                        continue;
                    }
                    (
                        EvidenceItem::new(Source::Probe, subject.clone(), observed.clone())
                            .expected("the origin's answer"),
                        "gateway",
                    )
                }
                (_, Some((url, status, server))) if (200..400).contains(&answer.status) => (
                    EvidenceItem::new(
                        Source::Probe,
                        format!("viewer request {url}"),
                        format!(
                            "{status} with the origin's own body{}",
                            if server.is_empty() { String::new() } else { format!(" (Server: {server})") }
                        ),
                    )
                    .expected("the answer the prober gets directly"),
                    "refused",
                ),
                _ => continue,
            };
            // Outside AWS no security group or ACL stands between CloudFront and the origin:
            // the elimination needs no AWS read, and the firewall is the origin's own.
            let outside = matches!(o.inv.resource.value(), Some(OriginResource::OutsideAws { .. }));
            let network = match network_admits(ev, &o, port) {
                Ok(facts) => Some(facts),
                Err(_) if outside => None,
                Err(None) => continue,
                Err(Some(reason)) if kind == "gateway" => {
                    out.unverified(
                        &META,
                        format!(
                            "whether a host firewall rather than a security group or ACL drops CloudFront on origin {} tcp {port}",
                            o.origin.id
                        ),
                        reason,
                    );
                    continue;
                }
                Err(Some(_)) => None,
            };
            let h = direct.hops.first();
            let mut evidence = vec![
                observed_item,
                EvidenceItem::new(
                    Source::Probe,
                    format!(
                        "CloudFront-shaped request straight to the origin {} (from {})",
                        h.map(|h| h.url.as_str()).unwrap_or("?"),
                        ev.observations.probed_from
                    ),
                    format!(
                        "{} {} after {first_byte} ms: the origin answers an address that is not CloudFront's",
                        answer.status, answer.reason
                    ),
                ),
            ];
            let confidence = if network.is_some() { Confidence::Medium } else { Confidence::Low };
            if let Some(facts) = network {
                evidence.extend(facts);
            }
            let summary = if kind == "gateway" && outside {
                format!(
                    "CloudFront gets {} from origin {} on tcp {port} although the origin answers the prober in {first_byte} ms, and the origin is outside AWS (no security group or network ACL in the way): a firewall or allowlist at the origin refuses CloudFront's addresses.",
                    gateway.as_ref().map(|g| g.1).unwrap_or(0),
                    o.origin.id
                )
            } else if kind == "gateway" {
                format!(
                    "CloudFront gets {} from origin {} on tcp {port} although the security groups and network ACLs admit CloudFront and the origin answers the prober in {first_byte} ms: a host firewall (or a device past the VPC) refuses CloudFront's addresses.",
                    gateway.as_ref().map(|g| g.1).unwrap_or(0),
                    o.origin.id
                )
            } else {
                format!(
                    "Through CloudFront origin {} answers {} itself, while the same CloudFront-shaped request from the prober gets {}: an AWS WAF web ACL on the load balancer or an application allowlist refuses CloudFront's addresses.",
                    o.origin.id,
                    refused.as_ref().map(|r| r.1).unwrap_or(0),
                    answer.status
                )
            };
            let mut b = META.finding(Severity::High, confidence)
                .summary(summary)
                .observed(false)
                .evidence(evidence)
                .remediation(remediation(&o, o.inv.region.as_deref(), lb_arn))
                .resource("distribution", &d.id)
                .resource("origin", &o.origin.id);
            if let Some(arn) = lb_arn {
                b = b.resource("load-balancer", arn);
            }
            if let Ok(Some(net)) = network_of(&o) {
                for g in &net.security_group_ids {
                    b = b.resource("security-group", g);
                }
            }
            out.push(b);
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, RedirectOutcome};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn ev(rules: Vec<crate::evidence::SgRule>) -> Evidence {
        let lb = load_balancer(ALB, vec![listener(80, "HTTP", forward())]);
        let mut e = network_evidence(
            OriginProtocolPolicy::HttpOnly,
            lb,
            network_path("load-balancer", vec![security_group("sg-0123", rules)]),
        );
        let mut h = hop(&format!("http://{ALB}/"), HopResult::Response(response(200, &[])));
        h.timings.first_byte_ms = Some(40);
        e.observations.probes.push(probe(
            "origin:o1:http:/",
            ProbeTarget::Origin {
                origin_id: "o1".into(),
                behavior: "d".into(),
                scheme: Scheme::Http,
                port: 80,
                host_header: ALB.into(),
            },
            vec![h],
            RedirectOutcome::Final,
        ));
        e
    }

    #[test]
    fn a_504_while_the_network_admits_cloudfront_and_the_origin_answers_points_past_the_vpc() {
        let mut e = ev(vec![sg_rule_prefix_list(80, 80, CF_PREFIX_LIST)]);
        add_edge_error(&mut e, 504);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::Medium));
        assert!(f.summary.contains("host firewall"));
        assert!(f.evidence.iter().filter(|x| x.source == Source::Network).count() == 2, "SG and ACL facts");
        assert!(f.remediation.cli.iter().any(|c| c.contains("get-web-acl-for-resource")));
    }

    #[test]
    fn a_security_group_that_blocks_is_left_to_its_own_check() {
        let mut e = ev(vec![sg_rule_cidr(80, 80, &["198.51.100.0/24"])]);
        add_edge_error(&mut e, 504);
        let out = run(&e);
        assert!(out.findings.is_empty() && out.unverified.is_empty());
    }

    #[test]
    fn a_denied_security_group_read_is_unverified_not_a_guess() {
        let mut e = ev(vec![]);
        e.inventory.origins[0].network.as_mut().unwrap().security_groups =
            Fetch::Denied { action: "ec2:DescribeSecurityGroups".into(), message: "no".into() };
        add_edge_error(&mut e, 504);
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert!(out.unverified[0].reason.contains("ec2:DescribeSecurityGroups"));
    }

    #[test]
    fn a_slow_origin_or_a_healthy_edge_is_no_finding() {
        let mut e = ev(vec![sg_rule_prefix_list(80, 80, CF_PREFIX_LIST)]);
        assert!(run(&e).findings.is_empty(), "no failure through CloudFront");
        add_edge_error(&mut e, 504);
        e.observations.probes[0].hops[0].timings.first_byte_ms = Some(31_000);
        assert!(run(&e).findings.is_empty(), "slow answers are origin-read-timeout's");
    }

    #[test]
    fn the_origins_own_403_through_cloudfront_while_the_direct_request_works_points_at_its_waf() {
        let mut e = ev(vec![sg_rule_prefix_list(80, 80, CF_PREFIX_LIST)]);
        let mut r = response(403, &[("Server", "awselb/2.0")]);
        r.body_sample = "<html><head><title>403 Forbidden</title></head></html>".into();
        push_edge_get(&mut e, r);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("WAF"));
    }

    #[test]
    fn outside_aws_nothing_stands_in_the_way_so_the_origins_own_firewall_is_named_with_low_confidence() {
        let mut e = ev(vec![]);
        e.inventory.origins[0].resource =
            Fetch::fetched(OriginResource::OutsideAws { reason: "no AWS resource has this name".into() });
        e.inventory.origins[0].network = None;
        assert!(run(&e).findings.is_empty(), "no failure through CloudFront");
        add_edge_error(&mut e, 504);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::Low));
        assert!(f.summary.contains("outside AWS"), "{}", f.summary);
        assert!(out.unverified.is_empty());
        // An instance whose network path is unknown is not outside AWS: its security groups may
        // be the cause.
        e.inventory.origins[0].resource = Fetch::fetched(ec2_instance("i-0abc", Some("54.214.10.2"), &["sg-1"]));
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert!(!out.unverified.is_empty());
    }

    #[test]
    fn a_400_saying_plain_http_reached_a_tls_port_is_not_an_answer_that_points_at_a_firewall() {
        let mut e = ev(vec![]);
        e.inventory.origins[0].resource = Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() });
        e.inventory.origins[0].network = None;
        let mut r = response(400, &[("Server", "nginx")]);
        r.body_sample = "<center>The plain HTTP request was sent to HTTPS port</center>".into();
        e.observations.probes[0].hops[0].result = HopResult::Response(r);
        add_edge_error(&mut e, 502);
        assert!(run(&e).findings.is_empty());
    }
}
