//! The credential token cache: reuse, refresh margin, no stampede, errors.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use arn_client::auth::{install_blocking_runtime, CredentialTokenSource, ARG_SCOPE};
use arn_client::testing::StaticTokenCredential;
use arn_client::transport::TokenSource;
use arn_client::Error;

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(20)
}

#[test]
fn a_token_is_reused_until_five_minutes_before_expiry() {
    let cred = StaticTokenCredential::new("tok-a");
    let source = CredentialTokenSource::new(cred.shared(), ARG_SCOPE);
    for _ in 0..5 {
        assert_eq!(source.token(deadline()).unwrap().expose(), "tok-a");
    }
    assert_eq!(cred.calls(), 1);
    assert_eq!(cred.scopes(), vec![vec![ARG_SCOPE.to_string()]]);

    // A token valid for less than the refresh margin is fetched every time.
    let short = StaticTokenCredential::new("tok-b").valid_for(Duration::from_secs(240));
    let source = CredentialTokenSource::new(short.shared(), ARG_SCOPE);
    for _ in 0..3 {
        source.token(deadline()).unwrap();
    }
    assert_eq!(short.calls(), 3);
}

#[test]
fn concurrent_workers_do_not_stampede_the_credential() {
    let cred = StaticTokenCredential::new("tok-c");
    let source = Arc::new(CredentialTokenSource::new(cred.shared(), ARG_SCOPE));
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (source, barrier) = (Arc::clone(&source), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                source.token(deadline()).unwrap().expose().to_string()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "tok-c");
    }
    assert_eq!(cred.calls(), 1);
}

#[test]
fn credential_errors_are_typed_and_not_cached() {
    let cred = StaticTokenCredential::new("tok-secret-d");
    cred.fail_next(1);
    let source = CredentialTokenSource::new(cred.shared(), ARG_SCOPE);
    let e = source.token(deadline()).unwrap_err();
    assert!(matches!(e, Error::Credential(_)), "{e}");
    assert!(!format!("{e} {e:?} {source:?}").contains("tok-secret-d"));
    assert_eq!(source.token(deadline()).unwrap().expose(), "tok-secret-d");
    assert!(!format!("{source:?}").contains("tok-secret-d"));
}

#[test]
fn the_blocking_runtime_is_set_once() {
    // Building a transport installs it if unset; an explicit second install fails.
    let first = install_blocking_runtime();
    let second = install_blocking_runtime();
    assert!(matches!(second, Err(Error::Config(_))));
    let _ = first;
}
