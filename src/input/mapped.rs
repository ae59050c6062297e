//! A big plain file mapped into memory a batch of windows at a time: each unit is a range of
//! a mapping that several units share, unmapped when the last of them is dropped.
//!
//! A mapping per unit (about a chunk) cost a `mmap` and a `munmap` per megabyte, and each
//! unmapping interrupts the other threads to flush their address translations (the kernel's
//! `smp_call_function_many_cond`); a batch of [`CHUNKS`] chunks shares one of each. The units'
//! readers ([`super::jsonl::MappedLinesReader`], [`super::json_array::ArrayReader`])
//! ask for the window from their next byte, and get a range of the current batch while it
//! holds it. Memory stays bounded by the units in flight plus a batch.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::sync::Arc;

/// The chunks a batch maps at least: 16 MiB with the default chunk size.
pub const CHUNKS: u64 = 16;

/// A plain file and the batch of it mapped last.
#[derive(Debug)]
pub struct MappedFile {
    file: File,
    len: u64,
    /// The bytes a batch maps at least.
    batch_size: u64,
    /// The mapping and the file offset of its first byte.
    batch: Option<(Arc<memmap2::Mmap>, u64)>,
}

/// A window of a mapped file: the mapping, shared by the units cut from it, and the window's
/// range of it.
pub type Window = (Arc<memmap2::Mmap>, Range<usize>);

impl MappedFile {
    /// `file`, a plain file of `len` bytes, read in units of about `chunk_size` bytes.
    pub fn new(file: File, len: u64, chunk_size: usize) -> MappedFile {
        MappedFile {
            file,
            len,
            batch_size: CHUNKS.saturating_mul(chunk_size.max(1) as u64),
            batch: None,
        }
    }

    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// The file, opened again and read from `offset` (for a reader that takes over from there).
    pub fn reopened_at(&self, offset: u64) -> io::Result<File> {
        use io::Seek;
        let mut file = self.file.try_clone()?;
        file.seek(io::SeekFrom::Start(offset))?;
        Ok(file)
    }

    /// The bytes from `offset` to `end` (at most the file's length): a range of the current
    /// batch if it holds them, or else of a new batch mapped from `offset`.
    pub fn window(&mut self, offset: u64, end: u64) -> io::Result<Window> {
        let end = end.min(self.len);
        if let Some((map, start)) = &self.batch {
            if *start <= offset && end <= start + map.len() as u64 {
                let at = usize::try_from(offset - start).map_err(io::Error::other)?;
                let to = usize::try_from(end - start).map_err(io::Error::other)?;
                return Ok((Arc::clone(map), at..to));
            }
        }
        // Dropped here, the old batch is unmapped once the units cut from it are dropped too.
        self.batch = None;
        let batch_end = self.len.min(end.max(offset.saturating_add(self.batch_size)));
        let len = usize::try_from(batch_end - offset).map_err(io::Error::other)?;
        let map = Arc::new(map(&self.file, offset, len)?);
        let to = usize::try_from(end - offset).map_err(io::Error::other)?;
        self.batch = Some((Arc::clone(&map), offset));
        Ok((map, 0..to))
    }
}

/// `len` bytes of `source` from `offset`, mapped into memory.
fn map(source: &File, offset: u64, len: usize) -> io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and private to this process, but the file is shared: if
    // another process truncated it while it is scanned, reading the lost pages would fault.
    // Exports under investigation are not being written; ripgrep makes the same trade for
    // single big files. The page tables are not filled here (populate), in the reading thread:
    // the workers' faults fill them, 16 pages a fault, as they first read each page. Filled
    // by the reader a page at a time, the kernel's work was a serial cost of its own on the
    // scan's thread: on a Zen 3 machine, (a) on two threads 318.8 -> 284.9 ms (rg 293.2), (h)
    // 134.3 -> 115.3 ms (rg 97.1), 15 interleaved rounds; no change measured on an earlier
    // machine (README, "Tried and measured").
    unsafe { memmap2::MmapOptions::new().offset(offset).len(len).map(source) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Windows inside the batch share its mapping; one past it starts a new batch at its own
    /// first byte; every window holds the file's bytes at its offsets.
    #[test]
    fn windows_are_ranges_of_shared_batches() {
        const BATCH: u64 = CHUNKS << 20;
        let text: Vec<u8> = (0..BATCH as usize * 2 + 12_345).map(|i| (i % 251) as u8).collect();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("big");
        std::fs::write(&path, &text).expect("write the file");
        let mut mapped = MappedFile::new(File::open(&path).expect("open"), text.len() as u64, 1 << 20);
        let check = |(map, range): &Window, offset: u64, end: u64| {
            assert_eq!(
                &map[range.clone()],
                &text[offset as usize..end as usize],
                "{offset}..{end}"
            );
        };
        let first = mapped.window(0, 1 << 20).expect("map");
        check(&first, 0, 1 << 20);
        let second = mapped.window(1 << 20, 3 << 20).expect("map");
        check(&second, 1 << 20, 3 << 20);
        assert!(Arc::ptr_eq(&first.0, &second.0), "one batch");
        // Past the batch's end: a new batch from the window's first byte (page offset 4097).
        let across = mapped.window(BATCH - 4097, BATCH + 100).expect("map");
        check(&across, BATCH - 4097, BATCH + 100);
        assert!(!Arc::ptr_eq(&first.0, &across.0), "a new batch");
        assert_eq!(across.1.start, 0);
        // Wider than a batch, and clamped to the file's end.
        let wide = mapped.window(BATCH, BATCH * 3).expect("map");
        check(&wide, BATCH, text.len() as u64);
        let end = mapped
            .window(text.len() as u64 - 5, text.len() as u64 + 5)
            .expect("map");
        check(&end, text.len() as u64 - 5, text.len() as u64);
        // The first batch's units outlive it.
        drop(mapped);
        check(&first, 0, 1 << 20);
    }
}
