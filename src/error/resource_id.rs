//! A string that is not an ARM resource id (`docs/protocol.md` section 6):
//! [`ResourceIdError`] and [`ResourceIdErrorKind`], the grammar's reasons, public from
//! `arn_client::model`.

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
    pub(crate) fn new(input: &str, reason: ResourceIdErrorKind) -> Self {
        Self {
            input: input.to_owned(),
            reason,
        }
    }

    /// The string that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it.
    pub fn kind(&self) -> ResourceIdErrorKind {
        self.reason
    }
}
