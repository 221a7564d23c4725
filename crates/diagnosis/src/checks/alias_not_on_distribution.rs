//! `alias-not-on-distribution`: a viewer hostname does not lead to this distribution, or
//! CloudFront does not recognise it as one of the distribution's alternate domain names.
//!
//! CloudFront picks the distribution by the Host (and SNI) of the viewer's request. When DNS for
//! `www.example.com` points somewhere else (another distribution, an old load balancer) or the
//! name reaches CloudFront without being in this distribution's `Aliases`, viewers get
//! CloudFront's 403 "Bad request" page (or a certificate error) while the `*.cloudfront.net`
//! name works.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html>

use super::probe_view::{edge, edge_hostname, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix};
use crate::evidence::{CloudFrontReason, DnsRole, Evidence};

pub static META: CheckMeta = CheckMeta {
    id: "alias-not-on-distribution",
    title: "A viewer hostname does not reach this distribution",
    what_breaks: "Viewers using the hostname get CloudFront's 403 \"Bad request\" page, a certificate error or another site, while the distribution's own domain works.",
    why: "CloudFront serves a request with the distribution whose Aliases contain the Host; DNS must send the name to this distribution's domain, and the name must be listed in its Aliases (with a certificate covering it).",
    evidence_used: &[
        "Aliases.Items",
        "DNS observation of each alias (CNAME chain, addresses compared with the distribution's domain)",
        "probes through the distribution to each alias: CloudFront's 403 \"Bad request\" page",
    ],
    fix: "Point the hostname's DNS (CNAME or Route 53 alias) at the distribution's domain name and make sure it is in Aliases with a certificate that covers it.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront403, SymptomClass::ViewerTls, SymptomClass::ViewerConnect]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    // The distribution's own name must work for an alias failure to be about the alias.
    let own_ok = edge(ev).any(|p| {
        edge_hostname(p).is_some_and(|h| h.eq_ignore_ascii_case(&d.domain_name))
            && last_response(p).is_some_and(|(_, r)| r.cloudfront_reason() != Some(&CloudFrontReason::BadRequest))
    });
    for alias in &d.aliases {
        let dns = ev.observations.dns.iter().find(|o| o.role == DnsRole::Alias && o.name.eq_ignore_ascii_case(alias));
        let rejected = edge(ev).find_map(|p| {
            let h = edge_hostname(p)?;
            if !h.eq_ignore_ascii_case(alias) {
                return None;
            }
            let (hop, r) = last_response(p)?;
            (r.status == 403 && r.cloudfront_reason() == Some(&CloudFrontReason::BadRequest))
                .then(|| format!("{} → 403, CloudFront's \"Bad request\" page", hop.url))
        });
        let mut evidence = vec![EvidenceItem::new(Source::Config, "Aliases.Items", d.aliases.join(", "))];
        let mut dns_problem = None;
        match dns {
            None => {}
            Some(o) if o.source == "override" => {}
            Some(o) if o.error.is_some() => {
                dns_problem = Some(format!("{alias} does not resolve: {}", o.error.as_deref().unwrap_or("")));
            }
            Some(o) if o.points_to_distribution == Some(false) => {
                let to = o
                    .cname_chain
                    .last()
                    .cloned()
                    .unwrap_or_else(|| o.a.iter().chain(&o.aaaa).cloned().collect::<Vec<_>>().join(", "));
                dns_problem = Some(format!("{alias} resolves to {to}, not to {}", d.domain_name));
            }
            Some(_) => {}
        }
        if let Some(p) = &dns_problem {
            evidence.push(
                EvidenceItem::new(Source::Probe, format!("DNS {alias}"), p.clone())
                    .expected(format!("a CNAME (or Route 53 alias) to {}", d.domain_name)),
            );
        }
        if let Some(r) = &rejected {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", r.clone()));
        }
        if dns_problem.is_none() && rejected.is_none() {
            if dns.is_none() {
                out.unverified(&META, format!("where DNS for {alias} leads"), "the name was not resolved");
            }
            continue;
        }
        let observed = rejected.is_some();
        let severity = if observed && own_ok { Severity::Critical } else { Severity::High };
        let summary = match (&rejected, &dns_problem) {
            (Some(_), _) => format!(
                "Requests for {alias} reach a CloudFront distribution that does not serve it (403 \"Bad request\"): DNS leads to another distribution, or the alias is not active on this one."
            ),
            (None, Some(p)) => format!("{p}: viewers using {alias} do not reach this distribution."),
            (None, None) => continue,
        };
        let finding = META.finding(severity, if observed { Confidence::High } else { Confidence::Medium })
            .summary(summary)
            .observed(observed)
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Other {
                    what: format!("make {alias} a CNAME (or Route 53 alias record) to {}", d.domain_name),
                }]),
                summary: format!(
                    "Make {alias} a CNAME (or Route 53 alias record) to {} and keep it in Aliases.Items with a viewer certificate that covers it.",
                    d.domain_name
                ),
                steps: vec![
                    "If the name is attached to another distribution, move it (aws cloudfront associate-alias) before pointing DNS here.".into(),
                ],
                cli: vec![
                    format!("aws cloudfront list-conflicting-aliases --distribution-id {} --alias {alias}", d.id),
                    update_cli(d),
                ],
            })
            .resource("distribution", &d.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, Scheme};
    use crate::testing::*;

    fn ev() -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.aliases = vec!["www.example.com".into()];
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        e
    }

    #[test]
    fn a_bad_request_page_on_the_alias_is_critical_and_wrong_dns_is_high() {
        let mut e = ev();
        e.observations.probes.push(edge_probe(
            "www.example.com",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(cloudfront_page(403, CloudFrontReason::BadRequest)),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Critical);

        let mut e = ev();
        let mut o = dns("www.example.com", DnsRole::Alias, &["192.0.2.9"], &["d999.cloudfront.net"], None);
        o.points_to_distribution = Some(false);
        e.observations.dns.push(o);
        let out = run(&e);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(out.findings[0].summary.contains("d999.cloudfront.net"));
    }

    #[test]
    fn an_alias_that_leads_here_and_works_is_no_finding_and_an_unresolved_check_is_unverified() {
        let mut e = ev();
        let mut o = dns("www.example.com", DnsRole::Alias, &["192.0.2.9"], &["d111.cloudfront.net"], None);
        o.points_to_distribution = Some(true);
        e.observations.dns.push(o);
        e.observations.probes.push(edge_probe(
            "www.example.com",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        let out = run(&e);
        assert!(out.findings.is_empty() && out.unverified.is_empty());
        assert_eq!(run(&ev()).unverified.len(), 1);
    }
}
