//! loghunt: replays Microsoft Sentinel / Defender XDR IOC hunting queries offline over exported
//! logs, with Kusto's exact semantics.
//!
//! The modules follow the pipeline, and depend only on modules before them:
//! [`rules`] (documents → rules) → [`kql`] (query text → syntax tree) → [`plan`] (syntax tree →
//! matchers) → [`input`] (files → records) → [`scan`] (records × plan → results, in parallel) →
//! [`output`] (results → table / JSON lines / CSV, and the summary). [`schema`], [`value`] and
//! [`time`] (and [`hashing`], [`encoding`]) are the shared vocabulary; [`cli`] and [`app`] are the command line, and
//! [`manual`] its completion scripts and man pages.

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
