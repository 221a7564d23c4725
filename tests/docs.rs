//! `docs/findings.md` is generated from the checks' metadata; this fails when it is stale.
//! Regenerate with `cargo run --bin cf-origin-doctor -- checks --markdown > docs/findings.md`.

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

/// The README's IAM list names every action the code calls (template.yaml is checked against
/// the same list by tests/template.rs).
#[test]
fn readme_iam_list_names_every_action_the_code_calls() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("### IAM permissions").expect("README has an IAM permissions section");
    let section = &readme[start..];
    let section = &section[..section[4..].find("\n#").map_or(section.len(), |e| e + 4)];
    for action in cf_origin_doctor::inventory::AWS_ACTIONS {
        let (_, name) = action.split_once(':').unwrap();
        let listed = section.contains(&format!("`{name}`")) || section.contains(&format!("`{action}`"));
        assert!(listed, "README's IAM permissions section does not list {action}");
    }
}
