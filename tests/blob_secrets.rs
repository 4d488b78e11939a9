//! Nothing secret (SAS signatures, tokens) reaches the crate's logs or the errors of
//! the blob path, at trace level, against a real Azurite.
//!
//! Only the crate's own log targets are checked: ureq-proto itself hex-dumps whole
//! requests (the `Authorization` header included) at TRACE under `ureq_proto`, which
//! an application must not enable in production.

#[path = "common/azurite.rs"]
mod azurite_common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arn_client::testing::{AzuriteCredential, AzuriteTokenMode};
use arn_client::transport::BlobStore;
use azurite_common::*;

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if !record.target().starts_with("arn_client") {
            return;
        }
        self.0.lock().unwrap().push(format!(
            "{} {}: {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn trace_logs_and_errors_hold_no_sas_or_token() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let azurite = start_azurite();
    let credential = Arc::new(AzuriteCredential::new());
    let store = config(&azurite, credential.clone()).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = store.upload(b"[\"secret-free\"]", deadline).unwrap();
    let sig = url
        .expose()
        .split('&')
        .find_map(|kv| kv.strip_prefix("sig="))
        .unwrap()
        .to_owned();
    // An error path too: a refused token.
    credential.set_mode(AzuriteTokenMode::WrongAudience);
    let err = store.upload(b"[1]", deadline).unwrap_err();
    let shown = format!("{err} {err:?} {url} {url:?} {store:?}");
    drop(store);

    let logs = CAPTURE.0.lock().unwrap().join("\n");
    assert!(
        logs.contains("uploaded"),
        "trace logging was captured:\n{logs}"
    );
    let token = AzuriteCredential::mint(AzuriteTokenMode::Valid);
    let token_body = token.split('.').next().unwrap();
    for (what, text) in [("logs", &logs), ("errors and Debug", &shown)] {
        assert!(!text.contains(&sig), "SAS signature in {what}:\n{text}");
        assert!(!text.contains("sig="), "a query string in {what}:\n{text}");
        assert!(
            !text.contains("Bearer"),
            "a bearer header in {what}:\n{text}"
        );
        assert!(!text.contains(token_body), "a token in {what}:\n{text}");
        assert!(!text.contains("<?xml"), "an XML body in {what}:\n{text}");
    }
}
