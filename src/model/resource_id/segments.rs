//! The non-empty segments of an id (Go's `splitStringAndOmitEmpty(id, "/")`).
//!
//! Why it is a word scan: finding each segment's end with its own search (a byte loop
//! to skip slashes, then eight bytes at a time to the next slash, then a byte loop over
//! the rest) cost ~960 instructions per AKS node id, about a fifth of parsing it (by
//! `scripts/count-instructions.sh`). Here the id is read once, eight bytes at a time,
//! and every slash of a word is taken from one exact bit mask.

const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
const SLASHES: u64 = u64::from_ne_bytes([b'/'; 8]);

/// The high bit of each byte of `word` (little-endian) that is `/`, and no other:
/// the exact zero-byte test (no borrow crosses bytes), so every flag is a true slash.
#[inline]
fn slashes(word: [u8; 8]) -> u64 {
    let x = u64::from_le_bytes(word) ^ SLASHES;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The non-empty segments of an id, in order.
pub(super) struct Segments<'a> {
    input: &'a str,
    /// Where the next segment may start (just after the last slash taken).
    start: usize,
    /// The slashes not yet taken of the word at `base`.
    mask: u64,
    /// The offset of the word `mask` covers.
    base: usize,
}

impl<'a> Segments<'a> {
    /// The segments of `input`.
    pub(super) fn new(input: &'a str) -> Self {
        let bytes = input.as_bytes();
        let mask = match bytes.get(..8) {
            Some(w) => slashes(word(w)),
            None => tail(bytes, 0),
        };
        Segments {
            input,
            start: 0,
            mask,
            base: 0,
        }
    }

    /// The offset of the next slash, or `None` at the end of the input.
    #[inline]
    fn next_slash(&mut self) -> Option<usize> {
        if self.mask == 0 {
            let bytes = self.input.as_bytes();
            let mut base = self.base + 8;
            loop {
                let mask = match bytes.get(base..base + 8) {
                    Some(w) => slashes(word(w)),
                    None if base < bytes.len() => tail(bytes, base),
                    None => {
                        self.base = base;
                        return None;
                    }
                };
                if mask != 0 {
                    self.base = base;
                    self.mask = mask;
                    break;
                }
                base += 8;
            }
        }
        let at = self.base + (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// `w` (eight bytes) as an array.
#[inline]
fn word(w: &[u8]) -> [u8; 8] {
    let mut word = [0; 8];
    word.copy_from_slice(w);
    word
}

/// The slash mask of the (fewer than eight) bytes of `bytes` from `base` to the end,
/// placed as if read from `base`: the input's last eight bytes shifted down past the
/// ones before `base` (or, for an input shorter than a word, its bytes one by one).
#[cold]
fn tail(bytes: &[u8], base: usize) -> u64 {
    let n = bytes.len();
    match bytes.get(n.wrapping_sub(8)..) {
        Some(last) if n >= 8 => slashes(word(last)) >> (8 * (base + 8 - n)),
        _ => bytes
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c == b'/')
            .fold(0, |m, (i, _)| m | 0x80 << (8 * i)),
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let len = self.input.len();
            if self.start >= len {
                return None;
            }
            let end = self.next_slash().unwrap_or(len);
            let start = std::mem::replace(&mut self.start, end + 1);
            if end > start {
                // '/' is ASCII, so both ends are char boundaries; `get` keeps this
                // panic-free.
                return Some(self.input.get(start..end).unwrap_or(""));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(s: &str) -> Vec<&str> {
        s.split('/').filter(|p| !p.is_empty()).collect()
    }

    #[test]
    fn same_as_split_without_empty_parts() {
        let samples = [
            "",
            "/",
            "///",
            "a",
            "//a/b///c d/\u{e9}/",
            "abcdefg/",
            "abcdefgh/",
            "/abcdefgh",
            "abcdefghijklmnopq/r",
            "\u{e9}\u{e9}\u{e9}\u{e9}/x",
            "0123456789abcdef",
            "0123456\u{2f}",
            "\u{ff}\u{ff}/\u{ff}",
            "\u{80}\u{80}\u{80}\u{80}/",
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
            "./.0/.//0..//////////x",
        ];
        for s in samples {
            for start in 0..=s.len() {
                let Some(s) = s.get(start..) else { continue };
                assert_eq!(Segments::new(s).collect::<Vec<_>>(), want(s), "{s:?}");
            }
        }
    }

    #[test]
    fn every_byte_at_every_position() {
        // Each byte value next to slashes and to bytes one off from '/' (the values a
        // borrow or carry between bytes would confuse with it).
        for c in 0..=127u8 {
            for at in 0..20 {
                for fill in [b'x', b'/', b'.', b'0'] {
                    let mut buf = [fill; 20];
                    buf[at] = c;
                    let s = std::str::from_utf8(&buf).expect("ASCII");
                    assert_eq!(
                        Segments::new(s).collect::<Vec<_>>(),
                        want(s),
                        "{c} at {at} in {s:?}"
                    );
                }
            }
        }
    }
}
