//! Checking the primary finding's fix before anyone makes it.
//!
//! Each checkable alternative of the fix (configuration and network changes) is applied to a
//! copy of the evidence, and every check and the verdict run again on the copy:
//!
//! - A network change (a security-group rule, an ACL entry) is judged by the network model
//!   alone: no probe can come from CloudFront's origin-facing addresses, so what this host
//!   observed of the origins stays what it was, and only the model can show the change.
//! - A configuration change that alters CloudFront's requests to the origin (protocol, ports,
//!   TLS versions, domain name, path, timeouts, forwarding policies, target origin) is judged on
//!   the origin observations the engine recorded with the change applied
//!   ([`crate::evidence::FixProbes`]): CloudFront's origin requests and TLS handshakes planned
//!   again from the changed configuration. Without such a recording (evidence from an older
//!   version, a phase that ran out of budget) it is not verifiable.
//! - A change of what CloudFront does at the edge (viewer protocol policy, allowed methods,
//!   aliases, enabling the distribution), on the origin itself, or elsewhere, is not verifiable
//!   here: edge probes are never re-run, since the distribution itself is not changed.
//!
//! Which observations the changed copy keeps: edge probes are dropped in every case (they
//! show the distribution as it is). With a configuration change every origin-side observation
//! (origin probes, origin DNS, TCP connects, TLS handshakes, skipped probes) is replaced by the
//! recording, which covers every origin the changed plan reaches; a request ladder is kept only
//! when no change touches its origin or any behavior (it was planned from the old
//! configuration). With network changes alone the origin-side observations are kept as
//! recorded. The findings before the change are compared on the same view (the recorded
//! evidence without edge probes) as well as on the full evidence, so a finding that only the
//! missing edge probes would have settled is not counted as new.
//!
//! The commands are printed, never run: this tool stays read-only.

use crate::checks::{Finding, Severity};
use crate::evidence::{DnsRole, Evidence, FixProbes, Inventory, ProbeTarget, RequestShape, Scheme};
use crate::fix::{Alternative, ApplyError, Change, ConfigChange, Fix};
use crate::verdict::{self, Verdict};
use serde::{Deserialize, Serialize};

/// At most this many checkable alternatives of one fix are checked (each one costs a probe
/// phase of its own).
pub const MAX_CHECKED_ALTERNATIVES: usize = 2;

/// What a check of one fix concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The primary finding is gone as far as the probes and the network model can see, and
    /// nothing new at medium or above appeared.
    Verified,
    /// The change does not clear the failure, or another cause would follow it.
    NotEnough,
    /// The change cannot be checked here; `rerun` says what to run after making it.
    NotVerifiable,
}

/// What showed a verified fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifiedBy {
    /// The origins probed again as CloudFront would reach them after the change.
    Probes,
    /// The network model with the new rule (no probe comes from CloudFront's addresses).
    NetworkModel,
    ProbesAndNetworkModel,
}

/// The cause that would follow a fix that is not enough.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextCause {
    pub id: String,
    pub title: String,
    pub summary: String,
}

/// The check of one alternative of the primary finding's fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixCheck {
    pub finding_id: String,
    /// The alternative's index in the fix (0 = the preferred one).
    pub alternative: usize,
    /// The changes, one line each (field with old and new value, rule, or origin-side change).
    pub changes: Vec<String>,
    pub outcome: Outcome,
    pub verified_by: Option<VerifiedBy>,
    /// One sentence for a person.
    pub summary: String,
    pub next: Option<NextCause>,
    /// The command to run after making the change, where the check could not be made here.
    pub rerun: Option<String>,
}

/// One alternative the engine is to probe: the changed inventory to plan from.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    pub finding_id: String,
    pub alternative: usize,
    pub changes: Vec<Change>,
    pub inventory: Inventory,
}

/// The typed fix of a finding.
fn fix_of(f: &Finding) -> Option<&Fix> {
    Some(&f.remediation.fix)
}

/// The primary finding of a verdict.
pub fn primary(verdict: &Verdict) -> Option<&Finding> {
    let id = verdict.primary.as_ref()?;
    verdict.findings.iter().find(|f| &f.id == id)
}

/// The alternatives that are checked: the first [`MAX_CHECKED_ALTERNATIVES`] checkable ones.
fn checked(fix: &Fix) -> Vec<usize> {
    match fix {
        Fix::Changes { alternatives } => alternatives
            .iter()
            .enumerate()
            .filter(|(_, a)| a.is_checkable())
            .map(|(i, _)| i)
            .take(MAX_CHECKED_ALTERNATIVES)
            .collect(),
        Fix::Manual { .. } => Vec::new(),
    }
}

/// A change of what CloudFront does at the edge, which leaves its requests to the origin as
/// they are: only edge probes could show it, and they are not re-run.
fn edge_only(c: &ConfigChange) -> bool {
    matches!(
        c,
        ConfigChange::ViewerProtocolPolicy { .. }
            | ConfigChange::AllowedMethods { .. }
            | ConfigChange::AddAlias { .. }
            | ConfigChange::Enabled { .. }
    )
}

fn config_changes(alt: &Alternative) -> impl Iterator<Item = &ConfigChange> {
    alt.changes.iter().filter_map(|c| match c {
        Change::Config(c) => Some(c),
        _ => None,
    })
}

fn has_network(alt: &Alternative) -> bool {
    alt.changes.iter().any(|c| matches!(c, Change::Network(_)))
}

/// Makes every change of the alternative on a copy of the inventory.
fn apply(alt: &Alternative, inventory: &Inventory) -> Result<Inventory, ApplyError> {
    let mut inv = inventory.clone();
    for c in &alt.changes {
        match c {
            Change::Config(c) => c.apply(&mut inv.distribution)?,
            Change::Network(n) => n.apply(&mut inv)?,
            Change::Origin { .. } | Change::Other { .. } => {}
        }
    }
    Ok(inv)
}

/// The alternatives of the primary finding's fix whose origins must be probed again: those
/// with a configuration change of CloudFront's requests to the origin that applies to the
/// recorded configuration.
pub fn probe_requests(ev: &Evidence, verdict: &Verdict) -> Vec<ProbeRequest> {
    let Some(finding) = primary(verdict) else { return Vec::new() };
    let Some(fix) = fix_of(finding) else { return Vec::new() };
    probe_requests_for(ev, finding, fix)
}

fn probe_requests_for(ev: &Evidence, finding: &Finding, fix: &Fix) -> Vec<ProbeRequest> {
    let Fix::Changes { alternatives } = fix else { return Vec::new() };
    checked(fix)
        .into_iter()
        .filter_map(|i| {
            let alt = alternatives.get(i)?;
            let mut config = config_changes(alt).peekable();
            config.peek()?;
            if config.any(edge_only) {
                return None;
            }
            let inventory = apply(alt, &ev.inventory).ok()?;
            Some(ProbeRequest {
                finding_id: finding.id.clone(),
                alternative: i,
                changes: alt.changes.clone(),
                inventory,
            })
        })
        .collect()
}

/// The check of every alternative of the primary finding's fix.
pub fn check(ev: &Evidence, verdict: &Verdict) -> Vec<FixCheck> {
    let Some(finding) = primary(verdict) else { return Vec::new() };
    let Some(fix) = fix_of(finding) else { return Vec::new() };
    check_fix(ev, verdict, finding, fix)
}

fn check_fix(ev: &Evidence, verdict: &Verdict, finding: &Finding, fix: &Fix) -> Vec<FixCheck> {
    let rerun = rerun_command(ev);
    let alternatives = match fix {
        Fix::Manual { reason } => {
            return vec![FixCheck {
                finding_id: finding.id.clone(),
                alternative: 0,
                changes: Vec::new(),
                outcome: Outcome::NotVerifiable,
                verified_by: None,
                summary: format!("no change this tool can state or check ({reason}); make it, then run: {rerun}"),
                next: None,
                rerun: Some(rerun),
            }];
        }
        Fix::Changes { alternatives } => alternatives,
    };
    let checked = checked(fix);
    alternatives
        .iter()
        .enumerate()
        .map(|(i, alt)| {
            let base = FixCheck {
                finding_id: finding.id.clone(),
                alternative: i,
                changes: alt.changes.iter().map(|c| c.describe(&ev.inventory.distribution)).collect(),
                outcome: Outcome::NotVerifiable,
                verified_by: None,
                summary: String::new(),
                next: None,
                rerun: None,
            };
            let not_verifiable = |why: String| FixCheck {
                summary: format!("{why}; make it, then run: {rerun}"),
                rerun: Some(rerun.clone()),
                ..base.clone()
            };
            if !alt.is_checkable() {
                let what: Vec<String> = alt
                    .changes
                    .iter()
                    .filter_map(|c| match c {
                        Change::Origin { what, .. } => Some(format!("{what} (on the origin)")),
                        Change::Other { what } => Some(format!("{what} (outside the distribution)")),
                        _ => None,
                    })
                    .collect();
                return not_verifiable(if what.is_empty() { "no change to check".to_string() } else { what.join("; ") });
            }
            if !checked.contains(&i) {
                return not_verifiable(format!("only the first {MAX_CHECKED_ALTERNATIVES} checkable alternatives are checked"));
            }
            if let Some(c) = config_changes(alt).find(|c| edge_only(c)) {
                return not_verifiable(format!(
                    "{} changes what CloudFront does at the edge, and edge probes are not re-run",
                    c.field_path()
                ));
            }
            let changed_inventory = match apply(alt, &ev.inventory) {
                Ok(inv) => inv,
                Err(e) => return not_verifiable(format!("the change does not apply to the recorded configuration: {e}")),
            };
            let has_config = config_changes(alt).next().is_some();
            let recorded = ev
                .observations
                .fix_checks
                .iter()
                .find(|p| p.finding_id == finding.id && p.alternative == i && p.changes == alt.changes);
            if has_config && recorded.is_none() {
                return not_verifiable(
                    "the evidence holds no probes of the origins with this configuration change".into(),
                );
            }
            let after = changed_view(ev, changed_inventory, alt, recorded);
            let before = changed_view(ev, ev.inventory.clone(), alt, None);
            let after_verdict = run(&after);
            let before_verdict = run(&before);
            let verified_by = match (has_config, has_network(alt)) {
                (true, true) => VerifiedBy::ProbesAndNetworkModel,
                (true, false) => VerifiedBy::Probes,
                _ => VerifiedBy::NetworkModel,
            };
            let with = short_changes(alt);
            let next_of = |f: &Finding| NextCause { id: f.id.clone(), title: f.title.clone(), summary: f.summary.clone() };
            if let Some(same) = after_verdict.findings.iter().find(|f| same_finding(f, finding)) {
                return FixCheck {
                    outcome: Outcome::NotEnough,
                    summary: format!("with {with}, the failure remains: {}", same.summary),
                    next: Some(next_of(same)),
                    ..base
                };
            }
            let is_new = |f: &&Finding| {
                !verdict.findings.iter().chain(&before_verdict.findings).any(|b| same_finding(f, b))
            };
            let next = primary(&after_verdict)
                .or_else(|| after_verdict.findings.iter().filter(|f| f.severity >= Severity::Medium).find(is_new));
            if let Some(next) = next {
                return FixCheck {
                    outcome: Outcome::NotEnough,
                    summary: format!(
                        "with {with}, {} is gone, but {} would follow: {}",
                        finding.id, next.id, next.summary
                    ),
                    next: Some(next_of(next)),
                    ..base
                };
            }
            let shown = match (recorded, verified_by) {
                (Some(p), VerifiedBy::Probes) => answers(p, alt, &after),
                (Some(p), _) => format!(
                    "{}, and the network model no longer finds {} (verified by the network model: no probe can come from CloudFront's addresses)",
                    answers(p, alt, &after),
                    finding.id
                ),
                (None, _) => format!(
                    "the network model no longer finds {} (verified by the network model: no probe can come from CloudFront's addresses)",
                    finding.id
                ),
            };
            FixCheck {
                outcome: Outcome::Verified,
                verified_by: Some(verified_by),
                summary: format!("with {with} {shown}"),
                ..base
            }
        })
        .collect()
}

/// Checks and verdict, without fix checks.
fn run(ev: &Evidence) -> Verdict {
    verdict::decide(ev, crate::checks::run_all(ev))
}

/// The same finding: same id, about the same resource.
fn same_finding(a: &Finding, b: &Finding) -> bool {
    a.id == b.id
        && (a.resources.is_empty() || b.resources.is_empty() || a.resources.iter().any(|r| b.resources.contains(r)))
}

/// The evidence as the checks see it after the alternative: `inventory` (changed or not), edge
/// probes dropped, origin-side observations replaced by `recorded` when there is a recording
/// (see the module's documentation for the rule).
fn changed_view(ev: &Evidence, inventory: Inventory, alt: &Alternative, recorded: Option<&FixProbes>) -> Evidence {
    let mut out = Evidence { inventory, ..ev.clone() };
    let obs = &mut out.observations;
    obs.fix_checks.clear();
    obs.probes.retain(|p| !matches!(p.target, ProbeTarget::Edge { .. }));
    let touches_all = config_changes(alt).any(|c| c.origin_id().is_none());
    let touched: Vec<&str> = config_changes(alt).filter_map(ConfigChange::origin_id).collect();
    obs.ladders.retain(|l| !touches_all && !touched.contains(&l.origin_id.as_str()));
    if let Some(p) = recorded.filter(|_| config_changes(alt).next().is_some()) {
        obs.probes.retain(|p| !matches!(p.target, ProbeTarget::Origin { .. }));
        obs.probes.extend(p.probes.iter().cloned());
        obs.dns.retain(|d| !matches!(d.role, DnsRole::Origin { .. }));
        obs.dns.extend(p.dns.iter().cloned());
        obs.tcp.clone_from(&p.tcp);
        obs.tls.clone_from(&p.tls);
        obs.skipped.clone_from(&p.skipped);
    }
    out
}

/// The changes, short: `OriginProtocolPolicy https-only`, or the rule.
fn short_changes(alt: &Alternative) -> String {
    let parts: Vec<String> = alt
        .changes
        .iter()
        .map(|c| match c {
            Change::Config(c) => {
                let path = c.field_path();
                let field = path.rsplit('.').next().unwrap_or(&path).to_string();
                let value = match c.new_value() {
                    serde_json::Value::String(s) => s,
                    v => v.to_string(),
                };
                format!("{field} {value}")
            }
            Change::Network(n) => n.describe(),
            Change::Origin { what, .. } | Change::Other { what } => what.clone(),
        })
        .collect();
    parts.join(" and ")
}

/// What the origins answered CloudFront's requests with the change: each origin the changes
/// name (every probed origin when they name none), its first answer and, over TLS, the
/// certificate CloudFront would be shown.
fn answers(p: &FixProbes, alt: &Alternative, after: &Evidence) -> String {
    let named: Vec<&str> = config_changes(alt).filter_map(ConfigChange::origin_id).collect();
    let mut origins: Vec<&str> = Vec::new();
    for r in &p.probes {
        if let ProbeTarget::Origin { origin_id, .. } = &r.target {
            if (named.is_empty() || named.contains(&origin_id.as_str())) && !origins.contains(&origin_id.as_str()) {
                origins.push(origin_id);
            }
        }
    }
    let several = after.inventory.distribution.origins.len() > 1;
    let parts: Vec<String> = origins
        .iter()
        .map(|id| {
            let who = if several { format!("the origin {id}") } else { "the origin".to_string() };
            let first = p.probes.iter().find(|r| {
                r.shape == RequestShape::Cloudfront
                    && r.method == "GET"
                    && matches!(&r.target, ProbeTarget::Origin { origin_id, .. } if origin_id == id)
            });
            let Some(r) = first else { return format!("{who} was not probed") };
            let ProbeTarget::Origin { scheme, .. } = &r.target else { return String::new() };
            let answer = match r.first_response() {
                Some(resp) => format!("answers {}", resp.status),
                None => "does not answer".to_string(),
            };
            let over = match scheme {
                Scheme::Http => "over HTTP".to_string(),
                Scheme::Https => {
                    let sent: Vec<_> =
                        p.tls.iter().filter(|t| t.origin_id == *id && t.cloudfront_sends == Some(true)).collect();
                    let good = !sent.is_empty()
                        && sent.iter().all(|t| {
                            t.established().is_some()
                                && t.chain_check
                                    .as_ref()
                                    .is_some_and(|c| c.validation == crate::evidence::ChainValidation::Trusted)
                                && t.name_check.as_ref().is_some_and(|n| n.matches)
                        });
                    let names: Vec<&str> =
                        sent.iter().filter_map(|t| t.name_check.as_ref().map(|n| n.name.as_str())).collect();
                    if good {
                        format!("over TLS with a trusted certificate for {}", names.join(", "))
                    } else {
                        "over TLS".to_string()
                    }
                }
            };
            format!("{who} {answer} {over}")
        })
        .collect();
    if parts.is_empty() { "the origins answer as before".to_string() } else { parts.join("; ") }
}

/// The command that diagnoses the distribution again, with the same paths and declared needs.
pub fn rerun_command(ev: &Evidence) -> String {
    let r = &ev.request;
    let mut cmd = format!("cf-origin-doctor diagnose {}", shell_word(&r.distribution_id));
    if r.paths != ["/"] {
        for p in &r.paths {
            cmd.push_str(&format!(" --path {}", shell_word(p)));
        }
    }
    let e = &r.expect;
    for (flag, values) in [
        ("--expect-method", &e.methods),
        ("--expect-header", &e.headers),
        ("--expect-cookie", &e.cookies),
        ("--expect-query", &e.query_strings),
    ] {
        for v in values {
            cmd.push_str(&format!(" {flag} {}", shell_word(v)));
        }
    }
    if e.get_with_body {
        cmd.push_str(" --expect-get-body");
    }
    if let Some(p) = &r.method_probe_path {
        cmd.push_str(&format!(" --method-probe-path {}", shell_word(p)));
    }
    cmd
}

/// A word as the shell reads it: as is when it holds only safe characters, single-quoted otherwise.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.,:=@%+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, HopResult, OriginProtocolPolicy, RedirectOutcome, SniRole, ViewerProtocolPolicy};
    use crate::fix::{BehaviorRef, NetworkChange, OriginPart, RuleSource};
    use crate::testing::*;

    const ALB: &str = "app-1.us-east-1.elb.amazonaws.com";

    /// http-only to a load balancer whose HTTP listener redirects to HTTPS; the origin's 301 and
    /// the viewers' loop observed.
    fn loop_evidence() -> Evidence {
        let lb = load_balancer(ALB, vec![listener(80, "HTTP", redirect_to_https()), listener(443, "HTTPS", forward())]);
        let mut ev = evidence(custom_origin("o1", ALB, OriginProtocolPolicy::HttpOnly), Fetch::fetched(lb));
        let location = format!("https://{ALB}:443/");
        let mut p = origin_probe_to(
            "o1",
            ALB,
            Scheme::Http,
            80,
            HopResult::Response(response(301, &[("Location", &location)])),
        );
        p.redirects = RedirectOutcome::NotFollowed { location, reason: "another scheme".into() };
        ev.observations.probes.push(p);
        push_edge_loop(&mut ev);
        ev
    }

    fn https_only() -> Change {
        Change::Config(ConfigChange::OriginProtocolPolicy {
            origin_id: "o1".into(),
            value: OriginProtocolPolicy::HttpsOnly,
        })
    }

    /// Records what the origin answered with the fix's first alternative, as the engine does.
    fn record(ev: &mut Evidence, finding: &str, fix: &Fix, cert_names: &[&str]) {
        ev.observations.fix_checks.push(FixProbes {
            finding_id: finding.into(),
            alternative: 0,
            changes: fix.preferred().unwrap().changes.clone(),
            probes: vec![origin_probe_to("o1", ALB, Scheme::Https, 443, HopResult::Response(response(200, &[])))],
            skipped: vec![],
            dns: vec![],
            tcp: vec![],
            tls: vec![tls_observation("o1", ALB, Some(ALB), SniRole::OriginDomain, true, cert_names)],
        });
    }

    fn checked_fix(ev: &Evidence, fix: &Fix) -> Vec<FixCheck> {
        let v = run(ev);
        let f = primary(&v).expect("a primary finding").clone();
        check_fix(ev, &v, &f, fix)
    }

    #[test]
    fn https_only_to_an_origin_with_a_good_certificate_is_verified_by_the_probes() {
        let mut ev = loop_evidence();
        assert_eq!(run(&ev).primary.as_deref(), Some("redirect-loop-origin-forces-https"));
        let fix = Fix::changes([https_only()]);
        record(&mut ev, "redirect-loop-origin-forces-https", &fix, &[ALB]);
        let c = &checked_fix(&ev, &fix)[0];
        assert_eq!(c.outcome, Outcome::Verified, "{c:#?}");
        assert_eq!(c.verified_by, Some(VerifiedBy::Probes));
        assert!(
            c.summary.contains(&format!(
                "with OriginProtocolPolicy https-only the origin answers 200 over TLS with a trusted certificate for {ALB}"
            )),
            "{}",
            c.summary
        );
        assert_eq!(
            c.changes,
            vec![r#"Origins[Id=o1].CustomOriginConfig.OriginProtocolPolicy: "http-only" → "https-only""#]
        );
    }

    #[test]
    fn https_only_to_a_certificate_without_the_name_is_not_enough_and_names_the_next_cause() {
        let mut ev = loop_evidence();
        let fix = Fix::changes([https_only()]);
        record(&mut ev, "redirect-loop-origin-forces-https", &fix, &["app.example.com"]);
        let c = &checked_fix(&ev, &fix)[0];
        assert_eq!(c.outcome, Outcome::NotEnough, "{c:#?}");
        assert_eq!(c.next.as_ref().map(|n| n.id.as_str()), Some("origin-cert-name-mismatch-origin-domain"), "{c:#?}");
        assert!(c.summary.contains("redirect-loop-origin-forces-https is gone"), "{}", c.summary);
    }

    #[test]
    fn a_configuration_change_without_recorded_probes_is_not_verifiable_and_says_what_to_run() {
        let mut ev = loop_evidence();
        ev.request.paths = vec!["/".into(), "/search?q=a b".into()];
        ev.request.expect.methods = vec!["POST".into()];
        let fix = Fix::changes([https_only()]);
        let c = &checked_fix(&ev, &fix)[0];
        assert_eq!(c.outcome, Outcome::NotVerifiable);
        let rerun = "cf-origin-doctor diagnose EFIXTURE --path / --path '/search?q=a b' --expect-method POST";
        assert_eq!(c.rerun.as_deref(), Some(rerun));
        assert!(c.summary.ends_with(&format!("then run: {rerun}")), "{}", c.summary);
        // Probes recorded for other changes are not these.
        let other =
            Fix::changes([Change::Config(ConfigChange::OriginHttpsPort { origin_id: "o1".into(), value: 8443 })]);
        record(&mut ev, "redirect-loop-origin-forces-https", &other, &[ALB]);
        assert_eq!(checked_fix(&ev, &fix)[0].outcome, Outcome::NotVerifiable);
    }

    #[test]
    fn a_security_group_rule_is_verified_by_the_network_model_without_probes() {
        let mut ev = alb_with_rules(OriginProtocolPolicy::HttpsOnly, vec![sg_rule_cidr(443, 443, &["10.0.0.0/8"])]);
        add_edge_error(&mut ev, 504);
        assert_eq!(run(&ev).primary.as_deref(), Some("sg-blocks-cloudfront"));
        let pl = ev.inventory.cloudfront_prefix_lists[0].lists.value().unwrap()[0].prefix_list_id.clone();
        let rule = |group: &str| {
            Change::Network(NetworkChange::SecurityGroupIngress {
                group_id: group.into(),
                region: None,
                port_from: 443,
                port_to: 443,
                source: RuleSource::PrefixList { prefix_list_id: pl.clone() },
            })
        };
        let fix = Fix::alternatives([vec![rule("sg-1")], vec![rule("sg-absent")]]);
        assert!(probe_requests_for(&ev, &run(&ev).findings[0], &fix).is_empty(), "nothing to probe");
        let checks = checked_fix(&ev, &fix);
        assert_eq!(checks[0].outcome, Outcome::Verified, "{:#?}", checks[0]);
        assert_eq!(checks[0].verified_by, Some(VerifiedBy::NetworkModel));
        assert!(checks[0].summary.contains("verified by the network model"), "{}", checks[0].summary);
        assert_eq!(checks[1].outcome, Outcome::NotVerifiable, "a group that is not there");
        assert!(checks[1].summary.contains("sg-absent"), "{}", checks[1].summary);
    }

    #[test]
    fn origin_side_edge_only_and_manual_fixes_are_not_verifiable() {
        let ev = loop_evidence();
        let fix = Fix::alternatives([
            vec![Change::Origin { part: OriginPart::Certificate, what: "renew the certificate".into() }],
            vec![Change::Config(ConfigChange::ViewerProtocolPolicy {
                behavior: BehaviorRef::default_behavior(),
                value: ViewerProtocolPolicy::RedirectToHttps,
            })],
        ]);
        let checks = checked_fix(&ev, &fix);
        assert!(checks.iter().all(|c| c.outcome == Outcome::NotVerifiable && c.rerun.is_some()), "{checks:#?}");
        assert!(checks[0].summary.starts_with("renew the certificate"), "{}", checks[0].summary);
        assert!(checks[1].summary.contains("edge probes are not re-run"), "{}", checks[1].summary);
        assert!(probe_requests_for(&ev, &run(&ev).findings[0], &fix).is_empty());
        let manual = checked_fix(&ev, &Fix::manual("the application decides"));
        assert_eq!(manual.len(), 1);
        assert_eq!(manual[0].outcome, Outcome::NotVerifiable);
    }

    #[test]
    fn at_most_two_checkable_alternatives_are_probed() {
        let ev = loop_evidence();
        let port = |p| vec![Change::Config(ConfigChange::OriginHttpsPort { origin_id: "o1".into(), value: p })];
        let fix = Fix::alternatives([port(443), port(8443), port(9443)]);
        let wanted = probe_requests_for(&ev, &run(&ev).findings[0], &fix);
        assert_eq!(wanted.iter().map(|w| w.alternative).collect::<Vec<_>>(), vec![0, 1]);
        let o = wanted[1].inventory.distribution.origin("o1").unwrap();
        assert_eq!(o.custom().unwrap().https_port, 8443, "planned from the changed copy");
        assert_eq!(checked_fix(&ev, &fix)[2].outcome, Outcome::NotVerifiable);
    }

    #[test]
    fn recorded_fix_probes_survive_the_evidence_file_and_old_files_still_load() {
        let mut ev = loop_evidence();
        let fix = Fix::changes([https_only()]);
        record(&mut ev, "redirect-loop-origin-forces-https", &fix, &[ALB]);
        let json = serde_json::to_string(&ev).unwrap();
        let back: Evidence = serde_json::from_str(&json).unwrap();
        assert_eq!(checked_fix(&back, &fix), checked_fix(&ev, &fix));
        let mut old = serde_json::to_value(loop_evidence()).unwrap();
        assert!(old["observations"].get("fix_checks").is_none(), "not written when empty");
        old["observations"].as_object_mut().unwrap().remove("fix_checks");
        let old: Evidence = serde_json::from_value(old).unwrap();
        assert!(old.observations.fix_checks.is_empty());
    }
}
