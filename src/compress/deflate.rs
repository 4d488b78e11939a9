//! A zlib stream (RFC 1950) of one dynamic-Huffman deflate block (RFC 1951) for event
//! bodies up to one window (32 kB), with the match finder of [`super::lz77`].
//!
//! Why not a library: measured with callgrind on AKS node events (`src/compress.rs`),
//! libdeflate and zlib-rs at level 5 spend 700k+ instructions on a 22 kB ten-node body,
//! and every level that costs less is more than 2% larger than zlib's level 5. Their
//! general match finders re-discover, byte by byte, what an array of near-identical
//! resources makes obvious: each resource repeats the previous one at one distance.
//! A body the block would not shrink is sent as one stored block.

use super::huffman::{codes, lengths, Scratch};
use super::lz77::{split, Matcher, Token, WINDOW};

/// Literal/length symbols (0-255 bytes, 256 end of block, 257-285 lengths), distance
/// symbols, and code-length symbols.
const LITLEN: usize = 286;
const DIST: usize = 30;
const CODELEN: usize = 19;
/// The order code-length code lengths are written in (RFC 1951 section 3.2.7).
const CODELEN_ORDER: [usize; CODELEN] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];
const END_OF_BLOCK: usize = 256;

/// Reusable state: one per sending thread. Allocates nothing once warm.
#[derive(Default)]
pub(crate) struct Deflater {
    matcher: Matcher,
    tokens: Vec<Token>,
    scratch: Scratch,
    /// The code-length symbols of the header: (symbol, extra bits value).
    header: Vec<(u8, u8)>,
}

/// Length symbol (257..=285), extra bits and their value for a match of `len`.
#[inline]
fn length_code(len: usize) -> (usize, u32, u32) {
    let l = (len - 3) as u32;
    if len == 258 {
        return (285, 0, 0);
    }
    if l < 8 {
        return (257 + l as usize, 0, 0);
    }
    let top = 31 - l.leading_zeros(); // 3..=7
    let extra = top - 2;
    let code = 257 + 4 * (top - 1) + ((l >> extra) & 3);
    (code as usize, extra, l & ((1 << extra) - 1))
}

/// Distance symbol (0..=29), extra bits and their value for `dist`.
#[inline]
fn distance_code(dist: usize) -> (usize, u32, u32) {
    let d = (dist - 1) as u32;
    if d < 4 {
        return (d as usize, 0, 0);
    }
    let top = 31 - d.leading_zeros(); // 2..=14
    let extra = top - 1;
    let code = 2 * top + ((d >> extra) & 1);
    (code as usize, extra, d & ((1 << extra) - 1))
}

/// Bits written from the low end, as deflate wants.
struct Bits<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    count: u32,
}

impl Bits<'_> {
    #[inline]
    fn put(&mut self, value: u32, bits: u32) {
        self.acc |= u64::from(value) << self.count;
        self.count += bits;
        if self.count >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.count -= 32;
        }
    }

    fn finish(self) {
        let bytes = self.count.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
    }
}

/// The Adler-32 checksum of `data` (RFC 1950 section 9).
fn adler32(data: &[u8]) -> u32 {
    adler2::adler32_slice(data)
}

impl Deflater {
    /// Compresses `input` (at most 32 kB) into `out`, replacing what it held, as one
    /// zlib stream.
    pub(crate) fn zlib(&mut self, input: &[u8], out: &mut Vec<u8>) {
        assert!(input.len() <= WINDOW, "one window at most");
        out.clear();
        // Every buffer at its largest on the first call (a token per byte, the longest
        // header; a dynamic block is at most a few hundred bytes over its input before
        // the stored fallback cuts it), so none grows later.
        if self.tokens.capacity() < WINDOW {
            self.tokens.reserve_exact(WINDOW);
            self.header.reserve_exact(LITLEN + DIST);
        }
        out.reserve(WINDOW + 1024);
        // CMF: deflate, 32 kB window; FLG: default level, check bits (a multiple of 31).
        out.extend_from_slice(&[0x78, 0x9c]);
        self.tokens.clear();
        self.matcher.tokens(input, &mut self.tokens);
        self.block(out);
        // Not smaller than the input: one stored block instead.
        if out.len() > input.len() + 7 {
            out.truncate(2);
            let len = input.len() as u16;
            out.push(1); // BFINAL, stored; then byte-aligned LEN, NLEN
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(input);
        }
        out.extend_from_slice(&adler32(input).to_be_bytes());
    }

    /// Writes the tokens as one final dynamic-Huffman block.
    fn block(&mut self, out: &mut Vec<u8>) {
        let mut lit_freq = [0u32; LITLEN];
        let mut dist_freq = [0u32; DIST];
        for t in &self.tokens {
            match split(*t) {
                Ok(b) => lit_freq[usize::from(b)] += 1,
                Err((len, dist)) => {
                    lit_freq[length_code(len).0] += 1;
                    dist_freq[distance_code(dist).0] += 1;
                }
            }
        }
        lit_freq[END_OF_BLOCK] = 1;
        at_least_two(&mut lit_freq);
        at_least_two(&mut dist_freq);
        let (mut lit_len, mut dist_len) = ([0u8; LITLEN], [0u8; DIST]);
        lengths(&lit_freq, 15, &mut lit_len, &mut self.scratch);
        lengths(&dist_freq, 15, &mut dist_len, &mut self.scratch);
        let (mut lit_code, mut dist_code) = ([0u16; LITLEN], [0u16; DIST]);
        codes(&lit_len, &mut lit_code);
        codes(&dist_len, &mut dist_code);

        let hlit = used(&lit_len, 257);
        let hdist = used(&dist_len, 1);
        let mut all = [0u8; LITLEN + DIST];
        all[..hlit].copy_from_slice(&lit_len[..hlit]);
        all[hlit..hlit + hdist].copy_from_slice(&dist_len[..hdist]);
        run_lengths(&all[..hlit + hdist], &mut self.header);
        let mut cl_freq = [0u32; CODELEN];
        for (sym, _) in &self.header {
            cl_freq[usize::from(*sym)] += 1;
        }
        at_least_two(&mut cl_freq);
        let mut cl_len = [0u8; CODELEN];
        lengths(&cl_freq, 7, &mut cl_len, &mut self.scratch);
        let mut cl_code = [0u16; CODELEN];
        codes(&cl_len, &mut cl_code);
        // In the order they are written (a loop: `CODELEN_ORDER.map` cost ~100
        // instructions more per body).
        let mut cl_len_written = [0u8; CODELEN];
        for (w, &s) in cl_len_written.iter_mut().zip(&CODELEN_ORDER) {
            *w = cl_len[s];
        }
        let hclen = used(&cl_len_written, 4);

        let mut bits = Bits {
            out,
            acc: 0,
            count: 0,
        };
        bits.put(0b101, 3); // BFINAL, then BTYPE 10 (dynamic), low bit first
        bits.put((hlit - 257) as u32, 5);
        bits.put((hdist - 1) as u32, 5);
        bits.put((hclen - 4) as u32, 4);
        for &l in &cl_len_written[..hclen] {
            bits.put(u32::from(l), 3);
        }
        for &(sym, extra) in &self.header {
            let s = usize::from(sym);
            bits.put(u32::from(cl_code[s]), u32::from(cl_len[s]));
            match sym {
                16 => bits.put(u32::from(extra), 2),
                17 => bits.put(u32::from(extra), 3),
                18 => bits.put(u32::from(extra), 7),
                _ => {}
            }
        }
        for t in &self.tokens {
            match split(*t) {
                Ok(b) => {
                    let s = usize::from(b);
                    bits.put(u32::from(lit_code[s]), u32::from(lit_len[s]));
                }
                Err((len, dist)) => {
                    let (s, extra, value) = length_code(len);
                    bits.put(u32::from(lit_code[s]), u32::from(lit_len[s]));
                    bits.put(value, extra);
                    let (s, extra, value) = distance_code(dist);
                    bits.put(u32::from(dist_code[s]), u32::from(dist_len[s]));
                    bits.put(value, extra);
                }
            }
        }
        bits.put(
            u32::from(lit_code[END_OF_BLOCK]),
            u32::from(lit_len[END_OF_BLOCK]),
        );
        bits.finish();
    }
}

/// How many of `lens` a header must write: all but the trailing zeros, at least `min`.
fn used(lens: &[u8], min: usize) -> usize {
    min.max(lens.len() - lens.iter().rev().take_while(|l| **l == 0).count())
}

/// Gives unused symbols a count until two are used: a code of one symbol is
/// incomplete, which inflaters refuse for some alphabets.
fn at_least_two(freq: &mut [u32]) {
    let mut used = freq.iter().filter(|f| **f > 0).count();
    for f in freq.iter_mut() {
        if used >= 2 {
            break;
        }
        if *f == 0 {
            *f = 1;
            used += 1;
        }
    }
}

/// The code lengths as code-length symbols (RFC 1951 section 3.2.7): 16 repeats the
/// previous length 3-6 times, 17 and 18 write 3-10 and 11-138 zeros.
fn run_lengths(lens: &[u8], out: &mut Vec<(u8, u8)>) {
    out.clear();
    let mut i = 0;
    while i < lens.len() {
        let l = lens[i];
        let run = lens[i..].iter().take_while(|x| **x == l).count();
        let mut left = run;
        if l == 0 {
            while left >= 11 {
                let k = left.min(138);
                out.push((18, (k - 11) as u8));
                left -= k;
            }
            if left >= 3 {
                out.push((17, (left - 3) as u8));
                left = 0;
            }
        } else {
            out.push((l, 0));
            left -= 1;
            while left >= 3 {
                let k = left.min(6);
                out.push((16, (k - 3) as u8));
                left -= k;
            }
        }
        out.extend(std::iter::repeat_n((l, 0), left));
        i += run;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::tests::inflate;
    use proptest::prelude::*;

    /// Inputs like event bodies: pieces of a few JSON-ish words, repeated with small
    /// changes, mixed with runs and noise; up to one window.
    fn bodies() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            "[a-z\\\":,{}0-9]{0,40}".prop_map(String::into_bytes),
            (any::<u8>(), 0usize..600).prop_map(|(b, n)| vec![b; n]),
        ];
        (proptest::collection::vec(piece, 0..40), 1usize..60).prop_map(|(pieces, times)| {
            let mut out = Vec::new();
            for t in 0..times {
                for (i, p) in pieces.iter().enumerate() {
                    out.extend_from_slice(p);
                    if (i + t) % 7 == 0 {
                        out.extend_from_slice(t.to_string().as_bytes());
                    }
                }
                if out.len() > WINDOW {
                    break;
                }
            }
            out.truncate(WINDOW);
            out
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn any_body_round_trips_through_a_reused_deflater(a in bodies(), b in bodies()) {
            let mut d = Deflater::default();
            let mut out = Vec::new();
            for input in [&a, &b, &a] {
                d.zlib(input, &mut out);
                prop_assert_eq!(&inflate(&out), input);
                // Never much larger than the input: a stored block at worst.
                prop_assert!(out.len() <= input.len() + 11);
            }
        }
    }

    /// C zlib (through Python) is the strictest inflater at hand: it refuses incomplete
    /// codes and distances past the start. 300 bodies from the property strategy.
    #[test]
    fn pythons_zlib_decodes_varied_bodies() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        use std::io::Write;
        use std::process::{Command, Stdio};
        const CHECK: &str = "import sys,zlib,struct\n\
            d=sys.stdin.buffer.read(); i=0; n=0\n\
            while i<len(d):\n\
            \x20a,b=struct.unpack('<II',d[i:i+8]); i+=8\n\
            \x20z=d[i:i+a]; i+=a; want=d[i:i+b]; i+=b\n\
            \x20assert zlib.decompress(z)==want, n; n+=1\n\
            print(n)";
        let mut runner = TestRunner::deterministic();
        let mut d = Deflater::default();
        let (mut out, mut batch) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let body = bodies().new_tree(&mut runner).expect("a body").current();
            d.zlib(&body, &mut out);
            batch.extend_from_slice(&(out.len() as u32).to_le_bytes());
            batch.extend_from_slice(&(body.len() as u32).to_le_bytes());
            batch.extend_from_slice(&out);
            batch.extend_from_slice(&body);
        }
        let mut child = Command::new("python3")
            .args(["-c", CHECK])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 (needed by this test) runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&batch)
            .expect("write to python3");
        let output = child.wait_with_output().expect("python3 output");
        assert!(output.status.success(), "python3: {}", output.status);
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "300");
    }

    #[test]
    fn incompressible_bodies_go_stored() {
        let noise: Vec<u8> = (0u32..WINDOW as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut out = Vec::new();
        for len in [0, 1, 100, 5_000, WINDOW] {
            Deflater::default().zlib(&noise[..len], &mut out);
            assert_eq!(inflate(&out), &noise[..len]);
            assert!(out.len() <= len + 11, "{len}: {}", out.len());
        }
    }

    #[test]
    fn length_and_distance_codes_match_rfc_1951_tables() {
        // (length, code, extra bits, extra value) rows of RFC 1951 section 3.2.5.
        for (len, code, extra, value) in [
            (3, 257, 0, 0),
            (10, 264, 0, 0),
            (11, 265, 1, 0),
            (12, 265, 1, 1),
            (13, 266, 1, 0),
            (19, 269, 2, 0),
            (22, 269, 2, 3),
            (35, 273, 3, 0),
            (67, 277, 4, 0),
            (131, 281, 5, 0),
            (227, 284, 5, 0),
            (257, 284, 5, 30),
            (258, 285, 0, 0),
        ] {
            assert_eq!(length_code(len), (code, extra, value), "length {len}");
        }
        for (dist, code, extra, value) in [
            (1, 0, 0, 0),
            (4, 3, 0, 0),
            (5, 4, 1, 0),
            (6, 4, 1, 1),
            (7, 5, 1, 0),
            (9, 6, 2, 0),
            (193, 15, 6, 0),
            (257, 16, 7, 0),
            (24_577, 29, 13, 0),
            (32_768, 29, 13, 8_191),
        ] {
            assert_eq!(distance_code(dist), (code, extra, value), "distance {dist}");
        }
    }

    #[test]
    fn adler32_matches_the_known_value() {
        // RFC 1950's example string's checksum, as zlib computes it.
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
        let long = vec![0xffu8; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for x in &long {
            a = (a + u64::from(*x)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(adler32(&long), (b << 16 | a) as u32);
    }

    #[test]
    fn run_lengths_expand_back() {
        let lens: Vec<u8> = [
            vec![0; 140],
            vec![5; 9],
            vec![0; 3],
            vec![7],
            vec![0; 12],
            vec![3; 4],
        ]
        .concat();
        let mut syms = Vec::new();
        run_lengths(&lens, &mut syms);
        let mut back: Vec<u8> = Vec::new();
        for (s, extra) in syms {
            match s {
                16 => {
                    let last = *back.last().unwrap();
                    back.extend(std::iter::repeat_n(last, 3 + usize::from(extra)));
                }
                17 => back.extend(std::iter::repeat_n(0, 3 + usize::from(extra))),
                18 => back.extend(std::iter::repeat_n(0, 11 + usize::from(extra))),
                l => back.push(l),
            }
        }
        assert_eq!(back, lens);
    }
}
