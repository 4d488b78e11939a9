//! The ARN v3 model: ARM resource ids, notifications, validation, the subject and the
//! event encoder (`docs/protocol.md` sections 1, 3, 4, 5 and 6).

mod arm;
mod context;
mod encode;
mod enums;
mod event;
pub(crate) mod json;
#[cfg(test)]
mod json_props;
mod notification;
mod resource_id;
mod rfc3339;
mod subject;
mod validate;
mod wire;

pub use arm::ArmResource;
pub use context::NotificationContext;
pub(crate) use encode::{json_len, Validation};
pub use encode::{EncodeBuf, Encoded, Encoder, PendingBlob, DEFAULT_INLINE_THRESHOLD, SDK_VERSION};
pub use enums::{Activity, ChangeAction, DataBoundary};
pub use event::{parse_resources, BlobInfo, ReceivedEvent, ResourcesContainer};
pub use notification::{
    Notification, NotificationResource, ResourceSystemProperties, MAX_BATCH_SIZE,
};
pub use resource_id::{Parents, ResourceId, ResourceType, Types};
pub use subject::subject;
pub(crate) use validate::validate_resources;
// Defined below the model, beside the `Error` that holds them (the model returns it).
pub use crate::error::{ResourceIdError, ResourceIdErrorKind, Rule, ValidationError};
