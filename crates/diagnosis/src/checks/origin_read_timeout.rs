//! `origin-read-timeout`: the origin takes longer than `OriginReadTimeout` to send its first
//! byte, or pauses longer than that between two packets.
//!
//! CloudFront waits `OriginReadTimeout` seconds (default 30) for the first byte of the response
//! and again between packets; past that it gives up and answers 504 (GET and HEAD are retried up
//! to `ConnectionAttempts` times first). Slow reports, long polling and streams without
//! heartbeats work straight against the origin and fail through CloudFront.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginResponseTimeout>

use super::cloudfront_view::{self, OriginFailure};
use super::probe_view::{edge, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::{CloudFrontReason, Evidence, HopResult, ProbeStage};
use crate::fix::{Change, ConfigChange, Fix, OriginPart};

/// The most `OriginReadTimeout` can be without a quota increase, and with one (seconds).
const MAX_WITHOUT_QUOTA: u64 = 60;
const MAX_WITH_QUOTA: u64 = 180;

pub static META: CheckMeta = CheckMeta {
    id: "origin-read-timeout",
    title: "The origin answers slower than the origin response timeout",
    what_breaks: "Slow responses (or streams with long pauses) end in CloudFront's 504 while the origin, asked directly, eventually answers.",
    why: "CloudFront waits OriginReadTimeout for the first byte and between packets, then returns 504 (after retrying GET/HEAD ConnectionAttempts times).",
    evidence_used: &[
        "Origins[].CustomOriginConfig.OriginReadTimeout and ConnectionAttempts",
        "direct probes shaped as CloudFront sends them: time to first byte, longest gap between chunks",
        "probes through the distribution: 504 with CloudFront's error page",
        "CloudFront's access logs: requests ending in OriginCommError after about OriginReadTimeout (time-to-first-byte)",
    ],
    fix: "Make the origin answer (or send a first byte / heartbeat) within OriginReadTimeout, or raise OriginReadTimeout (up to 60 s, more by quota increase).",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginResponseTimeout",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront504]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let edge_504 = edge(ev).find_map(|p| {
        let (h, r) = last_response(p)?;
        (r.status == 504
            && (r.cloudfront_error.is_some()
                || r.cloudfront_reason() == Some(&CloudFrontReason::ConnectionFailedOrClosed)))
        .then(|| format!("{} → 504, CloudFront's error page", h.url))
    });
    for origin in &d.origins {
        let Some(custom) = origin.custom() else {
            continue;
        };
        let limit_ms = u64::try_from(custom.read_timeout_s.max(1)).unwrap_or(30) * 1000;
        // The slowest wait seen on a CloudFront-shaped probe: (ms, description, exceeded for sure).
        let mut worst: Option<(u64, String, &str)> = None;
        let mut cut_short: Option<(u64, String)> = None;
        for p in ev.observations.origin_probes(&origin.id) {
            let Some(h) = p.hops.first() else {
                continue;
            };
            let t = &h.timings;
            let mut consider = |ms: u64, what: &str| {
                if worst.as_ref().is_none_or(|(w, _, _)| ms > *w) {
                    worst = Some((ms, format!("{} {}: {what} {ms} ms", p.method, h.url), ""));
                }
            };
            if let Some(fb) = t.first_byte_ms {
                consider(fb, "first byte after");
            }
            if let Some(g) = t.max_gap_ms {
                consider(g, "longest pause between chunks");
            }
            if let HopResult::Error(e) = &h.result {
                if e.stage == ProbeStage::FirstByteTimeout {
                    let waited = t.first_byte_waited_ms.unwrap_or(0);
                    if waited >= limit_ms {
                        consider(waited, "no first byte after");
                    } else {
                        cut_short = Some((
                            waited,
                            format!("{} {}: no first byte within the probe's {waited} ms bound", p.method, h.url),
                        ));
                    }
                }
            }
        }
        // Repeated requests (`--samples`): the slowest first byte of a series, with its spread.
        for s in ev.observations.origin_samples(&origin.id) {
            let Some(p) = s.first_byte() else { continue };
            if worst.as_ref().is_none_or(|(w, _, _)| p.max > *w) {
                let over = s.samples.iter().filter(|x| x.first_byte_ms.is_some_and(|f| f > limit_ms)).count();
                worst = Some((
                    p.max,
                    format!(
                        "GET {}: first byte p50 {} ms, p90 {} ms, max {} ms over {} requests ({over} over the timeout)",
                        s.url,
                        p.p50,
                        p.p90,
                        p.max,
                        s.sent()
                    ),
                    "",
                ));
            }
        }
        // CloudFront's logs: its requests that timed out waiting for this origin's first byte.
        let logged = cloudfront_view::origin_failure(
            ev,
            origin,
            OriginFailure::ReadTimeout,
            worst.as_ref().map(|(ms, _, _)| *ms),
        );
        if let Some((l, f)) = logged {
            if worst.as_ref().is_none_or(|(ms, _, _)| *ms <= limit_ms) {
                // The probes were answered in time (or not at all): the slow answers are those
                // CloudFront saw.
                let field = format!("Origins[Id={}].CustomOriginConfig.OriginReadTimeout", origin.id);
                let mut evidence = vec![
                    EvidenceItem::new(Source::Config, &field, format!("{} s", custom.read_timeout_s)),
                    cloudfront_view::evidence_item(ev, l, f),
                ];
                if let Some((_, what, _)) = &worst {
                    evidence.push(EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", what.clone()));
                }
                out.push(
                    META.finding(Severity::High, Confidence::High)
                        .summary(format!(
                            "CloudFront's logs show {} of {} requests ending in {} {} after about {} ms, the origin {}'s {} s OriginReadTimeout: the origin does not send its first byte in time{}.",
                            cloudfront_view::thousands(f.count),
                            cloudfront_view::thousands(l.requests),
                            f.status,
                            f.detailed_result_type,
                            f.time_to_first_byte.p50_ms,
                            origin.id,
                            custom.read_timeout_s,
                            if cloudfront_view::intermittent(l) { " on some requests (intermittent)" } else { "" }
                        ))
                        .observed(true)
                        .evidence(evidence)
                        .remediation(Remediation {
                            // The logs show requests ending at the timeout, not how long the
                            // origin would have needed: the most without a quota increase is
                            // the one value to try, beside the origin answering sooner.
                            fix: {
                                let sooner = vec![Change::Origin {
                                    part: OriginPart::Application,
                                    what: format!(
                                        "make origin {} send its first byte (or a heartbeat) within {} s on the slow paths",
                                        origin.id, custom.read_timeout_s
                                    ),
                                }];
                                if u64::try_from(custom.read_timeout_s).unwrap_or(0) < MAX_WITHOUT_QUOTA {
                                    Fix::alternatives([
                                        vec![Change::Config(ConfigChange::OriginReadTimeout {
                                            origin_id: origin.id.clone(),
                                            seconds: i32::try_from(MAX_WITHOUT_QUOTA).unwrap_or(60),
                                        })],
                                        sooner,
                                    ])
                                } else {
                                    Fix::alternatives([sooner])
                                }
                            },
                            summary: format!(
                                "Make origin {} answer within {} s on the slow paths, or raise {field}.",
                                origin.id, custom.read_timeout_s
                            ),
                            steps: vec![
                                "The logs' slowest paths are in the report's CloudFront view; the origin's own logs show why those requests are slow.".into(),
                            ],
                            cli: vec![update_cli(d)],
                        })
                        .resource("distribution", &d.id)
                        .resource("origin", &origin.id),
                );
                continue;
            }
        }
        let Some((ms, what, _)) = worst else {
            if let Some((_, what)) = cut_short {
                out.unverified(
                    &META,
                    format!(
                        "whether origin {} answers within its {} s OriginReadTimeout",
                        origin.id, custom.read_timeout_s
                    ),
                    format!("{what}, shorter than the timeout"),
                );
            } else if ev.observations.origin_probes(&origin.id).next().is_none() {
                continue;
            }
            continue;
        };
        let field = format!("Origins[Id={}].CustomOriginConfig.OriginReadTimeout", origin.id);
        let exceeded = ms > limit_ms;
        let near = !exceeded && ms * 10 >= limit_ms * 8;
        if !exceeded && !near {
            if let Some((_, what)) = cut_short {
                out.unverified(
                    &META,
                    format!("whether origin {} answers within {} s", origin.id, custom.read_timeout_s),
                    what,
                );
            }
            continue;
        }
        let observed = exceeded && (edge_504.is_some() || logged.is_some());
        let severity = match (exceeded, observed) {
            (true, true) => Severity::Critical,
            (true, false) => Severity::High,
            _ => Severity::Low,
        };
        let mut evidence = vec![
            EvidenceItem::new(Source::Config, &field, format!("{} s", custom.read_timeout_s)),
            EvidenceItem::new(Source::Probe, "origin, as CloudFront sends it", what)
                .expected(format!("under {limit_ms} ms")),
        ];
        if let (true, Some(s)) = (exceeded, &edge_504) {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
        }
        if let (true, Some((l, f))) = (exceeded, logged) {
            evidence.push(cloudfront_view::evidence_item(ev, l, f));
        }
        let summary = if exceeded {
            format!(
                "Origin {} took {ms} ms, longer than its {} s OriginReadTimeout: CloudFront gives up and answers 504.",
                origin.id, custom.read_timeout_s
            )
        } else {
            format!(
                "Origin {} took {ms} ms, close to its {} s OriginReadTimeout: slower moments will end in 504.",
                origin.id, custom.read_timeout_s
            )
        };
        // Above the wait seen with a margin; 60 s is the most without a quota increase, 180 s
        // with one (CloudFront quotas, "Response timeout per origin").
        let wanted = (ms / 1000 + 10).max(u64::try_from(custom.read_timeout_s).unwrap_or(30) + 5);
        let suggested = wanted.min(MAX_WITH_QUOTA);
        let answer_sooner = Change::Origin {
            part: OriginPart::Application,
            what: format!(
                "make origin {} send its first byte (or a heartbeat) within {} s",
                origin.id, custom.read_timeout_s
            ),
        };
        let raise = |seconds: u64| {
            Change::Config(ConfigChange::OriginReadTimeout {
                origin_id: origin.id.clone(),
                seconds: i32::try_from(seconds).unwrap_or(60),
            })
        };
        let fix = if ms / 1000 >= MAX_WITH_QUOTA {
            Fix::changes([answer_sooner])
        } else if wanted > MAX_WITHOUT_QUOTA {
            Fix::alternatives([
                vec![
                    Change::Other {
                        what: format!(
                            "request a CloudFront quota increase of the response timeout per origin to {} s (above {MAX_WITHOUT_QUOTA} s needs one)",
                            suggested
                        ),
                    },
                    raise(suggested),
                ],
                vec![answer_sooner],
            ])
        } else {
            Fix::alternatives([vec![raise(wanted)], vec![answer_sooner]])
        };
        let finding = META.finding(severity, if exceeded { Confidence::High } else { Confidence::Medium })
            .summary(summary)
            .observed(observed)
            .evidence(evidence)
            .remediation(Remediation {
                summary: if ms / 1000 >= MAX_WITH_QUOTA {
                    format!("Make the origin send its first byte sooner: {ms} ms is beyond the most {field} can be ({MAX_WITH_QUOTA} s).")
                } else if wanted > MAX_WITHOUT_QUOTA {
                    format!(
                        "Set {field} to {suggested} (seconds) after a quota increase (above {MAX_WITHOUT_QUOTA} s needs one), or make the origin send its first byte sooner."
                    )
                } else {
                    format!("Set {field} to {suggested} (seconds), or make the origin send its first byte sooner.")
                },
                steps: vec![
                    "Long-running work: answer early and poll, or stream a heartbeat more often than the timeout."
                        .into(),
                    "Above 60 s needs a CloudFront quota increase (Response timeout per origin).".into(),
                    "Keep the load balancer's idle timeout and the application's own timeouts above it too.".into(),
                ],
                cli: fix.cli_or(d, vec![update_cli(d)]),
                fix,
            })
            .resource("distribution", &d.id)
            .resource("origin", &origin.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, OriginProtocolPolicy, OriginResource, ProbeError, RequestShape, Scheme};
    use crate::testing::*;

    fn ev(first_byte_ms: u64) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        let mut p =
            origin_probe(RequestShape::Cloudfront, "app.example.com", "/", HopResult::Response(response(200, &[])));
        p.hops[0].timings.first_byte_ms = Some(first_byte_ms);
        p.hops[0].timings.max_gap_ms = Some(0);
        e.observations.probes.push(p);
        e
    }

    /// The timeout to set is above the wait seen; past 60 s the quota increase comes with it,
    /// past 180 s only the origin can fix it.
    #[test]
    fn the_fix_raises_the_timeout_above_the_measured_wait_within_the_quota() {
        let preferred = |ms| run(&ev(ms)).findings[0].remediation.fix.preferred().unwrap().changes.clone();
        let timeout = |seconds| {
            Change::Config(ConfigChange::OriginReadTimeout { origin_id: "o1".into(), seconds })
        };
        assert_eq!(preferred(31_000), vec![timeout(41)]);
        let quota = preferred(90_000);
        assert!(matches!(&quota[0], Change::Other { what } if what.contains("quota")), "{quota:?}");
        assert_eq!(quota[1], timeout(100));
        let f = &run(&ev(90_000)).findings[0];
        assert!(f.remediation.summary.contains("quota increase"), "{}", f.remediation.summary);
        assert!(matches!(&preferred(200_000)[..], [Change::Origin { part: OriginPart::Application, .. }]));
        let e = ev(31_000);
        let f = &run(&e).findings[0];
        assert!(f.remediation.cli[1].contains("OriginReadTimeout) |= (if . == 30 then 41"), "{:?}", f.remediation.cli);
    }

    #[test]
    fn first_byte_slower_than_the_timeout_is_high_and_critical_with_an_edge_504() {
        let out = run(&ev(31_000));
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        let mut e = ev(31_000);
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(cloudfront_page(504, CloudFrontReason::ConnectionFailedOrClosed)),
        ));
        let out = run(&e);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].observed);
    }

    #[test]
    fn a_gap_between_chunks_counts_and_near_misses_are_low() {
        let mut e = ev(10);
        e.observations.probes[0].hops[0].timings.max_gap_ms = Some(45_000);
        assert_eq!(run(&e).findings[0].severity, Severity::High);
        assert_eq!(run(&ev(26_000)).findings[0].severity, Severity::Low);
    }

    #[test]
    fn a_fast_origin_is_no_finding_and_a_short_probe_bound_is_unverified() {
        assert!(run(&ev(120)).findings.is_empty());
        let mut e = ev(0);
        let h = &mut e.observations.probes[0].hops[0];
        h.timings.first_byte_ms = None;
        h.timings.max_gap_ms = None;
        h.timings.first_byte_waited_ms = Some(5_000);
        h.result = HopResult::Error(ProbeError::new(ProbeStage::FirstByteTimeout, "x"));
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
    }
}
