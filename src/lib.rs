//! logweave: many timestamped logs as one time-ordered stream, with memory
//! that does not grow with the log.
//!
//! The pipeline runs one way (see `docs/ARCHITECTURE.md`):
//! [`source`] (random-access bytes) → [`record`] (lines, timestamps, records in
//! both directions) → [`merge`] (K-way merge from any cursor, dedup, seeks) →
//! [`print`](mod@print) (stdout) or the window and view.

pub mod airflow;
pub mod cli;
pub mod compare;
pub mod config;
pub mod engine;
pub mod escape;
pub mod follow;
pub mod gen;
pub mod invariants;
pub mod merge;
pub mod overview;
pub mod print;
pub mod problem;
pub mod record;
pub mod run;
pub mod search;
pub mod source;
pub mod view;
pub mod window;
