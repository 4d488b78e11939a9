//! Scripted fakes of the transport seam: [`FakeTransport`] records every call and
//! answers by script (per call, or per event subject), or does nothing at all
//! ([`FakeTransport::noop`], for benchmarks).

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::transport::{BlobStore, EventPost, EventTransport, TokenSource};
use crate::{Error, SecretString, SecretUrl, Sent};

/// What the fake does with one call.
#[derive(Clone, Debug, Default)]
pub enum Behavior {
    /// Succeed.
    #[default]
    Ok,
    /// Fail with [`Error::Http`] of this status.
    Http(u16),
    /// Fail with [`Error::Connection`], never sent ([`Sent::Never`]).
    Connection,
    /// Sleep this long (a slow network), then succeed.
    Delay(Duration),
    /// Panic (with the message `"scripted panic"`).
    Panic,
    /// Block until the gate is opened, then succeed.
    Gate(Gate),
}

impl Behavior {
    fn apply(&self) -> Result<(), Error> {
        match self {
            Behavior::Ok => Ok(()),
            Behavior::Http(status) => Err(Error::Http {
                status: *status,
                body: "scripted".into(),
                retry_after: None,
            }),
            Behavior::Connection => Err(Error::connection(Sent::Never, "scripted", None)),
            Behavior::Delay(d) => {
                std::thread::sleep(*d);
                Ok(())
            }
            Behavior::Panic => panic!("scripted panic"),
            Behavior::Gate(gate) => {
                gate.pass();
                Ok(())
            }
        }
    }
}

/// A gate that blocks callers until opened; counts how many have arrived, so tests
/// can wait until a worker is stuck in it (no sleeps).
#[derive(Clone, Debug, Default)]
pub struct Gate(Arc<GateInner>);

#[derive(Debug, Default)]
struct GateInner {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    open: bool,
    arrived: usize,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens the gate: every blocked and later caller passes.
    pub fn open(&self) {
        let mut s = self.0.state.lock();
        s.open = true;
        self.0.changed.notify_all();
    }

    /// Blocks until at least `n` callers have arrived at the gate.
    pub fn wait_arrived(&self, n: usize) {
        let mut s = self.0.state.lock();
        while s.arrived < n {
            self.0.changed.wait(&mut s);
        }
    }

    /// How many callers have arrived so far.
    pub fn arrived(&self) -> usize {
        self.0.state.lock().arrived
    }

    fn pass(&self) {
        let mut s = self.0.state.lock();
        s.arrived += 1;
        self.0.changed.notify_all();
        while !s.open {
            self.0.changed.wait(&mut s);
        }
    }
}

/// One recorded POST.
#[derive(Clone, Debug)]
pub struct RecordedPost {
    /// The event JSON, inflated if it was sent compressed (empty when bodies are not
    /// kept, see [`FakeTransport::without_bodies`]).
    pub body: Vec<u8>,
    /// Whether the body was sent zlib-compressed.
    pub compressed: bool,
    /// The `publisherinfo` header value.
    pub publisher_info: String,
    /// The event's `subject`, if the body is an event.
    pub subject: Option<String>,
    /// The name of the thread that posted.
    pub thread: Option<String>,
    /// When the call arrived.
    pub at: Instant,
}

/// One recorded blob upload.
#[derive(Clone, Debug)]
pub struct RecordedUpload {
    /// The uploaded resources JSON.
    pub resources: Vec<u8>,
    /// The URL returned for it.
    pub url: SecretUrl,
}

#[derive(Default)]
struct Script {
    posts: Vec<RecordedPost>,
    uploads: Vec<RecordedUpload>,
    next_posts: VecDeque<Behavior>,
    next_uploads: VecDeque<Behavior>,
    by_subject: HashMap<String, Behavior>,
    default: Behavior,
}

/// A recording, scripted [`EventTransport`], [`BlobStore`] and [`TokenSource`].
///
/// A POST's behaviour is, in order of precedence: the next entry of
/// [`FakeTransport::script_posts`], the behaviour scripted for its event subject
/// ([`FakeTransport::script_subject`], case-insensitive), else the default
/// ([`FakeTransport::script_default`], initially success).
#[derive(Default)]
pub struct FakeTransport {
    noop: bool,
    drop_bodies: bool,
    script: Mutex<Script>,
}

impl FakeTransport {
    /// A recording fake that succeeds unless scripted otherwise.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A fake that records nothing and always succeeds at once (for benchmarks).
    pub fn noop() -> Arc<Self> {
        Arc::new(Self {
            noop: true,
            ..Self::default()
        })
    }

    /// A recording fake that keeps no bodies (only subjects and headers), to record
    /// many calls in little memory.
    pub fn without_bodies() -> Arc<Self> {
        Arc::new(Self {
            drop_bodies: true,
            ..Self::default()
        })
    }

    /// The next POSTs behave like these, in call order.
    pub fn script_posts(&self, behaviors: impl IntoIterator<Item = Behavior>) {
        self.script.lock().next_posts.extend(behaviors);
    }

    /// The next uploads behave like these, in call order (then they succeed).
    pub fn script_uploads(&self, behaviors: impl IntoIterator<Item = Behavior>) {
        self.script.lock().next_uploads.extend(behaviors);
    }

    /// Every POST of an event with this subject (e.g. a single resource's id) behaves
    /// like `behavior`.
    pub fn script_subject(&self, subject: &str, behavior: Behavior) {
        self.script
            .lock()
            .by_subject
            .insert(subject.to_ascii_lowercase(), behavior);
    }

    /// POSTs that nothing else scripts behave like `behavior` (initially
    /// [`Behavior::Ok`]).
    pub fn script_default(&self, behavior: Behavior) {
        self.script.lock().default = behavior;
    }

    /// Every POST recorded so far.
    pub fn posts(&self) -> Vec<RecordedPost> {
        self.script.lock().posts.clone()
    }

    /// The number of POSTs recorded so far.
    pub fn post_count(&self) -> usize {
        self.script.lock().posts.len()
    }

    /// Every upload recorded so far.
    pub fn uploads(&self) -> Vec<RecordedUpload> {
        self.script.lock().uploads.clone()
    }
}

impl EventTransport for FakeTransport {
    fn post(&self, post: &EventPost<'_>) -> Result<(), Error> {
        if self.noop {
            return Ok(());
        }
        let at = Instant::now();
        let body = if post.compressed {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(post.body)
                .read_to_end(&mut out)
                .map_err(|e| Error::Encode(format!("fake: bad zlib body: {e}")))?;
            out
        } else {
            post.body.to_vec()
        };
        let subject = event_subject(&body);
        let behavior = {
            let mut script = self.script.lock();
            let behavior = match script.next_posts.pop_front() {
                Some(b) => b,
                None => subject
                    .as_deref()
                    .and_then(|s| script.by_subject.get(&s.to_ascii_lowercase()))
                    .unwrap_or(&script.default)
                    .clone(),
            };
            script.posts.push(RecordedPost {
                body: if self.drop_bodies { Vec::new() } else { body },
                compressed: post.compressed,
                publisher_info: post.publisher_info.to_owned(),
                subject,
                thread: std::thread::current().name().map(str::to_owned),
                at,
            });
            behavior
        };
        behavior.apply()
    }
}

impl BlobStore for FakeTransport {
    fn upload(&self, resources: &[u8], _deadline: Instant) -> Result<SecretUrl, Error> {
        let (behavior, n) = {
            let mut script = self.script.lock();
            (
                script.next_uploads.pop_front().unwrap_or_default(),
                script.uploads.len(),
            )
        };
        behavior.apply()?;
        let url = SecretUrl::new(format!(
            "https://fake.blob.core.windows.net/arn/{n}.json?sv=2024-01-01&sig=fake"
        ));
        if !self.noop {
            self.script.lock().uploads.push(RecordedUpload {
                resources: resources.to_vec(),
                url: url.clone(),
            });
        }
        Ok(url)
    }
}

impl TokenSource for FakeTransport {
    fn token(&self, _deadline: Instant) -> Result<SecretString, Error> {
        Ok(SecretString::new("fake-token"))
    }
}

/// The `subject` of an event body, if it is one. A quick scan for the top-level key
/// (it comes second in the envelope, `docs/protocol.md` section 3); a full parse when
/// the value has escapes.
fn event_subject(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = br#""subject":""#;
    let start = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let len = body[start..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')?;
    if body[start + len] == b'"' {
        return std::str::from_utf8(&body[start..start + len])
            .ok()
            .map(str::to_owned);
    }
    #[derive(serde::Deserialize)]
    struct Event {
        subject: String,
    }
    serde_json::from_slice::<Event>(body)
        .ok()
        .map(|e| e.subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn post(body: &[u8], compressed: bool) -> EventPost<'_> {
        EventPost {
            body,
            compressed,
            publisher_info: "Microsoft.Test",
            deadline: Instant::now() + Duration::from_secs(5),
        }
    }

    #[test]
    fn records_and_scripts_by_subject_and_call() {
        let fake = FakeTransport::new();
        fake.script_subject("/Subscriptions/S", Behavior::Http(503));
        let event = br#"{"topic":"","subject":"/subscriptions/s","data":{}}"#;
        assert!(matches!(
            fake.post(&post(event, false)),
            Err(Error::Http { status: 503, .. })
        ));
        fake.script_posts([Behavior::Connection]);
        assert!(matches!(
            fake.post(&post(event, false)),
            Err(Error::Connection { .. })
        ));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(5));
        z.write_all(br#"{"subject":"/other"}"#).unwrap();
        fake.post(&post(&z.finish().unwrap(), true)).unwrap();
        let posts = fake.posts();
        assert_eq!(posts.len(), 3);
        assert_eq!(posts[2].subject.as_deref(), Some("/other"));
        assert!(posts[2].compressed);
        assert_eq!(posts[0].publisher_info, "Microsoft.Test");
    }

    #[test]
    fn gate_blocks_until_open() {
        let fake = FakeTransport::new();
        let gate = Gate::new();
        fake.script_posts([Behavior::Gate(gate.clone())]);
        let f = Arc::clone(&fake);
        let t = std::thread::spawn(move || f.post(&post(b"{}", false)));
        gate.wait_arrived(1);
        assert_eq!(gate.arrived(), 1);
        gate.open();
        t.join().unwrap().unwrap();
    }

    #[test]
    fn uploads_return_secret_urls() {
        let fake = FakeTransport::new();
        let url = fake.upload(b"[]", Instant::now()).unwrap();
        assert!(!url.to_string().contains("sig=fake"));
        assert_eq!(fake.uploads()[0].resources, b"[]");
        fake.script_uploads([Behavior::Http(403)]);
        assert!(fake.upload(b"[]", Instant::now()).is_err());
    }
}
