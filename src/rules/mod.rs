//! The rule registry: every rule's name, default level, documentation and check, in one table
//! that drives the run, `--list-rules`, `--explain`, SARIF's rule list and the README.

mod atomic_check_then_store;
mod atomic_load_store_race;
mod condvar_wait_without_loop;
mod double_lock;
mod forgotten_guard;
mod guard_across_await;
mod guard_across_blocking;
mod guard_across_sleep;
mod invalid_suppression;
mod let_underscore_guard;
mod lock_order_inversion;
mod mutex_of_primitive;
mod parse_error;
mod rwlock_upgrade;
mod shared;
mod split_critical_section;
mod static_mut;
mod unordered_instance_locks;
mod unsafe_sync_impl;
mod unused_suppression;

use crate::diag::{Diagnostic, Severity};
use crate::index::model::Model;

pub use invalid_suppression::NAME as INVALID_SUPPRESSION;
pub use parse_error::NAME as PARSE_ERROR;
pub use unused_suppression::NAME as UNUSED_SUPPRESSION;

/// Which rules run unless configured otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// On by default: a rule whose findings hold up on code it was not tuned on.
    Default,
    /// Off unless named (`--select`, `--warn`, `--deny`, `[rules]`): a rule that finds real
    /// bugs but also, often enough, code that is fine (as clippy's `pedantic`).
    Pedantic,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Default => "default",
            Group::Pedantic => "pedantic",
        }
    }
}

/// Whether a rule's findings carry a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

pub struct Rule {
    pub name: &'static str,
    pub level: Severity,
    /// Whether it runs unless named.
    pub group: Group,
    /// One line, for tables.
    pub summary: &'static str,
    /// Markdown with the sections *What it does*, *Why is this bad*, *Known problems*,
    /// *Example*, *Use instead*.
    pub docs: &'static str,
    pub fix: FixAvailability,
    /// `None` for diagnostics the pipeline itself reports (`parse_error`).
    pub check: Option<fn(&Model, &mut Vec<Diagnostic>)>,
}

impl Rule {
    /// A rule the pipeline itself reports (`parse_error`, the suppression checks): a warning,
    /// on by default, with no check of its own.
    pub const fn pipeline(
        name: &'static str,
        summary: &'static str,
        docs: &'static str,
        fix: FixAvailability,
    ) -> Rule {
        Rule {
            name,
            level: Severity::Warning,
            group: Group::Default,
            summary,
            docs,
            fix,
            check: None,
        }
    }
}

pub static RULES: &[Rule] = &[
    lock_order_inversion::RULE,
    unordered_instance_locks::RULE,
    double_lock::RULE,
    rwlock_upgrade::RULE,
    guard_across_await::RULE,
    guard_across_sleep::RULE,
    guard_across_blocking::RULE,
    static_mut::RULE,
    condvar_wait_without_loop::RULE,
    atomic_load_store_race::RULE,
    atomic_check_then_store::RULE,
    split_critical_section::RULE,
    let_underscore_guard::RULE,
    forgotten_guard::RULE,
    unsafe_sync_impl::RULE,
    mutex_of_primitive::RULE,
    parse_error::RULE,
    unused_suppression::RULE,
    invalid_suppression::RULE,
];

/// The rule of this name, written in snake case (`double_lock`, as registered) or kebab case
/// (`double-lock`, as in ruff and in Cargo's `[lints]`).
pub fn rule(name: &str) -> Option<&'static Rule> {
    let name = canonical(name);
    RULES.iter().find(|r| r.name == name)
}

/// A rule's name stored by its text and read back as the registry's (`#[serde(with)]`): a
/// name the registry does not have is an error, so the entry holding it is not used.
pub mod by_name {
    pub fn serialize<S: serde::Serializer>(name: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = &'static str;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a rule's name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<&'static str, E> {
                super::rule(v)
                    .map(|r| r.name)
                    .ok_or_else(|| E::custom("no such rule"))
            }
        }
        d.deserialize_str(V)
    }
}

/// A rule name as registered: kebab case becomes snake case.
pub fn canonical(name: &str) -> std::borrow::Cow<'_, str> {
    if name.contains('-') {
        std::borrow::Cow::Owned(name.replace('-', "_"))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// The registered rule name closest to `name`, if it is close enough to be a typo (for "did
/// you mean").
pub fn closest(name: &str) -> Option<&'static str> {
    closest_of(&canonical(name), RULES.iter().map(|r| r.name))
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a typo: at
/// most 2 edits, or a fifth of the candidate's length.
pub fn closest_of<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|&(d, c)| d <= 2.max(c.len() / 5))
        .min()
        .map(|(_, c)| c)
}

/// " (did you mean `x`?)" when a rule is close to `name`, else nothing.
pub fn did_you_mean(name: &str) -> String {
    match closest(name) {
        Some(r) => format!(" (did you mean `{r}`?)"),
        None => String::new(),
    }
}

/// The rule table in Markdown, for the README (generated, never edited by hand).
pub fn markdown_table() -> String {
    let mut out = String::from("| rule | level | finds | fix |\n|---|---|---|---|\n");
    for r in RULES {
        let fix = match r.fix {
            FixAvailability::None => "",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "yes",
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.name,
            match r.group {
                Group::Default => r.level.as_str().to_string(),
                Group::Pedantic => format!("{} (opt-in)", r.level.as_str()),
            },
            r.summary.replace('|', "\\|"),
            fix
        ));
    }
    out
}

/// What `lockscan --explain` prints: the rule's name, level and summary, then its
/// documentation. The language server's hover shows it too.
pub fn explanation(r: &Rule) -> String {
    let fix = match r.fix {
        FixAvailability::None => "",
        FixAvailability::Sometimes => "; a fix is sometimes available",
        FixAvailability::Always => "; a fix is available",
    };
    let group = match r.group {
        Group::Default => "",
        Group::Pedantic => {
            " when turned on (opt-in: off unless `--select`, `--warn`, `--deny` or `[rules]` names it)"
        }
    };
    format!(
        "# {}\n\nDefault level: {}{group}{fix}. Finds {}.\n\n{}\n",
        r.name,
        r.level.as_str(),
        r.summary,
        r.docs.trim_end()
    )
}

/// `docs/rules.md`: the rule table, then every rule's [`explanation`], one section each
/// (`## rule_name`), which the language server links every finding to (`#rule_name`).
/// Generated, never edited by hand.
pub fn docs_page() -> String {
    let mut out = String::from(
        "# lockscan's rules\n\n\
         <!-- generated from the rule registry (src/rules/): `LOCKSCAN_BLESS=1 cargo test --test it readme` rewrites it -->\n\n\
         Each rule's documentation, as `lockscan --explain RULE` prints it.\n\n",
    );
    out.push_str(&markdown_table());
    for r in RULES {
        // One level down: a section of the page.
        out.push_str("\n#");
        out.push_str(&explanation(r));
    }
    out
}

/// Runs every rule on one unit.
pub fn run(model: &Model) -> Vec<Diagnostic> {
    let mut out = vec![];
    for r in RULES {
        if let Some(check) = r.check {
            check(model, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_docs_have_every_section() {
        for r in RULES {
            for section in [
                "### What it does",
                "### Why is this bad",
                "### Known problems",
                "### Example",
                "### Use instead",
            ] {
                assert!(
                    r.docs.contains(section),
                    "`{}` docs lack `{section}`",
                    r.name
                );
            }
            assert!(
                !r.summary.ends_with('.'),
                "`{}` summary ends with a period",
                r.name
            );
        }
    }

    #[test]
    fn names_are_unique_snake_case() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(
                r.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                r.name
            );
            assert!(
                RULES[i + 1..].iter().all(|o| o.name != r.name),
                "{}",
                r.name
            );
        }
    }
}
