//! `host-header-routing-mismatch`: the origin routes on the Host header, and CloudFront sends a
//! different Host than the one the origin serves the site under.
//!
//! When the behavior does not forward the viewer's Host, CloudFront sends the origin's own domain
//! name (e.g. the load balancer's DNS name). Name-based virtual hosts and ALB listener rules with
//! `host-header` conditions for `app.example.com` do not match it and fall to a default (404, 403,
//! a placeholder site or another target group). A direct request with `Host: app.example.com`
//! works, which is why it looks like CloudFront's fault.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-headers-behavior>

use super::probe_view::{behavior_of, describe, edge, first, is_success, last_response, shape_pairs, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use super::fix_support::header_forwarding;
use crate::evidence::Evidence;
use crate::forwarding;

pub static META: CheckMeta = CheckMeta {
    id: "host-header-routing-mismatch",
    title: "The origin routes on Host and CloudFront sends another Host",
    what_breaks: "Through CloudFront the origin serves its default site or a 404/403; the same path with the site's hostname straight to the origin works.",
    why: "Unless the behavior forwards the viewer's Host header, CloudFront sends Host = the origin's domain name; host-based routing (ALB host-header rules, virtual hosts) does not match it.",
    evidence_used: &[
        "direct probes of the origin shaped as CloudFront sends them and as the viewer sends them (Host differs)",
        "the behavior's cache and origin request policies (is Host forwarded?)",
        "probes through the distribution (the same answer seen by viewers)",
    ],
    fix: "Forward the viewer's Host (origin request policy AllViewer or HostHeaderOnly, with an origin certificate that covers the viewer hostnames), or make the origin domain name the hostname the origin routes on, or route the origin's default on its own DNS name.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-headers-behavior",
    explains: Explains::Symptoms(&[SymptomClass::OriginError]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = from_config(ev);
    super::ladder_view::add(ev, &META, &mut out);
    out
}

/// What the configuration and the paired probes show, before the request ladder's word.
fn from_config(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let mut reported: Vec<String> = Vec::new();
    for pair in shape_pairs(ev) {
        let (Some(cf), Some(viewer)) = (first(pair.cf), pair.viewer.and_then(first)) else {
            continue;
        };
        let cf_host = pair.cf.hops.first().map(|h| h.host_header.as_str()).unwrap_or("");
        let viewer_host = pair.viewer.and_then(|v| v.hops.first()).map(|h| h.host_header.as_str()).unwrap_or("");
        if cf_host.eq_ignore_ascii_case(viewer_host) || !is_success(viewer) || cf.status < 400 {
            continue;
        }
        // 401/407 ask for credentials: that is authorization-stripped's evidence, not routing.
        if cf.status == viewer.status || matches!(cf.status, 401 | 407) || reported.iter().any(|o| o == pair.origin_id)
        {
            continue;
        }
        // The viewer's request with CloudFront's Host: if it works, Host is not the cause; if it
        // fails like CloudFront's, Host alone is.
        let cf_host_answer = pair.viewer_cf_host.and_then(first);
        if cf_host_answer.is_some_and(is_success) {
            continue;
        }
        let host_proven = cf_host_answer.is_some_and(|r| r.status == cf.status);
        reported.push(pair.origin_id.to_string());
        let b = behavior_of(d, pair.cf);
        let fwd = forwarding::for_behavior(b).ok();
        let host_forwarded = fwd.as_ref().map(|f| f.forwards_host());
        // The two requests also differ in what the behavior drops of what the app needs: then
        // the difference may be theirs (params-not-forwarded), not Host's.
        let e = &ev.request.expect;
        let params_dropped = fwd.as_ref().is_some_and(|f| {
            e.headers.iter().any(|h| !h.eq_ignore_ascii_case("host") && !f.headers.contains(h))
                || e.cookies.iter().any(|c| !f.cookies.contains(c))
                || e.query_strings.iter().any(|q| !f.query_strings.contains(q))
        }) || d.origin(pair.origin_id).is_some_and(|o| !o.origin_path.is_empty());
        // The same status seen through CloudFront for this path, not a CloudFront-generated page.
        let seen = edge(ev).find_map(|p| {
            let (h, r) = last_response(p)?;
            (p.viewer_path == pair.cf.viewer_path && r.status == cf.status && r.cloudfront_error.is_none())
                .then(|| format!("{} → {} (the origin's answer, passed through)", h.url, r.status))
        });
        let routing_like = matches!(cf.status, 404 | 421) || cf.header("server").is_some_and(|s| s.contains("awselb"));
        let mut evidence = vec![
            EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", describe(pair.cf))
                .expected(format!("the same answer as with Host: {viewer_host}")),
            EvidenceItem::new(
                Source::Probe,
                "origin, as the viewer sends it",
                describe(pair.viewer.unwrap_or(pair.cf)),
            ),
        ];
        match host_forwarded {
            Some(false) => evidence.push(
                EvidenceItem::new(
                    Source::Config,
                    format!("{}.CachePolicyId / OriginRequestPolicyId", b.field_path()),
                    "Host is not forwarded: CloudFront sends the origin's domain name",
                )
                .expected("Host forwarded, or an origin that serves its own domain name"),
            ),
            Some(true) => {}
            None => out.unverified(
                &META,
                format!("whether behavior {} forwards Host", b.label()),
                "it uses a custom policy whose definition was not read",
            ),
        }
        if let Some(s) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
        }
        let observed = seen.is_some();
        let summary = format!(
            "Origin {} answers {} to Host: {cf_host} (what CloudFront sends) but {} to Host: {viewer_host}: it routes on the Host header.",
            pair.origin_id, cf.status, viewer.status
        );
        let params_dropped = params_dropped && !host_proven;
        let routing_like = routing_like || host_proven;
        if let Some(p) = pair.viewer_cf_host.filter(|_| host_proven) {
            evidence.push(EvidenceItem::new(
                Source::Probe,
                "origin, as the viewer sends it but with CloudFront's Host",
                describe(p),
            ));
        }
        let (severity, confidence) = match (params_dropped, observed, routing_like) {
            (true, _, _) => (Severity::Medium, Confidence::Low),
            (false, true, r) => (Severity::Critical, if r { Confidence::High } else { Confidence::Medium }),
            (false, false, r) => (Severity::High, if r { Confidence::High } else { Confidence::Medium }),
        };
        let summary = if params_dropped {
            format!(
                "{summary} The requests also differ in headers, cookies, query strings or the OriginPath prefix, which may explain it instead."
            )
        } else {
            summary
        };
        let finding = META.finding(severity, confidence)
        .summary(summary)
        .observed(observed)
        .evidence(evidence)
        .remediation(Remediation {
            fix: {
                let serve = vec![Change::Origin {
                    part: OriginPart::Server,
                    what: format!(
                        "serve the site for Host {}, the origin's own name, which CloudFront sends",
                        d.origin(&b.target_origin_id).map_or(b.target_origin_id.as_str(), |o| o.domain_name.as_str())
                    ),
                }];
                match header_forwarding(d, b, "host", true) {
                    Some(forward) => Fix::alternatives([vec![Change::Config(forward)], serve]),
                    None => Fix::alternatives([serve]),
                }
            },
            summary: format!(
                "Set {}.OriginRequestPolicyId to 216adef6-5c7f-47e4-b989-5492eafa07d3 (AllViewer) or bf0718e1-ba1e-49d1-88b1-f726733018ae (HostHeaderOnly) so that the origin receives Host: {viewer_host}.",
                b.field_path()
            ),
            steps: vec![
                "With Host forwarded, CloudFront also sends it as TLS SNI: the origin's certificate must cover the viewer hostnames.".into(),
                format!(
                    "Or: give the origin a DNS name it routes on (e.g. origin.{viewer_host}) and use it as the origin's DomainName."
                ),
                "Or: make the load balancer's default rule (or the default virtual host) serve the site.".into(),
            ],
            cli: vec![update_cli(d)],
        }.exact(d))
        .resource("distribution", &d.id)
        .resource("origin", pair.origin_id)
        .resource("behavior", b.label());
        // Listener-rule evidence (ALB host-header conditions) will plug in here once the
        // inventory reads DescribeRules.
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, RequestShape, Scheme};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn ev(cf_status: u16, viewer_status: u16) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        // CachingOptimized without origin request policy: Host not forwarded.
        e.inventory.distribution.default_behavior.origin_request_policy_id = None;
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            ALB,
            "/",
            HopResult::Response(response(cf_status, &[("Server", "awselb/2.0")])),
        ));
        e.observations.probes.push(origin_probe(
            RequestShape::Viewer,
            "www.example.com",
            "/",
            HopResult::Response(response(viewer_status, &[])),
        ));
        e
    }

    #[test]
    fn origin_failing_only_with_cloudfronts_host_is_a_finding() {
        let out = run(&ev(404, 200));
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.confidence, Confidence::High);
        assert!(f.evidence.iter().any(|x| x.source == Source::Config));
        let mut e = ev(404, 200);
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(404, &[])),
        ));
        let out = run(&e);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].observed);
    }

    #[test]
    fn the_viewer_request_with_cloudfronts_host_decides() {
        let with_cf_host = |status: u16| {
            let mut e = ev(403, 200);
            e.request.expect.cookies = vec!["session".into()];
            e.observations.probes.push(origin_probe(
                RequestShape::ViewerWithCloudfrontHost,
                ALB,
                "/",
                HopResult::Response(response(status, &[])),
            ));
            e
        };
        // Fails like CloudFront's: Host is proven, even with dropped cookies around.
        let out = run(&with_cf_host(403));
        assert_eq!(out.findings[0].severity, Severity::High);
        assert_eq!(out.findings[0].confidence, Confidence::High);
        // Works: the difference is not Host.
        assert!(run(&with_cf_host(200)).findings.is_empty());
    }

    #[test]
    fn same_answer_for_both_hosts_or_both_failing_is_no_finding() {
        assert!(run(&ev(200, 200)).findings.is_empty());
        assert!(run(&ev(404, 404)).findings.is_empty());
        assert!(run(&ev(200, 404)).findings.is_empty());
        // No viewer-shaped twin: nothing to compare.
        let mut e = ev(404, 200);
        e.observations.probes.retain(|p| p.shape == RequestShape::Cloudfront);
        assert!(run(&e).findings.is_empty());
    }
}
