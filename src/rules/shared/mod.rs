//! What several rules share to build their diagnostics (none of this is a rule): the wording of
//! guards and locks ([`words`]), the search for guards held across events that the
//! `guard_across_*` rules share ([`guard_across`]), and the edits that turn a value into an
//! atomic for the `static_mut` and `mutex_of_primitive` fixes ([`atomic_fix`]).

pub mod atomic_fix;
pub mod guard_across;
pub mod words;
