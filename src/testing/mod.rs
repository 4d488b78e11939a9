//! Test support behind the `testing` feature: scripted fakes of the transport seam,
//! a local HTTPS ARN receiver and a local Azurite (the Go client's `WithFakeClients`).

mod azurite;
mod credential;
mod event_check;
mod fake;
mod receiver;
mod receiver_conn;
mod tls;
mod wire;

pub use azurite::{Azurite, AzuriteCredential, AzuriteTokenMode};
pub use credential::StaticTokenCredential;
pub use fake::{Behavior, FakeTransport, Gate, RecordedPost, RecordedUpload};
pub use receiver::{
    AcceptedEvent, ArnReceiver, ArnReceiverBuilder, Fault, ReceivedRequest, ReceiverBlobStore,
};
pub use tls::agent_trusting;
