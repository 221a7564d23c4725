//! `protocol-port-mismatch`: CloudFront speaks HTTP to a TLS listener, or TLS to a plain one.
//!
//! CloudFront picks the protocol from the origin protocol policy and the port from `HTTPPort`
//! or `HTTPSPort`. When `HTTPSPort` points at an HTTP (or TCP) listener, the TLS handshake
//! fails and viewers get 502; when `HTTPPort` points at an HTTPS (or TLS) listener, the
//! listener rejects the plain request (400) or closes the connection (502).
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginProtocolPolicy>

use super::net_common::{edge_gateway_error, net_origins};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::{Evidence, OriginResource, Scheme};

pub static META: CheckMeta = CheckMeta {
    id: "protocol-port-mismatch",
    title: "Origin protocol and listener protocol disagree on the port",
    what_breaks: "Requests fail at the origin: a TLS handshake against a plain HTTP listener (502), or plain HTTP against a TLS listener (400 or 502).",
    why: "The origin protocol policy makes CloudFront use TLS on HTTPSPort and plain HTTP on HTTPPort; the load balancer's listener on that port speaks the other protocol.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy, HTTPPort, HTTPSPort",
        "elasticloadbalancing:DescribeListeners protocol of that port",
    ],
    fix: "Set the port that matches the listener's protocol (HTTPSPort → the HTTPS listener, HTTPPort → the HTTP listener) or change the protocol policy.",
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginProtocolPolicy",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502, SymptomClass::OriginError]),
    module: module_path!(),
};

/// Whether a listener protocol carries TLS (`None` when it cannot serve CloudFront at all).
fn listener_tls(protocol: &str) -> Option<bool> {
    match protocol.to_ascii_uppercase().as_str() {
        "HTTPS" | "TLS" => Some(true),
        "HTTP" => Some(false),
        // A TCP listener passes bytes to the targets: what they speak is not known here.
        _ => None,
    }
}

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
        // Unreadable listeners are reported by nothing-listening-on-origin-port.
        let Some(listeners) = lb.listeners.value() else {
            continue;
        };
        let connections = o.connections(ev);
        let mut bad = Vec::new();
        for (scheme, port) in &connections {
            let Some(l) = listeners.iter().find(|l| l.port == *port) else {
                continue;
            };
            let Some(tls) = listener_tls(&l.protocol) else {
                continue;
            };
            if tls != (*scheme == Scheme::Https) {
                bad.push((*scheme, *port, l));
            }
        }
        if bad.is_empty() {
            continue;
        }
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
        for (scheme, port, l) in &bad {
            evidence.push(
                EvidenceItem::new(
                    Source::Network,
                    format!("listener {} ({}:{port})", l.arn, l.protocol),
                    format!(
                        "CloudFront sends {} to this {} listener",
                        if *scheme == Scheme::Https { "TLS" } else { "plain HTTP" },
                        l.protocol
                    ),
                )
                .expected(if *scheme == Scheme::Https {
                    "an HTTPS/TLS listener"
                } else {
                    "an HTTP listener"
                }),
            );
        }
        let seen = edge_gateway_error(ev);
        if let Some((subject, what)) = &seen {
            evidence.push(EvidenceItem::new(Source::Probe, subject.clone(), what.clone()));
        }
        let (scheme, port, _) = bad[0];
        let right_port =
            listeners.iter().find(|l| listener_tls(&l.protocol) == Some(scheme == Scheme::Https)).map(|l| l.port);
        let field = if scheme == Scheme::Https { "HTTPSPort" } else { "HTTPPort" };
        let summary_fix = match right_port {
            Some(p) => format!(
                "Set Origins[Id={}].CustomOriginConfig.{field} to {p} (the {} listener).",
                o.origin.id,
                if scheme == Scheme::Https { "HTTPS" } else { "HTTP" }
            ),
            None => format!(
                "Change Origins[Id={}].CustomOriginConfig.OriginProtocolPolicy to {} (what the listener on {port} speaks), or add a matching listener.",
                o.origin.id,
                if scheme == Scheme::Https { "http-only" } else { "https-only" }
            ),
        };
        let all = bad.len() == connections.len();
        let b = META.finding(if all { Severity::Critical } else { Severity::High }, Confidence::High)
            .summary(format!(
                "CloudFront uses {} on port {port} of origin {}, but {}'s listener there is {}.",
                if scheme == Scheme::Https { "TLS" } else { "plain HTTP" },
                o.origin.id,
                lb.name,
                bad[0].2.protocol
            ))
            .observed(seen.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                summary: summary_fix,
                steps: vec![],
                cli: vec![format!("aws cloudfront get-distribution-config --id {} > dist.json  # edit CustomOriginConfig, then update-distribution --if-match <ETag>", d.id)],
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id)
            .resource("load-balancer", &lb.arn)
            .resource("listener", &bad[0].2.arn);
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, OriginKind, OriginProtocolPolicy};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn ev(
        policy: OriginProtocolPolicy,
        http_port: u16,
        https_port: u16,
        listeners: Vec<crate::evidence::Listener>,
    ) -> Evidence {
        let mut origin = custom_origin("o1", ALB, policy);
        if let OriginKind::Custom(c) = &mut origin.kind {
            c.http_port = http_port;
            c.https_port = https_port;
        }
        evidence(origin, Fetch::fetched(load_balancer(ALB, listeners)))
    }

    #[test]
    fn https_port_pointing_at_the_http_listener_is_flagged_with_the_right_port() {
        let out = run(&ev(
            OriginProtocolPolicy::HttpsOnly,
            80,
            80,
            vec![listener(80, "HTTP", forward()), listener(443, "HTTPS", forward())],
        ));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].remediation.summary.contains("HTTPSPort to 443"));
    }

    #[test]
    fn http_port_pointing_at_a_tls_listener_is_flagged() {
        let out = run(&ev(OriginProtocolPolicy::HttpOnly, 443, 443, vec![listener(443, "HTTPS", forward())]));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].remediation.summary.contains("https-only"));
    }

    #[test]
    fn matching_protocols_and_tcp_listeners_pass() {
        assert!(
            run(&ev(
                OriginProtocolPolicy::MatchViewer,
                80,
                443,
                vec![listener(80, "HTTP", forward()), listener(443, "HTTPS", forward())]
            ))
            .findings
            .is_empty()
        );
        assert!(
            run(&ev(OriginProtocolPolicy::HttpsOnly, 80, 443, vec![listener(443, "TCP", forward())]))
                .findings
                .is_empty()
        );
    }
}
