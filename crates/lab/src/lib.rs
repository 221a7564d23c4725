//! The bundled local lab: the AWS API emulator (moto), real origin servers on loopback with
//! real TLS from a test CA, and a stand-in for the CloudFront edge. Used by the integration
//! tests and by `cargo run --example lab` (the README demo).

// A panic here fails the test that staged the lab, not the tool.
#![allow(clippy::unwrap_used)]

pub mod aws_proxy;
pub mod dns;
pub mod edge;
pub mod edge_logs;
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
use std::sync::Arc;
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
    /// The origin's domain name: the load balancer's, an EC2 instance's public DNS name, or a
    /// name outside AWS, as the scenario's kind says (the NLB's in the NLB scenarios).
    pub origin_domain: String,
    /// What the diagnosis reads AWS through: the emulator, or the proxy in front of it that
    /// denies the origin's reads ([`Options::deny_origin_reads`]).
    pub diagnosis_sdk: SdkConfig,
    /// The proxy that denies the origin's reads, where the lab was staged so.
    pub aws_proxy: Option<aws_proxy::AwsProxy>,
    /// The bucket the distribution logs to ([`Options::access_logs`]).
    pub log_bucket: Option<String>,
    /// The CloudWatch Logs group the edge logs to ([`Options::log_group`]).
    pub log_group: Option<String>,
}

/// How to stage a scenario, beyond what its entry says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Every ELBv2 and EC2 call of the diagnosis (what stands behind the origin: load balancer,
    /// listeners, instances, security groups, network ACLs) is denied, as for a role without
    /// those permissions; its CloudFront reads work. The seeding and the edge stand-in read the
    /// emulator directly.
    pub deny_origin_reads: bool,
    /// The distribution logs to an S3 bucket (standard logging, legacy, cookies included) and the
    /// edge stand-in writes a log line for every request it serves.
    pub access_logs: bool,
    /// The diagnosis is refused `s3:ListBucket` and `s3:GetObject` on the log bucket.
    pub deny_log_reads: bool,
    /// Standard logging (v2) to a CloudWatch Logs group ([`LOG_GROUP`]): the edge stand-in puts
    /// a JSON record of every request there, and the diagnosis is pointed at the group.
    pub log_group: bool,
}

/// The log group of a lab distribution with [`Options::log_group`].
pub const LOG_GROUP: &str = "/lab/cloudfront/access";

/// The log bucket and prefix of a lab distribution with [`Options::access_logs`].
pub const LOG_BUCKET: &str = "lab-cloudfront-logs";
pub const LOG_PREFIX: &str = "cf/";

/// An S3 client of the emulator (path-style: loopback has no per-bucket names).
pub fn lab_s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build())
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
        Lab::start_with(scenario, Options::default()).await
    }

    /// Stages `scenario` as its entry in [`SCENARIOS`] says, with `options`.
    pub async fn start_with(scenario: Scenario, options: Options) -> Lab {
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

        // What stands behind each origin of the distribution, by its domain name.
        let main_domain = stage_origin_host(&sdk, def.kind, def.short, "app", 60, &alb).await;
        let mut spec = seed::DistributionSpec::new(&main_domain);
        if let Some(second) = &def.second_origin {
            spec.path_origins.push(seed::PathOrigin {
                path_pattern: second.path_pattern.to_string(),
                origin_id: format!("{}-origin", second.label),
                origin_domain: stage_origin_host(&sdk, second.kind, def.short, second.label, 61, &alb).await,
                protocol_policy: second.protocol_policy,
                http_port: second.http_port,
                https_port: second.https_port,
            });
        }
        // A shared secret CloudFront sends to the origin: it must never show up in evidence.
        spec.custom_headers = vec![(LAB_SECRET_HEADER.to_string(), LAB_SECRET_VALUE.to_string())];
        (def.distribution)(&mut spec);
        let log_bucket = options.access_logs.then(|| LOG_BUCKET.to_string());
        if let Some(bucket) = &log_bucket {
            let s3 = lab_s3_client(&sdk);
            s3.create_bucket().bucket(bucket).send().await.expect("create the log bucket");
            spec.logging = Some((bucket.clone(), LOG_PREFIX.to_string()));
        }
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
        let origin_domain = spec.origin_domain.clone();
        let origin_lc = origin_domain.to_ascii_lowercase();
        let names =
            scenario::Names { alb: &alb_dns, origin: &origin_lc, domain: &domain_name, alias: alias.as_deref() };

        // Origin stand-ins that do what the seeded listeners say.
        let mut origins = Vec::new();
        let mut connect_to = Vec::new();
        let mut legacy_origin = None;
        let alb_is_origin = def.kind == scenario::OriginKind::Alb
            || def.second_origin.is_some_and(|s| s.kind == scenario::OriginKind::Alb);
        for (l, _arn) in alb.listeners.iter().filter(|_| alb_is_origin) {
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
        // Ports nothing listens on are refused, to the prober and the edge alike.
        if alb_is_origin {
            for port in closed_ports {
                connect_to.push(ConnectTo { host: alb_dns.clone(), port, target: server::refused_addr() });
            }
        }
        // The listeners of EC2 and outside-AWS origins.
        if let (scenario::OriginKind::Ec2(ports) | scenario::OriginKind::OutsideAws(ports), None) = (def.kind, &nlb_dns)
        {
            let tls = match def.origin_tls {
                scenario::OriginTls::Standard => tls_origin::TlsSetup::Standard(ca.leaf(&[origin_lc.as_str()])),
                scenario::OriginTls::Setup(setup) => setup(&ca, &names),
                scenario::OriginTls::Openssl(_) => panic!("{}: the lab runs openssl s_server for ALBs only", def.name),
            };
            let behavior = || def.origin.map_or(origin::Behavior::App, |o| o(&names));
            let used = [spec.http_port, spec.https_port];
            let staged = start_host_listeners(&origin_lc, ports, &used, behavior, &tls).await;
            if def.origin_resolves {
                connect_to.extend(staged.1);
            }
            origins.extend(staged.0);
        }
        for p in &spec.path_origins {
            let Some(second) = def.second_origin else { continue };
            if let scenario::OriginKind::Ec2(ports) | scenario::OriginKind::OutsideAws(ports) = second.kind {
                let host = p.origin_domain.to_ascii_lowercase();
                let tls = tls_origin::TlsSetup::Standard(ca.leaf(&[host.as_str()]));
                let used = [p.http_port, p.https_port];
                let (o, c) = start_host_listeners(&host, ports, &used, || origin::Behavior::App, &tls).await;
                origins.extend(o);
                connect_to.extend(c);
            }
        }

        if let Some(dns) = &nlb_dns {
            let o = origin::start(origin::Behavior::App, None).await;
            connect_to.push(ConnectTo { host: dns.to_ascii_lowercase(), port: 80, target: o.server.addr });
            origins.push((80, o));
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
        let logs_client = aws_sdk_cloudwatchlogs::Client::new(&sdk);
        let log_group = options.log_group.then(|| LOG_GROUP.to_string());
        if let Some(group) = &log_group {
            logs_client.create_log_group().log_group_name(group).send().await.expect("create the log group");
            logs_client
                .create_log_stream()
                .log_group_name(group)
                .log_stream_name("edge")
                .send()
                .await
                .expect("create the log stream");
        }
        let log_targets = Some(edge_logs::EdgeLogTargets {
            s3: lab_s3_client(&sdk),
            endpoint: moto.endpoint.clone(),
            logs: logs_client,
            log_group: log_group.clone(),
        });
        let mut viewer_names = vec![domain_name.as_str(), "*.cloudfront.net"];
        if let Some(a) = alias.as_ref().filter(|_| def.alias != scenario::Alias::NotOnViewerCertificate) {
            viewer_names.push(a.as_str());
        }
        let viewer_cert = ca.leaf(&viewer_names);
        let edge = edge::start(
            &api,
            &distribution_id,
            viewer_cert,
            edge::EdgeOptions {
                connect_to: edge_connect_to,
                origin_roots_pem: ca.pem(),
                timeout_scale: 0.1,
                log_targets: log_targets.clone(),
            },
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
                        log_targets: None,
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
        let mut faults = Vec::new();
        if options.deny_origin_reads {
            faults.extend([("ec2:*", aws_proxy::Fault::Deny), ("elasticloadbalancing:*", aws_proxy::Fault::Deny)]);
        }
        if options.deny_log_reads {
            faults.extend([
                ("ListObjectsV2", aws_proxy::Fault::Deny),
                ("GetObject", aws_proxy::Fault::Deny),
                ("HeadBucket", aws_proxy::Fault::Deny),
            ]);
        }
        let aws_proxy = match faults.is_empty() {
            false => Some(aws_proxy::start(&moto.endpoint, Duration::ZERO, faults).await),
            true => None,
        };
        let diagnosis_sdk = match &aws_proxy {
            Some(p) => emulator_config(&p.endpoint).await,
            None => sdk.clone(),
        };

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
            origin_domain,
            diagnosis_sdk,
            aws_proxy,
            log_bucket,
            log_group,
        }
    }

    /// One viewer request to this distribution's edge stand-in over HTTPS (SNI and Host the
    /// distribution's name), as a browser or curl sends it: the status and the body, or `None`
    /// where the exchange fails. For asserting that a world is staged as declared.
    pub async fn through_edge(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
        use http_body_util::{BodyExt, Full};
        use rustls_pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pki_types::CertificateDer::pem_slice_iter(self.ca.pem().as_bytes()) {
            roots.add(c.ok()?).ok()?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .ok()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls_pki_types::ServerName::try_from(self.domain_name.to_ascii_lowercase()).ok()?;
        let tcp = tokio::net::TcpStream::connect(self.edge.https.addr).await.ok()?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(tls)).connect(name, tcp).await.ok()?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.ok()?;
        tokio::spawn(conn);
        let mut req = hyper::Request::builder().method(method).uri(path).header("Host", self.domain_name.as_str());
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let fetch = async {
            let resp = sender.send_request(req.body(Full::new(bytes::Bytes::new())).ok()?).await.ok()?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.ok()?.to_bytes();
            Some((status, String::from_utf8_lossy(&body).into_owned()))
        };
        tokio::time::timeout(Duration::from_secs(20), fetch).await.ok()?
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
        Engine::new(SdkApi::new(self.diagnosis_sdk.clone()), self.probe_settings(), "the lab host (loopback)")
            .expect("engine")
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
        if let Some(group) = &self.log_group {
            args.push("--log-group".into());
            args.push(group.clone());
        }
        args
    }

    /// The standard AWS environment that points the diagnosis's SDK at the emulator (through
    /// the proxy that denies the origin's reads, where the lab has one).
    pub fn aws_env(&self) -> Vec<(String, String)> {
        aws_env_for(self.aws_proxy.as_ref().map_or(&self.moto.endpoint, |p| &p.endpoint))
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
        // The deployment lets the function read the lab's log bucket, where there is one.
        if let Some(bucket) = &self.log_bucket {
            env.push(("CF_ORIGIN_DOCTOR_LOG_BUCKETS".into(), format!("arn:aws:s3:::{bucket}")));
        }
        if let Some(group) = &self.log_group {
            env.push((
                "CF_ORIGIN_DOCTOR_LOG_GROUPS".into(),
                format!("arn:aws:logs:us-east-1:123456789012:log-group:{group}:*"),
            ));
        }
        env
    }
}

/// The domain name of an origin of kind `kind`: the load balancer's; the public DNS name of an EC2
/// instance seeded for it (in VPC `10.<octet>.0.0/16`); or `<label>.<short>.origin.lab.test`,
/// which no AWS resource holds.
async fn stage_origin_host(
    sdk: &SdkConfig,
    kind: scenario::OriginKind,
    short: &str,
    label: &str,
    octet: u8,
    alb: &seed::Alb,
) -> String {
    match kind {
        scenario::OriginKind::Alb => alb.dns_name.clone(),
        scenario::OriginKind::Ec2(listeners) => {
            let ports: Vec<u16> = listeners.iter().map(|l| l.port).collect();
            seed_net::instance_origin(sdk, octet, &format!("lab-{short}-{label}"), &ports).await.1
        }
        scenario::OriginKind::OutsideAws(_) => format!("{label}.{short}.origin.lab.test"),
    }
}

/// Starts what answers on each listed port of `host` and the overrides that lead there; the
/// ports CloudFront may use (`used`, 80 and 443) that the origin does not list are refused.
async fn start_host_listeners(
    host: &str,
    listeners: &[scenario::Listener],
    used: &[u16],
    behavior: impl Fn() -> origin::Behavior,
    tls: &tls_origin::TlsSetup,
) -> (Vec<(u16, origin::Origin)>, Vec<ConnectTo>) {
    use scenario::Serves;
    let mut origins = Vec::new();
    let mut connect_to = Vec::new();
    for l in listeners {
        let o = match l.serves {
            Serves::Http => origin::start(behavior(), None).await,
            Serves::Https => origin::start_tls(behavior(), tls).await,
            Serves::HttpsNginx => origin::start_tls_nginx(behavior(), tls).await,
            Serves::Refused => {
                connect_to.push(ConnectTo { host: host.to_string(), port: l.port, target: server::refused_addr() });
                continue;
            }
        };
        connect_to.push(ConnectTo { host: host.to_string(), port: l.port, target: o.server.addr });
        origins.push((l.port, o));
    }
    let mut unlisted: Vec<u16> =
        [80, 443].iter().chain(used).copied().filter(|p| !listeners.iter().any(|l| l.port == *p)).collect();
    unlisted.sort_unstable();
    unlisted.dedup();
    for port in unlisted {
        connect_to.push(ConnectTo { host: host.to_string(), port, target: server::refused_addr() });
    }
    (origins, connect_to)
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
