//! Baselines: today's findings, recorded so that only new ones are reported.
//!
//! ```json
//! {"version":1,"tool":"lockscan",
//!  "findings":[{"fingerprint":"…","rule":"double_lock","file":"src/lib.rs","message":"…"}]}
//! ```
//! Only `fingerprint` is used for matching (see `crate::fingerprint`); the other fields are
//! there for the people who review the file. Entries are sorted by file, rule and fingerprint,
//! so that re-recording an unchanged codebase gives the same file, whatever moved inside it.

use crate::diag::Diagnostic;
use crate::span::FileId;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const VERSION: u64 = 1;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    fingerprints: BTreeSet<String>,
}

impl Baseline {
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

#[derive(Debug)]
pub enum BaselineError {
    Read(PathBuf, std::io::Error),
    Json(PathBuf, serde_json::Error),
    Shape(PathBuf, String),
    Write(PathBuf, std::io::Error),
}

impl std::fmt::Display for BaselineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BaselineError::Read(p, e) => {
                write!(
                    f,
                    "cannot read baseline `{}`: {}",
                    p.display(),
                    io_reason(e)
                )
            }
            BaselineError::Json(p, e) => {
                write!(f, "baseline `{}` is not valid JSON: {e}", p.display())
            }
            BaselineError::Shape(p, why) => write!(
                f,
                "baseline `{}` is not a lockscan baseline: {why}",
                p.display()
            ),
            BaselineError::Write(p, e) => {
                write!(
                    f,
                    "cannot write baseline `{}`: {}",
                    p.display(),
                    io_reason(e)
                )
            }
        }
    }
}

impl std::error::Error for BaselineError {}

/// "No such file or directory (os error 2)" → "no such file or directory".
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s).to_string();
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
    let text = std::fs::read(path).map_err(|e| BaselineError::Read(path.to_path_buf(), e))?;
    parse(&text).map_err(|e| match e {
        ParseError::Json(e) => BaselineError::Json(path.to_path_buf(), e),
        ParseError::Shape(why) => BaselineError::Shape(path.to_path_buf(), why),
    })
}

enum ParseError {
    Json(serde_json::Error),
    Shape(String),
}

fn parse(bytes: &[u8]) -> Result<Baseline, ParseError> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(ParseError::Json)?;
    let shape = |s: &str| Err(ParseError::Shape(s.to_string()));
    let Some(obj) = v.as_object() else {
        return shape("expected a JSON object with `version` and `findings`");
    };
    match obj.get("version").map(|v| v.as_u64()) {
        Some(Some(VERSION)) => {}
        Some(Some(n)) => {
            return Err(ParseError::Shape(format!(
                "version {n} is not supported (this lockscan reads version {VERSION})"
            )));
        }
        Some(None) => return shape("`version` is not a number"),
        None => return shape("`version` is missing"),
    }
    let Some(findings) = obj.get("findings") else {
        return shape("`findings` is missing");
    };
    let Some(findings) = findings.as_array() else {
        return shape("`findings` is not an array");
    };
    let mut fingerprints = BTreeSet::new();
    for (i, f) in findings.iter().enumerate() {
        match f.get("fingerprint").and_then(|v| v.as_str()) {
            Some(fp) if !fp.is_empty() => {
                fingerprints.insert(fp.to_string());
            }
            _ => {
                return Err(ParseError::Shape(format!(
                    "`findings[{i}].fingerprint` is missing or not a non-empty string"
                )));
            }
        }
    }
    Ok(Baseline { fingerprints })
}

#[derive(serde::Serialize)]
struct Entry<'a> {
    fingerprint: &'a str,
    rule: &'a str,
    file: &'a str,
    message: &'a str,
}

#[derive(serde::Serialize)]
struct File<'a> {
    version: u64,
    tool: &'static str,
    findings: Vec<Entry<'a>>,
}

/// The baseline text for these findings; `display` gives a file's path as the user sees it.
pub fn to_json<'a>(diagnostics: &'a [Diagnostic], display: impl Fn(FileId) -> &'a str) -> String {
    let mut findings: Vec<Entry> = diagnostics
        .iter()
        .map(|d| Entry {
            fingerprint: &d.fingerprint,
            rule: d.rule,
            file: display(d.primary.file),
            message: &d.message,
        })
        .collect();
    findings.sort_by(|a, b| (a.file, a.rule, a.fingerprint).cmp(&(b.file, b.rule, b.fingerprint)));
    let doc = File {
        version: VERSION,
        tool: "lockscan",
        findings,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Writes the findings to `path` (the one file lockscan writes, where the user says).
pub fn write<'a>(
    diagnostics: &'a [Diagnostic],
    display: impl Fn(FileId) -> &'a str,
    path: &Path,
) -> Result<usize, BaselineError> {
    std::fs::write(path, to_json(diagnostics, display))
        .map_err(|e| BaselineError::Write(path.to_path_buf(), e))?;
    Ok(diagnostics.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(text: &str) -> String {
        match parse(text.as_bytes()) {
            Ok(_) => "ok".into(),
            Err(ParseError::Json(e)) => format!("json: {e}"),
            Err(ParseError::Shape(s)) => s,
        }
    }

    #[test]
    fn reads_fingerprints() {
        let b = parse(
            br#"{"version":1,"findings":[{"fingerprint":"ab"},{"fingerprint":"cd","rule":"x"}]}"#,
        )
        .ok()
        .unwrap();
        assert!(b.contains("ab") && b.contains("cd") && !b.contains("ef"));
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(
            why("{").starts_with("json: EOF while parsing"),
            "{}",
            why("{")
        );
        assert_eq!(
            why("[]"),
            "expected a JSON object with `version` and `findings`"
        );
        assert_eq!(why(r#"{"findings":[]}"#), "`version` is missing");
        assert_eq!(
            why(r#"{"version":2,"findings":[]}"#),
            "version 2 is not supported (this lockscan reads version 1)"
        );
        assert_eq!(why(r#"{"version":1}"#), "`findings` is missing");
        assert_eq!(
            why(r#"{"version":1,"findings":{}}"#),
            "`findings` is not an array"
        );
        assert_eq!(
            why(r#"{"version":1,"findings":[{"fingerprint":"a"},{"rule":"x"}]}"#),
            "`findings[1].fingerprint` is missing or not a non-empty string"
        );
        assert_eq!(why(r#"{"version":1,"findings":[]}"#), "ok");
    }
}
