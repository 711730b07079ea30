//! lockscan: finds deadlocks and shared-state concurrency hazards in Rust source.
//!
//! See `ARCHITECTURE.md` for the pipeline and the invariants.

pub mod extract;
pub mod facts;
pub mod intern;
pub mod span;
pub mod project;
pub mod parse;
