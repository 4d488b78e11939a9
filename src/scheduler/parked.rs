//! The graph nodes a task sends, and a task parked until its next try is due (the
//! scheduler keeps them in a heap, earliest first).

use std::cmp::Ordering;
use std::time::Instant;

use super::chains::NodeId;
use super::job::Job;
use crate::transport::Resend;

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

/// A task waiting for its next try, due `at`.
pub(crate) struct Parked {
    pub(super) at: Instant,
    pub(super) nodes: Nodes,
    pub(super) job: Job,
    pub(super) resend: Resend,
}

/// Parked tasks are ordered by when they are due (for the scheduler's heap).
impl Ord for Parked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

impl PartialOrd for Parked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Parked {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Parked {}
