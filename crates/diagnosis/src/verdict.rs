//! Stage 5: from the symptom seen through CloudFront and the findings, one ranked verdict.
//!
//! The symptom (status, CloudFront's own error page or the origin's answer, how fast it failed,
//! redirects) selects the failure modes that can explain it: each check declares in its metadata
//! the symptoms its findings explain (AWS "Troubleshooting error responses": 502, 503, 504,
//! 403 pages and their causes). Findings that explain the observed symptom rank first, then
//! findings seen failing, then severity and confidence. Latent risks (low/medium) never become the
//! primary cause.

pub use crate::checks::SymptomClass;

use crate::checks::{CheckOutput, Confidence, Finding, Severity, Unverified};
use crate::evidence::{
    AnswerClass, Evidence, HopResult, ProbeStage, ProbeTarget, RedirectOutcome, SampleSeries, Scheme,
};
use serde::{Deserialize, Serialize};

/// The outcome of a diagnosis, declared worst last: an incomplete diagnosis (viewers may be
/// failing and no check explains it) ranks above a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Incomplete,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Incomplete => "incomplete",
        }
    }
}

/// What a viewer sees through the distribution, summarised from the edge probes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symptom {
    /// e.g. `https://d111.cloudfront.net/ → 504 after 30.2 s (CloudFront's own error page)`.
    pub description: String,
    pub class: SymptomClass,
    /// True when a viewer request failed (error status, loop, connection failure).
    pub failing: bool,
    /// True when at least one edge probe ran.
    pub seen: bool,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub primary: Option<String>,
    pub summary: String,
    pub symptom: Symptom,
    /// Findings in rank order, best-supported cause first.
    pub findings: Vec<Finding>,
    pub unverified: Vec<Unverified>,
}

impl Verdict {
    pub fn highest_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// The symptoms a finding can explain, as its check declares them.
fn explains(f: &Finding) -> &'static [SymptomClass] {
    crate::checks::meta_for(&f.id).map_or(&[], |m| m.explains.symptoms())
}

/// Where to look when the symptom is real but no finding explains it.
fn hint(class: SymptomClass) -> &'static str {
    match class {
        SymptomClass::CloudFront504 => {
            "look at host firewalls, an AWS WAF on the load balancer, or the application's own timeouts"
        }
        SymptomClass::CloudFront502 => {
            "look at the origin's TLS set-up as CloudFront sees it, edge functions, and connections the origin closes"
        }
        SymptomClass::CloudFront503 => "look at Lambda@Edge or CloudFront Functions errors and origin capacity",
        SymptomClass::CloudFront403 => "look at AWS WAF, geo restrictions, signed URLs and the behavior's methods",
        SymptomClass::CloudFront4xx => "look at the size of the request (cookies, URL) and what the viewer sends",
        SymptomClass::OriginError => {
            "the origin itself answered with an error: compare the request CloudFront sends with the one that works directly"
        }
        SymptomClass::RedirectLoop | SymptomClass::RedirectEscape => {
            "look at the application's redirect rules and the Host it builds URLs from"
        }
        SymptomClass::ViewerTls => "look at the viewer certificate and the aliases it must cover",
        SymptomClass::ViewerConnect => "look at the DNS records of the distribution's names",
        SymptomClass::MisdirectedRequest => {
            "look at which distributions serve the names the viewer certificate covers, and at the TLS name and Host the origin receives"
        }
        SymptomClass::Healthy | SymptomClass::NotProbed => "",
    }
}

/// What viewers see: the edge probes (with repeated probes, their failure rate), joined with
/// CloudFront's own records of the window (`observations.cloudfront`), which outrank a healthy
/// probe when they show failures.
pub fn symptom(ev: &Evidence) -> Symptom {
    crate::checks::cloudfront_view::join_symptom(ev, sampled_symptom(ev))
}

/// The edge probes' symptom. With repeated probes (`--samples`), a failure rate outranks one
/// draw: a failure seen in some samples makes the symptom failing and says "intermittent" with
/// the rate, whatever the single probe got.
fn sampled_symptom(ev: &Evidence) -> Symptom {
    let single = probe_symptom(ev);
    if !single.seen || ev.observations.samples.is_empty() {
        return single;
    }
    let worst = |it: &mut dyn Iterator<Item = &SampleSeries>| -> Option<SampleSeries> {
        it.filter(|s| s.failures() > 0).max_by_key(|s| s.failures() * 1000 / s.sent().max(1)).cloned()
    };
    if let Some(s) = worst(&mut ev.observations.edge_samples()) {
        let rate = s.describe_failures().unwrap_or_default();
        if single.failing {
            if s.intermittent() {
                return Symptom { description: format!("{} (intermittent: {rate})", single.description), ..single };
            }
            return single;
        }
        let class = s.main_failure().map_or(SymptomClass::CloudFront502, |c| sampled_class(&c, true));
        return Symptom { description: format!("intermittent: {rate}"), class, failing: true, seen: true };
    }
    if single.failing {
        return single;
    }
    // Through CloudFront every sample answered, but CloudFront's own request straight to the
    // origin failed some of the time: viewers get those failures at another moment.
    let origin = ev.observations.samples.iter().filter(|s| matches!(s.target, ProbeTarget::Origin { .. }));
    if let Some(s) = worst(&mut origin.into_iter()) {
        let class = s.main_failure().map_or(SymptomClass::OriginError, |c| sampled_class(&c, false));
        return Symptom {
            description: format!(
                "intermittent at the origin: {} (as CloudFront sends them; through CloudFront: {})",
                s.describe_failures().unwrap_or_default(),
                single.description
            ),
            class,
            failing: true,
            seen: true,
        };
    }
    single
}

/// The symptom a sampled failure stands for: through the distribution (`edge`), or what
/// CloudFront answers when its own request to the origin fails so.
fn sampled_class(c: &AnswerClass, edge: bool) -> SymptomClass {
    match c {
        AnswerClass::Cloudfront { status: 403, .. } => SymptomClass::CloudFront403,
        AnswerClass::Cloudfront { status: 503, .. } => SymptomClass::CloudFront503,
        AnswerClass::Cloudfront { status: 504, .. } => SymptomClass::CloudFront504,
        AnswerClass::Cloudfront { status: 400..=499, .. } => SymptomClass::CloudFront4xx,
        AnswerClass::Cloudfront { .. } => SymptomClass::CloudFront502,
        AnswerClass::ClientError | AnswerClass::ServerError | AnswerClass::Success | AnswerClass::Redirect => {
            SymptomClass::OriginError
        }
        AnswerClass::TlsFailure if edge => SymptomClass::ViewerTls,
        _ if edge => SymptomClass::ViewerConnect,
        AnswerClass::ConnectFailure | AnswerClass::Timeout | AnswerClass::NotReached => SymptomClass::CloudFront504,
        AnswerClass::TlsFailure | AnswerClass::BrokenAnswer => SymptomClass::CloudFront502,
    }
}

/// Reads the edge probes: the first failing one describes the symptom.
fn probe_symptom(ev: &Evidence) -> Symptom {
    let origin_hosts: Vec<String> =
        ev.inventory.distribution.origins.iter().map(|o| o.domain_name.to_ascii_lowercase()).collect();
    let mut seen = false;
    let mut healthy = Vec::new();
    let mut escape = None;
    // HTTPS first: that is what viewers use; an HTTP-only failure is judged after.
    // A GET with a body (declared by the caller) is what those viewers see too; it comes after
    // the plain requests, so a failure of those describes the symptom first.
    let mut edge: Vec<_> = ev.observations.edge_probes().chain(ev.observations.edge_body_probes()).collect();
    edge.sort_by_key(|p| !matches!(p.target, ProbeTarget::Edge { scheme: Scheme::Https, .. }));
    for p in edge {
        let ProbeTarget::Edge { scheme, .. } = &p.target else { continue };
        seen = true;
        let first_url = p.hops.first().map(|h| h.url.clone()).unwrap_or_default();
        let fail = |class, description: String| Symptom { description, class, failing: true, seen: true };
        match &p.redirects {
            RedirectOutcome::Loop { repeated_url } => {
                return fail(
                    SymptomClass::RedirectLoop,
                    format!("{first_url}: redirect loop ({repeated_url} came back)"),
                );
            }
            RedirectOutcome::TooMany { limit } => {
                return fail(SymptomClass::RedirectLoop, format!("{first_url}: more than {limit} redirects"));
            }
            RedirectOutcome::NotFollowed { location, .. } => {
                let host = url::Url::parse(location).ok().and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()));
                if host.is_some_and(|h| {
                    origin_hosts.contains(&h)
                        || h.ends_with(".elb.amazonaws.com")
                        || h.ends_with(".compute.amazonaws.com")
                }) {
                    escape.get_or_insert(format!(
                        "{first_url}: redirects viewers to the origin's own hostname ({location})"
                    ));
                }
            }
            _ => {}
        }
        let Some(last) = p.last_hop() else { continue };
        let secs = last.timings.total_ms as f64 / 1000.0;
        match &last.result {
            HopResult::Response(r) if r.status >= 400 => {
                let by_cloudfront = r.cloudfront_error.is_some()
                    || (r.header("server").is_some_and(|s| s.eq_ignore_ascii_case("cloudfront"))
                        && r.header("x-amz-cf-id").is_some()
                        && r.body_sample.is_empty());
                let class = match (by_cloudfront, r.status) {
                    (_, 421) => SymptomClass::MisdirectedRequest,
                    (true, 403) => SymptomClass::CloudFront403,
                    (true, 502) => SymptomClass::CloudFront502,
                    (true, 503) => SymptomClass::CloudFront503,
                    (true, 504) => SymptomClass::CloudFront504,
                    (true, 400..=499) => SymptomClass::CloudFront4xx,
                    (true, _) => SymptomClass::CloudFront502,
                    (false, _) => SymptomClass::OriginError,
                };
                let origin = match &r.cloudfront_error {
                    Some(page) => format!(
                        "CloudFront's own error page{}",
                        page.reason.as_ref().map(|s| format!(": \"{s}\"")).unwrap_or_default()
                    ),
                    None if by_cloudfront => "generated by CloudFront".to_string(),
                    None => format!(
                        "the origin's answer{}",
                        r.header("server").map(|s| format!(", Server: {s}")).unwrap_or_default()
                    ),
                };
                return fail(class, format!("{} → {} after {secs:.1} s ({origin})", last.url, r.status));
            }
            HopResult::Error(e) if *scheme == Scheme::Https => {
                let class = match e.stage {
                    ProbeStage::Tls => SymptomClass::ViewerTls,
                    _ => SymptomClass::ViewerConnect,
                };
                return fail(class, format!("{first_url}: {}", e.message));
            }
            HopResult::Error(_) => {}
            HopResult::Response(r) => healthy.push(format!("{first_url} → {}", r.status)),
        }
    }
    if let Some(description) = escape {
        return Symptom { description, class: SymptomClass::RedirectEscape, failing: true, seen };
    }
    if !seen {
        return Symptom {
            description: "the distribution was not probed".into(),
            class: SymptomClass::NotProbed,
            failing: false,
            seen,
        };
    }
    Symptom { description: healthy.join("; "), class: SymptomClass::Healthy, failing: false, seen }
}

/// Findings that explain the symptom first, then those seen failing, then those with a live
/// observation among their evidence (a cause the probes proved outranks one read from the
/// configuration alone), then severity and confidence.
fn rank_key(f: &Finding, class: SymptomClass) -> (bool, bool, bool, Severity, Confidence) {
    let explains_symptom = f.severity >= Severity::High && explains(f).contains(&class);
    let probed = f.evidence.iter().any(|e| e.source == crate::checks::Source::Probe);
    (explains_symptom, f.observed, probed, f.severity, f.confidence)
}

/// For a failure no finding explains: the one observation that would decide it, from what the
/// request ladders and the unread configuration say.
fn deciding_observation(ev: &Evidence, unverified: &[Unverified]) -> String {
    use crate::evidence::Conclusion;
    // Repeated requests straight to the origin that failed too put the failure on the origin,
    // whatever one request of each ladder got.
    let origin_fails = ev
        .observations
        .samples
        .iter()
        .filter(|s| matches!(s.target, ProbeTarget::Origin { .. }))
        .find_map(|s| Some((s.describe_failures()?, s.intermittent())));
    if let Some((rate, intermittent)) = origin_fails {
        return format!(
            " Sent straight to the origin from here, shaped as CloudFront's, {rate}: the origin itself fails {}; its logs, capacity and connection handling decide it.",
            if intermittent { "some of the time" } else { "every time" }
        );
    }
    let ladders = &ev.observations.ladders;
    if let Some((l, answer)) = ladders.iter().find_map(|l| match l.conclusion() {
        Conclusion::DirectFails { direct } => l.rungs.get(direct).map(|r| (l, r.describe_answer())),
        _ => None,
    }) {
        return format!(
            " The origin {} answers {answer} even to the direct request for {}: the origin itself fails; its own logs decide it.",
            l.origin_id, l.viewer_path
        );
    }
    if !ladders.is_empty() && ladders.iter().all(|l| l.conclusion() == Conclusion::CloudfrontRequestWorks) {
        return " CloudFront's own request works when sent from here, so what differs is the path from CloudFront's addresses to the origin (security groups, network ACLs, host firewalls admitting only some addresses); CloudFront's access logs (x-edge-detailed-result-type) or a connection from its origin-facing range would decide it.".into();
    }
    match unverified.first() {
        Some(u) => format!(" Reading {} ({}) would decide it.", u.what, u.reason),
        None => String::new(),
    }
}

pub fn decide(ev: &Evidence, checks: CheckOutput) -> Verdict {
    let symptom = symptom(ev);
    let mut findings = checks.findings;
    findings.sort_by_key(|f| std::cmp::Reverse(rank_key(f, symptom.class)));
    let unverified = checks.unverified;
    let top = findings.first().filter(|f| f.severity >= Severity::High);
    let top_explains = top.is_some_and(|f| explains(f).contains(&symptom.class));

    let status = match top {
        Some(_) => Status::Fail,
        None if symptom.failing && !unverified.is_empty() => Status::Incomplete,
        None if symptom.failing => Status::Fail,
        None if !symptom.seen && !unverified.is_empty() => Status::Incomplete,
        None if findings.iter().any(|f| f.severity >= Severity::Low) => Status::Warn,
        None => Status::Pass,
    };
    let primary = top.map(|f| f.id.clone());
    let could_not = if unverified.is_empty() {
        String::new()
    } else {
        let actions: Vec<&str> = unverified.iter().map(|u| u.reason.as_str()).collect();
        format!(
            " Could not verify {} item(s) that may hide the cause ({}).",
            unverified.len(),
            dedup(actions).join("; ")
        )
    };
    let summary = match top {
        Some(f) if symptom.failing && !top_explains && symptom.class != SymptomClass::Healthy => format!(
            "{} Fix: {} Note: what viewers see ({}) is not what this finding predicts; {}.{could_not}",
            f.summary,
            f.remediation.summary,
            symptom.description,
            hint(symptom.class)
        ),
        Some(f) if !symptom.failing && symptom.seen => format!(
            "{} Fix: {} (The probed paths answer normally through CloudFront: {}.)",
            f.summary, f.remediation.summary, symptom.description
        ),
        Some(f) => format!("{} Fix: {}", f.summary, f.remediation.summary),
        None if symptom.failing => format!(
            "Through CloudFront: {}, but no check explains it{}; {}.{could_not}{}",
            symptom.description,
            if unverified.is_empty() { "" } else { " with the evidence that could be read" },
            hint(symptom.class),
            deciding_observation(ev, &unverified)
        ),
        None if !symptom.seen => format!("The distribution could not be probed.{could_not}"),
        None => match findings.iter().find(|f| f.severity >= Severity::Low) {
            Some(f) => format!(
                "Traffic works through CloudFront ({}), but there is a latent risk: {}",
                symptom.description, f.summary
            ),
            None => format!("No problem found. Through CloudFront: {}.{could_not}", symptom.description),
        },
    };
    Verdict { status, primary, summary, symptom, findings, unverified }
}

fn dedup(mut v: Vec<&str>) -> Vec<&str> {
    let mut seen = Vec::new();
    v.retain(|x| {
        if seen.contains(x) {
            false
        } else {
            seen.push(*x);
            true
        }
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{EvidenceItem, Remediation, Resource, Source};
    use crate::evidence::{CloudFrontErrorPage, Fetch, OriginProtocolPolicy, OriginResource};
    use crate::testing::*;

    fn finding(id: &str, severity: Severity) -> Finding {
        Finding {
            id: id.into(),
            severity,
            confidence: Confidence::High,
            title: id.into(),
            summary: format!("{id} summary."),
            observed: false,
            evidence: vec![EvidenceItem::new(Source::Config, "x", "y")],
            remediation: Remediation {
                fix: crate::checks::Fix::manual("the test needs none"),
                summary: format!("fix {id}."),
                steps: vec![],
                cli: vec![],
            },
            docs_url: "https://docs.aws.amazon.com/".into(),
            resources: vec![Resource { kind: "distribution".into(), id: "EFIXTURE".into() }],
        }
    }

    fn with_edge_status(status: u16, cloudfront_page: bool, total_ms: u64) -> Evidence {
        let mut ev = evidence(
            custom_origin("o1", "o.example", OriginProtocolPolicy::HttpsOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        let mut r = response(status, &[("Server", "CloudFront"), ("X-Cache", "Error from cloudfront")]);
        if cloudfront_page {
            r.cloudfront_error = Some(CloudFrontErrorPage { heading: format!("{status} ERROR"), reason: None });
        }
        let mut h = hop("https://d111.cloudfront.net/", HopResult::Response(r));
        h.timings.total_ms = total_ms;
        ev.observations.probes.push(probe(
            "edge:https:/",
            ProbeTarget::Edge { hostname: "d111.cloudfront.net".into(), scheme: Scheme::Https },
            vec![h],
            RedirectOutcome::Final,
        ));
        ev
    }

    #[test]
    fn the_finding_that_explains_the_symptom_ranks_first() {
        let ev = with_edge_status(504, true, 30_200);
        let checks = CheckOutput {
            findings: vec![
                finding("origin-cert-expired-or-not-yet-valid", Severity::Critical),
                finding("sg-blocks-cloudfront", Severity::High),
                finding("origin-tls-protocol-mismatch", Severity::Low),
            ],
            unverified: vec![],
        };
        let v = decide(&ev, checks);
        assert_eq!(v.symptom.class, SymptomClass::CloudFront504);
        assert_eq!(v.primary.as_deref(), Some("sg-blocks-cloudfront"));
        assert_eq!(v.status, Status::Fail);
        assert!(v.symptom.description.contains("30.2 s"));
    }

    #[test]
    fn latent_risks_never_become_primary_and_give_warn() {
        let mut ev = with_edge_status(504, true, 100);
        ev.observations.probes.clear();
        let mut h = hop("https://d111.cloudfront.net/", HopResult::Response(response(200, &[])));
        h.timings.total_ms = 50;
        ev.observations.probes.push(probe(
            "edge:https:/",
            ProbeTarget::Edge { hostname: "d111.cloudfront.net".into(), scheme: Scheme::Https },
            vec![h],
            RedirectOutcome::Final,
        ));
        let v = decide(
            &ev,
            CheckOutput {
                findings: vec![finding("origin-cert-expired-or-not-yet-valid", Severity::Medium)],
                unverified: vec![],
            },
        );
        assert_eq!(v.status, Status::Warn);
        assert_eq!(v.primary, None);
        assert!(v.summary.contains("latent risk"));
    }

    #[test]
    fn an_unexplained_failure_with_unverified_evidence_is_incomplete_and_says_what_is_missing() {
        let ev = with_edge_status(504, true, 30_000);
        let v = decide(
            &ev,
            CheckOutput {
                findings: vec![],
                unverified: vec![Unverified {
                    what: "security groups of the load balancer".into(),
                    reason: "access denied for ec2:DescribeSecurityGroups".into(),
                    check: "sg-blocks-cloudfront".into(),
                }],
            },
        );
        assert_eq!(v.status, Status::Incomplete);
        assert_eq!(v.primary, None);
        assert!(v.summary.contains("ec2:DescribeSecurityGroups"), "{}", v.summary);
        assert!(v.summary.contains("host firewalls"), "{}", v.summary);
    }

    #[test]
    fn signals_that_disagree_are_said_so() {
        let ev = with_edge_status(504, true, 30_000);
        let v = decide(
            &ev,
            CheckOutput { findings: vec![finding("method-not-allowed", Severity::High)], unverified: vec![] },
        );
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("not what this finding predicts"), "{}", v.summary);
    }

    #[test]
    fn origin_generated_errors_are_told_apart_from_cloudfronts() {
        let mut ev = with_edge_status(502, false, 100);
        if let HopResult::Response(r) = &mut ev.observations.probes[0].hops[0].result {
            r.headers = vec![crate::evidence::Header { name: "Server".into(), value: "awselb/2.0".into() }];
            r.body_sample = "<html>502 Bad Gateway</html>".into();
        }
        assert_eq!(symptom(&ev).class, SymptomClass::OriginError);
        assert_eq!(symptom(&with_edge_status(502, true, 100)).class, SymptomClass::CloudFront502);
    }

    #[test]
    fn cloudfronts_own_413_is_a_4xx_symptom_that_request_too_large_explains() {
        let ev = with_edge_status(413, true, 20);
        assert_eq!(symptom(&ev).class, SymptomClass::CloudFront4xx);
        let v = decide(
            &ev,
            CheckOutput {
                findings: vec![
                    finding("origin-tls-protocol-mismatch", Severity::Critical),
                    finding("request-too-large", Severity::Critical),
                ],
                unverified: vec![],
            },
        );
        assert_eq!(v.primary.as_deref(), Some("request-too-large"));
    }

    #[test]
    fn a_421_is_a_misdirected_request_that_its_check_explains() {
        let ev = with_edge_status(421, true, 80);
        assert_eq!(symptom(&ev).class, SymptomClass::MisdirectedRequest);
        let v = decide(
            &ev,
            CheckOutput {
                findings: vec![
                    finding("origin-read-timeout", Severity::High),
                    finding("misdirected-request-certificate", Severity::High),
                ],
                unverified: vec![],
            },
        );
        assert_eq!(v.primary.as_deref(), Some("misdirected-request-certificate"));
    }

    #[test]
    fn failures_in_some_samples_make_a_healthy_single_probe_an_intermittent_failure() {
        use crate::evidence::{Sample, SampleSeries};
        let mut ev = with_edge_status(200, false, 40);
        let sample =
            |class: AnswerClass| Sample { class, status: None, connect_ms: None, first_byte_ms: None, total_ms: 90 };
        let cf502 = AnswerClass::Cloudfront { status: 502, reason: None };
        let mut samples = vec![sample(AnswerClass::Success); 15];
        samples.extend(vec![sample(cf502); 5]);
        ev.observations.samples.push(SampleSeries {
            probe_id: "edge:d.example:https:/".into(),
            target: ProbeTarget::Edge { hostname: "d.example".into(), scheme: Scheme::Https },
            url: "https://d.example/".into(),
            viewer_path: Some("/".into()),
            requested: 20,
            samples,
            not_sent: 0,
        });
        let v = decide(&ev, CheckOutput::default());
        assert_eq!(v.symptom.class, SymptomClass::CloudFront502);
        assert!(v.symptom.failing);
        assert_eq!(
            v.symptom.description,
            "intermittent: 5 of 20 requests to https://d.example/ got CloudFront's 502 in 0.1 s"
        );
        assert_ne!(v.status, Status::Pass);
        assert!(v.summary.contains("intermittent: 5 of 20"), "{}", v.summary);
    }

    #[test]
    fn nothing_found_on_a_healthy_distribution_passes() {
        let mut ev = with_edge_status(200, false, 10);
        ev.observations.probes[0].hops[0].result = HopResult::Response(response(200, &[]));
        let v = decide(&ev, CheckOutput::default());
        assert_eq!(v.status, Status::Pass);
        assert!(v.summary.starts_with("No problem found"));
    }
}
