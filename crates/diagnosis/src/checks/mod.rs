//! Stage 4: the failure modes as independent, pure checks over the [`Evidence`].
//!
//! A check never touches the network, the SDK or the clock: it reads evidence and returns
//! findings and "could not verify" notes. Finding a problem is data, not an error. Each check
//! lives in its own file named after its stable kebab-case id (snake_case for the module).
//!
//! Adding a check: write `checks/<id>.rs` with a `//!` paragraph, a `pub static META` (a
//! [`CheckMeta`]: id, title, docs, what breaks, why, evidence, fix, the [`SymptomClass`]es its
//! findings explain or [`Explains::Latent`], and `module: module_path!()`) and a
//! `pub fn run(&Evidence) -> CheckOutput` whose findings start from `META.finding(..)`; add its
//! module name to the `registry!` below (that declares the module and lists it in [`ALL`]);
//! add positive and negative tests; regenerate `docs/findings.md`. The tests of this module hold
//! the registry to its rules (unique ids, module named after the id, a symptom or latent).

pub mod docs;
mod finding;
mod symptom;
// Reasoning shared by several checks; not checks themselves.
mod acm_support;
pub mod cloudfront_view;
mod edge_code;
mod inferred_needs;
pub mod ladder_view;
pub mod net_common;
mod origin_answers;
mod probe_ports;
pub mod probe_view;
mod tls_support;
mod vpc_common;

pub use finding::*;
pub use symptom::{Explains, SymptomClass};

use crate::evidence::Evidence;

/// A check: its metadata and its function.
pub struct CheckDef {
    pub meta: &'static CheckMeta,
    pub run: fn(&Evidence) -> CheckOutput,
}

/// Declares each check's module and lists it, in the order given, in [`ALL`]: one line per check.
macro_rules! registry {
    ($($check:ident),* $(,)?) => {
        $(pub mod $check;)*

        /// Every check, in the order they run (ties in the ranking of findings keep it).
        pub static ALL: &[CheckDef] = &[$(CheckDef { meta: &$check::META, run: $check::run }),*];
    };
}

registry! {
    redirect_loop_origin_forces_https,
    origin_is_ip_address,
    keepalive_race,
    aggressive_connection_settings,
    stacked_distributions,
    cached_errors_or_redirects,
    sg_blocks_cloudfront,
    nacl_blocks,
    origin_not_internet_reachable,
    nlb_security_model,
    nothing_listening_on_origin_port,
    protocol_port_mismatch,
    sg_rule_quota_prevented_prefix_list,
    ipv6_origin_not_allowed,
    stale_or_partial_cloudfront_ip_allowlist,
    method_not_allowed,
    host_header_routing_mismatch,
    origin_read_timeout,
    alias_not_on_distribution,
    config_not_deployed_or_disabled,
    origin_dns_failure,
    redirect_escape_to_origin_hostname,
    origin_secret_header_mismatch,
    params_not_forwarded,
    authorization_stripped,
    viewer_protocol_policy_rejects,
    origin_path_wrong,
    origin_rejects_cloudfront_shaped_requests,
    origin_group_write_methods,
    behavior_routes_to_wrong_origin,
    origin_cert_name_mismatch_origin_domain,
    origin_cert_name_mismatch_forwarded_host,
    origin_cert_untrusted,
    origin_cert_expired_or_not_yet_valid,
    origin_chain_incomplete_or_misordered,
    origin_tls_protocol_mismatch,
    origin_tls_cipher_curve_sigalg_mismatch,
    origin_requires_client_cert,
    sni_dependent_origin_default_cert,
    viewer_certificate_problems,
    host_firewall_or_origin_waf_blocks_cloudfront,
    get_with_body,
    edge_access_controls_block,
    lambda_edge_errors,
    cloudfront_functions_errors,
    request_too_large,
    stale_origin_hostname,
    response_completion_timeout_too_short,
    alb_idle_timeout_or_origin_proxy_timeout,
    misdirected_request_certificate,
    origin_response_unacceptable,
    origin_http_version,
    vpc_origin_sg,
    vpc_origin_protocol_or_unsupported,
}

/// The metadata of the check with this id.
pub fn meta_for(id: &str) -> Option<&'static CheckMeta> {
    ALL.iter().map(|c| c.meta).find(|m| m.id == id)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_is_registered_under_its_own_id_and_explains_a_symptom_or_is_latent() {
        let mut ids = std::collections::BTreeSet::new();
        for c in ALL {
            let m = c.meta;
            assert!(ids.insert(m.id), "duplicate id {}", m.id);
            let module = m.module.rsplit("::").next().unwrap_or_default();
            assert_eq!(module, m.id.replace('-', "_"), "module of {}", m.id);
            match m.explains {
                Explains::Symptoms(s) => assert!(!s.is_empty(), "{} explains nothing and is not latent", m.id),
                Explains::Latent => {}
            }
            assert!(std::ptr::eq(meta_for(m.id).unwrap(), m));
        }
        assert!(meta_for("no-such-check").is_none());
    }
}
