//! A static test credential.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use parking_lot::Mutex;

#[derive(Default)]
struct State {
    scopes: Vec<Vec<String>>,
    failures: u32,
}

/// A [`TokenCredential`] that returns a fixed token valid for a fixed time, records the
/// scopes it was asked for and can be scripted to fail. Clones share their state.
#[derive(Clone)]
pub struct StaticTokenCredential {
    token: Arc<str>,
    valid_for: Duration,
    state: Arc<Mutex<State>>,
}

impl StaticTokenCredential {
    /// A credential returning `token`, valid for one hour from each call.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Arc::from(token.into()),
            valid_for: Duration::from_secs(3600),
            state: Arc::default(),
        }
    }

    /// How long each returned token is valid. Defaults to one hour.
    pub fn valid_for(mut self, valid_for: Duration) -> Self {
        self.valid_for = valid_for;
        self
    }

    /// The next `n` calls fail with a credential error (no token in its message).
    pub fn fail_next(&self, n: u32) {
        self.state.lock().failures = n;
    }

    /// The scope lists of every call, in order.
    pub fn scopes(&self) -> Vec<Vec<String>> {
        self.state.lock().scopes.clone()
    }

    /// How many times `get_token` was called.
    pub fn calls(&self) -> usize {
        self.state.lock().scopes.len()
    }

    /// As an `Arc<dyn TokenCredential>` sharing this credential's state.
    pub fn shared(&self) -> Arc<dyn TokenCredential> {
        Arc::new(self.clone())
    }
}

impl fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokenCredential")
            .field("valid_for", &self.valid_for)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let fail = {
            let mut s = self.state.lock();
            s.scopes
                .push(scopes.iter().map(|s| s.to_string()).collect());
            let fail = s.failures > 0;
            s.failures = s.failures.saturating_sub(1);
            fail
        };
        if fail {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                "scripted credential failure",
            ));
        }
        let valid = azure_core::time::Duration::try_from(self.valid_for)
            .unwrap_or(azure_core::time::Duration::HOUR);
        Ok(AccessToken::new(
            self.token.to_string(),
            azure_core::time::OffsetDateTime::now_utc() + valid,
        ))
    }
}
