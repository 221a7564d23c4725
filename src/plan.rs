//! Stage 2: from the inventory and the request, the probes to run, shaped as CloudFront (toward
//! the origin) and as a viewer (toward the distribution) would send them. Pure: no I/O.

use crate::evidence::{Inventory, OriginKind, ProbeTarget, Scheme, SkippedProbe};
use crate::forwarding;
use crate::probe::http::Exchange;
use crate::request::DiagnoseRequest;

/// The stand-in viewer address CloudFront would append to `X-Forwarded-For` (TEST-NET-3).
pub const PROBE_VIEWER_IP: &str = "203.0.113.10";

#[derive(Debug, Clone)]
pub struct PlannedProbe {
    pub id: String,
    pub target: ProbeTarget,
    pub exchange: Exchange,
    /// Follow redirects to these hosts only (names the distribution holds).
    pub allowed_hosts: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ProbePlan {
    pub probes: Vec<PlannedProbe>,
    pub skipped: Vec<SkippedProbe>,
}

fn user_agent() -> String {
    format!("cf-origin-doctor/{}", env!("CARGO_PKG_VERSION"))
}

/// Keeps only the query-string parameters the behavior forwards.
fn forwarded_query(path: &str, qs: &forwarding::NameSet) -> String {
    let Some((p, q)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = q.split('&').filter(|kv| qs.contains(kv.split('=').next().unwrap_or(""))).collect();
    if kept.is_empty() { p.to_string() } else { format!("{p}?{}", kept.join("&")) }
}

pub fn plan(inventory: &Inventory, request: &DiagnoseRequest) -> ProbePlan {
    let d = &inventory.distribution;
    let mut allowed_hosts: Vec<String> = d.viewer_hostnames().iter().map(|h| h.to_ascii_lowercase()).collect();
    for o in &d.origins {
        allowed_hosts.push(o.domain_name.to_ascii_lowercase());
    }
    let mut out = ProbePlan::default();

    for path in &request.paths {
        let behavior = d.behavior_for_path(path);
        let Some(origin) = d.origin(&behavior.target_origin_id) else {
            out.skipped.push(SkippedProbe {
                id: format!("origin:{}:{path}", behavior.target_origin_id),
                reason: format!(
                    "behavior {} targets {:?}, which is not a single origin (an origin group?); origin groups are not probed yet",
                    behavior.label(),
                    behavior.target_origin_id
                ),
            });
            continue;
        };
        let OriginKind::Custom(custom) = &origin.kind else {
            out.skipped.push(SkippedProbe {
                id: format!("origin:{}:{path}", origin.id),
                reason: "S3 and VPC origins are not probed directly".into(),
            });
            continue;
        };
        let fwd = forwarding::for_behavior(behavior);
        let host_header = match &fwd {
            Ok(f) if f.forwards_host() => d.domain_name.clone(),
            _ => origin.domain_name.clone(),
        };
        let origin_path = match &fwd {
            Ok(f) => forwarded_query(path, &f.query_strings),
            Err(_) => path.split('?').next().unwrap_or(path).to_string(),
        };
        for (scheme, port) in custom.origin_connections() {
            let mut headers = vec![
                ("User-Agent".to_string(), "Amazon CloudFront".to_string()),
                ("X-Forwarded-For".to_string(), PROBE_VIEWER_IP.to_string()),
                ("Accept-Encoding".to_string(), "gzip".to_string()),
            ];
            let mut redact = Vec::new();
            for h in &origin.custom_headers {
                // After a replay the value is gone; such evidence is never probed again anyway.
                if let Some(v) = h.value.expose() {
                    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&h.name));
                    headers.push((h.name.clone(), v.to_string()));
                    redact.push(h.name.clone());
                }
            }
            let exchange = Exchange {
                scheme,
                connect_host: origin.domain_name.clone(),
                port,
                method: "GET".into(),
                path_and_query: format!("{}{}", origin.origin_path, origin_path),
                host_header: host_header.clone(),
                sni: Some(host_header.clone()),
                headers,
                redact,
            };
            out.probes.push(PlannedProbe {
                id: format!("origin:{}:{}:{path}", origin.id, scheme.as_str()),
                target: ProbeTarget::Origin {
                    origin_id: origin.id.clone(),
                    behavior: behavior.label(),
                    scheme,
                    port,
                    host_header: host_header.clone(),
                },
                exchange,
                allowed_hosts: allowed_hosts.clone(),
            });
        }
    }

    for path in &request.paths {
        for scheme in [Scheme::Https, Scheme::Http] {
            let hostname = d.domain_name.clone();
            out.probes.push(PlannedProbe {
                id: format!("edge:{}:{}:{path}", hostname, scheme.as_str()),
                target: ProbeTarget::Edge { hostname: hostname.clone(), scheme },
                exchange: Exchange {
                    scheme,
                    connect_host: hostname.clone(),
                    port: if scheme == Scheme::Https { 443 } else { 80 },
                    method: "GET".into(),
                    path_and_query: path.clone(),
                    host_header: hostname.clone(),
                    sni: Some(hostname.clone()),
                    headers: vec![("User-Agent".into(), user_agent()), ("Accept".into(), "*/*".into())],
                    redact: Vec::new(),
                },
                allowed_hosts: allowed_hosts.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forwarding::NameSet;

    #[test]
    fn only_forwarded_query_strings_are_kept() {
        assert_eq!(forwarded_query("/a?x=1&y=2", &NameSet::None), "/a");
        assert_eq!(forwarded_query("/a?x=1&y=2", &NameSet::All), "/a?x=1&y=2");
        assert_eq!(forwarded_query("/a?x=1&y=2", &NameSet::Only(vec!["y".into()])), "/a?y=2");
        assert_eq!(forwarded_query("/a", &NameSet::All), "/a");
    }
}
