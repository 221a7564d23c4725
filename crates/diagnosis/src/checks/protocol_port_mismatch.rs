//! `protocol-port-mismatch`: CloudFront speaks HTTP to a TLS listener, or TLS to a plain one.
//!
//! CloudFront picks the protocol from the origin protocol policy and the port from `HTTPPort`
//! or `HTTPSPort`. When `HTTPSPort` points at an HTTP (or TCP) listener, the TLS handshake
//! fails and viewers get 502; when `HTTPPort` points at an HTTPS (or TLS) listener, the
//! listener rejects the plain request (400) or closes the connection (502). The same holds for
//! an instance or a server outside AWS whose port speaks the other protocol; where no listener
//! says what a port speaks, the probes do: CloudFront's TLS hello answered in plain text, or a
//! plain HTTP request answered with a TLS record or nginx's "The plain HTTP request was sent to
//! HTTPS port".
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginProtocolPolicy>

use super::net_common::{NetOrigin, edge_gateway_error, net_origins};
use super::probe_ports::{ProbeConclusion, plaintext_answers_tls, port_for, push_probe_finding, tls_answers_plain_http};
use super::fix_support::{port_change, protocol_change};
use crate::fix::{Change, Fix, OriginPart};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::{Evidence, Listener, LoadBalancer, OriginResource, Scheme};

pub static META: CheckMeta = CheckMeta {
    id: "protocol-port-mismatch",
    title: "Origin protocol and the protocol the origin port speaks disagree",
    what_breaks: "Requests fail at the origin: a TLS handshake against a plain HTTP listener (502), or plain HTTP against a TLS listener (400 or 502).",
    why: "The origin protocol policy makes CloudFront use TLS on HTTPSPort and plain HTTP on HTTPPort; the load balancer's listener (or the server) on that port speaks the other protocol.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginProtocolPolicy, HTTPPort, HTTPSPort",
        "elasticloadbalancing:DescribeListeners protocol of that port",
        "TLS probe with CloudFront's hello on HTTPSPort (a plain-text answer)",
        "HTTP probe on HTTPPort (a TLS record, or a 400 saying plain HTTP reached a TLS port)",
    ],
    fix: "Set the port that matches the listener's protocol (HTTPSPort → the HTTPS listener, HTTPPort → the HTTP listener) or change the protocol policy.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::OriginSide],
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
    for o in net_origins(ev) {
        let connections = o.connections(ev);
        // Unreadable listeners are reported by nothing-listening-on-origin-port; the probes
        // decide the ports the listeners do not (all of them without listeners, a TCP
        // listener's, which passes bytes to targets that speak what they speak).
        let mut undecided = connections.clone();
        if let Some(OriginResource::LoadBalancer(lb)) = o.inv.resource.value() {
            if let Some(listeners) = lb.listeners.value() {
                if from_listeners(ev, &o, lb, listeners, &mut out) {
                    continue;
                }
                undecided.retain(|(_, p)| {
                    listeners.iter().find(|l| l.port == *p).is_some_and(|l| listener_tls(&l.protocol).is_none())
                });
            }
        }
        from_probes(ev, &o, &undecided, connections.len(), &mut out);
    }
    out
}

/// The listeners were read: a listener of the other protocol on a port CloudFront uses. True
/// when that gave a finding.
fn from_listeners(
    ev: &Evidence,
    o: &NetOrigin<'_>,
    lb: &LoadBalancer,
    listeners: &[Listener],
    out: &mut CheckOutput,
) -> bool {
    let d = &ev.inventory.distribution;
    {
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
            return false;
        }
        let mut evidence = vec![o.ports_evidence()];
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
        let fix = match right_port {
            Some(p) => Fix::changes(bad.iter().filter(|b| b.0 == scheme).map(|(s, _, _)| port_change(&o.origin.id, *s, p))),
            None => {
                let other = if scheme == Scheme::Https { Scheme::Http } else { Scheme::Https };
                Fix::alternatives([
                    protocol_change(o.origin, o.custom, other, port),
                    vec![Change::Origin {
                        part: OriginPart::Listener,
                        what: format!(
                            "add a {} listener on port {port} to load balancer {}",
                            if scheme == Scheme::Https { "HTTPS" } else { "HTTP" },
                            lb.name
                        ),
                    }],
                ])
            }
        };
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
            .remediation(Remediation { summary: summary_fix, steps: vec![], cli: fix.cli(d), fix })
            .resource("distribution", &d.id)
            .resource("origin", &o.origin.id)
            .resource("load-balancer", &lb.arn)
            .resource("listener", &bad[0].2.arn);
        out.push(b);
    }
    true
}

/// Conclusions from the probes on `ports`: the TLS probes got plain text from a port CloudFront
/// speaks TLS to, or the HTTP probe got TLS (or a server saying it expected TLS) from a port
/// CloudFront speaks plain HTTP to. `used` is how many connections CloudFront makes.
fn from_probes(ev: &Evidence, o: &NetOrigin<'_>, ports: &[(Scheme, u16)], used: usize, out: &mut CheckOutput) {
    let host = o.origin.domain_name.as_str();
    let bad: Vec<(Scheme, u16, Vec<EvidenceItem>)> = ports
        .iter()
        .map(|(scheme, port)| {
            let seen = match scheme {
                Scheme::Https => plaintext_answers_tls(ev, host, *port),
                Scheme::Http => tls_answers_plain_http(ev, host, *port),
            };
            (*scheme, *port, seen)
        })
        .filter(|(_, _, seen)| !seen.is_empty())
        .collect();
    let Some(&(scheme, port, _)) = bad.first() else {
        return;
    };
    let tls = scheme == Scheme::Https;
    let field = if tls { "HTTPSPort" } else { "HTTPPort" };
    let protocol = if tls { "TLS" } else { "plain HTTP" };
    let other_port = port_for(ev, host, scheme, &[port]);
    let policy_fix = if tls {
        format!("set OriginProtocolPolicy to http-only with HTTPPort {port} (what the origin speaks there)")
    } else {
        format!("set OriginProtocolPolicy to https-only with HTTPSPort {port} (the origin speaks TLS there)")
    };
    // Switching the protocol policy makes CloudFront speak what the origin speaks on `port`.
    let other_scheme = if tls { Scheme::Http } else { Scheme::Https };
    let switch = protocol_change(o.origin, o.custom, other_scheme, port);
    let typed = match other_port {
        Some((p, _)) => Fix::alternatives([vec![port_change(&o.origin.id, scheme, p)], switch]),
        None if tls => Fix::alternatives([
            vec![Change::Origin {
                part: OriginPart::Listener,
                what: format!("enable TLS on port {port} of {host}, with a certificate CloudFront trusts for the name it sends"),
            }],
            switch,
        ]),
        None => Fix::alternatives([switch]),
    };
    let fix = match other_port {
        Some((p, true)) => {
            format!("Set Origins[Id={}].CustomOriginConfig.{field} to {p} (the origin answers {protocol} there).", o.origin.id)
        }
        Some((p, false)) => format!(
            "Set Origins[Id={}].CustomOriginConfig.{field} to {p} if the origin serves {protocol} there (it accepts connections; the protocol was not observed), or make port {port} speak {protocol}.",
            o.origin.id
        ),
        None if tls => format!(
            "Enable TLS on port {port} of {host} (a certificate CloudFront trusts for the name it sends), or in Origins[Id={}].CustomOriginConfig {policy_fix}.",
            o.origin.id
        ),
        None => format!(
            "In Origins[Id={}].CustomOriginConfig {policy_fix}, or point HTTPPort at a port that serves plain HTTP.",
            o.origin.id
        ),
    };
    let summary = if tls {
        format!(
            "CloudFront speaks TLS to port {port} of origin {} ({host}), but the origin answers there in plain HTTP: the handshake fails.",
            o.origin.id
        )
    } else {
        format!(
            "CloudFront sends plain HTTP to port {port} of origin {} ({host}), but the origin speaks TLS there.",
            o.origin.id
        )
    };
    let conclusion = ProbeConclusion {
        severity: if bad.len() == used { Severity::Critical } else { Severity::High },
        direct: true,
        summary,
        evidence: bad.into_iter().flat_map(|b| b.2).collect(),
        fix,
        typed,
        steps: other_port.map(|_| format!("Or {policy_fix}.")).into_iter().collect(),
    };
    push_probe_finding(&META, ev, o, conclusion, out);
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

    // Without listeners (or behind a TCP listener): the probes decide.

    const EC2: &str = "ec2-54-214-10-2.compute-1.amazonaws.com";
    const EXT: &str = "origin.example.net";

    fn probe_ev(host: &str, policy: OriginProtocolPolicy, http: u16, https: u16, resource: Fetch<OriginResource>) -> Evidence {
        let mut origin = custom_origin("o1", host, policy);
        if let OriginKind::Custom(c) = &mut origin.kind {
            c.http_port = http;
            c.https_port = https;
        }
        evidence(origin, resource)
    }

    fn outside() -> Fetch<OriginResource> {
        Fetch::fetched(OriginResource::OutsideAws { reason: "no AWS resource has this name".into() })
    }

    /// CloudFront's hello to `host:port` answered with plain text.
    fn plaintext_tls(host: &str, port: u16) -> crate::evidence::TlsObservation {
        let mut t = tls_observation("o1", host, Some(host), crate::evidence::SniRole::OriginDomain, true, &[]);
        t.port = port;
        t.chain.clear();
        t.hellos.clear();
        t.chain_check = None;
        t.name_check = None;
        t.result = crate::evidence::TlsHandshakeResult::Failed(crate::evidence::TlsFailure {
            kind: crate::evidence::TlsFailureKind::NotTls,
            message: "the answer is not TLS: \"HTTP/1.1 400 Bad Request\\r\\nServer: nginx\"".into(),
            alert: None,
        });
        t
    }

    fn tls_ok(host: &str, port: u16) -> crate::evidence::TlsObservation {
        let mut t = tls_observation("o1", host, Some(host), crate::evidence::SniRole::OriginDomain, true, &[host]);
        t.port = port;
        t
    }

    fn http_answer(host: &str, port: u16, r: crate::evidence::HttpResponse) -> crate::evidence::ProbeRecord {
        origin_probe_to("o1", host, Scheme::Http, port, crate::evidence::HopResult::Response(r))
    }

    fn nginx_400() -> crate::evidence::HttpResponse {
        let mut r = response(400, &[("Server", "nginx")]);
        r.body_sample = "<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head></html>".into();
        r
    }

    #[test]
    fn https_only_to_an_instance_port_that_answers_plain_http_is_found_and_the_tls_port_is_named() {
        let mut e = probe_ev(
            EC2,
            OriginProtocolPolicy::HttpsOnly,
            80,
            80,
            Fetch::fetched(ec2_instance("i-0abc", Some("54.214.10.2"), &[])),
        );
        e.observations.tls = vec![plaintext_tls(EC2, 80), tls_ok(EC2, 8443)];
        add_edge_502(&mut e);
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::Critical, Confidence::High));
        assert!(f.observed);
        assert!(f.summary.contains("TLS to port 80") && f.summary.contains("plain HTTP"), "{}", f.summary);
        assert!(f.evidence.iter().any(|e| e.source == Source::Probe && e.observed.contains("not TLS")));
        assert!(f.remediation.summary.contains("HTTPSPort to 8443"), "{}", f.remediation.summary);
        assert!(f.resources.iter().any(|r| r.kind == "instance"));
    }

    #[test]
    fn the_https_probe_reading_plain_text_alone_is_enough() {
        let mut e = probe_ev(EXT, OriginProtocolPolicy::HttpsOnly, 80, 8080, outside());
        let err = crate::evidence::ProbeError::tls(
            crate::evidence::TlsErrorKind::NotTls,
            "received corrupt message of type InvalidContentType",
        );
        e.observations.probes.push(origin_probe_to("o1", EXT, Scheme::Https, 8080, crate::evidence::HopResult::Error(err)));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].remediation.summary.contains("http-only with HTTPPort 8080"), "{}", out.findings[0].remediation.summary);
    }

    #[test]
    fn http_only_to_a_tls_port_is_found_from_a_tls_record_or_nginx_and_apache_saying_so() {
        let mut record = http_answer(EXT, 443, response(400, &[]));
        record.hops[0].result = crate::evidence::HopResult::Error(crate::evidence::ProbeError::new(
            crate::evidence::ProbeStage::Http,
            "not HTTP",
        ));
        record.hops[0].response_defects = vec![crate::evidence::ResponseDefect::TlsRecord];
        let mut apache = response(400, &[("Server", "Apache")]);
        apache.body_sample = "Reason: You're speaking plain HTTP to an SSL-enabled server port.".into();
        for p in [record, http_answer(EXT, 443, nginx_400()), http_answer(EXT, 443, apache)] {
            let mut e = probe_ev(EXT, OriginProtocolPolicy::HttpOnly, 443, 443, outside());
            e.observations.probes.push(p);
            let out = run(&e);
            assert_eq!(out.findings.len(), 1);
            let f = &out.findings[0];
            assert_eq!((f.severity, f.confidence), (Severity::Critical, Confidence::High));
            assert!(f.summary.contains("plain HTTP to port 443"), "{}", f.summary);
            assert!(f.remediation.summary.contains("https-only with HTTPSPort 443"), "{}", f.remediation.summary);
        }
        // With a port seen answering plain HTTP, the fix points HTTPPort there.
        let mut e = probe_ev(EXT, OriginProtocolPolicy::MatchViewer, 443, 443, outside());
        e.inventory.distribution.default_behavior.viewer_protocol_policy = crate::evidence::ViewerProtocolPolicy::AllowAll;
        e.observations.probes.push(http_answer(EXT, 443, nginx_400()));
        e.observations.probes.push(http_answer(EXT, 8080, response(200, &[])));
        e.observations.tls = vec![tls_ok(EXT, 443)];
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High, "the HTTPS connection works");
        assert!(out.findings[0].remediation.summary.contains("HTTPPort to 8080"), "{}", out.findings[0].remediation.summary);
    }

    #[test]
    fn denied_listeners_lower_the_confidence_and_a_tcp_listener_leaves_the_port_to_the_probes() {
        let mut lb = load_balancer(ALB, vec![]);
        if let OriginResource::LoadBalancer(l) = &mut lb {
            l.listeners = Fetch::Denied { action: "elasticloadbalancing:DescribeListeners".into(), message: "x".into() };
        }
        let mut e = probe_ev(ALB, OriginProtocolPolicy::HttpsOnly, 80, 443, Fetch::fetched(lb));
        e.observations.tls = vec![plaintext_tls(ALB, 443)];
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::Medium);
        assert!(out.findings[0].summary.contains("listeners of load balancer app-1 could not be read"));
        // An NLB's TCP listener passes the bytes on: the targets speak plain HTTP.
        let mut e = ev(OriginProtocolPolicy::HttpsOnly, 80, 443, vec![listener(443, "TCP", forward())]);
        e.observations.tls = vec![plaintext_tls(ALB, 443)];
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::High);
    }

    #[test]
    fn healthy_answers_other_400s_and_ports_cloudfront_does_not_use_give_nothing() {
        let mut e = tls_evidence(EXT, &[EXT]);
        e.observations.probes.push(origin_probe_to("o1", EXT, Scheme::Https, 443, crate::evidence::HopResult::Response(response(200, &[]))));
        assert!(run(&e).findings.is_empty());
        // https-only: a plain-text port 80 is never used by CloudFront.
        e.observations.tls.push(plaintext_tls(EXT, 80));
        assert!(run(&e).findings.is_empty());
        // A 400 that does not say it expected TLS is the application's.
        let mut e = probe_ev(EXT, OriginProtocolPolicy::HttpOnly, 80, 443, outside());
        let mut r = response(400, &[]);
        r.body_sample = "Bad Request: missing parameter".into();
        e.observations.probes.push(http_answer(EXT, 80, r));
        assert!(run(&e).findings.is_empty());
    }
}
