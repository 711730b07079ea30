//! The pipeline: discover → parse each file in parallel → facts → index per unit → rules →
//! diagnostics, sorted. Units are analysed in parallel (and each unit's files in parallel inside
//! it); a unit's facts are dropped as soon as its diagnostics are made, so memory follows the
//! largest units in flight, not the whole run.

use crate::diag::{Diagnostic, Severity};
use crate::extract::ExtractOptions;
use crate::facts::FileFacts;
use crate::index::Index;
use crate::index::model::Model;
use crate::intern::Sym;
use crate::parse::{self, Outcome};
use crate::project::{self, DiscoverOptions, Project};
use crate::rules;
use crate::span::{FileId, Loc};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Worker threads; all cores when `None`.
    pub threads: Option<usize>,
    pub discover: DiscoverOptions,
    /// Methods that acquire a lock besides the known ones.
    pub extra_lock_methods: Vec<String>,
    /// Rule levels that differ from the defaults (`None`: the rule is off).
    pub levels: BTreeMap<String, Option<Severity>>,
}

pub struct Report {
    pub project: Project,
    /// Sorted by file, line, column, rule.
    pub diagnostics: Vec<Diagnostic>,
    pub files_scanned: usize,
    pub parse_errors: usize,
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
            .map(|unit| analyse_unit(&project, unit, &extra))
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

    // Report what lies in the files the user asked about, at the level the user asked for.
    let mut diagnostics: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| project.files[d.primary.file.0 as usize].requested)
        .filter_map(|mut d| match opts.levels.get(d.rule) {
            Some(None) => None,
            Some(Some(level)) => {
                d.severity = *level;
                Some(d)
            }
            None => Some(d),
        })
        .collect();
    sort(&project, &mut diagnostics);
    let files_scanned = project.files.iter().filter(|f| f.requested).count();
    Ok(Report {
        project,
        diagnostics,
        files_scanned,
        parse_errors,
        elapsed: start.elapsed(),
        hashes,
    })
}

/// A unit's diagnostics, the number of its files that could not be parsed, and the hash of
/// each parsed file.
type UnitResult = (Vec<Diagnostic>, usize, Vec<(FileId, u64)>);

/// Parses one unit's files, builds its index, runs the rules.
fn analyse_unit(project: &Project, unit: u32, extra: &[Sym]) -> UnitResult {
    let files = &project.units[unit as usize].files;
    let outcomes: Vec<(FileId, Outcome)> = files
        .par_iter()
        .map(|&id| {
            let src = &project.files[id.0 as usize];
            let opts = ExtractOptions {
                edition: src
                    .package
                    .map(|p| project.packages[p as usize].edition)
                    .unwrap_or_default(),
                extra_lock_methods: extra.to_vec(),
            };
            let outcome = match &src.unreadable {
                Some(why) => Outcome::Failed(parse::unreadable_directory(why)),
                None => parse::parse_path(&src.path, &opts),
            };
            (id, outcome)
        })
        .collect();
    let mut parsed: Vec<(FileId, FileFacts)> = vec![];
    let mut diags = vec![];
    let mut failed = 0;
    for (id, outcome) in outcomes {
        match outcome {
            Outcome::Parsed(facts) => parsed.push((id, facts)),
            Outcome::Failed(f) => {
                if project.files[id.0 as usize].requested {
                    failed += 1;
                }
                diags.push(failure_diagnostic(id, f));
            }
        }
    }
    let hashes = parsed.iter().map(|(id, f)| (*id, f.source_hash)).collect();
    let index = Index::build(project, unit, parsed);
    let model = Model::new(&index);
    diags.extend(rules::run(&model));
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

/// The whole pipeline on one file's bytes, without I/O: parse and extract, index a unit of
/// this one loose file, run every rule. What the fuzzer drives. It recurses as deeply as the
/// file nests, up to [`parse::MAX_DEPTH`]: run it on a [`parse::STACK_SIZE`] stack.
pub fn analyse_source(bytes: &[u8], edition: crate::extract::Edition) -> Vec<Diagnostic> {
    let id = FileId(0);
    let project = Project::one_file(PathBuf::from("input.rs"), "input.rs".into());
    let opts = ExtractOptions {
        edition,
        extra_lock_methods: vec![],
    };
    let mut diags = match parse::parse_bytes(bytes, &opts) {
        Outcome::Parsed(facts) => {
            let index = Index::build(&project, 0, vec![(id, facts)]);
            let model = Model::new(&index);
            rules::run(&model)
        }
        Outcome::Failed(f) => vec![failure_diagnostic(id, f)],
    };
    sort(&project, &mut diags);
    diags
}

/// Sorts by file (as displayed), line, column and rule, and drops exact duplicates.
pub fn sort(project: &Project, diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        let fa = &project.files[a.primary.file.0 as usize].display;
        let fb = &project.files[b.primary.file.0 as usize].display;
        fa.cmp(fb)
            .then(a.primary.span.cmp(&b.primary.span))
            .then(a.rule.cmp(b.rule))
            .then(a.message.cmp(&b.message))
    });
    diags.dedup();
}
