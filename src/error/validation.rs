//! A notification that breaks a validation rule (`docs/protocol.md` section 4):
//! [`ValidationError`] and its [`Rule`], public from `arn_client::model`.

use std::fmt;

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
    /// A `changeAction` that is not `Create`, `Delete`, `Move` or `Update` (only from
    /// parsing a string: [`ChangeAction`](crate::model::ChangeAction) cannot be invalid).
    ChangeActionInvalid,
    /// An activity that is not `write`, `delete` or `snapshot` (only from parsing a
    /// string).
    ActivityInvalid,
    /// A data boundary that is not `global` or `eu` (only from parsing a string).
    DataBoundaryInvalid,
    /// An `armResource.id` that is empty (only an id whose canonical string is empty).
    ArmIdMissing,
    /// An extra `additionalBatchProperties` key that collides with `batchCorrelationId`,
    /// `sdkVersion` or `batchSize` (the encoder would write the key twice).
    ReservedBatchProperty,
    /// A time whose year is outside 0..=9999, which RFC 3339 cannot express (the
    /// reference fails to marshal it, before validating).
    TimeOutOfRange,
    /// A received event whose envelope is malformed (`docs/protocol.md` section 4,
    /// step 7): empty subject, event type, time or id, or wrong versions.
    EnvelopeInvalid,
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
            Rule::ChangeActionInvalid => "change_action_invalid",
            Rule::ActivityInvalid => "activity_invalid",
            Rule::DataBoundaryInvalid => "data_boundary_invalid",
            Rule::ArmIdMissing => "arm_id_missing",
            Rule::ReservedBatchProperty => "reserved_batch_property",
            Rule::TimeOutOfRange => "time_out_of_range",
            Rule::EnvelopeInvalid => "envelope_invalid",
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

impl ValidationError {
    pub(crate) fn new(rule: Rule, index: Option<usize>, detail: String) -> Self {
        Self {
            rule,
            index,
            detail,
        }
    }
}
