//! `docs/findings.md` is generated from the checks' metadata; this fails when it is stale.
//! Regenerate with `cargo run --bin cf-origin-doctor -- checks --markdown > docs/findings.md`.

// A panic here is a failed test, not a crash of the tool.
#![allow(clippy::unwrap_used)]

#[test]
fn findings_doc_is_up_to_date() {
    let generated = cf_origin_doctor::checks::docs::findings_markdown();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/findings.md");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/findings.md is stale: run `cargo run --bin cf-origin-doctor -- checks --markdown > docs/findings.md`"
    );
}

#[test]
fn every_check_has_complete_metadata_and_a_unique_kebab_case_id() {
    let mut ids = std::collections::BTreeSet::new();
    for c in cf_origin_doctor::checks::ALL {
        let m = c.meta;
        assert!(ids.insert(m.id), "duplicate id {}", m.id);
        assert!(
            m.id.split('-').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "{}",
            m.id
        );
        assert!(!m.title.is_empty() && !m.what_breaks.is_empty() && !m.why.is_empty() && !m.fix.is_empty(), "{}", m.id);
        assert!(!m.evidence_used.is_empty(), "{}", m.id);
        assert!(m.docs_url.starts_with("https://"), "{}", m.id);
    }
}

/// The IAM list of docs/lambda.md names every action the code calls (template.yaml is checked
/// against the same list by tests/template.rs).
#[test]
fn lambda_doc_iam_list_names_every_action_the_code_calls() {
    let doc = read("docs/lambda.md");
    let start = doc.find("## IAM permissions").expect("docs/lambda.md has an IAM permissions section");
    let section = &doc[start..];
    let section = &section[..section[3..].find("\n#").map_or(section.len(), |e| e + 3)];
    for action in cf_origin_doctor::inventory::AWS_ACTIONS {
        let (_, name) = action.split_once(':').unwrap();
        let listed = section.contains(&format!("`{name}`")) || section.contains(&format!("`{action}`"));
        assert!(listed, "docs/lambda.md's IAM permissions section does not list {action}");
    }
}

/// The README is the way in: what the tool is, the two commands, a sample, and links. The
/// reference lives in docs/.
#[test]
fn readme_stays_short() {
    let len = read("README.md").len();
    assert!(len <= 12 * 1024, "README.md is {len} bytes; move reference material to docs/");
}

/// Every relative link in README.md and docs/*.md points to a file of the repository, and every
/// `#anchor` to a heading of that file.
#[test]
fn relative_markdown_links_resolve() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for target in markdown_link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = target.split_once('#').unwrap_or((target.as_str(), ""));
            let resolved = if path.is_empty() { file.clone() } else { file.parent().unwrap().join(path) };
            let shown = format!("{}: {target}", file.strip_prefix(root).unwrap().display());
            if !resolved.exists() {
                broken.push(format!("{shown} (no such file)"));
            } else if !anchor.is_empty() && resolved.extension().is_some_and(|e| e == "md") {
                let headings = heading_anchors(&std::fs::read_to_string(&resolved).unwrap());
                if !headings.iter().any(|h| h == anchor) {
                    broken.push(format!("{shown} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken relative links:\n{}", broken.join("\n"));
}

fn read(relative: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The targets of inline links `[text](target)` outside fenced code blocks and code spans.
fn markdown_link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Drop code spans, whose brackets are not links.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            if !target.is_empty() {
                targets.push(target.to_string());
            }
            rest = &after[end..];
        }
    }
    targets
}

/// GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces as `-`.
fn heading_anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut anchors = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let anchor: String = title
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        anchors.push(anchor);
    }
    anchors
}
