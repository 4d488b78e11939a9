//! Test support: a local HTTPS ARN receiver, a local `CONNECT` proxy, a local Azurite
//! and static credentials (the `receiver` feature, which the `arn` command line tool
//! uses), and scripted fakes of the transport seam (the `testing` feature, which
//! implies `receiver`; the Go
//! client's `WithFakeClients`).

mod azurite;
mod credential;
mod event_check;
#[cfg(feature = "testing")]
mod fake;
mod proxy;
mod receiver;
mod receiver_conn;
mod receiver_state;
mod tls;
mod wire;

pub use azurite::{Azurite, AzuriteCredential, AzuriteTokenMode};
pub use credential::StaticTokenCredential;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub use fake::{Behavior, FakeTransport, Gate, RecordedPost, RecordedUpload};
pub use proxy::{ConnectProxy, ProxyRequest};
pub use receiver::{ArnReceiver, ArnReceiverBuilder, ReceiverBlobStore};
pub use receiver_state::{AcceptedEvent, Fault, ReceivedRequest};
pub use tls::agent_trusting;
