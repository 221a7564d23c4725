//! Seeds the AWS API emulator through the AWS SDK for Rust: VPC, subnets, security group,
//! load balancer with listeners, and the CloudFront distribution in front of it.

use aws_config::SdkConfig;
use aws_sdk_cloudfront::types as cft;
use aws_sdk_elasticloadbalancingv2::types as elbt;

/// What an ALB listener's default action is, in the emulator and in the origin stand-in.
#[derive(Debug, Clone)]
pub enum ListenerAction {
    Forward,
    RedirectToHttps,
    Fixed { status: u16, body: String },
}

#[derive(Debug, Clone)]
pub struct ListenerSpec {
    pub port: u16,
    pub https: bool,
    pub action: ListenerAction,
}

pub struct Alb {
    pub arn: String,
    pub dns_name: String,
    pub target_group_arn: String,
    pub listeners: Vec<(ListenerSpec, String)>,
}

pub async fn create_alb(cfg: &SdkConfig, name: &str, listeners: &[ListenerSpec]) -> Alb {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(cfg);
    // An internet-facing load balancer needs public subnets: an internet gateway and a default
    // route to it in the main route table.
    let super::seed_net::Vpc { vpc_id, subnets, .. } = super::seed_net::vpc(cfg, 0, true).await;
    let sg_id = super::seed_net::security_group(
        cfg,
        &vpc_id,
        &format!("{name}-sg"),
        80,
        443,
        super::seed_net::Source::Cidr("0.0.0.0/0".into()),
    )
    .await;
    let lb = elb
        .create_load_balancer()
        .name(name)
        .set_subnets(Some(subnets))
        .security_groups(&sg_id)
        // A name containing "internal" makes an internal load balancer (network scenarios).
        .scheme(if name.contains("internal") {
            elbt::LoadBalancerSchemeEnum::Internal
        } else {
            elbt::LoadBalancerSchemeEnum::InternetFacing
        })
        .r#type(elbt::LoadBalancerTypeEnum::Application)
        .send()
        .await
        .expect("create load balancer");
    let lb = lb.load_balancers().first().expect("load balancer").clone();
    let arn = lb.load_balancer_arn().expect("lb arn").to_string();
    let tg = elb
        .create_target_group()
        .name(format!("{name}-tg"))
        .protocol(elbt::ProtocolEnum::Http)
        .port(8080)
        .vpc_id(&vpc_id)
        .target_type(elbt::TargetTypeEnum::Instance)
        .send()
        .await
        .expect("create target group");
    let tg_arn = tg.target_groups().first().and_then(|t| t.target_group_arn()).expect("tg arn").to_string();
    let mut out = Vec::new();
    for spec in listeners {
        let action = match &spec.action {
            ListenerAction::Forward => {
                elbt::Action::builder().r#type(elbt::ActionTypeEnum::Forward).target_group_arn(&tg_arn).build()
            }
            ListenerAction::RedirectToHttps => elbt::Action::builder()
                .r#type(elbt::ActionTypeEnum::Redirect)
                .redirect_config(
                    elbt::RedirectActionConfig::builder()
                        .protocol("HTTPS")
                        .port("443")
                        .status_code(elbt::RedirectActionStatusCodeEnum::Http301)
                        .build(),
                )
                .build(),
            ListenerAction::Fixed { status, body } => elbt::Action::builder()
                .r#type(elbt::ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    elbt::FixedResponseActionConfig::builder()
                        .status_code(status.to_string())
                        .content_type("text/plain")
                        .message_body(body)
                        .build(),
                )
                .build(),
        };
        let mut req = elb
            .create_listener()
            .load_balancer_arn(&arn)
            .port(i32::from(spec.port))
            .protocol(if spec.https { elbt::ProtocolEnum::Https } else { elbt::ProtocolEnum::Http })
            .default_actions(action);
        if spec.https {
            req = req.ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06").certificates(
                elbt::Certificate::builder()
                    .certificate_arn("arn:aws:iam::123456789012:server-certificate/lab")
                    .build(),
            );
        }
        let l = req.send().await.expect("create listener");
        let larn = l.listeners().first().and_then(|l| l.listener_arn()).expect("listener arn").to_string();
        out.push((spec.clone(), larn));
    }
    Alb { arn, dns_name: lb.dns_name().expect("dns name").to_string(), target_group_arn: tg_arn, listeners: out }
}

/// A distribution with one custom origin, enough for the scenarios at hand.
#[derive(Debug, Clone)]
pub struct DistributionSpec {
    pub origin_id: String,
    pub origin_domain: String,
    pub protocol_policy: &'static str,
    pub http_port: u16,
    pub https_port: u16,
    pub ssl_protocols: Vec<&'static str>,
    pub viewer_protocol_policy: &'static str,
    pub allowed_methods: Vec<&'static str>,
    /// Managed or custom cache policy id; `None` uses legacy ForwardedValues.
    pub cache_policy_id: Option<&'static str>,
    pub origin_request_policy_id: Option<&'static str>,
    /// Legacy ForwardedValues headers (used when no cache policy).
    pub legacy_headers: Vec<&'static str>,
    pub aliases: Vec<String>,
    pub enabled: bool,
    pub custom_headers: Vec<(String, String)>,
    /// `OriginReadTimeout` in seconds.
    pub read_timeout_s: i32,
    /// Further custom origins, each the target of a cache behavior with the default behavior's
    /// viewer protocol policy, methods, policies and the same custom headers.
    pub path_origins: Vec<PathOrigin>,
    /// Standard logging (legacy): the bucket's name and the prefix; `None` leaves it off.
    pub logging: Option<(String, String)>,
}

/// A custom origin reached through a path behavior.
#[derive(Debug, Clone)]
pub struct PathOrigin {
    pub path_pattern: String,
    pub origin_id: String,
    pub origin_domain: String,
    pub protocol_policy: &'static str,
    pub http_port: u16,
    pub https_port: u16,
}

impl DistributionSpec {
    pub fn new(origin_domain: &str) -> Self {
        DistributionSpec {
            origin_id: "app-origin".into(),
            origin_domain: origin_domain.into(),
            protocol_policy: "https-only",
            http_port: 80,
            https_port: 443,
            ssl_protocols: vec!["TLSv1.2"],
            viewer_protocol_policy: "redirect-to-https",
            allowed_methods: vec!["GET", "HEAD"],
            cache_policy_id: Some("658327ea-f89d-4fab-a63d-7e88639e58f6"),
            origin_request_policy_id: Some("b689b0a8-53d0-40ab-baf2-68738e2966ac"),
            legacy_headers: vec![],
            aliases: vec![],
            enabled: true,
            custom_headers: vec![],
            read_timeout_s: 30,
            path_origins: vec![],
            logging: None,
        }
    }
}

fn methods(list: &[&str]) -> Vec<cft::Method> {
    list.iter().map(|m| cft::Method::from(*m)).collect()
}

/// A custom origin as the spec says, with these id, domain, protocol policy and ports.
fn custom_origin(spec: &DistributionSpec, id: &str, domain: &str, policy: &str, http: u16, https: u16) -> cft::Origin {
    let custom = cft::CustomOriginConfig::builder()
        .http_port(i32::from(http))
        .https_port(i32::from(https))
        .origin_protocol_policy(cft::OriginProtocolPolicy::from(policy))
        .origin_ssl_protocols(
            cft::OriginSslProtocols::builder()
                .quantity(spec.ssl_protocols.len() as i32)
                .set_items(Some(spec.ssl_protocols.iter().map(|p| cft::SslProtocol::from(*p)).collect()))
                .build()
                .expect("ssl protocols"),
        )
        .origin_read_timeout(spec.read_timeout_s)
        .origin_keepalive_timeout(5)
        .build()
        .expect("custom origin config");
    let headers = cft::CustomHeaders::builder()
        .quantity(spec.custom_headers.len() as i32)
        .set_items(Some(
            spec.custom_headers
                .iter()
                .map(|(n, v)| {
                    cft::OriginCustomHeader::builder().header_name(n).header_value(v).build().expect("header")
                })
                .collect(),
        ))
        .build()
        .expect("custom headers");
    cft::Origin::builder()
        .id(id)
        .domain_name(domain)
        .custom_origin_config(custom)
        .custom_headers(headers)
        .connection_attempts(3)
        .connection_timeout(10)
        .build()
        .expect("origin")
}

/// The legacy `ForwardedValues` of a behavior without a cache policy.
fn forwarded_values(spec: &DistributionSpec) -> cft::ForwardedValues {
    cft::ForwardedValues::builder()
        .query_string(false)
        .cookies(cft::CookiePreference::builder().forward(cft::ItemSelection::None).build().expect("cookies"))
        .headers(
            cft::Headers::builder()
                .quantity(spec.legacy_headers.len() as i32)
                .set_items(Some(spec.legacy_headers.iter().map(|h| h.to_string()).collect()))
                .build()
                .expect("headers"),
        )
        .build()
        .expect("forwarded values")
}

pub async fn create_distribution(cfg: &SdkConfig, spec: &DistributionSpec) -> (String, String) {
    let cf = aws_sdk_cloudfront::Client::new(cfg);
    let origin = custom_origin(
        spec,
        &spec.origin_id,
        &spec.origin_domain,
        spec.protocol_policy,
        spec.http_port,
        spec.https_port,
    );
    let allowed = || {
        cft::AllowedMethods::builder()
            .quantity(spec.allowed_methods.len() as i32)
            .set_items(Some(methods(&spec.allowed_methods)))
            .cached_methods(
                cft::CachedMethods::builder()
                    .quantity(2)
                    .set_items(Some(methods(&["GET", "HEAD"])))
                    .build()
                    .expect("cached"),
            )
            .build()
            .expect("allowed methods")
    };
    // Every behavior forwards as the spec says: a cache policy (and an origin request policy),
    // or the legacy ForwardedValues where it has no cache policy.
    let cache_policy = spec.cache_policy_id.map(str::to_string);
    let origin_request_policy = spec.cache_policy_id.and(spec.origin_request_policy_id).map(str::to_string);
    let legacy = spec.cache_policy_id.is_none().then(|| forwarded_values(spec));
    let legacy_min_ttl = legacy.is_some().then_some(0);
    #[allow(deprecated)]
    let behavior = cft::DefaultCacheBehavior::builder()
        .target_origin_id(&spec.origin_id)
        .viewer_protocol_policy(cft::ViewerProtocolPolicy::from(spec.viewer_protocol_policy))
        .allowed_methods(allowed())
        .set_cache_policy_id(cache_policy.clone())
        .set_origin_request_policy_id(origin_request_policy.clone())
        .set_forwarded_values(legacy.clone())
        .set_min_ttl(legacy_min_ttl);
    let mut origins = vec![origin];
    let mut path_behaviors = Vec::new();
    for p in &spec.path_origins {
        origins.push(custom_origin(spec, &p.origin_id, &p.origin_domain, p.protocol_policy, p.http_port, p.https_port));
        #[allow(deprecated)]
        let b = cft::CacheBehavior::builder()
            .path_pattern(&p.path_pattern)
            .target_origin_id(&p.origin_id)
            .viewer_protocol_policy(cft::ViewerProtocolPolicy::from(spec.viewer_protocol_policy))
            .allowed_methods(allowed())
            .set_cache_policy_id(cache_policy.clone())
            .set_origin_request_policy_id(origin_request_policy.clone())
            .set_forwarded_values(legacy.clone())
            .set_min_ttl(legacy_min_ttl);
        path_behaviors.push(b.build().expect("path behavior"));
    }
    let config = cft::DistributionConfig::builder()
        .caller_reference({
            // Unique per call: a test may seed more than one distribution in one emulator.
            static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            format!("lab-{}-{}", std::process::id(), SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
        })
        .aliases(
            cft::Aliases::builder()
                .quantity(spec.aliases.len() as i32)
                .set_items(Some(spec.aliases.clone()))
                .build()
                .expect("aliases"),
        )
        .origins(
            cft::Origins::builder().quantity(origins.len() as i32).set_items(Some(origins)).build().expect("origins"),
        )
        .default_cache_behavior(behavior.build().expect("default behavior"))
        // Only where there are some: the one-behavior distributions stay as they were seeded.
        .set_cache_behaviors((!path_behaviors.is_empty()).then(|| {
            cft::CacheBehaviors::builder()
                .quantity(path_behaviors.len() as i32)
                .set_items(Some(path_behaviors))
                .build()
                .expect("cache behaviors")
        }))
        .comment("cf-origin-doctor lab")
        .set_logging(spec.logging.as_ref().map(|(bucket, prefix)| {
            cft::LoggingConfig::builder()
                .enabled(true)
                .include_cookies(true)
                .bucket(format!("{bucket}.s3.amazonaws.com"))
                .prefix(prefix)
                .build()
        }))
        .enabled(spec.enabled)
        .build()
        .expect("distribution config");
    let out = cf.create_distribution().distribution_config(config).send().await.expect("create distribution");
    let d = out.distribution().expect("distribution");
    (d.id().to_string(), d.domain_name().to_string())
}
