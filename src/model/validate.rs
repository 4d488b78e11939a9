//! Validation of a notification (`arn-protocol.md` section 4). STUB.

use std::fmt;

use super::Notification;

/// A validation rule, named as in the conformance vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// More than 1000 resources.
    BatchSize,
    /// An empty `resourceId`.
    ResourceIdMissing,
    /// `write`/`snapshot` without properties.
    PropertiesMissing,
    /// Resources of different types.
    MixedResourceTypes,
    /// No API version on the notification nor on a resource.
    ApiVersionMissing,
    /// API versions that disagree.
    ApiVersionMismatch,
    /// Tenant ids that disagree.
    TenantMismatch,
}

impl Rule {
    /// The rule's name in the conformance vectors, e.g. `"api_version_missing"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::BatchSize => "batch_size",
            Rule::ResourceIdMissing => "resource_id_missing",
            Rule::PropertiesMissing => "properties_missing",
            Rule::MixedResourceTypes => "mixed_resource_types",
            Rule::ApiVersionMissing => "api_version_missing",
            Rule::ApiVersionMismatch => "api_version_mismatch",
            Rule::TenantMismatch => "tenant_mismatch",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A notification that breaks a rule, with the index of the first offending resource.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid notification ({rule}{}): {detail}", .index.map(|i| format!(", resource {i}")).unwrap_or_default())]
pub struct ValidationError {
    /// The broken rule.
    pub rule: Rule,
    /// The index of the offending resource, when one resource is at fault.
    pub index: Option<usize>,
    /// What was wrong.
    pub detail: String,
}

impl Notification {
    /// Checks the rules of `arn-protocol.md` section 4, resource by resource.
    pub fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}
