//! Stage 4: the failure catalog as independent, pure checks over the [`Evidence`].
//!
//! A check never touches the network, the SDK or the clock: it reads evidence and returns
//! findings and "could not verify" notes. Finding a problem is data, not an error. Each check
//! lives in its own file named after its stable kebab-case id (snake_case for the module).
//!
//! Adding a check: write `checks/<id>.rs` with a `//!` paragraph, a `pub static META` and a
//! `pub fn run(&Evidence) -> CheckOutput`; list it in [`ALL`]; add positive and negative tests;
//! regenerate `docs/findings.md`.

mod finding;
pub mod origin_cert_expired_or_not_yet_valid;
pub mod origin_cert_name_mismatch_forwarded_host;
pub mod origin_cert_name_mismatch_origin_domain;
pub mod origin_cert_untrusted;
pub mod origin_chain_incomplete_or_misordered;
pub mod origin_requires_client_cert;
pub mod origin_tls_cipher_curve_sigalg_mismatch;
pub mod origin_tls_protocol_mismatch;
pub mod redirect_loop_origin_forces_https;
pub mod sni_dependent_origin_default_cert;
mod tls_support;

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
