//! `redirect-escape-to-origin-hostname`: the origin redirects viewers to its own hostname,
//! sending them around CloudFront.
//!
//! An application that builds absolute URLs from the Host it received (CloudFront sends the
//! origin's domain name unless Host is forwarded), or an ALB redirect action that keeps
//! `#{host}`, answers `Location: https://my-alb-123.elb.amazonaws.com/login`. CloudFront passes
//! the redirect on (and caches it); the viewer leaves CloudFront: certificate warnings, 403 from
//! an origin that requires CloudFront's secret header, no caching, no WAF.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#RequestCustomRedirects>

use super::probe_view::update_cli;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use super::fix_support::header_forwarding_all;
use crate::evidence::{Evidence, ProbeTarget, RequestShape};

pub static META: CheckMeta = CheckMeta {
    id: "redirect-escape-to-origin-hostname",
    title: "Redirects send viewers to the origin's own hostname",
    what_breaks: "Viewers are redirected away from CloudFront to the origin's name: certificate errors, 403s from a secret-header check, or an uncached, unprotected origin.",
    why: "The origin builds the redirect from the Host it received; CloudFront sends the origin's domain name as Host unless the behavior forwards the viewer's Host, and it passes redirects to viewers unchanged.",
    evidence_used: &[
        "probes through the distribution: a Location naming an origin's domain",
        "direct probes shaped as CloudFront sends them: a Location naming the origin's domain",
        "the behavior's forwarding of Host",
    ],
    fix: "Forward the viewer's Host to the origin (origin request policy AllViewer / HostHeaderOnly), or configure the application's public base URL, or set the ALB redirect's Host explicitly.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#RequestCustomRedirects",
    explains: Explains::Symptoms(&[SymptomClass::RedirectEscape]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for origin in &d.origins {
        let host = origin.domain_name.to_ascii_lowercase();
        // Seen through the distribution: the escape the probe noted.
        let seen = ev.observations.probes.iter().find_map(|p| {
            let e = p.redirect_escape.as_ref()?;
            (matches!(p.target, ProbeTarget::Edge { .. }) && e.origin_id == origin.id).then(|| {
                format!("{} → Location: {}", p.hops.get(e.hop).map(|h| h.url.as_str()).unwrap_or("?"), e.location)
            })
        });
        // Predicted from the origin's own answer to CloudFront's request.
        let predicted = ev.observations.probes.iter().find_map(|p| {
            if p.shape != RequestShape::Cloudfront {
                return None;
            }
            let ProbeTarget::Origin { origin_id, .. } = &p.target else {
                return None;
            };
            if *origin_id != origin.id {
                return None;
            }
            let r = p.first_response()?;
            let loc = r.header("location").filter(|_| r.is_redirect())?;
            let lhost = url::Url::parse(loc).ok()?.host_str()?.to_ascii_lowercase();
            (lhost == host).then(|| format!("{} {} → {} Location: {loc}", p.method, p.hops[0].url, r.status))
        });
        if seen.is_none() && predicted.is_none() {
            continue;
        }
        let mut evidence = Vec::new();
        if let Some(s) = &seen {
            evidence.push(
                EvidenceItem::new(Source::Probe, "through the distribution", s.clone())
                    .expected("a Location on the viewer's hostname"),
            );
        }
        if let Some(p) = &predicted {
            evidence.push(EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", p.clone()));
        }
        evidence.push(EvidenceItem::new(
            Source::Config,
            format!("Origins[Id={}].DomainName", origin.id),
            &origin.domain_name,
        ));
        let observed = seen.is_some();
        let finding = META.finding(if observed { Severity::High } else { Severity::Medium },
            if observed { Confidence::High } else { Confidence::Medium },
        )
        .summary(format!(
            "The origin redirects to its own hostname {host}, so viewers following the redirect leave CloudFront."
        ))
        .observed(observed)
        .evidence(evidence)
        .remediation(Remediation {
            fix: {
                let app = vec![Change::Origin {
                    part: OriginPart::Application,
                    what: "set the application's public base URL to the site's hostname".into(),
                }];
                let behaviors: Vec<_> = std::iter::once(&d.default_behavior)
                    .chain(&d.behaviors)
                    .filter(|b| b.target_origin_id == origin.id)
                    .collect();
                match header_forwarding_all(d, &behaviors, "host", true) {
                    Some(forward) if !forward.is_empty() => Fix::alternatives([forward, app]),
                    _ => Fix::alternatives([app]),
                }
            },
            summary: "Forward the viewer's Host to the origin (OriginRequestPolicyId 216adef6-5c7f-47e4-b989-5492eafa07d3, AllViewer), or set the application's public base URL to the site's hostname.".into(),
            steps: vec![
                "ALB redirect actions: set Host explicitly instead of #{host}.".into(),
                "Invalidate cached redirects after the fix.".into(),
            ],
            cli: vec![update_cli(d), format!("aws cloudfront create-invalidation --distribution-id {} --paths '/*'", d.id)],
        }.exact(d))
        .resource("distribution", &d.id)
        .resource("origin", &origin.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, RedirectEscape, Scheme};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn ev() -> Evidence {
        evidence(
            custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        )
    }

    #[test]
    fn an_edge_redirect_to_the_origin_is_high_and_an_origin_one_is_medium() {
        let mut e = ev();
        let mut p = edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(302, &[("Location", &format!("https://{ALB}/login"))])),
        );
        p.redirect_escape = Some(RedirectEscape {
            hop: 0,
            location: format!("https://{ALB}/login"),
            origin_id: "o1".into(),
            origin_hostname: ALB.into(),
        });
        e.observations.probes.push(p);
        let out = run(&e);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(out.findings[0].observed);

        let mut e = ev();
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            ALB,
            "/",
            HopResult::Response(response(301, &[("Location", &format!("http://{ALB}/login"))])),
        ));
        assert_eq!(run(&e).findings[0].severity, Severity::Medium);
    }

    #[test]
    fn redirects_on_the_viewer_hostname_are_no_finding() {
        let mut e = ev();
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            ALB,
            "/",
            HopResult::Response(response(301, &[("Location", "https://www.example.com/login")])),
        ));
        assert!(run(&e).findings.is_empty());
    }
}
