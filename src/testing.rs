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
        request: RequestEcho { distribution_id: "EFIXTURE".into(), paths: vec!["/".into()] },
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
    ProbeRecord { id: id.into(), target, method: "GET".into(), request_headers: vec![], hops, redirects }
}

/// A certificate description valid from 2023-11 to 2030-03 (the fixture clock is 2026-11-26).
pub fn cert_info(names: &[&str]) -> CertificateInfo {
    CertificateInfo {
        subject: format!("CN={}", names.first().copied().unwrap_or("leaf")),
        issuer: "CN=Fixture Intermediate CA".into(),
        common_name: names.first().map(|s| s.to_string()),
        dns_names: names.iter().map(|s| s.to_string()).collect(),
        not_before_unix: 1_700_000_000,
        not_after_unix: 1_900_000_000,
        key_type: "RSA".into(),
        key_bits: Some(2048),
        signature_algorithm: "sha256WithRSAEncryption".into(),
        is_ca: false,
        self_issued: false,
        sha256: format!("fp-{}", names.join(",")),
    }
}

/// A successful TLS 1.2 handshake with a trusted chain whose leaf covers `cert_names`; the name
/// check is against the SNI (or `host` without SNI).
pub fn tls_observation(
    origin_id: &str,
    host: &str,
    sni: Option<&str>,
    role: SniRole,
    cloudfront_sends: bool,
    cert_names: &[&str],
) -> TlsObservation {
    let name = sni.unwrap_or(host).to_string();
    let matches = cert_names.iter().any(|n| match n.strip_prefix("*.") {
        Some(suffix) => name.split_once('.').is_some_and(|(_, rest)| rest == suffix),
        None => n.eq_ignore_ascii_case(&name),
    });
    TlsObservation {
        id: format!("tls:{origin_id}:443:{}", sni.map(|s| format!("sni={s}")).unwrap_or_else(|| "no-sni".into())),
        origin_id: origin_id.into(),
        host: host.into(),
        port: 443,
        sni: sni.map(str::to_string),
        role,
        cloudfront_sends: Some(cloudfront_sends),
        behaviors: vec!["default (*)".into()],
        address: Some("192.0.2.1:443".into()),
        address_from_override: false,
        offered: TlsOffer {
            versions: vec!["TLSv1.2".into()],
            cipher_suites: vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()],
            groups: vec!["X25519".into()],
            signature_schemes: vec!["RSA_PKCS1_SHA256".into()],
            not_offered: vec!["cipher suite AES128-SHA".into()],
        },
        result: TlsHandshakeResult::Established(TlsEstablished {
            version: "TLSv1.2".into(),
            cipher_suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into(),
            group: Some("X25519".into()),
        }),
        client_certificate_requested: false,
        chain: vec![
            cert_info(cert_names),
            CertificateInfo {
                is_ca: true,
                subject: "CN=Fixture Intermediate CA".into(),
                issuer: "CN=Fixture Root CA".into(),
                common_name: Some("Fixture Intermediate CA".into()),
                dns_names: vec![],
                sha256: "fp-intermediate".into(),
                ..cert_info(&[])
            },
        ],
        chain_check: Some(ChainCheck {
            validation: ChainValidation::Trusted,
            in_order: true,
            ends: ChainEnd::IssuedByTrustedRoot,
            trusted_only_by_extra_anchor: false,
        }),
        name_check: Some(NameCheck { name, matches }),
        fallback: None,
        handshake_ms: Some(12),
    }
}

/// Evidence for one https-only origin `o1` at `host` whose certificate covers `cert_names`,
/// probed with the origin's name, the distribution's name and without SNI.
pub fn tls_evidence(host: &str, cert_names: &[&str]) -> Evidence {
    let mut ev = evidence(
        custom_origin("o1", host, OriginProtocolPolicy::HttpsOnly),
        Fetch::fetched(OriginResource::OutsideAws { reason: "fixture".into() }),
    );
    ev.observations.tls = vec![
        tls_observation("o1", host, Some(host), SniRole::OriginDomain, true, cert_names),
        tls_observation("o1", host, Some("d111.cloudfront.net"), SniRole::ViewerHostname, false, cert_names),
        tls_observation("o1", host, None, SniRole::NoSni, false, cert_names),
    ];
    ev
}

/// A failed handshake result.
pub fn tls_failed(kind: TlsFailureKind, alert: Option<&str>) -> TlsHandshakeResult {
    TlsHandshakeResult::Failed(TlsFailure {
        kind,
        message: format!("fixture failure {kind:?}"),
        alert: alert.map(str::to_string),
    })
}

/// A 502 from CloudFront seen through the distribution.
pub fn add_edge_502(ev: &mut Evidence) {
    let mut r = response(502, &[("X-Cache", "Error from cloudfront")]);
    r.cloudfront_error = Some(CloudFrontErrorPage {
        heading: "502 ERROR".into(),
        reason: Some("CloudFront wasn't able to connect to the origin.".into()),
    });
    ev.observations.probes.push(probe(
        "edge:https:/",
        ProbeTarget::Edge { hostname: "d111.cloudfront.net".into(), scheme: Scheme::Https },
        vec![hop("https://d111.cloudfront.net/", HopResult::Response(r))],
        RedirectOutcome::Final,
    ));
}
