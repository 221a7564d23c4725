//! The bundled local lab: the AWS API emulator (moto), real origin servers on loopback with
//! real TLS from a test CA, and a stand-in for the CloudFront edge. Used by the integration
//! tests and by `cargo run --example lab` (the README demo).
#![allow(dead_code)]

pub mod aws_proxy;
pub mod dns;
pub mod edge;
pub mod http_scenarios;
pub mod moto;
pub mod net_scenarios;
pub mod openssl_client;
pub mod openssl_origin;
pub mod origin;
pub mod pki;
pub mod runtime_api;
pub mod seed;
pub mod seed_net;
pub mod server;
pub mod tls_origin;

use aws_config::SdkConfig;
use cf_origin_doctor::engine::Engine;
use cf_origin_doctor::inventory::aws::{SdkApi, config_loader};
use cf_origin_doctor::request::{ConnectTo, ProbeLimits, ProbeSettings};
use std::io::Write;
use std::time::Duration;

/// The custom origin header every lab distribution sends, and its secret value.
pub const LAB_SECRET_HEADER: &str = "X-Origin-Verify";
pub const LAB_SECRET_VALUE: &str = "lab-secret-5f1e2d3c4b5a";

/// The named situations the lab can stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// ALB with HTTP and HTTPS listeners forwarding to the app; CloudFront https-only with a
    /// certificate that covers the ALB's name. Everything works.
    Healthy,
    /// The seed's worked example: origin protocol policy http-only, the ALB's HTTP:80 listener
    /// redirects to HTTPS, Host forwarded: viewers loop.
    RedirectLoop,
    /// Its twin: the same listener and forwarding, origin protocol policy https-only and an
    /// origin certificate for the names CloudFront sends (Host is forwarded: the distribution's
    /// name, a lab-only certificate).
    RedirectLoopFixed,
    /// The ALB's security group admits an office network on 443, not CloudFront: the edge's
    /// connections are refused (502) while the prober, admitted, reaches the app.
    SgBlocksCloudFront,
    /// Its twin: the group admits CloudFront's prefix list (and the office) on 443.
    SgBlocksCloudFrontFixed,
    /// The ALB's group admits only another security group (`web-tier`) on 443, which
    /// CloudFront's addresses are never in. Twin: `SgBlocksCloudFrontFixed`.
    SgAdmitsOnlyGroup,
    /// The subnets' network ACL denies inbound tcp 443 (rule 50) ahead of the default allow.
    NaclBlocks,
    /// Its twin: the low-numbered deny is for tcp 22 only.
    NaclBlocksFixed,
    /// The ALB is internal: reachable by the prober (inside), refused to CloudFront. Twin: Healthy.
    InternalAlb,
    /// https-only, but the ALB listens only on HTTP:80: nothing on 443. Twin: Healthy.
    NothingListening,
    /// https-only with HTTPSPort 80: CloudFront speaks TLS to the HTTP listener. Twin: Healthy.
    ProtocolPortMismatch,
    /// http-only to an NLB without security groups whose instance target's group admits only
    /// the VPC: with client IP preservation CloudFront's addresses are dropped at the target.
    NlbSecurityModel,
    /// Its twin: the target's group admits CloudFront's prefix list on 80.
    NlbSecurityModelFixed,
    /// As `NlbSecurityModel` with an `ip` target (a network interface registered by private
    /// address, client IP preservation on) whose interface's group admits only the VPC.
    NlbIpTargets,
    /// Its twin: the interface's group admits CloudFront's prefix list on 80.
    NlbIpTargetsFixed,
    /// The behavior allows GET and HEAD only (diagnose with `expect.methods = [POST]`).
    MethodNotAllowed,
    /// Its twin: all seven methods allowed.
    MethodAllowed,
    /// The origin serves the site only under its alias (and the distribution's name); Host is
    /// not forwarded, so CloudFront's requests get the origin's 404.
    HostHeaderRouting,
    /// Its twin: Host forwarded (AllViewer).
    HostHeaderForwarded,
    /// The origin sends its first byte after 2.6 s; OriginReadTimeout is 2 s.
    OriginReadTimeout,
    /// Its twin: the same timeout, a fast origin.
    OriginFast,
    /// The alias's DNS leads to another distribution's edge, which does not hold it.
    AliasNotOnDistribution,
    /// Its twin: the alias leads to this distribution.
    AliasOnDistribution,
    /// The alias is on the distribution and its DNS leads there, but the viewer certificate
    /// does not cover it: HTTPS viewers of the alias fail in the handshake. Twin:
    /// AliasOnDistribution (the certificate covers the alias).
    ViewerCertMissingAlias,
    /// The distribution is disabled (twin: Healthy).
    Disabled,
    /// The origin's name does not resolve (twin: Healthy).
    OriginDnsFailure,
    /// The app redirects to http://<Host>/login and Host is not forwarded: viewers are sent to
    /// the load balancer's own name.
    RedirectEscape,
    /// Its twin: Host forwarded.
    RedirectStaysOnAlias,
    /// CloudFront sends `X-Origin-Verify: rotated`; the origin accepts only `original`.
    SecretHeaderMismatch,
    /// Its twin: the values match.
    SecretHeaderMatch,
    /// The origin needs Authorization; the behavior forwards nothing (CachingOptimized alone).
    AuthorizationStripped,
    /// Its twin: AllViewer forwards it.
    AuthorizationForwarded,
    /// The origin needs the `session` cookie; the behavior forwards no cookies.
    ParamsNotForwarded,
    /// Its twin: AllViewerExceptHostHeader forwards cookies.
    ParamsForwarded,
    /// The origin refuses `User-Agent: Amazon CloudFront`; the behavior forwards no headers.
    CloudFrontShapeRejected,
    /// Its twin: the origin serves everyone.
    CloudFrontShapeAccepted,
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
    /// The origin serves its intermediates upside down (leaf, root-side intermediate, issuing
    /// intermediate). Twin: `TlsFullChain` (the same two intermediates in issuing order).
    TlsMisorderedChain,
    /// The behavior forwards Host (AllViewer) and the origin certificate covers only the load
    /// balancer's name: CloudFront sends the alias (or its own name) as SNI and gets a
    /// certificate without it.
    TlsForwardedHostMismatch,
    /// Its twin: the same certificate, Host not forwarded (AllViewerExceptHostHeader).
    TlsForwardedHostNotForwarded,
    /// Host forwarded, and the origin certificate also covers the alias and the distribution's
    /// name (a lab-only certificate: no real one can carry the distribution's name).
    TlsForwardedHostCovered,
    /// Two problems at once: the security group blocks CloudFront (the symptom) and the origin
    /// certificate expires within 30 days (a latent risk).
    SgBlocksAndCertExpiring,
    /// The origin speaks only HTTP/2 (h2c): it answers HTTP/1.1 with a SETTINGS frame.
    OriginHttp2Only,
    /// The load balancer answers 504 itself (`Server: awselb/2.0`) before the application does.
    AlbIdleTimeout,
    /// The origin speaks TLS 1.2 with CHACHA20-POLY1305 suites only, none of CloudFront's.
    TlsCipherMismatch,
    /// Its twin: TLS 1.2 with AES-GCM suites only.
    TlsCipherMismatchFixed,
    /// The origin (`openssl s_server`) speaks only TLS 1.0; OriginSslProtocols is [TLSv1.2].
    Tls10Only,
    /// Its twin: the same origin, OriginSslProtocols [TLSv1, TLSv1.2]: CloudFront (the edge
    /// stand-in, through `openssl s_client`) gets TLS 1.0 and the page; the probe's rustls cannot.
    Tls10OnlyAllowed,
}

impl Scenario {
    pub fn parse(name: &str) -> Option<Scenario> {
        match name {
            "healthy" => Some(Scenario::Healthy),
            "redirect-loop" => Some(Scenario::RedirectLoop),
            "redirect-loop-fixed" => Some(Scenario::RedirectLoopFixed),
            "sg-blocks-cloudfront" => Some(Scenario::SgBlocksCloudFront),
            "sg-blocks-cloudfront-fixed" => Some(Scenario::SgBlocksCloudFrontFixed),
            "nacl-blocks" => Some(Scenario::NaclBlocks),
            "nacl-blocks-fixed" => Some(Scenario::NaclBlocksFixed),
            "internal-alb" => Some(Scenario::InternalAlb),
            "nothing-listening" => Some(Scenario::NothingListening),
            "protocol-port-mismatch" => Some(Scenario::ProtocolPortMismatch),
            "nlb-security-model" => Some(Scenario::NlbSecurityModel),
            "nlb-security-model-fixed" => Some(Scenario::NlbSecurityModelFixed),
            "sg-admits-only-group" => Some(Scenario::SgAdmitsOnlyGroup),
            "nlb-ip-targets" => Some(Scenario::NlbIpTargets),
            "nlb-ip-targets-fixed" => Some(Scenario::NlbIpTargetsFixed),
            "method-not-allowed" => Some(Scenario::MethodNotAllowed),
            "host-header-routing-mismatch" => Some(Scenario::HostHeaderRouting),
            "origin-read-timeout" => Some(Scenario::OriginReadTimeout),
            "alias-not-on-distribution" => Some(Scenario::AliasNotOnDistribution),
            "viewer-certificate-problems" => Some(Scenario::ViewerCertMissingAlias),
            "config-not-deployed-or-disabled" => Some(Scenario::Disabled),
            "origin-dns-failure" => Some(Scenario::OriginDnsFailure),
            "redirect-escape-to-origin-hostname" => Some(Scenario::RedirectEscape),
            "origin-secret-header-mismatch" => Some(Scenario::SecretHeaderMismatch),
            "authorization-stripped" => Some(Scenario::AuthorizationStripped),
            "params-not-forwarded" => Some(Scenario::ParamsNotForwarded),
            "origin-rejects-cloudfront-shaped-requests" => Some(Scenario::CloudFrontShapeRejected),
            "tls-name-mismatch" => Some(Scenario::TlsNameMismatchOriginDomain),
            "tls-untrusted" => Some(Scenario::TlsUntrusted),
            "tls-expired" => Some(Scenario::TlsExpired),
            "tls-incomplete-chain" => Some(Scenario::TlsIncompleteChain),
            "tls-full-chain" => Some(Scenario::TlsFullChain),
            "tls13-only" => Some(Scenario::Tls13Only),
            "tls-misordered-chain" => Some(Scenario::TlsMisorderedChain),
            "tls-forwarded-host-mismatch" => Some(Scenario::TlsForwardedHostMismatch),
            "tls-forwarded-host-fixed" => Some(Scenario::TlsForwardedHostNotForwarded),
            "tls-forwarded-host-covered" => Some(Scenario::TlsForwardedHostCovered),
            "sg-blocks-and-cert-expiring" => Some(Scenario::SgBlocksAndCertExpiring),
            "origin-http-version" => Some(Scenario::OriginHttp2Only),
            "alb-idle-timeout-or-origin-proxy-timeout" => Some(Scenario::AlbIdleTimeout),
            "tls-cipher-mismatch" => Some(Scenario::TlsCipherMismatch),
            "tls-cipher-mismatch-fixed" => Some(Scenario::TlsCipherMismatchFixed),
            "tls10-only" => Some(Scenario::Tls10Only),
            "tls10-only-allowed" => Some(Scenario::Tls10OnlyAllowed),
            _ => None,
        }
    }

    pub fn names() -> &'static [&'static str] {
        &[
            "healthy",
            "redirect-loop",
            "redirect-loop-fixed",
            "sg-blocks-cloudfront",
            "sg-blocks-cloudfront-fixed",
            "nacl-blocks",
            "nacl-blocks-fixed",
            "internal-alb",
            "nothing-listening",
            "protocol-port-mismatch",
            "nlb-security-model",
            "nlb-security-model-fixed",
            "sg-admits-only-group",
            "nlb-ip-targets",
            "nlb-ip-targets-fixed",
            "method-not-allowed",
            "host-header-routing-mismatch",
            "origin-read-timeout",
            "alias-not-on-distribution",
            "viewer-certificate-problems",
            "config-not-deployed-or-disabled",
            "origin-dns-failure",
            "redirect-escape-to-origin-hostname",
            "origin-secret-header-mismatch",
            "authorization-stripped",
            "params-not-forwarded",
            "origin-rejects-cloudfront-shaped-requests",
            "tls-name-mismatch",
            "tls-untrusted",
            "tls-expired",
            "tls-incomplete-chain",
            "tls-full-chain",
            "tls13-only",
            "tls-misordered-chain",
            "tls-forwarded-host-mismatch",
            "tls-forwarded-host-fixed",
            "tls-forwarded-host-covered",
            "sg-blocks-and-cert-expiring",
            "origin-http-version",
            "alb-idle-timeout-or-origin-proxy-timeout",
            "tls-cipher-mismatch",
            "tls-cipher-mismatch-fixed",
            "tls10-only",
            "tls10-only-allowed",
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
    pub async fn start(scenario: Scenario) -> Lab {
        let moto = tokio::task::spawn_blocking(moto::Moto::start).await.expect("start emulator");
        let sdk = emulator_config(&moto.endpoint).await;
        let ca = pki::TestCa::new();
        let mut ca_file = tempfile::NamedTempFile::new().expect("ca temp file");
        ca_file.write_all(ca.pem().as_bytes()).expect("write ca");

        let name = format!("lab-{}", http_scenarios::short(scenario));
        let http_action = match scenario {
            Scenario::RedirectLoop | Scenario::RedirectLoopFixed => seed::ListenerAction::RedirectToHttps,
            _ => seed::ListenerAction::Forward,
        };
        let listeners = vec![
            seed::ListenerSpec { port: 80, https: false, action: http_action },
            seed::ListenerSpec { port: 443, https: true, action: seed::ListenerAction::Forward },
        ];
        let listeners: Vec<_> =
            listeners.into_iter().filter(|l| !net_scenarios::closed_ports(scenario).contains(&l.port)).collect();
        let alb = seed::create_alb(&sdk, &name, &listeners).await;
        let alb_dns = alb.dns_name.to_ascii_lowercase();
        net_scenarios::apply(&sdk, scenario, &alb).await;

        let mut spec = seed::DistributionSpec::new(&alb.dns_name);
        // A shared secret CloudFront sends to the origin: it must never show up in evidence.
        spec.custom_headers = vec![(LAB_SECRET_HEADER.to_string(), LAB_SECRET_VALUE.to_string())];
        if matches!(scenario, Scenario::RedirectLoop | Scenario::RedirectLoopFixed) {
            spec.protocol_policy = "http-only";
            spec.viewer_protocol_policy = "allow-all";
            spec.cache_policy_id = None;
            spec.origin_request_policy_id = None;
            spec.legacy_headers = vec!["Host"];
        }
        net_scenarios::adjust_distribution(scenario, &mut spec);
        let nlb_dns = net_scenarios::nlb_origin(&sdk, scenario).await;
        if let Some(dns) = &nlb_dns {
            spec.origin_domain = dns.clone();
            spec.protocol_policy = "http-only";
        }
        http_scenarios::tweak_spec(scenario, &mut spec);
        tls_origin::tweak_spec(scenario, &mut spec);
        let (distribution_id, domain_name) = seed::create_distribution(&sdk, &spec).await;
        let alias = http_scenarios::alias(scenario);

        // Origin stand-ins that do what the seeded listeners say.
        let mut origins = Vec::new();
        let mut connect_to = Vec::new();
        let mut legacy_origin = None;
        for (l, _arn) in &alb.listeners {
            if l.https && matches!(scenario, Scenario::Tls10Only | Scenario::Tls10OnlyAllowed) {
                let o = openssl_origin::start(&ca.leaf(&[alb_dns.as_str()]), openssl_origin::TLS10_ONLY);
                connect_to.push(ConnectTo { host: alb_dns.clone(), port: l.port, target: o.addr });
                legacy_origin = Some(o);
                continue;
            }
            let behavior = match &l.action {
                _ if http_scenarios::origin_behavior(scenario, l, &domain_name).is_some() => {
                    http_scenarios::origin_behavior(scenario, l, &domain_name).unwrap_or(origin::Behavior::App)
                }
                seed::ListenerAction::Forward => origin::Behavior::App,
                seed::ListenerAction::RedirectToHttps => origin::Behavior::RedirectToHttps,
                seed::ListenerAction::Fixed { status, body } => {
                    origin::Behavior::Fixed { status: *status, body: body.clone() }
                }
            };
            let tls = l.https.then(|| ca.leaf(&[alb_dns.as_str()]));
            let o = match tls_origin::scenario_setup(scenario, &ca, &alb_dns, &domain_name).filter(|_| l.https) {
                Some(setup) => origin::start_tls(behavior, &setup).await,
                None => origin::start(behavior, tls).await,
            };
            if !http_scenarios::origin_unresolvable(scenario) {
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
        for port in net_scenarios::closed_ports(scenario) {
            connect_to.push(ConnectTo { host: alb_dns.clone(), port, target: net_scenarios::refused_address() });
        }
        // CloudFront's view of the origin: ports the network blocks for CloudFront are refused,
        // or time out where a security group or network ACL drops the packets silently.
        let blocked = net_scenarios::edge_blocked_ports(scenario);
        let black_hole = match net_scenarios::edge_drops_silently(scenario) {
            true => Some(server::black_hole().await),
            false => None,
        };
        let blocked_target = black_hole.as_ref().map(|h| h.addr).unwrap_or_else(net_scenarios::refused_address);
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
        if let Some(a) = alias.as_ref().filter(|_| scenario != Scenario::ViewerCertMissingAlias) {
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

        // The alias leads to this distribution's edge, or (alias scenario) to another
        // distribution's edge that does not hold it.
        let mut other_edge = None;
        if let Some(a) = &alias {
            let (https, http) = if http_scenarios::alias_elsewhere(scenario) {
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
        serde_json::from_str(include_str!("../../schema/report-v1.schema.json")).expect("schema is JSON");
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
