//! `origin-dns-failure`: the origin's domain name does not resolve in public DNS (or only to
//! private addresses).
//!
//! CloudFront resolves the origin's `DomainName` through public DNS from its edge locations. A
//! name that exists only in a private hosted zone or split-horizon DNS, a deleted load balancer,
//! a typo or a broken delegation gives CloudFront's 502 "CloudFront wasn't able to resolve the
//! origin domain name." while the origin works from inside the network.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-502-bad-gateway.html#http-502-dns-error>

use super::probe_view::{edge, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{CloudFrontReason, DnsRole, Evidence, HopResult, ProbeStage};

pub static META: CheckMeta = CheckMeta {
    id: "origin-dns-failure",
    title: "The origin's domain name does not resolve publicly",
    what_breaks: "Every request that goes to the origin gets CloudFront's 502 DNS error page.",
    why: "CloudFront resolves Origins[].DomainName through public DNS; names that exist only privately, or not at all, cannot be resolved at the edge.",
    evidence_used: &[
        "Origins[].DomainName",
        "DNS observation of the origin's name (NXDOMAIN, SERVFAIL, no records, private-only answers)",
        "probes through the distribution: CloudFront's 502 DNS page",
    ],
    fix: "Publish a public DNS record for the origin's name (or use the load balancer's public DNS name), fix the delegation, or correct the typo.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-502-bad-gateway.html#http-502-dns-error",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let edge_dns = edge(ev).find_map(|p| {
        let (h, r) = last_response(p)?;
        (r.cloudfront_reason() == Some(&CloudFrontReason::OriginDnsFailure))
            .then(|| format!("{} → {}, \"{}\"", h.url, r.status, CloudFrontReason::OriginDnsFailure))
    });
    for origin in &d.origins {
        if origin.custom().is_none() {
            continue;
        }
        let obs = ev.observations.dns.iter().find(|o| {
            matches!(&o.role, DnsRole::Origin { origin_id } if *origin_id == origin.id)
                || (o.name.eq_ignore_ascii_case(&origin.domain_name) && matches!(o.role, DnsRole::Origin { .. }))
        });
        let probe_dns_error =
            ev.observations.origin_probes(&origin.id).find_map(|p| match p.hops.first().map(|h| &h.result) {
                Some(HopResult::Error(e)) if e.stage == ProbeStage::Dns => Some(e.message.clone()),
                _ => None,
            });
        let Some(obs) = obs else {
            if ev.observations.origin_probes(&origin.id).next().is_some() || edge_dns.is_some() {
                out.unverified(&META, format!("whether {} resolves", origin.domain_name), "the name was not resolved");
            }
            continue;
        };
        if obs.source == "override" {
            if edge_dns.is_some() {
                out.unverified(
                    &META,
                    format!("whether {} resolves in public DNS", origin.domain_name),
                    "a --connect-to override stood in for DNS for this name",
                );
            }
            continue;
        }
        let all_private = obs.resolved() && obs.notes.len() >= obs.a.len() + obs.aaaa.len();
        let problem = if let Some(e) = &obs.error {
            Some(format!("{} does not resolve: {e}", origin.domain_name))
        } else if all_private {
            Some(format!(
                "{} resolves only to non-public addresses ({}): CloudFront cannot reach them",
                origin.domain_name,
                obs.a.iter().chain(&obs.aaaa).cloned().collect::<Vec<_>>().join(", ")
            ))
        } else {
            None
        };
        let Some(problem) = problem else {
            continue;
        };
        let mut evidence = vec![
            EvidenceItem::new(Source::Config, format!("Origins[Id={}].DomainName", origin.id), &origin.domain_name),
            EvidenceItem::new(Source::Probe, format!("DNS {} ({})", origin.domain_name, obs.source), problem.clone())
                .expected("public A/AAAA records"),
        ];
        if let Some(m) = probe_dns_error {
            evidence.push(EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", m));
        }
        if let Some(s) = &edge_dns {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
        }
        let observed = edge_dns.is_some();
        let finding = META.finding(if observed || obs.error.is_some() { Severity::Critical } else { Severity::High },
            if observed { Confidence::High } else { Confidence::Medium },
        )
        .summary(format!("{problem}; CloudFront answers 502 for requests to origin {}.", origin.id))
        .observed(observed)
        .evidence(evidence)
        .remediation(Remediation {
            fix: Fix::changes([Change::Origin {
                part: OriginPart::Dns,
                what: format!("publish public DNS records for {}", origin.domain_name),
            }]),
            summary: format!(
                "Publish public DNS records for {} (or set Origins[Id={}].DomainName to a publicly resolvable name, such as the load balancer's DNS name).",
                origin.domain_name, origin.id
            ),
            steps: vec![
                "Names in a Route 53 private hosted zone are invisible to CloudFront.".into(),
                format!("Check from outside your network: dig +short {} @1.1.1.1", origin.domain_name),
            ],
            cli: vec![update_cli(d)],
        })
        .resource("distribution", &d.id)
        .resource("origin", &origin.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, OriginProtocolPolicy, OriginResource, Scheme};
    use crate::testing::*;

    fn ev(a: &[&str], error: Option<&str>) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        let mut o = dns("app.example.com", DnsRole::Origin { origin_id: "o1".into() }, a, &[], error);
        if a.iter().any(|x| x.starts_with("10.")) {
            o.notes.push("10.0.0.5 is a private address".into());
        }
        e.observations.dns.push(o);
        e
    }

    #[test]
    fn nxdomain_is_critical_and_private_only_is_high() {
        let out = run(&ev(&[], Some("nxdomain: the name does not exist")));
        assert_eq!(out.findings[0].severity, Severity::Critical);
        let mut e = ev(&["10.0.0.5"], None);
        assert_eq!(run(&e).findings[0].severity, Severity::High);
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(cloudfront_page(502, CloudFrontReason::OriginDnsFailure)),
        ));
        let out = run(&e);
        assert!(out.findings[0].observed);
        assert_eq!(out.findings[0].confidence, Confidence::High);
    }

    #[test]
    fn public_answers_or_an_override_are_no_finding() {
        assert!(run(&ev(&["192.0.2.10"], None)).findings.is_empty());
        let mut e = ev(&[], Some("nxdomain"));
        e.observations.dns[0].source = "override".into();
        assert!(run(&e).findings.is_empty());
    }
}
