//! Opening an input: a file or standard input (`-`), decompressed when its first bytes are a
//! gzip (`1f 8b`, every member of a multi-member file) or zstd (`28 b5 2f fd`) magic number.
//! The extension is not consulted: exports get renamed.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// A stream of an input's (decompressed) bytes.
pub type Source = Box<dyn Read + Send>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Whether `path` names standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens `path` and wraps it in the decompressor its magic number calls for.
pub fn open(path: &Path) -> io::Result<(Source, Compression)> {
    let raw: Source = if is_stdin(path) {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path)?)
    };
    decompress(raw)
}

/// The compression a file's first bytes announce.
pub fn compression_of(head: &[u8]) -> Compression {
    if head.starts_with(GZIP) {
        Compression::Gzip
    } else if head.starts_with(ZSTD) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Wraps bytes already open in the decompressor their magic number calls for.
pub fn decompress(raw: Source) -> io::Result<(Source, Compression)> {
    let (magic, raw) = peek(raw, 4)?;
    Ok(if magic.starts_with(GZIP) {
        (
            Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(
                1 << 16,
                raw,
            ))),
            Compression::Gzip,
        )
    } else if magic.starts_with(ZSTD) {
        (Box::new(zstd::stream::read::Decoder::new(raw)?), Compression::Zstd)
    } else {
        (raw, Compression::None)
    })
}

/// Reads up to `n` bytes from the front of `source` and gives back a source that still
/// starts with them.
pub fn peek(mut source: Source, n: usize) -> io::Result<(Vec<u8>, Source)> {
    let mut head = vec![0u8; n];
    let mut filled = 0;
    let mut failed = None;
    while filled < n {
        match source.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    head.truncate(filled);
    let source: Source = match failed {
        // Nothing worth reading came before the error: it is the file's whole story.
        Some(e) if head.iter().all(u8::is_ascii_whitespace) => return Err(e),
        // A small file cut by an error (a truncated gzip member) keeps the records before it;
        // the error comes after them, from the reader.
        Some(e) => Box::new(io::Cursor::new(head.clone()).chain(FailOnce(Some(e)))),
        None => Box::new(io::Cursor::new(head.clone()).chain(source)),
    };
    Ok((head, source))
}

/// A source whose next read is `.0`'s error, then end of file.
struct FailOnce(Option<io::Error>);

impl Read for FailOnce {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &Path) -> (Vec<u8>, Compression) {
        let (mut source, compression) = open(path).unwrap();
        let mut out = Vec::new();
        source.read_to_end(&mut out).unwrap();
        (out, compression)
    }

    #[test]
    fn detects_compression_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"{\"a\":1}\n{\"a\":2}\n";

        let plain = dir.path().join("x.gz");
        std::fs::write(&plain, text).unwrap();
        assert_eq!(read_all(&plain), (text.to_vec(), Compression::None));

        // Two gzip members, as `cat a.gz b.gz` makes: both are read.
        let gz = dir.path().join("x.json");
        let mut bytes = Vec::new();
        for part in [&text[..8], &text[8..]] {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(part).unwrap();
            bytes.extend(encoder.finish().unwrap());
        }
        std::fs::write(&gz, bytes).unwrap();
        assert_eq!(read_all(&gz), (text.to_vec(), Compression::Gzip));

        let zst = dir.path().join("x.log");
        std::fs::write(&zst, zstd::stream::encode_all(&text[..], 3).unwrap()).unwrap();
        assert_eq!(read_all(&zst), (text.to_vec(), Compression::Zstd));
    }

    #[test]
    fn a_truncated_gzip_member_is_a_read_error_after_the_good_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let text: Vec<u8> = (0..2000)
            .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
            .collect();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&text).unwrap();
        let bytes = encoder.finish().unwrap();
        let cut = dir.path().join("cut.json.gz");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let (mut source, _) = open(&cut).unwrap();
        let mut out = Vec::new();
        let error = source.read_to_end(&mut out).expect_err("a cut member is an error");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert!(!out.is_empty() && text.starts_with(&out));
    }
}
