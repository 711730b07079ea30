//! Source positions. Lines are 1-based; columns are 1-based and count characters, as rustc's do.

use serde::{Deserialize, Serialize};
/// A position in one source file.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A range in one source file (which file is known from context).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Span {
    pub lo: Pos,
    pub hi: Pos,
}

impl Span {
    /// `other` lies inside this span (or is it).
    pub fn contains(self, other: Span) -> bool {
        self.lo <= other.lo && other.hi <= self.hi
    }

    pub fn to(self, other: Span) -> Span {
        Span {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }
}

/// Index of a scanned file in the run's file table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FileId(pub u32);

/// A span in a known file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

/// Byte offset of a (line, char column) position in `text`, clamped to the text.
pub fn byte_offset(text: &str, pos: Pos) -> usize {
    let mut line = 1u32;
    let mut line_start = 0usize;
    if pos.line > 1 {
        let mut found = false;
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line += 1;
                if line == pos.line {
                    line_start = i + 1;
                    found = true;
                    break;
                }
            }
        }
        if !found {
            return text.len();
        }
    }
    let rest = &text[line_start..];
    let col = pos.col.saturating_sub(1) as usize;
    match rest.char_indices().nth(col) {
        Some((i, _)) => line_start + i,
        None => text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_offsets_count_characters() {
        let text = "fn a() {}\nlet é = 1;\n";
        assert_eq!(byte_offset(text, Pos { line: 1, col: 1 }), 0);
        assert_eq!(byte_offset(text, Pos { line: 2, col: 5 }), 14);
        assert_eq!(byte_offset(text, Pos { line: 2, col: 6 }), 16);
        assert_eq!(byte_offset(text, Pos { line: 9, col: 1 }), text.len());
    }
}
