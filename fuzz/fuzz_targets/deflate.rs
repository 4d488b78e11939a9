//! The client's zlib compressor against flate2's inflater: every input, on either side
//! of the 32 kB cut-over between the crate's own deflate and zlib-rs, compresses to a
//! valid zlib stream (header check, Adler-32) that inflates to exactly the input, and a
//! compressor reused across inputs writes the same bytes as a fresh one.
#![no_main]

use std::io::Read;
use std::sync::Mutex;

use fuzz_support::Zlib;
use libfuzzer_sys::fuzz_target;

/// One deflate window: bodies up to this go through the crate's own deflate.
const WINDOW: usize = 32 * 1024;

/// Kept across inputs, as a sending thread keeps its compressor.
static REUSED: Mutex<Option<Zlib>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    // The input itself (mostly small: the own deflate) and, for an odd first byte, the
    // rest repeated to just below or above the cut-over (the byte picks the length), so
    // zlib-rs and the bodies around the boundary are fuzzed too.
    let mut inputs = vec![data.to_vec()];
    let pick = data.first().copied().unwrap_or(0);
    if pick % 2 == 1 && data.len() > 1 {
        let target = WINDOW - 64 + usize::from(pick);
        inputs.push(data[1..].iter().copied().cycle().take(target).collect());
    }
    let mut reused = REUSED.lock().unwrap_or_else(|e| e.into_inner());
    let reused = reused.get_or_insert_with(Zlib::default);
    let mut out = Vec::new();
    for input in &inputs {
        reused
            .compress(input, &mut out)
            .expect("compression never fails");
        if pick % 8 == 0 {
            // A fresh compressor's tables cost more than the compression: not always.
            let mut fresh = Vec::new();
            Zlib::default()
                .compress(input, &mut fresh)
                .expect("compression never fails");
            assert_eq!(out, fresh, "a reused compressor wrote other bytes");
        }
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
