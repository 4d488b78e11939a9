//! Encoder benchmarks: notifications of 1, 10, 100 and 1000 AKS node resources
//! (`tests/vectors/payloads/node.json`, about 1.5 KB of properties each) encoded into a
//! reused buffer; the same followed by zlib compression (`docs/protocol.md` section 2):
//! flate2 with zlib-rs at level 5, and the client's own compressor (which uses zlib-rs
//! above 32 kB, `src/compress.rs`); compression alone by the client's, libdeflate's and
//! zlib-rs' level 5; and a caller's construction of one resource.

use std::hint::black_box;

use arn_client::model::{
    Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ResourceId,
};
use arn_client::transport::Zlib;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flate2::{Compress, Compression, FlushCompress};
use serde_json::Value;

const NODE: &str = include_str!("../tests/vectors/payloads/node.json");
const SIZES: [usize; 4] = [1, 10, 100, 1000];
const BLOB_URI: &str = "https://account.blob.core.windows.net/arm-ext-nt-2026-11-01-12/00000000-0000-0000-0000-000000000000.txt?sv=2024-08-04&sig=x";

fn node_id(i: usize) -> String {
    format!(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.ContainerService/managedClusters/something/nodes/aks-nodepool1-12345678-vmss{i:06}"
    )
}

fn resource(props: &Value, i: usize) -> NotificationResource {
    let id = ResourceId::parse(&node_id(i)).expect("node id");
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", props).expect("arm");
    NotificationResource::new(arm, ChangeAction::Update)
}

fn notification(props: &Value, count: usize) -> Notification {
    Notification::new(
        "eastus",
        "Microsoft.ContainerService",
        (0..count).map(|i| resource(props, i)).collect(),
    )
}

/// Encodes `n`; returns the length of the event body (and of the blob, if any).
fn encode_once(enc: &Encoder, n: &Notification, buf: &mut EncodeBuf, out: &mut Vec<u8>) -> usize {
    out.clear();
    match enc.encode(n, buf).expect("valid") {
        Encoded::Empty => 0,
        Encoded::Inline(ev) => {
            out.extend_from_slice(ev);
            ev.len()
        }
        Encoded::Blob(p) => {
            let blob = p.resources().len();
            let ev = p.finish(BLOB_URI);
            out.extend_from_slice(ev);
            blob + ev.len()
        }
    }
}

fn bench_encode(c: &mut Criterion) {
    let props: Value = serde_json::from_str(NODE).expect("node.json");
    let enc = Encoder::default();
    let mut group = c.benchmark_group("encode");
    for count in SIZES {
        let n = notification(&props, count);
        let (mut buf, mut out) = (EncodeBuf::new(), Vec::new());
        let bytes = encode_once(&enc, &n, &mut buf, &mut out);
        println!("encode/{count}: {bytes} bytes (event + blob)");
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(count), &n, |b, n| {
            b.iter(|| {
                let ev = match enc.encode(black_box(n), &mut buf).expect("valid") {
                    Encoded::Inline(ev) => ev,
                    Encoded::Blob(p) => p.finish(BLOB_URI),
                    Encoded::Empty => &[],
                };
                black_box(ev.len())
            })
        });
    }
    group.finish();
}

/// zlib-rs level 5 through flate2 on a reused stream into `out`.
fn zlib_rs5(z: &mut Compress, body: &[u8], out: &mut Vec<u8>) {
    z.reset();
    out.clear();
    out.reserve(body.len() / 2 + 64);
    loop {
        let input = body.get(z.total_in() as usize..).unwrap_or(&[]);
        let status = z
            .compress_vec(input, out, FlushCompress::Finish)
            .expect("zlib");
        if status == flate2::Status::StreamEnd {
            return;
        }
        out.reserve(out.capacity().max(64));
    }
}

/// libdeflate level 5 into a reused buffer sized to its bound (the client's
/// compressor for small bodies before its own, `src/compress/deflate.rs`).
fn libdeflate5(c: &mut libdeflater::Compressor, input: &[u8], out: &mut Vec<u8>) {
    let bound = c.zlib_compress_bound(input.len());
    out.resize(bound, 0);
    let len = c.zlib_compress(input, out).expect("bound fits");
    out.truncate(len);
}

/// Encoding followed by `compress` into reused buffers, per notification size. The
/// POST body is the event; a blob notification's resources are uploaded uncompressed
/// (`docs/protocol.md` sections 2 and 7).
fn bench_encode_then(
    c: &mut Criterion,
    group: &str,
    mut compress: impl FnMut(&[u8], &mut Vec<u8>),
) {
    let props: Value = serde_json::from_str(NODE).expect("node.json");
    let enc = Encoder::default();
    let mut g = c.benchmark_group(group);
    for count in SIZES {
        let n = notification(&props, count);
        let (mut buf, mut body, mut compressed) = (EncodeBuf::new(), Vec::new(), Vec::new());
        let mut run = |buf: &mut EncodeBuf, body: &mut Vec<u8>, compressed: &mut Vec<u8>| {
            encode_once(&enc, black_box(&n), buf, body);
            compress(body, compressed);
            compressed.len()
        };
        let zlen = run(&mut buf, &mut body, &mut compressed);
        println!("{group}/{count}: body {} bytes -> {zlen} bytes", body.len());
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(count), |b| {
            b.iter(|| black_box(run(&mut buf, &mut body, &mut compressed)))
        });
    }
    g.finish();
}

fn bench_encode_zlib(c: &mut Criterion) {
    let mut z = Compress::new(Compression::new(5), true);
    bench_encode_then(c, "encode_zlib5", |body, out| zlib_rs5(&mut z, body, out));
}

/// Encoding followed by the client's own compressor, as a worker does.
fn bench_encode_client(c: &mut Criterion) {
    let mut z = Zlib::default();
    bench_encode_then(c, "encode_client_zlib", |body, out| {
        z.compress(body, out).expect("zlib")
    });
}

/// Compression alone, each compressor reused, on 1, 4 and 10-node event bodies.
fn bench_zlib_only(c: &mut Criterion) {
    let props: Value = serde_json::from_str(NODE).expect("node.json");
    let mut group = c.benchmark_group("zlib_only");
    for count in [1, 4, 10] {
        let n = notification(&props, count);
        let (mut buf, mut body) = (EncodeBuf::new(), Vec::new());
        encode_once(&Encoder::default(), &n, &mut buf, &mut body);
        let mut out = Vec::with_capacity(body.len() + 64);
        let mut ours = Zlib::default();
        group.bench_function(BenchmarkId::new("client", count), |b| {
            b.iter(|| {
                ours.compress(black_box(&body), &mut out).expect("zlib");
                black_box(out.len())
            })
        });
        let level = libdeflater::CompressionLvl::new(5).expect("level 5");
        let mut ld = libdeflater::Compressor::new(level);
        group.bench_function(BenchmarkId::new("libdeflate5", count), |b| {
            b.iter(|| {
                libdeflate5(&mut ld, black_box(&body), &mut out);
                black_box(out.len())
            })
        });
        let mut z = Compress::new(Compression::new(5), true);
        group.bench_function(BenchmarkId::new("zlib_rs5", count), |b| {
            b.iter(|| {
                zlib_rs5(&mut z, black_box(&body), &mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();
}

fn bench_construct(c: &mut Criterion) {
    let props: Value = serde_json::from_str(NODE).expect("node.json");
    let id = node_id(7);
    c.bench_function("construct_resource", |b| {
        b.iter(|| {
            let id = ResourceId::parse(black_box(&id)).expect("id");
            let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", black_box(&props))
                .expect("arm");
            black_box(NotificationResource::new(arm, ChangeAction::Update))
        })
    });
}

criterion_group!(
    benches,
    bench_encode,
    bench_encode_zlib,
    bench_encode_client,
    bench_zlib_only,
    bench_construct
);
criterion_main!(benches);
