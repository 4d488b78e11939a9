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
    assert!(matches!(e, Error::Credential { .. }), "{e}");
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

/// A credential whose second call blocks until released: token `t1`, then `t2`,
/// each valid for 4 minutes (inside the 5-minute refresh margin).
#[derive(Debug)]
struct GatedCredential {
    calls: std::sync::atomic::AtomicUsize,
    entered: std::sync::Mutex<std::sync::mpsc::Sender<()>>,
    release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for GatedCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n == 2 {
            self.entered.lock().unwrap().send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
        }
        Ok(azure_core::credentials::AccessToken::new(
            format!("t{n}"),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::minutes(4),
        ))
    }
}

#[test]
fn during_a_refresh_others_use_the_still_valid_token() {
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel();
    let cred = Arc::new(GatedCredential {
        calls: Default::default(),
        entered: std::sync::Mutex::new(entered_tx),
        release: std::sync::Mutex::new(release_rx),
    });
    let source = Arc::new(CredentialTokenSource::new(cred.clone(), ARG_SCOPE));
    assert_eq!(source.token(deadline()).unwrap().expose(), "t1");
    // t1 is due for refresh (4 min < 5 min margin) but not expired.
    let refresher = {
        let source = Arc::clone(&source);
        std::thread::spawn(move || source.token(deadline()).unwrap().expose().to_string())
    };
    entered_rx.recv().unwrap();
    // The refresh is running and blocked: another worker gets t1 at once.
    assert_eq!(source.token(deadline()).unwrap().expose(), "t1");
    release_tx.send(()).unwrap();
    assert_eq!(refresher.join().unwrap(), "t2");
    assert_eq!(cred.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}
