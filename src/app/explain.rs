//! `loghunt explain`: rules (and feeds, as `scan --iocs` turns them into rules) compiled, and
//! the plan described on stdout ([`crate::plan::explain`]) instead of run.

use std::io::{self, Write};
use std::path::PathBuf;

use super::scan::load_feeds;
use super::{color_choice, load_plan_with, now_ticks, Error, Outcome};
use crate::cli::{ExplainArgs, ExplainFormat};
use crate::plan::{self, explain};
use crate::rules::Rule;

pub(super) fn explain_command(args: ExplainArgs) -> Result<Outcome, Error> {
    let now = now_ticks(args.now.as_deref())?;
    let stderr_style = color_choice(args.color).for_stream(&io::stderr());
    // The feeds' warnings are printed on stderr as they load; no report collects them here.
    let (feed_rules, _) = load_feeds(&args.iocs, stderr_style, &mut Vec::new())?;
    let environment = plan::Environment::default();
    // The query texts are kept only when asked for: a million-IOC rule's text is large.
    let keep = |rule: Rule| args.queries.then_some((rule.id, rule.source, rule.query));
    let (queries, plan, _) = load_plan_with(&args.rules, feed_rules, now, &environment, keep, stderr_style)?;
    let queries: Vec<(String, PathBuf, String)> = queries.into_iter().flatten().collect();
    let explanation = explain::explain(&plan);
    let mut stdout = io::stdout().lock();
    match args.format {
        ExplainFormat::Text => {
            for (id, source, query) in &queries {
                writeln!(stdout, "query of rule {id} ({}):", source.display())?;
                for line in query.trim_end().lines() {
                    writeln!(stdout, "    {line}")?;
                }
                writeln!(stdout)?;
            }
            explanation.write_text(&mut stdout)?
        }
        ExplainFormat::Json => {
            let mut json = explanation.to_json();
            if args.queries {
                let list = queries
                    .iter()
                    .map(|(id, source, query)| {
                        serde_json::json!({"rule": id, "source": source.display().to_string(), "query": query})
                    })
                    .collect();
                json["queries"] = serde_json::Value::Array(list);
            }
            let text = serde_json::to_string_pretty(&json).map_err(io::Error::other)?;
            writeln!(stdout, "{text}")?;
        }
    }
    stdout.flush()?;
    Ok(Outcome::Clean)
}
