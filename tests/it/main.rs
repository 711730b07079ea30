//! lockscan's integration tests: one binary, one module per topic. What the topics share
//! (running the binary, throwaway crates, the tools the tests install, the nesting shapes) is
//! written once, in `support`.
//!
//! `cargo test` runs them with the unit tests; `cargo test --test it TOPIC` runs one topic
//! (a module name such as `cli` or `robustness`, or any part of a test's path).

mod support;

mod action;
mod baseline;
mod cache;
mod cli;
mod config;
mod fixes;
mod fixtures;
mod formats;
mod fuzz_regressions;
mod graph;
mod precommit;
mod readme;
mod resolution;
mod robustness;
mod sarif;
mod screen;
mod server;
mod snapshots;
mod staples;
mod step_summary;
mod suppressions;
