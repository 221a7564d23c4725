//! `keepalive-race`: the origin closes idle connections sooner than CloudFront stops reusing them.
//!
//! CloudFront keeps an origin connection open for `OriginKeepaliveTimeout` (5 s by default) and
//! reuses it. An origin whose own keep-alive timeout is shorter closes the connection while
//! CloudFront may be sending on it: a low rate of 502s that never reproduces with single direct
//! requests. Seen from the origin's `Keep-Alive: timeout=N` header, or from servers with known
//! short defaults.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html>

use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, ConfigChange, Fix, OriginPart};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "keepalive-race",
    title: "Origin keep-alive timeout is shorter than CloudFront's",
    what_breaks: "Intermittent 502s at a low rate, more often on quiet paths; never reproducible with one direct request.",
    why: "CloudFront reuses an idle origin connection for up to OriginKeepaliveTimeout; if the origin closes it first, a request sent on it fails and CloudFront answers 502.",
    evidence_used: &[
        "Origins.Items[].CustomOriginConfig.OriginKeepaliveTimeout",
        "direct origin probe: Keep-Alive header, Server header",
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
                    .remediation(Remediation {
                        fix: Fix::alternatives([
                            vec![Change::Origin {
                                part: OriginPart::Server,
                                what: format!("raise origin {}'s keep-alive timeout above {cf} s", o.id),
                            }],
                            vec![Change::Config(ConfigChange::OriginKeepaliveTimeout {
                                origin_id: o.id.clone(),
                                seconds: i32::try_from(origin_timeout.saturating_sub(1).max(1)).unwrap_or(1),
                            })],
                        ]),
                        summary: format!("Raise the origin server's keep-alive timeout above {cf} s (e.g. nginx keepalive_timeout, Node.js server.keepAliveTimeout), or set OriginKeepaliveTimeout below {origin_timeout} s."),
                        steps: vec!["Behind a load balancer, the target's keep-alive must also exceed the load balancer's idle timeout.".into()],
                        cli: vec![],
                    })
                    .resource("distribution", &d.id)
                    .resource("origin", &o.id),
            );
            break;
        }
    }
    out
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

    #[test]
    fn a_longer_or_absent_keepalive_is_not() {
        assert!(run(&ev("timeout=65")).findings.is_empty());
        assert!(run(&ev("max=100")).findings.is_empty());
        assert_eq!(keepalive_timeout("timeout = 7"), Some(7));
    }
}
