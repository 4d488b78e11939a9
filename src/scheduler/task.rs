//! What the scheduler hands out: tickets for accepted notifications, and tasks (with
//! their `Done` tokens) for notifications to send, which guarantee an outcome and the
//! release of the nodes even when a panic cuts the handling short.

use super::chains::NodeId;
use super::{Job, Scheduler, SendResult};
use crate::Error;

/// Names one accepted notification (its node and the node's generation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    pub(super) id: NodeId,
    pub(super) generation: u64,
}

/// The graph nodes a task sends: one notification, or the changes of one batch.
pub(crate) enum Nodes {
    One((NodeId, u64)),
    Many(Vec<(NodeId, u64)>),
}

impl Nodes {
    pub(super) fn as_slice(&self) -> &[(NodeId, u64)] {
        match self {
            Nodes::One(pair) => std::slice::from_ref(pair),
            Nodes::Many(v) => v,
        }
    }
}

/// A job a worker took: it must reach [`Task::complete`]. Dropped without (a panic
/// escaped the worker's handling), it gives the job [`Error::Panicked`] and releases
/// its nodes, so nothing is lost.
pub(crate) struct Task<'a> {
    pub(super) scheduler: &'a Scheduler,
    pub(super) nodes: Option<Nodes>,
    pub(super) job: Option<Job>,
}

impl<'a> Task<'a> {
    /// The job to send.
    pub(crate) fn job(&self) -> &Job {
        self.job.as_ref().expect("the job is held until completion")
    }

    /// Gives the job its outcome; the nodes are released (their successors go) when
    /// the returned [`Done`] is handed to [`Scheduler::next`], or dropped.
    pub(crate) fn complete(mut self, result: SendResult) -> Done<'a> {
        if let Some(job) = self.job.take() {
            job.finish(result, self.scheduler);
        }
        Done {
            scheduler: self.scheduler,
            nodes: self.nodes.take(),
        }
    }
}

impl Drop for Task<'_> {
    fn drop(&mut self) {
        if let Some(job) = self.job.take() {
            self.scheduler.stats.panicked();
            let error = Error::Panicked("the worker panicked outside the send".into());
            job.finish(Err(error.into()), self.scheduler);
        }
        if let Some(nodes) = self.nodes.take() {
            self.scheduler.finish_task(nodes);
        }
    }
}

/// A finished task whose nodes are not released yet: [`Scheduler::next`] releases
/// them under the lock it takes anyway; dropped (a panic between the two), it releases
/// them itself.
pub(crate) struct Done<'a> {
    scheduler: &'a Scheduler,
    pub(super) nodes: Option<Nodes>,
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        if let Some(nodes) = self.nodes.take() {
            self.scheduler.finish_task(nodes);
        }
    }
}
