//! Seeds the network side of the lab through the AWS SDK: a VPC with an internet gateway,
//! subnets, security groups (open, CloudFront prefix list, none), network ACL entries, EC2
//! instances with public IPs or Elastic IPs, a network load balancer, and a distribution with
//! several origins and behaviors.

use aws_config::SdkConfig;
use aws_sdk_cloudfront::types as cft;
use aws_sdk_ec2::types as ec2t;
use aws_sdk_elasticloadbalancingv2::types as elbt;

pub const AMI: &str = "ami-12c6146b";

pub struct Vpc {
    pub vpc_id: String,
    pub subnets: Vec<String>,
    pub igw: Option<String>,
    pub main_route_table: String,
}

/// A VPC with two subnets; with `internet` an internet gateway and a default route to it in
/// the main route table.
pub async fn vpc(cfg: &SdkConfig, cidr_second_octet: u8, internet: bool) -> Vpc {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    let vpc = ec2.create_vpc().cidr_block(format!("10.{cidr_second_octet}.0.0/16")).send().await.expect("vpc");
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_string();
    let mut subnets = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.{cidr_second_octet}.{i}.0/24"))
            .availability_zone(*az)
            .send()
            .await
            .expect("subnet");
        subnets.push(s.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_string());
    }
    let tables = ec2
        .describe_route_tables()
        .filters(ec2t::Filter::builder().name("vpc-id").values(&vpc_id).build())
        .send()
        .await
        .expect("route tables");
    let main = tables
        .route_tables()
        .iter()
        .find(|t| t.associations().iter().any(|a| a.main() == Some(true)))
        .and_then(|t| t.route_table_id())
        .expect("main route table")
        .to_string();
    let mut igw = None;
    if internet {
        let g = ec2.create_internet_gateway().send().await.expect("igw");
        let gid = g.internet_gateway().and_then(|g| g.internet_gateway_id()).expect("igw id").to_string();
        ec2.attach_internet_gateway().internet_gateway_id(&gid).vpc_id(&vpc_id).send().await.expect("attach igw");
        ec2.create_route()
            .route_table_id(&main)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&gid)
            .send()
            .await
            .expect("default route");
        igw = Some(gid);
    }
    Vpc { vpc_id, subnets, igw, main_route_table: main }
}

/// The id of CloudFront's origin-facing prefix list in the emulator.
pub async fn cloudfront_prefix_list(cfg: &SdkConfig) -> String {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    let out = ec2
        .describe_managed_prefix_lists()
        .filters(
            ec2t::Filter::builder()
                .name("prefix-list-name")
                .values("com.amazonaws.global.cloudfront.origin-facing")
                .build(),
        )
        .send()
        .await
        .expect("prefix lists");
    out.prefix_lists().first().and_then(|p| p.prefix_list_id()).expect("cloudfront prefix list").to_string()
}

/// Where a security group's single ingress rule admits traffic from.
#[derive(Debug, Clone)]
pub enum Source {
    Cidr(String),
    PrefixList(String),
    /// Another security group (`UserIdGroupPairs`).
    Group(String),
    Nothing,
}

pub async fn security_group(cfg: &SdkConfig, vpc_id: &str, name: &str, from: u16, to: u16, source: Source) -> String {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    let sg = ec2
        .create_security_group()
        .group_name(name)
        .description("lab")
        .vpc_id(vpc_id)
        .send()
        .await
        .expect("security group");
    let id = sg.group_id().expect("sg id").to_string();
    let perm = ec2t::IpPermission::builder().ip_protocol("tcp").from_port(i32::from(from)).to_port(i32::from(to));
    let perm = match source {
        Source::Cidr(c) => perm.ip_ranges(ec2t::IpRange::builder().cidr_ip(c).build()),
        Source::PrefixList(p) => perm.prefix_list_ids(ec2t::PrefixListId::builder().prefix_list_id(p).build()),
        Source::Group(g) => perm.user_id_group_pairs(ec2t::UserIdGroupPair::builder().group_id(g).build()),
        Source::Nothing => return id,
    };
    ec2.authorize_security_group_ingress().group_id(&id).ip_permissions(perm.build()).send().await.expect("ingress");
    id
}

/// Runs one instance in `subnet` with `groups`; with `public_ip` the instance gets an
/// auto-assigned public IP. Returns (instance id, public DNS name if any).
pub async fn instance(cfg: &SdkConfig, subnet: &str, groups: &[String], public_ip: bool) -> (String, Option<String>) {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    if public_ip {
        ec2.modify_subnet_attribute()
            .subnet_id(subnet)
            .map_public_ip_on_launch(ec2t::AttributeBooleanValue::builder().value(true).build())
            .send()
            .await
            .expect("map public ip");
    }
    let out = ec2
        .run_instances()
        .image_id(AMI)
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet)
        .set_security_group_ids(Some(groups.to_vec()))
        .send()
        .await
        .expect("run instance");
    let i = out.instances().first().expect("instance");
    (
        i.instance_id().expect("instance id").to_string(),
        i.public_dns_name().filter(|s| !s.is_empty()).map(str::to_string),
    )
}

/// An EC2 instance standing behind an origin: in its own VPC (`10.<cidr_second_octet>.0.0/16`,
/// internet gateway), with a public address, and a security group `name` that admits each of
/// `ports` from anywhere. Returns the instance id and its public DNS name.
pub async fn instance_origin(cfg: &SdkConfig, cidr_second_octet: u8, name: &str, ports: &[u16]) -> (String, String) {
    let net = vpc(cfg, cidr_second_octet, true).await;
    let sg = security_group(cfg, &net.vpc_id, name, 0, 0, Source::Nothing).await;
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    for port in ports {
        ec2.authorize_security_group_ingress()
            .group_id(&sg)
            .ip_permissions(
                ec2t::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(i32::from(*port))
                    .to_port(i32::from(*port))
                    .ip_ranges(ec2t::IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send()
            .await
            .expect("ingress");
    }
    let (id, dns) = instance(cfg, &net.subnets[0], &[sg], true).await;
    (id, dns.expect("an instance with a public address has a public DNS name"))
}

/// Allocates an Elastic IP and associates it with the instance; returns the address.
pub async fn elastic_ip(cfg: &SdkConfig, instance_id: &str) -> String {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    let a = ec2.allocate_address().domain(ec2t::DomainType::Vpc).send().await.expect("allocate eip");
    let ip = a.public_ip().expect("eip").to_string();
    ec2.associate_address()
        .allocation_id(a.allocation_id().expect("allocation id"))
        .instance_id(instance_id)
        .send()
        .await
        .expect("associate eip");
    ip
}

/// The public DNS name EC2 gives an address in us-east-1.
pub fn ec2_public_name(ip: &str) -> String {
    format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-"))
}

/// Adds an entry to the network ACL of `subnet`'s VPC that applies to it (the default ACL).
pub async fn nacl_entry(
    cfg: &SdkConfig,
    vpc_id: &str,
    rule: i32,
    egress: bool,
    allow: bool,
    from: u16,
    to: u16,
) -> String {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    let acls = ec2
        .describe_network_acls()
        .filters(ec2t::Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .expect("acls");
    let acl = acls
        .network_acls()
        .iter()
        .find(|a| a.is_default() == Some(true))
        .and_then(|a| a.network_acl_id())
        .expect("default acl")
        .to_string();
    ec2.create_network_acl_entry()
        .network_acl_id(&acl)
        .rule_number(rule)
        .protocol("6")
        .rule_action(if allow { ec2t::RuleAction::Allow } else { ec2t::RuleAction::Deny })
        .egress(egress)
        .cidr_block("0.0.0.0/0")
        .port_range(ec2t::PortRange::builder().from(i32::from(from)).to(i32::from(to)).build())
        .send()
        .await
        .expect("acl entry");
    acl
}

/// A network interface in `subnet` holding `private_ip`, with `groups`; returns its id.
pub async fn network_interface(cfg: &SdkConfig, subnet: &str, private_ip: &str, groups: &[String]) -> String {
    let out = aws_sdk_ec2::Client::new(cfg)
        .create_network_interface()
        .subnet_id(subnet)
        .private_ip_address(private_ip)
        .set_groups(Some(groups.to_vec()))
        .send()
        .await
        .expect("network interface");
    out.network_interface().and_then(|n| n.network_interface_id()).expect("eni id").to_string()
}

/// What an NLB's target group holds.
#[derive(Debug, Clone)]
pub enum NlbTarget {
    Instance(String),
    /// A private IP address, with client IP preservation turned on explicitly (it is off by
    /// default for ip targets over TCP).
    Ip(String),
}

pub struct Nlb {
    pub arn: String,
    pub dns_name: String,
    pub target_group_arn: String,
}

/// An internet-facing NLB without security groups, TCP listener on `port` forwarding to a
/// target group with `target` registered.
pub async fn nlb(cfg: &SdkConfig, name: &str, subnets: &[String], vpc_id: &str, port: u16, target: NlbTarget) -> Nlb {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(cfg);
    let lb = elb
        .create_load_balancer()
        .name(name)
        .set_subnets(Some(subnets.to_vec()))
        .scheme(elbt::LoadBalancerSchemeEnum::InternetFacing)
        .r#type(elbt::LoadBalancerTypeEnum::Network)
        .send()
        .await
        .expect("nlb");
    let lb = lb.load_balancers().first().expect("nlb").clone();
    let arn = lb.load_balancer_arn().expect("arn").to_string();
    let tg = elb
        .create_target_group()
        .name(format!("{name}-tg"))
        .protocol(elbt::ProtocolEnum::Tcp)
        .port(i32::from(port))
        .vpc_id(vpc_id)
        .target_type(match target {
            NlbTarget::Instance(_) => elbt::TargetTypeEnum::Instance,
            NlbTarget::Ip(_) => elbt::TargetTypeEnum::Ip,
        })
        .send()
        .await
        .expect("nlb target group");
    let tg_arn = tg.target_groups().first().and_then(|t| t.target_group_arn()).expect("tg arn").to_string();
    let target_id = match &target {
        NlbTarget::Instance(id) => id.clone(),
        NlbTarget::Ip(ip) => {
            elb.modify_target_group_attributes()
                .target_group_arn(&tg_arn)
                .attributes(
                    elbt::TargetGroupAttribute::builder().key("preserve_client_ip.enabled").value("true").build(),
                )
                .send()
                .await
                .expect("preserve client ip");
            ip.clone()
        }
    };
    elb.register_targets()
        .target_group_arn(&tg_arn)
        .targets(elbt::TargetDescription::builder().id(target_id).port(i32::from(port)).build())
        .send()
        .await
        .expect("register target");
    elb.create_listener()
        .load_balancer_arn(&arn)
        .port(i32::from(port))
        .protocol(elbt::ProtocolEnum::Tcp)
        .default_actions(
            elbt::Action::builder().r#type(elbt::ActionTypeEnum::Forward).target_group_arn(&tg_arn).build(),
        )
        .send()
        .await
        .expect("nlb listener");
    Nlb { arn, dns_name: lb.dns_name().expect("dns").to_string(), target_group_arn: tg_arn }
}

/// One origin of a multi-origin distribution.
#[derive(Debug, Clone)]
pub struct OriginSpec {
    pub id: String,
    pub domain: String,
    /// `None` for an S3 origin.
    pub protocol_policy: Option<&'static str>,
}

/// A distribution whose default behavior goes to the first origin and `/<id>/*` to each other
/// origin; the last behavior uses legacy forwarding, the others a managed cache policy.
pub async fn multi_origin_distribution(cfg: &SdkConfig, origins: &[OriginSpec]) -> String {
    let cf = aws_sdk_cloudfront::Client::new(cfg);
    let items: Vec<cft::Origin> = origins
        .iter()
        .map(|o| {
            let b =
                cft::Origin::builder().id(&o.id).domain_name(&o.domain).connection_attempts(2).connection_timeout(5);
            let b = match o.protocol_policy {
                Some(policy) => b.custom_origin_config(
                    cft::CustomOriginConfig::builder()
                        .http_port(80)
                        .https_port(443)
                        .origin_protocol_policy(cft::OriginProtocolPolicy::from(policy))
                        .origin_ssl_protocols(
                            cft::OriginSslProtocols::builder()
                                .quantity(1)
                                .items(cft::SslProtocol::TlSv12)
                                .build()
                                .expect("ssl"),
                        )
                        .origin_read_timeout(45)
                        .origin_keepalive_timeout(5)
                        .build()
                        .expect("custom origin"),
                ),
                None => b.s3_origin_config(cft::S3OriginConfig::builder().origin_access_identity("").build()),
            };
            b.build().expect("origin")
        })
        .collect();
    let methods = |m: &[&str]| m.iter().map(|m| cft::Method::from(*m)).collect::<Vec<_>>();
    let allowed = || {
        cft::AllowedMethods::builder()
            .quantity(2)
            .set_items(Some(methods(&["GET", "HEAD"])))
            .cached_methods(
                cft::CachedMethods::builder()
                    .quantity(2)
                    .set_items(Some(methods(&["GET", "HEAD"])))
                    .build()
                    .expect("c"),
            )
            .build()
            .expect("allowed")
    };
    let mut behaviors = Vec::new();
    for (i, o) in origins.iter().enumerate().skip(1) {
        let b = cft::CacheBehavior::builder()
            .path_pattern(format!("/{}/*", o.id))
            .target_origin_id(&o.id)
            .viewer_protocol_policy(cft::ViewerProtocolPolicy::RedirectToHttps)
            .allowed_methods(allowed());
        #[allow(deprecated)]
        let b = if i == origins.len() - 1 {
            b.forwarded_values(
                cft::ForwardedValues::builder()
                    .query_string(true)
                    .cookies(cft::CookiePreference::builder().forward(cft::ItemSelection::All).build().expect("ck"))
                    .headers(cft::Headers::builder().quantity(1).items("Authorization").build().expect("h"))
                    .build()
                    .expect("fv"),
            )
            .min_ttl(0)
        } else {
            b.cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
                .origin_request_policy_id("216adef6-5c7f-47e4-b989-5492eafa07d3")
        };
        behaviors.push(b.build().expect("behavior"));
    }
    let default = cft::DefaultCacheBehavior::builder()
        .target_origin_id(&origins[0].id)
        .viewer_protocol_policy(cft::ViewerProtocolPolicy::RedirectToHttps)
        .allowed_methods(allowed())
        .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
        .trusted_key_groups(
            cft::TrustedKeyGroups::builder().enabled(true).quantity(1).items("kg-lab").build().expect("kg"),
        )
        .build()
        .expect("default behavior");
    let config = cft::DistributionConfig::builder()
        .caller_reference(format!("lab-net-{}", std::process::id()))
        .origins(cft::Origins::builder().quantity(items.len() as i32).set_items(Some(items)).build().expect("origins"))
        .default_cache_behavior(default)
        .cache_behaviors(
            cft::CacheBehaviors::builder()
                .quantity(behaviors.len() as i32)
                .set_items(Some(behaviors))
                .build()
                .expect("behaviors"),
        )
        .custom_error_responses(
            cft::CustomErrorResponses::builder()
                .quantity(1)
                .items(
                    cft::CustomErrorResponse::builder()
                        .error_code(503)
                        .response_page_path("/errors/503.html")
                        .response_code("503")
                        .error_caching_min_ttl(10)
                        .build()
                        .expect("error response"),
                )
                .build()
                .expect("error responses"),
        )
        .viewer_certificate(
            cft::ViewerCertificate::builder()
                .acm_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/lab")
                .ssl_support_method(cft::SslSupportMethod::SniOnly)
                .minimum_protocol_version(cft::MinimumProtocolVersion::TlSv122021)
                .build(),
        )
        .restrictions(
            cft::Restrictions::builder()
                .geo_restriction(
                    cft::GeoRestriction::builder()
                        .restriction_type(cft::GeoRestrictionType::Blacklist)
                        .quantity(1)
                        .items("KP")
                        .build()
                        .expect("geo"),
                )
                .build(),
        )
        .default_root_object("index.html")
        .http_version(cft::HttpVersion::Http2and3)
        .comment("cf-origin-doctor network lab")
        .enabled(true)
        .build()
        .expect("distribution config");
    let out = cf.create_distribution().distribution_config(config).send().await.expect("create distribution");
    out.distribution().expect("distribution").id().to_string()
}
