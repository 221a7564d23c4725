//! The network path in front of an origin: EC2 instances and interfaces, security groups,
//! managed prefix lists, network ACLs, route tables and subnets, as the project's own data.
//!
//! Field names follow the EC2 API names in snake_case.

use super::Fetch;
use serde::{Deserialize, Serialize};

/// An EC2 instance standing behind an origin (matched by public DNS name, public IP or
/// Elastic IP), or one registered as a load balancer target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2Instance {
    pub instance_id: String,
    /// `running`, `stopped`, ...
    pub state: String,
    pub public_ip: Option<String>,
    pub public_dns_name: Option<String>,
    pub private_ip: Option<String>,
    pub ipv6_addresses: Vec<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    /// Every security group of the instance (all its network interfaces).
    pub security_groups: Vec<String>,
    /// How the origin's name was matched: `public-dns-name`, `public-ip`, `elastic-ip`, `target`.
    pub matched_by: String,
}

/// An Elastic IP address (`DescribeAddresses`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticIp {
    pub public_ip: String,
    pub allocation_id: Option<String>,
    pub instance_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub private_ip: Option<String>,
}

/// A network interface that is not (only) an instance's: e.g. a load balancer's node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkInterface {
    pub network_interface_id: String,
    /// `interface`, `network_load_balancer`, ...
    pub interface_type: String,
    pub description: String,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub security_groups: Vec<String>,
    pub attached_instance_id: Option<String>,
    /// Every private IPv4 address of the interface (primary and secondary).
    #[serde(default)]
    pub private_ips: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    pub group_id: String,
    pub group_name: String,
    pub vpc_id: Option<String>,
    /// The account that owns the group.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// `IpPermissions`.
    pub ingress: Vec<SgRule>,
    /// `IpPermissionsEgress`.
    pub egress: Vec<SgRule>,
}

/// One `IpPermission`: a protocol and port range with its sources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp`, `-1` (all) or a protocol number.
    pub ip_protocol: String,
    /// `None` with protocol `-1` (all ports).
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub ipv4_ranges: Vec<String>,
    pub ipv6_ranges: Vec<String>,
    pub prefix_list_ids: Vec<String>,
    /// Referenced security groups (`UserIdGroupPairs`).
    pub group_ids: Vec<String>,
    /// The same referenced groups with their owner and VPC, as the rule names them.
    #[serde(default)]
    pub group_refs: Vec<GroupRef>,
}

/// A security group named as the source of a rule (one `UserIdGroupPair`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRef {
    pub group_id: String,
    /// The account that owns the referenced group (`UserId`).
    pub user_id: Option<String>,
    /// Set when the group is in another (peered) VPC.
    pub vpc_id: Option<String>,
    pub vpc_peering_connection_id: Option<String>,
}

/// The security group CloudFront creates for VPC origins: a rule naming it admits CloudFront's
/// connections through a VPC origin (and only those).
pub const VPC_ORIGINS_SERVICE_GROUP: &str = "CloudFront-VPCOrigins-Service-SG";

impl SgRule {
    /// Whether the rule's protocol and port range cover TCP port `port`.
    pub fn covers_tcp_port(&self, port: u16) -> bool {
        match self.ip_protocol.as_str() {
            "-1" | "all" => true,
            "tcp" | "6" => match (self.from_port, self.to_port) {
                (Some(from), Some(to)) => {
                    (from == -1 && to == -1) || (from <= i32::from(port) && i32::from(port) <= to)
                }
                _ => true,
            },
            _ => false,
        }
    }
}

/// A managed prefix list and its entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefixList {
    pub prefix_list_id: String,
    pub prefix_list_name: String,
    /// `IPv4` or `IPv6`.
    pub address_family: String,
    pub owner_id: String,
    pub max_entries: Option<i32>,
    /// The CIDRs (`GetManagedPrefixListEntries`).
    pub entries: Fetch<Vec<String>>,
}

/// The CloudFront origin-facing managed prefix lists of one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionalPrefixLists {
    pub region: String,
    /// `com.amazonaws.global.cloudfront.origin-facing` and its IPv6 twin, as far as they exist.
    pub lists: Fetch<Vec<PrefixList>>,
}

/// Name of CloudFront's origin-facing managed prefix list (IPv4).
pub const CLOUDFRONT_PREFIX_LIST_V4: &str = "com.amazonaws.global.cloudfront.origin-facing";
/// Name of CloudFront's origin-facing managed prefix list (IPv6).
pub const CLOUDFRONT_PREFIX_LIST_V6: &str = "com.amazonaws.global.ipv6.cloudfront.origin-facing";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    pub subnet_id: String,
    pub vpc_id: String,
    pub cidr_block: String,
    pub ipv6_cidr_blocks: Vec<String>,
    pub availability_zone: String,
    pub map_public_ip_on_launch: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkAcl {
    pub network_acl_id: String,
    pub vpc_id: String,
    pub is_default: bool,
    /// Subnets associated with this ACL.
    pub subnet_ids: Vec<String>,
    pub entries: Vec<NaclEntry>,
}

impl NetworkAcl {
    /// Entries in one direction, in evaluation order (lowest rule number first).
    pub fn ordered(&self, egress: bool) -> Vec<&NaclEntry> {
        let mut v: Vec<&NaclEntry> = self.entries.iter().filter(|e| e.egress == egress).collect();
        v.sort_by_key(|e| e.rule_number);
        v
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NaclEntry {
    /// 1-32766; 32767 is the implicit final deny.
    pub rule_number: i32,
    pub egress: bool,
    /// `-1` (all), `6` (tcp), `17` (udp), ...
    pub protocol: String,
    /// `allow` or `deny`.
    pub rule_action: String,
    pub cidr_block: Option<String>,
    pub ipv6_cidr_block: Option<String>,
    pub port_from: Option<i32>,
    pub port_to: Option<i32>,
}

impl NaclEntry {
    /// Whether the entry's protocol and port range cover TCP port `port`.
    pub fn covers_tcp_port(&self, port: u16) -> bool {
        match self.protocol.as_str() {
            "-1" | "all" => true,
            "6" | "tcp" => match (self.port_from, self.port_to) {
                (Some(from), Some(to)) => from <= i32::from(port) && i32::from(port) <= to,
                _ => true,
            },
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteTable {
    pub route_table_id: String,
    pub vpc_id: String,
    /// The VPC's main route table (used by subnets without an explicit association).
    pub main: bool,
    pub subnet_ids: Vec<String>,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Destination CIDR (IPv4 or IPv6) or prefix list id.
    pub destination: String,
    /// `igw-…`, `nat-…`, `local`, `eni-…`, `tgw-…`, `pcx-…`, ... (the first target set).
    pub target: String,
    /// `active` or `blackhole`.
    pub state: String,
}

impl RouteTable {
    /// An active default route (0.0.0.0/0 or ::/0) to an internet gateway.
    pub fn has_internet_gateway_route(&self) -> bool {
        self.routes.iter().any(|r| {
            (r.destination == "0.0.0.0/0" || r.destination == "::/0")
                && r.target.starts_with("igw-")
                && r.state != "blackhole"
        })
    }
}

/// The network in front of one origin: what receives CloudFront's connections and what
/// filters them on the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkPath {
    /// What CloudFront's connections reach first and whose security groups filter them:
    /// `load-balancer`, `instance`, `network-interface`, or `targets` (an NLB without
    /// security groups: its instance targets see CloudFront's addresses).
    pub entry: String,
    pub vpc_id: Option<String>,
    /// The security groups that see CloudFront's addresses.
    pub security_group_ids: Vec<String>,
    pub security_groups: Fetch<Vec<SecurityGroup>>,
    /// Customer-managed prefix lists referenced by those groups' rules, with entries.
    pub referenced_prefix_lists: Fetch<Vec<PrefixList>>,
    /// The subnets CloudFront's packets enter (the load balancer's, or the instance's).
    pub subnet_ids: Vec<String>,
    pub subnets: Fetch<Vec<Subnet>>,
    /// The VPC's network ACLs (a subnet uses the one that lists it).
    pub network_acls: Fetch<Vec<NetworkAcl>>,
    /// The VPC's route tables (a subnet uses the one that lists it, else the main one).
    pub route_tables: Fetch<Vec<RouteTable>>,
    /// The security groups that the rules of `security_groups` name as sources (to say which
    /// group, owner and VPC a rule admits; a group source never matches CloudFront's addresses).
    #[serde(default)]
    pub referenced_groups: Fetch<Vec<SecurityGroup>>,
    /// With entry `targets`: each load balancer target and the security groups of the network
    /// interface that receives CloudFront's connections.
    #[serde(default)]
    pub targets: Vec<TargetNetwork>,
}

/// One target of a network load balancer without security groups, as its network sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetNetwork {
    /// The target group's ARN.
    pub target_group_arn: String,
    /// An instance id (`instance` targets) or a private IP address (`ip` targets).
    pub target_id: String,
    /// `instance` or `ip`.
    pub target_type: String,
    /// The network interface found for an `ip` target (by its private address).
    pub network_interface_id: Option<String>,
    /// The security groups of the target's interface(s), or why they are unknown.
    pub security_groups: Fetch<Vec<String>>,
}

impl NetworkPath {
    /// The ACL that applies to a subnet.
    pub fn acl_for_subnet(&self, subnet_id: &str) -> Option<&NetworkAcl> {
        let acls = self.network_acls.value()?;
        acls.iter().find(|a| a.subnet_ids.iter().any(|s| s == subnet_id)).or_else(|| acls.iter().find(|a| a.is_default))
    }

    /// The route table that applies to a subnet.
    pub fn route_table_for_subnet(&self, subnet_id: &str) -> Option<&RouteTable> {
        let tables = self.route_tables.value()?;
        tables.iter().find(|t| t.subnet_ids.iter().any(|s| s == subnet_id)).or_else(|| tables.iter().find(|t| t.main))
    }
}
