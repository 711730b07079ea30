//! The pipeline: discover → parse each file in parallel → facts → index per unit → rules →
//! diagnostics, sorted. Units are analysed in parallel (and each unit's files in parallel inside
//! it); a unit's facts are dropped as soon as its diagnostics are made, so memory follows the
//! largest units in flight, not the whole run.

use crate::baseline::Baseline;
use crate::diag::{Diagnostic, Severity};
use crate::extract::ExtractOptions;
use crate::facts::FileFacts;
use crate::facts::ItemExtent;
use crate::fingerprint::{self, Key};
use crate::index::Index;
use crate::index::model::{Model, ModelOptions};
use crate::intern::Sym;
use crate::parse::{self, Outcome};
use crate::project::{self, DiscoverOptions, Project};
use crate::rules;
use crate::span::{FileId, Loc};
use crate::suppress::{self, FileSuppressions};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Worker threads; all cores when `None`.
    pub threads: Option<usize>,
    pub discover: DiscoverOptions,
    /// Methods that acquire a lock besides the known ones.
    pub extra_lock_methods: Vec<String>,
    /// Functions and methods that sleep or block besides the known ones.
    pub model: ModelOptions,
    /// Rule levels that differ from the defaults (`None`: the rule is off).
    pub levels: BTreeMap<String, Option<Severity>>,
    /// Known findings: those whose fingerprint is in it are not reported.
    pub baseline: Option<Baseline>,
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

pub fn run(opts: &Options) -> Result<Report, RunError> {
    let start = Instant::now();
    let paths = if opts.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        opts.paths.clone()
    };
    let project = project::discover(&paths, &opts.discover).map_err(RunError::Discover)?;
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(parse::STACK_SIZE);
    if let Some(n) = opts.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let extra: Vec<Sym> = opts
        .extra_lock_methods
        .iter()
        .map(|s| Sym::new(s))
        .collect();

    // Units in parallel, and each unit's files in parallel inside it; a unit's facts live only
    // while it is analysed.
    let per_unit: Vec<UnitResult> = pool.install(|| {
        (0..project.units.len() as u32)
            .into_par_iter()
            .map(|unit| analyse_unit(&project, unit, opts, &extra))
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
        elapsed: start.elapsed(),
        hashes,
    })
}

/// A unit's diagnostics, the number of its requested files that could not be parsed, and the
/// hash of each parsed file.
type UnitResult = (Vec<Diagnostic>, usize, Vec<(FileId, u64)>);

/// Where a unit's files are read from: the disk, unless an overlay holds a file's text; and
/// facts parsed before, when a cache is given.
#[derive(Clone, Copy, Default)]
struct Sources<'a> {
    overlays: Option<&'a Overlays>,
    cache: Option<&'a FactsCache>,
}

/// Parses one unit's files, builds its index, runs the rules, applies suppressions and levels,
/// gives each finding its fingerprint, and keeps what touches the files the user asked about.
fn analyse_unit(project: &Project, unit: u32, opts: &Options, extra: &[Sym]) -> UnitResult {
    let outcomes = parse_unit(project, unit, extra, Sources::default(), &|| false);
    analyse_outcomes(project, unit, opts, outcomes, FxHashMap::default())
}

/// A file's facts, shared (with the [`FactsCache`], which keeps them between analyses), or why
/// there are none.
enum Parsed {
    Facts(Arc<FileFacts>),
    Failed(parse::Failure),
}

impl From<Outcome> for Parsed {
    fn from(o: Outcome) -> Parsed {
        match o {
            Outcome::Parsed(f) => Parsed::Facts(Arc::from(f)),
            Outcome::Failed(f) => Parsed::Failed(f),
        }
    }
}

/// Parses (or takes from the cache) every file of one unit, in parallel. Files not yet parsed
/// when `cancelled` turns true are skipped (the outcomes are then incomplete).
fn parse_unit(
    project: &Project,
    unit: u32,
    extra: &[Sym],
    sources: Sources<'_>,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Vec<(FileId, Parsed)> {
    let files = &project.units[unit as usize].files;
    files
        .par_iter()
        .filter_map(|&id| {
            if cancelled() {
                return None;
            }
            let src = &project.files[id.0 as usize];
            let opts = ExtractOptions {
                edition: src
                    .package
                    .map(|p| project.packages[p as usize].edition)
                    .unwrap_or_default(),
                extra_lock_methods: extra.to_vec(),
            };
            let outcome = match (
                &src.unreadable,
                sources.overlays.and_then(|o| o.get(&src.path)),
            ) {
                (Some(why), _) => Parsed::Failed(parse::unreadable_directory(why)),
                (None, Some(text)) if text.len() as u64 > parse::MAX_FILE_SIZE => {
                    Parsed::Failed(parse::too_large())
                }
                (None, Some(text)) => match sources.cache {
                    Some(cache) => cache.parse_text(&src.path, text, &opts),
                    None => parse::parse_bytes(text.as_bytes(), &opts).into(),
                },
                (None, None) => match sources.cache {
                    Some(cache) => cache.parse_path(&src.path, &opts),
                    None => parse::parse_path(&src.path, &opts).into(),
                },
            };
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
    outcomes: Vec<(FileId, Parsed)>,
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
            Parsed::Facts(mut facts) => {
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
            Parsed::Failed(f) => {
                if project.files[id.0 as usize].requested {
                    failed += 1;
                }
                diags.push(failure_diagnostic(id, f));
            }
        }
    }
    let hashes = parsed.iter().map(|(id, f)| (*id, f.source_hash)).collect();
    let index = Index::build(project, unit, parsed);
    let model = Model::with_options(&index, opts.model.clone());
    diags.extend(rules::run(&model));
    drop(model);
    drop(index);

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
        extra_lock_methods: vec![],
    };
    let outcome = parse::parse_bytes(bytes, &extract).into();
    let texts = FxHashMap::from_iter([(id, fingerprint_text(bytes))]);
    let opts = Options::default();
    let (mut diags, _, _) = analyse_outcomes(&project, 0, &opts, vec![(id, outcome)], texts);
    sort(&project, &mut diags);
    diags
}

/// The text of files held in memory in place of what is on disk (an editor's unsaved buffers),
/// by absolute, normalized path.
pub type Overlays = FxHashMap<PathBuf, Arc<str>>;

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
/// is analysed alone. What the language server calls on every edit.
///
/// Facts come from `cache` when a file's text is what the cache parsed before; `cancelled` is
/// polled between files. Runs on the caller's thread pool, whose threads need
/// [`parse::STACK_SIZE`] stacks.
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
    let extra: Vec<Sym> = opts
        .extra_lock_methods
        .iter()
        .map(|s| Sym::new(s))
        .collect();
    let sources = Sources {
        overlays: Some(overlays),
        cache: Some(cache),
    };
    let outcomes = parse_unit(&project, unit, &extra, sources, cancelled);
    if cancelled() {
        return Ok(UnitAnalysis::Cancelled);
    }
    let root = &project.units[unit as usize].root;
    if !root.as_os_str().is_empty() {
        let files = project.units[unit as usize].files.iter();
        cache.retain_unit(
            root,
            files.map(|f| project.files[f.0 as usize].path.as_path()),
        );
    }
    let texts = project.units[unit as usize]
        .files
        .iter()
        .filter_map(|&f| {
            let text = overlays.get(&project.files[f.0 as usize].path)?;
            Some((f, fingerprint_text(text.as_bytes())))
        })
        .collect();
    let (mut diagnostics, _, _) = analyse_outcomes(&project, unit, opts, outcomes, texts);
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
    let Some(dir) = file.parent().filter(|d| d.is_dir()) else {
        return Ok(Project::one_file(file.to_path_buf(), display));
    };
    let mut project =
        project::discover(&[dir.to_path_buf()], discover).map_err(RunError::Discover)?;
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
        return Ok(Project::one_file(file.to_path_buf(), display));
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

/// The facts of files parsed before, kept between analyses so that an edit re-parses only the
/// files that changed. A file on disk is taken from the cache while its size and modification
/// time are those it had when it was parsed; an overlay while its text hashes the same. Facts
/// depend on the extraction options too (edition, extra lock methods), so those must match.
#[derive(Default)]
pub struct FactsCache {
    entries: Mutex<FxHashMap<PathBuf, CacheEntry>>,
}

struct CacheEntry {
    key: SourceKey,
    opts: ExtractOptions,
    outcome: Cached,
}

#[derive(Clone, PartialEq, Eq)]
enum SourceKey {
    Disk { len: u64, modified: SystemTime },
    Text { len: usize, hash: u64 },
}

#[derive(Clone)]
enum Cached {
    Facts(Arc<FileFacts>),
    Failed(parse::Failure),
}

impl Cached {
    /// What to keep of a fresh parse, and the same outcome for the analysis that asked: the
    /// facts are shared, not copied.
    fn keep(outcome: Outcome) -> (Cached, Parsed) {
        match outcome {
            Outcome::Parsed(f) => {
                let f: Arc<FileFacts> = Arc::from(f);
                (Cached::Facts(f.clone()), Parsed::Facts(f))
            }
            Outcome::Failed(f) => (Cached::Failed(f.clone()), Parsed::Failed(f)),
        }
    }

    fn parsed(&self) -> Parsed {
        match self {
            Cached::Facts(f) => Parsed::Facts(f.clone()),
            Cached::Failed(f) => Parsed::Failed(f.clone()),
        }
    }
}

impl FactsCache {
    /// Forgets everything (after the configuration changed, say).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many files' facts it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<PathBuf, CacheEntry>> {
        // The map holds plain data: a panic elsewhere cannot leave it half-updated.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, path: &Path, key: &SourceKey, opts: &ExtractOptions) -> Option<Parsed> {
        let entries = self.lock();
        let e = entries.get(path)?;
        (e.key == *key
            && e.opts.edition == opts.edition
            && e.opts.extra_lock_methods == opts.extra_lock_methods)
            .then(|| e.outcome.parsed())
    }

    fn put(&self, path: &Path, key: SourceKey, opts: &ExtractOptions, outcome: Cached) {
        let entry = CacheEntry {
            key,
            opts: opts.clone(),
            outcome,
        };
        self.lock().insert(path.to_path_buf(), entry);
    }

    fn parse_text(&self, path: &Path, text: &str, opts: &ExtractOptions) -> Parsed {
        let key = SourceKey::Text {
            len: text.len(),
            hash: parse::source_hash(text.as_bytes()),
        };
        if let Some(hit) = self.get(path, &key, opts) {
            return hit;
        }
        let (kept, parsed) = Cached::keep(parse::parse_bytes(text.as_bytes(), opts));
        self.put(path, key, opts, kept);
        parsed
    }

    fn parse_path(&self, path: &Path, opts: &ExtractOptions) -> Parsed {
        let key = std::fs::metadata(path).ok().and_then(|m| {
            Some(SourceKey::Disk {
                len: m.len(),
                modified: m.modified().ok()?,
            })
        });
        let Some(key) = key else {
            return parse::parse_path(path, opts).into();
        };
        if let Some(hit) = self.get(path, &key, opts) {
            return hit;
        }
        let (kept, parsed) = Cached::keep(parse::parse_path(path, opts));
        // A file that changed while it was read is parsed again next time.
        let after = std::fs::metadata(path).ok().and_then(|m| {
            Some(SourceKey::Disk {
                len: m.len(),
                modified: m.modified().ok()?,
            })
        });
        if after.as_ref() == Some(&key) {
            self.put(path, key, opts, kept);
        }
        parsed
    }

    /// Drops the entries of files under `root` that are no longer among `files` (deleted,
    /// renamed, or excluded since).
    fn retain_unit<'p>(&self, root: &Path, files: impl Iterator<Item = &'p Path>) {
        let keep: rustc_hash::FxHashSet<&Path> = files.collect();
        self.lock()
            .retain(|p, _| !p.starts_with(root) || keep.contains(p.as_path()));
    }
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
