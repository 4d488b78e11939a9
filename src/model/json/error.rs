//! Why the crate's serializer stopped. It never reaches a caller: the entry points
//! (`model::json`) turn it into serde_json's own result for the same value.

use std::fmt;

/// Why the crate's serializer stopped.
#[derive(Debug)]
pub(crate) enum Error {
    /// serde_json fails here too (a key that is not a string, a broken raw value, a
    /// `Serialize` impl's own error) or writes this differently: it is asked instead.
    Refused,
    /// A `Display` impl failed inside `collect_str` (where serde_json panics).
    Display,
}

/// The result of a write.
pub(crate) type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Refused => "left to serde_json",
            Error::Display => "a Display implementation returned an error unexpectedly",
        })
    }
}

impl std::error::Error for Error {}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Error::Refused
    }
}
