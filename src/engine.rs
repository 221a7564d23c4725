//! The pipeline: request → inventory → plan → probes → checks → verdict → report.
//! The CLI and the Lambda both call [`Engine::diagnose`]; `replay` calls [`evaluate`].

use crate::error::DiagnoseError;
use crate::evidence::{
    EVIDENCE_SCHEMA_VERSION, Evidence, FixProbes, Inventory, Observations, ProposedEvidence, RequestEcho, Scrubber,
};
use crate::inventory::distribution_config::ProposedConfig;
use crate::inventory::{self, AwsApi};
use crate::plan::{self, ProbePlan};
use crate::probe::{self, TlsConfigs};
use crate::request::{DiagnoseRequest, ProbeLimits, ProbeSettings};
use cf_origin_doctor_diagnosis::fix_check;
pub use cf_origin_doctor_diagnosis::{Diagnosis, evaluate};
use std::time::SystemTime;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Receives one-line progress messages (the CLI prints them on a terminal's stderr).
pub type Progress = Box<dyn Fn(&str) + Send + Sync>;

pub struct Engine<A> {
    api: A,
    settings: ProbeSettings,
    tls: TlsConfigs,
    probed_from: String,
    progress: Option<Progress>,
    log_bounds: inventory::cloudfront_view::LogBounds,
    log_sources: Option<inventory::cloudfront_view::LogSources>,
}

impl<A: AwsApi> Engine<A> {
    /// `probed_from` says where probes run from, for the report (e.g. "this host (CLI)").
    pub fn new(api: A, settings: ProbeSettings, probed_from: impl Into<String>) -> Result<Self, DiagnoseError> {
        let tls = TlsConfigs::new(settings.extra_roots_pem.as_deref())
            .map_err(|e| DiagnoseError::InvalidRequest(e.to_string()))?;
        Ok(Engine {
            api,
            settings,
            tls,
            probed_from: probed_from.into(),
            progress: None,
            log_bounds: Default::default(),
            log_sources: None,
        })
    }

    /// The only log sources this engine may read, whatever a request asks (a deployment's).
    pub fn with_log_sources(mut self, sources: inventory::cloudfront_view::LogSources) -> Self {
        self.log_sources = Some(sources);
        self
    }

    /// How much of CloudFront's access logs one run may read.
    pub fn with_log_bounds(mut self, bounds: inventory::cloudfront_view::LogBounds) -> Self {
        self.log_bounds = bounds;
        self
    }

    /// Reports each stage as it starts.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    fn say(&self, message: &str) {
        if let Some(p) = &self.progress {
            p(message);
        }
    }

    /// The AWS API the engine reads through (to find a distribution by name on the same account).
    pub fn api(&self) -> &A {
        &self.api
    }

    pub fn settings(&self) -> &ProbeSettings {
        &self.settings
    }

    /// Gathers the evidence: AWS inventory, then the probes planned from it.
    pub async fn collect(&self, request: &DiagnoseRequest) -> Result<Evidence, DiagnoseError> {
        self.collect_with(request, &self.settings).await
    }

    /// As [`Engine::collect`], with other probe settings for this run (e.g. a shorter budget).
    pub async fn collect_with(
        &self,
        request: &DiagnoseRequest,
        settings: &ProbeSettings,
    ) -> Result<Evidence, DiagnoseError> {
        let now = SystemTime::now();
        self.say(&format!(
            "reading distribution {} and what stands behind its origins",
            request.distribution_id.as_str()
        ));
        let now_unix = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let (inventory, cloudfront_view) = match &self.log_sources {
            Some(sources) => {
                let mut request = request.clone();
                sources.apply(&mut request.view);
                Box::pin(inventory::gather_with_view(&self.api, &request, now_unix, self.log_bounds)).await?
            }
            None => Box::pin(inventory::gather_with_view(&self.api, request, now_unix, self.log_bounds)).await?,
        };
        let plan = plan::plan(&inventory, request);
        let observations =
            self.observe(&inventory, &plan, settings, Scrubber::for_inventory(&inventory), cloudfront_view).await;
        self.say("probes done; checking");
        let unix = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        Ok(Evidence {
            schema_version: EVIDENCE_SCHEMA_VERSION,
            collected_at: rfc3339(now),
            collected_at_unix: unix,
            request: RequestEcho {
                distribution_id: request.distribution_id.as_str().to_string(),
                paths: request.paths.clone(),
                expect: request.expect.clone(),
                method_probe_path: request.method_probe_path.clone(),
                located_by: request.located_by.clone(),
                samples: (request.samples > 1).then_some(request.samples),
            },
            inventory,
            observations,
            preflight: None,
        })
    }

    /// Runs a probe plan and CloudFront's TLS hellos toward the inventory's origins; every
    /// string recorded is scrubbed of the secrets `scrubber` knows.
    async fn observe(
        &self,
        inventory: &Inventory,
        plan: &ProbePlan,
        settings: &ProbeSettings,
        scrubber: Scrubber,
        cloudfront: Option<crate::evidence::CloudFrontView>,
    ) -> Observations {
        let tls_plan = crate::plan_tls::plan(inventory);
        let repeated = if plan.samples > 1 {
            format!(
                "; then {} probe(s) {} times each and the keep-alive of {} origin(s)",
                plan.sampled.len(),
                plan.samples,
                plan.keepalive.len()
            )
        } else {
            String::new()
        };
        self.say(&format!(
            "{} AWS call(s) done; probing {} target(s), {} request ladder(s) and {} TLS handshake(s){repeated} (budget {} s)",
            inventory.calls.len(),
            plan.probes.len(),
            plan.ladders.len(),
            tls_plan.len(),
            settings.limits.phase_budget.as_secs()
        ));
        let probed_from = self.probed_from.clone();
        let deadline = tokio::time::Instant::now() + settings.limits.phase_budget;
        self.probe_scrubbed(plan, &tls_plan, settings, deadline, &scrubber, cloudfront).await.unwrap_or_else(|e| {
            // Failing closed: without a scrubbed copy no observation may be kept.
            tracing::error!(error = %e, "the probe observations could not be scrubbed; they are dropped");
            Observations { probed_from, ..Default::default() }
        })
    }

    /// Runs a plan and CloudFront's TLS hellos, then scrubs every string recorded of the secrets
    /// `scrubber` knows (an error when a record does not survive the scrub).
    async fn probe_scrubbed(
        &self,
        plan: &ProbePlan,
        tls_plan: &[crate::plan_tls::PlannedTls],
        settings: &ProbeSettings,
        tls_deadline: tokio::time::Instant,
        scrubber: &Scrubber,
        cloudfront: Option<crate::evidence::CloudFrontView>,
    ) -> Result<Observations, serde_json::Error> {
        let (mut observations, tls) = tokio::join!(
            probe::run(plan, settings, &self.tls, &self.probed_from),
            probe::tls_scan::run(tls_plan, settings, tls_deadline)
        );
        observations.tls = tls;
        // CloudFront's own records are scrubbed with the rest (a logged path could carry a value
        // the distribution sends as a secret header).
        observations.cloudfront = cloudfront;
        // An origin can reflect the secrets CloudFront sends it (echoed headers, a Location, a
        // cookie, encoded or not); every string the probes recorded is scrubbed here, before
        // any check, report, log line or evidence file can read it. The redirects were
        // followed with the real URLs, in memory only.
        let mut observations = scrubber.scrub_record(observations)?;
        // An HTTPS probe that failed only because its TLS stack cannot speak what CloudFront's
        // raw hello got (TLS 1.0/1.1, CBC) is recorded as not observed, not as a TLS failure.
        probe::tls_reach::mark_unreachable_tls(&mut observations);
        Ok(observations)
    }

    /// [`Engine::preflight_with`] with the engine's probe settings.
    pub async fn preflight(
        &self,
        request: &DiagnoseRequest,
        proposed: &ProposedConfig,
        source: &str,
    ) -> Result<Diagnosis, DiagnoseError> {
        self.preflight_with(request, proposed, source, &self.settings).await
    }

    /// A pre-flight: the live diagnosis, then the proposed configuration (the live
    /// distribution's identity, `proposed` for everything else) read and probed the same way,
    /// except that nothing is sent through the distribution (the proposal is not deployed).
    /// Its checks, verdict and comparison with the live run come from [`evaluate`], so a
    /// recorded pre-flight replays alike. `source` names where the configuration came from.
    pub async fn preflight_with(
        &self,
        request: &DiagnoseRequest,
        proposed: &ProposedConfig,
        source: &str,
        settings: &ProbeSettings,
    ) -> Result<Diagnosis, DiagnoseError> {
        let mut evidence = self.collect_with(request, settings).await?;
        self.say("reading what stands behind the proposed configuration's origins");
        let distribution = proposed.applied_to(&evidence.inventory.distribution);
        let inventory = inventory::gather_for(&self.api, distribution).await;
        let plan = plan::origins_only(plan::plan(&inventory, request));
        let scrubber = Scrubber::for_inventories(&[&evidence.inventory, &inventory]);
        let observations = self.observe(&inventory, &plan, settings, scrubber, None).await;
        self.say("proposed configuration's probes done; comparing");
        evidence.preflight = Some(Box::new(ProposedEvidence {
            source: source.to_string(),
            etag: proposed.etag.clone(),
            inventory,
            observations,
        }));
        Ok(evaluate(evidence))
    }

    pub async fn diagnose(&self, request: &DiagnoseRequest) -> Result<Diagnosis, DiagnoseError> {
        self.diagnose_with(request, &self.settings).await
    }

    /// Collects, evaluates, then checks the primary finding's fix ([`Engine::probe_fixes`]) and
    /// evaluates again with those observations in the evidence, as `replay` will.
    pub async fn diagnose_with(
        &self,
        request: &DiagnoseRequest,
        settings: &ProbeSettings,
    ) -> Result<Diagnosis, DiagnoseError> {
        let diagnosis = evaluate(self.collect_with(request, settings).await?);
        let wanted = fix_check::probe_requests(&diagnosis.evidence, &diagnosis.verdict);
        if wanted.is_empty() {
            return Ok(diagnosis);
        }
        let mut evidence = diagnosis.evidence;
        evidence.observations.fix_checks = self.probe_fixes(&wanted, &evidence.inventory, request, settings).await;
        Ok(evaluate(evidence))
    }

    /// Probes the origins as CloudFront would reach them after each fix: its requests and TLS
    /// handshakes planned again from a copy of the configuration with the fix applied, under
    /// the same limits and address rules, in an extra phase of [`fix_phase_budget`]. Edge
    /// probes and request ladders are not re-run (the distribution itself is unchanged). A
    /// plan that would connect to a host the recorded distribution does not name is not run.
    async fn probe_fixes(
        &self,
        wanted: &[fix_check::ProbeRequest],
        recorded: &Inventory,
        request: &DiagnoseRequest,
        settings: &ProbeSettings,
    ) -> Vec<FixProbes> {
        let mut settings = settings.clone();
        settings.limits.phase_budget = fix_phase_budget(&settings.limits);
        let named: Vec<String> = recorded
            .distribution
            .origins
            .iter()
            .map(|o| o.domain_name.trim_end_matches('.').to_ascii_lowercase())
            .collect();
        let is_named = |h: &str| named.iter().any(|n| n == &h.trim_end_matches('.').to_ascii_lowercase());
        let scrubber = Scrubber::for_inventory(recorded);
        self.say(&format!(
            "checking the primary finding's fix: probing the origins again with {} change(s) applied (budget {} s)",
            wanted.len(),
            settings.limits.phase_budget.as_secs()
        ));
        let deadline = tokio::time::Instant::now() + settings.limits.phase_budget;
        let runs = wanted.iter().map(|w| {
            let mut plan = plan::origins_only(plan::plan(&w.inventory, request));
            // Neither the ladders nor repeated requests (whose samples a fix check does not
            // read) are sent again: the phase's budget is for CloudFront's own requests.
            plan.ladders.clear();
            plan.samples = 1;
            plan.sampled.clear();
            plan.keepalive.clear();
            let tls_plan = crate::plan_tls::plan(&w.inventory);
            let safe = plan.probes.iter().all(|p| is_named(&p.exchange.connect_host))
                && plan.tcp_targets.iter().all(|t| is_named(&t.host))
                && tls_plan.iter().all(|t| is_named(&t.host));
            let settings = &settings;
            let scrubber = &scrubber;
            async move {
                if !safe {
                    tracing::warn!(finding = %w.finding_id, "a fix names a host the distribution does not: not probed");
                    return None;
                }
                let obs = match self.probe_scrubbed(&plan, &tls_plan, settings, deadline, scrubber, None).await {
                    Ok(obs) => obs,
                    Err(e) => {
                        // Failing closed, as for the diagnosis's own probes.
                        tracing::error!(error = %e, "the fix probes could not be scrubbed; they are dropped");
                        return None;
                    }
                };
                Some(FixProbes {
                    finding_id: w.finding_id.clone(),
                    alternative: w.alternative,
                    changes: w.changes.clone(),
                    probes: obs.probes,
                    skipped: obs.skipped,
                    dns: obs.dns,
                    tcp: obs.tcp,
                    tls: obs.tls,
                })
            }
        });
        futures_util::future::join_all(runs).await.into_iter().flatten().collect()
    }
}

/// The extra probe phase that checks fixes: a third of the diagnosis's own budget (20 s by
/// default), so the whole run stays within a known bound.
pub fn fix_phase_budget(limits: &ProbeLimits) -> std::time::Duration {
    limits.phase_budget / 3
}

/// RFC 3339 in UTC with microseconds when there are any (`2026-11-26T19:35:14.500978Z`, the
/// trailing zeros of the fraction dropped); digits below the microsecond are cut, not rounded.
/// A clock before 1970, or past year 9999 (beyond RFC 3339's four-digit year), gives the epoch.
fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs())
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|at| at.replace_nanosecond(since.subsec_micros() * 1000).ok())
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::rfc3339;
    use std::time::{Duration, SystemTime};

    fn at(secs: u64, micros: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros)
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(at(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400, 0)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(951_868_799, 0)), "2000-02-29T23:59:59Z");
        assert_eq!(rfc3339(at(4_107_542_400, 0)), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339(at(1_700_000_000, 500_000)), "2023-11-14T22:13:20.5Z");
        assert_eq!(rfc3339(at(1_700_000_000, 978)), "2023-11-14T22:13:20.000978Z");
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH - Duration::from_secs(1)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(1_700_000_000, 0) + Duration::from_nanos(999)), "2023-11-14T22:13:20Z", "cut");
        assert_eq!(rfc3339(at(253_402_300_799, 999_999)), "9999-12-31T23:59:59.999999Z");
        assert_eq!(rfc3339(at(253_402_300_800, 0)), "1970-01-01T00:00:00Z", "year 10000");
    }

    /// Same text as the SDK's formatter (which the engine used before the `aws` feature existed),
    /// so recorded evidence keeps one format.
    #[cfg(feature = "aws")]
    #[test]
    fn timestamps_match_the_sdk_formatter() {
        use aws_smithy_types::date_time::{DateTime, Format};
        let mut secs: u64 = 0;
        while secs < 253_402_300_799 {
            let t = at(secs, secs % 1_000_000);
            assert_eq!(rfc3339(t), DateTime::from(t).fmt(Format::DateTime).unwrap(), "at {secs}");
            secs += 7_777_777 + secs % 86_400;
        }
    }
}
