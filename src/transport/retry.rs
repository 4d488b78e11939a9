//! Retries of the receiver POST (`arn-protocol.md` section 2). STUB: single try.

use std::time::Duration;

use super::{EventPost, EventTransport};
use crate::Error;

/// How failed POSTs are retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first try. Defaults to 3.
    pub max_retries: u32,
    /// The base delay. Defaults to 800 ms.
    pub initial_delay: Duration,
    /// The longest delay. Defaults to 60 s.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// Posts `post`, retrying retryable failures by `policy`, never past `post.deadline`.
pub fn post_with_retries(
    transport: &dyn EventTransport,
    post: &EventPost<'_>,
    policy: &RetryPolicy,
) -> Result<(), Error> {
    let _ = policy;
    transport.post(post)
}
