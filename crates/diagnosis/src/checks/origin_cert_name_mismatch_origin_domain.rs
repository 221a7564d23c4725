//! `origin-cert-name-mismatch-origin-domain`: the origin's certificate does not cover the
//! origin's domain name, which is the SNI and the name CloudFront checks when the behavior does
//! not forward the viewer's Host.
//!
//! CloudFront validates the origin certificate against the name it sends (the origin's
//! `DomainName` unless Host is forwarded). A load balancer's DNS name (`my-alb-123.us-east-1.elb.amazonaws.com`)
//! or an EC2 public name is never on the certificate for `app.example.com`, so every HTTPS
//! request fails with a quick 502 while `https://app.example.com` works in a browser.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html>

use super::tls_support::*;
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use super::fix_support::{behaviors_labelled, header_forwarding_all};
use crate::evidence::{Evidence, Origin, SniRole, TlsObservation};
use crate::fix::{Change, ConfigChange, Fix, OriginPart};

pub static META: CheckMeta = CheckMeta {
    id: "origin-cert-name-mismatch-origin-domain",
    title: "Origin certificate does not cover the origin domain name",
    what_breaks: "Every request CloudFront sends to the origin over HTTPS fails: viewers get a quick 502.",
    why: "CloudFront sends the origin's DomainName as SNI and Host (Host not forwarded) and requires the origin certificate to contain that name (SAN/CN, single-label wildcards); the certificate presented covers other names only.",
    evidence_used: &[
        "Origins.Items[].DomainName and CustomOriginConfig.OriginProtocolPolicy",
        "the behaviors' forwarding of Host (cache and origin request policies, ForwardedValues)",
        "TLS probe with SNI = origin domain: the leaf certificate's names",
    ],
    fix: "Point the origin at a hostname the certificate covers (e.g. origin.example.com as a CNAME/alias of the load balancer), or add the origin's name to the certificate; forwarding Host is the other way (the certificate must then cover every viewer hostname).",
    fix_kinds: &[super::FixKind::OriginSide, super::FixKind::Typed],
    docs_url: CF_TLS_DOCS,
    explains: Explains::Symptoms(&[SymptomClass::CloudFront502]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    for (origin, custom, obs) in https_origins(ev) {
        let Some(t) = obs.iter().copied().find(|t| t.role == SniRole::OriginDomain) else {
            note_unobserved(&mut out, &META, origin, &obs, "the certificate names");
            continue;
        };
        if t.cloudfront_sends == Some(false) {
            continue;
        }
        let (Some(check), Some(leaf)) = (&t.name_check, t.leaf()) else {
            note_unobserved(&mut out, &META, origin, &[t], "the certificate names");
            continue;
        };
        if check.matches {
            continue;
        }
        // Names the certificate does cover, among the viewer hostnames probed.
        let covered: Vec<String> = obs
            .iter()
            .filter(|o| o.role == SniRole::ViewerHostname)
            .filter(|o| o.name_check.as_ref().is_some_and(|n| n.matches))
            .filter_map(|o| o.sni.clone())
            .collect();
        let observed = edge_502(ev);
        let known = t.cloudfront_sends == Some(true);
        let severity = match (known, observed.is_some()) {
            (false, _) => Severity::Medium,
            (true, true) => Severity::Critical,
            (true, false) => Severity::High,
        };
        let mut evidence = vec![
            origin_config(origin, custom),
            EvidenceItem::new(
                Source::Config,
                "behaviors' Host forwarding",
                if known {
                    format!("Host is not forwarded by {}: CloudFront sends SNI/Host {}", t.behaviors.join(", "), t.host)
                } else {
                    "a custom policy decides whether Host is forwarded; it was not read".to_string()
                },
            ),
            EvidenceItem::new(
                Source::Probe,
                subject(t),
                format!("leaf certificate {}; does not cover {}", describe_cert(leaf), check.name),
            )
            .expected(format!("a certificate whose SAN covers {}", check.name)),
        ];
        evidence.extend(super::acm_support::listener_names_evidence(ev, &origin.id, t.port, &check.name));
        if let Some(e) = observed.clone() {
            evidence.push(e);
        }
        let mut steps = vec![
            format!(
                "Create a DNS name you own for the origin (e.g. origin.<your domain>, CNAME or alias to {}), put it on the origin's certificate, and set Origins[Id={}].DomainName to it.",
                origin.domain_name, origin.id
            ),
            "Or forward the viewer's Host (origin request policy AllViewer or HostHeaderOnly): CloudFront then checks the certificate against each viewer hostname instead.".to_string(),
        ];
        if !covered.is_empty() {
            steps.insert(0, format!("The certificate already covers {}.", covered.join(", ")));
        }
        let fix = fix(ev, origin, &obs, t, &leaf.dns_names, &check.name);
        let b = builder(&META, severity, if known { Confidence::High } else { Confidence::Low }, ev, origin, &[t])
            .summary(format!(
                "Origin {}'s certificate ({}) does not cover {}, the name CloudFront sends and checks; HTTPS requests to this origin fail with 502.",
                origin.id,
                leaf.dns_names.join(", "),
                check.name
            ))
            .observed(observed.is_some() && known)
            .evidence(evidence)
            .remediation(Remediation {
                summary: format!(
                    "Set Origins[Id={}].DomainName to a hostname the origin's certificate covers, or add {} to the origin's certificate.",
                    origin.id, check.name
                ),
                steps,
                cli: fix.cli_or(
                    &ev.inventory.distribution,
                    update_cli(&ev.inventory.distribution.id, &format!("Origins.Items[Id={}].DomainName", origin.id)),
                ),
                fix,
            });
        out.push(b);
    }
    out
}

/// The alternatives, preferred first: point DomainName at a name the certificate covers (an
/// exact name that is not one of the distribution's own, which lead back to CloudFront); add
/// the name to the certificate; forward Host where the certificate covers every viewer
/// hostname probed.
fn fix(ev: &Evidence, origin: &Origin, obs: &[&TlsObservation], t: &TlsObservation, covers: &[String], name: &str) -> Fix {
    let d = &ev.inventory.distribution;
    let own = d.viewer_hostnames();
    let mut alternatives = Vec::new();
    if let Some(other) = covers.iter().find(|n| {
        !n.contains('*') && !n.eq_ignore_ascii_case(name) && !own.iter().any(|o| o.eq_ignore_ascii_case(n))
    }) {
        alternatives.push(vec![Change::Config(ConfigChange::OriginDomainName {
            origin_id: origin.id.clone(),
            value: other.clone(),
        })]);
    }
    alternatives.push(vec![Change::Origin {
        part: OriginPart::Certificate,
        what: format!("add {name} to the certificate origin {} serves on port {}", origin.id, t.port),
    }]);
    let viewer: Vec<_> = obs.iter().filter(|o| o.role == SniRole::ViewerHostname).collect();
    if !viewer.is_empty() && viewer.iter().all(|o| o.name_check.as_ref().is_some_and(|n| n.matches)) {
        if let Some(forward) = header_forwarding_all(d, &behaviors_labelled(d, &t.behaviors), "host", true) {
            if !forward.is_empty() {
                alternatives.push(forward);
            }
        }
    }
    Fix::alternatives(alternatives)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Fetch;
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    #[test]
    fn certificate_for_the_app_name_on_the_alb_name_is_a_finding() {
        let mut ev = tls_evidence(ALB, &["app.example.com"]);
        let out = run(&ev);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].severity, Severity::High);
        assert!(!out.findings[0].observed);
        add_edge_502(&mut ev);
        let f = &run(&ev).findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.observed);
        assert!(f.summary.contains(ALB));
        assert!(f.evidence.iter().any(|e| e.source == Source::Probe && e.observed.contains("app.example.com")));
    }

    /// A name the certificate covers that is not one of the distribution's own (which lead back
    /// to CloudFront) is the DomainName to try first; otherwise the certificate must change.
    #[test]
    fn the_fix_points_the_origin_at_a_name_the_certificate_covers_or_changes_the_certificate() {
        let mut ev = tls_evidence(ALB, &["app.example.com", "origin.example.com"]);
        ev.inventory.distribution.aliases = vec!["app.example.com".into()];
        let f = &run(&ev).findings[0];
        let Fix::Changes { alternatives } = &f.remediation.fix else { panic!("{:?}", f.remediation.fix) };
        assert_eq!(
            alternatives[0].changes,
            vec![Change::Config(ConfigChange::OriginDomainName {
                origin_id: "o1".into(),
                value: "origin.example.com".into()
            })]
        );
        assert!(matches!(alternatives[1].changes[..], [Change::Origin { part: OriginPart::Certificate, .. }]));
        assert!(f.remediation.cli.iter().any(|c| c.contains("origin.example.com")), "{:?}", f.remediation.cli);
        let mut ev = tls_evidence(ALB, &["app.example.com"]);
        ev.inventory.distribution.aliases = vec!["app.example.com".into()];
        let fix = &run(&ev).findings[0].remediation.fix;
        assert_eq!(crate::checks::FixKind::of(fix), crate::checks::FixKind::OriginSide, "{fix:?}");
    }

    #[test]
    fn a_certificate_covering_the_origin_name_or_a_wildcard_is_fine() {
        assert!(run(&tls_evidence(ALB, &[ALB])).findings.is_empty());
        assert!(run(&tls_evidence(ALB, &["*.us-east-1.elb.amazonaws.com"])).findings.is_empty());
    }

    #[test]
    fn origin_name_not_sent_when_host_is_forwarded() {
        let mut ev = tls_evidence(ALB, &["app.example.com"]);
        ev.observations.tls[0].cloudfront_sends = Some(false);
        assert!(run(&ev).findings.is_empty());
    }

    #[test]
    fn no_tls_answer_is_unverified_not_a_pass() {
        let mut ev = tls_evidence(ALB, &["app.example.com"]);
        for t in &mut ev.observations.tls {
            t.chain.clear();
            t.name_check = None;
            t.result = tls_failed(crate::evidence::TlsFailureKind::ConnectTimeout, None);
            t.hellos.clear();
        }
        let out = run(&ev);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
        let mut ev = tls_evidence(ALB, &[ALB]);
        ev.observations.tls.clear();
        assert_eq!(run(&ev).unverified.len(), 1);
    }

    #[test]
    fn the_listener_certificates_from_acm_are_cited_as_config_evidence() {
        let mut ev = tls_evidence(ALB, &["app.example.com"]);
        with_listener_certs(
            &mut ev,
            ALB,
            vec![acm_cert("arn:aws:acm:us-east-1:123456789012:certificate/a", &["app.example.com"], 1_900_000_000)],
        );
        let f = &run(&ev).findings[0];
        let acm = f.evidence.iter().find(|e| e.subject.contains("acm:DescribeCertificate")).expect("ACM evidence");
        assert_eq!(acm.source, Source::Config);
        assert!(acm.observed.contains("app.example.com") && acm.observed.contains("none covers"), "{}", acm.observed);
    }

    #[test]
    fn the_finding_needs_no_load_balancer_an_instance_or_a_failed_read_give_it_too() {
        for resource in [
            Fetch::fetched(ec2_instance("i-0abc", Some("54.214.10.2"), &[])),
            Fetch::Denied { action: "elasticloadbalancing:DescribeLoadBalancers".into(), message: "x".into() },
            Fetch::Failed { action: "ec2:DescribeNetworkInterfaces".into(), code: "500".into(), message: "x".into() },
        ] {
            let mut ev = tls_evidence(ALB, &["app.example.com"]);
            ev.inventory.origins[0].resource = resource;
            assert_eq!(run(&ev).findings.len(), 1);
        }
    }
}
