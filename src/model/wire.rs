//! The wire form of a notification's resources (`docs/protocol.md` section 3): keys,
//! order and omissions as the reference client sends them, its time format, and the
//! shapes a received event is read into.

use std::collections::BTreeMap;

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::arm::lone_surrogate;
pub(crate) use super::rfc3339::Rfc3339Nano;
use super::{ArmResource, DataBoundary, NotificationResource, ResourceSystemProperties};

/// `statusCode` of every resource a publisher sends (`docs/protocol.md` section 3).
pub(crate) const STATUS_OK: &str = "OK";

impl Serialize for ArmResource {
    /// `armResource`: `properties` (omitted when none), `name` (omitted when empty),
    /// `type` (omitted when empty), `id`, `location` (omitted when none),
    /// `apiVersion` (omitted when empty).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ArmResource", 6)?;
        if let Some(p) = &self.properties {
            st.serialize_field("properties", p)?;
        }
        let name = self.id.name();
        if !name.is_empty() {
            st.serialize_field("name", name)?;
        }
        if !self.id.resource_type().namespace().is_empty() {
            st.serialize_field("type", self.id.resource_type().as_str())?;
        }
        st.serialize_field("id", self.id.as_str())?;
        if let Some(loc) = self.id.location().filter(|l| !l.is_empty()) {
            st.serialize_field("location", loc)?;
        }
        if !self.api_version.is_empty() {
            st.serialize_field("apiVersion", &*self.api_version)?;
        }
        st.end()
    }
}

impl Serialize for ResourceSystemProperties {
    /// `resourceSystemProperties`: `createdTime`, `modifiedTime` (omitted if unset),
    /// `createdBy`, `modifiedBy`, `changeAction` (always).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ResourceSystemProperties", 5)?;
        if let Some(t) = &self.created_time {
            st.serialize_field("createdTime", &Rfc3339Nano(t))?;
        }
        if let Some(t) = &self.modified_time {
            st.serialize_field("modifiedTime", &Rfc3339Nano(t))?;
        }
        st.serialize_field("createdBy", &self.created_by)?;
        st.serialize_field("modifiedBy", &self.modified_by)?;
        st.serialize_field("changeAction", self.change_action.as_str())?;
        st.end()
    }
}

impl Serialize for NotificationResource {
    /// One element of `resources`: empty fields omitted, except `resourceId`
    /// (always) and `statusCode` (always `"OK"`, set here, never by the user).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("NotificationResource", 12)?;
        if let Some(t) = &self.resource_event_time {
            st.serialize_field("resourceEventTime", &Rfc3339Nano(t))?;
        }
        if !self.additional_resource_properties.is_empty() {
            st.serialize_field(
                "additionalResourceProperties",
                &self.additional_resource_properties,
            )?;
        }
        st.serialize_field("armResource", &self.arm_resource)?;
        st.serialize_field("resourceId", self.sent_resource_id())?;
        for (key, value) in [
            ("apiVersion", self.sent_api_version()),
            ("sourceResourceId", &self.source_resource_id),
            ("correlationId", &self.correlation_id),
        ] {
            if !value.is_empty() {
                st.serialize_field(key, value)?;
            }
        }
        st.serialize_field("statusCode", STATUS_OK)?;
        for (key, value) in [
            ("homeTenantId", &self.home_tenant_id),
            ("resourceHomeTenantId", &self.resource_home_tenant_id),
        ] {
            if !value.is_empty() {
                st.serialize_field(key, value)?;
            }
        }
        st.serialize_field("resourceSystemProperties", &self.resource_system_properties)?;
        st.end()
    }
}

// The received form (`model::event`): the same keys, read back.

/// Reads an optional RFC 3339 time (`docs/protocol.md` section 3).
pub(crate) fn opt_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<OffsetDateTime>, D::Error> {
    let s = String::deserialize(d)?;
    OffsetDateTime::parse(&s, &Rfc3339)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("time {s:?}: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WireEvent {
    pub(crate) topic: String,
    pub(crate) subject: String,
    pub(crate) event_type: String,
    pub(crate) event_time: String,
    pub(crate) id: String,
    pub(crate) data_version: String,
    pub(crate) metadata_version: String,
    pub(crate) data: WireData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WireData {
    pub(crate) additional_batch_properties: WireBatch,
    #[serde(default)]
    pub(crate) home_tenant_id: String,
    #[serde(default)]
    pub(crate) resource_home_tenant_id: String,
    pub(crate) resource_location: String,
    #[serde(default)]
    pub(crate) frontdoor_location: String,
    pub(crate) publisher_info: String,
    #[serde(default)]
    pub(crate) api_version: String,
    #[serde(default)]
    pub(crate) data_boundary: Option<DataBoundary>,
    pub(crate) resources: Option<Vec<WireResource>>,
    #[serde(default)]
    pub(crate) resources_blob_info: Option<WireBlobInfo>,
    pub(crate) resources_container: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireBatch {
    pub(crate) batch_correlation_id: String,
    pub(crate) sdk_version: String,
    pub(crate) batch_size: u64,
    #[serde(flatten)]
    pub(crate) extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WireBlobInfo {
    pub(crate) blob_uri: String,
    pub(crate) blob_size: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WireResource {
    #[serde(default, deserialize_with = "opt_time")]
    pub(crate) resource_event_time: Option<OffsetDateTime>,
    #[serde(default)]
    pub(crate) additional_resource_properties: BTreeMap<String, String>,
    pub(crate) arm_resource: WireArm,
    pub(crate) resource_id: String,
    #[serde(default)]
    pub(crate) api_version: String,
    #[serde(default)]
    pub(crate) source_resource_id: String,
    #[serde(default)]
    pub(crate) correlation_id: String,
    #[serde(default)]
    pub(crate) status_code: String,
    #[serde(default)]
    pub(crate) home_tenant_id: String,
    #[serde(default)]
    pub(crate) resource_home_tenant_id: String,
    pub(crate) resource_system_properties: WireSystem,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WireArm {
    #[serde(default, deserialize_with = "properties")]
    pub(crate) properties: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default, rename = "type")]
    pub(crate) type_: String,
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) location: String,
    #[serde(default)]
    pub(crate) api_version: String,
}

/// `armResource.properties`, kept as sent but refused when it holds a lone surrogate
/// escape (see [`lone_surrogate`]).
fn properties<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(d)?;
    match raw.as_deref().map(RawValue::get).and_then(lone_surrogate) {
        Some(escape) => Err(serde::de::Error::custom(format!(
            "armResource.properties holds the lone surrogate escape {escape}"
        ))),
        None => Ok(raw),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WireSystem {
    #[serde(default, deserialize_with = "opt_time")]
    pub(crate) created_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "opt_time")]
    pub(crate) modified_time: Option<OffsetDateTime>,
    pub(crate) created_by: String,
    pub(crate) modified_by: String,
    pub(crate) change_action: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn fmt(t: OffsetDateTime) -> String {
        Rfc3339Nano(&t).to_string()
    }

    #[test]
    fn times_format_as_go_rfc3339nano() {
        assert_eq!(
            fmt(datetime!(2026-11-01 12:00:00 UTC)),
            "2026-11-01T12:00:00Z"
        );
        assert_eq!(
            fmt(datetime!(2026-10-01 08:00:00.123456789 UTC)),
            "2026-10-01T08:00:00.123456789Z"
        );
        assert_eq!(
            fmt(datetime!(2026-10-02 09:30:00.5 UTC)),
            "2026-10-02T09:30:00.5Z"
        );
        assert_eq!(
            fmt(datetime!(2026-10-02 09:30:00.000000001 UTC)),
            "2026-10-02T09:30:00.000000001Z"
        );
        assert_eq!(
            fmt(datetime!(2026-10-01 13:30:00.120 +05:30)),
            "2026-10-01T13:30:00.12+05:30"
        );
        assert_eq!(
            fmt(datetime!(2026-10-01 03:00:00 -05:00)),
            "2026-10-01T03:00:00-05:00"
        );
        assert_eq!(
            fmt(datetime!(0001-01-01 00:00:00 -00:30)),
            "0001-01-01T00:00:00-00:30"
        );
        assert_eq!(
            fmt(datetime!(2026-01-01 01:00:00 +01:00:30)),
            "2025-12-31T23:59:30Z"
        );
    }

    fn id(s: &str) -> crate::model::ResourceId {
        crate::model::ResourceId::parse(s).unwrap()
    }

    #[test]
    fn resource_keys_order_and_omissions() {
        use crate::model::{Activity, ChangeAction};
        let arm = ArmResource::new(
            Activity::Write,
            &id("/subscriptions/s/locations/westus2"),
            "2024-01-01",
            &serde_json::json!({"b": [1]}),
        )
        .unwrap();
        let full = NotificationResource::new(arm, ChangeAction::Move)
            .with_resource_event_time(datetime!(2026-11-01 12:00:00.5 +01:00))
            .with_additional_resource_property("k", "v")
            .with_source_resource_id("/src")
            .with_correlation_id("c")
            .with_home_tenant_id("h")
            .with_resource_home_tenant_id("r")
            .with_created_time(datetime!(2026-11-01 12:00 UTC))
            .with_modified_time(datetime!(2026-11-02 12:00 UTC))
            .with_created_by("cb")
            .with_modified_by("mb");
        assert_eq!(
            serde_json::to_string(&full).unwrap(),
            concat!(
                r#"{"resourceEventTime":"2026-11-01T12:00:00.5+01:00","#,
                r#""additionalResourceProperties":{"k":"v"},"#,
                r#""armResource":{"properties":{"b":[1]},"name":"westus2","#,
                r#""type":"Microsoft.Resources/subscriptions/locations","#,
                r#""id":"/subscriptions/s/locations/westus2","location":"westus2","#,
                r#""apiVersion":"2024-01-01"},"#,
                r#""resourceId":"/subscriptions/s/locations/westus2","apiVersion":"2024-01-01","#,
                r#""sourceResourceId":"/src","correlationId":"c","statusCode":"OK","#,
                r#""homeTenantId":"h","resourceHomeTenantId":"r","#,
                r#""resourceSystemProperties":{"createdTime":"2026-11-01T12:00:00Z","#,
                r#""modifiedTime":"2026-11-02T12:00:00Z","createdBy":"cb","modifiedBy":"mb","#,
                r#""changeAction":"Move"}}"#
            )
        );
        let bare = ArmResource::without_properties(
            Activity::Delete,
            &id("/subscriptions/s/resourceGroups/rg/providers/P.N/vnets/v/subnets"),
            "",
        )
        .unwrap();
        let minimal = NotificationResource::new(bare, ChangeAction::Delete);
        assert_eq!(
            serde_json::to_string(&minimal).unwrap(),
            concat!(
                r#"{"armResource":{"type":"P.N/vnets/subnets","#,
                r#""id":"/subscriptions/s/resourceGroups/rg/providers/P.N/vnets/v/subnets"},"#,
                r#""resourceId":"/subscriptions/s/resourceGroups/rg/providers/P.N/vnets/v/subnets","#,
                r#""statusCode":"OK","resourceSystemProperties":{"createdBy":"","modifiedBy":"","#,
                r#""changeAction":"Delete"}}"#
            )
        );
    }

    #[test]
    fn formatted_times_parse_back_to_the_same_instant_and_offset() {
        use time::format_description::well_known::Rfc3339;
        for t in [
            datetime!(2026-10-01 13:30:00.000100 +05:30),
            datetime!(1999-12-31 23:59:59.999999999 -11:00),
        ] {
            let back = OffsetDateTime::parse(&fmt(t), &Rfc3339).unwrap();
            assert_eq!(back, t);
            assert_eq!(back.offset(), t.offset());
        }
    }
}
