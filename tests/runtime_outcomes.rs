//! Exactly one outcome per submission, under concurrency, through all three submission
//! modes, with the fake failing, delaying and panicking by resource.
mod common;

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use arn_client::testing::{Behavior, FakeTransport};
use arn_client::{Delivery, Error, Failure, Promise};

const PRODUCERS: usize = 8;
const PER_PRODUCER: usize = 10_000;
const RESOURCES: usize = 600;

fn behavior(k: usize) -> Behavior {
    match k % 6 {
        0 | 5 => Behavior::Ok,
        1 => Behavior::Http(400),
        2 => Behavior::Panic,
        3 => Behavior::Delay(Duration::from_micros(50)),
        _ => Behavior::Http(404),
    }
}

/// Panics unless `result` is what the fake was scripted to answer for resource `k`.
fn check(k: usize, result: Result<Delivery, Failure>) {
    let result = result.map_err(Failure::into_error);
    let ok = match (k % 6, &result) {
        (0 | 3 | 5, Ok(report)) => report.attempts == 1,
        (1, Err(Error::Http { status: 400, .. })) => true,
        (2, Err(Error::Panicked(msg))) => msg.contains("scripted panic"),
        (4, Err(Error::Http { status: 404, .. })) => true,
        _ => false,
    };
    assert!(ok, "resource {k} got {result:?}");
}

fn fails(k: usize) -> bool {
    matches!(k % 6, 1 | 2 | 4)
}

/// The node index `k` of a one-resource notification's id (`.../nodes/n{k}`).
fn index_of(id: &str) -> usize {
    id.rsplit_once("/n").unwrap().1.parse().unwrap()
}

#[test]
fn every_submission_gets_exactly_one_outcome() {
    // Silence the scripted panics (thousands of them) but keep any other panic loud.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"scripted panic") {
            default_hook(info);
        }
    }));

    let fake = FakeTransport::without_bodies();
    for k in 0..RESOURCES {
        fake.script_subject(&common::node_id(k), behavior(k));
    }
    let client = Arc::new(
        common::builder(&fake, 4)
            .queue_capacity(64)
            .errors_capacity(4 * PRODUCERS * PER_PRODUCER / 3)
            .build()
            .unwrap(),
    );
    let errors = client.errors();
    let reader = thread::spawn(move || {
        let mut received = 0usize;
        for failure in errors.iter() {
            let k = index_of(failure.notification().unwrap().resources[0].sent_resource_id());
            check(k, Err(failure));
            received += 1;
        }
        received
    });
    // Notifications are tiny and pre-built per resource; producers clone them.
    let templates: Arc<Vec<_>> = Arc::new(
        (0..RESOURCES)
            .map(|k| common::node(&common::node_id(k), k as u64))
            .collect(),
    );

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let client = Arc::clone(&client);
            let templates = Arc::clone(&templates);
            thread::spawn(move || {
                let mut outcomes = 0usize;
                let mut submitted = 0usize;
                let mut submitted_failing = 0usize;
                let mut window: VecDeque<(usize, Promise)> = VecDeque::new();
                let settle = |(k, promise): (usize, Promise), outcomes: &mut usize| {
                    if k % 2 == 0 {
                        check(k, promise.wait());
                    } else {
                        let outcome = promise.wait_timeout(Duration::from_secs(600));
                        check(k, outcome.expect("an outcome within the sanity bound"));
                    }
                    *outcomes += 1;
                };
                for i in 0..PER_PRODUCER {
                    let k = (p * PER_PRODUCER + i) % RESOURCES;
                    let n = templates[k].clone();
                    match i % 3 {
                        0 => {
                            check(k, client.notify(n));
                            outcomes += 1;
                        }
                        1 => {
                            window.push_back((k, client.send_async(n).unwrap()));
                            if window.len() == 32 {
                                settle(window.pop_front().unwrap(), &mut outcomes);
                            }
                        }
                        _ => {
                            client.submit(n).unwrap();
                            submitted += 1;
                            submitted_failing += usize::from(fails(k));
                        }
                    }
                }
                while let Some(entry) = window.pop_front() {
                    settle(entry, &mut outcomes);
                }
                (outcomes, submitted, submitted_failing)
            })
        })
        .collect();

    let (mut waited, mut submitted, mut submitted_failing) = (0, 0, 0);
    for producer in producers {
        let (o, s, f) = producer.join().unwrap();
        waited += o;
        submitted += s;
        submitted_failing += f;
    }
    client
        .flush(Instant::now() + Duration::from_secs(600))
        .unwrap();
    let stats = client.stats();
    let client = Arc::into_inner(client).expect("producers are done");
    client
        .close(Instant::now() + Duration::from_secs(600))
        .unwrap();
    drop(client); // disconnects the errors channel: the reader ends
    let received = reader.join().unwrap();

    let total = PRODUCERS * PER_PRODUCER;
    println!(
        "submissions {total}: waited outcomes {waited} (notify + promises), submitted \
         {submitted}, submit failures received {received} of {submitted_failing}, posts {}, \
         stats {stats:?}",
        fake.post_count()
    );
    assert_eq!(waited + submitted, total);
    assert_eq!(received, submitted_failing);
    assert_eq!(stats.errors_dropped, 0);
    // Every notification reached the transport exactly once.
    assert_eq!(fake.post_count(), total);
    assert_eq!(
        stats.events_sent() + stats.events_failed_inline + stats.events_failed_blob + stats.panics,
        total as u64
    );
    assert_eq!(stats.not_sent, 0);
    assert_eq!(stats.promises_active, 0);
    // Sends happen on the workers, except a blocking notify whose notification was
    // ready at once: its own (blocked) thread sends it. A third of the submissions are
    // notify calls.
    let notifies = (0..PRODUCERS * PER_PRODUCER)
        .filter(|i| (i % PER_PRODUCER).is_multiple_of(3))
        .count();
    let off_worker = fake
        .posts()
        .iter()
        .filter(|p| {
            !p.thread
                .as_deref()
                .is_some_and(|t| t.starts_with("arn-worker-"))
        })
        .count();
    assert!(off_worker <= notifies, "{off_worker} sends off the workers");
}
