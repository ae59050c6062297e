//! `loghunt rules`: rules loaded and compiled without a scan, with `--check` (each query
//! accepted or refused) and `--lint` (warnings fail).

use std::io::{self, Write};

use super::{color_choice, load_plan, now_ticks, Error, Outcome};
use crate::cli::RulesArgs;
use crate::output::report::RuleInfo;
use crate::plan;

/// `loghunt rules --check PATH...`: each query compiled on its own; accepted or the first
/// reason it is refused.
pub(super) fn check_command(args: RulesArgs) -> Result<Outcome, Error> {
    let now = now_ticks(args.now.as_deref())?;
    let loaded = crate::rules::load_with_errors(&args.rules);
    let mut stdout = io::stdout().lock();
    let (mut accepted, mut total) = (0usize, 0usize);
    for (path, result) in loaded {
        total += 1;
        let verdict = match result {
            Err(e) => Err(e.to_string()),
            Ok(rule) => plan::compile_rule(&rule, now).map(|_| ()).map_err(|e| e.to_string()),
        };
        match verdict {
            Ok(()) => {
                accepted += 1;
                writeln!(stdout, "accepted  {}", path.display())?;
            }
            Err(reason) => writeln!(stdout, "refused   {}: {reason}", path.display())?,
        }
    }
    let share = if total == 0 {
        0.0
    } else {
        100.0 * accepted as f64 / total as f64
    };
    writeln!(stdout, "accepted {accepted} of {total} queries ({share:.1}%)")?;
    Ok(if accepted == total {
        Outcome::Clean
    } else {
        Outcome::Found
    })
}

/// `loghunt rules PATH...`: each rule as loaded and compiled; with `--lint`, warnings make the
/// exit code 1.
pub(super) fn rules_command(args: RulesArgs) -> Result<Outcome, Error> {
    let now = now_ticks(args.now.as_deref())?;
    let stderr_style = color_choice(args.color).for_stream(&io::stderr());
    let environment = plan::Environment::default();
    // Each rule kept as the report keeps it (its id, source, title, family, row count,
    // scenarios and the start of its query), reduced as it loads: the rule itself holds its
    // IOC table's rows and its whole query, which a million IOCs took past 200 MB only to
    // print their count.
    let (rules, plan, warnings) = load_plan(&args.rules, now, &environment, RuleInfo::from, stderr_style)?;
    let mut stdout = io::stdout().lock();
    for (rule, compiled) in rules.iter().zip(&plan.rules) {
        writeln!(stdout, "{}", rule.id)?;
        writeln!(stdout, "  source: {}", rule.source.display())?;
        if let Some(title) = &rule.title {
            writeln!(stdout, "  title: {title}")?;
        }
        if let Some(family) = &rule.family {
            writeln!(stdout, "  family: {family}")?;
        }
        writeln!(stdout, "  table: {}", compiled.table)?;
        writeln!(stdout, "  indicators: {}", rule.indicators)?;
        let columns: Vec<&str> = match &compiled.output {
            plan::Output::Pipeline => plan.pipelines[compiled.first]
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect(),
            plan::Output::Program(program) => program
                .results
                .first()
                .map(|(_, columns)| columns.iter().map(|c| c.name.as_str()).collect())
                .unwrap_or_default(),
        };
        writeln!(stdout, "  columns: {}", columns.join(", "))?;
        writeln!(stdout, "  false-positive scenarios: {}", rule.scenarios.len())?;
        for scenario in &rule.scenarios {
            writeln!(stdout, "    - {}", scenario.name)?;
            if let Some(filter) = &scenario.filter {
                writeln!(stdout, "      exclusion: {filter}")?;
            }
        }
    }
    stdout.flush()?;
    if args.lint && warnings > 0 {
        let noun = if warnings == 1 { "warning" } else { "warnings" };
        writeln!(io::stderr(), "loghunt: --lint: {warnings} {noun}")?;
        return Ok(Outcome::Found);
    }
    Ok(Outcome::Clean)
}
