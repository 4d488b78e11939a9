//! OpenTelemetry metrics (feature `opentelemetry`): the reference Go client's five
//! instruments, under its names and attributes, registered on a
//! [`MeterProvider`] you supply (the Go client's `WithMeterProvider`), so dashboards
//! built on the Go client keep working. The provider is any implementation of the
//! `opentelemetry` 0.33 API (usually `opentelemetry_sdk`'s `SdkMeterProvider`, with
//! the OTLP or Prometheus exporter); this feature adds only that API crate, no SDK and
//! no async runtime.
//!
//! A service that serves Prometheus text adds these, none of which brings an async
//! runtime (`examples/app/Cargo.toml` builds them in CI, which checks that `cargo tree`
//! has no tokio; `examples/metrics_prometheus.rs` runs them against the local receiver):
//!
//! ```toml
//! arn-client = { version = "0.1", features = ["opentelemetry"] }
//! opentelemetry_sdk = { version = "0.33", default-features = false, features = ["metrics"] }
//! opentelemetry-prometheus = "0.33"
//! prometheus = { version = "0.14", default-features = false }
//! ```
//!
//! (Not `opentelemetry_sdk`'s `testing` feature: its `InMemoryMetricExporter` is for
//! tests, and the feature brings tokio.)
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//!
//! use arn_client::testing::FakeTransport;
//! use arn_client::Client;
//! use opentelemetry_sdk::metrics::SdkMeterProvider;
//! use prometheus::{Encoder, TextEncoder};
//!
//! // Your application's provider, here with the Prometheus exporter.
//! let registry = prometheus::Registry::new();
//! let exporter = opentelemetry_prometheus::exporter()
//!     .with_registry(registry.clone())
//!     .build()?;
//! let provider = SdkMeterProvider::builder().with_reader(exporter).build();
//!
//! let client = Arc::new(Client::with_transports(FakeTransport::new()).build()?);
//! arn_client::metrics::register(&client, &provider);
//!
//! // A scrape of `/metrics`: gathering the registry reads the client's counters.
//! let mut text = Vec::new();
//! TextEncoder::new().encode(&registry.gather(), &mut text)?;
//! let text = String::from_utf8(text)?;
//! assert!(text.contains("arn_sdk_event_sent_total"));
//! # Ok(()) }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() {}
//! ```
//!
//! # The instruments
//!
//! | name | kind | attributes | read from [`Stats`] |
//! | --- | --- | --- | --- |
//! | `arn_sdk_event_sent` | counter | `success`, `inline` | `events_{sent,failed}_{inline,blob}` |
//! | `arn_sdk_event_sent_bytes` | counter | `success`, `inline` | `bytes_{sent,failed}_{inline,blob}` |
//! | `arn_sdk_event_sent_ms` | histogram | `success`, `inline` | `send_latency_{sent,failed}_{inline,blob}` |
//! | `arn_sdk_promise` | counter | `error`, `timeout` | `promises_completed`, `promises_failed`, `promises_timed_out` |
//! | `arn_sdk_current_promise_count` | up/down counter | none | `promises_active` |
//!
//! The meter is named `arn`, like the reference's, with this crate's version. No
//! instrument has a unit, as in the reference: Prometheus exporters append the unit to
//! the name, which would rename `arn_sdk_event_sent_ms`. The descriptions are the
//! reference's.
//!
//! The three event instruments count each event once, after its retries:
//! `success=true` if the receiver accepted it, `inline=true` if the notification went
//! in the event's body rather than through blob storage. `arn_sdk_event_sent_bytes`
//! counts the body posted (compressed when compression is on; for a blob event, the
//! event pointing to the blob), for rejected events too; `success=true` is
//! [`Stats::bytes_sent`]. `arn_sdk_event_sent_ms` times the blob upload and the POST
//! with its retries.
//!
//! `arn_sdk_promise` counts outcomes handed to promise waiters (`notify` waits on one
//! too) as `error=false`/`error=true` with `timeout=false`, and waits that ran out of
//! time ([`Promise::wait_timeout`](crate::Promise::wait_timeout)) as `error=true,
//! timeout=true`, as the reference does. Here a timed-out wait hands the promise back,
//! so a promise waited on again is counted twice: its timeout, then its outcome.
//!
//! # Design: the client's own counters, read when the exporter collects
//!
//! Like rdkafka's statistics, the metrics are a view of counters the client keeps
//! anyway ([`Client::stats`]), not a second set: the four counters are OpenTelemetry
//! *observable* instruments whose callbacks read `Client::stats()` when your reader
//! collects. Sending pays nothing for metrics, they cost nothing when no exporter
//! collects, and what the exporter shows is exactly what `Client::stats()` says.
//!
//! OpenTelemetry has no observable histogram, so `arn_sdk_event_sent_ms` is a real
//! histogram into which each collection records the sends counted since the previous
//! collection, bucket by bucket, under each send's `success` and `inline`: its
//! boundaries are [`LATENCY_BUCKETS_MS`] (1 ms to 30 s, sharing 50, 100, 1000, 5000
//! and 10000 with the reference's), and each send is recorded at its bucket's upper
//! bound (30 001 ms for sends slower than 30 s). So the count and every bucket count
//! of each series are exact, and the sum, min and max are estimates (upper bounds but
//! for the slowest bucket). Do not give it other boundaries with an SDK view: the
//! recorded values are those bounds. A series appears once a send of its kind is
//! recorded.
//!
//! Notifications that failed before any POST (expired, invalid, blob upload failed:
//! [`Stats::not_sent`]) were never sent, so they are in none of the event instruments.
//!
//! # Clients and lifetimes
//!
//! A [`Metrics`] holds weak references: it never keeps a client alive. Once a client
//! is dropped, its counters stay at the values last collected (counters never go
//! back), and what it did after that collection is not exported: force a flush of your
//! provider before dropping a client whose last counts matter. While a collection reads
//! a client it holds a reference, so the last drop of an `Arc<Client>` can then happen
//! on the collecting thread; [`Client::close`] a client before dropping it when the
//! close must happen on your thread.
//!
//! Observable instruments report one value per attribute set, so several clients on one
//! provider must share one [`Metrics`] ([`Metrics::observe`] each client), which sums
//! them; two `Metrics` on one provider would overwrite each other's values.
//!
//! [`Client::stats`]: crate::Client::stats
//! [`Client::close`]: crate::Client::close
//! [`Stats`]: crate::Stats
//! [`Stats::not_sent`]: crate::Stats::not_sent
//! [`Stats::bytes_sent`]: crate::Stats::bytes_sent

use std::fmt;
use std::sync::{Arc, Weak};

use opentelemetry::metrics::{AsyncInstrument, Histogram, Meter, MeterProvider};
use opentelemetry::{InstrumentationScope, KeyValue};
use parking_lot::Mutex;

use crate::{Client, LatencyHistogram, Stats, LATENCY_BUCKETS_MS};

/// The name of the meter the instruments are registered on (the reference's).
pub const METER_NAME: &str = "arn";
/// Events posted (after retries), with attributes `success` and `inline`.
pub const EVENT_SENT: &str = "arn_sdk_event_sent";
/// Body bytes of the events posted (after retries), with attributes `success` and
/// `inline`.
pub const EVENT_SENT_BYTES: &str = "arn_sdk_event_sent_bytes";
/// Time to send an event (blob upload and POST with its retries), in milliseconds,
/// with attributes `success` and `inline`.
pub const EVENT_SENT_MS: &str = "arn_sdk_event_sent_ms";
/// Promise outcomes and timed-out waits, with attributes `error` and `timeout`.
pub const PROMISE: &str = "arn_sdk_promise";
/// Promises handed out and not yet recycled or dropped.
pub const CURRENT_PROMISE_COUNT: &str = "arn_sdk_current_promise_count";

/// Registers the five instruments on `provider` and observes `client`: the one-client
/// form of [`Metrics::new`] and [`Metrics::observe`]. Keep the returned [`Metrics`] to
/// observe more clients; dropping it stops nothing.
pub fn register<P>(client: &Arc<Client>, provider: &P) -> Metrics
where
    P: MeterProvider + ?Sized,
{
    let metrics = Metrics::new(provider);
    metrics.observe(client);
    metrics
}

/// The instruments registered on one [`MeterProvider`], and the clients they report.
///
/// Cloning shares the registration. Dropping the last `Metrics` stops nothing: the
/// provider keeps the instruments' callbacks, and they keep reporting the observed
/// clients.
#[derive(Clone)]
pub struct Metrics {
    shared: Arc<Shared>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("clients", &self.shared.state.lock().clients.len())
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Registers the five instruments on a meter named [`METER_NAME`] from `provider`.
    /// They report nothing until a client is [observed](Metrics::observe).
    #[must_use = "a Metrics reports nothing until it observes a client"]
    pub fn new<P>(provider: &P) -> Metrics
    where
        P: MeterProvider + ?Sized,
    {
        let scope = InstrumentationScope::builder(METER_NAME)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        let meter = provider.meter_with_scope(scope);
        let latency = meter
            .u64_histogram(EVENT_SENT_MS)
            .with_description("time spent to send ARN event")
            .with_boundaries(LATENCY_BUCKETS_MS.iter().map(|&b| b as f64).collect())
            .build();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            latency,
        });
        register_observers(&meter, &shared);
        log::debug!("arn-client metrics registered");
        Metrics { shared }
    }

    /// Reports `client`'s counters, from when it was built, in the instruments (its
    /// sends counted so far go into the histogram at the next collection). Observing a
    /// client twice changes nothing.
    pub fn observe(&self, client: &Arc<Client>) {
        let mut state = self.shared.state.lock();
        let weak = Arc::downgrade(client);
        if !state.clients.iter().any(|w| Weak::ptr_eq(&w.client, &weak)) {
            state.clients.push(Watched {
                client: weak,
                last: Stats::default(),
            });
        }
    }
}

/// What the callbacks share: the observed clients and the latency histogram.
struct Shared {
    state: Mutex<State>,
    latency: Histogram<u64>,
}

#[derive(Default)]
struct State {
    clients: Vec<Watched>,
    /// The counters of dropped clients, as last collected.
    retired: Totals,
}

struct Watched {
    client: Weak<Client>,
    /// Its counters at the previous collection.
    last: Stats,
}

/// The sums the instruments report.
#[derive(Clone, Copy, Default, Debug)]
struct Totals {
    /// Events by `[success][inline]`.
    events: [[u64; 2]; 2],
    /// Body bytes by `[success][inline]`.
    bytes: [[u64; 2]; 2],
    promises_ok: u64,
    promises_failed: u64,
    promises_timed_out: u64,
    promises_active: i64,
}

impl Totals {
    /// Adds a client's counters; `live` adds its active promises too.
    fn add(&mut self, s: &Stats, live: bool) {
        for (success, inline) in FORMS {
            let (i, j) = (usize::from(success), usize::from(inline));
            self.events[i][j] += s.events(success, inline);
            self.bytes[i][j] += s.bytes(success, inline);
        }
        self.promises_ok += s.promises_completed.saturating_sub(s.promises_failed);
        self.promises_failed += s.promises_failed;
        self.promises_timed_out += s.promises_timed_out;
        if live {
            self.promises_active += i64::try_from(s.promises_active).unwrap_or(i64::MAX);
        }
    }
}

impl Shared {
    /// Reads every observed client's counters, records their new sends into the
    /// histogram, retires dropped clients, and returns the sums.
    fn refresh(&self) -> Totals {
        let mut held = Vec::new();
        let totals = {
            let mut state = self.state.lock();
            let State { clients, retired } = &mut *state;
            clients.retain_mut(|w| match w.client.upgrade() {
                Some(client) => {
                    let now = client.stats();
                    for (success, inline) in FORMS {
                        replay(
                            &self.latency,
                            &attributes(success, inline),
                            w.last.send_latency_of(success, inline),
                            now.send_latency_of(success, inline),
                        );
                    }
                    w.last = now;
                    // Dropped after the lock: a last reference closes the client.
                    held.push(client);
                    true
                }
                None => {
                    retired.add(&w.last, false);
                    false
                }
            });
            let mut totals = *retired;
            for w in clients.iter() {
                totals.add(&w.last, true);
            }
            totals
        };
        drop(held);
        totals
    }
}

/// Every `(success, inline)` pair an event instrument reports.
const FORMS: [(bool, bool); 4] = [(true, true), (true, false), (false, true), (false, false)];

/// The event instruments' attributes, the reference's.
fn attributes(success: bool, inline: bool) -> [KeyValue; 2] {
    [
        KeyValue::new("success", success),
        KeyValue::new("inline", inline),
    ]
}

/// Records the sends counted in `now` and not in `before` with `attrs`, each at its
/// bucket's upper bound (one past the last bound for the slowest bucket).
fn replay(
    histogram: &Histogram<u64>,
    attrs: &[KeyValue],
    before: &LatencyHistogram,
    now: &LatencyHistogram,
) {
    for (i, (&was, &is)) in before.counts.iter().zip(&now.counts).enumerate() {
        let value = match LATENCY_BUCKETS_MS.get(i) {
            Some(&bound) => bound,
            None => LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.len() - 1] + 1,
        };
        for _ in 0..is.saturating_sub(was) {
            histogram.record(value, attrs);
        }
    }
}

/// An observable counter with one value per (`success`, `inline`) form, read from
/// `pick` of the refreshed totals.
fn per_form_counter(
    meter: &Meter,
    shared: &Arc<Shared>,
    name: &'static str,
    description: &'static str,
    pick: fn(&Totals) -> &[[u64; 2]; 2],
) {
    let s = Arc::clone(shared);
    meter
        .u64_observable_counter(name)
        .with_description(description)
        .with_callback(move |o: &dyn AsyncInstrument<u64>| {
            let t = s.refresh();
            for (success, inline) in FORMS {
                let value = pick(&t)[usize::from(success)][usize::from(inline)];
                o.observe(value, &attributes(success, inline));
            }
        })
        .build();
}

/// Registers the four observable instruments; their callbacks hold `shared`.
fn register_observers(meter: &Meter, shared: &Arc<Shared>) {
    per_form_counter(
        meter,
        shared,
        EVENT_SENT,
        "total number of events sent by the ARN client",
        |t| &t.events,
    );
    per_form_counter(
        meter,
        shared,
        EVENT_SENT_BYTES,
        "total number of bytes in event data sent by the ARN client",
        |t| &t.bytes,
    );

    let s = Arc::clone(shared);
    meter
        .u64_observable_counter(PROMISE)
        .with_description("total number of promises made by the ARN client")
        .with_callback(move |o: &dyn AsyncInstrument<u64>| {
            let t = s.refresh();
            for (count, error, timeout) in [
                (t.promises_ok, false, false),
                (t.promises_failed, true, false),
                (t.promises_timed_out, true, true),
            ] {
                let attrs = [
                    KeyValue::new("error", error),
                    KeyValue::new("timeout", timeout),
                ];
                o.observe(count, &attrs);
            }
        })
        .build();

    let s = Arc::clone(shared);
    meter
        .i64_observable_up_down_counter(CURRENT_PROMISE_COUNT)
        .with_description("current number of promises made by the ARN client")
        .with_callback(move |o: &dyn AsyncInstrument<i64>| {
            o.observe(s.refresh().promises_active, &[]);
        })
        .build();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_split_events_and_promises() {
        let s = Stats {
            events_sent_inline: 3,
            events_sent_blob: 1,
            events_failed_inline: 2,
            bytes_sent: 100,
            bytes_sent_inline: 70,
            bytes_sent_blob: 30,
            bytes_failed_inline: 9,
            promises_completed: 5,
            promises_failed: 2,
            promises_timed_out: 1,
            promises_active: 4,
            ..Stats::default()
        };
        let mut t = Totals::default();
        t.add(&s, true);
        t.add(&s, false);
        assert_eq!(t.events, [[0, 4], [2, 6]]);
        assert_eq!(t.bytes, [[0, 18], [60, 140]]);
        assert_eq!((t.promises_ok, t.promises_failed), (6, 4));
        assert_eq!(t.promises_timed_out, 2);
        assert_eq!(t.promises_active, 4);
    }
}
