//! What the probes saw on each TCP port of an origin's host: whether a connection was refused or
//! accepted, and which protocol (TLS or plain HTTP) answered there. The checks that reason from
//! load balancer listeners read this when the listeners are not known (an EC2 instance, an origin
//! outside AWS or in another account, a denied or failed read), so that a cause the probes see is
//! still named. Not a check itself; pure.

use super::net_common::{NetOrigin, edge_gateway_error};
use super::probe_view::update_cli;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Fix, Remediation, Severity, Source};
use crate::evidence::{
    Evidence, Fetch, Hop, HopResult, OriginResource, ProbeRecord, ProbeStage, ProbeTarget, ResponseDefect, Scheme,
    TcpOutcome, TlsErrorKind, TlsFailureKind,
};

fn same_host(a: &str, b: &str) -> bool {
    a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// Every probe straight to an origin whose domain name is `host` and whose port is `port`, with
/// its first hop (the request as sent, before any redirect) and the scheme it used.
fn first_hops_on<'a>(ev: &'a Evidence, host: &'a str, port: u16) -> Vec<(&'a ProbeRecord, &'a Hop, Scheme)> {
    let d = &ev.inventory.distribution;
    ev.observations
        .probes
        .iter()
        .filter_map(|p| {
            let ProbeTarget::Origin { origin_id, scheme, port: p_port, .. } = &p.target else {
                return None;
            };
            let origin = d.origin(origin_id)?;
            (*p_port == port && same_host(&origin.domain_name, host)).then_some(())?;
            Some((p, p.hops.first()?, *scheme))
        })
        .collect()
}

/// Whether connections to one port of the origin's host are refused, as far as the probes saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Reach {
    /// Something accepted a connection on the port.
    Accepted,
    /// Connections were refused (`direct`: a TCP connect, or the HTTP probe's, was answered with
    /// a reset, which proves nothing listens; otherwise only a probe's connect failed, which may
    /// also be an unreachable host).
    Refused { evidence: Vec<EvidenceItem>, direct: bool },
    /// No probe tried the port, or none got far enough to tell.
    Unknown,
}

/// What the probes saw of TCP connections to `host:port`. Any accepted connection (a TCP connect,
/// an HTTP answer, a TLS answer) outweighs a refused one: then something does listen there.
pub(super) fn port_reach(ev: &Evidence, host: &str, port: u16) -> Reach {
    let obs = &ev.observations;
    let tcp: Vec<_> = obs.tcp.iter().filter(|t| t.port == port && same_host(&t.host, host)).collect();
    let hops = first_hops_on(ev, host, port);
    let tls: Vec<_> = obs.tls.iter().filter(|t| t.port == port && same_host(&t.host, host)).collect();
    let accepted = tcp.iter().any(|t| t.outcome == TcpOutcome::Connected)
        || hops.iter().any(|(_, h, _)| match &h.result {
            HopResult::Response(_) => true,
            HopResult::Error(e) => !matches!(
                e.stage,
                ProbeStage::Refused
                    | ProbeStage::Dns
                    | ProbeStage::Connect
                    | ProbeStage::ConnectTimeout
                    | ProbeStage::Budget
            ),
        })
        || tls.iter().any(|t| t.server_spoke_tls() || t.failure().is_some_and(|f| !f.kind.before_tls()));
    if accepted {
        return Reach::Accepted;
    }
    let mut evidence = Vec::new();
    for t in tcp.iter().filter(|t| t.outcome == TcpOutcome::Refused) {
        evidence.push(
            EvidenceItem::new(
                Source::Probe,
                format!("TCP connect to {}:{port} (from {})", t.host, obs.probed_from),
                t.message.clone().unwrap_or_else(|| {
                    format!("{}: connection refused", t.address.as_deref().unwrap_or("the origin's address"))
                }),
            )
            .expected("a listening application accepts the connection"),
        );
    }
    // An HTTP probe whose connect was refused (direct), or failed otherwise after an address was
    // chosen (not "no address"; a refusal or an unreachable host).
    let mut refused_connect = false;
    for (p, h, _) in &hops {
        if let HopResult::Error(e) = &h.result {
            if e.stage == ProbeStage::Connect && h.address.is_some() {
                refused_connect = e.refused;
                evidence.push(EvidenceItem::new(
                    Source::Probe,
                    format!("{} {} (as CloudFront connects)", p.method, h.url),
                    format!("the TCP connection {}: {}", if e.refused { "was refused" } else { "failed" }, e.message),
                ));
                break;
            }
        }
    }
    let direct = refused_connect || tcp.iter().any(|t| t.outcome == TcpOutcome::Refused);
    if let Some(t) = tls.iter().find(|t| t.failure().is_some_and(|f| f.kind == TlsFailureKind::Connect)) {
        if evidence.is_empty() {
            evidence.push(EvidenceItem::new(
                Source::Probe,
                format!("TLS handshake to {}:{port}", t.host),
                format!("the TCP connection failed: {}", t.failure().map(|f| f.message.as_str()).unwrap_or("")),
            ));
        }
    }
    if evidence.is_empty() { Reach::Unknown } else { Reach::Refused { evidence, direct } }
}

/// The ports of `host` where the probes saw something accept a connection, ascending.
fn accepting_ports(ev: &Evidence, host: &str) -> Vec<u16> {
    let obs = &ev.observations;
    let d = &ev.inventory.distribution;
    let mut ports: Vec<u16> = obs
        .tcp
        .iter()
        .filter(|t| same_host(&t.host, host))
        .map(|t| t.port)
        .chain(obs.tls.iter().filter(|t| same_host(&t.host, host)).map(|t| t.port))
        .chain(obs.probes.iter().filter_map(|p| match &p.target {
            ProbeTarget::Origin { origin_id, port, .. }
                if d.origin(origin_id).is_some_and(|o| same_host(&o.domain_name, host)) =>
            {
                Some(*port)
            }
            _ => None,
        }))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports.retain(|p| port_reach(ev, host, *p) == Reach::Accepted);
    ports
}

/// Evidence that `host:port` answers a TLS hello with plain text (an HTTP server): CloudFront's
/// own hello got a non-TLS answer, or the HTTPS probe's handshake read bytes that are not TLS.
pub(super) fn plaintext_answers_tls(ev: &Evidence, host: &str, port: u16) -> Vec<EvidenceItem> {
    let mut out = Vec::new();
    for t in ev.observations.tls.iter().filter(|t| t.port == port && same_host(&t.host, host)) {
        if let Some(f) = t.failure().filter(|f| f.kind == TlsFailureKind::NotTls) {
            out.push(
                EvidenceItem::new(
                    Source::Probe,
                    format!(
                        "TLS handshake to {}:{port} ({}), CloudFront's hello",
                        t.host,
                        t.sni.as_deref().map(|s| format!("SNI {s}")).unwrap_or_else(|| "no SNI".into())
                    ),
                    f.message.clone(),
                )
                .expected("a TLS ServerHello"),
            );
            break;
        }
    }
    for (p, h, scheme) in first_hops_on(ev, host, port) {
        if scheme != Scheme::Https {
            continue;
        }
        if let HopResult::Error(e) = &h.result {
            if e.stage == ProbeStage::Tls && e.tls == Some(TlsErrorKind::NotTls) {
                out.push(
                    EvidenceItem::new(
                        Source::Probe,
                        format!("{} {} (as CloudFront connects)", p.method, h.url),
                        format!("the TLS handshake read an answer that is not TLS: {}", e.message),
                    )
                    .expected("a TLS ServerHello"),
                );
                break;
            }
        }
    }
    out
}

/// Evidence that `host:port` answers plain HTTP with TLS: a TLS record came back, or the server
/// said in its 400 that plain HTTP reached its TLS port (nginx, Apache).
pub(super) fn tls_answers_plain_http(ev: &Evidence, host: &str, port: u16) -> Vec<EvidenceItem> {
    let mut out = Vec::new();
    for (p, h, scheme) in first_hops_on(ev, host, port) {
        if scheme != Scheme::Http {
            continue;
        }
        let subject = || format!("{} {} (plain HTTP, as CloudFront sends it)", p.method, h.url);
        if h.response_defects.contains(&ResponseDefect::TlsRecord) {
            out.push(
                EvidenceItem::new(Source::Probe, subject(), ResponseDefect::TlsRecord.describe())
                    .expected("an HTTP/1.1 response"),
            );
            break;
        }
        if let Some(r) = h.response() {
            if let Some(says) = crate::evidence::says_plain_http_to_tls_port(&r.body_sample) {
                out.push(
                    EvidenceItem::new(
                        Source::Probe,
                        subject(),
                        format!("{} {}: the body says \"{says}\"", r.status, r.reason),
                    )
                    .expected("the application's answer over plain HTTP"),
                );
                break;
            }
        }
    }
    out
}

/// Whether the probes saw `host:port` complete TLS (a certificate, a finished handshake, or an
/// HTTPS answer).
fn serves_tls(ev: &Evidence, host: &str, port: u16) -> bool {
    ev.observations.tls.iter().any(|t| t.port == port && same_host(&t.host, host) && t.server_spoke_tls())
        || first_hops_on(ev, host, port).iter().any(|(_, h, s)| *s == Scheme::Https && h.response().is_some())
}

/// Whether the probes saw `host:port` answer plain HTTP with HTTP (not a TLS record, not a
/// server saying it expected TLS).
fn serves_plain_http(ev: &Evidence, host: &str, port: u16) -> bool {
    tls_answers_plain_http(ev, host, port).is_empty()
        && first_hops_on(ev, host, port).iter().any(|(_, h, s)| *s == Scheme::Http && h.response().is_some())
}

/// The port of `host` (outside `exclude`) to point CloudFront's `scheme` at, with whether the
/// probes saw it speak that protocol: first a port seen speaking it, then the standard port
/// (443, 80), then any port seen accepting connections; never one seen speaking the other
/// protocol.
pub(super) fn port_for(ev: &Evidence, host: &str, scheme: Scheme, exclude: &[u16]) -> Option<(u16, bool)> {
    let speaks = |p: u16, s: Scheme| match s {
        Scheme::Https => serves_tls(ev, host, p),
        Scheme::Http => serves_plain_http(ev, host, p),
    };
    let (other, standard) = match scheme {
        Scheme::Https => (Scheme::Http, 443),
        Scheme::Http => (Scheme::Https, 80),
    };
    let ports: Vec<u16> =
        accepting_ports(ev, host).into_iter().filter(|p| !exclude.contains(p) && !speaks(*p, other)).collect();
    ports
        .iter()
        .find(|p| speaks(**p, scheme))
        .map(|p| (*p, true))
        .or_else(|| ports.iter().find(|p| **p == standard).map(|p| (*p, false)))
        .or_else(|| ports.first().map(|p| (*p, false)))
}

/// Why the AWS configuration that would confirm a probe-based conclusion about an origin is
/// missing, when it exists but could not be read: the listeners of its load balancer, or the
/// resource itself. `None` when there is nothing more to read (an EC2 instance, a network
/// interface, an origin outside AWS or in another account) or the listeners were read.
fn listeners_gap(o: &NetOrigin<'_>) -> Option<String> {
    match &o.inv.resource {
        Fetch::Fetched { value: OriginResource::LoadBalancer(lb) } => lb
            .listeners
            .missing_reason()
            .map(|r| format!("the listeners of load balancer {} could not be read: {r}", lb.name)),
        Fetch::Fetched { .. } | Fetch::NotFound { .. } | Fetch::NotApplicable { .. } => None,
        other => {
            other.missing_reason().map(|r| format!("what stands behind origin {} could not be read: {r}", o.origin.id))
        }
    }
}

/// The confidence of a conclusion from the probes: High for a direct observation with nothing
/// left unread, one step lower for an inference or when configuration that would confirm it
/// could not be read, two steps for both.
fn probe_confidence(direct: bool, gap: bool) -> Confidence {
    match (direct, gap) {
        (true, false) => Confidence::High,
        (true, true) | (false, false) => Confidence::Medium,
        (false, true) => Confidence::Low,
    }
}

/// The origin's resource for a finding: (kind, id), when the inventory named one.
fn origin_resource(o: &NetOrigin<'_>) -> Option<(&'static str, String)> {
    match o.inv.resource.value()? {
        OriginResource::LoadBalancer(lb) => Some(("load-balancer", lb.arn.clone())),
        OriginResource::Ec2Instance(i) => Some(("instance", i.instance_id.clone())),
        OriginResource::NetworkInterface(n) => Some(("network-interface", n.network_interface_id.clone())),
        OriginResource::OutsideAws { .. } | OriginResource::S3Bucket => None,
    }
}

/// What a check concluded from the probes about one origin's ports.
pub(super) struct ProbeConclusion {
    pub severity: Severity,
    /// A direct observation proves it (see [`probe_confidence`]).
    pub direct: bool,
    pub summary: String,
    /// The probe observations it rests on.
    pub evidence: Vec<EvidenceItem>,
    pub fix: String,
    pub steps: Vec<String>,
    /// The fix as data.
    pub typed: Fix,
}

/// Adds the finding of a conclusion from the probes: the origin's ports first, then the probes,
/// what configuration could not be read (in the summary, the evidence and the steps, with the
/// confidence lowered), and CloudFront's 502/504 when a viewer request got one. The failure was
/// seen (by the prober at least), so the finding is observed.
pub(super) fn push_probe_finding(
    meta: &'static CheckMeta,
    ev: &Evidence,
    o: &NetOrigin<'_>,
    c: ProbeConclusion,
    out: &mut CheckOutput,
) {
    let d = &ev.inventory.distribution;
    let gap = listeners_gap(o);
    let mut evidence = vec![o.ports_evidence()];
    evidence.extend(c.evidence);
    let mut summary = c.summary;
    let mut steps = c.steps;
    if let Some(g) = &gap {
        evidence.push(EvidenceItem::new(Source::Network, format!("origin {}", o.origin.id), g.clone()));
        summary.push_str(&format!(" (Not verified against the configuration: {g}.)"));
        steps.push(format!("Not verified: {g}; reading it would confirm this."));
    }
    if let Some((subject, what)) = edge_gateway_error(ev) {
        evidence.push(EvidenceItem::new(Source::Probe, subject, what));
    }
    let mut b = meta
        .finding(c.severity, probe_confidence(c.direct, gap.is_some()))
        .summary(summary)
        .observed(true)
        .evidence(evidence)
        .remediation(Remediation { summary: c.fix, steps, cli: c.typed.cli_or(d, vec![update_cli(d)]), fix: c.typed })
        .resource("distribution", &d.id)
        .resource("origin", &o.origin.id);
    if let Some((kind, id)) = origin_resource(o) {
        b = b.resource(kind, id);
    }
    out.push(b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Severity;
    use crate::evidence::{OriginProtocolPolicy, ProbeError, TcpObservation};
    use crate::testing::*;

    const HOST: &str = "app.example.com";

    fn tcp(port: u16, outcome: TcpOutcome) -> TcpObservation {
        TcpObservation {
            origin_id: "o1".into(),
            host: HOST.into(),
            port,
            scheme: Scheme::Http,
            address: Some(format!("192.0.2.1:{port}")),
            from_override: false,
            outcome,
            connect_ms: Some(1),
            message: None,
        }
    }

    fn ev() -> Evidence {
        evidence(
            custom_origin("o1", HOST, OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        )
    }

    #[test]
    fn a_refused_tcp_connect_is_direct_and_an_accepted_one_outweighs_it() {
        let mut e = ev();
        assert_eq!(port_reach(&e, HOST, 80), Reach::Unknown);
        e.observations.tcp.push(tcp(80, TcpOutcome::Refused));
        e.observations.tcp.push(tcp(8080, TcpOutcome::Connected));
        assert!(matches!(port_reach(&e, "APP.example.com.", 80), Reach::Refused { direct: true, .. }));
        assert_eq!(port_reach(&e, HOST, 8080), Reach::Accepted);
        assert_eq!(accepting_ports(&e, HOST), vec![8080]);
        e.observations.tcp.push(tcp(80, TcpOutcome::Connected));
        assert_eq!(port_reach(&e, HOST, 80), Reach::Accepted);
        // Another host's observations say nothing about this one.
        assert_eq!(port_reach(&e, "other.example.com", 80), Reach::Unknown);
    }

    #[test]
    fn an_http_probe_that_failed_to_connect_is_an_inference_and_a_timeout_is_not_a_refusal() {
        let mut e = ev();
        let mut p = origin_probe(
            crate::evidence::RequestShape::Cloudfront,
            HOST,
            "/",
            HopResult::Error(ProbeError::new(ProbeStage::Connect, "192.0.2.1:80: Connection refused (os error 111)")),
        );
        e.observations.probes.push(p.clone());
        assert!(matches!(port_reach(&e, HOST, 80), Reach::Refused { direct: false, .. }));
        // The same connect typed as refused by the socket error proves it.
        e.observations.probes[0].hops[0].result =
            HopResult::Error(ProbeError::connect_refused("192.0.2.1:80: Connection refused (os error 111)"));
        assert!(matches!(port_reach(&e, HOST, 80), Reach::Refused { direct: true, .. }));
        p.hops[0].result = HopResult::Error(ProbeError::new(ProbeStage::ConnectTimeout, "no answer"));
        e.observations.probes = vec![p];
        assert_eq!(port_reach(&e, HOST, 80), Reach::Unknown);
    }

    #[test]
    fn confidence_steps_down_for_inference_and_for_unread_configuration() {
        assert_eq!(probe_confidence(true, false), Confidence::High);
        assert_eq!(probe_confidence(true, true), Confidence::Medium);
        assert_eq!(probe_confidence(false, false), Confidence::Medium);
        assert_eq!(probe_confidence(false, true), Confidence::Low);
    }

    #[test]
    fn healthy_probes_give_no_finding_of_medium_or_above_whatever_stands_behind_the_origin() {
        for resource in [
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
            Fetch::fetched(ec2_instance("i-0abc", Some("54.214.10.2"), &[])),
            Fetch::Denied { action: "elasticloadbalancing:DescribeLoadBalancers".into(), message: "x".into() },
        ] {
            for policy in [OriginProtocolPolicy::HttpsOnly, OriginProtocolPolicy::HttpOnly] {
                let mut e = tls_evidence(HOST, &[HOST]);
                e.inventory.distribution.origins[0] = custom_origin("o1", HOST, policy);
                e.inventory.origins[0].resource = resource.clone();
                let (scheme, port) = match policy {
                    OriginProtocolPolicy::HttpOnly => (Scheme::Http, 80),
                    _ => (Scheme::Https, 443),
                };
                for p in [80, 443, 8080] {
                    e.observations.tcp.push(tcp_observation("o1", HOST, p, TcpOutcome::Connected));
                }
                let mut r = response(200, &[("Content-Type", "text/html")]);
                r.body_sample = "<!DOCTYPE html><html>ok</html>".into();
                r.body_bytes_read = 30;
                e.observations.probes.push(origin_probe_to("o1", HOST, scheme, port, HopResult::Response(r.clone())));
                push_edge_get(&mut e, r);
                let out = crate::checks::run_all(&e);
                let loud: Vec<_> = out.findings.iter().filter(|f| f.severity >= Severity::Medium).collect();
                assert!(loud.is_empty(), "{policy:?}: {loud:#?}");
            }
        }
    }
}
