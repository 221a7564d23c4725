//! Where a probe may connect. Targets come only from names the distribution holds; every
//! resolved address is checked (not only the name), so a DNS answer, a `--connect-to` override
//! or a redirect that points at the instance metadata service is refused.
//!
//! Addresses are judged by the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890
//! and its updates), plus the multicast and reserved blocks of the IPv4 address space. An IPv6
//! address that carries an IPv4 address (IPv4-mapped and -compatible, SIIT, NAT64, 6to4,
//! Teredo) is judged as that IPv4 address too, and the stricter verdict wins, so no IPv6
//! spelling reaches what its IPv4 form may not.
//!
//! The rule:
//! - never probed, whatever `--allow-private-targets` says: the metadata services
//!   (169.254.169.254, 169.254.170.2, fd00:ec2::/32) in every spelling, link-local,
//!   "this network" and unspecified, multicast, broadcast, reserved, documentation, discard,
//!   IETF protocol assignments, deprecated site-local, local-use NAT64 and SRv6 SIDs: none of them is a host a
//!   CloudFront origin can be, so a probe there can only be steered;
//! - probed only with `--allow-private-targets`: loopback, private (RFC 1918), shared (RFC
//!   6598), benchmarking (RFC 2544) and unique-local (RFC 4193): addresses a test network or a VPC uses,
//!   which CloudFront cannot reach over the internet;
//! - every other address is probed.

use super::dns;
use crate::request::ConnectTo;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::time::{Instant, timeout_at};

/// Why an address may not be probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressVerdict {
    Allowed,
    /// Never probed: metadata, link-local, unspecified, multicast, broadcast, reserved,
    /// documentation and the other special-purpose blocks no origin can be in.
    Forbidden(String),
    /// Probed only with `--allow-private-targets`: loopback, private, shared, unique-local.
    PrivateNeedsOptIn(String),
}

impl AddressVerdict {
    fn strictness(&self) -> u8 {
        match self {
            AddressVerdict::Allowed => 0,
            AddressVerdict::PrivateNeedsOptIn(_) => 1,
            AddressVerdict::Forbidden(_) => 2,
        }
    }

    /// Whether a probe may connect, given `--allow-private-targets`.
    pub fn permits(&self, allow_private: bool) -> bool {
        match self {
            AddressVerdict::Allowed => true,
            AddressVerdict::PrivateNeedsOptIn(_) => allow_private,
            AddressVerdict::Forbidden(_) => false,
        }
    }

    /// Why `ip` is not probed (None when it is), as recorded in the evidence.
    pub fn refusal(&self, ip: IpAddr, allow_private: bool) -> Option<String> {
        match self {
            AddressVerdict::Allowed => None,
            AddressVerdict::PrivateNeedsOptIn(_) if allow_private => None,
            AddressVerdict::PrivateNeedsOptIn(why) => {
                Some(format!("{ip} is a {why}; pass --allow-private-targets to probe it"))
            }
            AddressVerdict::Forbidden(why) => Some(format!("{ip} is a {why} and is never probed")),
        }
    }
}

/// What a registry entry makes of an address inside it.
#[derive(Clone, Copy)]
enum Class {
    /// Judged only by the IPv4 address it carries (or allowed, when it carries none).
    Embeds,
    OptIn(&'static str),
    Never(&'static str),
}

const METADATA: &str = "link-local instance metadata address (EC2 IMDS, ECS task metadata)";
const METADATA_V6: &str = "unique-local instance metadata address (EC2 IMDS over IPv6)";

/// The IANA IPv4 Special-Purpose Address Registry, with 224.0.0.0/4 (multicast, RFC 5771)
/// and 240.0.0.0/4 (reserved, RFC 1112) from the IPv4 address space registry, and the AWS
/// metadata endpoints inside 169.254.0.0/16. The longest matching prefix decides.
const V4_REGISTRY: &[(Ipv4Addr, u8, Class)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, Class::Never("\"this network\" address (RFC 791), not a host")),
    (Ipv4Addr::new(10, 0, 0, 0), 8, Class::OptIn("private (RFC 1918) address")),
    (Ipv4Addr::new(100, 64, 0, 0), 10, Class::OptIn("shared address space (RFC 6598) address")),
    (Ipv4Addr::new(127, 0, 0, 0), 8, Class::OptIn("loopback address")),
    (Ipv4Addr::new(169, 254, 0, 0), 16, Class::Never("link-local address (RFC 3927; the instance metadata range)")),
    // The EC2 Instance Metadata Service and the ECS task metadata / credentials endpoint.
    (Ipv4Addr::new(169, 254, 169, 254), 32, Class::Never(METADATA)),
    (Ipv4Addr::new(169, 254, 170, 2), 32, Class::Never(METADATA)),
    (Ipv4Addr::new(172, 16, 0, 0), 12, Class::OptIn("private (RFC 1918) address")),
    (Ipv4Addr::new(192, 0, 0, 0), 24, Class::Never("IETF protocol assignment (RFC 6890), not an origin")),
    (Ipv4Addr::new(192, 0, 2, 0), 24, Class::Never("documentation address (TEST-NET-1, RFC 5737)")),
    (Ipv4Addr::new(192, 88, 99, 0), 24, Class::Never("deprecated 6to4 relay anycast address (RFC 7526)")),
    (Ipv4Addr::new(192, 168, 0, 0), 16, Class::OptIn("private (RFC 1918) address")),
    (Ipv4Addr::new(198, 18, 0, 0), 15, Class::OptIn("benchmarking (RFC 2544) address")),
    (Ipv4Addr::new(198, 51, 100, 0), 24, Class::Never("documentation address (TEST-NET-2, RFC 5737)")),
    (Ipv4Addr::new(203, 0, 113, 0), 24, Class::Never("documentation address (TEST-NET-3, RFC 5737)")),
    (Ipv4Addr::new(224, 0, 0, 0), 4, Class::Never("multicast address (RFC 5771), not a unicast host")),
    (Ipv4Addr::new(240, 0, 0, 0), 4, Class::Never("reserved address (RFC 1112), not a unicast host")),
    (Ipv4Addr::new(255, 255, 255, 255), 32, Class::Never("limited broadcast address (RFC 919)")),
];

const fn v6(s: [u16; 8]) -> Ipv6Addr {
    Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
}

/// The IANA IPv6 Special-Purpose Address Registry, with ff00::/8 (multicast, RFC 4291),
/// fec0::/10 (site-local, deprecated by RFC 3879) and the EC2 metadata range inside fc00::/7.
/// The longest matching prefix decides. Sub-allocations of 2001::/23 other than Teredo (PCP and
/// TURN anycast, AMT, AS112, ORCHIDv2, benchmarking) are judged as the /23: no origin is there.
const V6_REGISTRY: &[(Ipv6Addr, u8, Class)] = &[
    (v6([0; 8]), 128, Class::Never("unspecified address, not a host")),
    (v6([0, 0, 0, 0, 0, 0, 0, 1]), 128, Class::OptIn("loopback address")),
    // IPv4-mapped (RFC 4291 2.5.5.2), IPv4-compatible (deprecated, RFC 4291 2.5.5.1), SIIT
    // IPv4-translated (RFC 2765) and NAT64 well-known prefix (RFC 6052) addresses: as their IPv4.
    (v6([0, 0, 0, 0, 0, 0xffff, 0, 0]), 96, Class::Embeds),
    (v6([0; 8]), 96, Class::Embeds),
    (v6([0, 0, 0, 0, 0xffff, 0, 0, 0]), 96, Class::Embeds),
    (v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]), 96, Class::Embeds),
    // RFC 8215: where the IPv4 sits depends on the operator's prefix length (RFC 6052 section
    // 2.2), which the probe cannot know, so no reading of it can be trusted.
    (
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]),
        48,
        Class::Never("local-use NAT64 address (RFC 8215) whose IPv4 cannot be located"),
    ),
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0]), 64, Class::Never("discard-only address (RFC 6666)")),
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 23, Class::Never("IETF protocol assignment (RFC 2928), not an origin")),
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 32, Class::Embeds),
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), 32, Class::Never("documentation address (RFC 3849)")),
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0]), 16, Class::Embeds),
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]), 20, Class::Never("documentation address (RFC 9637)")),
    (v6([0x5f00, 0, 0, 0, 0, 0, 0, 0]), 16, Class::Never("SRv6 SID address (RFC 9602), not a host")),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]), 7, Class::OptIn("unique-local address")),
    // EC2's IPv6 link-local services: metadata (fd00:ec2::254), DNS, time sync.
    (v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0]), 32, Class::Never("EC2 local service address (instance metadata range)")),
    (v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]), 128, Class::Never(METADATA_V6)),
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 10, Class::Never("link-local address")),
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0]), 10, Class::Never("deprecated site-local address (RFC 3879)")),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0]), 8, Class::Never("multicast address, not a unicast host")),
];

fn in_prefix(addr: u128, net: u128, len: u8, bits: u32) -> bool {
    let len = u32::from(len).min(bits);
    if len == 0 {
        return true;
    }
    let shift = bits - len;
    (addr >> shift) == (net >> shift)
}

fn longest<A: Copy>(table: &[(A, u8, Class)], bits: u32, addr: u128, key: impl Fn(A) -> u128) -> Option<Class> {
    table
        .iter()
        .filter(|(net, len, _)| in_prefix(addr, key(*net), *len, bits))
        .max_by_key(|(_, len, _)| *len)
        .map(|(_, _, c)| *c)
}

fn verdict(class: Option<Class>) -> AddressVerdict {
    match class {
        None | Some(Class::Embeds) => AddressVerdict::Allowed,
        Some(Class::OptIn(why)) => AddressVerdict::PrivateNeedsOptIn(why.to_string()),
        Some(Class::Never(why)) => AddressVerdict::Forbidden(why.to_string()),
    }
}

pub fn classify_address(ip: IpAddr) -> AddressVerdict {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressVerdict {
    verdict(longest(V4_REGISTRY, 32, u128::from(u32::from(ip)), |a| u128::from(u32::from(a))))
}

fn classify_v6(ip: Ipv6Addr) -> AddressVerdict {
    let mut worst = verdict(longest(V6_REGISTRY, 128, u128::from(ip), u128::from));
    for (v4, form) in embedded_v4(ip) {
        let inner = match classify_v4(v4) {
            AddressVerdict::Allowed => AddressVerdict::Allowed,
            AddressVerdict::PrivateNeedsOptIn(why) => {
                AddressVerdict::PrivateNeedsOptIn(format!("{why}: {v4}, embedded as {form}"))
            }
            AddressVerdict::Forbidden(why) => AddressVerdict::Forbidden(format!("{why}: {v4}, embedded as {form}")),
        };
        if inner.strictness() > worst.strictness() {
            worst = inner;
        }
    }
    worst
}

/// The IPv4 addresses an IPv6 address carries, each with the form that carries it.
pub fn embedded_v4(ip: Ipv6Addr) -> Vec<(Ipv4Addr, &'static str)> {
    let s = ip.segments();
    let o = ip.octets();
    let v4 = |b: &[u8]| Ipv4Addr::new(b[0], b[1], b[2], b[3]);
    let last = v4(&o[12..16]);
    let mut out = Vec::new();
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => out.push((last, "an IPv4-mapped address (::ffff:0:0/96)")),
        // ::/128 and ::1 are IPv6's own unspecified and loopback addresses, not IPv4-compatible.
        [0, 0, 0, 0, 0, 0, 0, 0 | 1] => {}
        [0, 0, 0, 0, 0, 0, _, _] => out.push((last, "an IPv4-compatible address (::/96)")),
        [0, 0, 0, 0, 0xffff, 0, _, _] => out.push((last, "an SIIT IPv4-translated address (::ffff:0:0:0/96)")),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => out.push((last, "a NAT64 address (64:ff9b::/96)")),
        [0x2002, ..] => out.push((v4(&o[2..6]), "a 6to4 address (2002::/16)")),
        [0x2001, 0, ..] => {
            // RFC 4380 section 4: the Teredo server's IPv4 in bits 32-63, the client's, with
            // every bit inverted, in bits 96-127.
            out.push((v4(&o[4..8]), "the Teredo server of a Teredo address (2001::/32)"));
            let client = !u32::from(last);
            out.push((Ipv4Addr::from(client), "the Teredo client of a Teredo address (2001::/32)"));
        }
        _ => {}
    }
    out
}

/// How names are resolved during one probe phase: every lookup a probe makes goes through
/// [`lookup`], bounded by `wait` and by the phase's deadline.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    pub overrides: &'a [ConnectTo],
    pub allow_private: bool,
    /// Asked directly; without it, the system's nameserver (see [`lookup`]).
    pub dns_server: Option<SocketAddr>,
    /// The bound on one lookup.
    pub wait: Duration,
    /// The probe phase's end: no lookup outlives it.
    pub deadline: Instant,
}

impl<'a> Resolver<'a> {
    /// The resolver of a probe phase ending at `deadline`. A lookup is part of reaching a host,
    /// so it gets the connect bound.
    pub fn new(settings: &'a crate::request::ProbeSettings, deadline: Instant) -> Self {
        Resolver {
            overrides: &settings.connect_to,
            allow_private: settings.allow_private_targets,
            dns_server: settings.dns_server,
            wait: settings.limits.connect_timeout,
            deadline,
        }
    }

    /// When a lookup started now must be answered.
    pub fn until(&self) -> Instant {
        (Instant::now() + self.wait).min(self.deadline)
    }
}

/// What one lookup gave, and who answered.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// `resolver <addr>` or `system`.
    pub source: String,
    pub answer: Result<dns::Answer, String>,
}

/// The one bounded lookup: asks `server`, else the system's first nameserver (resolv.conf), by
/// the DNS client in `dns.rs`; only where there is no nameserver at all does it fall back to
/// the system resolver library, abandoned at `until` (getaddrinfo cannot be cancelled, and its
/// resolv.conf `timeout`/`attempts` would otherwise set the pace).
pub async fn lookup(name: &str, server: Option<SocketAddr>, until: Instant) -> Lookup {
    let ms = until.saturating_duration_since(Instant::now()).as_millis();
    match server.or_else(dns::system_nameserver) {
        Some(server) => {
            let wait = until.saturating_duration_since(Instant::now());
            let answer = match timeout_at(until, dns::resolve_both(server, name, wait)).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(dns::DnsError::Timeout(server).to_string()),
            };
            Lookup { source: format!("resolver {server}"), answer }
        }
        None => {
            let answer = match timeout_at(until, tokio::net::lookup_host((name, 0))).await {
                Ok(Ok(addrs)) => Ok(dns::Answer { cnames: Vec::new(), addresses: addrs.map(|a| a.ip()).collect() }),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("timeout: no answer from the system resolver within {ms} ms")),
            };
            Lookup { source: "system".into(), answer }
        }
    }
}

/// An IP address spelled as a URL host, the way the `url` crate (the WHATWG URL host parser)
/// reads it: dotted, decimal (`2852039166`), octal (`0251.0376.0251.0376`), hex
/// (`0xa9fea9fe`), short (`169.254.43518`), with a trailing dot, or bracketed IPv6. A name
/// read this way by a browser following a redirect, by getaddrinfo or by us is one address.
pub fn ip_literal(host: &str) -> Option<IpAddr> {
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        return Some(ip);
    }
    match url::Host::parse(host).ok()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// Resolves a host:port to the addresses a probe may use, applying `--connect-to` overrides and
/// the address policy. Returns the addresses and whether they came from an override. Addresses
/// of a mixed answer that the policy refuses are dropped and the others used: the check is on
/// the address connected to, so no refused one is reached (the name's DNS observation notes
/// each); when none is left the name is refused with every reason.
pub async fn resolve(host: &str, port: u16, r: &Resolver<'_>) -> Result<(Vec<SocketAddr>, bool), ResolveError> {
    let host_lc = host.trim_end_matches('.').to_ascii_lowercase();
    let literal = ip_literal(host);
    // A name that is itself a refused address stays refused whatever an override maps it to.
    if let Some(refusal) = literal.and_then(|ip| classify_address(ip).refusal(ip, r.allow_private)) {
        return Err(ResolveError::Refused(refusal));
    }
    let (candidates, from_override) = if let Some(o) = r.overrides.iter().find(|o| o.host == host_lc && o.port == port)
    {
        (vec![o.target], true)
    } else if let Some(ip) = ip_literal(host) {
        (vec![SocketAddr::new(ip, port)], false)
    } else {
        let answer = lookup(&host_lc, r.dns_server, r.until())
            .await
            .answer
            .map_err(|e| ResolveError::Dns(format!("{host_lc}: {e}")))?;
        if answer.addresses.is_empty() {
            return Err(ResolveError::Dns(format!("{host_lc}: no addresses")));
        }
        (answer.addresses.into_iter().map(|ip| SocketAddr::new(ip, port)).collect(), false)
    };
    let mut allowed = Vec::new();
    let mut refusals = Vec::new();
    for addr in candidates {
        match classify_address(addr.ip()).refusal(addr.ip(), r.allow_private) {
            None => allowed.push(addr),
            Some(why) => refusals.push(why),
        }
    }
    if allowed.is_empty() {
        return Err(ResolveError::Refused(refusals.join("; ")));
    }
    Ok((allowed, from_override))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    Dns(String),
    Refused(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> AddressVerdict {
        classify_address(s.parse().unwrap())
    }

    /// `N`: never probed, `P`: only with `--allow-private-targets`, `A`: probed.
    fn kind(s: &str) -> char {
        match v(s) {
            AddressVerdict::Allowed => 'A',
            AddressVerdict::PrivateNeedsOptIn(_) => 'P',
            AddressVerdict::Forbidden(_) => 'N',
        }
    }

    /// The IPv4 spellings a URL host may give 169.254.169.254.
    const META_SPELLINGS: [&str; 8] = [
        "169.254.169.254",
        "169.254.169.254.",
        "2852039166",
        "0251.0376.0251.0376",
        "0xa9fea9fe",
        "0xA9.0xFE.0xA9.0xFE",
        "169.254.43518",
        "169.16689662",
    ];

    fn check(table: &[(&str, char)]) {
        for (a, want) in table {
            assert_eq!(kind(a), *want, "{a}: {:?}", v(a));
        }
    }

    #[test]
    fn every_ipv4_special_purpose_entry_has_its_verdict() {
        let table = [
            ("0.0.0.0", 'N'),
            ("0.255.255.255", 'N'),
            ("10.0.0.1", 'P'),
            ("10.255.255.255", 'P'),
            ("100.64.0.1", 'P'),
            ("100.127.255.254", 'P'),
            ("100.128.0.1", 'A'),
            ("127.0.0.1", 'P'),
            ("127.255.255.254", 'P'),
            ("169.254.0.1", 'N'),
            ("169.254.169.254", 'N'),
            ("169.254.170.2", 'N'),
            ("172.16.0.1", 'P'),
            ("172.31.255.254", 'P'),
            ("172.32.0.1", 'A'),
            ("192.0.0.1", 'N'),
            ("192.0.0.170", 'N'),
            ("192.0.2.1", 'N'),
            ("192.88.99.1", 'N'),
            ("192.168.0.1", 'P'),
            ("198.18.0.1", 'P'),
            ("198.19.255.254", 'P'),
            ("198.20.0.1", 'A'),
            ("198.51.100.7", 'N'),
            ("203.0.113.7", 'N'),
            ("224.0.0.1", 'N'),
            ("239.255.255.255", 'N'),
            ("240.0.0.1", 'N'),
            ("255.255.255.254", 'N'),
            ("255.255.255.255", 'N'),
            ("8.8.8.8", 'A'),
            ("52.94.76.1", 'A'),
        ];
        check(&table);
        for a in ["169.254.169.254", "169.254.170.2"] {
            assert!(matches!(v(a), AddressVerdict::Forbidden(w) if w.contains("metadata")), "{a}");
        }
    }

    #[test]
    fn every_ipv6_special_purpose_entry_has_its_verdict() {
        let table = [
            ("::", 'N'),
            ("::1", 'P'),
            ("100::1", 'N'),
            ("100::ffff:ffff:ffff:ffff", 'N'),
            ("2001:1::1", 'N'),
            ("2001:2::1", 'N'),
            ("2001:1ff:ffff::1", 'N'),
            ("2001:200::1", 'A'),
            ("2001:db8::1", 'N'),
            ("2001:db8:ffff::1", 'N'),
            ("3fff::1", 'N'),
            ("3fff:fff::1", 'N'),
            ("3fff:1000::1", 'A'),
            ("5f00::1", 'N'),
            ("fc00::1", 'P'),
            ("fd12:3456::1", 'P'),
            ("fd00:ec2::254", 'N'),
            ("fd00:ec2::253", 'N'),
            ("fe80::1", 'N'),
            ("febf::1", 'N'),
            ("fec0::1", 'N'),
            ("feff::1", 'N'),
            ("ff02::1", 'N'),
            ("ff0e::1", 'N'),
            ("64:ff9b:1::a9fe:a9fe", 'N'),
            ("64:ff9b:1:ffff::808:808", 'N'),
            ("2600:1f18::1", 'A'),
            ("2a05:d018::1", 'A'),
        ];
        check(&table);
        assert!(matches!(v("fd00:ec2::254"), AddressVerdict::Forbidden(w) if w.contains("metadata")));
    }

    #[test]
    fn embedded_ipv4_is_judged_as_ipv4_in_every_form() {
        // Each form, carrying the EC2 and ECS metadata addresses, a private, a loopback and a
        // public address.
        type Spelling = fn([u8; 4]) -> String;
        let forms: [(&str, Spelling); 7] = [
            ("mapped", |o| format!("::ffff:{}.{}.{}.{}", o[0], o[1], o[2], o[3])),
            ("compatible", |o| format!("::{}.{}.{}.{}", o[0], o[1], o[2], o[3])),
            ("siit", |o| format!("::ffff:0:{}.{}.{}.{}", o[0], o[1], o[2], o[3])),
            ("nat64", |o| format!("64:ff9b::{}.{}.{}.{}", o[0], o[1], o[2], o[3])),
            ("6to4", |o| format!("2002:{:02x}{:02x}:{:02x}{:02x}::1", o[0], o[1], o[2], o[3])),
            ("teredo-server", |o| {
                format!("2001:0:{:02x}{:02x}:{:02x}{:02x}:8000:63bf:f7f7:f7f7", o[0], o[1], o[2], o[3])
            }),
            ("teredo-client", |o| {
                format!("2001:0:4136:e378:8000:63bf:{:02x}{:02x}:{:02x}{:02x}", !o[0], !o[1], !o[2], !o[3])
            }),
        ];
        for (name, spell) in forms {
            for meta in [[169, 254, 169, 254], [169, 254, 170, 2]] {
                let a = spell(meta);
                assert!(
                    matches!(v(&a), AddressVerdict::Forbidden(ref w) if w.contains("metadata")),
                    "{name} {a}: {:?}",
                    v(&a)
                );
                assert!(!v(&a).permits(true), "{name} {a}");
            }
            for (inner, want) in
                [([169, 254, 1, 1], 'N'), ([10, 1, 2, 3], 'P'), ([127, 0, 0, 1], 'P'), ([224, 0, 0, 1], 'N')]
            {
                let a = spell(inner);
                assert_eq!(kind(&a), want, "{name} {a}: {:?}", v(&a));
            }
        }
        // Public IPv4 in the forms that are globally routed.
        for a in ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8"] {
            assert_eq!(kind(a), 'A', "{a}");
        }
        // The reason names the embedding.
        match v("64:ff9b::a9fe:a9fe") {
            AddressVerdict::Forbidden(w) => assert!(w.contains("169.254.169.254") && w.contains("NAT64"), "{w}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn url_spellings_of_an_address_are_that_address() {
        let meta: IpAddr = "169.254.169.254".parse().unwrap();
        for h in META_SPELLINGS {
            assert_eq!(ip_literal(h), Some(meta), "{h}");
            // The url crate reads a Location the same way: its host is the dotted form.
            let u = url::Url::parse(&format!("http://allowed@{h}/latest/")).unwrap();
            assert_eq!(u.host_str(), Some("169.254.169.254"), "{h}");
        }
        for h in ["[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "::ffff:a9fe:a9fe"] {
            assert_eq!(ip_literal(h), Some("::ffff:a9fe:a9fe".parse().unwrap()), "{h}");
        }
        let u = url::Url::parse("http://[::ffff:169.254.169.254]:80/").unwrap();
        assert_eq!(u.host_str(), Some("[::ffff:a9fe:a9fe]"));
        assert_eq!(ip_literal(u.host_str().unwrap()), Some("::ffff:a9fe:a9fe".parse().unwrap()));
        for h in ["origin.example", "origin.example.", "0x.example", "1.2.3.4.example"] {
            assert_eq!(ip_literal(h), None, "{h}");
        }
    }

    fn resolver(overrides: &[ConnectTo], allow_private: bool) -> Resolver<'_> {
        Resolver {
            overrides,
            allow_private,
            dns_server: None,
            wait: Duration::from_secs(1),
            deadline: Instant::now() + Duration::from_secs(2),
        }
    }

    #[tokio::test]
    async fn overrides_stand_in_for_dns_and_are_still_checked() {
        let o = vec![
            ConnectTo::parse("origin.example:80:127.0.0.1:8080").unwrap(),
            ConnectTo::parse("evil.example:80:169.254.169.254:80").unwrap(),
            ConnectTo::parse("evil6.example:80:[64:ff9b::a9fe:a9fe]:80").unwrap(),
        ];
        let (addrs, from_override) = resolve("ORIGIN.example", 80, &resolver(&o, true)).await.unwrap();
        assert_eq!(addrs, vec!["127.0.0.1:8080".parse().unwrap()]);
        assert!(from_override);
        assert!(matches!(resolve("origin.example", 80, &resolver(&o, false)).await, Err(ResolveError::Refused(_))));
        for h in ["evil.example", "evil6.example"] {
            assert!(
                matches!(resolve(h, 80, &resolver(&o, true)).await, Err(ResolveError::Refused(m)) if m.contains("metadata"))
            );
        }
    }

    #[tokio::test]
    async fn every_literal_spelling_of_the_metadata_service_is_refused_with_or_without_opt_in() {
        for h in [
            "[::ffff:169.254.169.254]",
            "[::169.254.169.254]",
            "[::ffff:0:169.254.169.254]",
            "[64:ff9b::169.254.169.254]",
            "[2002:a9fe:a9fe::1]",
            "[2001:0:a9fe:a9fe::1]",
            "[2001:0:4136:e378:8000:63bf:5601:5601]",
            "[fd00:ec2::254]",
            "169.254.170.2",
        ]
        .into_iter()
        .chain(META_SPELLINGS)
        {
            for allow in [false, true] {
                match resolve(h, 80, &resolver(&[], allow)).await {
                    Err(ResolveError::Refused(m)) => {
                        assert!(m.contains("metadata") && m.contains("never probed"), "{h}: {m}")
                    }
                    other => panic!("{h} (allow {allow}): {other:?}"),
                }
            }
        }
    }
}
