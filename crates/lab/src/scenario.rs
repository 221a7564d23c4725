//! The named situations the lab can stage, each declared once in [`SCENARIOS`]: its name (the
//! id of the finding it stages), its passing twin, the world to stage (load balancer listeners,
//! network, distribution, alias, origin behaviour and TLS) and what the CloudFront edge
//! stand-in can reach. [`crate::Lab::start`] reads the entry; nothing else matches on a scenario.

use crate::origin::Behavior;
use crate::pki::{self, TestCa, Validity};
use crate::seed::{DistributionSpec, ListenerAction};
use crate::tls_origin::{ALL_VIEWER, EXPIRES_IN_DAYS, TlsSetup};
use std::time::Duration;

/// The managed origin request policy AllViewerExceptHostHeader (everything but Host).
const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// The managed cache policy CachingDisabled.
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

/// One scenario, declared once.
pub struct Def {
    pub scenario: Scenario,
    /// What `scripts/demo` and [`Scenario::parse`] take: the id of the finding the scenario
    /// stages (with a qualifier where several stage the same one); `<name>-fixed` for a twin.
    pub name: &'static str,
    /// The name it had before it was named after its finding; [`Scenario::parse`] accepts it.
    pub former: Option<&'static str>,
    /// What the scenario stages, one sentence.
    pub about: &'static str,
    /// Its part of the load balancer's name (`lab-<short>`: ELB names are at most 32
    /// characters) and of its alias (`www.<short>.lab.test`).
    pub short: &'static str,
    /// The finding a diagnosis names as `verdict.primary`; `None` where it passes (or warns).
    pub primary: Option<&'static str>,
    /// The same world with the fix applied, which passes.
    pub twin: Option<Scenario>,
    /// CLI flags the diagnosis needs to see the problem (the application's declared needs).
    pub flags: &'static [&'static str],
    /// What the load balancer's HTTP:80 listener does.
    pub http_listener: HttpListener,
    /// Whether the load balancer has its HTTPS:443 listener.
    pub https_listener: bool,
    /// The network change after the load balancer is seeded.
    pub network: Network,
    /// Changes to the distribution before it is created (after the lab's secret origin header).
    pub distribution: fn(&mut DistributionSpec),
    /// The alternate domain name the distribution gets, and where its DNS leads.
    pub alias: Alias,
    /// What the origin does on every listener, instead of the listener's own action.
    pub origin: Option<fn(&Names) -> Behavior>,
    /// The origin's TLS listener on the HTTPS port.
    pub origin_tls: OriginTls,
    /// Whether the origin's name resolves (the lab DNS answers NXDOMAIN otherwise).
    pub origin_resolves: bool,
    /// What CloudFront (the edge stand-in) can reach of the origin; the prober reaches it all.
    pub edge: Edge,
}

/// The load balancer's HTTP:80 listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpListener {
    /// Forwards to the application.
    Forward,
    /// Redirects to HTTPS (301), as the ALB redirect action does.
    RedirectToHttps,
}

impl HttpListener {
    pub fn action(self) -> ListenerAction {
        match self {
            HttpListener::Forward => ListenerAction::Forward,
            HttpListener::RedirectToHttps => ListenerAction::RedirectToHttps,
        }
    }
}

/// The network the emulator holds around the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// The seeded security group admits tcp 80-443 from anywhere.
    Open,
    /// The security group admits only the office network on 443.
    SgAdmitsOffice,
    /// The security group admits CloudFront's managed prefix list and the office on 443.
    SgAdmitsCloudFrontAndOffice,
    /// The security group admits only another group (`web-tier`) on 443.
    SgAdmitsOnlyGroup,
    /// The subnets' network ACL denies inbound tcp on this port (rule 50).
    NaclDenies(u16),
    /// The origin is an internet-facing NLB without security groups, forwarding TCP:80 to a
    /// target (an instance, or a network interface registered by private address) whose group
    /// admits the VPC, and CloudFront's prefix list where `admits_cloudfront`.
    Nlb { admits_cloudfront: bool, ip_target: bool },
}

/// The distribution's alternate domain name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alias {
    None,
    /// On the distribution, covered by the viewer certificate, DNS to this distribution.
    OnDistribution,
    /// On the distribution and in its DNS, but not in the viewer certificate.
    NotOnViewerCertificate,
    /// On the distribution, but DNS leads to another distribution's edge, which does not hold it.
    LeadsElsewhere,
}

/// The origin's TLS listener on the load balancer's HTTPS port.
#[derive(Clone, Copy)]
pub enum OriginTls {
    /// rustls defaults with a lab-CA certificate for the load balancer's name.
    Standard,
    /// This set-up.
    Setup(fn(&TestCa, &Names) -> TlsSetup),
    /// `openssl s_server` with these arguments (for protocols rustls does not speak) and a
    /// lab-CA certificate for the load balancer's name.
    Openssl(&'static [&'static str]),
}

/// What CloudFront (the edge stand-in) reaches of the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Every port the prober reaches.
    Reaches,
    /// Connections to these ports are refused (502).
    Refused(&'static [u16]),
    /// Packets to these ports are dropped, as a security group or network ACL does: the
    /// connection attempts time out (504).
    DropsSilently(&'static [u16]),
}

impl Edge {
    pub fn blocked_ports(self) -> &'static [u16] {
        match self {
            Edge::Reaches => &[],
            Edge::Refused(ports) | Edge::DropsSilently(ports) => ports,
        }
    }
}

/// The names a scenario's origin and certificates are made for.
pub struct Names<'a> {
    /// The load balancer's DNS name, lower case.
    pub alb: &'a str,
    /// The distribution's own name (`d….cloudfront.net`).
    pub domain: &'a str,
    /// The alias, where the scenario has one.
    pub alias: Option<&'a str>,
}

impl Names<'_> {
    fn alias(&self) -> &str {
        self.alias.unwrap_or_default()
    }
}

const DEFAULT: Def = Def {
    scenario: Scenario::Healthy,
    name: "",
    former: None,
    about: "",
    short: "",
    primary: None,
    twin: None,
    flags: &[],
    http_listener: HttpListener::Forward,
    https_listener: true,
    network: Network::Open,
    distribution: |_| {},
    alias: Alias::None,
    origin: None,
    origin_tls: OriginTls::Standard,
    origin_resolves: true,
    edge: Edge::Reaches,
};

/// Declares the [`Scenario`] enum and its [`SCENARIOS`] table from one list, so that a variant
/// cannot exist without its entry.
macro_rules! scenarios {
    ($($variant:ident { about: $about:literal, $($field:ident: $value:expr),* $(,)? })*) => {
        /// The named situations the lab can stage; each one's entry in [`SCENARIOS`] says what.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Scenario {
            $(#[doc = $about] $variant,)*
        }

        /// Every scenario, in the order `scripts/demo list` prints them.
        pub static SCENARIOS: &[Def] = &[
            $(Def { scenario: Scenario::$variant, about: $about, $($field: $value,)* ..DEFAULT },)*
        ];
    };
}

scenarios! {
    Healthy {
        about: "An ALB with HTTP and HTTPS listeners forwarding to the app; CloudFront https-only \
                with an origin certificate that covers the ALB's name. Everything works.",
        name: "healthy",
        short: "healthy",
    }
    RedirectLoop {
        about: "Origin protocol policy http-only, the ALB's HTTP:80 listener redirects to HTTPS, \
                Host forwarded: viewers loop.",
        name: "redirect-loop-origin-forces-https",
        former: Some("redirect-loop"),
        short: "loop",
        primary: Some("redirect-loop-origin-forces-https"),
        twin: Some(Scenario::RedirectLoopFixed),
        http_listener: HttpListener::RedirectToHttps,
        distribution: redirect_loop_distribution,
    }
    RedirectLoopFixed {
        about: "The same listener and forwarding, origin protocol policy https-only and an origin \
                certificate for the names CloudFront sends (Host is forwarded: the distribution's \
                name, a lab-only certificate).",
        name: "redirect-loop-origin-forces-https-fixed",
        former: Some("redirect-loop-fixed"),
        short: "loop-fixed",
        http_listener: HttpListener::RedirectToHttps,
        distribution: |d| {
            redirect_loop_distribution(d);
            d.protocol_policy = "https-only";
        },
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Standard(ca.leaf(&[n.alb, n.domain]))),
    }
    SgBlocksCloudFront {
        about: "The ALB's security group admits an office network on 443, not CloudFront: the \
                edge's connections time out while the prober, admitted, reaches the app.",
        name: "sg-blocks-cloudfront",
        short: "sg",
        primary: Some("sg-blocks-cloudfront"),
        twin: Some(Scenario::SgBlocksCloudFrontFixed),
        network: Network::SgAdmitsOffice,
        edge: Edge::DropsSilently(&[443]),
    }
    SgBlocksCloudFrontFixed {
        about: "The group admits CloudFront's managed prefix list (and the office) on 443.",
        name: "sg-blocks-cloudfront-fixed",
        short: "sg-fixed",
        network: Network::SgAdmitsCloudFrontAndOffice,
    }
    SgAdmitsOnlyGroup {
        about: "The ALB's group admits only another security group (`web-tier`) on 443, which \
                CloudFront's addresses are never in.",
        name: "sg-blocks-cloudfront-only-group",
        former: Some("sg-admits-only-group"),
        short: "sg-group",
        primary: Some("sg-blocks-cloudfront"),
        twin: Some(Scenario::SgBlocksCloudFrontFixed),
        network: Network::SgAdmitsOnlyGroup,
        edge: Edge::Refused(&[443]),
    }
    SgBlocksAndCertExpiring {
        about: "Two problems at once: the security group blocks CloudFront (the symptom) and the \
                origin certificate expires within 30 days (a latent risk).",
        name: "sg-blocks-cloudfront-and-cert-expiring",
        former: Some("sg-blocks-and-cert-expiring"),
        short: "sg-cert-expiring",
        primary: Some("sg-blocks-cloudfront"),
        network: Network::SgAdmitsOffice,
        origin_tls: OriginTls::Setup(|ca, n| {
            TlsSetup::Standard(ca.leaf_with(&[n.alb], Validity::ExpiresInDays(EXPIRES_IN_DAYS)))
        }),
        edge: Edge::DropsSilently(&[443]),
    }
    NaclBlocks {
        about: "The subnets' network ACL denies inbound tcp 443 (rule 50) ahead of the default allow.",
        name: "nacl-blocks",
        short: "nacl",
        primary: Some("nacl-blocks"),
        twin: Some(Scenario::NaclBlocksFixed),
        network: Network::NaclDenies(443),
        edge: Edge::DropsSilently(&[443]),
    }
    NaclBlocksFixed {
        about: "The low-numbered deny is for tcp 22 only: CloudFront's traffic passes.",
        name: "nacl-blocks-fixed",
        short: "nacl-fixed",
        network: Network::NaclDenies(22),
    }
    InternalAlb {
        about: "The ALB is internal: reachable by the prober (inside), refused to CloudFront.",
        name: "origin-not-internet-reachable",
        former: Some("internal-alb"),
        // "internal" in the load balancer's name is what makes `seed::create_alb` seed it with
        // the internal scheme.
        short: "internal",
        primary: Some("origin-not-internet-reachable"),
        twin: Some(Scenario::Healthy),
        edge: Edge::Refused(&[80, 443]),
    }
    NothingListening {
        about: "https-only, but the ALB listens only on HTTP:80: nothing on 443.",
        name: "nothing-listening-on-origin-port",
        former: Some("nothing-listening"),
        short: "no-listener",
        primary: Some("nothing-listening-on-origin-port"),
        twin: Some(Scenario::Healthy),
        https_listener: false,
    }
    ProtocolPortMismatch {
        about: "https-only with HTTPSPort 80: CloudFront speaks TLS to the HTTP listener.",
        name: "protocol-port-mismatch",
        short: "port-mismatch",
        primary: Some("protocol-port-mismatch"),
        twin: Some(Scenario::Healthy),
        distribution: |d| d.https_port = 80,
    }
    NlbSecurityModel {
        about: "http-only to an NLB without security groups whose instance target's group admits \
                only the VPC: with client IP preservation CloudFront's addresses are dropped at \
                the target.",
        name: "nlb-security-model",
        short: "nlb",
        primary: Some("nlb-security-model"),
        twin: Some(Scenario::NlbSecurityModelFixed),
        network: Network::Nlb { admits_cloudfront: false, ip_target: false },
        edge: Edge::Refused(&[80, 443]),
    }
    NlbSecurityModelFixed {
        about: "The target's group admits CloudFront's prefix list on 80.",
        name: "nlb-security-model-fixed",
        short: "nlb-fixed",
        network: Network::Nlb { admits_cloudfront: true, ip_target: false },
    }
    NlbIpTargets {
        about: "As nlb-security-model with an `ip` target (a network interface registered by \
                private address, client IP preservation on) whose interface's group admits only \
                the VPC.",
        name: "nlb-security-model-ip-targets",
        former: Some("nlb-ip-targets"),
        short: "nlb-ip",
        primary: Some("nlb-security-model"),
        twin: Some(Scenario::NlbIpTargetsFixed),
        network: Network::Nlb { admits_cloudfront: false, ip_target: true },
        edge: Edge::Refused(&[80, 443]),
    }
    NlbIpTargetsFixed {
        about: "The interface's group admits CloudFront's prefix list on 80.",
        name: "nlb-security-model-ip-targets-fixed",
        former: Some("nlb-ip-targets-fixed"),
        short: "nlb-ip-fixed",
        network: Network::Nlb { admits_cloudfront: true, ip_target: true },
    }
    MethodNotAllowed {
        about: "The behavior allows GET and HEAD only; the application needs POST.",
        name: "method-not-allowed",
        short: "method",
        primary: Some("method-not-allowed"),
        twin: Some(Scenario::MethodAllowed),
        flags: &["--expect-method", "POST"],
    }
    MethodAllowed {
        about: "All seven methods allowed.",
        name: "method-not-allowed-fixed",
        short: "method-ok",
        flags: &["--expect-method", "POST"],
        distribution: |d| d.allowed_methods = vec!["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
    }
    HostHeaderRouting {
        about: "The origin serves the site only under its alias (and the distribution's name); \
                Host is not forwarded, so CloudFront's requests get the origin's 404.",
        name: "host-header-routing-mismatch",
        short: "host",
        primary: Some("host-header-routing-mismatch"),
        twin: Some(Scenario::HostHeaderForwarded),
        distribution: |d| host_routing_distribution(d, ALL_VIEWER_EXCEPT_HOST),
        alias: Alias::OnDistribution,
        origin: Some(require_alias_or_domain),
    }
    HostHeaderForwarded {
        about: "Host forwarded (AllViewer).",
        name: "host-header-routing-mismatch-fixed",
        short: "host-ok",
        distribution: |d| host_routing_distribution(d, ALL_VIEWER),
        alias: Alias::OnDistribution,
        origin: Some(require_alias_or_domain),
    }
    OriginReadTimeout {
        about: "The origin sends its first byte after 2.6 s; OriginReadTimeout is 2 s.",
        name: "origin-read-timeout",
        short: "slow",
        primary: Some("origin-read-timeout"),
        twin: Some(Scenario::OriginFast),
        distribution: |d| d.read_timeout_s = 2,
        origin: Some(|_| Behavior::SlowFirstByte(Duration::from_millis(2600))),
    }
    OriginFast {
        about: "The same timeout, a fast origin.",
        name: "origin-read-timeout-fixed",
        short: "slow-ok",
        distribution: |d| d.read_timeout_s = 2,
    }
    AliasNotOnDistribution {
        about: "The alias's DNS leads to another distribution's edge, which does not hold it.",
        name: "alias-not-on-distribution",
        short: "alias",
        primary: Some("alias-not-on-distribution"),
        twin: Some(Scenario::AliasOnDistribution),
        alias: Alias::LeadsElsewhere,
    }
    AliasOnDistribution {
        about: "The alias leads to this distribution, whose viewer certificate covers it.",
        name: "alias-not-on-distribution-fixed",
        short: "alias-ok",
        alias: Alias::OnDistribution,
    }
    ViewerCertMissingAlias {
        about: "The alias is on the distribution and its DNS leads there, but the viewer \
                certificate does not cover it: HTTPS viewers of the alias fail in the handshake.",
        name: "viewer-certificate-problems",
        short: "viewer-cert",
        primary: Some("viewer-certificate-problems"),
        twin: Some(Scenario::AliasOnDistribution),
        alias: Alias::NotOnViewerCertificate,
    }
    Disabled {
        about: "The distribution is disabled.",
        name: "config-not-deployed-or-disabled",
        short: "disabled",
        primary: Some("config-not-deployed-or-disabled"),
        twin: Some(Scenario::Healthy),
        distribution: |d| d.enabled = false,
    }
    OriginDnsFailure {
        about: "The origin's name does not resolve.",
        name: "origin-dns-failure",
        short: "dns",
        primary: Some("origin-dns-failure"),
        twin: Some(Scenario::Healthy),
        origin_resolves: false,
    }
    RedirectEscape {
        about: "The app redirects to http://<Host>/login and Host is not forwarded: viewers are \
                sent to the load balancer's own name.",
        name: "redirect-escape-to-origin-hostname",
        short: "escape",
        primary: Some("redirect-escape-to-origin-hostname"),
        twin: Some(Scenario::RedirectStaysOnAlias),
        distribution: |d| redirect_escape_distribution(d, ALL_VIEWER_EXCEPT_HOST),
        origin: Some(|_| Behavior::RedirectFromHost),
    }
    RedirectStaysOnAlias {
        about: "Host forwarded: the redirect stays on the name the viewer used.",
        name: "redirect-escape-to-origin-hostname-fixed",
        short: "escape-ok",
        distribution: |d| redirect_escape_distribution(d, ALL_VIEWER),
        origin: Some(|_| Behavior::RedirectFromHost),
    }
    SecretHeaderMismatch {
        about: "CloudFront sends `X-Origin-Verify: rotated`; the origin accepts only `original`.",
        name: "origin-secret-header-mismatch",
        short: "secret",
        primary: Some("origin-secret-header-mismatch"),
        twin: Some(Scenario::SecretHeaderMatch),
        distribution: |d| d.custom_headers = vec![("X-Origin-Verify".into(), "rotated".into())],
        origin: Some(require_original_secret),
    }
    SecretHeaderMatch {
        about: "The values match.",
        name: "origin-secret-header-mismatch-fixed",
        short: "secret-ok",
        distribution: |d| d.custom_headers = vec![("X-Origin-Verify".into(), "original".into())],
        origin: Some(require_original_secret),
    }
    AuthorizationStripped {
        about: "The origin needs Authorization; the behavior forwards nothing (CachingOptimized alone).",
        name: "authorization-stripped",
        short: "auth",
        primary: Some("authorization-stripped"),
        twin: Some(Scenario::AuthorizationForwarded),
        distribution: |d| authorization_distribution(d, None),
        origin: Some(|_| Behavior::RequireAuthorization),
    }
    AuthorizationForwarded {
        about: "AllViewer forwards Authorization.",
        name: "authorization-stripped-fixed",
        short: "auth-ok",
        distribution: |d| authorization_distribution(d, Some(ALL_VIEWER)),
        origin: Some(|_| Behavior::RequireAuthorization),
    }
    ParamsNotForwarded {
        about: "The origin needs the `session` cookie; the behavior forwards no cookies.",
        name: "params-not-forwarded",
        short: "params",
        primary: Some("params-not-forwarded"),
        twin: Some(Scenario::ParamsForwarded),
        distribution: |d| d.origin_request_policy_id = None,
        origin: Some(|_| Behavior::RequireCookie("session".into())),
    }
    ParamsForwarded {
        about: "AllViewerExceptHostHeader forwards cookies.",
        name: "params-not-forwarded-fixed",
        short: "params-ok",
        origin: Some(|_| Behavior::RequireCookie("session".into())),
    }
    CloudFrontShapeRejected {
        about: "The origin refuses `User-Agent: Amazon CloudFront`; the behavior forwards no headers.",
        name: "origin-rejects-cloudfront-shaped-requests",
        short: "ua",
        primary: Some("origin-rejects-cloudfront-shaped-requests"),
        twin: Some(Scenario::CloudFrontShapeAccepted),
        distribution: |d| d.origin_request_policy_id = None,
        origin: Some(|_| Behavior::RejectCloudFrontUserAgent),
    }
    CloudFrontShapeAccepted {
        about: "The origin serves everyone.",
        name: "origin-rejects-cloudfront-shaped-requests-fixed",
        short: "ua-ok",
        distribution: |d| d.origin_request_policy_id = None,
    }
    OriginHttp2Only {
        about: "The origin speaks only HTTP/2 (h2c): it answers HTTP/1.1 with a SETTINGS frame.",
        name: "origin-http-version",
        short: "h2-only",
        primary: Some("origin-http-version"),
        twin: Some(Scenario::Healthy),
        origin: Some(|_| Behavior::Verbatim(H2_SETTINGS_THEN_GOAWAY.to_vec())),
    }
    AlbIdleTimeout {
        about: "The load balancer answers 504 itself (`Server: awselb/2.0`) before the application does.",
        name: "alb-idle-timeout-or-origin-proxy-timeout",
        short: "alb-504",
        primary: Some("alb-idle-timeout-or-origin-proxy-timeout"),
        twin: Some(Scenario::Healthy),
        origin: Some(|_| Behavior::Verbatim(alb_504())),
    }
    TlsNameMismatchOriginDomain {
        about: "https-only origin whose certificate covers `app.example.com` but not the ALB's name.",
        name: "origin-cert-name-mismatch-origin-domain",
        former: Some("tls-name-mismatch"),
        short: "tls-name",
        primary: Some("origin-cert-name-mismatch-origin-domain"),
        twin: Some(Scenario::Healthy),
        origin_tls: OriginTls::Setup(|ca, _| TlsSetup::Standard(ca.leaf(&["app.example.com"]))),
    }
    TlsUntrusted {
        about: "The origin serves a self-signed certificate for the ALB's name.",
        name: "origin-cert-untrusted",
        former: Some("tls-untrusted"),
        short: "tls-untrusted",
        primary: Some("origin-cert-untrusted"),
        twin: Some(Scenario::Healthy),
        origin_tls: OriginTls::Setup(|_, n| TlsSetup::Standard(pki::self_signed(&[n.alb]))),
    }
    TlsExpired {
        about: "The origin's certificate expired in 2020.",
        name: "origin-cert-expired-or-not-yet-valid",
        former: Some("tls-expired"),
        short: "tls-expired",
        primary: Some("origin-cert-expired-or-not-yet-valid"),
        twin: Some(Scenario::Healthy),
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Standard(ca.leaf_with(&[n.alb], Validity::Expired))),
    }
    TlsIncompleteChain {
        about: "The origin's certificate is issued by an intermediate that it does not send.",
        name: "origin-chain-incomplete-or-misordered",
        former: Some("tls-incomplete-chain"),
        short: "tls-incomplete",
        primary: Some("origin-chain-incomplete-or-misordered"),
        twin: Some(Scenario::TlsFullChain),
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Standard(two_level(ca).leaf(&[n.alb]).without_intermediates())),
    }
    TlsMisorderedChain {
        about: "The origin serves its intermediates upside down (leaf, root-side intermediate, \
                issuing intermediate).",
        name: "origin-chain-incomplete-or-misordered-reversed",
        former: Some("tls-misordered-chain"),
        short: "tls-misordered",
        primary: Some("origin-chain-incomplete-or-misordered"),
        twin: Some(Scenario::TlsFullChain),
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Standard(two_level(ca).leaf(&[n.alb]).intermediates_reversed())),
    }
    TlsFullChain {
        about: "The same kind of certificate served with its two intermediates in issuing order.",
        name: "origin-chain-incomplete-or-misordered-fixed",
        former: Some("tls-full-chain"),
        short: "tls-fullchain",
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Standard(two_level(ca).leaf(&[n.alb]))),
    }
    TlsForwardedHostMismatch {
        about: "The behavior forwards Host (AllViewer) and the origin certificate covers only the \
                load balancer's name: CloudFront sends the alias (or its own name) as SNI and gets \
                a certificate without it.",
        name: "origin-cert-name-mismatch-forwarded-host",
        former: Some("tls-forwarded-host-mismatch"),
        short: "tls-fwd-host",
        primary: Some("origin-cert-name-mismatch-forwarded-host"),
        twin: Some(Scenario::TlsForwardedHostNotForwarded),
        distribution: |d| d.origin_request_policy_id = Some(ALL_VIEWER),
        alias: Alias::OnDistribution,
    }
    TlsForwardedHostNotForwarded {
        about: "The same certificate, Host not forwarded (AllViewerExceptHostHeader).",
        name: "origin-cert-name-mismatch-forwarded-host-fixed",
        former: Some("tls-forwarded-host-fixed"),
        short: "tls-fwd-host-ok",
        alias: Alias::OnDistribution,
    }
    TlsForwardedHostCovered {
        about: "Host forwarded, and the origin certificate also covers the alias and the \
                distribution's name (a lab-only certificate: no real one can carry the \
                distribution's name).",
        name: "origin-cert-name-mismatch-forwarded-host-covered",
        former: Some("tls-forwarded-host-covered"),
        short: "tls-fwd-host-cov",
        distribution: |d| d.origin_request_policy_id = Some(ALL_VIEWER),
        alias: Alias::OnDistribution,
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Standard(ca.leaf(&[n.alb, n.alias(), n.domain]))),
    }
    Tls13Only {
        about: "The origin accepts only TLS 1.3.",
        name: "origin-tls-protocol-mismatch",
        former: Some("tls13-only"),
        short: "tls13-only",
        primary: Some("origin-tls-protocol-mismatch"),
        twin: Some(Scenario::Healthy),
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Tls13Only(ca.leaf(&[n.alb]))),
    }
    Tls10Only {
        about: "The origin (`openssl s_server`) speaks only TLS 1.0; OriginSslProtocols is [TLSv1.2].",
        name: "origin-tls-protocol-mismatch-tls10-only",
        former: Some("tls10-only"),
        short: "tls10",
        primary: Some("origin-tls-protocol-mismatch"),
        twin: Some(Scenario::Tls10OnlyAllowed),
        origin_tls: OriginTls::Openssl(crate::openssl_origin::TLS10_ONLY),
    }
    Tls10OnlyAllowed {
        about: "The same origin, OriginSslProtocols [TLSv1, TLSv1.2]: CloudFront (the edge \
                stand-in, through `openssl s_client`) gets TLS 1.0 and the page; the probe's \
                rustls cannot, so the report warns.",
        name: "origin-tls-protocol-mismatch-tls10-only-allowed",
        former: Some("tls10-only-allowed"),
        short: "tls10-ok",
        distribution: |d| d.ssl_protocols = vec!["TLSv1", "TLSv1.2"],
        origin_tls: OriginTls::Openssl(crate::openssl_origin::TLS10_ONLY),
    }
    TlsCipherMismatch {
        about: "The origin speaks TLS 1.2 with CHACHA20-POLY1305 suites only, none of CloudFront's.",
        name: "origin-tls-cipher-curve-sigalg-mismatch",
        former: Some("tls-cipher-mismatch"),
        short: "tls-cipher",
        primary: Some("origin-tls-cipher-curve-sigalg-mismatch"),
        twin: Some(Scenario::TlsCipherMismatchFixed),
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Chacha20Only(ca.leaf(&[n.alb]))),
    }
    TlsCipherMismatchFixed {
        about: "TLS 1.2 with AES-GCM suites only.",
        name: "origin-tls-cipher-curve-sigalg-mismatch-fixed",
        former: Some("tls-cipher-mismatch-fixed"),
        short: "tls-cipher-ok",
        origin_tls: OriginTls::Setup(|ca, n| TlsSetup::Tls12GcmOnly(ca.leaf(&[n.alb]))),
    }
}

impl Scenario {
    /// The scenario's entry in [`SCENARIOS`].
    pub fn def(self) -> &'static Def {
        SCENARIOS.iter().find(|d| d.scenario == self).expect("the macro gives every scenario its entry")
    }

    /// The scenario with this name (or former name).
    pub fn parse(name: &str) -> Option<Scenario> {
        SCENARIOS.iter().find(|d| d.name == name || d.former == Some(name)).map(|d| d.scenario)
    }

    /// Every scenario's name, in table order.
    pub fn names() -> Vec<&'static str> {
        SCENARIOS.iter().map(|d| d.name).collect()
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }
}

/// The redirect loop's distribution: plain HTTP to the origin, viewers on either protocol, Host
/// forwarded through the legacy ForwardedValues.
fn redirect_loop_distribution(d: &mut DistributionSpec) {
    d.protocol_policy = "http-only";
    d.viewer_protocol_policy = "allow-all";
    d.cache_policy_id = None;
    d.origin_request_policy_id = None;
    d.legacy_headers = vec!["Host"];
}

/// Plain HTTP to the origin, so that the comparison is about Host only.
fn host_routing_distribution(d: &mut DistributionSpec, origin_request_policy: &'static str) {
    d.protocol_policy = "http-only";
    d.viewer_protocol_policy = "allow-all";
    d.cache_policy_id = Some(CACHING_DISABLED);
    d.origin_request_policy_id = Some(origin_request_policy);
}

fn redirect_escape_distribution(d: &mut DistributionSpec, origin_request_policy: &'static str) {
    d.protocol_policy = "http-only";
    d.viewer_protocol_policy = "allow-all";
    d.origin_request_policy_id = Some(origin_request_policy);
}

/// AllViewer forwards Host too (and over HTTPS, as SNI): plain HTTP keeps the scenario about
/// Authorization alone.
fn authorization_distribution(d: &mut DistributionSpec, origin_request_policy: Option<&'static str>) {
    d.protocol_policy = "http-only";
    d.viewer_protocol_policy = "allow-all";
    d.origin_request_policy_id = origin_request_policy;
}

/// Name-based routing: the site under the alias and the distribution's name only.
fn require_alias_or_domain(n: &Names) -> Behavior {
    Behavior::RequireHost(vec![n.alias().to_string(), n.domain.to_string()])
}

fn require_original_secret(_: &Names) -> Behavior {
    Behavior::RequireHeader { name: "X-Origin-Verify".into(), value: "original".into() }
}

/// Two intermediates under the root, so that the order they are served in matters.
fn two_level(ca: &TestCa) -> pki::Intermediate {
    ca.intermediate("Lab Root-side Intermediate CA").intermediate("Lab Issuing CA")
}

/// An HTTP/2-only server's first frame (SETTINGS, no parameters), then GOAWAY.
const H2_SETTINGS_THEN_GOAWAY: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// The load balancer's own 504 page, as an ALB sends it when its target does not answer within
/// the idle timeout.
fn alb_504() -> Vec<u8> {
    let body = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n";
    format!(
        "HTTP/1.1 504 Gateway Time-out\r\nServer: awselb/2.0\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The scenario table of `docs/lab.md`, generated from [`SCENARIOS`] (a test keeps the two
/// equal; `cargo run --example lab -- table` prints it).
pub fn markdown_table() -> String {
    let mut out = String::from("| Scenario | Passing twin | `verdict.primary` | What it stages |\n|---|---|---|---|\n");
    for d in SCENARIOS {
        let twin = d.twin.map_or("—".to_string(), |t| format!("`{}`", t.name()));
        let primary = d.primary.map_or("—".to_string(), |p| format!("`{p}`"));
        let flags = match d.flags {
            [] => String::new(),
            flags => format!(" Diagnose with `{}`.", flags.join(" ")),
        };
        out.push_str(&format!("| `{}` | {twin} | {primary} | {}{flags} |\n", d.name, d.about.replace('|', "\\|")));
    }
    out
}
