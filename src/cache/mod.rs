//! The cache: what a run learned, kept for the next one, so that no work is done twice.
//!
//! Three kinds of entry, each a file of its own, named by its key (one directory per kind):
//! - a **bundle** per unit ([`Bundle`]): every file's words for the screen
//!   (`screen::FileWords`), keyed inside the bundle by the file's bytes, and its facts (its
//!   `FileFacts`, or why it has none), keyed inside it by the file's bytes, its edition, the
//!   configured lock methods and which bodies the screen blanked. The bundle itself is named by
//!   the unit's root, the lock methods and whether the screen ran: one file read and at most one
//!   written per unit and run, however many files it has (creating a file costs more than
//!   anything else a cold run does on a file);
//! - **facts** of one file parsed whole, keyed as in a bundle: the language server's, which
//!   parses one file at a time;
//! - a unit's **findings**, one entry per unit, named by its root, its packages and the
//!   configuration (which holds whether the screen ran). It holds the two keys it was made
//!   under, and is used when either is this run's: one of every file of the unit (path and
//!   bytes), and one of each file's facts (the bytes the bundle keeps of them) in place of its
//!   bytes, so that a change that leaves the facts as they were (a comment, white space) is not
//!   analysed again: only the fingerprints, which read the text of the lines found, are made
//!   again. Facts keep no hash of their file's bytes for this (it is set again when they are
//!   read).
//!
//! Every key also holds the hash of the source that decides what the entry holds, computed at
//! build time (`build.rs`): bundles and facts entries that of the fact types, extraction,
//! the API tables, the lexer, parsing, the screen and this module; unit entries that of all
//! of `src/`; both the crate's version and `Cargo.lock`. An entry written by one build is
//! never read by another that would have written something else.
//!
//! An entry is a header (magic, layout version, kind, build hash, key, length, checksum) and a
//! payload in postcard. Reading checks all of it and that postcard reads the whole payload; any
//! failure is a miss, and the entry is written again. Writes go to a temporary file in the
//! cache directory, renamed to the entry once the entry it replaces is removed: a reader sees
//! the old entry, none (a miss) or the new one, never a part of one, whatever other runs do at
//! the same time. A directory that cannot be written (read-only, full) is said once on stderr,
//! and the run goes on without writing. The cache's size is bounded: when enough has been
//! written, the least recently used entries are removed, and so are the directories of other
//! layouts.
//!
//! The directory is the platform's cache directory (`~/.cache/lockscan` on Linux), or
//! `LOCKSCAN_CACHE_DIR`, or `--cache-dir`: never the scanned tree unless the user names it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The build hashes (see `build.rs`).
pub const FACTS_BUILD: &str = env!("LOCKSCAN_FACTS_HASH");
pub const SRC_BUILD: &str = env!("LOCKSCAN_SRC_HASH");

/// The layout of an entry; a new one goes to a directory of its own.
const LAYOUT: u16 = 3;
const MAGIC: &[u8; 4] = b"LKSC";
/// Magic, layout, kind, reserved, build hash, key, payload length, checksum.
pub const HEADER: usize = 4 + 2 + 1 + 1 + 16 + 16 + 8 + 8;
/// No entry is larger than this (the largest facts of the corpus are a few MiB).
const MAX_ENTRY: u64 = 256 << 20;
/// The size the cache is kept under by default (`LOCKSCAN_CACHE_SIZE` changes it: bytes, or
/// a number with `K`, `M` or `G`).
pub const DEFAULT_LIMIT: u64 = 2 << 30;

/// What an entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bundle,
    Facts,
    Unit,
}

/// The kinds, in the order of [`Kind::index`].
const KINDS: [Kind; 3] = [Kind::Bundle, Kind::Facts, Kind::Unit];

/// A unit's bundle: each file's words for the screen, by the hash of its bytes, and each
/// file's facts, by their key, each a postcard payload of its own, so that reading the bundle
/// copies nothing, each part is read (in parallel) only when used, and writing it again
/// encodes only what changed. A bundle only ever holds what the unit's files had when it was
/// written, so it stays the size of the unit.
///
/// Its layout, inside an entry's payload (little-endian): per section (words, then facts) a
/// count (`u64`), then per part its key (`u128`), its length (`u64`) and its bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Bundle<'a> {
    pub words: Vec<(u128, &'a [u8])>,
    pub facts: Vec<(u128, &'a [u8])>,
}

impl<'a> Bundle<'a> {
    /// The payload of an entry holding the bundle.
    pub fn encode(&self) -> Vec<u8> {
        let len: usize = [&self.words, &self.facts]
            .iter()
            .map(|s| 8 + s.iter().map(|(_, b)| 24 + b.len()).sum::<usize>())
            .sum();
        let mut out = Vec::with_capacity(len);
        for section in [&self.words, &self.facts] {
            out.extend((section.len() as u64).to_le_bytes());
            for (key, bytes) in section {
                out.extend(key.to_le_bytes());
                out.extend((bytes.len() as u64).to_le_bytes());
                out.extend(*bytes);
            }
        }
        out
    }

    /// The bundle a payload holds, when it is one to its end. Never panics, whatever the bytes
    /// (`fuzz/fuzz_targets/cache_entry.rs`).
    pub fn decode(mut bytes: &'a [u8]) -> Option<Bundle<'a>> {
        fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
            let (head, rest) = bytes.split_at_checked(n)?;
            *bytes = rest;
            Some(head)
        }
        fn u64_of(bytes: &mut &[u8]) -> Option<u64> {
            Some(u64::from_le_bytes(take(bytes, 8)?.try_into().ok()?))
        }
        let mut sections = [vec![], vec![]];
        for section in &mut sections {
            let n = u64_of(&mut bytes)?;
            // Each part takes 24 bytes at least: a count larger than that is not one.
            if n > (bytes.len() / 24) as u64 {
                return None;
            }
            for _ in 0..n {
                let key = u128::from_le_bytes(take(&mut bytes, 16)?.try_into().ok()?);
                let len = usize::try_from(u64_of(&mut bytes)?).ok()?;
                section.push((key, take(&mut bytes, len)?));
            }
        }
        let [words, facts] = sections;
        bytes.is_empty().then_some(Bundle { words, facts })
    }
}

/// Writes a bundle's payload part by part, with no copy of the parts: the words' section, then
/// ([`BundleWriter::facts`]) the facts'.
pub struct BundleWriter {
    out: Vec<u8>,
    /// Where the count of the section being written is, and the count.
    count_at: usize,
    count: u64,
}

impl Default for BundleWriter {
    fn default() -> BundleWriter {
        BundleWriter {
            out: 0u64.to_le_bytes().to_vec(),
            count_at: 0,
            count: 0,
        }
    }
}

impl BundleWriter {
    /// A part as it was read from a bundle.
    pub fn kept(&mut self, key: u128, bytes: &[u8]) {
        self.out.extend(key.to_le_bytes());
        self.out.extend((bytes.len() as u64).to_le_bytes());
        self.out.extend(bytes);
        self.count += 1;
    }

    /// A part holding what postcard makes of `value`.
    pub fn value<T: Serialize>(&mut self, key: u128, value: &T) -> Option<()> {
        self.out.extend(key.to_le_bytes());
        let len_at = self.out.len();
        self.out.extend(0u64.to_le_bytes());
        let out = postcard::to_extend(value, std::mem::take(&mut self.out)).ok()?;
        self.out = out;
        let len = (self.out.len() - len_at - 8) as u64;
        self.out[len_at..len_at + 8].copy_from_slice(&len.to_le_bytes());
        self.count += 1;
        Some(())
    }

    fn close_section(&mut self) {
        let at = self.count_at;
        self.out[at..at + 8].copy_from_slice(&self.count.to_le_bytes());
    }

    /// Ends the words' section: the parts written next are facts.
    pub fn facts(&mut self) {
        self.close_section();
        self.count_at = self.out.len();
        self.count = 0;
        self.out.extend(0u64.to_le_bytes());
    }

    /// The payload (after [`BundleWriter::facts`]).
    pub fn finish(mut self) -> Vec<u8> {
        self.close_section();
        self.out
    }
}

/// One part of a bundle: what postcard makes of `value`.
pub fn part<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    postcard::to_allocvec(value).ok()
}

/// The value a part of a bundle holds, when postcard reads all of it.
pub fn read_part<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let (value, rest) = postcard::take_from_bytes::<T>(bytes).ok()?;
    rest.is_empty().then_some(value)
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Bundle => "bundles",
            Kind::Facts => "facts",
            Kind::Unit => "units",
        }
    }

    fn index(self) -> usize {
        self.byte() as usize - 1
    }

    fn byte(self) -> u8 {
        match self {
            Kind::Bundle => 1,
            Kind::Facts => 2,
            Kind::Unit => 3,
        }
    }

    /// The hash of the source that decides what entries of this kind hold.
    fn build(self) -> [u8; 16] {
        let text = match self {
            Kind::Bundle | Kind::Facts => FACTS_BUILD,
            Kind::Unit => SRC_BUILD,
        };
        u128::from_str_radix(text, 16).unwrap_or(0).to_le_bytes()
    }
}

/// A key: 128 bits of xxh3 over what the entry depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key(pub u128);

/// Builds a key from the parts an entry depends on.
#[derive(Default)]
pub struct KeyBuilder {
    bytes: Vec<u8>,
}

impl KeyBuilder {
    pub fn new(kind: Kind) -> KeyBuilder {
        let mut k = KeyBuilder::default();
        k.bytes.push(kind.byte());
        k.bytes.extend(kind.build());
        k
    }

    /// Adds a part, with its length, so that parts never run into each other.
    pub fn part(&mut self, bytes: &[u8]) -> &mut KeyBuilder {
        self.bytes.extend((bytes.len() as u64).to_le_bytes());
        self.bytes.extend(bytes);
        self
    }

    pub fn u128(&mut self, v: u128) -> &mut KeyBuilder {
        self.part(&v.to_le_bytes())
    }

    pub fn finish(&self) -> Key {
        Key(xxhash_rust::xxh3::xxh3_128(&self.bytes))
    }
}

/// The cache of one run.
pub struct Cache {
    dir: PathBuf,
    limit: u64,
    /// Writing failed once: no more tries this run.
    unwritable: AtomicBool,
    written: AtomicU64,
    counter: AtomicU64,
    /// Per kind: whether its directory may hold entries (it existed when the cache was
    /// opened, or an entry was written since). A first run reads nothing: on a loaded machine
    /// every failed open costs a wait.
    present: [AtomicBool; 3],
    /// This process's id, in the names of temporary files.
    pid: u32,
}

/// Where the cache lives when nothing says otherwise: the platform's cache directory.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lockscan").map(|d| d.cache_dir().to_path_buf())
}

impl Cache {
    /// The cache in `dir` (created when first written). Entries of this layout live in a
    /// subdirectory of their own.
    pub fn new(dir: &Path) -> Cache {
        let limit = std::env::var("LOCKSCAN_CACHE_SIZE")
            .ok()
            .and_then(|v| parse_size(&v))
            .unwrap_or(DEFAULT_LIMIT);
        let dir = dir.join(format!("v{LAYOUT}"));
        let present = KINDS.map(|k| AtomicBool::new(dir.join(k.dir()).is_dir()));
        Cache {
            dir,
            limit,
            unwritable: AtomicBool::new(false),
            written: AtomicU64::new(0),
            counter: AtomicU64::new(0),
            present,
            pid: std::process::id(),
        }
    }

    /// The directory entries of this layout are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, kind: Kind, key: Key) -> PathBuf {
        // One directory per kind, not one per key prefix: a cold run writes two entries per
        // unit, and each directory created costs as much as an entry.
        self.dir.join(kind.dir()).join(format!("{:032x}", key.0))
    }

    /// The entry of this kind and key, if there is a good one.
    pub fn get<T: DeserializeOwned>(&self, kind: Kind, key: Key) -> Option<T> {
        let (bytes, path) = self.read(kind, key)?;
        let value = decode(kind, key, &bytes)?;
        touch(&path);
        Some(value)
    }

    /// The payload of the entry of this kind and key, if there is a good one, as it is (with
    /// the header checked, and its checksum): the entry's bytes, the payload from [`HEADER`]
    /// on.
    pub fn get_payload(&self, kind: Kind, key: Key) -> Option<Vec<u8>> {
        let (bytes, path) = self.read(kind, key)?;
        unseal(kind, key, &bytes)?;
        touch(&path);
        Some(bytes)
    }

    fn read(&self, kind: Kind, key: Key) -> Option<(Vec<u8>, PathBuf)> {
        if !self.present[kind.index()].load(Ordering::Relaxed) {
            return None;
        }
        let path = self.path(kind, key);
        Some((read_entry(&path)?, path))
    }

    /// Stores an entry. Failing to is never an error: the run goes on, and the first failure
    /// is said once on stderr.
    pub fn put<T: Serialize>(&self, kind: Kind, key: Key, value: &T) {
        if self.unwritable.load(Ordering::Relaxed) {
            return;
        }
        if let Some(bytes) = encode(kind, key, value) {
            self.put_entry(kind, key, &bytes);
        }
    }

    /// Stores an entry that holds `payload` as it is; as [`Cache::put`].
    pub fn put_payload(&self, kind: Kind, key: Key, payload: &[u8]) {
        if !self.unwritable.load(Ordering::Relaxed) {
            self.put_parts(kind, key, &[&header(kind, key, payload), payload]);
        }
    }

    fn put_entry(&self, kind: Kind, key: Key, bytes: &[u8]) {
        self.put_parts(kind, key, &[bytes]);
    }

    fn put_parts(&self, kind: Kind, key: Key, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        match self.write(&self.path(kind, key), parts) {
            Ok(()) => {
                self.present[kind.index()].store(true, Ordering::Relaxed);
                self.written.fetch_add(len as u64, Ordering::Relaxed);
            }
            Err(e) => self.give_up(&e),
        }
    }

    fn give_up(&self, e: &std::io::Error) {
        if !self.unwritable.swap(true, Ordering::Relaxed) {
            eprintln!(
                "note: cannot write the cache in `{}` ({}); going on without it",
                self.dir.display(),
                crate::parse::io_reason(e)
            );
        }
    }

    /// Writes `parts`, one after the other, to `path` through a temporary file renamed to it.
    fn write(&self, path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
        let tmp_dir = self.dir.join("tmp");
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = tmp_dir.join(format!("{}-{n}-{nanos}.tmp", self.pid));
        let mut file = match std::fs::File::create(&tmp) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&tmp_dir)?;
                std::fs::File::create(&tmp)?
            }
            Err(e) => return Err(e),
        };
        let written = parts
            .iter()
            .try_for_each(|p| file.write_all(p))
            .and_then(|()| {
                drop(file);
                // The entry it replaces goes first: renamed over a file, ext4 writes the new
                // one's data out before the rename returns (`auto_da_alloc`), which held up the
                // write of tokio's findings by up to 150 ms after an edit. Between the two, a
                // reader finds no entry: a miss.
                let _ = std::fs::remove_file(path);
                let parent = path.parent().unwrap_or(&self.dir);
                match std::fs::rename(&tmp, path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        std::fs::create_dir_all(parent)?;
                        std::fs::rename(&tmp, path)
                    }
                    r => r,
                }
            });
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// At the end of a run: counts what it wrote, and when the cache may have outgrown its
    /// limit, removes the least recently used entries.
    pub fn finish(&self) {
        // Taken, so that a cache kept for many analyses (the language server's) counts each
        // write once.
        let wrote = self.written.swap(0, Ordering::Relaxed);
        if wrote == 0 || self.unwritable.load(Ordering::Relaxed) {
            return;
        }
        let ledger = self.dir.join("written");
        let before: u64 = std::fs::read_to_string(&ledger)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let total = before.saturating_add(wrote);
        if total > self.limit / 8 {
            self.trim();
            let _ = self.write(&ledger, &[b"0"]);
        } else {
            let _ = self.write(&ledger, &[total.to_string().as_bytes()]);
        }
    }

    /// Removes the least recently used entries until the cache is under three quarters of its
    /// limit, temporary files older than an hour (a run that died while writing), and the
    /// directories of other layouts, which this build never reads.
    pub fn trim(&self) {
        self.remove_other_layouts();
        let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = vec![];
        let mut total = 0u64;
        let now = std::time::SystemTime::now();
        for kind in KINDS {
            for e in walkdir::WalkDir::new(self.dir.join(kind.dir()))
                .min_depth(1)
                .max_depth(1)
                .into_iter()
                .flatten()
            {
                let Ok(meta) = e.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let when = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
                total += meta.len();
                entries.push((when, meta.len(), e.into_path()));
            }
        }
        if let Ok(rd) = std::fs::read_dir(self.dir.join("tmp")) {
            for e in rd.flatten() {
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d.as_secs() > 3600));
                if old {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        if total <= self.limit {
            return;
        }
        entries.sort();
        let goal = self.limit / 4 * 3;
        for (_, len, path) in entries {
            if total <= goal {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }

    /// Removes the sibling directories of other layouts (`v1`, `v2`, …), but only those that
    /// hold nothing but what a cache writes: the directory given may be the user's.
    fn remove_other_layouts(&self) {
        let (Some(parent), Some(own)) = (self.dir.parent(), self.dir.file_name()) else {
            return;
        };
        let Ok(rd) = std::fs::read_dir(parent) else {
            return;
        };
        let ours = |name: &std::ffi::OsStr| {
            KINDS.iter().any(|k| name == k.dir()) || name == "tmp" || name == "written"
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let layout = name.to_str().is_some_and(|n| {
                n.strip_prefix('v')
                    .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            });
            if !layout || name == own || !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let only_ours = std::fs::read_dir(e.path())
                .is_ok_and(|d| d.flatten().all(|c| ours(&c.file_name())));
            if only_ours {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// `512M`, `2G`, `100K` or a number of bytes.
fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (num, shift) = match v.char_indices().last()? {
        (i, 'K' | 'k') => (&v[..i], 10),
        (i, 'M' | 'm') => (&v[..i], 20),
        (i, 'G' | 'g') => (&v[..i], 30),
        _ => (v, 0),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// An entry's bytes, when the file is there and not absurdly large.
fn read_entry(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len > MAX_ENTRY {
        return None;
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_ENTRY).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Entries read are marked as used (their modification time), at most once an hour, so that
/// trimming removes what is not read any more.
fn touch(path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let now = std::time::SystemTime::now();
    let stale = meta
        .modified()
        .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d.as_secs() > 3600));
    if stale && let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(now);
    }
}

/// An entry: the header, then the payload.
pub fn encode<T: Serialize>(kind: Kind, key: Key, value: &T) -> Option<Vec<u8>> {
    let payload = postcard::to_allocvec(value).ok()?;
    Some(seal(kind, key, &payload))
}

/// An entry holding `payload` as it is: the header that makes it one.
pub fn seal(kind: Kind, key: Key, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend(header(kind, key, payload));
    out.extend(payload);
    out
}

/// The header of an entry holding `payload`.
fn header(kind: Kind, key: Key, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER);
    out.extend(MAGIC);
    out.extend(LAYOUT.to_le_bytes());
    out.push(kind.byte());
    out.push(0);
    out.extend(kind.build());
    out.extend(key.0.to_le_bytes());
    out.extend((payload.len() as u64).to_le_bytes());
    out.extend(xxhash_rust::xxh3::xxh3_64(payload).to_le_bytes());
    out
}

/// The value an entry holds, when every part of it checks: magic, layout, kind, build, key,
/// length and checksum, and a payload postcard reads to its end. Never panics, whatever the
/// bytes (`fuzz/fuzz_targets/cache_entry.rs`).
pub fn decode<T: DeserializeOwned>(kind: Kind, key: Key, bytes: &[u8]) -> Option<T> {
    let payload = unseal(kind, key, bytes)?;
    let (value, rest) = postcard::take_from_bytes::<T>(payload).ok()?;
    rest.is_empty().then_some(value)
}

/// The payload of an entry, when its header checks: magic, layout, kind, build, key, length
/// and checksum.
pub fn unseal(kind: Kind, key: Key, bytes: &[u8]) -> Option<&[u8]> {
    let (head, payload) = bytes.split_at_checked(HEADER)?;
    let u64_at = |i: usize| head.get(i..i + 8)?.try_into().ok().map(u64::from_le_bytes);
    let ok = &head[0..4] == MAGIC
        && head[4..6] == LAYOUT.to_le_bytes()
        && head[6] == kind.byte()
        && head[8..24] == kind.build()
        && head[24..40] == key.0.to_le_bytes()
        && u64_at(40)? == payload.len() as u64
        && u64_at(48)? == xxhash_rust::xxh3::xxh3_64(payload);
    ok.then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_read_back_only_with_its_kind_and_key() {
        let key = KeyBuilder::new(Kind::Facts).part(b"x").finish();
        let value = (String::from("facts"), vec![1u32, 2, 3]);
        let bytes = encode(Kind::Facts, key, &value).unwrap();
        assert_eq!(
            decode::<(String, Vec<u32>)>(Kind::Facts, key, &bytes),
            Some(value)
        );
        assert_eq!(
            decode::<(String, Vec<u32>)>(Kind::Bundle, key, &bytes),
            None
        );
        let other = KeyBuilder::new(Kind::Facts).part(b"y").finish();
        assert_eq!(
            decode::<(String, Vec<u32>)>(Kind::Facts, other, &bytes),
            None
        );
        for cut in [0, 10, HEADER, bytes.len() - 1] {
            assert_eq!(
                decode::<(String, Vec<u32>)>(Kind::Facts, key, &bytes[..cut]),
                None
            );
        }
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            decode::<(String, Vec<u32>)>(Kind::Facts, key, &flipped),
            None
        );
    }

    #[test]
    fn a_bundle_reads_back_only_whole() {
        let b = Bundle {
            words: vec![(1, b"one".as_slice()), (2, b"".as_slice())],
            facts: vec![(u128::MAX, b"three".as_slice())],
        };
        let bytes = b.encode();
        assert_eq!(Bundle::decode(&bytes), Some(b));
        assert_eq!(
            Bundle::decode(&Bundle::default().encode()),
            Some(Bundle::default())
        );
        for cut in 0..bytes.len() {
            assert_eq!(Bundle::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Bundle::decode(&longer), None);
        let mut w = BundleWriter::default();
        w.kept(1, b"one");
        w.value(2, &()).unwrap();
        w.facts();
        w.value(u128::MAX, &String::from("three")).unwrap();
        let written = w.finish();
        let read = Bundle::decode(&written).unwrap();
        assert_eq!(read.words, [(1, b"one".as_slice()), (2, b"".as_slice())]);
        assert_eq!(read.facts.len(), 1);
        assert_eq!(
            read_part::<String>(read.facts[0].1).as_deref(),
            Some("three")
        );
        let mut huge = bytes.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(Bundle::decode(&huge), None);
    }

    #[test]
    fn sizes_read_with_their_unit() {
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("64k"), Some(64 << 10));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn keys_tell_their_parts_apart() {
        let k = |parts: &[&[u8]]| {
            let mut b = KeyBuilder::new(Kind::Unit);
            for p in parts {
                b.part(p);
            }
            b.finish()
        };
        assert_ne!(k(&[b"ab", b"c"]), k(&[b"a", b"bc"]));
        assert_eq!(k(&[b"ab", b"c"]), k(&[b"ab", b"c"]));
        assert_ne!(
            KeyBuilder::new(Kind::Bundle).part(b"a").finish(),
            KeyBuilder::new(Kind::Facts).part(b"a").finish()
        );
    }
}
