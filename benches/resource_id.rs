//! Parsing ARM resource ids and computing the subject: the per-resource cost on the
//! caller's hot path (`docs/protocol.md` sections 5 and 6).

use std::hint::black_box;

use arn_client::model::{subject, ResourceId};
use criterion::{criterion_group, criterion_main, Criterion};

const NODE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.ContainerService/managedClusters/something/nodes/aks-nodepool1-12345678-vmss000007";
const MESSY: &str = "//Subscriptions/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/test//Providers/Microsoft.ContainerService/managedClusters/something/nodes/n1/";
const EXTENSION: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myRg/providers/Microsoft.Compute/virtualMachines/myVm/providers/Microsoft.Insights/diagnosticSettings/ds1";

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("resource_id");
    g.bench_function("baseline: copy the id string", |b| {
        b.iter(|| String::from(black_box(NODE)))
    });
    g.bench_function("parse aks node", |b| {
        b.iter(|| ResourceId::parse(black_box(NODE)))
    });
    g.bench_function("parse non-canonical node", |b| {
        b.iter(|| ResourceId::parse(black_box(MESSY)))
    });
    g.bench_function("parse extension", |b| {
        b.iter(|| ResourceId::parse(black_box(EXTENSION)))
    });
    g.bench_function("parse error", |b| {
        b.iter(|| ResourceId::parse(black_box("/subscriptions/s/resourceGroups")))
    });
    let node = ResourceId::parse(NODE).unwrap();
    g.bench_function("accessors", |b| {
        b.iter(|| {
            let id = black_box(&node);
            (
                id.subscription_id(),
                id.resource_group_name(),
                id.location(),
                id.name(),
                id.parents().count(),
            )
        })
    });
    g.bench_function("type display", |b| {
        let mut out = String::with_capacity(128);
        b.iter(|| {
            use std::fmt::Write;
            out.clear();
            write!(out, "{}", black_box(&node).resource_type()).unwrap();
            out.len()
        })
    });
    g.finish();
}

fn subjects(c: &mut Criterion) {
    let ids: Vec<ResourceId> = (0..100)
        .map(|i| ResourceId::parse(&format!("{}/nodes/n{i}", &NODE[..NODE.len() - 40])).unwrap())
        .collect();
    let mut g = c.benchmark_group("subject");
    g.bench_function("100 sibling nodes", |b| {
        b.iter(|| subject(black_box(&ids)).len())
    });
    g.bench_function("one id", |b| b.iter(|| subject(black_box(&ids[..1])).len()));
    g.finish();
}

criterion_group!(benches, parse, subjects);
criterion_main!(benches);
