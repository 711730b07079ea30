//! Where a unit's files are read from, in one place: the disk, or an *overlay* (text held in
//! memory in place of the file: an editor's unsaved buffer); and facts parsed before, kept
//! between analyses by a [`FactsCache`] so that an edit parses only the file that changed.
//!
//! Every file a run reads goes through [`Sources::read`]. The command line reads the disk
//! alone (through `driver::analyse_unit`, with the on-disk cache and the screen); the language
//! server passes its open documents and its cache, which may hold the on-disk cache
//! ([`FactsCache::with_disk`]) as another source consulted before parsing.
//!
//! The on-disk cache is keyed by a hash of the exact bytes parsed, so an overlay can never be
//! taken for the file on disk nor the other way round. Facts of a file on disk are read from it
//! and written to it; an overlay's are read from it (an editor opens a file whose text is the
//! saved one, parsed before by `lockscan` or an earlier server) but never written, so that
//! every keystroke does not leave an entry behind. The server parses whole files (no screen):
//! the screen's blanks depend on every file of the unit, and facts kept in memory between edits
//! must not.

use crate::extract::ExtractOptions;
use crate::known::Api;
use crate::parse::{self, Outcome};
use crate::project::{Project, SourceFile};
use crate::span::FileId;
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

/// The text of files held in memory in place of what is on disk (an editor's unsaved buffers),
/// by absolute, normalized path.
pub type Overlays = FxHashMap<PathBuf, std::sync::Arc<str>>;

/// What a run reads its files from, besides the disk.
#[derive(Clone, Copy, Default)]
pub(super) struct Sources<'a> {
    /// Text that stands for a file on disk.
    pub overlays: Option<&'a Overlays>,
    /// Facts parsed before, taken while the file's text is what was parsed.
    pub cache: Option<&'a FactsCache>,
}

impl Sources<'_> {
    /// The facts of a project's file `id`, read with its crate's edition: [`Sources::read`].
    pub fn read_file(&self, project: &Project, id: FileId, api: &Arc<Api>) -> Outcome {
        let extract = ExtractOptions {
            edition: project.edition(id),
            api: api.clone(),
        };
        self.read(&project.files[id.0 as usize], &extract)
    }

    /// The facts of one file, or why there are none.
    pub fn read(&self, src: &SourceFile, opts: &ExtractOptions) -> Outcome {
        if let Some(why) = &src.unreadable {
            return Outcome::Failed(parse::unreadable_directory(why));
        }
        match (self.overlays.and_then(|o| o.get(&src.path)), self.cache) {
            (Some(text), _) if text.len() as u64 > parse::MAX_FILE_SIZE => {
                Outcome::Failed(parse::too_large())
            }
            (Some(text), Some(cache)) => cache.parse_text(&src.path, text, opts),
            (Some(text), None) => parse::parse_bytes(text.as_bytes(), opts),
            (None, Some(cache)) => cache.parse_path(&src.path, opts),
            (None, None) => parse::parse_path(&src.path, opts),
        }
    }
}

/// The facts of files parsed before, kept in memory between analyses (the language server
/// keeps one for its whole life). A file on disk is taken from the cache while its size and
/// modification time are those it had when it was parsed; an overlay while its text hashes the
/// same. Facts depend on the extraction options too (the edition, the API tables with the
/// configured lock methods), so those must be the same as well. Failures are kept like facts.
#[derive(Default)]
pub struct FactsCache {
    entries: Mutex<FxHashMap<PathBuf, Entry>>,
    /// The on-disk cache, consulted on a miss.
    disk: Option<crate::cache::Cache>,
}

struct Entry {
    key: SourceKey,
    opts: ExtractOptions,
    outcome: Outcome,
}

/// What identifies the text a file's facts were parsed from.
#[derive(Clone, PartialEq, Eq)]
enum SourceKey {
    Disk { len: u64, modified: SystemTime },
    Text { len: usize, hash: u64 },
}

impl SourceKey {
    fn of_disk(path: &Path) -> Option<SourceKey> {
        let m = std::fs::metadata(path).ok()?;
        Some(SourceKey::Disk {
            len: m.len(),
            modified: m.modified().ok()?,
        })
    }
}

impl FactsCache {
    /// A cache in memory that also reads and writes the on-disk cache in `dir` (facts of whole
    /// files, as `lockscan --no-screen` keeps them).
    pub fn with_disk(dir: &Path) -> FactsCache {
        FactsCache {
            entries: Mutex::default(),
            disk: Some(crate::cache::Cache::new(dir)),
        }
    }

    /// After an analysis: lets the on-disk cache count what was written and remove its oldest
    /// entries when it has outgrown its limit.
    pub fn finish(&self) {
        if let Some(d) = &self.disk {
            d.finish();
        }
    }

    /// Parses `bytes` (those of `path`, or an overlay when `write` is false), with the facts
    /// taken from the on-disk cache when it has them for these very bytes.
    fn parse_via_disk(&self, bytes: &[u8], write: bool, opts: &ExtractOptions) -> Outcome {
        let Some(disk) = &self.disk else {
            return parse::parse_bytes(bytes, opts);
        };
        let content = parse::content_hash(bytes);
        let key = super::facts_key(
            content,
            opts.edition,
            &super::lock_methods_key(&opts.api),
            None,
        );
        if let Some(entry) = disk.get::<super::FileEntry>(crate::cache::Kind::Facts, key) {
            return entry.into_outcome(content);
        }
        let outcome = parse::parse_bytes(bytes, opts);
        if write {
            disk.put(
                crate::cache::Kind::Facts,
                key,
                &super::FileEntry::from(outcome.clone()),
            );
        }
        outcome
    }

    /// How many files' facts it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, FxHashMap<PathBuf, Entry>> {
        // The map holds plain data: a panic elsewhere cannot leave it half-updated.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, path: &Path, key: &SourceKey, opts: &ExtractOptions) -> Option<Outcome> {
        let entries = self.lock();
        let e = entries.get(path)?;
        (e.key == *key && e.opts.edition == opts.edition && *e.opts.api == *opts.api)
            .then(|| e.outcome.clone())
    }

    fn put(&self, path: &Path, key: SourceKey, opts: &ExtractOptions, outcome: &Outcome) {
        let entry = Entry {
            key,
            opts: opts.clone(),
            outcome: outcome.clone(),
        };
        self.lock().insert(path.to_path_buf(), entry);
    }

    /// An overlay's facts: kept ones while its text is the same.
    fn parse_text(&self, path: &Path, text: &str, opts: &ExtractOptions) -> Outcome {
        let key = SourceKey::Text {
            len: text.len(),
            hash: parse::source_hash(text.as_bytes()),
        };
        if let Some(hit) = self.get(path, &key, opts) {
            return hit;
        }
        let outcome = self.parse_via_disk(text.as_bytes(), false, opts);
        self.put(path, key, opts, &outcome);
        outcome
    }

    /// A file's facts from the disk: kept ones while its size and modification time are the
    /// same.
    fn parse_path(&self, path: &Path, opts: &ExtractOptions) -> Outcome {
        let Some(key) = SourceKey::of_disk(path) else {
            return parse::parse_path(path, opts);
        };
        if let Some(hit) = self.get(path, &key, opts) {
            return hit;
        }
        let outcome = match parse::read_path(path) {
            Ok(bytes) => self.parse_via_disk(&bytes, true, opts),
            Err(f) => Outcome::Failed(f),
        };
        // A file that changed while it was read is parsed again next time.
        if SourceKey::of_disk(path).as_ref() == Some(&key) {
            self.put(path, key, opts, &outcome);
        }
        outcome
    }

    /// Drops the entries of files under `root` that are no longer among `files` (deleted,
    /// renamed, or excluded since).
    pub(super) fn retain_unit<'p>(&self, root: &Path, files: impl Iterator<Item = &'p Path>) {
        let keep: FxHashSet<&Path> = files.collect();
        self.lock()
            .retain(|p, _| !p.starts_with(root) || keep.contains(p.as_path()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::known::Api;
    use std::sync::Arc;

    fn source(path: &Path) -> SourceFile {
        SourceFile {
            path: path.to_path_buf(),
            display: path.display().to_string(),
            unit: 0,
            package: None,
            requested: true,
            unreadable: None,
        }
    }

    fn facts(o: Outcome) -> Arc<crate::facts::FileFacts> {
        match o {
            Outcome::Parsed(f) => f,
            Outcome::Failed(f) => panic!("{}", f.reason),
        }
    }

    /// Parsing recurses: on a thread with the parser's stack, as in a run.
    fn on_parser_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(parse::STACK_SIZE)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn facts_are_kept_while_the_text_is_the_same() {
        on_parser_stack(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("lib.rs");
            std::fs::write(&path, "pub fn f() {}\n").unwrap();
            let src = source(&path);
            let cache = FactsCache::default();
            let opts = ExtractOptions::default();
            let disk = Sources {
                overlays: None,
                cache: Some(&cache),
            };
            let first = facts(disk.read(&src, &opts));
            assert!(Arc::ptr_eq(&first, &facts(disk.read(&src, &opts))));
            // Another size on disk: parsed again.
            std::fs::write(&path, "pub fn f() {}\npub fn g() {}\n").unwrap();
            let second = facts(disk.read(&src, &opts));
            assert!(!Arc::ptr_eq(&first, &second));
            assert_eq!(second.fns.len(), 2);
            // Other extraction options (a configured lock method): parsed again.
            let configured = ExtractOptions {
                api: Arc::new(Api::default().configure(&["acquire".into()], &[], &[])),
                ..ExtractOptions::default()
            };
            assert!(!Arc::ptr_eq(&second, &facts(disk.read(&src, &configured))));

            // An overlay stands for the file, and is kept by its text.
            let mut overlays = Overlays::default();
            overlays.insert(path.clone(), Arc::from("pub fn h() {}\n"));
            let edited = Sources {
                overlays: Some(&overlays),
                cache: Some(&cache),
            };
            let typed = facts(edited.read(&src, &opts));
            assert_eq!(typed.fns.len(), 1);
            assert!(Arc::ptr_eq(&typed, &facts(edited.read(&src, &opts))));
            overlays.insert(path.clone(), Arc::from("pub fn h() {}\npub fn i() {}\n"));
            let edited = Sources {
                overlays: Some(&overlays),
                cache: Some(&cache),
            };
            assert_eq!(facts(edited.read(&src, &opts)).fns.len(), 2);
            assert_eq!(cache.len(), 1);

            // Without a cache, nothing is kept.
            let plain = Sources::default();
            let a = facts(plain.read(&src, &opts));
            assert!(!Arc::ptr_eq(&a, &facts(plain.read(&src, &opts))));
        });
    }

    #[test]
    fn a_unit_forgets_the_files_it_no_longer_has() {
        on_parser_stack(|| {
            let dir = tempfile::tempdir().unwrap();
            let (a, b) = (dir.path().join("a.rs"), dir.path().join("b.rs"));
            let elsewhere = tempfile::tempdir().unwrap();
            let c = elsewhere.path().join("c.rs");
            let cache = FactsCache::default();
            let sources = Sources {
                overlays: None,
                cache: Some(&cache),
            };
            for p in [&a, &b, &c] {
                std::fs::write(p, "pub fn f() {}\n").unwrap();
                facts(sources.read(&source(p), &ExtractOptions::default()));
            }
            assert_eq!(cache.len(), 3);
            // b.rs was deleted: the unit at `dir` holds a.rs only; c.rs is another unit's.
            cache.retain_unit(dir.path(), [a.as_path()].into_iter());
            assert_eq!(cache.len(), 2);
            let kept = cache.lock();
            assert!(kept.contains_key(&a) && kept.contains_key(&c) && !kept.contains_key(&b));
        });
    }

    #[test]
    fn an_overlay_too_large_is_not_parsed_and_an_unreadable_directory_fails() {
        let path = PathBuf::from("/nonexistent/lib.rs");
        let mut overlays = Overlays::default();
        let big = "x".repeat(parse::MAX_FILE_SIZE as usize + 1);
        overlays.insert(path.clone(), Arc::from(big.as_str()));
        let sources = Sources {
            overlays: Some(&overlays),
            cache: None,
        };
        match sources.read(&source(&path), &ExtractOptions::default()) {
            Outcome::Failed(f) => assert_eq!(f, parse::too_large()),
            Outcome::Parsed(_) => panic!("parsed a file over the limit"),
        }
        let mut unreadable = source(&path);
        unreadable.unreadable = Some("permission denied".into());
        assert!(matches!(
            Sources::default().read(&unreadable, &ExtractOptions::default()),
            Outcome::Failed(_)
        ));
    }

    /// The entries of facts in an on-disk cache.
    fn disk_facts(dir: &Path) -> usize {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| {
                e.file_type().is_file() && e.path().components().any(|c| c.as_os_str() == "facts")
            })
            .count()
    }

    #[test]
    fn the_disk_cache_keeps_files_on_disk_and_never_an_overlay() {
        on_parser_stack(|| {
            let tree = tempfile::tempdir().unwrap();
            let store = tempfile::tempdir().unwrap();
            let path = tree.path().join("lib.rs");
            let saved = "pub fn f() {}\n";
            std::fs::write(&path, saved).unwrap();
            let src = source(&path);
            let opts = ExtractOptions::default();

            // Unsaved text is parsed and kept in memory, never written to the disk cache.
            let mut overlays = Overlays::default();
            overlays.insert(
                path.clone(),
                Arc::from("pub fn f() {}\npub fn typed() {}\n"),
            );
            let first = FactsCache::with_disk(store.path());
            let edited = Sources {
                overlays: Some(&overlays),
                cache: Some(&first),
            };
            assert_eq!(facts(edited.read(&src, &opts)).fns.len(), 2);
            first.finish();
            assert_eq!(disk_facts(store.path()), 0);

            // The file on disk is written to it.
            let disk = Sources {
                overlays: None,
                cache: Some(&first),
            };
            assert_eq!(facts(disk.read(&src, &opts)).fns.len(), 1);
            first.finish();
            assert_eq!(disk_facts(store.path()), 1);

            // A later server (nothing in memory) takes them for an overlay of the saved text
            // (a read marks the entry used: its time, set two hours back, moves to now); not
            // for an overlay of other text, which is parsed.
            let entry = walkdir::WalkDir::new(store.path())
                .into_iter()
                .flatten()
                .find(|e| {
                    e.file_type().is_file()
                        && e.path().components().any(|c| c.as_os_str() == "facts")
                })
                .unwrap()
                .into_path();
            let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
            let set_old = || {
                std::fs::File::options()
                    .append(true)
                    .open(&entry)
                    .unwrap()
                    .set_modified(old)
                    .unwrap()
            };
            let used = || std::fs::metadata(&entry).unwrap().modified().unwrap() > old;
            set_old();
            let later = FactsCache::with_disk(store.path());
            overlays.insert(path.clone(), Arc::from(saved));
            let same = Sources {
                overlays: Some(&overlays),
                cache: Some(&later),
            };
            assert_eq!(facts(same.read(&src, &opts)).fns.len(), 1);
            assert!(
                used(),
                "the saved text's facts were not read from the disk cache"
            );
            set_old();
            overlays.insert(
                path.clone(),
                Arc::from("pub fn g() {}\npub fn h() {}\npub fn i() {}\n"),
            );
            let other = Sources {
                overlays: Some(&overlays),
                cache: Some(&later),
            };
            assert_eq!(facts(other.read(&src, &opts)).fns.len(), 3);
            assert!(!used(), "other text was taken for the saved file's facts");
            later.finish();
            assert_eq!(disk_facts(store.path()), 1);
            // The file on disk is still what it was: nothing of the overlays reached it.
            assert_eq!(std::fs::read_to_string(&path).unwrap(), saved);
        });
    }
}
