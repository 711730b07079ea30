//! The pipeline: discover → parse each file in parallel → facts → index per unit → rules →
//! diagnostics, sorted. Units are analysed in parallel (and each unit's files in parallel inside
//! it); a unit's facts are dropped as soon as its diagnostics are made, so memory follows the
//! largest units in flight, not the whole run.
//!
//! Every file is read through [`sources`]: from the disk, or from an overlay (an editor's
//! unsaved text) in its place, with facts kept between analyses in a [`FactsCache`]. The
//! language server analyses one unit at a time that way ([`analyse_unit_of`], in [`unit`]).

mod sources;
mod unit;

pub use sources::{FactsCache, Overlays};
pub use unit::{UnitAnalysis, UnitReport, analyse_unit_of};

use crate::baseline::Baseline;
use crate::diag::{Diagnostic, Severity};
use crate::extract::ExtractOptions;
use crate::facts::{FileFacts, ItemExtent};
use crate::fingerprint::{self, Key};
use crate::index::Index;
use crate::index::model::Model;
use crate::known::Api;
use crate::parse::{self, Outcome};
use crate::project::{self, DiscoverOptions, Project};
use crate::rules;
use crate::span::{FileId, Loc, Span};
use crate::suppress::{self, FileSuppressions};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use sources::Sources;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Worker threads; all cores when `None`.
    pub threads: Option<usize>,
    pub discover: DiscoverOptions,
    /// What lockscan knows about APIs, with what the configuration adds (lock methods,
    /// functions and methods that sleep or block).
    pub api: Api,
    /// Rule levels that differ from the defaults (`None`: the rule is off).
    pub levels: BTreeMap<String, Option<Severity>>,
    /// Known findings: those whose fingerprint is in it are not reported.
    pub baseline: Option<Baseline>,
    /// Counts files as they are read, for whoever shows progress.
    pub progress: Option<Arc<Progress>>,
}

/// How far a run is: files to read (known once they are found) and files read.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicUsize,
    pub done: AtomicUsize,
}

pub struct Report {
    pub project: Project,
    /// Sorted by file, line, column, rule.
    pub diagnostics: Vec<Diagnostic>,
    pub files_scanned: usize,
    pub parse_errors: usize,
    /// Findings left out because the baseline has them.
    pub baselined: usize,
    pub elapsed: Duration,
    /// Per file (by `FileId`), the hash of the bytes that were analysed, when it parsed.
    pub hashes: Vec<Option<u64>>,
}

impl Report {
    pub fn display_path(&self, file: FileId) -> &str {
        &self.project.files[file.0 as usize].display
    }
}

#[derive(Debug)]
pub enum RunError {
    Discover(project::DiscoverError),
    Threads(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Discover(e) => e.fmt(f),
            RunError::Threads(e) => write!(f, "cannot start worker threads: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Discovers the files and starts the worker pool: the start of every run.
fn start(opts: &Options) -> Result<(Project, rayon::ThreadPool, Arc<Api>), RunError> {
    let paths = if opts.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        opts.paths.clone()
    };
    let project = project::discover(&paths, &opts.discover).map_err(RunError::Discover)?;
    if let Some(p) = &opts.progress {
        p.total.store(project.files.len(), Ordering::Relaxed);
    }
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(parse::STACK_SIZE);
    if let Some(n) = opts.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let api = Arc::new(opts.api.clone());
    Ok((project, pool, api))
}

/// The lock-order graph of each unit that holds a requested file, named: the package's name
/// for a unit of one package, else the unit's directory.
pub struct Graphs {
    pub project: Project,
    pub units: Vec<(String, crate::index::graph::LockOrder)>,
}

/// Reads the units the paths lie in and builds each one's lock-order graph (no rules), kept to
/// the part that touches the requested files.
pub fn lock_graphs(opts: &Options) -> Result<Graphs, RunError> {
    let (project, pool, api) = start(opts)?;
    let mut units: Vec<(String, crate::index::graph::LockOrder)> = pool.install(|| {
        (0..project.units.len() as u32)
            .into_par_iter()
            .filter(|&u| {
                project.units[u as usize]
                    .files
                    .iter()
                    .any(|f| project.files[f.0 as usize].requested)
            })
            .map(|unit| {
                let parsed: Vec<(FileId, Arc<FileFacts>)> =
                    parse_unit(&project, unit, opts, &api, Sources::default(), &|| false)
                        .into_iter()
                        .filter_map(|(id, o)| match o {
                            Outcome::Parsed(facts) => Some((id, facts)),
                            Outcome::Failed(_) => None,
                        })
                        .collect();
                let index = Index::build(&project, unit, parsed);
                let model = Model::new(&index, &opts.api);
                let mut order = model.lock_order();
                // A named file or directory inside a unit draws the part it takes part in.
                order.retain_files(|f| project.files[f.0 as usize].requested);
                (unit_name(&project, unit), order)
            })
            .collect()
    });
    units.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Graphs { project, units })
}

fn unit_name(project: &Project, unit: u32) -> String {
    let u = &project.units[unit as usize];
    match u.packages.as_slice() {
        [p] => project.packages[*p as usize].name.clone(),
        _ => project::display_path(&u.root),
    }
}

pub fn run(opts: &Options) -> Result<Report, RunError> {
    let start_time = Instant::now();
    let (project, pool, api) = start(opts)?;

    // Units in parallel, and each unit's files in parallel inside it; a unit's facts live only
    // while it is analysed.
    let per_unit: Vec<UnitResult> = pool.install(|| {
        (0..project.units.len() as u32)
            .into_par_iter()
            .map(|unit| analyse_unit(&project, unit, opts, &api))
            .collect()
    });
    let mut diagnostics = vec![];
    let mut parse_errors = 0;
    let mut hashes = vec![None; project.files.len()];
    for (diags, failed, unit_hashes) in per_unit {
        parse_errors += failed;
        diagnostics.extend(diags);
        for (id, h) in unit_hashes {
            hashes[id.0 as usize] = Some(h);
        }
    }

    // Two units can hold findings with the same fingerprint (two copies of one package): the
    // later ones, in display order, are told apart.
    sort(&project, &mut diagnostics);
    let mut seen: FxHashMap<String, u32> = FxHashMap::default();
    for d in &mut diagnostics {
        let n = seen.entry(d.fingerprint.clone()).or_insert(0);
        if *n > 0 {
            d.fingerprint = fingerprint::disambiguate(&d.fingerprint, *n);
        }
        *n += 1;
    }
    let mut baselined = 0;
    if let Some(baseline) = &opts.baseline {
        diagnostics.retain(|d| {
            let known = baseline.contains(&d.fingerprint);
            baselined += usize::from(known);
            !known
        });
    }
    let files_scanned = project.files.iter().filter(|f| f.requested).count();
    Ok(Report {
        project,
        diagnostics,
        files_scanned,
        parse_errors,
        baselined,
        elapsed: start_time.elapsed(),
        hashes,
    })
}

/// A unit's diagnostics, the number of its requested files that could not be parsed, and the
/// hash of each parsed file.
type UnitResult = (Vec<Diagnostic>, usize, Vec<(FileId, u64)>);

/// Parses one unit's files, builds its index, runs the rules, applies suppressions and levels,
/// gives each finding its fingerprint, and keeps what touches the files the user asked about.
fn analyse_unit(project: &Project, unit: u32, opts: &Options, api: &Arc<Api>) -> UnitResult {
    let outcomes = parse_unit(project, unit, opts, api, Sources::default(), &|| false);
    analyse_outcomes(project, unit, opts, outcomes, FxHashMap::default())
}

/// Reads and parses a unit's files, in parallel, from `sources`. Files not yet read when
/// `cancelled` turns true are left out (the outcomes are then incomplete).
fn parse_unit(
    project: &Project,
    unit: u32,
    opts: &Options,
    api: &Arc<Api>,
    sources: Sources<'_>,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Vec<(FileId, Outcome)> {
    let files = &project.units[unit as usize].files;
    files
        .par_iter()
        .filter_map(|&id| {
            if cancelled() {
                return None;
            }
            let src = &project.files[id.0 as usize];
            let extract = ExtractOptions {
                edition: project.edition(id),
                api: api.clone(),
            };
            let outcome = sources.read(src, &extract);
            if let Some(p) = &opts.progress {
                p.done.fetch_add(1, Ordering::Relaxed);
            }
            Some((id, outcome))
        })
        .collect()
}

/// Everything after parsing, for one unit: index, rules, suppressions, levels, fingerprints.
/// `texts` holds the text of files already in memory; the others are read when a finding
/// needs their text.
fn analyse_outcomes(
    project: &Project,
    unit: u32,
    opts: &Options,
    outcomes: Vec<(FileId, Outcome)>,
    mut texts: FxHashMap<FileId, String>,
) -> UnitResult {
    let mut parsed: Vec<(FileId, Arc<FileFacts>)> = vec![];
    let mut diags = vec![];
    let mut failed = 0;
    // What the pipeline needs after the rules: each file's outline and suppressions.
    let mut outlines: FxHashMap<FileId, Vec<ItemExtent>> = FxHashMap::default();
    let mut suppressions: Vec<FileSuppressions> = vec![];
    for (id, outcome) in outcomes {
        match outcome {
            Outcome::Parsed(mut facts) => {
                // Facts no one else holds give up their outline and suppressions; cached ones
                // keep them for the next analysis.
                let (outline, list) = match Arc::get_mut(&mut facts) {
                    Some(f) => (
                        std::mem::take(&mut f.outline),
                        std::mem::take(&mut f.suppressions),
                    ),
                    None => (facts.outline.clone(), facts.suppressions.clone()),
                };
                outlines.insert(id, outline);
                if !list.is_empty() {
                    suppressions.push(FileSuppressions {
                        file: id,
                        requested: project.files[id.0 as usize].requested,
                        list,
                    });
                }
                parsed.push((id, facts));
            }
            Outcome::Failed(f) => {
                if project.files[id.0 as usize].requested {
                    failed += 1;
                }
                diags.push(failure_diagnostic(id, f));
            }
        }
    }
    let hashes = parsed.iter().map(|(id, f)| (*id, f.source_hash)).collect();
    let expansions: Vec<(FileId, Vec<Span>)> = parsed
        .iter()
        .filter(|(_, f)| !f.expansions.is_empty())
        .map(|(id, f)| (*id, f.expansions.clone()))
        .collect();
    let index = Index::build(project, unit, parsed);
    let model = Model::new(&index, &opts.api);
    let mut found = rules::run(&model);
    drop(model);
    drop(index);
    // What was found inside an expanded macro call is spanned at the call: no fix edits it.
    if !expansions.is_empty() {
        for d in &mut found {
            let inside = d.fix.as_ref().is_some_and(|fix| {
                fix.edits.iter().any(|e| {
                    expansions.iter().any(|(file, spans)| {
                        *file == e.loc.file && spans.iter().any(|s| overlaps(e.loc.span, *s))
                    })
                })
            });
            if inside {
                d.fix = None;
            }
        }
    }
    diags.extend(found);

    // Suppressions see every finding of the unit (a comment is used even when its finding is
    // shown only for another file); then the levels the user asked for.
    let mut diags: Vec<Diagnostic> = suppress::apply(diags, &suppressions)
        .into_iter()
        .filter_map(|mut d| match opts.levels.get(d.rule) {
            Some(None) => None,
            Some(Some(level)) => {
                d.severity = *level;
                Some(d)
            }
            None => Some(d),
        })
        .collect();

    // Fingerprints, numbered over all of the unit's findings in order, before keeping those
    // that touch the requested files: naming a file must not change them. The text of a file
    // with findings is read again.
    sort(project, &mut diags);
    let root = &project.units[unit as usize].root;
    let mut seen: FxHashMap<Key, u32> = FxHashMap::default();
    for d in &mut diags {
        let file = d.primary.file;
        let src = &project.files[file.0 as usize];
        let text = texts.entry(file).or_insert_with(|| {
            std::fs::read(&src.path)
                .map(|b| fingerprint_text(&b))
                .unwrap_or_default()
        });
        let context = outlines
            .get(&file)
            .map(|o| fingerprint::context(o, d.primary.span))
            .unwrap_or_default();
        let package = src
            .package
            .map(|p| project.packages[p as usize].name.as_str())
            .unwrap_or("");
        let key = fingerprint::key(
            d.rule,
            package,
            &unit_relative(root, &src.path),
            &context,
            &fingerprint::line_text(text, d.primary.span),
        );
        let n = seen.entry(key).or_insert(0);
        d.fingerprint = fingerprint::fingerprint(key, *n);
        *n += 1;
    }
    let requested = |f: FileId| project.files[f.0 as usize].requested;
    diags.retain(|d| d.locs().any(|l| requested(l.file)));
    (diags, failed, hashes)
}

fn failure_diagnostic(id: FileId, f: parse::Failure) -> Diagnostic {
    let rule = rules::rule(rules::PARSE_ERROR).expect("parse_error is registered");
    Diagnostic::new(
        rule.name,
        rule.level,
        Loc {
            file: id,
            span: f.span,
        },
        f.reason,
    )
    .primary_label("lockscan stopped reading here")
    .help(f.help)
}

/// A file's text as fingerprints read it: lines as the parser counts them, after a byte-order
/// mark.
fn fingerprint_text(bytes: &[u8]) -> String {
    parse::strip_bom(&String::from_utf8_lossy(bytes)).to_string()
}

/// The whole pipeline on one file's bytes, without I/O: parse and extract, then what a run
/// does to a unit (index, rules, suppressions, fingerprints) for a unit of this one loose file.
/// What the fuzzer drives. It recurses as deeply as the file nests, up to
/// [`parse::MAX_DEPTH`]: run it on a [`parse::STACK_SIZE`] stack.
pub fn analyse_source(bytes: &[u8], edition: crate::extract::Edition) -> Vec<Diagnostic> {
    let id = FileId(0);
    let project = Project::one_file(PathBuf::from("input.rs"), "input.rs".into());
    let extract = ExtractOptions {
        edition,
        api: Arc::default(),
    };
    let outcome = parse::parse_bytes(bytes, &extract);
    let texts = FxHashMap::from_iter([(id, fingerprint_text(bytes))]);
    let opts = Options::default();
    let (mut diags, _, _) = analyse_outcomes(&project, 0, &opts, vec![(id, outcome)], texts);
    sort(&project, &mut diags);
    diags
}

/// `path` relative to the unit's root, with `/` separators (the file name when the root is
/// the file itself).
fn unit_relative(root: &std::path::Path, path: &std::path::Path) -> String {
    let rel = match path.strip_prefix(root) {
        Ok(r) if !r.as_os_str().is_empty() => r,
        _ => path.file_name().map(std::path::Path::new).unwrap_or(path),
    };
    rel.to_string_lossy().replace('\\', "/")
}

fn order(project: &Project, a: &Diagnostic, b: &Diagnostic) -> std::cmp::Ordering {
    let fa = &project.files[a.primary.file.0 as usize].display;
    let fb = &project.files[b.primary.file.0 as usize].display;
    fa.cmp(fb)
        .then(a.primary.span.cmp(&b.primary.span))
        .then(a.rule.cmp(b.rule))
        .then(a.message.cmp(&b.message))
}

/// Sorts by file (as displayed), line, column and rule, and drops exact duplicates.
pub fn sort(project: &Project, diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| order(project, a, b));
    diags.dedup();
}

/// Does an edit's span touch `s`: overlap it, or insert strictly inside it?
fn overlaps(edit: Span, s: Span) -> bool {
    if edit.lo == edit.hi {
        s.lo < edit.lo && edit.lo < s.hi
    } else {
        edit.lo < s.hi && s.lo < edit.hi
    }
}
