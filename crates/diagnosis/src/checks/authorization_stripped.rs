//! `authorization-stripped`: the origin needs the `Authorization` header and the behavior does
//! not forward it.
//!
//! CloudFront removes `Authorization` from origin requests unless the cache policy or the origin
//! request policy includes it (the AllViewer policies do; CachingOptimized alone forwards
//! nothing). The origin then
//! answers 401 with `WWW-Authenticate` to every authenticated call through CloudFront.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-forward-authorization>

use super::probe_view::{behaviors_in_use, edge, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::evidence::Evidence;
use crate::forwarding;

pub static META: CheckMeta = CheckMeta {
    id: "authorization-stripped",
    title: "CloudFront strips the Authorization header the origin needs",
    what_breaks: "Authenticated requests get 401 through CloudFront while the same token works against the origin.",
    why: "CloudFront forwards Authorization only when the cache policy or origin request policy names it; otherwise the origin sees an anonymous request.",
    evidence_used: &[
        "the behavior's cache and origin request policies (is Authorization forwarded?)",
        "expect.headers containing Authorization",
        "origin answers with 401 / WWW-Authenticate (direct and through the distribution)",
    ],
    fix: "Add Authorization to the behavior's cache policy (keeps per-user responses apart in the cache) or use an origin request policy that forwards it (AllViewer).",
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-forward-authorization",
    explains: Explains::Symptoms(&[SymptomClass::OriginError]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = from_config(ev);
    super::ladder_view::add(ev, &META, &mut out);
    out
}

/// What the configuration and the paired probes show, before the request ladder's word.
fn from_config(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let declared = ev.request.expect.headers.iter().any(|h| h.eq_ignore_ascii_case("authorization"));
    // The origin asks for credentials (direct probes, any shape).
    let challenge = ev.observations.probes.iter().find_map(|p| {
        let r = p.first_response()?;
        (matches!(p.target, crate::evidence::ProbeTarget::Origin { .. })
            && (r.status == 401 || r.header("www-authenticate").is_some()))
        .then(|| {
            format!(
                "{} {} → {} WWW-Authenticate: {}",
                p.method,
                p.hops[0].url,
                r.status,
                r.header("www-authenticate").unwrap_or("-")
            )
        })
    });
    let edge_401 = edge(ev).find_map(|p| {
        let (h, r) = last_response(p)?;
        (r.status == 401 && r.cloudfront_error.is_none()).then(|| format!("{} → 401 from the origin", h.url))
    });
    if !declared && challenge.is_none() {
        return out;
    }
    for b in behaviors_in_use(ev) {
        let forwards = match forwarding::for_behavior(b) {
            Ok(f) => f.forwards_authorization(),
            Err(e) => {
                out.unverified(&META, format!("whether behavior {} forwards Authorization", b.label()), e.to_string());
                continue;
            }
        };
        if forwards {
            continue;
        }
        let mut evidence = vec![
            EvidenceItem::new(
                Source::Config,
                format!("{}.CachePolicyId / OriginRequestPolicyId", b.field_path()),
                "Authorization is not forwarded",
            )
            .expected("Authorization in the cache policy's headers or forwarded by the origin request policy"),
        ];
        if declared {
            evidence.push(EvidenceItem::new(
                Source::Config,
                "request.expect.headers",
                "Authorization (declared needed)",
            ));
        }
        if let Some(c) = &challenge {
            evidence.push(EvidenceItem::new(Source::Probe, "origin", c.clone()));
        }
        if let Some(s) = &edge_401 {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", s.clone()));
        }
        let observed = edge_401.is_some();
        let finding = META.finding(if observed { Severity::Critical } else { Severity::High },
            if declared || observed { Confidence::High } else { Confidence::Medium },
        )
        .summary(format!(
            "Behavior {} does not forward Authorization: the origin receives no credentials through CloudFront and answers 401.",
            b.label()
        ))
        .observed(observed)
        .evidence(evidence)
        .remediation(Remediation {
            summary: format!(
                "Add Authorization to the headers of {}'s cache policy (a custom cache policy), or set its OriginRequestPolicyId to 216adef6-5c7f-47e4-b989-5492eafa07d3 (AllViewer).",
                b.field_path()
            ),
            steps: vec!["Never cache per-user responses without Authorization in the cache key.".into()],
            cli: vec![update_cli(d)],
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
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, RequestShape, Scheme};
    use crate::testing::*;

    fn ev(orp: Option<&str>, declared: bool) -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        e.inventory.distribution.default_behavior.origin_request_policy_id = orp.map(str::to_string);
        if declared {
            e.request.expect.headers = vec!["Authorization".into()];
        }
        e
    }

    #[test]
    fn declared_or_challenged_without_forwarding_is_a_finding() {
        assert_eq!(run(&ev(None, true)).findings[0].severity, Severity::High);
        let mut e = ev(None, false);
        e.observations.probes.push(origin_probe(
            RequestShape::Cloudfront,
            "app.example.com",
            "/",
            HopResult::Response(response(401, &[("WWW-Authenticate", "Bearer")])),
        ));
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(401, &[])),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1, "CachingOptimized alone forwards nothing: {:?}", out.findings);
        assert_eq!(out.findings[0].severity, Severity::Critical);
    }

    #[test]
    fn forwarded_or_not_needed_is_no_finding() {
        assert!(run(&ev(Some("216adef6-5c7f-47e4-b989-5492eafa07d3"), true)).findings.is_empty());
        assert!(run(&ev(None, false)).findings.is_empty());
    }
}
