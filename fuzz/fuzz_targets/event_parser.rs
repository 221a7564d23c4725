//! Any bytes that are JSON, given to the Lambda event parser: it must answer (an invocation or
//! a typed error), never panic, and keep its error messages bounded (no echo of a huge input).
#![no_main]

use cf_origin_doctor::event::{ParseOptions, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for opts in [ParseOptions::default(), ParseOptions { diagnose_all_states: true }] {
        if let Err(e) = parse(&event, opts) {
            assert!(e.to_string().len() < 64 * 1024, "error message of {} bytes", e.to_string().len());
        }
    }
});
