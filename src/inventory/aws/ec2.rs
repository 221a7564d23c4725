//! EC2: instances, Elastic IPs, network interfaces, security groups, managed prefix lists,
//! subnets, network ACLs and route tables.

use super::{bounded, non_empty, paginate};
use crate::evidence::{
    Ec2Instance, ElasticIp, Fetch, GroupRef, NaclEntry, NetworkAcl, NetworkInterface, PrefixList, Route, RouteTable,
    SecurityGroup, SgRule, Subnet,
};
use crate::inventory::{ApiError, InstanceQuery, InterfaceQuery, PrefixListQuery};
use aws_sdk_ec2 as ec2;

fn group_ids(groups: &[ec2::types::GroupIdentifier]) -> Vec<String> {
    groups.iter().filter_map(|g| g.group_id().map(str::to_string)).collect()
}

fn ec2_filter(name: &str, values: &[String]) -> ec2::types::Filter {
    ec2::types::Filter::builder().name(name).set_values(Some(values.to_vec())).build()
}
fn map_instance(i: &ec2::types::Instance) -> Ec2Instance {
    let mut groups = group_ids(i.security_groups());
    let mut ipv6 = Vec::new();
    for n in i.network_interfaces() {
        for g in group_ids(n.groups()) {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        ipv6.extend(n.ipv6_addresses().iter().filter_map(|a| a.ipv6_address().map(str::to_string)));
    }
    Ec2Instance {
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        state: i.state().and_then(|s| s.name()).map(|n| n.as_str().to_string()).unwrap_or_default(),
        public_ip: non_empty(i.public_ip_address()),
        public_dns_name: non_empty(i.public_dns_name()),
        private_ip: non_empty(i.private_ip_address()),
        ipv6_addresses: ipv6,
        vpc_id: non_empty(i.vpc_id()),
        subnet_id: non_empty(i.subnet_id()),
        security_groups: groups,
        matched_by: String::new(),
    }
}

fn map_permission(p: &ec2::types::IpPermission) -> SgRule {
    SgRule {
        ip_protocol: p.ip_protocol().unwrap_or("-1").to_string(),
        from_port: p.from_port(),
        to_port: p.to_port(),
        ipv4_ranges: p.ip_ranges().iter().filter_map(|r| r.cidr_ip().map(str::to_string)).collect(),
        ipv6_ranges: p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6().map(str::to_string)).collect(),
        prefix_list_ids: p.prefix_list_ids().iter().filter_map(|r| r.prefix_list_id().map(str::to_string)).collect(),
        group_ids: p.user_id_group_pairs().iter().filter_map(|r| r.group_id().map(str::to_string)).collect(),
        group_refs: p.user_id_group_pairs().iter().filter_map(map_group_pair).collect(),
    }
}

fn map_group_pair(r: &ec2::types::UserIdGroupPair) -> Option<GroupRef> {
    Some(GroupRef {
        group_id: r.group_id()?.to_string(),
        user_id: non_empty(r.user_id()),
        vpc_id: non_empty(r.vpc_id()),
        vpc_peering_connection_id: non_empty(r.vpc_peering_connection_id()),
    })
}
pub(super) async fn instances(
    client: &ec2::Client,
    max_pages: usize,
    query: &InstanceQuery,
) -> Result<Vec<Ec2Instance>, ApiError> {
    let filter = match query {
        InstanceQuery::PublicIp(ip) => ec2_filter("ip-address", std::slice::from_ref(ip)),
        InstanceQuery::Ids(ids) => ec2_filter("instance-id", ids),
    };
    paginate(
        max_pages,
        |token| {
            bounded(client.describe_instances().filters(filter.clone()).set_next_token(token).max_results(1000).send())
        },
        |page| page.next_token(),
        |page, out| {
            for r in page.reservations() {
                out.extend(r.instances().iter().map(map_instance));
            }
        },
    )
    .await
}

pub(super) async fn elastic_ips(client: &ec2::Client, public_ip: &str) -> Result<Vec<ElasticIp>, ApiError> {
    let out =
        bounded(client.describe_addresses().filters(ec2_filter("public-ip", &[public_ip.to_string()])).send()).await?;
    Ok(out
        .addresses()
        .iter()
        .map(|a| ElasticIp {
            public_ip: a.public_ip().unwrap_or_default().to_string(),
            allocation_id: non_empty(a.allocation_id()),
            instance_id: non_empty(a.instance_id()),
            network_interface_id: non_empty(a.network_interface_id()),
            private_ip: non_empty(a.private_ip_address()),
        })
        .collect())
}

pub(super) async fn network_interfaces(
    client: &ec2::Client,
    max_pages: usize,
    query: &InterfaceQuery,
) -> Result<Vec<NetworkInterface>, ApiError> {
    let filter = match query {
        InterfaceQuery::PublicIp(ip) => ec2_filter("association.public-ip", std::slice::from_ref(ip)),
        InterfaceQuery::Ids(ids) => ec2_filter("network-interface-id", ids),
        InterfaceQuery::PrivateIps(ips) => ec2_filter("addresses.private-ip-address", ips),
    };
    let found = match describe_network_interfaces(client, max_pages, Some(filter)).await {
        Ok(found) => found,
        // A server that cannot apply the filter answers a service error (the emulator answers
        // 500 to `association.public-ip`): the interfaces are then read unfiltered, page by page
        // under the same bound, and matched here, rather than leaving the origin unresolved.
        // Denied, throttled or timed-out calls are not retried this way.
        Err(ApiError::Failed { .. }) => describe_network_interfaces(client, max_pages, None)
            .await?
            .into_iter()
            .filter(|n| interface_matches(n, query))
            .collect(),
        Err(e) => return Err(e),
    };
    Ok(found.iter().map(map_interface).collect())
}

async fn describe_network_interfaces(
    client: &ec2::Client,
    max_pages: usize,
    filter: Option<ec2::types::Filter>,
) -> Result<Vec<ec2::types::NetworkInterface>, ApiError> {
    paginate(
        max_pages,
        |token| {
            bounded(
                client
                    .describe_network_interfaces()
                    .set_filters(filter.clone().map(|f| vec![f]))
                    .set_next_token(token)
                    .max_results(1000)
                    .send(),
            )
        },
        |page| page.next_token(),
        |page, out| out.extend(page.network_interfaces().iter().cloned()),
    )
    .await
}

/// What the query's EC2 filter selects, applied to an interface read unfiltered.
fn interface_matches(n: &ec2::types::NetworkInterface, query: &InterfaceQuery) -> bool {
    match query {
        // `association.public-ip`: the public address of the interface's primary private
        // address; a secondary private address's association is matched too.
        InterfaceQuery::PublicIp(ip) => {
            n.association().and_then(|a| a.public_ip()) == Some(ip.as_str())
                || n.private_ip_addresses()
                    .iter()
                    .any(|a| a.association().and_then(|x| x.public_ip()) == Some(ip.as_str()))
        }
        InterfaceQuery::Ids(ids) => n.network_interface_id().is_some_and(|id| ids.iter().any(|i| i == id)),
        InterfaceQuery::PrivateIps(ips) => {
            n.private_ip_address().is_some_and(|a| ips.iter().any(|i| i == a))
                || n.private_ip_addresses()
                    .iter()
                    .any(|a| a.private_ip_address().is_some_and(|a| ips.iter().any(|i| i == a)))
        }
    }
}

fn map_interface(n: &ec2::types::NetworkInterface) -> NetworkInterface {
    NetworkInterface {
        network_interface_id: n.network_interface_id().unwrap_or_default().to_string(),
        interface_type: n.interface_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
        description: n.description().unwrap_or_default().to_string(),
        public_ip: n.association().and_then(|a| non_empty(a.public_ip())),
        private_ip: non_empty(n.private_ip_address()),
        vpc_id: non_empty(n.vpc_id()),
        subnet_id: non_empty(n.subnet_id()),
        security_groups: group_ids(n.groups()),
        attached_instance_id: n.attachment().and_then(|a| non_empty(a.instance_id())),
        private_ips: n.private_ip_addresses().iter().filter_map(|a| non_empty(a.private_ip_address())).collect(),
    }
}

pub(super) async fn security_groups(
    client: &ec2::Client,
    max_pages: usize,
    ids: &[String],
) -> Result<Vec<SecurityGroup>, ApiError> {
    paginate(
        max_pages,
        |token| {
            bounded(
                client
                    .describe_security_groups()
                    .filters(ec2_filter("group-id", ids))
                    .set_next_token(token)
                    .max_results(1000)
                    .send(),
            )
        },
        |page| page.next_token(),
        |page, out| {
            for g in page.security_groups() {
                out.push(SecurityGroup {
                    group_id: g.group_id().unwrap_or_default().to_string(),
                    group_name: g.group_name().unwrap_or_default().to_string(),
                    vpc_id: non_empty(g.vpc_id()),
                    owner_id: non_empty(g.owner_id()),
                    ingress: g.ip_permissions().iter().map(map_permission).collect(),
                    egress: g.ip_permissions_egress().iter().map(map_permission).collect(),
                });
            }
        },
    )
    .await
}

pub(super) async fn managed_prefix_lists(
    client: &ec2::Client,
    max_pages: usize,
    query: &PrefixListQuery,
) -> Result<Vec<PrefixList>, ApiError> {
    let filter = match query {
        PrefixListQuery::Names(names) => ec2_filter("prefix-list-name", names),
        PrefixListQuery::Ids(ids) => ec2_filter("prefix-list-id", ids),
    };
    paginate(
        max_pages,
        |token| {
            bounded(
                client
                    .describe_managed_prefix_lists()
                    .filters(filter.clone())
                    .set_next_token(token)
                    .max_results(100)
                    .send(),
            )
        },
        |page| page.next_token(),
        |page, out| {
            for p in page.prefix_lists() {
                out.push(PrefixList {
                    prefix_list_id: p.prefix_list_id().unwrap_or_default().to_string(),
                    prefix_list_name: p.prefix_list_name().unwrap_or_default().to_string(),
                    address_family: p.address_family().unwrap_or_default().to_string(),
                    owner_id: p.owner_id().unwrap_or_default().to_string(),
                    max_entries: p.max_entries(),
                    entries: Fetch::default(),
                });
            }
        },
    )
    .await
}

pub(super) async fn prefix_list_entries(
    client: &ec2::Client,
    max_pages: usize,
    id: &str,
) -> Result<Vec<String>, ApiError> {
    paginate(
        max_pages,
        |token| {
            bounded(
                client
                    .get_managed_prefix_list_entries()
                    .prefix_list_id(id)
                    .set_next_token(token)
                    .max_results(100)
                    .send(),
            )
        },
        |page| page.next_token(),
        |page, out| {
            out.extend(page.entries().iter().filter_map(|e| e.cidr().map(str::to_string)));
        },
    )
    .await
}

pub(super) async fn subnets(client: &ec2::Client, max_pages: usize, ids: &[String]) -> Result<Vec<Subnet>, ApiError> {
    paginate(
        max_pages,
        |token| {
            bounded(
                client
                    .describe_subnets()
                    .filters(ec2_filter("subnet-id", ids))
                    .set_next_token(token)
                    .max_results(1000)
                    .send(),
            )
        },
        |page| page.next_token(),
        |page, out| {
            for s in page.subnets() {
                out.push(Subnet {
                    subnet_id: s.subnet_id().unwrap_or_default().to_string(),
                    vpc_id: s.vpc_id().unwrap_or_default().to_string(),
                    cidr_block: s.cidr_block().unwrap_or_default().to_string(),
                    ipv6_cidr_blocks: s
                        .ipv6_cidr_block_association_set()
                        .iter()
                        .filter_map(|a| a.ipv6_cidr_block().map(str::to_string))
                        .collect(),
                    availability_zone: s.availability_zone().unwrap_or_default().to_string(),
                    map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
                });
            }
        },
    )
    .await
}

pub(super) async fn network_acls(
    client: &ec2::Client,
    max_pages: usize,
    vpc_id: &str,
) -> Result<Vec<NetworkAcl>, ApiError> {
    paginate(
        max_pages,
        |token| {
            bounded(
                client
                    .describe_network_acls()
                    .filters(ec2_filter("vpc-id", &[vpc_id.to_string()]))
                    .set_next_token(token)
                    .max_results(1000)
                    .send(),
            )
        },
        |page| page.next_token(),
        |page, out| {
            for a in page.network_acls() {
                out.push(NetworkAcl {
                    network_acl_id: a.network_acl_id().unwrap_or_default().to_string(),
                    vpc_id: a.vpc_id().unwrap_or_default().to_string(),
                    is_default: a.is_default().unwrap_or(false),
                    subnet_ids: a.associations().iter().filter_map(|s| s.subnet_id().map(str::to_string)).collect(),
                    entries: a
                        .entries()
                        .iter()
                        .map(|e| NaclEntry {
                            rule_number: e.rule_number().unwrap_or(32767),
                            egress: e.egress().unwrap_or(false),
                            protocol: e.protocol().unwrap_or("-1").to_string(),
                            rule_action: e.rule_action().map(|r| r.as_str().to_string()).unwrap_or_default(),
                            cidr_block: non_empty(e.cidr_block()),
                            ipv6_cidr_block: non_empty(e.ipv6_cidr_block()),
                            port_from: e.port_range().and_then(|p| p.from()),
                            port_to: e.port_range().and_then(|p| p.to()),
                        })
                        .collect(),
                });
            }
        },
    )
    .await
}

pub(super) async fn route_tables(
    client: &ec2::Client,
    max_pages: usize,
    vpc_id: &str,
) -> Result<Vec<RouteTable>, ApiError> {
    paginate(
        max_pages,
        |token| {
            bounded(
                client
                    .describe_route_tables()
                    .filters(ec2_filter("vpc-id", &[vpc_id.to_string()]))
                    .set_next_token(token)
                    .max_results(100)
                    .send(),
            )
        },
        |page| page.next_token(),
        |page, out| {
            for t in page.route_tables() {
                out.push(RouteTable {
                    route_table_id: t.route_table_id().unwrap_or_default().to_string(),
                    vpc_id: t.vpc_id().unwrap_or_default().to_string(),
                    main: t.associations().iter().any(|a| a.main().unwrap_or(false)),
                    subnet_ids: t.associations().iter().filter_map(|a| a.subnet_id().map(str::to_string)).collect(),
                    routes: t
                        .routes()
                        .iter()
                        .map(|r| Route {
                            destination: r
                                .destination_cidr_block()
                                .or(r.destination_ipv6_cidr_block())
                                .or(r.destination_prefix_list_id())
                                .unwrap_or_default()
                                .to_string(),
                            target: r
                                .gateway_id()
                                .or(r.nat_gateway_id())
                                .or(r.transit_gateway_id())
                                .or(r.vpc_peering_connection_id())
                                .or(r.network_interface_id())
                                .or(r.instance_id())
                                .or(r.egress_only_internet_gateway_id())
                                .or(r.local_gateway_id())
                                .or(r.carrier_gateway_id())
                                .unwrap_or_default()
                                .to_string(),
                            state: r.state().map(|s| s.as_str().to_string()).unwrap_or_else(|| "active".into()),
                        })
                        .collect(),
                });
            }
        },
    )
    .await
}
