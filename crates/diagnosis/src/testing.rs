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
        function_associations: vec![],
        lambda_associations: vec![],
        trusted_key_groups: vec![],
        cache_policy: None,
        origin_request_policy: None,
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
            ip_address_type: None,
        }),
        response_completion_timeout_s: None,
        origin_access_control_id: None,
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
        ip_address_type: "ipv4".into(),
        vpc_id: Some("vpc-0fixture".into()),
        subnet_ids: vec!["subnet-0a".into(), "subnet-0b".into()],
        attributes: Fetch::fetched(Default::default()),
        target_groups: Fetch::fetched(vec![]),
        ssl_policies: Fetch::fetched(vec![]),
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
        certificates: Fetch::fetched(vec![]),
        rules: Fetch::fetched(vec![]),
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
                default_root_object: String::new(),
                http_version: "http2".into(),
                web_acl_id: None,
                viewer_certificate: None,
                geo_restriction: None,
                origin_groups: vec![],
                custom_error_responses: vec![],
                logging: None,
            },
            origins: vec![OriginInventory {
                origin_id,
                region: Some("us-east-1".into()),
                resource,
                network: None,
                vpc_origin: None,
            }],
            calls: vec![],
            cloudfront_prefix_lists: vec![],
            viewer_certificate_acm: Fetch::NotApplicable { reason: "fixture".into() },
        },
        observations: Observations { probed_from: "fixture".into(), ..Default::default() },
        preflight: None,
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
        head_bytes: None,
        response_defects: vec![],
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
pub fn cloudfront_page(status: u16, reason: CloudFrontReason) -> HttpResponse {
    cloudfront_page_saying(status, reason.sentence())
}

/// A response whose body is CloudFront's own error page carrying `text`, recognised as the
/// probe recognises it (a sentence CloudFront is not known to write gives no reason).
pub fn cloudfront_page_saying(status: u16, text: &str) -> HttpResponse {
    let mut r = response(status, &[("Server", "CloudFront"), ("X-Cache", "Error from cloudfront")]);
    r.body_sample = format!("<H1>{status} ERROR</H1>{text} Generated by cloudfront (CloudFront)");
    r.cloudfront_error = crate::evidence::cloudfront_page::recognise_error_page(&r.body_sample);
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

/// A CloudFront-shaped GET of `/` straight to origin `origin_id` at `host`, over `scheme` on `port`.
pub fn origin_probe_to(origin_id: &str, host: &str, scheme: Scheme, port: u16, result: HopResult) -> ProbeRecord {
    let mut h = hop(&format!("{}://{host}:{port}/", scheme.as_str()), result);
    h.address = Some(format!("192.0.2.1:{port}"));
    h.sni = (scheme == Scheme::Https).then(|| host.to_string());
    probe(
        &format!("origin:{origin_id}:{}:{port}:/", scheme.as_str()),
        ProbeTarget::Origin {
            origin_id: origin_id.into(),
            behavior: "default (*)".into(),
            scheme,
            port,
            host_header: host.into(),
        },
        vec![h],
        RedirectOutcome::Final,
    )
}

/// A TCP connect from the prober to `host:port` (an origin's port) with this outcome.
pub fn tcp_observation(origin_id: &str, host: &str, port: u16, outcome: TcpOutcome) -> TcpObservation {
    let address = format!("192.0.2.1:{port}");
    TcpObservation {
        origin_id: origin_id.into(),
        host: host.into(),
        port,
        scheme: if port == 443 { Scheme::Https } else { Scheme::Http },
        message: match outcome {
            TcpOutcome::Refused => Some(format!("{address}: connection refused (nothing listening)")),
            _ => None,
        },
        address: Some(address),
        from_override: false,
        outcome,
        connect_ms: Some(1),
    }
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

/// A GET of `/` through the distribution's own domain over HTTPS, answered with `response`.
pub fn push_edge_get(ev: &mut Evidence, response: HttpResponse) {
    ev.observations.probes.push(edge_probe(
        "d111.cloudfront.net",
        Scheme::Https,
        "GET",
        "/",
        HopResult::Response(response),
    ));
}

/// A viewer's HTTPS request through the distribution that came back to its own URL: a
/// redirect loop observed at the edge.
pub fn push_edge_loop(ev: &mut Evidence) {
    let url = "https://d111.cloudfront.net/";
    ev.observations.probes.push(probe(
        "edge:https:/",
        ProbeTarget::Edge { hostname: "d111.cloudfront.net".into(), scheme: Scheme::Https },
        vec![hop(url, HopResult::Response(response(301, &[("Location", url)])))],
        RedirectOutcome::Loop { repeated_url: url.into() },
    ));
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

// Network fixtures (security groups, prefix lists, ACLs, routes) for the network checks.

/// CloudFront's IPv4 origin-facing list id in the fixtures.
pub const CF_PREFIX_LIST: &str = "pl-3b927c52";

/// A few of CloudFront's origin-facing IPv4 ranges, as the list's entries in the fixtures.
pub const CF_ENTRIES: &[&str] = &["130.176.0.0/18", "15.158.0.0/16", "64.252.64.0/18", "70.132.0.0/18"];

pub fn cloudfront_prefix_lists(region: &str) -> RegionalPrefixLists {
    RegionalPrefixLists {
        region: region.into(),
        lists: Fetch::fetched(vec![PrefixList {
            prefix_list_id: CF_PREFIX_LIST.into(),
            prefix_list_name: CLOUDFRONT_PREFIX_LIST_V4.into(),
            address_family: "IPv4".into(),
            owner_id: "AWS".into(),
            max_entries: Some(55),
            entries: Fetch::fetched(CF_ENTRIES.iter().map(|s| s.to_string()).collect()),
        }]),
    }
}

pub fn sg_rule_cidr(from: i32, to: i32, cidrs: &[&str]) -> SgRule {
    SgRule {
        ip_protocol: "tcp".into(),
        from_port: Some(from),
        to_port: Some(to),
        ipv4_ranges: cidrs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

pub fn sg_rule_prefix_list(from: i32, to: i32, prefix_list: &str) -> SgRule {
    SgRule {
        ip_protocol: "tcp".into(),
        from_port: Some(from),
        to_port: Some(to),
        prefix_list_ids: vec![prefix_list.into()],
        ..Default::default()
    }
}

pub fn security_group(id: &str, ingress: Vec<SgRule>) -> SecurityGroup {
    SecurityGroup {
        group_id: id.into(),
        group_name: format!("{id}-name"),
        vpc_id: Some("vpc-0fixture".into()),
        owner_id: Some("123456789012".into()),
        ingress,
        egress: vec![SgRule { ip_protocol: "-1".into(), ipv4_ranges: vec!["0.0.0.0/0".into()], ..Default::default() }],
    }
}

pub fn nacl_entry(rule: i32, egress: bool, allow: bool, cidr: &str, ports: Option<(i32, i32)>) -> NaclEntry {
    NaclEntry {
        rule_number: rule,
        egress,
        protocol: if ports.is_some() { "6".into() } else { "-1".into() },
        rule_action: if allow { "allow".into() } else { "deny".into() },
        cidr_block: Some(cidr.into()),
        ipv6_cidr_block: None,
        port_from: ports.map(|p| p.0),
        port_to: ports.map(|p| p.1),
    }
}

/// An IPv6 entry (`Ipv6CidrBlock`) of a network ACL.
pub fn nacl_entry_v6(rule: i32, egress: bool, allow: bool, cidr: &str, ports: Option<(i32, i32)>) -> NaclEntry {
    NaclEntry { cidr_block: None, ipv6_cidr_block: Some(cidr.into()), ..nacl_entry(rule, egress, allow, "", ports) }
}

/// The default ACL of a dual-stack VPC as AWS creates it: allow everything both ways (rule 100
/// for IPv4, 101 for IPv6), then deny.
pub fn open_nacl(subnets: &[&str]) -> NetworkAcl {
    NetworkAcl {
        network_acl_id: "acl-0default".into(),
        vpc_id: "vpc-0fixture".into(),
        is_default: true,
        subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
        entries: vec![
            nacl_entry(100, false, true, "0.0.0.0/0", None),
            nacl_entry(100, true, true, "0.0.0.0/0", None),
            nacl_entry_v6(101, false, true, "::/0", None),
            nacl_entry_v6(101, true, true, "::/0", None),
        ],
    }
}

/// A route table for `subnets`, with a default route to an internet gateway when `igw`.
pub fn route_table(subnets: &[&str], igw: bool) -> RouteTable {
    let mut routes = vec![Route { destination: "10.0.0.0/16".into(), target: "local".into(), state: "active".into() }];
    if igw {
        routes.push(Route { destination: "0.0.0.0/0".into(), target: "igw-0fixture".into(), state: "active".into() });
    }
    RouteTable {
        route_table_id: "rtb-0fixture".into(),
        vpc_id: "vpc-0fixture".into(),
        main: true,
        subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
        routes,
    }
}

/// A network path with the given groups, the default open ACL and an internet route.
pub fn network_path(entry: &str, groups: Vec<SecurityGroup>) -> NetworkPath {
    NetworkPath {
        entry: entry.into(),
        vpc_id: Some("vpc-0fixture".into()),
        security_group_ids: groups.iter().map(|g| g.group_id.clone()).collect(),
        security_groups: Fetch::fetched(groups),
        referenced_prefix_lists: Fetch::fetched(vec![]),
        subnet_ids: vec!["subnet-0a".into(), "subnet-0b".into()],
        subnets: Fetch::fetched(vec![]),
        network_acls: Fetch::fetched(vec![open_nacl(&["subnet-0a", "subnet-0b"])]),
        route_tables: Fetch::fetched(vec![route_table(&["subnet-0a", "subnet-0b"], true)]),
        referenced_groups: Fetch::fetched(vec![]),
        targets: vec![],
    }
}

/// Evidence for one custom origin behind a load balancer whose security groups are `groups`,
/// with CloudFront's prefix list in the region.
pub fn network_evidence(policy: OriginProtocolPolicy, lb: OriginResource, path: NetworkPath) -> Evidence {
    let dns = match &lb {
        OriginResource::LoadBalancer(l) => l.dns_name.clone(),
        _ => "origin.example.com".into(),
    };
    let mut ev = evidence(custom_origin("o1", &dns, policy), Fetch::fetched(lb));
    ev.inventory.origins[0].network = Some(path);
    ev.inventory.cloudfront_prefix_lists.push(cloudfront_prefix_lists("us-east-1"));
    ev
}

/// Evidence for an ALB origin (HTTPS:443) whose one security group `sg-1` has `rules`.
pub fn alb_with_rules(policy: OriginProtocolPolicy, rules: Vec<SgRule>) -> Evidence {
    let lb = load_balancer("app-1.us-east-1.elb.amazonaws.com", vec![listener(443, "HTTPS", forward())]);
    network_evidence(policy, lb, network_path("load-balancer", vec![security_group("sg-1", rules)]))
}

/// An EC2 instance resource for fixtures.
pub fn ec2_instance(id: &str, public_ip: Option<&str>, groups: &[&str]) -> OriginResource {
    OriginResource::Ec2Instance(Ec2Instance {
        instance_id: id.into(),
        state: "running".into(),
        public_ip: public_ip.map(str::to_string),
        public_dns_name: public_ip.map(|ip| format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-"))),
        private_ip: Some("10.0.0.10".into()),
        ipv6_addresses: vec![],
        vpc_id: Some("vpc-0fixture".into()),
        subnet_id: Some("subnet-0a".into()),
        security_groups: groups.iter().map(|s| s.to_string()).collect(),
        matched_by: "public-dns-name".into(),
    })
}

/// A CloudFront-generated error seen through the distribution.
pub fn add_edge_error(ev: &mut Evidence, status: u16) {
    let url = "https://d111.cloudfront.net/";
    let mut r = response(status, &[("Server", "CloudFront"), ("X-Cache", "Error from cloudfront")]);
    r.cloudfront_error =
        Some(CloudFrontErrorPage { heading: format!("{status} ERROR"), reason: Some(CloudFrontReason::CannotConnect) });
    ev.observations.probes.push(probe(
        &format!("edge:https:/:{status}"),
        ProbeTarget::Edge { hostname: "d111.cloudfront.net".into(), scheme: Scheme::Https },
        vec![hop(url, HopResult::Response(r))],
        RedirectOutcome::Final,
    ));
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
            signature_schemes: vec!["rsa_pkcs1_sha256".into()],
        },
        result: tls12_gcm(true),
        hellos: vec![VersionHello { version: "TLSv1.2".into(), allowed: true, result: tls12_gcm(false) }],
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
        chain_dropped: 0,
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

/// A TLS 1.2 ECDHE-RSA-AES128-GCM negotiation, completed or stopped after the server's hello.
pub fn tls12_gcm(full_handshake: bool) -> TlsHandshakeResult {
    TlsHandshakeResult::Established(TlsEstablished {
        version: "TLSv1.2".into(),
        cipher_suite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into(),
        group: Some("X25519".into()),
        full_handshake,
    })
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
    r.cloudfront_error =
        Some(CloudFrontErrorPage { heading: "502 ERROR".into(), reason: Some(CloudFrontReason::CannotConnect) });
    ev.observations.probes.push(probe(
        "edge:https:/",
        ProbeTarget::Edge { hostname: "d111.cloudfront.net".into(), scheme: Scheme::Https },
        vec![hop("https://d111.cloudfront.net/", HopResult::Response(r))],
        RedirectOutcome::Final,
    ));
}

/// Evidence for the edge checks: one custom origin `o1` outside AWS, no probes.
pub fn edge_code_evidence() -> Evidence {
    evidence(
        custom_origin("o1", "o.example", OriginProtocolPolicy::HttpsOnly),
        Fetch::fetched(OriginResource::OutsideAws { reason: "fixture".into() }),
    )
}

/// A VPC origin (`vo-fixture`, https-only on 443, Deployed) whose endpoint is an internal ALB
/// with an HTTPS listener on 443, behind `groups`; `referenced` are the groups their rules
/// reference, as the inventory read them.
pub fn vpc_evidence(groups: Vec<SecurityGroup>, referenced: Vec<SecurityGroup>) -> Evidence {
    let mut origin = custom_origin("vpc1", "internal-app.example.com", OriginProtocolPolicy::HttpsOnly);
    origin.kind = OriginKind::Vpc { vpc_origin_id: "vo-fixture".into() };
    let mut lb = load_balancer("internal-app-1.us-east-1.elb.amazonaws.com", vec![listener(443, "HTTPS", forward())]);
    if let OriginResource::LoadBalancer(l) = &mut lb {
        l.scheme = "internal".into();
        l.security_groups = groups.iter().map(|g| g.group_id.clone()).collect();
    }
    let endpoint_arn = match &lb {
        OriginResource::LoadBalancer(l) => l.arn.clone(),
        _ => String::new(),
    };
    let mut ev = evidence(origin, Fetch::fetched(lb));
    ev.inventory.origins[0].network = Some(network_path("load-balancer", groups));
    ev.inventory.origins[0].vpc_origin = Some(VpcOriginFacts {
        vpc_origin: Fetch::fetched(VpcOrigin {
            id: "vo-fixture".into(),
            arn: "arn:aws:cloudfront::123456789012:vpcorigin/vo-fixture".into(),
            status: "Deployed".into(),
            name: "internal-app".into(),
            endpoint_arn,
            http_port: 80,
            https_port: 443,
            protocol_policy: OriginProtocolPolicy::HttpsOnly,
            ssl_protocols: vec!["TLSv1.2".into()],
        }),
        referenced_groups: Fetch::fetched(referenced),
    });
    ev
}

/// An issued ACM certificate for `names` (the first is the domain name), valid until `not_after_unix`.
pub fn acm_cert(arn: &str, names: &[&str], not_after_unix: i64) -> AcmCertificate {
    AcmCertificate {
        arn: arn.into(),
        domain_name: names.first().map(|n| n.to_string()).unwrap_or_default(),
        subject_alternative_names: names.iter().map(|n| n.to_string()).collect(),
        status: "ISSUED".into(),
        not_before_unix: Some(1_700_000_000),
        not_after_unix: Some(not_after_unix),
        issuer: Some("Amazon".into()),
        key_algorithm: Some("RSA_2048".into()),
        certificate_type: "AMAZON_ISSUED".into(),
        in_use_by: vec![],
    }
}

/// Replaces the origin's resource by a load balancer (`dns`) whose HTTPS listener on 443
/// carries `certs`, each described by ACM.
pub fn with_listener_certs(ev: &mut Evidence, dns: &str, certs: Vec<AcmCertificate>) {
    let mut l = listener(443, "HTTPS", forward());
    l.certificates = Fetch::fetched(
        certs
            .into_iter()
            .enumerate()
            .map(|(i, c)| ListenerCertificate {
                certificate_arn: c.arn.clone(),
                is_default: i == 0,
                acm: Fetch::fetched(c),
            })
            .collect(),
    );
    ev.inventory.origins[0].resource = Fetch::fetched(load_balancer(dns, vec![l]));
}

/// One rung of a request ladder toward `o1` on http:80 unless `conn` says otherwise: a status, or
/// a refused connection (`Err(ProbeStage::Connect)`) or another failed stage.
pub fn rung(
    label: &str,
    base: bool,
    conn: (Scheme, u16),
    host: &str,
    cf: &[Change],
    answer: Result<u16, ProbeStage>,
) -> Rung {
    let (scheme, port) = conn;
    let url = format!("{}://origin.example:{port}/", scheme.as_str());
    let result = match answer {
        Ok(status) => HopResult::Response(response(status, &[])),
        Err(stage) => HopResult::Error(ProbeError {
            stage,
            message: "failed".into(),
            tls: None,
            refused: stage == ProbeStage::Connect,
        }),
    };
    Rung {
        label: label.into(),
        base,
        request: RungRequest {
            scheme,
            port,
            host: host.into(),
            sni: (scheme == Scheme::Https).then(|| host.to_string()),
            cloudfront: cf.to_vec(),
        },
        path_and_query: "/".into(),
        request_headers: vec![],
        hop: Some(hop(&url, result)),
        not_run: None,
    }
}

/// A ladder toward origin `o1` for `/`: the differences are the changes named by the rungs.
pub fn ladder(rungs: Vec<Rung>, differences: &[Change]) -> Ladder {
    let cloudfront_rung = rungs.iter().position(|r| r.label == "CloudFront's request").unwrap_or(0);
    let (scheme, port) =
        rungs.get(cloudfront_rung).map(|r| (r.request.scheme, r.request.port)).unwrap_or((Scheme::Http, 80));
    Ladder {
        origin_id: "o1".into(),
        origin_name: rungs.iter().find(|r| r.base).map(|r| r.request.host.clone()).unwrap_or_default(),
        viewer_path: "/".into(),
        scheme,
        port,
        differences: differences
            .iter()
            .map(|c| Difference {
                change: *c,
                direct: format!("direct {}", c.id()),
                cloudfront: format!("cloudfront {}", c.id()),
            })
            .collect(),
        rungs,
        cloudfront_rung,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evidence recorded before the network inventory existed still loads.
    #[test]
    fn evidence_without_the_network_fields_still_loads() {
        let lb = load_balancer("app-1.us-east-1.elb.amazonaws.com", vec![listener(443, "HTTPS", forward())]);
        let ev = network_evidence(OriginProtocolPolicy::HttpsOnly, lb, network_path("load-balancer", vec![]));
        let mut v = serde_json::to_value(&ev).unwrap();
        let inv = &mut v["inventory"];
        inv.as_object_mut().unwrap().remove("cloudfront_prefix_lists");
        let d = inv["distribution"].as_object_mut().unwrap();
        for k in [
            "default_root_object",
            "http_version",
            "web_acl_id",
            "viewer_certificate",
            "geo_restriction",
            "origin_groups",
            "custom_error_responses",
        ] {
            assert!(d.remove(k).is_some(), "{k}");
        }
        for k in ["function_associations", "lambda_associations", "trusted_key_groups"] {
            d.get_mut("default_behavior").unwrap().as_object_mut().unwrap().remove(k);
        }
        let origin = &mut inv["origins"][0];
        origin.as_object_mut().unwrap().remove("network");
        let lbv = origin["resource"]["value"].as_object_mut().unwrap();
        for k in ["ip_address_type", "vpc_id", "subnet_ids", "attributes", "target_groups", "ssl_policies"] {
            assert!(lbv.remove(k).is_some(), "{k}");
        }
        let l = lbv.get_mut("listeners").unwrap()["value"][0].as_object_mut().unwrap();
        l.remove("certificates");
        l.remove("rules");
        let back: Evidence = serde_json::from_value(v).expect("old evidence loads");
        assert!(back.inventory.origins[0].network.is_none());
        let Some(OriginResource::LoadBalancer(lb)) = back.inventory.origins[0].resource.value() else { panic!() };
        assert!(matches!(lb.attributes, Fetch::NotApplicable { .. }), "missing facts read as not collected");
    }
}
