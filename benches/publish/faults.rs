//! The fault rows of the publish bench: 4 threads publish changes about nodes and agent
//! pools through a default client and publisher while the receiver answers a random
//! share of requests 503 or resets them; the receiver's request log tells which changes
//! shared a batch with a failed request. Also the memory row (changes queued behind a
//! stalled receiver).

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::model::{Activity, ArmResource, ChangeAction, NotificationResource, ResourceId};
use arn_client::publisher::{Change, ChangeContext, Publisher};
use arn_client::testing::{ArnReceiver, Fault, ReceivedRequest, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;

use super::{cpu, node_payload, TOKEN};

/// Nodes and agent pools the fault rows publish about (2,600 resources).
const NODES: usize = 2_000;
const POOLS: usize = 600;
/// Publishing threads; resource `r` is published by thread `r % THREADS`.
const THREADS: usize = 4;

/// A small deterministic generator (xorshift64*), so every run faults the same way.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Whether resource `r` is a node (else an agent pool).
fn is_node(r: usize) -> bool {
    r % (NODES + POOLS) < NODES
}

fn id(r: usize) -> ResourceId {
    let (kind, name) = if is_node(r) {
        ("nodes", format!("n{r}"))
    } else {
        ("agentPools", format!("ap{r}"))
    };
    format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc{}/{kind}/{name}",
        r % 20
    )
    .parse()
    .expect("a valid id")
}

/// Change `seq` about resource `r`: 70% snapshots, 25% writes, 5% deletes.
fn change(ctx: &Arc<ChangeContext>, seq: usize, r: usize, rng: &mut Rng) -> Change {
    let pool = serde_json::json!({"count": 3, "vmSize": "Standard_D4s_v5", "mode": "User", "orchestratorVersion": "1.29.2"});
    thread_local!(static NODE: serde_json::Value = node_payload());
    let id = id(r);
    let roll = rng.below(100);
    let (arm, action) = if roll < 95 {
        let activity = if roll < 70 {
            Activity::Snapshot
        } else {
            Activity::Write
        };
        let arm = if is_node(r) {
            NODE.with(|p| ArmResource::new(activity, &id, "2024-01-01", p))
        } else {
            ArmResource::new(activity, &id, "2024-01-01", &pool)
        };
        (arm.expect("arm"), ChangeAction::Update)
    } else {
        let arm = ArmResource::without_properties(Activity::Delete, &id, "2024-01-01");
        (arm.expect("arm"), ChangeAction::Delete)
    };
    let res = NotificationResource::new(arm, action).with_correlation_id(format!("c{seq}"));
    Change::new(Arc::clone(ctx), res)
}

/// A default client (4 workers, default retry policy) and publisher over `receiver`.
fn default_pair(receiver: &ArnReceiver, queue: Option<usize>) -> (Arc<Client>, Publisher) {
    let config = ReceiverConfig::new(receiver.url(), StaticTokenCredential::new(TOKEN).shared())
        .add_root_certificate(receiver.certificate_pem());
    let mut builder = Client::with_transports(config.into_transport().expect("transport"));
    if let Some(capacity) = queue {
        builder = builder.queue_capacity(capacity);
    }
    let client = Arc::new(builder.build().expect("client"));
    let publisher = Publisher::builder(Arc::clone(&client))
        .build()
        .expect("publisher");
    (client, publisher)
}

/// One fault row's figures.
pub struct FaultRun {
    pub per_s: f64,
    /// Paced runs: outcomes that came before the last publish call returned, per
    /// second of publishing.
    pub kept_up_per_s: f64,
    pub requests: usize,
    pub failed_requests: usize,
    /// Changes that ended in a failure (retries exhausted).
    pub failures: usize,
    pub cpu_us_per_change: f64,
    /// p99 publish-to-outcome of every change, of the changes that shared no batch
    /// with a failed request, and of those whose resource was never in one.
    pub p99_all_ms: f64,
    pub p99_clean_ms: f64,
    pub p99_untouched_ms: f64,
    pub clean: usize,
    pub untouched: usize,
}

/// The correlation ids (`c{seq}`) of the changes a request carried.
fn carried(req: &ReceivedRequest) -> Vec<usize> {
    let mut body = Vec::new();
    let text = if req.compressed {
        let _ = flate2::read::ZlibDecoder::new(&req.body[..]).read_to_end(&mut body);
        &body[..]
    } else {
        &req.body[..]
    };
    let needle = br#""correlationId":"c"#;
    let mut seqs = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].windows(needle.len()).position(|w| w == needle) {
        let start = i + at + needle.len();
        let end = start
            + text[start..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        if let Ok(seq) = std::str::from_utf8(&text[start..end]).unwrap_or("").parse() {
            seqs.push(seq);
        }
        i = end;
    }
    seqs
}

/// Publishes `count` changes from 4 threads with `rate` of the requests answered 503
/// (half) or reset (half), as fast as they go or at `pace` changes per second in all;
/// waits for every outcome.
pub fn fault_run(count: usize, rate: f64, pace: Option<f64>, seed: u64) -> FaultRun {
    let receiver = ArnReceiver::start(TOKEN).expect("receiver");
    receiver.set_latency(Duration::from_millis(2));
    let mut rng = Rng::new(seed);
    let faults = (0..count * 2).map(|_| {
        let roll = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        if roll < rate / 2.0 {
            Fault::Status(503)
        } else if roll < rate {
            Fault::Reset
        } else {
            Fault::Status(200)
        }
    });
    receiver.script(faults.collect::<Vec<_>>());
    let (client, publisher) = default_pair(&receiver, None);
    let ctx = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    let resources: Vec<usize> = (0..count).map(|_| rng.below(NODES + POOLS)).collect();
    let mut lanes: Vec<Vec<(usize, Change)>> = (0..THREADS).map(|_| Vec::new()).collect();
    for (seq, &r) in resources.iter().enumerate() {
        lanes[r % THREADS].push((seq, change(&ctx, seq, r, &mut rng)));
    }
    let cpu0 = cpu();
    let start = Instant::now();
    let published: Vec<(usize, Instant)> = std::thread::scope(|s| {
        let threads: Vec<_> = lanes
            .into_iter()
            .map(|lane| {
                let publisher = &publisher;
                s.spawn(move || {
                    let mut times = Vec::with_capacity(lane.len());
                    for (seq, c) in lane {
                        if let Some(per_s) = pace {
                            let due = start + Duration::from_secs_f64(seq as f64 / per_s);
                            std::thread::sleep(due.saturating_duration_since(Instant::now()));
                        }
                        times.push((seq, Instant::now()));
                        publisher.submit(c).expect("submit");
                    }
                    times
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("publishing thread"))
            .collect()
    });
    let published_for = start.elapsed();
    publisher
        .flush(Instant::now() + Duration::from_secs(600))
        .expect("flush");
    let elapsed = start.elapsed();
    let cpu_used = cpu() - cpu0;
    let failures = publisher.errors().try_iter().count();
    let _ = publisher.close(Instant::now() + Duration::from_secs(60));
    let _ = client.close(Instant::now() + Duration::from_secs(60));

    // Which request carried each change, and when its answer came.
    let requests = receiver.requests();
    let mut done: HashMap<usize, Instant> = HashMap::new();
    let mut in_failed: HashSet<usize> = HashSet::new();
    let mut failed_requests = 0;
    for req in &requests {
        let seqs = carried(req);
        if req.status == Some(200) {
            done.extend(seqs.iter().map(|&s| (s, req.answered)));
        } else {
            failed_requests += 1;
            in_failed.extend(seqs);
        }
    }
    let touched: HashSet<usize> = in_failed.iter().map(|&s| resources[s]).collect();
    // A coalesced change's outcome is the one of the next sent change of its resource.
    let mut sent_by_resource: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut sent: Vec<usize> = done.keys().copied().collect();
    sent.sort_unstable();
    for &s in &sent {
        sent_by_resource.entry(resources[s]).or_default().push(s);
    }
    let (mut all, mut clean, mut untouched) = (Vec::new(), Vec::new(), Vec::new());
    let mut outcomes = Vec::new();
    for &(seq, t) in &published {
        let Some(carrier) = sent_by_resource
            .get(&resources[seq])
            .and_then(|v| v.get(v.partition_point(|&s| s < seq)))
        else {
            continue; // failed: retries exhausted
        };
        let latency = done[carrier].saturating_duration_since(t);
        outcomes.push(done[carrier]);
        all.push(latency);
        if !in_failed.contains(&seq) && !in_failed.contains(carrier) {
            clean.push(latency);
        }
        if !touched.contains(&resources[seq]) {
            untouched.push(latency);
        }
    }
    let kept_up = outcomes
        .iter()
        .filter(|&&t| t <= start + published_for)
        .count();
    let p99 = |v: &mut Vec<Duration>| {
        v.sort_unstable();
        v.get((v.len().saturating_sub(1)) * 99 / 100)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    FaultRun {
        per_s: count as f64 / elapsed.as_secs_f64(),
        kept_up_per_s: kept_up as f64 / published_for.as_secs_f64(),
        requests: requests.len(),
        failed_requests,
        failures,
        cpu_us_per_change: cpu_used.as_secs_f64() * 1e6 / count as f64,
        p99_all_ms: p99(&mut all),
        p99_clean_ms: p99(&mut clean),
        p99_untouched_ms: p99(&mut untouched),
        clean: clean.len(),
        untouched: untouched.len(),
    }
}

/// Resident set size of this process, in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Bytes of resident memory per change held: `count` changes about distinct nodes,
/// built and published while the receiver stalls every request (so nothing leaves).
pub fn memory_per_pending(count: usize) -> f64 {
    let receiver = ArnReceiver::start(TOKEN).expect("receiver");
    // One stalled request per worker: nothing else leaves while we measure.
    receiver.script(vec![Fault::Stall; 4]);
    let (client, publisher) = default_pair(&receiver, Some(count + 1_000));
    let ctx = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    let mut rng = Rng::new(7);
    let before = rss();
    for seq in 0..count {
        // Distinct nodes: nothing coalesces, every change stays pending.
        let c = change(&ctx, seq, seq * (NODES + POOLS), &mut rng);
        publisher.submit(c).expect("submit");
    }
    receiver.wait_for_stalled(4, Duration::from_secs(10));
    let grown = rss().saturating_sub(before);
    receiver.release_stalled();
    let _ = publisher.close(Instant::now() + Duration::from_secs(60));
    let _ = client.close(Instant::now() + Duration::from_secs(60));
    grown as f64 / count as f64
}
