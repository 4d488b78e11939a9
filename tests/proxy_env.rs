//! The proxy variables both transports read by default (`Proxy::from_env`), through a
//! local `CONNECT` proxy with real TLS inside the tunnel. One test in its own binary:
//! it changes the process environment, which no other test may see.

#[path = "common/azurite.rs"]
mod azurite_common;
#[path = "common/receiver.rs"]
mod receiver_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::testing::{ArnReceiver, AzuriteCredential, ConnectProxy, StaticTokenCredential};
use arn_client::transport::{BlobStore, EventTransport, Proxy, ReceiverConfig};
use arn_client::Error;
use azurite_common::{config, start_azurite};
use receiver_common::{inline_event, post, WAIT};

const HOST: &str = "arn-receiver.test";
const VARIABLES: [&str; 8] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Sets exactly these proxy variables (the others removed).
fn environment(set: &[(&str, &str)]) {
    for v in VARIABLES {
        std::env::remove_var(v);
    }
    for (k, v) in set {
        std::env::set_var(k, v);
    }
}

#[test]
fn both_transports_read_the_proxy_variables_and_an_explicit_setting_overrides_them() {
    let receiver = ArnReceiver::builder()
        .token("env-tok")
        .certificate_names([HOST])
        .start()
        .unwrap();
    let proxy = ConnectProxy::start().unwrap();
    let target = format!("{HOST}:{}", receiver.addr().port());
    proxy.route(&target, receiver.addr());
    let config = ReceiverConfig::new(
        format!("https://{target}"),
        StaticTokenCredential::new("env-tok").shared(),
    )
    .add_root_certificate(receiver.certificate_pem());
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    // Whether a transport built from `config` now reaches the receiver (only the
    // proxy can), and whether the proxy saw a new tunnel.
    let send = |config: ReceiverConfig| {
        let before = proxy.tunnels();
        let sent = config.build().unwrap().post(&post(&body, false, WAIT));
        (sent, proxy.tunnels() - before)
    };

    for variable in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "ALL_PROXY"] {
        environment(&[(variable, &proxy.url())]);
        let (sent, tunnels) = send(config.clone());
        assert!(sent.is_ok() && tunnels == 1, "{variable}: {sent:?}");
    }

    // NO_PROXY: an exact host, or a dot suffix, goes direct (and does not resolve).
    for no_proxy in [HOST, ".test", "*.test", "*", "localhost,arn-receiver.test"] {
        environment(&[("HTTPS_PROXY", &proxy.url()), ("NO_PROXY", no_proxy)]);
        let (sent, tunnels) = send(config.clone());
        assert!(
            matches!(sent, Err(Error::Connection { .. })) && tunnels == 0,
            "NO_PROXY={no_proxy}: {sent:?}"
        );
    }
    // Entries that do not match: the bare domain of a subdomain, a port, a space.
    for no_proxy in [
        "receiver.test",
        "arn-receiver.test:443",
        "localhost, arn-receiver.test",
    ] {
        environment(&[("HTTPS_PROXY", &proxy.url()), ("NO_PROXY", no_proxy)]);
        let (sent, tunnels) = send(config.clone());
        assert!(
            sent.is_ok() && tunnels == 1,
            "NO_PROXY={no_proxy}: {sent:?}"
        );
    }

    // The explicit settings ignore the environment.
    environment(&[("HTTPS_PROXY", &proxy.url())]);
    let (sent, tunnels) = send(config.clone().proxy(Proxy::none()));
    assert!(
        matches!(sent, Err(Error::Connection { .. })) && tunnels == 0,
        "{sent:?}"
    );
    environment(&[("HTTPS_PROXY", "http://127.0.0.1:9"), ("NO_PROXY", "*")]);
    let (sent, tunnels) = send(config.clone().proxy(Proxy::url(proxy.url())));
    assert!(sent.is_ok() && tunnels == 1, "{sent:?}");

    // The variables are read when the transport is built, not per request.
    environment(&[]);
    let built = config.clone().build().unwrap();
    environment(&[("HTTPS_PROXY", &proxy.url())]);
    assert!(built.post(&post(&body, false, WAIT)).is_err());

    // The Azure Storage path reads the same variables (Azurite is on 127.0.0.1).
    let azurite = start_azurite();
    let deadline = || Instant::now() + Duration::from_secs(60);
    let azurite_target = format!("127.0.0.1:{}", azurite.port());
    let through_proxy = || {
        proxy
            .requests()
            .iter()
            .filter(|r| r.target == azurite_target && r.status == 200)
            .count()
    };
    environment(&[("HTTPS_PROXY", &proxy.url())]);
    let store = config_for(&azurite);
    store.upload(b"[]", deadline()).unwrap();
    let proxied = through_proxy();
    assert!(proxied > 0);
    environment(&[
        ("HTTPS_PROXY", &proxy.url()),
        ("NO_PROXY", "localhost,127.0.0.1"),
    ]);
    let store = config_for(&azurite);
    store.upload(b"[]", deadline()).unwrap();
    assert_eq!(through_proxy(), proxied, "NO_PROXY=127.0.0.1 goes direct");
    environment(&[]);
}

fn config_for(azurite: &arn_client::testing::Azurite) -> arn_client::blob::AzureBlobStore {
    config(azurite, Arc::new(AzuriteCredential::new()))
        .build()
        .unwrap()
}
