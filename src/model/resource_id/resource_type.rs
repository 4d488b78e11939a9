//! ARM resource types: the owned [`ResourceType`] and the borrowed [`ResourceTypeRef`].

use std::fmt;

use super::grammar::{Level, Span, BUILTIN_NAMESPACE, EMPTY_LEVEL};
use super::ResourceId;

/// The type of an ARM resource: a namespace and a chain of types, e.g.
/// `Microsoft.Network/virtualNetworks/subnets`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceType {
    pub(super) namespace: String,
    pub(super) types: Vec<String>,
}

/// A borrowed, non-allocating view of a resource type (see [`ResourceId::type_ref`]).
///
/// `Display` writes `Namespace/type/childType`; equality compares namespace and types
/// as exact strings.
#[derive(Clone, Copy)]
pub struct ResourceTypeRef<'a> {
    pub(super) id: &'a ResourceId,
    pub(super) level: usize,
}

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
