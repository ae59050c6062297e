//! Text encoding facts every reader shares: the UTF-8 byte order mark that Windows tools put
//! before exports, rule documents, feeds and watchlists. It is an encoding artefact, never text:
//! left in, it would hide a first-line heading, a CSV header's first name or a JSON document.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_is_the_encoding_of_u_feff() {
        assert_eq!(BOM, "\u{feff}".as_bytes());
        assert_eq!(strip_bom("\u{feff}a,b"), "a,b");
        assert_eq!(strip_bom("a\u{feff}"), "a\u{feff}");
        assert_eq!(strip_bom_bytes(b"\xEF\xBB\xBF{}"), b"{}");
        assert_eq!((bom_len(b"\xEF\xBB"), bom_len(b"")), (0, 0));
    }
}
