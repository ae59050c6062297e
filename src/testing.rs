//! Helpers shared by the unit tests: a small seeded random generator for the tests that build
//! many random inputs (strings, rows, lists, fingerprints), so that each run sees the same ones;
//! the real API responses of `tests/fixtures/api/`.

/// Every document fixture of `tests/fixtures/api/`, one of each shape and spelling.
pub(crate) const API_FIXTURES: &[&str] = &[
    "eventhub-message.json",
    "advanced-hunting-response.json",
    "graph-hunting-response.json",
    "la-query-dnsevents.json",
    "az_mon_raw_query.json",
    "kusto_raw_resp.json",
];

/// The bytes of `tests/fixtures/api/<name>`.
pub(crate) fn api_fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/api/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Marsaglia's xorshift64: fast, seeded, and the same sequence on every machine.
pub(crate) struct XorShift(u64);

impl XorShift {
    /// A generator started at `seed` (not zero: zero stays zero).
    pub(crate) fn new(seed: u64) -> XorShift {
        assert_ne!(seed, 0, "xorshift needs a seed that is not zero");
        XorShift(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (not zero).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `N` bytes, each drawn from `alphabet` (not empty).
    pub(crate) fn bytes_from<const N: usize>(&mut self, alphabet: &[u8]) -> [u8; N] {
        std::array::from_fn(|_| alphabet[self.below(alphabet.len())])
    }
}

/// Checks a SIMD classification of 16-byte windows against its byte-at-a-time reference, on
/// 5,000 windows drawn from `alphabet` (the bytes that matter and their neighbours).
pub(crate) fn windows_agree<T: PartialEq + std::fmt::Debug>(
    seed: u64,
    alphabet: &[u8],
    fast: impl Fn(&[u8; 16]) -> T,
    reference: impl Fn(&[u8; 16]) -> T,
) {
    let mut random = XorShift::new(seed);
    for _ in 0..5000 {
        let window = random.bytes_from(alphabet);
        assert_eq!(fast(&window), reference(&window), "{window:?}");
    }
}
