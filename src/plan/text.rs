//! String matchers with Kusto's exact semantics: the `has` term rule, `contains`, `startswith`,
//! `endswith`, `=~`, and the sets behind `in`/`in~`/`has_any`/`has_all`. Case-insensitive means
//! ASCII case-insensitive: Kusto does not fold non-ASCII letters for these operators.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::hashing::FxHashSet;

/// ASCII letters and digits make up Kusto terms; everything else (`.`, `-`, `_`, `\`, space,
/// non-ASCII) separates them.
#[inline]
pub fn is_term_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Whether an occurrence of `needle` at `start..end` of `haystack` sits on term boundaries: a
/// needle that starts with a term character must not continue a term on its left, and one that
/// ends with a term character must not run into a term on its right.
#[inline]
pub fn on_term_boundaries(haystack: &[u8], needle: &[u8], start: usize, end: usize) -> bool {
    let left_ok = match needle.first() {
        Some(&first) if is_term_byte(first) => start == 0 || !is_term_byte(haystack[start - 1]),
        _ => true,
    };
    let right_ok = match needle.last() {
        Some(&last) if is_term_byte(last) => end == haystack.len() || !is_term_byte(haystack[end]),
        _ => true,
    };
    left_ok && right_ok
}

/// A set of `has` needles searched at once: `has`, `has_cs`, `has_any`, `has_all`. An automaton
/// finds every occurrence (overlapping, since an occurrence that fails the boundary check must
/// not hide one that passes) and each is checked against the term rule.
#[derive(Debug)]
pub struct TermSet {
    needles: Vec<Vec<u8>>,
    case_sensitive: bool,
    /// Needles that are empty: Kusto's `has ""` is true for every string.
    empty: Vec<usize>,
    automaton: Option<AhoCorasick>,
}

impl TermSet {
    pub fn new<I, S>(needles: I, case_sensitive: bool) -> TermSet
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let needles: Vec<Vec<u8>> = needles.into_iter().map(|n| n.as_ref().as_bytes().to_vec()).collect();
        let empty = needles
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_empty())
            .map(|(i, _)| i)
            .collect();
        let patterns: Vec<&[u8]> = needles.iter().map(|n| n.as_slice()).collect();
        let automaton = if patterns.iter().all(|p| p.is_empty()) {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(!case_sensitive)
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    // Only pattern-set size limits can fail, far beyond any rule's IOC count.
                    .expect("term automaton builds"),
            )
        };
        TermSet {
            needles,
            case_sensitive,
            empty,
            automaton,
        }
    }

    pub fn len(&self) -> usize {
        self.needles.len()
    }

    pub fn case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    /// One set with every needle of `sets` (of the same case sensitivity): `has_any` over the
    /// union holds exactly when it holds over one of them.
    pub fn union<'a>(sets: impl IntoIterator<Item = &'a TermSet>, case_sensitive: bool) -> TermSet {
        let needles: Vec<&str> = sets
            .into_iter()
            .flat_map(|set| set.needles.iter())
            // Needles were built from `&str`, so they are UTF-8.
            .filter_map(|n| std::str::from_utf8(n).ok())
            .collect();
        TermSet::new(needles, case_sensitive)
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `has_any`: some needle occurs as a term-aligned match.
    pub fn matches_any(&self, haystack: &str) -> bool {
        if !self.empty.is_empty() {
            return true;
        }
        let Some(automaton) = &self.automaton else { return false };
        let bytes = haystack.as_bytes();
        automaton
            .find_overlapping_iter(bytes)
            .any(|m| on_term_boundaries(bytes, &self.needles[m.pattern().as_usize()], m.start(), m.end()))
    }

    /// `has_all`: every needle occurs. An empty set matches nothing (see README, semantics).
    pub fn matches_all(&self, haystack: &str) -> bool {
        if self.needles.is_empty() {
            return false;
        }
        let mut found = vec![false; self.needles.len()];
        for &i in &self.empty {
            found[i] = true;
        }
        let mut remaining = found.iter().filter(|f| !**f).count();
        if remaining == 0 {
            return true;
        }
        let Some(automaton) = &self.automaton else { return false };
        let bytes = haystack.as_bytes();
        for m in automaton.find_overlapping_iter(bytes) {
            let i = m.pattern().as_usize();
            if !found[i] && on_term_boundaries(bytes, &self.needles[i], m.start(), m.end()) {
                found[i] = true;
                remaining -= 1;
                if remaining == 0 {
                    return true;
                }
            }
        }
        false
    }
}

/// `contains`, `startswith`, `endswith`, `=~` (and their `_cs` forms) against one needle.
#[derive(Debug)]
pub struct SubstringTest {
    kind: SubstringKind,
    needle: Vec<u8>,
    case_sensitive: bool,
    finder: Option<AhoCorasick>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubstringKind {
    Contains,
    StartsWith,
    EndsWith,
    Equals,
}

impl SubstringTest {
    pub fn new(kind: SubstringKind, needle: &str, case_sensitive: bool) -> SubstringTest {
        let finder = (kind == SubstringKind::Contains && !needle.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(!case_sensitive)
                .build([needle])
                .expect("one pattern builds")
        });
        SubstringTest {
            kind,
            needle: needle.as_bytes().to_vec(),
            case_sensitive,
            finder,
        }
    }

    fn same(&self, a: &[u8], b: &[u8]) -> bool {
        if self.case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    }

    pub fn matches(&self, haystack: &str) -> bool {
        let h = haystack.as_bytes();
        let n = self.needle.as_slice();
        match self.kind {
            SubstringKind::Equals => self.same(h, n),
            SubstringKind::StartsWith => h.len() >= n.len() && self.same(&h[..n.len()], n),
            SubstringKind::EndsWith => h.len() >= n.len() && self.same(&h[h.len() - n.len()..], n),
            SubstringKind::Contains => match &self.finder {
                None => true,
                Some(finder) => finder.is_match(h),
            },
        }
    }
}

/// The right side of `in` / `in~` over strings: exact (case-sensitive) or ASCII-lower-cased.
/// Lower-case hex strings of digest length (MD5, SHA-1, SHA-256) are kept as their decoded
/// bytes, a third of the memory of a `String` and quicker to hash; everything else, an
/// upper-case hash included, as text. A lookup decodes the same way, so the semantics are
/// exactly string equality.
#[derive(Debug, Default)]
pub struct StringSet {
    md5: FxHashSet<[u8; 16]>,
    sha1: FxHashSet<[u8; 20]>,
    sha256: FxHashSet<[u8; 32]>,
    other: FxHashSet<Box<str>>,
    case_sensitive: bool,
}

impl StringSet {
    pub fn new<I, S>(values: I, case_sensitive: bool) -> StringSet
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = StringSet {
            case_sensitive,
            ..StringSet::default()
        };
        for value in values {
            let value = value.as_ref();
            let value: Cow<'_, str> = if case_sensitive {
                Cow::Borrowed(value)
            } else {
                fold(value)
            };
            match value.len() {
                32 => match decode_lower_hex::<16>(&value) {
                    Some(bytes) => set.md5.insert(bytes),
                    None => set.other.insert(value.into()),
                },
                40 => match decode_lower_hex::<20>(&value) {
                    Some(bytes) => set.sha1.insert(bytes),
                    None => set.other.insert(value.into()),
                },
                64 => match decode_lower_hex::<32>(&value) {
                    Some(bytes) => set.sha256.insert(bytes),
                    None => set.other.insert(value.into()),
                },
                _ => set.other.insert(value.into()),
            };
        }
        set
    }

    pub fn contains(&self, value: &str) -> bool {
        let value: Cow<'_, str> = if self.case_sensitive {
            Cow::Borrowed(value)
        } else {
            fold(value)
        };
        let decoded = match value.len() {
            32 => decode_lower_hex::<16>(&value).map(|b| self.md5.contains(&b)),
            40 => decode_lower_hex::<20>(&value).map(|b| self.sha1.contains(&b)),
            64 => decode_lower_hex::<32>(&value).map(|b| self.sha256.contains(&b)),
            _ => None,
        };
        decoded.unwrap_or_else(|| self.other.contains(value.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.md5.len() + self.sha1.len() + self.sha256.len() + self.other.len()
    }

    pub fn case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    /// One set with every value of `sets` (of the same case sensitivity). With a million IOCs
    /// this is a million inserts on the scan's critical path, so each kind is sized once and
    /// the kinds are filled in parallel.
    pub fn union<'a>(sets: impl IntoIterator<Item = &'a StringSet>, case_sensitive: bool) -> StringSet {
        let sets: Vec<&StringSet> = sets.into_iter().collect();
        debug_assert!(sets.iter().all(|set| set.case_sensitive == case_sensitive));
        let ((md5, sha1), (sha256, other)) = rayon::join(
            || rayon::join(|| merged(&sets, |s| &s.md5), || merged(&sets, |s| &s.sha1)),
            || rayon::join(|| merged(&sets, |s| &s.sha256), || merged(&sets, |s| &s.other)),
        );
        StringSet {
            md5,
            sha1,
            sha256,
            other,
            case_sensitive,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One part of each of `sets`, merged into a set allocated once.
fn merged<T: Clone + Eq + std::hash::Hash + Send + Sync>(
    sets: &[&StringSet],
    part: impl Fn(&StringSet) -> &FxHashSet<T>,
) -> FxHashSet<T> {
    let total = sets.iter().map(|set| part(set).len()).sum();
    let mut union = FxHashSet::with_capacity_and_hasher(total, Default::default());
    for set in sets {
        union.extend(part(set).iter().cloned());
    }
    union
}

/// ASCII lower case, borrowing when there is nothing to fold.
fn fold(value: &str) -> Cow<'_, str> {
    if value.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(value.to_ascii_lowercase())
    } else {
        Cow::Borrowed(value)
    }
}

/// `N` bytes from `2N` lower-case hex digits; `None` for anything else (upper-case digits
/// included, since those are a different string).
fn decode_lower_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    // A table, not branches: digest digits are random, and a digit-or-letter branch per
    // nibble mispredicts half the time.
    let mut bytes = [0u8; N];
    let mut invalid = 0u8;
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (NIBBLES[pair[0] as usize], NIBBLES[pair[1] as usize]);
        invalid |= high | low;
        *byte = high << 4 | (low & 0x0f);
    }
    (invalid & 0x80 == 0).then_some(bytes)
}

/// The value of a lower-case hex digit, or 0x80 for any other byte.
static NIBBLES: [u8; 256] = {
    let mut table = [0x80u8; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut l = 0;
    while l < 6 {
        table[b'a' as usize + l] = 10 + l as u8;
        l += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    /// One row per case of the term rule: (haystack, needle, case-sensitive, expected).
    const HAS_CASES: &[(&str, &str, bool, bool)] = &[
        ("spapro.co.com", "spapro.co.com", false, true),
        ("a.spapro.co.com", "spapro.co.com", false, true),
        ("SPAPRO.CO.COM", "spapro.co.com", false, true),
        ("spapro.co.com.", "spapro.co.com", false, true),
        ("spapro.co.com-cdn.net", "spapro.co.com", false, true),
        ("x_spapro.co.com", "spapro.co.com", false, true),
        ("C:\\spapro.co.com\\x", "spapro.co.com", false, true),
        ("myspapro.co.com", "spapro.co.com", false, false),
        ("spapro.co.community", "spapro.co.com", false, false),
        ("spapro.co.com2", "spapro.co.com", false, false),
        ("9spapro.co.com", "spapro.co.com", false, false),
        ("spapro-co-com", "spapro.co.com", false, false),
        ("SPAPRO.CO.COM", "spapro.co.com", true, false),
        ("spapro.co.com", "spapro.co.com", true, true),
        ("www.moocow.my", "moocow.my", false, true),
        ("moocow.mystery.net", "moocow.my", false, false),
        // The first occurrence fails the boundary check; a later one must still be found.
        ("xmoocow.my moocow.my", "moocow.my", false, true),
        ("moocow.myx.moocow.my", "moocow.my", false, true),
        // Non-ASCII letters separate terms and are not case-folded.
        ("éspapro.co.com", "spapro.co.com", false, true),
        // A needle with non-term characters at its ends needs no boundary there.
        ("abc.def", ".def", false, true),
        ("abc.def", "c.", false, false),
        ("ab c.def", "c.", false, true),
        ("", "a", false, false),
        ("anything", "", false, true),
    ];

    #[test]
    fn has_follows_the_term_rule() {
        for &(haystack, needle, cs, expected) in HAS_CASES {
            let set = TermSet::new([needle], cs);
            assert_eq!(
                set.matches_any(haystack),
                expected,
                "{haystack:?} has{} {needle:?}",
                if cs { "_cs" } else { "" }
            );
        }
    }

    #[test]
    fn has_any_and_has_all_over_sets() {
        let set = TermSet::new(["www.mobile1.com", "spapro.co.com", "moocow.my"], false);
        assert!(set.matches_any("cdn.SPAPRO.co.com"));
        assert!(!set.matches_any("mobile1.com"), "www.mobile1.com needs its www");
        assert!(!set.matches_any("notmoocow.my"));
        assert!(set.matches_all("www.mobile1.com spapro.co.com moocow.my"));
        assert!(!set.matches_all("www.mobile1.com spapro.co.com"));
        let empty = TermSet::new(Vec::<String>::new(), false);
        assert!(!empty.matches_any("x") && !empty.matches_all("x"));
    }

    #[test]
    fn substring_tests() {
        use SubstringKind::*;
        let cases: &[(SubstringKind, &str, &str, bool, bool)] = &[
            (Contains, "C:\\Users\\Bob\\evil.EXE", "EVIL.exe", false, true),
            (Contains, "C:\\Users\\Bob\\evil.EXE", "EVIL.exe", true, false),
            (Contains, "abc", "", false, true),
            (StartsWith, "PowerShell.exe", "powershell", false, true),
            (StartsWith, "PowerShell.exe", "powershell", true, false),
            (StartsWith, "ab", "abc", false, false),
            (EndsWith, "evil.EXE", ".exe", false, true),
            (EndsWith, "evil.EXE", ".exe", true, false),
            (Equals, "ABC", "abc", false, true),
            (Equals, "ABC", "abc", true, false),
            (Equals, "Straße", "STRASSE", false, false),
        ];
        for &(kind, haystack, needle, cs, expected) in cases {
            assert_eq!(
                SubstringTest::new(kind, needle, cs).matches(haystack),
                expected,
                "{kind:?} {haystack:?} {needle:?} cs={cs}"
            );
        }
    }

    #[test]
    fn digests_kept_as_bytes_keep_string_semantics() {
        let sha = "ef0e9301403d58a4729aaa9cd81abf942b1c8a301a651b1512bc2b5d9e599303";
        let upper_md5 = "93E61D5A877BBB937E885D3CA385AC8A";
        let exact = StringSet::new([sha, upper_md5, "0b8b5c278750f6e4a14fde3495cd403eddb9f2bc", "x"], true);
        assert_eq!(exact.len(), 4);
        assert!(exact.contains(sha) && !exact.contains(&sha.to_uppercase()));
        assert!(exact.contains(upper_md5) && !exact.contains(&upper_md5.to_lowercase()));
        assert!(exact.contains("0b8b5c278750f6e4a14fde3495cd403eddb9f2bc"));
        assert!(!exact.contains(&sha[..40]) && !exact.contains(&sha[..32]) && exact.contains("x"));
        let folded = StringSet::new([sha, upper_md5], false);
        assert!(folded.contains(&sha.to_uppercase()) && folded.contains(&upper_md5.to_lowercase()));
        // 64 characters that are not all hex stay text.
        let text = "g".repeat(64);
        assert!(StringSet::new([text.as_str()], true).contains(&text));
    }

    #[test]
    fn in_is_exact_and_in_tilde_folds_ascii_only() {
        let exact = StringSet::new(["abc".to_string()], true);
        assert!(exact.contains("abc") && !exact.contains("ABC") && !exact.contains("abc "));
        let folded = StringSet::new(["AbC".to_string()], false);
        assert!(folded.contains("abc") && folded.contains("ABC"));
        assert!(!StringSet::new(["É".to_string()], false).contains("é"));
    }
}
