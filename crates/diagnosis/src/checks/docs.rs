//! `docs/findings.md`, generated from the checks' own metadata (a test fails when it is stale;
//! `cf-origin-doctor checks --markdown > docs/findings.md` regenerates it).

use super::ALL;
use std::fmt::Write;

pub fn findings_markdown() -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Findings\n");
    let _ = writeln!(
        o,
        "Every finding cf-origin-doctor reports, by its stable id. \
         Generated from the checks' metadata by `cf-origin-doctor checks --markdown`; do not edit by hand.\n"
    );
    let _ = writeln!(
        o,
        "\"Fix as data\" is the kind of fix a finding carries in the report, the usual one first: \
         `typed` (configuration or network changes, each with its old and new value), \
         `origin-side` (a change only the owner can make outside the distribution: certificate, \
         listener, server, application, DNS, edge code), `manual` (no change this tool can state; \
         the report says why).\n"
    );
    let mut checks: Vec<_> = ALL.iter().collect();
    checks.sort_by_key(|c| c.meta.id);
    for c in &checks {
        let _ = writeln!(o, "- [`{}`](#{}): {}", c.meta.id, c.meta.id, c.meta.title);
    }
    for c in checks {
        let m = c.meta;
        let _ = writeln!(o, "\n## {}\n", m.id);
        let _ = writeln!(o, "**{}**\n", m.title);
        let _ = writeln!(o, "- What breaks: {}", m.what_breaks);
        let _ = writeln!(o, "- Why CloudFront fails on it: {}", m.why);
        let _ = writeln!(o, "- Evidence used:");
        for e in m.evidence_used {
            let _ = writeln!(o, "  - {e}");
        }
        let symptoms: Vec<String> = m
            .explains
            .symptoms()
            .iter()
            .map(|s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
            .collect();
        if !symptoms.is_empty() {
            let _ = writeln!(o, "- Explains what viewers see: {}", symptoms.join(", "));
        }
        let _ = writeln!(o, "- Fix: {}", m.fix);
        let kinds: Vec<&str> = m.fix_kinds.iter().map(|k| k.as_str()).collect();
        let _ = writeln!(o, "- Fix as data: {}", kinds.join(", or "));
        let _ = writeln!(o, "- AWS docs: <{}>", m.docs_url);
    }
    o
}
