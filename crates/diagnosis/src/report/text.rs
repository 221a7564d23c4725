//! The report for a person at 3 a.m.: verdict and fix first, then findings in rank order with
//! their evidence, then what could not be verified.

use super::ReportV1;
use super::v1::{
    ChangeV1, FindingV1, FixCheckResultV1, FixV1, PreflightFindingV1, PreflightV1, RedirectsV1, SeverityV1, StatusV1,
};
use std::fmt::Write;

/// Colours are used only when asked (a terminal without `NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
}

fn severity_code(sev: SeverityV1) -> &'static str {
    match sev {
        SeverityV1::Critical | SeverityV1::High => "1;31",
        SeverityV1::Medium => "33",
        SeverityV1::Low => "36",
        SeverityV1::Info => "2",
    }
}

pub fn render(r: &ReportV1, style: Style) -> String {
    let clean = escaped(r);
    let r = &clean;
    let mut o = String::new();
    let status_code = status_code_of(r.status);
    let status = r.status.as_str().to_uppercase();
    // A pre-flight's answer comes first: it is what the caller asked; the live diagnosis follows.
    if let Some(p) = &r.preflight {
        for (i, line) in preflight_lines(p).iter().enumerate() {
            if i == 0 {
                let _ = writeln!(o, "{}", style.paint(status_code_of(p.status), line));
            } else {
                let _ = writeln!(o, "  {line}");
            }
        }
        let _ = writeln!(o, "\nThe live configuration:");
    }
    let _ = writeln!(o, "{} {} ({})", style.paint(status_code, &status), r.distribution_id, r.domain_name);
    if let Some(how) = &r.located_by {
        let _ = writeln!(o, "Found {how}");
    }
    let primary = r.verdict.primary.as_ref().and_then(|p| r.findings.iter().find(|f| &f.id == p));
    let _ = writeln!(o, "{}", summary_without_fix(&r.verdict.summary, primary));
    for line in fix_check_lines(r) {
        let _ = writeln!(o, "{line}");
    }
    if let Some(f) = primary {
        let _ = writeln!(o, "\nFix ({}):", f.id);
        let _ = writeln!(o, "  {}", f.remediation.summary);
        for line in change_lines(f) {
            let _ = writeln!(o, "  > {line}");
        }
        for s in &f.remediation.steps {
            let _ = writeln!(o, "  - {s}");
        }
        for c in &f.remediation.cli {
            let _ = writeln!(o, "    $ {c}");
        }
    }
    let _ = writeln!(o, "\nThrough CloudFront: {}", r.verdict.symptom);
    for line in cloudfront_lines(r) {
        let _ = writeln!(o, "  {line}");
    }
    if !r.findings.is_empty() {
        let _ = writeln!(o, "\nFindings (most likely cause first):");
        for (i, f) in r.findings.iter().enumerate() {
            let sev = style.paint(severity_code(f.severity), &f.severity.as_str().to_uppercase());
            let _ = writeln!(o, "{}. [{sev}] {} ({} confidence)", i + 1, f.id, f.confidence);
            let _ = writeln!(o, "   {}", f.summary);
            for e in &f.evidence {
                let _ = writeln!(o, "   - {} {}: {}", e.source, e.subject, e.observed);
                if let Some(exp) = &e.expected {
                    let _ = writeln!(o, "       expected: {exp}");
                }
            }
            let _ = writeln!(o, "   docs: {}", f.docs_url);
        }
    }
    for line in ladder_lines(&r.observations) {
        let _ = writeln!(o, "{line}");
    }
    let samples = sample_lines(&r.observations);
    if !samples.is_empty() {
        let _ = writeln!(o, "\nRepeated requests (--samples):");
        for line in samples {
            let _ = writeln!(o, "- {line}");
        }
    }
    if !r.unverified.is_empty() {
        let _ = writeln!(o, "\nCould not verify:");
        for u in &r.unverified {
            let _ = writeln!(o, "- {}: {} [{}]", u.what, u.reason, u.check);
        }
    }
    let _ = writeln!(o, "\nProbes (from {}):", r.observations.probed_from);
    for p in &r.observations.probes {
        let chain: Vec<String> = p
            .hops
            .iter()
            .map(|h| match (h.status, &h.error) {
                (Some(s), _) => format!("{} → {s}", h.url),
                (None, Some(e)) => format!("{} → {e}", h.url),
                _ => h.url.clone(),
            })
            .collect();
        let tail = match (&p.redirects_detail, p.redirects) {
            (Some(d), RedirectsV1::Loop) => format!(" [LOOP: {d}]"),
            (Some(d), _) => format!(" [{d}]"),
            _ => String::new(),
        };
        let _ = writeln!(o, "- {}: {}{tail}", p.id, chain.join(" ⇒ "));
    }
    for s in &r.observations.skipped {
        let _ = writeln!(o, "- {} skipped: {}", s.id, s.reason);
    }
    if !r.observations.overrides.is_empty() {
        let _ = writeln!(o, "  (addresses from --connect-to for: {})", r.observations.overrides.join(", "));
    }
    for line in network_lines(&r.observations) {
        let _ = writeln!(o, "- {line}");
    }
    o
}

/// The check of the primary finding's fix, one line per alternative, and what it did not re-run.
pub fn fix_check_lines(r: &ReportV1) -> Vec<String> {
    let mut out = Vec::new();
    for c in &r.fix_check {
        let label = match c.alternative {
            0 => "Fix check".to_string(),
            i => format!("Fix check (alternative {})", i + 1),
        };
        let result = c.result.as_str().replace('_', " ");
        out.push(match (&c.result, &c.next) {
            (FixCheckResultV1::NotEnough, Some(n)) if n.id != c.finding_id => {
                format!("{label}: {result} — next: {} — {}", n.id, n.summary)
            }
            _ => format!("{label}: {result} — {}", c.summary),
        });
    }
    if r.fix_check.iter().any(|c| c.result != FixCheckResultV1::NotVerifiable) {
        out.push(
            "  (checked on a copy of the evidence; edge probes were not re-run: the distribution is unchanged until the fix is made)"
                .to_string(),
        );
    }
    out
}

/// The request ladders, one rung a line: what worked (✔), what failed (✘), and the first
/// failing change.
pub fn ladder_lines(obs: &super::v1::ObservationsV1) -> Vec<String> {
    let mut out = Vec::new();
    for l in &obs.ladders {
        out.push(format!(
            "\nRequest ladder to {} for {} (CloudFront connects on {}):",
            l.origin_id, l.viewer_path, l.connection
        ));
        for r in &l.rungs {
            let mark = match r.works {
                Some(true) => "✔",
                Some(false) => "✘",
                None => "·",
            };
            let note = match r.role.as_deref() {
                Some("failing") => "  ← first failing change",
                Some("working") => "  ← works",
                _ => "",
            };
            out.push(format!("  {mark} {} {} (Host: {}){note}", r.answer, r.label, r.host));
        }
        out.push(format!("  → {}", l.conclusion));
    }
    out
}

/// One line per repeated probe (failure rate, answer classes, first-byte percentiles against
/// `OriginReadTimeout`) and per keep-alive probe (idle close against `OriginKeepaliveTimeout`).
pub fn sample_lines(obs: &super::v1::ObservationsV1) -> Vec<String> {
    let mut out = Vec::new();
    for s in &obs.samples {
        let classes: Vec<String> = s.classes.iter().map(|c| format!("{} {}", c.count, c.label)).collect();
        let mut line = format!(
            "{} {}: {} of {} failed{} ({})",
            s.target,
            s.url,
            s.failures,
            s.sent,
            if s.intermittent { ", intermittent" } else { "" },
            if classes.is_empty() { "none sent".to_string() } else { classes.join(", ") }
        );
        if s.not_sent > 0 {
            line.push_str(&format!("; {} not sent (probe budget)", s.not_sent));
        }
        if let Some(p) = &s.first_byte_ms {
            line.push_str(&format!("; first byte p50 {} ms, p90 {} ms, max {} ms", p.p50, p.p90, p.max));
            if let Some(t) = s.origin_read_timeout_s {
                line.push_str(&format!(" (OriginReadTimeout {t} s)"));
            }
        }
        out.push(line);
    }
    for k in &obs.keepalive {
        let cf = k.origin_keepalive_timeout_s.map(|t| format!(" (OriginKeepaliveTimeout {t} s)")).unwrap_or_default();
        out.push(format!("keep-alive to origin {}: {}{cf}", k.origin_id, k.summary));
    }
    out
}

/// One line per DNS answer, TCP connect and TLS hello, for a person reading the report.
pub fn network_lines(obs: &super::v1::ObservationsV1) -> Vec<String> {
    let mut out = Vec::new();
    for d in &obs.dns {
        let answer = match &d.error {
            Some(e) => e.clone(),
            None => {
                let mut parts: Vec<String> = d.cname_chain.iter().map(|c| format!("CNAME {c}")).collect();
                parts.extend(d.a.iter().chain(&d.aaaa).cloned());
                parts.join(", ")
            }
        };
        let notes = if d.notes.is_empty() { String::new() } else { format!(" [{}]", d.notes.join("; ")) };
        out.push(format!("dns {} ({}, {}): {answer}{notes}", d.name, d.role, d.source));
    }
    for t in &obs.tcp {
        let ms = t.connect_ms.map(|m| format!(" in {m} ms")).unwrap_or_default();
        let msg = t.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
        out.push(format!("tcp {}:{} ({}): {}{ms}{msg}", t.host, t.port, t.scheme, t.outcome));
    }
    for t in &obs.tls {
        let r = &t.result;
        let got = match (r.version.as_deref(), r.cipher_suite.as_deref()) {
            (Some(v), Some(c)) => {
                let stop = if r.full_handshake == Some(false) { ", stopped after the server's hello" } else { "" };
                format!("{v} {c}{stop}")
            }
            _ => format!("failed: {}", r.message.as_deref().unwrap_or("")),
        };
        let sni = t.sni.as_deref().map(|s| format!("SNI {s}")).unwrap_or_else(|| "no SNI".into());
        let cert = match (t.chain.first(), t.chain_validation.map(|v| v.as_str()), t.name_matches) {
            (Some(leaf), v, m) => format!(
                "; certificate {} ({} in chain, {}, name {})",
                if leaf.dns_names.is_empty() { leaf.subject.clone() } else { leaf.dns_names.join(", ") },
                t.chain.len(),
                v.unwrap_or("not validated"),
                match m {
                    Some(true) => "matches",
                    Some(false) => "does not match",
                    None => "not checked",
                }
            ),
            _ => String::new(),
        };
        out.push(format!(
            "tls {}:{} ({sni}), CloudFront's hello [{}]: {got}{cert}",
            t.host,
            t.port,
            t.offered_versions.join(", ")
        ));
    }
    out
}

/// The report with every string's control characters made visible: C0 (newline and tab
/// included: inside one field they would forge report lines), DEL, C1 and the Unicode bidi
/// controls (which reorder what a terminal shows; CVE-2021-42574 "Trojan Source"). Certificate
/// names, DNS answers, headers and bodies come from the network, and a raw ESC or BEL in them
/// would drive the reader's terminal (ECMA-48 control sequences, OSC title changes). The
/// layout's own newlines and colours are added after this, around the escaped strings.
fn status_code_of(status: StatusV1) -> &'static str {
    match status {
        StatusV1::Pass => "1;32",
        StatusV1::Warn => "1;33",
        StatusV1::Fail => "1;31",
        StatusV1::Incomplete => "1;35",
    }
}

/// The pre-flight block: its heading, then a line per introduced, removed, unchanged and
/// not re-checked finding, and what was not probed (plain text; Markdown escapes it).
fn preflight_lines(p: &PreflightV1) -> Vec<String> {
    let etag = p.etag.as_deref().map(|e| format!(", ETag {e}")).unwrap_or_default();
    let verdict = if p.introduced.is_empty() {
        "introduces no finding".to_string()
    } else {
        format!("introduces {} finding(s)", p.introduced.len())
    };
    let mut lines = vec![format!(
        "Pre-flight of the proposed configuration ({}{etag}): {}, {verdict}",
        p.source,
        p.status.as_str().to_uppercase()
    )];
    let item = |verb: &str, f: &PreflightFindingV1| format!("{verb} {} ({}): {}", f.id, f.severity, f.summary);
    lines.extend(p.introduced.iter().map(|f| item("introduces", f)));
    lines.extend(p.removed.iter().map(|f| item("removes", f)));
    lines.extend(p.unchanged.iter().map(|f| item("keeps", f)));
    lines.extend(p.not_rechecked.iter().map(|f| item("cannot re-check before deployment", f)));
    lines.push(p.note.clone());
    lines
}

/// The preferred alternative's changes, one line each (a configuration field with its value in
/// the evidence and the value to set), or why there is no automatic fix.
fn change_lines(f: &FindingV1) -> Vec<String> {
    match &f.remediation.fix {
        None => vec![],
        Some(FixV1::Manual { reason }) => vec![format!("no automatic fix: {reason}")],
        Some(FixV1::Changes { alternatives }) => alternatives
            .first()
            .map(|a| {
                a.changes
                    .iter()
                    .map(|c| match c {
                        ChangeV1::Config { field, from, to } => format!("{field}: {from} → {to}"),
                        ChangeV1::Network { description, .. } => description.clone(),
                        ChangeV1::Origin { part, what } => format!("on the origin ({}): {what}", part.as_str()),
                        ChangeV1::Other { what } => what.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn escaped(r: &ReportV1) -> ReportV1 {
    let Ok(mut json) = serde_json::to_value(r) else {
        return r.clone();
    };
    escape_json(&mut json);
    serde_json::from_value(json).unwrap_or_else(|_| r.clone())
}

fn escape_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) if s.chars().any(is_control) => *s = escape_controls(s),
        Value::Array(items) => items.iter_mut().for_each(escape_json),
        Value::Object(map) => map.values_mut().for_each(escape_json),
        _ => {}
    }
}

fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `\n`, `\t`, `\x1b`, `\u{202e}`: visible, and never a control character.
pub fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_control(c) && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Markdown prose: the characters that would start emphasis, raw HTML, an autolink, code, a
/// table cell or strike-through are backslash-escaped (CommonMark 0.31, section 2.4), and so is
/// the `(` that would turn `[text]` into a link or an image; brackets alone stay as written
/// (`[TLSv1.2]`), since a reference link needs a definition the report never has. A network
/// string then shows as written and cannot add markup.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = '\0';
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '<' | '>' | '|' | '~' | '&') || (c == '(' && prev == ']') {
            out.push('\\');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// A Markdown code span holding `s`: delimited by one backtick more than the longest run in
/// it, padded when it starts or ends with one (CommonMark 0.31, section 6.1).
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 { format!("{fence} {s} {fence}") } else { format!("{fence}{s}{fence}") }
}

/// A fenced code block's fence, longer than any backtick run in `body` (section 4.5).
fn fence_for(body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The verdict's summary without its " Fix: …" sentence when the primary finding's fix is
/// printed as its own block below it (the JSON summary keeps it, for readers of that field alone).
fn summary_without_fix(summary: &str, primary: Option<&FindingV1>) -> String {
    match primary {
        Some(f) if !f.remediation.summary.is_empty() => {
            summary.replacen(&format!(" Fix: {}", f.remediation.summary), "", 1)
        }
        _ => summary.to_string(),
    }
}

/// The report as Markdown, for tickets and chat: verdict and fix first, findings as sections.
pub fn render_markdown(r: &ReportV1) -> String {
    let clean = escaped(r);
    let r = &clean;
    let mut o = String::new();
    if let Some(p) = &r.preflight {
        let lines = preflight_lines(p);
        if let Some((heading, rest)) = lines.split_first() {
            let _ = writeln!(o, "## {}\n", md(heading));
            if let Some((note, items)) = rest.split_last() {
                for line in items {
                    let _ = writeln!(o, "- {}", md(line));
                }
                let _ = writeln!(o, "\n_{}_\n", md(note));
            }
        }
    }
    let _ = writeln!(
        o,
        "## cf-origin-doctor: **{}** for {} ({})\n",
        r.status.as_str().to_uppercase(),
        code(&r.distribution_id),
        md(&r.domain_name)
    );
    if let Some(how) = &r.located_by {
        let _ = writeln!(o, "Found {}\n", md(how));
    }
    let primary = r.verdict.primary.as_ref().and_then(|p| r.findings.iter().find(|f| &f.id == p));
    let _ = writeln!(o, "{}\n", md(&summary_without_fix(&r.verdict.summary, primary)));
    let checks = fix_check_lines(r);
    if !checks.is_empty() {
        for line in &checks {
            let _ = writeln!(o, "{}  ", md(line));
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "**Through CloudFront:** {}\n", md(&r.verdict.symptom));
    for line in cloudfront_lines(r) {
        let _ = writeln!(o, "- {}", md(&line));
    }
    if let Some(f) = primary {
        let _ = writeln!(o, "### Fix ({})\n\n{}\n", code(&f.id), md(&f.remediation.summary));
        let lines = change_lines(f);
        if !lines.is_empty() {
            for line in &lines {
                let _ = writeln!(o, "- {}", code(line));
            }
            let _ = writeln!(o);
        }
        for s in &f.remediation.steps {
            let _ = writeln!(o, "- {}", md(s));
        }
        if !f.remediation.cli.is_empty() {
            let body = f.remediation.cli.join("\n");
            let fence = fence_for(&body);
            let _ = writeln!(o, "\n{fence}sh\n{body}\n{fence}");
        }
        let _ = writeln!(o);
    }
    if !r.findings.is_empty() {
        let _ = writeln!(o, "### Findings\n");
        for (i, f) in r.findings.iter().enumerate() {
            let _ = writeln!(
                o,
                "{}. **{}** {} ({} confidence): {}",
                i + 1,
                md(f.severity.as_str()),
                code(&f.id),
                md(f.confidence.as_str()),
                md(&f.summary)
            );
            for e in &f.evidence {
                let expected = e.expected.as_deref().map(|x| format!(" (expected: {})", md(x))).unwrap_or_default();
                let _ =
                    writeln!(o, "   - _{}_ {}: {}{expected}", md(e.source.as_str()), code(&e.subject), md(&e.observed));
            }
            let _ = writeln!(o, "   - docs: <{}>", f.docs_url.replace(['<', '>', ' '], ""));
        }
        let _ = writeln!(o);
    }
    if !r.observations.ladders.is_empty() {
        let _ = writeln!(o, "### Request ladders\n");
        for line in ladder_lines(&r.observations) {
            let line = line.trim_start_matches('\n');
            if let Some(rung) = line.strip_prefix("  ") {
                let _ = writeln!(o, "- {}", md(rung));
            } else {
                let _ = writeln!(o, "\n{}\n", md(line));
            }
        }
        let _ = writeln!(o);
    }
    let samples = sample_lines(&r.observations);
    if !samples.is_empty() {
        let _ = writeln!(o, "### Repeated requests\n");
        for line in samples {
            let _ = writeln!(o, "- {}", md(&line));
        }
        let _ = writeln!(o);
    }
    if !r.unverified.is_empty() {
        let _ = writeln!(o, "### Could not verify\n");
        for u in &r.unverified {
            let _ = writeln!(o, "- {}: {} ({})", md(&u.what), md(&u.reason), code(&u.check));
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "<details><summary>Probes (from {})</summary>\n", md(&r.observations.probed_from));
    for p in &r.observations.probes {
        let chain: Vec<String> = p
            .hops
            .iter()
            .map(|h| match (h.status, &h.error) {
                (Some(s), _) => format!("{} → {s}", code(&h.url)),
                (None, Some(e)) => format!("{} → {}", code(&h.url), md(e)),
                _ => code(&h.url),
            })
            .collect();
        let _ = writeln!(o, "- {}: {} ({})", md(&p.id), chain.join(" ⇒ "), md(p.redirects.as_str()));
    }
    for line in network_lines(&r.observations) {
        let _ = writeln!(o, "- {}", md(&line));
    }
    let _ = writeln!(o, "\n</details>");
    o
}

/// CloudFront's own view, shown under the symptom: the lines the symptom does not already say.
fn cloudfront_lines(r: &ReportV1) -> Vec<String> {
    r.observations
        .cloudfront
        .iter()
        .flat_map(|c| c.lines.iter())
        .filter(|l| !r.verdict.symptom.contains(l.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_visible() {
        let hostile = "evil\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{7f}\u{9b}31m\u{202e}txt.exe\nFAKE line";
        let out = escape_controls(hostile);
        assert!(!out.chars().any(is_control), "{out:?}");
        assert_eq!(out, "evil\\x1b]0;PWNED\\x07\\x1b[2J\\x7f\\x9b31m\\u{202e}txt.exe\\nFAKE line");
        assert_eq!(escape_controls("plain → text"), "plain → text");
    }

    #[test]
    fn the_primary_fix_appears_once_in_text_and_markdown() {
        use crate::testing::{custom_origin, evidence, listener, load_balancer, redirect_to_https};
        let origin = custom_origin("app", "lb.example.com", crate::evidence::OriginProtocolPolicy::HttpOnly);
        let lb = load_balancer("lb.example.com", vec![listener(80, "HTTP", redirect_to_https())]);
        let d = crate::evaluate(evidence(origin, crate::evidence::Fetch::Fetched { value: lb }));
        let primary = d.report.verdict.primary.clone().expect("a primary finding");
        let f = d.report.findings.iter().find(|f| f.id == primary).unwrap();
        // The JSON summary still carries the fix; the rendered reports print it once.
        assert!(d.report.verdict.summary.contains(&f.remediation.summary));
        let text = render(&d.report, Style { color: false });
        assert_eq!(text.matches(&f.remediation.summary).count(), 1, "{text}");
        assert!(text.contains(&format!("Fix ({primary}):")), "{text}");
        let markdown = render_markdown(&d.report);
        assert_eq!(markdown.matches(&md(&f.remediation.summary)).count(), 1, "{markdown}");
        // The exact change, once, under the fix.
        let change = r#"Origins[Id=app].CustomOriginConfig.OriginProtocolPolicy: "http-only" → "https-only""#;
        assert_eq!(text.matches(change).count(), 1, "{text}");
        assert!(text.find(change) > text.find(&format!("Fix ({primary}):")), "{text}");
        assert_eq!(markdown.matches(change).count(), 1, "{markdown}");
    }

    #[test]
    fn markdown_strings_cannot_add_markup() {
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(
            md("<img src=x> [a](b) ![i](j) *x* |t| [TLSv1.2]"),
            "\\<img src=x\\> [a]\\(b) ![i]\\(j) \\*x\\* \\|t\\| [TLSv1.2]"
        );
        assert_eq!(fence_for("echo ```"), "````");
    }
}
