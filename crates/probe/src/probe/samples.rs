//! Repeated probes and the keep-alive probe (`--samples N`).
//!
//! Each planned probe is repeated N times, one request at a time and one series after another
//! (the origin sees no burst the tool made), within the one probe-phase budget: each series may
//! use its share of what is left, and requests the budget leaves no room for are counted as not
//! sent. Redirects are not followed: a sample is about the first answer.
//!
//! Beside the series, one request per origin on a persistent connection, as CloudFront reuses
//! its origin connections, then a wait of `OriginKeepaliveTimeout` plus a margin for the origin
//! to close it: an origin that closes idle connections first races CloudFront's reuse
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginKeepaliveTimeout>).

use super::http::{self, Context};
use super::tls::TlsConfigs;
use crate::evidence::{
    AnswerClass, HopResult, KEEPALIVE_MARGIN_MS, KeepaliveObservation, KeepaliveOutcome, ProbeTarget, Sample,
    SampleSeries,
};
use crate::plan::{KeepaliveSpec, PlannedProbe, ProbePlan};
use crate::request::ProbeSettings;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::time::{Instant as TokioInstant, timeout_at};

/// A close this soon after the response is the origin not keeping connections at all.
const CLOSED_AT_ONCE_MS: u64 = 200;

/// Runs the plan's series and keep-alive probes until `deadline`.
pub async fn run(
    plan: &ProbePlan,
    settings: &ProbeSettings,
    tls: &TlsConfigs,
    deadline: TokioInstant,
) -> (Vec<SampleSeries>, Vec<KeepaliveObservation>) {
    if plan.samples < 2 {
        return (Vec::new(), Vec::new());
    }
    let probes: Vec<&PlannedProbe> =
        plan.sampled.iter().filter_map(|id| plan.probes.iter().find(|p| &p.id == id)).collect();
    let keepalive =
        futures_util::future::join_all(plan.keepalive.iter().map(|k| keepalive(k, settings, tls, deadline)));
    let series = async {
        let mut out = Vec::new();
        for (i, p) in probes.iter().enumerate() {
            // This series' share of what is left; what it does not use goes to the next ones.
            let left = deadline.saturating_duration_since(TokioInstant::now());
            let share = left / u32::try_from(probes.len().saturating_sub(i)).unwrap_or(1).max(1);
            let until = TokioInstant::now().checked_add(share).map_or(deadline, |t| t.min(deadline));
            out.push(series(p, plan.samples, settings, tls, until).await);
        }
        out
    };
    tokio::join!(series, keepalive)
}

fn context<'a>(settings: &'a ProbeSettings, tls: Arc<rustls::ClientConfig>, deadline: TokioInstant) -> Context<'a> {
    Context {
        limits: &settings.limits,
        overrides: &settings.connect_to,
        allow_private: settings.allow_private_targets,
        tls,
        deadline,
        dns_server: settings.dns_server,
    }
}

async fn series(
    p: &PlannedProbe,
    samples: u32,
    settings: &ProbeSettings,
    tls: &TlsConfigs,
    until: TokioInstant,
) -> SampleSeries {
    let config = match p.target {
        ProbeTarget::Origin { .. } => tls.cloudfront_to_origin.clone(),
        ProbeTarget::Edge { .. } => tls.viewer.clone(),
    };
    let ctx = context(settings, config, until);
    let mut out = SampleSeries {
        probe_id: p.id.clone(),
        target: p.target.clone(),
        url: p.exchange.url(),
        viewer_path: Some(p.viewer_path.clone()),
        requested: samples,
        samples: Vec::new(),
        not_sent: 0,
    };
    for sent in 0..samples {
        if TokioInstant::now() >= until {
            out.not_sent = samples.saturating_sub(sent);
            break;
        }
        let hop = http::run(&p.exchange, &ctx).await;
        let class = match &hop.result {
            HopResult::Response(r) => {
                Some(AnswerClass::of_status(r.status, r.cloudfront_error.is_some(), r.cloudfront_reason().cloned()))
            }
            // Cut by this series' share of the budget: not a failure of the origin.
            HopResult::Error(_) if TokioInstant::now() >= until => None,
            HopResult::Error(e) => Some(AnswerClass::of_error(e.stage).unwrap_or(AnswerClass::Timeout)),
        };
        let Some(class) = class else {
            out.not_sent = samples.saturating_sub(sent);
            break;
        };
        out.samples.push(Sample {
            class,
            status: hop.response().map(|r| r.status),
            connect_ms: hop.timings.connect_ms,
            first_byte_ms: hop.timings.first_byte_ms,
            total_ms: hop.timings.total_ms,
        });
    }
    out
}

/// One request on a persistent connection, then the wait for the origin to close it.
async fn keepalive(
    k: &KeepaliveSpec,
    settings: &ProbeSettings,
    tls: &TlsConfigs,
    deadline: TokioInstant,
) -> KeepaliveObservation {
    let ctx = context(settings, tls.cloudfront_to_origin.clone(), deadline);
    let (hop, stream) = http::run_keeping(&k.exchange, &ctx, true).await;
    let keep_alive_header = hop.response().and_then(|r| r.header("keep-alive")).map(str::to_string);
    let outcome = match (&hop.result, stream) {
        (HopResult::Error(e), _) => KeepaliveOutcome::NotMeasured { reason: e.message.clone() },
        (HopResult::Response(r), None) => {
            if r.header("connection").is_some_and(|v| v.to_ascii_lowercase().contains("close")) {
                KeepaliveOutcome::NotKept { detail: "the origin answered with Connection: close".into() }
            } else {
                KeepaliveOutcome::NotMeasured { reason: "the response was not read to its end".into() }
            }
        }
        (HopResult::Response(_), Some(mut s)) => {
            let idle_since = Instant::now();
            let wait =
                Duration::from_millis(u64::from(k.keepalive_timeout_s).saturating_mul(1000) + KEEPALIVE_MARGIN_MS);
            let until = TokioInstant::now().checked_add(wait).map_or(deadline, |t| t.min(deadline));
            let mut buf = vec![0u8; 4096];
            let mut extra = 0usize;
            loop {
                match timeout_at(until, s.read(&mut buf)).await {
                    Err(_) => break KeepaliveOutcome::StillOpen { after_ms: idle_since.elapsed().as_millis() as u64 },
                    // Some servers send a last answer (a 408) before closing: read on to the
                    // close, bounded in bytes.
                    Ok(Ok(n)) if n > 0 && extra < 64 * 1024 => extra = extra.saturating_add(n),
                    Ok(_) => {
                        let after_ms = idle_since.elapsed().as_millis() as u64;
                        break if after_ms < CLOSED_AT_ONCE_MS {
                            KeepaliveOutcome::NotKept {
                                detail: format!("the origin closed the connection {after_ms} ms after the response"),
                            }
                        } else {
                            KeepaliveOutcome::ClosedIdle { after_ms }
                        };
                    }
                }
            }
        }
    };
    KeepaliveObservation { origin_id: k.origin_id.clone(), url: hop.url.clone(), outcome, keep_alive_header }
}
