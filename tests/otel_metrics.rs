//! The `opentelemetry` feature end to end: a client over the scripted fake transport,
//! its metrics registered on an OpenTelemetry SDK `MeterProvider` with the SDK's
//! in-memory exporter, and the exported instruments checked against what the test did
//! and against `Client::stats()`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::metrics::{
    self, Metrics, CURRENT_PROMISE_COUNT, EVENT_SENT, EVENT_SENT_BYTES, EVENT_SENT_MS, PROMISE,
};
use arn_client::testing::{Behavior, FakeTransport, Gate};
use arn_client::{Stats, LATENCY_BUCKETS_MS};
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, Metric, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, SdkMeterProvider};

use common::{builder, node, node_id, with_properties};

/// An SDK provider whose periodic reader exports into the returned in-memory exporter
/// (on a plain thread; `force_flush` exports now).
fn provider() -> (SdkMeterProvider, InMemoryMetricExporter) {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_periodic_exporter(exporter.clone())
        .build();
    (provider, exporter)
}

/// Collects now and returns that export.
fn collect(provider: &SdkMeterProvider, exporter: &InMemoryMetricExporter) -> ResourceMetrics {
    exporter.reset();
    provider.force_flush().expect("force flush");
    let mut exports = exporter.get_finished_metrics().expect("exported metrics");
    exports.pop().expect("one export")
}

fn metric<'a>(rm: &'a ResourceMetrics, name: &str) -> &'a Metric {
    let mut found = rm
        .scope_metrics()
        .filter(|s| s.scope().name() == metrics::METER_NAME)
        .flat_map(|s| s.metrics())
        .filter(|m| m.name() == name);
    let m = found
        .next()
        .unwrap_or_else(|| panic!("{name} not exported"));
    assert!(found.next().is_none(), "{name} exported twice");
    m
}

/// Attributes as `"k=v,k=v"`, sorted by key.
fn attrs<'a>(kvs: impl Iterator<Item = &'a KeyValue>) -> String {
    let sorted: BTreeMap<String, String> = kvs
        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect();
    let pairs: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(",")
}

/// A monotonic u64 counter's values by attribute set.
fn counter(rm: &ResourceMetrics, name: &str) -> BTreeMap<String, u64> {
    match metric(rm, name).data() {
        AggregatedMetrics::U64(MetricData::Sum(sum)) => {
            assert!(sum.is_monotonic(), "{name} is a counter");
            sum.data_points()
                .map(|p| (attrs(p.attributes()), p.value()))
                .collect()
        }
        other => panic!("{name} is not a u64 counter: {other:?}"),
    }
}

/// An i64 up/down counter's value (one series, no attributes).
fn up_down(rm: &ResourceMetrics, name: &str) -> i64 {
    match metric(rm, name).data() {
        AggregatedMetrics::I64(MetricData::Sum(sum)) => {
            assert!(!sum.is_monotonic(), "{name} is an up/down counter");
            let points: Vec<_> = sum.data_points().collect();
            assert_eq!(points.len(), 1, "{name} has one series");
            assert_eq!(attrs(points[0].attributes()), "");
            points[0].value()
        }
        other => panic!("{name} is not an i64 up/down counter: {other:?}"),
    }
}

/// One series of the latency histogram.
#[derive(Debug)]
struct Series {
    count: u64,
    buckets: Vec<u64>,
    bounds: Vec<f64>,
    sum: u64,
}

/// The latency histogram's series by attribute set (only those with recorded sends).
fn histogram(rm: &ResourceMetrics) -> BTreeMap<String, Series> {
    match metric(rm, EVENT_SENT_MS).data() {
        AggregatedMetrics::U64(MetricData::Histogram(h)) => h
            .data_points()
            .map(|p| {
                let series = Series {
                    count: p.count(),
                    buckets: p.bucket_counts().collect(),
                    bounds: p.bounds().collect(),
                    sum: p.sum(),
                };
                (attrs(p.attributes()), series)
            })
            .collect(),
        other => panic!("{EVENT_SENT_MS} is not a u64 histogram: {other:?}"),
    }
}

/// The latency histogram's count, all series together.
fn histogram_count(rm: &ResourceMetrics) -> u64 {
    histogram(rm).values().map(|s| s.count).sum()
}

/// The attribute set of the event instruments, as [`attrs`] prints it.
fn form(success: bool, inline: bool) -> String {
    format!("inline={inline},success={success}")
}

const FORMS: [(bool, bool); 4] = [(true, true), (true, false), (false, true), (false, false)];

/// What `arn_sdk_event_sent`, `arn_sdk_event_sent_bytes` and `arn_sdk_promise` should
/// report for these counters.
fn expected_counters(
    stats: &Stats,
) -> (
    BTreeMap<String, u64>,
    BTreeMap<String, u64>,
    BTreeMap<String, u64>,
) {
    let events = BTreeMap::from([
        (
            "inline=true,success=true".to_owned(),
            stats.events_sent_inline,
        ),
        (
            "inline=false,success=true".to_owned(),
            stats.events_sent_blob,
        ),
        (
            "inline=true,success=false".to_owned(),
            stats.events_failed_inline,
        ),
        (
            "inline=false,success=false".to_owned(),
            stats.events_failed_blob,
        ),
    ]);
    let bytes = BTreeMap::from([
        (
            "inline=true,success=true".to_owned(),
            stats.bytes_sent_inline,
        ),
        (
            "inline=false,success=true".to_owned(),
            stats.bytes_sent_blob,
        ),
        (
            "inline=true,success=false".to_owned(),
            stats.bytes_failed_inline,
        ),
        (
            "inline=false,success=false".to_owned(),
            stats.bytes_failed_blob,
        ),
    ]);
    let promises = BTreeMap::from([
        (
            "error=false,timeout=false".to_owned(),
            stats.promises_completed - stats.promises_failed,
        ),
        ("error=true,timeout=false".to_owned(), stats.promises_failed),
        (
            "error=true,timeout=true".to_owned(),
            stats.promises_timed_out,
        ),
    ]);
    (events, bytes, promises)
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

#[test]
fn the_five_instruments_report_what_happened_and_match_stats() {
    let (provider, exporter) = provider();
    let fake = FakeTransport::new();
    let client = Arc::new(builder(&fake, 1).build().expect("client"));
    let _metrics = metrics::register(&client, &provider);

    // One worker, so the scripted answers go to the posts in this order.
    let gate = Gate::new();
    fake.script_posts([
        Behavior::Ok,                 // a: inline, notify
        Behavior::Http(400),          // b: inline, notify, rejected
        Behavior::Ok,                 // c: blob, notify
        Behavior::Http(400),          // d: inline, promise, rejected
        Behavior::Gate(gate.clone()), // e: inline, promise, waited past a timeout
        Behavior::Ok,                 // f: inline, fire-and-forget
        Behavior::Ok,                 // g: inline, promise not waited on
    ]);
    let a = client.notify(node(&node_id(0), 1)).expect("a accepted");
    client.notify(node(&node_id(1), 1)).expect_err("b rejected");
    let big = serde_json::json!({ "pad": "x".repeat(50_000) });
    let c = client
        .notify(with_properties(&node_id(2), &big))
        .expect("c accepted");
    assert!(a.inline && !c.inline);
    let d = client.send_async(node(&node_id(3), 1)).expect("d queued");
    d.wait().expect_err("d rejected");
    let e = client.send_async(node(&node_id(4), 1)).expect("e queued");
    let e = e
        .wait_timeout(Duration::from_millis(20))
        .expect_err("e is held at the gate: the wait runs out");
    gate.open();
    let e = e.wait().expect("e accepted");
    client.submit(node(&node_id(5), 1)).expect("f queued");
    let g = client.send_async(node(&node_id(6), 1)).expect("g queued");
    client.flush(deadline()).expect("flushed");
    assert!(g.is_ready());

    let stats = client.stats();
    let posts = fake.posts();
    assert_eq!(posts.len(), 7);
    let rm = collect(&provider, &exporter);

    // What happened.
    let events = counter(&rm, EVENT_SENT);
    assert_eq!(events["inline=true,success=true"], 4, "a, e, f, g");
    assert_eq!(events["inline=false,success=true"], 1, "c");
    assert_eq!(events["inline=true,success=false"], 2, "b, d");
    assert_eq!(events["inline=false,success=false"], 0);
    // Compression is off: the bytes posted are the recorded bodies.
    let body_len = |i: usize| posts[i].body.len();
    assert_eq!(
        (a.sent_bytes, c.sent_bytes, e.sent_bytes),
        (body_len(0), body_len(2), body_len(4))
    );
    let sum_of = |posts: &[usize]| posts.iter().map(|&i| body_len(i) as u64).sum::<u64>();
    let bytes = counter(&rm, EVENT_SENT_BYTES);
    assert_eq!(
        bytes,
        BTreeMap::from([
            (form(true, true), sum_of(&[0, 4, 5, 6])), // a, e, f, g
            (form(true, false), sum_of(&[2])),         // c: the event, not the blob
            (form(false, true), sum_of(&[1, 3])),      // b, d: rejected, posted all the same
            (form(false, false), 0),
        ])
    );
    assert!(
        bytes[&form(true, false)] < 50_000,
        "c's blob is not counted"
    );
    assert_eq!(
        bytes[&form(true, true)] + bytes[&form(true, false)],
        stats.bytes_sent,
        "success=true is Stats::bytes_sent, accepted events only"
    );
    let promises = counter(&rm, PROMISE);
    assert_eq!(promises["error=false,timeout=false"], 3, "a, c, e");
    assert_eq!(promises["error=true,timeout=false"], 2, "b, d");
    assert_eq!(promises["error=true,timeout=true"], 1, "e's first wait");
    assert_eq!(up_down(&rm, CURRENT_PROMISE_COUNT), 1, "g");
    let latency = histogram(&rm);
    let counts: BTreeMap<&str, u64> = latency.iter().map(|(k, s)| (k.as_str(), s.count)).collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("inline=true,success=true", 4),  // a, e, f, g
            ("inline=false,success=true", 1), // c
            ("inline=true,success=false", 2), // b, d
        ]),
        "every post, accepted or not, under its success and inline; no blob failed"
    );
    assert_eq!(histogram_count(&rm), 7);
    let expected_bounds: Vec<f64> = LATENCY_BUCKETS_MS.iter().map(|&b| b as f64).collect();
    for (attrs, series) in &latency {
        assert_eq!(series.bounds, expected_bounds, "{attrs}");
        assert!(
            series.sum >= series.count,
            "{attrs}: each send recorded at its bucket's upper bound (>= 1 ms)"
        );
    }

    // The same as Stats.
    let (stats_events, stats_bytes, stats_promises) = expected_counters(&stats);
    assert_eq!(events, stats_events);
    assert_eq!(bytes, stats_bytes);
    assert_eq!(promises, stats_promises);
    assert_eq!(
        up_down(&rm, CURRENT_PROMISE_COUNT) as u64,
        stats.promises_active
    );
    for (success, inline) in FORMS {
        let expected = stats.send_latency_of(success, inline);
        match latency.get(&form(success, inline)) {
            Some(series) => {
                assert_eq!(series.buckets, expected.counts.to_vec());
                assert_eq!(series.count, expected.total());
            }
            None => assert_eq!(expected.total(), 0, "{}", form(success, inline)),
        }
    }
    assert_eq!(histogram_count(&rm), stats.send_latency.total());

    // Names, descriptions, no units: the reference's.
    for (name, description) in [
        (EVENT_SENT, "total number of events sent by the ARN client"),
        (
            EVENT_SENT_BYTES,
            "total number of bytes in event data sent by the ARN client",
        ),
        (EVENT_SENT_MS, "time spent to send ARN event"),
        (PROMISE, "total number of promises made by the ARN client"),
        (
            CURRENT_PROMISE_COUNT,
            "current number of promises made by the ARN client",
        ),
    ] {
        let m = metric(&rm, name);
        assert_eq!(m.description(), description);
        assert_eq!(m.unit(), "");
    }

    // A second collection adds nothing new: the histogram is not replayed twice.
    drop(g);
    let rm = collect(&provider, &exporter);
    let again: BTreeMap<String, u64> = histogram(&rm)
        .into_iter()
        .map(|(k, s)| (k, s.count))
        .collect();
    assert_eq!(
        again,
        counts
            .iter()
            .map(|(&k, &n)| (k.to_owned(), n))
            .collect::<BTreeMap<_, _>>()
    );
    assert_eq!(counter(&rm, EVENT_SENT), stats_events);
    assert_eq!(counter(&rm, EVENT_SENT_BYTES), stats_bytes);
    assert_eq!(up_down(&rm, CURRENT_PROMISE_COUNT), 0);

    client.close(deadline()).expect("closed");
}

#[test]
fn clients_sharing_a_provider_are_summed_and_a_dropped_one_keeps_its_counts() {
    let (provider, exporter) = provider();
    let metrics = Metrics::new(&provider);
    let fake_a = FakeTransport::new();
    let fake_b = FakeTransport::new();
    let a = Arc::new(builder(&fake_a, 2).build().expect("client a"));
    let b = Arc::new(builder(&fake_b, 2).build().expect("client b"));
    metrics.observe(&a);
    metrics.observe(&a); // a second time changes nothing
    metrics.observe(&b);

    fake_b.script_posts([Behavior::Http(400)]);
    a.notify(node(&node_id(0), 1)).expect("a's first");
    a.notify(node(&node_id(1), 1)).expect("a's second");
    b.notify(node(&node_id(0), 1)).expect_err("b's rejected");
    b.notify(node(&node_id(1), 1)).expect("b's accepted");
    let (sa, sb) = (a.stats(), b.stats());
    let accepted = sa.bytes_sent + sb.bytes_sent;
    let rejected = sb.bytes_failed_inline;
    assert!(rejected > 0 && sa.bytes_failed_inline == 0);
    assert_eq!(rejected, fake_b.posts()[0].body.len() as u64);

    let rm = collect(&provider, &exporter);
    let events = counter(&rm, EVENT_SENT);
    assert_eq!(events["inline=true,success=true"], 3);
    assert_eq!(events["inline=true,success=false"], 1);
    let bytes = counter(&rm, EVENT_SENT_BYTES);
    assert_eq!(bytes[&form(true, true)], accepted);
    assert_eq!(bytes[&form(false, true)], rejected);
    assert_eq!(bytes[&form(true, false)] + bytes[&form(false, false)], 0);
    let latency = histogram(&rm);
    assert_eq!(latency[&form(true, true)].count, 3);
    assert_eq!(latency[&form(false, true)].count, 1);
    assert_eq!(histogram_count(&rm), 4);

    // b goes away: its counts stay (counters never go back), a's keep growing.
    b.close(deadline()).expect("b closed");
    drop(b);
    a.notify(node(&node_id(2), 1)).expect("a's third");
    let rm = collect(&provider, &exporter);
    let events = counter(&rm, EVENT_SENT);
    assert_eq!(events["inline=true,success=true"], 4);
    assert_eq!(events["inline=true,success=false"], 1);
    let bytes_now = counter(&rm, EVENT_SENT_BYTES);
    assert_eq!(
        bytes_now[&form(true, true)],
        a.stats().bytes_sent + sb.bytes_sent
    );
    assert_eq!(bytes_now[&form(false, true)], rejected, "b's stay");
    let latency = histogram(&rm);
    assert_eq!(latency[&form(true, true)].count, 4);
    assert_eq!(latency[&form(false, true)].count, 1);
    assert_eq!(histogram_count(&rm), 5);
    assert_eq!(counter(&rm, PROMISE)["error=true,timeout=false"], 1);
    assert_eq!(format!("{metrics:?}"), "Metrics { clients: 1, .. }");

    a.close(deadline()).expect("a closed");
}
