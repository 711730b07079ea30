//! The words that make code worth parsing: what the screen (`crate::screen`) looks for in a
//! function body's tokens before it decides to hand the body to `syn`. Every word comes from
//! the tables of the other topics here (and from the configuration, through [`super::Api`]), so
//! that knowledge added to a table reaches the screen without a second list.
//!
//! A word has classes ([`Classes`]):
//! - [`EFFECT`]: a body that holds it may take a lock, hold a guard, sleep, block or wait, so a
//!   function that calls it may too: the function's name becomes an effect word in turn.
//! - [`LOCAL`]: a body that holds it matters to a rule on its own (an atomic's ordering), but
//!   calling it does nothing a caller's summary could show.
//! - [`TYPE`]: a type that holds a lock, a guard or an atomic; a static or a type alias written
//!   with it is one too, and its name makes a body that mentions it matter.

use super::{atomics, blocking, locks};

/// A set of classes, as bits.
pub type Classes = u8;
pub const EFFECT: Classes = 1;
pub const LOCAL: Classes = 2;
pub const TYPE: Classes = 4;

/// Where a word is written, as far as the tokens around it show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// After a `.`: a method called, or a field.
    Method,
    /// Anywhere else: a path segment, a name, a type.
    Path,
}

/// The classes lockscan's own tables give a word (an identifier as written) where it stands.
/// Method names count after a `.` only: `write!` and `fs::write` are not `RwLock::write`.
pub fn classes(word: &str, place: Place) -> Classes {
    let mut c = 0;
    if is_effect_anywhere(word) || (place == Place::Method && is_effect_method(word)) {
        c |= EFFECT;
    }
    if atomics::ORDERINGS.contains(&word) {
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
fn is_effect_method(word: &str) -> bool {
    locks::LOCK_METHODS.iter().any(|(m, _)| *m == word)
        || locks::CONDVAR_WAITS.contains(&word)
        || blocking::BLOCKING_METHODS
            .iter()
            .any(|(m, _, _)| *m == word)
        || blocking::io_method(word)
}

/// Functions by path, and guard types wherever they are written.
fn is_effect_anywhere(word: &str) -> bool {
    // A function that returns a guard, or is given one.
    locks::is_guard_name(word)
        || blocking::sleep_words().any(|w| w == word)
        || blocking::blocking_fn_words().any(|w| w == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_get_the_classes_of_their_tables() {
        let m = |w| classes(w, Place::Method);
        let p = |w| classes(w, Place::Path);
        assert_eq!(m("lock"), EFFECT);
        assert_eq!(p("lock"), 0);
        assert_eq!(m("try_lock_for"), EFFECT);
        assert_eq!(p("sleep"), EFFECT);
        assert_eq!(p("Delay"), EFFECT);
        assert_eq!(m("recv"), EFFECT);
        assert_eq!(m("write_all"), EFFECT);
        assert_eq!(m("wait_while"), EFFECT);
        // `fs::write` is a blocking function; `write!` is neither.
        assert_eq!(p("write"), EFFECT);
        assert_eq!(p("MutexGuard"), EFFECT | TYPE);
        assert_eq!(p("SeqCst"), LOCAL);
        assert_eq!(p("Mutex"), TYPE);
        assert_eq!(p("AtomicUsize"), TYPE);
        assert_eq!(p("Condvar"), TYPE);
        for plain in ["new", "len", "fmt", "map", "Vec", "x", "clone", "drop"] {
            assert_eq!(m(plain) | p(plain), 0, "{plain}");
        }
    }
}
