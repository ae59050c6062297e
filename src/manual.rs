//! What the command line says about itself: shell completion scripts and man pages, generated
//! from the flags declared in [`crate::cli`], so that they cannot drift from the binary. This
//! module only renders bytes; printing them is the caller's.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The completion script of `shell` for the `loghunt` binary.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    // Rendered into memory: clap_complete panics on a failed write, and stdout may be a closed
    // pipe.
    clap_complete::generate(shell, &mut command, "loghunt", &mut script);
    script
}

/// The roff man page of `loghunt` (`path` empty) or of one of its subcommands (`["scan"]`,
/// `["gen", "rules"]`), as `man -l -` reads it.
pub fn man_page(path: &[String]) -> Result<Vec<u8>, String> {
    // Built first so that subcommands carry their full names (`loghunt-scan`) into the page's
    // title, as `clap_mangen::generate_to` does.
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    for name in path {
        let known: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
        let Some(found) = command.find_subcommand(name) else {
            let parent = command.get_display_name().unwrap_or_else(|| command.get_name());
            return Err(if known.is_empty() {
                format!("`{parent}` has no subcommands, so no page for `{name}`")
            } else {
                format!("`{parent}` has no subcommand `{name}` (known: {})", known.join(", "))
            });
        };
        command = found.clone();
    }
    let mut page = Vec::new();
    // Every page names the package's version as its source, not the subcommand's (it has none).
    clap_mangen::Man::new(command)
        .source(format!("loghunt {}", env!("CARGO_PKG_VERSION")))
        .manual("loghunt manual")
        .render(&mut page)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_page_renders() {
        for path in [
            &["scan"][..],
            &["query"],
            &["rules"],
            &["gen", "rules"],
            &["gen", "logs"],
        ] {
            let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            let page = String::from_utf8(man_page(&path).unwrap()).unwrap();
            let title = format!(".TH loghunt-{} 1", path.join("-"));
            assert!(page.contains(&title), "{path:?}: no `{title}` in\n{page}");
        }
    }

    #[test]
    fn an_unknown_subcommand_is_named_with_the_known_ones() {
        let error = man_page(&["scna".to_string()]).unwrap_err();
        assert!(
            error.contains("no subcommand `scna`") && error.contains("scan, query, rules"),
            "{error}"
        );
    }
}
