//! `loghunt gen`: benchmark data, rule documents or log exports with planted results.

use std::time::Instant;

use super::{Error, Outcome};
use crate::cli::{GenArgs, GenCommand, ShapeArg};
use crate::generate::{self, LogTable, LogsOptions, RulesOptions, Shape};

pub(super) fn gen_command(args: GenArgs) -> Result<Outcome, Error> {
    let started = Instant::now();
    match args.what {
        GenCommand::Rules(args) => {
            let options = RulesOptions {
                out: args.out,
                hashes: args.hashes,
                domains: args.domains,
                seed: args.seed,
            };
            let written = generate::generate_rules(&options)?;
            eprintln!(
                "loghunt: wrote {} rule document(s) ({} hashes, {} domains) to {} in {:.2} s",
                written.len(),
                options.hashes,
                options.domains,
                options.out.display(),
                started.elapsed().as_secs_f64()
            );
        }
        GenCommand::Logs(args) => {
            let options = LogsOptions {
                table: LogTable::from_name(&args.table)?,
                size: args.size,
                out: args.out,
                shape: match args.shape {
                    ShapeArg::Jsonl => Shape::Jsonl,
                    ShapeArg::Array => Shape::Array,
                    ShapeArg::Response => Shape::Response,
                },
                files: args.files,
                rules: args.rules,
                hits: args.hits,
                seed: args.seed,
            };
            let report = generate::generate_logs(&options)?;
            let (seconds, planted) = (report.write_seconds, report.hits.values().sum::<u64>());
            eprintln!(
                "loghunt: wrote {} records, {} bytes to {} in {seconds:.2} s ({:.0} MB/s, {:.2} s in all); \
                 {planted} expected results in {}",
                report.records,
                report.bytes,
                options.out.display(),
                report.bytes as f64 / 1e6 / seconds.max(1e-9),
                started.elapsed().as_secs_f64(),
                report.expected.display()
            );
        }
    }
    Ok(Outcome::Clean)
}
