//! The pipeline: request → inventory → plan → probes → checks → verdict → report.
//! The CLI and the Lambda both call [`Engine::diagnose`]; `replay` calls [`evaluate`].

use crate::error::DiagnoseError;
use crate::evidence::{EVIDENCE_SCHEMA_VERSION, Evidence, RequestEcho};
use crate::inventory::{self, AwsApi};
use crate::probe::{self, TlsConfigs};
use crate::report::ReportV1;
use crate::request::{DiagnoseRequest, ProbeSettings};
use crate::verdict::{self, Verdict};
use crate::{checks, plan};
use std::time::SystemTime;

/// Receives one-line progress messages (the CLI prints them on a terminal's stderr).
pub type Progress = Box<dyn Fn(&str) + Send + Sync>;

pub struct Engine<A> {
    api: A,
    settings: ProbeSettings,
    tls: TlsConfigs,
    probed_from: String,
    progress: Option<Progress>,
}

/// Everything a run produced: the evidence (recordable), the verdict and the public report.
pub struct Diagnosis {
    pub evidence: Evidence,
    pub verdict: Verdict,
    pub report: ReportV1,
}

impl<A: AwsApi> Engine<A> {
    /// `probed_from` says where probes run from, for the report (e.g. "this host (CLI)").
    pub fn new(api: A, settings: ProbeSettings, probed_from: impl Into<String>) -> Result<Self, DiagnoseError> {
        let tls = TlsConfigs::new(settings.extra_roots_pem.as_deref())
            .map_err(|e| DiagnoseError::InvalidRequest(e.to_string()))?;
        Ok(Engine { api, settings, tls, probed_from: probed_from.into(), progress: None })
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
        let inventory = inventory::gather(&self.api, request).await?;
        let plan = plan::plan(&inventory, request);
        let tls_plan = crate::plan_tls::plan(&inventory);
        self.say(&format!(
            "{} AWS call(s) done; probing {} target(s) and {} TLS handshake(s) (budget {} s)",
            inventory.calls.len(),
            plan.probes.len(),
            tls_plan.len(),
            settings.limits.phase_budget.as_secs()
        ));
        let tls_deadline = tokio::time::Instant::now() + settings.limits.phase_budget;
        let (mut observations, tls) = tokio::join!(
            probe::run(&plan, settings, &self.tls, &self.probed_from),
            probe::tls_scan::run(&tls_plan, settings, tls_deadline)
        );
        observations.tls = tls;
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

/// Checks and verdict over recorded evidence: pure, offline.
pub fn evaluate(evidence: Evidence) -> Diagnosis {
    let outputs = checks::run_all(&evidence);
    let verdict = verdict::decide(&evidence, outputs);
    let report = ReportV1::build(&evidence, &verdict);
    Diagnosis { evidence, verdict, report }
}

fn rfc3339(t: SystemTime) -> String {
    aws_smithy_types::DateTime::from(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}
