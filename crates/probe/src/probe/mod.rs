//! Stage 3: run the planned probes, concurrently, within one time budget, following redirects
//! by hand and recording every hop.

mod body;
pub use crate::evidence::cloudfront_page;
pub mod dns;
pub mod http;
pub mod network;
pub mod samples;
pub mod target;
mod tls;
pub mod tls_hello;
pub mod tls_reach;
pub mod tls_scan;

use crate::evidence::{HopResult, Observations, ProbeRecord, RedirectEscape, RedirectOutcome, Scheme};
use crate::plan::{PlannedProbe, ProbePlan};
use crate::request::ProbeSettings;
use futures_util::future::join_all;
use http::{Context, Exchange};
use std::sync::Arc;
use tokio::time::Instant as TokioInstant;

pub use tls::{TlsConfigs, TlsSetupError};

/// Runs a plan. `probed_from` says where this process runs (the report shows it).
pub async fn run(plan: &ProbePlan, settings: &ProbeSettings, tls: &TlsConfigs, probed_from: &str) -> Observations {
    let deadline = TokioInstant::now() + settings.limits.phase_budget;
    let (records, (dns, tcp), ladders) = tokio::join!(
        join_all(plan.probes.iter().map(|p| run_probe(p, settings, tls, deadline))),
        network::observe(plan, settings, deadline),
        crate::ladder::run(&plan.ladders, settings, tls, deadline)
    );
    // After the single probes, so that a series is not interleaved with them at the origin,
    // and in what is left of the same budget.
    let (samples, keepalive) = samples::run(plan, settings, tls, deadline).await;
    let mut overrides: Vec<String> = records
        .iter()
        .flat_map(|r| r.hops.iter())
        .filter(|h| h.address_from_override)
        .filter_map(|h| url::Url::parse(&h.url).ok().and_then(|u| u.host_str().map(str::to_string)))
        .collect();
    overrides.sort();
    overrides.dedup();
    Observations {
        probed_from: probed_from.to_string(),
        overrides,
        probes: records,
        skipped: plan.skipped.clone(),
        dns,
        tcp,
        tls: Vec::new(),
        ladders,
        fix_checks: Vec::new(),
        samples,
        keepalive,
        cloudfront: None,
    }
}

async fn run_probe(
    p: &PlannedProbe,
    settings: &ProbeSettings,
    tls: &TlsConfigs,
    deadline: TokioInstant,
) -> ProbeRecord {
    let mut hops = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut current = p.exchange.clone();
    let origin_probe = matches!(p.target, crate::evidence::ProbeTarget::Origin { .. });
    let mut escape = None;
    let redirects = loop {
        let config = match (current.scheme, origin_probe && hops.is_empty()) {
            (Scheme::Https, true) => tls.cloudfront_to_origin.clone(),
            _ => tls.viewer.clone(),
        };
        let ctx = Context {
            limits: &settings.limits,
            overrides: &settings.connect_to,
            allow_private: settings.allow_private_targets,
            tls: Arc::clone(&config),
            deadline,
            dns_server: settings.dns_server,
        };
        let hop = http::run(&current, &ctx).await;
        seen.push(normalise(&hop.url));
        let location = match &hop.result {
            HopResult::Error(_) => {
                hops.push(hop);
                break RedirectOutcome::Failed;
            }
            HopResult::Response(r) if r.is_redirect() => r.header("location").map(str::to_string),
            HopResult::Response(_) => None,
        };
        let base = hop.url.clone();
        hops.push(hop);
        let Some(location) = location else {
            break RedirectOutcome::Final;
        };
        let Some(next) = url::Url::parse(&base).ok().and_then(|b| b.join(&location).ok()) else {
            break RedirectOutcome::NotFollowed { location, reason: "the Location header is not a valid URL".into() };
        };
        let next_norm = next.to_string();
        if seen.contains(&next_norm) {
            break RedirectOutcome::Loop { repeated_url: next_norm };
        }
        if hops.len() > settings.limits.max_redirects as usize {
            break RedirectOutcome::TooMany { limit: settings.limits.max_redirects };
        }
        // A trailing dot names the same host (RFC 1034 section 3.1): compare and connect without it.
        let host = next.host_str().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
        if escape.is_none() {
            if let Some((h, id)) = p.origin_hosts.iter().find(|(h, _)| *h == host) {
                escape = Some(RedirectEscape {
                    hop: hops.len() - 1,
                    location: location.clone(),
                    origin_id: id.clone(),
                    origin_hostname: h.clone(),
                });
            }
        }
        let scheme = match next.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                break RedirectOutcome::NotFollowed { location, reason: format!("scheme {other:?} is not followed") };
            }
        };
        if let Some(refusal) = refused_address(&next, settings.allow_private_targets) {
            break RedirectOutcome::NotFollowed { location, reason: refusal };
        }
        if !p.allowed_hosts.contains(&host) {
            break RedirectOutcome::NotFollowed {
                location,
                reason: format!("{host} is not a name this distribution holds; probes go only to its own names"),
            };
        }
        let port = next.port_or_known_default().unwrap_or(if scheme == Scheme::Https { 443 } else { 80 });
        if !p.redirect_targets.contains(&(host.clone(), scheme, port)) {
            break RedirectOutcome::NotFollowed {
                location,
                reason: other_port(&p.redirect_targets, &host, scheme, port),
            };
        }
        if TokioInstant::now() >= deadline {
            break RedirectOutcome::NotFollowed { location, reason: "the probe phase's time budget ran out".into() };
        }
        current = follow(&current, &next, scheme, host);
    };
    ProbeRecord {
        id: p.id.clone(),
        target: p.target.clone(),
        method: p.exchange.method.clone(),
        request_headers: p.exchange.recorded_headers(),
        hops,
        redirects,
        shape: p.shape,
        viewer_path: Some(p.viewer_path.clone()),
        redirect_escape: escape,
    }
}

/// Why a redirect to an IP literal is refused by the address policy (the `url` crate has already
/// read decimal, octal, hex and short IPv4 spellings as the address they stand for).
fn refused_address(next: &url::Url, allow_private: bool) -> Option<String> {
    let ip: std::net::IpAddr = match next.host()? {
        url::Host::Ipv4(v4) => v4.into(),
        url::Host::Ipv6(v6) => v6.into(),
        url::Host::Domain(_) => return None,
    };
    target::classify_address(ip).refusal(ip, allow_private)
}

/// Why a redirect to an allowed host on a port CloudFront does not use there is not followed.
fn other_port(targets: &[(String, Scheme, u16)], host: &str, scheme: Scheme, port: u16) -> String {
    let used: Vec<String> =
        targets.iter().filter(|(h, _, _)| h == host).map(|(_, s, p)| format!("{} {p}", s.as_str())).collect();
    format!(
        "{} port {port} is not where CloudFront connects to {host} ({}); a viewer would follow it, CloudFront never does",
        scheme.as_str(),
        used.join(", ")
    )
}

/// The next hop, as a viewer following the redirect would send it: the origin's secret headers
/// are never carried to another request, nor is a body (the first hop is the one that tells
/// whether CloudFront accepted it).
fn follow(prev: &Exchange, next: &url::Url, scheme: Scheme, host: String) -> Exchange {
    let port = next.port_or_known_default().unwrap_or(if scheme == Scheme::Https { 443 } else { 80 });
    let mut path_and_query = next.path().to_string();
    if let Some(q) = next.query() {
        path_and_query.push('?');
        path_and_query.push_str(q);
    }
    let host_header = match next.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    Exchange {
        scheme,
        connect_host: host.clone(),
        port,
        method: prev.method.clone(),
        path_and_query,
        host_header,
        sni: Some(host),
        headers: prev
            .headers
            .iter()
            .filter(|(n, _)| !prev.redact.iter().any(|r| r.eq_ignore_ascii_case(n)))
            .cloned()
            .collect(),
        redact: Vec::new(),
        body: None,
    }
}

fn normalise(u: &str) -> String {
    url::Url::parse(u).map(|u| u.to_string()).unwrap_or_else(|_| u.to_string())
}
