//! `loghunt explain`: rules (and feeds, as `scan --iocs` turns them into rules) compiled, and
//! the plan described on stdout ([`crate::plan::explain`]) instead of run.

use std::io::{self, Write};

use super::scan::load_feeds;
use super::{color_choice, load_plan_with, now_ticks, Error, Outcome};
use crate::cli::{ExplainArgs, ExplainFormat};
use crate::plan::{self, explain};

pub(super) fn explain_command(args: ExplainArgs) -> Result<Outcome, Error> {
    let now = now_ticks(args.now.as_deref())?;
    let stderr_style = color_choice(args.color).for_stream(&io::stderr());
    // The feeds' warnings are printed on stderr as they load; no report collects them here.
    let (feed_rules, _) = load_feeds(&args.iocs, stderr_style, &mut Vec::new())?;
    let environment = plan::Environment::default();
    let (_, plan, _) = load_plan_with(&args.rules, feed_rules, now, &environment, drop, stderr_style)?;
    let explanation = explain::explain(&plan);
    let mut stdout = io::stdout().lock();
    match args.format {
        ExplainFormat::Text => explanation.write_text(&mut stdout)?,
        ExplainFormat::Json => {
            let text = serde_json::to_string_pretty(&explanation.to_json()).map_err(io::Error::other)?;
            writeln!(stdout, "{text}")?;
        }
    }
    stdout.flush()?;
    Ok(Outcome::Clean)
}
