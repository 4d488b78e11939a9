//! The send loop: a bounded window of promises, settled oldest first, with Ctrl-C
//! checked between waits; after Ctrl-C, a drain with a deadline, then `close`.

use std::collections::VecDeque;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arn_client::model::Notification;
use arn_client::{Client, Delivery, Error, Failure, Promise};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use uuid::Uuid;

use crate::input::{Position, Record};

/// How often a wait looks at the Ctrl-C counter.
const POLL: Duration = Duration::from_millis(50);

/// Where a notification came from, and what to write if it is not sent.
#[derive(Debug)]
pub struct Source {
    /// Its place in the input.
    pub at: Position,
    /// Its JSON on one line, for the resume file.
    pub line_json: String,
    /// Where it first came from, when read from a resume file.
    pub origin: Option<String>,
    /// Its subject, for the outcome line.
    pub subject: String,
}

impl Source {
    /// Its place in the input, and where it first came from when that differs.
    pub fn place(&self) -> String {
        crate::origin::place(&self.at, self.origin.as_deref())
    }

    /// Where it first came from: the origin, else its place in the input.
    pub fn first_place(&self) -> String {
        self.origin.clone().unwrap_or_else(|| self.at.to_string())
    }
}

/// What became of one notification.
#[derive(Debug)]
pub enum Outcome {
    /// The receiver accepted it.
    Sent(Delivery),
    /// Sending failed (or the submission was refused).
    Failed {
        /// Why.
        error: String,
    },
    /// Never sent, or its outcome is unknown because Ctrl-C cut the drain short.
    Unsent,
}

/// What [`Run::send_all`] did.
#[derive(Debug)]
pub struct Sent {
    /// One outcome per notification, in input order.
    pub outcomes: Vec<Outcome>,
    /// Whether Ctrl-C stopped the intake.
    pub interrupted: bool,
    /// From the first submission to the last outcome.
    pub elapsed: Duration,
}

/// Splits records into what the report needs and what the client takes.
pub fn split(records: Vec<Record>) -> (Vec<Source>, Vec<Notification>) {
    records
        .into_iter()
        .map(|r| {
            let source = Source {
                at: r.at,
                line_json: r.line_json,
                origin: r.origin,
                subject: r.notification.subject().into_owned(),
            };
            (source, r.notification)
        })
        .unzip()
}

/// One `arn send` run over a built client.
pub struct Run<'a> {
    /// The client to send through.
    pub client: &'a Client,
    /// Promises pending at most.
    pub in_flight: usize,
    /// How long to wait for pending notifications after Ctrl-C.
    pub drain: Duration,
    /// The Ctrl-C counter.
    pub interrupts: &'a AtomicUsize,
    /// Print only failures.
    pub quiet: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

type Window = VecDeque<(usize, Promise)>;

impl Run<'_> {
    fn interrupts(&self) -> usize {
        self.interrupts.load(Ordering::SeqCst)
    }

    /// Sends every notification; returns each one's outcome.
    pub fn send_all(&self, sources: &[Source], notifications: Vec<Notification>) -> Sent {
        let bar = self.bar(notifications.len());
        let mut out = Printer {
            sources,
            outcomes: notifications.iter().map(|_| Outcome::Unsent).collect(),
            bar,
            quiet: self.quiet,
        };
        let start = Instant::now();
        let mut window = Window::new();
        let mut interrupted = self.interrupts() > 0;
        for (i, n) in notifications.into_iter().enumerate() {
            if interrupted || self.interrupts() > 0 {
                interrupted = true;
                break;
            }
            while window.len() >= self.in_flight && !interrupted {
                interrupted = !self.settle_front(&mut window, &mut out, 0, None);
            }
            if interrupted {
                break;
            }
            match self.client.send_async(n) {
                Ok(p) => window.push_back((i, p)),
                Err(e) => out.failed(i, e.error(), None),
            }
        }
        while !interrupted && !window.is_empty() {
            interrupted = !self.settle_front(&mut window, &mut out, 0, None);
        }
        if interrupted {
            self.drain(&mut window, &mut out);
        }
        let _ = self.client.close(Instant::now() + self.drain);
        out.bar.finish_and_clear();
        Sent {
            outcomes: out.outcomes,
            interrupted,
            elapsed: start.elapsed(),
        }
    }

    /// After Ctrl-C: waits for what is pending until the drain deadline or another
    /// Ctrl-C, then closes the client, which settles the rest.
    fn drain(&self, window: &mut Window, out: &mut Printer<'_>) {
        let seen = self.interrupts();
        out.note(&format!(
            "interrupted: taking no more notifications; waiting up to {:.1}s for the {} in \
             flight (Ctrl-C again to stop now)",
            self.drain.as_secs_f64(),
            window.len()
        ));
        let deadline = Instant::now() + self.drain;
        while !window.is_empty() && self.settle_front(window, out, seen, Some(deadline)) {}
        if window.is_empty() {
            return;
        }
        // Gives up at once: every pending promise gets Timeout (a request in progress
        // may still reach the receiver: such a notification goes to the resume file
        // too, so it may arrive twice, never zero times).
        let _ = self.client.close(Instant::now());
        for (i, promise) in window.drain(..) {
            match promise.wait_timeout(Duration::from_secs(5)) {
                Ok(Ok(delivery)) => out.sent(i, delivery),
                Ok(Err(failure)) if !matches!(failure.error(), Error::Timeout { .. }) => {
                    out.failed(i, failure.error(), failure.event_id())
                }
                // Stays `Outcome::Unsent`, as every outcome starts.
                _ => {}
            }
        }
    }

    /// Waits for the oldest promise until it settles (`true`), or until a Ctrl-C
    /// beyond the `seen` ones or `until` passes (`false`; the promise stays first).
    fn settle_front(
        &self,
        window: &mut Window,
        out: &mut Printer<'_>,
        seen: usize,
        until: Option<Instant>,
    ) -> bool {
        let Some((i, mut promise)) = window.pop_front() else {
            return true;
        };
        loop {
            let slice = Instant::now() + POLL;
            match promise.wait_deadline(until.map_or(slice, |u| u.min(slice))) {
                Ok(outcome) => {
                    out.settled(i, outcome);
                    return true;
                }
                Err(pending) => {
                    promise = pending;
                    let late = until.is_some_and(|u| Instant::now() >= u);
                    if self.interrupts() > seen || late {
                        window.push_front((i, promise));
                        return false;
                    }
                }
            }
        }
    }

    fn bar(&self, len: usize) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:30} {pos}/{len} settled, {rate}, {elapsed} (Ctrl-C stops intake)",
        ) {
            bar.set_style(style.with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            ));
        }
        bar
    }
}

/// Records outcomes and prints their lines (above the progress bar).
struct Printer<'a> {
    sources: &'a [Source],
    outcomes: Vec<Outcome>,
    bar: ProgressBar,
    quiet: bool,
}

impl Printer<'_> {
    fn settled(&mut self, i: usize, outcome: Result<Delivery, Failure>) {
        match outcome {
            Ok(delivery) => self.sent(i, delivery),
            Err(failure) => self.failed(i, failure.error(), failure.event_id()),
        }
    }

    fn sent(&mut self, i: usize, d: Delivery) {
        if !self.quiet {
            let s = &self.sources[i];
            self.line(&format!(
                "sent    {}  event {}  {}  {} B ({} B on the wire)  {} attempt(s)  {} ms  {}",
                s.place(),
                d.event_id,
                if d.inline { "inline" } else { "blob" },
                d.event_bytes,
                d.sent_bytes,
                d.attempts,
                d.elapsed.as_millis(),
                s.subject,
            ));
        }
        self.outcomes[i] = Outcome::Sent(d);
        self.bar.inc(1);
    }

    fn failed(&mut self, i: usize, error: &Error, event_id: Option<Uuid>) {
        let s = &self.sources[i];
        let event = event_id.map_or_else(|| "-".to_string(), |id| id.to_string());
        self.line(&format!("FAILED  {}  event {event}  {error}", s.place()));
        self.outcomes[i] = Outcome::Failed {
            error: error.to_string(),
        };
        self.bar.inc(1);
    }

    /// A line on stdout, above the bar; a closed stdout is ignored.
    fn line(&self, text: &str) {
        self.bar.suspend(|| {
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        });
    }

    /// A line on stderr, above the bar.
    fn note(&self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }
}
