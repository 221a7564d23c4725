//! `aggressive-connection-settings`: connection timeout and attempts lowered so far that ordinary
//! slow connects fail.
//!
//! `ConnectionTimeout` (1-10 s, default 10) bounds each TCP connect attempt and
//! `ConnectionAttempts` (1-3, default 3) how many are made. Lowered for fast failover, they turn
//! an origin's occasional slow SYN-ACK (far-away edge locations, SYN backlog spikes) into 504s or
//! failovers. Flagged when a single attempt with a timeout of 2 s or less is configured, and
//! raised when the measured connect time from here already uses a large part of it.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html>

use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::{AnswerClass, Evidence, SampleSeries};
use crate::fix::{Change, ConfigChange, Fix};

pub static META: CheckMeta = CheckMeta {
    id: "aggressive-connection-settings",
    title: "Origin connection timeout and attempts are set very low",
    what_breaks: "Intermittent 504s (or failovers) when a connect to the origin is a little slow.",
    why: "CloudFront gives up on the origin after ConnectionAttempts × ConnectionTimeout; with one attempt of a second or two, a slow handshake from a distant edge location is a failure.",
    evidence_used: &[
        "Origins.Items[].ConnectionTimeout and ConnectionAttempts",
        "direct origin probe: TCP connect time",
        "repeated requests (--samples): connect times and connects that failed or timed out",
    ],
    fix: "Use the defaults (3 attempts, 10 s) unless an origin group needs fast failover, and then keep at least 2 attempts.",
    fix_kinds: &[super::FixKind::Typed],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504, SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for o in &d.origins {
        if o.custom().is_none() || o.connection_attempts > 1 || o.connection_timeout_s > 2 {
            continue;
        }
        let budget_ms = (o.connection_timeout_s.max(1) as u64) * 1000;
        let connect_ms = ev
            .observations
            .origin_probes(&o.id)
            .filter_map(|p| p.hops.first().and_then(|h| h.timings.connect_ms))
            .max();
        // Repeated requests (`--samples`): the slowest connect of every series, and the connects
        // that failed or timed out, which one short attempt turns into CloudFront's 504.
        let series: Vec<&SampleSeries> = ev.observations.origin_samples(&o.id).collect();
        let sampled_ms = series.iter().filter_map(|s| s.connect().map(|p| p.max)).max();
        let connect_ms = connect_ms.max(sampled_ms);
        let connects = |pred: fn(&AnswerClass) -> bool| -> u32 {
            series.iter().map(|s| s.samples.iter().filter(|x| pred(&x.class)).count() as u32).sum()
        };
        let failed = connects(|c| matches!(c, AnswerClass::ConnectFailure | AnswerClass::Timeout));
        let sent: u32 = series.iter().map(|s| s.sent()).sum();
        let tight = connect_ms.is_some_and(|ms| ms * 2 >= budget_ms) || failed > 0;
        let mut evidence = vec![
            EvidenceItem::new(
                Source::Config,
                format!("Origins[Id={}].ConnectionAttempts / ConnectionTimeout", o.id),
                format!("{} attempt(s) of {} s", o.connection_attempts, o.connection_timeout_s),
            )
            .expected("3 attempts of 10 s (the defaults), or at least 2 attempts"),
        ];
        if let Some(ms) = connect_ms {
            evidence.push(EvidenceItem::new(
                Source::Probe,
                "TCP connect to the origin from the probing host",
                format!("{ms} ms"),
            ));
        }
        for s in &series {
            if let Some(p) = s.connect() {
                evidence.push(EvidenceItem::new(
                    Source::Probe,
                    format!("TCP connects of {} repeated requests to {}", s.sent(), s.url),
                    format!("p50 {} ms, p90 {} ms, max {} ms", p.p50, p.p90, p.max),
                ));
            }
        }
        if failed > 0 {
            evidence.push(
                EvidenceItem::new(
                    Source::Probe,
                    "repeated requests to the origin",
                    format!("{failed} of {sent} failed to connect or timed out"),
                )
                .expected("every connect within one attempt's timeout"),
            );
        }
        // The defaults (3 attempts of 10 s), for what is below them.
        let mut changes = Vec::new();
        if o.connection_attempts < 3 {
            changes.push(Change::Config(ConfigChange::ConnectionAttempts { origin_id: o.id.clone(), value: 3 }));
        }
        if o.connection_timeout_s < 10 {
            changes.push(Change::Config(ConfigChange::ConnectionTimeout { origin_id: o.id.clone(), seconds: 10 }));
        }
        let fix = Fix::changes(changes);
        out.push(
            META.finding(if tight { Severity::Medium } else { Severity::Low }, Confidence::Medium)
                .summary(format!(
                    "Origin {} allows a single {} s connect attempt{}; slow connects from some edge locations will fail.",
                    o.id,
                    o.connection_timeout_s,
                    if failed > 0 {
                        format!(", and {failed} of {sent} repeated requests from here failed to connect or timed out")
                    } else if tight {
                        ", and a connect from here already takes half of it".to_string()
                    } else {
                        String::new()
                    }
                ))
                .evidence(evidence)
                .remediation(Remediation {
                    summary: format!("Set Origins[Id={}].ConnectionAttempts to 3 and ConnectionTimeout to 10 (or at least 2 attempts).", o.id),
                    steps: vec![],
                    cli: fix.cli(d),
                    fix,
                })
                .resource("distribution", &d.id)
                .resource("origin", &o.id),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::*;
    use crate::testing::*;

    fn ev(attempts: i32, timeout: i32, connect_ms: Option<u64>) -> Evidence {
        let mut o = custom_origin("o1", "o.example", OriginProtocolPolicy::HttpsOnly);
        o.connection_attempts = attempts;
        o.connection_timeout_s = timeout;
        let mut e = evidence(o, Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }));
        if let Some(ms) = connect_ms {
            let mut h = hop("https://o.example/", HopResult::Response(response(200, &[])));
            h.timings.connect_ms = Some(ms);
            e.observations.probes.push(probe(
                "origin:o1:https:/",
                ProbeTarget::Origin {
                    origin_id: "o1".into(),
                    behavior: "d".into(),
                    scheme: Scheme::Https,
                    port: 443,
                    host_header: "o.example".into(),
                },
                vec![h],
                RedirectOutcome::Final,
            ));
        }
        e
    }

    #[test]
    fn one_short_attempt_is_low_and_a_slow_connect_makes_it_medium() {
        assert_eq!(run(&ev(1, 1, None)).findings[0].severity, Severity::Low);
        assert_eq!(run(&ev(1, 1, Some(600))).findings[0].severity, Severity::Medium);
    }

    #[test]
    fn repeated_connects_that_fail_make_it_medium_and_say_the_rate() {
        let mut e = ev(1, 2, None);
        let sample = |class: AnswerClass, ms| Sample { class, status: None, connect_ms: ms, first_byte_ms: None, total_ms: 1 };
        e.observations.samples.push(SampleSeries {
            probe_id: "origin:o1:https:/".into(),
            target: ProbeTarget::Origin {
                origin_id: "o1".into(),
                behavior: "d".into(),
                scheme: Scheme::Https,
                port: 443,
                host_header: "o.example".into(),
            },
            url: "https://o.example/".into(),
            viewer_path: None,
            requested: 4,
            samples: vec![
                sample(AnswerClass::Success, Some(20)),
                sample(AnswerClass::Success, Some(30)),
                sample(AnswerClass::Timeout, None),
                sample(AnswerClass::Success, Some(25)),
            ],
            not_sent: 0,
        });
        let f = &run(&e).findings[0];
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.summary.contains("1 of 4 repeated requests"), "{}", f.summary);
        assert!(f.evidence.iter().any(|x| x.observed == "p50 25 ms, p90 30 ms, max 30 ms"), "{:?}", f.evidence);
    }

    #[test]
    fn defaults_or_more_attempts_are_fine() {
        assert!(run(&ev(3, 10, Some(900))).findings.is_empty());
        assert!(run(&ev(2, 1, None)).findings.is_empty());
    }
}
