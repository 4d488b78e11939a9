//! One thread calling [`Client::notify`] in a loop, against a bare ureq loop POSTing
//! the same event bodies, pre-built, from the calling thread (issue 10: the client
//! should reach at least 0.95x of the bare loop). Local HTTPS receiver, real TLS on
//! loopback, 1-resource notifications.
//!
//! For each receiver latency (0 and 5 ms) and compression setting it runs 10
//! alternating rounds (client, bare loop, bare loop without lookups) and prints
//! min/median/max of each and of the per-round ratios. The bare loops do none of the
//! client's work: no validation, no encoding, no compression (their bodies are
//! compressed before the clock starts), no retries.
//!
//! Two bare loops: a plain ureq agent, which resolves the host on a new thread before
//! every request (what issue 10 compares with), and the same agent with a resolver
//! that answers the receiver's address at once. The client caches lookups
//! (`src/transport/resolver.rs`), so the second ratio is the client's own overhead.
//!
//! `cargo bench --bench single_caller` (all), `-- quick` (3 pairs, 0 ms, uncompressed).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ResourceId,
};
use arn_client::testing::{ArnReceiver, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;

mod common;
use common::{no_lookup, post, zlib, TOKEN};

/// Notification `seq`: one AKS node of one of 64 clusters.
fn notification(seq: usize) -> Notification {
    let id = ResourceId::parse(&format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc{}/nodes/n{seq}",
        seq % 64
    ))
    .expect("a valid id");
    let props = serde_json::json!({"seq": seq, "ready": true, "kubeletVersion": "1.30.1"});
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props).expect("arm");
    let r = NotificationResource::new(arm, ChangeAction::Update);
    Notification::new("eastus", "Microsoft.ContainerService", vec![r])
}

/// `notify` each of `notes` (built before the clock starts, as the bare loop's bodies
/// are).
fn client_rate(client: &Client, notes: Vec<Notification>) -> f64 {
    let count = notes.len();
    let start = Instant::now();
    for n in notes {
        client.notify(n).expect("delivered");
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// The bodies the client would send for `notes`, compressed or not.
fn bodies(notes: &[Notification], compression: bool) -> Vec<Vec<u8>> {
    let encoder = Encoder::new(42_000);
    let mut buf = EncodeBuf::new();
    notes
        .iter()
        .map(|n| {
            let Encoded::Inline(b) = encoder.encode(n, &mut buf).expect("encodes") else {
                unreachable!("1-resource notifications go inline")
            };
            if compression {
                zlib(b)
            } else {
                b.to_vec()
            }
        })
        .collect()
}

/// POSTs each body from this thread, one after the other, as the client would.
fn bare_rate(agent: &ureq::Agent, url: &str, bodies: &[Vec<u8>], compression: bool) -> f64 {
    let start = Instant::now();
    for b in bodies {
        post(agent, url, b, compression);
    }
    bodies.len() as f64 / start.elapsed().as_secs_f64()
}

/// CPU time (ns) this thread, and the whole process, have run so far (Linux
/// schedstat; 0 elsewhere).
fn cpu_ns() -> (u64, u64) {
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let thread = read("/proc/thread-self/schedstat".as_ref());
    let process = std::fs::read_dir("/proc/self/task")
        .map(|d| d.flatten().map(|t| read(&t.path().join("schedstat"))).sum())
        .unwrap_or(0);
    (thread, process)
}

/// Runs `f`; returns its result and the CPU µs per item of this thread and of the
/// process.
fn with_cpu(items: usize, f: impl FnOnce() -> f64) -> (f64, f64, f64) {
    let (t0, p0) = cpu_ns();
    let rate = f();
    let (t1, p1) = cpu_ns();
    let per = |d: u64| d as f64 / 1000.0 / items as f64;
    (rate, per(t1 - t0), per(p1 - p0))
}

/// (min, median, max) of `xs`.
fn spread(xs: &mut [f64]) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[0], xs[xs.len() / 2], xs[xs.len() - 1])
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let receiver = Arc::new(
        ArnReceiver::builder()
            .token(TOKEN)
            .start()
            .expect("receiver"),
    );
    let agent =
        arn_client::testing::agent_trusting(receiver.certificate_der(), Duration::from_secs(60))
            .expect("the receiver's certificate");
    let fixed = no_lookup(&agent, receiver.addr());
    let url = format!("{}/arnnotify", receiver.url());
    let runs = if quick { 3 } else { 10 };
    println!(
        "{:>7} {:>5} {:>5} {:>24} {:>24} {:>20} {:>20}",
        "latency",
        "zlib",
        "count",
        "client/s min/med/max",
        "bare/s min/med/max",
        "ratio min/med/max",
        "vs no-lookup loop"
    );
    let latencies: &[u64] = if quick { &[0] } else { &[0, 5] };
    for &latency_ms in latencies {
        receiver.set_latency(Duration::from_millis(latency_ms));
        let count = if latency_ms == 0 { 2000 } else { 200 };
        let notes: Vec<Notification> = (0..count).map(notification).collect();
        for compression in [false, true] {
            if quick && compression {
                continue;
            }
            let credential = StaticTokenCredential::new(TOKEN);
            let config = ReceiverConfig::new(receiver.url(), credential.shared())
                .add_root_certificate(receiver.certificate_pem());
            let client = Client::with_transports(config.into_transport().expect("transport"))
                .compression(compression)
                .build()
                .expect("client");
            let bodies = bodies(&notes, compression);
            // Warm up both: connections, the token, the caller's buffers.
            client_rate(&client, notes[..20].to_vec());
            bare_rate(&agent, &url, &bodies[..20], compression);
            bare_rate(&fixed, &url, &bodies[..20], compression);
            let (mut ours, mut bare, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
            let mut ratio_fixed = Vec::new();
            let (mut cpu_ours, mut cpu_bare) = ((0.0, 0.0), (0.0, 0.0));
            for _ in 0..runs {
                let run = notes.clone();
                let (c, ct, cp) = with_cpu(count, || client_rate(&client, run));
                let (b, bt, bp) = with_cpu(count, || bare_rate(&agent, &url, &bodies, compression));
                let f = bare_rate(&fixed, &url, &bodies, compression);
                ours.push(c);
                bare.push(b);
                ratio.push(c / b);
                ratio_fixed.push(c / f);
                cpu_ours = (cpu_ours.0 + ct / runs as f64, cpu_ours.1 + cp / runs as f64);
                cpu_bare = (cpu_bare.0 + bt / runs as f64, cpu_bare.1 + bp / runs as f64);
            }
            let (o, b, r) = (spread(&mut ours), spread(&mut bare), spread(&mut ratio));
            let f = spread(&mut ratio_fixed);
            println!(
                "{:>5}ms {:>5} {:>5} {:>8.0}/{:>7.0}/{:>7.0} {:>8.0}/{:>7.0}/{:>7.0} {:>6.3}/{:>6.3}/{:>6.3} {:>6.3}/{:>6.3}/{:>6.3}",
                latency_ms, compression, count, o.0, o.1, o.2, b.0, b.1, b.2, r.0, r.1, r.2, f.0, f.1, f.2
            );
            println!(
                "        CPU µs per notification (mean): caller {:.1} vs {:.1}, process {:.1} vs {:.1}",
                cpu_ours.0, cpu_bare.0, cpu_ours.1, cpu_bare.1
            );
            client
                .close(Instant::now() + Duration::from_secs(30))
                .expect("close");
        }
    }
}
