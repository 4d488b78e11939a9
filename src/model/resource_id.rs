//! ARM resource ids (`docs/protocol.md` section 6).
//!
//! The grammar is the one of the Azure SDK for Go's `arm.ParseResourceID` (azcore
//! v1.18.0); `tests/vectors/resource_ids.json` holds its real outputs and is the
//! authority. A parsed id keeps its canonical string once, plus one small level of byte
//! offsets per scope (subscription, resource group, resource, child ...) instead of a
//! linked chain of parents, so every accessor is a slice of the canonical string and
//! the parent chain is read without allocating.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

mod grammar;
mod resource_type;
mod segments;

use grammar::{
    Level, Span, EMPTY_LEVEL, SETS_LOCATION, SETS_PROVIDER, SETS_RESOURCE_GROUP, SETS_SUBSCRIPTION,
};
pub use resource_type::{ResourceType, Types};

use crate::error::ResourceIdError;

/// A parsed ARM resource id, such as
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}`.
///
/// Equality and hashing use the canonical string ([`ResourceId::as_str`]), which is
/// case-sensitive except for the normalised keywords (`subscriptions`, `resourceGroups`,
/// `providers`), as in the Go reference. Serde reads and writes the canonical string.
/// A parsed id is never the tenant root: its parent chain ends at a top-level scope (a
/// subscription, a tenant-level provider namespace or resource).
///
/// ```
/// use arn_client::model::{ResourceId, ResourceIdErrorKind};
///
/// let id: ResourceId = "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/resourcegroups/rg\
///     /providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
///     .parse()?;
/// // The keywords take their canonical spelling; everything else is kept as written.
/// assert_eq!(
///     id.as_str(),
///     "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg\
///      /providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
/// );
/// assert_eq!(id.resource_type().to_string(), "Microsoft.Network/virtualNetworks/subnets");
/// assert_eq!(id.name(), "default");
/// assert_eq!(id.subscription_id(), Some("00000000-0000-0000-0000-000000000000"));
/// assert_eq!(id.resource_group_name(), Some("rg"));
///
/// // The enclosing scopes, nearest first: the network, the group, the subscription.
/// let parents: Vec<&str> = id.parents().collect();
/// assert_eq!(parents.len(), 3);
/// assert!(parents[0].ends_with("/virtualNetworks/vnet"));
///
/// let err = ResourceId::parse("subscriptions/00000000-0000-0000-0000-000000000000").unwrap_err();
/// assert_eq!(err.kind(), ResourceIdErrorKind::NoLeadingSlash);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ResourceId {
    /// Shared: an id is cloned into the resource that names it (and into keys), and a
    /// clone is then a reference count instead of three or four allocations (~1.5k
    /// instructions per AKS node in `ArmResource::new`, by `count-instructions.sh`).
    inner: Arc<Inner>,
}

struct Inner {
    canonical: String,
    /// One entry per scope, outermost first; the last is this id. Never empty.
    levels: Vec<Level>,
    /// [`ResourceId::resource_type`]. Built eagerly: a lazy cell would make the id
    /// interior-mutable, which hash-map keys should not be.
    rtype: ResourceType,
}

impl ResourceId {
    /// Parses an ARM resource id exactly as the Azure SDK for Go's `arm.ParseResourceID`
    /// does (`docs/protocol.md` section 6): empty segments are dropped, keywords are
    /// matched case-insensitively and normalised in the canonical form, names are opaque.
    /// Costs the canonical string, the levels (for ids up to six levels deep), the
    /// shared cell holding them and, unless the last id parsed on this thread had the
    /// same type, the type's string; a clone costs none of them.
    pub fn parse(input: &str) -> Result<Self, ResourceIdError> {
        match grammar::parse(input) {
            Ok((canonical, levels)) => Ok(Self::new(canonical, levels)),
            Err(reason) => Err(ResourceIdError::new(input, reason)),
        }
    }

    fn new(canonical: String, levels: Vec<Level>) -> Self {
        let rtype = ResourceType::of(&canonical, &levels);
        ResourceId {
            inner: Arc::new(Inner {
                canonical,
                levels,
                rtype,
            }),
        }
    }

    /// The canonical string (keywords normalised, empty segments dropped). Never
    /// allocates.
    pub fn as_str(&self) -> &str {
        &self.inner.canonical
    }

    fn leaf(&self) -> &Level {
        // `levels` is never empty (see `parse`); fall back to a harmless empty level.
        self.inner.levels.last().unwrap_or(&EMPTY_LEVEL)
    }

    fn span(&self, span: Span) -> &str {
        Span::of(&self.inner.canonical, span)
    }

    fn non_empty(&self, span: Span) -> Option<&str> {
        Some(self.span(span)).filter(|s| !s.is_empty())
    }

    /// The name set by the innermost level carrying `flag` (Go's inherited fields).
    fn inherited(&self, flag: u8) -> Option<&str> {
        let level = self
            .inner
            .levels
            .iter()
            .rev()
            .find(|l| l.sets & flag != 0)?;
        self.non_empty(level.name)
    }

    /// The resource type, e.g. `Microsoft.Compute/virtualMachines`. Built by `parse`,
    /// so this never allocates.
    pub fn resource_type(&self) -> &ResourceType {
        &self.inner.rtype
    }

    /// The resource name: the last name segment, `""` when the id ends in a bare type
    /// (e.g. `.../virtualNetworks/vnet/subnets`).
    pub fn name(&self) -> &str {
        self.span(self.leaf().name)
    }

    /// The location: the name after the innermost type spelled exactly `locations`
    /// (lower case), if any.
    pub fn location(&self) -> Option<&str> {
        self.inherited(SETS_LOCATION)
    }

    /// The subscription id, if the id is in a subscription.
    pub fn subscription_id(&self) -> Option<&str> {
        self.inherited(SETS_SUBSCRIPTION)
    }

    /// The resource group name, if the id is in a resource group.
    pub fn resource_group_name(&self) -> Option<&str> {
        self.inherited(SETS_RESOURCE_GROUP)
    }

    /// The provider namespace of a provider namespace id (`.../providers/{namespace}`)
    /// or of an id under one; `None` for ordinary resources, as in the Go reference.
    pub fn provider(&self) -> Option<&str> {
        self.inherited(SETS_PROVIDER)
    }

    /// The parent scope, or `None` when the parent is the tenant root. Allocates as
    /// [`ResourceId::parse`] does (the parent's canonical string and levels are copied,
    /// its type is built); [`ResourceId::parents`] reads the chain without allocating.
    pub fn parent(&self) -> Option<ResourceId> {
        let n = self.inner.levels.len().checked_sub(1).filter(|&n| n > 0)?;
        let end = self.inner.levels.get(n - 1)?.end as usize;
        let canonical = self.inner.canonical.get(..end)?.to_owned();
        Some(Self::new(canonical, self.inner.levels.get(..n)?.to_vec()))
    }

    /// The canonical strings of the parent scopes, nearest first, stopping before the
    /// tenant root (whose canonical string would be empty). Never allocates.
    pub fn parents(&self) -> Parents<'_> {
        Parents {
            id: self,
            next: self.inner.levels.len().saturating_sub(1),
        }
    }

    /// The byte length of the canonical string of every scope, from the outermost (a
    /// subscription or a tenant-level scope) down to this id itself; used by `subject`.
    pub(crate) fn scope_ends(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.inner.levels.iter().map(|l| l.end as usize)
    }
}

/// The iterator of [`ResourceId::parents`].
#[derive(Clone, Debug)]
pub struct Parents<'a> {
    id: &'a ResourceId,
    /// Number of parents not yet yielded (levels `..next` remain, innermost last).
    next: usize,
}

impl<'a> Iterator for Parents<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.next = self.next.checked_sub(1)?;
        let end = self.id.inner.levels.get(self.next)?.end as usize;
        self.id.inner.canonical.get(..end)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.next, Some(self.next))
    }
}

impl ExactSizeIterator for Parents<'_> {}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.canonical)
    }
}

impl fmt::Debug for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceId({:?})", self.inner.canonical)
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.inner.canonical == other.inner.canonical
    }
}

impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.canonical.hash(state);
    }
}

/// Lets a `HashMap<ResourceId, _>` be searched with a `&str` canonical id.
impl std::borrow::Borrow<str> for ResourceId {
    fn borrow(&self) -> &str {
        &self.inner.canonical
    }
}

impl AsRef<str> for ResourceId {
    fn as_ref(&self) -> &str {
        &self.inner.canonical
    }
}

impl FromStr for ResourceId {
    type Err = ResourceIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for ResourceId {
    type Error = ResourceIdError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl serde::Serialize for ResourceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.inner.canonical)
    }
}

impl<'de> serde::Deserialize<'de> for ResourceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ResourceId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ARM resource id string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ResourceId, E> {
                ResourceId::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests;
