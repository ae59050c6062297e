//! String matchers with Kusto's exact semantics: the `has` term rule, `contains`, `startswith`,
//! `endswith`, `=~`, and the sets behind `in`/`in~`/`has_any`/`has_all`. Case-insensitive means
//! ASCII case-insensitive: Kusto does not fold non-ASCII letters for these operators.

use std::borrow::Cow;
use std::mem::size_of;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::digests::{leading_word, Digests, Owners, Positions};
use crate::hashing::{FxHashMap, FxHashSet};

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

/// Texts up to this long are folded to lower case on the stack ([`with_folded`]).
const FOLD_BUFFER: usize = 256;

/// The Aho-Corasick automaton of a term search's `needles` (standard matches, searched
/// overlapping): when case is ignored, of the needles in lower case, to search texts folded by
/// [`with_folded`] — the same matches at the same places, for ASCII folding keeps every byte
/// where it is. The crate's own `ascii_case_insensitive` took ~3 times longer to build
/// (100,000 domains: 0.88 against 0.33 s), its failure transitions deduplicated in a B-tree,
/// and the merged prefilter's automaton is built on one thread before the first record.
pub(crate) fn term_automaton<'n>(needles: impl IntoIterator<Item = &'n [u8]>, case_sensitive: bool) -> AhoCorasick {
    // Borrowed as they are when case counts: only folding needs a copy.
    let patterns = (needles.into_iter()).map(|n| match case_sensitive {
        true => Cow::Borrowed(n),
        false => Cow::Owned(n.to_ascii_lowercase()),
    });
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .build(patterns)
        // Only pattern-set size limits can fail, far beyond any rule's IOC count.
        .expect("term automaton builds")
}

/// `search` run on `text` as a [`term_automaton`] searches it: as it is, or in lower case when
/// case is ignored and it has upper-case letters (on the stack up to [`FOLD_BUFFER`] bytes,
/// which spares an allocation for the short values most tests read). Term boundaries are the
/// same in either: case does not make a byte a term byte or not.
pub(crate) fn with_folded<R>(text: &str, case_sensitive: bool, search: impl FnOnce(&[u8]) -> R) -> R {
    let bytes = text.as_bytes();
    if case_sensitive || !bytes.iter().any(u8::is_ascii_uppercase) {
        return search(bytes);
    }
    if bytes.len() > FOLD_BUFFER {
        return search(&bytes.to_ascii_lowercase());
    }
    let mut buffer = [0; FOLD_BUFFER];
    let room = &mut buffer[..bytes.len()];
    room.copy_from_slice(bytes);
    room.make_ascii_lowercase();
    search(room)
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
    /// `None` inside if every needle is empty. A rule's set builds it at once, on the thread
    /// that compiles the rule; a [`TermSet::union`] on its first search ([`TermSet::automaton`]).
    automaton: OnceLock<Option<AhoCorasick>>,
}

impl TermSet {
    pub fn new<I, S>(needles: I, case_sensitive: bool) -> TermSet
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let set = TermSet::unbuilt(needles, case_sensitive);
        set.automaton();
        set
    }

    /// The set of `needles`, its automaton not built yet.
    fn unbuilt<I, S>(needles: I, case_sensitive: bool) -> TermSet
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
        TermSet {
            needles,
            case_sensitive,
            empty,
            automaton: OnceLock::new(),
        }
    }

    /// The automaton of the needles, built if it is not yet.
    fn automaton(&self) -> Option<&AhoCorasick> {
        let build = || {
            (!self.needles.iter().all(|n| n.is_empty()))
                .then(|| term_automaton(self.needles.iter().map(Vec::as_slice), self.case_sensitive))
        };
        self.automaton.get_or_init(build).as_ref()
    }

    pub fn len(&self) -> usize {
        self.needles.len()
    }

    pub fn case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    /// Approximate bytes held: the needles and the automaton, built for the count if it is not
    /// yet (for `loghunt explain`).
    pub fn memory(&self) -> usize {
        let needles: usize = self.needles.iter().map(|n| n.len() + size_of::<Vec<u8>>()).sum();
        needles + self.automaton().map_or(0, AhoCorasick::memory_usage)
    }

    /// The needles, in the order given (for the tallies, which credit each IOC by its needle).
    pub fn needles(&self) -> impl Iterator<Item = &str> {
        // Needles were built from `&str`, so they are UTF-8.
        self.needles.iter().filter_map(|n| std::str::from_utf8(n).ok())
    }

    /// One set with every needle of `sets` (of the same case sensitivity): `has_any` over the
    /// union holds exactly when it holds over one of them. Its automaton is built on its first
    /// search: the merged prefilter's union of a column's sets is searched only in records of
    /// the tables that have the column, and built before the scan it was built on one thread
    /// while the others waited, even for logs with no such record (a feed's 100,000 domains
    /// over a DeviceFileEvents export: ~0.3 s).
    pub fn union<'a>(sets: impl IntoIterator<Item = &'a TermSet>, case_sensitive: bool) -> TermSet {
        let needles: Vec<&str> = sets
            .into_iter()
            .flat_map(|set| set.needles.iter())
            // Needles were built from `&str`, so they are UTF-8.
            .filter_map(|n| std::str::from_utf8(n).ok())
            .collect();
        TermSet::unbuilt(needles, case_sensitive)
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `has_any`: some needle occurs as a term-aligned match.
    pub fn matches_any(&self, haystack: &str) -> bool {
        if !self.empty.is_empty() {
            return true;
        }
        let Some(automaton) = self.automaton() else {
            return false;
        };
        with_folded(haystack, self.case_sensitive, |bytes| {
            automaton
                .find_overlapping_iter(bytes)
                .any(|m| on_term_boundaries(bytes, &self.needles[m.pattern().as_usize()], m.start(), m.end()))
        })
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
        let Some(automaton) = self.automaton() else {
            return false;
        };
        with_folded(haystack, self.case_sensitive, |bytes| {
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
        })
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

    /// The test, its needle and whether case counts, for `loghunt explain`.
    pub fn parts(&self) -> (SubstringKind, &str, bool) {
        // The needle was built from a `&str`.
        let needle = std::str::from_utf8(&self.needle).unwrap_or_default();
        (self.kind, needle, self.case_sensitive)
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
/// bytes, sorted ([`Digests`]): a third of the memory of a `String`, and half that of a hash
/// table of the bytes. Everything else, an upper-case hash included, is kept as text. A lookup
/// decodes the same way, so the semantics are exactly string equality.
#[derive(Debug)]
pub struct StringSet {
    md5: Digests<16>,
    sha1: Digests<20>,
    sha256: Digests<32>,
    other: FxHashSet<Box<str>>,
    case_sensitive: bool,
    /// Rules most digest-length values out before they are decoded whole. Not set while the
    /// map is built, nor for a set of many digests (see [`Screen::MOST_DIGESTS_OF_A_SET`])
    /// until the scan asks every record of it ([`StringSet::screen_every_lookup`]).
    screen: OnceLock<Box<Screen>>,
}

/// A value as a [`StringSet`] keys it.
enum Key<'v> {
    Md5([u8; 16]),
    Sha1([u8; 20]),
    Sha256([u8; 32]),
    Other(Cow<'v, str>),
    /// A value the [`Screen`] showed no key can equal.
    Absent,
}

/// A quick no for most lookups of a map of digests: the first 16 characters of each digest
/// key's text (with its length) as two bits of one 64-bit word of an array of 16 bits per key
/// (at least 4,096), and the lengths of the keys that are not digests. A value equal to a
/// digest key begins with the key's first 16 hex digits, so a value of digest length whose
/// first 16 bytes give a word without both its bits set equals no digest key, and no other
/// key either if none has its length. The bytes are hashed as they are, not decoded: a scan
/// looks up three digest columns of every record, and decoding 64 digits (then 16) to learn
/// "no" was a tenth of its time (then a twentieth) with a score of IOCs. With a million, in a
/// [`SetIndex`], each "no" also spares a probe of tables of tens of megabytes, which miss the
/// cache; the bits (2 MB) mostly do not. About one value in 60 that is no key finds both its
/// bits set (with one bit a key, one in 16 found it), and is decoded and looked up as before:
/// each such value's lookups miss the cache two or three times, where the screen's word,
/// warmed ahead, is one read either way.
#[derive(Debug)]
struct Screen {
    bits: Box<[u64]>,
    /// 64 less the log2 of the number of words: a hash's top bits pick the word.
    shift: u32,
    /// Bit `n` set: some key that is not a digest is `n` bytes long (63 and up share bit 63).
    other_lengths: u64,
}

impl Screen {
    /// Bits per digest key: about one miss in 16 finds its bit set.
    const BITS_PER_DIGEST: usize = 16;
    /// 4,096 bits (512 bytes) at least, 2^27 (16 MB) at most: past 8 million digests the bits
    /// fill up, and say no less often (never wrongly).
    const FEWEST_BITS: usize = 1 << 12;
    const MOST_BITS: usize = 1 << 27;
    /// Digests past which a [`StringSet`] has no screen (a [`SetIndex`] always has one).
    const MOST_DIGESTS_OF_A_SET: usize = 512;

    /// The screen of `set`'s keys, if it has at most `most` digests.
    fn at_most(set: &StringSet, most: usize) -> Option<Box<Screen>> {
        let digests = set.md5.len() + set.sha1.len() + set.sha256.len();
        (digests <= most).then(|| Screen::new(set))
    }

    /// The screen of `set`'s keys.
    fn new(set: &StringSet) -> Box<Screen> {
        Box::new(Screen::of_sets(&[set]))
    }

    /// The screen of the keys of `sets`, sized by their digests counted once per set that
    /// holds them (a digest in several sets sets its bit more than once).
    fn of_sets(sets: &[&StringSet]) -> Screen {
        let digests = sets.iter().map(|s| s.md5.len() + s.sha1.len() + s.sha256.len()).sum();
        let mut screen = Screen::sized(digests, other_lengths(sets.iter().flat_map(|s| s.other.iter())));
        for set in sets {
            set.md5.iter().for_each(|k| screen.add(k));
            set.sha1.iter().for_each(|k| screen.add(k));
            set.sha256.iter().for_each(|k| screen.add(k));
        }
        screen
    }

    /// A screen for `digests` digest keys with no bit set yet, and the lengths of the other keys
    /// (see [`other_lengths`]).
    fn sized(digests: usize, other_lengths: u64) -> Screen {
        let size = (digests.saturating_mul(Self::BITS_PER_DIGEST))
            .next_power_of_two()
            .clamp(Self::FEWEST_BITS, Self::MOST_BITS);
        Screen {
            bits: vec![0; size / 64].into_boxed_slice(),
            shift: 64 - (size / 64).trailing_zeros(),
            other_lengths,
        }
    }

    /// Sets the bit of a digest key (its decoded bytes).
    fn add(&mut self, digest: &[u8]) {
        // The key's text begins with its first eight bytes in lower-case hex.
        let Some(head) = digest.first_chunk::<8>() else {
            return;
        };
        let (word, bits) = self.bits_of(&lower_hex16(head), 2 * digest.len());
        self.bits[word] |= bits;
    }

    /// The word of a text of `len` bytes that begins with `first`, and its two bits in that
    /// word (one, now and then, when the two fall together). Two bits in one word: a second
    /// bit a key says no four times as often as one alone, for the same memory and the same
    /// one read of it.
    #[inline]
    fn bits_of(&self, first: &[u8; 16], len: usize) -> (usize, u64) {
        let (low, high) = first.split_at(8);
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or_default());
        let mixed = word(low) ^ word(high).rotate_left(29) ^ len as u64;
        let hash = mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The top bits pick the word; the top bits of a second product, the bits in it.
        let within = hash.rotate_left(32).wrapping_mul(0xff51_afd7_ed55_8ccd);
        let bits = 1 << (within >> 58) | 1 << (within >> 52 & 63);
        ((hash >> self.shift) as usize, bits)
    }

    /// Starts fetching the word that [`Screen::rules_out`] will read for `value`
    /// (ASCII-folded first if `fold`), so that the lookup need not wait for it.
    #[inline]
    fn prefetch(&self, value: &[u8], fold: bool) {
        if !matches!(value.len(), 32 | 40 | 64) {
            return;
        }
        let Some(first) = value.first_chunk::<16>() else {
            return;
        };
        let first = if fold {
            first.map(|b| b.to_ascii_lowercase())
        } else {
            *first
        };
        let (word, _) = self.bits_of(&first, value.len());
        if let Some(word) = self.bits.get(word) {
            prefetch(word);
        }
    }

    /// The bytes the bits take.
    fn memory(&self) -> usize {
        self.bits.len() * 8
    }

    /// Whether the bits outgrow a core's cache while records stream past (past 64 KiB: ~32,000
    /// digests), so that warming them ([`Screen::prefetch`]) is worth its cost.
    fn worth_warming(&self) -> bool {
        self.memory() > 1 << 16
    }

    /// Whether the (folded) `value` surely equals no key.
    #[inline]
    fn rules_out(&self, value: &[u8]) -> bool {
        let len = value.len();
        if !matches!(len, 32 | 40 | 64) || self.other_lengths & 1 << len.min(63) != 0 {
            return false;
        }
        let Some(first) = value.first_chunk::<16>() else {
            return false;
        };
        let (word, bits) = self.bits_of(first, len);
        self.bits[word] & bits != bits
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Eight bytes as sixteen lower-case hex digits: with SSE2, all at once (a screen is marked
/// for each of a million digests, ~60 instructions each a digit at a time through a table).
fn lower_hex16(bytes: &[u8; 8]) -> [u8; 16] {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of every x86_64 processor; the load reads the 8 bytes of `bytes`,
    // the store writes the 16 of `out`, both unaligned.
    unsafe {
        use std::arch::x86_64::*;
        let v = _mm_loadl_epi64(bytes.as_ptr().cast());
        let low_nibble = _mm_set1_epi8(0x0f);
        let high = _mm_and_si128(_mm_srli_epi16(v, 4), low_nibble);
        let low = _mm_and_si128(v, low_nibble);
        // Each byte's high nibble, then its low one.
        let nibbles = _mm_unpacklo_epi8(high, low);
        // '0' + n, and 39 more past 9 ('a' is '0' + 49).
        let letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8(39));
        let digits = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8(b'0' as i8)), letters);
        let mut out = [0u8; 16];
        _mm_storeu_si128(out.as_mut_ptr().cast(), digits);
        out
    }
    #[cfg(not(target_arch = "x86_64"))]
    lower_hex16_bytewise(bytes)
}

/// [`lower_hex16`] a digit at a time: elsewhere, and the reference for the SSE2 one.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn lower_hex16_bytewise(bytes: &[u8; 8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
        pair[1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
    out
}

/// Bit `n` set for each key of `keys` `n` bytes long (63 and up share bit 63): the lengths a
/// [`Screen`] cannot rule out.
fn other_lengths<'k>(keys: impl Iterator<Item = &'k Box<str>>) -> u64 {
    keys.fold(0, |bits, key| bits | 1 << key.len().min(63))
}

/// Asks the processor to bring `word`'s cache line in, without waiting for it.
#[inline]
fn prefetch(word: &u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint, to an address of a live reference; SSE is in the
    // x86_64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(word).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = word;
}

impl StringSet {
    pub fn new<I, S>(values: I, case_sensitive: bool) -> StringSet
    where
        I: IntoIterator<Item = S>,
        I::IntoIter: Clone,
        S: AsRef<str>,
    {
        let values = values.into_iter();
        // Each kind's keys get their room at once, from the values' lengths (a digest's): a
        // 5,000-hash set's tables, grown an insert at a time, were rehashed a dozen times each.
        let mut lengths = [0usize; 4];
        for value in values.clone() {
            lengths[match value.as_ref().len() {
                32 => 0,
                40 => 1,
                64 => 2,
                _ => 3,
            }] += 1;
        }
        let mut md5 = Vec::with_capacity(lengths[0]);
        let mut sha1 = Vec::with_capacity(lengths[1]);
        let mut sha256 = Vec::with_capacity(lengths[2]);
        let mut other = FxHashSet::with_capacity_and_hasher(lengths[3], Default::default());
        for value in values {
            // No screen while the set is built.
            match key_of(value.as_ref(), case_sensitive, None) {
                Key::Md5(bytes) => md5.push(bytes),
                Key::Sha1(bytes) => sha1.push(bytes),
                Key::Sha256(bytes) => sha256.push(bytes),
                Key::Other(text) => {
                    other.insert(text.into());
                }
                Key::Absent => {}
            }
        }
        let set = StringSet {
            md5: Digests::new(md5),
            sha1: Digests::new(sha1),
            sha256: Digests::new(sha256),
            other,
            case_sensitive,
            screen: OnceLock::new(),
        };
        // A rule's own set is looked up on every record only when no other rule shares its
        // column; a big one is mostly asked by the rules' evaluation, of the few records the
        // merged index let through, and its screen would cost more to build than it spares.
        if let Some(screen) = Screen::at_most(&set, Screen::MOST_DIGESTS_OF_A_SET) {
            let _ = set.screen.set(screen);
        }
        set
    }

    /// Gives the set a screen if it has none, for a scan that looks up a column of every record
    /// in it (a rule that no other shares the column with): a set of many digests has none
    /// until then.
    pub fn screen_every_lookup(&self) {
        self.screen.get_or_init(|| Screen::new(self));
    }

    pub fn contains(&self, value: &str) -> bool {
        match key_of(value, self.case_sensitive, self.screen.get().map(|screen| &**screen)) {
            Key::Md5(bytes) => self.md5.contains(&bytes),
            Key::Sha1(bytes) => self.sha1.contains(&bytes),
            Key::Sha256(bytes) => self.sha256.contains(&bytes),
            Key::Other(text) => self.other.contains(text.as_ref()),
            Key::Absent => false,
        }
    }

    /// Whether the set has a screen worth warming ([`Screen::worth_warming`]) with
    /// [`StringSet::warm`].
    pub fn worth_warming(&self) -> bool {
        self.screen.get().is_some_and(|screen| screen.worth_warming())
    }

    /// Starts fetching what a lookup of `value` will read first (its bit of the screen), while
    /// there is other work to do before the lookup: changes nothing but how long it waits.
    #[inline]
    pub fn warm(&self, value: &[u8]) {
        if let Some(screen) = self.screen.get() {
            screen.prefetch(value, !self.case_sensitive);
        }
    }

    pub fn len(&self) -> usize {
        self.md5.len() + self.sha1.len() + self.sha256.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    /// How many values are MD5, SHA-1 and SHA-256 digests (kept as decoded bytes), and how many
    /// are other strings.
    pub fn kinds(&self) -> [usize; 4] {
        [self.md5.len(), self.sha1.len(), self.sha256.len(), self.other.len()]
    }

    /// Approximate bytes held (for `loghunt explain`): the digests, the hash table of the
    /// other values and their text, and the screen's bits.
    pub fn memory(&self) -> usize {
        let text: usize = self.other.iter().map(|k| k.len()).sum();
        let screen = self.screen.get().map_or(0, |screen| screen.memory());
        self.md5.memory()
            + self.sha1.memory()
            + self.sha256.memory()
            + table_bytes::<Box<str>>(self.other.capacity())
            + text
            + screen
    }
}

/// The bytes of the buckets of a hash table of `T`s (keys, or keys with their values) with
/// room for `capacity`: a `T` and a control byte each, at the table's load factor of 7/8.
fn table_bytes<T>(capacity: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = (capacity * 8 / 7).next_power_of_two();
    buckets * (size_of::<T>() + 1)
}

/// Every value of several [`StringSet`]s with the sets (their positions in the list it was
/// built from) that may hold it. A scan with a thousand rules of `SHA256 in (...)` looks a
/// value up once and learns which rules can match the record; the others need not run.
///
/// The index only has to say no soundly: the rules it names then decide by their own sets. So
/// a digest is kept as its first eight bytes, not all of them ([`Owners`]): two digests of a
/// kind that begin alike would share an entry, and a record with either would be a candidate
/// of both one's and the other's rules, never missed. Keyed by the digests, a million IOCs
/// made 41.5 MB of hash tables, each insert a cache miss and one in ten a page fault before
/// the first record was read; by 64-bit fingerprints, 20.5 MB; as sorted words, 13 MB.
#[derive(Debug)]
pub struct SetIndex {
    md5: Owners,
    sha1: Owners,
    sha256: Owners,
    /// Each value's sets, as `shared` keeps them (a value in several sets, as when two feeds
    /// list the same host).
    other: FxHashMap<Box<str>, u32>,
    shared: Positions,
    case_sensitive: bool,
    /// Every index has one: it is asked about every record.
    screen: Box<Screen>,
}

/// A value as a [`SetIndex`] looks it up: folded if the index ignores case, digests decoded.
pub struct IndexKey<'v>(Key<'v>);

impl SetIndex {
    /// The index of `sets` (of the same case sensitivity, fewer than 2^31). With a million IOCs
    /// this is a million digests placed before the first record is read, so the kinds are
    /// indexed in parallel.
    pub fn new(sets: &[&StringSet], case_sensitive: bool) -> SetIndex {
        debug_assert!(sets.iter().all(|set| set.case_sensitive == case_sensitive));
        // The screen is of the digests themselves (a value's first 16 digits), which only the
        // sets hold, so it is marked while the tables are filled, not after them (~15 ms of
        // one thread's samples, alone at the end of a million IOCs' load). (Marked one kind a
        // thread, three arrays OR-ed, it was no faster.)
        let screen = || Screen::of_sets(sets);
        let ((md5, sha1), (sha256, ((other, shared), screen))) = rayon::join(
            || rayon::join(|| owners(sets, |s| &s.md5), || owners(sets, |s| &s.sha1)),
            || {
                rayon::join(
                    || owners(sets, |s| &s.sha256),
                    || rayon::join(|| other_owners(sets), screen),
                )
            },
        );
        SetIndex {
            md5,
            sha1,
            sha256,
            other,
            shared,
            case_sensitive,
            screen: Box::new(screen),
        }
    }

    /// `value` folded and decoded for lookups, which are then only the probe (see
    /// [`SetIndex::owners_of`]).
    pub fn key<'v>(&self, value: &'v str) -> IndexKey<'v> {
        IndexKey(key_of(value, self.case_sensitive, Some(&self.screen)))
    }

    /// The positions of the sets that may hold `value` (see [`SetIndex`]), in increasing
    /// order; empty if none does.
    pub fn owners(&self, value: &str) -> &[u32] {
        self.owners_of(&self.key(value))
    }

    /// [`SetIndex::owners`] of a value prepared by [`SetIndex::key`].
    pub fn owners_of(&self, key: &IndexKey<'_>) -> &[u32] {
        match &key.0 {
            Key::Absent => &[],
            Key::Md5(bytes) => self.md5.get(leading_word(bytes)),
            Key::Sha1(bytes) => self.sha1.get(leading_word(bytes)),
            Key::Sha256(bytes) => self.sha256.get(leading_word(bytes)),
            Key::Other(text) => self.other.get(text.as_ref()).map_or(&[], |value| self.shared.of(value)),
        }
    }

    pub fn contains(&self, value: &str) -> bool {
        !self.owners(value).is_empty()
    }

    /// Whether the index's screen is worth warming ([`Screen::worth_warming`]) with
    /// [`SetIndex::warm`].
    pub fn worth_warming(&self) -> bool {
        self.screen.worth_warming()
    }

    /// Starts fetching what a lookup of `value` will read first, as [`StringSet::warm`].
    #[inline]
    pub fn warm(&self, value: &[u8]) {
        self.screen.prefetch(value, !self.case_sensitive);
    }

    /// The values indexed (digests of a kind that begin alike counted once).
    pub fn len(&self) -> usize {
        self.md5.len() + self.sha1.len() + self.sha256.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate bytes held: the digests' words, the table and the text of the values that
    /// are not digests, the screen, and the lists of values held by several sets.
    pub fn memory(&self) -> usize {
        let text: usize = self.other.keys().map(|k| k.len()).sum();
        self.md5.memory()
            + self.sha1.memory()
            + self.sha256.memory()
            + table_bytes::<(Box<str>, u32)>(self.other.capacity())
            + text
            + self.screen.memory()
            + self.shared.memory()
    }
}

/// The digests of one kind (`kind` of each set) of each of `sets`, each with the positions of
/// the sets holding it.
fn owners<const N: usize>(sets: &[&StringSet], kind: impl Fn(&StringSet) -> &Digests<N>) -> Owners {
    Owners::new(&sets.iter().map(|&set| kind(set)).collect::<Vec<_>>())
}

/// The values of `sets` that are not digests, each mapped to the positions of the sets holding
/// it (see [`SetIndex`]), with the lists of values held by several.
fn other_owners(sets: &[&StringSet]) -> (FxHashMap<Box<str>, u32>, Positions) {
    use std::collections::hash_map::Entry;
    let total = sets.iter().map(|set| set.other.len()).sum();
    let mut map = FxHashMap::with_capacity_and_hasher(total, Default::default());
    let mut lists = Positions::default();
    for (position, set) in (0u32..).zip(sets) {
        for key in &set.other {
            match map.entry(key.clone()) {
                Entry::Vacant(entry) => {
                    entry.insert(position);
                }
                // A set holds a value once and positions only grow, so a list comes out sorted,
                // each position in it once.
                Entry::Occupied(mut entry) => lists.add(entry.get_mut(), position),
            }
        }
    }
    (map, lists)
}

/// `value` as a map keys it: folded unless `case_sensitive`, [`Key::Absent`] if `screen` rules
/// it out, a digest's decoded bytes.
#[inline]
fn key_of<'v>(value: &'v str, case_sensitive: bool, screen: Option<&Screen>) -> Key<'v> {
    let value: Cow<'v, str> = if case_sensitive {
        Cow::Borrowed(value)
    } else {
        fold(value)
    };
    if screen.is_some_and(|screen| screen.rules_out(value.as_bytes())) {
        return Key::Absent;
    }
    let decoded = match value.len() {
        32 => decode_lower_hex::<16>(value.as_bytes()).map(Key::Md5),
        40 => decode_lower_hex::<20>(value.as_bytes()).map(Key::Sha1),
        64 => decode_lower_hex::<32>(value.as_bytes()).map(Key::Sha256),
        _ => None,
    };
    decoded.unwrap_or(Key::Other(value))
}

/// ASCII lower case, borrowing when there is nothing to fold.
fn fold(value: &str) -> Cow<'_, str> {
    // Every byte looked at, without an early exit: the loop then runs 16 or 32 bytes a step,
    // and a lower-case digest, the usual value, has to be read through all the same (`any`
    // took ~190 instructions for a SHA-256 digest).
    if value.bytes().fold(false, |upper, b| upper | b.is_ascii_uppercase()) {
        Cow::Owned(value.to_ascii_lowercase())
    } else {
        Cow::Borrowed(value)
    }
}

/// `N` bytes from `2N` lower-case hex digits; `None` for anything else (upper-case digits
/// included, since those are a different string). 16 digits at a time with SSE2 when there
/// are at least 16 (every digest: a million of them are decoded to load 1M IOCs, ~250
/// instructions each a digit pair at a time, ~40 this way); [`decode_lower_hex_pairs`]
/// otherwise.
fn decode_lower_hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    #[cfg(target_arch = "x86_64")]
    if N >= 8 {
        return sse2_hex::decode(digits);
    }
    decode_lower_hex_pairs(digits)
}

/// [`decode_lower_hex`] a digit pair at a time: the reference the SSE2 decoder is tested
/// against.
fn decode_lower_hex_pairs<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
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

/// Lower-case hex digits decoded sixteen at a time.
#[cfg(target_arch = "x86_64")]
mod sse2_hex {
    use std::arch::x86_64::*;

    /// `N` (at least 8) bytes from `2N` lower-case hex digits, as [`super::decode_lower_hex`].
    /// The digits are taken in blocks of 16 (8 bytes out), the last block ending at the last
    /// digit, so that a SHA-1's 40 digits are three blocks whose last two overlap (and agree).
    #[inline]
    pub(super) fn decode<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
        if N < 8 || digits.len() != 2 * N {
            return None;
        }
        let mut bytes = [0u8; N];
        let mut valid = true;
        let mut at = 0;
        loop {
            let at_most = at.min(2 * N - 16);
            let block: &[u8; 16] = digits[at_most..at_most + 16].try_into().ok()?;
            let (out, ok) = block_of(block);
            bytes[at_most / 2..at_most / 2 + 8].copy_from_slice(&out);
            valid &= ok;
            at += 16;
            if at >= 2 * N {
                break;
            }
        }
        valid.then_some(bytes)
    }

    /// 8 bytes from 16 digits, and whether all 16 were lower-case hex digits.
    #[inline]
    fn block_of(digits: &[u8; 16]) -> ([u8; 8], bool) {
        // SAFETY: SSE2 is part of every x86_64 processor; the load reads the 16 bytes of
        // `digits` and the store writes the 8 of `out`, both unaligned.
        unsafe {
            let chars = _mm_loadu_si128(digits.as_ptr().cast());
            // Digits and letters as offsets from '0' and 'a', in range when at most 9 and 5
            // (unsigned: a byte below '0' or 'a' wraps to a large one).
            let from_zero = _mm_sub_epi8(chars, _mm_set1_epi8(b'0' as i8));
            let from_a = _mm_sub_epi8(chars, _mm_set1_epi8(b'a' as i8));
            let is_digit = _mm_cmpeq_epi8(_mm_min_epu8(from_zero, _mm_set1_epi8(9)), from_zero);
            let is_letter = _mm_cmpeq_epi8(_mm_min_epu8(from_a, _mm_set1_epi8(5)), from_a);
            let valid = _mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) == 0xffff;
            let letter_value = _mm_add_epi8(from_a, _mm_set1_epi8(10));
            let nibbles = _mm_or_si128(
                _mm_and_si128(is_digit, from_zero),
                _mm_andnot_si128(is_digit, letter_value),
            );
            // Each pair of digits as a 16-bit lane: its first (high) nibble in the low byte,
            // its second in the high byte; the byte they make, in the lane's low byte.
            let high = _mm_slli_epi16(_mm_and_si128(nibbles, _mm_set1_epi16(0x00ff)), 4);
            let low = _mm_srli_epi16(nibbles, 8);
            let pairs = _mm_or_si128(high, low);
            let packed = _mm_packus_epi16(pairs, pairs);
            let mut out = [0u8; 8];
            _mm_storel_epi64(out.as_mut_ptr().cast(), packed);
            (out, valid)
        }
    }
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

    /// `bytes` in lower-case hex, the plain way.
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Eight bytes encode to the same sixteen digits all at once as a digit at a time, for
    /// every byte value at every position.
    #[test]
    fn eight_bytes_encode_alike_all_at_once() {
        for at in 0..8 {
            for byte in 0..=255u8 {
                let mut bytes = [0x5a, 0x00, 0xff, 0x09, 0x0a, 0x90, 0xa0, 0x3c];
                bytes[at] = byte;
                assert_eq!(lower_hex16(&bytes), lower_hex16_bytewise(&bytes), "{bytes:?}");
            }
        }
    }

    /// The SSE2 decoder agrees with the pair-at-a-time one on digests of every length, with
    /// every byte value at every position (upper-case digits, the bytes either side of each
    /// digit range, non-ASCII), and on the wrong lengths.
    #[test]
    fn hex_digests_decode_alike_sixteen_digits_at_a_time() {
        fn check<const N: usize>(digits: &[u8]) {
            let fast = decode_lower_hex::<N>(digits);
            assert_eq!(
                fast,
                decode_lower_hex_pairs::<N>(digits),
                "{:?}",
                String::from_utf8_lossy(digits)
            );
            if let Some(bytes) = fast {
                assert_eq!(hex(&bytes).as_bytes(), digits);
            }
        }
        fn every_byte_everywhere<const N: usize>(seed: u64) {
            let mut state = seed;
            let digits: Vec<u8> = (0..2 * N)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    HEX_DIGITS[(state >> 60) as usize]
                })
                .collect();
            check::<N>(&digits);
            for at in 0..digits.len() {
                for byte in 0..=255u8 {
                    let mut changed = digits.clone();
                    changed[at] = byte;
                    check::<N>(&changed);
                }
            }
            check::<N>(&digits[1..]);
            check::<N>(&[digits.as_slice(), b"0"].concat());
        }
        every_byte_everywhere::<16>(1);
        every_byte_everywhere::<20>(2);
        every_byte_everywhere::<32>(3);
        check::<32>(&[b'f'; 64]);
        check::<32>(&[b'0'; 64]);
    }

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

    /// `has_any` and `has_all` the plain way: every needle compared at every place, case
    /// folded by ASCII `eq_ignore_ascii_case` unless `case_sensitive`, then the term rule.
    fn has_plainly(haystack: &[u8], needle: &[u8], case_sensitive: bool) -> bool {
        needle.is_empty()
            || (0..=haystack.len().saturating_sub(needle.len())).any(|start| {
                let end = start + needle.len();
                let window = &haystack[start..end.min(haystack.len())];
                window.len() == needle.len()
                    && (if case_sensitive {
                        window == needle
                    } else {
                        window.eq_ignore_ascii_case(needle)
                    })
                    && on_term_boundaries(haystack, needle, start, end)
            })
    }

    #[test]
    fn term_sets_find_what_a_plain_search_finds_in_either_case() {
        use crate::testing::XorShift;
        // Few letters, both cases, separators and now and then `é`, so that needles overlap,
        // repeat, run into terms and sit on boundaries; haystacks past the folding buffer too.
        const ALPHABET: &[u8] = b"abAB.-1 \\";
        let mut random = XorShift::new(0x7e12_5e75);
        let text = |random: &mut XorShift, most: usize| -> String {
            let len = random.below(most + 1);
            let bytes: Vec<u8> = (0..len).map(|_| ALPHABET[random.below(ALPHABET.len())]).collect();
            let mut text = String::from_utf8(bytes).unwrap();
            if random.below(4) == 0 {
                text.insert(random.below(text.len() + 1), 'é');
            }
            text
        };
        for round in 0..3000 {
            let needles: Vec<String> = (0..1 + random.below(4)).map(|_| text(&mut random, 4)).collect();
            let most = if round % 10 == 0 { 2 * FOLD_BUFFER } else { 24 };
            let haystack = text(&mut random, most);
            for case_sensitive in [false, true] {
                let set = TermSet::new(&needles, case_sensitive);
                let plain = |n: &String| has_plainly(haystack.as_bytes(), n.as_bytes(), case_sensitive);
                assert_eq!(
                    set.matches_any(&haystack),
                    needles.iter().any(plain),
                    "{haystack:?} has_any {needles:?} (case-sensitive: {case_sensitive})"
                );
                assert_eq!(
                    set.matches_all(&haystack),
                    needles.iter().all(plain),
                    "{haystack:?} has_all {needles:?} (case-sensitive: {case_sensitive})"
                );
            }
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

    /// Values of digest length that are no key get past a screen seldom: with 16 bits a key
    /// (the fewest a screen of many keys has), fewer than one in 40. Two bits a key in one
    /// word let ~1 in 60 through; one bit a key let one in 16.
    #[test]
    fn the_screen_says_no_to_most_values_that_are_no_key() {
        let mut random = crate::testing::XorShift::new(0x05c2_ee75);
        let mut hex = |digits: usize| -> String {
            (0..digits)
                .map(|_| char::from(b"0123456789abcdef"[random.below(16)]))
                .collect()
        };
        // 2^16 keys: a screen of 2^20 bits, 16 a key exactly.
        let keys: Vec<String> = (0..1 << 16).map(|i| hex([32, 40, 64][i % 3])).collect();
        let screen = Screen::of_sets(&[&StringSet::new(&keys, true)]);
        assert_eq!(screen.memory() * 8, 16 << 16);
        let probes = 100_000;
        let passed = (0..probes)
            .filter(|i| !screen.rules_out(hex([32, 40, 64][i % 3]).as_bytes()))
            .count();
        assert!(
            passed * 40 < probes,
            "{passed} of {probes} values that are no key got past"
        );
    }

    /// The screen's quick "no" against plain string equality: sets of few digests (screened)
    /// and of many (screened once a scan asks; their index always, with a screen sized to
    /// them), with and without keys of digest length that are not hex, looked up
    /// with their own values, near misses at the first and last digit, upper-case spellings,
    /// and non-hex at every position.
    #[test]
    fn the_screen_never_says_no_to_a_member() {
        let mut random = crate::testing::XorShift::new(0x9e37_79b9);
        let mut next = move || random.next_u64();
        let mut hex = |digits: usize| -> String {
            (0..digits)
                .map(|_| char::from(b"0123456789abcdef"[(next() % 16) as usize]))
                .collect()
        };
        for (digests, case_sensitive, odd_keys) in [
            (20, true, false),
            (20, false, true),
            (600, true, true),
            (3, true, true),
            (20_000, true, false),
        ] {
            let mut values: Vec<String> = (0..digests).map(|i| hex([32, 40, 64][i % 3])).collect();
            if odd_keys {
                values.push(format!("g{}", hex(39))); // not hex, SHA-1 length
                values.push("A".repeat(64)); // upper case, SHA-256 length
            }
            let set = StringSet::new(&values, case_sensitive);
            let sets = [&set];
            let index = SetIndex::new(&sets, case_sensitive);
            let folded = |v: &str| {
                if case_sensitive {
                    v.to_string()
                } else {
                    v.to_ascii_lowercase()
                }
            };
            let members: std::collections::HashSet<String> = values.iter().map(|v| folded(v)).collect();
            // The index keeps a digest's first 16 digits: a digest that begins as a member of
            // its length does is a candidate too.
            let is_digest =
                |v: &str| matches!(v.len(), 32 | 40 | 64) && v.bytes().all(|b| b"0123456789abcdef".contains(&b));
            let beginnings: std::collections::HashSet<(usize, String)> = members
                .iter()
                .filter(|m| is_digest(m))
                .map(|m| (m.len(), m[..16].to_string()))
                .collect();
            let mut probes: Vec<String> = Vec::new();
            for value in &values {
                probes.push(value.clone());
                probes.push(value.to_ascii_uppercase());
                for at in [0, 15, 16, value.len() - 1] {
                    for with in ['0', 'f', 'g', 'G'] {
                        let mut probe = value.clone().into_bytes();
                        probe[at] = with as u8;
                        probes.push(String::from_utf8(probe).unwrap());
                    }
                }
            }
            for digits in [32, 40, 64, 39] {
                probes.extend((0..50).map(|_| hex(digits)));
            }
            // A big set has no screen until a scan asks for one: both ways must agree.
            for screened in [false, true] {
                if screened {
                    set.screen_every_lookup();
                }
                for probe in &probes {
                    let expected = members.contains(&folded(probe));
                    assert_eq!(
                        set.contains(probe),
                        expected,
                        "{probe} in a set of {digests} digests, screened: {screened}"
                    );
                    let probe = folded(probe);
                    let candidate =
                        expected || is_digest(&probe) && beginnings.contains(&(probe.len(), probe[..16].to_string()));
                    assert_eq!(
                        index.owners(&probe) == [0],
                        candidate,
                        "{probe} in an index of {digests} digests"
                    );
                }
            }
        }
    }

    /// An index is warmed ([`SetIndex::warm`]) only when its screen outgrows a core's cache,
    /// and warming, with any text, changes no answer.
    #[test]
    fn only_an_index_whose_screen_outgrows_the_cache_is_warmed() {
        for (digests, worth) in [(20, false), (4_096, false), (40_000, true)] {
            // Digests that begin differently, which the index tells apart.
            let values: Vec<String> = (0..digests).map(|i| format!("{i:016x}{}", "0".repeat(48))).collect();
            let set = StringSet::new(&values, false);
            let index = SetIndex::new(&[&set], false);
            assert_eq!(index.worth_warming(), worth, "{digests} digests");
            let (first, last) = (&values[0], &values[digests - 1]);
            let absent = format!("{:016x}{}", digests + 1, "0".repeat(48));
            for (probe, member) in [
                (first.clone(), true),
                (last.to_ascii_uppercase(), true),
                (absent, false),
                (String::new(), false),
                ("short".to_string(), false),
                ("g".repeat(64), false),
                (first[..40].to_string(), false),
            ] {
                index.warm(probe.as_bytes());
                assert_eq!(index.contains(&probe), member, "{probe} among {digests} digests");
            }
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

    /// The index's screen is marked from the sets while its tables are filled: every value of
    /// every set, digests listed by several sets and other strings of several lengths among
    /// them, is found with its sets.
    #[test]
    fn an_index_of_overlapping_sets_screens_out_none_of_their_values() {
        let mut random = crate::testing::XorShift::new(0x51de_d00d);
        let values: Vec<String> = (0..3_000)
            .map(|i| match i % 4 {
                3 => format!("host{i}{}.example", "x".repeat(random.below(4))),
                kind => (0..[32, 40, 64][kind])
                    .map(|_| char::from(b"0123456789abcdef"[random.below(16)]))
                    .collect(),
            })
            .collect();
        // Three sets of 1,500 values, each sharing half of its values with the next.
        let sets: Vec<StringSet> = (0..3)
            .map(|n| StringSet::new(&values[n * 750..n * 750 + 1_500], true))
            .collect();
        let members: Vec<&StringSet> = sets.iter().collect();
        let index = SetIndex::new(&members, true);
        for (at, value) in values.iter().enumerate() {
            let expected: Vec<u32> = (0..3u32)
                .filter(|&n| (n as usize * 750..n as usize * 750 + 1_500).contains(&at))
                .collect();
            assert_eq!(index.owners(value), expected.as_slice(), "{value}");
        }
    }

    #[test]
    fn a_set_index_names_the_sets_holding_a_value() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
        let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let sets = [
            StringSet::new([md5, sha1, "evil.com"], true),
            StringSet::new([sha256, "evil.com"], true),
            StringSet::new([md5, sha256, "Evil.com"], true),
            StringSet::new::<[&str; 0], &str>([], true),
            StringSet::new([md5], true),
        ];
        let members: Vec<&StringSet> = sets.iter().collect();
        let index = SetIndex::new(&members, true);
        assert_eq!(index.len(), 5);
        // (value, positions of the sets holding it, in increasing order)
        for (value, expected) in [
            (md5, vec![0, 2, 4]),
            (sha1, vec![0]),
            (sha256, vec![1, 2]),
            ("evil.com", vec![0, 1]),
            ("Evil.com", vec![2]),
            ("EVIL.COM", vec![]),
            (&md5.to_ascii_uppercase(), vec![]),
            (&sha256[1..], vec![]),
            ("", vec![]),
        ] {
            assert_eq!(index.owners(value), expected.as_slice(), "{value}");
            assert_eq!(index.owners_of(&index.key(value)), expected.as_slice(), "{value}");
            assert_eq!(index.contains(value), !expected.is_empty(), "{value}");
            let holders: Vec<u32> = (0u32..)
                .zip(&sets)
                .filter(|(_, s)| s.contains(value))
                .map(|(i, _)| i)
                .collect();
            assert_eq!(holders, expected, "the sets themselves agree: {value}");
        }
        let folded = [StringSet::new(["A.com", md5], false), StringSet::new(["a.COM"], false)];
        let index = SetIndex::new(&folded.iter().collect::<Vec<_>>(), false);
        assert_eq!(index.owners("a.com"), [0, 1]);
        assert_eq!(index.owners(&md5.to_ascii_uppercase()), [0]);
    }

    /// Two digests of a kind that begin alike share an index entry: the index then names the
    /// sets holding either for both, and each set still holds only its own.
    #[test]
    fn digests_beginning_alike_make_candidates_of_both_sets() {
        for len in [16, 20, 32] {
            let a: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
            let mut b = a.clone();
            b[8] ^= 0x40;
            b[len - 1] ^= 1;
            let (a, b) = (hex(&a), hex(&b));
            let apart = [StringSet::new([a.as_str()], true), StringSet::new([b.as_str()], true)];
            let index = SetIndex::new(&apart.iter().collect::<Vec<_>>(), true);
            assert_eq!(index.owners(&a), [0, 1], "{a}");
            assert_eq!(index.owners(&b), [0, 1], "{b}");
            assert!(apart[0].contains(&a) && !apart[0].contains(&b) && !apart[1].contains(&a));
            let together = [StringSet::new([a.as_str(), b.as_str()], true)];
            let index = SetIndex::new(&together.iter().collect::<Vec<_>>(), true);
            assert_eq!(index.owners(&a), [0]);
            assert_eq!(index.owners(&b), [0]);
            assert_eq!(index.len(), 1);
        }
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
