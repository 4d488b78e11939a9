//! The ureq transport end to end through real TLS against the local HTTPS receiver.

#[path = "common/receiver.rs"]
mod common;

use std::time::{Duration, Instant};

use arn_client::auth::{Cloud, ARG_SCOPE, ARN_SCOPE};
use arn_client::testing::{ArnReceiver, Fault};
use arn_client::transport::{post_with_retries, EventTransport, ReceiverConfig, RetryPolicy};
use arn_client::Error;
use common::*;

#[test]
fn inline_events_arrive_intact_with_and_without_compression() {
    let (receiver, _cred, config) = setup("tok-1");
    let t = transport(config);
    let plain = serde_json::to_vec(&inline_event(&["n1", "n2"])).unwrap();
    t.post(&post(&plain, false, WAIT)).unwrap();
    let raw = serde_json::to_vec(&inline_event(&["n3"])).unwrap();
    let packed = zlib(&raw);
    t.post(&post(&packed, true, WAIT)).unwrap();

    let events = receiver.wait_for_events(2, WAIT);
    assert_eq!(events.len(), 2);
    assert!(!events[0].compressed && events[1].compressed);
    assert!(events
        .iter()
        .all(|e| e.inline && e.publisher_info == PUBLISHER));
    assert_eq!(serde_json::to_vec(&events[0].event).unwrap(), plain);
    assert_eq!(serde_json::to_vec(&events[1].event).unwrap(), raw);
    assert_eq!(events[1].resource_ids().len(), 1);
    let requests = receiver.requests();
    assert_eq!(
        requests[1].body, packed,
        "the compressed body goes on the wire as is"
    );
}

#[test]
fn blob_events_are_followed() {
    let (receiver, _cred, config) = setup("tok-blob");
    let t = transport(config);
    let resources = serde_json::to_vec(&vec![resource("a"), resource("b")]).unwrap();
    let len = resources.len();
    let uri = receiver.put_blob("x.txt", resources, "sv=2024&sig=abc");
    let body = serde_json::to_vec(&blob_event(2, &uri, len)).unwrap();
    t.post(&post(&body, false, WAIT)).unwrap();
    let events = receiver.wait_for_events(1, WAIT);
    assert!(!events[0].inline);
    assert_eq!(events[0].resource_ids().len(), 2);

    // A wrong blobSize is rejected, not retried.
    let bad = serde_json::to_vec(&blob_event(2, &uri, len + 1)).unwrap();
    let err = post_with_retries(&*t, &post(&bad, false, WAIT), &fast_policy()).unwrap_err();
    assert!(matches!(err, Error::Http { status: 400, .. }), "{err}");
}

#[test]
fn retries_503_503_then_200_with_identical_bodies() {
    let (receiver, _cred, config) = setup("tok-2");
    let t = transport(config);
    receiver.script([Fault::Status(503), Fault::Status(503), Fault::Status(200)]);
    let body = zlib(&serde_json::to_vec(&inline_event(&["n1"])).unwrap());
    post_with_retries(&*t, &post(&body, true, WAIT), &fast_policy()).unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(503), Some(503), Some(200)]
    );
    assert!(requests.iter().all(|r| r.body == body && r.compressed));
    assert_eq!(receiver.events().len(), 1);
}

#[test]
fn retry_after_is_honoured() {
    let (receiver, _cred, config) = setup("tok-3");
    let t = transport(config);
    receiver.script([Fault::StatusRetryAfter(429, "1".into())]);
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let start = Instant::now();
    // Retry-After replaces the computed 5 ms delay (capped only by max_delay).
    let mut policy = fast_policy();
    policy.max_delay = Duration::from_secs(60);
    post_with_retries(&*t, &post(&body, false, WAIT), &policy).unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(receiver.request_count(), 2);
}

#[test]
fn status_errors_carry_status_body_and_retry_after() {
    let (receiver, _cred, config) = setup("tok-4");
    let t = transport(config);
    receiver.script([Fault::StatusRetryAfter(503, "7".into())]);
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    match t.post(&post(&body, false, WAIT)) {
        Err(Error::Http {
            status: 503,
            body,
            retry_after,
            ..
        }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(7)));
            assert!(body.contains("scripted HTTP 503"), "{body}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_request_and_unauthorized_are_not_retried() {
    let (receiver, _cred, config) = setup("tok-5");
    let t = transport(config);
    receiver.script([Fault::Status(400)]);
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let e = post_with_retries(&*t, &post(&body, false, WAIT), &fast_policy()).unwrap_err();
    assert!(matches!(e, Error::Http { status: 400, .. }), "{e}");
    assert_eq!(receiver.request_count(), 1);

    // A real 401: the credential's token is not the one the receiver expects.
    let wrong = ReceiverConfig::new(
        receiver.url(),
        arn_client::testing::StaticTokenCredential::new("not-the-token").shared(),
    )
    .add_root_certificate(receiver.certificate_der());
    let e = post_with_retries(
        &*transport(wrong),
        &post(&body, false, WAIT),
        &fast_policy(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Http { status: 401, .. }), "{e}");
    // The receiver's explanation arrives whole: "bearer token" is prose, not a secret.
    assert!(
        e.to_string()
            .contains(r#"{"error":"missing or wrong bearer token"}"#),
        "{e}"
    );
    assert_eq!(receiver.request_count(), 2);
    assert!(receiver.events().is_empty());
}

#[test]
fn unavailable_forever_gives_up_after_four_tries() {
    let (receiver, _cred, config) = setup("tok-6");
    let t = transport(config);
    receiver.script(std::iter::repeat_n(Fault::Status(503), 10));
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let e = post_with_retries(&*t, &post(&body, false, WAIT), &fast_policy()).unwrap_err();
    assert!(matches!(e, Error::Http { status: 503, .. }), "{e}");
    assert_eq!(receiver.request_count(), 4);
}

#[test]
fn a_deadline_shorter_than_the_backoff_ends_retries_with_a_timeout() {
    let (receiver, _cred, config) = setup("tok-7");
    let t = transport(config);
    receiver.script(std::iter::repeat_n(Fault::Status(503), 10));
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    // The Go schedule's first delay is at least 640 ms.
    let p = post(&body, false, Duration::from_millis(500));
    let e = post_with_retries(&*t, &p, &RetryPolicy::default()).unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
    assert_eq!(receiver.request_count(), 1);
}

#[test]
fn a_stalled_receiver_times_out_at_the_deadline() {
    let (receiver, _cred, config) = setup("tok-8");
    let t = transport(config);
    receiver.script([Fault::Stall]);
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let e = t
        .post(&post(&body, false, Duration::from_millis(300)))
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
    receiver.release_stalled();
    // The connection is usable again afterwards (a fresh one).
    t.post(&post(&body, false, WAIT)).unwrap();
}

#[test]
fn a_connection_reset_is_retried() {
    let (receiver, _cred, config) = setup("tok-9");
    let t = transport(config);
    receiver.script([Fault::Reset]);
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let first = t.post(&post(&body, false, WAIT)).unwrap_err();
    assert!(
        matches!(first, Error::Connection { .. }) && first.is_retryable(),
        "{first}"
    );
    receiver.script([Fault::Reset]);
    post_with_retries(&*t, &post(&body, false, WAIT), &fast_policy()).unwrap();
    assert_eq!(receiver.request_count(), 3);
    assert_eq!(receiver.events().len(), 1);
}

#[test]
fn an_untrusted_certificate_is_a_final_tls_error() {
    let receiver = ArnReceiver::start("tok").unwrap();
    let cred = arn_client::testing::StaticTokenCredential::new("tok");
    // The built-in roots do not trust the generated certificate.
    let t = ReceiverConfig::new(receiver.url(), cred.shared())
        .build()
        .unwrap();
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let e = t.post(&post(&body, false, WAIT)).unwrap_err();
    assert!(matches!(e, Error::Tls { .. }), "{e}");
    assert!(!e.is_retryable());
    assert_eq!(receiver.request_count(), 0);
}

#[test]
fn refused_connection_is_a_connection_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cred = arn_client::testing::StaticTokenCredential::new("tok");
    let t = ReceiverConfig::new(format!("https://127.0.0.1:{port}"), cred.shared())
        .build()
        .unwrap();
    let e = t.post(&post(b"{}", false, WAIT)).unwrap_err();
    assert!(matches!(e, Error::Connection { .. }), "{e}");
}

#[test]
fn token_scope_follows_the_cloud() {
    let (_receiver, cred, config) = setup("tok-10");
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let cases = [
        (config.clone(), ARG_SCOPE),
        (config.clone().cloud(Cloud::AzurePublic), ARN_SCOPE),
        (config.clone().cloud(Cloud::AzureUsGovernment), ARN_SCOPE),
        (config.clone().cloud(Cloud::AzureChina), ARN_SCOPE),
        (config.clone().cloud(Cloud::Other), ARG_SCOPE),
        (
            config
                .clone()
                .cloud(Cloud::AzurePublic)
                .scope("api://x/.default"),
            "api://x/.default",
        ),
    ];
    for (i, (config, scope)) in cases.into_iter().enumerate() {
        assert_eq!(config.effective_scope(), scope);
        transport(config).post(&post(&body, false, WAIT)).unwrap();
        assert_eq!(cred.scopes()[i], vec![scope.to_string()]);
    }
}

#[test]
fn a_credential_error_reaches_the_caller() {
    let (receiver, cred, config) = setup("tok-11");
    let t = transport(config);
    cred.fail_next(1);
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let e = post_with_retries(&*t, &post(&body, false, WAIT), &fast_policy()).unwrap_err();
    assert!(
        matches!(e, Error::Credential { .. }) && !e.is_retryable(),
        "{e}"
    );
    assert_eq!(receiver.request_count(), 0);
    // The next call gets a token.
    t.post(&post(&body, false, WAIT)).unwrap();
}

#[test]
fn configuration_is_validated() {
    let cred = arn_client::testing::StaticTokenCredential::new("t");
    let cfg = |url: &str| ReceiverConfig::new(url, cred.shared());
    assert!(matches!(
        cfg("http://arn.example.net").build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        cfg("http://127.0.0.1:1").build(),
        Err(Error::Config(_))
    ));
    assert!(cfg("http://127.0.0.1:1")
        .allow_http_loopback(true)
        .build()
        .is_ok());
    assert!(matches!(
        cfg("http://10.1.1.1").allow_http_loopback(true).build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        cfg("https://h")
            .add_root_certificate(
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
            )
            .build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        cfg("https://h").timeout(Duration::ZERO).build(),
        Err(Error::Config(_))
    ));
}

#[test]
fn the_configured_timeout_is_a_retryable_connection_error() {
    let (receiver, _cred, config) = setup("tok-12");
    let t = transport(config.timeout(Duration::from_millis(300)));
    receiver.script([Fault::Stall]);
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    // The deadline is far: the agent's own timeout fires first.
    let e = t.post(&post(&body, false, WAIT)).unwrap_err();
    assert!(
        matches!(e, Error::Connection { .. }) && e.is_retryable(),
        "{e}"
    );
    receiver.release_stalled();
    t.post(&post(&body, false, WAIT)).unwrap();
}

/// A token source whose token the test changes.
struct Switching(parking_lot::Mutex<&'static str>);

impl arn_client::transport::TokenSource for Switching {
    fn token(&self, _deadline: Instant) -> Result<arn_client::SecretString, Error> {
        Ok(arn_client::SecretString::new(self.0.lock().to_string()))
    }
}

#[test]
fn each_request_carries_the_current_token() {
    // The transport keeps the last `Authorization` value; a new token must replace it.
    let (receiver, _cred, config) = setup("tok-right");
    let tokens = std::sync::Arc::new(Switching(parking_lot::Mutex::new("tok-wrong")));
    let t = config.build().unwrap().with_token_source(tokens.clone());
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let err = t.post(&post(&body, false, WAIT)).unwrap_err();
    assert!(matches!(err, Error::Http { status: 401, .. }), "{err}");
    *tokens.0.lock() = "tok-right";
    t.post(&post(&body, false, WAIT)).unwrap();
    *tokens.0.lock() = "tok-wrong-again";
    let err = t.post(&post(&body, false, WAIT)).unwrap_err();
    assert!(matches!(err, Error::Http { status: 401, .. }), "{err}");
    let statuses: Vec<_> = receiver.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(401), Some(200), Some(401)]);
}
