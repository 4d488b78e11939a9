//! Test support behind the `testing` feature: scripted fakes of the transport seam,
//! a local HTTPS ARN receiver, a local `CONNECT` proxy and a local Azurite (the Go
//! client's `WithFakeClients`).

mod azurite;
mod credential;
mod event_check;
mod fake;
mod proxy;
mod receiver;
mod receiver_conn;
mod tls;
mod wire;

pub use azurite::{Azurite, AzuriteCredential, AzuriteTokenMode};
pub use credential::StaticTokenCredential;
pub use fake::{Behavior, FakeTransport, Gate, RecordedPost, RecordedUpload};
pub use proxy::{ConnectProxy, ProxyRequest};
pub use receiver::{
    AcceptedEvent, ArnReceiver, ArnReceiverBuilder, Fault, ReceivedRequest, ReceiverBlobStore,
};
pub use tls::agent_trusting;

/// The client's zlib compressor, for the benches (not an API).
#[doc(hidden)]
pub mod compress {
    /// A reusable compressor, as each sending thread keeps one.
    #[derive(Default)]
    pub struct Zlib(crate::compress::Compressor);

    impl Zlib {
        /// Compresses `input` into `out` (replacing what it held) as one zlib stream.
        pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), crate::Error> {
            crate::compress::zlib(&mut self.0, input, out)
        }
    }
}

/// The crate's JSON serializer (`model::json`), through each of its outputs, for
/// `tests/prop_json.rs`, which holds them to `serde_json`. Not part of the API.
#[doc(hidden)]
pub mod json {
    use serde::Serialize;
    use serde_json::value::RawValue;

    /// The bytes it appends to a `Vec` (`serde_json::to_vec`'s).
    pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::new();
        crate::model::json::to_vec_into(&mut out, value).map(|()| out)
    }

    /// The length it counts without writing.
    pub fn len<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<usize> {
        crate::model::json::len_of(value)
    }

    /// The `RawValue` it builds (`serde_json::value::to_raw_value`'s).
    pub fn to_raw_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Box<RawValue>> {
        crate::model::json::to_raw_value(value)
    }
}
