//! The networks the lab stages ([`Network`], chosen in each scenario's entry): what they change
//! in the emulator after the ALB is seeded, and the NLB origin the NLB scenarios put in front.

use super::scenario::Network;
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
async fn replace_sg_rule(cfg: &SdkConfig, sg: &str, source: ec2t::IpPermission) {
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
    ec2.authorize_security_group_ingress().group_id(sg).ip_permissions(source).send().await.expect("new rule");
}

/// Applies the network change to the seeded ALB.
pub async fn apply(cfg: &SdkConfig, network: Network, alb: &Alb) {
    let (vpc, sgs) = alb_network(cfg, alb).await;
    match network {
        Network::SgAdmitsOffice => {
            let rule = ec2t::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(ec2t::IpRange::builder().cidr_ip(OFFICE_CIDR).build())
                .build();
            replace_sg_rule(cfg, &sgs[0], rule).await;
        }
        Network::SgAdmitsCloudFrontAndOffice => {
            let pl = super::seed_net::cloudfront_prefix_list(cfg).await;
            let rule = ec2t::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .prefix_list_ids(ec2t::PrefixListId::builder().prefix_list_id(pl).build())
                .ip_ranges(ec2t::IpRange::builder().cidr_ip(OFFICE_CIDR).build())
                .build();
            replace_sg_rule(cfg, &sgs[0], rule).await;
        }
        Network::SgAdmitsOnlyGroup => {
            let web =
                super::seed_net::security_group(cfg, &vpc, "web-tier", 443, 443, super::seed_net::Source::Nothing)
                    .await;
            let rule = ec2t::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .user_id_group_pairs(ec2t::UserIdGroupPair::builder().group_id(web).build())
                .build();
            replace_sg_rule(cfg, &sgs[0], rule).await;
        }
        // A deny for another port (22) leaves CloudFront's traffic alone.
        Network::NaclDenies(port) => {
            super::seed_net::nacl_entry(cfg, &vpc, 50, false, false, port, port).await;
        }
        Network::Open | Network::Nlb { .. } => {}
    }
}

/// For the NLB scenarios: a VPC with an internet route, a target (an instance, or a network
/// interface registered by private IP with client IP preservation on) whose group admits the
/// VPC only (or also CloudFront's prefix list, fixed), and an internet-facing NLB without
/// security groups forwarding TCP:80 to it. Returns the NLB's DNS name.
pub async fn nlb_origin(cfg: &SdkConfig, network: Network) -> Option<String> {
    use super::seed_net::{self, NlbTarget, Source};
    let Network::Nlb { admits_cloudfront: fixed, ip_target } = network else {
        return None;
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
