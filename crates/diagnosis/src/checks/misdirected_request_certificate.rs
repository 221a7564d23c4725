//! `misdirected-request-certificate`: a request arrives on a TLS connection that was set up for
//! another distribution's certificate, and CloudFront answers 421 Misdirected Request.
//!
//! CloudFront picks the distribution twice: from the TLS server name (which certificate to
//! present) and from the `Host` header. When they lead to different distributions it refuses the
//! request (`InvalidRequestCertificate` in its logs, "the distribution does not match the
//! certificate for which the HTTPS connection was established"). Browsers cause it with HTTP/2
//! connection reuse: one certificate (a wildcard, or many names) covers hostnames served by
//! different distributions, the names share CloudFront addresses, and the browser sends the
//! second site's requests on the first site's connection. An origin can answer 421 too, when the
//! server name and Host CloudFront sends it lead to different virtual hosts.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html>

use super::origin_answers::origin_first_hops;
use super::probe_view::edge;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, Fix, OriginPart};
use crate::evidence::{Evidence, Hop, HttpResponse, ProbeTarget, Scheme};

pub static META: CheckMeta = CheckMeta {
    id: "misdirected-request-certificate",
    title: "421 Misdirected Request: the TLS connection belongs to another distribution",
    what_breaks: "Some HTTPS requests fail with 421 (often only in browsers, on a connection opened for another hostname) while the same URL works in a fresh connection or straight to the origin.",
    why: "CloudFront chooses the distribution from the TLS server name and again from the Host header; when a connection set up for one distribution's certificate carries a request for another distribution's hostname, it answers 421 (InvalidRequestCertificate). HTTP/2 browsers reuse a connection for every hostname its certificate covers.",
    evidence_used: &[
        "HTTPS probes through the distribution: status 421, the server name (SNI) and Host of the hop, CloudFront's page or the origin's",
        "direct probes shaped as CloudFront sends them: status 421 from the origin",
        "Aliases and ViewerCertificate",
        "not observable from outside: a browser's HTTP/2 reuse across distributions shows only in CloudFront's logs (x-edge-detailed-result-type InvalidRequestCertificate)",
    ],
    fix: "Serve hostnames that share a certificate from one distribution, or give each distribution a certificate that covers only its own aliases (no wildcard spanning distributions).",
    fix_kinds: &[super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html",
    explains: Explains::Symptoms(&[SymptomClass::MisdirectedRequest, SymptomClass::ViewerTls]),
    module: module_path!(),
};

fn by_cloudfront(r: &HttpResponse) -> bool {
    r.cloudfront_error.is_some() || r.header("server").is_some_and(|s| s.eq_ignore_ascii_case("cloudfront"))
}

fn describe_hop(h: &Hop) -> String {
    format!("{} (SNI {}, Host {})", h.url, h.sni.as_deref().unwrap_or("none"), h.host_header)
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let mut answered_https = false;
    let mut cloudfront_421 = Vec::new();
    let mut origin_421 = Vec::new();
    for p in edge(ev) {
        for h in &p.hops {
            let Some(r) = h.response() else { continue };
            answered_https |= h.url.starts_with("https://");
            if r.status != 421 {
                continue;
            }
            let item = EvidenceItem::new(
                Source::Probe,
                format!("viewer request {}", describe_hop(h)),
                format!(
                    "421 {}",
                    if by_cloudfront(r) { "from CloudFront" } else { "from the origin, passed through CloudFront" }
                ),
            )
            .expected("the page");
            if by_cloudfront(r) { cloudfront_421.push(item) } else { origin_421.push(item) }
        }
    }
    for origin in &d.origins {
        for (p, h) in origin_first_hops(ev, &origin.id) {
            if h.response().is_some_and(|r| r.status == 421) {
                origin_421.push(
                    EvidenceItem::new(
                        Source::Probe,
                        format!("{} {} to origin {} (as CloudFront sends it)", p.method, describe_hop(h), origin.id),
                        "421 Misdirected Request from the origin",
                    )
                    .expected("the origin accepts the server name and Host CloudFront sends together"),
                );
            }
        }
    }
    let https_planned = edge(ev).any(|p| matches!(p.target, ProbeTarget::Edge { scheme: Scheme::Https, .. }))
        || ev.observations.skipped.iter().any(|s| s.id.starts_with("edge:") && s.id.contains(":https:"));
    if cloudfront_421.is_empty() && origin_421.is_empty() {
        if https_planned && !answered_https {
            out.unverified(
                &META,
                "whether CloudFront answers HTTPS requests for the distribution's hostnames without 421",
                "no HTTPS probe through the distribution got an HTTP answer",
            );
        }
        return out;
    }
    let cert = match &d.viewer_certificate {
        Some(c) if c.cloudfront_default_certificate => "CloudFrontDefaultCertificate (*.cloudfront.net)".to_string(),
        Some(c) => {
            c.acm_certificate_arn.clone().or_else(|| c.iam_certificate_id.clone()).unwrap_or_else(|| "(none)".into())
        }
        None => "(not read)".into(),
    };
    let config = [
        EvidenceItem::new(
            Source::Config,
            "Aliases",
            if d.aliases.is_empty() { "(none)".to_string() } else { d.aliases.join(", ") },
        ),
        EvidenceItem::new(Source::Config, "ViewerCertificate", cert),
    ];
    if !cloudfront_421.is_empty() {
        let finding = META.finding(Severity::High, Confidence::High)
            .summary(format!(
                "CloudFront answers 421 Misdirected Request for distribution {}: the request's Host belongs to another distribution than the certificate its TLS connection was set up with.",
                d.id
            ))
            .observed(true)
            .evidence(cloudfront_421.into_iter().chain(config.clone()))
            .remediation(Remediation {
                fix: Fix::changes([Change::Other {
                    what: "serve the hostnames that share one viewer certificate from one distribution, or give each distribution a certificate that covers only its own aliases".into(),
                }]),
                summary: "Put the hostnames that share one viewer certificate on one distribution (Aliases), or give each distribution an ACM certificate (us-east-1) that covers only its own aliases.".into(),
                steps: vec![
                    "List the distributions that serve names covered by the same certificate: aws cloudfront list-conflicting-aliases, or the certificate's SANs in ACM.".into(),
                    "Clients that send Host different from the TLS server name must use one name for both.".into(),
                ],
                cli: vec![format!(
                    "aws cloudfront get-distribution-config --id {} --query 'DistributionConfig.[Aliases,ViewerCertificate]'",
                    d.id
                )],
            })
            .resource("distribution", &d.id);
        out.push(finding);
    }
    if !origin_421.is_empty() {
        let finding = META.finding(Severity::High, Confidence::Medium)
            .summary(
                "The origin answers 421 Misdirected Request to CloudFront's request: the TLS server name and the Host it receives lead to different virtual hosts."
                    .to_string(),
            )
            .observed(origin_421.iter().any(|e| e.subject.starts_with("viewer request")))
            .evidence(origin_421.into_iter().chain(config))
            .remediation(Remediation {
                fix: Fix::changes([Change::Origin {
                    part: OriginPart::Server,
                    what: "serve the Host CloudFront sends on the TLS server name it sends (one virtual host for both)".into(),
                }]),
                summary: "Make the origin serve the Host CloudFront sends on the TLS name it sends (the same name unless a CloudFront Function sets a different SNI), or change the origin's domain or Host forwarding so that both name one virtual host.".into(),
                steps: vec!["nginx and Caddy answer 421 when the server name and Host select different server blocks.".into()],
                cli: vec![],
            })
            .resource("distribution", &d.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, RequestShape, SkippedProbe};
    use crate::testing::*;

    fn ev(edge_status: Option<u16>, cloudfront: bool) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.aliases = vec!["www.example.com".into()];
        if let Some(status) = edge_status {
            let r =
                if cloudfront { cloudfront_page_saying(status, "") } else { response(status, &[("Server", "nginx")]) };
            let mut p = edge_probe("www.example.com", Scheme::Https, "GET", "/", HopResult::Response(r));
            p.hops[0].sni = Some("www.example.com".into());
            e.observations.probes.push(p);
        }
        e
    }

    #[test]
    fn a_421_from_cloudfront_is_an_observed_high_finding() {
        let out = run(&ev(Some(421), true));
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert!(f.observed && f.severity == Severity::High);
        assert!(f.evidence[0].subject.contains("SNI www.example.com"), "{:?}", f.evidence[0]);
        assert!(f.evidence[0].observed.contains("from CloudFront"));
    }

    #[test]
    fn a_421_from_the_origin_names_the_origin_side_fix() {
        let mut e = ev(Some(200), true);
        e.observations.probes[0].hops[0].result = HopResult::Response(response(200, &[]));
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "app.example.com",
            "/",
            HopResult::Response(response(421, &[])),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert!(!out.findings[0].observed);
        assert!(out.findings[0].summary.contains("origin answers 421"));
        let passed = run(&ev(Some(421), false));
        assert!(passed.findings[0].observed, "the origin's 421 seen through CloudFront");
    }

    #[test]
    fn other_answers_pass_and_no_https_answer_is_unverified() {
        let ok = run(&ev(Some(200), false));
        assert!(ok.findings.is_empty() && ok.unverified.is_empty());
        let mut e = ev(None, false);
        e.observations
            .skipped
            .push(SkippedProbe { id: "edge:d111.cloudfront.net:https:/:GET".into(), reason: "budget".into() });
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
    }
}
