//! The documents the editor has open, with their unsaved text (the overlays analysis reads in
//! place of the disk), and the conversions between the protocol's positions and text:
//! file URIs and paths, and columns in UTF-8, UTF-16 or UTF-32 code units.
//!
//! Lines end at `\n` (a `\r` before it belongs to the line ending), as lockscan and the parser
//! count them; a lone `\r`, which the protocol would also take for a line ending, is not one
//! here.

use crate::driver::Overlays;
use lsp_types::{Position, Range, Uri};
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// How the protocol's `character` counts: negotiated at `initialize` (UTF-16 unless the client
/// offers another).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
            Encoding::Utf32 => "utf-32",
        }
    }

    /// The one to use of those a client offers: UTF-8 (lockscan's own), then UTF-32 (no
    /// surrogates), else the protocol's default.
    pub fn choose<'a>(offered: impl IntoIterator<Item = &'a str>) -> Encoding {
        let offered: Vec<&str> = offered.into_iter().collect();
        if offered.contains(&"utf-8") {
            Encoding::Utf8
        } else if offered.contains(&"utf-32") {
            Encoding::Utf32
        } else {
            Encoding::Utf16
        }
    }

    fn units(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }
}

/// Where each line of a text starts, to convert positions without rescanning the text.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// Line `line` (0-based) without its line ending; empty past the end.
    fn line(&self, line: usize) -> &'t str {
        let Some(&start) = self.starts.get(line) else {
            return "";
        };
        let end = self
            .starts
            .get(line + 1)
            .map(|&e| e - 1)
            .unwrap_or(self.text.len());
        let l = &self.text[start..end];
        l.strip_suffix('\r').unwrap_or(l)
    }

    /// The protocol position of lockscan's (1-based line, 1-based character column), clamped
    /// to the text.
    pub fn position(&self, line: u32, col: u32, enc: Encoding) -> Position {
        let l = line.saturating_sub(1) as usize;
        if l >= self.starts.len() {
            let last = self.starts.len() - 1;
            let units = self.line(last).chars().map(|c| enc.units(c)).sum();
            return Position::new(last as u32, units);
        }
        let units = self
            .line(l)
            .chars()
            .take(col.saturating_sub(1) as usize)
            .map(|c| enc.units(c))
            .sum();
        Position::new(l as u32, units)
    }

    /// A lockscan span as a protocol range.
    pub fn range(&self, span: crate::span::Span, enc: Encoding) -> Range {
        Range::new(
            self.position(span.lo.line, span.lo.col, enc),
            self.position(span.hi.line, span.hi.col, enc),
        )
    }

    /// The byte offset of a protocol position. A character past the end of its line means the
    /// end of the line, a line past the end of the text the end of the text (as the protocol
    /// says); a position inside a character (half of a surrogate pair) is the character's start.
    pub fn offset(&self, pos: Position, enc: Encoding) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return self.text.len();
        };
        let line = self.line(pos.line as usize);
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            let next = units + enc.units(c);
            if next > pos.character {
                return start + i;
            }
            units = next;
        }
        start + line.len()
    }
}

/// An open document.
pub struct Document {
    /// As the client spells it: diagnostics for this file are published under it.
    pub uri: Uri,
    pub version: i32,
    /// Shared with the analyses that read it.
    pub text: Arc<str>,
}

/// The open documents, by path.
#[derive(Default)]
pub struct Documents {
    docs: FxHashMap<PathBuf, Document>,
    /// Counts changes: every open, edit and close takes the next number.
    generation: u64,
    /// The generation of the last open, edit or close of each file.
    touched: FxHashMap<PathBuf, u64>,
}

impl Documents {
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// A new generation, for a change that is not to a document (the configuration).
    pub fn bump(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    pub fn open(&mut self, path: PathBuf, uri: Uri, version: i32, text: String) {
        let generation = self.bump();
        self.touched.insert(path.clone(), generation);
        let text = Arc::from(text);
        self.docs.insert(path, Document { uri, version, text });
    }

    pub fn close(&mut self, path: &Path) -> Option<Document> {
        let generation = self.bump();
        self.touched.insert(path.to_path_buf(), generation);
        self.docs.remove(path)
    }

    /// Was `path` opened, edited or closed after `generation`?
    pub fn touched_after(&self, path: &Path, generation: u64) -> bool {
        self.touched.get(path).is_some_and(|&g| g > generation)
    }

    pub fn get(&self, path: &Path) -> Option<&Document> {
        self.docs.get(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.docs.keys()
    }

    /// Applies the client's changes, in order: a change with a range replaces that range, one
    /// without replaces the whole text. `false` when the document is not open.
    pub fn change(
        &mut self,
        path: &Path,
        version: i32,
        changes: Vec<lsp_types::TextDocumentContentChangeEvent>,
        enc: Encoding,
    ) -> bool {
        let Some(doc) = self.docs.get_mut(path) else {
            return false;
        };
        let mut text = String::from(&*doc.text);
        for change in changes {
            match change.range {
                None => text = change.text,
                Some(range) => {
                    let index = LineIndex::new(&text);
                    let lo = index.offset(range.start, enc);
                    let hi = index.offset(range.end, enc).max(lo);
                    text.replace_range(lo..hi, &change.text);
                }
            }
        }
        doc.text = Arc::from(text);
        doc.version = version;
        let generation = self.bump();
        self.touched.insert(path.to_path_buf(), generation);
        true
    }

    /// The text of every open document, for an analysis.
    pub fn overlays(&self) -> Overlays {
        self.docs
            .iter()
            .map(|(p, d)| (p.clone(), d.text.clone()))
            .collect()
    }

    /// The URI and version of every open document, for an analysis.
    pub fn versions(&self) -> FxHashMap<PathBuf, (Uri, i32)> {
        self.docs
            .iter()
            .map(|(p, d)| (p.clone(), (d.uri.clone(), d.version)))
            .collect()
    }
}

/// The path of a `file:` URI (percent-decoded, normalized); `None` for any other scheme.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("file://"))
        .map(|_| &s[7..])?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    // An authority, if any, is the local host.
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(i) if rest[..i].eq_ignore_ascii_case("localhost") => &rest[i..],
        _ => return None,
    };
    let bytes = percent_decode(path)?;
    #[cfg(unix)]
    let path = {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    };
    #[cfg(not(unix))]
    let path = {
        let s = String::from_utf8(bytes).ok()?;
        // `/C:/dir` is `C:/dir`.
        let s = match s.as_bytes() {
            [b'/', d, b':', ..] if d.is_ascii_alphabetic() => s[1..].to_string(),
            _ => s,
        };
        PathBuf::from(s)
    };
    path.is_absolute().then(|| crate::project::normalize(&path))
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The `file:` URI of an absolute path, every byte but the unreserved ones and `/`
/// percent-encoded (as VS Code writes them).
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = {
        let s = path.to_string_lossy().replace('\\', "/");
        if s.starts_with('/') {
            s
        } else {
            format!("/{s}")
        }
        .into_bytes()
    };
    let mut s = String::from("file://");
    for b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_convert_in_every_encoding() {
        // `é` is 2 UTF-8 bytes and 1 UTF-16 unit; `🔒` is 4 bytes and 2 units.
        let text = "fn a() {}\r\n/* é🔒 */ let _ = m.lock();\n";
        let index = LineIndex::new(text);
        // `let` is the 10th character of line 2.
        assert_eq!(index.position(2, 10, Encoding::Utf32), Position::new(1, 9));
        assert_eq!(index.position(2, 10, Encoding::Utf16), Position::new(1, 10));
        assert_eq!(index.position(2, 10, Encoding::Utf8), Position::new(1, 13));
        let let_at = text.find("let").unwrap();
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let pos = index.position(2, 10, enc);
            assert_eq!(index.offset(pos, enc), let_at, "{enc:?}");
        }
        // The `\r` of a CRLF line is no part of it.
        assert_eq!(index.position(1, 99, Encoding::Utf16), Position::new(0, 9));
        assert_eq!(index.offset(Position::new(0, 99), Encoding::Utf16), 9);
        // Past the end.
        assert_eq!(index.position(9, 1, Encoding::Utf16), Position::new(2, 0));
        assert_eq!(
            index.offset(Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        // Inside a surrogate pair: the character's start.
        let lock_at = text.find('🔒').unwrap();
        assert_eq!(index.offset(Position::new(1, 5), Encoding::Utf16), lock_at);
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let mut docs = Documents::default();
        let path = PathBuf::from("/x/a.rs");
        let uri = path_to_uri(&path).unwrap();
        docs.open(path.clone(), uri, 1, "let é = 1;\nlet b = 2;\n".into());
        let change = |l1, c1, l2, c2, t: &str| lsp_types::TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: t.into(),
        };
        assert!(docs.change(
            &path,
            2,
            vec![change(0, 4, 0, 5, "ü"), change(1, 0, 1, 0, "// x\n")],
            Encoding::Utf16
        ));
        let doc = docs.get(&path).unwrap();
        assert_eq!(&*doc.text, "let ü = 1;\n// x\nlet b = 2;\n");
        assert_eq!(doc.version, 2);
        assert!(!docs.change(Path::new("/x/b.rs"), 1, vec![], Encoding::Utf16));
    }

    #[test]
    fn uris_and_paths() {
        let uri = Uri::from_str("file:///tmp/a%20b/%C3%A9.rs").unwrap();
        assert_eq!(uri_to_path(&uri), Some(PathBuf::from("/tmp/a b/é.rs")));
        let uri = Uri::from_str("file://localhost/tmp/./x/../y.rs").unwrap();
        assert_eq!(uri_to_path(&uri), Some(PathBuf::from("/tmp/y.rs")));
        assert_eq!(
            uri_to_path(&Uri::from_str("untitled:Untitled-1").unwrap()),
            None
        );
        assert_eq!(
            uri_to_path(&Uri::from_str("file://host/x.rs").unwrap()),
            None
        );
        let back = path_to_uri(Path::new("/tmp/a b/é.rs")).unwrap();
        assert_eq!(back.as_str(), "file:///tmp/a%20b/%C3%A9.rs");
        assert_eq!(uri_to_path(&back), Some(PathBuf::from("/tmp/a b/é.rs")));
    }

    #[test]
    fn encodings_are_chosen_from_what_the_client_offers() {
        assert_eq!(Encoding::choose(["utf-16", "utf-8"]), Encoding::Utf8);
        assert_eq!(Encoding::choose(["utf-32", "utf-16"]), Encoding::Utf32);
        assert_eq!(Encoding::choose(["utf-16"]), Encoding::Utf16);
        assert_eq!(Encoding::choose([]), Encoding::Utf16);
    }
}
