//! The progress bar of a scan on stderr: bytes done of the total (as stored on disk, so
//! compressed for `.gz` and `.zst` inputs), files, records, hits so far, throughput and ETA.
//! It is drawn by a thread of its own a few times a second from the scan's counters
//! ([`crate::scan::progress`]), so the scan workers never wait on it, and it is cleared before
//! the results and the summary are printed.

use std::io::{self, IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

use super::thousands;
use crate::scan::progress::{Progress, Snapshot};

/// How often the bar is redrawn: often enough to look alive, rarely enough to cost nothing.
const TICK: Duration = Duration::from_millis(100);

/// `--progress`: whether to draw the bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressChoice {
    /// When stderr is a terminal (not a dumb one) and `--quiet` is not given.
    Auto,
    Always,
    Never,
}

impl ProgressChoice {
    /// Whether a bar is drawn. `--quiet` silences stderr, the bar with it, unless the bar is
    /// asked for by name.
    pub fn shown(self, quiet: bool, stderr_is_terminal: bool) -> bool {
        match self {
            ProgressChoice::Always => true,
            ProgressChoice::Never => false,
            ProgressChoice::Auto => stderr_is_terminal && !quiet,
        }
    }
}

/// Whether stderr is a terminal that can redraw a line: not one whose `TERM` is `dumb`.
pub fn stderr_is_a_terminal() -> bool {
    io::stderr().is_terminal() && !std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

/// A progress bar being drawn; dropping it (or [`Bar::finish`]) stops the drawing thread and
/// clears the bar.
pub struct Bar {
    bar: ProgressBar,
    progress: Arc<Progress>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Starts drawing `progress` on stderr, on a terminal or not (`--progress always` into a
    /// file writes the same escape sequences a terminal gets).
    pub fn start(progress: Arc<Progress>) -> Bar {
        let target = if stderr_is_a_terminal() {
            ProgressDrawTarget::stderr_with_hz(20)
        } else {
            ProgressDrawTarget::term_like_with_hz(Box::new(Stderr::new()), 20)
        };
        let snapshot = progress.snapshot();
        let bar = ProgressBar::with_draw_target(Some(snapshot.bytes_total), target);
        bar.set_style(style());
        update(&bar, &snapshot);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = {
            let (bar, progress) = (bar.clone(), Arc::clone(&progress));
            std::thread::Builder::new()
                .name("loghunt-progress".into())
                .spawn(move || loop {
                    update(&bar, &progress.snapshot());
                    match stopped.recv_timeout(TICK) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                })
                .ok()
        };
        Bar {
            bar,
            progress,
            stop: Some(stop),
            thread,
        }
    }

    /// Draws the final state once more and clears the bar, so that what is printed next starts
    /// on a clean line.
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        update(&self.bar, &self.progress.snapshot());
        // `abandon` forces a last draw of the final figures; then the line is cleared.
        self.bar.abandon();
        self.bar.finish_and_clear();
    }
}

/// Two lines, so that each fits in 80 columns and never wraps: the bar (which takes what the
/// bytes, rate and ETA leave of the line), then the counts.
fn style() -> ProgressStyle {
    ProgressStyle::with_template("[{wide_bar}] {prefix} · {decimal_bytes_per_sec} · ETA {eta}\n{msg}")
        .expect("the template is valid")
        .progress_chars("=> ")
}

fn update(bar: &ProgressBar, snapshot: &Snapshot) {
    // Standard input has no size, and a file may grow while it is read.
    if snapshot.bytes_done > snapshot.bytes_total {
        bar.set_length(snapshot.bytes_done);
    }
    bar.set_prefix(bytes_done(snapshot.bytes_done, snapshot.bytes_total));
    bar.set_message(counts(snapshot));
    bar.set_position(snapshot.bytes_done);
}

/// The second line: `3/12 files · 1,204,331 records · 42 hits`.
fn counts(snapshot: &Snapshot) -> String {
    format!(
        "{}/{} files · {} records · {} hits",
        thousands(snapshot.files_done),
        thousands(snapshot.files_total),
        count(snapshot.records),
        count(snapshot.matched)
    )
}

/// Bytes done of the total in the total's decimal unit (`120.5/800.0 MB`); the done alone when
/// the total is not known (standard input) or has been outgrown.
fn bytes_done(done: u64, total: u64) -> String {
    const UNITS: [(f64, &str); 4] = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")];
    let of = |n: u64| {
        UNITS
            .iter()
            .find(|(size, _)| n as f64 >= *size)
            .map_or((1.0, "B"), |&(size, unit)| (size, unit))
    };
    let (size, unit) = of(total.max(done));
    let show = |n: u64| match unit {
        "B" => n.to_string(),
        _ => format!("{:.2}", n as f64 / size),
    };
    if total == 0 || done > total {
        format!("{} {unit}", show(done))
    } else {
        format!("{}/{} {unit}", show(done), show(total))
    }
}

/// A count that stays short: digits grouped below a hundred million, then `123.46M`, `4.20B`.
fn count(n: u64) -> String {
    match n {
        0..100_000_000 => thousands(n),
        100_000_000..1_000_000_000 => format!("{:.2}M", n as f64 / 1e6),
        _ => format!("{:.2}B", n as f64 / 1e9),
    }
}

/// Stderr when it is not a terminal (or one that calls itself dumb), for `--progress always`:
/// the same escape sequences, at the width `COLUMNS` says (80 without it).
#[derive(Debug)]
struct Stderr {
    width: u16,
}

impl Stderr {
    fn new() -> Stderr {
        let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(80);
        Stderr { width }
    }

    fn write(&self, text: &str) -> io::Result<()> {
        io::stderr().lock().write_all(text.as_bytes())
    }
}

impl TermLike for Stderr {
    fn width(&self) -> u16 {
        self.width
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.write(&format!("\x1b[{n}A"))?;
        }
        Ok(())
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.write(&format!("\x1b[{n}B"))?;
        }
        Ok(())
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.write(&format!("\x1b[{n}C"))?;
        }
        Ok(())
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.write(&format!("\x1b[{n}D"))?;
        }
        Ok(())
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.write(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.write(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.write("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_the_bar_is_shown() {
        use ProgressChoice::*;
        // (choice, --quiet, stderr is a terminal, shown)
        let cases = [
            (Auto, false, true, true),
            (Auto, false, false, false),
            (Auto, true, true, false),
            (Always, false, false, true),
            (Always, true, false, true),
            (Never, false, true, false),
            (Never, true, true, false),
        ];
        for (choice, quiet, terminal, shown) in cases {
            assert_eq!(
                choice.shown(quiet, terminal),
                shown,
                "{choice:?} quiet={quiet} terminal={terminal}"
            );
        }
    }

    #[test]
    fn the_counts_group_digits() {
        let snapshot = Snapshot {
            bytes_done: 10,
            bytes_total: 20,
            files_done: 3,
            files_total: 1200,
            records: 1_234_567,
            matched: 42,
        };
        assert_eq!(counts(&snapshot), "3/1,200 files · 1,234,567 records · 42 hits");
        for (n, text) in [(0, "0"), (999, "999"), (1000, "1,000"), (100_000, "100,000")] {
            assert_eq!(thousands(n), text);
        }
        let cases = [
            (99_999_999, "99,999,999"),
            (123_456_789, "123.46M"),
            (4_200_000_000, "4.20B"),
        ];
        for (n, text) in cases {
            assert_eq!(count(n), text);
        }
    }

    #[test]
    fn bytes_are_shown_in_the_unit_of_the_total() {
        // (done, total, shown)
        let cases = [
            (0, 174_451, "0.00/174.45 kB"),
            (120_500_000, 800_000_000, "120.50/800.00 MB"),
            (5, 999, "5/999 B"),
            (1_500_000_000, 2_000_000_000_000, "0.00/2.00 TB"),
            // Standard input: no total; a file that grew past its size.
            (3_000_000, 0, "3.00 MB"),
            (3_000, 2_000, "3.00 kB"),
        ];
        for (done, total, shown) in cases {
            assert_eq!(bytes_done(done, total), shown, "{done}/{total}");
        }
    }

    /// The figures of a big scan leave room for the bar in 80 columns.
    #[test]
    fn the_figures_fit_in_80_columns() {
        let snapshot = Snapshot {
            bytes_done: 999_990_000_000,
            bytes_total: 999_999_000_000,
            files_done: 12_345,
            files_total: 12_345,
            records: 999_000_000_000,
            matched: 999_999_999,
        };
        // What the template puts around the figures, at its widest rate and ETA; the bar has at
        // least 20 columns of the first line.
        let first = format!(
            "[] {} · 999.99 MB/s · ETA 23h",
            bytes_done(snapshot.bytes_done, snapshot.bytes_total)
        );
        let second = counts(&snapshot);
        assert!(
            first.chars().count() <= 80 - 20,
            "{} columns: {first}",
            first.chars().count()
        );
        assert!(
            second.chars().count() <= 80,
            "{} columns: {second}",
            second.chars().count()
        );
    }
}
