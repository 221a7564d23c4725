//! What stands behind each origin, gathered concurrently along the dependency graph:
//!
//! ```text
//! GetDistribution
//! ├─ per region: DescribeLoadBalancers ─ per LB: DescribeListeners ─ per listener: certificates, rules
//! │                                    ├─ DescribeLoadBalancerAttributes
//! │                                    ├─ DescribeTargetGroups ─ per group: attributes, health
//! │                                    │                        └─ (NLB without groups) DescribeInstances / DescribeNetworkInterfaces of targets ─ network
//! │                                    └─ network: DescribeSecurityGroups ─ referenced prefix lists ─ entries
//! │                                                                      └ referenced groups (DescribeSecurityGroups)
//! │                                                DescribeSubnets, DescribeNetworkAcls, DescribeRouteTables
//! ├─ per EC2 origin: DescribeInstances + DescribeAddresses ─ (EIP) instance or interface ─ network
//! └─ per region: DescribeManagedPrefixLists (CloudFront's) ─ GetManagedPrefixListEntries
//! ```
//!
//! Region-wide calls are started once and shared ([`Shared`]) by every origin that needs them;
//! nothing waits for an unrelated branch, so the wall time follows the depth of the graph.

use super::{
    ApiError, AwsApi, DESCRIBE_ADDRESSES, DESCRIBE_CERTIFICATE, DESCRIBE_INSTANCES, DESCRIBE_LB_ATTRIBUTES,
    DESCRIBE_LISTENER_CERTIFICATES, DESCRIBE_LISTENERS, DESCRIBE_LOAD_BALANCERS, DESCRIBE_NETWORK_ACLS,
    DESCRIBE_NETWORK_INTERFACES, DESCRIBE_PREFIX_LISTS, DESCRIBE_ROUTE_TABLES, DESCRIBE_RULES,
    DESCRIBE_SECURITY_GROUPS, DESCRIBE_SSL_POLICIES, DESCRIBE_SUBNETS, DESCRIBE_TARGET_GROUPS, DESCRIBE_TARGET_HEALTH,
    DESCRIBE_TG_ATTRIBUTES, GET_CACHE_POLICY, GET_ORIGIN_REQUEST_POLICY, GET_PREFIX_LIST_ENTRIES, GET_VPC_ORIGIN,
    InstanceQuery, InterfaceQuery, LoadBalancerSummary, OriginDomainKind, PrefixListQuery, Recorder,
    classify_origin_domain, find_load_balancer,
};
use crate::evidence::{AcmCertificate, ListenerCertificate, PolicyDefinition, VpcOriginFacts};
use crate::evidence::{
    CLOUDFRONT_PREFIX_LIST_V4, CLOUDFRONT_PREFIX_LIST_V6, Distribution, Fetch, LoadBalancer, NetworkPath, Origin,
    OriginInventory, OriginKind, OriginResource, PrefixList, RegionalPrefixLists, SecurityGroup, TargetGroup,
    TargetNetwork,
};
use crate::forwarding;
use futures_util::future::{BoxFuture, FutureExt, Shared, join, join_all};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

type SharedListing<'a> = Shared<BoxFuture<'a, Result<Vec<LoadBalancerSummary>, ApiError>>>;
type SharedPrefixLists<'a> = Shared<BoxFuture<'a, Fetch<Vec<PrefixList>>>>;

/// One recorded call whose outcome becomes a [`Fetch`]. The call's future is boxed at once:
/// SDK futures are large, and a tree of them held inline (as the joins below would) overflows
/// a 2 MiB thread stack in debug builds.
fn fetch<'a, T: Send + 'a>(
    rec: &'a Recorder,
    action: &'a str,
    region: &'a str,
    fut: impl Future<Output = Result<T, ApiError>> + Send + 'a,
) -> impl Future<Output = Fetch<T>> + Send + 'a {
    let fut: BoxFuture<'a, Result<T, ApiError>> = Box::pin(fut);
    async move { rec.call(action, region, fut).await.map_or_else(|e| e.into_fetch(action), Fetch::fetched) }
}

pub(super) async fn behind_origins<A: AwsApi>(
    api: &A,
    rec: &Recorder,
    d: &Distribution,
) -> (Vec<OriginInventory>, Vec<RegionalPrefixLists>) {
    let kinds: Vec<OriginDomainKind> = d.origins.iter().map(|o| classify_origin_domain(&o.domain_name)).collect();
    let mut lb_regions = BTreeSet::new();
    let mut aws_regions = BTreeSet::new();
    for (origin, kind) in d.origins.iter().zip(&kinds) {
        if !matches!(origin.kind, OriginKind::Custom(_)) {
            continue;
        }
        match kind {
            OriginDomainKind::LoadBalancer { region } => {
                lb_regions.insert(region.clone());
                aws_regions.insert(region.clone());
            }
            OriginDomainKind::Ec2PublicName { region, .. } => {
                aws_regions.insert(region.clone());
            }
            _ => {}
        }
    }
    let listings: BTreeMap<String, SharedListing<'_>> = lb_regions
        .iter()
        .map(|region| {
            let r = region.clone();
            let fut: BoxFuture<'_, _> =
                async move { rec.call(DESCRIBE_LOAD_BALANCERS, &r, Box::pin(api.load_balancers(&r))).await }.boxed();
            (region.clone(), fut.shared())
        })
        .collect();
    let prefix_lists: BTreeMap<String, SharedPrefixLists<'_>> = aws_regions
        .iter()
        .map(|region| {
            let r = region.clone();
            let fut: BoxFuture<'_, _> = async move { cloudfront_prefix_lists(api, rec, &r).await }.boxed();
            (region.clone(), fut.shared())
        })
        .collect();

    let origins = join_all(d.origins.iter().zip(kinds).map(|(origin, kind)| {
        let listings = &listings;
        let prefix_lists = &prefix_lists;
        async move { one_origin(api, rec, origin, kind, listings, prefix_lists).await }
    }));
    let regional = join_all(prefix_lists.iter().map(|(region, lists)| {
        let lists = lists.clone();
        async move { RegionalPrefixLists { region: region.clone(), lists: lists.await } }
    }));
    join(origins, regional).await
}

async fn cloudfront_prefix_lists<A: AwsApi>(api: &A, rec: &Recorder, region: &str) -> Fetch<Vec<PrefixList>> {
    let names = PrefixListQuery::Names(vec![CLOUDFRONT_PREFIX_LIST_V4.into(), CLOUDFRONT_PREFIX_LIST_V6.into()]);
    let lists = fetch(rec, DESCRIBE_PREFIX_LISTS, region, api.managed_prefix_lists(region, &names)).await;
    with_entries(api, rec, region, lists).await
}

/// Reads the entries of every listed prefix list, concurrently.
async fn with_entries<A: AwsApi>(
    api: &A,
    rec: &Recorder,
    region: &str,
    lists: Fetch<Vec<PrefixList>>,
) -> Fetch<Vec<PrefixList>> {
    match lists {
        Fetch::Fetched { value } => Fetch::fetched(
            join_all(value.into_iter().map(|mut pl| async move {
                pl.entries =
                    fetch(rec, GET_PREFIX_LIST_ENTRIES, region, api.prefix_list_entries(region, &pl.prefix_list_id))
                        .await;
                pl
            }))
            .await,
        ),
        other => other,
    }
}

async fn one_origin<'a, A: AwsApi>(
    api: &'a A,
    rec: &'a Recorder,
    origin: &Origin,
    kind: OriginDomainKind,
    listings: &BTreeMap<String, SharedListing<'a>>,
    prefix_lists: &BTreeMap<String, SharedPrefixLists<'a>>,
) -> OriginInventory {
    let region = match &kind {
        OriginDomainKind::LoadBalancer { region } | OriginDomainKind::Ec2PublicName { region, .. } => {
            Some(region.clone())
        }
        _ => None,
    };
    let pls = region.as_ref().and_then(|r| prefix_lists.get(r)).cloned();
    let (resource, network) = match (&origin.kind, kind) {
        (OriginKind::S3 { .. }, _) | (_, OriginDomainKind::S3) => (Fetch::fetched(OriginResource::S3Bucket), None),
        (OriginKind::Vpc { vpc_origin_id }, _) => {
            let (vpc_region, resource, network, facts) = vpc_origin(api, rec, origin, vpc_origin_id).await;
            return OriginInventory {
                origin_id: origin.id.clone(),
                region: vpc_region,
                resource,
                network,
                vpc_origin: Some(facts),
            };
        }
        (OriginKind::Custom(_), OriginDomainKind::LoadBalancer { region }) => match listings.get(&region) {
            Some(listing) => load_balancer_origin(api, rec, &region, origin, listing.clone(), pls).await,
            None => (Fetch::NotApplicable { reason: "region was not listed".into() }, None),
        },
        (OriginKind::Custom(_), OriginDomainKind::Ec2PublicName { region, ip }) => {
            ec2_origin(api, rec, &region, &ip.to_string(), &origin.domain_name, pls).await
        }
        (OriginKind::Custom(_), OriginDomainKind::IpLiteral(ip)) => (
            Fetch::fetched(OriginResource::OutsideAws {
                reason: format!("{ip} is an IP address, not a name this tool can match to an AWS resource"),
            }),
            None,
        ),
        (OriginKind::Custom(_), OriginDomainKind::Other) => (
            Fetch::fetched(OriginResource::OutsideAws {
                reason: format!(
                    "{} is not an AWS load balancer or EC2 public name this tool recognises",
                    origin.domain_name
                ),
            }),
            None,
        ),
    };
    OriginInventory { origin_id: origin.id.clone(), region, resource, network, vpc_origin: None }
}

async fn load_balancer_origin<'a, A: AwsApi>(
    api: &'a A,
    rec: &'a Recorder,
    region: &str,
    origin: &Origin,
    listing: SharedListing<'a>,
    pls: Option<SharedPrefixLists<'a>>,
) -> (Fetch<OriginResource>, Option<NetworkPath>) {
    let lbs = match listing.await {
        Ok(lbs) => lbs,
        Err(e) => return (e.into_fetch(DESCRIBE_LOAD_BALANCERS), None),
    };
    let Some(summary) = find_load_balancer(&lbs, &origin.domain_name) else {
        return (
            Fetch::NotFound {
                action: DESCRIBE_LOAD_BALANCERS.into(),
                message: format!(
                    "no load balancer named {} in {region} of this account (deleted, or in another account)",
                    origin.domain_name
                ),
            },
            None,
        );
    };
    let arn = summary.arn.as_str();
    // Listeners, then per listener its certificates and rules, and the TLS policies in use.
    let listeners = async {
        match fetch(rec, DESCRIBE_LISTENERS, region, api.listeners(region, arn)).await {
            Fetch::Fetched { value } => {
                let mut names: Vec<String> = value
                    .iter()
                    .filter(|l| matches!(l.protocol.as_str(), "HTTPS" | "TLS"))
                    .filter_map(|l| l.ssl_policy.clone())
                    .collect();
                names.sort();
                names.dedup();
                let per_listener = join_all(value.into_iter().map(|mut l| async move {
                    let certs = async {
                        let certs = fetch(
                            rec,
                            DESCRIBE_LISTENER_CERTIFICATES,
                            region,
                            api.listener_certificates(region, &l.arn),
                        );
                        with_acm(api, rec, certs.await).await
                    };
                    let (certs, rules) =
                        join(certs, fetch(rec, DESCRIBE_RULES, region, api.listener_rules(region, &l.arn))).await;
                    l.certificates = certs;
                    l.rules = rules;
                    l
                }));
                let policies = async {
                    if names.is_empty() {
                        Fetch::fetched(Vec::new())
                    } else {
                        fetch(rec, DESCRIBE_SSL_POLICIES, region, api.ssl_policies(region, &names)).await
                    }
                };
                let (listeners, policies) = join(per_listener, policies).await;
                (Fetch::fetched(listeners), policies)
            }
            other => {
                let reason = other.missing_reason().unwrap_or_default();
                (other, Fetch::NotApplicable { reason: format!("the listeners could not be read: {reason}") })
            }
        }
    };
    let attributes = fetch(rec, DESCRIBE_LB_ATTRIBUTES, region, api.load_balancer_attributes(region, arn));
    let target_groups = async {
        match fetch(rec, DESCRIBE_TARGET_GROUPS, region, api.target_groups(region, arn)).await {
            Fetch::Fetched { value } => Fetch::fetched(
                join_all(value.into_iter().map(|mut tg| async move {
                    let (attrs, health) = join(
                        fetch(rec, DESCRIBE_TG_ATTRIBUTES, region, api.target_group_attributes(region, &tg.arn)),
                        fetch(rec, DESCRIBE_TARGET_HEALTH, region, api.target_health(region, &tg.arn)),
                    )
                    .await;
                    tg.attributes = attrs;
                    tg.health = health;
                    tg
                }))
                .await,
            ),
            other => other,
        }
    };
    // An NLB without security groups passes CloudFront's addresses to its targets (client IP
    // preservation), whose own groups then decide: their network needs the targets first.
    let nlb_without_groups = summary.lb_type == "network" && summary.security_groups.is_empty();
    let groups_and_network = async {
        if nlb_without_groups {
            let tgs = target_groups.await;
            let network = nlb_target_network(api, rec, region, summary, &tgs, pls).await;
            (tgs, network)
        } else {
            join(
                target_groups,
                network_path(
                    api,
                    rec,
                    region,
                    "load-balancer",
                    summary.vpc_id.clone(),
                    summary.security_groups.clone(),
                    summary.subnet_ids.clone(),
                    pls,
                ),
            )
            .await
        }
    };
    let (((listeners, ssl_policies), attributes), (target_groups, network)) =
        join(join(listeners, attributes), groups_and_network).await;
    let lb = LoadBalancer {
        arn: summary.arn.clone(),
        name: summary.name.clone(),
        dns_name: summary.dns_name.clone(),
        lb_type: summary.lb_type.clone(),
        scheme: summary.scheme.clone(),
        security_groups: summary.security_groups.clone(),
        listeners,
        ip_address_type: summary.ip_address_type.clone(),
        vpc_id: summary.vpc_id.clone(),
        subnet_ids: summary.subnet_ids.clone(),
        attributes,
        target_groups,
        ssl_policies,
    };
    (Fetch::fetched(OriginResource::LoadBalancer(lb)), Some(network))
}

/// The network of an NLB without security groups: its targets' groups see CloudFront's
/// addresses (with client IP preservation); packets cross the NLB's subnets and the targets'.
/// Instance targets are described by id, `ip` targets by the interface holding the address.
async fn nlb_target_network<'a, A: AwsApi>(
    api: &'a A,
    rec: &'a Recorder,
    region: &str,
    lb: &LoadBalancerSummary,
    tgs: &Fetch<Vec<TargetGroup>>,
    pls: Option<SharedPrefixLists<'a>>,
) -> NetworkPath {
    let mut targets: Vec<TargetNetwork> = Vec::new();
    let mut missing_targets: Option<Fetch<()>> = None;
    match tgs {
        Fetch::Fetched { value } => {
            for tg in value.iter().filter(|tg| matches!(tg.target_type.as_str(), "instance" | "ip")) {
                match &tg.health {
                    Fetch::Fetched { value: health } => targets.extend(health.iter().map(|h| TargetNetwork {
                        target_group_arn: tg.arn.clone(),
                        target_id: h.target_id.clone(),
                        target_type: tg.target_type.clone(),
                        network_interface_id: None,
                        security_groups: Fetch::default(),
                    })),
                    other => missing_targets = Some(other.clone().map(|_| ())),
                }
            }
        }
        other => missing_targets = Some(other.clone().map(|_| ())),
    }
    if targets.is_empty() {
        let mut path =
            network_path(api, rec, region, "targets", lb.vpc_id.clone(), Vec::new(), lb.subnet_ids.clone(), pls).await;
        path.security_groups = match missing_targets {
            Some(m) => m.map(|_| Vec::new()),
            None => Fetch::NotApplicable {
                reason: "the network load balancer has no security groups and no registered instance or ip targets"
                    .into(),
            },
        };
        return path;
    }
    let ids_of = |kind: &str| {
        let mut ids: Vec<String> =
            targets.iter().filter(|t| t.target_type == kind).map(|t| t.target_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let (instance_ids, ips) = (ids_of("instance"), ids_of("ip"));
    let (instances, interfaces) = join(
        async {
            if instance_ids.is_empty() {
                return Fetch::fetched(Vec::new());
            }
            fetch(rec, DESCRIBE_INSTANCES, region, api.instances(region, &InstanceQuery::Ids(instance_ids))).await
        },
        async {
            if ips.is_empty() {
                return Fetch::fetched(Vec::new());
            }
            let q = InterfaceQuery::PrivateIps(ips);
            fetch(rec, DESCRIBE_NETWORK_INTERFACES, region, api.network_interfaces(region, &q)).await
        },
    )
    .await;
    let mut groups: Vec<String> = Vec::new();
    let mut subnets = lb.subnet_ids.clone();
    let mut add = |found: &[String], subnet: Option<&String>| {
        for g in found {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        if let Some(s) = subnet.filter(|s| !subnets.contains(s)) {
            subnets.push(s.clone());
        }
    };
    for t in &mut targets {
        t.security_groups = if t.target_type == "instance" {
            match &instances {
                Fetch::Fetched { value } => match value.iter().find(|i| i.instance_id == t.target_id) {
                    Some(i) => {
                        add(&i.security_groups, i.subnet_id.as_ref());
                        Fetch::fetched(i.security_groups.clone())
                    }
                    None => Fetch::NotFound {
                        action: DESCRIBE_INSTANCES.into(),
                        message: format!("target instance {} is not in {region} of this account", t.target_id),
                    },
                },
                other => missing(other.clone()),
            }
        } else {
            match &interfaces {
                Fetch::Fetched { value } => {
                    match value.iter().find(|n| {
                        n.private_ip.as_deref() == Some(t.target_id.as_str()) || n.private_ips.contains(&t.target_id)
                    }) {
                        Some(n) => {
                            add(&n.security_groups, n.subnet_id.as_ref());
                            t.network_interface_id = Some(n.network_interface_id.clone());
                            Fetch::fetched(n.security_groups.clone())
                        }
                        None => Fetch::NotFound {
                            action: DESCRIBE_NETWORK_INTERFACES.into(),
                            message: format!(
                                "no network interface in {region} of this account holds {} (a target outside \
                                 the VPC, e.g. on premises or in a peered VPC)",
                                t.target_id
                            ),
                        },
                    }
                }
                other => missing(other.clone()),
            }
        };
    }
    let failure = [missing::<_, Vec<SecurityGroup>>(instances), missing(interfaces)]
        .into_iter()
        .find(|f| !matches!(f, Fetch::NotApplicable { .. }));
    let mut path = network_path(api, rec, region, "targets", lb.vpc_id.clone(), groups, subnets, pls).await;
    if path.security_group_ids.is_empty() {
        if let Some(f) = failure {
            path.security_groups = f;
        }
    }
    path.targets = targets;
    path
}

async fn ec2_origin<'a, A: AwsApi>(
    api: &'a A,
    rec: &'a Recorder,
    region: &str,
    ip: &str,
    domain: &str,
    pls: Option<SharedPrefixLists<'a>>,
) -> (Fetch<OriginResource>, Option<NetworkPath>) {
    let by_ip = InstanceQuery::PublicIp(ip.to_string());
    let (instances, addresses) = join(
        fetch(rec, DESCRIBE_INSTANCES, region, api.instances(region, &by_ip)),
        fetch(rec, DESCRIBE_ADDRESSES, region, api.elastic_ips(region, ip)),
    )
    .await;
    let direct = instances.value().and_then(|v| v.iter().find(|i| i.public_ip.as_deref() == Some(ip))).cloned();
    let resource: Fetch<OriginResource> = if let Some(mut i) = direct {
        let by_name =
            i.public_dns_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(domain.trim_end_matches('.')));
        let is_eip = addresses.value().is_some_and(|a| a.iter().any(|a| a.public_ip == ip));
        i.matched_by = if is_eip {
            "elastic-ip"
        } else if by_name {
            "public-dns-name"
        } else {
            "public-ip"
        }
        .into();
        Fetch::fetched(OriginResource::Ec2Instance(i))
    } else if let Some(eip) = addresses.value().and_then(|a| a.iter().find(|a| a.public_ip == ip)).cloned() {
        if let Some(instance_id) = eip.instance_id.clone() {
            let q = InstanceQuery::Ids(vec![instance_id.clone()]);
            match fetch(rec, DESCRIBE_INSTANCES, region, api.instances(region, &q)).await {
                Fetch::Fetched { value } => match value.into_iter().next() {
                    Some(mut i) => {
                        i.matched_by = "elastic-ip".into();
                        Fetch::fetched(OriginResource::Ec2Instance(i))
                    }
                    None => Fetch::NotFound {
                        action: DESCRIBE_INSTANCES.into(),
                        message: format!("Elastic IP {ip} names instance {instance_id}, which was not found"),
                    },
                },
                other => missing(other),
            }
        } else if let Some(eni) = eip.network_interface_id.clone() {
            eni_resource(api, rec, region, &InterfaceQuery::Ids(vec![eni]), ip).await
        } else {
            Fetch::NotFound {
                action: DESCRIBE_ADDRESSES.into(),
                message: format!("Elastic IP {ip} is allocated in {region} but associated with nothing"),
            }
        }
    } else if !matches!(instances, Fetch::Fetched { .. }) {
        // The instance lookup itself failed: say that, not "not found".
        missing(instances)
    } else {
        match eni_resource(api, rec, region, &InterfaceQuery::PublicIp(ip.to_string()), ip).await {
            Fetch::NotFound { .. } => Fetch::NotFound {
                action: DESCRIBE_INSTANCES.into(),
                message: format!(
                    "no instance, Elastic IP or network interface with public IP {ip} in {region} of this account \
                     (released, or in another account)"
                ),
            },
            other => other,
        }
    };
    let network = match resource.value() {
        Some(OriginResource::Ec2Instance(i)) => Some(
            network_path(
                api,
                rec,
                region,
                "instance",
                i.vpc_id.clone(),
                i.security_groups.clone(),
                i.subnet_id.iter().cloned().collect(),
                pls,
            )
            .await,
        ),
        Some(OriginResource::NetworkInterface(n)) => Some(
            network_path(
                api,
                rec,
                region,
                "network-interface",
                n.vpc_id.clone(),
                n.security_groups.clone(),
                n.subnet_id.iter().cloned().collect(),
                pls,
            )
            .await,
        ),
        _ => None,
    };
    (resource, network)
}

async fn eni_resource<A: AwsApi>(
    api: &A,
    rec: &Recorder,
    region: &str,
    query: &InterfaceQuery,
    ip: &str,
) -> Fetch<OriginResource> {
    match fetch(rec, DESCRIBE_NETWORK_INTERFACES, region, api.network_interfaces(region, query)).await {
        Fetch::Fetched { value } => match value.into_iter().next() {
            Some(n) => Fetch::fetched(OriginResource::NetworkInterface(n)),
            None => Fetch::NotFound {
                action: DESCRIBE_NETWORK_INTERFACES.into(),
                message: format!("no network interface with public IP {ip} in {region}"),
            },
        },
        other => missing(other),
    }
}

#[allow(clippy::too_many_arguments)]
async fn network_path<'a, A: AwsApi>(
    api: &'a A,
    rec: &'a Recorder,
    region: &str,
    entry: &str,
    vpc_id: Option<String>,
    security_group_ids: Vec<String>,
    subnet_ids: Vec<String>,
    pls: Option<SharedPrefixLists<'a>>,
) -> NetworkPath {
    let groups = async {
        if security_group_ids.is_empty() {
            return (Fetch::fetched(Vec::new()), Fetch::fetched(Vec::new()), Fetch::fetched(Vec::new()));
        }
        let sgs = fetch(rec, DESCRIBE_SECURITY_GROUPS, region, api.security_groups(region, &security_group_ids)).await;
        let mut lists = BTreeSet::new();
        let mut sources = BTreeSet::new();
        for sg in sgs.value().into_iter().flatten() {
            for rule in sg.ingress.iter() {
                lists.extend(rule.prefix_list_ids.iter().cloned());
                sources.extend(rule.group_ids.iter().cloned());
            }
        }
        for sg in sgs.value().into_iter().flatten() {
            sources.remove(&sg.group_id);
        }
        let (lists, sources) =
            join(referenced_prefix_lists(api, rec, region, lists, pls), referenced_groups(api, rec, region, sources))
                .await;
        (sgs, lists, sources)
    };
    let subnets = async {
        if subnet_ids.is_empty() {
            Fetch::fetched(Vec::new())
        } else {
            fetch(rec, DESCRIBE_SUBNETS, region, api.subnets(region, &subnet_ids)).await
        }
    };
    let vpc = vpc_id.clone();
    let acls_and_routes = async move {
        match &vpc {
            Some(v) => {
                join(
                    fetch(rec, DESCRIBE_NETWORK_ACLS, region, api.network_acls(region, v)),
                    fetch(rec, DESCRIBE_ROUTE_TABLES, region, api.route_tables(region, v)),
                )
                .await
            }
            None => (
                Fetch::NotApplicable { reason: "no VPC is known for this resource".into() },
                Fetch::NotApplicable { reason: "no VPC is known for this resource".into() },
            ),
        }
    };
    let (((security_groups, referenced_prefix_lists, referenced_groups), subnets), (network_acls, route_tables)) =
        join(join(groups, subnets), acls_and_routes).await;
    NetworkPath {
        entry: entry.to_string(),
        vpc_id,
        security_group_ids,
        security_groups,
        referenced_prefix_lists,
        subnet_ids,
        subnets,
        network_acls,
        route_tables,
        referenced_groups,
        targets: Vec::new(),
    }
}

/// The customer prefix lists that rules reference, with their entries. CloudFront's own lists
/// are read once per region: they are left out by id when that read has already finished, and
/// by name otherwise (never waiting for that unrelated branch).
async fn referenced_prefix_lists<'a, A: AwsApi>(
    api: &'a A,
    rec: &'a Recorder,
    region: &str,
    mut ids: BTreeSet<String>,
    pls: Option<SharedPrefixLists<'a>>,
) -> Fetch<Vec<PrefixList>> {
    if let Some(cf) = pls.as_ref().and_then(|p| p.peek()).and_then(|f| f.value()) {
        for pl in cf {
            ids.remove(&pl.prefix_list_id);
        }
    }
    if ids.is_empty() {
        return Fetch::fetched(Vec::new());
    }
    let q = PrefixListQuery::Ids(ids.into_iter().collect());
    let lists = fetch(rec, DESCRIBE_PREFIX_LISTS, region, api.managed_prefix_lists(region, &q)).await.map(|lists| {
        lists
            .into_iter()
            .filter(|p| {
                p.prefix_list_name != CLOUDFRONT_PREFIX_LIST_V4 && p.prefix_list_name != CLOUDFRONT_PREFIX_LIST_V6
            })
            .collect()
    });
    with_entries(api, rec, region, lists).await
}

/// The security groups that rules name as sources: their names, owners and VPCs. A group of
/// another account is not returned (the checks then say whose it is).
async fn referenced_groups<A: AwsApi>(
    api: &A,
    rec: &Recorder,
    region: &str,
    ids: BTreeSet<String>,
) -> Fetch<Vec<SecurityGroup>> {
    if ids.is_empty() {
        return Fetch::fetched(Vec::new());
    }
    let ids: Vec<String> = ids.into_iter().collect();
    fetch(rec, DESCRIBE_SECURITY_GROUPS, region, api.security_groups(region, &ids)).await
}

/// Carries a call's failure over to another value type (a fetched value has no failure to carry).
fn missing<T, U>(f: Fetch<T>) -> Fetch<U> {
    match f {
        Fetch::Fetched { .. } => Fetch::NotApplicable { reason: "no matching resource".into() },
        Fetch::Denied { action, message } => Fetch::Denied { action, message },
        Fetch::Failed { action, code, message } => Fetch::Failed { action, code, message },
        Fetch::NotFound { action, message } => Fetch::NotFound { action, message },
        Fetch::NotApplicable { reason } => Fetch::NotApplicable { reason },
    }
}

/// The custom cache and origin request policies of a distribution's behaviors, read once per id.
pub(super) struct CustomPolicies {
    cache: BTreeMap<String, Fetch<PolicyDefinition>>,
    origin_request: BTreeMap<String, Fetch<PolicyDefinition>>,
}

impl CustomPolicies {
    /// Hands each behavior the definitions of its custom policies.
    pub(super) fn apply(self, d: &mut Distribution) {
        for b in std::iter::once(&mut d.default_behavior).chain(d.behaviors.iter_mut()) {
            b.cache_policy = b.cache_policy_id.as_ref().and_then(|id| self.cache.get(id)).cloned();
            b.origin_request_policy =
                b.origin_request_policy_id.as_ref().and_then(|id| self.origin_request.get(id)).cloned();
        }
    }
}

/// `GetCachePolicy` / `GetOriginRequestPolicy` for every custom policy id (managed ones are
/// carried in [`crate::forwarding`] and cost no call), concurrently.
pub(super) async fn custom_policies<A: AwsApi>(api: &A, rec: &Recorder, d: &Distribution) -> CustomPolicies {
    let behaviors = || std::iter::once(&d.default_behavior).chain(&d.behaviors);
    let custom = |id: Option<&String>| id.filter(|id| !forwarding::is_managed(id)).cloned();
    let cache_ids: BTreeSet<String> = behaviors().filter_map(|b| custom(b.cache_policy_id.as_ref())).collect();
    let orp_ids: BTreeSet<String> = behaviors().filter_map(|b| custom(b.origin_request_policy_id.as_ref())).collect();
    let cache = join_all(cache_ids.into_iter().map(|id| async move {
        let f = fetch(rec, GET_CACHE_POLICY, "us-east-1", api.cache_policy(&id)).await;
        (id, f)
    }));
    let orp = join_all(orp_ids.into_iter().map(|id| async move {
        let f = fetch(rec, GET_ORIGIN_REQUEST_POLICY, "us-east-1", api.origin_request_policy(&id)).await;
        (id, f)
    }));
    let (cache, orp) = join(cache, orp).await;
    CustomPolicies { cache: cache.into_iter().collect(), origin_request: orp.into_iter().collect() }
}

/// The region of an ACM certificate ARN (`arn:aws:acm:<region>:…`); `None` for anything else
/// (an IAM server certificate, say).
fn acm_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    let (_, _, service, region) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (service == "acm" && !region.is_empty()).then_some(region)
}

/// `DescribeCertificate` of one certificate ARN, or why it does not apply.
async fn acm_certificate<A: AwsApi>(api: &A, rec: &Recorder, arn: &str) -> Fetch<AcmCertificate> {
    match acm_region(arn) {
        Some(region) => fetch(rec, DESCRIBE_CERTIFICATE, region, api.certificate(region, arn)).await,
        None => Fetch::NotApplicable { reason: format!("{arn} is not an ACM certificate (IAM server certificate?)") },
    }
}

/// The viewer certificate's ACM description (always us-east-1 for CloudFront).
pub(super) async fn viewer_certificate<A: AwsApi>(api: &A, rec: &Recorder, d: &Distribution) -> Fetch<AcmCertificate> {
    match &d.viewer_certificate {
        Some(v) => match (&v.acm_certificate_arn, &v.iam_certificate_id) {
            (Some(arn), _) => acm_certificate(api, rec, arn).await,
            (None, Some(iam)) => Fetch::NotApplicable { reason: format!("IAM certificate {iam}, not an ACM one") },
            (None, None) => Fetch::NotApplicable { reason: "CloudFront's default *.cloudfront.net certificate".into() },
        },
        None => Fetch::NotApplicable { reason: "the distribution has no ViewerCertificate".into() },
    }
}

/// Adds the ACM description to each of a listener's certificates, concurrently.
async fn with_acm<A: AwsApi>(
    api: &A,
    rec: &Recorder,
    certs: Fetch<Vec<ListenerCertificate>>,
) -> Fetch<Vec<ListenerCertificate>> {
    match certs {
        Fetch::Fetched { value } => Fetch::fetched(
            join_all(value.into_iter().map(|mut c| async move {
                c.acm = acm_certificate(api, rec, &c.certificate_arn).await;
                c
            }))
            .await,
        ),
        other => other,
    }
}

/// A VPC origin: `GetVpcOrigin`, then the internal load balancer or instance its endpoint ARN
/// names (in the ARN's region), its network path, and the groups its rules admit by reference.
async fn vpc_origin<'a, A: AwsApi>(
    api: &'a A,
    rec: &'a Recorder,
    origin: &Origin,
    vpc_origin_id: &str,
) -> (Option<String>, Fetch<OriginResource>, Option<NetworkPath>, VpcOriginFacts) {
    let vo = fetch(rec, GET_VPC_ORIGIN, "us-east-1", api.vpc_origin(vpc_origin_id)).await;
    fn not_read<T>(why: String) -> Fetch<T> {
        Fetch::NotApplicable { reason: why }
    }
    let Some(v) = vo.value().cloned() else {
        let why = format!("the VPC origin could not be read: {}", vo.missing_reason().unwrap_or_default());
        let facts = VpcOriginFacts { vpc_origin: vo, referenced_groups: not_read(why.clone()) };
        return (None, not_read(why), None, facts);
    };
    let Some(region) = v.endpoint_region().map(str::to_string) else {
        let why = format!("endpoint ARN {} names no region", v.endpoint_arn);
        let facts = VpcOriginFacts { vpc_origin: vo, referenced_groups: not_read(why.clone()) };
        return (None, not_read(why), None, facts);
    };
    let (resource, network) = if v.endpoint_arn.contains(":elasticloadbalancing:") {
        match rec.call(DESCRIBE_LOAD_BALANCERS, &region, Box::pin(api.load_balancers(&region))).await {
            Ok(lbs) => match lbs.iter().find(|lb| lb.arn == v.endpoint_arn) {
                Some(lb) => {
                    // Gather it as any load balancer origin, matched by its own DNS name.
                    let mut named = origin.clone();
                    named.domain_name = lb.dns_name.clone();
                    let listing: SharedListing<'a> = futures_util::future::ready(Ok(lbs.clone())).boxed().shared();
                    load_balancer_origin(api, rec, &region, &named, listing, None).await
                }
                None => (
                    Fetch::NotFound {
                        action: DESCRIBE_LOAD_BALANCERS.into(),
                        message: format!("no load balancer {} in {region} of this account", v.endpoint_arn),
                    },
                    None,
                ),
            },
            Err(e) => (e.into_fetch(DESCRIBE_LOAD_BALANCERS), None),
        }
    } else if let Some(instance_id) = v.endpoint_arn.rsplit_once(":instance/").map(|(_, id)| id.to_string()) {
        let q = InstanceQuery::Ids(vec![instance_id.clone()]);
        match fetch(rec, DESCRIBE_INSTANCES, &region, api.instances(&region, &q)).await {
            Fetch::Fetched { value } => match value.into_iter().next() {
                Some(mut i) => {
                    i.matched_by = "vpc-origin-arn".into();
                    let path = network_path(
                        api,
                        rec,
                        &region,
                        "instance",
                        i.vpc_id.clone(),
                        i.security_groups.clone(),
                        i.subnet_id.iter().cloned().collect(),
                        None,
                    )
                    .await;
                    (Fetch::fetched(OriginResource::Ec2Instance(i)), Some(path))
                }
                None => (
                    Fetch::NotFound {
                        action: DESCRIBE_INSTANCES.into(),
                        message: format!("instance {instance_id} not found in {region} of this account"),
                    },
                    None,
                ),
            },
            other => (missing(other), None),
        }
    } else {
        (not_read(format!("endpoint ARN {} is neither a load balancer nor an instance", v.endpoint_arn)), None)
    };
    // The groups the path's rules admit by reference, read with the path (CloudFront's VPC-origin
    // service group is recognised by name among them).
    let referenced_groups = match network.as_ref() {
        Some(path) => path.referenced_groups.clone(),
        None => Fetch::NotApplicable { reason: "no network path was read".into() },
    };
    (Some(region), resource, network, VpcOriginFacts { vpc_origin: vo, referenced_groups })
}
