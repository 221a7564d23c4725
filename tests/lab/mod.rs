//! The bundled local lab: the AWS API emulator (moto), real origin servers on loopback with
//! real TLS from a test CA, and a stand-in for the CloudFront edge. Used by the integration
//! tests and by `cargo run --example lab` (the README demo).
#![allow(dead_code)]

pub mod edge;
pub mod moto;
pub mod origin;
pub mod pki;
pub mod runtime_api;
pub mod seed;
pub mod server;
pub mod tls_origin;

use aws_config::SdkConfig;
use cf_origin_doctor::engine::Engine;
use cf_origin_doctor::inventory::aws::{SdkApi, config_loader};
use cf_origin_doctor::request::{ConnectTo, ProbeLimits, ProbeSettings};
use std::io::Write;
use std::time::Duration;

/// The named situations the lab can stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// ALB with HTTP and HTTPS listeners forwarding to the app; CloudFront https-only with a
    /// certificate that covers the ALB's name. Everything works.
    Healthy,
    /// The seed's worked example: origin protocol policy http-only, the ALB's HTTP:80 listener
    /// redirects to HTTPS, Host forwarded: viewers loop.
    RedirectLoop,
    /// https-only origin whose certificate covers `app.example.com` but not the ALB's name.
    TlsNameMismatchOriginDomain,
    /// The origin serves a self-signed certificate for the ALB's name.
    TlsUntrusted,
    /// The origin's certificate expired in 2020.
    TlsExpired,
    /// The origin's certificate is issued by an intermediate that it does not send.
    TlsIncompleteChain,
    /// Twin of `TlsIncompleteChain`: the same kind of certificate served with its intermediate.
    TlsFullChain,
    /// The origin accepts only TLS 1.3.
    Tls13Only,
}

impl Scenario {
    pub fn parse(name: &str) -> Option<Scenario> {
        match name {
            "healthy" => Some(Scenario::Healthy),
            "redirect-loop" => Some(Scenario::RedirectLoop),
            "tls-name-mismatch" => Some(Scenario::TlsNameMismatchOriginDomain),
            "tls-untrusted" => Some(Scenario::TlsUntrusted),
            "tls-expired" => Some(Scenario::TlsExpired),
            "tls-incomplete-chain" => Some(Scenario::TlsIncompleteChain),
            "tls-full-chain" => Some(Scenario::TlsFullChain),
            "tls13-only" => Some(Scenario::Tls13Only),
            _ => None,
        }
    }

    pub fn names() -> &'static [&'static str] {
        &[
            "healthy",
            "redirect-loop",
            "tls-name-mismatch",
            "tls-untrusted",
            "tls-expired",
            "tls-incomplete-chain",
            "tls-full-chain",
            "tls13-only",
        ]
    }
}

pub struct Lab {
    pub moto: moto::Moto,
    pub sdk: SdkConfig,
    pub ca: pki::TestCa,
    pub ca_file: tempfile::NamedTempFile,
    pub connect_to: Vec<ConnectTo>,
    pub distribution_id: String,
    pub domain_name: String,
    pub alb: seed::Alb,
    pub origins: Vec<(u16, origin::Origin)>,
    pub edge: edge::Edge,
}

/// SDK configuration for the emulator: fixed region and dummy credentials, retries off (the
/// emulator answers unimplemented calls with 500, and retries only make those slow).
pub async fn emulator_config(endpoint: &str) -> SdkConfig {
    config_loader()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudfront::config::Credentials::new("lab", "lab", None, None, "lab"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

impl Lab {
    pub async fn start(scenario: Scenario) -> Lab {
        let moto = tokio::task::spawn_blocking(moto::Moto::start).await.expect("start emulator");
        let sdk = emulator_config(&moto.endpoint).await;
        let ca = pki::TestCa::new();
        let mut ca_file = tempfile::NamedTempFile::new().expect("ca temp file");
        ca_file.write_all(ca.pem().as_bytes()).expect("write ca");

        let name = format!(
            "lab-{}",
            match scenario {
                Scenario::Healthy => "healthy",
                Scenario::RedirectLoop => "loop",
                Scenario::TlsNameMismatchOriginDomain => "tls-name",
                Scenario::TlsUntrusted => "tls-untrusted",
                Scenario::TlsExpired => "tls-expired",
                Scenario::TlsIncompleteChain => "tls-incomplete",
                Scenario::TlsFullChain => "tls-fullchain",
                Scenario::Tls13Only => "tls13-only",
            }
        );
        let http_action = match scenario {
            Scenario::Healthy => seed::ListenerAction::Forward,
            Scenario::RedirectLoop => seed::ListenerAction::RedirectToHttps,
            _ => seed::ListenerAction::Forward,
        };
        let listeners = vec![
            seed::ListenerSpec { port: 80, https: false, action: http_action },
            seed::ListenerSpec { port: 443, https: true, action: seed::ListenerAction::Forward },
        ];
        let alb = seed::create_alb(&sdk, &name, &listeners).await;
        let alb_dns = alb.dns_name.to_ascii_lowercase();

        let mut spec = seed::DistributionSpec::new(&alb.dns_name);
        if scenario == Scenario::RedirectLoop {
            spec.protocol_policy = "http-only";
            spec.viewer_protocol_policy = "allow-all";
            spec.cache_policy_id = None;
            spec.origin_request_policy_id = None;
            spec.legacy_headers = vec!["Host"];
        }
        let (distribution_id, domain_name) = seed::create_distribution(&sdk, &spec).await;

        // Origin stand-ins that do what the seeded listeners say.
        let mut origins = Vec::new();
        let mut connect_to = Vec::new();
        for (l, _arn) in &alb.listeners {
            let behavior = match &l.action {
                seed::ListenerAction::Forward => origin::Behavior::App,
                seed::ListenerAction::RedirectToHttps => origin::Behavior::RedirectToHttps,
                seed::ListenerAction::Fixed { status, body } => {
                    origin::Behavior::Fixed { status: *status, body: body.clone() }
                }
            };
            let tls = l.https.then(|| ca.leaf(&[alb_dns.as_str()]));
            let o = match tls_origin::scenario_setup(scenario, &ca, &alb_dns).filter(|_| l.https) {
                Some(setup) => origin::start_tls(behavior, &setup).await,
                None => origin::start(behavior, tls).await,
            };
            connect_to.push(ConnectTo { host: alb_dns.clone(), port: l.port, target: o.server.addr });
            origins.push((l.port, o));
        }

        let api = SdkApi::new(sdk.clone());
        let viewer_cert = ca.leaf(&[domain_name.as_str(), "*.cloudfront.net"]);
        let edge = edge::start(
            &api,
            &distribution_id,
            viewer_cert,
            edge::EdgeOptions { connect_to: connect_to.clone(), origin_roots_pem: ca.pem(), timeout_scale: 0.1 },
        )
        .await;
        connect_to.push(ConnectTo { host: domain_name.to_ascii_lowercase(), port: 443, target: edge.https.addr });
        connect_to.push(ConnectTo { host: domain_name.to_ascii_lowercase(), port: 80, target: edge.http.addr });

        Lab { moto, sdk, ca, ca_file, connect_to, distribution_id, domain_name, alb, origins, edge }
    }

    /// Probe settings that reach the lab: overrides, the lab CA, loopback allowed, short bounds.
    pub fn probe_settings(&self) -> ProbeSettings {
        ProbeSettings {
            connect_to: self.connect_to.clone(),
            extra_roots_pem: Some(self.ca.pem().into_bytes()),
            allow_private_targets: true,
            limits: ProbeLimits {
                connect_timeout: Duration::from_secs(2),
                tls_timeout: Duration::from_secs(2),
                first_byte_timeout: Duration::from_secs(5),
                hop_timeout: Duration::from_secs(8),
                phase_budget: Duration::from_secs(20),
                ..ProbeLimits::default()
            },
        }
    }

    pub fn engine(&self) -> Engine<SdkApi> {
        Engine::new(SdkApi::new(self.sdk.clone()), self.probe_settings(), "the lab host (loopback)").expect("engine")
    }

    /// The CLI flags that point a diagnosis at this lab.
    pub fn cli_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for c in &self.connect_to {
            args.push("--connect-to".to_string());
            args.push(format!("{}:{}:{}:{}", c.host, c.port, c.target.ip(), c.target.port()));
        }
        args.push("--ca-file".into());
        args.push(self.ca_file.path().display().to_string());
        args.push("--allow-private-targets".into());
        args
    }

    /// The standard AWS environment that points the SDK at the emulator.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.moto.endpoint.clone()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID".into(), "lab".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "lab".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("AWS_MAX_ATTEMPTS".into(), "1".into()),
        ]
    }

    /// The same settings as the Lambda function reads them from its environment.
    pub fn lambda_env(&self) -> Vec<(String, String)> {
        let mut env = self.aws_env();
        let list: Vec<String> = self
            .connect_to
            .iter()
            .map(|c| format!("{}:{}:{}:{}", c.host, c.port, c.target.ip(), c.target.port()))
            .collect();
        env.push(("CF_ORIGIN_DOCTOR_CONNECT_TO".into(), list.join(",")));
        env.push(("CF_ORIGIN_DOCTOR_CA_FILE".into(), self.ca_file.path().display().to_string()));
        env.push(("CF_ORIGIN_DOCTOR_ALLOW_PRIVATE_TARGETS".into(), "true".into()));
        env
    }
}
