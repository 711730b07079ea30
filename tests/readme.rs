//! The README's rule table is generated from the rule registry; this fails when they drift.

#[test]
fn readme_rule_table_matches_the_registry() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("<!-- rules:start")
        .expect("README has a rules:start marker");
    let start = start + readme[start..].find('\n').unwrap() + 1;
    let end = readme
        .find("<!-- rules:end -->")
        .expect("README has a rules:end marker");
    let table = &readme[start..end];
    let expected = lockscan::rules::markdown_table();
    assert_eq!(
        table, expected,
        "README's rule table is out of date; replace it with:\n{expected}"
    );
}
