//! The match finder of [`super::deflate`]: LZ77 over one event body (at most 32 kB, one
//! deflate window), tuned for what events are made of, arrays of near-identical JSON
//! objects.
//!
//! At each position it first tries the distance of the previous match (in an array
//! of similar resources that is the size of one resource, so most of a resource
//! repeats the previous one at that distance), then a hash chain of earlier positions
//! with the same four bytes, with one step of lazy evaluation as zlib's middle levels
//! have. Positions inside long matches are not all added to the chains: long matches
//! come from the repeat distance, and adding every byte of them was most of the work.
//!
//! Hash heads hold positions offset by a per-call base, so a call never clears them:
//! an entry from an earlier call is below the base and reads as empty.

/// Bits of the 4-byte hash.
const HASH_BITS: u32 = 14;
/// Deflate's window: no distance is longer.
pub(super) const WINDOW: usize = 32 * 1024;
/// Deflate's shortest and longest matches (this finder looks for 4 and more).
const MIN_MATCH: usize = 4;
pub(super) const MAX_MATCH: usize = 258;
/// Chain candidates looked at per position.
const MAX_CHAIN: usize = 8;
/// A match this long ends the search.
const NICE: usize = 128;
/// A match shorter than this is checked against one starting a byte later.
const LAZY: usize = 8;
/// Positions of a match up to this long are all added to the chains; of longer ones,
/// only the last few.
const INSERT_ALL: usize = 16;
const INSERT_TAIL: usize = 4;

/// A literal byte (< 256) or a match: `1 << 31 | length << 16 | distance`.
pub(super) type Token = u32;
const MATCH: u32 = 1 << 31;

/// The match finder's tables, reused from call to call. A default one allocates
/// nothing: the tables are made at their full size on the first call, so no later body
/// grows them (a worker allocates nothing per notification).
#[derive(Default)]
pub(super) struct Matcher {
    /// Per hash: 1 + base + the last position with that hash (this call's entries are
    /// above `base`).
    head: Vec<u32>,
    /// Per position: the previous entry of its chain (same encoding).
    prev: Vec<u32>,
    base: u32,
}

/// The length of the common prefix of `data[a..]` and `data[b..]`, `a < b`, at most
/// `max`, compared eight bytes at a time.
#[inline]
fn common(data: &[u8], a: usize, b: usize, max: usize) -> usize {
    let mut n = 0;
    while n + 8 <= max {
        let x = u64::from_le_bytes(data[a + n..a + n + 8].try_into().unwrap_or_default());
        let y = u64::from_le_bytes(data[b + n..b + n + 8].try_into().unwrap_or_default());
        let diff = x ^ y;
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while n < max && data[a + n] == data[b + n] {
        n += 1;
    }
    n
}

/// The four bytes at `i`.
#[inline(always)]
fn quad(data: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(data[i..i + 4].try_into().unwrap_or_default())
}

#[inline(always)]
fn hash(quad: u32) -> usize {
    (quad.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

impl Matcher {
    /// Appends the tokens of `data` (at most [`WINDOW`] bytes) to `tokens`, which must
    /// have room for one per byte (then it never grows).
    pub(super) fn tokens(&mut self, data: &[u8], tokens: &mut Vec<Token>) {
        debug_assert!(data.len() <= WINDOW);
        let n = data.len();
        // This call's entries: base + 1 + position, all above any earlier call's.
        if u64::from(self.base) + 2 * WINDOW as u64 >= u64::from(u32::MAX) {
            self.head.fill(0);
            self.base = 0;
        }
        let base = self.base;
        self.base += n as u32 + 1;
        if self.head.is_empty() {
            self.head = vec![0; 1 << HASH_BITS];
            self.prev = vec![0; WINDOW];
        }
        let mut rep = 0usize;
        let mut i = 0;
        let last = n.saturating_sub(MIN_MATCH - 1);
        while i < last {
            let (mut len, mut dist) = self.find(data, i, rep, base);
            if len < MIN_MATCH {
                tokens.push(Token::from(data[i]));
                i += 1;
                continue;
            }
            // Positions before `inserted` are in the chains.
            let mut inserted = i + 1;
            if len < LAZY && i + 1 < last {
                let (len2, dist2) = self.find(data, i + 1, rep, base);
                inserted = i + 2;
                if len2 > len {
                    tokens.push(Token::from(data[i]));
                    i += 1;
                    (len, dist) = (len2, dist2);
                }
            }
            tokens.push(MATCH | (len as u32) << 16 | dist as u32);
            rep = dist;
            // Every position of a short match; of a long one, only the last few.
            let from = if len <= INSERT_ALL {
                inserted
            } else {
                inserted.max(i + len - INSERT_TAIL)
            };
            for p in from..(i + len).min(last) {
                self.insert(quad(data, p), p, base);
            }
            i += len;
        }
        tokens.extend(data[i..].iter().map(|b| Token::from(*b)));
    }

    /// Adds position `i`, whose four bytes are `here`, to its chain; returns the
    /// chain's previous head (the latest earlier position with the same hash).
    #[inline(always)]
    fn insert(&mut self, here: u32, i: usize, base: u32) -> u32 {
        let h = hash(here);
        let cand = self.head[h];
        self.prev[i] = cand;
        self.head[h] = base + 1 + i as u32;
        cand
    }

    /// Adds `i` to its chain and returns the longest match found for it (length 0 when
    /// none): at distance `rep`, then along the chain.
    /// Candidates are first compared on four bytes (or, once a match is known, on
    /// the byte just past it), which rules most out without a call.
    #[inline(always)]
    fn find(&mut self, data: &[u8], i: usize, rep: usize, base: u32) -> (usize, usize) {
        let here = quad(data, i);
        let mut cand = self.insert(here, i, base);
        let max = MAX_MATCH.min(data.len() - i);
        let (mut best, mut dist) = (0, 0);
        if rep != 0 && rep <= i && quad(data, i - rep) == here {
            (best, dist) = (common(data, i - rep, i, max), rep);
        }
        let mut chain = MAX_CHAIN;
        while best < NICE.min(max) && cand > base && chain > 0 {
            let c = (cand - base - 1) as usize;
            if i - c > WINDOW {
                break;
            }
            let promising = if best < MIN_MATCH {
                quad(data, c) == here
            } else {
                data[c + best.min(max - 1)] == data[i + best.min(max - 1)]
            };
            if promising {
                let l = common(data, c, i, max);
                if l > best {
                    (best, dist) = (l, i - c);
                }
            }
            cand = self.prev[c];
            chain -= 1;
        }
        (best, dist)
    }
}

/// The parts of a token: `Ok(byte)` or `Err((length, distance))`.
#[inline]
pub(super) fn split(t: Token) -> Result<u8, (usize, usize)> {
    if t & MATCH == 0 {
        Ok(t as u8)
    } else {
        Err((((t >> 16) & 0x1ff) as usize, (t & 0xffff) as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rebuilds the input from tokens.
    fn replay(tokens: &[Token]) -> Vec<u8> {
        let mut out = Vec::new();
        for t in tokens {
            match split(*t) {
                Ok(b) => out.push(b),
                Err((len, dist)) => {
                    assert!((MIN_MATCH..=MAX_MATCH).contains(&len) && (1..=WINDOW).contains(&dist));
                    for _ in 0..len {
                        out.push(out[out.len() - dist]);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn tokens_replay_to_the_input_across_calls() {
        let mut m = Matcher::default();
        let noise: Vec<u8> = (0u32..WINDOW as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let json = br#"{"name":"n1","labels":{"a":"b"}},"#.repeat(1000);
        let inputs: [&[u8]; 7] = [
            b"",
            b"abc",
            b"abcdabcdabcd",
            &[0u8; WINDOW],
            &noise,
            &json[..WINDOW],
            b"xyzw",
        ];
        for _ in 0..3 {
            for input in inputs {
                let mut tokens = Vec::new();
                m.tokens(input, &mut tokens);
                assert_eq!(replay(&tokens), input);
            }
        }
        // The repeated JSON is mostly long matches.
        let mut tokens = Vec::new();
        m.tokens(&json[..WINDOW], &mut tokens);
        assert!(tokens.len() < WINDOW / 100, "{} tokens", tokens.len());
    }

    #[test]
    fn an_old_base_is_never_read_as_this_calls() {
        let mut m = Matcher {
            base: u32::MAX - WINDOW as u32,
            ..Matcher::default()
        };
        for _ in 0..3 {
            let mut tokens = Vec::new();
            m.tokens(&b"0123456789".repeat(100), &mut tokens);
            assert_eq!(replay(&tokens), b"0123456789".repeat(100));
        }
        assert!(m.base < WINDOW as u32 * 4, "wrapped to zero");
    }
}
