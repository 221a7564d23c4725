//! The named situations the lab can stage, each declared once in [`SCENARIOS`]: its name (the
//! id of the finding it stages), its passing twin, the world to stage (what stands behind the
//! origin and on which ports, a second origin, load balancer listeners, network, distribution,
//! alias, origin behaviour and TLS) and what the CloudFront edge stand-in can reach. [`crate::Lab::start`] reads the entry; nothing else matches on a scenario.

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
    /// What stands behind the origin's domain name: the load balancer (whose listeners the next
    /// two fields say), an EC2 instance, or a host outside AWS, each with its own listeners.
    pub kind: OriginKind,
    /// A second origin, the target of a path behavior, where the scenario has one.
    pub second_origin: Option<SecondOrigin>,
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

/// What stands behind an origin's domain name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginKind {
    /// The seeded Application Load Balancer, its name the origin's domain; its listeners are
    /// [`Def::http_listener`] (port 80) and [`Def::https_listener`] (port 443).
    Alb,
    /// An EC2 instance with a public address, seeded in the emulator: the origin's domain is the
    /// public DNS name the emulator gives it (`ec2-….compute-1.amazonaws.com`) and its security
    /// group admits every listed port from anywhere.
    Ec2(&'static [Listener]),
    /// A host no AWS resource stands behind (`<label>.<short>.origin.lab.test`).
    OutsideAws(&'static [Listener]),
}

/// One port of an EC2 or outside-AWS origin and what answers there. Ports an origin does not
/// list are refused, to the prober and the edge alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    pub port: u16,
    pub serves: Serves,
}

/// What answers on an origin's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serves {
    /// Plain HTTP: the scenario's origin behaviour (the application by default).
    Http,
    /// TLS ([`Def::origin_tls`]; by default a lab-CA certificate for the origin's name), then
    /// the scenario's origin behaviour.
    Https,
    /// As `Https`, and a plain-HTTP request gets nginx's 400 "The plain HTTP request was sent to
    /// HTTPS port" instead of a failed handshake.
    HttpsNginx,
    /// Nothing listens: connections are refused.
    Refused,
}

/// Shorthand for a listener in the table.
const fn on(port: u16, serves: Serves) -> Listener {
    Listener { port, serves }
}

/// The second origin of a scenario with two behaviors: the default behavior goes to the
/// scenario's origin, `path_pattern` to this one, with the default behavior's methods and
/// policies. It serves the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondOrigin {
    /// The path pattern of the cache behavior that targets it (`/api/*`).
    pub path_pattern: &'static str,
    /// Its first label outside AWS (`<label>.<short>.origin.lab.test`) and its origin id.
    pub label: &'static str,
    /// What stands behind it ([`OriginKind::Alb`]: the scenario's load balancer).
    pub kind: OriginKind,
    pub protocol_policy: &'static str,
    pub http_port: u16,
    pub https_port: u16,
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

/// The origin's TLS listener on the load balancer's HTTPS port (and on every TLS port of an EC2
/// or outside-AWS origin).
#[derive(Clone, Copy)]
pub enum OriginTls {
    /// rustls defaults with a lab-CA certificate for the origin's name.
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
    /// The origin's domain name, lower case (the load balancer's for ALB origins).
    pub origin: &'a str,
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
    kind: OriginKind::Alb,
    second_origin: None,
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
    IntermittentOriginFailure {
        about: "The app closes every eighth connection without an answer: CloudFront logs an \
                occasional 502 (OriginCommError) while most requests, and most probes, work.",
        name: "intermittent-origin-failure",
        short: "intermittent",
        origin: Some(|_| Behavior::FailEvery { every: 8, count: Default::default(), then: Box::new(Behavior::App) }),
    }
    FailingPathHealthyProbe {
        about: "The app fails only /api/orders (the connection closes without an answer): a probe \
                of / through CloudFront is healthy while CloudFront's logs show the 502s viewers get.",
        name: "failing-path-healthy-probe",
        short: "failpath",
        origin: Some(|_| Behavior::OnPath { path: "/api/orders".into(), then: Box::new(Behavior::Verbatim(Vec::new())) }),
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
    RedirectLoopCertReady {
        about: "The redirect loop of redirect-loop-origin-forces-https, on an origin whose certificate \
                already covers the names CloudFront would send over HTTPS (the ALB's and, Host being \
                forwarded, the distribution's; a lab-only certificate): https-only alone fixes it.",
        name: "redirect-loop-origin-forces-https-cert-ready",
        short: "loop-cert-ready",
        primary: Some("redirect-loop-origin-forces-https"),
        twin: Some(Scenario::RedirectLoopFixed),
        http_listener: HttpListener::RedirectToHttps,
        distribution: redirect_loop_distribution,
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
        distribution: |d| d.allowed_methods = ALL_METHODS.to_vec(),
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
        about: "AllViewer forwards Authorization (caching disabled).",
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
    NothingListeningEc2 {
        about: "An EC2 origin, http-only with HTTPPort 8080, where nothing listens (its security \
                group admits 8080; the app is on 80): CloudFront's connections are refused.",
        name: "nothing-listening-on-origin-port-ec2",
        short: "no-listener-ec2",
        primary: Some("nothing-listening-on-origin-port"),
        twin: Some(Scenario::NothingListeningEc2Fixed),
        kind: OriginKind::Ec2(APP_ON_80_NOTHING_ON_8080),
        distribution: |d| http_only(d, 8080),
    }
    NothingListeningEc2Fixed {
        about: "HTTPPort 80, where the app listens.",
        name: "nothing-listening-on-origin-port-ec2-fixed",
        short: "no-listener-ec2-ok",
        kind: OriginKind::Ec2(APP_ON_80_NOTHING_ON_8080),
        distribution: |d| http_only(d, 80),
    }
    ProtocolMismatchTlsToPlainPort {
        about: "An origin outside AWS, https-only with HTTPSPort 8080, where a plain-HTTP app \
                listens: CloudFront's TLS handshake fails.",
        name: "protocol-port-mismatch-tls-to-plain-port",
        short: "port-tls-to-plain",
        primary: Some("protocol-port-mismatch"),
        twin: Some(Scenario::ProtocolMismatchTlsToPlainPortFixed),
        kind: OriginKind::OutsideAws(PLAIN_ON_8080),
        distribution: |d| d.https_port = 8080,
    }
    ProtocolMismatchTlsToPlainPortFixed {
        about: "http-only with HTTPPort 8080.",
        name: "protocol-port-mismatch-tls-to-plain-port-fixed",
        short: "port-tls-to-plain-ok",
        kind: OriginKind::OutsideAws(PLAIN_ON_8080),
        distribution: |d| http_only(d, 8080),
    }
    ProtocolMismatchPlainToTlsPort {
        about: "An origin outside AWS, http-only with HTTPPort 8443, where nginx serves TLS: it \
                answers CloudFront's plain request with 400 \"The plain HTTP request was sent to \
                HTTPS port\".",
        name: "protocol-port-mismatch-plain-to-tls-port",
        short: "port-plain-to-tls",
        primary: Some("protocol-port-mismatch"),
        twin: Some(Scenario::ProtocolMismatchPlainToTlsPortFixed),
        kind: OriginKind::OutsideAws(NGINX_TLS_ON_8443),
        distribution: |d| http_only(d, 8443),
    }
    ProtocolMismatchPlainToTlsPortFixed {
        about: "https-only with HTTPSPort 8443, the certificate covering the origin's name.",
        name: "protocol-port-mismatch-plain-to-tls-port-fixed",
        short: "port-plain-to-tls-ok",
        kind: OriginKind::OutsideAws(NGINX_TLS_ON_8443),
        distribution: |d| d.https_port = 8443,
    }
    HostRoutingForwardedHost {
        about: "An EC2 origin whose app serves only its own name (the origin's domain) and 404s \
                every other Host; the behavior forwards Host (AllViewer), so CloudFront's requests \
                carry the distribution's name.",
        name: "host-header-routing-mismatch-forwarded-host",
        short: "host-fwd-ec2",
        primary: Some("host-header-routing-mismatch"),
        twin: Some(Scenario::HostRoutingForwardedHostFixed),
        kind: OriginKind::Ec2(PLAIN_ON_80),
        distribution: |d| host_routing_distribution(d, ALL_VIEWER),
        origin: Some(require_origin_name),
    }
    HostRoutingForwardedHostFixed {
        about: "Host not forwarded (AllViewerExceptHostHeader): CloudFront sends the origin's name.",
        name: "host-header-routing-mismatch-forwarded-host-fixed",
        short: "host-fwd-ec2-ok",
        kind: OriginKind::Ec2(PLAIN_ON_80),
        distribution: |d| host_routing_distribution(d, ALL_VIEWER_EXCEPT_HOST),
        origin: Some(require_origin_name),
    }
    QueryStringDropped {
        about: "An origin outside AWS whose `/search` answers 400 without its `q` query string; \
                the behavior forwards none (CachingOptimized, no origin request policy).",
        name: "params-not-forwarded-query-string",
        short: "params-qs",
        primary: Some("params-not-forwarded"),
        twin: Some(Scenario::QueryStringForwarded),
        flags: &["--path", "/search?q=x"],
        kind: OriginKind::OutsideAws(TLS_ON_443),
        distribution: |d| d.origin_request_policy_id = None,
        origin: Some(search_needs_q),
    }
    QueryStringForwarded {
        about: "AllViewerExceptHostHeader forwards every query string.",
        name: "params-not-forwarded-query-string-fixed",
        short: "params-qs-ok",
        flags: &["--path", "/search?q=x"],
        kind: OriginKind::OutsideAws(TLS_ON_443),
        origin: Some(search_needs_q),
    }
    MethodNotAllowedByAllow {
        about: "The app answers GET on `/api/orders` with 405 and `Allow: POST, OPTIONS`; the \
                behavior allows GET and HEAD only, so CloudFront refuses the methods the app takes.",
        name: "method-not-allowed-allow-header",
        short: "method-allow",
        primary: Some("method-not-allowed"),
        twin: Some(Scenario::MethodAllowedByAllow),
        flags: &["--path", "/api/orders"],
        origin: Some(orders_take_post),
    }
    MethodAllowedByAllow {
        about: "All seven methods allowed.",
        name: "method-not-allowed-allow-header-fixed",
        short: "method-allow-ok",
        flags: &["--path", "/api/orders"],
        distribution: |d| d.allowed_methods = ALL_METHODS.to_vec(),
        origin: Some(orders_take_post),
    }
    AuthorizationStrippedBearer {
        about: "An origin outside AWS whose `/account` answers 401 `WWW-Authenticate: Bearer` \
                without an Authorization header; the behavior forwards none (CachingOptimized \
                alone), so signed-in viewers get the 401 too.",
        name: "authorization-stripped-bearer",
        short: "auth-bearer",
        primary: Some("authorization-stripped"),
        twin: Some(Scenario::AuthorizationForwardedBearer),
        flags: &["--path", "/account"],
        kind: OriginKind::OutsideAws(PLAIN_ON_80),
        distribution: |d| authorization_distribution(d, None),
        origin: Some(account_needs_authorization),
    }
    AuthorizationForwardedBearer {
        about: "AllViewerExceptHostHeader forwards Authorization (caching disabled).",
        name: "authorization-stripped-bearer-fixed",
        short: "auth-bearer-ok",
        flags: &["--path", "/account"],
        kind: OriginKind::OutsideAws(PLAIN_ON_80),
        distribution: |d| authorization_distribution(d, Some(ALL_VIEWER_EXCEPT_HOST)),
        origin: Some(account_needs_authorization),
    }
    NothingListeningApiBehavior {
        about: "Two behaviors: the default goes to the load balancer, which works; `/api/*` goes \
                to a second origin outside AWS, http-only with HTTPPort 8080, where nothing \
                listens (the API is on 80).",
        name: "nothing-listening-on-origin-port-api-behavior",
        short: "no-listener-api",
        primary: Some("nothing-listening-on-origin-port"),
        twin: Some(Scenario::NothingListeningApiBehaviorFixed),
        flags: &["--path", "/api/status"],
        second_origin: Some(api_origin(8080)),
    }
    NothingListeningApiBehaviorFixed {
        about: "The second origin's HTTPPort is 80, where the API listens.",
        name: "nothing-listening-on-origin-port-api-behavior-fixed",
        short: "no-listener-api-ok",
        flags: &["--path", "/api/status"],
        second_origin: Some(api_origin(80)),
    }
    ProtocolMismatchAndQueryDropped {
        about: "Two problems at once on an origin outside AWS: http-only to its nginx TLS port \
                8443 (400 to whatever CloudFront sends), and `/search` needs its `q` query string, \
                which the behavior does not forward (seen once the port is fixed).",
        name: "protocol-port-mismatch-and-params-not-forwarded",
        short: "port-and-params",
        primary: Some("protocol-port-mismatch"),
        twin: Some(Scenario::ProtocolMismatchAndQueryDroppedFixed),
        flags: &["--path", "/search?q=x"],
        kind: OriginKind::OutsideAws(NGINX_TLS_ON_8443),
        distribution: |d| {
            http_only(d, 8443);
            d.origin_request_policy_id = None;
        },
        origin: Some(search_needs_q),
    }
    ProtocolMismatchAndQueryDroppedFixed {
        about: "Both fixed: https-only to 8443, and AllViewerExceptHostHeader forwards the query \
                strings.",
        name: "protocol-port-mismatch-and-params-not-forwarded-fixed",
        short: "port-and-params-ok",
        flags: &["--path", "/search?q=x"],
        kind: OriginKind::OutsideAws(NGINX_TLS_ON_8443),
        distribution: |d| d.https_port = 8443,
        origin: Some(search_needs_q),
    }
    IntermittentOriginFailures {
        about: "An origin outside AWS, http-only on HTTPPort 8080, that closes the connection \
                without an answer on every fourth request: about one viewer request in four gets \
                CloudFront's 502, and one probe may see none. No check explains it; the repeated \
                requests show the rate.",
        name: "intermittent-origin-failures",
        short: "flaky",
        flags: &["--samples", "20"],
        kind: OriginKind::OutsideAws(PLAIN_ON_8080),
        distribution: |d| http_only(d, 8080),
        origin: Some(|_| Behavior::FailEvery { every: 4, count: Default::default(), then: Box::new(Behavior::App) }),
    }
    KeepaliveRace {
        about: "An origin outside AWS on TLS:443 that closes idle keep-alive connections after 2 s \
                (without a Keep-Alive header) while OriginKeepaliveTimeout is 5 s. The edge \
                stand-in opens a connection per request, so no 502 shows: the measured race is a \
                warning.",
        name: "keepalive-race",
        short: "keepalive",
        flags: &["--samples", "3"],
        kind: OriginKind::OutsideAws(TLS_ON_443),
        origin: Some(|_| Behavior::KeepAlive { idle: Duration::from_secs(2), then: Box::new(Behavior::App) }),
    }
    KeepaliveRaceFixed {
        about: "The same origin keeps idle connections open for 65 s.",
        name: "keepalive-race-fixed",
        short: "keepalive-ok",
        flags: &["--samples", "3"],
        kind: OriginKind::OutsideAws(TLS_ON_443),
        origin: Some(|_| Behavior::KeepAlive { idle: Duration::from_secs(65), then: Box::new(Behavior::App) }),
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
/// Every viewer header includes Authorization only while caching is disabled, so the fixed
/// twins disable caching.
fn authorization_distribution(d: &mut DistributionSpec, origin_request_policy: Option<&'static str>) {
    d.protocol_policy = "http-only";
    d.viewer_protocol_policy = "allow-all";
    d.origin_request_policy_id = origin_request_policy;
    if origin_request_policy.is_some() {
        d.cache_policy_id = Some(CACHING_DISABLED);
    }
}

/// Plain HTTP to the origin on `port`.
fn http_only(d: &mut DistributionSpec, port: u16) {
    d.protocol_policy = "http-only";
    d.http_port = port;
}

/// Every method a behavior can allow.
const ALL_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];

/// The application on plain HTTP:80.
const PLAIN_ON_80: &[Listener] = &[on(80, Serves::Http)];
/// The application on plain HTTP:8080 (nothing on 80 or 443).
const PLAIN_ON_8080: &[Listener] = &[on(8080, Serves::Http)];
/// The application on TLS:443.
const TLS_ON_443: &[Listener] = &[on(443, Serves::Https)];
/// nginx with `listen 8443 ssl` in front of the application.
const NGINX_TLS_ON_8443: &[Listener] = &[on(8443, Serves::HttpsNginx)];
/// An origin whose application is on 80 and where nothing listens on 8080.
const APP_ON_80_NOTHING_ON_8080: &[Listener] = &[on(80, Serves::Http), on(8080, Serves::Refused)];

/// The API origin of the two-behavior scenarios: outside AWS, the API on 80, nothing on 8080.
const fn api_origin(http_port: u16) -> SecondOrigin {
    SecondOrigin {
        path_pattern: "/api/*",
        label: "api",
        kind: OriginKind::OutsideAws(APP_ON_80_NOTHING_ON_8080),
        protocol_policy: "http-only",
        http_port,
        https_port: 443,
    }
}

/// Name-based routing on the origin's own name (a virtual host for `server_name <origin>`).
fn require_origin_name(n: &Names) -> Behavior {
    Behavior::VirtualHosts(vec![n.origin.to_string()])
}

/// A search endpoint that cannot answer without its query.
fn search_needs_q(_: &Names) -> Behavior {
    Behavior::OnPath { path: "/search".into(), then: Box::new(Behavior::RequireQuery("q".into())) }
}

/// An order API that takes POST (and OPTIONS) only, and says so in `Allow`.
fn orders_take_post(_: &Names) -> Behavior {
    Behavior::OnPath {
        path: "/api/orders".into(),
        then: Box::new(Behavior::AllowOnly(vec!["POST".into(), "OPTIONS".into()])),
    }
}

/// An account page behind bearer-token authentication.
fn account_needs_authorization(_: &Names) -> Behavior {
    Behavior::OnPath { path: "/account".into(), then: Box::new(Behavior::RequireAuthorization) }
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
