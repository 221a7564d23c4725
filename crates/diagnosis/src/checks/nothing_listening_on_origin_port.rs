//! `nothing-listening-on-origin-port`: nothing listens on the port CloudFront connects to (the
//! load balancer has no listener there, or the instance or server runs nothing on it).
//!
//! CloudFront uses `HTTPPort` for HTTP and `HTTPSPort` for HTTPS, as the origin protocol policy
//! says. A load balancer without a listener on that port, or a host with no application bound
//! to it, refuses or drops the connection, so viewers get 502 or 504; testing the origin
//! "directly" usually works because the tester uses the port that does have a listener. Where
//! the listeners are not known (an EC2 instance, an origin outside AWS, a denied read), the
//! probes' refused connections on that port decide, and the ports seen accepting connections
//! name where the application answers.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesHTTPPort>

use super::net_common::{NetOrigin, edge_gateway_error, net_origins};
use super::fix_support::{port_change, protocol_change};
use super::probe_ports::{ProbeConclusion, Reach, port_for, port_reach, push_probe_finding};
use crate::fix::{Change, Fix, OriginPart};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::{Evidence, Fetch, HopResult, Listener, LoadBalancer, OriginResource, ProbeStage, ProbeTarget, Scheme};

pub static META: CheckMeta = CheckMeta {
    id: "nothing-listening-on-origin-port",
    title: "Nothing listens on the origin port CloudFront uses",
    what_breaks: "CloudFront's connections to the origin are refused or time out: viewers get 502 or 504.",
    why: "The origin protocol policy makes CloudFront connect on HTTPPort or HTTPSPort, and nothing listens on that port: the load balancer has no listener there, or the host runs no application on it.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy, HTTPPort, HTTPSPort",
        "elasticloadbalancing:DescribeListeners ports",
        "TCP connects from the prober to the ports CloudFront uses and to the origin's other ports (refused or accepted)",
        "direct HTTP and TLS probes of the origin on that port (connection refused)",
    ],
    fix: "Point HTTPPort/HTTPSPort (and the protocol policy) at a port where a listener or the application answers, or add the listener / start the application on that port.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::OriginSide],
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
    for o in net_origins(ev) {
        if let Some(OriginResource::LoadBalancer(lb)) = o.inv.resource.value() {
            match &lb.listeners {
                Fetch::Fetched { value } => {
                    from_listeners(ev, &o, lb, value, &mut out);
                    continue;
                }
                other => out.unverified(
                    &META,
                    format!("which ports load balancer {} listens on", lb.name),
                    other.missing_reason().unwrap_or_default(),
                ),
            }
        }
        from_probes(ev, &o, &mut out);
    }
    out
}

/// The load balancer's listeners were read: a port CloudFront uses without a listener.
fn from_listeners(ev: &Evidence, o: &NetOrigin<'_>, lb: &LoadBalancer, listeners: &[Listener], out: &mut CheckOutput) {
    let d = &ev.inventory.distribution;
    {
        let connections = o.connections(ev);
        let missing: Vec<_> = connections.iter().filter(|(_, p)| !listeners.iter().any(|l| l.port == *p)).collect();
        if missing.is_empty() {
            return;
        }
        let ports: Vec<String> = listeners.iter().map(|l| format!("{}:{}", l.protocol, l.port)).collect();
        let mut evidence = vec![o.ports_evidence()];
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
        // For each missing port, a listener that speaks the protocol CloudFront uses there.
        let speaking = |scheme: Scheme| {
            listeners.iter().find(|l| {
                let p = l.protocol.to_ascii_uppercase();
                if scheme == Scheme::Https { p == "HTTPS" || p == "TLS" } else { p == "HTTP" }
            })
        };
        let other: Vec<u16> = speaking(missing[0].0).map(|l| l.port).into_iter().collect();
        let add = missing
            .iter()
            .map(|(_, p)| Change::Origin {
                part: OriginPart::Listener,
                what: format!("add a listener on port {p} to load balancer {}", lb.name),
            })
            .collect::<Vec<_>>();
        let ports: Option<Vec<Change>> =
            missing.iter().map(|(s, _)| speaking(*s).map(|l| port_change(&o.origin.id, *s, l.port))).collect();
        // With one protocol in use and a listener only for the other one, the protocol policy
        // is what to change.
        let other_scheme = if missing[0].0 == Scheme::Https { Scheme::Http } else { Scheme::Https };
        let switch = (connections.len() == 1)
            .then(|| speaking(other_scheme))
            .flatten()
            .map(|l| (l.port, protocol_change(o.origin, o.custom, other_scheme, l.port)));
        let field = if missing[0].0 == Scheme::Https { "HTTPSPort" } else { "HTTPPort" };
        let (fix, suggestion) = match (ports, switch) {
            (Some(ports), _) => (
                Fix::alternatives([ports, add]),
                format!(
                    "Set Origins[Id={}].CustomOriginConfig.{field} to {} (a port {} listens on), or add a listener on {}.",
                    o.origin.id,
                    other.first().copied().unwrap_or(missing[0].1),
                    lb.name,
                    missing[0].1
                ),
            ),
            (None, Some((p, switch))) => (
                Fix::alternatives([switch, add]),
                format!(
                    "Set Origins[Id={}].CustomOriginConfig.OriginProtocolPolicy to {} ({} listens on {p} with {}), or add a listener on {}.",
                    o.origin.id,
                    if other_scheme == Scheme::Https { "https-only" } else { "http-only" },
                    lb.name,
                    if other_scheme == Scheme::Https { "HTTPS" } else { "HTTP" },
                    missing[0].1
                ),
            ),
            (None, None) => (Fix::alternatives([add]), format!("Add a listener on {} to {}.", missing[0].1, lb.name)),
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
                cli: fix.cli(d).into_iter().chain([format!(
                    "aws elbv2 create-listener --load-balancer-arn {} --protocol {} --port {} --default-actions Type=forward,TargetGroupArn=<target-group-arn>",
                    lb.arn,
                    if missing[0].0 == Scheme::Https { "HTTPS --certificates CertificateArn=<acm-arn>" } else { "HTTP" },
                    missing[0].1
                )]).collect(),
                fix,
            })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id)
            .resource("load-balancer", &lb.arn);
        out.push(b);
    }
}

/// No listeners to read (an EC2 instance, an origin outside AWS or in another account) or they
/// could not be read: the probes' connections to the ports CloudFront uses decide.
fn from_probes(ev: &Evidence, o: &NetOrigin<'_>, out: &mut CheckOutput) {
    let host = o.origin.domain_name.as_str();
    let connections = o.connections(ev);
    let mut refused = Vec::new();
    for (scheme, port) in &connections {
        if let Reach::Refused { evidence, direct } = port_reach(ev, host, *port) {
            refused.push((*scheme, *port, evidence, direct));
        }
    }
    let Some(&(scheme, port, _, _)) = refused.first() else {
        return;
    };
    let direct = refused.iter().all(|r| r.3);
    let refused_ports: Vec<u16> = refused.iter().map(|r| r.1).collect();
    let field = if scheme == Scheme::Https { "HTTPSPort" } else { "HTTPPort" };
    let protocol = if scheme == Scheme::Https { "HTTPS" } else { "HTTP" };
    let start = Change::Origin {
        part: OriginPart::Server,
        what: format!("start the application (or web server) on port {port} of {host}, or open that port"),
    };
    let typed = match port_for(ev, host, scheme, &refused_ports) {
        Some((q, _)) => Fix::alternatives([vec![port_change(&o.origin.id, scheme, q)], vec![start]]),
        None => Fix::changes([start]),
    };
    let fix = match port_for(ev, host, scheme, &refused_ports) {
        Some((q, true)) => format!(
            "The origin answers {protocol} on port {q}: set Origins[Id={}].CustomOriginConfig.{field} to {q}, or start the application on port {port} of {host} (or open that port).",
            o.origin.id
        ),
        Some((q, false)) => format!(
            "The origin accepts connections on port {q}: if the application serves {protocol} there, set Origins[Id={}].CustomOriginConfig.{field} to {q}; otherwise start the application on port {port} of {host} (or open that port).",
            o.origin.id
        ),
        None => format!(
            "Start the application (or web server) on port {port} of {host}, or set Origins[Id={}].CustomOriginConfig.{field} to the port it serves on.",
            o.origin.id
        ),
    };
    let how = if direct { "refused" } else { "failed (refused or unreachable)" };
    let conclusion = ProbeConclusion {
        severity: if refused.len() == connections.len() { Severity::Critical } else { Severity::High },
        direct,
        summary: format!(
            "CloudFront connects to origin {} ({host}) on {}, and the connection is {how}: nothing accepts connections there.",
            o.origin.id,
            refused.iter().map(|r| format!("{}:{}", r.0.as_str(), r.1)).collect::<Vec<_>>().join(" and "),
        ),
        evidence: refused.into_iter().flat_map(|r| r.2).collect(),
        fix,
        typed,
        steps: vec![
            "A host firewall that rejects (rather than drops) connections also refuses them: check iptables/nftables or the Windows firewall on the origin.".into(),
        ],
    };
    push_probe_finding(&META, ev, o, conclusion, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{OriginProtocolPolicy, TcpOutcome};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    #[test]
    fn http_only_to_an_alb_with_only_https_is_critical() {
        let lb = load_balancer(ALB, vec![listener(443, "HTTPS", forward())]);
        let out = run(&evidence(custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly), Fetch::fetched(lb)));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        let r = &out.findings[0].remediation;
        assert!(r.summary.contains("OriginProtocolPolicy to https-only"), "{}", r.summary);
        let alt = r.fix.preferred().unwrap();
        assert_eq!(
            alt.changes,
            vec![Change::Config(crate::fix::ConfigChange::OriginProtocolPolicy {
                origin_id: "o1".into(),
                value: OriginProtocolPolicy::HttpsOnly
            })],
            "HTTPSPort is 443 already"
        );
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

    // Without listeners: the probes decide, for any origin kind and port.

    const EC2: &str = "ec2-54-214-10-2.compute-1.amazonaws.com";
    const EXT: &str = "origin.example.net";

    fn with_ports(origin: &str, policy: OriginProtocolPolicy, http: u16, https: u16) -> crate::evidence::Origin {
        let mut o = custom_origin("o1", origin, policy);
        if let crate::evidence::OriginKind::Custom(c) = &mut o.kind {
            c.http_port = http;
            c.https_port = https;
        }
        o
    }

    fn outside() -> Fetch<OriginResource> {
        Fetch::fetched(OriginResource::OutsideAws { reason: "no AWS resource has this name".into() })
    }

    fn tcp(ev: &mut Evidence, host: &str, port: u16, outcome: TcpOutcome) {
        ev.observations.tcp.push(tcp_observation("o1", host, port, outcome));
    }

    #[test]
    fn an_instance_refusing_the_http_port_is_found_from_the_tcp_connect_and_the_open_port_is_named() {
        let mut ev = evidence(
            with_ports(EC2, OriginProtocolPolicy::HttpOnly, 80, 443),
            Fetch::fetched(ec2_instance("i-0abc", Some("54.214.10.2"), &["sg-1"])),
        );
        tcp(&mut ev, EC2, 80, TcpOutcome::Refused);
        tcp(&mut ev, EC2, 8080, TcpOutcome::Connected);
        add_edge_error(&mut ev, 502);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1, "{:?}", out.unverified);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::Critical, Confidence::High));
        assert!(f.observed);
        assert!(f.summary.contains("http:80") && f.summary.contains("refused"), "{}", f.summary);
        assert!(f.remediation.summary.contains("HTTPPort to 8080"), "{}", f.remediation.summary);
        assert!(f.evidence.iter().any(|e| e.source == Source::Probe && e.observed.contains("connection refused")));
        assert!(f.resources.iter().any(|r| r.kind == "instance" && r.id == "i-0abc"));
    }

    #[test]
    fn an_origin_outside_aws_refusing_its_custom_https_port_is_found_and_without_an_open_port_says_start_it() {
        let mut ev = evidence(with_ports(EXT, OriginProtocolPolicy::HttpsOnly, 8080, 8443), outside());
        tcp(&mut ev, EXT, 8443, TcpOutcome::Refused);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.summary.contains("https:8443"), "{}", f.summary);
        assert!(f.remediation.summary.contains("on port 8443 of origin.example.net"), "{}", f.remediation.summary);
        assert!(f.resources.iter().all(|r| r.kind != "load-balancer"));
    }

    #[test]
    fn a_failed_http_connect_alone_is_an_inference_of_medium_confidence() {
        let mut ev = evidence(with_ports(EXT, OriginProtocolPolicy::HttpOnly, 8000, 443), outside());
        let failed = crate::evidence::ProbeError::new(ProbeStage::Connect, "192.0.2.1:8000: Connection refused");
        ev.observations.probes.push(origin_probe_to("o1", EXT, crate::evidence::Scheme::Http, 8000, HopResult::Error(failed)));
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::Medium);
        assert!(out.findings[0].summary.contains("refused or unreachable"), "{}", out.findings[0].summary);
    }

    #[test]
    fn denied_listeners_still_name_a_refused_port_with_lower_confidence_and_say_what_was_not_read() {
        let mut lb = load_balancer(ALB, vec![]);
        if let OriginResource::LoadBalancer(l) = &mut lb {
            l.listeners =
                Fetch::Denied { action: "elasticloadbalancing:DescribeListeners".into(), message: "x".into() };
        }
        let mut ev = evidence(custom_origin("o1", ALB, OriginProtocolPolicy::HttpsOnly), Fetch::fetched(lb));
        tcp(&mut ev, ALB, 443, TcpOutcome::Refused);
        tcp(&mut ev, ALB, 80, TcpOutcome::Connected);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!(f.confidence, Confidence::Medium);
        assert!(f.summary.contains("listeners of load balancer app-1 could not be read"), "{}", f.summary);
        assert!(f.remediation.summary.contains("accepts connections on port 80"), "{}", f.remediation.summary);
        assert!(out.unverified.iter().any(|u| u.reason.contains("DescribeListeners")));
        // A denied read of the resource itself: the same, named as such.
        let mut ev2 = evidence(
            custom_origin("o1", ALB, OriginProtocolPolicy::HttpsOnly),
            Fetch::Failed { action: "elasticloadbalancing:DescribeLoadBalancers".into(), code: "500".into(), message: "x".into() },
        );
        ev2.observations.tcp = ev.observations.tcp.clone();
        let f = &run(&ev2).findings[0];
        assert_eq!(f.confidence, Confidence::Medium);
        assert!(f.summary.contains("stands behind origin o1 could not be read"), "{}", f.summary);
    }

    #[test]
    fn healthy_ports_and_refused_ports_cloudfront_does_not_use_give_nothing() {
        let mut ev = evidence(with_ports(EXT, OriginProtocolPolicy::HttpsOnly, 80, 443), outside());
        tcp(&mut ev, EXT, 443, TcpOutcome::Connected);
        tcp(&mut ev, EXT, 80, TcpOutcome::Refused);
        assert!(run(&ev).findings.is_empty(), "https-only never uses 80");
        // match-viewer with redirect-to-https viewers uses only HTTPSPort.
        ev.inventory.distribution.origins[0] = with_ports(EXT, OriginProtocolPolicy::MatchViewer, 80, 443);
        assert!(run(&ev).findings.is_empty());
        // An HTTP answer on the port outweighs a refused TCP connect (another address answered).
        let mut ev = evidence(with_ports(EC2, OriginProtocolPolicy::HttpOnly, 80, 443), outside());
        tcp(&mut ev, EC2, 80, TcpOutcome::Refused);
        let ok = HopResult::Response(response(200, &[]));
        ev.observations.probes.push(origin_probe_to("o1", EC2, crate::evidence::Scheme::Http, 80, ok));
        assert!(run(&ev).findings.is_empty());
        // A timeout is not a refusal (that is a filter's doing: the security-group checks).
        let mut ev = evidence(with_ports(EC2, OriginProtocolPolicy::HttpOnly, 80, 443), outside());
        tcp(&mut ev, EC2, 80, TcpOutcome::TimedOut);
        assert!(run(&ev).findings.is_empty());
    }

    #[test]
    fn match_viewer_with_http_viewers_refused_on_one_port_is_high() {
        let mut ev = evidence(with_ports(EXT, OriginProtocolPolicy::MatchViewer, 80, 443), outside());
        ev.inventory.distribution.default_behavior.viewer_protocol_policy =
            crate::evidence::ViewerProtocolPolicy::AllowAll;
        tcp(&mut ev, EXT, 443, TcpOutcome::Connected);
        tcp(&mut ev, EXT, 80, TcpOutcome::Refused);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(out.findings[0].remediation.summary.contains("443"), "{}", out.findings[0].remediation.summary);
    }

    #[test]
    fn the_fix_prefers_a_port_seen_speaking_the_protocol_then_the_standard_one_never_one_speaking_the_other() {
        let mut ev = evidence(with_ports(EXT, OriginProtocolPolicy::HttpsOnly, 80, 8443), outside());
        tcp(&mut ev, EXT, 8443, TcpOutcome::Refused);
        for p in [80, 443, 9443] {
            tcp(&mut ev, EXT, p, TcpOutcome::Connected);
        }
        // Port 80 answers plain HTTP: never the HTTPS port to suggest.
        let ok = HopResult::Response(response(200, &[]));
        ev.observations.probes.push(origin_probe_to("o1", EXT, crate::evidence::Scheme::Http, 80, ok));
        let fix = run(&ev).findings[0].remediation.summary.clone();
        assert!(fix.contains("accepts connections on port 443") && fix.contains("HTTPSPort to 443"), "{fix}");
        // A port seen completing TLS is named as answering HTTPS.
        let mut t = tls_observation("o1", EXT, Some(EXT), crate::evidence::SniRole::OriginDomain, true, &[EXT]);
        t.port = 9443;
        ev.observations.tls.push(t);
        let fix = run(&ev).findings[0].remediation.summary.clone();
        assert!(fix.contains("answers HTTPS on port 9443") && fix.contains("HTTPSPort to 9443"), "{fix}");
    }
}
