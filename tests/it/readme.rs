//! The README's rule table and `docs/rules.md` (every rule's documentation, where the language
//! server links each finding) are generated from the rule registry; this fails when they
//! drift. `LOCKSCAN_BLESS=1 cargo test --test it readme` rewrites them.

use std::path::Path;

const BLESS: &str = "run `LOCKSCAN_BLESS=1 cargo test --test it readme`";

/// With `LOCKSCAN_BLESS` set, writes `text` to `path` and says so: there is nothing to check.
fn blessed(path: &Path, text: &str) -> bool {
    if std::env::var_os("LOCKSCAN_BLESS").is_none() {
        return false;
    }
    std::fs::write(path, text).unwrap();
    true
}

#[test]
fn readme_rule_table_matches_the_registry() {
    let path = crate::support::root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find("<!-- rules:start")
        .expect("README has a rules:start marker");
    let start = start + readme[start..].find('\n').unwrap() + 1;
    let end = readme
        .find("<!-- rules:end -->")
        .expect("README has a rules:end marker");
    let expected = lockscan::rules::markdown_table();
    let updated = format!("{}{}{}", &readme[..start], expected, &readme[end..]);
    if blessed(&path, &updated) {
        return;
    }
    assert_eq!(
        &readme[start..end],
        expected,
        "README's rule table is out of date: {BLESS}"
    );
}

#[test]
fn docs_rules_page_matches_the_registry() {
    let path = crate::support::root().join("docs/rules.md");
    let expected = lockscan::rules::docs_page();
    if blessed(&path, &expected) {
        return;
    }
    let page = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(page == expected, "docs/rules.md is out of date: {BLESS}");
    // Every rule has the section its links point at (`#rule_name`, GitHub's anchor for
    // `## rule_name`), with the documentation `--explain` prints.
    for r in lockscan::rules::RULES {
        let section = format!("\n#{}", lockscan::rules::explanation(r));
        assert!(page.contains(&section), "{}", r.name);
        assert!(page.contains(&format!("\n## {}\n", r.name)), "{}", r.name);
    }
}
