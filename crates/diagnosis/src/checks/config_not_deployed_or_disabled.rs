//! `config-not-deployed-or-disabled`: the distribution is disabled, or its last change is still
//! being deployed to the edge locations.
//!
//! A disabled distribution refuses every viewer request with a 403. While `Status` is
//! `InProgress`, edge locations still serve the previous configuration (old origin, old
//! behaviors), so a fix that looks right in the console is not yet what viewers get.
//!
//! Docs: <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HowCloudFrontWorks.html#HowCloudFrontWorksOverview>

use super::probe_view::{edge, last_response};
use super::{CheckMeta, CheckOutput, Confidence, EvidenceItem, Explains, Remediation, Severity, Source, SymptomClass};
use crate::fix::{Change, ConfigChange, Fix};
use crate::evidence::Evidence;

pub static META: CheckMeta = CheckMeta {
    id: "config-not-deployed-or-disabled",
    title: "The distribution is disabled or its configuration is not deployed yet",
    what_breaks: "A disabled distribution answers 403 to everyone; while a change deploys, viewers still get the old configuration.",
    why: "CloudFront serves only enabled distributions, and edge locations apply a configuration change only once it has propagated (Status Deployed).",
    evidence_used: &["DistributionConfig.Enabled", "Distribution.Status", "probes through the distribution"],
    fix: "Enable the distribution (DistributionConfig.Enabled = true), or wait for Status Deployed before judging a change.",
    fix_kinds: &[super::FixKind::Typed, super::FixKind::OriginSide],
    docs_url: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HowCloudFrontWorks.html#HowCloudFrontWorksOverview",
    explains: Explains::Symptoms(&[SymptomClass::CloudFront403, SymptomClass::CloudFront502, SymptomClass::CloudFront504, SymptomClass::OriginError, SymptomClass::RedirectLoop]),
    module: module_path!(),
};

pub fn run(ev: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    let d = &ev.inventory.distribution;
    let failing = edge(ev).find_map(|p| {
        let (h, r) = last_response(p)?;
        (r.status >= 400).then(|| {
            let page = r.cloudfront_reason().map(|s| format!(", CloudFront's page: \"{s}\"")).unwrap_or_default();
            format!("{} → {}{page}", h.url, r.status)
        })
    });
    if !d.enabled {
        let mut evidence =
            vec![EvidenceItem::new(Source::Config, "DistributionConfig.Enabled", "false").expected("true")];
        if let Some(f) = &failing {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", f.clone()));
        }
        let fix = Fix::changes([Change::Config(ConfigChange::Enabled { value: true })]);
        let finding = META.finding(Severity::Critical, Confidence::High)
            .summary(format!("Distribution {} is disabled: CloudFront refuses every viewer request.", d.id))
            .observed(failing.is_some())
            .evidence(evidence)
            .remediation(Remediation {
                summary: "Set DistributionConfig.Enabled to true and wait for Status Deployed.".into(),
                steps: vec![],
                cli: fix.cli(d),
                fix,
            })
            .resource("distribution", &d.id);
        out.push(finding);
    } else if !d.status.eq_ignore_ascii_case("Deployed") {
        let mut evidence =
            vec![EvidenceItem::new(Source::Config, "Distribution.Status", &d.status).expected("Deployed")];
        if let Some(f) = &failing {
            evidence.push(EvidenceItem::new(Source::Probe, "through the distribution", f.clone()));
        }
        let finding = META.finding(Severity::Medium, Confidence::Medium)
            .summary(format!(
                "Distribution {} is {}: edge locations may still serve the previous configuration, so what was probed may not match what was read.",
                d.id, d.status
            ))
            .evidence(evidence)
            .remediation(Remediation {
                fix: Fix::changes([Change::Other {
                    what: "wait until Distribution.Status is Deployed, then diagnose again".into(),
                }]),
                summary: format!("Wait until Distribution.Status is Deployed, then diagnose again (aws cloudfront wait distribution-deployed --id {}).", d.id),
                steps: vec![],
                cli: vec![format!("aws cloudfront wait distribution-deployed --id {}", d.id)],
            })
            .resource("distribution", &d.id);
        out.push(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, OriginResource, Scheme};
    use crate::testing::*;

    fn ev() -> Evidence {
        evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        )
    }

    #[test]
    fn disabled_is_critical_and_in_progress_is_medium() {
        let mut e = ev();
        e.inventory.distribution.enabled = false;
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            "/",
            HopResult::Response(cloudfront_page(403, crate::evidence::CloudFrontReason::DistributionDisabled)),
        ));
        let out = run(&e);
        assert_eq!(out.findings[0].severity, Severity::Critical);
        assert!(out.findings[0].observed);
        let mut e = ev();
        e.inventory.distribution.status = "InProgress".into();
        assert_eq!(run(&e).findings[0].severity, Severity::Medium);
    }

    #[test]
    fn enabled_and_deployed_is_no_finding() {
        assert!(run(&ev()).findings.is_empty());
    }
}
