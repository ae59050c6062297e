//! loghunt: replays Microsoft Sentinel / Defender XDR IOC hunting queries offline over exported
//! logs, with Kusto's exact semantics.
//!
//! The modules follow the pipeline, and depend only on modules before them:
//! [`rules`] (documents → rules) → [`kql`] (query text → syntax tree) → [`plan`] (syntax tree →
//! matchers) → [`input`] (files → records) → [`scan`] (records × plan → results, in parallel) →
//! [`output`] (results → table / JSON lines / CSV, and the summary). [`schema`], [`value`] and
//! [`time`] (and [`hashing`], [`encoding`]) are the shared vocabulary; [`cli`] and [`app`] are the command line, and
//! [`manual`] its completion scripts and man pages.
//!
//! [`generate`] (`loghunt gen`: benchmark rule documents and log exports with planted results)
//! sits outside the pipeline and ships in the library on purpose: users run it to measure
//! loghunt on their own machine, and the differential tests and benches build their data with
//! it. Nothing in the pipeline depends on it; it depends only on [`rules`], [`kql`] and
//! [`time`], and its expected counts come from its own small evaluator, not from [`plan`]
//! (its tests check that evaluator against [`plan`]).

pub mod app;
pub mod cli;
pub mod encoding;
pub mod generate;
pub mod hashing;
pub mod input;
pub mod kql;
pub mod manual;
pub mod output;
pub mod plan;
pub mod rules;
pub mod scan;
pub mod schema;
pub mod time;
pub mod value;

#[cfg(test)]
mod testing;
