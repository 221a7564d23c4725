//! Shared reasoning of the network checks: CIDR math, whether security groups admit CloudFront
//! on a port, network ACL evaluation in rule order, and the probe facts they cite. Pure.

use crate::evidence::{
    CLOUDFRONT_PREFIX_LIST_V4, CLOUDFRONT_PREFIX_LIST_V6, CustomOriginConfig, Evidence, Fetch, NetworkAcl, NetworkPath,
    Origin, OriginInventory, OriginProtocolPolicy, PrefixList, ProbeTarget, Scheme, SecurityGroup,
    ViewerProtocolPolicy,
};

/// An IPv4 or IPv6 network, both held in 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: u128,
    pub len: u8,
    pub v6: bool,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = match s.trim().split_once('/') {
            Some((ip, len)) => (ip, Some(len.parse::<u8>().ok()?)),
            None => (s.trim(), None),
        };
        let ip: std::net::IpAddr = ip.parse().ok()?;
        let (addr, v6, bits) = match ip {
            std::net::IpAddr::V4(a) => (u128::from(u32::from(a)), false, 32u8),
            std::net::IpAddr::V6(a) => (u128::from(a), true, 128u8),
        };
        let len = len.unwrap_or(bits);
        if len > bits {
            return None;
        }
        let c = Cidr { addr, len, v6 };
        Some(Cidr { addr: addr & c.mask(), ..c })
    }

    fn bits(&self) -> u8 {
        if self.v6 { 128 } else { 32 }
    }

    fn mask(&self) -> u128 {
        if self.len == 0 {
            return 0;
        }
        (u128::MAX << (128 - u32::from(self.len))) >> (128 - u32::from(self.bits()))
    }

    /// Whether `other` lies entirely inside this network (same family).
    pub fn contains(&self, other: &Cidr) -> bool {
        self.v6 == other.v6 && self.len <= other.len && (other.addr & self.mask()) == self.addr
    }

    /// The two halves of this network, or `None` for a single address.
    fn halves(&self) -> Option<(Cidr, Cidr)> {
        if self.len >= self.bits() {
            return None;
        }
        let len = self.len + 1;
        let bit = 1u128 << (u32::from(self.bits()) - u32::from(len));
        Some((Cidr { addr: self.addr, len, v6: self.v6 }, Cidr { addr: self.addr | bit, len, v6: self.v6 }))
    }
}

/// Whether the union of `set` covers every address of `target`.
pub fn covers(set: &[Cidr], target: &Cidr) -> bool {
    if set.iter().any(|s| s.contains(target)) {
        return true;
    }
    if !set.iter().any(|s| target.contains(s)) {
        return false;
    }
    match target.halves() {
        Some((a, b)) => covers(set, &a) && covers(set, &b),
        None => false,
    }
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
    let targets: Vec<&str> =
        std::iter::once(&d.default_behavior).chain(&d.behaviors).map(|b| b.target_origin_id.as_str()).collect();
    let used = |id: &str| {
        targets.contains(&id)
            || d.origin_groups.iter().any(|g| targets.contains(&g.id.as_str()) && g.members.iter().any(|m| m == id))
    };
    d.origins
        .iter()
        .filter(|o| used(&o.id))
        .filter_map(|o| Some(NetOrigin { origin: o, custom: o.custom()?, inv: ev.inventory.origin(&o.id)? }))
        .collect()
}

impl NetOrigin<'_> {
    /// The (scheme, port) pairs CloudFront actually uses toward this origin: with
    /// `match-viewer`, plain HTTP only when a behavior of this origin admits HTTP viewers.
    pub fn connections(&self, ev: &Evidence) -> Vec<(Scheme, u16)> {
        let all = self.custom.origin_connections();
        if self.custom.protocol_policy != OriginProtocolPolicy::MatchViewer {
            return all;
        }
        let d = &ev.inventory.distribution;
        let http_viewers = std::iter::once(&d.default_behavior)
            .chain(&d.behaviors)
            .filter(|b| {
                b.target_origin_id == self.origin.id
                    || d.origin_groups
                        .iter()
                        .any(|g| g.id == b.target_origin_id && g.members.iter().any(|m| m == &self.origin.id))
            })
            .any(|b| b.viewer_protocol_policy == ViewerProtocolPolicy::AllowAll);
        all.into_iter().filter(|(s, _)| *s == Scheme::Https || http_viewers).collect()
    }
}

/// CloudFront's origin-facing prefix lists in a region, as the inventory read them.
pub struct CfLists<'a> {
    pub v4: Option<&'a PrefixList>,
    pub v6: Option<&'a PrefixList>,
}

impl CfLists<'_> {
    pub fn v4_id(&self) -> Option<&str> {
        self.v4.map(|p| p.prefix_list_id.as_str())
    }

    pub fn v4_entries(&self) -> Option<Vec<Cidr>> {
        let entries = self.v4?.entries.value()?;
        Some(entries.iter().filter_map(|e| Cidr::parse(e)).collect())
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

/// How a set of security groups treats CloudFront's IPv4 addresses on one TCP port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// A rule references CloudFront's prefix list.
    PrefixList { group_id: String, prefix_list_id: String },
    /// A rule admits 0.0.0.0/0.
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

/// Evaluates the ingress rules of `groups` for CloudFront on TCP `port` (a connection is let
/// in when any rule of any group admits it).
pub fn sg_admission(groups: &[SecurityGroup], port: u16, cf: &CfLists<'_>, referenced: &[PrefixList]) -> Admission {
    let rules: Vec<(&SecurityGroup, &crate::evidence::SgRule)> = groups
        .iter()
        .flat_map(|g| g.ingress.iter().map(move |r| (g, r)))
        .filter(|(_, r)| r.covers_tcp_port(port))
        .collect();
    if let Some((g, _)) = rules.iter().find(|(_, r)| r.ipv4_ranges.iter().any(|c| c.trim() == "0.0.0.0/0")) {
        return Admission::World { group_id: g.group_id.clone() };
    }
    if let Some(cf_id) = cf.v4_id() {
        if let Some((g, _)) = rules.iter().find(|(_, r)| r.prefix_list_ids.iter().any(|p| p == cf_id)) {
            return Admission::PrefixList { group_id: g.group_id.clone(), prefix_list_id: cf_id.to_string() };
        }
    }
    if rules.is_empty() {
        return Admission::Blocked;
    }
    let mut cidrs: Vec<Cidr> = Vec::new();
    let mut unreadable: Vec<String> = Vec::new();
    for (_, r) in &rules {
        cidrs.extend(r.ipv4_ranges.iter().filter_map(|c| Cidr::parse(c)));
        for pl in &r.prefix_list_ids {
            if Some(pl.as_str()) == cf.v4_id() {
                continue;
            }
            match referenced.iter().find(|p| &p.prefix_list_id == pl).and_then(|p| p.entries.value()) {
                Some(entries) => cidrs.extend(entries.iter().filter_map(|c| Cidr::parse(c))),
                None => unreadable.push(pl.clone()),
            }
        }
    }
    let Some(entries) = cf.v4_entries() else {
        return Admission::Unknown("CloudFront's origin-facing prefix list and its entries could not be read".into());
    };
    if entries.is_empty() {
        return Admission::Unknown("CloudFront's origin-facing prefix list has no entries".into());
    }
    let missing: Vec<String> = entries
        .iter()
        .filter(|e| !covers(&cidrs, e))
        .map(|e| {
            let v4 = std::net::Ipv4Addr::from(u32::try_from(e.addr).unwrap_or(0));
            format!("{v4}/{}", e.len)
        })
        .collect();
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

/// One line per ingress rule covering `port`, for evidence.
pub fn describe_rules(groups: &[SecurityGroup], port: u16) -> String {
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
                sources.extend(r.group_ids.iter().map(|g| format!("group {g}")));
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
        let cidr = if address.v6 { e.ipv6_cidr_block.as_deref() } else { e.cidr_block.as_deref() };
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

/// The network path of an origin, or why it is not known (`None` = not an AWS resource with a
/// network path: nothing to check).
pub fn network_of<'a>(o: &NetOrigin<'a>) -> Result<Option<&'a NetworkPath>, String> {
    match &o.inv.resource {
        Fetch::Fetched { .. } => Ok(o.inv.network.as_ref()),
        other => Err(other.missing_reason().unwrap_or_default()),
    }
}

/// A CloudFront-generated 502/504 seen through the distribution: (subject, observed).
pub fn edge_gateway_error(ev: &Evidence) -> Option<(String, String)> {
    for p in ev.observations.edge_probes() {
        for h in &p.hops {
            if let Some(r) = h.response() {
                if matches!(r.status, 502 | 504) && r.cloudfront_error.is_some() {
                    let reason = r.cloudfront_error.as_ref().and_then(|e| e.reason.clone()).unwrap_or_default();
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
}
