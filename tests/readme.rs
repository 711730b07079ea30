//! The README's rule table and `docs/rules.md` (where the language server links each finding)
//! are generated from the rule registry; this fails when they drift.
//! `LOCKSCAN_BLESS=1 cargo test --test readme` rewrites them.

#[test]
fn readme_rule_table_matches_the_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find("<!-- rules:start")
        .expect("README has a rules:start marker");
    let start = start + readme[start..].find('\n').unwrap() + 1;
    let end = readme
        .find("<!-- rules:end -->")
        .expect("README has a rules:end marker");
    let expected = lockscan::rules::markdown_table();
    if std::env::var_os("LOCKSCAN_BLESS").is_some() {
        let updated = format!("{}{}{}", &readme[..start], expected, &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        expected,
        "README's rule table is out of date: run `LOCKSCAN_BLESS=1 cargo test --test readme`"
    );
}

#[test]
fn docs_rules_page_matches_the_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    let expected = lockscan::rules::docs_page();
    if std::env::var_os("LOCKSCAN_BLESS").is_some() {
        std::fs::write(path, &expected).unwrap();
        return;
    }
    let page = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        page == expected,
        "docs/rules.md is out of date: run `LOCKSCAN_BLESS=1 cargo test --test readme`"
    );
    // Every rule has the section its links point at (`#rule_name`, GitHub's anchor for
    // `## rule_name`).
    for r in lockscan::rules::RULES {
        assert!(page.contains(&format!("\n## {}\n", r.name)), "{}", r.name);
    }
}
