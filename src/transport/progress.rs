//! How far the request on this thread got, for [`Sent`]: ureq's errors do not say
//! whether the request was written before the connection broke, so every agent of the
//! crate wraps its connections in [`Progress`], which notes it on the calling thread
//! (ureq runs a request on the thread that sends it).
//!
//! A request has gone out whole when ureq, having written to the connection, starts
//! waiting for the answer; a failure before that is [`Sent::Never`], one after it
//! [`Sent::NoAnswer`].

use std::cell::Cell;

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

use crate::Sent;

/// Where this thread's request is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Nothing written yet (resolving, connecting, the TLS handshake).
    Connecting,
    /// Part of the request written.
    Writing,
    /// The request written, the answer awaited.
    Awaiting,
}

thread_local! {
    static STAGE: Cell<Stage> = const { Cell::new(Stage::Connecting) };
}

/// Marks the start of a request on this thread.
pub(crate) fn start() {
    STAGE.with(|s| s.set(Stage::Connecting));
}

/// How far this thread's request got since [`start`].
pub(crate) fn sent() -> Sent {
    match STAGE.with(Cell::get) {
        Stage::Awaiting => Sent::NoAnswer,
        Stage::Connecting | Stage::Writing => Sent::Never,
    }
}

/// The last connector of every agent's chain: wraps the connection (after TLS) in a
/// [`Tracked`] transport.
#[derive(Debug)]
pub(crate) struct Progress;

impl<In: Transport> Connector<In> for Progress {
    type Out = Tracked<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(Tracked))
    }
}

/// A connection that notes on the calling thread when a request is written and when
/// its answer is awaited.
#[derive(Debug)]
pub(crate) struct Tracked<T>(T);

impl<T: Transport> Transport for Tracked<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        STAGE.with(|s| {
            if s.get() == Stage::Connecting {
                s.set(Stage::Writing);
            }
        });
        self.0.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        STAGE.with(|s| {
            if s.get() == Stage::Writing {
                s.set(Stage::Awaiting);
            }
        });
        self.0.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}
