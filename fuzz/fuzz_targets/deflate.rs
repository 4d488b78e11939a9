//! The client's zlib compressor against flate2's inflater: every input, on either side
//! of the 32 kB cut-over between the crate's own deflate and zlib-rs, compresses to a
//! valid zlib stream (header check, Adler-32) that inflates to exactly the input, and a
//! reused compressor gives the same bytes as a fresh one.
#![no_main]

use std::io::Read;

use fuzz_support::Zlib;
use libfuzzer_sys::fuzz_target;

/// One deflate window: bodies up to this go through the crate's own deflate.
const WINDOW: usize = 32 * 1024;

fuzz_target!(|data: &[u8]| {
    // The input itself (mostly small: the own deflate), and the input repeated past
    // the cut-over (its first byte picks how far), so zlib-rs is fuzzed too and the
    // bodies around the boundary are near-identical.
    let mut inputs = vec![data.to_vec()];
    if let Some((&pick, rest)) = data.split_first() {
        if !rest.is_empty() {
            let target = WINDOW - 64 + usize::from(pick);
            inputs.push(rest.iter().copied().cycle().take(target).collect());
        }
    }
    let mut reused = Zlib::default();
    let mut out = Vec::new();
    for input in &inputs {
        reused
            .compress(input, &mut out)
            .expect("compression never fails");
        let mut fresh = Vec::new();
        Zlib::default()
            .compress(input, &mut fresh)
            .expect("compression never fails");
        assert_eq!(out, fresh, "a reused compressor wrote other bytes");
        assert_eq!(out[0] & 0x0f, 8, "CM must be deflate");
        assert_eq!(u16::from_be_bytes([out[0], out[1]]) % 31, 0, "FCHECK");
        let mut back = Vec::with_capacity(input.len());
        flate2::read::ZlibDecoder::new(&out[..])
            .read_to_end(&mut back)
            .expect("flate2 inflates what the client compressed");
        assert!(
            back == *input,
            "inflated {} bytes, not the {} compressed",
            back.len(),
            input.len()
        );
    }
});
