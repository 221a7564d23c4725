//! Stage 2 (TLS): the TLS handshakes to make toward each origin CloudFront reaches over HTTPS,
//! one per server name CloudFront could send, plus the viewer hostnames and no SNI at all for
//! comparison (SNI-dependent default certificates). Pure: no I/O.

use crate::evidence::{Inventory, OriginKind, OriginProtocolPolicy, Scheme, SniRole};
use crate::forwarding;

/// At most this many viewer hostnames are tried per origin (aliases can be many).
pub const MAX_VIEWER_NAMES: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTls {
    pub id: String,
    pub origin_id: String,
    /// Where to connect: the origin's domain name and HTTPS port.
    pub host: String,
    pub port: u16,
    pub sni: Option<String>,
    pub role: SniRole,
    pub cloudfront_sends: Option<bool>,
    pub behaviors: Vec<String>,
    /// `OriginSslProtocols.Items`: the versions CloudFront offers.
    pub ssl_protocols: Vec<String>,
}

/// The TLS handshakes for every custom origin reached over HTTPS (https-only, match-viewer).
pub fn plan(inventory: &Inventory) -> Vec<PlannedTls> {
    let d = &inventory.distribution;
    let mut out = Vec::new();
    for origin in &d.origins {
        let OriginKind::Custom(custom) = &origin.kind else {
            continue;
        };
        if custom.protocol_policy == OriginProtocolPolicy::HttpOnly
            || !custom.origin_connections().iter().any(|(s, _)| *s == Scheme::Https)
        {
            continue;
        }
        let behaviors: Vec<_> = std::iter::once(&d.default_behavior)
            .chain(&d.behaviors)
            .filter(|b| b.target_origin_id == origin.id)
            .collect();
        // Which behaviors send the origin's name, which the viewer's, which are unknown.
        let mut origin_name_behaviors = Vec::new();
        let mut host_behaviors = Vec::new();
        let mut unknown = Vec::new();
        for b in &behaviors {
            match forwarding::for_behavior(b) {
                Ok(f) if f.forwards_host() => host_behaviors.push(b.label()),
                Ok(_) => origin_name_behaviors.push(b.label()),
                Err(_) => unknown.push(b.label()),
            }
        }
        let port = custom.https_port;
        let host = origin.domain_name.trim_end_matches('.').to_ascii_lowercase();
        let base = |sni: Option<String>, role, sends, behaviors: Vec<String>| PlannedTls {
            id: format!(
                "tls:{}:{port}:{}",
                origin.id,
                sni.as_deref().map(|s| format!("sni={s}")).unwrap_or_else(|| "no-sni".into())
            ),
            origin_id: origin.id.clone(),
            host: host.clone(),
            port,
            sni,
            role,
            cloudfront_sends: sends,
            behaviors,
            ssl_protocols: custom.ssl_protocols.clone(),
        };
        // The origin's own name: sent by behaviors that do not forward Host (and, when no
        // behavior targets this origin at all, the name CloudFront would use by default).
        let origin_sends = if !origin_name_behaviors.is_empty() || behaviors.is_empty() {
            Some(true)
        } else if unknown.is_empty() {
            Some(false)
        } else {
            None
        };
        let mut b = origin_name_behaviors.clone();
        b.extend(unknown.iter().cloned());
        out.push(base(Some(host.clone()), SniRole::OriginDomain, origin_sends, b));

        let viewer_sends = if !host_behaviors.is_empty() {
            Some(true)
        } else if unknown.is_empty() {
            Some(false)
        } else {
            None
        };
        let mut b = host_behaviors.clone();
        b.extend(unknown.iter().cloned());
        let mut seen = vec![host.clone()];
        for name in d.viewer_hostnames().iter().take(MAX_VIEWER_NAMES + 1) {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            // A wildcard alias is not a name a viewer sends; SNI cannot be an IP.
            if name.contains('*') || name.parse::<std::net::IpAddr>().is_ok() || seen.contains(&name) {
                continue;
            }
            seen.push(name.clone());
            out.push(base(Some(name), SniRole::ViewerHostname, viewer_sends, b.clone()));
        }
        out.push(base(None, SniRole::NoSni, Some(false), Vec::new()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, OriginResource};
    use crate::testing::*;

    fn inv(policy: OriginProtocolPolicy, orp: Option<&str>) -> Inventory {
        let mut ev = evidence(
            custom_origin("o1", "Origin.Example.com", policy),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        ev.inventory.distribution.aliases = vec!["www.example.com".into(), "*.example.com".into()];
        ev.inventory.distribution.default_behavior.origin_request_policy_id = orp.map(str::to_string);
        ev.inventory
    }

    #[test]
    fn http_only_origins_get_no_tls_probe() {
        assert!(plan(&inv(OriginProtocolPolicy::HttpOnly, None)).is_empty());
    }

    #[test]
    fn origin_name_is_sent_unless_host_is_forwarded() {
        let p = plan(&inv(OriginProtocolPolicy::HttpsOnly, Some("b689b0a8-53d0-40ab-baf2-68738e2966ac")));
        let names: Vec<_> = p.iter().map(|t| (t.sni.clone(), t.cloudfront_sends)).collect();
        assert_eq!(
            names,
            vec![
                (Some("origin.example.com".into()), Some(true)),
                (Some("d111.cloudfront.net".into()), Some(false)),
                (Some("www.example.com".into()), Some(false)),
                (None, Some(false)),
            ]
        );
        // AllViewer forwards Host: the viewer names are what CloudFront sends.
        let p = plan(&inv(OriginProtocolPolicy::MatchViewer, Some("216adef6-5c7f-47e4-b989-5492eafa07d3")));
        assert_eq!(p[0].cloudfront_sends, Some(false));
        assert!(p.iter().filter(|t| t.role == SniRole::ViewerHostname).all(|t| t.cloudfront_sends == Some(true)));
        // A custom policy that was not read: unknown either way.
        let p = plan(&inv(OriginProtocolPolicy::HttpsOnly, Some("custom-orp")));
        assert_eq!(p[0].cloudfront_sends, None);
        assert_eq!(p[1].cloudfront_sends, None);
    }
}
