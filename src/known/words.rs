//! The words that make code worth parsing: what the screen (`crate::screen`) looks for in a
//! function body's tokens before it decides to hand the body to `syn`. Every word comes from
//! the tables of the other topics here (and from the configuration, through [`super::Api`]), so
//! that knowledge added to a table reaches the screen without a second list.
//!
//! A word has classes ([`Classes`]):
//! - [`EFFECT`]: a body that holds it may take a lock, hold a guard, sleep, block or wait, or
//!   hand a closure it is given to an executor (which makes the caller's closure run
//!   elsewhere), so a function that calls it may too: the function's name becomes an effect
//!   word in turn.
//! - [`LOCAL`]: a body that holds it matters to a rule on its own (an atomic's ordering, a
//!   `force_unlock`), but calling it does nothing a caller's summary could show.
//! - [`TYPE`]: a type that holds a lock, a guard or an atomic; a static or a type alias written
//!   with it is one too, and its name makes a body that mentions it matter.

use super::{atomics, blocking, executors, locks};

/// A set of classes, as bits.
pub type Classes = u8;
pub const EFFECT: Classes = 1;
pub const LOCAL: Classes = 2;
pub const TYPE: Classes = 4;

/// Where a word is written, as far as the tokens around it show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// After a `.` and before `(`: a method called, with its number of arguments when the
    /// tokens tell it (not after a turbofish).
    Method { argc: Option<u8> },
    /// A path's last segment before `(` or `::<`: a function called.
    Call,
    /// In a `use` tree: it may name a function, a type or a module.
    Use,
    /// Anywhere else: a path's other segments, a name, a type.
    Path,
}

/// The classes lockscan's own tables give a word (an identifier as written) where it stands.
/// Method names count in a method call with the arguments the tables give (`m.lock()`, not
/// `s.join(",")`), function names in a call (`fs::write(..)`, not `write!` or
/// `fn write(..)`).
pub fn classes(word: &str, place: Place) -> Classes {
    let mut c = 0;
    let effect = is_effect_anywhere(word)
        || match place {
            Place::Method { argc } => is_effect_method(word, argc) || executors::is_spawner(word),
            Place::Call => is_effect_fn(word) || executors::is_spawner(word),
            Place::Use => is_effect_fn(word),
            Place::Path => false,
        };
    if effect {
        c |= EFFECT;
    }
    // An atomic's ordering (`atomic_load_store_race`); a lock unlocked by hand, which makes a
    // guard forgotten elsewhere no hazard (`forgotten_guard`).
    if atomics::ORDERINGS.contains(&word)
        || (matches!(place, Place::Method { .. }) && locks::is_force_unlock(word))
    {
        c |= LOCAL;
    }
    if locks::lock_kind_of_name(word).is_some()
        || locks::is_condvar_type(word)
        || locks::is_guard_name(word)
        || atomics::is_atomic_type(word)
    {
        c |= TYPE;
    }
    c
}

/// Methods: what extraction and the model recognise only in a method call.
fn is_effect_method(word: &str, argc: Option<u8>) -> bool {
    let takes = |n: usize| argc.is_none_or(|a| a as usize == n);
    locks::LOCK_METHODS
        .iter()
        .any(|&(m, n)| m == word && takes(n))
        || locks::CONDVAR_WAITS.contains(&word)
        || blocking::BLOCKING_METHODS
            .iter()
            .any(|&(m, n, _)| m == word && takes(n))
        || blocking::io_method(word)
}

/// Functions known by their path: a call to one is written with its name.
fn is_effect_fn(word: &str) -> bool {
    blocking::sleep_fn_names().any(|w| w == word)
        || blocking::blocking_fn_names().any(|w| w == word)
}

/// Guard types, and the types and modules a call to a known function names.
fn is_effect_anywhere(word: &str) -> bool {
    // A function that returns a guard, or is given one.
    locks::is_guard_name(word)
        || blocking::TIMER_TYPES.contains(&word)
        || blocking::BLOCKING_QUALIFIERS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_get_the_classes_of_their_tables() {
        let m = |w, n| classes(w, Place::Method { argc: Some(n) });
        let call = |w| classes(w, Place::Call);
        let p = |w| classes(w, Place::Path);
        assert_eq!(m("lock", 0), EFFECT);
        assert_eq!(m("lock", 1), 0);
        assert_eq!(classes("lock", Place::Method { argc: None }), EFFECT);
        assert_eq!(p("lock"), 0);
        assert_eq!(m("try_lock_for", 1), EFFECT);
        assert_eq!(m("join", 0), EFFECT);
        assert_eq!(m("join", 1), 0);
        assert_eq!(call("sleep"), EFFECT);
        assert_eq!(classes("sleep", Place::Use), EFFECT);
        assert_eq!(p("sleep"), 0);
        assert_eq!(p("Delay"), EFFECT);
        assert_eq!(p("File"), EFFECT);
        assert_eq!(m("recv", 0), EFFECT);
        assert_eq!(m("write_all", 1), EFFECT);
        assert_eq!(m("wait_while", 2), EFFECT);
        // An executor: a closure given to a function that hands it on runs elsewhere.
        assert_eq!(call("spawn_blocking"), EFFECT);
        assert_eq!(m("execute", 1), EFFECT);
        // `fs::write(..)` is a blocking function; `write!` and `fn write` are not.
        assert_eq!(call("write"), EFFECT);
        assert_eq!(p("write"), 0);
        assert_eq!(p("MutexGuard"), EFFECT | TYPE);
        assert_eq!(p("SeqCst"), LOCAL);
        assert_eq!(m("force_unlock_read", 0), LOCAL);
        assert_eq!(p("Mutex"), TYPE);
        assert_eq!(p("AtomicUsize"), TYPE);
        assert_eq!(p("Condvar"), TYPE);
        for plain in ["new", "len", "fmt", "map", "Vec", "x", "clone", "drop"] {
            assert_eq!(m(plain, 0) | call(plain) | p(plain), 0, "{plain}");
        }
    }
}
