//! `viewer-protocol-policy-rejects`: the behavior's viewer protocol policy turns viewers' plain
//! HTTP requests away.
//!
//! With `https-only`, CloudFront answers every HTTP request with a 403; with
//! `redirect-to-https`, GET/HEAD get a 301 but other methods a 307 (HTTP/1.1) or a 403
//! (HTTP/1.0), which API clients and form posts that do not repeat the body fail on. The origin,
//! asked directly over HTTP, works.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html>

use super::probe_view::{behavior_of, edge};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{BehaviorRef, Change, ConfigChange, Fix};
use crate::evidence::{Evidence, ProbeTarget, Scheme, ViewerProtocolPolicy};
use crate::request::is_write_method;

pub static META: CheckMeta = CheckMeta {
    id: "viewer-protocol-policy-rejects",
    title: "The viewer protocol policy rejects plain-HTTP viewers",
    what_breaks: "http:// links and HTTP clients get 403 (https-only), or write requests are redirected and not repeated (redirect-to-https).",
    why: "CloudFront enforces the behavior's ViewerProtocolPolicy before contacting the origin: https-only refuses HTTP, redirect-to-https answers 301/307.",
    evidence_used: &[
        "the behavior's ViewerProtocolPolicy",
        "expected write methods",
        "probes through the distribution over HTTP",
    ],
    fix: "Use redirect-to-https (so HTTP GETs are upgraded) and have clients that write use https:// directly.",
    fix_kinds: &[super::FixKind::Typed],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront403]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let writes: Vec<&String> = ev.request.expect.methods.iter().filter(|m| is_write_method(m)).collect();
    let mut done = Vec::new();
    for p in edge(ev) {
        if !matches!(p.target, ProbeTarget::Edge { scheme: Scheme::Http, .. }) {
            continue;
        }
        let b = behavior_of(d, p);
        if done.contains(&b.label()) {
            continue;
        }
        let Some(r) = p.first_response() else {
            continue;
        };
        let field = format!("{}.ViewerProtocolPolicy", b.field_path());
        let (severity, summary, observed) = match b.viewer_protocol_policy {
            ViewerProtocolPolicy::HttpsOnly if r.status == 403 => (
                Severity::Medium,
                format!(
                    "Behavior {} is https-only: CloudFront answers 403 to every plain-HTTP request ({}).",
                    b.label(),
                    p.hops[0].url
                ),
                true,
            ),
            // The recommended setting; only clients that write over http:// suffer: a note.
            ViewerProtocolPolicy::RedirectToHttps if !writes.is_empty() => (
                Severity::Info,
                format!(
                    "Behavior {} redirects HTTP to HTTPS; {} over http:// gets a 307 that many clients do not repeat with the body.",
                    b.label(),
                    writes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
                false,
            ),
            _ => continue,
        };
        done.push(b.label());
        let fix = Fix::changes([Change::Config(ConfigChange::ViewerProtocolPolicy {
            behavior: BehaviorRef::of(b),
            value: ViewerProtocolPolicy::RedirectToHttps,
        })]);
        let finding = META.finding(severity, Confidence::High)
            .summary(summary)
            .observed(observed)
            .evidence([
                EvidenceItem::new(Source::Config, &field, b.viewer_protocol_policy.as_api()),
                EvidenceItem::new(
                    Source::Probe,
                    "through the distribution over HTTP",
                    format!("{} {} → {}", p.method, p.hops[0].url, r.status),
                ),
            ])
            .remediation(Remediation {
                summary: format!("Set {field} to redirect-to-https, and use https:// URLs for writes."),
                steps: vec![],
                cli: fix.cli(d),
                fix,
            })
            .resource("distribution", &d.id)
            .resource("behavior", b.label());
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource};
    use crate::testing::*;

    fn ev(policy: ViewerProtocolPolicy, status: u16) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.default_behavior.viewer_protocol_policy = policy;
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Http,
            "GET",
            "/",
            HopResult::Response(response(status, &[])),
        ));
        e
    }

    #[test]
    fn https_only_403_is_medium_and_redirect_with_writes_is_a_note() {
        assert_eq!(run(&ev(ViewerProtocolPolicy::HttpsOnly, 403)).findings[0].severity, Severity::Medium);
        let mut e = ev(ViewerProtocolPolicy::RedirectToHttps, 301);
        e.request.expect.methods = vec!["POST".into()];
        assert_eq!(run(&e).findings[0].severity, Severity::Info);
    }

    #[test]
    fn allow_all_or_a_plain_redirect_is_no_finding() {
        assert!(run(&ev(ViewerProtocolPolicy::AllowAll, 200)).findings.is_empty());
        assert!(run(&ev(ViewerProtocolPolicy::RedirectToHttps, 301)).findings.is_empty());
    }
}
