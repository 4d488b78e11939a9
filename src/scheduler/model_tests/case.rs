//! The scheduler model's vocabulary: the entries of a case, the actions a path is
//! made of, what the model expects of each entry, and the resources it uses.

use crate::model::{Activity, ArmResource, ChangeAction, NotificationResource, ResourceId};
use crate::promise::Promise;
use crate::publisher::ChangeOutcome;
use crate::scheduler::Ticket;

/// One entry of a case.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    /// A notification about these resources (bits).
    Note(u8),
    /// A blocking caller's one-resource notification (may be sent on its thread).
    Claim(usize),
    /// A publisher's change of a resource; `true`: a delete (another group).
    Change(usize, bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Action {
    Accept,
    Take,
    Complete(usize, bool),
    /// A task's try fails and will be retried: it parks, due at once.
    Park(usize),
    Expire(usize),
    Flush,
    Drain,
    HandOut,
}

/// What the model expects of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Status {
    Queued,
    Running,
    Ok,
    Failed,
    TimedOut,
    /// Replaced by a newer change (its outcome is that one's).
    Absorbed(usize),
}

pub(super) fn resources(kind: Kind) -> u8 {
    match kind {
        Kind::Note(bits) => bits,
        Kind::Claim(r) | Kind::Change(r, _) => 1 << r,
    }
}

pub(super) fn resource(r: usize, entry: usize, delete: bool) -> NotificationResource {
    thread_local! {
        /// The two activities of each resource, built once (parsing and serializing
        /// them was most of a replay's cost).
        static BASE: Vec<[NotificationResource; 2]> = (0..2)
            .map(|r| {
                let id: ResourceId = format!("/subscriptions/s/resourceGroups/rg/providers/P.X/t/n{r}")
                    .parse()
                    .unwrap();
                [Activity::Snapshot, Activity::Delete].map(|activity| {
                    let arm = ArmResource::new(activity, &id, "2024-01-01", &1).unwrap();
                    NotificationResource::new(arm, ChangeAction::Update)
                })
            })
            .collect();
    }
    BASE.with(|b| b[r][usize::from(delete)].clone())
        .with_correlation_id(entry.to_string())
}

pub(super) fn entry_of(r: &NotificationResource) -> usize {
    r.correlation_id.parse().unwrap()
}

/// The outcome side of one accepted entry.
pub(super) enum Handle {
    Note(Promise, Option<Ticket>),
    Change(Promise<ChangeOutcome>),
}

impl Handle {
    pub(super) fn ready(&self) -> bool {
        match self {
            Handle::Note(p, _) => p.is_ready(),
            Handle::Change(p) => p.is_ready(),
        }
    }
}

/// What one replayed path shows: the state's fingerprint, the actions it enables and
/// whether it is final.
pub(super) struct Seen {
    pub(super) fingerprint: Vec<u64>,
    pub(super) actions: Vec<Action>,
}
