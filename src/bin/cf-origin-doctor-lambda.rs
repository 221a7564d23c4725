//! The AWS Lambda function: SDK config and clients built once, then one diagnosis per event.

use cf_origin_doctor::engine::Engine;
use cf_origin_doctor::inventory::aws::{SdkApi, load_sdk_config};
use cf_origin_doctor::lambda::{diagnostic, handle, settings_from_env};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = settings_from_env(|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "unknown region".into());
    let engine = Engine::new(
        SdkApi::new(load_sdk_config().await),
        settings,
        format!("AWS Lambda in {region} (its own network address, not a CloudFront address)"),
    )
    .map_err(|e| e.to_string())?;
    let engine = &engine;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let remaining = remaining(event.context.deadline);
        handle(engine, event.payload, remaining).await.map_err(|e| -> Diagnostic { diagnostic(&e) })
    }))
    .await
}

fn remaining(deadline_ms: u64) -> Option<Duration> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
    (deadline_ms > now).then(|| Duration::from_millis(deadline_ms - now))
}
