//! `alb-idle-timeout-or-origin-proxy-timeout`: a gateway on the origin side (the load balancer,
//! or a proxy such as nginx in front of the application) gives up first and answers 504 itself.
//!
//! An Application Load Balancer closes a request whose target stays silent for its idle timeout
//! (`idle_timeout.timeout_seconds`, 60 s by default) and answers 504 with `Server: awselb/2.0`;
//! nginx does the same after `proxy_read_timeout`. CloudFront passes that 504 to the viewer: it
//! looks like a CloudFront timeout but is not CloudFront's page, and raising `OriginReadTimeout`
//! changes nothing. With an idle timeout below `OriginReadTimeout`, CloudFront's own timeout is
//! never the one that applies.
//!
//! Docs: <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout>

use super::origin_answers::origin_first_hops;
use super::probe_view::{behavior_of, edge, last_response};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{Evidence, Fetch, HttpResponse, LoadBalancer, OriginResource};

pub static META: CheckMeta = CheckMeta {
    id: "alb-idle-timeout-or-origin-proxy-timeout",
    title: "The load balancer or a proxy at the origin times out before CloudFront does",
    what_breaks: "Slow requests end in a 504 that is not CloudFront's page (Server: awselb/2.0, nginx, ...); raising CloudFront's origin response timeout does not help.",
    why: "The load balancer's idle timeout (or a proxy's upstream read timeout) is shorter than the application's slowest response; that gateway answers 504 and CloudFront passes it on. When it is shorter than OriginReadTimeout, CloudFront's timeout never applies.",
    evidence_used: &[
        "probes through the distribution and direct probes shaped as CloudFront sends them: a 504 that is not CloudFront's page, its Server header and timing",
        "load balancer attribute idle_timeout.timeout_seconds (DescribeLoadBalancerAttributes)",
        "Origins[].CustomOriginConfig.OriginReadTimeout",
    ],
    fix: "Make every hop's timeout exceed the slowest legitimate response: ALB idle_timeout.timeout_seconds (and the proxy's and application's timeouts) at or above OriginReadTimeout, or make the slow requests fast.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout",
    explains: Explains::Symptoms(&[SymptomClass::OriginError, SymptomClass::CloudFront504]),
    module: module_path!(),
};

const IDLE: &str = "idle_timeout.timeout_seconds";

/// A 504 produced by a gateway at the origin: not CloudFront's page or CloudFront's own answer.
fn gateway_504(r: &HttpResponse) -> bool {
    r.status == 504
        && r.cloudfront_error.is_none()
        && !r.header("server").is_some_and(|s| s.eq_ignore_ascii_case("cloudfront"))
}

fn gateway_name(r: &HttpResponse) -> String {
    match r.header("server") {
        Some(s) if s.to_ascii_lowercase().starts_with("awselb") => format!("the load balancer (Server: {s})"),
        Some(s) => format!("a proxy at the origin (Server: {s})"),
        None => "a gateway at the origin (no Server header)".into(),
    }
}

fn is_alb(r: &HttpResponse) -> bool {
    r.header("server").is_some_and(|s| s.to_ascii_lowercase().starts_with("awselb"))
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for (origin, inv) in d.origins.iter().filter_map(|o| Some((o, ev.inventory.origin(&o.id)?))) {
        let Some(custom) = origin.custom() else { continue };
        let read_field = format!("Origins[Id={}].CustomOriginConfig.OriginReadTimeout", origin.id);
        let alb: Option<&LoadBalancer> = match inv.resource.value() {
            Some(OriginResource::LoadBalancer(lb)) if lb.lb_type == "application" => Some(lb),
            _ => None,
        };
        // The ALB's idle timeout: Ok(Some(s)), Ok(None) when not an ALB, Err(reason) when unread.
        let idle: Result<Option<i64>, String> = match alb.map(|lb| &lb.attributes) {
            None => Ok(None),
            Some(Fetch::Fetched { value }) => {
                Ok(Some(value.get(IDLE).and_then(|v| v.trim().parse().ok()).unwrap_or(60)))
            }
            Some(other) => Err(other.missing_reason().unwrap_or_default()),
        };
        // 504s from the origin side, through CloudFront and straight to the origin.
        let mut seen = Vec::new();
        let mut at_edge = false;
        let mut from_alb = false;
        for p in edge(ev).filter(|p| behavior_of(d, p).target_origin_id == origin.id) {
            let Some((h, r)) = last_response(p) else { continue };
            if gateway_504(r) {
                at_edge = true;
                from_alb |= is_alb(r);
                seen.push(
                    EvidenceItem::new(
                        Source::Probe,
                        format!("viewer request {}", h.url),
                        format!(
                            "504 from {} after {:.1} s, passed through CloudFront",
                            gateway_name(r),
                            h.timings.total_ms as f64 / 1000.0
                        ),
                    )
                    .expected("the page"),
                );
            }
        }
        for (p, h) in origin_first_hops(ev, &origin.id) {
            let Some(r) = h.response().filter(|r| gateway_504(r)) else { continue };
            from_alb |= is_alb(r);
            seen.push(
                EvidenceItem::new(
                    Source::Probe,
                    format!("{} {} (as CloudFront sends it)", p.method, h.url),
                    format!("504 from {} after {:.1} s", gateway_name(r), h.timings.total_ms as f64 / 1000.0),
                )
                .expected("the application's answer"),
            );
        }
        let short_idle = match &idle {
            Ok(Some(s)) if *s < i64::from(custom.read_timeout_s) => Some(*s),
            _ => None,
        };
        if seen.is_empty() && short_idle.is_none() {
            if let Err(reason) = &idle {
                out.unverified(
                    &META,
                    format!("the idle timeout of origin {}'s load balancer", origin.id),
                    reason.clone(),
                );
            }
            continue;
        }
        let mut evidence = seen;
        evidence.push(EvidenceItem::new(Source::Config, &read_field, format!("{} s", custom.read_timeout_s)));
        if let (Some(lb), Ok(Some(s))) = (alb, &idle) {
            evidence.push(
                EvidenceItem::new(
                    Source::Network,
                    format!("load balancer {} attribute {IDLE}", lb.name),
                    format!("{s} s"),
                )
                .expected(format!("at least {} s (OriginReadTimeout)", custom.read_timeout_s)),
            );
        }
        let gateway_seen = evidence.iter().any(|e| e.observed.starts_with("504"));
        let (severity, confidence) = match (gateway_seen, at_edge) {
            (true, true) => {
                (Severity::Critical, if from_alb || alb.is_none() { Confidence::High } else { Confidence::Medium })
            }
            (true, false) => (Severity::High, Confidence::High),
            (false, _) => (Severity::Low, Confidence::Medium),
        };
        let target = i64::from(custom.read_timeout_s).max(60);
        let summary = match (gateway_seen, short_idle) {
            (true, _) if from_alb => format!(
                "Origin {}'s load balancer answers 504 before the application responds{}: viewers get the load balancer's 504 through CloudFront.",
                origin.id,
                match &idle {
                    Ok(Some(s)) => format!(" (idle timeout {s} s)"),
                    _ => String::new(),
                }
            ),
            (true, _) => format!(
                "A gateway at origin {} answers 504 before the application responds: viewers get its 504 through CloudFront, not CloudFront's timeout.",
                origin.id
            ),
            (false, Some(s)) => format!(
                "Origin {}'s load balancer cuts requests after {s} s idle, before CloudFront's {} s OriginReadTimeout: slow responses get the load balancer's 504, not CloudFront's.",
                origin.id, custom.read_timeout_s
            ),
            (false, None) => continue,
        };
        let mut cli = Vec::new();
        let fix = match alb {
            Some(lb) => {
                cli.push(format!(
                    "aws elbv2 modify-load-balancer-attributes --load-balancer-arn {} --attributes Key={IDLE},Value={target}",
                    lb.arn
                ));
                format!("Set {IDLE} of load balancer {} to {target} (at least OriginReadTimeout), and keep the application's own timeouts above it.", lb.name)
            }
            None => "Raise the proxy's upstream timeout above the slowest legitimate response (nginx: proxy_read_timeout; also the application server's worker timeout).".into(),
        };
        let mut builder = META.finding(severity, confidence)
            .summary(summary)
            .observed(at_edge)
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Origin {
                    part: OriginPart::Server,
                    what: match alb {
                        Some(lb) => format!("set {IDLE} of load balancer {} to {target} s", lb.name),
                        None => format!(
                            "raise the origin proxy's upstream timeout above the slowest legitimate response (at least {} s)",
                            custom.read_timeout_s
                        ),
                    },
                }]),
                summary: fix,
                steps: vec![
                    "Better still, make the slow request fast or asynchronous (answer early, poll for the result)."
                        .into(),
                    format!(
                        "CloudFront waits {} s ({read_field}); every hop behind it should wait at least as long.",
                        custom.read_timeout_s
                    ),
                ],
                cli,
            })
            .resource("distribution", &d.id)
            .resource("origin", &origin.id);
        if let Some(lb) = alb {
            builder = builder.resource("load-balancer", &lb.arn);
        }
        out.push(builder);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{HopResult, OriginProtocolPolicy, RequestShape, Scheme};
    use crate::testing::*;

    fn alb_ev(idle: Option<&str>) -> Evidence {
        let mut lb = load_balancer("app-1.us-east-1.elb.amazonaws.com", vec![listener(80, "HTTP", forward())]);
        if let OriginResource::LoadBalancer(l) = &mut lb {
            l.attributes = match idle {
                Some(v) => Fetch::fetched([(IDLE.to_string(), v.to_string())].into_iter().collect()),
                None => Fetch::Denied {
                    action: "elasticloadbalancing:DescribeLoadBalancerAttributes".into(),
                    message: "no".into(),
                },
            };
        }
        evidence(
            custom_origin("o1", "app-1.us-east-1.elb.amazonaws.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(lb),
        )
    }

    fn alb_504() -> HopResult {
        let mut r = response(504, &[("Server", "awselb/2.0")]);
        r.body_sample = "<html><head><title>504 Gateway Time-out</title></head></html>".into();
        HopResult::Response(r)
    }

    #[test]
    fn an_alb_504_through_cloudfront_is_critical_and_names_the_attribute() {
        let mut e = alb_ev(Some("20"));
        let mut p = edge_probe("d111.cloudfront.net", Scheme::Https, "GET", "/", alb_504());
        p.hops[0].timings.total_ms = 20_100;
        e.observations.probes.push(p);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::Critical, Confidence::High));
        assert!(f.observed);
        assert!(f.evidence[0].observed.contains("awselb/2.0") && f.evidence[0].observed.contains("20.1 s"));
        assert!(f.remediation.cli[0].contains("Key=idle_timeout.timeout_seconds,Value=60"), "{:?}", f.remediation.cli);
    }

    #[test]
    fn a_proxy_504_on_the_direct_probe_is_high_and_an_idle_timeout_below_the_read_timeout_is_low() {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "app.example.com",
            "/",
            HopResult::Response(response(504, &[("Server", "nginx")])),
        ));
        let f = &run(&e).findings[0];
        assert_eq!(f.severity, Severity::High);
        assert!(f.evidence[0].observed.contains("proxy at the origin (Server: nginx)"));
        assert!(f.remediation.summary.contains("proxy_read_timeout"));

        let latent = run(&alb_ev(Some("10")));
        assert_eq!(latent.findings[0].severity, Severity::Low);
        assert!(!latent.findings[0].observed);
    }

    #[test]
    fn cloudfronts_own_504_a_long_idle_timeout_and_an_unread_attribute() {
        let mut e = alb_ev(Some("60"));
        add_edge_error(&mut e, 504);
        assert!(run(&e).findings.is_empty(), "CloudFront's own 504 is another check's");
        let out = run(&alb_ev(None));
        assert!(out.findings.is_empty());
        assert!(out.unverified[0].reason.contains("DescribeLoadBalancerAttributes"));
    }
}
