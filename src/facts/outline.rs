//! Facts about a file's shape rather than its behaviour: where each item begins and ends, and
//! the `// lockscan: allow(..)` comments written in it. The pipeline uses them after the rules
//! have run, to apply suppressions and to name the item a finding sits in (for fingerprints).

use crate::intern::Sym;
use crate::span::Span;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemKind {
    Fn,
    Impl,
    Trait,
    Mod,
    Struct,
    Enum,
    Union,
    Static,
    Const,
    Type,
    Macro,
    Other,
}

/// One item, with its whole extent: from its first outer attribute (doc comments included) to
/// its closing brace or semicolon.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ItemExtent {
    pub kind: ItemKind,
    /// The item's name; for an `impl`, the type (`Counter`, or `Display for Counter`).
    pub name: Sym,
    pub span: Span,
    /// The item this one is written in (an `impl` for a method), by index in the outline.
    pub parent: Option<u32>,
}

/// A `// lockscan: allow(rule, …) -- reason` comment, as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionFact {
    /// The whole comment, from `//` to the end of the line.
    pub span: Span,
    /// What to delete to remove the comment: the whole line when the comment is alone on it,
    /// otherwise the comment and the blanks before it.
    pub removal: Span,
    /// Whether code precedes the comment on its line.
    pub trailing: bool,
    /// The lines it covers (inclusive): its own line when trailing; otherwise the next line
    /// that is not a comment, or the whole item that starts there.
    pub covers: (u32, u32),
    /// The rule names, each with its span.
    pub rules: Vec<(Box<str>, Span)>,
    /// The text after `--`, if any.
    pub reason: Option<Box<str>>,
    /// Why the comment could not be read as a suppression (it then suppresses nothing).
    pub malformed: Option<Box<str>>,
}
