//! Renderers: the only code that knows output formats. Each format is one file behind
//! [`render`].

pub mod diff;
pub mod github;
pub mod gitlab;
mod human;
mod json;
pub mod sarif;
mod short;

use crate::driver::Report;
use crate::span::FileId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphical reports with every involved place labelled (the default).
    Human,
    /// One line per finding: `path:line:col: level[rule]: message`.
    Short,
    /// The JSON contract (version 1).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
    /// A GitLab Code Quality report.
    Gitlab,
}

#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    pub color: bool,
    /// Terminal width for the human format.
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 100,
        }
    }
}

/// File text, read when a renderer first needs it (files with findings only).
pub struct Sources<'r> {
    report: &'r Report,
    cache: RefCell<HashMap<FileId, std::rc::Rc<String>>>,
}

impl<'r> Sources<'r> {
    pub fn new(report: &'r Report) -> Self {
        Sources {
            report,
            cache: RefCell::new(HashMap::new()),
        }
    }

    pub fn text(&self, file: FileId) -> std::rc::Rc<String> {
        if let Some(t) = self.cache.borrow().get(&file) {
            return t.clone();
        }
        let path = &self.report.project.files[file.0 as usize].path;
        let text = std::fs::read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let text = std::rc::Rc::new(text);
        self.cache.borrow_mut().insert(file, text.clone());
        text
    }
}

pub fn render(
    report: &Report,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, opts, out),
        Format::Short => short::render(report, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
        Format::Gitlab => gitlab::render(report, out),
    }
}

/// Text from the scanned code is never printed raw: control characters (terminal escape
/// sequences among them) are shown as escapes.
pub fn sanitize(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() && c != '\n' && c != '\t' {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}
