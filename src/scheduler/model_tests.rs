//! A model of the whole scheduler: every interleaving of small cases, driven on the
//! real `Scheduler` without threads (a worker's take is `try_next`, a send's end is
//! `Task::complete`), checked in every state against the guarantees themselves.
//!
//! Actions: accept the next entry (a notification, a blocking caller's notification
//! that may be claimed on its own thread, or a publisher's change), a worker takes
//! work (a notification, a batch cut from ready changes, or a parked retry that is
//! due), a task ends (success or failure) or parks for a retry (once per task), a waiting notification expires, a flush starts, and a close gives up
//! (draining, then handing out outcomes: two steps another thread could look
//! between). Each path is replayed from a fresh scheduler; states are merged by what
//! the model and the real graph show.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod case;

use case::{entry_of, resource, resources, Action, Handle, Kind, Seen, Status};

use super::entry::{Entry, Work};
use super::task::Task;
use super::*;
use crate::batch::{
    ChangeContext, ChangeJob, ChangeReply, GroupKey, Limits as BatchLimits, Options,
    PublisherShared, Settled,
};
use crate::config::OrderBy;
use crate::model::Notification;
use crate::promise::PromisePool;
use crate::stats::StatsInner;
use crate::transport::{Resend, RetryPolicy, SentEvent, Tries};
use crate::{Delivery, Error};

/// Replays `path` on a fresh scheduler and checks every guarantee on the way.
fn replay(case: &[Kind], workers: usize, path: &[Action]) -> Seen {
    let (errors, _rx) = crossbeam_channel::bounded(16);
    let limits = Limits {
        capacity: 1024,
        max_bytes: usize::MAX,
        workers,
        order_by: OrderBy::Resource,
    };
    let stats = Arc::new(StatsInner::default());
    let scheduler = Scheduler::new(limits, Arc::clone(&stats), errors, None);
    scheduler.worker_started(); // one worker alive: a close can only give up
    let pool = PromisePool::<Settled>::new(64, stats); // one pool, as the client's
    let (tx, _crx) = crossbeam_channel::bounded(16);
    let options = Options {
        limits: BatchLimits {
            max_resources: 2,
            max_bytes: None,
        },
        linger: Duration::ZERO,
        coalesce: true,
        inline_batches: false,
        errors_capacity: 16,
    };
    let publisher = Arc::new(PublisherShared::new(options, tx, None));
    let context = Arc::new(ChangeContext::new("eastus", "P"));
    let far = Instant::now() + Duration::from_secs(600);

    let mut handles: Vec<Handle> = Vec::new();
    let mut status: Vec<Status> = Vec::new();
    // Tasks in flight (entries, whether it parked once), and parked ones.
    let mut running: Vec<(Task<'_>, Vec<usize>, bool)> = Vec::new();
    let mut parked: Vec<Vec<usize>> = Vec::new();
    let mut flush: Option<(u64, usize)> = None;
    let mut drained = None;
    let mut closed = false;

    for &action in path {
        match action {
            Action::Accept => {
                let i = handles.len();
                match case[i] {
                    Kind::Note(_) | Kind::Claim(_) => {
                        let claim = matches!(case[i], Kind::Claim(_));
                        let rs = (0..8)
                            .filter(|r| resources(case[i]) & (1 << r) != 0)
                            .map(|r| resource(r, i, false))
                            .collect();
                        let n = Notification::new("eastus", "P", rs);
                        let (promise, resolver) = pool.promise();
                        let job = Job {
                            notification: n,
                            deadline: far,
                            accepted: Instant::now(),
                            reply: Reply::Promise(resolver),
                        };
                        match scheduler.accept_claiming(job, Wait::No, claim) {
                            Ok(Accepted::Queued(t)) => {
                                handles.push(Handle::Note(promise, Some(t)));
                                status.push(Status::Queued);
                            }
                            Ok(Accepted::Claimed(task)) => {
                                handles.push(Handle::Note(promise, None));
                                status.push(Status::Running);
                                started(case, &status, &[i]);
                                running.push((task, vec![i], false));
                            }
                            Err(_) => unreachable!("room for every entry"),
                        }
                    }
                    Kind::Change(r, delete) => {
                        let res = resource(r, i, delete);
                        let (promise, resolver) = pool.promise();
                        let job = ChangeJob {
                            group: GroupKey::of(&publisher, Arc::clone(&context), &res),
                            resource: res,
                            own: ChangeReply::Promise(resolver),
                            replaced: Vec::new(),
                            deadline: far,
                            accepted: Instant::now(),
                            bytes: 100,
                            publisher: Arc::clone(&publisher),
                        };
                        let coalesced = scheduler.accept_change(job, Wait::No).ok().unwrap();
                        handles.push(Handle::Change(promise));
                        status.push(Status::Queued);
                        if coalesced {
                            // Into the last earlier entry about r that was not dropped
                            // unsent: a queued change.
                            let last = (0..i).rev().find(|&k| {
                                resources(case[k]) & (1 << r) != 0
                                    && !matches!(status[k], Status::Absorbed(_) | Status::TimedOut)
                            });
                            let k = last.expect("coalesced into an earlier entry");
                            assert!(matches!(case[k], Kind::Change(..)), "{case:?} {path:?}");
                            assert_eq!(status[k], Status::Queued, "{case:?} {path:?}");
                            for s in status.iter_mut() {
                                if *s == Status::Absorbed(k) {
                                    *s = Status::Absorbed(i);
                                }
                            }
                            status[k] = Status::Absorbed(i);
                        }
                    }
                }
            }
            Action::Take => {
                if let Some(task) = scheduler.try_next() {
                    let entries: Vec<usize> = task
                        .job()
                        .notification
                        .resources
                        .iter()
                        .map(entry_of)
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    if task.resend.is_some() {
                        // A parked retry, due: the same entries, busy all along.
                        let k = parked.iter().position(|p| *p == entries);
                        parked.remove(k.expect("a parked task resumes"));
                        running.push((task, entries, true));
                    } else {
                        started(case, &status, &entries);
                        for &e in &entries {
                            assert_eq!(status[e], Status::Queued, "{case:?} {path:?}");
                            status[e] = Status::Running;
                        }
                        running.push((task, entries, false));
                    }
                }
            }
            Action::Complete(t, ok) => {
                let (task, entries, _) = running.remove(t);
                let result = if ok {
                    Ok(Delivery::empty())
                } else {
                    Err(SendError::from(Error::Http {
                        status: 500,
                        body: String::new(),
                        retry_after: None,
                    }))
                };
                drop(task.complete(result));
                if drained.is_none() && !closed {
                    for e in entries {
                        status[e] = if ok { Status::Ok } else { Status::Failed };
                    }
                }
            }
            Action::Park(t) => {
                let (task, entries, _) = running.remove(t);
                let tries = Tries::new(&RetryPolicy::default(), far);
                let event = SentEvent {
                    inline: true,
                    event_bytes: 0,
                    id: uuid::Uuid::nil(),
                    start: Instant::now(),
                    tries,
                };
                let resend = Resend {
                    body: Vec::new(),
                    compressed: false,
                    event,
                };
                // Due at once: the next take may resume it.
                drop(task.park(resend, Instant::now()));
                if drained.is_none() && !closed {
                    parked.push(entries);
                }
            }
            Action::Expire(e) => {
                if let Handle::Note(_, Some(ticket)) = &handles[e] {
                    scheduler.expire(*ticket);
                    status[e] = Status::TimedOut;
                }
            }
            Action::Flush => flush = Some((scheduler.flush_begin(), handles.len())),
            Action::Drain => {
                drained = Some(scheduler.give_up_drain());
                closed = true;
                parked.clear();
            }
            Action::HandOut => {
                scheduler.give_up_hand_out(drained.take().unwrap());
                for s in status.iter_mut() {
                    if matches!(s, Status::Queued | Status::Running) {
                        *s = Status::TimedOut;
                    }
                }
            }
        }
    }
    let done = |s: Status| matches!(s, Status::Ok | Status::Failed | Status::TimedOut);
    let final_of = |mut e: usize| loop {
        match status[e] {
            Status::Absorbed(j) => e = j,
            s => return s,
        }
    };

    // At most `workers` tasks in flight, never two about one resource.
    assert!(
        running.len() <= workers,
        "{} in flight: {case:?} {path:?}",
        running.len()
    );
    let mut busy = 0u8;
    let sends = running.iter().map(|r| &r.1).chain(&parked);
    for entries in sends {
        let keys = entries.iter().fold(0, |k, &e| k | resources(case[e]));
        assert_eq!(
            busy & keys,
            0,
            "two sends of one resource: {case:?} {path:?}"
        );
        busy |= keys;
    }
    // Outcomes exactly when the model expects them (neither late nor early).
    for (e, h) in handles.iter().enumerate() {
        let expected = done(final_of(e)) && drained.is_none();
        if drained.is_none() {
            assert_eq!(h.ready(), expected, "entry {e} outcome: {case:?} {path:?}");
        }
    }
    // The real graph: each queued entry waits exactly while an earlier entry about
    // one of its resources has no outcome.
    let mut live = Vec::new();
    {
        let state = scheduler.state.lock();
        for (id, generation, p) in state.chains.live_nodes() {
            let (e, queued) = match &p.entry {
                Entry::Queued(Work::Note(job)) => (entry_of(&job.notification.resources[0]), true),
                Entry::Queued(Work::Change(c)) => (entry_of(&c.resource), true),
                Entry::Running(_) => (usize::MAX, false),
            };
            let waiting = state.chains.is_waiting(id, generation);
            if queued {
                let blocked = (0..e).any(|k| {
                    resources(case[k]) & resources(case[e]) != 0
                        && matches!(status[k], Status::Queued | Status::Running)
                });
                assert_eq!(waiting, blocked, "entry {e} readiness: {case:?} {path:?}");
                live.push((e as u64, u64::from(waiting)));
            }
        }
        // The stats add up: what waits or is ready, not what is sent.
        assert_eq!(state.queued(), live.len(), "{case:?} {path:?}");
        // Once a close gave up, nothing stays parked (a task that parks later is
        // given up at once: no hand-out would reach it).
        let expected = if closed { 0 } else { parked.len() };
        assert_eq!(state.parked.len(), expected, "parked: {case:?} {path:?}");
    }
    assert_eq!(scheduler.queue_depth(), live.len());
    // A flush passes only when everything accepted before it has its outcome.
    if let Some((epoch, before)) = flush {
        if scheduler.flush_passed(epoch) {
            for (e, h) in handles.iter().enumerate().take(before) {
                assert!(
                    h.ready(),
                    "flush passed before entry {e}'s outcome: {case:?} {path:?}"
                );
            }
        }
    }

    let mut actions = Vec::new();
    if drained.is_some() {
        actions.push(Action::HandOut);
    }
    if !closed && handles.len() < case.len() {
        actions.push(Action::Accept);
    }
    if !closed {
        actions.push(Action::Take);
    }
    for (t, (_, _, retried)) in running.iter().enumerate() {
        actions.push(Action::Complete(t, true));
        actions.push(Action::Complete(t, false));
        if !retried {
            actions.push(Action::Park(t));
        }
    }
    for (e, h) in handles.iter().enumerate() {
        if matches!(h, Handle::Note(_, Some(_))) && status[e] == Status::Queued && !closed {
            actions.push(Action::Expire(e));
        }
    }
    if flush.is_none() && !closed {
        actions.push(Action::Flush);
    }
    if !closed && !running.is_empty() {
        actions.push(Action::Drain);
    }
    // Finished: nothing in flight, nothing left to accept, and a worker finds nothing.
    // (A parked task is due at once: a worker that finds nothing strands it.)
    let finished =
        running.is_empty() && drained.is_none() && (closed || handles.len() == case.len());
    if finished && (closed || scheduler.try_next().is_none()) {
        for (e, h) in handles.iter().enumerate() {
            assert!(
                h.ready(),
                "entry {e} never got its outcome: {case:?} {path:?}"
            );
        }
        if let Some((epoch, _)) = flush {
            assert!(scheduler.flush_passed(epoch), "{case:?} {path:?}");
        }
    }

    let mut fingerprint: Vec<u64> = vec![
        handles.len() as u64,
        u64::from(closed),
        u64::from(drained.is_some()),
    ];
    fingerprint.push(flush.map_or(u64::MAX, |(_, b)| b as u64));
    fingerprint.extend(status.iter().map(|s| match s {
        Status::Queued => 1,
        Status::Running => 2,
        Status::Ok => 3,
        Status::Failed => 4,
        Status::TimedOut => 5,
        Status::Absorbed(j) => 100 + *j as u64,
    }));
    for (_, entries, retried) in &running {
        fingerprint.push(u64::MAX - 1 - u64::from(*retried));
        fingerprint.extend(entries.iter().map(|&e| e as u64));
    }
    for entries in &parked {
        fingerprint.push(u64::MAX - 3);
        fingerprint.extend(entries.iter().map(|&e| e as u64));
    }
    live.sort_unstable();
    fingerprint.extend(live.into_iter().flat_map(|(e, w)| [u64::MAX - 2, e, w]));
    for (task, _, _) in running {
        drop(task.complete(Ok(Delivery::empty())));
    }
    Seen {
        fingerprint,
        actions,
    }
}

/// A task starts: every earlier entry about one of its resources has its outcome
/// (or rides along, replaced by one in this task).
fn started(case: &[Kind], status: &[Status], entries: &[usize]) {
    for &e in entries {
        for k in 0..e {
            if resources(case[k]) & resources(case[e]) == 0 || entries.contains(&k) {
                continue;
            }
            assert!(
                !matches!(status[k], Status::Queued | Status::Running),
                "entry {e} started before {k}: {case:?}"
            );
        }
    }
}

/// Explores every path of `case`; returns the states seen.
fn explore(case: &[Kind], workers: usize) -> usize {
    let mut seen = HashSet::new();
    let mut stack = vec![Vec::new()];
    while let Some(path) = stack.pop() {
        let s = replay(case, workers, &path);
        if !seen.insert(s.fingerprint) {
            continue;
        }
        for a in s.actions {
            let mut next = path.clone();
            next.push(a);
            stack.push(next);
        }
    }
    seen.len()
}

const MENU: [Kind; 6] = [
    Kind::Note(0b01),
    Kind::Note(0b11),
    Kind::Claim(1),
    Kind::Change(0, false),
    Kind::Change(1, false),
    Kind::Change(0, true),
];

#[test]
fn every_interleaving_of_three_entries_over_two_resources() {
    let mut states = 0;
    for a in MENU {
        for b in MENU {
            for c in MENU {
                for workers in [1, 2] {
                    states += explore(&[a, b, c], workers);
                }
            }
        }
    }
    eprintln!("scheduler model: {states} states");
    assert!(states > 10_000, "{states} states");
}

#[test]
fn four_entries_mixing_batches_coalescing_and_notifications() {
    let cases: [[Kind; 4]; 3] = [
        [
            Kind::Change(0, false),
            Kind::Change(1, false),
            Kind::Note(0b11),
            Kind::Change(0, false),
        ],
        [
            Kind::Change(0, false),
            Kind::Change(0, false),
            Kind::Change(0, true),
            Kind::Claim(0),
        ],
        [
            Kind::Claim(0),
            Kind::Change(1, false),
            Kind::Note(0b01),
            Kind::Change(1, false),
        ],
    ];
    for case in cases {
        for workers in [1, 2] {
            explore(&case, workers);
        }
    }
}
