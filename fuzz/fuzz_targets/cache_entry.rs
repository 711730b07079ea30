//! Fuzzes the cache's reader: whatever bytes an entry holds, reading it never panics, never
//! takes what it did not write (a wrong kind, key, build, length or checksum is a miss), and
//! what it takes reads back the same once written again.
//!
//! The first byte picks the kind of entry; the rest is read twice: as a whole entry (header
//! and all, which almost never checks), and as a payload behind a header made to fit it, so
//! that postcard's reading of every entry type is what gets fuzzed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lockscan::cache::{self, Key, Kind};
use lockscan::driver::{FileEntry, UnitEntry};
use lockscan::screen::FileWords;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads `bytes` as an entry of `kind`; what it reads must be written and read back the same.
fn check<T: Serialize + DeserializeOwned>(kind: Kind, key: Key, bytes: &[u8]) {
    let Some(value) = cache::decode::<T>(kind, key, bytes) else {
        return;
    };
    let again = cache::encode(kind, key, &value).expect("what was read can be written");
    let back: T = cache::decode(kind, key, &again).expect("what was written reads back");
    assert_eq!(
        cache::encode(kind, key, &back).expect("and again"),
        again,
        "reading and writing again changes nothing"
    );
    // Another kind or key never reads it.
    let other = Key(key.0 ^ 1);
    assert!(cache::decode::<T>(kind, other, &again).is_none());
}

fn run(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let key = Key(xxhash_rust::xxh3::xxh3_128(rest));
    let kind = [Kind::Words, Kind::Facts, Kind::Unit][pick as usize % 3];
    for bytes in [rest.to_vec(), cache::seal(kind, key, rest)] {
        match kind {
            Kind::Words => check::<Option<FileWords>>(kind, key, &bytes),
            Kind::Facts => check::<FileEntry>(kind, key, &bytes),
            Kind::Unit => check::<UnitEntry>(kind, key, &bytes),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The stack a worker of a real run has: reading recurses as deeply as the types nest.
    let data = data.to_vec();
    std::thread::Builder::new()
        .stack_size(lockscan::parse::STACK_SIZE)
        .spawn(move || run(&data))
        .expect("a thread")
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p));
});
