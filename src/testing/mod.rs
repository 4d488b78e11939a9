//! Test support behind the `testing` feature: scripted fakes of the transport seam,
//! a local HTTPS ARN receiver and a local Azurite (the Go client's `WithFakeClients`).

mod azurite;
mod fake;
mod receiver;

pub use azurite::*;
pub use fake::*;
pub use receiver::*;
