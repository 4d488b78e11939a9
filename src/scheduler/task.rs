//! What the scheduler hands out: tickets for accepted notifications, and tasks (with
//! their `Done` tokens) for notifications to send, which guarantee an outcome and the
//! release of the node even when a panic cuts the handling short.

use super::chains::NodeId;
use super::{Job, Scheduler, SendResult};
use crate::Error;

/// Names one accepted notification (its node and the node's generation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    pub(super) id: NodeId,
    pub(super) generation: u64,
}

/// A job a worker took: it must reach [`Task::complete`]. Dropped without (a panic
/// escaped the worker's handling), it gives the job [`Error::Panicked`] and releases
/// its successors, so nothing is lost.
pub(crate) struct Task<'a> {
    pub(super) scheduler: &'a Scheduler,
    pub(super) id: NodeId,
    pub(super) generation: u64,
    pub(super) job: Option<Job>,
    /// Set when [`Task::complete`] handed the node on to a [`Done`].
    pub(super) released: bool,
}

impl<'a> Task<'a> {
    /// The job to send.
    pub(crate) fn job(&self) -> &Job {
        self.job.as_ref().expect("the job is held until completion")
    }

    /// Gives the job its outcome; the node is released (its successors go) when the
    /// returned [`Done`] is handed to [`Scheduler::next`], or dropped.
    pub(crate) fn complete(mut self, result: SendResult) -> Done<'a> {
        if let Some(job) = self.job.take() {
            job.finish(result, self.scheduler);
        }
        self.released = true;
        Done {
            scheduler: self.scheduler,
            id: self.id,
            generation: self.generation,
            released: false,
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
        if !self.released {
            self.scheduler.finish_task(self.id, self.generation);
        }
    }
}

/// A finished task whose node is not released yet: [`Scheduler::next`] releases it
/// under the lock it takes anyway; dropped (a panic between the two), it releases the
/// node itself.
pub(crate) struct Done<'a> {
    scheduler: &'a Scheduler,
    pub(super) id: NodeId,
    pub(super) generation: u64,
    pub(super) released: bool,
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        if !self.released {
            self.scheduler.finish_task(self.id, self.generation);
        }
    }
}
