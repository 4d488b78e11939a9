//! What the scheduler hands out: tickets for accepted notifications, and tasks (with
//! their `Done` tokens) for notifications to send, which guarantee an outcome and the
//! release of the nodes even when a panic cuts the handling short.

use std::time::Instant;

use super::chains::NodeId;
use super::job::{Job, SendResult};
use super::parked::{Nodes, Parked};
use super::state::Scheduler;
use crate::transport::Resend;
use crate::Error;

/// Names one accepted notification (its node and the node's generation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    pub(super) id: NodeId,
    pub(super) generation: u64,
}

/// A job a worker took: it must reach [`Task::complete`]. Dropped without (a panic
/// escaped the worker's handling), it gives the job [`Error::Panicked`] and releases
/// its nodes, so nothing is lost.
pub(crate) struct Task<'a> {
    pub(super) scheduler: &'a Scheduler,
    pub(super) nodes: Option<Nodes>,
    pub(super) job: Option<Job>,
    /// The event of an earlier try, when this task is a retry.
    pub(super) resend: Option<Resend>,
}

impl<'a> Task<'a> {
    /// The job to send.
    pub(crate) fn job(&self) -> &Job {
        self.job.as_ref().expect("the job is held until completion")
    }

    /// The event an earlier try sent, when this task is a retry: the next try sends
    /// it again.
    pub(crate) fn take_resend(&mut self) -> Option<Resend> {
        self.resend.take()
    }

    /// Gives the job its outcome; the nodes are released (their successors go) when
    /// the returned [`Done`] is handed to [`Scheduler::next`], or dropped.
    pub(crate) fn complete(mut self, result: SendResult) -> Done<'a> {
        if let Some(job) = self.job.take() {
            job.finish(result, &self.scheduler.reporter);
        }
        Done {
            scheduler: self.scheduler,
            nodes: self.nodes.take(),
            parked: None,
        }
    }

    /// Hands the job back until its next try, due `at`, which sends `resend`: its
    /// nodes stay busy (nothing about its resources starts meanwhile) but it holds no
    /// place under the in-flight limit. Parked when the returned [`Done`] is handed to
    /// [`Scheduler::next`], or dropped.
    pub(crate) fn park(mut self, resend: Resend, at: Instant) -> Done<'a> {
        let parked = match (self.nodes.take(), self.job.take()) {
            (Some(nodes), Some(job)) => Some(Parked {
                at,
                nodes,
                job,
                resend,
            }),
            _ => unreachable!("a task holds its nodes and job until it ends"),
        };
        Done {
            scheduler: self.scheduler,
            nodes: None,
            parked,
        }
    }
}

impl Drop for Task<'_> {
    fn drop(&mut self) {
        if let Some(job) = self.job.take() {
            self.scheduler.stats.panicked();
            let error = Error::Panicked("the worker panicked outside the send".into());
            job.finish(Err(error.into()), &self.scheduler.reporter);
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
    /// Or the task waiting for its next try.
    pub(super) parked: Option<Parked>,
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        if let Some(nodes) = self.nodes.take() {
            self.scheduler.finish_task(nodes);
        }
        if let Some(parked) = self.parked.take() {
            self.scheduler.park_task(parked);
        }
    }
}
