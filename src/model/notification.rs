//! The notification types of the ARN v3 model (`arn-protocol.md` section 3).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use super::ResourceId;
use crate::Error;

/// The most resources one notification may carry (`arn-protocol.md` section 1).
pub const MAX_BATCH_SIZE: usize = 1000;

/// What happened to a resource; the last segment of the event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activity {
    /// The resource was created or updated (`"write"`).
    Write,
    /// The resource was deleted (`"delete"`).
    Delete,
    /// The resource still exists as described (`"snapshot"`).
    Snapshot,
}

/// The change recorded in `resourceSystemProperties.changeAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChangeAction {
    /// `"Create"`.
    Create,
    /// `"Delete"`.
    Delete,
    /// `"Move"`.
    Move,
    /// `"Update"`.
    Update,
}

/// The data boundary of a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataBoundary {
    /// `"global"`.
    Global,
    /// `"eu"`.
    Eu,
}

/// The ARM description of one resource (`armResource` on the wire).
///
/// Built only by [`ArmResource::new`], which serializes the properties once.
#[derive(Clone, Debug)]
pub struct ArmResource {
    pub(crate) id: ResourceId,
    pub(crate) activity: Activity,
    pub(crate) api_version: String,
    pub(crate) properties: Option<Box<RawValue>>,
}

impl PartialEq for ArmResource {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.activity == other.activity
            && self.api_version == other.api_version
            && self.properties.as_ref().map(|p| p.get())
                == other.properties.as_ref().map(|p| p.get())
    }
}

impl ArmResource {
    /// Builds the ARM resource for `id`. The properties are serialized here, once.
    /// `write` and `snapshot` need properties; `delete` may omit them.
    pub fn new<T: Serialize + ?Sized>(
        activity: Activity,
        id: &ResourceId,
        api_version: &str,
        properties: Option<&T>,
    ) -> Result<Self, Error> {
        let _ = (activity, id, api_version, properties);
        unimplemented!()
    }

    /// The parsed resource id.
    pub fn id(&self) -> &ResourceId {
        &self.id
    }

    /// The activity this resource reports.
    pub fn activity(&self) -> Activity {
        self.activity
    }
}

/// `resourceSystemProperties` of one resource.
#[derive(Clone, Debug, PartialEq)]
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

/// One resource in a notification.
#[derive(Clone, Debug, PartialEq)]
pub struct NotificationResource {
    /// When the event happened to the resource; the offset is kept as given.
    pub resource_event_time: Option<OffsetDateTime>,
    /// Extra string properties.
    pub additional_resource_properties: BTreeMap<String, String>,
    /// The ARM resource (id, type, properties).
    pub arm_resource: ArmResource,
    /// The resource id string (`resourceId`, must not be empty).
    pub resource_id: String,
    /// The API version of the resource payload.
    pub api_version: String,
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

/// One ARN notification: 1..=1000 resources of one type.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// Normalized ARM location, e.g. `"eastus"`.
    pub resource_location: String,
    /// The ARM region that emitted it.
    pub frontdoor_location: String,
    /// Publisher namespace, e.g. `"Microsoft.ContainerService"`.
    pub publisher_info: String,
    /// Notification-level API version.
    pub api_version: String,
    /// The data boundary.
    pub data_boundary: Option<DataBoundary>,
    /// The tenant that manages the resources.
    pub home_tenant_id: String,
    /// The tenant where the resources live.
    pub resource_home_tenant_id: String,
    /// `additionalBatchProperties.batchCorrelationId`.
    pub batch_correlation_id: String,
    /// Extra keys flattened into `additionalBatchProperties`.
    pub additional_batch_properties: BTreeMap<String, serde_json::Value>,
    /// The resources.
    pub resources: Vec<NotificationResource>,
}

impl Notification {
    /// The subject of the event (`arn-protocol.md` section 5); also the ordering key.
    pub fn subject(&self) -> Cow<'_, str> {
        super::subject(self.resources.iter().map(|r| r.arm_resource.id()))
    }
}
