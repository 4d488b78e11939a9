//! ARM resource ids (`arn-protocol.md` section 6).
//!
//! The grammar is the one of the Azure SDK for Go's `arm.ParseResourceID` (azcore
//! v1.18.0); `tests/vectors/resource_ids.json` holds its real outputs and is the
//! authority. A parsed id keeps its canonical string once, plus one small [`Level`] of
//! byte offsets per scope (subscription, resource group, resource, child ...), so parsing
//! costs three allocations whatever the depth and every accessor is a slice of the
//! canonical string.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;

/// The namespace of the built-in types (subscriptions, resource groups, provider
/// namespaces, the tenant).
const BUILTIN_NAMESPACE: &str = "Microsoft.Resources";

/// A parsed ARM resource id, such as
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}`.
///
/// Equality and hashing use the canonical string ([`ResourceId::as_str`]), which is
/// case-sensitive except for the normalised keywords (`subscriptions`, `resourceGroups`,
/// `providers`), as in the Go reference. Serde reads and writes the canonical string.
/// A parsed id is never the tenant root: its parent chain ends at a top-level scope (a
/// subscription, a tenant-level provider namespace or resource).
#[derive(Clone)]
pub struct ResourceId {
    canonical: String,
    /// One entry per scope, outermost first; the last is this id. Never empty.
    levels: Vec<Level>,
    /// [`ResourceId::resource_type`], built on first use.
    rtype: OnceLock<ResourceType>,
}

/// One scope of an id, as byte offsets into the canonical string.
#[derive(Clone, Copy, Debug)]
struct Level {
    /// `canonical[..end]` is this scope's canonical string.
    end: u32,
    /// The resource name (empty for a trailing type without a name).
    name: Span,
    /// The last element of this scope's type, as written in the canonical string.
    last_type: Span,
    /// The type namespace; `None` is `Microsoft.Resources` (the built-in types).
    namespace: Option<Span>,
    /// Index of the first level whose `last_type` is part of this level's type chain.
    base: u32,
    /// Which built-in type this level's type is exactly (Go compares type strings).
    builtin: Builtin,
    /// Which inherited fields this level sets (`SETS_*`).
    sets: u8,
}

/// The built-in types Go's parser compares type strings with (exact, case-sensitive
/// `Microsoft.Resources/{type}`), or `None` for any other type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Builtin {
    None,
    Tenant,
    Subscription,
    ResourceGroup,
    Provider,
}

impl Builtin {
    /// The built-in type `{namespace}/{ty}` is, as an exact string comparison.
    fn of(namespace: &str, ty: &str) -> Builtin {
        if namespace != BUILTIN_NAMESPACE {
            return Builtin::None;
        }
        match ty {
            "tenants" => Builtin::Tenant,
            "subscriptions" => Builtin::Subscription,
            "resourceGroups" => Builtin::ResourceGroup,
            "providers" => Builtin::Provider,
            _ => Builtin::None,
        }
    }
}

const SETS_SUBSCRIPTION: u8 = 1;
const SETS_RESOURCE_GROUP: u8 = 2;
const SETS_PROVIDER: u8 = 4;
const SETS_LOCATION: u8 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span(u32, u32);

impl Span {
    fn of(s: &str, span: Span) -> &str {
        s.get(span.0 as usize..span.1 as usize).unwrap_or("")
    }
}

/// The type of an ARM resource: a namespace and a chain of types, e.g.
/// `Microsoft.Network/virtualNetworks/subnets`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceType {
    namespace: String,
    types: Vec<String>,
}

/// A borrowed, non-allocating view of a resource type (see [`ResourceId::type_ref`]).
///
/// `Display` writes `Namespace/type/childType`; equality compares namespace and types
/// as exact strings.
#[derive(Clone, Copy)]
pub struct ResourceTypeRef<'a> {
    id: &'a ResourceId,
    level: usize,
}

/// A string that is not a valid ARM resource id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid ARM resource id {input:?}: {reason}")]
pub struct ResourceIdError {
    input: String,
    reason: ResourceIdErrorKind,
}

/// Why a string is not a valid ARM resource id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceIdErrorKind {
    /// The string is empty.
    #[error("the id is empty")]
    Empty,
    /// The string does not start with `/`.
    #[error("it must start with '/'")]
    NoLeadingSlash,
    /// Fewer than two non-empty segments.
    #[error("it has fewer than two segments")]
    TooShort,
    /// The first segment is neither `subscriptions` nor `providers`.
    #[error("it must start with /subscriptions or /providers")]
    BadFirstSegment,
    /// A trailing `subscriptions` or `resourceGroups` without a name.
    #[error("a trailing subscriptions or resourceGroups segment needs a name")]
    MissingName,
    /// A resource group followed by a single type segment.
    #[error("a resource group must be followed by a provider or child resource")]
    TypeUnderResourceGroup,
    /// A provider namespace (`providers/{namespace}`) not directly under a subscription
    /// or the tenant.
    #[error("a provider namespace is allowed only under a subscription or the tenant")]
    MisplacedNamespace,
    /// `providers/{namespace}/{type}` without a resource name.
    #[error("a provider resource needs a type and a name")]
    IncompleteProvider,
    /// The string is longer than 4 GiB.
    #[error("it is too long")]
    TooLong,
}

impl ResourceIdError {
    /// The string that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it.
    pub fn kind(&self) -> ResourceIdErrorKind {
        self.reason
    }
}

fn eq_ic(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Builds the levels of an id while writing its canonical string.
struct Builder {
    canonical: String,
    levels: Vec<Level>,
}

impl Builder {
    fn span(&mut self, s: &str) -> Span {
        let start = self.canonical.len() as u32;
        self.canonical.push_str(s);
        Span(start, self.canonical.len() as u32)
    }

    /// True when the type of the current innermost scope (the tenant root when there is
    /// none) is exactly the built-in type `b`, as Go's `ResourceType.String() ==`.
    fn parent_is(&self, b: Builtin) -> bool {
        self.levels.last().map_or(Builtin::Tenant, |l| l.builtin) == b
    }

    /// Pushes the level that ends here. `ty` is its last type; `base` the first level of
    /// its type chain.
    fn push(
        &mut self,
        ty: &str,
        spans: [Span; 2],
        namespace: Option<Span>,
        base: usize,
        builtin: Builtin,
    ) {
        let [last_type, name] = spans;
        // Go's `init`: the type string decides which inherited field the name sets.
        let mut sets = match builtin {
            Builtin::Subscription => SETS_SUBSCRIPTION,
            Builtin::ResourceGroup => SETS_RESOURCE_GROUP,
            Builtin::Provider => SETS_PROVIDER,
            Builtin::None | Builtin::Tenant => 0,
        };
        // `resourceType.lastType() == "locations"`: lower case only.
        if ty == "locations" {
            sets |= SETS_LOCATION;
        }
        self.levels.push(Level {
            end: self.canonical.len() as u32,
            name,
            last_type,
            namespace,
            base: base as u32,
            builtin,
            sets,
        });
    }

    /// Writes `/{ty}` and, when `name` is not empty, `/{name}`.
    fn write_pair(&mut self, ty: &str, name: &str) -> [Span; 2] {
        self.canonical.push('/');
        let last_type = self.span(ty);
        if name.is_empty() {
            return [last_type, Span(last_type.1, last_type.1)];
        }
        self.canonical.push('/');
        [last_type, self.span(name)]
    }

    /// `{type}/{name}` (or a trailing `{type}` when `name` is empty) that is not a
    /// provider segment: Go's `newResourceID` with `chooseResourceType`.
    fn child(&mut self, ty: &str, name: &str) {
        let here = self.levels.len();
        if eq_ic(ty, "resourceGroups") {
            // resourceGroups under any parent is a resource group (azcore v1.18.0).
            let spans = self.write_pair("resourceGroups", name);
            self.push("resourceGroups", spans, None, here, Builtin::ResourceGroup);
        } else if eq_ic(ty, "subscriptions") && self.parent_is(Builtin::Tenant) {
            let spans = self.write_pair("subscriptions", name);
            self.push("subscriptions", spans, None, here, Builtin::Subscription);
        } else {
            // The parent's type with `ty` appended (Go's `AppendChild`): a chain of two
            // or more types is never a built-in type. The tenant root never gets such a
            // child (the first segment is subscriptions or providers); were it to, the
            // chain would start here.
            let (namespace, base) = self
                .levels
                .last()
                .map_or((None, here), |p| (p.namespace, p.base as usize));
            let spans = self.write_pair(ty, name);
            self.push(ty, spans, namespace, base, Builtin::None);
        }
    }

    /// `providers/{namespace}`: a provider namespace id (type
    /// `Microsoft.Resources/providers`, name = the namespace).
    fn namespace(&mut self, namespace: &str) {
        let here = self.levels.len();
        let spans = self.write_pair("providers", namespace);
        self.push("providers", spans, None, here, Builtin::Provider);
    }

    /// `providers/{namespace}/{type}/{name}`: a provider (or extension) resource.
    fn provider(&mut self, namespace: &str, ty: &str, name: &str) {
        let here = self.levels.len();
        self.canonical.push_str("/providers/");
        let ns = self.span(namespace);
        let spans = self.write_pair(ty, name);
        self.push(ty, spans, Some(ns), here, Builtin::of(namespace, ty));
    }
}

/// The non-empty segments of an id (Go's `splitStringAndOmitEmpty(id, "/")`).
struct Segments<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.rest.as_bytes();
        // Usually one slash to skip.
        let Some(start) = bytes.iter().position(|&c| c != b'/') else {
            self.rest = "";
            return None;
        };
        let end = match bytes.get(start..).and_then(find_slash) {
            Some(len) => start + len,
            None => bytes.len(),
        };
        // '/' is ASCII, so both ends are char boundaries; `get` keeps this panic-free.
        let segment = self.rest.get(start..end).unwrap_or("");
        self.rest = self.rest.get(end..).unwrap_or("");
        Some(segment)
    }
}

/// The index of the first `/` in `bytes`, eight bytes at a time (segments are short,
/// so this beats both a byte loop and `memchr`'s set-up per call).
fn find_slash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const SLASHES: u64 = u64::from_ne_bytes([b'/'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        // Bytes equal to '/' become zero; the lowest flagged byte is always a true zero.
        let x = u64::from_le_bytes(word) ^ SLASHES;
        let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
        if zeros != 0 {
            return Some(offset + (zeros.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let tail = chunks.remainder().iter().position(|&c| c == b'/');
    tail.map(|i| offset + i)
}

/// The next (up to four) non-empty segments of an id: enough lookahead for every rule
/// of Go's `appendNext`, without collecting the segments.
struct Window<'a> {
    segments: Segments<'a>,
    window: [&'a str; 4],
    len: usize,
}

impl<'a> Window<'a> {
    fn new(input: &'a str) -> Self {
        Window {
            segments: Segments { rest: input },
            window: [""; 4],
            len: 0,
        }
    }

    /// The next segments: all that remain when fewer than four do.
    fn get(&mut self) -> &[&'a str] {
        while let Some(slot) = self.window.get_mut(self.len) {
            match self.segments.next() {
                Some(s) => {
                    *slot = s;
                    self.len += 1;
                }
                None => break,
            }
        }
        self.window.get(..self.len).unwrap_or(&[])
    }

    /// Consumes the first `n` segments of the window.
    fn advance(&mut self, n: usize) {
        let n = n.min(self.len);
        self.window.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

impl ResourceId {
    /// Parses an ARM resource id exactly as the Azure SDK for Go's `arm.ParseResourceID`
    /// does (`arn-protocol.md` section 6): empty segments are dropped, keywords are
    /// matched case-insensitively and normalised in the canonical form, names are opaque.
    pub fn parse(input: &str) -> Result<Self, ResourceIdError> {
        let fail = |reason| ResourceIdError {
            input: input.to_owned(),
            reason,
        };
        if input.is_empty() {
            return Err(fail(ResourceIdErrorKind::Empty));
        }
        if !input.starts_with('/') {
            return Err(fail(ResourceIdErrorKind::NoLeadingSlash));
        }
        // Offsets are u32. The canonical form is never longer than the input: it only
        // drops empty segments and rewrites keywords to spellings of the same length.
        if u32::try_from(input.len()).is_err() {
            return Err(fail(ResourceIdErrorKind::TooLong));
        }
        let mut parts = Window::new(input);
        match parts.get() {
            [first, _, ..] if eq_ic(first, "subscriptions") || eq_ic(first, "providers") => {}
            [_, _, ..] => return Err(fail(ResourceIdErrorKind::BadFirstSegment)),
            _ => return Err(fail(ResourceIdErrorKind::TooShort)),
        }
        // Typical ids have 2 to 5 levels; deeper ones grow the vector.
        let mut b = Builder {
            canonical: String::with_capacity(input.len()),
            levels: Vec::with_capacity(6),
        };
        // Go's recursive `appendNext`, as a loop over a window of the next segments.
        loop {
            let used = match parts.get() {
                [] => break,
                &[ty] => {
                    if eq_ic(ty, "subscriptions") || eq_ic(ty, "resourceGroups") {
                        return Err(fail(ResourceIdErrorKind::MissingName));
                    }
                    if b.parent_is(Builtin::ResourceGroup) {
                        return Err(fail(ResourceIdErrorKind::TypeUnderResourceGroup));
                    }
                    b.child(ty, "");
                    1
                }
                &[p, ns, ref tail @ ..]
                    if eq_ic(p, "providers")
                        && tail.first().is_none_or(|t| eq_ic(t, "providers")) =>
                {
                    if !b.parent_is(Builtin::Subscription) && !b.parent_is(Builtin::Tenant) {
                        return Err(fail(ResourceIdErrorKind::MisplacedNamespace));
                    }
                    b.namespace(ns);
                    2
                }
                &[p, ns, ty, name, ..] if eq_ic(p, "providers") => {
                    b.provider(ns, ty, name);
                    4
                }
                [p, ..] if eq_ic(p, "providers") => {
                    return Err(fail(ResourceIdErrorKind::IncompleteProvider));
                }
                &[ty, name, ..] => {
                    b.child(ty, name);
                    2
                }
            };
            parts.advance(used);
        }
        Ok(ResourceId {
            canonical: b.canonical,
            levels: b.levels,
            rtype: OnceLock::new(),
        })
    }

    /// The canonical string (keywords normalised, empty segments dropped). Never
    /// allocates.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    fn leaf(&self) -> &Level {
        // `levels` is never empty (see `parse`); fall back to a harmless empty level.
        self.levels.last().unwrap_or(&EMPTY_LEVEL)
    }

    fn span(&self, span: Span) -> &str {
        Span::of(&self.canonical, span)
    }

    fn non_empty(&self, span: Span) -> Option<&str> {
        Some(self.span(span)).filter(|s| !s.is_empty())
    }

    /// The name set by the innermost level carrying `flag` (Go's inherited fields).
    fn inherited(&self, flag: u8) -> Option<&str> {
        let level = self.levels.iter().rev().find(|l| l.sets & flag != 0)?;
        self.non_empty(level.name)
    }

    /// The resource type, e.g. `Microsoft.Compute/virtualMachines`. Built (three small
    /// allocations) and cached on the first call; [`ResourceId::type_ref`] is the
    /// non-allocating view.
    pub fn resource_type(&self) -> &ResourceType {
        self.rtype.get_or_init(|| {
            let t = self.type_ref();
            ResourceType {
                namespace: t.namespace().to_owned(),
                types: t.types().map(str::to_owned).collect(),
            }
        })
    }

    /// A borrowed view of the resource type that never allocates.
    pub fn type_ref(&self) -> ResourceTypeRef<'_> {
        ResourceTypeRef {
            id: self,
            level: self.levels.len().saturating_sub(1),
        }
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

    /// The parent scope, or `None` when the parent is the tenant root. Costs two
    /// allocations (the parent's canonical string and levels are copied); use
    /// [`ResourceId::parents`] to read the chain without allocating.
    pub fn parent(&self) -> Option<ResourceId> {
        let n = self.levels.len().checked_sub(1).filter(|&n| n > 0)?;
        let end = self.levels.get(n - 1)?.end as usize;
        Some(ResourceId {
            canonical: self.canonical.get(..end)?.to_owned(),
            levels: self.levels.get(..n)?.to_vec(),
            rtype: OnceLock::new(),
        })
    }

    /// The canonical strings of the parent scopes, nearest first, stopping before the
    /// tenant root (whose canonical string would be empty). Never allocates.
    pub fn parents(&self) -> Parents<'_> {
        Parents {
            id: self,
            next: self.levels.len().saturating_sub(1),
        }
    }

    /// The canonical string of every scope from the outermost (a subscription or a
    /// tenant-level scope) down to this id itself, by byte length; used by `subject`.
    pub(crate) fn scope_ends(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.levels.iter().map(|l| l.end as usize)
    }
}

const EMPTY_LEVEL: Level = Level {
    end: 0,
    name: Span(0, 0),
    last_type: Span(0, 0),
    namespace: None,
    base: 0,
    builtin: Builtin::None,
    sets: 0,
};

/// The iterator of [`ResourceId::parents`].
#[derive(Clone)]
pub struct Parents<'a> {
    id: &'a ResourceId,
    /// Number of parents not yet yielded (levels `..next` remain, innermost last).
    next: usize,
}

impl<'a> Iterator for Parents<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.next = self.next.checked_sub(1)?;
        let end = self.id.levels.get(self.next)?.end as usize;
        self.id.canonical.get(..end)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.next, Some(self.next))
    }
}

impl ExactSizeIterator for Parents<'_> {}

impl<'a> ResourceTypeRef<'a> {
    fn level(&self) -> &'a Level {
        self.id.levels.get(self.level).unwrap_or(&EMPTY_LEVEL)
    }

    /// The namespace, e.g. `Microsoft.ContainerService`.
    pub fn namespace(&self) -> &'a str {
        match self.level().namespace {
            None => BUILTIN_NAMESPACE,
            Some(span) => Span::of(&self.id.canonical, span),
        }
    }

    /// The type chain, e.g. `managedClusters`, `nodes`.
    pub fn types(&self) -> impl Iterator<Item = &'a str> + Clone + 'a {
        let id = self.id;
        let levels = id
            .levels
            .get(self.level().base as usize..=self.level)
            .unwrap_or(&[]);
        levels
            .iter()
            .map(move |l| Span::of(&id.canonical, l.last_type))
    }

    /// The owned form.
    pub fn to_owned(&self) -> ResourceType {
        ResourceType {
            namespace: self.namespace().to_owned(),
            types: self.types().map(str::to_owned).collect(),
        }
    }
}

impl PartialEq for ResourceTypeRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.namespace() == other.namespace() && self.types().eq(other.types())
    }
}

impl Eq for ResourceTypeRef<'_> {}

impl PartialEq<ResourceType> for ResourceTypeRef<'_> {
    fn eq(&self, other: &ResourceType) -> bool {
        self.namespace() == other.namespace
            && self.types().eq(other.types.iter().map(String::as_str))
    }
}

impl fmt::Display for ResourceTypeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.namespace())?;
        for t in self.types() {
            f.write_str("/")?;
            f.write_str(t)?;
        }
        Ok(())
    }
}

impl fmt::Debug for ResourceTypeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceTypeRef({self})")
    }
}

impl ResourceType {
    /// The namespace, e.g. `Microsoft.ContainerService`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    /// The type chain, e.g. `["managedClusters", "nodes"]`.
    pub fn types(&self) -> &[String] {
        &self.types
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.namespace)?;
        for t in &self.types {
            write!(f, "/{t}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl fmt::Debug for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceId({:?})", self.canonical)
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical.hash(state);
    }
}

impl AsRef<str> for ResourceId {
    fn as_ref(&self) -> &str {
        &self.canonical
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
        s.serialize_str(&self.canonical)
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
