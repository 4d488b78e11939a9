//! The notification-level fields (`docs/protocol.md` section 3), one definition for
//! the [`Notification`](super::Notification) that carries them and the publisher's
//! changes that share them (`publisher::ChangeContext` is this type).

use super::DataBoundary;

/// The notification-level fields of a notification (`docs/protocol.md` section 3):
/// where its resources are, who publishes them, and the values every resource must
/// agree with. A [`Notification`](super::Notification) holds one in
/// [`context`](super::Notification::context).
///
/// The publisher's changes carry it too, as `publisher::ChangeContext` (an alias of
/// this type): changes are batched only with changes of an equal context. Build one
/// per publisher of a kind of resource and share it in an `Arc`.
///
/// ```
/// use arn_client::model::{DataBoundary, NotificationContext};
///
/// let context = NotificationContext::new("eastus", "Microsoft.ContainerService")
///     .with_api_version("2024-03-01")
///     .with_data_boundary(DataBoundary::Global);
/// assert_eq!(context.resource_location, "eastus");
/// assert_eq!(context.home_tenant_id, "");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct NotificationContext {
    /// Normalized ARM location, e.g. `"eastus"`.
    pub resource_location: String,
    /// The ARM region that emitted the notification. Defaults to `""` (omitted).
    pub frontdoor_location: String,
    /// Publisher namespace, e.g. `"Microsoft.ContainerService"`.
    pub publisher_info: String,
    /// Notification-level API version. Defaults to `""` (omitted: each resource
    /// sends its own).
    pub api_version: String,
    /// The data boundary. Defaults to none (omitted).
    pub data_boundary: Option<DataBoundary>,
    /// The tenant that manages the resources; must equal each resource's. Defaults
    /// to `""` (omitted).
    pub home_tenant_id: String,
    /// The tenant where the resources live; must equal each resource's. Defaults to
    /// `""` (omitted).
    pub resource_home_tenant_id: String,
    /// `additionalBatchProperties.batchCorrelationId`. Defaults to `""`.
    pub batch_correlation_id: String,
}

impl NotificationContext {
    /// Resources in `resource_location` (e.g. `"eastus"`) published by the namespace
    /// `publisher_info` (e.g. `"Microsoft.ContainerService"`); everything else unset.
    pub fn new(resource_location: impl Into<String>, publisher_info: impl Into<String>) -> Self {
        Self {
            resource_location: resource_location.into(),
            publisher_info: publisher_info.into(),
            ..Self::default()
        }
    }

    /// Sets `frontdoorLocation`. Defaults to `""` (omitted).
    #[must_use]
    pub fn with_frontdoor_location(mut self, location: impl Into<String>) -> Self {
        self.frontdoor_location = location.into();
        self
    }

    /// Sets the notification-level `apiVersion`; resources may then omit theirs.
    /// Defaults to `""` (omitted).
    #[must_use]
    pub fn with_api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// Sets `dataBoundary`. Defaults to unset (omitted).
    #[must_use]
    pub fn with_data_boundary(mut self, boundary: DataBoundary) -> Self {
        self.data_boundary = Some(boundary);
        self
    }

    /// Sets `homeTenantId`. Defaults to `""` (omitted).
    #[must_use]
    pub fn with_home_tenant_id(mut self, id: impl Into<String>) -> Self {
        self.home_tenant_id = id.into();
        self
    }

    /// Sets `resourceHomeTenantId`. Defaults to `""` (omitted).
    #[must_use]
    pub fn with_resource_home_tenant_id(mut self, id: impl Into<String>) -> Self {
        self.resource_home_tenant_id = id.into();
        self
    }

    /// Sets `additionalBatchProperties.batchCorrelationId`. Defaults to `""`.
    #[must_use]
    pub fn with_batch_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.batch_correlation_id = id.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Notification;

    #[test]
    fn a_notifications_setters_are_its_contexts() {
        let context = NotificationContext::new("eastus", "P")
            .with_frontdoor_location("westus")
            .with_api_version("2024-01-01")
            .with_data_boundary(DataBoundary::Eu)
            .with_home_tenant_id("h")
            .with_resource_home_tenant_id("r")
            .with_batch_correlation_id("b");
        let n = Notification::new("eastus", "P", vec![])
            .with_frontdoor_location("westus")
            .with_api_version("2024-01-01")
            .with_data_boundary(DataBoundary::Eu)
            .with_home_tenant_id("h")
            .with_resource_home_tenant_id("r")
            .with_batch_correlation_id("b");
        assert_eq!(n, Notification::in_context(context.clone(), vec![]));
        assert_eq!(n.context, context);
        assert!(n.additional_batch_properties.is_empty());
    }
}
