//! `cached-errors-or-redirects`: CloudFront serves an error or a redirect from its cache.
//!
//! CloudFront caches 404/414/500/501/502/503/504 for the error-caching minimum TTL (10 s by
//! default, often set much higher) and caches 301/302 like any object, so a fixed origin can keep
//! failing through CloudFront until the cached copy expires or is invalidated. Detected from the
//! edge answer (`X-Cache: Hit`/`RefreshHit from cloudfront` with an `Age`) on an error or redirect,
//! and confirmed when the origin, asked directly, no longer answers that way.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html>

use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "cached-errors-or-redirects",
    title: "CloudFront serves a cached error or redirect",
    what_breaks: "Viewers keep getting an error or a redirect after the origin was fixed.",
    why: "CloudFront caches error responses for ErrorCachingMinTTL (10 s by default) and caches redirects like content; until the cached copy expires or is invalidated the old answer is served.",
    evidence_used: &[
        "probe through the distribution: X-Cache Hit/RefreshHit from cloudfront and Age on an error or redirect",
        "direct origin probe: what the origin answers now",
    ],
    fix: "Invalidate the affected paths; lower ErrorCachingMinTTL for error codes in CustomErrorResponses.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html",
    explains: Explains::Symptoms(&[SymptomClass::RedirectLoop, SymptomClass::CloudFront502, SymptomClass::CloudFront504, SymptomClass::CloudFront403, SymptomClass::OriginError]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for p in ev.observations.edge_probes() {
        for hop in &p.hops {
            let Some(r) = hop.response() else { continue };
            let cache = r.header("x-cache").unwrap_or("").to_ascii_lowercase();
            let hit = cache.starts_with("hit from cloudfront") || cache.starts_with("refreshhit from cloudfront");
            if !hit || !(r.status >= 400 || r.is_redirect()) {
                continue;
            }
            let age = r.header("age").unwrap_or("unknown");
            let mut evidence = vec![
                EvidenceItem::new(
                    Source::Probe,
                    format!("viewer request {}", hop.url),
                    format!(
                        "{} served from the cache (X-Cache: {}, Age: {age} s)",
                        r.status,
                        r.header("x-cache").unwrap_or("")
                    ),
                )
                .expected("a fresh answer from the origin"),
            ];
            // Does the origin still answer like that? A different direct answer means the fix
            // is done and only the cache is stale.
            let path = url::Url::parse(&hop.url).map(|u| u.path().to_string()).unwrap_or_default();
            let fresh = ev
                .observations
                .probes
                .iter()
                .filter(|o| matches!(o.target, crate::evidence::ProbeTarget::Origin { .. }))
                .find_map(|o| {
                    let h = o.hops.first()?;
                    let u = url::Url::parse(&h.url).ok()?;
                    (u.path().ends_with(&path)).then(|| h.response().map(|x| x.status)).flatten()
                });
            let stale = fresh.is_some_and(|s| s != r.status && s < 400 && !(300..400).contains(&s));
            if let Some(s) = fresh {
                evidence.push(EvidenceItem::new(Source::Probe, "the origin asked directly", format!("{s} now")));
            }
            out.push(
                META.finding(if stale { Severity::High } else { Severity::Medium }, if stale { Confidence::High } else { Confidence::Medium })
                    .summary(if stale {
                        format!("CloudFront serves a cached {} for {path} although the origin now answers {}; invalidate it.", r.status, fresh.unwrap_or(0))
                    } else {
                        format!("CloudFront serves a cached {} for {path}: after fixing the cause, invalidate it or it persists for its TTL.", r.status)
                    })
                    .observed(stale)
                    .evidence(evidence)
                    .remediation(Remediation {
                        fix: Fix::changes([Change::Other { what: format!("invalidate {path} once the origin is fixed") }]),
                        summary: format!("Invalidate {path} (or /*) once the origin is fixed."),
                        steps: vec!["Lower CustomErrorResponses[].ErrorCachingMinTTL for the error codes you do not want cached long.".into()],
                        cli: vec![format!("aws cloudfront create-invalidation --distribution-id {} --paths '{path}'", d.id)],
                    })
                    .resource("distribution", &d.id),
            );
            return out;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::*;
    use crate::testing::*;

    fn ev_with_edge(status: u16, x_cache: &str) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "o.example", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.observations.probes.push(probe(
            "edge:https:/",
            ProbeTarget::Edge { hostname: "d111.cloudfront.net".into(), scheme: Scheme::Https },
            vec![hop(
                "https://d111.cloudfront.net/",
                HopResult::Response(response(status, &[("X-Cache", x_cache), ("Age", "120")])),
            )],
            RedirectOutcome::Final,
        ));
        e
    }

    #[test]
    fn a_cached_error_is_flagged_and_a_fixed_origin_makes_it_high() {
        let e = ev_with_edge(502, "Hit from cloudfront");
        assert_eq!(run(&e).findings[0].severity, Severity::Medium);
        let mut e = e;
        e.observations.probes.push(probe(
            "origin:o1:https:/",
            ProbeTarget::Origin {
                origin_id: "o1".into(),
                behavior: "d".into(),
                scheme: Scheme::Https,
                port: 443,
                host_header: "o.example".into(),
            },
            vec![hop("https://o.example/", HopResult::Response(response(200, &[])))],
            RedirectOutcome::Final,
        ));
        let f = &run(&e).findings[0];
        assert_eq!(f.severity, Severity::High);
        assert!(f.observed);
    }

    #[test]
    fn misses_and_cached_content_are_not() {
        assert!(run(&ev_with_edge(502, "Error from cloudfront")).findings.is_empty());
        assert!(run(&ev_with_edge(200, "Hit from cloudfront")).findings.is_empty());
    }
}
