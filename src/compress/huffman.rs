//! Length-limited Huffman codes for deflate's dynamic blocks (RFC 1951 section 3.2.2).
//!
//! Code lengths come from the in-place minimum-redundancy algorithm of Moffat and
//! Katajainen over the symbols sorted by frequency; lengths over the limit are folded
//! back by the usual Kraft-sum repair (the one zlib and miniz use); codes are then
//! made canonical and bit-reversed, since deflate writes them from the low bit.

/// The longest code length any of deflate's alphabets counts (`num_codes` index).
const DEEPEST: usize = 320;

/// Reused buffers (no allocation once warm).
#[derive(Default)]
pub(super) struct Scratch {
    /// (frequency, symbol) of the used symbols, sorted.
    syms: Vec<(u32, u16)>,
    /// Their code lengths, in the same order.
    depth: Vec<u32>,
}

/// Code lengths (at most `limit` bits) for `freq`, into `lens` (same length; 0 for an
/// unused symbol). With fewer than two used symbols the code would be incomplete,
/// which inflaters refuse for some alphabets: the callers make sure of two.
pub(super) fn lengths(freq: &[u32], limit: u8, lens: &mut [u8], scratch: &mut Scratch) {
    let Scratch {
        syms: scratch,
        depth,
    } = scratch;
    // Room for the largest alphabet from the first call on: never grown later.
    scratch.reserve(286);
    depth.reserve(286);
    lens.fill(0);
    scratch.clear();
    scratch.extend(
        freq.iter()
            .enumerate()
            .filter(|(_, f)| **f > 0)
            .map(|(s, f)| (*f, s as u16)),
    );
    match scratch.len() {
        0 => return,
        1 => {
            lens[usize::from(scratch[0].1)] = 1;
            return;
        }
        _ => {}
    }
    scratch.sort_unstable();
    depth.clear();
    depth.extend(scratch.iter().map(|(f, _)| *f));
    minimum_redundancy(depth);
    // How many codes of each length; then fold the ones over the limit back.
    let mut count = [0u32; DEEPEST + 1];
    for d in depth.iter() {
        count[(*d as usize).min(DEEPEST)] += 1;
    }
    enforce_limit(&mut count, usize::from(limit));
    // The shortest codes go to the most frequent symbols (the end of `scratch`).
    let mut next = scratch.len();
    for (len, n) in count
        .iter()
        .enumerate()
        .take(usize::from(limit) + 1)
        .skip(1)
    {
        for _ in 0..*n {
            next -= 1;
            lens[usize::from(scratch[next].1)] = len as u8;
        }
    }
}

/// Moffat and Katajainen's in-place algorithm: `a` holds frequencies in ascending
/// order (at least two), and is left holding each one's code length.
fn minimum_redundancy(a: &mut [u32]) {
    let n = a.len();
    a[0] += a[1];
    let (mut root, mut leaf) = (0usize, 2usize);
    for next in 1..n - 1 {
        // The smallest of the next leaf and the next internal node, twice.
        if leaf >= n || a[root] < a[leaf] {
            a[next] = a[root];
            a[root] = next as u32;
            root += 1;
        } else {
            a[next] = a[leaf];
            leaf += 1;
        }
        if leaf >= n || (root < next && a[root] < a[leaf]) {
            a[next] += a[root];
            a[root] = next as u32;
            root += 1;
        } else {
            a[next] += a[leaf];
            leaf += 1;
        }
    }
    // Parent pointers to internal node depths.
    a[n - 2] = 0;
    for next in (0..n.saturating_sub(2)).rev() {
        a[next] = a[a[next] as usize] + 1;
    }
    // Internal node depths to leaf depths.
    let (mut avail, mut used, mut depth) = (1usize, 0usize, 0u32);
    let mut root = n as isize - 2;
    let mut next = n as isize - 1;
    while avail > 0 {
        while root >= 0 && a[root as usize] == depth {
            used += 1;
            root -= 1;
        }
        while avail > used {
            a[next as usize] = depth;
            next -= 1;
            avail -= 1;
        }
        avail = 2 * used;
        depth += 1;
        used = 0;
    }
}

/// Moves codes longer than `limit` to `limit` and lengthens shorter ones until the
/// lengths form a complete prefix code again (Kraft sum exactly 1).
fn enforce_limit(count: &mut [u32; DEEPEST + 1], limit: usize) {
    let over: u32 = count[limit + 1..].iter().sum();
    count[limit] += over;
    count[limit + 1..].fill(0);
    let mut total: u64 = (1..=limit)
        .map(|i| u64::from(count[i]) << (limit - i))
        .sum();
    while total > 1 << limit {
        count[limit] -= 1;
        if let Some(i) = (1..limit).rev().find(|&i| count[i] > 0) {
            count[i] -= 1;
            count[i + 1] += 2;
        }
        total -= 1;
    }
}

/// Canonical codes for `lens` (RFC 1951 section 3.2.2), bit-reversed for writing from
/// the low bit.
pub(super) fn codes(lens: &[u8], codes: &mut [u16]) {
    let mut count = [0u16; 16];
    for l in lens {
        count[usize::from(*l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    for (l, c) in lens.iter().zip(codes.iter_mut()) {
        if *l > 0 {
            let n = &mut next[usize::from(*l)];
            *c = n.reverse_bits() >> (16 - l);
            *n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft(lens: &[u8]) -> f64 {
        lens.iter()
            .filter(|l| **l > 0)
            .map(|l| 0.5f64.powi(i32::from(*l)))
            .sum()
    }

    #[test]
    fn lengths_are_complete_and_limited() {
        let mut scratch = Scratch::default();
        // Fibonacci frequencies make the deepest unlimited tree.
        let mut fib = vec![1u32, 1];
        while fib.len() < 40 {
            let n = fib.len();
            fib.push(fib[n - 1] + fib[n - 2]);
        }
        for (freq, limit) in [
            (fib.clone(), 15u8),
            (fib[..20].to_vec(), 7),
            (vec![5, 0, 0, 9], 15),
            (vec![1; 286], 15),
            ((1..=30).collect(), 15),
        ] {
            let mut lens = vec![0u8; freq.len()];
            lengths(&freq, limit, &mut lens, &mut scratch);
            assert!(lens.iter().all(|l| *l <= limit));
            assert!(freq.iter().zip(&lens).all(|(f, l)| (*f > 0) == (*l > 0)));
            assert!((kraft(&lens) - 1.0).abs() < 1e-12, "{lens:?}");
            // A more frequent symbol never has a longer code.
            for (a, b) in freq.iter().zip(&lens) {
                for (c, d) in freq.iter().zip(&lens) {
                    assert!(!(a > c && b > d && *c > 0), "{freq:?} -> {lens:?}");
                }
            }
        }
    }

    #[test]
    fn canonical_codes_follow_rfc_1951() {
        // The example of RFC 1951 section 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4).
        let lens = [3u8, 3, 3, 3, 3, 2, 4, 4];
        let mut c = [0u16; 8];
        codes(&lens, &mut c);
        let want = [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111];
        for i in 0..8 {
            let reversed = c[i].reverse_bits() >> (16 - lens[i]);
            assert_eq!(reversed, want[i], "symbol {i}");
        }
    }
}
