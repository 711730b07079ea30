//! A process-wide string interner.
//!
//! Facts store identifiers and path segments as [`Sym`]s: four bytes, compared by value, shared
//! by every thread. Names the analysis asks about (`lock`, `Mutex`, `sleep`, …) are predefined, so
//! code can compare against constants such as [`sym::LOCK`] without a lookup. Each thread keeps
//! the strings it met last, so that interning a name met again takes no lock, and reading a
//! symbol's string never does.
//!
//! A `Sym`'s number depends on the order in which threads met the string, so it must never decide
//! the order of anything the user sees: sort by [`Sym::as_str`], never by `Sym`.

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::sync::{LazyLock, OnceLock, RwLock};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sym(u32);

macro_rules! predefined {
    ($($name:ident = $text:literal),* $(,)?) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u32)]
        enum Known { $($name),* }
        /// Predefined symbols, usable as constants.
        pub mod sym {
            use super::{Known, Sym};
            $(pub const $name: Sym = Sym(Known::$name as u32);)*
        }
        const PREDEFINED: &[&str] = &[$($text),*];
    };
}

predefined! {
    EMPTY = "",
    UNDERSCORE = "_",
    SELF_VALUE = "self",
    SELF_TYPE = "Self",
    CRATE = "crate",
    SUPER = "super",
    STD = "std",
    CORE = "core",
    ALLOC = "alloc",
    CLOSURE = "{closure}",
    ASYNC_BLOCK = "{async block}",
    // lock methods
    LOCK = "lock",
    READ = "read",
    WRITE = "write",
    TRY_LOCK = "try_lock",
    TRY_READ = "try_read",
    TRY_WRITE = "try_write",
    TRY_LOCK_FOR = "try_lock_for",
    TRY_LOCK_UNTIL = "try_lock_until",
    TRY_READ_FOR = "try_read_for",
    TRY_WRITE_FOR = "try_write_for",
    TRY_READ_UNTIL = "try_read_until",
    TRY_WRITE_UNTIL = "try_write_until",
    BLOCKING_LOCK = "blocking_lock",
    BLOCKING_READ = "blocking_read",
    BLOCKING_WRITE = "blocking_write",
    LOCK_BLOCKING = "lock_blocking",
    READ_BLOCKING = "read_blocking",
    WRITE_BLOCKING = "write_blocking",
    LOCK_OWNED = "lock_owned",
    READ_OWNED = "read_owned",
    WRITE_OWNED = "write_owned",
    LOCK_ARC = "lock_arc",
    READ_ARC = "read_arc",
    WRITE_ARC = "write_arc",
    UPGRADABLE_READ = "upgradable_read",
    READ_RECURSIVE = "read_recursive",
    TRY_LOCK_OWNED = "try_lock_owned",
    // adapters that keep a guard a guard
    UNWRAP = "unwrap",
    EXPECT = "expect",
    UNWRAP_OR_ELSE = "unwrap_or_else",
    UNWRAP_UNCHECKED = "unwrap_unchecked",
    MAP_ERR = "map_err",
    OK = "ok",
    INTO_INNER = "into_inner",
    // place adapters: `x.clone().lock()` locks what `x` locks
    CLONE = "clone",
    AS_REF = "as_ref",
    AS_MUT = "as_mut",
    BORROW = "borrow",
    DEREF = "deref",
    DEREF_MUT = "deref_mut",
    GET = "get",
    GET_OR_INIT = "get_or_init",
    GET_MUT = "get_mut",
    FORCE = "force",
    AS_DEREF = "as_deref",
    // calls with lock meaning
    DROP = "drop",
    FORGET = "forget",
    MEM = "mem",
    MANUALLY_DROP = "ManuallyDrop",
    LEAK = "leak",
    NEW = "new",
    ARC = "Arc",
    RC = "Rc",
    BOX = "Box",
    SOME = "Some",
    OK_VARIANT = "Ok",
    ERR = "Err",
    WAIT = "wait",
    WAIT_TIMEOUT = "wait_timeout",
    WAIT_WHILE = "wait_while",
    WAIT_TIMEOUT_WHILE = "wait_timeout_while",
    WAIT_TIMEOUT_MS = "wait_timeout_ms",
    WAIT_FOR = "wait_for",
    WAIT_UNTIL = "wait_until",
    UNLOCKED = "unlocked",
    // ordering evidence
    CMP = "cmp",
    PARTIAL_CMP = "partial_cmp",
    MIN = "min",
    MAX = "max",
    MIN_BY_KEY = "min_by_key",
    MAX_BY_KEY = "max_by_key",
    MINMAX = "minmax",
    SORT = "sort",
    SORT_UNSTABLE = "sort_unstable",
    SORT_BY = "sort_by",
    SORT_BY_KEY = "sort_by_key",
    SORT_UNSTABLE_BY = "sort_unstable_by",
    SORT_UNSTABLE_BY_KEY = "sort_unstable_by_key",
    // spawners: closures passed to these run elsewhere
    SPAWN = "spawn",
    // type names
    MUTEX = "Mutex",
    RWLOCK = "RwLock",
    CONDVAR = "Condvar",
    ONCE_LOCK = "OnceLock",
    LAZY_LOCK = "LazyLock",
    LAZY = "Lazy",
    ONCE_CELL = "OnceCell",
    LAZY_STATIC = "lazy_static",
    THREAD_LOCAL = "thread_local",
}

/// The predefined strings, in order.
pub fn predefined() -> &'static [&'static str] {
    PREDEFINED
}

const SHARDS: usize = 16;
/// The size of a shard's first chunk of strings; each next chunk is twice the one before.
const FIRST_CHUNK: usize = 1024;
/// Enough chunks for every index a `Sym` can hold (`(index << 4) | shard` in 32 bits).
const CHUNKS: usize = 19;

/// One shard's strings, by index, in chunks that are never moved once made, so that
/// [`Sym::as_str`] reads them without a lock: only a [`Sym::new`] that adds a string takes
/// the shard's lock, to find the string and to add it.
struct Shard {
    map: RwLock<FxHashMap<&'static str, Sym>>,
    chunks: [OnceLock<Box<[OnceLock<&'static str>]>>; CHUNKS],
}

/// The chunk an index is in, and where in it.
fn locate(index: usize) -> (usize, usize) {
    // Chunk `c` holds `FIRST_CHUNK << c` indices from `FIRST_CHUNK * (2^c - 1)` on.
    let n = index / FIRST_CHUNK + 1;
    let c = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (c, index - FIRST_CHUNK * ((1 << c) - 1))
}

struct Interner {
    predefined: FxHashMap<&'static str, Sym>,
    shards: [Shard; SHARDS],
}

static INTERNER: LazyLock<Interner> = LazyLock::new(|| Interner {
    predefined: PREDEFINED
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, Sym(i as u32)))
        .collect(),
    shards: std::array::from_fn(|_| Shard {
        map: RwLock::default(),
        chunks: std::array::from_fn(|_| OnceLock::new()),
    }),
});

/// The strings each thread met last, by hash: most identifiers are met again and again, and
/// a hit here costs no lock and no shared cache line.
const RECENT: usize = 2048;

/// A string met, with its hash and symbol.
type Met = Option<(u64, &'static str, Sym)>;

thread_local! {
    static RECENT_SYMS: RefCell<Vec<Met>> = RefCell::new(vec![None; RECENT]);
}

fn hash_of(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

impl Sym {
    pub fn new(s: &str) -> Sym {
        let hash = hash_of(s);
        let slot = (hash >> 20) as usize % RECENT;
        // (`try_with`: a thread whose locals are gone goes to the shared tables.)
        let recent = RECENT_SYMS.try_with(|r| match r.borrow()[slot] {
            Some((h, text, sym)) if h == hash && text == s => Some(sym),
            _ => None,
        });
        if let Ok(Some(sym)) = recent {
            return sym;
        }
        let (sym, text) = Sym::find_or_add(s, hash);
        let _ = RECENT_SYMS.try_with(|r| r.borrow_mut()[slot] = Some((hash, text, sym)));
        sym
    }

    /// The symbol of `s` (whose hash is `hash`) in the shared tables, added when new, with its
    /// string as kept there.
    fn find_or_add(s: &str, hash: u64) -> (Sym, &'static str) {
        let interner = &*INTERNER;
        if let Some((&text, &sym)) = interner.predefined.get_key_value(s) {
            return (sym, text);
        }
        let shard_idx = (hash >> 32) as usize % SHARDS;
        let shard = &interner.shards[shard_idx];
        let read = shard.map.read().unwrap_or_else(|e| e.into_inner());
        if let Some((&text, &sym)) = read.get_key_value(s) {
            return (sym, text);
        }
        drop(read);
        let mut map = shard.map.write().unwrap_or_else(|e| e.into_inner());
        if let Some((&text, &sym)) = map.get_key_value(s) {
            return (sym, text);
        }
        let text: &'static str = Box::leak(s.to_owned().into_boxed_str());
        let index = map.len();
        let (c, at) = locate(index);
        let chunk = shard.chunks[c]
            .get_or_init(|| (0..FIRST_CHUNK << c).map(|_| OnceLock::new()).collect());
        // Under the lock, the slot after the last one used is free.
        let _ = chunk[at].set(text);
        let sym = Sym(PREDEFINED.len() as u32 + (((index as u32) << 4) | shard_idx as u32));
        map.insert(text, sym);
        (sym, text)
    }

    pub fn as_str(self) -> &'static str {
        let n = self.0 as usize;
        if n < PREDEFINED.len() {
            return PREDEFINED[n];
        }
        let dynamic = n - PREDEFINED.len();
        let (c, at) = locate(dynamic >> 4);
        // A `Sym` is only made by `Sym::new`, after its string was stored.
        INTERNER.shards[dynamic & (SHARDS - 1)].chunks[c]
            .get()
            .and_then(|chunk| chunk.get(at))
            .and_then(|slot| slot.get())
            .copied()
            .unwrap_or("")
    }
}

impl std::fmt::Debug for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A symbol is written as its string, so that what is stored means the same to a later run
/// (whose numbers differ).
impl serde::Serialize for Sym {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Sym {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Sym, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Sym;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a symbol's string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sym, E> {
                Ok(Sym::new(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// Joins symbols with `::`, for messages.
pub fn join_path(segs: &[Sym]) -> String {
    let mut out = String::new();
    for (i, s) in segs.iter().enumerate() {
        if i > 0 {
            out.push_str("::");
        }
        out.push_str(s.as_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_and_dynamic_round_trip() {
        assert_eq!(Sym::new("lock"), sym::LOCK);
        assert_eq!(sym::LOCK.as_str(), "lock");
        let a = Sym::new("a_name_nobody_predefined");
        assert_eq!(Sym::new("a_name_nobody_predefined"), a);
        assert_eq!(a.as_str(), "a_name_nobody_predefined");
        assert_ne!(a, Sym::new("another_name"));
    }

    #[test]
    fn a_symbol_is_stored_as_its_string() {
        let s = Sym::new("a_name_stored_and_read_back");
        let json = serde_json::to_string(&[s, sym::LOCK]).unwrap();
        assert_eq!(json, r#"["a_name_stored_and_read_back","lock"]"#);
        let back: Vec<Sym> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![s, sym::LOCK]);
    }

    #[test]
    fn chunks_hold_every_index_once() {
        let mut expected = (0, 0);
        for index in 0..FIRST_CHUNK * 15 {
            assert_eq!(locate(index), expected, "{index}");
            expected.1 += 1;
            if expected.1 == FIRST_CHUNK << expected.0 {
                expected = (expected.0 + 1, 0);
            }
        }
        // The last index a `Sym` can hold is in the last chunk.
        let (c, at) = locate((u32::MAX >> 4) as usize);
        assert!(c < CHUNKS && at < FIRST_CHUNK << c);
    }

    #[test]
    fn strings_past_a_shards_first_chunk_read_back() {
        let syms: Vec<Sym> = (0..FIRST_CHUNK * SHARDS * 2)
            .map(|i| Sym::new(&format!("many_{i}")))
            .collect();
        for (i, s) in syms.iter().enumerate() {
            assert_eq!(s.as_str(), format!("many_{i}"));
            assert_eq!(Sym::new(&format!("many_{i}")), *s);
        }
    }

    #[test]
    fn many_threads_agree() {
        let syms: Vec<Vec<Sym>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..500).map(|i| Sym::new(&format!("n{i}"))).collect()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for v in &syms[1..] {
            assert_eq!(v, &syms[0]);
        }
        assert_eq!(syms[0][42].as_str(), "n42");
    }
}
