//! ARM resource ids (`arn-protocol.md` section 6). STUB: to be implemented.

use std::fmt;
use std::str::FromStr;

/// A parsed ARM resource id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceId {
    canonical: String,
}

/// The type of an ARM resource: a namespace and a chain of types.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceType {
    namespace: String,
    types: Vec<String>,
}

/// A string that is not a valid ARM resource id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid ARM resource id {input:?}: {reason}")]
pub struct ResourceIdError {
    input: String,
    reason: String,
}

impl ResourceId {
    /// Parses an ARM resource id.
    pub fn parse(input: &str) -> Result<Self, ResourceIdError> {
        Ok(Self {
            canonical: input.to_string(),
        })
    }
    /// The canonical string.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }
    /// The resource type.
    pub fn resource_type(&self) -> &ResourceType {
        unimplemented!()
    }
    /// The resource name (last name segment).
    pub fn name(&self) -> &str {
        unimplemented!()
    }
    /// The location segment, if any.
    pub fn location(&self) -> Option<&str> {
        unimplemented!()
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

impl FromStr for ResourceId {
    type Err = ResourceIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
