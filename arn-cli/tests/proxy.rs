//! `arn send` through an HTTP proxy: `--proxy URL` over the environment's, `--proxy
//! none` for none, the environment's by default; a refusal is final and named.

mod common;

use arn_client::testing::ConnectProxy;
use common::{exits, ndjson, temp_dir, Receiver};

const PROXY_VARIABLES: [&str; 8] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

#[test]
fn send_uses_the_given_proxy_else_the_environments() {
    let dir = temp_dir("proxy");
    let receiver = Receiver::start(&[]);
    std::fs::write(dir.join("in.ndjson"), ndjson(2)).unwrap();
    let good = ConnectProxy::start().unwrap();
    let refusing = ConnectProxy::start().unwrap();
    refusing.refuse(Some(403));
    // `arn send in.ndjson` with HTTPS_PROXY set to the refusing proxy, and `args`.
    let send = |args: &[&str], code| {
        let mut send = receiver.send(&dir, "in.ndjson");
        for v in PROXY_VARIABLES {
            send.env_remove(v);
        }
        send.env("HTTPS_PROXY", refusing.url())
            .args(["--unsent", "left.ndjson", "--workers", "1"])
            .args(args);
        exits(&mut send, code)
    };

    let (stdout, _) = send(&[], 1);
    assert!(
        stdout.contains("the HTTP proxy refused the tunnel with HTTP 403; not retried"),
        "{stdout}"
    );
    assert_eq!(refusing.requests().len(), 2, "one CONNECT per notification");

    send(&["--proxy", &good.url()], 0);
    assert!(good.tunnels() >= 1);
    let target = receiver.url.trim_start_matches("https://").to_string();
    assert!(good.requests().iter().all(|r| r.target == target));

    send(&["--proxy", "none"], 0);
    assert_eq!(
        refusing.requests().len(),
        2,
        "the environment's proxy unused"
    );
}
