//! `edge-access-controls-block`: CloudFront's own access controls refuse the request with a 403
//! before the origin is asked: an AWS WAF web ACL, a geographic restriction, or signed URLs /
//! signed cookies required by the behavior's trusted key groups.
//!
//! Each has its own answer: WAF's "Request blocked" page (or the web ACL's custom response),
//! the "configured to block access from your country" page, and the `MissingKey` XML error for a
//! request without a signature. The origin never sees the request, so it works when tested
//! directly. The probe's address, country and User-Agent are not your viewers': a block of the
//! probe is evidence of the mechanism, and whether it hits real viewers is for you to judge.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-permission-denied.html>

use super::probe_view::{behavior_of, behaviors_in_use, edge, last_response, update_cli};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::Fix;
use crate::evidence::{CloudFrontReason, Evidence, HttpResponse};

/// The error code CloudFront answers for a request without the signature a trusted key group requires.
pub const MISSING_KEY: &str = "MissingKey";

pub static META: CheckMeta = CheckMeta {
    id: "edge-access-controls-block",
    title: "CloudFront's access controls (WAF, geo restriction, signed URLs) refuse the request",
    what_breaks: "Viewers get a 403 from CloudFront itself (\"Request blocked\", a country block, or a MissingKey XML error) while the origin answers the same request directly.",
    why: "AWS WAF rules, the distribution's geographic restriction and the behavior's trusted key groups are evaluated at the edge, before any origin request; a request they refuse never reaches the origin.",
    evidence_used: &[
        "WebACLId",
        "Restrictions.GeoRestriction (RestrictionType, Items)",
        "DefaultCacheBehavior / CacheBehaviors[].TrustedKeyGroups",
        "probes through the distribution: CloudFront's 403 page sentence or MissingKey error",
    ],
    fix: "Find what refused the request: the WAF rule (sampled requests or WAF logs) to exempt or set to Count, the country to add to the allow list, or the path to move to a behavior without TrustedKeyGroups (or sign the URLs).",
    fix_kinds: &[super::FixKind::Manual],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-permission-denied.html",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront403]),
    module: module_path!(),
};

/// Which control refused a response, when one is recognisable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Waf,
    Geo,
    SignedUrl,
}

/// A 403 that CloudFront generated and that is none of the other 403s it has its own checks for
/// (method not allowed, alias not on the distribution, distribution disabled).
fn unexplained_cloudfront_403(r: &HttpResponse) -> bool {
    let generated = r.cloudfront_error.is_some()
        || (r.header("server").is_some_and(|s| s.eq_ignore_ascii_case("cloudfront"))
            && r.header("x-amz-cf-id").is_some());
    let other = matches!(
        r.cloudfront_reason(),
        Some(
            CloudFrontReason::MethodNotAllowed | CloudFrontReason::BadRequest | CloudFrontReason::DistributionDisabled
        )
    );
    generated && !other
}

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let geo = d.geo_restriction.as_ref().filter(|g| g.restriction_type != "none" && !g.restriction_type.is_empty());
    let mut done: Vec<(Control, String)> = Vec::new();
    for p in edge(ev) {
        let Some((h, r)) = last_response(p) else { continue };
        if r.status != 403 {
            continue;
        }
        let b = behavior_of(d, p);
        let reason = r.cloudfront_reason();
        let (control, confidence) = if reason == Some(&CloudFrontReason::RequestBlocked) {
            (Control::Waf, Confidence::High)
        } else if reason == Some(&CloudFrontReason::GeoBlocked) {
            (Control::Geo, Confidence::High)
        } else if reason == Some(&CloudFrontReason::MissingKey) {
            (Control::SignedUrl, if b.trusted_key_groups.is_empty() { Confidence::Medium } else { Confidence::High })
        } else if unexplained_cloudfront_403(r) && d.web_acl_id.is_some() {
            // A web ACL's custom response can have any body; nothing else here answers 403 itself.
            (Control::Waf, Confidence::Medium)
        } else {
            continue;
        };
        let key = (control, if control == Control::SignedUrl { b.label() } else { String::new() });
        if done.contains(&key) {
            continue;
        }
        done.push(key);
        let seen = EvidenceItem::new(
            Source::Probe,
            format!("{} {} through the distribution (from {})", p.method, h.url, ev.observations.probed_from),
            format!(
                "403 generated by CloudFront{}",
                match control {
                    Control::Waf if confidence == Confidence::High => ": \"Request blocked.\"".to_string(),
                    Control::Waf => " (no known sentence: a web ACL's custom response?)".to_string(),
                    Control::Geo => ": the country block page".to_string(),
                    Control::SignedUrl =>
                        ": MissingKey (Missing Key-Pair-Id query parameter or cookie value)".to_string(),
                }
            ),
        )
        .expected("the origin's answer");
        let (summary, config, remediation) = match control {
            Control::Waf => {
                let acl = d.web_acl_id.clone().unwrap_or_else(|| "<not set in the configuration read>".into());
                (
                    format!("AWS WAF blocked the request to {} at the edge (web ACL {acl}); the origin never saw it.", h.url),
                    EvidenceItem::new(Source::Config, "WebACLId", acl.clone()),
                    Remediation {
                        fix: Fix::manual(format!(
                            "the rule of web ACL {acl} that blocked the request was not read (AWS WAF is not called), so the change to it cannot be named"
                        )),
                        summary: format!(
                            "Find the rule of web ACL {acl} that blocked the request (sampled requests or WAF logs) and exempt the legitimate traffic or set the rule's action to Count; or clear WebACLId."
                        ),
                        steps: vec![
                            "The probe's User-Agent is cf-origin-doctor/<version> and its address is not your viewers': a bot-control or IP rule may block it and not them. Check the rule against a real viewer request.".into(),
                            "The web ACL's rules were not read (wafv2 is not called): the WAF console's sampled requests name the terminating rule.".into(),
                        ],
                        cli: vec![
                            "aws wafv2 get-sampled-requests --scope CLOUDFRONT --region us-east-1 --web-acl-arn <WebACLId> --rule-metric-name <rule metric> --time-window StartTime=<start>,EndTime=<end> --max-items 100".into(),
                        ],
                    },
                )
            }
            Control::Geo => {
                let (t, items) = geo
                    .map(|g| (g.restriction_type.clone(), g.locations.join(", ")))
                    .unwrap_or_else(|| ("<not set in the configuration read>".into(), String::new()));
                (
                    format!(
                        "CloudFront's geographic restriction ({t}: {items}) refused the request to {} from the prober's country; the origin never saw it.",
                        h.url
                    ),
                    EvidenceItem::new(Source::Config, "Restrictions.GeoRestriction", format!("RestrictionType={t}, Items=[{items}]")),
                    Remediation {
                        fix: Fix::manual(
                            "which countries to serve is the owner's decision, and the country refused is the prober's, not necessarily the viewers'",
                        ),
                        summary: format!(
                            "Add the viewers' country codes to Restrictions.GeoRestriction.Items (whitelist) or remove them (blacklist); or set RestrictionType to none. Current: {t} [{items}]."
                        ),
                        steps: vec!["The country is the prober's: check whether your viewers are in a blocked country before changing anything.".into()],
                        cli: vec![update_cli(d)],
                    },
                )
            }
            Control::SignedUrl => {
                let groups = if b.trusted_key_groups.is_empty() {
                    "none listed (legacy TrustedSigners, not read by this tool, may require signatures)".to_string()
                } else {
                    b.trusted_key_groups.join(", ")
                };
                (
                    format!(
                        "Behavior {} requires signed URLs or signed cookies, and the request to {} carried none: CloudFront answers 403 MissingKey.",
                        b.label(),
                        h.url
                    ),
                    EvidenceItem::new(Source::Config, format!("{}.TrustedKeyGroups", b.field_path()), groups)
                        .expected("no trusted key groups on paths served to unsigned viewers"),
                    Remediation {
                        fix: Fix::manual(
                            "whether these paths must stay private (signed) is the owner's decision: the answer is a new behavior for public paths or signing in the application",
                        ),
                        summary: format!(
                            "Serve public paths from a behavior without TrustedKeyGroups (add a cache behavior for them), or have the application sign the URLs/cookies for {} (CloudFront-Key-Pair-Id, CloudFront-Signature, CloudFront-Policy or Expires).",
                            b.field_path()
                        ),
                        steps: vec![
                            "If the path must stay private, this 403 is the intended answer for an unsigned request."
                                .into(),
                        ],
                        cli: vec![update_cli(d)],
                    },
                )
            }
        };
        let finding = META.finding(Severity::High, confidence)
            .summary(summary)
            .observed(confidence == Confidence::High)
            .evidence([seen, config])
            .remediation(remediation)
            .resource("distribution", &d.id)
            .resource("behavior", b.label());
        out.push(finding);
    }
    let controls_in_use = d.web_acl_id.is_some()
        || geo.is_some()
        || behaviors_in_use(ev).iter().any(|b| !b.trusted_key_groups.is_empty());
    if controls_in_use && edge(ev).next().is_none() {
        out.unverified(
            &META,
            "whether the distribution's WAF web ACL, geo restriction or trusted key groups refuse viewers",
            "no request through the distribution was made",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{GeoRestriction, HopResult, Scheme};
    use crate::testing::*;

    fn blocked(body_reason: Option<CloudFrontReason>, xml: Option<&str>) -> crate::evidence::ProbeRecord {
        let r = match (body_reason, xml) {
            (Some(reason), _) => cloudfront_page(403, reason),
            (None, Some(x)) => {
                let mut r =
                    response(403, &[("Server", "CloudFront"), ("X-Amz-Cf-Id", "abc"), ("Content-Type", "text/xml")]);
                r.body_sample = x.into();
                r.cloudfront_error = crate::evidence::cloudfront_page::recognise_error_page(x);
                r
            }
            (None, None) => response(403, &[("Server", "CloudFront"), ("X-Amz-Cf-Id", "abc")]),
        };
        edge_probe("d111.cloudfront.net", Scheme::Https, "GET", "/", HopResult::Response(r))
    }

    #[test]
    fn a_waf_block_page_names_the_web_acl() {
        let mut e = edge_code_evidence();
        e.inventory.distribution.web_acl_id = Some("arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1".into());
        e.observations.probes.push(blocked(Some(CloudFrontReason::RequestBlocked), None));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        let f = &out.findings[0];
        assert_eq!((f.severity, f.confidence), (Severity::High, Confidence::High));
        assert!(f.summary.contains("webacl/edge/1"));
        assert!(f.remediation.cli[0].contains("get-sampled-requests"));
    }

    #[test]
    fn a_bare_cloudfront_403_is_blamed_on_waf_only_when_a_web_acl_is_attached() {
        let mut e = edge_code_evidence();
        e.observations.probes.push(blocked(None, None));
        assert!(run(&e).findings.is_empty());
        e.inventory.distribution.web_acl_id = Some("acl-1".into());
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].confidence, Confidence::Medium);
    }

    #[test]
    fn a_country_block_names_the_restriction() {
        let mut e = edge_code_evidence();
        e.inventory.distribution.geo_restriction =
            Some(GeoRestriction { restriction_type: "whitelist".into(), locations: vec!["DE".into(), "FR".into()] });
        e.observations.probes.push(blocked(Some(CloudFrontReason::GeoBlocked), None));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].evidence.iter().any(|x| x.observed == "RestrictionType=whitelist, Items=[DE, FR]"));
    }

    #[test]
    fn missing_key_names_the_trusted_key_groups_of_the_behavior() {
        let mut e = edge_code_evidence();
        e.inventory.distribution.default_behavior.trusted_key_groups = vec!["kg-1".into()];
        e.observations.probes.push(blocked(
            None,
            Some("<?xml version=\"1.0\"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>"),
        ));
        let out = run(&e);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].summary.contains("signed URLs"));
        assert!(
            out.findings[0]
                .evidence
                .iter()
                .any(|x| x.subject == "DefaultCacheBehavior.TrustedKeyGroups" && x.observed == "kg-1")
        );
    }

    #[test]
    fn other_403s_and_healthy_answers_are_not_blamed_on_access_controls() {
        let mut e = edge_code_evidence();
        e.inventory.distribution.web_acl_id = Some("acl-1".into());
        // CloudFront's method page belongs to method-not-allowed.
        e.observations.probes.push(blocked(Some(CloudFrontReason::MethodNotAllowed), None));
        // The origin's own 403 is passed through, not CloudFront's.
        let mut r = response(403, &[("Server", "nginx")]);
        r.body_sample = "<h1>403 Forbidden</h1>".into();
        e.observations.probes.push(edge_probe("d111.cloudfront.net", Scheme::Http, "GET", "/", HopResult::Response(r)));
        e.observations.probes.push(edge_probe(
            "www.example.com",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(response(200, &[])),
        ));
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert!(out.unverified.is_empty());
    }

    #[test]
    fn controls_without_any_edge_probe_are_unverified() {
        let mut e = edge_code_evidence();
        e.inventory.distribution.web_acl_id = Some("acl-1".into());
        let out = run(&e);
        assert!(out.findings.is_empty());
        assert_eq!(out.unverified.len(), 1);
    }
}
