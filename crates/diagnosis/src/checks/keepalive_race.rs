//! `keepalive-race`: the origin closes idle connections sooner than CloudFront stops reusing them.
//!
//! CloudFront keeps an origin connection open for `OriginKeepaliveTimeout` (5 s by default) and
//! reuses it. An origin whose own keep-alive timeout is shorter closes the connection while
//! CloudFront may be sending on it: a low rate of 502s that never reproduces with single direct
//! requests. Measured with `--samples` (one request on a persistent connection, then the time
//! until the origin closes it), else read from the origin's `Keep-Alive: timeout=N` header.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginKeepaliveTimeout>

use super::{
    CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, FindingBuilder, Remediation, Severity, Source,
    SymptomClass,
};
use crate::evidence::{Evidence, KEEPALIVE_MARGIN_MS, KeepaliveObservation, KeepaliveOutcome, Origin, SampleSeries};
use crate::fix::{Change, ConfigChange, Fix, OriginPart};

pub static META: CheckMeta = CheckMeta {
    id: "keepalive-race",
    title: "Origin keep-alive timeout is shorter than CloudFront's",
    what_breaks: "Intermittent 502s at a low rate, more often on quiet paths; never reproducible with one direct request.",
    why: "CloudFront reuses an idle origin connection for up to OriginKeepaliveTimeout; if the origin closes it first, a request sent on it fails and CloudFront answers 502.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginKeepaliveTimeout",
        "keep-alive probe (--samples): how long the origin keeps an idle connection open",
        "repeated requests (--samples): intermittent CloudFront 502s and closed connections",
        "direct origin probe: Keep-Alive header",
    ],
    fix: "Make the origin's keep-alive timeout longer than OriginKeepaliveTimeout (and than the load balancer's idle timeout for targets behind one), or lower OriginKeepaliveTimeout.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

fn keepalive_timeout(header: &str) -> Option<u32> {
    header.split(',').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("timeout").then(|| v.trim().parse().ok()).flatten()
    })
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in &d.origins {
        let Some(custom) = o.custom() else { continue };
        let cf = custom.keepalive_timeout_s.max(0) as u32;
        // A measured idle close outranks what the origin's header claims.
        match ev.observations.keepalive_for(&o.id).map(|k| (k, &k.outcome)) {
            Some((k, KeepaliveOutcome::ClosedIdle { after_ms })) => {
                let cf_ms = u64::from(cf) * 1000;
                if *after_ms <= cf_ms + KEEPALIVE_MARGIN_MS {
                    out.push(measured(ev, o, cf, k, *after_ms));
                }
                continue;
            }
            Some((_, KeepaliveOutcome::StillOpen { after_ms })) if *after_ms >= u64::from(cf) * 1000 => continue,
            Some((_, KeepaliveOutcome::NotKept { .. })) => continue,
            Some((k, KeepaliveOutcome::StillOpen { after_ms })) => out.unverified(
                &META,
                format!("whether origin {} keeps idle connections for CloudFront's {cf} s", o.id),
                format!(
                    "the keep-alive probe to {} saw the connection open after {:.1} s, when the probe budget ended",
                    k.url,
                    *after_ms as f64 / 1000.0
                ),
            ),
            _ => {}
        }
        for p in ev.observations.origin_probes(&o.id) {
            let Some(hop) = p.hops.first() else { continue };
            let Some(r) = hop.response() else { continue };
            let Some(origin_timeout) = r.header("keep-alive").and_then(keepalive_timeout) else { continue };
            if origin_timeout >= cf {
                continue;
            }
            out.push(
                META.finding(Severity::Medium, Confidence::Medium)
                    .summary(format!(
                        "Origin {} closes idle connections after {origin_timeout} s but CloudFront keeps them for {cf} s: expect occasional 502s.",
                        o.id
                    ))
                    .evidence([
                        EvidenceItem::new(Source::Config, format!("Origins[Id={}].CustomOriginConfig.OriginKeepaliveTimeout", o.id), cf.to_string())
                            .expected(format!("less than the origin's {origin_timeout} s")),
                        EvidenceItem::new(Source::Probe, format!("direct request {}", hop.url), format!("Keep-Alive: {}", r.header("keep-alive").unwrap_or("")))
                            .expected(format!("timeout above {cf} s")),
                    ])
                    .remediation(remediation(&o.id, cf, u64::from(origin_timeout) * 1000))
                    .resource("distribution", &d.id)
                    .resource("origin", &o.id),
            );
            break;
        }
    }
    out
}

/// `origin_ms`: how long the origin keeps an idle connection (announced or measured).
fn remediation(origin_id: &str, cf: u32, origin_ms: u64) -> Remediation {
    let origin = format!("{:.1} s", origin_ms as f64 / 1000.0);
    // CloudFront's keep-alive must end before the origin's: whole seconds, at least 1.
    let below = i32::try_from(origin_ms.saturating_sub(1) / 1000).unwrap_or(i32::MAX).max(1);
    Remediation {
        fix: Fix::alternatives([
            vec![Change::Origin {
                part: OriginPart::Server,
                what: format!("raise origin {origin_id}'s keep-alive timeout above {cf} s"),
            }],
            vec![Change::Config(ConfigChange::OriginKeepaliveTimeout { origin_id: origin_id.to_string(), seconds: below })],
        ]),
        summary: format!("Raise the origin server's keep-alive timeout above {cf} s (e.g. nginx keepalive_timeout, Node.js server.keepAliveTimeout), or set OriginKeepaliveTimeout below {origin}."),
        steps: vec!["Behind a load balancer, the target's keep-alive must also exceed the load balancer's idle timeout.".into()],
        cli: vec![],
    }
}

/// The finding from the keep-alive probe: the origin closed an idle connection before (or
/// within a second after) CloudFront stops reusing it. Intermittent connection failures in the
/// repeated probes are what this race produces, so with them it is the likely cause.
fn measured(ev: &Evidence, o: &Origin, cf: u32, k: &KeepaliveObservation, after_ms: u64) -> FindingBuilder {
    let d = &ev.inventory.distribution;
    let secs = after_ms as f64 / 1000.0;
    let flaky: Vec<&SampleSeries> = ev
        .observations
        .edge_samples()
        .chain(ev.observations.origin_samples(&o.id))
        .filter(|s| s.intermittent() && s.main_failure().is_some_and(|c| c.is_connection_failure()))
        .collect();
    let mut evidence = vec![
        EvidenceItem::new(
            Source::Config,
            format!("Origins[Id={}].CustomOriginConfig.OriginKeepaliveTimeout", o.id),
            format!("{cf} s"),
        )
        .expected(format!("shorter than the origin's idle close ({secs:.1} s)")),
        EvidenceItem::new(Source::Probe, format!("idle keep-alive connection {}", k.url), format!("closed by the origin after {secs:.1} s idle"))
            .expected(format!("open for longer than {cf} s")),
    ];
    evidence.extend(flaky.iter().filter_map(|s| {
        s.describe_failures().map(|f| EvidenceItem::new(Source::Probe, "repeated requests", f))
    }));
    let when = if after_ms < u64::from(cf) * 1000 { "while" } else { "just as" };
    META.finding(if flaky.is_empty() { Severity::Medium } else { Severity::High }, Confidence::High)
        .summary(format!(
            "Origin {} closes idle connections after {secs:.1} s (measured) {when} CloudFront still reuses them for {cf} s (OriginKeepaliveTimeout): a request sent on a closing connection gets CloudFront's 502{}.",
            o.id,
            if flaky.is_empty() { "" } else { ", as the repeated requests saw" }
        ))
        .observed(!flaky.is_empty())
        .evidence(evidence)
        .remediation(remediation(&o.id, cf, after_ms))
        .resource("distribution", &d.id)
        .resource("origin", &o.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::*;
    use crate::testing::*;

    fn ev(keep_alive: &str) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "o.example", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.observations.probes.push(probe(
            "origin:o1:https:/",
            ProbeTarget::Origin {
                origin_id: "o1".into(),
                behavior: "d".into(),
                scheme: Scheme::Https,
                port: 443,
                host_header: "o.example".into(),
            },
            vec![hop("https://o.example/", HopResult::Response(response(200, &[("Keep-Alive", keep_alive)])))],
            RedirectOutcome::Final,
        ));
        e
    }

    #[test]
    fn a_shorter_origin_keepalive_is_flagged() {
        let out = run(&ev("timeout=2, max=100"));
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("after 2 s"));
    }

    fn measured(keep_alive: &str, outcome: KeepaliveOutcome) -> Evidence {
        let mut e = ev(keep_alive);
        e.observations.keepalive.push(KeepaliveObservation {
            origin_id: "o1".into(),
            url: "https://o.example/".into(),
            outcome,
            keep_alive_header: None,
        });
        e
    }

    #[test]
    fn a_measured_idle_close_before_cloudfronts_keepalive_is_the_race() {
        let out = run(&measured("max=1", KeepaliveOutcome::ClosedIdle { after_ms: 2040 }));
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert!(f.summary.contains("after 2.0 s (measured)") && f.summary.contains("for 5 s"), "{}", f.summary);
        assert_eq!((f.severity, f.confidence), (Severity::Medium, Confidence::High));
        // With intermittent CloudFront 502s in the repeated requests it is the likely cause.
        let mut e = measured("max=1", KeepaliveOutcome::ClosedIdle { after_ms: 2040 });
        let mut s = series_of(&[AnswerClass::Success, AnswerClass::Success, AnswerClass::Cloudfront { status: 502, reason: None }]);
        s.url = "https://d.example/".into();
        e.observations.samples.push(s);
        let f = &run(&e).findings[0];
        assert_eq!(f.severity, Severity::High);
        assert!(f.observed && f.evidence.iter().any(|x| x.observed.contains("1 of 3 requests")), "{:?}", f.evidence);
    }

    #[test]
    fn a_measurement_outranks_the_header_and_a_cut_wait_is_unverified() {
        let open = run(&measured("timeout=2", KeepaliveOutcome::StillOpen { after_ms: 6000 }));
        assert!(open.findings.is_empty() && open.unverified.is_empty());
        assert!(run(&measured("timeout=2", KeepaliveOutcome::NotKept { detail: "x".into() })).findings.is_empty());
        let cut = run(&measured("max=1", KeepaliveOutcome::StillOpen { after_ms: 1500 }));
        assert!(cut.findings.is_empty());
        assert_eq!(cut.unverified.len(), 1);
        // Closing well after CloudFront's keep-alive and its margin is no race.
        assert!(run(&measured("max=1", KeepaliveOutcome::ClosedIdle { after_ms: 6500 })).findings.is_empty());
    }

    fn series_of(classes: &[AnswerClass]) -> SampleSeries {
        SampleSeries {
            probe_id: "edge:https:/".into(),
            target: ProbeTarget::Edge { hostname: "d.example".into(), scheme: Scheme::Https },
            url: String::new(),
            viewer_path: None,
            requested: classes.len() as u32,
            samples: classes
                .iter()
                .map(|c| Sample { class: c.clone(), status: None, connect_ms: None, first_byte_ms: Some(1), total_ms: 1 })
                .collect(),
            not_sent: 0,
        }
    }

    #[test]
    fn a_longer_or_absent_keepalive_is_not() {
        assert!(run(&ev("timeout=65")).findings.is_empty());
        assert!(run(&ev("max=100")).findings.is_empty());
        assert_eq!(keepalive_timeout("timeout = 7"), Some(7));
    }
}
