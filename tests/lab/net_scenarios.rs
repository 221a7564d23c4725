//! The network scenarios of the lab: what they change in the emulator after the ALB is
//! seeded, and which origin ports the edge stand-in (CloudFront's view) cannot reach while the
//! prober (whose address the network admits) still reaches the real origin.

use super::Scenario;
use super::seed::Alb;
use aws_config::SdkConfig;
use aws_sdk_ec2::types as ec2t;

/// The office network the blocked scenarios admit instead of CloudFront.
pub const OFFICE_CIDR: &str = "198.51.100.0/24";

/// The ALB's VPC and security groups, read back from the emulator.
async fn alb_network(cfg: &SdkConfig, alb: &Alb) -> (String, Vec<String>) {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(cfg);
    let out = elb.describe_load_balancers().load_balancer_arns(&alb.arn).send().await.expect("describe alb");
    let lb = out.load_balancers().first().expect("alb");
    (lb.vpc_id().expect("vpc").to_string(), lb.security_groups().to_vec())
}

/// Replaces the ALB security group's open rule (tcp 80-443 from 0.0.0.0/0) with `source`.
async fn replace_sg_rule(cfg: &SdkConfig, sg: &str, port: i32, source: ec2t::IpPermission) {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    ec2.revoke_security_group_ingress()
        .group_id(sg)
        .ip_permissions(
            ec2t::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(80)
                .to_port(443)
                .ip_ranges(ec2t::IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .expect("revoke open rule");
    let _ = port;
    ec2.authorize_security_group_ingress().group_id(sg).ip_permissions(source).send().await.expect("new rule");
}

/// Applies the scenario's network change to the seeded ALB.
pub async fn apply(cfg: &SdkConfig, scenario: Scenario, alb: &Alb) {
    let (vpc, sgs) = alb_network(cfg, alb).await;
    match scenario {
        Scenario::SgBlocksCloudFront | Scenario::SgBlocksAndCertExpiring => {
            let rule = ec2t::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(ec2t::IpRange::builder().cidr_ip(OFFICE_CIDR).build())
                .build();
            replace_sg_rule(cfg, &sgs[0], 443, rule).await;
        }
        Scenario::SgBlocksCloudFrontFixed => {
            let pl = super::seed_net::cloudfront_prefix_list(cfg).await;
            let rule = ec2t::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .prefix_list_ids(ec2t::PrefixListId::builder().prefix_list_id(pl).build())
                .ip_ranges(ec2t::IpRange::builder().cidr_ip(OFFICE_CIDR).build())
                .build();
            replace_sg_rule(cfg, &sgs[0], 443, rule).await;
        }
        Scenario::NaclBlocks => {
            super::seed_net::nacl_entry(cfg, &vpc, 50, false, false, 443, 443).await;
        }
        Scenario::SgAdmitsOnlyGroup => {
            let web =
                super::seed_net::security_group(cfg, &vpc, "web-tier", 443, 443, super::seed_net::Source::Nothing)
                    .await;
            let rule = ec2t::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .user_id_group_pairs(ec2t::UserIdGroupPair::builder().group_id(web).build())
                .build();
            replace_sg_rule(cfg, &sgs[0], 443, rule).await;
        }
        Scenario::NaclBlocksFixed => {
            // A deny for an unrelated port leaves CloudFront's traffic alone.
            super::seed_net::nacl_entry(cfg, &vpc, 50, false, false, 22, 22).await;
        }
        _ => {}
    }
}

/// Origin ports CloudFront (the edge stand-in) cannot reach in this scenario.
pub fn edge_blocked_ports(scenario: Scenario) -> Vec<u16> {
    match scenario {
        Scenario::SgBlocksCloudFront
        | Scenario::SgBlocksAndCertExpiring
        | Scenario::NaclBlocks
        | Scenario::SgAdmitsOnlyGroup => vec![443],
        Scenario::InternalAlb | Scenario::NlbSecurityModel | Scenario::NlbIpTargets => vec![80, 443],
        _ => vec![],
    }
}

/// Whether the blocked ports drop CloudFront's packets silently (a security group or network
/// ACL: CloudFront's connection attempts time out, 504) rather than refuse them (502).
pub fn edge_drops_silently(scenario: Scenario) -> bool {
    matches!(scenario, Scenario::SgBlocksCloudFront | Scenario::SgBlocksAndCertExpiring | Scenario::NaclBlocks)
}

/// Listener ports the scenario leaves out of the ALB.
pub fn closed_ports(scenario: Scenario) -> Vec<u16> {
    match scenario {
        Scenario::NothingListening => vec![443],
        _ => vec![],
    }
}

/// A loopback address nobody listens on: connections to it are refused at once.
pub fn refused_address() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    addr
}

/// The scenario's change to the distribution.
pub fn adjust_distribution(scenario: Scenario, spec: &mut super::seed::DistributionSpec) {
    if scenario == Scenario::ProtocolPortMismatch {
        spec.https_port = 80;
    }
}

/// For the NLB scenarios: a VPC with an internet route, a target (an instance, or a network
/// interface registered by private IP with client IP preservation on) whose group admits the
/// VPC only (or also CloudFront's prefix list, fixed), and an internet-facing NLB without
/// security groups forwarding TCP:80 to it. Returns the NLB's DNS name.
pub async fn nlb_origin(cfg: &SdkConfig, scenario: Scenario) -> Option<String> {
    use super::seed_net::{self, NlbTarget, Source};
    let (fixed, ip_target) = match scenario {
        Scenario::NlbSecurityModel => (false, false),
        Scenario::NlbSecurityModelFixed => (true, false),
        Scenario::NlbIpTargets => (false, true),
        Scenario::NlbIpTargetsFixed => (true, true),
        _ => return None,
    };
    let vpc = seed_net::vpc(cfg, 50, true).await;
    let sg =
        seed_net::security_group(cfg, &vpc.vpc_id, "nlb-target", 80, 80, Source::Cidr("10.50.0.0/16".into())).await;
    if fixed {
        let pl = seed_net::cloudfront_prefix_list(cfg).await;
        aws_sdk_ec2::Client::new(cfg)
            .authorize_security_group_ingress()
            .group_id(&sg)
            .ip_permissions(
                ec2t::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(80)
                    .to_port(80)
                    .prefix_list_ids(ec2t::PrefixListId::builder().prefix_list_id(pl).build())
                    .build(),
            )
            .send()
            .await
            .expect("prefix list rule");
    }
    let target = if ip_target {
        seed_net::network_interface(cfg, &vpc.subnets[0], NLB_IP_TARGET, &[sg]).await;
        NlbTarget::Ip(NLB_IP_TARGET.into())
    } else {
        NlbTarget::Instance(seed_net::instance(cfg, &vpc.subnets[0], &[sg], false).await.0)
    };
    let nlb = seed_net::nlb(cfg, "lab-origin-nlb", &vpc.subnets, &vpc.vpc_id, 80, target).await;
    Some(nlb.dns_name)
}

/// The private address of the NLB's ip target in the ip-target scenarios.
pub const NLB_IP_TARGET: &str = "10.50.0.50";
