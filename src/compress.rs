//! zlib compression of event bodies (`docs/protocol.md` section 2): the zlib format
//! (RFC 1950, what `Content-Encoding: deflate` carries), which any zlib inflater
//! decodes. Bodies of one deflate window (32 kB) or less, every inline event and every
//! blob event, go through the crate's own deflate ([`deflate`], [`lz77`],
//! [`huffman`]); larger ones through zlib-rs (flate2) at level 5.
//!
//! Chosen by measurement (issue 10), compressing AKS node events
//! (`tests/vectors/payloads/node.json`) with a reused compressor: instructions per
//! body counted by callgrind, median time per body (`benches/encode.rs`, group
//! `zlib_only`, this 2-core machine), output size.
//!
//! | event | zlib-rs level 5 | libdeflate level 5 | this crate's |
//! | --- | --- | --- | --- |
//! | 1 node, 2.8 kB | 551k instr, 21.7 µs, 1,025 B | 230k, 15.4 µs, 1,028 B | 221k, 11.8 µs, 1,031 B |
//! | 4 nodes, 9.2 kB | 661k, 27.8 µs, 1,129 B | 402k, 25.0 µs, 1,121 B | 274k, 14.5 µs, 1,132 B |
//! | 10 nodes, 22 kB | 876k, 40.5 µs, 1,291 B | 735k, 43.2 µs, 1,266 B | 327k, 17.3 µs, 1,295 B |
//!
//! Every library level under 700k instructions on ten nodes is more than 2% larger
//! than zlib's level 5 (libdeflate 1-4: +3.3% to +13%; zlib-rs 1-3: +5% to +31%;
//! miniz_oxide 1-3 costs more). Their general match finders rediscover byte by byte
//! what an array of near-identical resources makes plain: each resource repeats the
//! previous one at one distance, which [`lz77`] tries first. zlib-ng needs cmake.

mod deflate;
mod huffman;
mod lz77;

use flate2::{Compress, Compression, FlushCompress, Status};

use crate::Error;

/// zlib-rs' level, the protocol's.
const LEVEL: u32 = 5;

/// Reusable zlib compressors: keep one per sending thread. Once both have been used,
/// compressing allocates nothing. The default has nothing allocated for large bodies
/// yet.
#[derive(Default)]
pub(crate) struct Compressor {
    /// For bodies of one window at most.
    small: deflate::Deflater,
    /// For the others; made on the first such body (a thread that only sends small
    /// ones never pays for its tables).
    large: Option<Compress>,
}

/// Compresses `input` into `out` (replacing what it held) as one zlib stream. `out`
/// keeps its capacity, so a reused `out` stops allocating once it has seen the largest
/// body.
pub(crate) fn zlib(
    compress: &mut Compressor,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    if input.len() <= lz77::WINDOW {
        compress.small.zlib(input, out);
        Ok(())
    } else {
        let large = compress
            .large
            .get_or_insert_with(|| Compress::new(Compression::new(LEVEL), true));
        zlib_rs(large, input, out)
    }
}

/// A stream on the reused `compress`, reset first.
fn zlib_rs(compress: &mut Compress, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    compress.reset();
    out.clear();
    out.reserve(input.len() / 2 + 64);
    loop {
        let consumed = compress.total_in() as usize;
        let status = compress
            .compress_vec(&input[consumed..], out, FlushCompress::Finish)
            .map_err(|e| Error::Encode(format!("zlib: {e}")))?;
        if status == Status::StreamEnd {
            return Ok(());
        }
        out.reserve(out.capacity().max(64));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{
        Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
        NotificationResource, ResourceId,
    };
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};

    /// The inline event of a notification of `count` AKS nodes
    /// (`tests/vectors/payloads/node.json`), as `benches/encode.rs` builds it.
    fn node_event(count: usize) -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/payloads/node.json"
        );
        let text = std::fs::read_to_string(path).expect("node.json");
        let props: serde_json::Value = serde_json::from_str(&text).expect("node.json is JSON");
        let resources = (0..count)
            .map(|i| {
                let id = ResourceId::parse(&format!(
                    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.ContainerService/managedClusters/something/nodes/aks-nodepool1-12345678-vmss{i:06}"
                ))
                .expect("node id");
                let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props)
                    .expect("arm resource");
                NotificationResource::new(arm, ChangeAction::Update)
            })
            .collect();
        let n = Notification::new("eastus", "Microsoft.ContainerService", resources);
        let mut buf = EncodeBuf::new();
        match Encoder::default().encode(&n, &mut buf).expect("valid") {
            Encoded::Inline(event) => event.to_vec(),
            other => panic!("inline event expected, got {other:?}"),
        }
    }

    pub(crate) fn inflate(compressed: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        flate2::read::ZlibDecoder::new(compressed)
            .read_to_end(&mut back)
            .expect("a zlib stream");
        back
    }

    fn compressed(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        zlib(&mut Compressor::default(), input, &mut out).expect("zlib");
        out
    }

    #[test]
    fn zlib_round_trips_and_reuses_the_compressor() {
        let mut c = Compressor::default();
        let mut out = Vec::new();
        let noise: Vec<u8> = (0u32..50_000)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let inputs = [
            &b"hello hello hello"[..],
            &[7u8; 100_000][..],
            b"",
            &noise[..5_000],
            &noise,
        ];
        for input in inputs {
            zlib(&mut c, input, &mut out).unwrap();
            // RFC 1950: deflate, 32 kB window; the header is a multiple of 31.
            assert_eq!(out[0] & 0x0f, 8, "CM = deflate");
            assert_eq!(u16::from_be_bytes([out[0], out[1]]) % 31, 0, "FCHECK");
            assert_eq!(inflate(&out), input);
        }
    }

    #[test]
    fn a_warm_buffer_and_both_compressors_are_reused() {
        let (small, large) = (node_event(1), node_event(18));
        assert!(small.len() <= lz77::WINDOW && large.len() > lz77::WINDOW);
        let mut c = Compressor::default();
        let mut out = Vec::new();
        for event in [&small, &large] {
            zlib(&mut c, event, &mut out).unwrap();
        }
        let (ptr, capacity) = (out.as_ptr(), out.capacity());
        for event in [&small, &large, &small] {
            zlib(&mut c, event, &mut out).unwrap();
            assert_eq!(inflate(&out), *event);
            assert_eq!((out.as_ptr(), out.capacity()), (ptr, capacity));
        }
    }

    #[test]
    fn pythons_zlib_decodes_the_node_events() {
        const INFLATE: &str =
            "import sys,zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))";
        // 1 and 10 nodes through the crate's deflate, 18 through zlib-rs.
        for count in [1, 10, 18] {
            let event = node_event(count);
            let mut child = Command::new("python3")
                .args(["-c", INFLATE])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("python3 (needed by this test) runs");
            let mut stdin = child.stdin.take().expect("stdin");
            let body = compressed(&event);
            // python3 reads all of its input before it writes.
            stdin.write_all(&body).expect("write to python3");
            drop(stdin);
            let output = child.wait_with_output().expect("python3 output");
            assert!(output.status.success(), "python3: {}", output.status);
            assert_eq!(output.stdout, event, "{count} nodes");
        }
    }

    #[test]
    fn node_events_are_at_most_2_percent_larger_than_zlib_level_5() {
        for count in [1, 10, 18] {
            let event = node_event(count);
            let ours = compressed(&event).len();
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(5));
            z.write_all(&event).unwrap();
            let zlib5 = z.finish().unwrap().len();
            assert!(
                ours * 100 <= zlib5 * 102,
                "{count} nodes ({} bytes): {ours} bytes against zlib level 5's {zlib5}",
                event.len()
            );
        }
    }
}
