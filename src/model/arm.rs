//! The ARM description of one resource (`armResource`), with its properties
//! serialized once.

use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;

use super::json::RawJson;
use super::{Activity, ResourceId, ResourceType, Rule, ValidationError};
use crate::Error;

/// The ARM description of one resource (`armResource` on the wire).
///
/// Built by [`ArmResource::new`] (which serializes the properties once),
/// [`ArmResource::without_properties`] or [`ArmResource::from_raw`].
#[derive(Clone, Debug, PartialEq)]
pub struct ArmResource {
    pub(crate) id: ResourceId,
    pub(crate) activity: Activity,
    /// Shared by the clones of this resource.
    pub(crate) api_version: Arc<str>,
    /// The properties' JSON text, written as it is.
    pub(crate) properties: Option<RawJson>,
}

impl ArmResource {
    /// Builds the ARM resource for `id` with `properties`, serialized here, once.
    ///
    /// Properties that serialize to JSON `null` count as none, which only a `delete`
    /// may have (see [`ArmResource::without_properties`]). Fails with
    /// [`Error::Invalid`] ([`Rule::PropertiesMissing`], or [`Rule::ArmIdMissing`] for
    /// an id with an empty canonical string) or [`Error::Encode`] when the properties
    /// cannot be serialized (`docs/protocol.md` section 4, step 2).
    ///
    /// ```
    /// use arn_client::model::{Activity, ArmResource, ResourceId};
    ///
    /// let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".parse()?;
    /// let vm = ArmResource::new(Activity::Write, &id, "2024-03-01", &serde_json::json!({ "vmSize": "D2s_v5" }))?;
    /// assert_eq!(vm.properties(), Some(r#"{"vmSize":"D2s_v5"}"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new<T: Serialize + ?Sized>(
        activity: Activity,
        id: &ResourceId,
        api_version: &str,
        properties: &T,
    ) -> Result<Self, Error> {
        let properties = super::json::to_raw_value(properties)
            .map_err(|e| Error::Encode(format!("armResource.properties: {e}")))?;
        // Serialized text needs no surrogate check: it holds whole characters only
        // (unless the value embeds a `RawValue` of its own).
        Self::from_json(activity, id, api_version, Some(properties))
    }

    /// Builds the ARM resource for `id` without properties: only a `delete` may omit
    /// them; any other activity fails with [`Error::Invalid`]
    /// ([`Rule::PropertiesMissing`]).
    ///
    /// ```
    /// use arn_client::model::{Activity, ArmResource, ResourceId};
    ///
    /// let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".parse()?;
    /// let gone = ArmResource::without_properties(Activity::Delete, &id, "2024-03-01")?;
    /// assert_eq!(gone.properties(), None);
    /// assert!(ArmResource::without_properties(Activity::Write, &id, "2024-03-01").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_properties(
        activity: Activity,
        id: &ResourceId,
        api_version: &str,
    ) -> Result<Self, Error> {
        Self::from_json(activity, id, api_version, None)
    }

    /// Like [`ArmResource::new`], for properties that are already JSON (for example
    /// read from another service with `serde_json::from_slice::<Box<RawValue>>`):
    /// they are sent as they are, without another serialization. Fails with
    /// [`Error::Encode`] when they hold a lone surrogate escape such as `"\ud800"`,
    /// which serde_json accepts as raw text but refuses as a value.
    pub fn from_raw(
        activity: Activity,
        id: &ResourceId,
        api_version: &str,
        properties: Option<Box<RawValue>>,
    ) -> Result<Self, Error> {
        if let Some(escape) = properties.as_deref().and_then(|p| lone_surrogate(p.get())) {
            return Err(Error::Encode(format!(
                "armResource.properties holds the lone surrogate escape {escape}"
            )));
        }
        Self::from_json(activity, id, api_version, properties.map(RawJson::from))
    }

    /// [`ArmResource::from_raw`] for JSON text in any form, past its surrogate check:
    /// the id and the properties rule.
    fn from_json(
        activity: Activity,
        id: &ResourceId,
        api_version: &str,
        properties: Option<RawJson>,
    ) -> Result<Self, Error> {
        if id.as_str().is_empty() {
            return Err(ValidationError::new(
                Rule::ArmIdMissing,
                None,
                "armResource.id is required".into(),
            )
            .into());
        }
        let properties = properties.filter(|p| p.get().trim() != "null");
        if properties.is_none() && activity != Activity::Delete {
            return Err(ValidationError::new(
                Rule::PropertiesMissing,
                None,
                format!("armResource.properties is required for activity {activity}"),
            )
            .into());
        }
        Ok(Self {
            id: id.clone(),
            activity,
            api_version: Arc::from(api_version),
            properties,
        })
    }

    /// The parsed resource id.
    pub fn id(&self) -> &ResourceId {
        &self.id
    }

    /// The activity this resource reports.
    pub fn activity(&self) -> Activity {
        self.activity
    }

    /// `armResource.apiVersion`: the API version of the properties' schema.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The serialized properties (`armResource.properties`), if any.
    pub fn properties(&self) -> Option<&str> {
        self.properties.as_ref().map(RawJson::get)
    }

    /// The resource type (`armResource.type`), from the id.
    pub fn resource_type(&self) -> &ResourceType {
        self.id.resource_type()
    }

    /// The resource type as its wire string, e.g.
    /// `"Microsoft.ContainerService/managedClusters/nodes"`.
    pub fn type_string(&self) -> String {
        self.id.resource_type().as_str().to_owned()
    }

    /// The resource name (`armResource.name`): the last name segment of the id, empty
    /// when the id ends in a bare type.
    pub fn name(&self) -> &str {
        self.id.name()
    }

    /// The location segment of the id (`armResource.location`), if it has one.
    pub fn location(&self) -> Option<&str> {
        self.id.location()
    }
}

/// The first `\uXXXX` escape in the JSON text `json` that is a lone UTF-16 surrogate: a
/// high one (`\ud800`-`\udbff`) not followed by an escaped low one, or a low one
/// (`\udc00`-`\udfff`) without a high one before it.
///
/// Such text passes a syntax-only read (serde_json's `RawValue`, which the crate keeps
/// properties in) but names no Unicode character: serde_json refuses it as a value
/// ("lone leading surrogate in hex escape"), as does the local receiver, and other
/// parsers replace it or fail. The crate therefore refuses it everywhere properties
/// come in as JSON text: [`ReceivedEvent::parse`](super::ReceivedEvent::parse) fails
/// with `Error::Decode` (so `arn validate` and `arn send` report the record), and
/// [`ArmResource::from_raw`] with `Error::Encode` (`docs/protocol.md` section 3).
/// `json` must be valid JSON, where a backslash appears only inside strings.
pub(crate) fn lone_surrogate(json: &str) -> Option<&str> {
    let bytes = json.as_bytes();
    let unit = |at: usize| -> Option<u16> {
        let hex = json.get(at + 2..at + 6)?;
        (bytes.get(at + 1) == Some(&b'u')).then(|| u16::from_str_radix(hex, 16).ok())?
    };
    let mut i = 0;
    while let Some(off) = bytes.get(i..)?.iter().position(|&b| b == b'\\') {
        let at = i + off;
        let Some(u) = unit(at) else {
            // Any other escape: a backslash and one character.
            i = at + 2;
            continue;
        };
        i = at + 6;
        match u {
            0xD800..=0xDBFF if unit(i).is_some_and(|l| (0xDC00..=0xDFFF).contains(&l)) => {
                i += 6;
            }
            0xD800..=0xDFFF => return json.get(at..at + 6),
            _ => {}
        }
    }
    None
}
