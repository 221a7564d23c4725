//! The bundled local lab: the AWS API emulator (moto), real origin servers on loopback with
//! real TLS from a test CA, and a stand-in for the CloudFront edge. Used by the integration
//! tests and by `cargo run --example lab` (the README demo).

// A panic here fails the test that staged the lab, not the tool.
#![allow(clippy::unwrap_used)]

pub mod aws_proxy;
pub mod dns;
pub mod edge;
pub mod flood;
pub mod hostile;
pub mod moto;
pub mod net_scenarios;
pub mod openssl_client;
pub mod openssl_origin;
pub mod origin;
pub mod pki;
pub mod runtime_api;
pub mod scenario;
pub mod seed;
pub mod seed_net;
pub mod server;
pub mod sweep_sizes;
pub mod tls_origin;

pub use scenario::{SCENARIOS, Scenario};

use aws_config::SdkConfig;
use cf_origin_doctor::engine::Engine;
use cf_origin_doctor::inventory::aws::{SdkApi, config_loader};
use cf_origin_doctor::request::{ConnectTo, ProbeLimits, ProbeSettings};
use std::io::Write;
use std::time::Duration;

/// The custom origin header every lab distribution sends, and its secret value.
pub const LAB_SECRET_HEADER: &str = "X-Origin-Verify";
pub const LAB_SECRET_VALUE: &str = "lab-secret-5f1e2d3c4b5a";

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
    /// The lab's DNS stand-in: the probes ask it instead of the system resolver, so no query
    /// leaves loopback (names with an override are never asked).
    pub dns: dns::DnsServer,
    /// The alias the scenario gives the distribution, if any.
    pub alias: Option<String>,
    /// Another distribution's edge, for scenarios where DNS leads elsewhere.
    pub other_edge: Option<edge::Edge>,
    /// Where the edge's connections go when the network silently drops CloudFront.
    pub black_hole: Option<server::BlackHole>,
    /// A legacy TLS origin (`openssl s_server`) on the HTTPS port, for scenarios that need one.
    pub legacy_origin: Option<openssl_origin::OpensslOrigin>,
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
    /// Stages `scenario` as its entry in [`SCENARIOS`] says.
    pub async fn start(scenario: Scenario) -> Lab {
        let def = scenario.def();
        let moto = tokio::task::spawn_blocking(moto::Moto::start).await.expect("start emulator");
        let sdk = emulator_config(&moto.endpoint).await;
        let ca = pki::TestCa::new();
        let mut ca_file = tempfile::NamedTempFile::new().expect("ca temp file");
        ca_file.write_all(ca.pem().as_bytes()).expect("write ca");

        let name = format!("lab-{}", def.short);
        let mut listeners = vec![seed::ListenerSpec { port: 80, https: false, action: def.http_listener.action() }];
        // Ports the load balancer does not listen on.
        let mut closed_ports = vec![];
        match def.https_listener {
            true => {
                listeners.push(seed::ListenerSpec { port: 443, https: true, action: seed::ListenerAction::Forward })
            }
            false => closed_ports.push(443),
        }
        let alb = seed::create_alb(&sdk, &name, &listeners).await;
        let alb_dns = alb.dns_name.to_ascii_lowercase();
        net_scenarios::apply(&sdk, def.network, &alb).await;

        let mut spec = seed::DistributionSpec::new(&alb.dns_name);
        // A shared secret CloudFront sends to the origin: it must never show up in evidence.
        spec.custom_headers = vec![(LAB_SECRET_HEADER.to_string(), LAB_SECRET_VALUE.to_string())];
        (def.distribution)(&mut spec);
        let nlb_dns = net_scenarios::nlb_origin(&sdk, def.network).await;
        if let Some(dns) = &nlb_dns {
            spec.origin_domain = dns.clone();
            spec.protocol_policy = "http-only";
        }
        let alias = (def.alias != scenario::Alias::None).then(|| format!("www.{}.lab.test", def.short));
        if let Some(a) = &alias {
            spec.aliases = vec![a.clone()];
        }
        let (distribution_id, domain_name) = seed::create_distribution(&sdk, &spec).await;
        let names = scenario::Names { alb: &alb_dns, domain: &domain_name, alias: alias.as_deref() };

        // Origin stand-ins that do what the seeded listeners say.
        let mut origins = Vec::new();
        let mut connect_to = Vec::new();
        let mut legacy_origin = None;
        for (l, _arn) in &alb.listeners {
            if let (true, scenario::OriginTls::Openssl(args)) = (l.https, def.origin_tls) {
                let o = openssl_origin::start(&ca.leaf(&[alb_dns.as_str()]), args);
                connect_to.push(ConnectTo { host: alb_dns.clone(), port: l.port, target: o.addr });
                legacy_origin = Some(o);
                continue;
            }
            let behavior = match (def.origin, &l.action) {
                (Some(origin), _) => origin(&names),
                (None, seed::ListenerAction::Forward) => origin::Behavior::App,
                (None, seed::ListenerAction::RedirectToHttps) => origin::Behavior::RedirectToHttps,
                (None, seed::ListenerAction::Fixed { status, body }) => {
                    origin::Behavior::Fixed { status: *status, body: body.clone() }
                }
            };
            let o = match (l.https, def.origin_tls) {
                (true, scenario::OriginTls::Setup(setup)) => origin::start_tls(behavior, &setup(&ca, &names)).await,
                (https, _) => origin::start(behavior, https.then(|| ca.leaf(&[alb_dns.as_str()]))).await,
            };
            if def.origin_resolves {
                connect_to.push(ConnectTo { host: alb_dns.clone(), port: l.port, target: o.server.addr });
            }
            origins.push((l.port, o));
        }

        if let Some(dns) = &nlb_dns {
            let o = origin::start(origin::Behavior::App, None).await;
            connect_to.push(ConnectTo { host: dns.to_ascii_lowercase(), port: 80, target: o.server.addr });
            origins.push((80, o));
        }
        // Ports nothing listens on are refused, to the prober and the edge alike.
        for port in closed_ports {
            connect_to.push(ConnectTo { host: alb_dns.clone(), port, target: server::refused_addr() });
        }
        // CloudFront's view of the origin: ports the network blocks for CloudFront are refused,
        // or time out where a security group or network ACL drops the packets silently.
        let blocked = def.edge.blocked_ports();
        let black_hole = match def.edge {
            scenario::Edge::DropsSilently(_) => Some(server::black_hole().await),
            scenario::Edge::Reaches | scenario::Edge::Refused(_) => None,
        };
        let blocked_target = black_hole.as_ref().map(|h| h.addr).unwrap_or_else(server::refused_addr);
        let edge_connect_to: Vec<ConnectTo> =
            connect_to
                .iter()
                .map(|c| {
                    if blocked.contains(&c.port) {
                        ConnectTo { target: blocked_target, ..c.clone() }
                    } else {
                        c.clone()
                    }
                })
                .collect();
        let api = SdkApi::new(sdk.clone());
        let mut viewer_names = vec![domain_name.as_str(), "*.cloudfront.net"];
        if let Some(a) = alias.as_ref().filter(|_| def.alias != scenario::Alias::NotOnViewerCertificate) {
            viewer_names.push(a.as_str());
        }
        let viewer_cert = ca.leaf(&viewer_names);
        let edge = edge::start(
            &api,
            &distribution_id,
            viewer_cert,
            edge::EdgeOptions { connect_to: edge_connect_to, origin_roots_pem: ca.pem(), timeout_scale: 0.1 },
        )
        .await;
        connect_to.push(ConnectTo { host: domain_name.to_ascii_lowercase(), port: 443, target: edge.https.addr });
        connect_to.push(ConnectTo { host: domain_name.to_ascii_lowercase(), port: 80, target: edge.http.addr });

        // The alias leads to this distribution's edge, or to another distribution's edge that
        // does not hold it.
        let mut other_edge = None;
        if let Some(a) = &alias {
            let (https, http) = if def.alias == scenario::Alias::LeadsElsewhere {
                let mut other = seed::DistributionSpec::new(&alb.dns_name);
                other.origin_id = "other-origin".into();
                let (other_id, other_domain) = seed::create_distribution(&sdk, &other).await;
                let e = edge::start(
                    &api,
                    &other_id,
                    ca.leaf(&[other_domain.as_str(), a.as_str()]),
                    edge::EdgeOptions {
                        connect_to: connect_to.clone(),
                        origin_roots_pem: ca.pem(),
                        timeout_scale: 0.1,
                    },
                )
                .await;
                let addrs = (e.https.addr, e.http.addr);
                other_edge = Some(e);
                addrs
            } else {
                (edge.https.addr, edge.http.addr)
            };
            connect_to.push(ConnectTo { host: a.clone(), port: 443, target: https });
            connect_to.push(ConnectTo { host: a.clone(), port: 80, target: http });
        }
        // Every name without an override gets NXDOMAIN from the lab's DNS.
        let dns = dns::start(vec![]).await;

        Lab {
            moto,
            sdk,
            ca,
            ca_file,
            connect_to,
            distribution_id,
            domain_name,
            alb,
            origins,
            edge,
            dns,
            alias,
            other_edge,
            black_hole,
            legacy_origin,
        }
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
            dns_server: Some(self.dns.addr),
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
        aws_env_for(&self.moto.endpoint)
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

/// The standard AWS environment that points the SDK at `endpoint`, with dummy credentials, the
/// metadata service off and no retries.
pub fn aws_env_for(endpoint: &str) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT_URL".into(), endpoint.to_string()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID".into(), "lab".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "lab".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("AWS_MAX_ATTEMPTS".into(), "1".into()),
    ]
}

/// A queue subscribed to `topic`, with an optional subscription filter policy on the message
/// attributes.
pub async fn subscribed_queue(sdk: &SdkConfig, topic: &str, name: &str, filter_policy: Option<&str>) -> String {
    let sns = aws_sdk_sns::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue_url = sqs.create_queue().queue_name(name).send().await.unwrap().queue_url.unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let queue_arn = attrs.attributes.unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    let mut subscribe = sns.subscribe().topic_arn(topic).protocol("sqs").endpoint(queue_arn);
    if let Some(policy) = filter_policy {
        subscribe = subscribe.attributes("FilterPolicy", policy);
    }
    subscribe.send().await.unwrap();
    queue_url
}

/// Runs a future on a runtime whose threads have room for the SDK's large debug-build futures.
pub fn run<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(16 << 20)
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(f)
        })
        .expect("thread")
        .join()
        .expect("test thread")
}

/// Fails with every violation when a report does not match `schema/report-v1.schema.json`.
pub fn assert_schema_valid(report: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../schema/report-v1.schema.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(report).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "report does not match schema/report-v1.schema.json: {errors:#?}");
}

/// User + system CPU time in ms of a process (`"self"` or a pid), from Linux `/proc/<pid>/stat`
/// (clock ticks of 10 ms); None where there is no /proc. For the benchmarks.
pub fn cpu_time_ms(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?) * 10)
}

/// Peak resident set size in KiB of a process (`VmHWM` in Linux `/proc/<pid>/status`); None
/// where there is no /proc or the process is gone. For the benchmarks.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
