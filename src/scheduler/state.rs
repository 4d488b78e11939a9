//! The scheduler and its state: everything under its one mutex, the condvars its waits
//! use (which change notifies which: see the `scheduler` module docs), and its bounds.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;
use parking_lot::{Condvar, Mutex};

use super::chains::{Chains, NodeId};
use super::entry::Pending;
use super::epochs::Epochs;
use super::groups::{GroupRef, Groups};
use super::job::Reporter;
use super::parked::Parked;
use crate::config::{OnDelivery, OrderBy};
use crate::hook::Hook;
use crate::stats::StatsInner;
use crate::Failure;

/// An item of the ready queue.
#[derive(Clone, Copy)]
pub(super) enum Ready {
    /// A notification (node, generation).
    Note(NodeId, u64),
    /// A group of ready changes to cut a batch from.
    Group(GroupRef),
}

/// Everything the scheduler's one mutex guards.
pub(super) struct State {
    pub(super) chains: Chains<Pending>,
    pub(super) ready: VecDeque<Ready>,
    pub(super) groups: Groups,
    /// Deadlines of entries that were not ready when accepted: (deadline, node,
    /// generation); stale ones are skipped.
    pub(super) expiries: BinaryHeap<Reverse<(Instant, NodeId, u64)>>,
    /// Tasks waiting for their next try (earliest first): their nodes are busy, but
    /// they hold no place under the in-flight limit.
    pub(super) parked: BinaryHeap<Reverse<Parked>>,
    /// Tasks being sent (by workers or blocked callers).
    pub(super) running: usize,
    /// Graph nodes those tasks carry.
    pub(super) running_nodes: usize,
    /// Estimated bytes of the entries not being sent.
    pub(super) bytes: usize,
    /// Accepted entries counted per flush epoch.
    pub(super) epochs: Epochs,
    /// Flushes in progress (groups do not linger meanwhile).
    pub(super) flushes: usize,
    /// A close began: intake stops, groups do not linger.
    pub(super) closing: bool,
    /// A close gave up: the graph was drained and the workers exit.
    pub(super) abandoned: bool,
    /// Worker threads not yet ended.
    pub(super) alive: usize,
    /// Nodes made ready by the last removal (reused buffer).
    pub(super) released: Vec<NodeId>,
}

impl State {
    /// Entries accepted without an outcome and not being sent.
    pub(super) fn queued(&self) -> usize {
        self.chains.len() - self.running_nodes
    }

    /// Whether groups are due at once (a flush or the close runs).
    pub(super) fn urgent(&self) -> bool {
        self.flushes > 0 || self.closing
    }
}

/// The bounds and rules of a scheduler.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    /// Entries not being sent, at most.
    pub(crate) capacity: usize,
    /// Their estimated bytes, at most.
    pub(crate) max_bytes: usize,
    /// Tasks being sent at once, at most (the worker count).
    pub(crate) workers: usize,
    /// Which entries keep their order relative to each other.
    pub(crate) order_by: OrderBy,
}

/// The shared state of a client and its workers.
pub(crate) struct Scheduler {
    pub(super) state: Mutex<State>,
    /// Workers wait here for ready work, a due deadline or the close.
    pub(super) work: Condvar,
    /// Blocked submitters wait here for room or the close.
    pub(super) room: Condvar,
    /// Flush and close wait here for outcomes and exiting workers.
    pub(super) progress: Condvar,
    /// Its bounds and rules.
    pub(super) limits: Limits,
    /// The client's counters.
    pub(crate) stats: Arc<StatsInner>,
    /// Where fire-and-forget outcomes go.
    pub(super) reporter: Reporter,
}

impl Scheduler {
    /// An empty scheduler within `limits`; fire-and-forget failures go to `errors`,
    /// and every fire-and-forget outcome to `on_delivery`.
    pub(crate) fn new(
        limits: Limits,
        stats: Arc<StatsInner>,
        errors: Sender<Failure>,
        on_delivery: Option<Hook<OnDelivery>>,
    ) -> Self {
        Self {
            state: Mutex::new(State {
                chains: Chains::default(),
                ready: VecDeque::new(),
                groups: Groups::default(),
                expiries: BinaryHeap::new(),
                parked: BinaryHeap::new(),
                running: 0,
                running_nodes: 0,
                bytes: 0,
                epochs: Epochs::default(),
                flushes: 0,
                closing: false,
                abandoned: false,
                alive: 0,
                released: Vec::new(),
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            progress: Condvar::new(),
            limits,
            reporter: Reporter::new(Arc::clone(&stats), errors, on_delivery),
            stats,
        }
    }

    /// Entries accepted without an outcome and not being sent.
    pub(crate) fn queue_depth(&self) -> usize {
        self.state.lock().queued()
    }
}
