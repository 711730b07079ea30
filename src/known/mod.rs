//! What lockscan knows about APIs, in one place, by topic: which types are locks and guards
//! (per library), which calls sleep or block, which calls run a closure elsewhere, atomics,
//! collections, cells, one-time initialisation, and how values move through std's functions.
//!
//! Extraction and the index read these tables; rules do not name APIs. What the user's
//! configuration adds (`lock-methods`, `sleep-functions`, `blocking-functions`) merges into the
//! same tables through [`Api`], which remembers where each entry came from so that the facts
//! and the model can carry it: no rule has to ask.

pub mod atomics;
pub mod blocking;
pub mod cells;
pub mod collections;
pub mod executors;
pub mod flow;
pub mod locks;
pub mod once;
pub mod words;

pub use locks::{LockKind, LockLib, LockType};

use crate::intern::Sym;

/// A canonical path's segments as text, empty ones left out: what the tables match on.
fn segments(path: &[Sym]) -> Vec<&'static str> {
    path.iter()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Where a piece of API knowledge comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// lockscan knows it.
    Builtin,
    /// The user's configuration names it.
    Configured,
}

/// The API tables of one run: the built-in knowledge and what the configuration adds to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Api {
    /// Method names that take a lock and return its guard (`lock-methods`).
    lock_methods: Vec<Sym>,
    /// Canonical paths of functions that sleep (`sleep-functions` entries with a `::`).
    sleep_fns: Vec<Box<[Sym]>>,
    /// Method names that sleep, awaited or not (`sleep-functions` entries without `::`).
    sleep_methods: Vec<Sym>,
    /// Canonical paths of functions that block (`blocking-functions` entries with a `::`).
    blocking_fns: Vec<Box<[Sym]>>,
    /// Method names that block when not awaited (`blocking-functions` entries without `::`).
    blocking_methods: Vec<Sym>,
}

/// What a configured blocking call is called in messages.
pub use blocking::CONFIGURED_BLOCKING;

impl Api {
    /// Adds configured lock methods, sleeping and blocking functions. Each function entry is
    /// a path split into its segments; a single segment names a method.
    pub fn configure(
        mut self,
        lock_methods: &[String],
        sleep: &[Vec<String>],
        blocking: &[Vec<String>],
    ) -> Api {
        self.lock_methods
            .extend(lock_methods.iter().map(|m| Sym::new(m)));
        for (entries, fns, methods) in [
            (sleep, &mut self.sleep_fns, &mut self.sleep_methods),
            (blocking, &mut self.blocking_fns, &mut self.blocking_methods),
        ] {
            for segs in entries {
                match segs.as_slice() {
                    [name] => methods.push(Sym::new(name)),
                    _ => fns.push(segs.iter().map(|s| Sym::new(s)).collect()),
                }
            }
        }
        self
    }

    /// A method that takes a lock and returns its guard, when called with `argc` arguments.
    pub fn lock_method(&self, name: Sym, argc: usize) -> Option<Origin> {
        if locks::is_lock_method(name, argc) {
            Some(Origin::Builtin)
        } else if argc == 0 && self.lock_methods.contains(&name) {
            Some(Origin::Configured)
        } else {
            None
        }
    }

    /// A function (by canonical path) that puts the thread (or, awaited, the task) to sleep.
    /// A configured one sleeps in the call.
    pub fn sleep_fn(&self, path: &[Sym]) -> Option<(blocking::Sleep, Origin)> {
        if let Some(kind) = blocking::sleep_kind(path) {
            Some((kind, Origin::Builtin))
        } else if self.sleep_fns.iter().any(|p| **p == *path) {
            Some((blocking::Sleep::Thread, Origin::Configured))
        } else {
            None
        }
    }

    /// A function (by canonical path) that blocks the thread, and what it blocks on.
    pub fn blocking_fn(&self, path: &[Sym]) -> Option<(&'static str, Origin)> {
        if let Some(what) = blocking::is_blocking_fn(path) {
            Some((what, Origin::Builtin))
        } else if self.blocking_fns.iter().any(|p| **p == *path) {
            Some((CONFIGURED_BLOCKING, Origin::Configured))
        } else {
            None
        }
    }

    /// A configured method that sleeps (whatever its receiver, awaited or not).
    pub fn configured_sleep_method(&self, name: Sym) -> bool {
        self.sleep_methods.contains(&name)
    }

    /// A configured method that blocks when it is not awaited.
    pub fn configured_blocking_method(&self, name: Sym) -> bool {
        self.blocking_methods.contains(&name)
    }

    /// The configured lock methods: what changes the facts extraction records.
    pub fn configured_lock_methods(&self) -> &[Sym] {
        &self.lock_methods
    }

    /// The words the configuration adds to the screen's vocabulary ([`words`]): every
    /// configured lock, sleeping or blocking method, and the name each configured function is
    /// called by (its last segment), all of them effects.
    pub fn configured_words(&self) -> Vec<Sym> {
        let mut out: Vec<Sym> = self.lock_methods.clone();
        out.extend(&self.sleep_methods);
        out.extend(&self.blocking_methods);
        for p in self.sleep_fns.iter().chain(&self.blocking_fns) {
            out.extend(p.last());
        }
        out
    }
}
