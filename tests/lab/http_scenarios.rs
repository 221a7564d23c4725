//! The request-shaping and viewer-side scenarios (http engineer): how each one changes the
//! distribution, the origin stand-ins and the names viewers use. `Lab::start` calls these hooks.

use super::Scenario;
use super::origin::Behavior;
use super::seed::{DistributionSpec, ListenerSpec};
use std::time::Duration;

/// The alias the scenarios that need one give the distribution.
pub fn alias(scenario: Scenario) -> Option<String> {
    match scenario {
        Scenario::HostHeaderRouting
        | Scenario::HostHeaderForwarded
        | Scenario::AliasNotOnDistribution
        | Scenario::AliasOnDistribution
        | Scenario::ViewerCertMissingAlias
        | Scenario::TlsForwardedHostMismatch
        | Scenario::TlsForwardedHostNotForwarded
        | Scenario::TlsForwardedHostCovered => Some(format!("www.{}.lab.test", short(scenario))),
        _ => None,
    }
}

/// A short name for the scenario (ALB names are at most 32 characters).
pub fn short(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::Healthy => "healthy",
        Scenario::RedirectLoop => "loop",
        Scenario::RedirectLoopFixed => "loop-fixed",
        Scenario::MethodNotAllowed => "method",
        Scenario::MethodAllowed => "method-ok",
        Scenario::HostHeaderRouting => "host",
        Scenario::HostHeaderForwarded => "host-ok",
        Scenario::OriginReadTimeout => "slow",
        Scenario::OriginFast => "slow-ok",
        Scenario::AliasNotOnDistribution => "alias",
        Scenario::AliasOnDistribution => "alias-ok",
        Scenario::ViewerCertMissingAlias => "viewer-cert",
        Scenario::Disabled => "disabled",
        Scenario::OriginDnsFailure => "dns",
        Scenario::RedirectEscape => "escape",
        Scenario::RedirectStaysOnAlias => "escape-ok",
        Scenario::SecretHeaderMismatch => "secret",
        Scenario::SecretHeaderMatch => "secret-ok",
        Scenario::AuthorizationStripped => "auth",
        Scenario::AuthorizationForwarded => "auth-ok",
        Scenario::ParamsNotForwarded => "params",
        Scenario::ParamsForwarded => "params-ok",
        Scenario::CloudFrontShapeRejected => "ua",
        Scenario::CloudFrontShapeAccepted => "ua-ok",
        Scenario::SgBlocksCloudFront => "sg",
        Scenario::SgBlocksCloudFrontFixed => "sg-fixed",
        Scenario::SgAdmitsOnlyGroup => "sg-group",
        Scenario::NlbIpTargets => "nlb-ip",
        Scenario::NlbIpTargetsFixed => "nlb-ip-fixed",
        Scenario::NaclBlocks => "nacl",
        Scenario::NaclBlocksFixed => "nacl-fixed",
        Scenario::InternalAlb => "internal",
        Scenario::NothingListening => "no-listener",
        Scenario::ProtocolPortMismatch => "port-mismatch",
        Scenario::NlbSecurityModel => "nlb",
        Scenario::NlbSecurityModelFixed => "nlb-fixed",
        Scenario::TlsNameMismatchOriginDomain => "tls-name",
        Scenario::TlsUntrusted => "tls-untrusted",
        Scenario::TlsExpired => "tls-expired",
        Scenario::TlsIncompleteChain => "tls-incomplete",
        Scenario::TlsFullChain => "tls-fullchain",
        Scenario::TlsCipherMismatch => "tls-cipher",
        Scenario::TlsCipherMismatchFixed => "tls-cipher-ok",
        Scenario::Tls10Only => "tls10",
        Scenario::Tls10OnlyAllowed => "tls10-ok",
        Scenario::Tls13Only => "tls13-only",
        Scenario::TlsMisorderedChain => "tls-misordered",
        Scenario::TlsForwardedHostMismatch => "tls-fwd-host",
        Scenario::TlsForwardedHostNotForwarded => "tls-fwd-host-ok",
        Scenario::TlsForwardedHostCovered => "tls-fwd-host-cov",
        Scenario::SgBlocksAndCertExpiring => "sg-cert-expiring",
        Scenario::OriginHttp2Only => "h2-only",
        Scenario::AlbIdleTimeout => "alb-504",
    }
}

/// Changes to the distribution before it is created.
pub fn tweak_spec(scenario: Scenario, spec: &mut DistributionSpec) {
    if let Some(a) = alias(scenario) {
        spec.aliases = vec![a];
    }
    match scenario {
        Scenario::MethodAllowed => {
            spec.allowed_methods = vec!["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];
        }
        Scenario::HostHeaderRouting | Scenario::HostHeaderForwarded => {
            // Plain HTTP to the origin, so that the comparison is about Host only.
            spec.protocol_policy = "http-only";
            spec.viewer_protocol_policy = "allow-all";
            spec.cache_policy_id = Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
            spec.origin_request_policy_id = Some(if scenario == Scenario::HostHeaderForwarded {
                "216adef6-5c7f-47e4-b989-5492eafa07d3" // AllViewer: Host forwarded
            } else {
                "b689b0a8-53d0-40ab-baf2-68738e2966ac" // AllViewerExceptHostHeader
            });
        }
        Scenario::OriginReadTimeout | Scenario::OriginFast => spec.read_timeout_s = 2,
        Scenario::Disabled => spec.enabled = false,
        Scenario::RedirectEscape | Scenario::RedirectStaysOnAlias => {
            spec.protocol_policy = "http-only";
            spec.viewer_protocol_policy = "allow-all";
            spec.origin_request_policy_id = Some(if scenario == Scenario::RedirectStaysOnAlias {
                "216adef6-5c7f-47e4-b989-5492eafa07d3"
            } else {
                "b689b0a8-53d0-40ab-baf2-68738e2966ac"
            });
        }
        Scenario::SecretHeaderMismatch => spec.custom_headers = vec![("X-Origin-Verify".into(), "rotated".into())],
        Scenario::SecretHeaderMatch => spec.custom_headers = vec![("X-Origin-Verify".into(), "original".into())],
        Scenario::ParamsNotForwarded | Scenario::CloudFrontShapeRejected | Scenario::CloudFrontShapeAccepted => {
            spec.origin_request_policy_id = None
        }
        Scenario::AuthorizationStripped | Scenario::AuthorizationForwarded => {
            // AllViewer forwards Host too (and over HTTPS, as SNI): plain HTTP keeps the
            // scenario about Authorization alone.
            spec.protocol_policy = "http-only";
            spec.viewer_protocol_policy = "allow-all";
            spec.origin_request_policy_id =
                (scenario == Scenario::AuthorizationForwarded).then_some("216adef6-5c7f-47e4-b989-5492eafa07d3");
        }
        _ => {}
    }
}

/// The origin stand-in for a listener, when the scenario replaces the listener's own action.
pub fn origin_behavior(scenario: Scenario, _l: &ListenerSpec, domain: &str) -> Option<Behavior> {
    match scenario {
        Scenario::HostHeaderRouting | Scenario::HostHeaderForwarded => {
            Some(Behavior::RequireHost(vec![alias(scenario).unwrap_or_default(), domain.to_string()]))
        }
        Scenario::OriginReadTimeout => Some(Behavior::SlowFirstByte(Duration::from_millis(2600))),
        Scenario::RedirectEscape | Scenario::RedirectStaysOnAlias => Some(Behavior::RedirectFromHost),
        Scenario::SecretHeaderMismatch | Scenario::SecretHeaderMatch => {
            Some(Behavior::RequireHeader { name: "X-Origin-Verify".into(), value: "original".into() })
        }
        Scenario::AuthorizationStripped | Scenario::AuthorizationForwarded => Some(Behavior::RequireAuthorization),
        Scenario::ParamsNotForwarded | Scenario::ParamsForwarded => Some(Behavior::RequireCookie("session".into())),
        Scenario::CloudFrontShapeRejected => Some(Behavior::RejectCloudFrontUserAgent),
        // An HTTP/2-only server's first frame (SETTINGS, no parameters), then GOAWAY.
        Scenario::OriginHttp2Only => {
            Some(Behavior::Verbatim(vec![0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))
        }
        Scenario::AlbIdleTimeout => {
            let body = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n";
            Some(Behavior::Verbatim(
                format!(
                    "HTTP/1.1 504 Gateway Time-out\r\nServer: awselb/2.0\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes(),
            ))
        }
        _ => None,
    }
}

/// Whether the origin's name is left out of the overrides (the lab DNS then answers NXDOMAIN).
pub fn origin_unresolvable(scenario: Scenario) -> bool {
    scenario == Scenario::OriginDnsFailure
}

/// Whether the alias leads to another distribution's edge (one that does not hold the alias).
pub fn alias_elsewhere(scenario: Scenario) -> bool {
    scenario == Scenario::AliasNotOnDistribution
}
