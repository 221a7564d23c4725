//! Shared reasoning of the network checks: CIDR math, whether security groups admit CloudFront
//! on a port, network ACL evaluation in rule order, and the probe facts they cite. Pure.

use super::{EvidenceItem, Source};
use crate::evidence::{
    CLOUDFRONT_PREFIX_LIST_V4, CLOUDFRONT_PREFIX_LIST_V6, CustomOriginConfig, Evidence, Fetch, NetworkAcl, NetworkPath,
    Origin, OriginInventory, OriginProtocolPolicy, PrefixList, ProbeTarget, Scheme, SecurityGroup, SgRule,
    VPC_ORIGINS_SERVICE_GROUP, ViewerProtocolPolicy,
};
use ipnet::IpNet;
use std::net::IpAddr;

/// An IPv4 or IPv6 network with its host bits cleared (`10.1.2.3/16` is `10.1.0.0/16`): an
/// [`IpNet`] read the way AWS writes CIDR blocks in security-group rules, prefix lists and
/// network ACL entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(IpNet);

impl Cidr {
    /// `address/length`, or a bare address as a host route. The address goes through the
    /// standard library's parser, not ipnet's own (a copy of an older one that accepts IPv4
    /// octets with leading zeros), and the length is a decimal up to the family's width.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (ip, len) = match s.split_once('/') {
            Some((ip, len)) => (ip, Some(len.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let ip: IpAddr = ip.parse().ok()?;
        let net = match len {
            Some(len) => IpNet::new(ip, len).ok()?,
            None => IpNet::from(ip),
        };
        Some(Cidr(net.trunc()))
    }

    pub fn is_v6(&self) -> bool {
        matches!(self.0, IpNet::V6(_))
    }

    /// The width of the family's addresses: 32 or 128.
    pub fn bits(&self) -> u8 {
        self.0.max_prefix_len()
    }

    /// The network's first address as a host route (`/32` or `/128`).
    pub fn first_host(&self) -> Cidr {
        Cidr(IpNet::from(self.0.network()))
    }

    /// Whether `other` lies entirely inside this network (same family).
    pub fn contains(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0)
    }

    /// The network's first address, without the length.
    pub fn address(&self) -> String {
        self.0.network().to_string()
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address(), self.0.prefix_len())
    }
}

/// The union of a set of networks, aggregated once (overlapping and adjacent networks joined
/// into the fewest CIDRs, each family apart) so that many targets are tested against it. A
/// network lies inside the union exactly when it lies inside one aggregated network: any
/// aligned block inside a merged range is inside one block of that range's CIDR split.
pub struct CidrUnion(Vec<IpNet>);

impl CidrUnion {
    pub fn of(set: &[Cidr]) -> CidrUnion {
        CidrUnion(IpNet::aggregate(&set.iter().map(|c| c.0).collect()))
    }

    /// Whether the union covers every address of `target`.
    pub fn covers(&self, target: &Cidr) -> bool {
        self.0.iter().any(|n| n.contains(&target.0))
    }
}

/// The address family an evaluation is about: CloudFront connects over IPv4, and over IPv6
/// when the origin's `IpAddressType` allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// The source that admits every address of the family.
    pub fn world(self) -> &'static str {
        match self {
            Family::V4 => "0.0.0.0/0",
            Family::V6 => "::/0",
        }
    }

    /// CloudFront's origin-facing prefix list of the family.
    pub fn cloudfront_list_name(self) -> &'static str {
        match self {
            Family::V4 => CLOUDFRONT_PREFIX_LIST_V4,
            Family::V6 => CLOUDFRONT_PREFIX_LIST_V6,
        }
    }

    fn ranges(self, r: &SgRule) -> &[String] {
        match self {
            Family::V4 => &r.ipv4_ranges,
            Family::V6 => &r.ipv6_ranges,
        }
    }

    /// Whether a prefix list of `address_family` (`IPv4`/`IPv6`, empty when unknown) can hold
    /// addresses of this family.
    fn matches(self, address_family: &str) -> bool {
        match self {
            Family::V4 => !address_family.eq_ignore_ascii_case("ipv6"),
            Family::V6 => !address_family.eq_ignore_ascii_case("ipv4"),
        }
    }
}

/// Whether the union of `set` covers every address of `target`.
pub fn covers(set: &[Cidr], target: &Cidr) -> bool {
    CidrUnion::of(set).covers(target)
}

/// A custom origin that receives traffic, with what the inventory knows about it.
pub struct NetOrigin<'a> {
    pub origin: &'a Origin,
    pub custom: &'a CustomOriginConfig,
    pub inv: &'a OriginInventory,
}

/// Custom origins that some behavior (directly or through an origin group) sends traffic to.
pub fn net_origins(ev: &Evidence) -> Vec<NetOrigin<'_>> {
    let d = &ev.inventory.distribution;
    d.origins
        .iter()
        .filter(|o| receives_traffic(ev, &o.id))
        .filter_map(|o| Some(NetOrigin { origin: o, custom: o.custom()?, inv: ev.inventory.origin(&o.id)? }))
        .collect()
}

/// Whether a behavior target (an origin or an origin group) sends traffic to `origin_id`.
pub fn routes_to(ev: &Evidence, target: &str, origin_id: &str) -> bool {
    target == origin_id
        || ev
            .inventory
            .distribution
            .origin_groups
            .iter()
            .any(|g| g.id == target && g.members.iter().any(|m| m == origin_id))
}

/// Whether some behavior, directly or through an origin group, sends traffic to `origin_id`.
pub fn receives_traffic(ev: &Evidence, origin_id: &str) -> bool {
    let d = &ev.inventory.distribution;
    std::iter::once(&d.default_behavior).chain(&d.behaviors).any(|b| routes_to(ev, &b.target_origin_id, origin_id))
}

/// The (scheme, port) pairs CloudFront actually uses toward `origin_id`, out of `all` that its
/// protocol policy names: with `match-viewer`, plain HTTP only when a behavior of this origin
/// admits HTTP viewers.
pub fn used_connections(
    ev: &Evidence,
    origin_id: &str,
    policy: OriginProtocolPolicy,
    all: Vec<(Scheme, u16)>,
) -> Vec<(Scheme, u16)> {
    if policy != OriginProtocolPolicy::MatchViewer {
        return all;
    }
    let d = &ev.inventory.distribution;
    let http_viewers = std::iter::once(&d.default_behavior)
        .chain(&d.behaviors)
        .filter(|b| routes_to(ev, &b.target_origin_id, origin_id))
        .any(|b| b.viewer_protocol_policy == ViewerProtocolPolicy::AllowAll);
    all.into_iter().filter(|(s, _)| *s == Scheme::Https || http_viewers).collect()
}

impl NetOrigin<'_> {
    /// The (scheme, port) pairs CloudFront actually uses toward this origin.
    pub fn connections(&self, ev: &Evidence) -> Vec<(Scheme, u16)> {
        used_connections(ev, &self.origin.id, self.custom.protocol_policy, self.custom.origin_connections())
    }

    /// Config evidence: the protocol policy and the two ports.
    pub fn ports_evidence(&self) -> EvidenceItem {
        EvidenceItem::new(
            Source::Config,
            format!("Origins[Id={}].CustomOriginConfig", self.origin.id),
            format!(
                "OriginProtocolPolicy {}, HTTPPort {}, HTTPSPort {}",
                self.custom.protocol_policy.as_api(),
                self.custom.http_port,
                self.custom.https_port
            ),
        )
    }
}

/// CloudFront's origin-facing prefix lists in a region, as the inventory read them.
pub struct CfLists<'a> {
    pub v4: Option<&'a PrefixList>,
    pub v6: Option<&'a PrefixList>,
}

impl CfLists<'_> {
    pub fn v4_id(&self) -> Option<&str> {
        self.id(Family::V4)
    }

    pub fn v4_entries(&self) -> Option<Vec<Cidr>> {
        self.entries(Family::V4)
    }

    fn list(&self, family: Family) -> Option<&PrefixList> {
        match family {
            Family::V4 => self.v4,
            Family::V6 => self.v6,
        }
    }

    pub fn id(&self, family: Family) -> Option<&str> {
        self.list(family).map(|p| p.prefix_list_id.as_str())
    }

    pub fn entries(&self, family: Family) -> Option<Vec<Cidr>> {
        let entries = self.list(family)?.entries.value()?;
        Some(entries.iter().filter_map(|e| Cidr::parse(e)).collect())
    }

    fn is_cloudfront(&self, prefix_list_id: &str) -> bool {
        self.id(Family::V4) == Some(prefix_list_id) || self.id(Family::V6) == Some(prefix_list_id)
    }
}

/// The CloudFront lists of `region`, or why they are unknown.
pub fn cloudfront_lists<'a>(ev: &'a Evidence, region: Option<&str>) -> Result<CfLists<'a>, String> {
    let region = region.ok_or_else(|| "the origin's region is unknown".to_string())?;
    let regional = ev
        .inventory
        .cloudfront_prefix_lists
        .iter()
        .find(|r| r.region == region)
        .ok_or_else(|| format!("CloudFront's prefix lists in {region} were not read"))?;
    match &regional.lists {
        Fetch::Fetched { value } => Ok(CfLists {
            v4: value.iter().find(|p| p.prefix_list_name == CLOUDFRONT_PREFIX_LIST_V4),
            v6: value.iter().find(|p| p.prefix_list_name == CLOUDFRONT_PREFIX_LIST_V6),
        }),
        other => Err(other.missing_reason().unwrap_or_default()),
    }
}

/// How a set of security groups treats CloudFront's addresses of one family on one TCP port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// A rule references CloudFront's prefix list.
    PrefixList { group_id: String, prefix_list_id: String },
    /// A rule admits 0.0.0.0/0 (or ::/0).
    World { group_id: String },
    /// CIDR rules (and customer prefix lists) together cover every CloudFront entry.
    CidrSet { total: usize },
    /// Some CloudFront entries are covered, others not.
    Partial { covered: usize, total: usize, missing: Vec<String> },
    /// Nothing admits CloudFront on the port.
    Blocked,
    /// It cannot be decided; the reason says why.
    Unknown(String),
}

impl Admission {
    pub fn admits_all(&self) -> bool {
        matches!(self, Admission::PrefixList { .. } | Admission::World { .. } | Admission::CidrSet { .. })
    }
}

/// Evaluates the ingress rules of `groups` for CloudFront's `family` addresses on TCP `port`
/// (a connection is let in when any rule of any group admits it). A rule whose source is a
/// security group never admits CloudFront: its addresses are in no group.
pub fn sg_admission(
    groups: &[SecurityGroup],
    port: u16,
    cf: &CfLists<'_>,
    referenced: &[PrefixList],
    family: Family,
) -> Admission {
    let rules: Vec<(&SecurityGroup, &SgRule)> = groups
        .iter()
        .flat_map(|g| g.ingress.iter().map(move |r| (g, r)))
        .filter(|(_, r)| r.covers_tcp_port(port))
        .collect();
    if let Some((g, _)) = rules.iter().find(|(_, r)| family.ranges(r).iter().any(|c| c.trim() == family.world())) {
        return Admission::World { group_id: g.group_id.clone() };
    }
    if let Some(cf_id) = cf.id(family) {
        if let Some((g, _)) = rules.iter().find(|(_, r)| r.prefix_list_ids.iter().any(|p| p == cf_id)) {
            return Admission::PrefixList { group_id: g.group_id.clone(), prefix_list_id: cf_id.to_string() };
        }
    }
    let mut cidrs: Vec<Cidr> = Vec::new();
    let mut unreadable: Vec<String> = Vec::new();
    for (_, r) in &rules {
        cidrs.extend(family.ranges(r).iter().filter_map(|c| Cidr::parse(c)));
        for pl in r.prefix_list_ids.iter().filter(|pl| !cf.is_cloudfront(pl)) {
            match referenced.iter().find(|p| &p.prefix_list_id == pl) {
                Some(p) if !family.matches(&p.address_family) => {}
                Some(p) => match p.entries.value() {
                    Some(entries) => cidrs.extend(entries.iter().filter_map(|c| Cidr::parse(c))),
                    None => unreadable.push(pl.clone()),
                },
                None => unreadable.push(pl.clone()),
            }
        }
    }
    cidrs.retain(|c| c.is_v6() == (family == Family::V6));
    if cidrs.is_empty() && unreadable.is_empty() {
        // No source of this family at all: blocked, whatever CloudFront's list holds.
        return Admission::Blocked;
    }
    let Some(entries) = cf.entries(family) else {
        return Admission::Unknown(format!(
            "CloudFront's origin-facing prefix list {} and its entries could not be read",
            family.cloudfront_list_name()
        ));
    };
    if entries.is_empty() {
        return Admission::Unknown(format!("{} has no entries", family.cloudfront_list_name()));
    }
    let union = CidrUnion::of(&cidrs);
    let missing: Vec<String> = entries.iter().filter(|e| !union.covers(e)).map(Cidr::to_string).collect();
    let total = entries.len();
    if missing.is_empty() {
        Admission::CidrSet { total }
    } else if !unreadable.is_empty() {
        Admission::Unknown(format!(
            "rules reference prefix list(s) {} whose entries could not be read",
            unreadable.join(", ")
        ))
    } else if missing.len() == total {
        Admission::Blocked
    } else {
        Admission::Partial { covered: total - missing.len(), total, missing }
    }
}

/// What the security-group checks of one origin read: its network path, the groups that see
/// CloudFront, CloudFront's lists in the region and the customer lists the rules reference.
pub struct SgContext<'a> {
    pub net: &'a NetworkPath,
    pub groups: &'a [SecurityGroup],
    pub cf: CfLists<'a>,
    /// Why CloudFront's lists are unknown, when they are.
    pub cf_missing: Option<String>,
    pub lists: &'a [PrefixList],
}

/// The security-group context of an origin whose groups were read (`None` otherwise: the
/// check that owns the unreadable groups reports them).
pub fn sg_context<'a>(ev: &'a Evidence, o: &NetOrigin<'a>, net: &'a NetworkPath) -> Option<SgContext<'a>> {
    let groups = net.security_groups.value()?;
    let (cf, cf_missing) = match cloudfront_lists(ev, o.inv.region.as_deref()) {
        Ok(cf) => (cf, None),
        Err(reason) => (CfLists { v4: None, v6: None }, Some(reason)),
    };
    let lists = net.referenced_prefix_lists.value().map(Vec::as_slice).unwrap_or(&[]);
    Some(SgContext { net, groups, cf, cf_missing, lists })
}

impl SgContext<'_> {
    /// [`sg_admission`] over all the context's groups.
    pub fn admission(&self, port: u16, family: Family) -> Admission {
        self.admission_of(self.groups, port, family)
    }

    /// [`sg_admission`] over some of the context's groups (one target's), with the unknown
    /// reason completed by why CloudFront's lists are missing.
    pub fn admission_of(&self, groups: &[SecurityGroup], port: u16, family: Family) -> Admission {
        match sg_admission(groups, port, &self.cf, self.lists, family) {
            Admission::Unknown(reason) => Admission::Unknown(match &self.cf_missing {
                Some(m) => format!("{reason} ({m})"),
                None => reason,
            }),
            other => other,
        }
    }
}

/// A security group named as a rule's source, for evidence: "sg-456 (web-tier)", with the
/// account or peered VPC when they are not the citing group's.
pub fn describe_group_source(citing: &SecurityGroup, rule: &SgRule, group_id: &str, net: &NetworkPath) -> String {
    let known = net
        .security_groups
        .value()
        .into_iter()
        .flatten()
        .chain(net.referenced_groups.value().into_iter().flatten())
        .find(|g| g.group_id == group_id);
    let pair = rule.group_refs.iter().find(|p| p.group_id == group_id);
    let mut notes: Vec<String> = Vec::new();
    if let Some(g) = known {
        notes.push(g.group_name.clone());
        if g.group_name == VPC_ORIGINS_SERVICE_GROUP {
            notes.push("CloudFront's VPC origins group: it admits CloudFront only through a VPC origin".into());
        }
    }
    if let Some(p) = pair {
        match (&p.user_id, &citing.owner_id) {
            (Some(theirs), Some(ours)) if theirs != ours => notes.push(format!("account {theirs}, another account")),
            _ => {}
        }
        if let Some(pcx) = &p.vpc_peering_connection_id {
            notes.push(format!("peered VPC {} via {pcx}", p.vpc_id.as_deref().unwrap_or("?")));
        } else if let (Some(theirs), Some(ours)) = (&p.vpc_id, &citing.vpc_id) {
            if theirs != ours {
                notes.push(format!("VPC {theirs}"));
            }
        }
    }
    if known.is_none() {
        notes.push(match net.referenced_groups.missing_reason() {
            Some(reason) => format!("not read: {reason}"),
            None => "not found in this account and region".into(),
        });
    }
    format!("{group_id} ({})", notes.join(", "))
}

/// "sg-123 admits only sg-456 (web-tier) on tcp 443" for each group whose rules covering the
/// port name only security groups as sources (which never match CloudFront's addresses).
pub fn group_only_sources(net: &NetworkPath, groups: &[SecurityGroup], port: u16) -> Vec<String> {
    groups
        .iter()
        .filter_map(|g| {
            let rules: Vec<&SgRule> = g.ingress.iter().filter(|r| r.covers_tcp_port(port)).collect();
            let only_groups = !rules.is_empty()
                && rules
                    .iter()
                    .all(|r| r.ipv4_ranges.is_empty() && r.ipv6_ranges.is_empty() && r.prefix_list_ids.is_empty());
            if !only_groups {
                return None;
            }
            let sources: Vec<String> = rules
                .iter()
                .flat_map(|r| r.group_ids.iter().map(move |id| describe_group_source(g, r, id, net)))
                .collect();
            Some(format!("{} admits only {} on tcp {port}", g.group_id, sources.join(", ")))
        })
        .collect()
}

/// One line per ingress rule covering `port`, for evidence.
pub fn describe_rules(net: &NetworkPath, groups: &[SecurityGroup], port: u16) -> String {
    let mut lines = Vec::new();
    for g in groups {
        let rules: Vec<String> = g
            .ingress
            .iter()
            .filter(|r| r.covers_tcp_port(port))
            .map(|r| {
                let mut sources: Vec<String> = r.ipv4_ranges.clone();
                sources.extend(r.ipv6_ranges.iter().cloned());
                sources.extend(r.prefix_list_ids.iter().cloned());
                sources.extend(r.group_ids.iter().map(|id| format!("group {}", describe_group_source(g, r, id, net))));
                let ports = match (r.from_port, r.to_port) {
                    (Some(a), Some(b)) if a == b => format!("{a}"),
                    (Some(a), Some(b)) if a >= 0 => format!("{a}-{b}"),
                    _ => "all".into(),
                };
                format!("{} {} from {}", r.ip_protocol, ports, sources.join(", "))
            })
            .collect();
        lines.push(format!(
            "{} ({}): {}",
            g.group_id,
            g.group_name,
            if rules.is_empty() { format!("no ingress rule covers tcp {port}") } else { rules.join("; ") }
        ));
    }
    lines.join(" | ")
}

/// The decision of a network ACL for one address and TCP port: `(allowed, deciding rule)`;
/// `None` as the rule is the final implicit deny.
pub fn nacl_decision(acl: &NetworkAcl, egress: bool, address: &Cidr, port: u16) -> (bool, Option<i32>) {
    for e in acl.ordered(egress) {
        let cidr = if address.is_v6() { e.ipv6_cidr_block.as_deref() } else { e.cidr_block.as_deref() };
        let Some(c) = cidr.and_then(Cidr::parse) else {
            continue;
        };
        if c.contains(address) && e.covers_tcp_port(port) {
            return (e.rule_action.eq_ignore_ascii_case("allow"), Some(e.rule_number));
        }
    }
    (false, None)
}

/// A few of CloudFront's origin-facing ranges, used to evaluate ACLs when the prefix list's
/// entries could not be read.
pub const SAMPLE_CLOUDFRONT_RANGES: &[&str] = &["130.176.0.0/18", "15.158.0.0/16", "64.252.64.0/18", "70.132.0.0/18"];

/// CloudFront's IPv6 range (ip-ranges.json, service CLOUDFRONT), used to evaluate ACLs when the
/// IPv6 origin-facing list was not read.
pub const SAMPLE_CLOUDFRONT_RANGES_V6: &[&str] = &["2600:9000::/28"];

/// The CloudFront addresses an ACL is evaluated for: the origin-facing list's entries of the
/// family when they were read, else the samples above.
pub fn acl_samples(ev: &Evidence, region: Option<&str>, family: Family) -> Vec<Cidr> {
    match cloudfront_lists(ev, region).ok().and_then(|c| c.entries(family)) {
        Some(e) if !e.is_empty() => e,
        _ => match family {
            Family::V4 => SAMPLE_CLOUDFRONT_RANGES,
            Family::V6 => SAMPLE_CLOUDFRONT_RANGES_V6,
        }
        .iter()
        .filter_map(|s| Cidr::parse(s))
        .collect(),
    }
}

/// Reply ports checked outbound (a sample across the ephemeral range).
const EPHEMERAL_SAMPLE: &[u16] = &[1024, 32768, 49152, 65535];

/// Where a network ACL drops CloudFront's connections to `port` from `samples` (one family),
/// each direction's entries evaluated in rule order: (subject, observed, expected).
pub fn acl_problems(acl: &NetworkAcl, subnet: &str, samples: &[Cidr], port: u16) -> Vec<(String, String, String)> {
    let world = if samples.first().is_some_and(Cidr::is_v6) { Family::V6 } else { Family::V4 }.world();
    let rule = |r: Option<i32>| r.map_or("*".to_string(), |r| r.to_string());
    let mut in_denied = Vec::new();
    let mut out_denied = Vec::new();
    for s in samples {
        let host = s.first_host();
        let (ok, r) = nacl_decision(acl, false, &host, port);
        if !ok {
            in_denied.push(format!("{s} (rule {})", rule(r)));
        }
        if let Some((p, r)) = EPHEMERAL_SAMPLE.iter().find_map(|p| {
            let (ok, r) = nacl_decision(acl, true, &host, *p);
            (!ok).then_some((*p, r))
        }) {
            let host = if s.is_v6() { format!("[{}]", s.address()) } else { s.address() };
            out_denied.push(format!("{host}:{p} (rule {})", rule(r)));
        }
    }
    let mut problems = Vec::new();
    if !in_denied.is_empty() {
        problems.push((
            format!("{} inbound (subnet {subnet})", acl.network_acl_id),
            format!(
                "tcp {port} denied for {} of {} CloudFront ranges: {}",
                in_denied.len(),
                samples.len(),
                in_denied.join(", ")
            ),
            format!("allow tcp {port} from {world} before any matching deny"),
        ));
    }
    if !out_denied.is_empty() {
        problems.push((
            format!("{} outbound (subnet {subnet})", acl.network_acl_id),
            format!("replies to CloudFront denied: {}", out_denied.join(", ")),
            format!("allow tcp 1024-65535 to {world}"),
        ));
    }
    problems
}

/// The network path of an origin, or why it is not known (`None` = not an AWS resource with a
/// network path: nothing to check).
pub fn network_of<'a>(o: &NetOrigin<'a>) -> Result<Option<&'a NetworkPath>, String> {
    match &o.inv.resource {
        Fetch::Fetched { .. } => Ok(o.inv.network.as_ref()),
        other => Err(other.missing_reason().unwrap_or_default()),
    }
}

/// A CloudFront-generated 502/504 seen through the distribution, or CloudFront's logs of failed
/// connects to an origin: (subject, observed).
pub fn edge_gateway_error(ev: &Evidence) -> Option<(String, String)> {
    edge_probe_gateway_error(ev).or_else(|| super::cloudfront_view::any_connect_failure(ev))
}

/// A CloudFront 502/504 page seen by an edge probe: (subject, observed).
fn edge_probe_gateway_error(ev: &Evidence) -> Option<(String, String)> {
    for p in ev.observations.edge_probes() {
        for h in &p.hops {
            if let Some(r) = h.response() {
                if matches!(r.status, 502 | 504) && r.cloudfront_error.is_some() {
                    let reason = r.cloudfront_reason().map(|s| s.sentence()).unwrap_or_default();
                    return Some((
                        format!("viewer request {}", h.url),
                        format!("{} from CloudFront: {reason}", r.status),
                    ));
                }
            }
        }
    }
    None
}

/// A direct probe of the origin on `port` that got an HTTP answer: (subject, observed).
pub fn origin_answered(ev: &Evidence, origin_id: &str, port: u16) -> Option<(String, String)> {
    ev.observations.origin_probes(origin_id).find_map(|p| {
        let ProbeTarget::Origin { port: p_port, .. } = &p.target else {
            return None;
        };
        if *p_port != port {
            return None;
        }
        let h = p.hops.first()?;
        let r = h.response()?;
        Some((
            format!("direct probe {} (from {})", h.url, ev.observations.probed_from),
            format!("{} {}: the origin answers this prober, whose address is not CloudFront's", r.status, r.reason),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn cidr_containment_and_union_coverage() {
        assert!(c("10.0.0.0/8").contains(&c("10.1.2.0/24")));
        assert!(!c("10.1.2.0/24").contains(&c("10.0.0.0/8")));
        assert!(c("0.0.0.0/0").contains(&c("130.176.0.0/18")));
        assert_eq!(c("10.1.2.3/16"), c("10.1.0.0/16"), "host bits are cleared");
        let halves = [c("130.176.0.0/19"), c("130.176.32.0/19")];
        assert!(covers(&halves, &c("130.176.0.0/18")), "two halves cover the whole");
        assert!(!covers(&halves[..1], &c("130.176.0.0/18")));
        assert!(!covers(&[c("130.176.0.0/19"), c("130.176.48.0/20")], &c("130.176.0.0/18")), "a gap remains");
        assert!(!covers(&[c("::/0")], &c("130.176.0.0/18")), "families do not mix");
        assert!(c("2600:9000::/28").contains(&c("2600:9000:1::/48")));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
    }

    #[test]
    fn union_coverage_joins_overlaps_and_neighbours_family_by_family() {
        // Adjacent, overlapping and out-of-order networks join; a /24 split in /25s is covered.
        assert!(covers(&[c("192.0.2.128/25"), c("192.0.2.0/25")], &c("192.0.2.0/24")));
        assert!(covers(
            &[c("192.0.2.0/26"), c("192.0.2.0/25"), c("192.0.2.64/26"), c("192.0.2.128/25")],
            &c("192.0.2.0/24")
        ));
        // Three quarters are not the whole, nor is a range that crosses the block's boundary.
        assert!(!covers(&[c("192.0.2.0/25"), c("192.0.2.128/26")], &c("192.0.2.0/24")));
        assert!(!covers(&[c("192.0.2.128/25"), c("192.0.3.0/25")], &c("192.0.2.0/24")));
        // /0 covers its family only; a mixed set covers each family with its own members.
        assert!(covers(&[c("0.0.0.0/0")], &c("203.0.113.7")));
        assert!(!covers(&[c("0.0.0.0/0")], &c("2600:9000::/28")));
        let mixed = [c("2600:9000::/29"), c("130.176.0.0/17"), c("2600:9008::/29")];
        assert!(covers(&mixed, &c("2600:9000::/28")));
        assert!(covers(&mixed, &c("130.176.64.0/18")));
        assert!(!covers(&mixed, &c("130.177.0.0/24")));
        // Host bits are cleared as AWS does, and a bare address is a host route.
        assert_eq!(c("10.1.2.3/16").to_string(), "10.1.0.0/16");
        assert_eq!(c("10.1.2.3").to_string(), "10.1.2.3/32");
        assert!(Cidr::parse("010.1.2.3/32").is_none(), "octets with leading zeros are refused");
        assert!(Cidr::parse("::/129").is_none());
    }

    use crate::evidence::{GroupRef, NaclEntry};
    use crate::testing::{
        CF_PREFIX_LIST, nacl_entry, nacl_entry_v6, network_path, open_nacl, security_group, sg_rule_cidr,
        sg_rule_prefix_list,
    };

    const CF_V6: &str = "pl-0cf6";

    fn list(id: &str, name: &str, family: &str, entries: Option<&[&str]>) -> PrefixList {
        PrefixList {
            prefix_list_id: id.into(),
            prefix_list_name: name.into(),
            address_family: family.into(),
            owner_id: "AWS".into(),
            max_entries: None,
            entries: match entries {
                Some(e) => Fetch::fetched(e.iter().map(|s| s.to_string()).collect()),
                None => Fetch::Denied { action: "ec2:GetManagedPrefixListEntries".into(), message: "x".into() },
            },
        }
    }

    fn v6_rule(cidrs: &[&str]) -> SgRule {
        SgRule { ipv6_ranges: cidrs.iter().map(|s| s.to_string()).collect(), ..sg_rule_cidr(443, 443, &[]) }
    }

    #[test]
    fn ipv6_admission_is_decided_apart_from_ipv4_and_never_guessed() {
        let v4 = list(CF_PREFIX_LIST, CLOUDFRONT_PREFIX_LIST_V4, "IPv4", Some(&["130.176.0.0/18"]));
        let v6 = list(CF_V6, CLOUDFRONT_PREFIX_LIST_V6, "IPv6", Some(&["2600:9000:1000::/36", "2600:9000:2000::/36"]));
        let both = CfLists { v4: Some(&v4), v6: Some(&v6) };
        let v4_only = CfLists { v4: Some(&v4), v6: None };
        let adm = |rules: Vec<SgRule>, cf: &CfLists<'_>, refs: &[PrefixList]| {
            sg_admission(&[security_group("sg-1", rules)], 443, cf, refs, Family::V6)
        };
        assert!(matches!(adm(vec![v6_rule(&["::/0"])], &v4_only, &[]), Admission::World { .. }));
        assert!(matches!(adm(vec![sg_rule_prefix_list(443, 443, CF_V6)], &both, &[]), Admission::PrefixList { .. }));
        // IPv4 sources say nothing about IPv6.
        assert_eq!(adm(vec![sg_rule_cidr(443, 443, &["0.0.0.0/0"])], &both, &[]), Admission::Blocked);
        assert_eq!(adm(vec![sg_rule_prefix_list(443, 443, CF_PREFIX_LIST)], &v4_only, &[]), Admission::Blocked);
        // IPv6 CIDRs covering the IPv6 list admit; half of it is partial.
        assert_eq!(adm(vec![v6_rule(&["2600:9000::/28"])], &both, &[]), Admission::CidrSet { total: 2 });
        assert!(matches!(
            adm(vec![v6_rule(&["2600:9000:1000::/36"])], &both, &[]),
            Admission::Partial { covered: 1, total: 2, .. }
        ));
        // Without the IPv6 list (the emulator lacks it), IPv6 CIDRs cannot be judged.
        match adm(vec![v6_rule(&["2600:9000::/28"])], &v4_only, &[]) {
            Admission::Unknown(reason) => assert!(reason.contains(CLOUDFRONT_PREFIX_LIST_V6), "{reason}"),
            other => panic!("{other:?}"),
        }
        // A customer IPv4 list is no IPv6 source; a customer IPv6 list is.
        let customer4 = list("pl-c4", "office", "IPv4", Some(&["198.51.100.0/24"]));
        let customer6 = list("pl-c6", "edge6", "IPv6", Some(&["2600:9000::/28"]));
        assert_eq!(adm(vec![sg_rule_prefix_list(443, 443, "pl-c4")], &both, &[customer4]), Admission::Blocked);
        assert_eq!(
            adm(vec![sg_rule_prefix_list(443, 443, "pl-c6")], &both, &[customer6]),
            Admission::CidrSet { total: 2 }
        );
    }

    #[test]
    fn a_group_source_never_admits_cloudfront_and_is_named_with_its_owner_and_vpc() {
        let group_rule = |id: &str, pair: GroupRef| SgRule {
            group_ids: vec![id.into()],
            group_refs: vec![pair],
            ..sg_rule_cidr(443, 443, &[])
        };
        let rules = vec![
            group_rule("sg-web", GroupRef { group_id: "sg-web".into(), ..Default::default() }),
            group_rule(
                "sg-far",
                GroupRef {
                    group_id: "sg-far".into(),
                    user_id: Some("111122223333".into()),
                    vpc_id: Some("vpc-peer".into()),
                    vpc_peering_connection_id: Some("pcx-1".into()),
                },
            ),
        ];
        let groups = vec![security_group("sg-1", rules)];
        let v4 = list(CF_PREFIX_LIST, CLOUDFRONT_PREFIX_LIST_V4, "IPv4", None);
        let cf = CfLists { v4: Some(&v4), v6: None };
        // Blocked even though CloudFront's entries are unreadable: no address source at all.
        assert_eq!(sg_admission(&groups, 443, &cf, &[], Family::V4), Admission::Blocked);
        let mut net = network_path("load-balancer", groups.clone());
        let web = SecurityGroup { group_name: "web-tier".into(), ..security_group("sg-web", vec![]) };
        net.referenced_groups = Fetch::fetched(vec![web]);
        let notes = group_only_sources(&net, &groups, 443);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("sg-1 admits only sg-web (web-tier), sg-far ("), "{}", notes[0]);
        assert!(notes[0].contains("account 111122223333, another account"), "{}", notes[0]);
        assert!(notes[0].contains("peered VPC vpc-peer via pcx-1"), "{}", notes[0]);
        assert!(notes[0].contains("not found in this account"), "{}", notes[0]);
        assert!(group_only_sources(&net, &groups, 80).is_empty(), "no rule covers 80");
        // A rule with an address source is not "only groups".
        let mixed = vec![security_group(
            "sg-2",
            vec![SgRule { group_ids: vec!["sg-web".into()], ..sg_rule_cidr(443, 443, &["198.51.100.0/24"]) }],
        )];
        assert!(group_only_sources(&net, &mixed, 443).is_empty());
    }

    #[test]
    fn ipv6_acl_entries_are_evaluated_in_order_apart_from_ipv4_entries() {
        let samples = [c("2600:9000::/28")];
        let with = |entries: Vec<NaclEntry>| NetworkAcl { entries, ..open_nacl(&["subnet-0a"]) };
        assert!(acl_problems(&open_nacl(&["subnet-0a"]), "subnet-0a", &samples, 443).is_empty());
        // An IPv6 deny ahead of the IPv6 allow drops CloudFront over IPv6 ...
        let mut entries = open_nacl(&[]).entries;
        entries.push(nacl_entry_v6(40, false, false, "::/0", Some((443, 443))));
        let p = acl_problems(&with(entries.clone()), "subnet-0a", &samples, 443);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].1.contains("rule 40") && p[0].2.contains("::/0"), "{p:?}");
        // ... but leaves IPv4 alone, and an IPv4 deny does not touch IPv6.
        assert!(acl_problems(&with(entries), "subnet-0a", &[c("130.176.0.0/18")], 443).is_empty());
        let mut v4_deny = open_nacl(&[]).entries;
        v4_deny.push(nacl_entry(40, false, false, "0.0.0.0/0", None));
        assert!(acl_problems(&with(v4_deny), "subnet-0a", &samples, 443).is_empty());
        // IPv4-only entries leave IPv6 to the implicit deny, replies included.
        let v4_only =
            vec![nacl_entry(100, false, true, "0.0.0.0/0", None), nacl_entry(100, true, true, "0.0.0.0/0", None)];
        let p = acl_problems(&with(v4_only), "subnet-0a", &samples, 443);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[1].1.contains("[2600:9000::]:1024 (rule *)"), "{p:?}");
    }
}
