//! Times what the system charges to map many small files side by side, as the scan does for a
//! directory of small JSON-lines files (`src/input/region.rs`), four ways, one thread, the best
//! of `PASSES` passes: into 4 MiB of address space held by a reservation (`MAP_FIXED`) or only
//! found free (`MAP_FIXED_NOREPLACE`), each file's pages filled at the mapping
//! (`MAP_POPULATE`) or faulted in by reading them. Every variant opens each file, reads one byte
//! of each of its pages, and unmaps each region in one call. Linux only.
//! `cargo run --release --example map_files -- DIR [PASSES]`.

#[cfg(target_os = "linux")]
fn main() {
    use std::time::{Duration, Instant};

    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: map_files DIR [PASSES]");
        std::process::exit(2);
    };
    let passes: usize = args.next().map_or(7, |p| p.parse().expect("PASSES is a number"));
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .expect("the directory is readable")
        .map(|entry| entry.expect("the directory is readable").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    println!("{dir}: {} files", files.len());
    for (reserved, populated) in [(true, true), (true, false), (false, true), (false, false)] {
        let mut best = Duration::MAX;
        let mut sum = 0u64;
        for _ in 0..passes {
            let started = Instant::now();
            sum += map_all(&files, reserved, populated);
            best = best.min(started.elapsed());
        }
        println!(
            "  {:<28} {:<22} {:>7.1} ms, {:>5.1} us a file ({sum})",
            if reserved {
                "over a reservation (FIXED)"
            } else {
                "into free space (NOREPLACE)"
            },
            if populated { "populated" } else { "faulted as read" },
            best.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e6 / files.len().max(1) as f64,
        );
    }
}

/// Maps every file into regions of 4 MiB, reads a byte of each page, and unmaps each region
/// once full; the sum of the bytes read.
#[cfg(target_os = "linux")]
fn map_all(files: &[std::path::PathBuf], reserved: bool, populated: bool) -> u64 {
    use std::os::fd::AsRawFd;
    const REGION: usize = 4 << 20;
    const PAGE: usize = 4096;
    let mut sum = 0u64;
    let (mut base, mut used): (*mut u8, usize) = (std::ptr::null_mut(), REGION);
    // SAFETY: every mapping is either anonymous and inaccessible, or a file's read-only pages
    // at the region's next free page; each region is unmapped once, after its last read.
    unsafe {
        let release = |base: *mut u8, used: usize| {
            if !base.is_null() {
                libc::munmap(base.cast(), if reserved { REGION } else { used });
            }
        };
        for path in files {
            let file = std::fs::File::open(path).expect("the file is readable");
            let len = file.metadata().expect("the file's size").len() as usize;
            if len == 0 || len > REGION {
                continue;
            }
            if used + len > REGION {
                release(base, used);
                let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
                let found = libc::mmap(std::ptr::null_mut(), REGION, libc::PROT_NONE, flags, -1, 0);
                assert_ne!(found, libc::MAP_FAILED, "address space for a region");
                if !reserved {
                    libc::munmap(found, REGION);
                }
                (base, used) = (found.cast(), 0);
            }
            let placement = if reserved {
                libc::MAP_FIXED
            } else {
                libc::MAP_FIXED_NOREPLACE
            };
            let populate = if populated { libc::MAP_POPULATE } else { 0 };
            let wanted = base.add(used);
            let at = libc::mmap(
                wanted.cast(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | placement | populate,
                file.as_raw_fd(),
                0,
            );
            assert_eq!(at, wanted.cast(), "{} mapped at the region's next page", path.display());
            for page in (0..len).step_by(PAGE) {
                sum += u64::from(*wanted.add(page));
            }
            used += len.next_multiple_of(PAGE);
        }
        release(base, used);
    }
    sum
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("map_files measures Linux's mappings only");
}
