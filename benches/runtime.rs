//! Runtime overhead: notifications per second through the worker pool with a no-op
//! transport (1, 2, 4, 8 workers, compression on), the promise round trip, and the same
//! encode + compress work (the client's own compressor, `src/compress.rs`) in a plain
//! single-thread loop for comparison.
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use arn_client::model::{EncodeBuf, Encoded, Encoder, Notification, DEFAULT_INLINE_THRESHOLD};
use arn_client::testing::FakeTransport;
use arn_client::transport::Zlib;
use arn_client::Client;

#[path = "../tests/common/mod.rs"]
mod common;

/// 64 one-resource AKS node notifications (node.json) about different nodes.
fn nodes() -> Vec<Notification> {
    let template = common::aks_node();
    (0..64)
        .map(|i| {
            let mut n = template.clone();
            let props = serde_json::from_str::<serde_json::Value>(
                n.resources[0].arm_resource.properties().unwrap(),
            )
            .unwrap();
            n.resources = common::with_properties(&common::node_id(i), &props).resources;
            n
        })
        .collect()
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

fn pool_throughput(c: &mut Criterion) {
    let nodes = nodes();
    let mut group = c.benchmark_group("pool_throughput");
    group.throughput(Throughput::Elements(1));
    for workers in [1, 2, 4, 8] {
        let fake = FakeTransport::noop();
        let client = Client::with_transports(fake.clone())
            .blob_store(fake)
            .workers(workers)
            .compression(true)
            .build()
            .unwrap();
        group.bench_function(format!("{workers}_workers"), |b| {
            b.iter_custom(|iters| {
                let batch: Vec<_> = (0..iters as usize)
                    .map(|i| nodes[i % nodes.len()].clone())
                    .collect();
                let start = Instant::now();
                for n in batch {
                    client.submit(n).unwrap();
                }
                client.flush(far()).unwrap();
                start.elapsed()
            })
        });
    }
    group.finish();
}

fn promise_round_trip(c: &mut Criterion) {
    let n = nodes().swap_remove(0);
    let fake = FakeTransport::noop();
    let client = Client::with_transports(fake.clone())
        .blob_store(fake)
        .workers(4)
        .compression(true)
        .build()
        .unwrap();
    c.bench_function("promise_round_trip", |b| {
        b.iter_batched(
            || n.clone(),
            |n| client.send_async(n).unwrap().wait().unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
}

fn single_thread_loop(c: &mut Criterion) {
    let nodes = nodes();
    let encoder = Encoder::new(DEFAULT_INLINE_THRESHOLD);
    let mut buf = EncodeBuf::default();
    let mut z = Zlib::default();
    let mut out = Vec::new();
    let mut group = c.benchmark_group("single_thread");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("encode_compress", |b| {
        b.iter(|| {
            i = (i + 1) % nodes.len();
            let Ok(Encoded::Inline(event)) = encoder.encode(&nodes[i], &mut buf) else {
                panic!("inline event expected");
            };
            z.compress(event, &mut out).unwrap();
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    pool_throughput,
    promise_round_trip,
    single_thread_loop
);
criterion_main!(benches);
