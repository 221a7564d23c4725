//! The AWS Lambda function: SDK config and clients built once, then one diagnosis per event.
//!
//! Logs are JSON lines (tracing) carrying the invocation's `requestId`; CloudWatch embedded
//! metric lines are printed by the handler.

use cf_origin_doctor::delivery::{PublishSettings, SnsPublisher};
use cf_origin_doctor::engine::Engine;
use cf_origin_doctor::error::DiagnoseError;
use cf_origin_doctor::inventory::aws::{SdkApi, assume_role, load_sdk_config};
use cf_origin_doctor::lambda::{
    Function, RawEvent, RoleEngines, log_sources_from_env, parse_options_from_env, settings_from_env,
};
use cf_origin_doctor::request::ProbeSettings;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_default();
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .with_env_filter(
            EnvFilter::try_new(if level.is_empty() { "info" } else { &level })
                .unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let env = |k: &str| std::env::var(k).ok();
    let settings = settings_from_env(env).map_err(|e| e.to_string())?;
    let parse = parse_options_from_env(env).map_err(|e| e.to_string())?;
    let publish = PublishSettings::from_env(env)?;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "unknown region".into());
    let config = load_sdk_config().await;
    let probed_from = format!("AWS Lambda in {region} (its own network address, not a CloudFront address)");
    let log_sources = log_sources_from_env(env);
    let engine = Engine::new(SdkApi::new(config.clone()), settings, probed_from.clone())
        .map_err(|e| e.to_string())?
        .with_log_sources(log_sources.clone());
    let roles = StsRoles {
        config: config.clone(),
        settings: engine.settings().clone(),
        probed_from: probed_from.clone(),
        log_sources,
    };
    let function = Function { engine, publisher: SnsPublisher::new(&config), publish, parse, roles };
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<RawEvent>| async move {
        let remaining = remaining(event.context.deadline);
        function.handle(event.payload, remaining).await.map_err(Diagnostic::from)
    }))
    .await
}

/// Engines reading AWS through a role given in the request (`sts:AssumeRole`; the template
/// grants it only on the role ARNs given as a parameter).
struct StsRoles {
    config: aws_config::SdkConfig,
    settings: ProbeSettings,
    probed_from: String,
    log_sources: cf_origin_doctor::inventory::cloudfront_view::LogSources,
}

impl RoleEngines<SdkApi> for StsRoles {
    async fn engine_for(&self, role_arn: &str) -> Result<Engine<SdkApi>, DiagnoseError> {
        let config = assume_role(&self.config, role_arn, None).await;
        Ok(Engine::new(SdkApi::new(config), self.settings.clone(), self.probed_from.clone())?
            .with_log_sources(self.log_sources.clone()))
    }
}

fn remaining(deadline_ms: u64) -> Option<Duration> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
    (deadline_ms > now).then(|| Duration::from_millis(deadline_ms - now))
}
