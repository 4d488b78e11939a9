//! The receiver transport through a local `CONNECT` proxy, with real TLS to the
//! receiver inside the tunnel: notifications reach a receiver only the proxy can
//! reach, and a proxy's refusal is final.

#[path = "common/receiver.rs"]
mod common;

use std::time::Instant;

use arn_client::testing::{ArnReceiver, ConnectProxy, StaticTokenCredential};
use arn_client::transport::{post_with_retries, EventTransport, Proxy, ReceiverConfig};
use arn_client::{Client, Error};
use common::*;

/// A host name that no resolver knows: only the proxy (through its route) reaches it.
const HOST: &str = "arn-receiver.test";

/// A receiver whose certificate is for [`HOST`], a proxy routing `HOST:port` to it,
/// and a config for `https://HOST:port` through the proxy.
fn behind_proxy(token: &str) -> (ArnReceiver, ConnectProxy, ReceiverConfig) {
    let receiver = ArnReceiver::builder()
        .token(token)
        .certificate_names([HOST])
        .start()
        .unwrap();
    let proxy = ConnectProxy::start().unwrap();
    let target = format!("{HOST}:{}", receiver.addr().port());
    proxy.route(&target, receiver.addr());
    let config = ReceiverConfig::new(
        format!("https://{target}"),
        StaticTokenCredential::new(token).shared(),
    )
    .add_root_certificate(receiver.certificate_pem())
    .proxy(Proxy::url(proxy.url()));
    (receiver, proxy, config)
}

fn deadline() -> Instant {
    Instant::now() + WAIT
}

#[test]
fn notifications_reach_a_receiver_only_the_proxy_can_reach() {
    let (receiver, proxy, config) = behind_proxy("proxy-tok");
    let client = Client::builder(config.clone()).workers(2).build().unwrap();
    for i in 0..20 {
        client
            .notify(notification(vec![node(&format!("n{i}"), i)]))
            .unwrap();
    }
    assert_eq!(receiver.wait_for_events(20, WAIT).len(), 20);
    client.close(deadline()).unwrap();
    let requests = proxy.requests();
    let target = format!("{HOST}:{}", receiver.addr().port());
    assert!(
        requests
            .iter()
            .all(|r| r.method == "CONNECT" && r.target == target && r.status == 200),
        "{requests:?}"
    );
    assert_eq!(
        proxy.tunnels(),
        1,
        "one kept-alive tunnel for 20 blocking sends"
    );

    // Without the proxy the receiver's name does not resolve: the proxy was the way.
    let direct = config.proxy(Proxy::none()).build().unwrap();
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let err = direct.post(&post(&body, false, WAIT)).unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err}");
    assert_eq!(proxy.requests().len(), requests.len());
}

#[test]
fn a_refused_tunnel_is_final_and_says_so() {
    let (receiver, proxy, config) = behind_proxy("refused-tok");
    proxy.refuse(Some(403));
    // The default retry policy: a retryable failure would be tried 4 times.
    let client = Client::builder(config).build().unwrap();
    let err = client
        .notify(notification(vec![node("n1", 1)]))
        .unwrap_err()
        .into_error();
    assert!(
        matches!(err, Error::ProxyRefused { status: 403, .. }),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("proxy refused"), "{err}");
    assert_eq!(proxy.requests().len(), 1, "not retried");
    assert!(receiver.requests().is_empty());
    client.close(deadline()).unwrap();
}

#[test]
fn proxy_authentication_is_sent_and_its_rejection_is_final() {
    let (receiver, proxy, config) = behind_proxy("auth-tok");
    proxy.require_basic_auth("arn", "pr0xy-pass");
    let at = |userinfo: &str| {
        proxy
            .url()
            .replace("http://", &format!("http://{userinfo}@"))
    };

    let wrong = config
        .clone()
        .proxy(Proxy::url(at("arn:wrong-pass")))
        .build()
        .unwrap();
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let err = post_with_retries(&wrong, &post(&body, false, WAIT), &fast_policy()).unwrap_err();
    assert!(
        matches!(err, Error::ProxyRefused { status: 407, .. }),
        "{err}"
    );
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("authentication") && !text.contains("wrong-pass"),
        "{text}"
    );
    assert_eq!(proxy.requests().len(), 1, "not retried");
    let missing = config
        .clone()
        .proxy(Proxy::url(proxy.url()))
        .build()
        .unwrap();
    let err = missing.post(&post(&body, false, WAIT)).unwrap_err();
    assert!(
        matches!(err, Error::ProxyRefused { status: 407, .. }),
        "{err}"
    );

    let right = config.proxy(Proxy::url(at("arn:pr0xy-pass")));
    assert!(!format!("{right:?}").contains("pr0xy-pass"));
    right
        .build()
        .unwrap()
        .post(&post(&body, false, WAIT))
        .unwrap();
    assert_eq!(receiver.wait_for_events(1, WAIT).len(), 1);
    let requests = proxy.requests();
    assert_eq!(
        requests
            .iter()
            .map(|r| (r.authorized, r.status))
            .collect::<Vec<_>>(),
        [(true, 407), (false, 407), (true, 200)]
    );
}

#[test]
fn a_proxy_that_cannot_reach_the_receiver_is_retried() {
    let (_receiver, proxy, config) = behind_proxy("busy-tok");
    proxy.refuse(Some(503));
    let t = config.build().unwrap();
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    let err = post_with_retries(&t, &post(&body, false, WAIT), &fast_policy()).unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err}");
    assert_eq!(
        proxy.requests().len(),
        1 + fast_policy().max_retries as usize,
        "a 503 to CONNECT is retried like a refused connection"
    );
}

#[test]
fn socks_and_unreadable_proxy_urls_are_config_errors() {
    let (_receiver, _proxy, config) = behind_proxy("cfg-tok");
    for url in ["socks5://127.0.0.1:1080", "http://bad host:1"] {
        let err = config.clone().proxy(Proxy::url(url)).build().unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}: {err}");
    }
}
