//! Reading a few top-level fields out of a record's raw JSON bytes in one pass, without
//! building the record: the fast path's window into a record. The walk also checks that the
//! record is well-formed JSON, so a record the fast path skips is still accounted for exactly.
//! It answers only when it is sure: anything unusual (an escaped key, deep nesting, a number
//! with an exponent, a lone surrogate) is [`Walk::Unsure`], and the caller parses the record
//! properly instead. A line of JSON lines can be walked where it lies, the walk finding where
//! it ends ([`FieldWalker::walk_line`]).

use std::borrow::Cow;
use std::ops::Range;

/// What a wanted key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A string, decoded if it had escapes.
    Str(Cow<'a, str>),
    /// A string with escapes, of a key the walker was told not to decode
    /// ([`FieldWalker::decoding`]): its raw body, checked, to be decoded by [`FieldValue::text`]
    /// if it is ever read.
    Escaped(&'a [u8]),
    Null,
    /// An object: its bytes, from `{` to `}`, already checked like the rest of the record (a
    /// Defender envelope's `properties` row is walked in turn).
    Object(&'a [u8]),
    /// A number, bool or array.
    Other,
}

impl FieldValue<'_> {
    /// The text of a string value, decoded if it has escapes; `None` for any other value.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            FieldValue::Str(text) => Some(Cow::Borrowed(text.as_ref())),
            FieldValue::Escaped(raw) => decode_escaped(raw).map(Cow::Owned),
            _ => None,
        }
    }
}

/// The outcome of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walk {
    /// The record is a well-formed JSON object (as serde_json would accept it); the wanted
    /// fields it has are filled in.
    Valid,
    /// Malformed, or not certainly well-formed: parse the record to find out.
    Unsure,
}

/// Nesting deeper than this is left to the parser (serde_json stops at 128).
const MAX_DEPTH: usize = 100;

/// Walks one record. `keys` are the wanted top-level keys; `values[i]` receives the value of
/// `keys[i]` (the last one, if the key repeats, as a parser's map would keep).
pub fn walk<'a>(record: &'a [u8], keys: &[&str], values: &mut [Option<FieldValue<'a>>]) -> Walk {
    FieldWalker::new(keys).walk(record, values)
}

/// [`walk`], also listing where every top-level key of the record is, in order (repeats
/// included), in `all_keys` (cleared first): the byte range of each key's text within
/// `record`, which is valid UTF-8 when the walk is [`Walk::Valid`]. That tells the table of a
/// record by its columns without parsing it. A key with escapes makes the walk
/// [`Walk::Unsure`], so a listed key's bytes are its name.
pub fn walk_keys<'a>(
    record: &'a [u8],
    keys: &[&str],
    values: &mut [Option<FieldValue<'a>>],
    all_keys: &mut Vec<Range<usize>>,
) -> Walk {
    FieldWalker::new(keys).walk_keys(record, values, all_keys)
}

/// What a warming walker calls with a key's index and its captured string
/// ([`FieldWalker::warming`]).
pub type Warm<'k> = dyn Fn(usize, &[u8]) + 'k;

/// The walk of many records for the same keys, prepared once. It remembers the key sequence
/// of the last records it walked ([`KeyMemo`]), so give each stream of like records its own.
pub struct FieldWalker<'k> {
    keys: Keys<'k>,
    memo: KeyMemo,
}

impl<'k> FieldWalker<'k> {
    pub fn new(keys: &'k [&'k str]) -> FieldWalker<'k> {
        FieldWalker {
            keys: Keys::new(keys),
            memo: KeyMemo::default(),
        }
    }

    /// Decodes the escaped strings of the first `keys` keys only; the others are captured as
    /// [`FieldValue::Escaped`]. For keys whose values are seldom read: a path's `\\` would
    /// otherwise cost an allocation and a copy on every record.
    pub fn decoding(mut self, keys: usize) -> FieldWalker<'k> {
        self.keys.decoded = keys;
        self
    }

    /// Starts from the keys another walker of the same keys remembered ([`Self::into_memo`]):
    /// the next unit of an export, or its next file, writes them as the last one did.
    pub fn remembering(mut self, memo: KeyMemo) -> FieldWalker<'k> {
        self.memo = memo;
        self
    }

    /// Calls `warm` with a key's index and its string's raw bytes as soon as the walk has
    /// captured it, for each of the first 64 keys whose bit is set in `keys` (and whose value
    /// is a string): what will look the value up once the record is walked can start fetching
    /// what it will need. A lookup in a million-IOC index waits on memory that gigabytes of
    /// records streaming past have pushed out of the cache; started here, the wait overlaps
    /// the rest of the record's walk.
    pub fn warming(mut self, keys: u64, warm: &'k Warm<'k>) -> FieldWalker<'k> {
        self.keys.warm = Some(warm);
        self.keys.warmed = keys;
        self
    }

    /// When every top-level key of the last record walked was the one remembered at its
    /// position: the state of what was remembered (a number that changes whenever it does)
    /// and how many keys the record had. Two records of one walker with the same answer have
    /// the same key sequence, byte for byte, so what their keys tell (their table) is told
    /// once. `None` for a record that was not well-formed, had no key, or had a key that was
    /// not remembered.
    pub fn known_keys(&self) -> Option<(u64, usize)> {
        self.memo.known
    }

    /// What this walker remembers of the last record's keys, for [`Self::remembering`].
    pub fn into_memo(self) -> KeyMemo {
        self.memo
    }

    /// [`walk`] with this walker's keys.
    pub fn walk<'a>(&mut self, record: &'a [u8], values: &mut [Option<FieldValue<'a>>]) -> Walk {
        walk_into::<false>(record, 0, &self.keys, &mut self.memo, values, None).0
    }

    /// [`FieldWalker::walk`] of the line of JSON lines `data` that starts at `start`, finding
    /// where it ends as it goes: valid, it returns the index of the newline that ends the
    /// record (or `data.len()` at the end of the data), with only spaces, tabs and `\r` after
    /// the record. A newline is not whitespace in this walk: the record and the line are one.
    /// (Splitting the lines first was one more pass over every byte, from memory: a tenth of a
    /// 20-IOC scan.) `all_keys`, when given, lists the keys as [`walk_keys`] does, relative to
    /// `start`. [`Walk::Unsure`] tells nothing of where the line ends.
    pub fn walk_line<'a>(
        &mut self,
        data: &'a [u8],
        start: usize,
        values: &mut [Option<FieldValue<'a>>],
        all_keys: Option<&mut Vec<Range<usize>>>,
    ) -> (Walk, usize) {
        let mut all_keys = all_keys;
        if let Some(all) = all_keys.as_deref_mut() {
            all.clear();
        }
        let walked = walk_into::<true>(data, start, &self.keys, &mut self.memo, values, all_keys.as_deref_mut());
        if let Some(all) = all_keys.filter(|_| start > 0) {
            for range in all.iter_mut() {
                *range = range.start - start..range.end - start;
            }
        }
        walked
    }

    /// [`walk_keys`] with this walker's keys.
    pub fn walk_keys<'a>(
        &mut self,
        record: &'a [u8],
        values: &mut [Option<FieldValue<'a>>],
        all_keys: &mut Vec<Range<usize>>,
    ) -> Walk {
        all_keys.clear();
        walk_into::<false>(record, 0, &self.keys, &mut self.memo, values, Some(all_keys)).0
    }
}

/// The walk of the record at `bytes[start..]`, and where it ended: after the record's trailing
/// whitespace, which for a walk of a `LINE` stops at a newline. A record is valid if the walk
/// ends at the end of `bytes`, or, in a `LINE`, at a newline.
fn walk_into<'a, const LINE: bool>(
    bytes: &'a [u8],
    start: usize,
    keys: &Keys<'_>,
    memo: &mut KeyMemo,
    values: &mut [Option<FieldValue<'a>>],
    all_keys: Option<&mut Vec<Range<usize>>>,
) -> (Walk, usize) {
    debug_assert_eq!(keys.names.len(), values.len());
    for value in values.iter_mut() {
        *value = None;
    }
    memo.known = None;
    // UTF-8 is checked string by string, where bytes above 0x7f turn up: outside strings the
    // grammar refuses them anyway.
    let mut walker = Walker::<LINE> { bytes, at: start };
    let walked = match walker.object_fields(keys, memo, values, all_keys) {
        Some(()) => {
            walker.space();
            match bytes.get(walker.at) {
                None => Walk::Valid,
                Some(b'\n') if LINE => Walk::Valid,
                Some(_) => Walk::Unsure,
            }
        }
        None => Walk::Unsure,
    };
    (walked, walker.at)
}

/// The top-level keys of the last record walked, by position, each as the bytes `"Key":` it
/// was written with. An export writes the same keys in the same order on every line: a key
/// that is the same bytes as the last record's at its position is known without being read
/// (a string checked, then looked up among the wanted keys) — one compare instead.
#[derive(Default)]
pub struct KeyMemo {
    entries: Vec<MemoKey>,
    /// Counts the changes to `entries`.
    generation: u64,
    /// See [`FieldWalker::known_keys`].
    known: Option<(u64, usize)>,
}

/// One remembered key: its bytes from the opening quote through the colon (no escapes, no
/// space before the colon), zero-padded to whole 16-byte windows, and which wanted key it is.
#[derive(Clone)]
struct MemoKey {
    bytes: [u8; MemoKey::CAPACITY],
    len: usize,
    wanted: Option<usize>,
}

impl MemoKey {
    /// Keys longer than this, quotes and colon included, are not remembered.
    const CAPACITY: usize = 64;

    /// Whether `record[at..]` begins with this key's bytes: compared 16 bytes at a time as
    /// words (a call to memcmp per key cost more than the comparing). Always inlined: left to
    /// the compiler, the walk of lines called it out of line (+7 % on (h)).
    #[inline(always)]
    fn is_at(&self, record: &[u8], at: usize) -> bool {
        if self.len > Self::CAPACITY {
            return false;
        }
        let Some(found) = record.get(at..at + 16 * self.len.div_ceil(16)) else {
            return record.get(at..at + self.len) == Some(&self.bytes[..self.len]);
        };
        let word = |window: usize| {
            let at = 16 * window;
            let found = u128::from_le_bytes(found[at..at + 16].try_into().unwrap_or_default());
            let memo = u128::from_le_bytes(self.bytes[at..at + 16].try_into().unwrap_or_default());
            found ^ memo
        };
        // Indexed windows, not `chunks_exact().zip()`: the zip's length is two divisions,
        // which were a sixth of the walk's time.
        let whole = self.len / 16;
        let tail = self.len % 16;
        (0..whole).all(|window| word(window) == 0) && (tail == 0 || word(whole) & ((1 << (8 * tail)) - 1) == 0)
    }
}

impl KeyMemo {
    /// Remembers `key` (its bytes from the opening quote through the colon) at `position`.
    /// A key too long to remember holds its place with an entry no bytes match.
    fn remember(&mut self, position: usize, key: &[u8], wanted: Option<usize>) {
        if position > self.entries.len() {
            return;
        }
        let mut entry = MemoKey {
            bytes: [0; MemoKey::CAPACITY],
            len: usize::MAX,
            wanted,
        };
        if key.len() <= MemoKey::CAPACITY {
            entry.bytes[..key.len()].copy_from_slice(key);
            entry.len = key.len();
        }
        match self.entries.get_mut(position) {
            Some(slot) => *slot = entry,
            None => self.entries.push(entry),
        }
        self.generation += 1;
    }
}

/// The wanted keys, with what rules most keys out at once: a key's length (records have dozens
/// of keys, a walk wants a handful) and its first eight bytes.
struct Keys<'k> {
    names: &'k [&'k str],
    /// Escaped strings of the keys before this one are decoded; of the others, kept raw.
    decoded: usize,
    /// Bit `n` set: some wanted key is `n` bytes long (63 and up share bit 63).
    lengths: u64,
    /// Per wanted key, its first (up to) eight bytes as a little-endian word.
    prefixes: Vec<u64>,
    /// Told of the captured strings of the keys whose bit is set in `warmed`
    /// ([`FieldWalker::warming`]).
    warm: Option<&'k Warm<'k>>,
    warmed: u64,
}

impl<'k> Keys<'k> {
    fn new(names: &'k [&'k str]) -> Keys<'k> {
        Keys {
            names,
            decoded: names.len(),
            lengths: names.iter().fold(0, |bits, name| bits | 1 << name.len().min(63)),
            prefixes: names.iter().map(|name| prefix(name.as_bytes())).collect(),
            warm: None,
            warmed: 0,
        }
    }

    /// The index of the wanted key spelled `key` (the first, if listed twice).
    #[inline]
    fn find(&self, key: &[u8]) -> Option<usize> {
        if self.lengths & 1 << key.len().min(63) == 0 {
            return None;
        }
        let first = prefix(key);
        // Keys of up to eight bytes are told by the length and the word alone.
        (0..self.names.len()).find(|&i| {
            let name = self.names[i].as_bytes();
            self.prefixes[i] == first && name.len() == key.len() && (key.len() <= 8 || name[8..] == key[8..])
        })
    }
}

/// The first (up to) eight bytes of `bytes` as a little-endian word, zero-padded.
#[inline]
fn prefix(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(word) => u64::from_le_bytes(*word),
        // Not a copy of a variable length: that is a call to memcpy.
        None => bytes.iter().rev().fold(0, |word, &byte| word << 8 | u64::from(byte)),
    }
}

/// A cursor over a record's bytes. In a `LINE` (a walk of JSON lines, [`FieldWalker::walk_line`])
/// a newline ends the record: it is not whitespace, and no string holds one.
struct Walker<'a, const LINE: bool> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a, const LINE: bool> Walker<'a, LINE> {
    /// Skips whitespace. Between a record's tokens there seldom is any: one compare tells (every
    /// whitespace byte is at most `b' '`), rather than the loop, which the compiler merged with
    /// the caller's match on the next byte into a jump table that mispredicted.
    #[inline(always)]
    fn space(&mut self) {
        if self.bytes.get(self.at).is_some_and(|&byte| byte > b' ') {
            return;
        }
        self.more_space();
    }

    /// [`Walker::space`] past its first byte: cold, so out of line.
    #[inline(never)]
    fn more_space(&mut self) {
        while let Some(&byte) = self.bytes.get(self.at) {
            if !(matches!(byte, b' ' | b'\t' | b'\r') || (!LINE && byte == b'\n')) {
                break;
            }
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// The top-level object, capturing wanted fields.
    fn object_fields(
        &mut self,
        keys: &Keys<'_>,
        memo: &mut KeyMemo,
        values: &mut [Option<FieldValue<'a>>],
        mut all_keys: Option<&mut Vec<Range<usize>>>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.space();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Some(());
        }
        let mut position = 0;
        let mut all_known = true;
        loop {
            self.space();
            let wanted = match memo.entries.get(position) {
                Some(known) if known.is_at(self.bytes, self.at) => {
                    if let Some(all) = all_keys.as_deref_mut() {
                        all.push(self.at + 1..self.at + known.len - 2);
                    }
                    self.at += known.len;
                    known.wanted
                }
                _ => {
                    all_known = false;
                    let quote = self.at;
                    let (key, escaped) = self.string()?;
                    if escaped {
                        return None;
                    }
                    if let Some(all) = all_keys.as_deref_mut() {
                        // The key's body ends just before its closing quote.
                        all.push(self.at - 1 - key.len()..self.at - 1);
                    }
                    let wanted = keys.find(key);
                    if self.bytes.get(self.at) == Some(&b':') {
                        memo.remember(position, &self.bytes[quote..=self.at], wanted);
                    }
                    self.eat(b':')?;
                    wanted
                }
            };
            position += 1;
            self.space();
            match wanted {
                Some(i) => {
                    self.capture(&mut values[i], i < keys.decoded)?;
                    if i < 64 && keys.warmed >> i & 1 != 0 {
                        if let (Some(warm), Some(FieldValue::Str(text))) = (keys.warm, &values[i]) {
                            warm(i, text.as_bytes());
                        }
                    }
                }
                // Most skipped values are strings, then nulls and numbers: read here, without
                // the call and the jump table of `value` (whose target mispredicts as the
                // columns' types alternate).
                None => {
                    let first = self.bytes.get(self.at).copied();
                    if first == Some(b'"') {
                        self.string()?;
                    } else if first == Some(b'n') {
                        self.literal(b"null")?;
                    } else if first.is_some_and(|b| b.is_ascii_digit() || b == b'-') {
                        self.number()?;
                    } else {
                        self.value(1)?;
                    }
                }
            }
            self.space();
            match self.bytes.get(self.at)? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    // No entry changed in this record: the generation is the one its keys
                    // were all found in.
                    memo.known = all_known.then_some((memo.generation, position));
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads the value at the cursor into `slot`. (Written in place, not returned: a value
    /// returned went through the stack, and reading it back whole, just after it was written
    /// in parts, stalled on every captured field.)
    fn capture(&mut self, slot: &mut Option<FieldValue<'a>>, decode: bool) -> Option<()> {
        match self.bytes.get(self.at)? {
            b'"' => {
                let (raw, escaped) = self.string()?;
                *slot = Some(if !escaped {
                    // SAFETY: `string` answers only for a body that is valid UTF-8 (checked
                    // where it has bytes above 0x7f, ASCII elsewhere). Checking again cost a
                    // tenth of the fast path's time.
                    FieldValue::Str(Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(raw) }))
                } else if decode {
                    FieldValue::Str(Cow::Owned(decode_escaped(raw)?))
                } else {
                    FieldValue::Escaped(raw)
                });
            }
            b'n' => {
                self.literal(b"null")?;
                *slot = Some(FieldValue::Null);
            }
            b'{' => {
                let start = self.at;
                self.value(1)?;
                *slot = Some(FieldValue::Object(&self.bytes[start..self.at]));
            }
            _ => {
                self.value(1)?;
                *slot = Some(FieldValue::Other);
            }
        }
        Some(())
    }

    /// A string starting at the opening quote: its raw body and whether it has escapes. Checks
    /// what serde_json checks: valid escapes, no control characters, UTF-8; so the body is
    /// valid UTF-8 whenever this answers.
    #[inline(always)]
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        // The usual string: a run of 16-byte windows up to its closing quote, with no backslash
        // or control character before it. Told by the masks alone, without reading the byte
        // the first special one is (that branch mispredicts on every path's `\\`).
        let mut at = start;
        // Whether a byte above 0x7f was seen: then the string's UTF-8 is checked.
        let mut high = false;
        while let Some(chunk) = self.bytes.get(at..at + 16).and_then(|c| c.first_chunk::<16>()) {
            let (quotes, others, above) = masks16(chunk);
            let through_quote = quotes ^ quotes.wrapping_sub(1); // all bits when there is none
            if others & through_quote != 0 {
                break;
            }
            high |= above & through_quote != 0;
            if quotes != 0 {
                let end = at + quotes.trailing_zeros() as usize;
                self.at = end + 1;
                let body = &self.bytes[start..end];
                if high {
                    std::str::from_utf8(body).ok()?;
                }
                return Some((body, false));
            }
            at += 16;
        }
        let (body, escaped) = self.long_string(start, at, high)?;
        self.at = start + body.len() + 1;
        Some((body, escaped))
    }

    /// [`Walker::string`] from `at` on, where an escape or a control character is, or the
    /// record ends, within 16 bytes: `start` is just past the opening quote, and `high` tells
    /// whether a byte above 0x7f came before `at`. It does not move the cursor (the caller puts
    /// it past the closing quote): handed the walker to change, the call kept the cursor in
    /// memory for the whole walk.
    #[inline(never)]
    fn long_string(&self, start: usize, mut at: usize, mut high: bool) -> Option<(&'a [u8], bool)> {
        let mut escaped = false;
        'window: loop {
            // The special bytes of the next 16, visited in order: a path's `\\` separators
            // cost a bit operation each, not a new search.
            let (mut quotes, mut others, above, width) = specials(self.bytes, at);
            loop {
                let special = quotes | others;
                if special == 0 {
                    if width < 16 {
                        return None; // the record ends inside the string
                    }
                    high |= above != 0;
                    at += 16;
                    continue 'window;
                }
                let first = special.trailing_zeros() as usize;
                let next = at + first;
                if quotes & 1 << first != 0 {
                    high |= above & ((1 << first) - 1) != 0;
                    let body = &self.bytes[start..next];
                    // Escapes are ASCII, so the raw body is UTF-8 exactly when the string is.
                    if high {
                        std::str::from_utf8(body).ok()?;
                    }
                    return Some((body, escaped));
                }
                if self.bytes[next] != b'\\' {
                    return None; // a control character
                }
                escaped = true;
                match self.bytes.get(next + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                        // The escaped byte is plain: drop it and the backslash from the window.
                        let skip = first + 2;
                        if skip < width {
                            quotes &= !0 << skip;
                            others &= !0 << skip;
                            continue;
                        }
                        high |= above != 0;
                        at = next + 2;
                        continue 'window;
                    }
                    b'u' => {
                        high |= above & ((1 << first) - 1) != 0;
                        // The parser decodes strings, so it rejects a lone surrogate (even in
                        // a value nobody reads): so must the walk.
                        let unit = hex4(self.bytes.get(next + 2..next + 6)?)?;
                        at = next + 6;
                        match unit {
                            0xDC00..=0xDFFF => return None,
                            0xD800..=0xDBFF => {
                                if self.bytes.get(at..at + 2)? != b"\\u" {
                                    return None;
                                }
                                let low = hex4(self.bytes.get(at + 2..at + 6)?)?;
                                if !(0xDC00..=0xDFFF).contains(&low) {
                                    return None;
                                }
                                at += 6;
                            }
                            _ => {}
                        }
                        continue 'window;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// `true`, `false` or `null`: a compare of fixed size (a slice compare calls memcmp, for a
    /// value that nearly every record has).
    fn literal<const N: usize>(&mut self, word: &[u8; N]) -> Option<()> {
        let found = self.bytes.get(self.at..)?.first_chunk::<N>()?;
        (found == word).then(|| self.at += N)
    }

    /// Skips any value, checking it ([`Walker::skip_value`]), on a copy of the walker: a call
    /// given this one would keep its cursor in memory, to be read back wherever the paths
    /// meet again (after every field), while the copy leaves it in a register.
    #[inline(always)]
    fn value(&mut self, depth: usize) -> Option<()> {
        let mut walker = Walker::<LINE> {
            bytes: self.bytes,
            at: self.at,
        };
        walker.skip_value(depth)?;
        self.at = walker.at;
        Some(())
    }

    /// Skips any value, checking it. The object and array loops here and in `object_fields` are
    /// spelled out on purpose: sharing them through a closure measured 5–7 % slower in
    /// `cargo bench --bench matchers -- walk_record_fields`, on the fast path's hottest loop.
    #[inline(never)]
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match *self.bytes.get(self.at)? {
            b'"' => self.string().map(|_| ()),
            b'{' => {
                self.at += 1;
                self.space();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.space();
                    self.string()?;
                    self.eat(b':')?;
                    self.space();
                    self.skip_value(depth + 1)?;
                    self.space();
                    match self.bytes.get(self.at)? {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.at += 1;
                self.space();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.space();
                    self.skip_value(depth + 1)?;
                    self.space();
                    match self.bytes.get(self.at)? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`. Exponents and very long numbers are left to the parser,
    /// which may find them out of range.
    #[inline(always)]
    fn number(&mut self) -> Option<()> {
        self.at = self.number_end()?;
        Some(())
    }

    /// Where the number at the cursor ends ([`Walker::number`]). Out of line, and reading the
    /// walker without changing it, so that the cursor stays in a register across the call.
    #[inline(never)]
    fn number_end(&self) -> Option<usize> {
        let bytes = self.bytes;
        let start = self.at;
        let mut at = start;
        if bytes[at] == b'-' {
            at += 1;
        }
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at - from
        };
        let first = *bytes.get(at)?;
        let integer = digits(&mut at);
        if integer == 0 || (first == b'0' && integer > 1) {
            return None;
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if digits(&mut at) == 0 {
                return None;
            }
        }
        let done = !matches!(bytes.get(at), Some(b'e' | b'E'));
        (done && at - start <= 18).then_some(at)
    }
}

/// The masks of `bytes[at..at + 16]` ([`masks16`]) and how many bytes there were (16 but at
/// the end of the record).
#[inline]
fn specials(bytes: &[u8], at: usize) -> (u32, u32, u32, usize) {
    if let Some(chunk) = bytes.get(at..at + 16).and_then(|c| c.first_chunk::<16>()) {
        let (quotes, others, above) = masks16(chunk);
        return (quotes, others, above, 16);
    }
    let rest = bytes.get(at..).unwrap_or_default();
    let mut chunk = [b' '; 16];
    chunk[..rest.len()].copy_from_slice(rest);
    let (quotes, others, above) = masks16(&chunk);
    let valid = (1u32 << rest.len()) - 1;
    (quotes & valid, others & valid, above & valid, rest.len())
}

/// Of 16 bytes, as bits: the quotes; the other bytes that interrupt a string's plain run (`\\`
/// and control characters); the bytes above 0x7f. With SSE2 (part of every x86_64 processor).
#[cfg(target_arch = "x86_64")]
#[inline]
fn masks16(chunk: &[u8; 16]) -> (u32, u32, u32) {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is in the x86_64 baseline, so these instructions exist on every processor
    // this code runs on; the load reads the 16 bytes of `chunk`.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Below 0x20: the unsigned maximum with 0x1f is 0x1f.
        let low = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
        (
            _mm_movemask_epi8(quote) as u32,
            _mm_movemask_epi8(_mm_or_si128(backslash, control)) as u32,
            _mm_movemask_epi8(v) as u32,
        )
    }
}

/// [`masks16`] a byte at a time: elsewhere, and the reference for the SSE2 one.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[cfg_attr(not(target_arch = "x86_64"), inline)]
fn masks16_bytewise(chunk: &[u8; 16]) -> (u32, u32, u32) {
    chunk
        .iter()
        .enumerate()
        .fold((0, 0, 0), |(quotes, others, above), (i, &byte)| {
            (
                quotes | u32::from(byte == b'"') << i,
                others | u32::from(byte == b'\\' || byte < 0x20) << i,
                above | u32::from(byte > 0x7f) << i,
            )
        })
}

#[cfg(not(target_arch = "x86_64"))]
use masks16_bytewise as masks16;

/// Decodes a JSON string body (between the quotes) that has escapes; `None` if it is not a
/// well-formed string (a lone surrogate, say).
fn decode_escaped(body: &[u8]) -> Option<String> {
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut i = 0;
    loop {
        let Some(found) = memchr::memchr(b'\\', &body[i..]) else {
            out.extend_from_slice(&body[i..]);
            return String::from_utf8(out).ok();
        };
        let next = i + found;
        out.extend_from_slice(&body[i..next]);
        let escape = *body.get(next + 1)?;
        i = next + 2;
        match escape {
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'u' => {
                let unit = hex4(body.get(i..i + 4)?)?;
                i += 4;
                let c = if (0xD800..0xDC00).contains(&unit) {
                    if body.get(i..i + 2)? != b"\\u" {
                        return None;
                    }
                    let low = hex4(body.get(i + 2..i + 6)?)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    i += 6;
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                } else {
                    char::from_u32(unit)?
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            _ => return None,
        }
    }
}

/// Four hex digits. Not `from_str_radix` alone: it takes a leading `+`, which JSON does not.
fn hex4(bytes: &[u8]) -> Option<u32> {
    if bytes.len() != 4 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    u32::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walked(record: &str, keys: &[&str]) -> (Walk, Vec<Option<FieldValue<'static>>>) {
        let record: &'static str = Box::leak(record.to_string().into_boxed_str());
        let mut values = vec![None; keys.len()];
        let walk = walk(record.as_bytes(), keys, &mut values);
        (walk, values)
    }

    fn s(text: &str) -> Option<FieldValue<'static>> {
        Some(FieldValue::Str(Cow::Owned(text.to_string())))
    }

    #[test]
    fn captures_top_level_fields_only() {
        let cases: Vec<(&str, Vec<Option<FieldValue>>)> = vec![
            (r#"{"Name":"a.com","X":1}"#, vec![s("a.com")]),
            (r#" { "Name" :  "a.com" } "#, vec![s("a.com")]),
            (r#"{"Name":null}"#, vec![Some(FieldValue::Null)]),
            (r#"{"Name":5.5}"#, vec![Some(FieldValue::Other)]),
            (
                r#"{"Name":{"a":[1,2,{"b":null}]}}"#,
                vec![Some(FieldValue::Object(br#"{"a":[1,2,{"b":null}]}"#))],
            ),
            (r#"{"Name": { } ,"X":1}"#, vec![Some(FieldValue::Object(b"{ }"))]),
            (r#"{"Name":[{"a":1}]}"#, vec![Some(FieldValue::Other)]),
            (r#"{"Other":"x"}"#, vec![None]),
            (r#"{}"#, vec![None]),
            (r#"{"Name":"moocow\u002emy"}"#, vec![s("moocow.my")]),
            (r#"{"Name":"a\/b \"q\" \\ \ud83d\ude00"}"#, vec![s("a/b \"q\" \\ 😀")]),
            (r#"{"A":"{\"Name\":\"x\"}","Name":"y"}"#, vec![s("y")]),
            (r#"{"A":{"Name":"x"},"Name":"y"}"#, vec![s("y")]),
            (r#"{"Name":"x","Name":"y"}"#, vec![s("y")]),
        ];
        for (record, expected) in cases {
            let (walk, values) = walked(record, &["Name"]);
            assert_eq!(walk, Walk::Valid, "{record}");
            assert_eq!(values, expected, "{record}");
        }
    }

    /// Every record serde_json rejects must be Unsure; a few it accepts are Unsure too, by
    /// design (the parser decides those).
    #[test]
    fn is_never_sure_of_what_the_parser_rejects() {
        let records = [
            r#"{"Name":"a""#,
            r#"{"Name":"a",}"#,
            r#"{"Name" "a"}"#,
            r#"{"Name":"a"} x"#,
            r#"["Name"]"#,
            r#"{"Name":tru}"#,
            r#"{"Name":01}"#,
            r#"{"Name":1.}"#,
            r#"{"Name":-}"#,
            "{\"Name\":\"tab\there\"}",
            r#"{"Name":"bad \x escape"}"#,
            r#"{"Name":"\u12G4"}"#,
            r#"{"Name":"\ud800"}"#,
            // Lone surrogates in a value nobody reads: the parser still rejects them.
            r#"{"Other":"\ud99ax"}"#,
            r#"{"Other":"\udc00"}"#,
            // `from_str_radix` would read `+8a6` as hex; JSON does not.
            r#"{"Other":"\u+8a6"}"#,
            r#"{"Name":"\u+8a6"}"#,
            r#"{"Other":"\ud800\u0041"}"#,
            r#"{"N\u0061me":"x"}"#,
            r#"{"Name":1e400}"#,
            r#"{"a":[1,2}"#,
            r#"{"a":{"b":1]}"#,
            "",
        ];
        for record in records {
            let (walk, _) = walked(record, &["Name"]);
            assert_eq!(walk, Walk::Unsure, "{record:?}");
        }
        // The same faults at every position around the 16-byte windows of the string search.
        for len in 0..40 {
            let pad = "p".repeat(len);
            for fault in ["\t", "\u{1}", "\\x", "\\u12", "\\ud800", "\\udc00"] {
                let record = format!("{{\"Other\":\"{pad}{fault}{pad}\"}}");
                assert_eq!(walked(&record, &["Name"]).0, Walk::Unsure, "{record:?}");
            }
            let unterminated = format!("{{\"Other\":\"{pad}");
            assert_eq!(walked(&unterminated, &["Name"]).0, Walk::Unsure, "{unterminated:?}");
            let mut bad_utf8 = format!("{{\"Other\":\"{pad}").into_bytes();
            bad_utf8.extend_from_slice(b"\xc3(\"}");
            assert_eq!(walk(&bad_utf8, &["Name"], &mut [None]), Walk::Unsure, "{len}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(walked(&deep, &[]).0, Walk::Unsure);
        assert_eq!(walk(b"{\"Name\":\"\xff\"}", &["Name"], &mut [None]), Walk::Unsure);
    }

    /// The SSE2 masks against the byte-at-a-time ones, on random windows of the special bytes
    /// and their neighbours; and the last window of a record, padded.
    #[test]
    fn specials_are_quotes_backslashes_and_control_bytes_and_high_bytes_are_told() {
        let alphabet = b"\"\\ \t\n\x00\x1f\x20aZ0\x7f\x80\xbf\xc3\xff";
        crate::testing::windows_agree(0x5eed, alphabet, masks16, masks16_bytewise);
        // Past the end of the record nothing is special.
        assert_eq!(specials(b"ab\"", 1), (0b10, 0, 0, 2));
        assert_eq!(specials(b"a\\\xc3\"", 1), (0b100, 0b1, 0b10, 3));
        assert_eq!(specials(b"ab", 2), (0, 0, 0, 0));
    }

    /// Strings of every length around the 16-byte windows, with escapes and multi-byte
    /// characters at every position, read as serde_json reads them.
    #[test]
    fn strings_across_windows_read_as_the_parser_reads_them() {
        let pieces = ["a", "\\\\", "\\\"", "\\u00e9", "é", "\\ud83d\\ude00", "\\/", "€"];
        for len in 0..40 {
            for (p, piece) in pieces.iter().enumerate() {
                for at in [0, len / 3, len / 2, len] {
                    let mut body = "x".repeat(len);
                    body.insert_str(at.min(body.len()), piece);
                    body.push_str(pieces[(p + 1) % pieces.len()]);
                    let record = format!("{{\"Name\":\"{body}\",\"k\":1}}");
                    let (walk, values) = walked(&record, &["Name"]);
                    let parsed: serde_json::Value = serde_json::from_str(&record).expect("valid");
                    assert_eq!(walk, Walk::Valid, "{record}");
                    assert_eq!(values, vec![s(parsed["Name"].as_str().expect("a string"))], "{record}");
                }
            }
        }
    }

    /// Random string bodies of backslash runs, escapes good and bad, quotes, control and
    /// multi-byte characters, at every offset across the 16-byte windows: the walk is sure
    /// only of what the parser accepts, reads the value the parser reads, and is sure of
    /// every well-formed one.
    #[test]
    fn random_strings_read_as_the_parser_reads_them() {
        let pieces = [
            "a",
            "\\",
            "\\\\",
            "\\\\\\",
            "\"",
            "\\\"",
            "\\/",
            "\\n",
            "\\t",
            "\\b",
            "\\x",
            "\\u00e9",
            "\\ud83d",
            "\\ude00",
            "\\ud83d\\ude00",
            "\\u12",
            "é",
            "\u{1}",
            "\t",
            "€",
            "xxxxxxxxxxxxxxx",
        ];
        let mut random = crate::testing::XorShift::new(0x853c_49e6_748f_ea9b);
        let mut next = move |n: usize| random.below(n);
        let (mut sure, mut broken) = (0, 0);
        for _ in 0..40_000 {
            let mut body = "p".repeat(next(20));
            for _ in 0..next(6) {
                body.push_str(pieces[next(pieces.len())]);
            }
            let record = format!("{{\"Name\":\"{body}\",\"k\":1}}");
            let (walk, values) = walked(&record, &["Name"]);
            // Not captured, the string is only checked, not decoded: the same answer.
            let (skipped, _) = walked(&record, &["k"]);
            assert_eq!(walk, skipped, "{record}");
            match serde_json::from_str::<serde_json::Value>(&record) {
                Ok(parsed) => {
                    assert_eq!(walk, Walk::Valid, "{record}");
                    assert_eq!(values, vec![s(parsed["Name"].as_str().expect("a string"))], "{record}");
                    sure += 1;
                }
                Err(_) => {
                    assert_eq!(walk, Walk::Unsure, "{record}");
                    broken += 1;
                }
            }
        }
        assert!(sure > 5_000 && broken > 5_000, "{sure} well-formed, {broken} broken");
    }

    /// Keys past [`FieldWalker::decoding`]'s count keep their escaped strings raw; `text`
    /// decodes them as the parser does, and plain strings are captured as before.
    #[test]
    fn undecoded_keys_keep_their_escapes_for_later() {
        let record = r#"{"Tested":"a\\b","Path":"C:\\Users\\\u00e9\"x\"","Plain":"c:/x"}"#;
        let keys = ["Tested", "Path", "Plain"];
        let mut values = vec![None; 3];
        let mut walker = FieldWalker::new(&keys).decoding(1);
        assert_eq!(walker.walk(record.as_bytes(), &mut values), Walk::Valid);
        let parsed: serde_json::Value = serde_json::from_str(record).unwrap();
        assert_eq!(values[0], s(r"a\b"));
        assert!(matches!(values[1], Some(FieldValue::Escaped(_))), "{:?}", values[1]);
        assert_eq!(values[2], s("c:/x"));
        for (value, key) in values.iter().zip(keys) {
            let text = value.as_ref().and_then(FieldValue::text);
            assert_eq!(text.as_deref(), parsed[key].as_str(), "{key}");
        }
    }

    /// Agreement with serde_json on what it accepts, for records the walk is sure of.
    #[test]
    fn agrees_with_the_parser() {
        let records = [
            r#"{"a":1,"b":[true,false,null,-0.5,{"c":"d"}],"e":{}}"#,
            r#"{"a":"\ud83d\ude00 and \u00e9"}"#,
            r#"{"a":"x\ny","b":"C:\\users\\x"}"#,
            r#"{ "a" : [ ] , "b" : { } }"#,
        ];
        for record in records {
            let (walk, _) = walked(record, &[]);
            assert_eq!(walk, Walk::Valid, "{record}");
            assert!(serde_json::from_str::<serde_json::Value>(record).is_ok(), "{record}");
        }
    }

    /// One walker over records whose keys change, at every position, in the ways that must not
    /// fool its memo of the last keys: a longer or shorter key with the same start, a space
    /// before the colon, an escaped spelling, keys longer than the memo holds, a wanted key
    /// moved, a record ending where a remembered key would be read. Each walk agrees with a
    /// fresh walker's (no memo), and with the key ranges it lists; and records for which the
    /// walker gives the same [`FieldWalker::known_keys`] have the same keys, byte for byte.
    #[test]
    fn remembered_keys_never_change_a_walk() {
        let long = "K".repeat(70);
        let longer = "K".repeat(61); // `"` + 61 + `":` is 64 bytes: the longest remembered
        let variants: Vec<String> = vec![
            r#"{"Name":"a.com","Type":"DnsEvents","X":1}"#.into(),
            r#"{"Name":"b.com","Type":"DnsEvents","X":2}"#.into(),
            r#"{"Namex":"a.com","Type":"DnsEvents","X":1}"#.into(),
            r#"{"Nam":"a.com","Type":"DnsEvents","X":1}"#.into(),
            r#"{"Name" :"a.com","Type":"DnsEvents","X":1}"#.into(),
            r#"{"N\u0061me":"a.com","Type":"DnsEvents","X":1}"#.into(),
            r#"{"Type":"DnsEvents","Name":"c.com","X":1}"#.into(),
            r#"{"X":1,"Name":"d.com"}"#.into(),
            r#"{"Name":"a.com","Type":"#.into(),
            r#"{"Name":"a.com","Type""#.into(),
            r#"{"Name":"a.com"}"#.into(),
            r#"{}"#.into(),
            format!(r#"{{"{long}":1,"Name":"e.com","Type":"T"}}"#),
            format!(r#"{{"{longer}":1,"Name":"f.com","Type":"T"}}"#),
            format!(r#"{{"{longer}x":1,"Name":"g.com","Type":"T"}}"#),
            format!(r#"{{"{longer}":1,"Name":"h.com","Type":"T","{long}":2}}"#),
        ];
        let keys = ["Name", "Type"];
        let mut walker = FieldWalker::new(&keys);
        let mut random = crate::testing::XorShift::new(0x1234_5678);
        let mut sequences: std::collections::HashMap<(u64, usize), Vec<Vec<u8>>> = Default::default();
        let mut known = 0;
        for step in 0..4000 {
            let record = variants[random.below(variants.len())].as_bytes();
            let (mut remembered, mut fresh) = ([None, None], [None, None]);
            let (mut remembered_keys, mut fresh_keys) = (Vec::new(), Vec::new());
            let walk = if step % 2 == 0 {
                walker.walk_keys(record, &mut remembered, &mut remembered_keys)
            } else {
                walker.walk(record, &mut remembered)
            };
            let expected = walk_keys(record, &keys, &mut fresh, &mut fresh_keys);
            let text = String::from_utf8_lossy(record);
            assert_eq!(walk, expected, "step {step}: {text}");
            assert_eq!(remembered, fresh, "step {step}: {text}");
            if step % 2 == 0 && walk == Walk::Valid {
                assert_eq!(remembered_keys, fresh_keys, "step {step}: {text}");
            }
            if let (Walk::Valid, Some(keys)) = (walk, walker.known_keys()) {
                known += 1;
                let sequence: Vec<Vec<u8>> = fresh_keys.iter().map(|r| record[r.clone()].to_vec()).collect();
                assert_eq!(keys.1, sequence.len(), "step {step}: {text}");
                let first = sequences.entry(keys).or_insert_with(|| sequence.clone());
                assert_eq!(*first, sequence, "step {step}: {text}");
            }
        }
        // Some answers repeat (a record after one with its keys), and were compared.
        assert!(
            known > 100 && known > sequences.len() + 20,
            "{known} records, {} answers",
            sequences.len()
        );
    }

    /// A warming walker ([`FieldWalker::warming`]) is told each captured string of the keys it
    /// warms, decoded, as it captures it (and nothing else: not other keys, not nulls, numbers
    /// or objects); its walks are those of a walker that warms nothing.
    #[test]
    fn a_warming_walker_is_told_the_strings_of_its_keys_and_walks_the_same() {
        let records = [
            r#"{"SHA1":"aa","MD5":"bb","Name":"cc","SHA256":"dd"}"#,
            r#"{"SHA1":null,"MD5":12,"Name":"x","SHA256":{"a":"b"}}"#,
            r#"{"SHA256":"\u0041b","Name":"y","SHA1":"e\"f"}"#,
            r#"{"MD5":"only"}"#,
            r#"{"SHA1":"cut"#,
        ];
        let keys = ["SHA1", "SHA256", "MD5", "Name"];
        let told = std::cell::RefCell::new(Vec::new());
        let warm = |key: usize, value: &[u8]| {
            told.borrow_mut()
                .push((key, String::from_utf8_lossy(value).into_owned()))
        };
        // SHA1 and SHA256 (bits 0 and 1) are warmed, MD5 and Name are not.
        let mut warming = FieldWalker::new(&keys).warming(0b11, &warm);
        let mut plain = FieldWalker::new(&keys);
        for record in records {
            let (mut warmed, mut unwarmed) = ([None, None, None, None], [None, None, None, None]);
            let walk = warming.walk(record.as_bytes(), &mut warmed);
            assert_eq!(walk, plain.walk(record.as_bytes(), &mut unwarmed), "{record}");
            assert_eq!(warmed, unwarmed, "{record}");
        }
        let told = told.into_inner();
        let expected = [(0, "aa"), (1, "dd"), (1, "Ab"), (0, "e\"f")];
        let expected: Vec<(usize, String)> = expected.iter().map(|(k, v)| (*k, v.to_string())).collect();
        assert_eq!(told, expected);
    }

    /// A walk of a line inside JSON lines ([`FieldWalker::walk_line`]) is the walk of that line
    /// cut out first, as the line split cuts it (its newline and a trailing `\r` dropped): the
    /// same verdict, values and keys, and, when valid, the line's end. Units are drawn from
    /// pieces that end lines in every way (CRLF, spaces and tabs after the record, a last line
    /// without a newline) and that break them: a record over two lines, cut at each place
    /// between its tokens, whose halves would be valid JSON together; a newline inside a
    /// string; blank lines; text after the record. One walker (its memo) walks every line.
    #[test]
    fn a_line_walk_is_the_walk_of_the_line_cut_out() {
        let pieces: &[&[u8]] = &[
            br#"{"Name":"a.com","Type":"DnsEvents","X":1}"#,
            br#"{"Name":"b.com","Type":"DnsEvents","X":[1,{"y":null}]}"#,
            br#"{"Type":"DnsEvents","Name":"C:\\x\\y","X":-2.5}"#,
            br#"  {"Name":"a.com"}  "#,
            br#"{"Name":"a.com"}\r"#,
            b"{\"Name\":\"a.com\"}\t \r",
            b"{\"Name\":\"a.com\"}\r\r",
            br#"{"Name":"a.com"} x"#,
            br#"{"Name":"a.com"}}"#,
            br#"{"Name":"a\"b"}"#,
            b"{\"Name\":\"a\nb\"}",
            b"{\"Name\":\n\"a.com\"}",
            b"{\"Name\"\n:\"a.com\"}",
            b"{\"Name\":\"a.com\",\n\"X\":1}",
            b"{\"Name\":\"a.com\"\n,\"X\":1}",
            b"{\"X\":[1,\n2],\"Name\":\"a.com\"}",
            b"{\"X\":{\"y\":\n1},\"Name\":\"a.com\"}",
            b"{\"X\":12\n3}",
            b"{\"X\":nu\nll}",
            b"{\n}",
            b"{}",
            b"",
            b"   ",
            b"\r",
            br#"[1]"#,
            br#"{"Name":"a.com","#,
        ];
        let keys = ["Name", "Type"];
        let mut walker = FieldWalker::new(&keys);
        let mut random = crate::testing::XorShift::new(0x51_1e5);
        for unit in 0..3000 {
            let mut data = Vec::new();
            for _ in 0..1 + random.below(6) {
                data.extend_from_slice(pieces[random.below(pieces.len())]);
                data.push(b'\n');
            }
            if random.below(2) == 0 {
                data.pop(); // the last line without its newline
            }
            let mut start = 0;
            while start < data.len() {
                let end = crate::input::jsonl::line_end(&data, start);
                let line = crate::input::jsonl::line_record(&data[start..end]);
                let (mut in_line, mut cut_out) = ([None, None], [None, None]);
                let (mut line_keys, mut cut_keys) = (Vec::new(), Vec::new());
                let (walk, walked_to) = walker.walk_line(&data, start, &mut in_line, Some(&mut line_keys));
                let expected = walk_keys(line, &keys, &mut cut_out, &mut cut_keys);
                let text = String::from_utf8_lossy(&data);
                assert_eq!(walk, expected, "unit {unit}, line at {start}: {text:?}");
                if walk == Walk::Valid {
                    assert_eq!(walked_to, end, "unit {unit}, line at {start}: {text:?}");
                    assert_eq!(in_line, cut_out, "unit {unit}, line at {start}: {text:?}");
                    assert_eq!(line_keys, cut_keys, "unit {unit}, line at {start}: {text:?}");
                }
                start = end + 1;
            }
        }
    }
}
