//! The pipeline: request → inventory → plan → probes → checks → verdict → report.
//! The CLI and the Lambda both call [`Engine::diagnose`]; `replay` calls [`evaluate`].

use crate::error::DiagnoseError;
use crate::evidence::{EVIDENCE_SCHEMA_VERSION, Evidence, RequestEcho, Scrubber};
use crate::inventory::{self, AwsApi};
use crate::plan;
use crate::probe::{self, TlsConfigs};
use crate::request::{DiagnoseRequest, ProbeSettings};
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
        let tls_plan = crate::plan_tls::plan(&inventory);
        self.say(&format!(
            "{} AWS call(s) done; probing {} target(s), {} request ladder(s) and {} TLS handshake(s) (budget {} s)",
            inventory.calls.len(),
            plan.probes.len(),
            plan.ladders.len(),
            tls_plan.len(),
            settings.limits.phase_budget.as_secs()
        ));
        let tls_deadline = tokio::time::Instant::now() + settings.limits.phase_budget;
        let (mut observations, tls) = tokio::join!(
            probe::run(&plan, settings, &self.tls, &self.probed_from),
            probe::tls_scan::run(&tls_plan, settings, tls_deadline)
        );
        observations.tls = tls;
        // CloudFront's own records are scrubbed with the rest (a logged path could carry a value
        // the distribution sends as a secret header).
        observations.cloudfront = cloudfront_view;
        // An origin can reflect the secrets CloudFront sends it (echoed headers, a Location, a
        // cookie, encoded or not); every string the probes recorded is scrubbed here, before
        // any check, report, log line or evidence file can read it. The redirects were
        // followed with the real URLs, in memory only.
        let probed_from = observations.probed_from.clone();
        let mut observations = Scrubber::for_inventory(&inventory).scrub_record(observations).unwrap_or_else(|e| {
            // Failing closed: without a scrubbed copy no observation may be kept.
            tracing::error!(error = %e, "the probe observations could not be scrubbed; they are dropped");
            crate::evidence::Observations { probed_from, ..Default::default() }
        });
        // An HTTPS probe that failed only because its TLS stack cannot speak what CloudFront's
        // raw hello got (TLS 1.0/1.1, CBC) is recorded as not observed, not as a TLS failure.
        probe::tls_reach::mark_unreachable_tls(&mut observations);
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
            },
            inventory,
            observations,
        })
    }

    pub async fn diagnose(&self, request: &DiagnoseRequest) -> Result<Diagnosis, DiagnoseError> {
        self.diagnose_with(request, &self.settings).await
    }

    pub async fn diagnose_with(
        &self,
        request: &DiagnoseRequest,
        settings: &ProbeSettings,
    ) -> Result<Diagnosis, DiagnoseError> {
        Ok(evaluate(self.collect_with(request, settings).await?))
    }
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
