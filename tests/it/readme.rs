//! The README's rule table is generated from the rule registry; this fails when they drift.
//! `LOCKSCAN_BLESS=1 cargo test --test it readme` rewrites the table.

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
    if std::env::var_os("LOCKSCAN_BLESS").is_some() {
        let updated = format!("{}{}{}", &readme[..start], expected, &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        expected,
        "README's rule table is out of date: run `LOCKSCAN_BLESS=1 cargo test --test it readme`"
    );
}
