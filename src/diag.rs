//! Diagnostics: what rules produce and renderers print.

use crate::span::Loc;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "note" => Severity::Note,
            "warning" | "warn" => Severity::Warning,
            "error" | "deny" => Severity::Error,
            _ => return None,
        })
    }
}

/// Another place involved in a finding.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Label {
    pub loc: Loc,
    pub message: String,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Applicability {
    /// Cannot change what the program does.
    Safe,
    /// Fixes the hazard but may change behaviour; applied only with `--unsafe-fixes`.
    Unsafe,
    /// Shown, never applied.
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display_only",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    pub loc: Loc,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    pub applicability: Applicability,
    /// What the fix does, as an instruction: "bind the guard to `_guard`".
    pub message: String,
    pub edits: Vec<Edit>,
}

/// A rule's name, as the registry has it. (An alias, so that serde does not take the field
/// for text borrowed from what it reads.)
pub type RuleName = &'static str;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The rule's name as the registry has it (stored by name, read back from the registry).
    #[serde(with = "crate::rules::by_name")]
    pub rule: RuleName,
    pub severity: Severity,
    /// The problem, in rustc's style: lowercase, no final period, code in backticks.
    pub message: String,
    pub primary: Loc,
    /// What the primary span shows.
    pub primary_label: String,
    pub labels: Vec<Label>,
    /// The fix, as an instruction.
    pub help: Option<String>,
    pub notes: Vec<String>,
    pub fix: Option<Fix>,
    /// The finding's identity across runs (see `crate::fingerprint`). Set by the driver once
    /// every finding of the run is known; empty before.
    pub fingerprint: String,
}

impl Diagnostic {
    pub fn new(
        rule: &'static str,
        severity: Severity,
        primary: Loc,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            rule,
            severity,
            message: message.into(),
            primary,
            primary_label: String::new(),
            labels: vec![],
            help: None,
            notes: vec![],
            fix: None,
            fingerprint: String::new(),
        }
    }

    pub fn primary_label(mut self, text: impl Into<String>) -> Self {
        self.primary_label = text.into();
        self
    }

    pub fn label(mut self, loc: Loc, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            loc,
            message: text.into(),
        });
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(text.into());
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Every place the diagnostic points at: primary first.
    pub fn locs(&self) -> impl Iterator<Item = Loc> + '_ {
        std::iter::once(self.primary).chain(self.labels.iter().map(|l| l.loc))
    }
}
