//! What the request ladder proved, for the checks whose failure mode is one of its differences.
//!
//! The ladder (see [`crate::evidence::Ladder`]) sends the request that works directly, then
//! CloudFront's side of one difference at a time. A difference that turns the working answer
//! into a failing one is proven by the origin's own answers, whatever stands behind the origin
//! and whether or not its AWS configuration could be read. Each such check calls [`add`] after
//! its own reasoning: the ladder adds the finding the check could not conclude from
//! configuration, confirms one it did (with the ladder's evidence), and demotes a request-shape
//! finding that the ladder contradicts.

use super::fix_support::{authorization_fix, forward_all_viewer, header_forwarding, port_change, protocol_change};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Finding, Remediation, Severity, Source};
use crate::evidence::{AnswerClass, Change, Conclusion, Evidence, HopResult, Ladder, Rung, Scheme, TransportFailure};
use crate::fix::{self as fx, Fix};

/// The finding a change proves, judged by how CloudFront's side failed.
pub fn finding_id(change: Change, failing: &Rung) -> Option<&'static str> {
    Some(match change {
        Change::Connection => match failing.transport_failure()? {
            TransportFailure::Refused => "nothing-listening-on-origin-port",
            TransportFailure::PlainHttpOnTlsPort | TransportFailure::TlsOnPlainPort => "protocol-port-mismatch",
            TransportFailure::TimedOut | TransportFailure::Dns | TransportFailure::Tls => return None,
        },
        Change::Sni => match failing.transport_failure()? {
            TransportFailure::Tls => "origin-cert-name-mismatch-forwarded-host",
            _ => return None,
        },
        Change::Host => "host-header-routing-mismatch",
        Change::OriginPath => "origin-path-wrong",
        Change::QueryStrings | Change::Cookies | Change::Headers => "params-not-forwarded",
        Change::Authorization => "authorization-stripped",
        Change::CloudfrontHeaders => "origin-rejects-cloudfront-shaped-requests",
        Change::CustomHeaders => "origin-secret-header-mismatch",
    })
}

/// The checks whose finding is about the shape of CloudFront's request: the ladder decides them.
const REQUEST_SHAPE: &[&str] = &[
    "host-header-routing-mismatch",
    "origin-path-wrong",
    "params-not-forwarded",
    "authorization-stripped",
    "origin-rejects-cloudfront-shaped-requests",
    "origin-secret-header-mismatch",
];

/// One ladder's proof: the changes, the rung that works and the one that fails.
pub struct Proof<'a> {
    pub ladder: &'a Ladder,
    pub changes: Vec<Change>,
    pub working: &'a Rung,
    pub failing: &'a Rung,
}

/// What a ladder proves: every single change that breaks a working direct request (two causes
/// at once are both proven), or the changes needed together.
fn ladder_proofs(l: &Ladder) -> Vec<Proof<'_>> {
    let proof = |changes: Vec<Change>, working: usize, failing: usize| {
        Some(Proof { ladder: l, changes, working: l.rungs.get(working)?, failing: l.rungs.get(failing)? })
    };
    let singles: Vec<Proof<'_>> =
        l.breaking_singles().into_iter().filter_map(|(c, w, f)| proof(vec![c], w, f)).collect();
    if !singles.is_empty() {
        return singles;
    }
    match l.conclusion() {
        Conclusion::Breaks { changes, working, failing } => proof(changes, working, failing).into_iter().collect(),
        _ => Vec::new(),
    }
}

fn proves(p: &Proof<'_>, id: &str) -> bool {
    p.changes.iter().any(|c| finding_id(*c, p.failing) == Some(id))
}

/// The ladders that prove `id`, in evidence order.
pub fn proofs<'a>(ev: &'a Evidence, id: &str) -> Vec<Proof<'a>> {
    ev.observations.ladders.iter().flat_map(ladder_proofs).filter(|p| proves(p, id) && !flaky(ev, p)).collect()
}

/// True when the failing rung got an answer the origin also gives, at random, to CloudFront's
/// unchanged request repeated with `--samples`: one such failure proves nothing about the change.
fn flaky(ev: &Evidence, p: &Proof<'_>) -> bool {
    let Some(hop) = &p.failing.hop else { return false };
    let class = match &hop.result {
        HopResult::Response(r) => {
            AnswerClass::of_status(r.status, r.cloudfront_error.is_some(), r.cloudfront_reason().cloned())
        }
        HopResult::Error(e) => match AnswerClass::of_error(e.stage) {
            Some(c) => c,
            None => return false,
        },
    };
    ev.observations
        .origin_samples(&p.ladder.origin_id)
        .any(|s| s.intermittent() && s.samples.iter().any(|x| x.class == class && s.is_failure(x)))
}

/// True when the ladders toward this origin decided its request-shape question otherwise: every
/// ladder sent CloudFront's request and either it worked from here or another difference broke it.
pub fn contradicts(ev: &Evidence, id: &str, origin_id: &str) -> Option<String> {
    if !REQUEST_SHAPE.contains(&id) {
        return None;
    }
    let ladders: Vec<&Ladder> = ev.observations.ladders.iter().filter(|l| l.origin_id == origin_id).collect();
    if ladders.is_empty() {
        return None;
    }
    let mut reasons = Vec::new();
    for l in ladders {
        match l.conclusion() {
            Conclusion::CloudfrontRequestWorks => {
                reasons.push(format!("CloudFront's request for {} works when sent from here", l.viewer_path))
            }
            Conclusion::Breaks { .. } => {
                let proofs = ladder_proofs(l);
                if proofs.iter().any(|p| proves(p, id)) {
                    return None;
                }
                let names: Vec<&str> = proofs.iter().flat_map(|p| p.changes.iter().map(|c| c.as_str())).collect();
                reasons.push(format!("for {} the difference that breaks it is {}", l.viewer_path, names.join(" + ")));
            }
            _ => return None,
        }
    }
    Some(reasons.join("; "))
}

fn ladder_evidence(p: &Proof<'_>) -> Vec<EvidenceItem> {
    let l = p.ladder;
    let subject = format!("request ladder to {} for {}", l.origin_id, l.viewer_path);
    let mut items = vec![
        EvidenceItem::new(
            Source::Probe,
            subject.clone(),
            format!("{} ({}) → {}", p.working.label, describe(p.working), p.working.describe_answer()),
        ),
        EvidenceItem::new(
            Source::Probe,
            subject,
            format!("{} ({}) → {}", p.failing.label, describe(p.failing), p.failing.describe_answer()),
        )
        .expected(format!("{} like the request that works", p.working.describe_answer())),
    ];
    for d in l.differences.iter().filter(|d| p.changes.contains(&d.change)) {
        items.push(
            EvidenceItem::new(Source::Probe, format!("difference: {}", d.change.as_str()), d.cloudfront.clone())
                .expected(d.direct.clone()),
        );
    }
    items
}

/// `GET http://host:port/path (Host: h)`.
fn describe(r: &Rung) -> String {
    let default = match r.request.scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
    };
    let port = if r.request.port == default { String::new() } else { format!(":{}", r.request.port) };
    let url = r
        .hop
        .as_ref()
        .map(|h| h.url.clone())
        .unwrap_or_else(|| format!("{}://…{port}{}", r.request.scheme.as_str(), r.path_and_query));
    format!("GET {url}, Host: {}", r.request.host)
}

fn remediation(ev: &Evidence, p: &Proof<'_>) -> Remediation {
    let d = &ev.inventory.distribution;
    let o = &p.ladder.origin_id;
    let behavior = d.behavior_for_path(&p.ladder.viewer_path).label();
    let update = super::probe_view::update_cli(d);
    let first = p.changes.first().copied().unwrap_or(Change::CloudfrontHeaders);
    let summary = match first {
        Change::Connection => {
            let (scheme, port) = (p.working.request.scheme, p.working.request.port);
            let field = match scheme {
                Scheme::Http => "HTTPPort",
                Scheme::Https => "HTTPSPort",
            };
            if scheme == p.ladder.scheme {
                format!(
                    "Set Origins[Id={o}].CustomOriginConfig.{field} to {port}: the origin answers {} on {port}, CloudFront connects on {}.",
                    scheme.as_str(),
                    p.ladder.port
                )
            } else {
                format!(
                    "Set Origins[Id={o}].CustomOriginConfig.OriginProtocolPolicy to {}-only and {field} to {port}: the origin answers {} on {port}, not {} on {}.",
                    scheme.as_str(),
                    scheme.as_str(),
                    p.ladder.scheme.as_str(),
                    p.ladder.port
                )
            }
        }
        Change::Sni => format!(
            "Give the origin a certificate that covers {} (the name CloudFront sends), or stop forwarding Host on behavior {behavior}.",
            p.failing.request.host
        ),
        Change::Host if d.origin(o).is_some_and(|x| x.domain_name.eq_ignore_ascii_case(&p.failing.request.host)) => {
            format!(
                "Forward the viewer's Host on behavior {behavior} (origin request policy AllViewer), or make the origin answer its own name {}.",
                p.failing.request.host
            )
        }
        Change::Host => format!(
            "Stop forwarding Host on behavior {behavior} (origin request policy AllViewerExceptHostHeader), or make the origin serve {}.",
            p.failing.request.host
        ),
        Change::OriginPath => format!(
            "Correct Origins[Id={o}].OriginPath: the origin answers {} but not with the origin path in front.",
            p.ladder.viewer_path
        ),
        Change::QueryStrings | Change::Cookies | Change::Headers => {
            let what: Vec<String> = p
                .ladder
                .differences
                .iter()
                .filter(|x| p.changes.contains(&x.change))
                .map(|x| format!("{} ({} directly)", x.change.as_str(), x.direct))
                .collect();
            format!(
                "Forward what the origin needs on behavior {behavior} (its cache policy or origin request policy): {}.",
                what.join("; ")
            )
        }
        Change::Authorization => format!(
            "Forward Authorization on behavior {behavior}: include it in the cache policy's headers (an origin request policy cannot name it, and forwards it with every viewer header only while caching is disabled)."
        ),
        Change::CloudfrontHeaders => format!(
            "Make the origin (or the firewall or WAF in front of it) accept CloudFront's requests to {o}: User-Agent: Amazon CloudFront, Via, X-Forwarded-For."
        ),
        Change::CustomHeaders => format!(
            "Set Origins[Id={o}].CustomHeaders to the values the origin expects (the values CloudFront sends are refused)."
        ),
    };
    let fix = typed_fix(ev, p);
    Remediation { summary, steps: vec![], cli: fix.cli_or(d, vec![update]), fix }
}

/// The ladder's first breaking change as data: what to set so CloudFront sends the working
/// request, or the origin-side change, in the order the summary gives them.
fn typed_fix(ev: &Evidence, p: &Proof<'_>) -> Fix {
    let d = &ev.inventory.distribution;
    let o = &p.ladder.origin_id;
    let behavior = d.behavior_for_path(&p.ladder.viewer_path);
    let origin = d.origin(o);
    let host = &p.failing.request.host;
    let origin_side = |part, what: String| vec![fx::Change::Origin { part, what }];
    let host_forwarding = |forward: bool, other: Vec<fx::Change>| match header_forwarding(d, behavior, "host", forward)
    {
        Some(c) => Fix::alternatives([vec![fx::Change::Config(c)], other]),
        None => Fix::alternatives([other]),
    };
    match p.changes.first().copied().unwrap_or(Change::CloudfrontHeaders) {
        Change::Connection => {
            let (scheme, port) = (p.working.request.scheme, p.working.request.port);
            match origin.and_then(|x| Some((x, x.custom()?))) {
                Some((x, _)) if scheme == p.ladder.scheme => Fix::changes([port_change(&x.id, scheme, port)]),
                Some((x, c)) => Fix::changes(protocol_change(x, c, scheme, port)),
                None => Fix::manual(format!(
                    "origin {o} is not a custom origin: its port and protocol are not CloudFront's to set"
                )),
            }
        }
        Change::Sni => {
            let cert = origin_side(fx::OriginPart::Certificate, format!("cover {host} with the origin's certificate"));
            match header_forwarding(d, behavior, "host", false) {
                Some(c) => Fix::alternatives([cert, vec![fx::Change::Config(c)]]),
                None => Fix::alternatives([cert]),
            }
        }
        Change::Host if origin.is_some_and(|x| x.domain_name.eq_ignore_ascii_case(host)) => {
            host_forwarding(true, origin_side(fx::OriginPart::Server, format!("answer the origin's own name {host}")))
        }
        Change::Host => host_forwarding(false, origin_side(fx::OriginPart::Server, format!("serve {host}"))),
        Change::OriginPath => Fix::changes([fx::Change::Config(fx::ConfigChange::OriginPath {
            origin_id: o.clone(),
            value: String::new(),
        })]),
        Change::QueryStrings | Change::Cookies | Change::Headers => match forward_all_viewer(d, behavior) {
            Some(c) => Fix::changes([fx::Change::Config(c)]),
            None => Fix::manual(format!(
                "behavior {} has no single origin request policy change that forwards what the origin needs",
                behavior.label()
            )),
        },
        Change::Authorization => authorization_fix(d, behavior),
        Change::CloudfrontHeaders => Fix::changes(origin_side(
            fx::OriginPart::Firewall,
            format!("accept CloudFront's requests to {o} (User-Agent: Amazon CloudFront, Via, X-Forwarded-For)"),
        )),
        Change::CustomHeaders => {
            let names: Vec<fx::Change> = origin
                .map(|x| &x.custom_headers[..])
                .unwrap_or_default()
                .iter()
                .map(|h| {
                    fx::Change::Config(fx::ConfigChange::OriginCustomHeader {
                        origin_id: o.clone(),
                        name: h.name.clone(),
                    })
                })
                .collect();
            if names.is_empty() {
                Fix::manual(format!("origin {o} has no custom header to set"))
            } else {
                Fix::changes(names)
            }
        }
    }
}

fn summary(p: &Proof<'_>, meta: &CheckMeta) -> String {
    let names: Vec<&str> = p.changes.iter().map(|c| c.as_str()).collect();
    let together = if p.changes.len() > 1 { " (only together)" } else { "" };
    format!(
        "{}: the request to origin {} for {} works as sent directly ({}) and fails with CloudFront's {}{together} ({}); the request ladder isolates it.",
        meta.title,
        p.ladder.origin_id,
        p.ladder.viewer_path,
        p.working.describe_answer(),
        names.join(" + "),
        p.failing.describe_answer()
    )
}

/// Adds the ladder's word on `meta`'s failure mode to a check's output: a finding where the check
/// found none for that origin, the ladder's evidence (and high confidence) where it found one,
/// and a demotion where the ladder contradicts it.
pub fn add(ev: &Evidence, meta: &'static CheckMeta, out: &mut CheckOutput) {
    for f in out.findings.iter_mut().filter(|f| f.id == meta.id) {
        let Some(origin) = origin_of(ev, f) else { continue };
        if let Some(why) = contradicts(ev, meta.id, &origin) {
            demote(f, why);
        }
    }
    let mut done: Vec<String> = Vec::new();
    for p in proofs(ev, meta.id) {
        let origin = p.ladder.origin_id.clone();
        if done.contains(&origin) {
            continue;
        }
        done.push(origin.clone());
        // Proven by the origin's answers: high confidence, unless the origin's AWS configuration
        // could not be read (what it holds, a listener or a rule, could say more), where the
        // check's own weighing stands.
        let incomplete = reads_incomplete(ev, &origin);
        if let Some(f) =
            out.findings.iter_mut().find(|f| f.id == meta.id && origin_of(ev, f).as_deref() == Some(&origin))
        {
            f.evidence.extend(ladder_evidence(&p));
            f.observed = true;
            if !incomplete {
                f.confidence = Confidence::High;
            }
            continue;
        }
        let everywhere = ev
            .observations
            .ladders
            .iter()
            .filter(|l| l.origin_id == origin)
            .all(|l| matches!(l.conclusion(), Conclusion::Breaks { .. }));
        let severity = if everywhere { Severity::Critical } else { Severity::High };
        let confidence = if incomplete { Confidence::Medium } else { Confidence::High };
        let b = meta
            .finding(severity, confidence)
            .summary(summary(&p, meta))
            .observed(true)
            .evidence(ladder_evidence(&p))
            .remediation(remediation(ev, &p))
            .resource("distribution", &ev.inventory.distribution.id)
            .resource("origin", &origin);
        out.push(b);
    }
}

/// True when what stands behind the origin, or its load balancer's listeners, could not be read.
fn reads_incomplete(ev: &Evidence, origin_id: &str) -> bool {
    use crate::evidence::{Fetch, OriginResource};
    match ev.inventory.origin(origin_id).map(|o| &o.resource) {
        Some(Fetch::Denied { .. } | Fetch::Failed { .. }) => true,
        Some(Fetch::Fetched { value: OriginResource::LoadBalancer(lb) }) => {
            !matches!(lb.listeners, Fetch::Fetched { .. })
        }
        _ => false,
    }
}

/// The origin a finding is about: named, or reached by the behavior it names.
fn origin_of(ev: &Evidence, f: &Finding) -> Option<String> {
    if let Some(r) = f.resources.iter().find(|r| r.kind == "origin") {
        return Some(r.id.clone());
    }
    let d = &ev.inventory.distribution;
    let label = &f.resources.iter().find(|r| r.kind == "behavior")?.id;
    std::iter::once(&d.default_behavior)
        .chain(&d.behaviors)
        .find(|b| &b.label() == label)
        .map(|b| b.target_origin_id.clone())
}

/// True when a ladder toward this origin decided the request-shape question: it isolated the
/// change that breaks CloudFront's request, or showed that request working.
pub fn decided(ev: &Evidence, origin_id: &str) -> bool {
    ev.observations
        .ladders
        .iter()
        .filter(|l| l.origin_id == origin_id)
        .any(|l| matches!(l.conclusion(), Conclusion::Breaks { .. } | Conclusion::CloudfrontRequestWorks))
}

fn demote(f: &mut Finding, why: String) {
    f.severity = f.severity.min(Severity::Low);
    f.confidence = Confidence::Low;
    f.observed = false;
    f.evidence.push(EvidenceItem::new(Source::Probe, "request ladder", format!("contradicts this finding: {why}")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Severity, run_all};
    use crate::evidence::{Fetch, OriginProtocolPolicy, ProbeStage, ProbeTarget, Sample, SampleSeries};
    use crate::testing::*;

    const HTTP80: (Scheme, u16) = (Scheme::Http, 80);

    /// An origin outside AWS: no resource, so only the ladder can tell.
    fn outside() -> Evidence {
        evidence(
            custom_origin("o1", "origin.example", OriginProtocolPolicy::HttpOnly),
            Fetch::NotApplicable { reason: "outside AWS".into() },
        )
    }

    /// A ladder toward an origin outside AWS whose differences are a dropped query string and
    /// CloudFront's own headers, with the answers to each single change and to CloudFront's request.
    fn query_and_cloudfront_headers(query: u16, cloudfront_headers: u16, cloudfront: u16) -> Ladder {
        let both = [Change::QueryStrings, Change::CloudfrontHeaders];
        ladder(
            vec![
                rung("direct", true, HTTP80, "origin.example", &[], Ok(200)),
                rung("direct + query strings dropped", false, HTTP80, "origin.example", &both[..1], Ok(query)),
                rung(
                    "direct + CloudFront's own headers",
                    false,
                    HTTP80,
                    "origin.example",
                    &both[1..],
                    Ok(cloudfront_headers),
                ),
                rung("CloudFront's request", false, HTTP80, "origin.example", &both, Ok(cloudfront)),
            ],
            &both,
        )
    }

    fn ids(out: &CheckOutput) -> Vec<&str> {
        out.findings.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn a_dropped_query_string_is_params_not_forwarded_and_not_the_user_agent() {
        let mut ev = outside();
        ev.observations.ladders.push(query_and_cloudfront_headers(400, 200, 400));
        let out = run_all(&ev);
        let f: Vec<&Finding> = out.findings.iter().filter(|f| f.severity >= Severity::Medium).collect();
        assert_eq!(f.len(), 1, "{:?}", ids(&out));
        assert_eq!(f[0].id, "params-not-forwarded");
        assert_eq!(f[0].confidence, Confidence::High);
        assert!(f[0].observed);
        assert!(f[0].evidence.iter().any(|e| e.observed.contains("→ 400")));
    }

    #[test]
    fn a_refused_port_with_the_app_elsewhere_is_nothing_listening_with_the_port_to_use() {
        let mut ev = outside();
        ev.observations.ladders.push(ladder(
            vec![
                rung("direct", true, (Scheme::Http, 8080), "origin.example", &[], Err(ProbeStage::Connect)),
                rung("direct on http:80", true, HTTP80, "origin.example", &[], Ok(200)),
                rung(
                    "CloudFront's request",
                    false,
                    (Scheme::Http, 8080),
                    "origin.example",
                    &[Change::CloudfrontHeaders],
                    Err(ProbeStage::Connect),
                ),
            ],
            &[Change::Connection, Change::CloudfrontHeaders],
        ));
        let out = crate::checks::nothing_listening_on_origin_port::run(&ev);
        assert_eq!(ids(&out), vec!["nothing-listening-on-origin-port"]);
        assert!(
            out.findings[0].remediation.summary.contains("HTTPPort to 80"),
            "{}",
            out.findings[0].remediation.summary
        );
        assert!(crate::checks::protocol_port_mismatch::run(&ev).findings.is_empty());
    }

    #[test]
    fn plain_http_on_the_tls_port_is_a_protocol_port_mismatch() {
        let mut ev = outside();
        let mut failing = rung("direct", true, (Scheme::Https, 443), "origin.example", &[], Err(ProbeStage::Tls));
        if let Some(h) = failing.hop.as_mut() {
            if let HopResult::Error(e) = &mut h.result {
                e.tls = Some(crate::evidence::TlsErrorKind::NotTls);
            }
        }
        let mut cf = failing.clone();
        cf.label = "CloudFront's request".into();
        cf.base = false;
        cf.request.cloudfront = vec![Change::CloudfrontHeaders];
        ev.observations.ladders.push(ladder(
            vec![failing, rung("direct on http:80", true, HTTP80, "origin.example", &[], Ok(200)), cf],
            &[Change::Connection, Change::CloudfrontHeaders],
        ));
        let out = crate::checks::protocol_port_mismatch::run(&ev);
        assert_eq!(ids(&out), vec!["protocol-port-mismatch"]);
        assert!(out.findings[0].remediation.summary.contains("http-only"), "{}", out.findings[0].remediation.summary);
    }

    /// The origin answers its own name and 404s the Host CloudFront forwards.
    fn host_routing_ladder() -> Ladder {
        ladder(
            vec![
                rung("direct", true, HTTP80, "origin.example", &[], Ok(200)),
                rung("direct + Host", false, HTTP80, "www.example.com", &[], Ok(404)),
                rung("CloudFront's request", false, HTTP80, "www.example.com", &[Change::CloudfrontHeaders], Ok(404)),
            ],
            &[Change::Host, Change::CloudfrontHeaders],
        )
    }

    #[test]
    fn a_forwarded_host_the_app_does_not_serve_is_host_routing_and_healthy_ladders_say_nothing() {
        let mut ev = outside();
        let l = host_routing_ladder();
        ev.observations.ladders.push(l.clone());
        let out = crate::checks::host_header_routing_mismatch::run(&ev);
        assert_eq!(ids(&out), vec!["host-header-routing-mismatch"]);
        assert!(out.findings[0].remediation.summary.contains("Stop forwarding Host"));

        // The same ladder where CloudFront's request works: nothing at medium or above.
        let mut healthy = outside();
        let mut l = l;
        for r in &mut l.rungs {
            r.hop = Some(hop("http://origin.example/", HopResult::Response(response(200, &[]))));
        }
        healthy.observations.ladders.push(l);
        let out = run_all(&healthy);
        assert!(out.findings.iter().all(|f| f.severity < Severity::Medium), "{:?}", ids(&out));
    }

    #[test]
    fn a_failing_rung_the_origin_also_gives_to_repeated_unchanged_requests_proves_nothing() {
        let mut ev = outside();
        let l = host_routing_ladder();
        let origin_id = l.origin_id.clone();
        ev.observations.ladders.push(l);
        let sample = |class| Sample { class, status: None, connect_ms: None, first_byte_ms: None, total_ms: 1 };
        ev.observations.samples.push(SampleSeries {
            probe_id: "origin:o:http:/".into(),
            target: ProbeTarget::Origin {
                origin_id,
                behavior: "d".into(),
                scheme: Scheme::Http,
                port: 80,
                host_header: "origin.example".into(),
            },
            url: "http://origin.example/".into(),
            viewer_path: None,
            requested: 3,
            samples: vec![sample(AnswerClass::Success), sample(AnswerClass::ClientError), sample(AnswerClass::Success)],
            not_sent: 0,
        });
        let out = crate::checks::host_header_routing_mismatch::run(&ev);
        assert!(ids(&out).is_empty(), "{:?}", ids(&out));
    }

    #[test]
    fn a_request_shape_finding_the_ladder_contradicts_is_demoted() {
        let mut ev = outside();
        ev.observations.ladders.push(ladder(
            vec![
                rung("direct", true, HTTP80, "origin.example", &[], Ok(200)),
                rung("CloudFront's request", false, HTTP80, "origin.example", &[Change::CloudfrontHeaders], Ok(200)),
            ],
            &[Change::CloudfrontHeaders],
        ));
        let mut out = CheckOutput::default();
        out.push(
            crate::checks::origin_rejects_cloudfront_shaped_requests::META
                .finding(Severity::Critical, Confidence::High)
                .summary("s")
                .evidence(vec![EvidenceItem::new(Source::Probe, "p", "o")])
                .remediation(Remediation {
                    fix: crate::checks::Fix::manual("the test needs none"),
                    summary: "r".into(),
                    steps: vec![],
                    cli: vec![],
                })
                .resource("origin", "o1"),
        );
        add(&ev, &crate::checks::origin_rejects_cloudfront_shaped_requests::META, &mut out);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::Low);
        assert_eq!(out.findings[0].confidence, Confidence::Low);
        assert!(out.findings[0].evidence.iter().any(|e| e.observed.contains("works when sent from here")));
    }

    #[test]
    fn two_single_changes_that_each_break_are_both_proven_and_neither_is_demoted() {
        let mut ev = outside();
        ev.observations.ladders.push(query_and_cloudfront_headers(400, 403, 403));
        let out = run_all(&ev);
        for id in ["params-not-forwarded", "origin-rejects-cloudfront-shaped-requests"] {
            let f = out.findings.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("{id}: {:?}", ids(&out)));
            assert!(f.severity >= Severity::High, "{id}");
        }
    }

    #[test]
    fn a_certificate_for_the_origins_own_name_is_no_proof_against_the_forwarded_host() {
        use crate::evidence::TlsErrorKind;
        let https = (Scheme::Https, 443);
        let mut ev = outside();
        let mismatch = |label: &str, cf: &[Change]| {
            let mut r = rung(label, false, https, "www.example.com", cf, Err(ProbeStage::Tls));
            if let Some(HopResult::Error(e)) = r.hop.as_mut().map(|h| &mut h.result) {
                e.tls = Some(TlsErrorKind::NameMismatch);
            }
            r
        };
        let l = ladder(
            vec![
                rung("direct", true, https, "origin.example", &[], Ok(200)),
                mismatch("+ SNI", &[]),
                mismatch("CloudFront's request", &[Change::CloudfrontHeaders]),
            ],
            &[Change::Sni, Change::Host, Change::CloudfrontHeaders],
        );
        assert!(matches!(l.conclusion(), Conclusion::Unverified { .. }), "{:?}", l.conclusion());
        ev.observations.ladders.push(l);
        assert!(run_all(&ev).findings.iter().all(|f| f.severity < Severity::Medium));
    }
}
