//! Stage 4: the failure modes as independent, pure checks over the [`Evidence`].
//!
//! A check never touches the network, the SDK or the clock: it reads evidence and returns
//! findings and "could not verify" notes. Finding a problem is data, not an error. Each check
//! lives in its own file named after its stable kebab-case id (snake_case for the module).
//!
//! Adding a check: write `checks/<id>.rs` with a `//!` paragraph, a `pub static META` (a
//! [`CheckMeta`]: id, title, docs, what breaks, why, evidence, fix and its [`FixKind`]s, the
//! [`SymptomClass`]es its findings explain or [`Explains::Latent`], and `module: module_path!()`) and a
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
mod fix_support;
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

    /// Every check's decision about its fix, reviewed here: a new check fails this test until
    /// its kinds are listed (typed changes, an origin-side change, or a reasoned manual fix).
    #[test]
    fn every_check_declares_the_kind_of_its_fix() {
        let declared: &[(&str, &[FixKind])] = &[
            ("redirect-loop-origin-forces-https", &[FixKind::Typed]),
            ("origin-is-ip-address", &[FixKind::Manual]),
            ("keepalive-race", &[FixKind::OriginSide]),
            ("aggressive-connection-settings", &[FixKind::Typed]),
            ("stacked-distributions", &[FixKind::Manual]),
            ("cached-errors-or-redirects", &[FixKind::OriginSide]),
            ("sg-blocks-cloudfront", &[FixKind::Typed, FixKind::Manual]),
            ("nacl-blocks", &[FixKind::Typed, FixKind::Manual]),
            ("origin-not-internet-reachable", &[FixKind::OriginSide]),
            ("nlb-security-model", &[FixKind::Typed, FixKind::Manual]),
            ("nothing-listening-on-origin-port", &[FixKind::Typed, FixKind::OriginSide]),
            ("protocol-port-mismatch", &[FixKind::Typed, FixKind::OriginSide]),
            ("sg-rule-quota-prevented-prefix-list", &[FixKind::OriginSide]),
            ("ipv6-origin-not-allowed", &[FixKind::Typed]),
            ("stale-or-partial-cloudfront-ip-allowlist", &[FixKind::Typed, FixKind::Manual]),
            ("method-not-allowed", &[FixKind::Typed]),
            ("host-header-routing-mismatch", &[FixKind::Typed, FixKind::OriginSide]),
            ("origin-read-timeout", &[FixKind::Typed, FixKind::OriginSide]),
            ("alias-not-on-distribution", &[FixKind::OriginSide]),
            ("config-not-deployed-or-disabled", &[FixKind::Typed, FixKind::OriginSide]),
            ("origin-dns-failure", &[FixKind::OriginSide]),
            ("redirect-escape-to-origin-hostname", &[FixKind::Typed, FixKind::OriginSide]),
            ("origin-secret-header-mismatch", &[FixKind::Typed, FixKind::Manual]),
            ("params-not-forwarded", &[FixKind::Typed, FixKind::Manual]),
            ("authorization-stripped", &[FixKind::OriginSide, FixKind::Typed]),
            ("viewer-protocol-policy-rejects", &[FixKind::Typed]),
            ("origin-path-wrong", &[FixKind::Typed]),
            ("origin-rejects-cloudfront-shaped-requests", &[FixKind::OriginSide]),
            ("origin-group-write-methods", &[FixKind::Manual]),
            ("behavior-routes-to-wrong-origin", &[FixKind::Manual]),
            ("origin-cert-name-mismatch-origin-domain", &[FixKind::OriginSide, FixKind::Typed]),
            ("origin-cert-name-mismatch-forwarded-host", &[FixKind::Typed, FixKind::OriginSide]),
            ("origin-cert-untrusted", &[FixKind::OriginSide]),
            ("origin-cert-expired-or-not-yet-valid", &[FixKind::OriginSide]),
            ("origin-chain-incomplete-or-misordered", &[FixKind::OriginSide]),
            ("origin-tls-protocol-mismatch", &[FixKind::Typed, FixKind::OriginSide]),
            ("origin-tls-cipher-curve-sigalg-mismatch", &[FixKind::OriginSide]),
            ("origin-requires-client-cert", &[FixKind::OriginSide]),
            ("sni-dependent-origin-default-cert", &[FixKind::OriginSide]),
            ("viewer-certificate-problems", &[FixKind::OriginSide]),
            ("host-firewall-or-origin-waf-blocks-cloudfront", &[FixKind::OriginSide]),
            ("get-with-body", &[FixKind::OriginSide]),
            ("edge-access-controls-block", &[FixKind::Manual]),
            ("lambda-edge-errors", &[FixKind::OriginSide]),
            ("cloudfront-functions-errors", &[FixKind::OriginSide]),
            ("request-too-large", &[FixKind::OriginSide]),
            ("stale-origin-hostname", &[FixKind::OriginSide]),
            ("response-completion-timeout-too-short", &[FixKind::Typed]),
            ("alb-idle-timeout-or-origin-proxy-timeout", &[FixKind::OriginSide]),
            ("misdirected-request-certificate", &[FixKind::OriginSide]),
            ("origin-response-unacceptable", &[FixKind::OriginSide]),
            ("origin-http-version", &[FixKind::OriginSide]),
            ("vpc-origin-sg", &[FixKind::Manual]),
            ("vpc-origin-protocol-or-unsupported", &[FixKind::OriginSide]),
        ];
        for c in ALL {
            let Some((_, kinds)) = declared.iter().find(|(id, _)| *id == c.meta.id) else {
                panic!("check {} has no declared fix kind in this table", c.meta.id);
            };
            assert_eq!(c.meta.fix_kinds, *kinds, "fix kinds of {}", c.meta.id);
            assert!(!kinds.is_empty());
        }
        for (id, _) in declared {
            assert!(meta_for(id).is_some(), "{id} is listed but is not a check");
        }
    }

    /// The recorded lab evidence: each finding's fix is of a kind its check declares, and every
    /// configuration and network change applies to the evidence it came from (a custom
    /// header's value apart, which this tool never holds).
    #[test]
    fn fixes_of_the_recorded_evidence_match_their_kind_and_apply() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/evidence");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let mut seen = std::collections::BTreeMap::<&str, usize>::new();
        for path in files.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
            let ev: Evidence = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            for f in run_all(&ev).findings {
                let meta = meta_for(&f.id).unwrap();
                let kind = FixKind::of(&f.remediation.fix);
                assert!(meta.fix_kinds.contains(&kind), "{}: {} carries a {kind:?} fix", path.display(), f.id);
                *seen.entry(kind.as_str()).or_default() += 1;
                let Fix::Changes { alternatives } = &f.remediation.fix else {
                    continue;
                };
                for change in alternatives.iter().flat_map(|a| &a.changes) {
                    match change {
                        crate::fix::Change::Config(c) => {
                            let mut d = ev.inventory.distribution.clone();
                            match c.apply(&mut d) {
                                Ok(()) | Err(crate::fix::ApplyError::SecretValue) => {}
                                Err(e) => panic!("{}: {} {c:?}: {e}", path.display(), f.id),
                            }
                        }
                        crate::fix::Change::Network(n) => {
                            let mut inv = ev.inventory.clone();
                            n.apply(&mut inv).unwrap_or_else(|e| panic!("{}: {} {n:?}: {e}", path.display(), f.id));
                        }
                        _ => {}
                    }
                }
                if FixKind::of(&f.remediation.fix) == FixKind::Typed {
                    let cli = f.remediation.fix.cli(&ev.inventory.distribution);
                    assert!(
                        cli.iter().all(|c| f.remediation.cli.contains(c)),
                        "{}: the printed steps are the generated ones",
                        f.id
                    );
                }
            }
        }
        assert!(seen.get("typed").is_some_and(|n| *n >= 5) && seen.contains_key("origin-side"), "{seen:?}");
    }
}
