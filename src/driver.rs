//! The pipeline: discover → parse each file in parallel → facts → index per unit → rules →
//! diagnostics, sorted. Units are analysed in parallel (and each unit's files in parallel inside
//! it); a unit's facts are dropped as soon as its diagnostics are made, so memory follows the
//! largest units in flight, not the whole run.
//!
//! Every file is read through [`sources`]: from the disk, or from an overlay (an editor's
//! unsaved text) in its place, with facts kept between analyses in a [`FactsCache`]. The
//! language server analyses one unit at a time that way ([`analyse_unit_of`], in [`unit`]).

mod reanalyse;
mod sources;
mod unit;

pub use reanalyse::Reanalysis;
pub use sources::{FactsCache, Overlays};
pub use unit::{UnitAnalysis, UnitReport, analyse_unit_of};

use crate::baseline::Baseline;
use crate::cache::{Cache, Key as CacheKey, KeyBuilder, Kind};
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
use crate::screen;
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
    /// Rule levels that differ from the defaults (`None`: the rule is off). An opt-in rule
    /// (`Group::Pedantic`) runs only when it is here with a level.
    pub levels: BTreeMap<String, Option<Severity>>,
    /// Known findings: those whose fingerprint is in it are not reported.
    pub baseline: Option<Baseline>,
    /// Counts files as they are read, for whoever shows progress.
    pub progress: Option<Arc<Progress>>,
    /// Where the cache is (`None`: no cache).
    pub cache: Option<PathBuf>,
    /// Leave out the bodies nothing a rule could use is in (`crate::screen`).
    pub screen: bool,
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
    let pool = thread_pool(opts)?;
    let api = Arc::new(opts.api.clone());
    Ok((project, pool, api))
}

/// The run's worker threads: `--threads` of them (else one per core), each with a stack deep
/// enough for `syn`.
pub(crate) fn thread_pool(opts: &Options) -> Result<rayon::ThreadPool, RunError> {
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(parse::STACK_SIZE);
    if let Some(n) = opts.threads {
        builder = builder.num_threads(n);
    }
    builder
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))
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
    let cx = RunCx::new(opts, api);

    // Units in parallel, and each unit's files in parallel inside it; a unit's facts live only
    // while it is analysed. The units with the most files are taken first, as threads come
    // free, so that no large one is left for the end while the other threads wait.
    let mut order: Vec<u32> = (0..project.units.len() as u32).collect();
    order.sort_by_key(|&u| std::cmp::Reverse(project.units[u as usize].files.len()));
    let mut per_unit: Vec<(u32, UnitResult)> = pool.install(|| {
        order
            .into_iter()
            .par_bridge()
            .map(|unit| (unit, analyse_unit(&project, unit, opts, &cx)))
            .collect()
    });
    per_unit.sort_by_key(|&(unit, _)| unit);
    let per_unit = per_unit.into_iter().map(|(_, r)| r);
    if let Some(c) = &cx.cache {
        c.finish();
    }
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

/// What every unit of a run shares: the API tables, the screen's vocabulary, the cache and
/// the parts of the configuration that go into cache keys.
struct RunCx {
    api: Arc<Api>,
    vocab: screen::Vocabulary,
    cache: Option<Cache>,
    /// The configured lock methods, which change the facts.
    lock_methods: Vec<u8>,
    /// What the findings depend on besides the files: levels, the API tables, the screen.
    config: Vec<u8>,
}

impl RunCx {
    fn new(opts: &Options, api: Arc<Api>) -> RunCx {
        RunCx {
            api,
            vocab: screen::Vocabulary::new(&opts.api),
            cache: opts.cache.as_deref().map(Cache::new),
            lock_methods: lock_methods_key(&opts.api),
            config: format!("{:?}\n{:?}\n{}", opts.levels, opts.api, opts.screen).into_bytes(),
        }
    }
}

/// A file of a unit on its way to facts.
struct Loaded {
    id: FileId,
    /// Its bytes, or why there are none.
    bytes: Result<Vec<u8>, parse::Failure>,
    /// [`parse::content_hash`] of the bytes.
    content: u128,
}

/// What the cache keeps of a file: its facts, or why it has none.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub enum FileEntry {
    Parsed(Arc<FileFacts>),
    Failed(parse::Failure),
}

impl From<Outcome> for FileEntry {
    fn from(o: Outcome) -> FileEntry {
        match o {
            Outcome::Parsed(f) => FileEntry::Parsed(f),
            Outcome::Failed(f) => FileEntry::Failed(f),
        }
    }
}

impl FileEntry {
    /// What an entry read from the cache stands for, for the bytes whose
    /// [`parse::content_hash`] is `content`: the facts get their `source_hash` back (the cache
    /// does not keep it).
    fn into_outcome(self, content: u128) -> Outcome {
        let mut o = Outcome::from(self);
        // An entry just read holds the only reference to its facts. (Were it shared, the hash
        // would stay 0, and a fix would take the file for changed and leave it alone.)
        if let Outcome::Parsed(f) = &mut o
            && let Some(f) = Arc::get_mut(f)
        {
            f.source_hash = content as u64;
        }
        o
    }
}

impl From<FileEntry> for Outcome {
    fn from(e: FileEntry) -> Outcome {
        match e {
            FileEntry::Parsed(f) => Outcome::Parsed(f),
            FileEntry::Failed(f) => Outcome::Failed(f),
        }
    }
}

/// What the cache keeps of a unit: its findings before they are filtered by the files the
/// user asked about (files as indices into the unit's list), and per file whether it failed
/// and the hash of the bytes it was parsed from.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct UnitEntry {
    pub diagnostics: Vec<Diagnostic>,
    pub files: Vec<(bool, Option<u64>)>,
}

/// A unit's findings as the cache keeps them, in one entry named by the unit
/// ([`findings_name`]): with the two keys they hold for, that of its files' bytes
/// ([`unit_key`]) and that of their facts ([`unit_facts_key`]), when every file's facts are
/// kept.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct StoredFindings {
    pub by_bytes: u128,
    pub by_facts: Option<u128>,
    pub entry: UnitEntry,
}

/// Reads one unit's files, and makes its findings: from the cache when the unit has not
/// changed; else each file's words and facts from the unit's bundle in the cache (by the
/// file's bytes) or made again (parsed with the screen's blanks), then the index, the rules,
/// suppressions, levels and fingerprints. Keeps what touches the files the user asked about.
fn analyse_unit(project: &Project, unit: u32, opts: &Options, cx: &RunCx) -> UnitResult {
    let mut clock = Clock::new(project, unit);
    let files = &project.units[unit as usize].files;
    let loaded: Vec<Loaded> = files
        .par_iter()
        .map(|&id| {
            let src = &project.files[id.0 as usize];
            let bytes = match &src.unreadable {
                Some(why) => Err(parse::unreadable_directory(why)),
                None => parse::read_path(&src.path),
            };
            let content = bytes.as_ref().map_or(0, |b| parse::content_hash(b));
            Loaded { id, bytes, content }
        })
        .collect();
    clock.step("read");
    let unit_key = cx
        .cache
        .as_ref()
        .map(|_| unit_key(project, unit, &loaded, cx));
    let name = cx.cache.as_ref().map(|_| findings_name(project, unit, cx));
    let mut stored: Option<StoredFindings> = match (&cx.cache, name) {
        (Some(c), Some(n)) => c.get(Kind::Unit, n),
        _ => None,
    };
    if let Some(k) = unit_key
        && stored.as_ref().is_some_and(|s| s.by_bytes == k.0)
        && let Some(entry) = stored
            .take()
            .and_then(|s| entry_from_cache(project, unit, s.entry))
    {
        if let Some(p) = &opts.progress {
            p.done.fetch_add(files.len(), Ordering::Relaxed);
        }
        clock.step("findings from the cache");
        clock.report();
        return unit_result(project, unit, entry);
    }

    // What the cache kept of the unit's files.
    let bundle_key = cx
        .cache
        .as_ref()
        .map(|_| bundle_key(project, unit, opts.screen, cx));
    let kept_bytes = match (&cx.cache, bundle_key) {
        (Some(c), Some(k)) => c.get_payload(Kind::Bundle, k),
        _ => None,
    };
    let kept = Kept::new(kept_bytes.as_deref());
    clock.step("bundle read");

    // The screen's words for every file (kept, by its bytes), then its decision.
    let words: Vec<FileWordsOf> = loaded
        .par_iter()
        .map(|l| {
            let content = l.bytes.is_ok().then_some(l.content);
            let kept = content.and_then(|c| kept.words.get(&c)).and_then(|&b| {
                let w: Option<screen::FileWords> = crate::cache::read_part(b)?;
                Some((w.map(Arc::new), Part::Kept(b)))
            });
            let (words, part) = kept.unwrap_or_else(|| (file_words(l), Part::New));
            FileWordsOf {
                content,
                words,
                part,
            }
        })
        .collect();
    clock.step("words");
    let blanks: Vec<Vec<u32>> = if opts.screen {
        let refs: Vec<Option<&screen::FileWords>> =
            words.iter().map(|w| w.words.as_deref()).collect();
        screen::decide(&refs, &unit_modules(project, unit), &cx.vocab)
    } else {
        vec![vec![]; loaded.len()]
    };
    clock.step("screen");
    let facts: Vec<FileFactsOf> = loaded
        .into_par_iter()
        .zip(&words)
        .zip(blanks)
        .map(|((l, w), blank)| {
            let src = &project.files[l.id.0 as usize];
            let edition = src
                .package
                .map(|p| project.packages[p as usize].edition)
                .unwrap_or_default();
            let id = l.id;
            let key = (l.bytes.is_ok() && cx.cache.is_some()).then(|| {
                facts_key(
                    l.content,
                    edition,
                    &cx.lock_methods,
                    opts.screen.then_some(&blank[..]),
                )
                .0
            });
            let content = l.content;
            // A kept part is read only when the findings are made again (`FileFactsOf::read`).
            let (outcome, part) = match key.and_then(|k| kept.facts.get(&k)) {
                Some(&b) => (None, Part::Kept(b)),
                None => {
                    let o = file_facts(l, w.words.as_deref(), &blank, edition, cx);
                    (Some(o), Part::New)
                }
            };
            // What the bundle will hold of new facts, encoded here (in parallel) for the key
            // of the unit's findings by facts as well.
            let encoded = match (key, &outcome) {
                (Some(_), Some(o)) => crate::cache::part(&FileEntry::from(o.clone())),
                _ => None,
            };
            if let Some(p) = &opts.progress {
                p.done.fetch_add(1, Ordering::Relaxed);
            }
            FileFactsOf {
                id,
                key,
                content,
                outcome,
                part,
                encoded,
            }
        })
        .collect();
    clock.step("facts");

    // The bundle is written again when a file's words or facts were made again, or when it
    // holds some no file has any more: beside the analysis, off its path. Only what was made
    // again is encoded.
    let changed = words
        .iter()
        .any(|w| w.content.is_some() && w.part == Part::New)
        || facts.iter().any(|f| f.key.is_some() && f.part == Part::New);
    let write = (changed || kept.stale(&words, &facts))
        .then_some(bundle_key)
        .flatten();
    // The unit's findings by its files' facts: a file whose text changed but whose facts did
    // not (a comment, white space at the end of a line) changes no finding, only fingerprints
    // (they read the text of the line found), which are made again.
    let by_facts = cx
        .cache
        .as_ref()
        .and_then(|_| unit_facts_key(project, unit, &facts, cx));
    let known = match (stored, by_facts) {
        (Some(s), Some(k)) if s.by_facts == Some(k.0) => entry_from_cache(project, unit, s.entry),
        _ => None,
    };
    let ((entry, hit), ()) = rayon::join(
        || {
            let refreshed = known.and_then(|e| refreshed(project, unit, e, &facts));
            let hit = refreshed.is_some();
            let entry = refreshed.unwrap_or_else(|| {
                let outcomes: Vec<(FileId, Outcome)> = facts
                    .par_iter()
                    .map(|f| (f.id, f.read_or_parse(project, &cx.api)))
                    .collect();
                analyse_outcomes(project, unit, opts, outcomes, FxHashMap::default())
            });
            (entry, hit)
        },
        || {
            if let (Some(c), Some(k)) = (&cx.cache, write) {
                let t = Instant::now();
                if let Some(payload) = new_bundle(&words, &facts) {
                    c.put_payload(Kind::Bundle, k, &payload);
                }
                if clock.on {
                    eprintln!("timing: {}: bundle written {:?}", clock.name, t.elapsed());
                }
            }
        },
    );
    drop((words, facts, kept));
    clock.step(if hit {
        "findings from the cache by facts, fingerprints"
    } else {
        "analysis (index, rules, fingerprints)"
    });
    if let (Some(c), Some(n), Some(k)) = (&cx.cache, name, unit_key)
        && let Some(entry) = unit_entry_for_cache(project, unit, &entry)
    {
        let stored = StoredFindings {
            by_bytes: k.0,
            by_facts: by_facts.map(|k| k.0),
            entry,
        };
        c.put(Kind::Unit, n, &stored);
    }
    clock.step("findings written");
    clock.report();
    unit_result(project, unit, entry)
}

/// A file's words for the screen; `None` when its text cannot be read.
type Words = Option<Arc<screen::FileWords>>;

/// Where a file's part of the bundle comes from: the bundle read (its bytes there), or made
/// in this run (to be encoded).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part<'a> {
    Kept(&'a [u8]),
    New,
}

/// A file's words: the hash of its bytes (`None`: it has none), the words, and their part of
/// the bundle.
struct FileWordsOf<'a> {
    content: Option<u128>,
    words: Words,
    part: Part<'a>,
}

/// A file's facts: their key in the bundle (`None`: not kept), the outcome, and its part of
/// the bundle.
struct FileFactsOf<'a> {
    id: FileId,
    key: Option<u128>,
    /// [`parse::content_hash`] of the file's bytes.
    content: u128,
    /// Made in this run; `None` for a kept part, not read yet.
    outcome: Option<Outcome>,
    part: Part<'a>,
    /// A new part's bytes, when the cache is on.
    encoded: Option<Vec<u8>>,
}

impl FileFactsOf<'_> {
    /// The outcome: made in this run, or read from the bundle's part. `None` when that part
    /// does not read.
    fn read(&self) -> Option<Outcome> {
        match (&self.outcome, self.part) {
            (Some(o), _) => Some(o.clone()),
            (None, Part::Kept(b)) => {
                crate::cache::read_part::<FileEntry>(b).map(|e| e.into_outcome(self.content))
            }
            (None, Part::New) => None,
        }
    }

    /// [`Self::read`], or else the file parsed again, whole: a part that does not read is
    /// no reason to stop.
    fn read_or_parse(&self, project: &Project, api: &Arc<Api>) -> Outcome {
        self.read().unwrap_or_else(|| {
            let disk = Sources {
                overlays: None,
                cache: None,
            };
            disk.read_file(project, self.id, api)
        })
    }

    /// The bytes the bundle holds of these facts (`None`: not kept).
    fn bytes(&self) -> Option<&[u8]> {
        match self.part {
            Part::Kept(b) => Some(b),
            Part::New => self.encoded.as_deref(),
        }
    }
}

/// The parts of a bundle read from the cache, by key.
#[derive(Default)]
struct Kept<'a> {
    words: FxHashMap<u128, &'a [u8]>,
    facts: FxHashMap<u128, &'a [u8]>,
}

impl<'a> Kept<'a> {
    /// The parts of an entry's bytes (empty when there are none or they are not a bundle).
    fn new(entry: Option<&'a [u8]>) -> Kept<'a> {
        let Some(b) = entry
            .and_then(|e| e.get(crate::cache::HEADER..))
            .and_then(crate::cache::Bundle::decode)
        else {
            return Kept::default();
        };
        Kept {
            words: b.words.into_iter().collect(),
            facts: b.facts.into_iter().collect(),
        }
    }

    /// Whether it holds parts no file has any more.
    fn stale(&self, words: &[FileWordsOf], facts: &[FileFactsOf]) -> bool {
        let used_words: rustc_hash::FxHashSet<u128> =
            words.iter().filter_map(|w| w.content).collect();
        let used_facts: rustc_hash::FxHashSet<u128> = facts.iter().filter_map(|f| f.key).collect();
        self.words.len() != used_words.len() || self.facts.len() != used_facts.len()
    }
}

/// The bundle of what a unit's files have now, each part once (two files can have the same
/// bytes): parts kept are copied as they are, those made in this run encoded.
fn new_bundle(words: &[FileWordsOf], facts: &[FileFactsOf]) -> Option<Vec<u8>> {
    let mut out = crate::cache::BundleWriter::default();
    let mut seen = rustc_hash::FxHashSet::default();
    for w in words {
        if let Some(c) = w.content
            && seen.insert(c)
        {
            match w.part {
                Part::Kept(b) => out.kept(c, b),
                Part::New => out.value(c, &w.words.as_deref())?,
            }
        }
    }
    out.facts();
    seen.clear();
    for f in facts {
        if let Some(k) = f.key
            && seen.insert(k)
        {
            match (f.bytes(), &f.outcome) {
                (Some(b), _) => out.kept(k, b),
                (None, Some(o)) => out.value(k, &FileEntry::from(o.clone()))?,
                (None, None) => return None,
            }
        }
    }
    Some(out.finish())
}

/// The name of a unit's bundle: its root, the configured lock methods and whether the screen
/// ran (runs that differ in those keep a bundle each).
fn bundle_key(project: &Project, unit: u32, screened: bool, cx: &RunCx) -> CacheKey {
    let u = &project.units[unit as usize];
    let mut k = KeyBuilder::new(Kind::Bundle);
    k.part(u.root.as_os_str().as_encoded_bytes())
        .part(&cx.lock_methods)
        .part(&[u8::from(screened)]);
    k.finish()
}

/// The name of a unit's findings in the cache: its root, its packages and the configuration
/// (runs that differ in those keep an entry each).
fn findings_name(project: &Project, unit: u32, cx: &RunCx) -> CacheKey {
    let mut k = KeyBuilder::new(Kind::Unit);
    k.part(b"findings");
    unit_parts(project, unit, cx, &mut k);
    k.finish()
}

/// The key of a unit's findings: every file's path and bytes (or why it has none), the
/// unit's packages, and the configuration.
fn unit_key(project: &Project, unit: u32, loaded: &[Loaded], cx: &RunCx) -> CacheKey {
    let mut k = KeyBuilder::new(Kind::Unit);
    unit_parts(project, unit, cx, &mut k);
    for l in loaded {
        file_parts(project, l.id, &mut k);
        match &l.bytes {
            Ok(_) => k.u128(l.content),
            Err(f) => k.part(f.reason.as_bytes()),
        };
    }
    k.finish()
}

/// The other key of a unit's findings: every file's path and facts (the bytes the bundle
/// keeps of them), the unit's packages, and the configuration. The findings are made from
/// nothing else, but for their fingerprints ([`refreshed`]). `None` when a file's facts are
/// not kept.
fn unit_facts_key(
    project: &Project,
    unit: u32,
    facts: &[FileFactsOf],
    cx: &RunCx,
) -> Option<CacheKey> {
    let mut k = KeyBuilder::new(Kind::Unit);
    k.part(b"by facts");
    unit_parts(project, unit, cx, &mut k);
    for f in facts {
        file_parts(project, f.id, &mut k);
        match (f.bytes(), &f.outcome) {
            (Some(b), _) => k.u128(parse::content_hash(b)),
            (None, Some(Outcome::Failed(why))) => k.part(why.reason.as_bytes()),
            (None, _) => return None,
        };
    }
    Some(k.finish())
}

/// What both keys of a unit's findings hold of each file besides its contents: its path and
/// package.
fn file_parts(project: &Project, id: FileId, k: &mut KeyBuilder) {
    let src = &project.files[id.0 as usize];
    k.part(src.path.as_os_str().as_encoded_bytes());
    k.part(format!("{:?}", src.package).as_bytes());
}

/// What both keys of a unit's findings hold besides its files: the configuration, the
/// unit's root and its packages.
fn unit_parts(project: &Project, unit: u32, cx: &RunCx, k: &mut KeyBuilder) {
    let u = &project.units[unit as usize];
    k.part(&cx.config);
    k.part(u.root.as_os_str().as_encoded_bytes());
    for &p in &u.packages {
        let pkg = &project.packages[p as usize];
        k.part(pkg.name.as_bytes());
        k.part(pkg.dir.as_os_str().as_encoded_bytes());
        k.part(format!("{:?}", pkg.edition).as_bytes());
        for t in &pkg.targets {
            k.part(format!("{:?} {}", t.kind, t.name).as_bytes());
            k.part(t.root.as_os_str().as_encoded_bytes());
        }
    }
}

/// A file's words for the screen, read from its tokens. `None` when its text cannot be read
/// (not UTF-8, too deep): it is parsed, and fails, whole.
fn file_words(l: &Loaded) -> Words {
    let bytes = l.bytes.as_ref().ok()?;
    let text = parse::decode(bytes).ok()?;
    let tokens = parse::lex_checked(&text).ok()?;
    Some(Arc::new(screen::scan(&text, &tokens)))
}

/// The configured lock methods, sorted, as they go into the key of facts: the only part of
/// the configuration that extraction reads.
fn lock_methods_key(api: &Api) -> Vec<u8> {
    let mut lock_methods: Vec<&str> = api
        .configured_lock_methods()
        .iter()
        .map(|s| s.as_str())
        .collect();
    lock_methods.sort_unstable();
    lock_methods.join("\n").into_bytes()
}

/// The key of a file's facts: its bytes ([`parse::content_hash`]), its edition, the
/// configured lock methods ([`lock_methods_key`]) and which bodies the screen blanked (`None`:
/// the whole file was parsed).
fn facts_key(
    content: u128,
    edition: crate::extract::Edition,
    lock_methods: &[u8],
    blank: Option<&[u32]>,
) -> CacheKey {
    let mut k = KeyBuilder::new(Kind::Facts);
    k.u128(content)
        .part(format!("{edition:?}").as_bytes())
        .part(lock_methods);
    match blank {
        Some(blank) => k.part(&screen::digest(blank).to_le_bytes()),
        None => k.part(b"whole"),
    };
    k.finish()
}

/// A file's facts, parsed with the screen's blanks. A file with words has been decoded and
/// checked for depth already (on the same bytes): that is not done twice.
fn file_facts(
    l: Loaded,
    words: Option<&screen::FileWords>,
    blank: &[u32],
    edition: crate::extract::Edition,
    cx: &RunCx,
) -> Outcome {
    let bytes = match l.bytes {
        Ok(b) => b,
        Err(f) => return Outcome::Failed(f),
    };
    let extract = ExtractOptions {
        edition,
        api: cx.api.clone(),
    };
    match parse::decode(&bytes) {
        Err(f) => Outcome::Failed(f),
        Ok(text) => {
            let checked = match words {
                Some(_) => Ok(()),
                None => parse::lex_checked(&text).map(drop),
            };
            match checked {
                Err(f) => Outcome::Failed(f),
                Ok(()) => {
                    let blanked = words.and_then(|w| screen::blank(&text, w, blank));
                    parse::parse_text(
                        &text,
                        blanked.as_deref(),
                        parse::source_hash(&bytes),
                        &extract,
                    )
                }
            }
        }
    }
}

/// The other names the unit's modules may be reached by, for the screen: its files' and
/// directories' names (a file no `mod` declares is placed where it lies) and its crates'.
fn unit_modules(project: &Project, unit: u32) -> Vec<screen::Word> {
    let u = &project.units[unit as usize];
    let mut out: Vec<screen::Word> = vec![];
    let mut add = |s: &str| {
        let s = s.strip_suffix(".rs").unwrap_or(s).replace('-', "_");
        out.push(screen::word(s.as_bytes()));
    };
    for &id in &u.files {
        let path = &project.files[id.0 as usize].path;
        for c in path.strip_prefix(&u.root).unwrap_or(path).components() {
            add(&c.as_os_str().to_string_lossy());
        }
    }
    for &p in &u.packages {
        let pkg = &project.packages[p as usize];
        add(&pkg.name);
        for t in &pkg.targets {
            add(&t.name);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A unit's findings found in the cache by its facts, made true of the files as they are now:
/// the fingerprints read the text of the lines found again (and the outline of their files),
/// and each file parsed has its own hash. `None` when the facts of a file with findings do not
/// read.
fn refreshed(
    project: &Project,
    unit: u32,
    mut e: UnitEntry,
    facts: &[FileFactsOf],
) -> Option<UnitEntry> {
    let found: rustc_hash::FxHashSet<FileId> =
        e.diagnostics.iter().map(|d| d.primary.file).collect();
    let mut read: FxHashMap<FileId, Arc<FileFacts>> = FxHashMap::default();
    for f in facts.iter().filter(|f| found.contains(&f.id)) {
        if let Outcome::Parsed(x) = f.read()? {
            read.insert(f.id, x);
        }
    }
    fingerprint_unit(
        project,
        unit,
        &mut e.diagnostics,
        |f| read.get(&f).map(|x| x.outline.as_slice()),
        &mut FxHashMap::default(),
    );
    // Failing is a matter of facts; the hash of one parsed is that of its bytes.
    for (file, f) in e.files.iter_mut().zip(facts) {
        file.1 = (!file.0).then_some(f.content as u64);
    }
    Some(e)
}

/// A unit's findings, as the cache keeps them: files as indices into the unit's list.
fn unit_entry_for_cache(project: &Project, unit: u32, e: &UnitEntry) -> Option<UnitEntry> {
    let files = &project.units[unit as usize].files;
    let index: FxHashMap<FileId, u32> = files
        .iter()
        .enumerate()
        .map(|(i, &f)| (f, i as u32))
        .collect();
    let mut diagnostics = e.diagnostics.clone();
    for d in &mut diagnostics {
        map_files(d, |f| index.get(&f).map(|&i| FileId(i)))?;
    }
    Some(UnitEntry {
        diagnostics,
        files: e.files.clone(),
    })
}

/// A unit's entry read from the cache, with this run's files again. `None` when it does not
/// fit the unit.
fn entry_from_cache(project: &Project, unit: u32, mut e: UnitEntry) -> Option<UnitEntry> {
    let files = &project.units[unit as usize].files;
    if e.files.len() != files.len() {
        return None;
    }
    for d in &mut e.diagnostics {
        map_files(d, |f| files.get(f.0 as usize).copied())?;
    }
    Some(e)
}

/// What a unit's entry means for this run: the findings that touch the requested files, the
/// number of requested files that failed, and the hashes of those parsed.
fn unit_result(project: &Project, unit: u32, mut e: UnitEntry) -> UnitResult {
    let files = &project.units[unit as usize].files;
    let requested = |f: FileId| project.files[f.0 as usize].requested;
    let mut failed = 0;
    let mut hashes = vec![];
    for (&id, &(fail, hash)) in files.iter().zip(&e.files) {
        if fail && requested(id) {
            failed += 1;
        }
        if let Some(h) = hash {
            hashes.push((id, h));
        }
    }
    e.diagnostics
        .retain(|d| d.locs().any(|l| requested(l.file)));
    (e.diagnostics, failed, hashes)
}

/// Changes every file a diagnostic names; `None` when `f` has no file for one of them.
fn map_files(d: &mut Diagnostic, f: impl Fn(FileId) -> Option<FileId>) -> Option<()> {
    d.primary.file = f(d.primary.file)?;
    for l in &mut d.labels {
        l.loc.file = f(l.loc.file)?;
    }
    if let Some(fix) = &mut d.fix {
        for e in &mut fix.edits {
            e.loc.file = f(e.loc.file)?;
        }
    }
    Some(())
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
            let outcome = sources.read_file(project, id, api);
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
) -> UnitEntry {
    let mut parsed: Vec<(FileId, Arc<FileFacts>)> = vec![];
    let mut diags = vec![];
    let mut failed: rustc_hash::FxHashSet<FileId> = Default::default();
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
                failed.insert(id);
                diags.push(failure_diagnostic(id, f));
            }
        }
    }
    let hashes: FxHashMap<FileId, u64> =
        parsed.iter().map(|(id, f)| (*id, f.source_hash)).collect();
    let expansions: Vec<(FileId, Vec<Span>)> = parsed
        .iter()
        .filter(|(_, f)| !f.expansions.is_empty())
        .map(|(id, f)| (*id, f.expansions.clone()))
        .collect();
    let mut clock = Clock::new(project, unit);
    let index = Index::build(project, unit, parsed);
    clock.step("index");
    let model = Model::new(&index, &opts.api);
    clock.step("model");
    let mut found = rules::run(&model);
    clock.step("rules");
    drop(model);
    drop(index);
    clock.step("drop");
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
            // An opt-in rule runs only when a level names it.
            None => rules::rule(d.rule)
                .is_none_or(|r| r.group == rules::Group::Default)
                .then_some(d),
        })
        .collect();

    sort(project, &mut diags);
    fingerprint_unit(
        project,
        unit,
        &mut diags,
        |f| outlines.get(&f).map(|o| o.as_slice()),
        &mut texts,
    );
    let files = project.units[unit as usize]
        .files
        .iter()
        .map(|id| (failed.contains(id), hashes.get(id).copied()))
        .collect();
    clock.step("suppressions, levels, fingerprints");
    clock.report();
    UnitEntry {
        diagnostics: diags,
        files,
    }
}

/// Fingerprints, numbered over all of a unit's findings in order (sorted), before keeping
/// those that touch the requested files: naming a file must not change them. The text of a
/// file with findings is read again (unless `texts` has it).
fn fingerprint_unit<'o>(
    project: &Project,
    unit: u32,
    diags: &mut [Diagnostic],
    outline: impl Fn(FileId) -> Option<&'o [ItemExtent]>,
    texts: &mut FxHashMap<FileId, String>,
) {
    let root = &project.units[unit as usize].root;
    let mut seen: FxHashMap<Key, u32> = FxHashMap::default();
    for d in diags {
        let file = d.primary.file;
        let src = &project.files[file.0 as usize];
        let text = texts.entry(file).or_insert_with(|| {
            std::fs::read(&src.path)
                .map(|b| fingerprint_text(&b))
                .unwrap_or_default()
        });
        let context = outline(file)
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
    let mut diags = analyse_outcomes(&project, 0, &opts, vec![(id, outcome)], texts).diagnostics;
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

/// `LOCKSCAN_TIMINGS` (set to anything): how long each step of each unit took, on stderr, for
/// profiling. No output format holds it.
struct Clock {
    on: bool,
    name: String,
    last: Instant,
    steps: Vec<(&'static str, Duration)>,
}

impl Clock {
    fn new(project: &Project, unit: u32) -> Clock {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let on = *ON.get_or_init(|| std::env::var_os("LOCKSCAN_TIMINGS").is_some());
        Clock {
            on,
            name: if on {
                format!(
                    "{} ({} files)",
                    unit_name(project, unit),
                    project.units[unit as usize].files.len()
                )
            } else {
                String::new()
            },
            last: Instant::now(),
            steps: vec![],
        }
    }

    fn step(&mut self, what: &'static str) {
        if self.on {
            let now = Instant::now();
            self.steps.push((what, now - self.last));
            self.last = now;
        }
    }

    fn report(&self) {
        if self.on {
            let steps: Vec<String> = self
                .steps
                .iter()
                .map(|(what, d)| format!("{what} {:.1} ms", d.as_secs_f64() * 1e3))
                .collect();
            eprintln!("timing: {}: {}", self.name, steps.join(", "));
        }
    }
}

/// Does an edit's span touch `s`: overlap it, or insert strictly inside it?
fn overlaps(edit: Span, s: Span) -> bool {
    if edit.lo == edit.hi {
        s.lo < edit.lo && edit.lo < s.hi
    } else {
        edit.lo < s.hi && s.lo < edit.hi
    }
}
