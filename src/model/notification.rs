//! The notification types of the ARN v3 model (`docs/protocol.md` section 3).
//!
//! Build a resource with [`ArmResource::new`] and [`NotificationResource::new`], then a
//! notification with [`Notification::new`]; the `with_*` setters fill the optional
//! fields. The wire form (keys, order, omissions) lives in `wire.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::{ArmResource, ChangeAction, DataBoundary, NotificationContext};

/// The most resources one notification may carry (`docs/protocol.md` section 1).
pub const MAX_BATCH_SIZE: usize = 1000;

/// `resourceSystemProperties` of one resource.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "system properties do nothing until set on a resource"]
pub struct ResourceSystemProperties {
    /// When the resource was created.
    pub created_time: Option<OffsetDateTime>,
    /// When the resource was last modified.
    pub modified_time: Option<OffsetDateTime>,
    /// Who created it (sent even when empty).
    pub created_by: String,
    /// Who last modified it (sent even when empty).
    pub modified_by: String,
    /// What changed.
    pub change_action: ChangeAction,
}

impl ResourceSystemProperties {
    /// System properties with only the change action set.
    pub fn new(change_action: ChangeAction) -> Self {
        Self {
            created_time: None,
            modified_time: None,
            created_by: String::new(),
            modified_by: String::new(),
            change_action,
        }
    }

    /// Sets `createdTime`. Defaults to unset (omitted).
    pub fn with_created_time(mut self, t: OffsetDateTime) -> Self {
        self.created_time = Some(t);
        self
    }

    /// Sets `modifiedTime`. Defaults to unset (omitted).
    pub fn with_modified_time(mut self, t: OffsetDateTime) -> Self {
        self.modified_time = Some(t);
        self
    }

    /// Sets `createdBy`. Defaults to `""`.
    pub fn with_created_by(mut self, who: impl Into<String>) -> Self {
        self.created_by = who.into();
        self
    }

    /// Sets `modifiedBy`. Defaults to `""`.
    pub fn with_modified_by(mut self, who: impl Into<String>) -> Self {
        self.modified_by = who.into();
        self
    }
}

/// One resource in a notification.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "a resource does nothing until it is put in a notification"]
pub struct NotificationResource {
    /// When the event happened to the resource; the offset is kept as given.
    pub resource_event_time: Option<OffsetDateTime>,
    /// Extra string properties.
    pub additional_resource_properties: BTreeMap<String, String>,
    /// The ARM resource (id, type, properties).
    pub arm_resource: ArmResource,
    /// `resourceId`, when it is not the ARM resource's id: `None` (the default) sends
    /// `arm_resource`'s canonical id string. `Some("")` fails validation
    /// ([`Rule::ResourceIdMissing`](super::Rule::ResourceIdMissing)). Read what is
    /// sent with [`NotificationResource::sent_resource_id`].
    pub resource_id: Option<String>,
    /// The resource's `apiVersion`, when it is not the ARM resource's: `None` (the
    /// default) sends `arm_resource`'s API version; `Some("")` omits it (allowed when
    /// the notification has an API version). Read what is sent with
    /// [`NotificationResource::sent_api_version`].
    pub api_version: Option<String>,
    /// The source resource id, for moves.
    pub source_resource_id: String,
    /// The operation's correlation GUID.
    pub correlation_id: String,
    /// The tenant that manages the resource.
    pub home_tenant_id: String,
    /// The tenant where the resource lives.
    pub resource_home_tenant_id: String,
    /// System properties.
    pub resource_system_properties: ResourceSystemProperties,
}

impl NotificationResource {
    /// A resource for `arm`: `resourceId` is the arm id's canonical string and
    /// `apiVersion` the arm resource's API version, both read from `arm` when sent
    /// (not copied: that was two allocations per resource); everything else is unset.
    pub fn new(arm: ArmResource, change_action: ChangeAction) -> Self {
        Self {
            resource_event_time: None,
            additional_resource_properties: BTreeMap::new(),
            resource_id: None,
            api_version: None,
            arm_resource: arm,
            source_resource_id: String::new(),
            correlation_id: String::new(),
            home_tenant_id: String::new(),
            resource_home_tenant_id: String::new(),
            resource_system_properties: ResourceSystemProperties::new(change_action),
        }
    }

    /// Sets `resourceEventTime` (its offset is kept). Defaults to unset (omitted).
    pub fn with_resource_event_time(mut self, t: OffsetDateTime) -> Self {
        self.resource_event_time = Some(t);
        self
    }

    /// Adds one `additionalResourceProperties` entry. Defaults to none (omitted).
    pub fn with_additional_resource_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.additional_resource_properties
            .insert(key.into(), value.into());
        self
    }

    /// Replaces `additionalResourceProperties`. Defaults to empty (omitted).
    pub fn with_additional_resource_properties(mut self, props: BTreeMap<String, String>) -> Self {
        self.additional_resource_properties = props;
        self
    }

    /// Overrides `resourceId`. Defaults to the arm id's canonical string.
    pub fn with_resource_id(mut self, id: impl Into<String>) -> Self {
        self.resource_id = Some(id.into());
        self
    }

    /// Overrides the resource `apiVersion` (`""` omits it). Defaults to the arm
    /// resource's API version.
    pub fn with_api_version(mut self, v: impl Into<String>) -> Self {
        self.api_version = Some(v.into());
        self
    }

    /// The `resourceId` sent: the override, or the ARM resource's canonical id.
    pub fn sent_resource_id(&self) -> &str {
        self.resource_id
            .as_deref()
            .unwrap_or_else(|| self.arm_resource.id.as_str())
    }

    /// The `apiVersion` sent (`""`: omitted): the override, or the ARM resource's.
    pub fn sent_api_version(&self) -> &str {
        self.api_version
            .as_deref()
            .unwrap_or(&self.arm_resource.api_version)
    }

    /// Sets `sourceResourceId` (moves). Defaults to `""` (omitted).
    pub fn with_source_resource_id(mut self, id: impl Into<String>) -> Self {
        self.source_resource_id = id.into();
        self
    }

    /// Sets `correlationId`. Defaults to `""` (omitted).
    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = id.into();
        self
    }

    /// Sets `homeTenantId`; must equal the notification's. Defaults to `""` (omitted).
    pub fn with_home_tenant_id(mut self, id: impl Into<String>) -> Self {
        self.home_tenant_id = id.into();
        self
    }

    /// Sets `resourceHomeTenantId`; must equal the notification's. Defaults to `""`
    /// (omitted).
    pub fn with_resource_home_tenant_id(mut self, id: impl Into<String>) -> Self {
        self.resource_home_tenant_id = id.into();
        self
    }

    /// Replaces `resourceSystemProperties`. Defaults to only the change action given
    /// to [`NotificationResource::new`].
    pub fn with_system_properties(mut self, p: ResourceSystemProperties) -> Self {
        self.resource_system_properties = p;
        self
    }

    /// Sets `resourceSystemProperties.createdTime`. Defaults to unset (omitted).
    pub fn with_created_time(mut self, t: OffsetDateTime) -> Self {
        self.resource_system_properties.created_time = Some(t);
        self
    }

    /// Sets `resourceSystemProperties.modifiedTime`. Defaults to unset (omitted).
    pub fn with_modified_time(mut self, t: OffsetDateTime) -> Self {
        self.resource_system_properties.modified_time = Some(t);
        self
    }

    /// Sets `resourceSystemProperties.createdBy`. Defaults to `""`.
    pub fn with_created_by(mut self, who: impl Into<String>) -> Self {
        self.resource_system_properties.created_by = who.into();
        self
    }

    /// Sets `resourceSystemProperties.modifiedBy`. Defaults to `""`.
    pub fn with_modified_by(mut self, who: impl Into<String>) -> Self {
        self.resource_system_properties.modified_by = who.into();
        self
    }
}

/// One ARN notification: 1..=1000 resources of one type.
///
/// Build it with [`Notification::new`] (or [`Notification::in_context`] from a
/// [`NotificationContext`]) and the `with_*` setters; the client validates
/// it ([`Notification::validate`], `docs/protocol.md` section 4) before sending, and a
/// notification that breaks a rule is never sent.
///
/// ```
/// use arn_client::model::{
///     Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId, Rule,
/// };
///
/// let rg = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg";
/// let vm = |name: &str| -> Result<NotificationResource, arn_client::Error> {
///     let id: ResourceId =
///         format!("{rg}/providers/Microsoft.Compute/virtualMachines/{name}").parse()?;
///     let properties = serde_json::json!({ "vmSize": "Standard_D2s_v5" });
///     let arm = ArmResource::new(Activity::Write, &id, "2024-03-01", &properties)?;
///     Ok(NotificationResource::new(arm, ChangeAction::Create)
///         .with_correlation_id("6f1f5b6e-7a55-4c8e-9b0e-2d1f0c3a4b5c"))
/// };
///
/// // Two new VMs in one event.
/// let n = Notification::new("eastus", "Microsoft.Compute", vec![vm("vm1")?, vm("vm2")?])
///     .with_batch_correlation_id("deploy-42");
/// n.validate()?;
/// // The subject is the scope both share: their resource group.
/// assert_eq!(n.subject(), rg);
///
/// // One notification carries one resource type: adding a storage account breaks a rule.
/// let sa: ResourceId = format!("{rg}/providers/Microsoft.Storage/storageAccounts/sa").parse()?;
/// let gone = ArmResource::without_properties(Activity::Delete, &sa, "2023-05-01")?;
/// let mixed = n.with_resource(NotificationResource::new(gone, ChangeAction::Delete));
/// assert_eq!(mixed.validate().unwrap_err().rule, Rule::MixedResourceTypes);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use = "a notification does nothing until it is sent"]
pub struct Notification {
    /// The notification-level fields: location, publisher, API version, data
    /// boundary, tenants and batch correlation id.
    pub context: NotificationContext,
    /// Extra keys flattened into `additionalBatchProperties`.
    pub additional_batch_properties: BTreeMap<String, serde_json::Value>,
    /// The resources.
    pub resources: Vec<NotificationResource>,
}

impl Notification {
    /// A notification of `resources` in `resource_location` (e.g. `"eastus"`) from the
    /// publisher namespace `publisher_info` (e.g. `"Microsoft.ContainerService"`).
    pub fn new(
        resource_location: impl Into<String>,
        publisher_info: impl Into<String>,
        resources: Vec<NotificationResource>,
    ) -> Self {
        Self::in_context(
            NotificationContext::new(resource_location, publisher_info),
            resources,
        )
    }

    /// A notification of `resources` with the notification-level fields of `context`
    /// and no extra batch properties.
    pub fn in_context(context: NotificationContext, resources: Vec<NotificationResource>) -> Self {
        Self {
            context,
            additional_batch_properties: BTreeMap::new(),
            resources,
        }
    }

    /// Sets `frontdoorLocation` ([`NotificationContext::with_frontdoor_location`]).
    pub fn with_frontdoor_location(mut self, loc: impl Into<String>) -> Self {
        self.context = self.context.with_frontdoor_location(loc);
        self
    }

    /// Sets the notification-level `apiVersion`; resources may then omit theirs
    /// ([`NotificationContext::with_api_version`]).
    pub fn with_api_version(mut self, v: impl Into<String>) -> Self {
        self.context = self.context.with_api_version(v);
        self
    }

    /// Sets `dataBoundary` ([`NotificationContext::with_data_boundary`]).
    pub fn with_data_boundary(mut self, b: DataBoundary) -> Self {
        self.context = self.context.with_data_boundary(b);
        self
    }

    /// Sets `homeTenantId` ([`NotificationContext::with_home_tenant_id`]).
    pub fn with_home_tenant_id(mut self, id: impl Into<String>) -> Self {
        self.context = self.context.with_home_tenant_id(id);
        self
    }

    /// Sets `resourceHomeTenantId`
    /// ([`NotificationContext::with_resource_home_tenant_id`]).
    pub fn with_resource_home_tenant_id(mut self, id: impl Into<String>) -> Self {
        self.context = self.context.with_resource_home_tenant_id(id);
        self
    }

    /// Sets `additionalBatchProperties.batchCorrelationId`
    /// ([`NotificationContext::with_batch_correlation_id`]).
    pub fn with_batch_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.context = self.context.with_batch_correlation_id(id);
        self
    }

    /// Adds one extra key to `additionalBatchProperties` (it must not be
    /// `batchCorrelationId`, `sdkVersion` or `batchSize`). Defaults to none.
    pub fn with_additional_batch_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.additional_batch_properties
            .insert(key.into(), value.into());
        self
    }

    /// Appends a resource. Defaults to only the resources given to [`Notification::new`].
    pub fn with_resource(mut self, r: NotificationResource) -> Self {
        self.resources.push(r);
        self
    }

    /// The subject of the event (`docs/protocol.md` section 5); also the ordering key.
    pub fn subject(&self) -> Cow<'_, str> {
        super::subject(self.resources.iter().map(|r| r.arm_resource.id()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activity, ResourceId, Rule};
    use crate::Error;
    use serde_json::value::RawValue;

    fn vm_id() -> ResourceId {
        ResourceId::parse(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
        )
        .unwrap()
    }

    fn rule_of(e: Error) -> Rule {
        match e {
            Error::Invalid(v) => v.rule,
            other => panic!("expected a validation error, got {other}"),
        }
    }

    #[test]
    fn write_and_snapshot_need_properties() {
        for act in [Activity::Write, Activity::Snapshot] {
            let e = ArmResource::without_properties(act, &vm_id(), "2024-01-01").unwrap_err();
            assert_eq!(rule_of(e), Rule::PropertiesMissing);
            let null = serde_json::Value::Null;
            let e = ArmResource::new(act, &vm_id(), "2024-01-01", &null).unwrap_err();
            assert_eq!(rule_of(e), Rule::PropertiesMissing);
        }
        let d = ArmResource::without_properties(Activity::Delete, &vm_id(), "2024-01-01").unwrap();
        assert_eq!(d.properties(), None);
    }

    #[test]
    fn properties_are_serialized_once_at_construction() {
        let props = serde_json::json!({"b": 1, "a": [true, null]});
        let a = ArmResource::new(Activity::Write, &vm_id(), "2024-01-01", &props).unwrap();
        assert_eq!(a.properties(), Some(r#"{"a":[true,null],"b":1}"#));
        assert_eq!(a.api_version(), "2024-01-01");
        assert_eq!(a.activity(), Activity::Write);
        let d = ArmResource::new(Activity::Delete, &vm_id(), "", &props).unwrap();
        assert!(
            d.properties().is_some(),
            "a delete keeps the properties it is given"
        );
    }

    #[test]
    fn raw_properties_are_kept_as_given() {
        let raw: Box<RawValue> = serde_json::from_str(r#"{"z": 1, "a": 2}"#).unwrap();
        let a = ArmResource::from_raw(Activity::Snapshot, &vm_id(), "", Some(raw)).unwrap();
        assert_eq!(a.properties(), Some(r#"{"z": 1, "a": 2}"#));
        let null: Box<RawValue> = serde_json::from_str(" null ").unwrap();
        let e = ArmResource::from_raw(Activity::Write, &vm_id(), "", Some(null)).unwrap_err();
        assert_eq!(rule_of(e), Rule::PropertiesMissing);
    }

    #[test]
    fn unserializable_properties_are_an_encode_error() {
        let mut bad = BTreeMap::new();
        bad.insert(vec![1u8], 1);
        let e = ArmResource::new(Activity::Write, &vm_id(), "", &bad).unwrap_err();
        assert!(matches!(e, Error::Encode(_)), "{e}");
    }

    #[test]
    fn resource_defaults_come_from_the_arm_resource() {
        let a = ArmResource::new(Activity::Write, &vm_id(), "2024-01-01", &1).unwrap();
        let r = NotificationResource::new(a, ChangeAction::Create).with_correlation_id("c");
        assert_eq!((&r.resource_id, &r.api_version), (&None, &None));
        assert_eq!(r.sent_resource_id(), vm_id().as_str());
        assert_eq!(r.sent_api_version(), "2024-01-01");
        let r = r.with_resource_id("/x").with_api_version("");
        assert_eq!((r.sent_resource_id(), r.sent_api_version()), ("/x", ""));
        assert_eq!(r.correlation_id, "c");
        assert_eq!(
            r.resource_system_properties,
            ResourceSystemProperties::new(ChangeAction::Create)
        );
    }
}
