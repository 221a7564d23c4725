//! `redirect-loop-origin-forces-https`: CloudFront talks HTTP to an origin that redirects every
//! HTTP request to HTTPS.
//!
//! With `OriginProtocolPolicy = http-only`, CloudFront fetches over HTTP; the origin (an ALB
//! HTTP:80 listener whose default action redirects to HTTPS, or an app that forces HTTPS) answers
//! 301 to `https://<Host>/…`; the viewer follows it back to CloudFront, which fetches over HTTP
//! again: the browser stops with ERR_TOO_MANY_REDIRECTS. CloudFront caches the 301, so the loop
//! outlives the fix until the cache expires or is invalidated. With `match-viewer` and viewers
//! allowed on HTTP, a redirect fetched for an HTTP viewer is cached and served to HTTPS viewers too.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>

use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{BehaviorRef, Change, ConfigChange, Fix, OriginPart};
use crate::evidence::{
    Distribution, Evidence, Fetch, ListenerAction, OriginProtocolPolicy, OriginResource, ProbeTarget, RedirectOutcome,
    Scheme, ViewerProtocolPolicy,
};

pub static META: CheckMeta = CheckMeta {
    id: "redirect-loop-origin-forces-https",
    title: "Origin redirects CloudFront's HTTP requests to HTTPS (redirect loop)",
    what_breaks: "Viewers get an endless chain of 301/302 redirects to the same URL (ERR_TOO_MANY_REDIRECTS).",
    why: "CloudFront connects to the origin over HTTP (origin protocol policy http-only), the origin answers every HTTP request with a redirect to HTTPS on the viewer's own hostname, and the viewer's HTTPS retry reaches CloudFront, which again fetches over HTTP. CloudFront caches the redirect, so the loop persists until the cached 301 expires or is invalidated.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy and HTTPPort",
        "behaviors' ViewerProtocolPolicy",
        "ELBv2 listener on HTTPPort: default action redirect to HTTPS",
        "direct HTTP probe of the origin as CloudFront sends it (redirect to https://)",
        "probe through the distribution (the same URL coming back)",
    ],
    fix: "Set the origin protocol policy to https-only (the origin needs a publicly trusted certificate for the name CloudFront sends), or stop redirecting on the origin and let the behavior's viewer protocol policy redirect-to-https do it; then invalidate the cached redirects.",
    fix_kinds: &[super::FixKind::Typed],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html",
    explains: Explains::Symptoms(&[SymptomClass::RedirectLoop]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for origin in &d.origins {
        let Some(custom) = origin.custom() else {
            continue;
        };
        let policy = custom.protocol_policy;
        if !matches!(policy, OriginProtocolPolicy::HttpOnly | OriginProtocolPolicy::MatchViewer) {
            continue;
        }
        let behaviors: Vec<_> = std::iter::once(&d.default_behavior)
            .chain(&d.behaviors)
            .filter(|b| b.target_origin_id == origin.id)
            .collect();
        if behaviors.is_empty() {
            continue;
        }
        let http_viewers = behaviors.iter().any(|b| b.viewer_protocol_policy == ViewerProtocolPolicy::AllowAll);
        if policy == OriginProtocolPolicy::MatchViewer && !http_viewers {
            // Only HTTPS reaches the origin over HTTPS: no loop.
            continue;
        }
        let field = format!("Origins[Id={}].CustomOriginConfig", origin.id);
        let mut evidence = vec![
            EvidenceItem::new(Source::Config, format!("{field}.OriginProtocolPolicy"), policy.as_api())
                .expected("https-only, or an origin that serves HTTP without redirecting"),
        ];
        if policy == OriginProtocolPolicy::MatchViewer {
            evidence.push(EvidenceItem::new(
                Source::Config,
                "ViewerProtocolPolicy",
                "allow-all: HTTP viewers reach the origin over HTTP, and CloudFront caches one copy for both protocols",
            ));
        }

        // Network evidence: the load balancer's listener on the HTTP port.
        let mut listener_arn = None;
        let mut network_known = false;
        let mut listener_redirects = false;
        let inv = ev.inventory.origin(&origin.id);
        match inv.map(|o| &o.resource) {
            Some(Fetch::Fetched { value: OriginResource::LoadBalancer(lb) }) => match &lb.listeners {
                Fetch::Fetched { value: listeners } => {
                    network_known = true;
                    if let Some(l) = listeners.iter().find(|l| l.port == custom.http_port) {
                        for a in &l.default_actions {
                            if let ListenerAction::Redirect { protocol, port, host, path, query, status_code } = a {
                                if protocol.eq_ignore_ascii_case("HTTPS") {
                                    listener_redirects = true;
                                    listener_arn = Some(l.arn.clone());
                                    evidence.push(
                                        EvidenceItem::new(
                                            Source::Network,
                                            format!("listener {} ({}:{}) DefaultActions[0]", l.arn, l.protocol, l.port),
                                            format!(
                                                "redirect {status_code} to {protocol}://{host}:{port}{path}?{query}"
                                            ),
                                        )
                                        .expected("forward to the target group (let CloudFront redirect viewers)"),
                                    );
                                }
                            }
                        }
                    }
                }
                other => {
                    if let Some(reason) = other.missing_reason() {
                        out.unverified(&META, format!("listeners of load balancer {}", lb.name), reason);
                    }
                }
            },
            Some(Fetch::Fetched { value: OriginResource::OutsideAws { .. } }) => {}
            Some(other) => {
                if let Some(reason) = other.missing_reason() {
                    out.unverified(&META, format!("the resource behind origin {}", origin.id), reason);
                }
            }
            None => {}
        }

        // Probe evidence: the origin's answer to CloudFront's HTTP request.
        let mut probe_redirects = false;
        let mut probe_seen = false;
        for p in ev.observations.origin_probes(&origin.id) {
            let ProbeTarget::Origin { scheme: Scheme::Http, host_header, .. } = &p.target else {
                continue;
            };
            let Some(first) = p.hops.first() else {
                continue;
            };
            let Some(resp) = first.response() else {
                continue;
            };
            probe_seen = true;
            let location = resp.header("location").unwrap_or("");
            if resp.is_redirect() && location.to_ascii_lowercase().starts_with("https://") {
                probe_redirects = true;
                evidence.push(
                    EvidenceItem::new(
                        Source::Probe,
                        format!("GET {} (Host: {host_header}, as CloudFront sends it)", first.url),
                        format!("{} {} → Location: {location}", resp.status, resp.reason),
                    )
                    .expected("200 (the content), not a redirect to HTTPS"),
                );
                break;
            }
        }

        // Edge evidence: the same URL coming back through the distribution.
        let mut loop_observed = false;
        for p in ev.observations.edge_probes() {
            if let RedirectOutcome::Loop { repeated_url } = &p.redirects {
                if edge_loop_is_ours(d, p) {
                    loop_observed = true;
                    let chain: Vec<String> = p
                        .hops
                        .iter()
                        .map(|h| match h.response() {
                            Some(r) => format!("{} → {}", h.url, r.status),
                            None => format!("{} → error", h.url),
                        })
                        .collect();
                    evidence.push(
                        EvidenceItem::new(
                            Source::Probe,
                            format!("viewer request {}", p.hops.first().map(|h| h.url.as_str()).unwrap_or("")),
                            format!("redirect loop: {repeated_url} came back ({})", chain.join(", ")),
                        )
                        .expected("a final response after at most one redirect"),
                    );
                    break;
                }
            }
        }

        // With no answer of the origin to CloudFront's HTTP request (the probe did not run or
        // failed) and no listener that redirects, a loop through the distribution toward an
        // origin reached over HTTP is still this failure's signature, inferred.
        let loop_only = loop_observed && !probe_seen && !listener_redirects;
        if !listener_redirects && !probe_redirects && !loop_only {
            if !network_known && !probe_seen && policy == OriginProtocolPolicy::HttpOnly {
                out.unverified(
                    &META,
                    format!("whether origin {} redirects HTTP to HTTPS", origin.id),
                    "neither its load balancer listeners nor a direct HTTP probe could be read",
                );
            }
            continue;
        }
        if loop_only {
            out.unverified(
                &META,
                format!("whether origin {} itself redirects CloudFront's HTTP requests to HTTPS", origin.id),
                "no direct HTTP probe of the origin got an answer; the loop was seen through the distribution only",
            );
        }

        let (severity, summary) = match policy {
            OriginProtocolPolicy::HttpOnly if loop_only => (
                Severity::High,
                format!(
                    "Viewers loop through CloudFront and origin {} is reached over HTTP (http-only): an origin that redirects HTTP to HTTPS is the likely cause (its own answer to CloudFront's HTTP request was not observed).",
                    origin.id
                ),
            ),
            OriginProtocolPolicy::HttpOnly => (
                if loop_observed || probe_redirects { Severity::Critical } else { Severity::High },
                format!(
                    "Origin {} is reached over HTTP (http-only) but redirects every HTTP request to HTTPS, so viewers loop through CloudFront{}.",
                    origin.id,
                    if loop_observed { " (the loop was observed)" } else { "" }
                ),
            ),
            _ => (
                Severity::Medium,
                format!(
                    "Origin {} uses match-viewer with HTTP viewers allowed and redirects HTTP to HTTPS; the cached redirect is served to HTTPS viewers too and loops.",
                    origin.id
                ),
            ),
        };
        let confidence =
            match (listener_redirects || probe_redirects, loop_observed, probe_redirects && listener_redirects) {
                (false, _, _) => Confidence::Low,
                (_, true, _) | (_, _, true) => Confidence::High,
                _ => Confidence::Medium,
            };
        let mut steps = vec![
            format!(
                "Or stop the redirect on the origin: {} and set the behavior's ViewerProtocolPolicy to redirect-to-https so CloudFront redirects viewers itself.",
                if listener_arn.is_some() {
                    "change the HTTP listener's default action from redirect to forward"
                } else {
                    "serve HTTP requests from CloudFront without redirecting (trust CloudFront-Forwarded-Proto rather than the connection's scheme)"
                }
            ),
            "After the fix, invalidate the cached redirects (CloudFront caches 301/302).".to_string(),
        ];
        if policy == OriginProtocolPolicy::MatchViewer {
            steps.insert(0, "Or set every behavior of this origin to ViewerProtocolPolicy redirect-to-https.".into());
        }
        // Preferred: CloudFront talks HTTPS to the origin. Otherwise the origin stops
        // redirecting and CloudFront redirects HTTP viewers itself.
        let mut origin_side = vec![Change::Origin {
            part: if listener_arn.is_some() { OriginPart::Listener } else { OriginPart::Application },
            what: if let Some(arn) = &listener_arn {
                format!("change the default action of listener {arn} from a redirect to HTTPS to forward to the target group")
            } else {
                format!("serve CloudFront's HTTP requests to origin {} without redirecting them to HTTPS", origin.id)
            },
        }];
        origin_side.extend(behaviors.iter().filter(|b| b.viewer_protocol_policy == ViewerProtocolPolicy::AllowAll).map(
            |b| {
                Change::Config(ConfigChange::ViewerProtocolPolicy {
                    behavior: BehaviorRef::of(b),
                    value: ViewerProtocolPolicy::RedirectToHttps,
                })
            },
        ));
        let fix = Fix::alternatives([
            vec![Change::Config(ConfigChange::OriginProtocolPolicy {
                origin_id: origin.id.clone(),
                value: OriginProtocolPolicy::HttpsOnly,
            })],
            origin_side,
        ]);
        let mut cli = fix.cli(d);
        if let Some(arn) = &listener_arn {
            cli.push(format!("aws elbv2 modify-listener --listener-arn {arn} --default-actions Type=forward,TargetGroupArn=<target-group-arn>"));
        }
        cli.push(format!("aws cloudfront create-invalidation --distribution-id {} --paths '/*'", d.id));
        let mut b = META.finding(severity, confidence)
            .summary(summary)
            .observed(loop_observed)
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!(
                    "Set Origins[Id={}].CustomOriginConfig.OriginProtocolPolicy to https-only (HTTPSPort {}), with a publicly trusted certificate on the origin for the name CloudFront sends.",
                    origin.id, custom.https_port
                ),
                steps,
                cli,
                fix,
            })
            .resource("distribution", &d.id)
            .resource("origin", &origin.id);
        for beh in &behaviors {
            b = b.resource("behavior", beh.label());
        }
        if let Some(Fetch::Fetched { value: OriginResource::LoadBalancer(lb) }) = inv.map(|o| &o.resource) {
            b = b.resource("load-balancer", &lb.arn);
        }
        if let Some(arn) = listener_arn {
            b = b.resource("listener", arn);
        }
        out.push(b);
    }
    out
}

/// An edge loop counts for this check when it stays on the distribution's own names.
fn edge_loop_is_ours(d: &Distribution, p: &crate::evidence::ProbeRecord) -> bool {
    let names = d.viewer_hostnames();
    p.hops.iter().all(|h| {
        url::Url::parse(&h.url)
            .ok()
            .and_then(|u| u.host_str().map(|s| s.to_ascii_lowercase()))
            .is_some_and(|host| names.iter().any(|n| n.eq_ignore_ascii_case(&host)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{HopResult, ProbeTarget};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn loop_evidence(policy: OriginProtocolPolicy, http_action: crate::evidence::ListenerAction) -> Evidence {
        let lb = load_balancer(ALB, vec![listener(80, "HTTP", http_action), listener(443, "HTTPS", forward())]);
        evidence(custom_origin("o1", ALB, policy), Fetch::fetched(lb))
    }

    fn add_origin_redirect_probe(ev: &mut Evidence) {
        ev.observations.probes.push(probe(
            "origin:o1:http:/",
            ProbeTarget::Origin {
                origin_id: "o1".into(),
                behavior: "default".into(),
                scheme: Scheme::Http,
                port: 80,
                host_header: ALB.into(),
            },
            vec![hop(
                &format!("http://{ALB}/"),
                HopResult::Response(response(301, &[("Location", &format!("https://{ALB}:443/"))])),
            )],
            RedirectOutcome::NotFollowed { location: format!("https://{ALB}:443/"), reason: "x".into() },
        ));
    }

    #[test]
    fn http_only_with_redirecting_listener_and_observed_loop_is_critical_with_high_confidence() {
        let mut ev = loop_evidence(OriginProtocolPolicy::HttpOnly, redirect_to_https());
        add_origin_redirect_probe(&mut ev);
        push_edge_loop(&mut ev);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.id, META.id);
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.confidence, Confidence::High);
        assert!(f.observed);
        let sources: Vec<Source> = f.evidence.iter().map(|e| e.source).collect();
        assert!(
            sources.contains(&Source::Config) && sources.contains(&Source::Network) && sources.contains(&Source::Probe)
        );
        assert!(f.resources.iter().any(|r| r.kind == "listener"));
    }

    /// https-only first; the other way is the origin's listener, with CloudFront redirecting
    /// HTTP viewers.
    #[test]
    fn the_fix_is_https_only_or_the_listener_change() {
        let mut ev = loop_evidence(OriginProtocolPolicy::HttpOnly, redirect_to_https());
        ev.inventory.distribution.default_behavior.viewer_protocol_policy = ViewerProtocolPolicy::AllowAll;
        let f = &run(&ev).findings[0];
        let crate::fix::Fix::Changes { alternatives } = &f.remediation.fix else { panic!() };
        assert_eq!(
            alternatives[0].changes,
            vec![Change::Config(ConfigChange::OriginProtocolPolicy {
                origin_id: "o1".into(),
                value: OriginProtocolPolicy::HttpsOnly
            })]
        );
        assert!(matches!(&alternatives[1].changes[0], Change::Origin { part: OriginPart::Listener, .. }));
        assert_eq!(
            alternatives[1].changes[1],
            Change::Config(ConfigChange::ViewerProtocolPolicy {
                behavior: BehaviorRef::default_behavior(),
                value: ViewerProtocolPolicy::RedirectToHttps
            })
        );
        assert!(f.remediation.cli.iter().any(|c| c.contains("update-distribution")));
    }

    #[test]
    fn listener_config_alone_is_enough_but_less_certain() {
        let out = run(&loop_evidence(OriginProtocolPolicy::HttpOnly, redirect_to_https()));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert_eq!(out.findings[0].confidence, Confidence::Medium);
        assert!(!out.findings[0].observed);
    }

    #[test]
    fn https_only_or_a_forwarding_listener_is_no_finding() {
        assert!(run(&loop_evidence(OriginProtocolPolicy::HttpsOnly, redirect_to_https())).findings.is_empty());
        assert!(run(&loop_evidence(OriginProtocolPolicy::HttpOnly, forward())).findings.is_empty());
    }

    #[test]
    fn match_viewer_loops_only_when_http_viewers_are_allowed() {
        let ev = loop_evidence(OriginProtocolPolicy::MatchViewer, redirect_to_https());
        assert!(run(&ev).findings.is_empty(), "redirect-to-https viewers reach the origin over HTTPS only");
        let mut ev = ev;
        ev.inventory.distribution.default_behavior.viewer_protocol_policy = ViewerProtocolPolicy::AllowAll;
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Medium);
    }

    #[test]
    fn probe_evidence_alone_catches_an_app_that_forces_https() {
        let mut ev = evidence(
            custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        add_origin_redirect_probe(&mut ev);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].evidence.iter().any(|e| e.source == Source::Probe));
    }

    #[test]
    fn nothing_readable_is_reported_as_unverified_not_as_a_pass() {
        let ev = evidence(
            custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly),
            Fetch::Denied { action: "elasticloadbalancing:DescribeLoadBalancers".into(), message: "denied".into() },
        );
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("DescribeLoadBalancers")));
        assert!(out.unverified.iter().any(|u| u.what.contains("redirects HTTP to HTTPS")));
    }

    fn outside() -> Fetch<OriginResource> {
        Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() })
    }

    #[test]
    fn an_instance_or_unreadable_listeners_conclude_from_the_origin_probe() {
        let mut ev = evidence(
            custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(ec2_instance("i-0abc", Some("54.214.10.2"), &[])),
        );
        add_origin_redirect_probe(&mut ev);
        push_edge_loop(&mut ev);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!((out.findings[0].severity, out.findings[0].confidence), (Severity::Critical, Confidence::High));
        assert!(out.findings[0].observed);
        assert!(out.unverified.is_empty(), "{:?}", out.unverified);

        let mut ev = loop_evidence(OriginProtocolPolicy::HttpOnly, forward());
        if let Some(Fetch::Fetched { value: OriginResource::LoadBalancer(lb) }) =
            ev.inventory.origins.first_mut().map(|o| &mut o.resource)
        {
            lb.listeners =
                Fetch::Denied { action: "elasticloadbalancing:DescribeListeners".into(), message: "x".into() };
        }
        add_origin_redirect_probe(&mut ev);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::Medium);
        assert!(out.unverified.iter().any(|u| u.reason.contains("DescribeListeners")));
    }

    #[test]
    fn a_loop_seen_only_through_the_distribution_is_a_low_confidence_inference() {
        let mut ev = evidence(custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly), outside());
        push_edge_loop(&mut ev);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::Low));
        assert!(f.observed);
        assert!(out.unverified.iter().any(|u| u.what.contains("itself redirects")));
        // An origin seen answering CloudFront's HTTP request without a redirect: the loop is
        // not this.
        let ok = HopResult::Response(response(200, &[]));
        ev.observations.probes.push(origin_probe_to("o1", ALB, Scheme::Http, 80, ok));
        assert!(run(&ev).findings.is_empty());
        // https-only origins are not reached over HTTP.
        let mut ev = evidence(custom_origin("o1", ALB, OriginProtocolPolicy::HttpsOnly), outside());
        push_edge_loop(&mut ev);
        assert!(run(&ev).findings.is_empty());
    }
}
