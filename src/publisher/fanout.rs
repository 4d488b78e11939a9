//! Giving a batch's outcome to each change it carried (the client runs this as the
//! batch's callback, on a worker or a closing thread).

use std::sync::Arc;

use crossbeam_channel::{Sender, TrySendError};

use super::groups::Reply;
use super::{Change, ChangeContext, ChangeFailure, Published};
use crate::{Delivery, Failure};

/// The replies of one resource of a batch.
pub(super) struct Waiters {
    pub(super) context: Arc<ChangeContext>,
    pub(super) own: Reply,
    pub(super) replaced: Vec<Reply>,
}

/// Gives a batch's outcome to each of its changes.
pub(super) struct Fanout {
    pub(super) waiters: Vec<Waiters>,
    pub(super) errors: Sender<ChangeFailure>,
    pub(super) dropped: Arc<std::sync::atomic::AtomicU64>,
}

impl Fanout {
    pub(super) fn deliver(self, outcome: Result<Delivery, Failure>) {
        let Fanout {
            waiters,
            errors,
            dropped,
        } = self;
        let send = |reply: Reply, failure: ChangeFailure| match reply {
            Reply::Promise(r) => r.resolve(Err(failure)),
            Reply::Errors => {
                if let Err(TrySendError::Full(_)) = errors.try_send(failure) {
                    dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        };
        match outcome {
            Ok(delivery) => {
                for w in waiters {
                    let replies = std::iter::once((w.own, false))
                        .chain(w.replaced.into_iter().map(|r| (r, true)));
                    for (reply, coalesced) in replies {
                        if let Reply::Promise(r) = reply {
                            r.resolve(Ok(Published {
                                delivery,
                                coalesced,
                            }));
                        }
                    }
                }
            }
            Err(failure) => {
                let event_id = failure.event_id();
                let (error, n) = failure.into_parts();
                let mut resources = n.map(|n| n.resources.into_iter());
                for w in waiters {
                    let resource = resources.as_mut().and_then(Iterator::next);
                    let change = resource.map(|r| Change::new(Arc::clone(&w.context), r));
                    send(
                        w.own,
                        ChangeFailure::new(error.duplicate(), change, false, event_id),
                    );
                    for reply in w.replaced {
                        send(
                            reply,
                            ChangeFailure::new(error.duplicate(), None, true, event_id),
                        );
                    }
                }
            }
        }
    }
}
