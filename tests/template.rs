//! `template.yaml` grants the function exactly the AWS actions the code calls.

use std::collections::BTreeSet;

fn template_actions() -> BTreeSet<String> {
    let template = include_str!("../template.yaml");
    let mut in_action = false;
    let mut out = BTreeSet::new();
    for line in template.lines() {
        let t = line.trim();
        if t.starts_with("Action:") {
            in_action = true;
            continue;
        }
        if in_action {
            if let Some(item) = t.strip_prefix("- ") {
                if item.contains(':') && !item.contains(' ') {
                    out.insert(item.to_string());
                    continue;
                }
            }
            in_action = false;
        }
    }
    out
}

#[test]
fn template_grants_exactly_the_actions_the_code_calls() {
    let code: BTreeSet<String> = cf_origin_doctor::inventory::AWS_ACTIONS.iter().map(|s| s.to_string()).collect();
    let granted = template_actions();
    assert!(!granted.is_empty(), "no actions found in template.yaml");
    assert_eq!(granted, code, "template.yaml's IAM actions differ from inventory::AWS_ACTIONS");
    for action in &granted {
        let verb = action.split(':').nth(1).unwrap_or("");
        assert!(["Get", "List", "Describe"].iter().any(|p| verb.starts_with(p)), "{action} is not read-only");
    }
}
