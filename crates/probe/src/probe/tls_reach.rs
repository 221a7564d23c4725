//! What the HTTP probes' TLS stack cannot reach. The raw hello (`tls_scan`) offers CloudFront's
//! exact hello and can see an origin complete it with TLS 1.0/1.1 or a CBC suite; the HTTP probes
//! speak rustls (TLS 1.2 and up, AEAD suites only) and fail their handshake with such an origin.
//! That failure is this tool's limit, not the origin's: once both phases are done, such a hop is
//! recorded as [`ProbeStage::TlsNotSpokenByProbe`] with a message that says what was not
//! observed and why, so that no check reads it as a TLS failure, a refused port or a rejection.

// Parses what an origin (or a caller) sends: no arithmetic that can overflow or wrap.
#![warn(clippy::arithmetic_side_effects)]

use super::tls_scan::http_probe_speaks;
use crate::evidence::{
    HopResult, NOT_OBSERVED, Observations, ProbeStage, TlsErrorKind, TlsEstablished, TlsObservation,
};

/// Re-records the rustls handshake failures of HTTPS hops toward an origin whose raw
/// CloudFront hello succeeded with a version or suite rustls cannot speak.
pub fn mark_unreachable_tls(obs: &mut Observations) {
    let tls = &obs.tls;
    for hop in obs.probes.iter_mut().flat_map(|p| p.hops.iter_mut()) {
        let HopResult::Error(e) = &mut hop.result else { continue };
        if e.stage != ProbeStage::Tls || !e.tls.as_ref().is_some_and(TlsErrorKind::is_negotiation) {
            continue;
        }
        let Some((host, port)) = url::Url::parse(&hop.url)
            .ok()
            .filter(|u| u.scheme() == "https")
            .and_then(|u| Some((u.host_str()?.to_ascii_lowercase(), u.port_or_known_default()?)))
        else {
            continue;
        };
        let Some((o, est)) = beyond_probe(tls, &host, port, hop.sni.as_deref()) else { continue };
        e.stage = ProbeStage::TlsNotSpokenByProbe;
        e.message = not_observed(o, est, &e.message);
        // Not a TLS failure of the origin: no kind, as for every other stage.
        e.tls = None;
    }
}

/// The raw-hello observation toward `host:port` (the same SNI first) whose CloudFront hello
/// succeeded with something the HTTP probe cannot speak.
fn beyond_probe<'a>(
    tls: &'a [TlsObservation],
    host: &str,
    port: u16,
    sni: Option<&str>,
) -> Option<(&'a TlsObservation, &'a TlsEstablished)> {
    let legacy = |o: &'a TlsObservation| Some((o, o.established().filter(|e| !http_probe_speaks(e))?));
    let mut here = tls.iter().filter(|o| o.host.eq_ignore_ascii_case(host) && o.port == port);
    match here.clone().find(|o| o.sni.as_deref().is_some_and(|s| Some(s) == sni)) {
        // The handshake with this very SNI is known: it decides alone.
        Some(o) => legacy(o),
        None => here.find_map(legacy),
    }
}

/// The sentence the evidence and the report carry for such a hop.
pub fn not_observed(o: &TlsObservation, e: &TlsEstablished, rustls_error: &str) -> String {
    format!(
        "HTTP over {} with {}{NOT_OBSERVED}this probe's TLS stack speaks TLS 1.2+ with AEAD suites; \
         CloudFront's own handshake succeeds (raw hello {}; the probe's handshake: {rustls_error})",
        e.version, e.cipher_suite, o.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{
        Hop, ProbeError, ProbeRecord, ProbeTarget, RedirectOutcome, Scheme, SniRole, TlsHandshakeResult,
    };
    use crate::testing::{hop, probe, tls_observation};

    const HOST: &str = "app-1.us-east-1.elb.amazonaws.com";

    fn tls_hop(kind: TlsErrorKind, message: &str) -> Hop {
        let mut h = hop(&format!("https://{HOST}/"), HopResult::Error(ProbeError::tls(kind, message)));
        h.sni = Some(HOST.into());
        h
    }

    fn record(h: Hop) -> ProbeRecord {
        let target = ProbeTarget::Origin {
            origin_id: "o1".into(),
            behavior: "default (*)".into(),
            scheme: Scheme::Https,
            port: 443,
            host_header: HOST.into(),
        };
        probe("origin:o1:https:/", target, vec![h], RedirectOutcome::Failed)
    }

    fn observed(version: &str, suite: &str) -> TlsObservation {
        let mut o = tls_observation("o1", HOST, Some(HOST), SniRole::OriginDomain, true, &[HOST]);
        o.result = TlsHandshakeResult::Established(TlsEstablished {
            version: version.into(),
            cipher_suite: suite.into(),
            group: Some("secp256r1".into()),
            full_handshake: false,
        });
        o
    }

    fn marked(tls: TlsObservation, h: Hop) -> ProbeError {
        let mut obs = Observations { probes: vec![record(h)], tls: vec![tls], ..Observations::default() };
        mark_unreachable_tls(&mut obs);
        match &obs.probes[0].hops[0].result {
            HopResult::Error(e) => e.clone(),
            HopResult::Response(_) => panic!("a response appeared"),
        }
    }

    #[test]
    fn a_tls10_origin_that_cloudfronts_hello_reaches_is_not_observed_rather_than_failed() {
        let e = marked(
            observed("TLSv1", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
            tls_hop(TlsErrorKind::Alert("ProtocolVersion".into()), "server sent TLS alert ProtocolVersion"),
        );
        assert_eq!(e.stage, ProbeStage::TlsNotSpokenByProbe);
        assert!(
            e.message.starts_with("HTTP over TLSv1 with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA not observed: "),
            "{}",
            e.message
        );
        assert!(e.message.contains("CloudFront's own handshake succeeds"));
        assert!(e.message.ends_with("server sent TLS alert ProtocolVersion)"), "the probe's own error is kept");
        let (what, why) = e.not_observed().expect("what and why");
        assert_eq!(what, "HTTP over TLSv1 with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
        assert!(why.starts_with("this probe's TLS stack speaks TLS 1.2+ with AEAD suites; "), "{why}");
        // TLS 1.2 with a CBC suite is out of reach too.
        let e = marked(
            observed("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
            tls_hop(TlsErrorKind::Alert("HandshakeFailure".into()), "server sent TLS alert HandshakeFailure"),
        );
        assert_eq!(e.stage, ProbeStage::TlsNotSpokenByProbe);
    }

    #[test]
    fn real_tls_failures_stay_tls_failures() {
        // What rustls can speak: its failure is the origin's.
        let gcm = observed("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(
            marked(
                gcm,
                tls_hop(TlsErrorKind::Alert("HandshakeFailure".into()), "server sent TLS alert HandshakeFailure")
            )
            .stage,
            ProbeStage::Tls
        );
        // A certificate rejection or a timeout is not a negotiation the probe could not speak.
        let legacy = || observed("TLSv1", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
        assert_eq!(
            marked(legacy(), tls_hop(TlsErrorKind::Expired, "certificate rejected: Expired")).stage,
            ProbeStage::Tls
        );
        assert_eq!(
            marked(legacy(), tls_hop(TlsErrorKind::TimedOut, "TLS handshake did not complete within 2000 ms")).stage,
            ProbeStage::Tls
        );
        // CloudFront's hello failed too: a failure for CloudFront as well.
        let mut refused = legacy();
        refused.result = TlsHandshakeResult::Failed(crate::evidence::TlsFailure {
            kind: crate::evidence::TlsFailureKind::Incompatible,
            message: "the server chose TLSv1, which OriginSslProtocols does not allow".into(),
            alert: None,
        });
        assert_eq!(
            marked(
                refused,
                tls_hop(TlsErrorKind::Alert("ProtocolVersion".into()), "server sent TLS alert ProtocolVersion")
            )
            .stage,
            ProbeStage::Tls
        );
        // Another host or port.
        let mut elsewhere = legacy();
        elsewhere.port = 8443;
        assert_eq!(
            marked(
                elsewhere,
                tls_hop(TlsErrorKind::Alert("ProtocolVersion".into()), "server sent TLS alert ProtocolVersion")
            )
            .stage,
            ProbeStage::Tls
        );
        // The handshake with the hop's own SNI decides over one with another SNI.
        let mut other_sni = legacy();
        other_sni.sni = Some("d111.cloudfront.net".into());
        let mut obs = Observations {
            probes: vec![record(tls_hop(
                TlsErrorKind::Alert("ProtocolVersion".into()),
                "server sent TLS alert ProtocolVersion",
            ))],
            tls: vec![other_sni.clone(), gcm_same_sni()],
            ..Observations::default()
        };
        mark_unreachable_tls(&mut obs);
        assert!(matches!(&obs.probes[0].hops[0].result, HopResult::Error(e) if e.stage == ProbeStage::Tls));
        // Without one for its SNI, any handshake toward the same host and port tells.
        assert_eq!(
            marked(
                other_sni,
                tls_hop(TlsErrorKind::Alert("ProtocolVersion".into()), "server sent TLS alert ProtocolVersion")
            )
            .stage,
            ProbeStage::TlsNotSpokenByProbe
        );
    }

    fn gcm_same_sni() -> TlsObservation {
        observed("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    }

    /// Checks and verdict over such evidence: a TLS 1.0 origin that CloudFront may use, the HTTPS
    /// probe straight to it not observed, and what CloudFront answered.
    fn verdict_with_edge(edge_ok: bool) -> cf_origin_doctor_diagnosis::verdict::Verdict {
        use crate::evidence::OriginKind;
        use crate::testing::{add_edge_502, push_edge_get, response, tls_evidence};
        let mut ev = tls_evidence(HOST, &[HOST]);
        if let OriginKind::Custom(c) = &mut ev.inventory.distribution.origins[0].kind {
            c.ssl_protocols = vec!["TLSv1".into(), "TLSv1.2".into()];
        }
        for o in &mut ev.observations.tls {
            o.result = observed("TLSv1", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA").result;
        }
        let mut obs = std::mem::take(&mut ev.observations);
        obs.probes.push(record(tls_hop(
            TlsErrorKind::Alert("ProtocolVersion".into()),
            "server sent TLS alert ProtocolVersion",
        )));
        mark_unreachable_tls(&mut obs);
        ev.observations = obs;
        if edge_ok {
            push_edge_get(&mut ev, response(200, &[]));
        } else {
            add_edge_502(&mut ev);
        }
        cf_origin_doctor_diagnosis::evaluate(ev).verdict
    }

    #[test]
    fn the_unobserved_exchange_hides_nothing_when_cloudfront_answers_and_may_hide_the_cause_when_it_fails() {
        use cf_origin_doctor_diagnosis::verdict::Status;
        let v = verdict_with_edge(true);
        assert_eq!(v.primary, None, "{:#?}", v.findings);
        assert!(matches!(v.status, Status::Warn | Status::Pass), "{:?}: {:#?}", v.status, v.findings);
        let named = |v: &cf_origin_doctor_diagnosis::verdict::Verdict| {
            v.unverified
                .iter()
                .filter(|u| u.what.starts_with("HTTP over TLSv1 with ") && u.what.ends_with("not observed"))
                .count()
        };
        assert_eq!(named(&v), 1, "{:#?}", v.unverified);
        assert!(
            v.findings.iter().all(|f| f.severity <= cf_origin_doctor_diagnosis::checks::Severity::Low),
            "nothing reads the probe's limit as a failure: {:#?}",
            v.findings
        );

        // CloudFront fails and nothing explains it: the exchange that was not observed could.
        let v = verdict_with_edge(false);
        assert_eq!(named(&v), 1, "{:#?}", v.unverified);
        assert_eq!(v.status, Status::Incomplete, "{:?}: {:#?}", v.primary, v.findings);
        assert_eq!(v.primary, None);
        assert!(v.summary.contains("this probe's TLS stack speaks TLS 1.2+ with AEAD suites"), "{}", v.summary);
    }
}
