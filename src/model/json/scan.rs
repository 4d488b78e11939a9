//! The word scanner: finds the bytes a JSON string must escape 8 bytes at a time.

const ONES: u64 = 0x0101_0101_0101_0101;
const SPACES: u64 = ONES * b' ' as u64;

/// Flags (high bit of the byte) the bytes of `w` that need escaping: below 0x20 or
/// `"` (the bytes that, XORed with 0x02, are below 0x21) or `\` (zero when XORed
/// with it), with the classic has-less-than / has-zero-byte tricks; a byte >= 0x80 is
/// never flagged. A borrow can flag a clean byte only above a flagged one, so the
/// lowest flag is always exact.
#[inline]
pub(super) fn specials(w: u64) -> u64 {
    let control_or_quote = (w ^ (ONES * 0x02)).wrapping_sub(ONES * 0x21);
    let backslash = (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    (control_or_quote | backslash) & !w & (ONES * 0x80)
}

/// The 8 bytes of `b` from `at` as a little-endian word.
#[inline]
pub(super) fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// `b` (shorter than 8 bytes) as a little-endian word padded with spaces, loaded as
/// two overlapping halves instead of byte by byte.
#[inline]
pub(super) fn short_word(b: &[u8]) -> u64 {
    let n = b.len();
    let u32_at = |at: usize| {
        let mut w = [0; 4];
        w.copy_from_slice(&b[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    let u16_at = |at: usize| u64::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let w = match n {
        4.. => u32_at(0) | (u32_at(n - 4) << (8 * (n - 4))),
        2.. => u16_at(0) | (u16_at(n - 2) << (8 * (n - 2))),
        1 => u64::from(b[0]),
        _ => 0,
    };
    w | (SPACES << (8 * n))
}

/// The index of the first byte of `b` from `at` on that needs escaping, or `b.len()`:
/// 8 bytes at a time; the last few as the string's last 8 bytes (the ones before
/// them were checked clean, so the lowest flag is still the first special) or, when
/// fewer than 8 are left from `at`, as one padded word.
#[inline(always)]
pub(super) fn next_special(b: &[u8], at: usize) -> usize {
    let n = b.len();
    let rest = &b[at..];
    if rest.len() < 8 {
        let m = specials(short_word(rest));
        return if m == 0 {
            n
        } else {
            at + (m.trailing_zeros() / 8) as usize
        };
    }
    let mut i = at;
    for w in rest.chunks_exact(8) {
        let m = specials(u64::from_le_bytes(w.try_into().unwrap_or_default()));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    if i < n {
        let m = specials(word(b, n - 8));
        if m != 0 {
            return n - 8 + (m.trailing_zeros() / 8) as usize;
        }
    }
    n
}
