//! The event encoder (`docs/protocol.md` sections 1 and 3).
//!
//! The resources array is serialized once into [`EncodeBuf`]; an inline event embeds
//! exactly those bytes, a blob event names the upload. The envelope is written by hand
//! around them, keys in the reference's order; values go through the crate's JSON
//! serializer (`model::json`: serde_json's bytes, written faster). Buffers are
//! cleared, never shrunk, so a worker that keeps one [`EncodeBuf`] stops allocating
//! once it has seen its largest notification.

use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::json::{to_vec_into, write_into, write_str_contents, Cursor, Out};
use super::wire::Rfc3339Nano;
use super::Notification;
use crate::Error;

/// Resources JSON shorter than this goes inline (the Go constant `InlineSize`).
pub const DEFAULT_INLINE_THRESHOLD: usize = 42_000;

/// `additionalBatchProperties.sdkVersion` of every event this crate sends.
pub const SDK_VERSION: &str = concat!("rust@", env!("CARGO_PKG_VERSION"));

/// Encodes notifications into event bytes.
///
/// ```
/// use arn_client::model::{
///     Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
///     NotificationResource, ResourceId,
/// };
///
/// let id = ResourceId::parse(
///     "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
/// )?;
/// let props = serde_json::json!({"hardwareProfile": {"vmSize": "Standard_D2s_v5"}});
/// let arm = ArmResource::new(Activity::Write, &id, "2024-07-01", &props)?;
/// let n = Notification::new(
///     "eastus",
///     "Microsoft.Compute",
///     vec![NotificationResource::new(arm, ChangeAction::Create)],
/// );
///
/// let mut buf = EncodeBuf::new(); // keep one per worker
/// match Encoder::default().encode(&n, &mut buf)? {
///     Encoded::Inline(event) => assert!(event.starts_with(br#"{"topic":"","#)),
///     Encoded::Blob(pending) => {
///         let upload: &[u8] = pending.resources(); // put this in blob storage first,
///         assert!(!upload.is_empty());
///         let url = "https://account.blob.core.windows.net/c/b.txt?sig=x"; // its read URL
///         let _event: &[u8] = pending.finish(url); // then send this
///     }
///     Encoded::Empty => {} // no resources: nothing to send
/// }
/// # Ok::<(), arn_client::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Encoder {
    inline_threshold: usize,
}

impl Default for Encoder {
    fn default() -> Self {
        Self {
            inline_threshold: DEFAULT_INLINE_THRESHOLD,
        }
    }
}

/// Reusable buffers for encoding: keep one per worker.
///
/// `Debug` shows only lengths: the bytes hold payloads and, after
/// [`PendingBlob::finish`], a SAS URL.
#[derive(Default)]
pub struct EncodeBuf {
    /// Kept full between encodings (a [`Cursor`]): zero-filled only when it grows,
    /// not for every notification.
    resources: Cursor,
    event: Vec<u8>,
    event_id: Option<Uuid>,
}

impl fmt::Debug for EncodeBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodeBuf")
            .field("resources_len", &self.resources.written().len())
            .field("event_len", &self.event.len())
            .field("event_id", &self.event_id)
            .finish()
    }
}

impl EncodeBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id (UUID v4) of the last event encoded into this buffer, if any (for logs).
    pub fn event_id(&self) -> Option<Uuid> {
        self.event_id
    }
}

/// Whether the encoder checks a notification's rules (`docs/protocol.md` section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Validation {
    /// Check them: a notification as the caller made it.
    Run,
    /// They hold already: a publisher's batch, whose changes were each validated in
    /// their context when published and were grouped so that the rules across
    /// resources hold (`batch::GroupKey`). Debug builds check anyway.
    Done,
}

/// The result of [`Encoder::encode`].
#[derive(Debug)]
pub enum Encoded<'b> {
    /// The notification has no resources: nothing to send.
    Empty,
    /// The whole event, resources inline.
    Inline(&'b [u8]),
    /// The resources go to blob storage first.
    Blob(PendingBlob<'b>),
}

/// A notification whose resources must be uploaded before its event can be built.
#[derive(Debug)]
pub struct PendingBlob<'b> {
    buf: &'b mut EncodeBuf,
}

impl Encoder {
    /// An encoder with the given inline threshold (bytes): resources JSON shorter than
    /// it goes inline.
    pub fn new(inline_threshold: usize) -> Self {
        Self { inline_threshold }
    }

    /// The inline threshold in bytes.
    pub fn inline_threshold(&self) -> usize {
        self.inline_threshold
    }

    /// Whether `n`'s resources go inline: their JSON is shorter than the threshold
    /// (counted without writing it anywhere). A client without blob storage refuses
    /// the others at submission (a blocking `notify` learns it from the encoding).
    pub fn fits_inline(&self, n: &Notification) -> Result<(), Error> {
        let size = json_len(&n.resources)?;
        if size < self.inline_threshold {
            Ok(())
        } else {
            Err(Error::TooLarge {
                size,
                threshold: self.inline_threshold,
            })
        }
    }

    /// Validates and encodes `n` into `buf` (`docs/protocol.md` sections 1, 3 and 4).
    ///
    /// Fails with [`Error::Invalid`] when `n` breaks a rule; the validation runs on
    /// every notification, inline or blob.
    pub fn encode<'b>(
        &self,
        n: &Notification,
        buf: &'b mut EncodeBuf,
    ) -> Result<Encoded<'b>, Error> {
        self.encode_as(n, buf, Uuid::new_v4(), Validation::Run)
    }

    /// [`Encoder::encode`] with the event id chosen by the caller, validating `n` only
    /// as `validation` says.
    pub(crate) fn encode_as<'b>(
        &self,
        n: &Notification,
        buf: &'b mut EncodeBuf,
        id: Uuid,
        validation: Validation,
    ) -> Result<Encoded<'b>, Error> {
        buf.resources.clear();
        buf.event.clear();
        buf.event_id = None;
        match validation {
            Validation::Run => n.validate()?,
            Validation::Done => debug_assert_eq!(n.validate(), Ok(()), "a batch is valid"),
        }
        if n.resources.is_empty() {
            return Ok(Encoded::Empty);
        }
        write_into(&mut buf.resources, &n.resources).map_err(encode_error)?;
        buf.event_id = Some(id);
        write_head(&mut buf.event, n, id, OffsetDateTime::now_utc()).map_err(encode_error)?;
        if buf.resources.written().len() < self.inline_threshold {
            buf.event.extend_from_slice(buf.resources.written());
            buf.event
                .extend_from_slice(br#","resourcesContainer":"inline"}}"#);
            log::trace!(
                "encoded event {id}: {} resources inline, {} bytes",
                n.resources.len(),
                buf.event.len()
            );
            Ok(Encoded::Inline(&buf.event))
        } else {
            log::trace!(
                "encoded event {id}: {} resources, {} bytes for blob storage",
                n.resources.len(),
                buf.resources.written().len()
            );
            Ok(Encoded::Blob(PendingBlob { buf }))
        }
    }
}

impl<'b> PendingBlob<'b> {
    /// The resources JSON to upload.
    pub fn resources(&self) -> &[u8] {
        self.buf.resources.written()
    }

    /// The id (UUID v4) of the event being built.
    pub fn event_id(&self) -> Uuid {
        self.buf.event_id.unwrap_or_default()
    }

    /// The event bytes, once the blob's read URL is known: `resources: null`,
    /// `resourcesBlobInfo {blobUri, blobSize}` (the length of [`Self::resources`]) and
    /// `resourcesContainer: "blob"`.
    pub fn finish(self, blob_uri: &str) -> &'b [u8] {
        let buf = self.buf;
        let size = buf.resources.written().len();
        let ev = &mut buf.event;
        ev.extend_from_slice(br#"null,"resourcesBlobInfo":{"blobUri":"#);
        ev.string(blob_uri);
        ev.extend_from_slice(br#","blobSize":"#);
        // Writing a number into a Vec cannot fail.
        let _ = to_vec_into(ev, &size);
        ev.extend_from_slice(br#"},"resourcesContainer":"blob"}}"#);
        &buf.event
    }
}

/// The size of `value`'s JSON, counted without writing it anywhere.
pub(crate) fn json_len<T: Serialize + ?Sized>(value: &T) -> Result<usize, Error> {
    super::json::len_of(value).map_err(encode_error)
}

fn encode_error(e: impl fmt::Display) -> Error {
    Error::Encode(e.to_string())
}

/// Writes `"key":value` after a comma unless it is the first key of its object.
fn field<T: Serialize + ?Sized>(w: &mut Vec<u8>, key: &str, value: &T) -> serde_json::Result<()> {
    w.push(b',');
    w.push(b'"');
    w.extend_from_slice(key.as_bytes());
    w.extend_from_slice(b"\":");
    to_vec_into(w, value)
}

fn field_if(w: &mut Vec<u8>, key: &str, value: &str) -> serde_json::Result<()> {
    if value.is_empty() {
        return Ok(());
    }
    field(w, key, value)
}

/// Writes the event up to and including `"resources":` (`docs/protocol.md` section 3).
fn write_head(
    w: &mut Vec<u8>,
    n: &Notification,
    id: Uuid,
    now: OffsetDateTime,
) -> serde_json::Result<()> {
    let first = &n.resources[0].arm_resource;
    w.extend_from_slice(br#"{"topic":"""#);
    field(w, "subject", n.subject().as_ref())?;
    // `{resource type}/{activity}`, written as one string without `fmt`.
    w.extend_from_slice(br#","eventType":""#);
    write_str_contents(w, first.id.resource_type().as_str());
    w.push(b'/');
    write_str_contents(w, first.activity.as_str());
    w.push(b'"');
    field(w, "eventTime", &Rfc3339Nano(&now))?;
    let mut id_buf = Uuid::encode_buffer();
    field(w, "id", id.hyphenated().encode_lower(&mut id_buf))?;
    w.extend_from_slice(br#","dataVersion":"3.0","metadataVersion":"1.0","data":{"additionalBatchProperties":{"batchCorrelationId":"#);
    to_vec_into(w, &n.context.batch_correlation_id)?;
    field(w, "sdkVersion", super::SDK_VERSION)?;
    field(w, "batchSize", &n.resources.len())?;
    for (k, v) in &n.additional_batch_properties {
        w.push(b',');
        to_vec_into(w, k)?;
        w.push(b':');
        to_vec_into(w, v)?;
    }
    w.push(b'}');
    field_if(w, "homeTenantId", &n.context.home_tenant_id)?;
    field_if(
        w,
        "resourceHomeTenantId",
        &n.context.resource_home_tenant_id,
    )?;
    field(w, "resourceLocation", &n.context.resource_location)?;
    field_if(w, "frontdoorLocation", &n.context.frontdoor_location)?;
    field(w, "publisherInfo", &n.context.publisher_info)?;
    field_if(w, "apiVersion", &n.context.api_version)?;
    if let Some(b) = n.context.data_boundary {
        field(w, "dataBoundary", b.as_str())?;
    }
    w.extend_from_slice(br#","resources":"#);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Activity, ArmResource, ChangeAction, NotificationResource, ResourceId, Rule,
    };
    use serde_json::Value;

    fn node(i: usize) -> NotificationResource {
        let id = ResourceId::parse(&format!(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/nodes/n{i}"
        ))
        .unwrap();
        let props = serde_json::json!({"i": i, "pad": "x".repeat(100)});
        let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props).unwrap();
        NotificationResource::new(arm, ChangeAction::Update)
    }

    fn notification(count: usize) -> Notification {
        Notification::new(
            "eastus",
            "Microsoft.ContainerService",
            (0..count).map(node).collect(),
        )
        .with_additional_batch_property("tag", "p-1")
    }

    #[test]
    fn empty_notification_encodes_to_nothing() {
        let mut buf = EncodeBuf::new();
        let e = Encoder::default()
            .encode(&notification(0), &mut buf)
            .unwrap();
        assert!(matches!(e, Encoded::Empty));
        assert_eq!(buf.event_id(), None);
    }

    #[test]
    fn inline_event_embeds_the_resources_bytes() {
        let n = notification(2);
        let mut buf = EncodeBuf::new();
        let Encoded::Inline(ev) = Encoder::default().encode(&n, &mut buf).unwrap() else {
            panic!("expected inline");
        };
        let v: Value = serde_json::from_slice(ev).unwrap();
        assert_eq!(
            v["eventType"],
            "Microsoft.ContainerService/managedClusters/nodes/snapshot"
        );
        assert_eq!(v["data"]["additionalBatchProperties"]["batchSize"], 2);
        assert_eq!(v["data"]["additionalBatchProperties"]["tag"], "p-1");
        assert_eq!(
            v["data"]["additionalBatchProperties"]["sdkVersion"],
            SDK_VERSION
        );
        assert_eq!(v["data"]["resourcesContainer"], "inline");
        assert_eq!(v["data"]["resources"][1]["statusCode"], "OK");
        let id = v["id"].as_str().unwrap();
        assert_eq!(Uuid::parse_str(id).unwrap().get_version_num(), 4);
        assert_eq!(buf.event_id().unwrap().to_string(), id);
        let text = std::str::from_utf8(&buf.event).unwrap();
        assert!(text.contains(std::str::from_utf8(buf.resources.written()).unwrap()));
    }

    #[test]
    fn blob_event_names_the_upload() {
        let n = notification(3);
        let mut buf = EncodeBuf::new();
        let enc = Encoder::new(100);
        let Encoded::Blob(pending) = enc.encode(&n, &mut buf).unwrap() else {
            panic!("expected blob");
        };
        let uploaded = pending.resources().to_vec();
        let id = pending.event_id();
        let ev = pending.finish("https://acct.blob/c/b.txt?sig=x\"y");
        let v: Value = serde_json::from_slice(ev).unwrap();
        assert_eq!(v["id"], id.to_string());
        assert_eq!(v["data"]["resources"], Value::Null);
        assert_eq!(v["data"]["resourcesContainer"], "blob");
        let info = &v["data"]["resourcesBlobInfo"];
        assert_eq!(info["blobUri"], "https://acct.blob/c/b.txt?sig=x\"y");
        assert_eq!(info["blobSize"], uploaded.len());
        let back: Value = serde_json::from_slice(&uploaded).unwrap();
        assert_eq!(back.as_array().unwrap().len(), 3);
        assert!(!format!("{buf:?}").contains("sig="), "Debug shows no SAS");
    }

    #[test]
    fn envelope_keys_in_the_reference_order() {
        let n = notification(1)
            .with_home_tenant_id("h")
            .with_resource_home_tenant_id("r")
            .with_frontdoor_location("f")
            .with_api_version("2024-01-01")
            .with_data_boundary(crate::model::DataBoundary::Global);
        let mut n = n;
        for r in &mut n.resources {
            r.home_tenant_id = "h".into();
            r.resource_home_tenant_id = "r".into();
        }
        let mut buf = EncodeBuf::new();
        let Encoded::Inline(ev) = Encoder::default().encode(&n, &mut buf).unwrap() else {
            panic!("expected inline");
        };
        let text = std::str::from_utf8(ev).unwrap();
        let keys = [
            r#"{"topic":"","subject":"#,
            r#","eventType":"#,
            r#","eventTime":"#,
            r#","id":"#,
            r#","dataVersion":"3.0","metadataVersion":"1.0","data":{"additionalBatchProperties":{"batchCorrelationId":"","sdkVersion":"#,
            r#","batchSize":1,"tag":"p-1"},"homeTenantId":"h","resourceHomeTenantId":"r","resourceLocation":"eastus","frontdoorLocation":"f","publisherInfo":"Microsoft.ContainerService","apiVersion":"2024-01-01","dataBoundary":"global","resources":[{"#,
            r#"}],"resourcesContainer":"inline"}}"#,
        ];
        let mut at = 0;
        for k in keys {
            let found = text[at..]
                .find(k)
                .unwrap_or_else(|| panic!("{k} after {at} in {text}"));
            at += found + k.len();
        }
        assert_eq!(at, text.len());
        assert!(text.starts_with(keys[0]));
    }

    #[test]
    fn threshold_is_strict() {
        let n = notification(1);
        let mut buf = EncodeBuf::new();
        let len = match Encoder::new(usize::MAX).encode(&n, &mut buf).unwrap() {
            Encoded::Inline(_) => buf.resources.written().len(),
            _ => panic!("expected inline"),
        };
        assert!(matches!(
            Encoder::new(len + 1).encode(&n, &mut buf).unwrap(),
            Encoded::Inline(_)
        ));
        assert!(matches!(
            Encoder::new(len).encode(&n, &mut buf).unwrap(),
            Encoded::Blob(_)
        ));
    }

    #[test]
    fn invalid_notifications_are_refused_on_both_paths() {
        let mut n = notification(3);
        n.resources[2].resource_id = Some(String::new());
        for threshold in [usize::MAX, 0] {
            let e = Encoder::new(threshold)
                .encode(&n, &mut EncodeBuf::new())
                .unwrap_err();
            assert!(
                matches!(e, Error::Invalid(ref v) if v.rule == Rule::ResourceIdMissing),
                "{e}"
            );
        }
    }

    #[test]
    fn buffers_are_reused() {
        let mut buf = EncodeBuf::new();
        let enc = Encoder::default();
        let _ = enc.encode(&notification(30), &mut buf).unwrap();
        let (cap_r, cap_e) = (buf.resources.capacity(), buf.event.capacity());
        let first = buf.event.clone();
        let _ = enc.encode(&notification(20), &mut buf).unwrap();
        assert_eq!(
            (buf.resources.capacity(), buf.event.capacity()),
            (cap_r, cap_e)
        );
        assert!(buf.event.len() < first.len());
    }
}
