//! Parsing a received ARN v3 event back into the model (`docs/protocol.md` section 3),
//! for local receivers and tests: the envelope, the data fields, and the resources,
//! inline or from the fetched blob.
//!
//! The wire does not carry each resource's activity, only the first one's (the last
//! segment of `eventType`): parsed resources all get that activity, and their
//! properties are taken as sent (the construction rule "write needs properties" is
//! not re-checked).

use std::collections::BTreeMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::wire::{WireEvent, WireResource, STATUS_OK};
use super::{
    Activity, ArmResource, ChangeAction, Notification, NotificationContext, NotificationResource,
    ResourceId, ResourceSystemProperties, Rule, ValidationError,
};
use crate::{Error, SecretUrl};

/// Where a received event's resources are (`data.resourcesContainer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourcesContainer {
    /// `"inline"`: in `data.resources`.
    Inline,
    /// `"blob"`: in the blob named by `data.resourcesBlobInfo`.
    Blob,
}

/// `data.resourcesBlobInfo` of a received event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    /// The blob's read URL; its SAS query string is redacted from `Debug`.
    pub uri: SecretUrl,
    /// The byte length of the blob.
    pub size: u64,
}

/// A received event, parsed with the crate's own model.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedEvent {
    /// `topic` (publishers send `""`).
    pub topic: String,
    /// `subject`.
    pub subject: String,
    /// `eventType`: `{armResource.type}/{activity}` of the first resource.
    pub event_type: String,
    /// `eventTime`.
    pub event_time: OffsetDateTime,
    /// `id`.
    pub id: String,
    /// `dataVersion` (`"3.0"`).
    pub data_version: String,
    /// `metadataVersion` (`"1.0"`).
    pub metadata_version: String,
    /// `data.additionalBatchProperties.sdkVersion`.
    pub sdk_version: String,
    /// `data.additionalBatchProperties.batchSize`.
    pub batch_size: u64,
    /// The other keys of `data.additionalBatchProperties`.
    pub additional_batch_properties: BTreeMap<String, serde_json::Value>,
    /// The notification-level fields: `data.resourceLocation`, `data.publisherInfo`,
    /// `data.frontdoorLocation`, `data.apiVersion`, `data.homeTenantId`,
    /// `data.resourceHomeTenantId` (these four `""` when absent), `data.dataBoundary`
    /// (none when absent) and `data.additionalBatchProperties.batchCorrelationId`.
    pub context: NotificationContext,
    /// `data.resourcesContainer`.
    pub resources_container: ResourcesContainer,
    /// The inline resources (empty for a blob event).
    pub resources: Vec<NotificationResource>,
    /// `data.resourcesBlobInfo` (blob events only).
    pub blob_info: Option<BlobInfo>,
    /// The activity: the last segment of `eventType`.
    pub activity: Activity,
}

impl ReceivedEvent {
    /// Parses an event body (uncompressed JSON). Fails with [`Error::Decode`] when the
    /// JSON does not have the v3 shape, a resource id does not parse, an
    /// `armResource`'s name, type or location disagrees with its id, a `statusCode` is
    /// not `"OK"`, or the container disagrees with `resources`/`resourcesBlobInfo`.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let w: WireEvent = serde_json::from_slice(body).map_err(decode_error)?;
        let activity = w
            .event_type
            .rsplit_once('/')
            .map_or("", |(_, a)| a)
            .parse::<Activity>()
            .map_err(|e| Error::Decode(format!("eventType {:?}: {e}", w.event_type)))?;
        let event_time = OffsetDateTime::parse(&w.event_time, &Rfc3339)
            .map_err(|e| Error::Decode(format!("eventTime {:?}: {e}", w.event_time)))?;
        let d = w.data;
        let (resources_container, resources, blob_info) = match (
            d.resources_container.as_str(),
            d.resources,
            d.resources_blob_info,
        ) {
            ("inline", Some(rs), None) => {
                (ResourcesContainer::Inline, convert_all(rs, activity)?, None)
            }
            ("blob", None, Some(b)) => (
                ResourcesContainer::Blob,
                Vec::new(),
                Some(BlobInfo {
                    uri: SecretUrl::new(b.blob_uri),
                    size: b.blob_size,
                }),
            ),
            (c, rs, b) => {
                return Err(Error::Decode(format!(
                    "resourcesContainer {c:?} with resources {} and resourcesBlobInfo {}",
                    if rs.is_some() { "set" } else { "null" },
                    if b.is_some() { "set" } else { "absent" },
                )))
            }
        };
        let batch = d.additional_batch_properties;
        Ok(Self {
            topic: w.topic,
            subject: w.subject,
            event_type: w.event_type,
            event_time,
            id: w.id,
            data_version: w.data_version,
            metadata_version: w.metadata_version,
            sdk_version: batch.sdk_version,
            batch_size: batch.batch_size,
            additional_batch_properties: batch.extra,
            context: NotificationContext {
                resource_location: d.resource_location,
                frontdoor_location: d.frontdoor_location,
                publisher_info: d.publisher_info,
                api_version: d.api_version,
                data_boundary: d.data_boundary,
                home_tenant_id: d.home_tenant_id,
                resource_home_tenant_id: d.resource_home_tenant_id,
                batch_correlation_id: batch.batch_correlation_id,
            },
            resources_container,
            resources,
            blob_info,
            activity,
        })
    }

    /// Parses the fetched blob of a blob event into resources. Fails with
    /// [`Error::Decode`] when this is not a blob event, the length differs from
    /// `blobSize`, or the bytes are not a resources array.
    pub fn parse_blob(&self, blob: &[u8]) -> Result<Vec<NotificationResource>, Error> {
        let Some(info) = &self.blob_info else {
            return Err(Error::Decode("not a blob event".into()));
        };
        if info.size != blob.len() as u64 {
            return Err(Error::Decode(format!(
                "blob is {} bytes, resourcesBlobInfo.blobSize says {}",
                blob.len(),
                info.size
            )));
        }
        parse_resources(blob, self.activity)
    }

    /// Checks the envelope rules (`docs/protocol.md` section 4, step 7): subject,
    /// eventType and id non-empty, id a UUID, dataVersion `"3.0"`, metadataVersion
    /// `"1.0"`, topic `""`.
    pub fn check_envelope(&self) -> Result<(), ValidationError> {
        let bad = |detail: String| Err(ValidationError::new(Rule::EnvelopeInvalid, None, detail));
        if self.subject.is_empty() || self.event_type.is_empty() || self.id.is_empty() {
            return bad("subject, eventType and id are required".into());
        }
        if uuid::Uuid::parse_str(&self.id).is_err() {
            return bad(format!("id {:?} is not a UUID", self.id));
        }
        if self.data_version != "3.0" || self.metadata_version != "1.0" {
            return bad(format!(
                "dataVersion {:?} / metadataVersion {:?}, expected \"3.0\" / \"1.0\"",
                self.data_version, self.metadata_version
            ));
        }
        if !self.topic.is_empty() {
            return bad(format!("topic {:?}, expected \"\"", self.topic));
        }
        Ok(())
    }

    /// The notification this event carries; `blob` is the fetched blob of a blob
    /// event (ignored for inline events). Fails with [`Error::Decode`] when a blob
    /// event has no blob or a bad one.
    pub fn into_notification(self, blob: Option<&[u8]>) -> Result<Notification, Error> {
        let resources = match (self.resources_container, blob) {
            (ResourcesContainer::Inline, _) => self.resources,
            (ResourcesContainer::Blob, Some(b)) => self.parse_blob(b)?,
            (ResourcesContainer::Blob, None) => {
                return Err(Error::Decode("a blob event needs its blob".into()))
            }
        };
        Ok(Notification {
            context: self.context,
            additional_batch_properties: self.additional_batch_properties,
            resources,
        })
    }

    /// Checks everything a receiver can: the envelope, the notification's rules
    /// (`docs/protocol.md` section 4), `batchSize` and `eventType` against the
    /// resources. Returns the notification.
    pub fn into_validated(self, blob: Option<&[u8]>) -> Result<Notification, Error> {
        self.check_envelope()?;
        let (batch_size, event_type) = (self.batch_size, self.event_type.clone());
        let n = self.into_notification(blob)?;
        n.validate()?;
        if batch_size != n.resources.len() as u64 {
            return Err(Error::Decode(format!(
                "batchSize {batch_size} but {} resources",
                n.resources.len()
            )));
        }
        if let Some(first) = n.resources.first() {
            let expected = format!(
                "{}/{}",
                first.arm_resource.id.resource_type(),
                first.arm_resource.activity
            );
            if expected != event_type {
                return Err(Error::Decode(format!(
                    "eventType {event_type:?}, the first resource gives {expected:?}"
                )));
            }
        }
        Ok(n)
    }
}

/// Parses a resources array (an inline `resources` value or a blob's bytes), giving
/// every resource `activity`.
pub fn parse_resources(
    json: &[u8],
    activity: Activity,
) -> Result<Vec<NotificationResource>, Error> {
    let rs: Vec<WireResource> = serde_json::from_slice(json).map_err(decode_error)?;
    convert_all(rs, activity)
}

fn decode_error(e: serde_json::Error) -> Error {
    Error::Decode(e.to_string())
}

fn convert_all(
    rs: Vec<WireResource>,
    activity: Activity,
) -> Result<Vec<NotificationResource>, Error> {
    rs.into_iter()
        .enumerate()
        .map(|(i, r)| {
            convert(r, activity).map_err(|e| Error::Decode(format!("resources[{i}]: {e}")))
        })
        .collect()
}

fn convert(r: WireResource, activity: Activity) -> Result<NotificationResource, String> {
    if r.status_code != STATUS_OK {
        return Err(format!("statusCode {:?}, expected \"OK\"", r.status_code));
    }
    let a = r.arm_resource;
    let id = ResourceId::parse(&a.id).map_err(|e| e.to_string())?;
    if id.as_str() != a.id {
        return Err(format!("armResource.id {:?} is not canonical", a.id));
    }
    let type_str = id.resource_type().to_string();
    if a.name != id.name() || a.type_ != type_str || a.location != id.location().unwrap_or("") {
        return Err(format!(
            "armResource name/type/location {:?}/{:?}/{:?} disagree with its id",
            a.name, a.type_, a.location
        ));
    }
    let change_action: ChangeAction = r
        .resource_system_properties
        .change_action
        .parse()
        .map_err(|e: ValidationError| e.to_string())?;
    let sys = r.resource_system_properties;
    Ok(NotificationResource {
        resource_event_time: r.resource_event_time,
        additional_resource_properties: r.additional_resource_properties,
        // Overrides only where they differ from the ARM resource's, so a received
        // resource equals the one sent.
        resource_id: Some(r.resource_id).filter(|s| s != id.as_str()),
        api_version: Some(r.api_version).filter(|s| *s != a.api_version),
        arm_resource: ArmResource {
            id,
            activity,
            api_version: a.api_version.into(),
            properties: a.properties.map(Into::into),
        },
        source_resource_id: r.source_resource_id,
        correlation_id: r.correlation_id,
        home_tenant_id: r.home_tenant_id,
        resource_home_tenant_id: r.resource_home_tenant_id,
        resource_system_properties: ResourceSystemProperties {
            created_time: sys.created_time,
            modified_time: sys.modified_time,
            created_by: sys.created_by,
            modified_by: sys.modified_by,
            change_action,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DataBoundary, EncodeBuf, Encoded, Encoder};
    use time::macros::datetime;

    fn sample(count: usize) -> Notification {
        let resources = (0..count)
            .map(|i| {
                let id = ResourceId::parse(&format!(
                    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{i}"
                ))
                .unwrap();
                let props = serde_json::json!({"i": i, "s": "a\"b\u{2028}"});
                let arm = ArmResource::new(Activity::Write, &id, "2024-07-01", &props).unwrap();
                NotificationResource::new(arm, ChangeAction::Create)
                    .with_resource_event_time(datetime!(2026-10-01 13:30:00.25 +05:30))
                    .with_created_time(datetime!(2026-10-01 10:00 UTC))
                    .with_additional_resource_property("k", "v")
                    .with_home_tenant_id("t")
                    .with_correlation_id("c")
            })
            .collect();
        Notification::new("eastus", "Microsoft.Compute", resources)
            .with_home_tenant_id("t")
            .with_data_boundary(DataBoundary::Eu)
            .with_frontdoor_location("westus")
            .with_batch_correlation_id("b")
            .with_additional_batch_property("x", serde_json::json!([1, {"y": null}]))
    }

    #[test]
    fn inline_events_round_trip() {
        let n = sample(3);
        let mut buf = EncodeBuf::new();
        let Encoded::Inline(ev) = Encoder::default().encode(&n, &mut buf).unwrap() else {
            panic!("expected inline");
        };
        let r = ReceivedEvent::parse(ev).unwrap();
        r.check_envelope().unwrap();
        assert_eq!(r.resources_container, ResourcesContainer::Inline);
        assert_eq!(r.activity, Activity::Write);
        assert_eq!(r.batch_size, 3);
        assert_eq!(r.sdk_version, crate::model::SDK_VERSION);
        assert_eq!(r.subject, "/subscriptions/s/resourceGroups/rg");
        assert_eq!(r.context, n.context);
        assert_eq!(r.context.home_tenant_id, "t");
        assert_eq!(r.context.data_boundary, Some(DataBoundary::Eu));
        assert_eq!(r.clone().into_validated(None).unwrap(), n);
    }

    #[test]
    fn blob_events_round_trip() {
        let n = sample(4);
        let mut buf = EncodeBuf::new();
        let Encoded::Blob(p) = Encoder::new(10).encode(&n, &mut buf).unwrap() else {
            panic!("expected blob");
        };
        let blob = p.resources().to_vec();
        let r = ReceivedEvent::parse(p.finish("https://x/y?sig=s")).unwrap();
        assert_eq!(r.resources_container, ResourcesContainer::Blob);
        let info = r.blob_info.as_ref().unwrap();
        assert_eq!(info.size, blob.len() as u64);
        assert_eq!(info.uri.expose(), "https://x/y?sig=s");
        assert!(
            !format!("{r:?}").contains("sig=s"),
            "the SAS stays out of Debug"
        );
        assert!(r.parse_blob(&blob[1..]).is_err(), "size mismatch");
        assert!(r.clone().into_notification(None).is_err());
        assert_eq!(r.into_validated(Some(&blob)).unwrap(), n);
    }

    #[test]
    fn malformed_events_are_decode_errors() {
        let n = sample(1);
        let mut buf = EncodeBuf::new();
        let Encoded::Inline(ev) = Encoder::default().encode(&n, &mut buf).unwrap() else {
            panic!("expected inline");
        };
        let good = std::str::from_utf8(ev).unwrap().to_owned();
        for (from, to) in [
            ("\"statusCode\":\"OK\"", "\"statusCode\":\"Bad\""),
            ("\"changeAction\":\"Create\"", "\"changeAction\":\"\""),
            ("/write\"", "/erase\""),
            ("\"name\":\"vm0\"", "\"name\":\"vm9\""),
            (
                "\"resourcesContainer\":\"inline\"",
                "\"resourcesContainer\":\"blob\"",
            ),
            ("\"topic\":\"\"", "\"topic\":\"\",\"extra\":1"),
        ] {
            assert!(good.contains(from), "{from}");
            let bad = good.replace(from, to);
            let e = ReceivedEvent::parse(bad.as_bytes()).unwrap_err();
            assert!(matches!(e, Error::Decode(_)), "{from}: {e}");
        }
    }

    #[test]
    fn envelope_rules() {
        let n = sample(1);
        let mut buf = EncodeBuf::new();
        let Encoded::Inline(ev) = Encoder::default().encode(&n, &mut buf).unwrap() else {
            panic!("expected inline");
        };
        let mut r = ReceivedEvent::parse(ev).unwrap();
        r.data_version = "2.0".into();
        assert_eq!(r.check_envelope().unwrap_err().rule, Rule::EnvelopeInvalid);
    }
}
