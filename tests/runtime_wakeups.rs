//! The scheduler's waits (see `src/scheduler.rs`, "Waits, and why no wake-up is
//! lost") under load: many submitters blocked on a full client, several flushes and
//! idle workers, then a close. Every blocked call has a 600 s deadline, so a lost
//! wake-up leaves its thread asleep; the test's bound (120 s) is a sanity bound, not a
//! synchronisation. Seen failing with `progress.notify_all` in the scheduler's node
//! removal, or `work.notify_all` in its close, turned into `notify_one`.
mod common;

use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

const FAR: Duration = Duration::from_secs(600);
const BOUND: Duration = Duration::from_secs(120);

#[test]
fn no_wait_misses_its_wake_up() {
    for round in 0..5 {
        let (fake, gate, builder) = gated(4);
        let client = Arc::new(builder.queue_capacity(2).build().unwrap());
        let (tx, rx) = mpsc::channel();
        // Four sends stuck, two queued: the client is full.
        for i in 0..6 {
            client.submit(node(&node_id(i), 0)).unwrap();
        }
        gate.wait_arrived(4);
        for t in 0..16 {
            let (client, tx) = (Arc::clone(&client), tx.clone());
            thread::spawn(move || {
                let n = node(&node_id(100 + t), t as u64);
                let r = client.submit_with_deadline(n, Instant::now() + FAR);
                tx.send(("submit", r.is_ok())).unwrap();
            });
        }
        for _ in 0..3 {
            let (client, tx) = (Arc::clone(&client), tx.clone());
            thread::spawn(move || {
                let r = client.flush(Instant::now() + FAR);
                tx.send(("flush", r.is_ok())).unwrap();
            });
        }
        drop(tx);
        thread::sleep(Duration::from_millis(50)); // most of them wait by now
        gate.open();
        for _ in 0..19 {
            let (what, ok) = rx.recv_timeout(BOUND).expect("a blocked call never woke");
            assert!(ok, "round {round}: {what} failed");
        }
        let closer = {
            let client = Arc::clone(&client);
            thread::spawn(move || client.close(Instant::now() + FAR))
        };
        let deadline = Instant::now() + BOUND;
        while !closer.is_finished() {
            assert!(
                Instant::now() < deadline,
                "close never saw the workers exit"
            );
            thread::sleep(Duration::from_millis(10));
        }
        closer.join().unwrap().unwrap();
        assert_eq!(fake.post_count(), 22);
    }
}
