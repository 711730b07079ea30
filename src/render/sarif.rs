//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning ingests it.
//!
//! One run; the tool's `rules` come from the rule registry (so they list every rule, with its
//! documentation as help); each result has its rule, level, message, primary location, the
//! other involved spans as `relatedLocations` (linked from the message), a
//! `partialFingerprints` entry (see `crate::fingerprint`) and the fix, when there is one (its
//! edits as replacements, its applicability in the fix's properties).
//!
//! SARIF's conventions differ from rustc's in two places, handled here: messages are
//! sentences (capitalized, ending with a period), and columns count Unicode code points
//! (`columnKind`), as lockscan's do. A region's `endColumn` is exclusive in both.

use crate::diag::{Diagnostic, Fix, Severity};
use crate::driver::Report;
use crate::rules::{self, FixAvailability, RULES};
use crate::span::Loc;
use serde_json::{Value, json};
use std::io::{self, Write};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key under which lockscan's fingerprint goes in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "lockscanFingerprint/v1";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `double_lock` → `DoubleLock`: SARIF's friendly rule names are Pascal case.
fn pascal(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A rustc-style message as a SARIF sentence: capitalized, ending with a period.
pub fn sentence(s: &str) -> String {
    let s = s.trim();
    let mut c = s.chars();
    let mut out = match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => return String::new(),
    };
    if !matches!(out.chars().last(), Some('.' | '?' | '!')) {
        out.push('.');
    }
    out
}

/// Percent-encodes a path for a URI reference, keeping `/` and the unreserved characters.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let absolute = path.starts_with('/');
    if absolute {
        out.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The "What it does" section of a rule's docs, as one paragraph.
fn what_it_does(docs: &str) -> String {
    let body = docs
        .split("### What it does")
        .nth(1)
        .and_then(|rest| rest.split("\n### ").next())
        .unwrap_or(docs);
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn rule_object(r: &rules::Rule) -> Value {
    let help_text = format!("{}\n\n{}", sentence(r.summary), r.docs.trim_end());
    json!({
        "id": r.name,
        "name": pascal(r.name),
        "shortDescription": {"text": sentence(r.summary)},
        "fullDescription": {"text": sentence(&what_it_does(r.docs))},
        "help": {
            "text": help_text,
            "markdown": format!("**{}**: {}\n\n{}", r.name, sentence(r.summary), r.docs.trim_end()),
        },
        "helpUri": format!("{}#rules", env!("CARGO_PKG_HOMEPAGE")),
        "defaultConfiguration": {
            "level": level(r.level),
            "enabled": r.group == crate::rules::Group::Default,
        },
        "properties": {
            "tags": ["concurrency"],
            "fixable": r.fix != FixAvailability::None,
        },
    })
}

/// A span as a SARIF text region. Lines and columns are at least 1, and the end never comes
/// before the start; an empty span is an insertion point (`endColumn == startColumn`).
fn region(loc: Loc) -> Value {
    let s = loc.span;
    let (start_line, start_col) = (s.lo.line.max(1), s.lo.col.max(1));
    let end_line = s.hi.line.max(start_line);
    let end_col = if end_line == start_line {
        s.hi.col.max(start_col)
    } else {
        s.hi.col.max(1)
    };
    json!({
        "startLine": start_line,
        "startColumn": start_col,
        "endLine": end_line,
        "endColumn": end_col,
    })
}

fn physical(report: &Report, loc: Loc) -> Value {
    json!({
        "artifactLocation": {"uri": uri(report.display_path(loc.file))},
        "region": region(loc),
    })
}

/// Escapes text for the inside of a SARIF message link (`[text](id)`).
fn link_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

/// A fix as SARIF's `fix`: per file, the edits as replacements (`deletedRegion`, empty for an
/// insertion, and `insertedContent`, left out for a deletion), in the order the rule gave them.
/// SARIF has no applicability; it goes in the fix's properties. A fix with no edits has no
/// SARIF form (`artifactChanges` may not be empty).
fn fix(report: &Report, f: &Fix) -> Option<Value> {
    let mut files: Vec<(crate::span::FileId, Vec<Value>)> = vec![];
    for e in &f.edits {
        let mut replacement = json!({"deletedRegion": region(e.loc)});
        if !e.replacement.is_empty() {
            replacement["insertedContent"] = json!({"text": e.replacement});
        }
        match files.iter_mut().find(|(id, _)| *id == e.loc.file) {
            Some((_, v)) => v.push(replacement),
            None => files.push((e.loc.file, vec![replacement])),
        }
    }
    if files.is_empty() {
        return None;
    }
    Some(json!({
        "description": {"text": sentence(&f.message)},
        "artifactChanges": files
            .into_iter()
            .map(|(file, replacements)| json!({
                "artifactLocation": {"uri": uri(report.display_path(file))},
                "replacements": replacements,
            }))
            .collect::<Vec<_>>(),
        "properties": {"applicability": f.applicability.as_str()},
    }))
}

fn result(report: &Report, d: &Diagnostic) -> Value {
    let index = RULES.iter().position(|r| r.name == d.rule);
    // The message: the problem, the fix, and a link to each other place involved.
    let mut text = sentence(&d.message);
    if let Some(h) = &d.help {
        text.push_str(&format!(" Help: {}", sentence(h)));
    }
    for n in &d.notes {
        text.push_str(&format!(" Note: {}", sentence(n)));
    }
    let mut related = vec![];
    for (i, l) in d.labels.iter().enumerate() {
        let id = i + 1;
        let label = if l.message.is_empty() {
            "also involved".to_string()
        } else {
            l.message.clone()
        };
        text.push_str(&format!(" See [{}]({id}).", link_text(&label)));
        related.push(json!({
            "id": id,
            "physicalLocation": physical(report, l.loc),
            "message": {"text": sentence(&label)},
        }));
    }
    let mut primary = json!({"physicalLocation": physical(report, d.primary)});
    if !d.primary_label.is_empty() {
        primary["message"] = json!({"text": sentence(&d.primary_label)});
    }
    let mut r = json!({
        "ruleId": d.rule,
        "level": level(d.severity),
        "message": {"text": text},
        "locations": [primary],
        "partialFingerprints": {FINGERPRINT_KEY: d.fingerprint},
    });
    if let Some(i) = index {
        r["ruleIndex"] = json!(i);
    }
    if !related.is_empty() {
        r["relatedLocations"] = json!(related);
    }
    if let Some(f) = d.fix.as_ref().and_then(|f| fix(report, f)) {
        r["fixes"] = json!([f]);
    }
    r
}

pub fn document(report: &Report) -> Value {
    let version = env!("CARGO_PKG_VERSION");
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "lockscan",
                "version": version,
                "semanticVersion": version,
                "informationUri": env!("CARGO_PKG_HOMEPAGE"),
                "rules": RULES.iter().map(rule_object).collect::<Vec<_>>(),
            }},
            "invocations": [{"executionSuccessful": true}],
            "columnKind": "unicodeCodePoints",
            "results": report.diagnostics.iter().map(|d| result(report, d)).collect::<Vec<_>>(),
        }],
    })
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // `From` keeps an I/O error as it was: a broken pipe stays one.
    serde_json::to_writer_pretty(&mut *out, &document(report)).map_err(io::Error::from)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{FileId, Pos, Span};

    fn loc(lo: (u32, u32), hi: (u32, u32)) -> Loc {
        let pos = |(line, col)| Pos { line, col };
        Loc {
            file: FileId(0),
            span: Span {
                lo: pos(lo),
                hi: pos(hi),
            },
        }
    }

    #[test]
    fn regions_are_never_out_of_range() {
        let r = |lo, hi| {
            let v = region(loc(lo, hi));
            [
                v["startLine"].as_u64().unwrap(),
                v["startColumn"].as_u64().unwrap(),
                v["endLine"].as_u64().unwrap(),
                v["endColumn"].as_u64().unwrap(),
            ]
        };
        // An insertion point, a whole line with its newline, and spans that cannot be.
        assert_eq!(r((3, 5), (3, 5)), [3, 5, 3, 5]);
        assert_eq!(r((3, 1), (4, 1)), [3, 1, 4, 1]);
        assert_eq!(r((0, 0), (0, 0)), [1, 1, 1, 1]);
        assert_eq!(r((5, 9), (5, 2)), [5, 9, 5, 9]);
        assert_eq!(r((5, 9), (2, 0)), [5, 9, 5, 9]);
        assert_eq!(r((5, 9), (6, 0)), [5, 9, 6, 1]);
    }

    #[test]
    fn helpers() {
        assert_eq!(pascal("guard_across_await"), "GuardAcrossAwait");
        assert_eq!(sentence("`x` is locked"), "`x` is locked.");
        assert_eq!(sentence("did you mean `y`?"), "Did you mean `y`?");
        assert_eq!(uri("src/a b%#.rs"), "src/a%20b%25%23.rs");
        assert_eq!(uri("/abs/é.rs"), "file:///abs/%C3%A9.rs");
        assert_eq!(link_text("a [b] \\c"), "a \\[b\\] \\\\c");
    }

    #[test]
    fn full_descriptions_come_from_what_it_does() {
        for r in RULES {
            let d = what_it_does(r.docs);
            assert!(!d.is_empty() && !d.contains("###"), "{}: {d}", r.name);
        }
    }
}
