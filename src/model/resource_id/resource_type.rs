//! ARM resource types (`docs/protocol.md` section 6).

use std::fmt;

use super::grammar::{Level, Span, BUILTIN_NAMESPACE};

/// The type of an ARM resource: a namespace and a chain of types, e.g.
/// `Microsoft.Network/virtualNetworks/subnets`. Compared as exact strings, as the Go
/// reference compares types.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceType {
    namespace: String,
    types: Vec<String>,
}

impl ResourceType {
    /// The type of the innermost of `levels`, read from `canonical`: its namespace and
    /// the last types of the levels from its chain's base level down to it.
    pub(super) fn of(canonical: &str, levels: &[Level]) -> Self {
        let Some(leaf) = levels.last() else {
            return ResourceType {
                namespace: String::new(),
                types: Vec::new(),
            };
        };
        let namespace = match leaf.namespace {
            None => BUILTIN_NAMESPACE,
            Some(span) => Span::of(canonical, span),
        };
        let chain = levels.get(leaf.base as usize..).unwrap_or(&[]);
        ResourceType {
            namespace: namespace.to_owned(),
            types: chain
                .iter()
                .map(|l| Span::of(canonical, l.last_type).to_owned())
                .collect(),
        }
    }

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
            f.write_str("/")?;
            f.write_str(t)?;
        }
        Ok(())
    }
}
