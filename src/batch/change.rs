//! What is published (a [`Change`] in its [`ChangeContext`]) and what comes back.

use std::sync::Arc;

use crate::failure::Carried;
use crate::model::{
    validate_resources, NotificationContext, NotificationResource, ValidationError,
};
use crate::{Delivery, Error, Failure, SubmitError};

/// The notification-level fields a change shares with the others in its notification
/// (`docs/protocol.md` section 3): changes are batched only with changes of an equal
/// context. Build one per publisher of a kind of resource and share it in an `Arc`.
///
/// The same type as a notification's [`Notification::context`](crate::model::Notification::context): see
/// [`NotificationContext`] for its fields and setters.
pub type ChangeContext = NotificationContext;

/// Validates `resource` as the only resource of a notification in `context`: the
/// rules of [`Notification::validate`](crate::model::Notification::validate) (a context has no batch properties), on the
/// context's fields as they are, cloning nothing.
pub(crate) fn validate(
    context: &ChangeContext,
    resource: &NotificationResource,
) -> Result<(), ValidationError> {
    validate_resources(context, std::slice::from_ref(resource))
}

/// One resource's change, in the context it shares with the others in its
/// notification.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "a change does nothing until it is published"]
pub struct Change {
    /// The notification-level fields.
    pub context: Arc<NotificationContext>,
    /// The resource: its id, ARM resource (with the activity) and change action.
    pub resource: NotificationResource,
}

impl Change {
    /// `resource` changed, in `context`.
    pub fn new(context: Arc<ChangeContext>, resource: NotificationResource) -> Self {
        Self { context, resource }
    }
}

/// A published change that was delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Published {
    /// The report of the notification that carried the change (or, when `coalesced`,
    /// the newer state of its resource that replaced it).
    pub delivery: Delivery,
    /// Whether a newer change of the same resource replaced this one before it was
    /// sent: the receiver got the newer state, which is what this reports.
    pub coalesced: bool,
}

impl Carried for Change {
    const FAILED: &'static str = "publishing a change failed";
    const REFUSED: &'static str = "change refused";
}

/// A published change that was not delivered: the error and, when the publisher still
/// had it, the change handed back (the client's [`Failure`] for a change).
pub type ChangeFailure = Failure<Change>;

impl Failure<Change> {
    /// The change, handed back. `None` for a change that was coalesced (its newer
    /// state, which failed, is handed back to that change's publisher) or that was in
    /// a worker's hands when the client's `close` gave up.
    pub fn change(&self) -> Option<&Change> {
        self.item()
    }

    /// Whether a newer change of the same resource had replaced this one.
    pub fn coalesced(&self) -> bool {
        self.was_coalesced()
    }

    /// The change, dropping the rest.
    pub fn into_change(self) -> Option<Change> {
        self.split().1
    }

    /// Splits into the error and the change.
    pub fn into_parts(self) -> (Error, Option<Change>) {
        self.split()
    }
}

/// What a published change ends with.
pub type ChangeOutcome = Result<Published, ChangeFailure>;

/// A change the publisher refused at once, handed back: invalid, too large, the
/// client full (from the `try_` calls) or closed (the client's [`SubmitError`] for a
/// change).
pub type PublishError = SubmitError<Change>;

impl SubmitError<Change> {
    /// The refused change.
    pub fn change(&self) -> &Change {
        self.item()
    }

    /// The refused change, to retry or inspect.
    pub fn into_change(self) -> Change {
        self.split().1
    }

    /// Splits into the error and the change.
    pub fn into_parts(self) -> (Error, Change) {
        self.split()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activity, ArmResource, ChangeAction, Notification, ResourceId, Rule};

    fn node(tenant: &str, api: &str) -> NotificationResource {
        let id: ResourceId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/a".parse().unwrap();
        let arm = ArmResource::new(Activity::Snapshot, &id, api, &1).unwrap();
        NotificationResource::new(arm, ChangeAction::Update).with_home_tenant_id(tenant)
    }

    #[test]
    fn validation_in_a_context_is_the_single_resource_notifications() {
        let t = Arc::new(
            ChangeContext::new("eastus", "Microsoft.ContainerService").with_home_tenant_id("t"),
        );
        let u = Arc::new(
            ChangeContext::new("eastus", "Microsoft.ContainerService").with_home_tenant_id("u"),
        );
        let v = Arc::new(
            ChangeContext::new("eastus", "Microsoft.ContainerService")
                .with_api_version("2024-01-01")
                .with_home_tenant_id("t"),
        );
        // The shell follows the context from call to call, back and forth.
        for (ctx, r) in [
            (&t, node("t", "2024-01-01")),
            (&u, node("t", "2024-01-01")),
            (&t, node("t", "2024-01-01")),
            (&t, node("t", "")),
            (&v, node("t", "")),
            (&v, node("t", "2023-01-01")),
            (&u, node("u", "2024-01-01")),
        ] {
            let expected = Notification::in_context((**ctx).clone(), vec![r.clone()]).validate();
            assert_eq!(validate(ctx, &r), expected);
        }
        let check = validate(&u, &node("t", "2024-01-01"));
        assert_eq!(check.unwrap_err().rule, Rule::TenantMismatch);
        let check = validate(&t, &node("t", ""));
        assert_eq!(check.unwrap_err().rule, Rule::ApiVersionMissing);
        validate(&v, &node("t", "")).unwrap();
    }
}
