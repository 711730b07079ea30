//! Applying `// lockscan: allow(rule) -- reason` comments to a unit's findings, after the rules
//! have run: a finding is silenced when its primary span or one of its labels starts on a line
//! a suppression of its rule covers. What is left over is reported: rule names lockscan does
//! not know and malformed comments (`invalid_suppression`), and names that silenced nothing
//! (`unused_suppression`).

use crate::diag::{Applicability, Diagnostic, Edit, Fix};
use crate::facts::SuppressionFact;
use crate::rules::{self, INVALID_SUPPRESSION, UNUSED_SUPPRESSION};
use crate::span::{FileId, Loc, Span};
use rustc_hash::FxHashMap;

/// One file's suppression comments.
pub struct FileSuppressions {
    pub file: FileId,
    /// Unused and invalid suppressions are reported only in the files the user asked about.
    pub requested: bool,
    pub list: Vec<SuppressionFact>,
}

/// Removes the findings that a suppression covers and adds the diagnostics about the
/// suppressions themselves.
pub fn apply(diags: Vec<Diagnostic>, files: &[FileSuppressions]) -> Vec<Diagnostic> {
    if files.iter().all(|f| f.list.is_empty()) {
        return diags;
    }
    let by_file: FxHashMap<FileId, usize> =
        files.iter().enumerate().map(|(i, f)| (f.file, i)).collect();
    // used[file][suppression][name]
    let mut used: Vec<Vec<Vec<bool>>> = files
        .iter()
        .map(|f| f.list.iter().map(|s| vec![false; s.rules.len()]).collect())
        .collect();
    let mut kept = Vec::with_capacity(diags.len());
    for d in diags {
        let mut silenced = false;
        for loc in d.locs() {
            let Some(&fi) = by_file.get(&loc.file) else {
                continue;
            };
            let line = loc.span.lo.line;
            for (si, s) in files[fi].list.iter().enumerate() {
                if s.malformed.is_some() || line < s.covers.0 || line > s.covers.1 {
                    continue;
                }
                for (ni, (name, _)) in s.rules.iter().enumerate() {
                    if rules::canonical(name) == d.rule {
                        used[fi][si][ni] = true;
                        silenced = true;
                    }
                }
            }
        }
        if !silenced {
            kept.push(d);
        }
    }
    for (fi, f) in files.iter().enumerate() {
        if !f.requested {
            continue;
        }
        for (si, s) in f.list.iter().enumerate() {
            report(f.file, s, &used[fi][si], &mut kept);
        }
    }
    kept
}

fn loc(file: FileId, span: Span) -> Loc {
    Loc { file, span }
}

/// The diagnostics about one suppression comment.
fn report(file: FileId, s: &SuppressionFact, used: &[bool], out: &mut Vec<Diagnostic>) {
    let invalid = rules::rule(INVALID_SUPPRESSION).expect("invalid_suppression is registered");
    if let Some(why) = &s.malformed {
        out.push(
            Diagnostic::new(
                invalid.name,
                invalid.level,
                loc(file, s.span),
                format!("malformed suppression: {why}"),
            )
            .primary_label("this suppresses nothing")
            .help("write it as `// lockscan: allow(rule_name) -- reason`"),
        );
        return;
    }
    let known = |name: &str| rules::rule(name).is_some();
    for (name, span) in &s.rules {
        if known(name) {
            continue;
        }
        let mut d = Diagnostic::new(
            invalid.name,
            invalid.level,
            loc(file, *span),
            format!("unknown rule `{name}` in suppression"),
        )
        .primary_label("lockscan has no rule of this name");
        d = match rules::closest(name) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None => d.help("`lockscan --list-rules` lists the rules"),
        };
        out.push(d);
    }
    // A comment that lists `unused_suppression` is kept on purpose.
    if s.rules
        .iter()
        .any(|(n, _)| rules::canonical(n) == UNUSED_SUPPRESSION)
    {
        return;
    }
    let unused: Vec<usize> = (0..s.rules.len())
        .filter(|&i| !used[i] && known(&s.rules[i].0))
        .collect();
    let Some(&first) = unused.first() else {
        return;
    };
    let rule = rules::rule(UNUSED_SUPPRESSION).expect("unused_suppression is registered");
    let names: Vec<String> = unused
        .iter()
        .map(|&i| format!("`{}`", s.rules[i].0))
        .collect();
    let listed = match names.len() {
        1 => names[0].clone(),
        _ => format!(
            "{} or {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1]
        ),
    };
    let where_ = if s.covers.0 == s.covers.1 {
        format!("on line {}", s.covers.0)
    } else {
        format!("on lines {} to {}", s.covers.0, s.covers.1)
    };
    let mut d = Diagnostic::new(
        rule.name,
        rule.level,
        loc(file, s.rules[first].1),
        format!("unused suppression: no {listed} finding {where_}"),
    )
    .primary_label("silences nothing");
    for &i in &unused[1..] {
        d = d.label(loc(file, s.rules[i].1), "silences nothing either");
    }
    // The names that still do something stay; when none do, the comment goes.
    let keep: Vec<&str> = s
        .rules
        .iter()
        .enumerate()
        .filter(|(i, _)| !unused.contains(i))
        .map(|(_, (n, _))| &**n)
        .collect();
    let (message, edit) = if keep.is_empty() {
        (
            "remove the suppression".to_string(),
            Edit {
                loc: loc(file, s.removal),
                replacement: String::new(),
            },
        )
    } else {
        let list = Span {
            lo: s.rules[0].1.lo,
            hi: s.rules[s.rules.len() - 1].1.hi,
        };
        (
            format!("remove {listed} from the suppression"),
            Edit {
                loc: loc(file, list),
                replacement: keep.join(", "),
            },
        )
    };
    d = d.help(message.clone()).fix(Fix {
        applicability: Applicability::Safe,
        message,
        edits: vec![edit],
    });
    out.push(d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;
    use crate::span::Pos;

    fn span(line: u32, lo: u32, hi: u32) -> Span {
        Span {
            lo: Pos { line, col: lo },
            hi: Pos { line, col: hi },
        }
    }

    fn finding(rule: &'static str, line: u32) -> Diagnostic {
        Diagnostic::new(rule, Severity::Error, loc(FileId(0), span(line, 5, 9)), "m")
    }

    fn allow(names: &[&str], covers: (u32, u32)) -> SuppressionFact {
        SuppressionFact {
            span: span(covers.0 - 1, 1, 40),
            removal: Span {
                lo: Pos {
                    line: covers.0 - 1,
                    col: 1,
                },
                hi: Pos {
                    line: covers.0,
                    col: 1,
                },
            },
            trailing: false,
            covers,
            rules: names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    (
                        (*n).into(),
                        span(covers.0 - 1, 20 + 15 * i as u32, 30 + 15 * i as u32),
                    )
                })
                .collect(),
            reason: None,
            malformed: None,
        }
    }

    fn file(list: Vec<SuppressionFact>) -> Vec<FileSuppressions> {
        vec![FileSuppressions {
            file: FileId(0),
            requested: true,
            list,
        }]
    }

    #[test]
    fn a_covering_suppression_silences_its_rule_only() {
        let out = apply(
            vec![finding("double_lock", 5), finding("static_mut", 5)],
            &file(vec![allow(&["double_lock"], (5, 5))]),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "static_mut");
    }

    #[test]
    fn a_finding_outside_the_covered_lines_stays_and_the_suppression_is_unused() {
        let out = apply(
            vec![finding("double_lock", 7)],
            &file(vec![allow(&["double_lock"], (5, 6))]),
        );
        let rules: Vec<&str> = out.iter().map(|d| d.rule).collect();
        assert_eq!(rules, ["double_lock", "unused_suppression"]);
        assert_eq!(
            out[1].message,
            "unused suppression: no `double_lock` finding on lines 5 to 6"
        );
        let fix = out[1].fix.as_ref().unwrap();
        assert_eq!(fix.applicability, Applicability::Safe);
        assert_eq!(fix.edits[0].replacement, "");
    }

    #[test]
    fn a_partly_used_suppression_keeps_its_used_names() {
        let out = apply(
            vec![finding("double_lock", 5)],
            &file(vec![allow(&["double_lock", "static_mut"], (5, 5))]),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "unused_suppression");
        assert_eq!(
            out[0].fix.as_ref().unwrap().edits[0].replacement,
            "double_lock"
        );
    }

    #[test]
    fn unknown_names_are_invalid_not_unused_and_get_a_suggestion() {
        let out = apply(vec![], &file(vec![allow(&["double_locks"], (5, 5))]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "invalid_suppression");
        assert_eq!(out[0].message, "unknown rule `double_locks` in suppression");
        assert_eq!(out[0].help.as_deref(), Some("did you mean `double_lock`?"));
        let out = apply(vec![], &file(vec![allow(&["clippy::all"], (5, 5))]));
        assert_eq!(
            out[0].help.as_deref(),
            Some("`lockscan --list-rules` lists the rules")
        );
    }

    #[test]
    fn listing_unused_suppression_keeps_a_suppression_on_purpose() {
        let out = apply(
            vec![],
            &file(vec![allow(&["double_lock", "unused_suppression"], (5, 5))]),
        );
        assert!(out.is_empty());
    }

    #[test]
    fn malformed_comments_are_reported_and_suppress_nothing() {
        let mut s = allow(&[], (5, 5));
        s.malformed = Some("expected `(` after `allow`".into());
        let out = apply(vec![finding("double_lock", 5)], &file(vec![s]));
        let rules: Vec<&str> = out.iter().map(|d| d.rule).collect();
        assert_eq!(rules, ["double_lock", "invalid_suppression"]);
        assert_eq!(
            out[1].message,
            "malformed suppression: expected `(` after `allow`"
        );
    }

    #[test]
    fn suppressions_in_unrequested_files_are_applied_but_not_reported() {
        let mut files = file(vec![allow(&["static_mut"], (5, 5))]);
        files[0].requested = false;
        let out = apply(vec![finding("double_lock", 5)], &files);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "double_lock");
    }

    #[test]
    fn a_label_on_a_covered_line_counts() {
        let d = finding("guard_across_sleep", 3).label(loc(FileId(0), span(5, 1, 4)), "sleeps");
        let out = apply(vec![d], &file(vec![allow(&["guard_across_sleep"], (5, 5))]));
        assert!(out.is_empty());
    }
}
