//! `loghunt feed FEED... --out DIR`: IOC feeds → rule documents in DIR, one per malware family
//! ([`crate::rules::feeds::documents`] writes the text). Feed warnings go to stderr as
//! `scan --iocs` prints them, then a line per document written. Documents already in DIR are
//! left alone unless `--force`: then nothing is written at all.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{color_choice, load_feed, Error, Outcome};
use crate::cli::FeedArgs;
use crate::rules::feeds::documents::documents;

pub(super) fn feed_command(args: FeedArgs) -> Result<Outcome, Error> {
    let FeedArgs {
        feeds: paths,
        out,
        force,
        color,
    } = args;
    let stderr_style = color_choice(color).for_stream(&io::stderr());
    let mut feeds = Vec::with_capacity(paths.len());
    for path in &paths {
        feeds.push(load_feed(path, stderr_style)?);
    }
    let documents = documents(&feeds);
    let targets: Vec<PathBuf> = documents.iter().map(|d| out.join(format!("{}.txt", d.name))).collect();
    if !force {
        let existing: Vec<String> = targets
            .iter()
            .filter(|path| path.exists())
            .map(|path| path.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(Error::Usage(format!(
                "{} document(s) exist already, so nothing was written (--force overwrites them): {}",
                existing.len(),
                existing.join(", ")
            )));
        }
    }
    std::fs::create_dir_all(&out)
        .map_err(|e| Error::Usage(format!("--out {}: cannot create the directory: {e}", out.display())))?;
    let mut stderr = io::stderr().lock();
    let mut total = 0;
    for (document, path) in documents.iter().zip(&targets) {
        std::fs::write(path, &document.text)
            .map_err(|e| Error::Output(io::Error::new(e.kind(), format!("{}: {e}", path.display()))))?;
        let what = match (&document.family, &document.feed) {
            (Some(family), _) => family.clone(),
            (None, Some(feed)) => format!("IOCs of {feed} with no malware family"),
            (None, None) => "IOCs with no malware family".to_string(),
        };
        let s = if document.iocs == 1 { "" } else { "s" };
        writeln!(
            stderr,
            "loghunt: wrote {}: {what}, {} IOC{s}",
            path.display(),
            document.iocs
        )?;
        total += document.iocs;
    }
    let (d, f) = (
        if documents.len() == 1 { "" } else { "s" },
        if feeds.len() == 1 { "" } else { "s" },
    );
    writeln!(
        stderr,
        "loghunt: {} document{d}, {total} IOCs from {} feed{f} in {}",
        documents.len(),
        feeds.len(),
        out.display()
    )?;
    Ok(Outcome::Clean)
}
