//! `nothing-listening-on-origin-port`: the load balancer has no listener on the port
//! CloudFront connects to.
//!
//! CloudFront uses `HTTPPort` for HTTP and `HTTPSPort` for HTTPS, as the origin protocol policy
//! says. A load balancer without a listener on that port refuses or drops the connection, so
//! viewers get 502 or 504; testing the origin "directly" usually works because the tester uses
//! the port that does have a listener.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesHTTPPort>

use super::net_common::{edge_gateway_error, net_origins};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::{Evidence, Fetch, HopResult, OriginResource, ProbeStage, ProbeTarget};

pub static META: CheckMeta = CheckMeta {
    id: "nothing-listening-on-origin-port",
    title: "Nothing listens on the origin port CloudFront uses",
    what_breaks: "CloudFront's connections to the origin are refused or time out: viewers get 502 or 504.",
    why: "The origin protocol policy makes CloudFront connect on HTTPPort or HTTPSPort, and the load balancer has no listener on that port.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy, HTTPPort, HTTPSPort",
        "elasticloadbalancing:DescribeListeners ports",
        "direct probe of the origin on that port (connection refused)",
    ],
    fix: "Point HTTPPort/HTTPSPort (and the protocol policy) at a port with a listener, or add the listener.",
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesHTTPPort",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502, SymptomClass::CloudFront504]),
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
    for o in net_origins(ev) {
        let Some(OriginResource::LoadBalancer(lb)) = o.inv.resource.value() else {
            continue;
        };
        let listeners = match &lb.listeners {
            Fetch::Fetched { value } => value,
            other => {
                out.unverified(
                    &META,
                    format!("which ports load balancer {} listens on", lb.name),
                    other.missing_reason().unwrap_or_default(),
                );
                continue;
            }
        };
        let connections = o.connections(ev);
        let missing: Vec<_> = connections.iter().filter(|(_, p)| !listeners.iter().any(|l| l.port == *p)).collect();
        if missing.is_empty() {
            continue;
        }
        let ports: Vec<String> = listeners.iter().map(|l| format!("{}:{}", l.protocol, l.port)).collect();
        let mut evidence = vec![EvidenceItem::new(
            Source::Config,
            format!("Origins[Id={}].CustomOriginConfig", o.origin.id),
            format!(
                "OriginProtocolPolicy {}, HTTPPort {}, HTTPSPort {}",
                o.custom.protocol_policy.as_api(),
                o.custom.http_port,
                o.custom.https_port
            ),
        )];
        for (scheme, port) in &missing {
            evidence.push(
                EvidenceItem::new(
                    Source::Network,
                    format!("listeners of {}", lb.name),
                    format!(
                        "no listener on {port} (CloudFront's {} port); listeners: {}",
                        scheme.as_str(),
                        if ports.is_empty() { "none".to_string() } else { ports.join(", ") }
                    ),
                )
                .expected(format!("a listener on {port}")),
            );
            for p in ev.observations.origin_probes(&o.origin.id) {
                let ProbeTarget::Origin { port: pp, .. } = &p.target else { continue };
                if pp != port {
                    continue;
                }
                if let Some(HopResult::Error(e)) = p.hops.first().map(|h| &h.result) {
                    if matches!(e.stage, ProbeStage::Refused | ProbeStage::ConnectTimeout | ProbeStage::Connect) {
                        evidence.push(EvidenceItem::new(
                            Source::Probe,
                            format!("direct probe {}", p.hops[0].url),
                            format!("{:?}: {}", e.stage, e.message),
                        ));
                    }
                }
            }
        }
        let seen = edge_gateway_error(ev);
        if let Some((subject, what)) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()));
        }
        let all = missing.len() == connections.len();
        let other: Vec<u16> = listeners.iter().map(|l| l.port).collect();
        let suggestion = match (missing[0].0, other.first()) {
            (_, Some(p)) => format!(
                "Set Origins[Id={}].CustomOriginConfig.{} to {p} (a port {} listens on), or add a listener on {}.",
                o.origin.id,
                if missing[0].0 == crate::evidence::Scheme::Https { "HTTPSPort" } else { "HTTPPort" },
                lb.name,
                missing[0].1
            ),
            (_, None) => format!("Add a listener on {} to {}.", missing[0].1, lb.name),
        };
        let b = META.finding(if all { Severity::Critical } else { Severity::High }, Confidence::High)
            .summary(format!(
                "CloudFront connects to origin {} on {} but load balancer {} has no listener there.",
                o.origin.id,
                missing.iter().map(|(s, p)| format!("{}:{p}", s.as_str())).collect::<Vec<_>>().join(" and "),
                lb.name
            ))
            .observed(seen.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                summary: suggestion,
                steps: vec![],
                cli: vec![format!(
                    "aws elbv2 create-listener --load-balancer-arn {} --protocol {} --port {} --default-actions Type=forward,TargetGroupArn=<target-group-arn>",
                    lb.arn,
                    if missing[0].0 == crate::evidence::Scheme::Https { "HTTPS --certificates CertificateArn=<acm-arn>" } else { "HTTP" },
                    missing[0].1
                )],
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id)
            .resource("load-balancer", &lb.arn);
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::OriginProtocolPolicy;
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    #[test]
    fn http_only_to_an_alb_with_only_https_is_critical() {
        let lb = load_balancer(ALB, vec![listener(443, "HTTPS", forward())]);
        let out = run(&evidence(custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly), Fetch::fetched(lb)));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].remediation.summary.contains("HTTPPort to 443"));
    }

    #[test]
    fn match_viewer_missing_one_port_is_high_and_matching_ports_pass() {
        let lb = load_balancer(ALB, vec![listener(443, "HTTPS", forward())]);
        let mut ev = evidence(custom_origin("o1", ALB, OriginProtocolPolicy::MatchViewer), Fetch::fetched(lb.clone()));
        assert!(run(&ev).findings.is_empty(), "redirect-to-https viewers: CloudFront only uses 443");
        ev.inventory.distribution.default_behavior.viewer_protocol_policy =
            crate::evidence::ViewerProtocolPolicy::AllowAll;
        let out = run(&ev);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(
            run(&evidence(custom_origin("o1", ALB, OriginProtocolPolicy::HttpsOnly), Fetch::fetched(lb)))
                .findings
                .is_empty()
        );
    }

    #[test]
    fn unreadable_listeners_are_unverified() {
        let mut lb = load_balancer(ALB, vec![]);
        if let OriginResource::LoadBalancer(l) = &mut lb {
            l.listeners =
                Fetch::Denied { action: "elasticloadbalancing:DescribeListeners".into(), message: "x".into() };
        }
        let out = run(&evidence(custom_origin("o1", ALB, OriginProtocolPolicy::HttpsOnly), Fetch::fetched(lb)));
        assert!(out.findings.is_empty());
        assert!(out.unverified.iter().any(|u| u.reason.contains("DescribeListeners")));
    }
}
