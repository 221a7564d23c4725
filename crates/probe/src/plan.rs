//! Stage 2: from the inventory and the request, the probes to run, shaped as CloudFront (toward
//! the origin) and as a viewer (toward the distribution) would send them. Pure: no I/O.

use crate::evidence::{
    DnsRole, Expectations, Header, Inventory, OriginKind, ProbeTarget, RequestShape, Scheme, SkippedProbe,
};
use crate::forwarding;
use crate::request::{DiagnoseRequest, is_write_method};

/// The stand-in viewer address CloudFront would append to `X-Forwarded-For` (TEST-NET-3).
pub const PROBE_VIEWER_IP: &str = "203.0.113.10";

/// One planned request: what the probe stage sends, byte for byte, and how the evidence records
/// it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub scheme: Scheme,
    /// Name (or address) to connect to; resolved through overrides and DNS.
    pub connect_host: String,
    pub port: u16,
    pub method: String,
    pub path_and_query: String,
    pub host_header: String,
    /// TLS server name; `None` sends no SNI.
    pub sni: Option<String>,
    /// Headers after Host, with their real values (secrets included: they go on the wire).
    pub headers: Vec<(String, String)>,
    /// Header names whose values are replaced by `<redacted>` in the evidence.
    pub redact: Vec<String>,
    /// A request body, sent with its `Content-Length` (which is also recorded in the evidence).
    pub body: Option<Vec<u8>>,
}

impl Exchange {
    pub fn url(&self) -> String {
        let default_port = match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        let authority = if self.port == default_port {
            self.connect_host.clone()
        } else {
            format!("{}:{}", self.connect_host, self.port)
        };
        format!("{}://{}{}", self.scheme.as_str(), authority, self.path_and_query)
    }

    /// The headers as recorded in the evidence: secrets redacted.
    pub fn recorded_headers(&self) -> Vec<Header> {
        let mut out = vec![Header { name: "Host".into(), value: self.host_header.clone() }];
        out.extend(self.headers.iter().map(|(n, v)| Header {
            name: n.clone(),
            value: if self.redact.iter().any(|r| r.eq_ignore_ascii_case(n)) { "<redacted>".into() } else { v.clone() },
        }));
        if let Some(b) = &self.body {
            out.push(Header { name: "Content-Length".into(), value: b.len().to_string() });
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct PlannedProbe {
    pub id: String,
    pub target: ProbeTarget,
    pub exchange: Exchange,
    /// Follow redirects to these hosts only (names the distribution holds).
    pub allowed_hosts: Vec<String>,
    /// How the request is shaped (CloudFront's origin request or the viewer's).
    pub shape: RequestShape,
    /// The viewer path this probe stands for.
    pub viewer_path: String,
    /// Each origin's own hostname with its id: a redirect there is an escape from CloudFront.
    pub origin_hosts: Vec<(String, String)>,
    /// Where a redirect may be followed: the (host, scheme, port) CloudFront itself connects to.
    pub redirect_targets: Vec<(String, Scheme, u16)>,
}

/// A TCP connect to observe: an origin's host on a port CloudFront uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpTarget {
    pub origin_id: String,
    pub host: String,
    pub scheme: Scheme,
    pub port: u16,
}

#[derive(Debug, Clone, Default)]
pub struct ProbePlan {
    pub probes: Vec<PlannedProbe>,
    pub skipped: Vec<SkippedProbe>,
    /// Names to resolve (origin domains, the distribution's domain, aliases), once each.
    pub dns_names: Vec<(String, DnsRole)>,
    /// TCP connects to observe, once per origin host and port.
    pub tcp_targets: Vec<TcpTarget>,
    /// The request ladders: from the direct request to CloudFront's, per origin and path.
    pub ladders: Vec<crate::ladder::LadderSpec>,
    /// Requests per repeated probe (`--samples`); 1 repeats nothing.
    pub samples: u32,
    /// The probes repeated when `samples` is above 1 (ids of [`ProbePlan::probes`]).
    pub sampled: Vec<String>,
    /// One keep-alive measurement per origin when `samples` is above 1.
    pub keepalive: Vec<KeepaliveSpec>,
}

/// The keep-alive probe of one origin: CloudFront's request on a persistent connection, then
/// a wait of CloudFront's `OriginKeepaliveTimeout` plus a margin for the origin to close it.
#[derive(Debug, Clone)]
pub struct KeepaliveSpec {
    pub origin_id: String,
    pub exchange: Exchange,
    /// The origin's `OriginKeepaliveTimeout` (CustomOriginConfig), seconds.
    pub keepalive_timeout_s: u32,
}

/// At most this many probes are repeated: with 50 samples each, a few hundred requests, sent
/// one at a time.
pub const MAX_SAMPLED_PROBES: usize = 12;

/// The probes to repeat and the keep-alive probes: per viewer path the GET over HTTPS through
/// the distribution (what viewers use), and every GET shaped as CloudFront's origin request;
/// no other method, no body.
fn plan_samples(out: &mut ProbePlan, inventory: &Inventory, samples: u32) {
    out.samples = samples.max(1);
    if out.samples < 2 {
        return;
    }
    let mut edge_paths: Vec<&str> = Vec::new();
    for p in &out.probes {
        if p.exchange.method != "GET" || p.exchange.body.is_some() || out.sampled.len() >= MAX_SAMPLED_PROBES {
            continue;
        }
        let take = match &p.target {
            ProbeTarget::Edge { scheme: Scheme::Https, .. } => {
                let fresh = !edge_paths.contains(&p.viewer_path.as_str());
                edge_paths.push(&p.viewer_path);
                fresh
            }
            ProbeTarget::Edge { .. } => false,
            ProbeTarget::Origin { .. } => p.shape == RequestShape::Cloudfront,
        };
        if take {
            out.sampled.push(p.id.clone());
        }
    }
    for p in &out.probes {
        let ProbeTarget::Origin { origin_id, .. } = &p.target else { continue };
        if !out.sampled.contains(&p.id) || out.keepalive.iter().any(|k| &k.origin_id == origin_id) {
            continue;
        }
        let Some(custom) = inventory.distribution.origin(origin_id).and_then(|o| o.custom()) else { continue };
        let mut exchange = p.exchange.clone();
        exchange.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("connection"));
        exchange.headers.push(("Connection".into(), "keep-alive".into()));
        out.keepalive.push(KeepaliveSpec {
            origin_id: origin_id.clone(),
            exchange,
            keepalive_timeout_s: u32::try_from(custom.keepalive_timeout_s).unwrap_or(5),
        });
    }
}

pub(crate) fn user_agent() -> String {
    format!("cf-origin-doctor/{}", env!("CARGO_PKG_VERSION"))
}

/// The value sent for an expected header, cookie or query string the caller named without one.
pub const PROBE_VALUE: &str = "cf-origin-doctor-probe";

/// Keeps only the query-string parameters the behavior forwards.
pub(crate) fn forwarded_query(path: &str, qs: &forwarding::NameSet) -> String {
    let Some((p, q)) = path.split_once('?') else {
        return path.to_string();
    };
    let kept: Vec<&str> = q.split('&').filter(|kv| qs.contains(kv.split('=').next().unwrap_or(""))).collect();
    if kept.is_empty() { p.to_string() } else { format!("{p}?{}", kept.join("&")) }
}

/// Adds the expected query-string parameters the path does not already carry.
pub(crate) fn with_expected_query(path: &str, names: &[String], keep: impl Fn(&str) -> bool) -> String {
    let present: Vec<String> = path
        .split_once('?')
        .map(|(_, q)| q.split('&').map(|kv| kv.split('=').next().unwrap_or("").to_string()).collect())
        .unwrap_or_default();
    let extra: Vec<String> = names
        .iter()
        .filter(|n| keep(n) && !present.iter().any(|p| p == *n))
        .map(|n| format!("{n}={PROBE_VALUE}"))
        .collect();
    if extra.is_empty() {
        return path.to_string();
    }
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{}", extra.join("&"))
}

/// The expected headers and cookies, as request headers, filtered by `keep_header`/`keep_cookie`.
/// Host, Cookie and User-Agent are set by every request shape itself (User-Agent: CloudFront's,
/// or the viewer's where the behavior forwards it), so a declared one is never sent twice.
pub(crate) fn expected_headers(
    expect: &Expectations,
    keep_header: impl Fn(&str) -> bool,
    keep_cookie: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = expect
        .headers
        .iter()
        .filter(|h| ["host", "cookie", "user-agent"].iter().all(|own| !h.eq_ignore_ascii_case(own)) && keep_header(h))
        .map(|h| (h.clone(), PROBE_VALUE.to_string()))
        .collect();
    let cookies: Vec<String> =
        expect.cookies.iter().filter(|c| keep_cookie(c)).map(|c| format!("{c}={PROBE_VALUE}")).collect();
    if !cookies.is_empty() {
        out.push(("Cookie".into(), cookies.join("; ")));
    }
    out
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

pub fn plan(inventory: &Inventory, request: &DiagnoseRequest) -> ProbePlan {
    let d = &inventory.distribution;
    let mut allowed_hosts: Vec<String> = d.viewer_hostnames().iter().map(|h| h.to_ascii_lowercase()).collect();
    let origin_hosts: Vec<(String, String)> =
        d.origins.iter().map(|o| (o.domain_name.to_ascii_lowercase(), o.id.clone())).collect();
    for (h, _) in &origin_hosts {
        allowed_hosts.push(h.clone());
    }
    // A redirect elsewhere (another port on an allowed host included) is the viewer's to
    // follow: CloudFront connects to the distribution's names on 80 and 443 only, and to an
    // origin only on its HTTPPort and HTTPSPort (CustomOriginConfig in the CloudFront API).
    let mut redirect_targets: Vec<(String, Scheme, u16)> = Vec::new();
    for h in d.viewer_hostnames() {
        redirect_targets.push((h.to_ascii_lowercase(), Scheme::Http, 80));
        redirect_targets.push((h.to_ascii_lowercase(), Scheme::Https, 443));
    }
    for (o, (h, _)) in d.origins.iter().zip(&origin_hosts) {
        let (http, https) = match &o.kind {
            OriginKind::Custom(c) => (c.http_port, c.https_port),
            _ => (80, 443),
        };
        redirect_targets.push((h.clone(), Scheme::Http, http));
        redirect_targets.push((h.clone(), Scheme::Https, https));
    }
    let expect = &request.expect;
    // The hostname a viewer uses: the first alias, else the distribution's own domain.
    let viewer_host = d.aliases.first().cloned().unwrap_or_else(|| d.domain_name.clone()).to_ascii_lowercase();
    let mut out = ProbePlan::default();
    push_unique(&mut out.dns_names, (d.domain_name.to_ascii_lowercase(), DnsRole::DistributionDomain));
    for a in &d.aliases {
        push_unique(&mut out.dns_names, (a.to_ascii_lowercase(), DnsRole::Alias));
    }

    let new_probe =
        |id: String, target: ProbeTarget, exchange: Exchange, shape: RequestShape, path: &str| PlannedProbe {
            id,
            target,
            exchange,
            allowed_hosts: allowed_hosts.clone(),
            shape,
            viewer_path: path.to_string(),
            origin_hosts: origin_hosts.clone(),
            redirect_targets: redirect_targets.clone(),
        };

    // Methods to send as probes: OPTIONS (safe) when any method is expected; HEAD when expected;
    // write methods only to the declared method-probe path.
    let mut method_probes: Vec<(String, String)> = Vec::new();
    if !expect.methods.is_empty() {
        let first = request.paths.first().cloned().unwrap_or_else(|| "/".into());
        method_probes.push(("OPTIONS".into(), first.clone()));
        for m in &expect.methods {
            match m.as_str() {
                "GET" | "OPTIONS" => {}
                "HEAD" => method_probes.push((m.clone(), first.clone())),
                w if is_write_method(w) => match &request.method_probe_path {
                    Some(p) => method_probes.push((m.clone(), p.clone())),
                    None => out.skipped.push(SkippedProbe {
                        id: format!("edge:{}:https:{first}:{m}", d.domain_name),
                        reason: format!(
                            "{m} is a write method and is never sent without a method-probe path (--method-probe-path) declared safe"
                        ),
                    }),
                },
                _ => {}
            }
        }
    }

    let mut origin_paths: Vec<(String, String)> =
        request.paths.iter().map(|p| ("GET".to_string(), p.clone())).collect();
    // OPTIONS goes to the origin too (it answers with Allow); write methods only through CloudFront.
    for (m, p) in &method_probes {
        if m == "OPTIONS" {
            origin_paths.push((m.clone(), p.clone()));
        }
    }
    // With no method declared, one OPTIONS to the origin still asks what the application accepts
    // (its Allow, or a CORS preflight's Access-Control-Allow-Methods): a safe method, answered
    // by the origin only, from which the diagnosis infers methods the behavior refuses.
    if expect.methods.is_empty() {
        if let Some(first) = request.paths.first() {
            origin_paths.push(("OPTIONS".into(), first.clone()));
        }
    }

    for (method, path) in &origin_paths {
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
        push_unique(
            &mut out.dns_names,
            (origin.domain_name.to_ascii_lowercase(), DnsRole::Origin { origin_id: origin.id.clone() }),
        );
        let fwd = forwarding::for_behavior(behavior);
        let host_header = match &fwd {
            Ok(f) if f.forwards_host() => viewer_host.clone(),
            _ => origin.domain_name.clone(),
        };
        let cf_path = match &fwd {
            Ok(f) => with_expected_query(&forwarded_query(path, &f.query_strings), &expect.query_strings, |n| {
                f.query_strings.contains(n)
            }),
            Err(_) => path.split('?').next().unwrap_or(path).to_string(),
        };
        let viewer_path = with_expected_query(path, &expect.query_strings, |_| true);
        let suffix = if method == "GET" { String::new() } else { format!(":{method}") };
        for (scheme, port) in custom.origin_connections() {
            push_unique(
                &mut out.tcp_targets,
                TcpTarget { origin_id: origin.id.clone(), host: origin.domain_name.to_ascii_lowercase(), scheme, port },
            );
            let mut headers = vec![
                // CloudFront sends its own User-Agent unless the behavior forwards the viewer's.
                (
                    "User-Agent".to_string(),
                    match &fwd {
                        Ok(f) if f.headers.contains("user-agent") => user_agent(),
                        _ => "Amazon CloudFront".to_string(),
                    },
                ),
                ("X-Forwarded-For".to_string(), PROBE_VIEWER_IP.to_string()),
                ("Via".to_string(), "1.1 cf-origin-doctor.cloudfront.net (CloudFront)".to_string()),
                ("Accept-Encoding".to_string(), "gzip".to_string()),
            ];
            if let Ok(f) = &fwd {
                headers.extend(expected_headers(expect, |h| f.headers.contains(h), |c| f.cookies.contains(c)));
            }
            if method == "OPTIONS" {
                // Shaped as a browser's CORS preflight, so that CORS middleware answers it.
                headers.push(("Origin".into(), format!("https://{viewer_host}")));
                headers.push(("Access-Control-Request-Method".into(), "POST".into()));
            }
            let mut redact = Vec::new();
            let mut secrets = Vec::new();
            for h in &origin.custom_headers {
                // After a replay the value is gone; such evidence is never probed again anyway.
                if let Some(v) = h.value.expose() {
                    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&h.name));
                    secrets.push((h.name.clone(), v.to_string()));
                    redact.push(h.name.clone());
                }
            }
            headers.extend(secrets.iter().cloned());
            let target = ProbeTarget::Origin {
                origin_id: origin.id.clone(),
                behavior: behavior.label(),
                scheme,
                port,
                host_header: host_header.clone(),
            };
            let exchange = Exchange {
                scheme,
                connect_host: origin.domain_name.clone(),
                port,
                method: method.clone(),
                path_and_query: format!("{}{}", origin.origin_path, cf_path),
                host_header: host_header.clone(),
                sni: Some(host_header.clone()),
                headers,
                redact: redact.clone(),
                body: None,
            };
            out.probes.push(new_probe(
                format!("origin:{}:{}:{path}{suffix}", origin.id, scheme.as_str()),
                target,
                exchange,
                RequestShape::Cloudfront,
                path,
            ));
            if method != "GET" {
                continue;
            }
            // The same request as the viewer sends it, straight to the origin (as `curl
            // https://<origin> -H 'Host: <alias>'` does): Host = the viewer hostname, every
            // expected header, cookie and query string, the viewer's User-Agent; the custom
            // origin headers are kept so that a secret-gated origin still answers. When
            // CloudFront sends another Host, the viewer's request is sent once more with
            // CloudFront's Host, which tells a Host difference from the rest of the shape.
            let mut vheaders =
                vec![("User-Agent".to_string(), user_agent()), ("Accept".to_string(), "*/*".to_string())];
            vheaders.extend(expected_headers(expect, |_| true, |_| true));
            vheaders.extend(secrets);
            let mut variants = vec![("origin-viewer", RequestShape::Viewer, viewer_host.clone())];
            if !host_header.eq_ignore_ascii_case(&viewer_host) {
                variants.push(("origin-viewer-cfhost", RequestShape::ViewerWithCloudfrontHost, host_header.clone()));
            }
            for (prefix, shape, host) in variants {
                out.probes.push(new_probe(
                    format!("{prefix}:{}:{}:{path}", origin.id, scheme.as_str()),
                    ProbeTarget::Origin {
                        origin_id: origin.id.clone(),
                        behavior: behavior.label(),
                        scheme,
                        port,
                        host_header: host.clone(),
                    },
                    Exchange {
                        scheme,
                        connect_host: origin.domain_name.clone(),
                        port,
                        method: "GET".into(),
                        path_and_query: viewer_path.clone(),
                        host_header: host,
                        // TLS as to the origin itself (its own name), so that the comparison
                        // with CloudFront's shape is about the HTTP request, not the certificate.
                        sni: Some(origin.domain_name.clone()),
                        headers: vheaders.clone(),
                        redact: redact.clone(),
                        body: None,
                    },
                    shape,
                    path,
                ));
            }
        }
    }

    // Through the distribution: every path on its own domain, the first path on each alias,
    // both schemes; then the method probes over HTTPS on the viewer hostname.
    let mut edge: Vec<(String, String, String)> = Vec::new();
    for path in &request.paths {
        edge.push((d.domain_name.to_ascii_lowercase(), "GET".into(), path.clone()));
    }
    if let Some(first) = request.paths.first() {
        for a in &d.aliases {
            edge.push((a.to_ascii_lowercase(), "GET".into(), first.clone()));
        }
    }
    for (hostname, method, path) in &edge {
        for scheme in [Scheme::Https, Scheme::Http] {
            out.probes.push(edge_probe(hostname, method, path, scheme, expect, None, &new_probe));
        }
    }
    for (method, path) in &method_probes {
        out.probes.push(edge_probe(&viewer_host, method, path, Scheme::Https, expect, None, &new_probe));
    }
    // A GET with a body only when the caller declared that viewers send one: it changes nothing
    // (GET is not a write method), but it is a request no browser sends, so it stays opt-in.
    if expect.get_with_body {
        let first = request.paths.first().cloned().unwrap_or_else(|| "/".into());
        out.probes.push(edge_probe(
            &viewer_host,
            "GET",
            &first,
            Scheme::Https,
            expect,
            Some(GET_BODY.to_vec()),
            &new_probe,
        ));
    }
    out.ladders = crate::ladder::plan(inventory, request);
    plan_samples(&mut out, inventory, request.samples);
    out
}

/// The plan without anything sent through the distribution: the probes straight to the
/// origins, their ladders, TCP connects and names. For a configuration that is not deployed
/// (a pre-flight), where the distribution's answers would be the live configuration's.
pub fn origins_only(mut plan: ProbePlan) -> ProbePlan {
    plan.probes.retain(|p| matches!(p.target, ProbeTarget::Origin { .. }));
    plan.dns_names.retain(|(_, role)| matches!(role, DnsRole::Origin { .. }));
    plan.skipped.retain(|s| !s.id.starts_with("edge:"));
    plan
}

/// The body of the GET-with-body probe: the smallest JSON document, as a search API gets.
pub const GET_BODY: &[u8] = b"{}";

fn edge_probe(
    hostname: &str,
    method: &str,
    path: &str,
    scheme: Scheme,
    expect: &Expectations,
    body: Option<Vec<u8>>,
    new_probe: &impl Fn(String, ProbeTarget, Exchange, RequestShape, &str) -> PlannedProbe,
) -> PlannedProbe {
    let mut headers = vec![("User-Agent".to_string(), user_agent()), ("Accept".to_string(), "*/*".to_string())];
    headers.extend(expected_headers(expect, |_| true, |_| true));
    if body.is_some() {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    if is_write_method(method) {
        headers.push(("Content-Length".into(), "0".into()));
    }
    if method == "OPTIONS" {
        headers.push(("Origin".into(), format!("https://{hostname}")));
        headers.push(("Access-Control-Request-Method".into(), "GET".into()));
    }
    let suffix = match (method, &body) {
        ("GET", None) => String::new(),
        (m, Some(_)) => format!(":{m}+body"),
        (m, None) => format!(":{m}"),
    };
    new_probe(
        format!("edge:{}:{}:{path}{suffix}", hostname, scheme.as_str()),
        ProbeTarget::Edge { hostname: hostname.to_string(), scheme },
        Exchange {
            scheme,
            connect_host: hostname.to_string(),
            port: if scheme == Scheme::Https { 443 } else { 80 },
            method: method.to_string(),
            path_and_query: with_expected_query(path, &expect.query_strings, |_| true),
            host_header: hostname.to_string(),
            sni: Some(hostname.to_string()),
            headers,
            redact: Vec::new(),
            body,
        },
        RequestShape::Viewer,
        path,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forwarding::NameSet;

    use crate::evidence::{OriginProtocolPolicy, SecretValue};

    fn inv(cache_policy: &str, orp: Option<&str>) -> Inventory {
        let mut ev = crate::testing::evidence(
            crate::testing::custom_origin("o1", "alb.example", OriginProtocolPolicy::HttpOnly),
            crate::evidence::Fetch::NotApplicable { reason: "t".into() },
        );
        ev.inventory.distribution.aliases = vec!["www.example.com".into()];
        ev.inventory.distribution.default_behavior.cache_policy_id = Some(cache_policy.into());
        ev.inventory.distribution.default_behavior.origin_request_policy_id = orp.map(str::to_string);
        ev.inventory.distribution.origins[0].custom_headers =
            vec![crate::evidence::CustomHeader { name: "X-Origin-Verify".into(), value: SecretValue::new("s3cr3t") }];
        ev.inventory
    }

    fn expecting(methods: &[&str], probe_path: Option<&str>) -> DiagnoseRequest {
        DiagnoseRequest::new("EABC", &["/app?lang=en&utm=x".into()])
            .unwrap()
            .with_expectations(
                Expectations {
                    methods: methods.iter().map(|m| m.to_string()).collect(),
                    headers: vec!["Authorization".into()],
                    cookies: vec!["session".into()],
                    query_strings: vec!["lang".into(), "page".into()],
                    get_with_body: false,
                },
                probe_path,
            )
            .unwrap()
    }

    fn header<'a>(p: &'a PlannedProbe, name: &str) -> Option<&'a str> {
        p.exchange.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    #[test]
    fn cloudfront_shape_keeps_only_what_the_behavior_forwards_and_the_viewer_shape_keeps_all() {
        // CachingOptimized without an origin request policy forwards nothing.
        let plan = plan(&inv("658327ea-f89d-4fab-a63d-7e88639e58f6", None), &expecting(&[], None));
        let cf = plan.probes.iter().find(|p| p.id == "origin:o1:http:/app?lang=en&utm=x").unwrap();
        assert_eq!(cf.exchange.path_and_query, "/app");
        assert_eq!(cf.exchange.host_header, "alb.example");
        assert_eq!(header(cf, "Authorization"), None);
        assert_eq!(header(cf, "Cookie"), None);
        assert_eq!(header(cf, "User-Agent"), Some("Amazon CloudFront"));
        // The secret is sent but recorded redacted.
        assert_eq!(header(cf, "X-Origin-Verify"), Some("s3cr3t"));
        assert!(cf.exchange.recorded_headers().iter().all(|h| h.value != "s3cr3t"));
        let v =
            plan.probes.iter().find(|p| p.shape == RequestShape::Viewer && p.id.starts_with("origin-viewer:")).unwrap();
        assert_eq!(v.exchange.host_header, "www.example.com");
        assert_eq!(v.exchange.path_and_query, format!("/app?lang=en&utm=x&page={PROBE_VALUE}"));
        assert_eq!(header(v, "Cookie"), Some(format!("session={PROBE_VALUE}").as_str()));
        assert!(header(v, "Authorization").is_some());

        // AllViewer forwards everything, Host included.
        let plan = super::plan(
            &inv("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", Some("216adef6-5c7f-47e4-b989-5492eafa07d3")),
            &expecting(&[], None),
        );
        let cf = plan.probes.iter().find(|p| p.id.starts_with("origin:o1:http:")).unwrap();
        assert_eq!(cf.exchange.host_header, "www.example.com");
        assert_eq!(cf.exchange.path_and_query, format!("/app?lang=en&utm=x&page={PROBE_VALUE}"));
        assert!(header(cf, "Authorization").is_some() && header(cf, "Cookie").is_some());
        // With User-Agent forwarded, CloudFront passes the viewer's on.
        assert_ne!(header(cf, "User-Agent"), Some("Amazon CloudFront"));
        // Aliases are probed through the edge too, and named for DNS.
        assert!(plan.probes.iter().any(|p| p.id.starts_with("edge:www.example.com:https:")));
        assert!(plan.dns_names.iter().any(|(n, r)| n == "www.example.com" && *r == DnsRole::Alias));
        assert_eq!(plan.tcp_targets.len(), 1);
    }

    #[test]
    fn write_methods_are_sent_only_to_a_declared_method_probe_path() {
        let i = inv("658327ea-f89d-4fab-a63d-7e88639e58f6", None);
        let p = plan(&i, &expecting(&["POST", "DELETE"], None));
        assert!(p.probes.iter().all(|x| !is_write_method(&x.exchange.method)));
        assert!(p.probes.iter().any(|x| x.exchange.method == "OPTIONS" && x.id.starts_with("edge:")));
        assert!(p.probes.iter().any(|x| x.exchange.method == "OPTIONS" && x.id.starts_with("origin:")));
        assert_eq!(p.skipped.iter().filter(|s| s.reason.contains("write method")).count(), 2);

        let p = plan(&i, &expecting(&["POST"], Some("/api/echo")));
        let post: Vec<_> = p.probes.iter().filter(|x| x.exchange.method == "POST").collect();
        assert_eq!(post.len(), 1);
        assert!(post[0].id.starts_with("edge:") && post[0].exchange.path_and_query.starts_with("/api/echo"));
        assert_eq!(header(post[0], "Content-Length"), Some("0"));
        // No expectations: GET, and one OPTIONS to the origin (what the application accepts).
        let p = plan(&i, &DiagnoseRequest::new("EABC", &[]).unwrap());
        let options: Vec<_> = p.probes.iter().filter(|x| x.exchange.method != "GET").collect();
        assert_eq!(options.len(), 1);
        assert!(options[0].exchange.method == "OPTIONS" && options[0].id.starts_with("origin:"));
        assert_eq!(header(options[0], "Access-Control-Request-Method"), Some("POST"));
    }

    #[test]
    fn a_get_with_a_body_is_sent_through_the_distribution_only_when_declared() {
        let i = inv("658327ea-f89d-4fab-a63d-7e88639e58f6", None);
        let p = plan(&i, &expecting(&[], None));
        assert!(p.probes.iter().all(|x| x.exchange.body.is_none()), "not declared: no body anywhere");

        let mut req = expecting(&[], None);
        req.expect.get_with_body = true;
        let p = plan(&i, &req);
        let with_body: Vec<_> = p.probes.iter().filter(|x| x.exchange.body.is_some()).collect();
        assert_eq!(with_body.len(), 1, "one GET with a body, never toward the origin");
        let b = with_body[0];
        assert_eq!(b.exchange.method, "GET");
        assert_eq!(b.exchange.body.as_deref(), Some(&b"{}"[..]));
        assert!(matches!(b.target, ProbeTarget::Edge { scheme: Scheme::Https, .. }));
        assert_eq!(b.exchange.host_header, "www.example.com");
        assert_eq!(b.id, "edge:www.example.com:https:/app?lang=en&utm=x:GET+body");
        let recorded = b.exchange.recorded_headers();
        assert!(recorded.iter().any(|h| h.name == "Content-Length" && h.value == "2"));
        // Its id differs from the plain GET's, which is still sent.
        assert_eq!(p.probes.iter().filter(|x| x.id == "edge:www.example.com:https:/app?lang=en&utm=x").count(), 1);
    }

    #[test]
    fn samples_repeat_the_https_edge_get_per_path_and_cloudfronts_origin_gets_and_measure_keepalive() {
        let inv = inv("658327ea-f89d-4fab-a63d-7e88639e58f6", None);
        let request = expecting(&["POST"], Some("/api/echo"));
        assert!(plan(&inv, &request).sampled.is_empty(), "one sample repeats nothing");
        let p = plan(&inv, &request.with_samples(5).unwrap());
        assert_eq!(p.samples, 5);
        let sampled: Vec<&PlannedProbe> =
            p.sampled.iter().map(|id| p.probes.iter().find(|x| &x.id == id).unwrap()).collect();
        assert!(sampled.iter().all(|x| x.exchange.method == "GET" && x.exchange.body.is_none()));
        let edge: Vec<_> = sampled.iter().filter(|x| matches!(x.target, ProbeTarget::Edge { .. })).collect();
        assert_eq!(edge.len(), 1, "one path: its HTTPS GET through the distribution once");
        assert!(matches!(edge[0].target, ProbeTarget::Edge { scheme: Scheme::Https, .. }));
        assert!(
            sampled
                .iter()
                .any(|x| x.shape == RequestShape::Cloudfront && matches!(x.target, ProbeTarget::Origin { .. }))
        );
        assert!(
            sampled.iter().all(|x| x.shape == RequestShape::Cloudfront || matches!(x.target, ProbeTarget::Edge { .. }))
        );
        // One keep-alive probe for the origin, CloudFront's request asking to keep the connection.
        assert_eq!(p.keepalive.len(), 1);
        assert_eq!(p.keepalive[0].keepalive_timeout_s, 5);
        let connection: Vec<_> =
            p.keepalive[0].exchange.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("connection")).collect();
        assert_eq!(connection, vec![&("Connection".to_string(), "keep-alive".to_string())]);
    }

    #[test]
    fn only_forwarded_query_strings_are_kept() {
        assert_eq!(forwarded_query("/a?x=1&y=2", &NameSet::None), "/a");
        assert_eq!(forwarded_query("/a?x=1&y=2", &NameSet::All), "/a?x=1&y=2");
        assert_eq!(forwarded_query("/a?x=1&y=2", &NameSet::Only(vec!["y".into()])), "/a?y=2");
        assert_eq!(forwarded_query("/a", &NameSet::All), "/a");
    }

    #[test]
    fn a_declared_user_agent_is_not_sent_twice() {
        let i = inv("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", Some("216adef6-5c7f-47e4-b989-5492eafa07d3"));
        let mut req = expecting(&[], None);
        req.expect.headers.push("User-Agent".into());
        for p in plan(&i, &req).probes {
            let n = p.exchange.headers.iter().filter(|(h, _)| h.eq_ignore_ascii_case("user-agent")).count();
            assert_eq!(n, 1, "{}", p.id);
        }
    }
}
