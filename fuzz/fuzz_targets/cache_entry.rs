//! Fuzzes the cache's reader: whatever bytes an entry holds, reading it never panics, never
//! takes what it did not write (a wrong kind, key, build, length or checksum is a miss), and
//! what it takes reads back the same once written again.
//!
//! The first byte picks the kind of entry; the rest is read twice: as a whole entry (header
//! and all, which almost never checks), and as a payload behind a header made to fit it, so
//! that postcard's reading of every entry type is what gets fuzzed. A unit's bundle is read as
//! the bundle's layout, and each of its parts as what it holds (a file's words, its facts); a
//! fourth pick reads the bytes as one part of words, as a bundle holds them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lockscan::cache::{self, Bundle, Key, Kind};
use lockscan::driver::{FileEntry, StoredFindings};
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

/// Reads a part of a bundle as a `T`; what it reads must be written and read back the same.
fn check_part<T: Serialize + DeserializeOwned>(bytes: &[u8]) {
    let Some(value) = cache::read_part::<T>(bytes) else {
        return;
    };
    let again = cache::part(&value).expect("what was read can be written");
    let back: T = cache::read_part(&again).expect("what was written reads back");
    assert_eq!(cache::part(&back).expect("and again"), again);
}

/// Reads a bundle's payload: its layout, then each part.
fn check_bundle(key: Key, bytes: &[u8]) {
    let Some(payload) = cache::unseal(Kind::Bundle, key, bytes) else {
        return;
    };
    let Some(bundle) = Bundle::decode(payload) else {
        return;
    };
    assert_eq!(bundle.encode(), payload, "a bundle is written as it was read");
    for (_, part) in &bundle.words {
        check_part::<Option<FileWords>>(part);
    }
    for (_, part) in &bundle.facts {
        check_part::<FileEntry>(part);
    }
    assert!(cache::unseal(Kind::Bundle, Key(key.0 ^ 1), bytes).is_none());
}

fn run(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let key = Key(xxhash_rust::xxh3::xxh3_128(rest));
    if pick % 4 == 3 {
        check_part::<Option<FileWords>>(rest);
        return;
    }
    let kind = [Kind::Bundle, Kind::Facts, Kind::Unit][pick as usize % 4];
    for bytes in [rest.to_vec(), cache::seal(kind, key, rest)] {
        match kind {
            Kind::Bundle => check_bundle(key, &bytes),
            Kind::Facts => check::<FileEntry>(kind, key, &bytes),
            Kind::Unit => check::<StoredFindings>(kind, key, &bytes),
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
