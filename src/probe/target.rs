//! Where a probe may connect. Targets come only from names the distribution holds; every
//! resolved address is checked (not only the name), so a DNS answer or a redirect that points at
//! the instance metadata service is refused.

use crate::request::ConnectTo;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why an address may not be probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressVerdict {
    Allowed,
    /// Never probed: link-local, metadata, unspecified, multicast, broadcast.
    Forbidden(&'static str),
    /// Probed only with `--allow-private-targets`: loopback, private, shared, unique-local.
    PrivateNeedsOptIn(&'static str),
}

pub fn classify_address(ip: IpAddr) -> AddressVerdict {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify_v4(v4);
            }
            classify_v6(v6)
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressVerdict {
    let o = ip.octets();
    if ip.is_link_local() {
        // 169.254.0.0/16 holds the EC2/ECS metadata endpoints (169.254.169.254, 169.254.170.2).
        return AddressVerdict::Forbidden("link-local address (instance metadata range)");
    }
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || o[0] == 0 || o[0] >= 240 {
        return AddressVerdict::Forbidden("not a unicast host address");
    }
    if ip.is_loopback() {
        return AddressVerdict::PrivateNeedsOptIn("loopback address");
    }
    if ip.is_private() {
        return AddressVerdict::PrivateNeedsOptIn("private (RFC 1918) address");
    }
    if o[0] == 100 && (64..128).contains(&o[1]) {
        return AddressVerdict::PrivateNeedsOptIn("shared address space (RFC 6598)");
    }
    AddressVerdict::Allowed
}

fn classify_v6(ip: Ipv6Addr) -> AddressVerdict {
    let seg = ip.segments();
    // fd00:ec2::254 is the EC2 metadata service over IPv6.
    if seg[0] == 0xfd00 && seg[1] == 0x0ec2 {
        return AddressVerdict::Forbidden("instance metadata address");
    }
    if (seg[0] & 0xffc0) == 0xfe80 {
        return AddressVerdict::Forbidden("link-local address");
    }
    if ip.is_unspecified() || ip.is_multicast() {
        return AddressVerdict::Forbidden("not a unicast host address");
    }
    if ip.is_loopback() {
        return AddressVerdict::PrivateNeedsOptIn("loopback address");
    }
    if (seg[0] & 0xfe00) == 0xfc00 {
        return AddressVerdict::PrivateNeedsOptIn("unique-local address");
    }
    AddressVerdict::Allowed
}

/// Resolves a host:port to the addresses a probe may use, applying `--connect-to` overrides and
/// the address policy. Returns the addresses and whether they came from an override.
pub async fn resolve(
    host: &str,
    port: u16,
    overrides: &[ConnectTo],
    allow_private: bool,
) -> Result<(Vec<SocketAddr>, bool), ResolveError> {
    resolve_with(host, port, overrides, allow_private, None).await
}

/// As [`resolve`]; with `dns_server`, names are resolved by asking that server directly.
pub async fn resolve_with(
    host: &str,
    port: u16,
    overrides: &[ConnectTo],
    allow_private: bool,
    dns_server: Option<SocketAddr>,
) -> Result<(Vec<SocketAddr>, bool), ResolveError> {
    let host_lc = host.trim_end_matches('.').to_ascii_lowercase();
    let (candidates, from_override) = if let Some(o) = overrides.iter().find(|o| o.host == host_lc && o.port == port) {
        (vec![o.target], true)
    } else if let Ok(ip) = host_lc.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        (vec![SocketAddr::new(ip, port)], false)
    } else if let Some(server) = dns_server {
        let answer = super::dns::resolve_both(server, &host_lc, std::time::Duration::from_secs(4))
            .await
            .map_err(|e| ResolveError::Dns(format!("{host_lc}: {e}")))?;
        if answer.addresses.is_empty() {
            return Err(ResolveError::Dns(format!("{host_lc}: no addresses")));
        }
        (answer.addresses.into_iter().map(|ip| SocketAddr::new(ip, port)).collect(), false)
    } else {
        let addrs = tokio::net::lookup_host((host_lc.as_str(), port))
            .await
            .map_err(|e| ResolveError::Dns(format!("{host_lc}: {e}")))?
            .collect::<Vec<_>>();
        if addrs.is_empty() {
            return Err(ResolveError::Dns(format!("{host_lc}: no addresses")));
        }
        (addrs, false)
    };
    let mut allowed = Vec::new();
    let mut refusals = Vec::new();
    for addr in candidates {
        match classify_address(addr.ip()) {
            AddressVerdict::Allowed => allowed.push(addr),
            AddressVerdict::PrivateNeedsOptIn(_) if allow_private => allowed.push(addr),
            AddressVerdict::PrivateNeedsOptIn(why) => {
                refusals.push(format!("{} is a {why}; pass --allow-private-targets to probe it", addr.ip()))
            }
            AddressVerdict::Forbidden(why) => refusals.push(format!("{} is a {why} and is never probed", addr.ip())),
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

    #[test]
    fn metadata_and_link_local_are_always_forbidden() {
        for a in
            ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "fe80::1", "::ffff:169.254.169.254", "0.0.0.0", "::"]
        {
            assert!(matches!(v(a), AddressVerdict::Forbidden(_)), "{a}");
        }
    }

    #[test]
    fn private_and_loopback_need_opt_in_public_is_allowed() {
        for a in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "::1", "fd12::1"] {
            assert!(matches!(v(a), AddressVerdict::PrivateNeedsOptIn(_)), "{a}");
        }
        for a in ["203.0.113.7", "8.8.8.8", "2600:1f18::1"] {
            assert_eq!(v(a), AddressVerdict::Allowed, "{a}");
        }
    }

    #[tokio::test]
    async fn overrides_stand_in_for_dns_and_are_still_checked() {
        let o = vec![
            ConnectTo::parse("origin.example:80:127.0.0.1:8080").unwrap(),
            ConnectTo::parse("evil.example:80:169.254.169.254:80").unwrap(),
        ];
        let (addrs, from_override) = resolve("ORIGIN.example", 80, &o, true).await.unwrap();
        assert_eq!(addrs, vec!["127.0.0.1:8080".parse().unwrap()]);
        assert!(from_override);
        assert!(matches!(resolve("origin.example", 80, &o, false).await, Err(ResolveError::Refused(_))));
        assert!(matches!(resolve("evil.example", 80, &o, true).await, Err(ResolveError::Refused(_))));
        assert!(matches!(resolve("169.254.169.254", 80, &[], true).await, Err(ResolveError::Refused(_))));
    }
}
