//! Azure AD tokens without an async runtime.
//!
//! - [`Cloud`]: which token scope the ARN receiver expects (`docs/protocol.md` section 2).
//! - [`CredentialTokenSource`]: drives any azure_identity 1.x
//!   [`TokenCredential`](azure_core::credentials::TokenCredential) with
//!   `futures::executor::block_on` on the calling worker, caching the token.
//! - [`install_blocking_runtime`]: the Azure SDK's sleeps and spawns on OS threads, so
//!   its own retries never need tokio.

mod cloud;
mod runtime;
mod token;

pub use cloud::{Cloud, ARG_SCOPE, ARN_SCOPE};
pub use runtime::{install_blocking_runtime, BlockingRuntime};
pub use token::{CredentialTokenSource, TokenSource, REFRESH_MARGIN};
