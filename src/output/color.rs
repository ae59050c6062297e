//! Colour only where a person reads it: whether a stream gets ANSI escape codes (`--color`,
//! whether the stream is a terminal, `NO_COLOR` as <https://no-color.org> defines it), and the few
//! styles loghunt uses. Only the table and the messages on stderr are ever styled; JSON lines
//! and CSV are data and never are.

use std::ffi::OsStr;
use std::fmt;
use std::io::IsTerminal;

/// `--color`: `auto` (the default) colours a terminal unless `NO_COLOR` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether a stream gets colour. `NO_COLOR` counts only when set and not empty, and an
    /// explicit `--color always` overrides it, as no-color.org asks of command-line flags.
    pub fn enabled(self, is_terminal: bool, no_color: Option<&OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && no_color.is_none_or(OsStr::is_empty),
        }
    }

    /// The style of `stream` under this choice and the process's `NO_COLOR`.
    pub fn for_stream(self, stream: &impl IsTerminal) -> Style {
        let no_color = std::env::var_os("NO_COLOR");
        Style {
            enabled: self.enabled(stream.is_terminal(), no_color.as_deref()),
        }
    }
}

/// How text on one stream is styled: plainly, or with ANSI escape codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    enabled: bool,
}

impl Style {
    pub const PLAIN: Style = Style { enabled: false };

    /// A rule's heading in the table: bold.
    pub fn heading(self, text: &str) -> Painted<'_> {
        self.paint("1", text)
    }

    /// A warning's label: yellow.
    pub fn warning(self, text: &str) -> Painted<'_> {
        self.paint("33", text)
    }

    /// An error's label: bold red.
    pub fn error(self, text: &str) -> Painted<'_> {
        self.paint("1;31", text)
    }

    fn paint<'a>(self, code: &'static str, text: &'a str) -> Painted<'a> {
        Painted {
            code: self.enabled.then_some(code),
            text,
        }
    }
}

/// Text with its escape codes, written by `Display`.
pub struct Painted<'a> {
    code: Option<&'static str>,
    text: &'a str,
}

impl fmt::Display for Painted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "\x1b[{code}m{}\x1b[0m", self.text),
            None => f.write_str(self.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color_unless_forced() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        // (choice, is a terminal, NO_COLOR, coloured)
        let cases = [
            (ColorChoice::Auto, true, None, true),
            (ColorChoice::Auto, true, empty, true),
            (ColorChoice::Auto, true, set, false),
            (ColorChoice::Auto, false, None, false),
            (ColorChoice::Auto, false, set, false),
            (ColorChoice::Always, false, None, true),
            (ColorChoice::Always, true, set, true),
            (ColorChoice::Never, true, None, false),
            (ColorChoice::Never, false, empty, false),
        ];
        for (choice, terminal, no_color, expected) in cases {
            assert_eq!(
                choice.enabled(terminal, no_color),
                expected,
                "{choice:?}, terminal {terminal}, NO_COLOR {no_color:?}"
            );
        }
    }

    #[test]
    fn plain_text_has_no_escape_codes() {
        assert_eq!(Style::PLAIN.warning("warning:").to_string(), "warning:");
        let coloured = Style { enabled: true };
        assert_eq!(coloured.warning("warning:").to_string(), "\x1b[33mwarning:\x1b[0m");
        assert_eq!(coloured.heading("h").to_string(), "\x1b[1mh\x1b[0m");
    }
}
