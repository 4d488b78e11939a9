//! ARM resource types (`docs/protocol.md` section 6).

use std::fmt;
use std::sync::Arc;

use super::grammar::{Level, Span, BUILTIN_NAMESPACE};

/// The type of an ARM resource: a namespace and a chain of types, e.g.
/// `Microsoft.Network/virtualNetworks/subnets`. Compared as exact strings, as the Go
/// reference compares types.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResourceType {
    /// The `Display` string, joined once instead of a namespace string: every
    /// resource sent writes it (through `fmt` that cost ~800 instructions per
    /// resource encoded, by `scripts/count-instructions.sh`).
    full: Arc<str>,
    /// `full[..namespace_len]` is the namespace; the types follow, each after a `/`
    /// (a type never contains one), so no per-type strings are kept: they were three
    /// allocations per AKS node id (~1.3k instructions with their frees, by
    /// `scripts/count-instructions.sh`).
    namespace_len: usize,
}

impl ResourceType {
    /// The type of the innermost of `levels`, read from `canonical`: its namespace and
    /// the last types of the levels from its chain's base level down to it.
    pub(super) fn of(canonical: &str, levels: &[Level]) -> Self {
        let Some(leaf) = levels.last() else {
            return ResourceType {
                full: Arc::from(""),
                namespace_len: 0,
            };
        };
        let namespace = match leaf.namespace {
            None => BUILTIN_NAMESPACE,
            Some(span) => Span::of(canonical, span),
        };
        let chain = levels.get(leaf.base as usize..).unwrap_or(&[]);
        let types = || chain.iter().map(|l| Span::of(canonical, l.last_type));
        let len = types().map(|t| t.len() + 1).sum::<usize>();
        let mut full = String::with_capacity(namespace.len() + len);
        full.push_str(namespace);
        for t in types() {
            full.push('/');
            full.push_str(t);
        }
        ResourceType {
            full: Arc::from(full),
            namespace_len: namespace.len(),
        }
    }

    /// The namespace, e.g. `Microsoft.ContainerService`.
    pub fn namespace(&self) -> &str {
        self.full.get(..self.namespace_len).unwrap_or("")
    }

    /// The type chain, outermost first, e.g. `managedClusters` then `nodes`.
    ///
    /// ```
    /// use arn_client::model::ResourceId;
    ///
    /// let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg\
    ///     /providers/Microsoft.ContainerService/managedClusters/aks/nodes/node1"
    ///     .parse()?;
    /// let types: Vec<&str> = id.resource_type().types().collect();
    /// assert_eq!(types, ["managedClusters", "nodes"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn types(&self) -> Types<'_> {
        Types {
            rest: self.full.get(self.namespace_len..).unwrap_or(""),
        }
    }

    /// The wire string (as `Display`), e.g. `Microsoft.Network/virtualNetworks`.
    pub(crate) fn as_str(&self) -> &str {
        &self.full
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl fmt::Debug for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceType")
            .field("namespace", &self.namespace())
            .field("types", &self.types().collect::<Vec<_>>())
            .finish()
    }
}

/// The types of a [`ResourceType`], outermost first: see [`ResourceType::types`].
#[derive(Clone, Debug)]
pub struct Types<'a> {
    /// `/{type}` for each type left.
    rest: &'a str,
}

impl<'a> Iterator for Types<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest.strip_prefix('/')?;
        let end = rest.find('/').unwrap_or(rest.len());
        let (ty, tail) = rest.split_at(end);
        self.rest = tail;
        Some(ty)
    }
}

impl std::iter::FusedIterator for Types<'_> {}
