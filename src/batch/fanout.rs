//! A batch cut by the scheduler as one notification, and giving its outcome to each
//! change it carried (on the worker that sent it, or a closing thread).

use std::sync::Arc;

use super::change::{Change, ChangeContext, ChangeFailure, ChangeOutcome, Published};
use super::entry::{deliver, promise_handles, ChangeJob, PublisherShared, Reply};
use crate::hook::each_caught;
use crate::model::Notification;
use crate::promise::Resolver;
use crate::{Delivery, Failure};

/// The replies of one resource of a batch.
struct Waiters {
    context: Arc<ChangeContext>,
    own: Reply,
    replaced: Vec<Reply>,
}

/// Gives a batch's outcome to each of its changes.
pub(crate) struct Fanout {
    waiters: Vec<Waiters>,
    publisher: Arc<PublisherShared>,
}

impl Fanout {
    /// The notification that carries the changes of one batch (same group, at least
    /// one), in its first change's context, and the fan-out of its outcome to each
    /// of them.
    pub(crate) fn of(items: Vec<ChangeJob>) -> (Notification, Fanout) {
        let first = items.first().expect("a batch has changes");
        let context = Arc::clone(first.context());
        let publisher = Arc::clone(&first.publisher);
        let mut resources = Vec::with_capacity(items.len());
        let mut waiters = Vec::with_capacity(items.len());
        for c in items {
            let context = Arc::clone(c.context());
            resources.push(c.resource);
            waiters.push(Waiters {
                context,
                own: c.own,
                replaced: c.replaced,
            });
        }
        (
            Notification::in_context((*context).clone(), resources),
            Fanout { waiters, publisher },
        )
    }

    /// Handles of every promise in the batch.
    pub(crate) fn handles(&self) -> Vec<Resolver<ChangeOutcome>> {
        let mut out = Vec::new();
        for w in &self.waiters {
            promise_handles(&w.own, &w.replaced, &mut out);
        }
        out
    }

    /// Gives the batch's `delivery` to every change of it (the ones it replaced too,
    /// marked `coalesced`); `notification` is the batch as sent.
    pub(crate) fn delivered(self, notification: &Notification, delivery: Delivery) {
        let Fanout { waiters, publisher } = self;
        let replies = waiters
            .into_iter()
            .zip(&notification.resources)
            .flat_map(|(w, r)| {
                std::iter::once((w.own, false, r))
                    .chain(w.replaced.into_iter().map(move |x| (x, true, r)))
            });
        each_caught(replies, |(reply, coalesced, r)| {
            let published = Published {
                delivery,
                coalesced,
            };
            deliver(&publisher, reply, Ok(published), Some(r));
        });
    }

    /// Gives a failure to every change of the batch (the ones it replaced too); each
    /// change is handed back with its resource.
    pub(crate) fn failed(self, failure: Failure) {
        let Fanout { waiters, publisher } = self;
        let event_id = failure.event_id();
        let attempts = failure.attempts();
        let (error, n) = failure.into_parts();
        let mut resources = n.map(|n| n.resources.into_iter());
        let mut outcomes = Vec::new();
        for w in waiters {
            let resource = resources.as_mut().and_then(Iterator::next);
            for reply in w.replaced {
                let f = ChangeFailure::coalesced_away(error.clone(), event_id, attempts);
                outcomes.push((reply, f, resource.clone()));
            }
            let change = resource.map(|r| Change::new(Arc::clone(&w.context), r));
            let own = ChangeFailure::new(error.clone(), change, event_id, attempts);
            outcomes.push((w.own, own, None));
        }
        each_caught(outcomes, |(reply, f, carrier)| {
            deliver(&publisher, reply, Err(f), carrier.as_ref())
        });
    }
}
