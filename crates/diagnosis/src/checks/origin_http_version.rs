//! `origin-http-version`: the origin does not speak the HTTP/1.1 CloudFront uses toward it.
//!
//! CloudFront talks HTTP/1.1 to custom origins (only gRPC, enabled per behavior, goes to the
//! origin over HTTP/2). An origin that speaks only HTTP/2 (an h2c application server, a gRPC
//! server, a TLS listener that accepts only `h2` in ALPN) or that answers 505 / 426 to HTTP/1.1
//! works for browsers and curl, which negotiate HTTP/2, and fails through CloudFront with 502.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html>

use super::origin_answers::origin_first_hops;
use super::probe_view::{behavior_of, edge, last_response};
use super::tls_support::edge_502;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{Evidence, HopResult};

pub static META: CheckMeta = CheckMeta {
    id: "origin-http-version",
    title: "The origin does not speak HTTP/1.1 to CloudFront",
    what_breaks: "Every request through CloudFront fails with 502 (or the origin's 505/426) while browsers, which use HTTP/2, reach the origin fine.",
    why: "CloudFront sends HTTP/1.1 to custom origins (HTTP/2 only for gRPC behaviors); an origin that answers HTTP/1.1 with HTTP/2 frames, refuses http/1.1 in TLS ALPN, or rejects the version (505, 426 Upgrade) gives CloudFront nothing it can use.",
    evidence_used: &[
        "direct probes shaped as CloudFront sends them (HTTP/1.1, ALPN http/1.1): HTTP/2 frames in the answer, the TLS ALPN refusal, status 505 or 426 with Upgrade",
        "probes through the distribution: 502 with CloudFront's error page, or the origin's 505/426",
        "HttpVersion of the distribution (for the gRPC alternative)",
    ],
    fix: "Enable HTTP/1.1 on the origin (or put a proxy or load balancer that speaks HTTP/1.1 in front of it); for a gRPC service, turn on gRPC for the behavior instead.",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

fn version_status(status: u16) -> bool {
    matches!(status, 505 | 426)
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    for origin in &d.origins {
        if origin.custom().is_none() {
            continue;
        }
        let mut evidence = Vec::new();
        let mut frames = false;
        for (p, h) in origin_first_hops(ev, &origin.id) {
            let subject = format!("{} {} (as CloudFront sends it: HTTP/1.1)", p.method, h.url);
            for x in h.response_defects.iter().filter(|x| x.is_http_version()) {
                frames = true;
                evidence.push(
                    EvidenceItem::new(Source::Probe, &subject, format!("the origin {}", x.describe()))
                        .expected("an HTTP/1.1 response"),
                );
            }
            if let HopResult::Response(r) = &h.result {
                if version_status(r.status) {
                    let upgrade = r.header("upgrade").map(|u| format!(", Upgrade: {u}")).unwrap_or_default();
                    evidence.push(
                        EvidenceItem::new(Source::Probe, &subject, format!("{} {}{upgrade}", r.status, r.reason))
                            .expected("an HTTP/1.1 response"),
                    );
                }
            }
        }
        if evidence.is_empty() {
            // An origin that never answered is noted by `origin-response-unacceptable`.
            continue;
        }
        // Seen through CloudFront: its 502, or the origin's 505/426 passed through on a path
        // this origin serves.
        let passed_through = edge(ev).find_map(|p| {
            let (hop, r) = last_response(p)?;
            (version_status(r.status)
                && r.cloudfront_error.is_none()
                && behavior_of(d, p).target_origin_id == origin.id)
                .then(|| {
                    EvidenceItem::new(
                        Source::Probe,
                        format!("viewer request {}", hop.url),
                        format!("{} from the origin", r.status),
                    )
                })
        });
        let seen = passed_through.or_else(|| edge_502(ev).filter(|_| frames));
        let observed = seen.is_some();
        evidence.extend(seen);
        evidence.push(
            EvidenceItem::new(
                Source::Config,
                "HttpVersion",
                if d.http_version.is_empty() { "(not read)" } else { &d.http_version },
            )
            .expected("viewer side only: CloudFront still uses HTTP/1.1 toward custom origins"),
        );
        let grpc_needs_http2 = !d.http_version.contains('2');
        let finding = META.finding(if observed { Severity::Critical } else { Severity::High }, if frames { Confidence::High } else { Confidence::Medium })
            .summary(format!(
                "Origin {} does not answer HTTP/1.1, the only version CloudFront uses toward it: requests through CloudFront fail.",
                origin.id
            ))
            .observed(observed)
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Origin {
                    part: OriginPart::Server,
                    what: format!("answer HTTP/1.1 on origin {} ({})", origin.id, origin.domain_name),
                }]),
                summary: format!(
                    "Enable HTTP/1.1 on origin {} ({}): e.g. serve HTTP/1.1 next to h2c, offer http/1.1 in the TLS listener's ALPN, or put an ALB (it speaks HTTP/1.1 to CloudFront) in front.",
                    origin.id, origin.domain_name
                ),
                steps: vec![
                    format!(
                        "For a gRPC service: set GrpcConfig.Enabled=true on the behavior (it needs POST allowed, an HTTPS origin{}).",
                        if grpc_needs_http2 { " and HttpVersion http2 or http2and3" } else { "" }
                    ),
                    "This tool does not read the behaviors' GrpcConfig; if gRPC is already on, only non-gRPC requests fail.".into(),
                ],
                cli: vec![format!("curl --http1.1 -sv -o /dev/null https://{}/", origin.domain_name)],
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
    use crate::evidence::{
        Fetch, OriginProtocolPolicy, OriginResource, ProbeError, ProbeStage, RequestShape, ResponseDefect, Scheme,
    };
    use crate::testing::*;

    fn ev(result: HopResult, defects: Vec<ResponseDefect>) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "grpc.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        let mut p = origin_probe(RequestShape::Cloudfront, "grpc.example.com", "/", result);
        p.hops[0].response_defects = defects;
        e.observations.probes.push(p);
        e
    }

    fn failed(stage: ProbeStage) -> HopResult {
        HopResult::Error(ProbeError::new(stage, "x"))
    }

    #[test]
    fn http2_frames_are_high_and_critical_with_an_edge_502() {
        let h2 = vec![ResponseDefect::Http2Frames { frame_type: "SETTINGS".into() }];
        let f = &run(&ev(failed(ProbeStage::Http), h2.clone())).findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::High));
        assert!(f.evidence[0].observed.contains("HTTP/2 SETTINGS frame"));
        let mut e = ev(failed(ProbeStage::Http), h2);
        add_edge_502(&mut e);
        let f = &run(&e).findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.observed);
    }

    #[test]
    fn an_alpn_refusal_counts_and_so_does_a_505() {
        let alpn = vec![ResponseDefect::AlpnRefused { detail: "no_application_protocol".into() }];
        assert_eq!(run(&ev(failed(ProbeStage::Tls), alpn)).findings.len(), 1);
        let out = run(&ev(HopResult::Response(response(505, &[])), vec![]));
        assert_eq!(out.findings[0].confidence, Confidence::Medium);
        // The 505 passed through to a viewer is the observed failure.
        let mut e = ev(HopResult::Response(response(505, &[])), vec![]);
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(505, &[])),
        ));
        let f = &run(&e).findings[0];
        assert!(f.observed && f.severity == Severity::Critical);
    }

    #[test]
    fn an_http11_origin_and_other_defects_are_not_this_check() {
        assert!(run(&ev(HopResult::Response(response(200, &[])), vec![])).findings.is_empty());
        let malformed = vec![ResponseDefect::Malformed { parse_error: "x".into(), first_bytes: "y".into() }];
        assert!(run(&ev(failed(ProbeStage::Http), malformed)).findings.is_empty());
        // A 502 at the edge alone does not make an HTTP/1.1 origin an HTTP/2 one.
        let mut e = ev(HopResult::Response(response(200, &[])), vec![]);
        add_edge_502(&mut e);
        assert!(run(&e).findings.is_empty());
    }
}
