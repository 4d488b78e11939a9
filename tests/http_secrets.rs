//! A sentinel token and a sentinel SAS signature never appear in log output, error
//! messages or Debug strings. This binary installs a capturing `log` logger.

#[path = "common/receiver.rs"]
mod common;

use std::sync::Mutex;
use std::time::Duration;

use arn_client::testing::Fault;
use arn_client::transport::{post_with_retries, EventTransport, RetryPolicy};
use common::*;

const TOKEN: &str = "SENTINEL-TOKEN-7f3a9";
const SIG: &str = "SENTINEL-SIG-c41d2";

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        // Everything from this crate; dependencies at debug (ureq prints URL query
        // strings only at trace, which is not our output).
        m.target().starts_with("arn_client") || m.level() <= log::Level::Debug
    }

    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            let line = format!("{} {} {}", r.level(), r.target(), r.args());
            LINES.lock().unwrap().push(line);
        }
    }

    fn flush(&self) {}
}

#[test]
fn secrets_stay_out_of_logs_errors_and_debug() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let (receiver, cred, config) = setup(TOKEN);
    let mut shown = vec![format!("{config:?}"), format!("{cred:?}")];
    let t = transport(config);
    shown.push(format!("{t:?}"));
    let policy = RetryPolicy::new(1, Duration::from_millis(1), Duration::from_millis(10));

    // A blob event whose SAS carries the sentinel signature: accepted.
    let resources = serde_json::to_vec(&vec![resource("a")]).unwrap();
    let len = resources.len();
    let uri = receiver.put_blob("b.txt", resources, &format!("sv=2024&sig={SIG}"));
    let body = serde_json::to_vec(&blob_event(1, &uri, len)).unwrap();
    assert!(
        String::from_utf8_lossy(&body).contains(SIG),
        "the test carries the sentinel"
    );
    t.post(&post(&body, false, WAIT)).unwrap();
    // Rejected blob events (size mismatch, missing blob), retried 503s and a reset.
    let wrong_size = serde_json::to_vec(&blob_event(1, &uri, len + 3)).unwrap();
    let missing = uri.replace("b.txt", "none.txt");
    let missing = serde_json::to_vec(&blob_event(1, &missing, len)).unwrap();
    let mut errors = Vec::new();
    for b in [&wrong_size, &missing] {
        errors.push(post_with_retries(&*t, &post(b, false, WAIT), &policy).unwrap_err());
    }
    receiver.script([
        Fault::Status(503),
        Fault::Status(503),
        Fault::Reset,
        Fault::Reset,
    ]);
    for _ in 0..2 {
        errors.push(post_with_retries(&*t, &post(&body, false, WAIT), &policy).unwrap_err());
    }
    // A credential failure.
    cred.fail_next(1);
    let t2 = transport(
        arn_client::transport::ReceiverConfig::new(receiver.url(), cred.shared())
            .add_root_certificate(receiver.certificate_pem()),
    );
    errors.push(t2.post(&post(&body, false, WAIT)).unwrap_err());
    // A wrong token: 401.
    let other = arn_client::testing::StaticTokenCredential::new(format!("{TOKEN}-other"));
    let t3 = transport(
        arn_client::transport::ReceiverConfig::new(receiver.url(), other.shared())
            .add_root_certificate(receiver.certificate_pem()),
    );
    errors.push(t3.post(&post(&body, false, WAIT)).unwrap_err());
    assert_eq!(errors.len(), 6);
    for e in &errors {
        shown.push(format!("{e} {e:?}"));
    }

    let logs = LINES.lock().unwrap().clone();
    assert!(
        logs.iter()
            .any(|l| l.contains("arn_client") && l.contains("HTTP 503")),
        "the logger captured our output: {logs:#?}"
    );
    for text in shown.iter().chain(logs.iter()) {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(!text.contains(SIG), "SAS signature leaked: {text}");
        assert!(!text.contains("sentinel-token"), "{text}");
    }
    assert_eq!(receiver.events().len(), 1);
}
