//! A blocking `azure_core` async runtime: sleeps block the calling thread, spawns run on
//! a new OS thread.
//!
//! The SDK's runtime is process-global and can be set once, so arn-client never sets
//! it on its own: [`install_blocking_runtime`] is for the application to call, early
//! (before any Azure SDK call), if it wants it. Without it, azure_core's default
//! runtime (when its `tokio` feature is off, as in arn-client's tree) sleeps on an
//! extra OS thread, which works too. Call it when something in your dependency tree
//! turns on `azure_core/tokio` while you use arn-client without a tokio runtime:
//! the SDK's retry sleeps would otherwise panic ("no reactor running").
//!
//! Applications that also use the async Azure SDK on tokio in the same process should
//! install their tokio runtime themselves before building our client; our calls then
//! run under that runtime's sleep, which works as long as azure_core's `tokio` feature
//! is not relied on inside our `block_on` (a tokio sleep needs a reactor). Without the
//! `tokio` feature azure_core's default runtime sleeps on an extra OS thread, which also
//! works; ours just avoids that thread.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use azure_core::async_runtime::{
    set_async_runtime, AbortableTask, AsyncRuntime, SpawnedTask, TaskFuture,
};
use parking_lot::Mutex;

use crate::Error;

/// An `azure_core` [`AsyncRuntime`] that never needs an executor of its own: `sleep`
/// blocks the thread that polls it, `spawn` runs the task on a new OS thread with
/// `futures::executor::block_on`.
#[derive(Debug, Default, Clone, Copy)]
pub struct BlockingRuntime;

/// Installs [`BlockingRuntime`] as the process-wide Azure SDK runtime. Call it once,
/// early, before any Azure SDK call. Fails with [`Error::Config`] when a runtime is
/// already set (by the application, by the SDK's first use, or by an earlier call).
pub fn install_blocking_runtime() -> Result<(), Error> {
    set_async_runtime(Arc::new(BlockingRuntime))
        .map_err(|_| Error::Config("an Azure SDK async runtime is already set".into()))
}

impl AsyncRuntime for BlockingRuntime {
    fn spawn(&self, f: TaskFuture) -> SpawnedTask {
        let state = Arc::new(Mutex::new(JoinState::default()));
        let thread_state = Arc::clone(&state);
        let spawned = std::thread::Builder::new()
            .name("arn-azure-task".into())
            .spawn(move || {
                let outcome =
                    std::panic::catch_unwind(AssertUnwindSafe(|| futures::executor::block_on(f)));
                let mut s = thread_state.lock();
                s.result = Some(outcome.map_err(|_| "the spawned Azure SDK task panicked"));
                if let Some(w) = s.waker.take() {
                    w.wake();
                }
            });
        if spawned.is_err() {
            state.lock().result = Some(Err("spawning an Azure SDK task thread failed"));
        }
        Box::pin(JoinFuture { state })
    }

    fn sleep(&self, duration: azure_core::time::Duration) -> TaskFuture {
        let d = std::time::Duration::try_from(duration).unwrap_or_default();
        Box::pin(BlockingSleep(Some(d)))
    }

    fn yield_now(&self) -> TaskFuture {
        std::thread::yield_now();
        Box::pin(std::future::ready(()))
    }
}

/// Sleeps on the polling thread at the first poll.
struct BlockingSleep(Option<std::time::Duration>);

impl Future for BlockingSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if let Some(d) = self.0.take() {
            std::thread::sleep(d);
        }
        Poll::Ready(())
    }
}

#[derive(Default)]
struct JoinState {
    result: Option<Result<(), &'static str>>,
    aborted: bool,
    waker: Option<Waker>,
}

struct JoinFuture {
    state: Arc<Mutex<JoinState>>,
}

impl Future for JoinFuture {
    type Output = Result<(), Box<dyn std::error::Error + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.state.lock();
        if s.aborted {
            return Poll::Ready(Ok(()));
        }
        match s.result.take() {
            Some(Ok(())) => Poll::Ready(Ok(())),
            Some(Err(msg)) => Poll::Ready(Err(Box::new(std::io::Error::other(msg)))),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl AbortableTask for JoinFuture {
    fn abort(&self) {
        // A thread cannot be cancelled: stop waiting for it, as azure_core's std
        // runtime does.
        self.state.lock().aborted = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn sleeps_and_spawns_without_an_executor() {
        let rt = BlockingRuntime;
        let start = Instant::now();
        futures::executor::block_on(rt.sleep(azure_core::time::Duration::milliseconds(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));

        let (tx, rx) = std::sync::mpsc::channel();
        let task = rt.spawn(Box::pin(async move {
            tx.send(std::thread::current().name().map(String::from))
                .unwrap();
        }));
        assert!(futures::executor::block_on(task).is_ok());
        assert_eq!(rx.recv().unwrap().as_deref(), Some("arn-azure-task"));

        let task = rt.spawn(Box::pin(async { panic!("boom") }));
        assert!(futures::executor::block_on(task).is_err());
    }
}
