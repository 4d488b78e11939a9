//! Each kind of failed POST against the local HTTPS receiver says how far the request
//! got ([`Sent`]) and keeps its typed cause (`source()`, `io_kind()`): a refused port
//! and a rejected certificate never sent it, a reset before the body went out neither,
//! a reset after it may have reached the receiver, and an error status was answered.

#[path = "common/receiver.rs"]
mod common;

use std::error::Error as _;
use std::io;

use arn_client::testing::{ArnReceiver, Fault, StaticTokenCredential};
use arn_client::transport::{EventTransport, ReceiverConfig};
use arn_client::{Error, Sent};
use common::*;

/// More than loopback socket buffers hold (Linux defaults: a 4 MB send buffer, a
/// receive buffer autotuned up to 32 MB), under the receiver's 64 MB limit: it cannot
/// go out whole while the receiver does not read it.
const LARGE_BODY: usize = 60 * 1024 * 1024;

fn post_once(t: &dyn EventTransport, body: &[u8]) -> Error {
    t.post(&post(body, false, WAIT))
        .expect_err("the POST must fail")
}

fn small_body() -> Vec<u8> {
    serde_json::to_vec(&inline_event(&["n1"])).unwrap()
}

/// The cause chain as text, for the secret check.
fn chain(e: &Error) -> String {
    let mut text = format!("{e} {e:?}");
    let mut next = e.source();
    while let Some(s) = next {
        text.push_str(&format!(" | {s} {s:?}"));
        next = s.source();
    }
    text
}

#[test]
fn a_refused_port_was_never_sent_and_keeps_its_io_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cred = StaticTokenCredential::new("tok");
    let t = ReceiverConfig::new(format!("https://127.0.0.1:{port}"), cred.shared())
        .build()
        .unwrap();
    let e = post_once(&t, &small_body());
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    assert_eq!(e.sent(), Some(Sent::Never));
    assert_eq!(e.io_kind(), Some(io::ErrorKind::ConnectionRefused));
    let source = e.source().expect("the I/O error is kept");
    assert!(source.downcast_ref::<io::Error>().is_some(), "{source:?}");
    assert!(e.is_retryable());
}

#[test]
fn a_rejected_certificate_was_never_sent_and_keeps_the_tls_error() {
    let receiver = ArnReceiver::start("tok").unwrap();
    let cred = StaticTokenCredential::new("tok");
    // The built-in roots do not trust the generated certificate.
    let t = ReceiverConfig::new(receiver.url(), cred.shared())
        .build()
        .unwrap();
    let e = post_once(&t, &small_body());
    assert!(matches!(e, Error::Tls { .. }), "{e:?}");
    assert_eq!(e.sent(), Some(Sent::Never));
    let mut next = e.source();
    let mut found = false;
    while let Some(s) = next {
        found |= s.to_string().contains("UnknownIssuer") || s.to_string().contains("issuer");
        next = s.source();
    }
    assert!(found, "no TLS cause in {}", chain(&e));
    assert!(!e.is_retryable());
    assert_eq!(receiver.request_count(), 0);
}

#[test]
fn a_reset_before_the_body_went_out_was_never_sent() {
    let (receiver, _cred, config) = setup("tok-reset-early");
    let t = transport(config);
    receiver.script([Fault::ResetBeforeBody]);
    let body = vec![b' '; LARGE_BODY];
    let e = post_once(&*t, &body);
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    assert_eq!(e.sent(), Some(Sent::Never), "{}", chain(&e));
    assert!(e.io_kind().is_some(), "{}", chain(&e));
    assert!(e.is_retryable());
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, None);
}

#[test]
fn a_reset_after_the_body_went_out_may_have_reached_the_receiver() {
    let (receiver, _cred, config) = setup("tok-reset-late");
    let t = transport(config);
    receiver.script([Fault::Reset]);
    let body = small_body();
    let e = post_once(&*t, &body);
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    assert_eq!(e.sent(), Some(Sent::NoAnswer), "{}", chain(&e));
    assert!(e.is_retryable());
    // The receiver did read all of it.
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body, body);
    assert_eq!(requests[0].status, None);
}

#[test]
fn an_error_status_was_answered() {
    let (receiver, _cred, config) = setup("tok-answered");
    let t = transport(config);
    receiver.script([Fault::Status(503)]);
    let e = post_once(&*t, &small_body());
    assert!(matches!(e, Error::Http { status: 503, .. }), "{e:?}");
    assert_eq!(e.sent(), Some(Sent::Answered));
    assert_eq!(e.io_kind(), None);
}

#[test]
fn copies_keep_the_cause() {
    let (receiver, _cred, config) = setup("tok-copies");
    let t = transport(config);
    receiver.script([Fault::Reset]);
    let e = post_once(&*t, &small_body());
    let copy = e.clone();
    assert_eq!(copy.sent(), e.sent());
    assert_eq!(copy.io_kind(), e.io_kind());
    assert_eq!(copy.to_string(), e.to_string());
    assert!(copy.source().is_some() == e.source().is_some());
}
