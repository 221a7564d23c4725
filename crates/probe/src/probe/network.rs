//! DNS and TCP observations: how each origin domain and viewer hostname resolves, and whether
//! each port CloudFront uses toward an origin accepts a connection. `--connect-to` overrides
//! stand in for DNS (no query is sent for such a name) and are noted.

use super::target::{self, AddressVerdict, Resolver, classify_address};
use crate::evidence::{DnsObservation, DnsRole, TcpObservation, TcpOutcome};
use crate::plan::{ProbePlan, TcpTarget};
use crate::request::ProbeSettings;
use futures_util::future::join_all;
use std::net::IpAddr;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio::time::{Instant as TokioInstant, timeout_at};

/// Resolves every planned name and connects to every planned port, concurrently, by `deadline`.
pub async fn observe(
    plan: &ProbePlan,
    settings: &ProbeSettings,
    deadline: TokioInstant,
) -> (Vec<DnsObservation>, Vec<TcpObservation>) {
    let resolver = Resolver::new(settings, deadline);
    let dns = join_all(plan.dns_names.iter().map(|(name, role)| resolve_name(name, role, &resolver)));
    let tcp = join_all(plan.tcp_targets.iter().map(|t| connect(t, settings, &resolver)));
    let (mut dns, tcp) = tokio::join!(dns, tcp);
    mark_aliases(&mut dns);
    (dns, tcp)
}

fn note_for(ip: IpAddr) -> Option<String> {
    match classify_address(ip) {
        AddressVerdict::Allowed => None,
        AddressVerdict::PrivateNeedsOptIn(why) => {
            Some(format!("{ip} is a {why}: CloudFront cannot reach it over the internet"))
        }
        AddressVerdict::Forbidden(why) => Some(format!("{ip} is a {why}: never probed, and CloudFront cannot use it")),
    }
}

async fn resolve_name(name: &str, role: &DnsRole, resolver: &Resolver<'_>) -> DnsObservation {
    let mut obs = DnsObservation {
        name: name.to_string(),
        role: role.clone(),
        source: String::new(),
        cname_chain: Vec::new(),
        a: Vec::new(),
        aaaa: Vec::new(),
        error: None,
        notes: Vec::new(),
        points_to_distribution: None,
    };
    let overrides: Vec<&crate::request::ConnectTo> = resolver.overrides.iter().filter(|c| c.host == name).collect();
    let addresses: Vec<IpAddr> = if !overrides.is_empty() {
        obs.source = "override".into();
        obs.notes.push("--connect-to stands in for DNS for this name; no DNS query was sent".into());
        let mut v: Vec<IpAddr> = overrides.iter().map(|c| c.target.ip()).collect();
        v.dedup();
        v
    } else {
        let looked = target::lookup(name, resolver.dns_server, resolver.until()).await;
        obs.source = looked.source;
        match looked.answer {
            Ok(ans) => {
                obs.cname_chain = ans.cnames;
                ans.addresses
            }
            Err(e) => {
                obs.error = Some(e);
                Vec::new()
            }
        }
    };
    for ip in addresses {
        if let Some(n) = note_for(ip) {
            obs.notes.push(n);
        }
        match ip {
            IpAddr::V4(_) => obs.a.push(ip.to_string()),
            IpAddr::V6(_) => obs.aaaa.push(ip.to_string()),
        }
    }
    if obs.error.is_none() && obs.a.is_empty() && obs.aaaa.is_empty() {
        obs.error = Some("no A or AAAA records".into());
    }
    obs
}

/// Whether each alias leads to the distribution: its CNAME chain names the distribution's
/// domain, or it resolves to the same addresses.
fn mark_aliases(dns: &mut [DnsObservation]) {
    let Some(dist) = dns.iter().find(|d| d.role == DnsRole::DistributionDomain).cloned() else {
        return;
    };
    for d in dns.iter_mut().filter(|d| d.role == DnsRole::Alias) {
        if !d.resolved() {
            continue;
        }
        if d.cname_chain.iter().any(|c| c.eq_ignore_ascii_case(&dist.name)) {
            d.points_to_distribution = Some(true);
            continue;
        }
        if !dist.resolved() {
            continue;
        }
        let same = d.a.iter().chain(&d.aaaa).any(|a| dist.a.contains(a) || dist.aaaa.contains(a));
        let other_cloudfront = d.cname_chain.iter().any(|c| c.ends_with(".cloudfront.net"));
        d.points_to_distribution = if same {
            Some(true)
        } else if other_cloudfront || d.source != "override" {
            Some(false)
        } else {
            None
        };
    }
}

async fn connect(t: &TcpTarget, settings: &ProbeSettings, resolver: &Resolver<'_>) -> TcpObservation {
    let deadline = resolver.deadline;
    let mut obs = TcpObservation {
        origin_id: t.origin_id.clone(),
        host: t.host.clone(),
        port: t.port,
        scheme: t.scheme,
        address: None,
        from_override: false,
        outcome: TcpOutcome::NotAttempted,
        connect_ms: None,
        message: None,
    };
    let resolved = timeout_at(deadline, target::resolve(&t.host, t.port, resolver)).await;
    let addrs = match resolved {
        Err(_) => {
            obs.message = Some("the probe phase's time budget ran out while resolving".into());
            return obs;
        }
        Ok(Err(e)) => {
            obs.message = Some(match e {
                target::ResolveError::Dns(m) | target::ResolveError::Refused(m) => m,
            });
            return obs;
        }
        Ok(Ok((addrs, from_override))) => {
            obs.from_override = from_override;
            addrs
        }
    };
    let Some(addr) = addrs.first() else {
        return obs;
    };
    obs.address = Some(addr.to_string());
    let started = Instant::now();
    let until = (TokioInstant::now() + settings.limits.connect_timeout).min(deadline);
    match timeout_at(until, TcpStream::connect(addr)).await {
        Ok(Ok(_)) => {
            obs.outcome = TcpOutcome::Connected;
            obs.connect_ms = Some(started.elapsed().as_millis() as u64);
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            obs.outcome = TcpOutcome::Refused;
            obs.connect_ms = Some(started.elapsed().as_millis() as u64);
            obs.message = Some(format!("{addr}: connection refused (nothing listening)"));
        }
        Ok(Err(e)) => {
            obs.outcome = TcpOutcome::Error;
            obs.message = Some(format!("{addr}: {e}"));
        }
        Err(_) => {
            obs.outcome = TcpOutcome::TimedOut;
            obs.message = Some(format!(
                "{addr}: no answer to the TCP connect within {} ms (packets dropped?)",
                started.elapsed().as_millis()
            ));
        }
    }
    obs
}
