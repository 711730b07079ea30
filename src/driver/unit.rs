//! One unit, all of it, as an editor sees it: the unit a file belongs to, analysed with the
//! open documents' text in place of the disk and the facts of files that did not change taken
//! from a [`FactsCache`]. What the language server runs on every edit.

use super::sources::{FactsCache, Overlays, Sources};
use super::{Options, RunError, analyse_outcomes, fingerprint_text, parse_unit, sort};
use crate::diag::Diagnostic;
use crate::project::{self, DiscoverError, DiscoverOptions, Project};
use crate::span::FileId;
use std::path::Path;
use std::sync::Arc;

/// What [`analyse_unit_of`] found.
pub enum UnitAnalysis {
    /// The unit was analysed: every finding of every file in it.
    Done(UnitReport),
    /// The file is not analysed at all (the configuration's `exclude` names it).
    Excluded,
    /// `cancelled` turned true before the analysis was complete.
    Cancelled,
}

/// Every finding of one unit.
pub struct UnitReport {
    /// The unit's files (each one requested) and packages; only `unit` is analysed.
    pub project: Project,
    pub unit: u32,
    /// The file asked about.
    pub file: FileId,
    /// Sorted by file, line, column, rule; positions are those of the text analysed (an
    /// overlay's, where there is one).
    pub diagnostics: Vec<Diagnostic>,
}

impl UnitReport {
    /// The unit's files: every file whose findings this report holds.
    pub fn files(&self) -> &[FileId] {
        &self.project.units[self.unit as usize].files
    }
}

/// Analyses the unit that `file` belongs to (its workspace, its package, or the file alone when
/// no package holds it), reading each file from `overlays` when it is there and from the disk
/// otherwise; every file of the unit counts as requested, so findings are returned for all of
/// them. A file that exists only as an overlay joins the package whose directory holds it, or
/// is analysed alone.
///
/// Facts come from `cache` when a file's text is what the cache parsed before; `cancelled` is
/// polled between files. Runs on the caller's thread pool, whose threads need
/// [`crate::parse::STACK_SIZE`] stacks.
pub fn analyse_unit_of(
    file: &Path,
    overlays: &Overlays,
    opts: &Options,
    cache: &FactsCache,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<UnitAnalysis, RunError> {
    let file = project::normalize(file);
    let mut project = if file.exists() {
        project::discover(std::slice::from_ref(&file), &opts.discover)
            .map_err(RunError::Discover)?
    } else {
        overlay_project(&file, &opts.discover)?
    };
    let Some(id) = project.files.iter().position(|f| f.path == file) else {
        return Ok(UnitAnalysis::Excluded);
    };
    let id = FileId(id as u32);
    let unit = project.files[id.0 as usize].unit;
    for &f in &project.units[unit as usize].files {
        project.files[f.0 as usize].requested = true;
    }
    let sources = Sources {
        overlays: Some(overlays),
        cache: Some(cache),
    };
    let api = Arc::new(opts.api.clone());
    let outcomes = parse_unit(&project, unit, opts, &api, sources, cancelled);
    if cancelled() {
        return Ok(UnitAnalysis::Cancelled);
    }
    let files = &project.units[unit as usize].files;
    let root = &project.units[unit as usize].root;
    if !root.as_os_str().is_empty() {
        let paths = files
            .iter()
            .map(|f| project.files[f.0 as usize].path.as_path());
        cache.retain_unit(root, paths);
    }
    let texts = files
        .iter()
        .filter_map(|&f| {
            let text = overlays.get(&project.files[f.0 as usize].path)?;
            Some((f, fingerprint_text(text.as_bytes())))
        })
        .collect();
    let mut diagnostics = analyse_outcomes(&project, unit, opts, outcomes, texts).diagnostics;
    sort(&project, &mut diagnostics);
    Ok(UnitAnalysis::Done(UnitReport {
        project,
        unit,
        file: id,
        diagnostics,
    }))
}

/// The project of a file that is not on disk (a buffer not saved yet): the unit of the package
/// whose directory holds it, with the file added, or the file alone.
fn overlay_project(file: &Path, discover: &DiscoverOptions) -> Result<Project, RunError> {
    let display = project::display_path(file);
    let alone = || Project::one_file(file.to_path_buf(), display.clone());
    let Some(dir) = file.parent().filter(|d| d.is_dir()) else {
        return Ok(alone());
    };
    // The directory may hold no Rust file yet (a new module's first file): then the package
    // around it, found by its manifest.
    let found = project::discover(&[dir.to_path_buf()], discover).or_else(|e| match e {
        DiscoverError::NoRustFiles(_) => {
            match dir.ancestors().find(|a| a.join("Cargo.toml").is_file()) {
                Some(manifest_dir) => project::discover(&[manifest_dir.to_path_buf()], discover),
                None => Err(e),
            }
        }
        e => Err(e),
    });
    let mut project = match found {
        Ok(p) => p,
        Err(DiscoverError::NoRustFiles(_)) => return Ok(alone()),
        Err(e) => return Err(RunError::Discover(e)),
    };
    let owner = project
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| file.starts_with(&p.dir))
        .max_by_key(|(_, p)| p.dir.components().count())
        .map(|(i, _)| i as u32);
    let unit = owner.and_then(|p| {
        project
            .units
            .iter()
            .position(|u| u.packages.contains(&p))
            .map(|u| u as u32)
    });
    let (Some(package), Some(unit)) = (owner, unit) else {
        return Ok(alone());
    };
    let id = FileId(project.files.len() as u32);
    project.files.push(project::SourceFile {
        path: file.to_path_buf(),
        display,
        unit,
        package: Some(package),
        requested: true,
        unreadable: None,
    });
    project.units[unit as usize].files.push(id);
    Ok(project)
}
