//! Read-only helpers for the checks that judge what an origin answered to CloudFront-shaped
//! probes (response format, HTTP version, gateway timeouts, transfer time).

use crate::evidence::{Evidence, Hop, HopResult, ProbeRecord, ProbeStage};

/// The first hop of every CloudFront-shaped probe straight to `origin_id` (later hops are
/// redirects followed as a viewer would, not CloudFront's request).
pub(super) fn origin_first_hops<'a>(ev: &'a Evidence, origin_id: &'a str) -> Vec<(&'a ProbeRecord, &'a Hop)> {
    ev.observations.origin_probes(origin_id).filter_map(|p| p.hops.first().map(|h| (p, h))).collect()
}

/// True when the hop reached the HTTP exchange (a response, or a failure while reading it).
pub(super) fn reached_http(h: &Hop) -> bool {
    match &h.result {
        HopResult::Response(_) => true,
        HopResult::Error(e) => matches!(e.stage, ProbeStage::Http | ProbeStage::FirstByteTimeout),
    }
}

/// When no CloudFront-shaped probe reached the HTTP exchange with `origin_id` and one of them
/// stopped at the probe's own TLS limit ([`ProbeStage::TlsNotSpokenByProbe`]: CloudFront's raw
/// hello succeeds with TLS 1.0/1.1 or a CBC suite), what was not observed and why.
pub(super) fn tls_not_observed(ev: &Evidence, origin_id: &str) -> Option<(String, String)> {
    let hops = origin_first_hops(ev, origin_id);
    if hops.iter().any(|(_, h)| reached_http(h)) {
        return None;
    }
    hops.iter().find_map(|(_, h)| match &h.result {
        HopResult::Error(e) => e
            .not_observed()
            .map(|(what, why)| (format!("{what} straight to origin {origin_id} not observed"), why.to_string())),
        HopResult::Response(_) => None,
    })
}

/// Why nothing can be said about the origin's answers, when no CloudFront-shaped probe reached
/// the HTTP exchange: `None` when one did, or when the origin was not probed at all and nothing
/// was skipped for it (nothing to report).
pub(super) fn why_no_answer(ev: &Evidence, origin_id: &str) -> Option<String> {
    let hops = origin_first_hops(ev, origin_id);
    if hops.iter().any(|(_, h)| reached_http(h)) {
        return None;
    }
    if let Some((_, h)) = hops.first() {
        if let HopResult::Error(e) = &h.result {
            return Some(format!("no probe got an HTTP answer from it ({})", e.message));
        }
    }
    let marker = format!(":{origin_id}:");
    ev.observations
        .skipped
        .iter()
        .find(|s| s.id.contains(&marker))
        .map(|s| format!("its probe was not run: {}", s.reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, OriginProtocolPolicy, OriginResource, ProbeError, RequestShape, SkippedProbe};
    use crate::testing::*;

    fn ev() -> Evidence {
        evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        )
    }

    #[test]
    fn an_answer_a_connect_failure_and_a_skipped_probe_are_told_apart() {
        let mut e = ev();
        assert_eq!(why_no_answer(&e, "o1"), None, "not probed, nothing skipped: nothing to say");
        e.observations.skipped.push(SkippedProbe { id: "origin:o1:http:/".into(), reason: "out of budget".into() });
        assert!(why_no_answer(&e, "o1").unwrap().contains("out of budget"));
        let failed = HopResult::Error(ProbeError::new(ProbeStage::Connect, "refused"));
        e.observations.probes.push(origin_probe(RequestShape::Cloudfront, "app.example.com", "/", failed));
        assert!(why_no_answer(&e, "o1").unwrap().contains("refused"));
        let ok = HopResult::Response(response(200, &[]));
        e.observations.probes.push(origin_probe(RequestShape::Cloudfront, "app.example.com", "/a", ok));
        assert_eq!(why_no_answer(&e, "o1"), None);
        assert_eq!(origin_first_hops(&e, "o1").len(), 2);
    }

    #[test]
    fn the_probes_own_tls_limit_is_named_as_not_observed_and_only_without_an_answer() {
        let mut e = ev();
        let limit = HopResult::Error(ProbeError::new(
            ProbeStage::TlsNotSpokenByProbe,
            "HTTP over TLSv1 with TLS_RSA_WITH_AES_128_CBC_SHA not observed: the stack speaks TLS 1.2+",
        ));
        e.observations.probes.push(origin_probe(RequestShape::Cloudfront, "app.example.com", "/", limit));
        let (what, why) = tls_not_observed(&e, "o1").expect("named");
        assert_eq!(what, "HTTP over TLSv1 with TLS_RSA_WITH_AES_128_CBC_SHA straight to origin o1 not observed");
        assert_eq!(why, "the stack speaks TLS 1.2+");
        assert_eq!(tls_not_observed(&e, "o2"), None);
        // A plain TLS failure is not the probe's limit.
        let mut plain = ev();
        let failed = HopResult::Error(ProbeError::new(ProbeStage::Tls, "alert"));
        plain.observations.probes.push(origin_probe(RequestShape::Cloudfront, "app.example.com", "/", failed));
        assert_eq!(tls_not_observed(&plain, "o1"), None);
        // Once any probe got an answer, the origin's answers are observed.
        let ok = HopResult::Response(response(200, &[]));
        e.observations.probes.push(origin_probe(RequestShape::Cloudfront, "app.example.com", "/a", ok));
        assert_eq!(tls_not_observed(&e, "o1"), None);
    }
}
