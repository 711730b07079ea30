//! Analysis off the message loop: one worker thread runs one analysis at a time on a thread
//! pool with the parser's stacks, keeping parsed facts between analyses; the loop keeps what is
//! waiting to run.
//!
//! * A change waits [`DEBOUNCE`] for the next keystroke; opening a file or a configuration
//!   change runs at once.
//! * Requests for one file merge: a later one replaces the earlier, and an analysis that
//!   finishes settles every waiting request for a file of its unit made before it started.
//! * An analysis whose unit changes while it runs is cancelled (it stops between files; the
//!   facts parsed so far stay cached) and runs again.
//! * A panic inside an analysis is caught and reported; the server goes on.

use super::convert::{self, ClientCaps, FileFindings, Snapshot};
use crate::driver::{self, FactsCache, Options, UnitAnalysis};
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a change waits for the next one before it is analysed.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// One analysis to run: the unit of `file`, with the documents as they were at `generation`.
pub struct Job {
    pub id: u64,
    pub file: PathBuf,
    pub generation: u64,
    pub options: Arc<Options>,
    pub snapshot: Snapshot,
    pub caps: ClientCaps,
    cancel: Arc<AtomicBool>,
}

/// What an analysis found.
pub enum Outcome {
    Done {
        /// Identifies the unit: its root (the file itself for a loose file).
        root: PathBuf,
        /// Every file of the unit.
        files: Vec<PathBuf>,
        /// The unit's files with findings.
        findings: Vec<FileFindings>,
    },
    /// The configuration excludes the file.
    Excluded,
    Cancelled,
    /// Analysis could not be done (or panicked): why.
    Failed(String),
}

pub struct Finished {
    pub id: u64,
    pub file: PathBuf,
    pub generation: u64,
    /// The open documents' versions it saw.
    pub open: Arc<rustc_hash::FxHashMap<PathBuf, (lsp_types::Uri, i32)>>,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

/// Runs one job: the analysis and the conversion of its findings, a panic caught.
pub fn run(job: &Job, pool: &rayon::ThreadPool, cache: &FactsCache) -> Outcome {
    let work = || {
        let cancelled = || job.cancel.load(Ordering::Relaxed);
        let analysis = driver::analyse_unit_of(
            &job.file,
            &job.snapshot.overlays,
            &job.options,
            cache,
            &cancelled,
        );
        match analysis {
            Ok(UnitAnalysis::Done(report)) => {
                let unit = &report.project.units[report.unit as usize];
                let root = if unit.root.as_os_str().is_empty() {
                    job.file.clone()
                } else {
                    unit.root.clone()
                };
                let files = report
                    .files()
                    .iter()
                    .map(|f| report.project.files[f.0 as usize].path.clone())
                    .collect();
                let findings = convert::unit_findings(&report, &job.snapshot, job.caps);
                Outcome::Done {
                    root,
                    files,
                    findings,
                }
            }
            Ok(UnitAnalysis::Excluded) => Outcome::Excluded,
            Ok(UnitAnalysis::Cancelled) => Outcome::Cancelled,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    };
    guarded(&job.file, || pool.install(work))
}

/// `f()`, or what its panic said.
fn guarded(file: &Path, f: impl FnOnce() -> Outcome) -> Outcome {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Outcome::Failed(format!(
            "lockscan failed while analysing `{}` (please report this): {what}",
            file.display()
        ))
    })
}

/// The worker thread and the analyses waiting for it.
pub struct Scheduler {
    jobs: Sender<Job>,
    pub results: Receiver<Finished>,
    pending: BTreeMap<PathBuf, Pending>,
    in_flight: Option<InFlight>,
    next_id: u64,
}

struct Pending {
    due: Instant,
    generation: u64,
}

struct InFlight {
    id: u64,
    file: PathBuf,
    cancel: Arc<AtomicBool>,
}

impl Scheduler {
    /// Starts the worker, with a pool of `threads` (all cores when `None`), keeping facts in
    /// memory and in the on-disk cache in `cache_dir` (none when `None`).
    pub fn start(threads: Option<usize>, cache_dir: Option<PathBuf>) -> std::io::Result<Scheduler> {
        let mut builder = rayon::ThreadPoolBuilder::new().stack_size(crate::parse::STACK_SIZE);
        if let Some(n) = threads {
            builder = builder.num_threads(n);
        }
        let pool = builder.build().map_err(std::io::Error::other)?;
        let (jobs, job_rx) = unbounded::<Job>();
        let (result_tx, results) = unbounded::<Finished>();
        std::thread::Builder::new()
            .name("lockscan-analysis".into())
            .spawn(move || {
                let cache = match &cache_dir {
                    Some(dir) => FactsCache::with_disk(dir),
                    None => FactsCache::default(),
                };
                for job in job_rx {
                    let start = Instant::now();
                    let outcome = run(&job, &pool, &cache);
                    cache.finish();
                    let done = Finished {
                        id: job.id,
                        file: job.file,
                        generation: job.generation,
                        open: job.snapshot.open,
                        outcome,
                        elapsed: start.elapsed(),
                    };
                    if result_tx.send(done).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Scheduler {
            jobs,
            results,
            pending: BTreeMap::new(),
            in_flight: None,
            next_id: 1,
        })
    }

    /// Asks for `file`'s unit to be analysed after `delay`, with the documents as they are at
    /// `generation`.
    pub fn request(&mut self, file: PathBuf, delay: Duration, generation: u64) {
        let due = Instant::now() + delay;
        let entry = self
            .pending
            .entry(file)
            .or_insert(Pending { due, generation });
        entry.due = due;
        entry.generation = entry.generation.max(generation);
    }

    /// When the next analysis should start: `None` while one runs or none waits.
    pub fn next_due(&self) -> Option<Instant> {
        if self.in_flight.is_some() {
            return None;
        }
        self.pending.values().map(|p| p.due).min()
    }

    /// The file whose analysis is due now, if any (and none runs), taken off the queue.
    pub fn take_due(&mut self, now: Instant) -> Option<PathBuf> {
        if self.in_flight.is_some() {
            return None;
        }
        let (file, _) = self
            .pending
            .iter()
            .filter(|(_, p)| p.due <= now)
            .min_by_key(|(_, p)| p.due)?;
        let file = file.clone();
        self.pending.remove(&file);
        Some(file)
    }

    /// Sends a job to the worker. `false` when the worker is gone.
    pub fn start_job(
        &mut self,
        file: PathBuf,
        generation: u64,
        options: Arc<Options>,
        snapshot: Snapshot,
        caps: ClientCaps,
    ) -> bool {
        let id = self.next_id;
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.in_flight = Some(InFlight {
            id,
            file: file.clone(),
            cancel: cancel.clone(),
        });
        let job = Job {
            id,
            file,
            generation,
            options,
            snapshot,
            caps,
            cancel,
        };
        self.jobs.send(job).is_ok()
    }

    /// The file of the analysis running, if any.
    pub fn running(&self) -> Option<&Path> {
        self.in_flight.as_ref().map(|j| j.file.as_path())
    }

    /// Cancels the analysis running, which will be asked for again when it reports back.
    pub fn cancel_running(&mut self) {
        if let Some(j) = &self.in_flight {
            j.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Cancels everything (at shutdown).
    pub fn clear(&mut self) {
        self.cancel_running();
        self.pending.clear();
    }

    /// Records that the analysis `done` reported back. When it was cancelled, its request
    /// goes back on the queue, due now; when it finished, requests it covered (files of its
    /// unit, made at or before its generation) are dropped.
    pub fn finished(&mut self, done: &Finished) {
        if self.in_flight.as_ref().is_some_and(|j| j.id == done.id) {
            self.in_flight = None;
        }
        match &done.outcome {
            Outcome::Cancelled => self.request(done.file.clone(), Duration::ZERO, done.generation),
            Outcome::Done { files, .. } => {
                for f in files {
                    if self
                        .pending
                        .get(f)
                        .is_some_and(|p| p.generation <= done.generation)
                    {
                        self.pending.remove(f);
                    }
                }
            }
            Outcome::Excluded | Outcome::Failed(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_failure() {
        // (The default hook prints the panic; that is all it does.)
        let out = guarded(Path::new("/x/a.rs"), || panic!("index out of bounds"));
        match out {
            Outcome::Failed(why) => {
                assert!(
                    why.contains("index out of bounds") && why.contains("/x/a.rs"),
                    "{why}"
                )
            }
            _ => panic!("the panic was not caught"),
        }
    }

    #[test]
    fn requests_merge_and_wait_for_their_time() {
        let mut s = Scheduler::start(Some(1), None).unwrap();
        let a = PathBuf::from("/x/a.rs");
        s.request(a.clone(), Duration::from_secs(60), 1);
        s.request(a.clone(), Duration::from_secs(60), 2);
        assert_eq!(s.pending.len(), 1);
        assert_eq!(s.pending[&a].generation, 2);
        assert_eq!(s.take_due(Instant::now()), None);
        s.request(a.clone(), Duration::ZERO, 3);
        assert_eq!(s.take_due(Instant::now()), Some(a));
        assert!(s.pending.is_empty());
    }
}
