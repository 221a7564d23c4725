//! `stacked-distributions`: the origin is itself a CloudFront distribution.
//!
//! CloudFront in front of CloudFront is not supported: a request that passes through two or more
//! distributions in a chain gets a 403 from CloudFront. The origin is recognised by its name
//! (`*.cloudfront.net`) or by the CloudFront headers (`Via: … cloudfront.net`, `X-Amz-Cf-Id`)
//! on its direct answer.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-permission-denied.html>

use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::Fix;
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "stacked-distributions",
    title: "Origin is another CloudFront distribution",
    what_breaks: "Requests through the chained distributions get CloudFront 403 errors.",
    why: "CloudFront does not support a distribution whose origin is another distribution; it answers 403 when a request crosses two or more distributions in a chain.",
    evidence_used: &["Origins.Items[].DomainName", "direct origin probe: Via / X-Amz-Cf-Id / Server headers"],
    fix: "Point the origin at the real origin behind the other distribution, or merge the two distributions' behaviors into one.",
    fix_kinds: &[super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-permission-denied.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront403]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in &d.origins {
        if o.custom().is_none() {
            continue;
        }
        let mut evidence = Vec::new();
        let name = o.domain_name.trim_end_matches('.').to_ascii_lowercase();
        if name.ends_with(".cloudfront.net") {
            evidence.push(
                EvidenceItem::new(Source::Config, format!("Origins[Id={}].DomainName", o.id), &o.domain_name)
                    .expected("the real origin, not a *.cloudfront.net distribution"),
            );
        }
        let mut observed = false;
        for p in ev.observations.origin_probes(&o.id) {
            let Some(hop) = p.hops.first() else { continue };
            let Some(r) = hop.response() else { continue };
            let via = r.header("via").filter(|v| v.to_ascii_lowercase().contains("cloudfront"));
            if let Some(marker) = via
                .map(|v| format!("Via: {v}"))
                .or_else(|| r.header("x-amz-cf-id").map(|_| "X-Amz-Cf-Id present".to_string()))
            {
                observed = r.status == 403;
                evidence.push(
                    EvidenceItem::new(
                        Source::Probe,
                        format!("direct request {}", hop.url),
                        format!("{} with {marker}", r.status),
                    )
                    .expected("an answer from the origin server itself"),
                );
                break;
            }
        }
        if evidence.is_empty() {
            continue;
        }
        out.push(
            META.finding(Severity::High,
                if evidence.len() > 1 { Confidence::High } else { Confidence::Medium },
            )
            .summary(format!(
                "Origin {} ({}) is itself a CloudFront distribution; chained distributions answer 403.",
                o.id, o.domain_name
            ))
            .observed(observed)
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::manual(
                    "the origin behind the other distribution is not in the evidence, so the DomainName to set cannot be named",
                ),
                summary: format!("Set Origins[Id={}].DomainName to the origin behind the other distribution.", o.id),
                steps: vec!["Or move the other distribution's behaviors into this one and retire the chain.".into()],
                cli: vec![format!("aws cloudfront get-distribution-config --id {} > dist.json", d.id)],
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.id),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{
        Fetch, HopResult, OriginProtocolPolicy, OriginResource, ProbeTarget, RedirectOutcome, Scheme,
    };
    use crate::testing::*;

    fn ev(domain: &str) -> Evidence {
        evidence(
            custom_origin("o1", domain, OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        )
    }

    fn with_direct_answer(mut e: Evidence, headers: &[(&str, &str)]) -> Evidence {
        e.observations.probes.push(probe(
            "origin:o1:https:/",
            ProbeTarget::Origin {
                origin_id: "o1".into(),
                behavior: "default".into(),
                scheme: Scheme::Https,
                port: 443,
                host_header: "x".into(),
            },
            vec![hop("https://origin.example/", HopResult::Response(response(403, headers)))],
            RedirectOutcome::Final,
        ));
        e
    }

    #[test]
    fn a_cloudfront_name_or_cloudfront_headers_are_flagged() {
        let out = run(&ev("d222.cloudfront.net"));
        assert_eq!(out.findings.len(), 1);
        let out = run(&with_direct_answer(ev("origin.example"), &[("Via", "1.1 abc.cloudfront.net (CloudFront)")]));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].observed);
    }

    #[test]
    fn an_ordinary_origin_is_not() {
        assert!(run(&with_direct_answer(ev("origin.example"), &[("Server", "nginx")])).findings.is_empty());
    }
}
