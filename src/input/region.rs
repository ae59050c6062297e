//! Small files mapped side by side into one stretch of reserved address space, and unmapped
//! together when the last of their units is dropped.
//!
//! Thousands of small files are the usual shape of an export. Read, each file's bytes are
//! copied out of the page cache (the kernel's copy was most of what 2,000 files of 100 KB cost
//! over one file of the same bytes); mapped one by one, each unmapping interrupted the other
//! threads to flush their address translations. Here each file is mapped into the next pages
//! of a reserved region (`MAP_FIXED` over the reservation), and the whole region is unmapped
//! in one call: one flush for a few megabytes of files, as for one chunk of a big mapped file.
//! Linux only (`MAP_POPULATE` fills a file's page tables in the reading thread); elsewhere
//! [`Regions::map`] declines and the files are read.

use std::fs::File;
use std::ops::Range;
use std::sync::Arc;

/// The smallest region: the files of about four chunks share one unmapping.
const REGION: usize = 4 << 20;

/// Where the next small file goes: the region being filled and how much of it is used.
#[derive(Debug)]
pub struct Regions {
    current: Option<(Arc<Region>, usize)>,
    size: usize,
}

/// A reserved stretch of address space, some of its pages mapped to files; unmapped whole when
/// dropped.
#[derive(Debug)]
pub struct Region {
    base: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the region's pages are only ever read once mapped (`PROT_READ`), and the region is
// unmapped only when the last owner drops it.
unsafe impl Send for Region {}
unsafe impl Sync for Region {}

impl Regions {
    /// Regions that hold files of up to `largest` bytes (the unit size: larger files are read
    /// in chunks).
    pub fn new(largest: usize) -> Regions {
        Regions {
            current: None,
            size: REGION.max(largest.saturating_add(page_size())),
        }
    }

    /// The first `len` bytes of `file` (a regular file that is at least that long, `len > 0`),
    /// mapped read-only into the current region, or a new one if it is full; `None` if the
    /// system cannot map it here (the caller reads the file instead).
    pub fn map(&mut self, file: &File, len: usize) -> Option<(Arc<Region>, Range<usize>)> {
        if len == 0 || len > self.size - page_size() {
            return None;
        }
        let fits = |(_, used): &(Arc<Region>, usize)| used + len <= self.size;
        if !self.current.as_ref().is_some_and(fits) {
            self.current = Some((Arc::new(Region::reserve(self.size)?), 0));
        }
        let (region, used) = self.current.as_mut()?;
        let start = *used;
        region.map_at(start, file, len)?;
        *used = (start + len).next_multiple_of(page_size());
        Some((Arc::clone(region), start..start + len))
    }
}

impl Region {
    /// The bytes at `range` of the region, which [`Regions::map`] mapped.
    pub fn bytes(&self, range: Range<usize>) -> &[u8] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: `Regions::map` hands out only ranges it mapped to a file's bytes, readable
        // for as long as the region lives. As with every mapped file, the bytes change if
        // another process writes the file, and reading them faults if it truncates the file
        // meanwhile; exports under investigation are not being written (ripgrep makes the same
        // trade).
        unsafe { std::slice::from_raw_parts(self.base.as_ptr().add(range.start), range.len()) }
    }
}

#[cfg(target_os = "linux")]
impl Region {
    fn reserve(len: usize) -> Option<Region> {
        // SAFETY: a new anonymous mapping with no access: it only holds the addresses.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        Some(Region {
            base: std::ptr::NonNull::new(base.cast())?,
            len,
        })
    }

    /// Maps `len` bytes of `file` at `start`, a page boundary inside the reservation that no
    /// file holds yet.
    fn map_at(&self, start: usize, file: &File, len: usize) -> Option<()> {
        use std::os::fd::AsRawFd;
        debug_assert!(start % page_size() == 0 && start + len <= self.len);
        // SAFETY: the target pages are this region's own, still reserved (`Regions::map` never
        // maps over a file's pages), so nothing else is unmapped by `MAP_FIXED`.
        let at = unsafe {
            libc::mmap(
                self.base.as_ptr().add(start).cast(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_FIXED | libc::MAP_POPULATE,
                file.as_raw_fd(),
                0,
            )
        };
        (at != libc::MAP_FAILED).then_some(())
    }
}

#[cfg(not(target_os = "linux"))]
impl Region {
    fn reserve(_len: usize) -> Option<Region> {
        None
    }

    fn map_at(&self, _start: usize, _file: &File, _len: usize) -> Option<()> {
        None
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        // SAFETY: the region's reservation and every file mapped into it, unmapped once no
        // unit holds it.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

fn page_size() -> usize {
    #[cfg(target_os = "linux")]
    {
        static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        // SAFETY: sysconf reads a constant of the system.
        *PAGE.get_or_init(|| usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096))
    }
    #[cfg(not(target_os = "linux"))]
    4096
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn files_mapped_side_by_side_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut regions = Regions::new(1 << 16);
        let mut held = Vec::new();
        // Sizes around page boundaries, and enough files to fill more than one region.
        for (i, len) in [1, 4095, 4096, 4097, 65_536, 3].iter().cycle().take(300).enumerate() {
            let path = dir.path().join(format!("{i}"));
            let text: Vec<u8> = (0..*len).map(|j| (i * 31 + j) as u8).collect();
            File::create(&path).unwrap().write_all(&text).unwrap();
            let (region, range) = regions.map(&File::open(&path).unwrap(), *len).expect("mapped");
            held.push((region, range, text));
        }
        let distinct = held
            .iter()
            .map(|(r, ..)| Arc::as_ptr(r))
            .collect::<std::collections::HashSet<_>>();
        assert!(distinct.len() > 1, "300 files of up to 64 KB fill more than one region");
        for (region, range, text) in &held {
            assert_eq!(region.bytes(range.clone()), &text[..]);
        }
        // Regions released while others are in use leave the rest readable.
        held.retain(|(_, range, _)| range.len() != 65_536);
        for (region, range, text) in &held {
            assert_eq!(region.bytes(range.clone()), &text[..]);
        }
    }

    #[test]
    fn an_empty_or_oversized_file_is_left_to_be_read() {
        let file = tempfile::tempfile().unwrap();
        let mut regions = Regions::new(1 << 16);
        assert!(regions.map(&file, 0).is_none());
        assert!(regions.map(&file, 64 << 20).is_none());
    }
}
