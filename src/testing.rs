//! Evidence fixtures for unit tests of checks: a small builder over plain evidence data.

use crate::evidence::*;

pub fn behavior(origin: &str) -> Behavior {
    Behavior {
        path_pattern: None,
        target_origin_id: origin.into(),
        viewer_protocol_policy: ViewerProtocolPolicy::RedirectToHttps,
        allowed_methods: vec!["GET".into(), "HEAD".into()],
        cached_methods: vec!["GET".into(), "HEAD".into()],
        cache_policy_id: Some("658327ea-f89d-4fab-a63d-7e88639e58f6".into()),
        origin_request_policy_id: Some("b689b0a8-53d0-40ab-baf2-68738e2966ac".into()),
        forwarded_values: None,
    }
}

pub fn custom_origin(id: &str, domain: &str, policy: OriginProtocolPolicy) -> Origin {
    Origin {
        id: id.into(),
        domain_name: domain.into(),
        origin_path: String::new(),
        custom_headers: vec![],
        connection_attempts: 3,
        connection_timeout_s: 10,
        kind: OriginKind::Custom(CustomOriginConfig {
            http_port: 80,
            https_port: 443,
            protocol_policy: policy,
            ssl_protocols: vec!["TLSv1.2".into()],
            read_timeout_s: 30,
            keepalive_timeout_s: 5,
        }),
    }
}

pub fn load_balancer(dns: &str, listeners: Vec<Listener>) -> OriginResource {
    OriginResource::LoadBalancer(LoadBalancer {
        arn: format!(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/{}",
            dns.split('.').next().unwrap_or("lb")
        ),
        name: dns.split('.').next().unwrap_or("lb").into(),
        dns_name: dns.into(),
        lb_type: "application".into(),
        scheme: "internet-facing".into(),
        security_groups: vec!["sg-0123".into()],
        listeners: Fetch::fetched(listeners),
    })
}

pub fn listener(port: u16, protocol: &str, action: ListenerAction) -> Listener {
    Listener {
        arn: format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/{port}"),
        port,
        protocol: protocol.into(),
        ssl_policy: None,
        certificate_arns: vec![],
        default_actions: vec![action],
    }
}

pub fn redirect_to_https() -> ListenerAction {
    ListenerAction::Redirect {
        protocol: "HTTPS".into(),
        port: "443".into(),
        host: "#{host}".into(),
        path: "/#{path}".into(),
        query: "#{query}".into(),
        status_code: "HTTP_301".into(),
    }
}

pub fn forward() -> ListenerAction {
    ListenerAction::Forward { target_group_arns: vec!["arn:tg".into()] }
}

/// Evidence for one distribution with one custom origin and no probes.
pub fn evidence(origin: Origin, resource: Fetch<OriginResource>) -> Evidence {
    let origin_id = origin.id.clone();
    Evidence {
        schema_version: EVIDENCE_SCHEMA_VERSION,
        collected_at: "2026-11-26T00:00:00Z".into(),
        collected_at_unix: 1_795_651_200,
        request: RequestEcho { distribution_id: "EFIXTURE".into(), paths: vec!["/".into()], ..Default::default() },
        inventory: Inventory {
            distribution: Distribution {
                id: "EFIXTURE".into(),
                arn: "arn:aws:cloudfront::123456789012:distribution/EFIXTURE".into(),
                domain_name: "d111.cloudfront.net".into(),
                status: "Deployed".into(),
                enabled: true,
                aliases: vec![],
                origins: vec![origin],
                default_behavior: behavior(&origin_id),
                behaviors: vec![],
            },
            origins: vec![OriginInventory { origin_id, region: Some("us-east-1".into()), resource }],
            calls: vec![],
        },
        observations: Observations { probed_from: "fixture".into(), ..Default::default() },
    }
}

pub fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    HttpResponse {
        status,
        reason: String::new(),
        headers: headers.iter().map(|(n, v)| Header { name: n.to_string(), value: v.to_string() }).collect(),
        body_sample: String::new(),
        body_bytes_read: 0,
        body_truncated: false,
        cloudfront_error: None,
        set_cookie_names: vec![],
        body_incomplete: None,
    }
}

pub fn hop(url: &str, result: HopResult) -> Hop {
    Hop {
        url: url.into(),
        address: Some("192.0.2.1:443".into()),
        address_from_override: false,
        sni: None,
        host_header: url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default(),
        result,
        timings: Timings::default(),
    }
}

pub fn probe(id: &str, target: ProbeTarget, hops: Vec<Hop>, redirects: RedirectOutcome) -> ProbeRecord {
    ProbeRecord {
        id: id.into(),
        target,
        method: "GET".into(),
        request_headers: vec![],
        hops,
        redirects,
        shape: RequestShape::Cloudfront,
        viewer_path: Some("/".into()),
        redirect_escape: None,
    }
}

// ---- Fixtures for probe-based checks (request shaping, viewer side, DNS, timings). ----

/// A response whose body is CloudFront's own error page with this reason sentence.
pub fn cloudfront_page(status: u16, reason: &str) -> HttpResponse {
    let mut r = response(status, &[("Server", "CloudFront"), ("X-Cache", "Error from cloudfront")]);
    r.body_sample = format!("<H1>{status} ERROR</H1>{reason} Generated by cloudfront (CloudFront)");
    r.cloudfront_error = Some(CloudFrontErrorPage { heading: format!("{status} ERROR"), reason: Some(reason.into()) });
    r
}

/// A GET straight to origin `o1` of [`evidence`] over HTTP:80, in the given shape and Host.
pub fn origin_probe(shape: RequestShape, host: &str, path: &str, result: HopResult) -> ProbeRecord {
    let prefix = match shape {
        RequestShape::Cloudfront => "origin",
        RequestShape::Viewer => "origin-viewer",
        RequestShape::ViewerWithCloudfrontHost => "origin-viewer-cfhost",
    };
    let mut h = hop(&format!("http://app-1.us-east-1.elb.amazonaws.com{path}"), result);
    h.host_header = host.into();
    let mut p = probe(
        &format!("{prefix}:o1:http:{path}"),
        ProbeTarget::Origin {
            origin_id: "o1".into(),
            behavior: "default (*)".into(),
            scheme: Scheme::Http,
            port: 80,
            host_header: host.into(),
        },
        vec![h],
        RedirectOutcome::Final,
    );
    p.shape = shape;
    p.viewer_path = Some(path.into());
    p
}

/// A probe through the distribution to `hostname` with `method`.
pub fn edge_probe(hostname: &str, scheme: Scheme, method: &str, path: &str, result: HopResult) -> ProbeRecord {
    let url = format!("{}://{hostname}{path}", scheme.as_str());
    let mut p = probe(
        &format!("edge:{hostname}:{}:{path}", scheme.as_str()),
        ProbeTarget::Edge { hostname: hostname.into(), scheme },
        vec![hop(&url, result)],
        RedirectOutcome::Final,
    );
    p.method = method.into();
    p.shape = RequestShape::Viewer;
    p.viewer_path = Some(path.into());
    p
}

/// A DNS observation.
pub fn dns(name: &str, role: DnsRole, a: &[&str], cnames: &[&str], error: Option<&str>) -> DnsObservation {
    DnsObservation {
        name: name.into(),
        role,
        source: "resolver 192.0.2.53:53".into(),
        cname_chain: cnames.iter().map(|s| s.to_string()).collect(),
        a: a.iter().map(|s| s.to_string()).collect(),
        aaaa: vec![],
        error: error.map(str::to_string),
        notes: vec![],
        points_to_distribution: None,
    }
}
