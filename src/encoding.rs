//! Text encodings shared across the pipeline: the UTF-8 byte order mark that Windows tools put
//! before exports, rule documents, feeds and watchlists (an encoding artefact, never text: left
//! in, it would hide a first-line heading, a CSV header's first name or a JSON document), and the
//! text forms of bytes that both the threat-intel tables (`rules`) and KQL functions (`plan`)
//! write: base64 and UUIDs; and the padded 16-byte windows that the SSE2 text classifiers of
//! both read, with the mask of a set of bytes that the IOC rows' and the JSON documents'
//! scanners take of each.

/// Calls `visit` with each 16-byte window of `bytes` and where it starts, in order, until it
/// returns `false`; the last window is padded with zeros. For the SSE2 classifiers of text
/// (an IOC row's pipes, a KQL literal's end), which read a window's bytes off one bit mask.
#[inline(always)]
pub(crate) fn windows16(bytes: &[u8], mut visit: impl FnMut(usize, &[u8; 16]) -> bool) {
    // The whole windows first, then the tail padded: 16 zeros written for every window and a
    // test for the tail in each were 66M of the 2,032M instructions of loading 1M IOCs.
    let (whole, tail) = bytes.split_at(bytes.len() / 16 * 16);
    let mut base = 0;
    while let Some(window) = whole.get(base..).and_then(|rest| rest.first_chunk::<16>()) {
        if !visit(base, window) {
            return;
        }
        base += 16;
    }
    if !tail.is_empty() {
        let mut padded = [0u8; 16];
        padded[..tail.len()].copy_from_slice(tail);
        visit(bytes.len() - tail.len(), &padded);
    }
}

/// Of 16 bytes, as bits: those that are one of `bytes` (an IOC row's pipes and backslashes, a
/// JSON text's brackets, quotes and backslashes). With SSE2, part of every x86_64 processor.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn byte_set_mask16<const N: usize>(chunk: &[u8; 16], bytes: [u8; N]) -> u32 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is in the x86_64 baseline, so these instructions exist on every processor
    // this code runs on; the load reads the 16 bytes of `chunk`.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let any = bytes.iter().fold(_mm_setzero_si128(), |any, &b| {
            _mm_or_si128(any, _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)))
        });
        _mm_movemask_epi8(any) as u32
    }
}

/// [`byte_set_mask16`] a byte at a time: elsewhere, and the reference for the SSE2 one.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(crate) fn byte_set_mask16_bytewise<const N: usize>(chunk: &[u8; 16], bytes: [u8; N]) -> u32 {
    (chunk.iter().enumerate()).fold(0, |mask, (i, b)| mask | u32::from(bytes.contains(b)) << i)
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) use byte_set_mask16_bytewise as byte_set_mask16;

/// Of 16 bytes, as bits: those past ASCII (their high bit set). With SSE2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn high_bit_mask16(chunk: &[u8; 16]) -> u32 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is in the x86_64 baseline; the load reads the 16 bytes of `chunk`.
    unsafe { _mm_movemask_epi8(_mm_loadu_si128(chunk.as_ptr().cast())) as u32 }
}

/// [`high_bit_mask16`] a byte at a time: elsewhere, and the reference for the SSE2 one.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(crate) fn high_bit_mask16_bytewise(chunk: &[u8; 16]) -> u32 {
    (chunk.iter().enumerate()).fold(0, |mask, (i, b)| mask | u32::from(!b.is_ascii()) << i)
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) use high_bit_mask16_bytewise as high_bit_mask16;

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How many bytes of a BOM start `bytes`: 3 or 0.
pub fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(BOM) {
        BOM.len()
    } else {
        0
    }
}

/// `bytes` without a leading BOM.
pub fn strip_bom_bytes(bytes: &[u8]) -> &[u8] {
    &bytes[bom_len(bytes)..]
}

/// `text` without a leading BOM.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The standard base64 alphabet (RFC 4648).
pub const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// 16 bytes as a UUID of `version` (4: random, 8: custom), with the RFC 9562 variant bits set:
/// `xxxxxxxx-xxxx-Vxxx-yxxx-xxxxxxxxxxxx`, lower-case.
pub fn uuid(mut bytes: [u8; 16], version: u8) -> String {
    bytes[6] = (bytes[6] & 0x0f) | (version << 4);
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SSE2 byte-set masks against the byte-at-a-time ones, on random windows of the bytes
    /// of each set and their neighbours: an IOC row's pipes and backslashes, a JSON text's
    /// brackets, quotes and backslashes; and the mask of bytes past ASCII.
    #[test]
    fn byte_set_masks_agree_with_the_bytewise_reference() {
        let pipes = [b'|', b'\\'];
        let alphabet = b"|\\ a{}\"\t\x00\x7f\x80\xfc\xdc";
        let sse2 = |chunk: &[u8; 16]| byte_set_mask16(chunk, pipes);
        crate::testing::windows_agree(0x7c3d, alphabet, sse2, |chunk| byte_set_mask16_bytewise(chunk, pipes));
        let json = [b'"', b'\\', b'{', b'}', b'[', b']'];
        let alphabet = b"\"\\{}[]a ,:\x00\xff";
        let sse2 = |chunk: &[u8; 16]| byte_set_mask16(chunk, json);
        crate::testing::windows_agree(0x5eed, alphabet, sse2, |chunk| byte_set_mask16_bytewise(chunk, json));
        let alphabet = b"a\x7f\x80\xff\x00\xc3 ";
        crate::testing::windows_agree(0x1f2e, alphabet, high_bit_mask16, high_bit_mask16_bytewise);
    }

    /// Every length: the windows are the bytes in order from 0, 16 apart, the last padded with
    /// zeros; a visit that returns `false` is the last.
    #[test]
    fn windows_cover_the_bytes_in_order_and_stop_when_told() {
        for len in 0..70usize {
            let bytes: Vec<u8> = (1..=len as u8).collect();
            let mut seen = Vec::new();
            windows16(&bytes, |base, window| {
                assert_eq!(base, seen.len(), "length {len}");
                seen.extend_from_slice(window);
                true
            });
            let mut padded = bytes.clone();
            padded.resize(len.div_ceil(16) * 16, 0);
            assert_eq!(seen, padded, "length {len}");
            for stop in 0..len.div_ceil(16) {
                let mut visits = 0;
                windows16(&bytes, |base, _| {
                    visits += 1;
                    base < 16 * stop
                });
                assert_eq!(visits, stop + 1, "length {len}, stopped at window {stop}");
            }
        }
    }

    #[test]
    fn the_mark_is_the_encoding_of_u_feff() {
        assert_eq!(BOM, "\u{feff}".as_bytes());
        assert_eq!(strip_bom("\u{feff}a,b"), "a,b");
        assert_eq!(strip_bom("a\u{feff}"), "a\u{feff}");
        assert_eq!(strip_bom_bytes(b"\xEF\xBB\xBF{}"), b"{}");
        assert_eq!((bom_len(b"\xEF\xBB"), bom_len(b"")), (0, 0));
    }

    #[test]
    fn base64_and_uuids_as_the_rfcs_write_them() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(uuid([0xff; 16], 4), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid([0; 16], 8), "00000000-0000-8000-8000-000000000000");
    }
}
