//! `stale-origin-hostname`: the origin's name points at a resource that is gone or will move.
//!
//! An EC2 public DNS name (`ec2-a-b-c-d.<region>.compute.amazonaws.com`) spells the instance's
//! auto-assigned public IPv4 address, which changes at every stop/start unless it is an Elastic
//! IP; afterwards the name leads to an address no longer the instance's (dead, or someone
//! else's server). A load balancer that was deleted and re-created has a new DNS name. Either
//! way CloudFront keeps connecting where the configuration points: 502/504, or wrong content.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesDomainName>

use super::probe_view::{behavior_of, edge, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{Evidence, Fetch, HopResult, Origin, OriginResource, ProbeStage};

pub static META: CheckMeta = CheckMeta {
    id: "stale-origin-hostname",
    title: "The origin's name points at a resource that is gone or will move",
    what_breaks: "CloudFront connects to an address the instance no longer holds, or to a load balancer that no longer exists: 502/504 (or another server's content) until the origin is updated.",
    why: "Origins.Items[].DomainName is resolved at request time; an EC2 public DNS name follows the auto-assigned public IP, which changes on stop/start, and a re-created load balancer has a new name.",
    evidence_used: &[
        "Origins.Items[].DomainName",
        "EC2 DescribeInstances/DescribeAddresses/DescribeNetworkInterfaces by the address an EC2 public name spells; ELBv2 DescribeLoadBalancers by DNS name",
        "DNS resolution of the origin's name (CNAME chain)",
        "probes straight to the origin and through the distribution",
    ],
    fix: "Point the origin at something stable: an Elastic IP (with a DNS name of your own), or a load balancer; update Origins.Items[].DomainName to the current resource.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesDomainName",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
};

/// `ec2-a-b-c-d.…compute…amazonaws.com` (or `compute-1`): the address the name spells.
fn ec2_public_name_ip(name: &str) -> Option<std::net::Ipv4Addr> {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    let (label, zone) = n.strip_prefix("ec2-")?.split_once('.')?;
    let ec2_zone = zone == "compute-1.amazonaws.com" || zone.ends_with(".compute.amazonaws.com");
    ec2_zone.then(|| label.replace('-', ".").parse().ok()).flatten()
}

/// Whether traffic to this origin is failing now, with the item that shows it.
fn failing(ev: &Evidence, origin: &Origin) -> Option<EvidenceItem> {
    let d = &ev.inventory.distribution;
    let at_edge = edge(ev).filter(|p| behavior_of(d, p).target_origin_id == origin.id).find_map(|p| {
        let (h, r) = last_response(p)?;
        (matches!(r.status, 502 | 504) && r.cloudfront_error.is_some()).then(|| {
            EvidenceItem::new(
                Source::Probe,
                format!("viewer request {}", h.url),
                format!("{} from CloudFront", r.status),
            )
        })
    });
    at_edge.or_else(|| {
        ev.observations.origin_probes(&origin.id).find_map(|p| {
            let h = p.hops.first()?;
            match &h.result {
                // The probe's own TLS limit says nothing about the origin being gone.
                HopResult::Error(e) if e.stage == ProbeStage::TlsNotSpokenByProbe => None,
                HopResult::Error(e) => Some(EvidenceItem::new(
                    Source::Probe,
                    format!("{} {} (as CloudFront sends it)", p.method, h.url),
                    format!("failed: {}", e.message),
                )),
                HopResult::Response(_) => None,
            }
        })
    })
}

fn answered(ev: &Evidence, origin: &Origin) -> bool {
    ev.observations.origin_probes(&origin.id).any(|p| p.first_response().is_some())
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let field = |o: &Origin| format!("Origins[Id={}].DomainName", o.id);
    for (origin, inv) in d.origins.iter().filter_map(|o| Some((o, ev.inventory.origin(&o.id)?))) {
        if origin.custom().is_none() {
            continue;
        }
        let spelled = ec2_public_name_ip(&origin.domain_name);
        let dns = ev.observations.dns_for(&origin.domain_name);
        let resolved = dns.map(|o| {
            if o.resolved() {
                format!("resolves to {}", o.a.iter().chain(&o.aaaa).cloned().collect::<Vec<_>>().join(", "))
            } else {
                format!("does not resolve ({})", o.error.as_deref().unwrap_or("no address"))
            }
        });
        let base = |sev: Severity, conf: Confidence| {
            META.finding(sev, conf).resource("distribution", &d.id).resource("origin", &origin.id)
        };
        match &inv.resource {
            Fetch::NotFound { action, message } => {
                let lb = action.contains("DescribeLoadBalancers");
                if !lb && spelled.is_none() {
                    continue;
                }
                let mut evidence = vec![
                    EvidenceItem::new(Source::Config, field(origin), &origin.domain_name),
                    EvidenceItem::new(Source::Network, action.clone(), message.clone()).expected(if lb {
                        "a load balancer of this account with that DNS name"
                    } else {
                        "an instance, Elastic IP or interface of this account holding the address the name spells"
                    }),
                ];
                if let Some(r) = &resolved {
                    evidence.push(EvidenceItem::new(Source::Network, format!("DNS {}", origin.domain_name), r.clone()));
                }
                let what = if lb {
                    "names a load balancer that no longer exists in this account (deleted or re-created under a new name)".to_string()
                } else {
                    format!(
                        "spells the address {} that no instance of this account holds any more (stopped and started, or terminated)",
                        spelled.map(|ip| ip.to_string()).unwrap_or_default()
                    )
                };
                let fail = failing(ev, origin);
                let (sev, conf, tail) = match (&fail, answered(ev, origin)) {
                    (Some(_), _) => {
                        (Severity::High, Confidence::Medium, "CloudFront cannot reach the origin it was meant to.")
                    }
                    (None, true) => (
                        Severity::Medium,
                        Confidence::Low,
                        "Something still answers at that name: the origin is in another account, or CloudFront is serving someone else's server.",
                    ),
                    (None, false) => (
                        Severity::Medium,
                        Confidence::Low,
                        "If the resource is in another account, run with that account's credentials.",
                    ),
                };
                let observed = fail.as_ref().is_some_and(|e| e.subject.starts_with("viewer request"));
                evidence.extend(fail);
                let fix = if lb {
                    format!(
                        "Set {} to the current load balancer's DNS name (or a DNS name of your own that aliases it).",
                        field(origin)
                    )
                } else {
                    format!(
                        "Associate an Elastic IP with the instance and set {} to a DNS name of your own pointing at it (or put a load balancer in front).",
                        field(origin)
                    )
                };
                out.push(
                    base(sev, conf)
                        .summary(format!("Origin {} ({}) {what}. {tail}", origin.id, origin.domain_name))
                        .observed(observed)
                        .evidence(evidence)
                        .remediation(Remediation {
                            fix: Fix::changes([Change::Origin {
                                part: OriginPart::Dns,
                                what: fix.trim_end_matches('.').to_string(),
                            }]),
                            summary: fix,
                            steps: vec!["After changing the origin, wait for the distribution to deploy, then invalidate cached errors if any.".into()],
                            cli: vec![if lb {
                                "aws elbv2 describe-load-balancers --query 'LoadBalancers[].[LoadBalancerName,DNSName]'".into()
                            } else {
                                "aws ec2 allocate-address && aws ec2 associate-address --instance-id <instance-id> --allocation-id <eipalloc-id>".into()
                            }, update_cli(d)],
                        }),
                );
            }
            Fetch::Fetched { value: OriginResource::Ec2Instance(i) }
                if spelled.is_some() && i.matched_by != "elastic-ip" =>
            {
                let addresses_read = ev
                    .inventory
                    .calls
                    .iter()
                    .filter(|c| c.action == "ec2:DescribeAddresses")
                    .all(|c| c.outcome == "ok");
                if !addresses_read {
                    out.unverified(
                        &META,
                        format!(
                            "whether origin {}'s address {} is an Elastic IP",
                            origin.id,
                            i.public_ip.as_deref().unwrap_or("?")
                        ),
                        "ec2:DescribeAddresses did not succeed",
                    );
                    continue;
                }
                out.push(
                    base(Severity::Low, Confidence::High)
                        .summary(format!(
                            "Origin {} is instance {}'s public DNS name on an auto-assigned address ({}): it changes at the next stop/start and CloudFront will then connect to an address the instance no longer holds.",
                            origin.id,
                            i.instance_id,
                            i.public_ip.as_deref().unwrap_or("?")
                        ))
                        .evidence([
                            EvidenceItem::new(Source::Config, field(origin), &origin.domain_name)
                                .expected("a stable name: an Elastic IP's record of your own, or a load balancer"),
                            EvidenceItem::new(
                                Source::Network,
                                format!("instance {} public IP", i.instance_id),
                                format!("{} (not an Elastic IP: DescribeAddresses does not list it)", i.public_ip.as_deref().unwrap_or("none")),
                            ),
                        ])
                        .remediation(Remediation {
                            fix: Fix::changes([Change::Origin {
                                part: OriginPart::Dns,
                                what: format!(
                                    "associate an Elastic IP with {} and point a DNS name of your own at it",
                                    i.instance_id
                                ),
                            }]),
                            summary: format!(
                                "Associate an Elastic IP with {} and set {} to a DNS name of your own pointing at it (or put a load balancer in front).",
                                i.instance_id,
                                field(origin)
                            ),
                            steps: vec![],
                            cli: vec![format!(
                                "aws ec2 allocate-address && aws ec2 associate-address --instance-id {} --allocation-id <eipalloc-id>",
                                i.instance_id
                            )],
                        })
                        .resource("instance", &i.instance_id),
                );
            }
            Fetch::Fetched { value: OriginResource::OutsideAws { .. } } => {
                // A name of the customer's own that leads (by CNAME) to an instance's public DNS name.
                let Some(ec2) = dns.and_then(|o| o.cname_chain.iter().find(|c| ec2_public_name_ip(c).is_some())) else {
                    continue;
                };
                out.push(
                    base(Severity::Low, Confidence::Medium)
                        .summary(format!(
                            "Origin {}'s name {} is a CNAME to the EC2 public DNS name {ec2}, which follows an address that changes when the instance stops and starts (unless it is an Elastic IP).",
                            origin.id, origin.domain_name
                        ))
                        .evidence([
                            EvidenceItem::new(Source::Config, field(origin), &origin.domain_name),
                            EvidenceItem::new(Source::Network, format!("DNS {}", origin.domain_name), format!("CNAME chain {}", dns.map(|o| o.cname_chain.join(" → ")).unwrap_or_default()))
                                .expected("a record for an Elastic IP or a load balancer"),
                        ])
                        .remediation(Remediation {
                            fix: Fix::changes([Change::Origin {
                                part: OriginPart::Dns,
                                what: format!("point {} at an Elastic IP (A record) or a load balancer", origin.domain_name),
                            }]),
                            summary: format!("Point {} at an Elastic IP (A record) or a load balancer instead of {ec2}.", origin.domain_name),
                            steps: vec![],
                            cli: vec![],
                        }),
                );
            }
            Fetch::Denied { .. } | Fetch::Failed { .. } if spelled.is_some() => {
                out.unverified(
                    &META,
                    format!("whether origin {}'s name still leads to a resource of this account", origin.id),
                    inv.resource.missing_reason().unwrap_or_default(),
                );
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{CallRecord, DnsRole, OriginProtocolPolicy, ProbeError, ProbeStage, RequestShape};
    use crate::testing::*;

    const EC2: &str = "ec2-54-214-10-2.compute-1.amazonaws.com";

    fn ev(resource: Fetch<OriginResource>, domain: &str) -> Evidence {
        let mut e = evidence(custom_origin("o1", domain, OriginProtocolPolicy::HttpOnly), resource);
        e.inventory.calls.push(CallRecord {
            action: "ec2:DescribeAddresses".into(),
            region: "us-east-1".into(),
            outcome: "ok".into(),
            millis: 1,
            started_ms: 0,
        });
        e
    }

    fn released() -> Fetch<OriginResource> {
        Fetch::NotFound {
            action: "ec2:DescribeInstances".into(),
            message: "no instance with public IP 54.214.10.2".into(),
        }
    }

    #[test]
    fn names_that_spell_an_address() {
        assert_eq!(ec2_public_name_ip(EC2), Some([54, 214, 10, 2].into()));
        assert_eq!(ec2_public_name_ip("ec2-3-8-1-200.eu-west-2.compute.amazonaws.com."), Some([3, 8, 1, 200].into()));
        assert_eq!(ec2_public_name_ip("ec2-1-2-3-4.example.com"), None);
        assert_eq!(ec2_public_name_ip("app.example.com"), None);
    }

    #[test]
    fn a_released_address_with_a_failing_origin_is_high() {
        let mut e = ev(released(), EC2);
        let timeout = HopResult::Error(ProbeError::new(ProbeStage::ConnectTimeout, "no answer"));
        e.observations.probes.push(origin_probe(RequestShape::Cloudfront, EC2, "/", timeout));
        add_edge_error(&mut e, 504);
        let f = &run(&e).findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::Medium));
        assert!(f.observed);
        assert!(f.summary.contains("54.214.10.2"), "{}", f.summary);
        assert!(f.remediation.summary.contains("Elastic IP"));
    }

    #[test]
    fn a_missing_load_balancer_that_still_answers_is_a_low_confidence_warning() {
        let gone = Fetch::NotFound {
            action: "elasticloadbalancing:DescribeLoadBalancers".into(),
            message: "no load balancer named x".into(),
        };
        let mut e = ev(gone, "old-alb-1.us-east-1.elb.amazonaws.com");
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "x",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        let f = &run(&e).findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::Medium, Confidence::Low));
        assert!(f.summary.contains("another account"));
    }

    #[test]
    fn an_auto_assigned_address_is_a_latent_risk_and_an_elastic_ip_is_fine() {
        let out = run(&ev(Fetch::fetched(ec2_instance("i-0abc", Some("54.214.10.2"), &["sg-1"])), EC2));
        assert_eq!(out.findings[0].severity, Severity::Low);
        assert!(out.findings[0].summary.contains("next stop/start"));
        let mut eip = ec2_instance("i-0abc", Some("54.214.10.2"), &["sg-1"]);
        if let OriginResource::Ec2Instance(i) = &mut eip {
            i.matched_by = "elastic-ip".into();
        }
        assert!(run(&ev(Fetch::fetched(eip), EC2)).findings.is_empty());
        // Without DescribeAddresses, whether it is an Elastic IP is not known.
        let mut e = ev(Fetch::fetched(ec2_instance("i-0abc", Some("54.214.10.2"), &["sg-1"])), EC2);
        e.inventory.calls[0].outcome = "denied".into();
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
    }

    #[test]
    fn a_cname_to_an_ec2_name_is_flagged_and_other_names_are_not() {
        let outside = || Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() });
        let mut e = ev(outside(), "origin.example.com");
        e.observations.dns.push(dns(
            "origin.example.com",
            DnsRole::Origin { origin_id: "o1".into() },
            &["54.214.10.2"],
            &[EC2],
            None,
        ));
        assert_eq!(run(&e).findings.len(), 1);
        let mut e = ev(outside(), "origin.example.com");
        e.observations.dns.push(dns(
            "origin.example.com",
            DnsRole::Origin { origin_id: "o1".into() },
            &["203.0.113.9"],
            &[],
            None,
        ));
        assert!(run(&e).findings.is_empty());
    }
}
