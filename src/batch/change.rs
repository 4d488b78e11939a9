//! What is published (a [`Change`] in its [`ChangeContext`]) and what comes back.

use std::fmt;
use std::sync::Arc;

use uuid::Uuid;

use crate::model::{
    validate_resources, Notification, NotificationContext, NotificationResource, ValidationError,
};
use crate::promise::Settle;
use crate::{Delivery, Error};

/// The notification-level fields a change shares with the others in its notification
/// (`docs/protocol.md` section 3): changes are batched only with changes of an equal
/// context. Build one per publisher of a kind of resource and share it in an `Arc`.
///
/// The same type as a notification's [`Notification::context`]: see
/// [`NotificationContext`] for its fields and setters.
pub type ChangeContext = NotificationContext;

impl ChangeContext {
    /// A notification in this context carrying `resources`.
    pub(crate) fn notification(&self, resources: Vec<NotificationResource>) -> Notification {
        Notification::in_context(self.clone(), resources)
    }
}

/// Validates `resource` as the only resource of a notification in `context`: the
/// rules of [`Notification::validate`] (a context has no batch properties), on the
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

/// A published change that was not delivered: the error and, when the publisher still
/// had it, the change handed back.
pub struct ChangeFailure(Box<FailureInner>);

struct FailureInner {
    error: Error,
    change: Option<Change>,
    coalesced: bool,
    event_id: Option<Uuid>,
}

impl ChangeFailure {
    pub(crate) fn new(
        error: Error,
        change: Option<Change>,
        coalesced: bool,
        event_id: Option<Uuid>,
    ) -> Self {
        Self(Box::new(FailureInner {
            error,
            change,
            coalesced,
            event_id,
        }))
    }

    /// Why it failed.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The change, handed back. `None` for a change that was coalesced (its newer
    /// state, which failed, is handed back to that change's publisher) or that was in
    /// a worker's hands when the client's `close` gave up.
    pub fn change(&self) -> Option<&Change> {
        self.0.change.as_ref()
    }

    /// Whether a newer change of the same resource had replaced this one.
    pub fn coalesced(&self) -> bool {
        self.0.coalesced
    }

    /// The id of the event that carried (or was to carry) the change, when one was
    /// made.
    pub fn event_id(&self) -> Option<Uuid> {
        self.0.event_id
    }

    /// The change, dropping the rest.
    pub fn into_change(self) -> Option<Change> {
        self.0.change
    }

    /// The error, dropping the rest.
    pub fn into_error(self) -> Error {
        self.0.error
    }
}

impl fmt::Debug for ChangeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeFailure")
            .field("error", &self.0.error)
            .field("handed_back", &self.0.change.is_some())
            .field("coalesced", &self.0.coalesced)
            .field("event_id", &self.0.event_id)
            .finish()
    }
}

impl fmt::Display for ChangeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "publishing a change failed: {}", self.0.error)
    }
}

impl std::error::Error for ChangeFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.error)
    }
}

/// `?` on an outcome: keeps the error.
impl From<ChangeFailure> for Error {
    fn from(f: ChangeFailure) -> Self {
        f.0.error
    }
}

/// What a published change ends with.
pub type ChangeOutcome = Result<Published, ChangeFailure>;

impl Settle for ChangeOutcome {
    fn failed(&self) -> bool {
        self.is_err()
    }

    fn closed() -> Self {
        Err(ChangeFailure::new(Error::Closed, None, false, None))
    }
}

/// A change the publisher refused at once, handed back: invalid, too large, the
/// publisher full (from the `try_` calls) or closed.
pub struct PublishError {
    error: Error,
    change: Box<Change>,
}

impl PublishError {
    pub(crate) fn new(error: Error, change: Change) -> Self {
        Self {
            error,
            change: Box::new(change),
        }
    }

    /// Why it was refused.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The refused change.
    pub fn change(&self) -> &Change {
        &self.change
    }

    /// The refused change, to retry or inspect.
    pub fn into_change(self) -> Change {
        *self.change
    }

    /// Splits into the error and the change.
    pub fn into_parts(self) -> (Error, Change) {
        (self.error, *self.change)
    }
}

impl fmt::Debug for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "change refused: {}", self.error)
    }
}

impl std::error::Error for PublishError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<PublishError> for Error {
    fn from(e: PublishError) -> Self {
        e.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activity, ArmResource, ChangeAction, ResourceId, Rule};

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
            let expected = ctx.notification(vec![r.clone()]).validate();
            assert_eq!(validate(ctx, &r), expected);
        }
        let check = validate(&u, &node("t", "2024-01-01"));
        assert_eq!(check.unwrap_err().rule, Rule::TenantMismatch);
        let check = validate(&t, &node("t", ""));
        assert_eq!(check.unwrap_err().rule, Rule::ApiVersionMissing);
        validate(&v, &node("t", "")).unwrap();
    }
}
