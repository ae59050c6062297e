//! The scan's progress counters: what a progress bar (or any other observer) reads while the
//! scan runs. They are bumped with relaxed atomic adds once per read() of an input or per unit
//! of records (a chunk of about `--chunk-size` bytes), never per record, so that keeping them
//! costs nothing measurable. Drawing them is [`crate::output::progress`]'s business.

use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use crate::input::{decompress, FileReader, LogFile, ReadOptions, Source};

/// Shared between the scan, which bumps it, and whoever watches it.
#[derive(Debug, Default)]
pub struct Progress {
    /// The sizes of the files on disk: compressed bytes for `.gz` and `.zst` inputs, 0 for
    /// standard input (whose size is not known in advance).
    sizes: Vec<u64>,
    bytes_total: u64,
    files_total: u64,
    /// Bytes read from the files as stored (before decompression).
    bytes_done: AtomicU64,
    files_done: AtomicU64,
    records: AtomicU64,
    /// Records that some rule's streaming part (the operators that run on the scan workers)
    /// returned a row for, as the summary's `matched` counts them.
    matched: AtomicU64,
    /// `bytes_done` when the file being read was opened: only the reading thread touches it.
    file_start: AtomicU64,
}

/// The counters at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub files_done: u64,
    pub files_total: u64,
    pub records: u64,
    pub matched: u64,
}

impl Progress {
    /// Counters for a scan of `files`, with their totals.
    pub fn new(files: &[LogFile]) -> Progress {
        let sizes: Vec<u64> = files.iter().map(LogFile::stored_size).collect();
        Progress {
            bytes_total: sizes.iter().sum(),
            sizes,
            files_total: files.len() as u64,
            ..Progress::default()
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            bytes_done: self.bytes_done.load(Relaxed),
            bytes_total: self.bytes_total,
            files_done: self.files_done.load(Relaxed),
            files_total: self.files_total,
            records: self.records.load(Relaxed),
            matched: self.matched.load(Relaxed),
        }
    }

    /// Opens a log as [`FileReader::open_log`] does, with a file's stored bytes counted as they
    /// are read: under the decompressor, so that a `.gz` input counts what it takes on disk.
    /// Records built in memory count when they are done with ([`Progress::file_done`]).
    pub(crate) fn open(self: &Arc<Self>, file: usize, log: &LogFile, read: &ReadOptions) -> io::Result<FileReader> {
        self.file_start.store(self.bytes_done.load(Relaxed), Relaxed);
        if log.memory.is_some() {
            return FileReader::open_log(file, log, read, None);
        }
        let path = log.path.as_path();
        let raw: Box<dyn Read + Send> = if decompress::is_stdin(path) {
            Box::new(io::stdin())
        } else {
            Box::new(File::open(path)?)
        };
        let counted: Source = Box::new(Counted {
            inner: raw,
            progress: Arc::clone(self),
        });
        let (source, _) = decompress::decompress(counted)?;
        FileReader::from_source(file, source, read)
    }

    /// File `file` is done with (read to its end, cut short by an error, or not opened at all):
    /// it counts as its size, whatever was read of it, so that the bytes done reach the total
    /// when the scan ends.
    pub(crate) fn file_done(&self, file: usize) {
        let size = self.sizes.get(file).copied().unwrap_or(0);
        let start = self.file_start.load(Relaxed);
        let read = self.bytes_done.load(Relaxed).saturating_sub(start);
        if read < size {
            self.bytes_done.fetch_add(size - read, Relaxed);
        }
        self.file_start.store(self.bytes_done.load(Relaxed), Relaxed);
        self.files_done.fetch_add(1, Relaxed);
    }

    /// A unit of records has been scanned.
    pub(crate) fn records_done(&self, records: u64, matched: u64) {
        self.records.fetch_add(records, Relaxed);
        if matched > 0 {
            self.matched.fetch_add(matched, Relaxed);
        }
    }
}

/// A reader that adds what it reads to the progress counters.
struct Counted {
    inner: Box<dyn Read + Send>,
    progress: Arc<Progress>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes_done.fetch_add(n as u64, Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;
    use crate::input::csv::CsvOptions;
    use crate::input::Item;

    fn read_options() -> ReadOptions {
        ReadOptions {
            chunk_size: 1024,
            csv: CsvOptions::default(),
        }
    }

    /// Reads a file through the counters to its end; returns its decompressed bytes.
    fn drain(progress: &Arc<Progress>, file: usize, log: &LogFile) -> usize {
        let mut reader = progress.open(file, log, &read_options()).unwrap();
        let mut bytes = 0;
        while let Some(item) = reader.next_item(Vec::new()) {
            if let Item::Unit(unit) = item.unwrap() {
                bytes += unit.data.len();
            }
        }
        progress.file_done(file);
        bytes
    }

    #[test]
    fn stored_bytes_are_counted_under_the_decompressor() {
        let dir = tempfile::tempdir().unwrap();
        let text: Vec<u8> = (0..3000)
            .flat_map(|i| format!("{{\"Type\":\"DnsEvents\",\"Name\":\"host{i}.example.com\"}}\n").into_bytes())
            .collect();
        let plain = dir.path().join("a.jsonl");
        std::fs::write(&plain, &text).unwrap();
        let gz = dir.path().join("b.jsonl.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&text).unwrap();
        std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
        let zst = dir.path().join("c.jsonl.zst");
        std::fs::write(&zst, zstd::stream::encode_all(&text[..], 3).unwrap()).unwrap();

        let sizes: Vec<u64> = [&plain, &gz, &zst]
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .collect();
        // A size known up front (a path named on the command line) or not (found by a walk).
        let files = vec![
            LogFile::on_disk(plain.clone(), Some(sizes[0])),
            LogFile::on_disk(gz.clone(), None),
            LogFile::on_disk(zst.clone(), None),
        ];
        let progress = Arc::new(Progress::new(&files));
        let mut expected_done = 0;
        for (index, file) in files.iter().enumerate() {
            assert_eq!(drain(&progress, index, file), text.len(), "{}", file.path.display());
            // Every stored byte, not the decompressed ones (the compressed files are far smaller).
            expected_done += sizes[index];
            assert_eq!(progress.snapshot().bytes_done, expected_done, "{}", file.path.display());
        }
        let snapshot = progress.snapshot();
        assert!(sizes[1] < text.len() as u64 / 4 && sizes[2] < text.len() as u64 / 4);
        assert_eq!(snapshot.bytes_total, sizes.iter().sum::<u64>());
        assert_eq!((snapshot.files_done, snapshot.files_total), (3, 3));
    }

    #[test]
    fn a_file_cut_short_or_not_opened_still_counts_in_full() {
        let files = [500, 300, 200].map(|size| LogFile::on_disk(PathBuf::from(format!("{size}.jsonl")), Some(size)));
        let progress = Arc::new(Progress::new(&files));
        // Not opened at all.
        progress.file_done(0);
        assert_eq!(progress.snapshot().bytes_done, 500);
        // Opened, 100 bytes read, then an error.
        progress.file_start.store(progress.bytes_done.load(Relaxed), Relaxed);
        progress.bytes_done.fetch_add(100, Relaxed);
        progress.file_done(1);
        assert_eq!(progress.snapshot().bytes_done, 800);
        // Grew while being read: what was read stands.
        progress.bytes_done.fetch_add(250, Relaxed);
        progress.file_done(2);
        let snapshot = progress.snapshot();
        assert_eq!((snapshot.bytes_done, snapshot.files_done), (1050, 3));
    }
}
