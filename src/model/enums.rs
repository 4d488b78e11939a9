//! The small enums of the ARN v3 model (`docs/protocol.md` section 3): the activity,
//! the change action and the data boundary, with their exact wire names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Rule, ValidationError};

/// What happened to a resource; the last segment of the event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activity {
    /// The resource was created or updated (`"write"`).
    Write,
    /// The resource was deleted (`"delete"`).
    Delete,
    /// The resource still exists as described (`"snapshot"`).
    Snapshot,
}

impl Activity {
    /// The wire name: `"write"`, `"delete"` or `"snapshot"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Write => "write",
            Activity::Delete => "delete",
            Activity::Snapshot => "snapshot",
        }
    }
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Activity {
    type Err = ValidationError;

    /// Parses the exact wire name; anything else breaks [`Rule::ActivityInvalid`]
    /// (`docs/protocol.md` section 4, step 2: an unknown activity is an error).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "write" => Ok(Activity::Write),
            "delete" => Ok(Activity::Delete),
            "snapshot" => Ok(Activity::Snapshot),
            other => Err(ValidationError::new(
                Rule::ActivityInvalid,
                None,
                format!("unknown activity {other:?}"),
            )),
        }
    }
}

/// The change recorded in `resourceSystemProperties.changeAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChangeAction {
    /// `"Create"`.
    Create,
    /// `"Delete"`.
    Delete,
    /// `"Move"`.
    Move,
    /// `"Update"`.
    Update,
}

impl ChangeAction {
    /// The wire name: `"Create"`, `"Delete"`, `"Move"` or `"Update"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeAction::Create => "Create",
            ChangeAction::Delete => "Delete",
            ChangeAction::Move => "Move",
            ChangeAction::Update => "Update",
        }
    }
}

impl fmt::Display for ChangeAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChangeAction {
    type Err = ValidationError;

    /// Parses the exact wire name; anything else (including `""`) breaks
    /// [`Rule::ChangeActionInvalid`] (`docs/protocol.md` section 4, step 3).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Create" => Ok(ChangeAction::Create),
            "Delete" => Ok(ChangeAction::Delete),
            "Move" => Ok(ChangeAction::Move),
            "Update" => Ok(ChangeAction::Update),
            other => Err(ValidationError::new(
                Rule::ChangeActionInvalid,
                None,
                format!("invalid change action {other:?}"),
            )),
        }
    }
}

/// The data boundary of a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataBoundary {
    /// `"global"`.
    Global,
    /// `"eu"`.
    Eu,
}

impl DataBoundary {
    /// The wire name: `"global"` or `"eu"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DataBoundary::Global => "global",
            DataBoundary::Eu => "eu",
        }
    }
}

impl FromStr for DataBoundary {
    type Err = ValidationError;

    /// Parses the exact wire name `"global"` or `"eu"`; anything else breaks
    /// [`Rule::DataBoundaryInvalid`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "global" => Ok(DataBoundary::Global),
            "eu" => Ok(DataBoundary::Eu),
            other => Err(ValidationError::new(
                Rule::DataBoundaryInvalid,
                None,
                format!("unknown data boundary {other:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_only_their_wire_names() {
        for a in [Activity::Write, Activity::Delete, Activity::Snapshot] {
            assert_eq!(a.as_str().parse::<Activity>().unwrap(), a);
        }
        assert_eq!(
            "Write".parse::<Activity>().unwrap_err().rule,
            Rule::ActivityInvalid
        );
        for c in [
            ChangeAction::Create,
            ChangeAction::Delete,
            ChangeAction::Move,
            ChangeAction::Update,
        ] {
            assert_eq!(c.as_str().parse::<ChangeAction>().unwrap(), c);
        }
        assert_eq!(
            "".parse::<ChangeAction>().unwrap_err().rule,
            Rule::ChangeActionInvalid
        );
        assert_eq!("eu".parse::<DataBoundary>().unwrap(), DataBoundary::Eu);
        assert_eq!(
            "EU".parse::<DataBoundary>().unwrap_err().rule,
            Rule::DataBoundaryInvalid
        );
    }
}
