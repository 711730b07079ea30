//! lockscan: finds deadlocks and shared-state concurrency hazards in Rust source.
//!
//! See `ARCHITECTURE.md` for the pipeline and the invariants.

pub mod baseline;
pub mod cache;
pub mod cli;
pub mod config;
pub mod diag;
pub mod driver;
pub mod edition2015;
pub mod extract;
pub mod facts;
pub mod fingerprint;
pub mod fix;
pub mod index;
pub mod intern;
pub mod known;
pub mod lex;
pub mod parse;
pub mod progress;
pub mod project;
pub mod render;
pub mod rules;
pub mod screen;
pub mod server;
pub mod span;
pub mod suppress;
