//! lockscan's findings in the protocol's terms: a [`Diagnostic`] becomes an LSP diagnostic
//! (the rule as its code, linked to the rule's documentation; the other places as related
//! information), its fix a quick-fix code action, its rule's documentation a hover.
//!
//! Positions are converted with the text that was analysed: a document's unsaved text, or the
//! file on disk.

use super::documents::{Encoding, LineIndex, path_to_uri};
use crate::diag::{Applicability, Diagnostic, Severity};
use crate::driver::{Overlays, UnitReport};
use crate::span::{FileId, Loc};
use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, Range, Uri,
};
use rustc_hash::FxHashMap;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Where each rule's documentation is published (`docs/rules.md`, generated from the registry).
pub const DOCS_URL: &str = "https://github.com/lockscan/lockscan/blob/main/docs/rules.md";

/// What the client can show, from its capabilities.
#[derive(Clone, Copy, Debug)]
pub struct ClientCaps {
    pub encoding: Encoding,
    /// Related information is shown; without it the other places go into the message.
    pub related_information: bool,
    /// Workspace edits may carry document versions (`documentChanges`).
    pub document_changes: bool,
    /// Hovers may be Markdown.
    pub markdown: bool,
}

impl Default for ClientCaps {
    fn default() -> Self {
        ClientCaps {
            encoding: Encoding::Utf16,
            related_information: true,
            document_changes: false,
            markdown: true,
        }
    }
}

/// One file's findings, ready to publish.
#[derive(Clone, Debug, PartialEq)]
pub struct FileFindings {
    pub path: PathBuf,
    pub uri: Uri,
    /// The version of the open document analysed; `None` for a file read from disk.
    pub version: Option<i32>,
    pub diagnostics: Vec<lsp_types::Diagnostic>,
}

/// The texts, URIs and versions an analysis saw.
pub struct Snapshot {
    pub overlays: Arc<Overlays>,
    /// Open documents: the URI the client uses and the version analysed.
    pub open: Arc<FxHashMap<PathBuf, (Uri, i32)>>,
}

impl Snapshot {
    fn uri(&self, path: &Path) -> Option<Uri> {
        match self.open.get(path) {
            Some((uri, _)) => Some(uri.clone()),
            None => path_to_uri(path),
        }
    }

    /// The text positions refer to: after a byte-order mark, as lockscan counts.
    fn text(&self, path: &Path) -> Option<Arc<str>> {
        if let Some(t) = self.overlays.get(path) {
            return Some(match t.strip_prefix('\u{feff}') {
                Some(rest) => Arc::from(rest),
                None => t.clone(),
            });
        }
        let bytes = std::fs::read(path).ok()?;
        let text = String::from_utf8_lossy(&bytes);
        Some(Arc::from(crate::parse::strip_bom(&text)))
    }
}

/// Every file of the unit with findings, its findings converted; files without findings are
/// left out. Diagnostics stay in the report's order (file, line, column, rule).
pub fn unit_findings(
    report: &UnitReport,
    snapshot: &Snapshot,
    caps: ClientCaps,
) -> Vec<FileFindings> {
    // The text of every file a finding points into, read once.
    let mut referenced: Vec<FileId> = report
        .diagnostics
        .iter()
        .flat_map(|d| {
            d.locs()
                .chain(d.fix.iter().flat_map(|f| f.edits.iter().map(|e| e.loc)))
                .map(|l| l.file)
                .collect::<Vec<_>>()
        })
        .collect();
    referenced.sort();
    referenced.dedup();
    let texts: Vec<(FileId, Option<Arc<str>>)> = referenced
        .iter()
        .map(|&f| (f, snapshot.text(&report.project.files[f.0 as usize].path)))
        .collect();
    let indices: FxHashMap<FileId, LineIndex<'_>> = texts
        .iter()
        .filter_map(|(f, t)| Some((*f, LineIndex::new(t.as_deref()?))))
        .collect();
    let cx = Cx {
        report,
        snapshot,
        caps,
        indices,
    };
    // Per file, in the report's order of files; each file's diagnostics by position.
    let mut out: Vec<FileFindings> = vec![];
    let mut add = |cx: &Cx<'_>, file: FileId, d: lsp_types::Diagnostic| {
        let path = cx.path(file);
        let at = match out.iter().position(|f| f.path == path) {
            Some(i) => i,
            None => {
                let Some(uri) = snapshot.uri(path) else {
                    return;
                };
                out.push(FileFindings {
                    path: path.to_path_buf(),
                    uri,
                    version: snapshot.open.get(path).map(|(_, v)| *v),
                    diagnostics: vec![],
                });
                out.len() - 1
            }
        };
        out[at].diagnostics.push(d);
    };
    for d in &report.diagnostics {
        add(&cx, d.primary.file, cx.diagnostic(d));
        // The places in other files (the other half of a lock-order cycle) show there too,
        // as hints pointing back at the finding.
        let mut seen: Vec<Loc> = vec![];
        for l in &d.labels {
            if l.loc.file != d.primary.file && !seen.contains(&l.loc) {
                seen.push(l.loc);
                add(&cx, l.loc.file, cx.hint(d, l));
            }
        }
    }
    for f in &mut out {
        f.diagnostics
            .sort_by_key(|d| (d.range.start.line, d.range.start.character));
    }
    out
}

struct Cx<'a> {
    report: &'a UnitReport,
    snapshot: &'a Snapshot,
    caps: ClientCaps,
    indices: FxHashMap<FileId, LineIndex<'a>>,
}

impl Cx<'_> {
    fn path(&self, f: FileId) -> &Path {
        &self.report.project.files[f.0 as usize].path
    }

    fn range(&self, loc: Loc) -> Range {
        match self.indices.get(&loc.file) {
            Some(index) => index.range(loc.span, self.caps.encoding),
            // Unreadable now: characters are the best guess.
            None => {
                let p = |p: crate::span::Pos| {
                    lsp_types::Position::new(p.line.saturating_sub(1), p.col.saturating_sub(1))
                };
                Range::new(p(loc.span.lo), p(loc.span.hi))
            }
        }
    }

    fn location(&self, loc: Loc) -> Option<Location> {
        Some(Location::new(
            self.snapshot.uri(self.path(loc.file))?,
            self.range(loc),
        ))
    }

    fn diagnostic(&self, d: &Diagnostic) -> lsp_types::Diagnostic {
        let mut related = vec![];
        if !d.primary_label.is_empty() {
            related.extend(
                self.location(d.primary)
                    .map(|location| DiagnosticRelatedInformation {
                        location,
                        message: d.primary_label.clone(),
                    }),
            );
        }
        for l in &d.labels {
            related.extend(
                self.location(l.loc)
                    .map(|location| DiagnosticRelatedInformation {
                        location,
                        message: l.message.clone(),
                    }),
            );
        }
        let mut message = d.message.clone();
        if !self.caps.related_information {
            for l in &d.labels {
                let shown = &self.report.project.files[l.loc.file.0 as usize].display;
                let at = l.loc.span.lo;
                message.push_str(&format!("\n{shown}:{}:{}: {}", at.line, at.col, l.message));
            }
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        for note in &d.notes {
            message.push_str(&format!("\nnote: {note}"));
        }
        let fix = d.fix.as_ref().and_then(|f| {
            if f.applicability == Applicability::DisplayOnly {
                return None;
            }
            Some(json!({
                "title": fix_title(&f.message, f.applicability),
                "applicability": f.applicability.as_str(),
                "edit": self.workspace_edit(&f.edits)?,
            }))
        });
        lsp_types::Diagnostic {
            range: self.range(d.primary),
            severity: Some(severity(d.severity)),
            code: Some(NumberOrString::String(d.rule.to_string())),
            code_description: docs_url(d.rule).map(|href| CodeDescription { href }),
            source: Some("lockscan".into()),
            message,
            related_information: (self.caps.related_information && !related.is_empty())
                .then_some(related),
            tags: (d.rule == crate::rules::UNUSED_SUPPRESSION)
                .then(|| vec![DiagnosticTag::UNNECESSARY]),
            data: Some(json!({ "rule": d.rule, "fix": fix })),
        }
    }

    /// A place of `d` in another file than its own, as a hint there.
    fn hint(&self, d: &Diagnostic, label: &crate::diag::Label) -> lsp_types::Diagnostic {
        let shown = &self.report.project.files[d.primary.file.0 as usize].display;
        let at = d.primary.span.lo;
        let mut message = label.message.clone();
        message.push_str(&format!(
            "\nnote: part of this finding at {shown}:{}:{}: {}",
            at.line, at.col, d.message
        ));
        lsp_types::Diagnostic {
            range: self.range(label.loc),
            severity: Some(DiagnosticSeverity::HINT),
            code: Some(NumberOrString::String(d.rule.to_string())),
            code_description: docs_url(d.rule).map(|href| CodeDescription { href }),
            source: Some("lockscan".into()),
            message,
            related_information: self
                .caps
                .related_information
                .then(|| {
                    self.location(d.primary).map(|location| {
                        vec![DiagnosticRelatedInformation {
                            location,
                            message: d.message.clone(),
                        }]
                    })
                })
                .flatten(),
            tags: None,
            data: Some(json!({ "rule": d.rule, "fix": null })),
        }
    }

    /// A fix's edits as a workspace edit (JSON, with files in a stable order); `None` when two
    /// of its edits in one file overlap, which the protocol does not allow.
    fn workspace_edit(&self, edits: &[crate::diag::Edit]) -> Option<Value> {
        let mut by_file: BTreeMap<&Path, Vec<(Loc, &str)>> = BTreeMap::new();
        for e in edits {
            let list = by_file.entry(self.path(e.loc.file)).or_default();
            // The fix engine makes identical edits once; so must the client.
            if !list.iter().any(|(l, r)| *l == e.loc && *r == e.replacement) {
                list.push((e.loc, &e.replacement));
            }
        }
        let mut files = vec![];
        for (path, list) in by_file {
            for (i, (a, _)) in list.iter().enumerate() {
                let overlaps = list[i + 1..]
                    .iter()
                    .any(|(b, _)| a.span.lo < b.span.hi && b.span.lo < a.span.hi);
                if overlaps {
                    return None;
                }
            }
            let uri = self.snapshot.uri(path)?;
            let text_edits: Vec<Value> = list
                .iter()
                .map(|(loc, text)| json!({ "range": self.range(*loc), "newText": text }))
                .collect();
            files.push((
                uri,
                self.snapshot.open.get(path).map(|(_, v)| *v),
                text_edits,
            ));
        }
        Some(if self.caps.document_changes {
            let changes: Vec<Value> = files
                .into_iter()
                .map(|(uri, version, edits)| {
                    json!({ "textDocument": { "uri": uri, "version": version }, "edits": edits })
                })
                .collect();
            json!({ "documentChanges": changes })
        } else {
            let changes: serde_json::Map<String, Value> = files
                .into_iter()
                .map(|(uri, _, edits)| (uri.as_str().to_string(), Value::Array(edits)))
                .collect();
            json!({ "changes": changes })
        })
    }
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    }
}

/// The documentation of a rule, as a link.
pub fn docs_url(rule: &str) -> Option<Uri> {
    Uri::from_str(&format!("{DOCS_URL}#{rule}")).ok()
}

/// "Bind the guard to `_guard`", and " (unsafe)" for a fix that may change behaviour.
fn fix_title(message: &str, applicability: Applicability) -> String {
    let mut chars = message.chars();
    let mut title: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Apply lockscan's fix".into(),
    };
    if applicability == Applicability::Unsafe {
        title.push_str(" (unsafe)");
    }
    title
}

/// The quick-fix code action a published diagnostic carries (in its `data`), if any.
pub fn code_action(d: &lsp_types::Diagnostic) -> Option<Value> {
    let fix = d.data.as_ref()?.get("fix")?;
    let edit = fix.get("edit")?;
    let title = fix.get("title")?.as_str()?;
    let safe = fix.get("applicability").and_then(Value::as_str) == Some("safe");
    Some(json!({
        "title": title,
        "kind": "quickfix",
        "diagnostics": [d],
        "isPreferred": safe,
        "edit": edit,
    }))
}

/// The hover text of a finding: its message, then its rule's documentation.
pub fn hover_text(d: &lsp_types::Diagnostic) -> Option<String> {
    let rule = d.data.as_ref()?.get("rule")?.as_str()?;
    let r = crate::rules::rule(rule)?;
    Some(format!(
        "**lockscan** `{}`: {}\n\n---\n\n{}",
        r.name,
        d.message.replace('\n', "  \n"),
        crate::rules::explanation(r)
    ))
}

/// Is `pos` inside `range` (its end included, as a cursor just after a word is on it)?
pub fn contains(range: &Range, pos: lsp_types::Position) -> bool {
    let key = |p: lsp_types::Position| (p.line, p.character);
    key(range.start) <= key(pos) && key(pos) <= key(range.end)
}

/// Is a finding on `finding` one a code-action request for `asked` is about? A selection must
/// meet the finding; a cursor (an empty range) anywhere on its lines will do, as editors
/// offer the fixes of a line.
pub fn applies_to(finding: &Range, asked: &Range) -> bool {
    if asked.start == asked.end {
        let line = asked.start.line;
        return finding.start.line <= line && line <= finding.end.line;
    }
    let key = |p: lsp_types::Position| (p.line, p.character);
    key(finding.start) <= key(asked.end) && key(asked.start) <= key(finding.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;

    #[test]
    fn titles_say_what_the_fix_does() {
        assert_eq!(
            fix_title("bind the guard to `_guard`", Applicability::Safe),
            "Bind the guard to `_guard`"
        );
        assert_eq!(
            fix_title("make `COUNT` an `AtomicU64`", Applicability::Unsafe),
            "Make `COUNT` an `AtomicU64` (unsafe)"
        );
    }

    #[test]
    fn a_cursor_on_the_line_or_a_selection_that_meets_it() {
        let r = |l1, c1, l2, c2| Range::new(Position::new(l1, c1), Position::new(l2, c2));
        let finding = r(3, 4, 3, 20);
        assert!(applies_to(&finding, &r(3, 0, 3, 0)));
        assert!(applies_to(&finding, &r(3, 99, 3, 99)));
        assert!(!applies_to(&finding, &r(2, 5, 2, 5)));
        assert!(applies_to(&finding, &r(1, 0, 3, 4)));
        assert!(!applies_to(&finding, &r(3, 21, 3, 30)));
        assert!(contains(&finding, Position::new(3, 20)));
        assert!(!contains(&finding, Position::new(3, 3)));
    }

    #[test]
    fn every_rule_has_a_docs_link() {
        for r in crate::rules::RULES {
            let url = docs_url(r.name).unwrap();
            assert!(url.as_str().ends_with(&format!("rules.md#{}", r.name)));
        }
    }
}
