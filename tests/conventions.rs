//! The command line's conventions, through the real binary: shell completions and man pages,
//! colour only on a terminal (and never with `NO_COLOR`), `--output PATH` instead of shell
//! redirection, and `rules --lint` for CI over a rules repository.

mod binary;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use binary::{repo, stderr, stdout, write, NOW};

const SUBCOMMANDS: [&str; 5] = ["scan", "query", "rules", "gen", "feed"];

/// The binary with stdout and stderr as pipes, and `NO_COLOR` as given (unset when `None`),
/// whatever the environment the tests run in.
fn loghunt_with(args: &[&str], no_color: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_loghunt"));
    command.current_dir(repo()).args(args).env_remove("NO_COLOR");
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    command.output().expect("the loghunt binary runs")
}

fn loghunt(args: &[&str]) -> Output {
    loghunt_with(args, None)
}

fn write_rule(dir: &Path, name: &str, text: &str) -> PathBuf {
    write(dir, name, text)
}

#[test]
fn every_shell_gets_a_completion_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = loghunt(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        for subcommand in SUBCOMMANDS {
            assert!(
                script.contains(subcommand),
                "{shell}: `{subcommand}` missing:\n{script}"
            );
        }
        // The flags of a subcommand are completed too.
        assert!(script.contains("chunk-size"), "{shell}: scan's flags missing");
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let output = loghunt(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("tcsh"), "{}", stderr(&output));
}

#[test]
fn the_man_page_is_roff_naming_the_subcommands() {
    let output = loghunt(&["man"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout(&output);
    assert!(page.contains(".TH loghunt 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    for subcommand in SUBCOMMANDS {
        assert!(
            page.contains(&format!("loghunt\\-{subcommand}(1)")),
            "`{subcommand}` missing:\n{page}"
        );
    }
}

#[test]
fn a_subcommand_has_its_own_man_page_with_its_flags() {
    let output = loghunt(&["man", "scan"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout(&output);
    assert!(page.contains(".TH loghunt-scan 1"), "{page}");
    assert!(page.contains("\\-\\-chunk\\-size"), "{page}");

    let output = loghunt(&["man", "scna"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no subcommand `scna`"), "{}", stderr(&output));
}

/// A seed document whose IOC table and query lists have drifted apart (as in `tests/cli.rs`).
fn drifted_rule(dir: &Path) -> PathBuf {
    let seed = std::fs::read_to_string(repo().join("rules/000_4a715f3ed2ee4353.txt")).unwrap();
    let document = seed.replace(
        "\"9c9b962deead54c4364d378324e1f4ec603ab81c\"]",
        "\"9c9b962deead54c4364d378324e1f4ec603ab81c\", \"deadbeef00000000000000000000000000000000\"]",
    );
    assert_ne!(document, seed, "the seed still has the list this test edits");
    write_rule(dir, "drifted.txt", &document)
}

#[test]
fn lint_turns_rule_warnings_into_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let rule = drifted_rule(dir.path());
    let rule = rule.to_str().unwrap();

    let output = loghunt(&["rules", rule]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "without --lint warnings pass: {}",
        stderr(&output)
    );

    let output = loghunt(&["rules", "--lint", rule]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("loghunt: warning: rule drifted: 1 value(s) in the query's lists are not in the IOC table"),
        "{err}"
    );
    assert!(err.ends_with("loghunt: --lint: 1 warning\n"), "{err}");
    assert!(stdout(&output).starts_with("drifted\n"), "the rules are still listed");
}

#[test]
fn lint_passes_the_seed_rules() {
    let output = loghunt(&["rules", "--lint", "rules"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "", "no warnings, no lint line");
}

#[test]
fn lint_passes_a_directory_only_when_every_rule_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    for seed in std::fs::read_dir(repo().join("rules")).unwrap() {
        let seed = seed.unwrap().path();
        std::fs::copy(&seed, dir.path().join(seed.file_name().unwrap())).unwrap();
    }
    let clean = loghunt(&["rules", "--lint", dir.path().to_str().unwrap()]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    drifted_rule(dir.path());
    let drifted = loghunt(&["rules", "--lint", dir.path().to_str().unwrap()]);
    assert_eq!(drifted.status.code(), Some(1), "{}", stderr(&drifted));
}

#[test]
fn lint_and_check_are_not_combined() {
    let output = loghunt(&["rules", "--lint", "--check", "rules"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot be used with"), "{}", stderr(&output));
}

fn scan_samples(extra: &[&str]) -> Output {
    let mut args = vec!["scan", "--rules", "rules", "--now", NOW];
    args.extend_from_slice(extra);
    args.push("sample-logs");
    loghunt(&args)
}

#[test]
fn output_writes_the_results_to_a_file_and_the_summary_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["table", "jsonl", "csv"] {
        let piped = scan_samples(&["--format", format]);
        assert_eq!(piped.status.code(), Some(1), "{}", stderr(&piped));
        assert!(!piped.stdout.is_empty());

        let path = dir.path().join(format!("results.{format}"));
        // An existing file is emptied first, not written over in place.
        std::fs::write(&path, "x".repeat(piped.stdout.len() * 2)).unwrap();
        let written = scan_samples(&["--format", format, "--output", path.to_str().unwrap()]);
        assert_eq!(written.status.code(), Some(1), "{}", stderr(&written));
        assert_eq!(stdout(&written), "", "{format}: nothing on stdout");
        assert!(
            stderr(&written).contains("results:"),
            "{format}: the summary stays on stderr"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            piped.stdout,
            "{format}: the file holds what stdout would"
        );
    }
}

#[test]
fn output_works_for_query_and_dash_is_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dns.jsonl");
    let query = "DnsEvents | where Name has 'my_x' | project Name";
    let base = ["query", "--now", NOW, "--format", "jsonl", "-q"];
    let piped = loghunt(&[&base[..], &[query, "sample-logs"]].concat());
    assert_eq!(piped.status.code(), Some(1), "{}", stderr(&piped));

    let written = loghunt(&[&base[..], &["-o", path.to_str().unwrap(), query, "sample-logs"]].concat());
    assert_eq!(written.status.code(), Some(1), "{}", stderr(&written));
    assert_eq!((stdout(&written), stderr(&written)), (String::new(), String::new()));
    assert_eq!(std::fs::read(&path).unwrap(), piped.stdout);

    let dash = loghunt(&[&base[..], &["--output", "-", query, "sample-logs"]].concat());
    assert_eq!(dash.stdout, piped.stdout);
}

#[test]
fn an_output_that_cannot_be_created_fails_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-folder/results.jsonl");
    let output = scan_samples(&["--output", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("loghunt: error: --output ") && err.contains("cannot create"),
        "{err}"
    );
    assert!(!err.contains("records:"), "no scan ran:\n{err}");
}

const ESCAPE: &str = "\x1b[";

/// A scan whose rules warn (a drifted document) and whose results are printed as a table.
fn scan_with_warning(extra: &[&str], no_color: Option<&str>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let rule = drifted_rule(dir.path());
    let mut args = vec!["scan", "--rules", rule.to_str().unwrap(), "--now", NOW];
    args.extend_from_slice(extra);
    args.push("sample-logs");
    let output = loghunt_with(&args, no_color);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("warning:"), "{}", stderr(&output));
    output
}

#[test]
fn pipes_get_no_colour_by_default() {
    let output = scan_with_warning(&[], None);
    assert!(!stdout(&output).contains(ESCAPE), "{}", stdout(&output));
    assert!(!stderr(&output).contains(ESCAPE), "{}", stderr(&output));
}

#[test]
fn color_always_colours_the_table_and_stderr() {
    let output = scan_with_warning(&["--color", "always"], None);
    let (out, err) = (stdout(&output), stderr(&output));
    assert!(out.starts_with("\x1b[1mdrifted — ThreatFox"), "a bold heading:\n{out}");
    assert!(err.contains("loghunt: \x1b[33mwarning:\x1b[0m rule drifted: "), "{err}");
    // Only the heading is styled: the aligned cells are the same bytes as without colour.
    let plain = scan_with_warning(&["--color", "never"], None);
    let strip = |text: &str| text.replace("\x1b[1m", "").replace("\x1b[0m", "");
    assert_eq!(strip(&out), stdout(&plain));
    assert!(!stderr(&plain).contains(ESCAPE));
}

#[test]
fn json_lines_and_csv_are_never_coloured() {
    for format in ["jsonl", "csv"] {
        let output = scan_with_warning(&["--color", "always", "--format", format], None);
        assert!(!stdout(&output).contains(ESCAPE), "{format}: {}", stdout(&output));
        assert!(stderr(&output).contains(ESCAPE), "{format}: stderr is still coloured");
    }
}

#[test]
fn no_color_turns_auto_off_but_not_an_explicit_always() {
    for value in ["1", "0", "false"] {
        let output = scan_with_warning(&["--color", "auto"], Some(value));
        assert!(!stdout(&output).contains(ESCAPE) && !stderr(&output).contains(ESCAPE));
    }
    // An explicit flag overrides the environment, as no-color.org asks.
    let output = scan_with_warning(&["--color", "always"], Some("1"));
    assert!(stdout(&output).contains(ESCAPE) && stderr(&output).contains(ESCAPE));
}

#[test]
fn errors_and_rule_warnings_follow_color_too() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing/out.txt");
    let output = scan_samples(&["--color", "always", "--output", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("loghunt: \x1b[1;31merror:\x1b[0m --output "),
        "{}",
        stderr(&output)
    );

    let rule = drifted_rule(dir.path());
    let output = loghunt(&["rules", "--lint", "--color", "always", rule.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("\x1b[33mwarning:"), "{}", stderr(&output));
    assert!(!stdout(&output).contains(ESCAPE), "the listing is plain");
}
