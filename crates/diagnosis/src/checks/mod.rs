//! Stage 4: the failure catalog as independent, pure checks over the [`Evidence`].
//!
//! A check never touches the network, the SDK or the clock: it reads evidence and returns
//! findings and "could not verify" notes. Finding a problem is data, not an error. Each check
//! lives in its own file named after its stable kebab-case id (snake_case for the module).
//!
//! Adding a check: write `checks/<id>.rs` with a `//!` paragraph, a `pub static META` and a
//! `pub fn run(&Evidence) -> CheckOutput`; list it in [`ALL`]; add positive and negative tests;
//! regenerate `docs/findings.md`.

mod acm_support;
pub mod aggressive_connection_settings;
pub mod alb_idle_timeout_or_origin_proxy_timeout;
pub mod alias_not_on_distribution;
pub mod authorization_stripped;
pub mod behavior_routes_to_wrong_origin;
pub mod cached_errors_or_redirects;
pub mod config_not_deployed_or_disabled;
pub mod docs;
mod finding;
pub mod host_header_routing_mismatch;
pub mod ipv6_origin_not_allowed;
pub mod keepalive_race;
pub mod method_not_allowed;
pub mod misdirected_request_certificate;
pub mod nacl_blocks;
pub mod net_common;
pub mod nlb_security_model;
pub mod nothing_listening_on_origin_port;
mod origin_answers;
pub mod origin_cert_expired_or_not_yet_valid;
pub mod origin_cert_name_mismatch_forwarded_host;
pub mod origin_cert_name_mismatch_origin_domain;
pub mod origin_cert_untrusted;
pub mod origin_chain_incomplete_or_misordered;
pub mod origin_dns_failure;
pub mod origin_group_write_methods;
pub mod origin_http_version;
pub mod origin_is_ip_address;
pub mod origin_not_internet_reachable;
pub mod origin_path_wrong;
pub mod origin_read_timeout;
pub mod origin_rejects_cloudfront_shaped_requests;
pub mod origin_requires_client_cert;
pub mod origin_response_unacceptable;
pub mod origin_secret_header_mismatch;
pub mod origin_tls_cipher_curve_sigalg_mismatch;
pub mod origin_tls_protocol_mismatch;
pub mod params_not_forwarded;
pub mod probe_view;
pub mod protocol_port_mismatch;
pub mod redirect_escape_to_origin_hostname;
pub mod redirect_loop_origin_forces_https;
pub mod response_completion_timeout_too_short;
pub mod sg_blocks_cloudfront;
pub mod sg_rule_quota_prevented_prefix_list;
pub mod sni_dependent_origin_default_cert;
pub mod stacked_distributions;
pub mod stale_or_partial_cloudfront_ip_allowlist;
pub mod stale_origin_hostname;
mod tls_support;
pub mod viewer_certificate_problems;
pub mod viewer_protocol_policy_rejects;
// Tier 2, edge side.
pub mod cloudfront_functions_errors;
pub mod edge_access_controls_block;
mod edge_code;
pub mod get_with_body;
pub mod host_firewall_or_origin_waf_blocks_cloudfront;
pub mod lambda_edge_errors;
pub mod request_too_large;
mod vpc_common;
pub mod vpc_origin_protocol_or_unsupported;
pub mod vpc_origin_sg;

pub use finding::*;

use crate::evidence::Evidence;

/// A check: its metadata and its function.
pub struct CheckDef {
    pub meta: &'static CheckMeta,
    pub run: fn(&Evidence) -> CheckOutput,
}

/// Every check, in catalog order.
pub static ALL: &[CheckDef] = &[
    CheckDef { meta: &redirect_loop_origin_forces_https::META, run: redirect_loop_origin_forces_https::run },
    CheckDef { meta: &origin_is_ip_address::META, run: origin_is_ip_address::run },
    CheckDef { meta: &keepalive_race::META, run: keepalive_race::run },
    CheckDef { meta: &aggressive_connection_settings::META, run: aggressive_connection_settings::run },
    CheckDef { meta: &stacked_distributions::META, run: stacked_distributions::run },
    CheckDef { meta: &cached_errors_or_redirects::META, run: cached_errors_or_redirects::run },
    CheckDef { meta: &sg_blocks_cloudfront::META, run: sg_blocks_cloudfront::run },
    CheckDef { meta: &nacl_blocks::META, run: nacl_blocks::run },
    CheckDef { meta: &origin_not_internet_reachable::META, run: origin_not_internet_reachable::run },
    CheckDef { meta: &nlb_security_model::META, run: nlb_security_model::run },
    CheckDef { meta: &nothing_listening_on_origin_port::META, run: nothing_listening_on_origin_port::run },
    CheckDef { meta: &protocol_port_mismatch::META, run: protocol_port_mismatch::run },
    CheckDef { meta: &sg_rule_quota_prevented_prefix_list::META, run: sg_rule_quota_prevented_prefix_list::run },
    CheckDef { meta: &ipv6_origin_not_allowed::META, run: ipv6_origin_not_allowed::run },
    CheckDef {
        meta: &stale_or_partial_cloudfront_ip_allowlist::META,
        run: stale_or_partial_cloudfront_ip_allowlist::run,
    },
    CheckDef { meta: &method_not_allowed::META, run: method_not_allowed::run },
    CheckDef { meta: &host_header_routing_mismatch::META, run: host_header_routing_mismatch::run },
    CheckDef { meta: &origin_read_timeout::META, run: origin_read_timeout::run },
    CheckDef { meta: &alias_not_on_distribution::META, run: alias_not_on_distribution::run },
    CheckDef { meta: &config_not_deployed_or_disabled::META, run: config_not_deployed_or_disabled::run },
    CheckDef { meta: &origin_dns_failure::META, run: origin_dns_failure::run },
    CheckDef { meta: &redirect_escape_to_origin_hostname::META, run: redirect_escape_to_origin_hostname::run },
    CheckDef { meta: &origin_secret_header_mismatch::META, run: origin_secret_header_mismatch::run },
    CheckDef { meta: &params_not_forwarded::META, run: params_not_forwarded::run },
    CheckDef { meta: &authorization_stripped::META, run: authorization_stripped::run },
    CheckDef { meta: &viewer_protocol_policy_rejects::META, run: viewer_protocol_policy_rejects::run },
    CheckDef { meta: &origin_path_wrong::META, run: origin_path_wrong::run },
    CheckDef {
        meta: &origin_rejects_cloudfront_shaped_requests::META,
        run: origin_rejects_cloudfront_shaped_requests::run,
    },
    CheckDef { meta: &origin_group_write_methods::META, run: origin_group_write_methods::run },
    CheckDef { meta: &behavior_routes_to_wrong_origin::META, run: behavior_routes_to_wrong_origin::run },
    CheckDef {
        meta: &origin_cert_name_mismatch_origin_domain::META,
        run: origin_cert_name_mismatch_origin_domain::run,
    },
    CheckDef {
        meta: &origin_cert_name_mismatch_forwarded_host::META,
        run: origin_cert_name_mismatch_forwarded_host::run,
    },
    CheckDef { meta: &origin_cert_untrusted::META, run: origin_cert_untrusted::run },
    CheckDef { meta: &origin_cert_expired_or_not_yet_valid::META, run: origin_cert_expired_or_not_yet_valid::run },
    CheckDef { meta: &origin_chain_incomplete_or_misordered::META, run: origin_chain_incomplete_or_misordered::run },
    CheckDef { meta: &origin_tls_protocol_mismatch::META, run: origin_tls_protocol_mismatch::run },
    CheckDef {
        meta: &origin_tls_cipher_curve_sigalg_mismatch::META,
        run: origin_tls_cipher_curve_sigalg_mismatch::run,
    },
    CheckDef { meta: &origin_requires_client_cert::META, run: origin_requires_client_cert::run },
    CheckDef { meta: &sni_dependent_origin_default_cert::META, run: sni_dependent_origin_default_cert::run },
    CheckDef { meta: &viewer_certificate_problems::META, run: viewer_certificate_problems::run },
    // Tier 2, edge side (catalog order).
    CheckDef {
        meta: &host_firewall_or_origin_waf_blocks_cloudfront::META,
        run: host_firewall_or_origin_waf_blocks_cloudfront::run,
    },
    CheckDef { meta: &get_with_body::META, run: get_with_body::run },
    CheckDef { meta: &edge_access_controls_block::META, run: edge_access_controls_block::run },
    CheckDef { meta: &lambda_edge_errors::META, run: lambda_edge_errors::run },
    CheckDef { meta: &cloudfront_functions_errors::META, run: cloudfront_functions_errors::run },
    CheckDef { meta: &request_too_large::META, run: request_too_large::run },
    CheckDef { meta: &stale_origin_hostname::META, run: stale_origin_hostname::run },
    CheckDef { meta: &response_completion_timeout_too_short::META, run: response_completion_timeout_too_short::run },
    CheckDef {
        meta: &alb_idle_timeout_or_origin_proxy_timeout::META,
        run: alb_idle_timeout_or_origin_proxy_timeout::run,
    },
    CheckDef { meta: &misdirected_request_certificate::META, run: misdirected_request_certificate::run },
    CheckDef { meta: &origin_response_unacceptable::META, run: origin_response_unacceptable::run },
    CheckDef { meta: &origin_http_version::META, run: origin_http_version::run },
    CheckDef { meta: &vpc_origin_sg::META, run: vpc_origin_sg::run },
    CheckDef { meta: &vpc_origin_protocol_or_unsupported::META, run: vpc_origin_protocol_or_unsupported::run },
];

/// Runs every check over the evidence.
pub fn run_all(evidence: &Evidence) -> CheckOutput {
    let mut out = CheckOutput::default();
    for check in ALL {
        let r = (check.run)(evidence);
        out.findings.extend(r.findings);
        out.unverified.extend(r.unverified);
    }
    out
}
