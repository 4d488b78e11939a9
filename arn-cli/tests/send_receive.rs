//! `arn receive` and `arn send` end to end, as separate processes, through real TLS on
//! loopback: what is sent is what the receiver prints and saves; a rejected
//! notification is reported and lands in the resume file.

mod common;

use std::collections::BTreeSet;

use common::{assert_valid, exits, ndjson, node_names, saved_events, temp_dir, Receiver};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn send_to_receive_through_tls_with_a_retried_fault() {
    let dir = temp_dir("e2e");
    let save = dir.join("saved");
    let port = free_port().to_string();
    let receiver = Receiver::start(&[
        "--port",
        &port,
        "--save",
        save.to_str().unwrap(),
        "--fault",
        "503",
    ]);
    assert_eq!(receiver.url, format!("https://127.0.0.1:{port}"));
    assert_eq!(receiver.token, "arn-dev-token");
    let input = ndjson(20);
    std::fs::write(dir.join("in.ndjson"), &input).unwrap();

    let (stdout, stderr) = exits(
        receiver
            .send(&dir, "in.ndjson")
            .args(["--compress", "--workers", "4"]),
        0,
    );
    let sent: Vec<&str> = stdout.lines().filter(|l| l.starts_with("sent ")).collect();
    assert_eq!(sent.len(), 20, "{stdout}");
    assert!(sent.iter().all(|l| l.contains("  inline  ")), "{stdout}");
    assert!(
        sent.iter().any(|l| l.contains("2 attempt(s)")),
        "the 503 was retried: {stdout}"
    );
    assert!(
        stderr.contains("summary: 20 sent (20 inline, 0 blob), 0 failed, 0 not sent"),
        "{stderr}"
    );

    // The receiver printed one line per request (the 503, then 20 events) and saved
    // exactly the sent notifications; every event id printed by send is there.
    let lines = receiver.next_lines(21);
    assert_eq!(lines[0], "#1 REJECTED 503  (scripted fault)");
    let accepted: Vec<&String> = lines.iter().filter(|l| l.contains(" accepted ")).collect();
    assert_eq!(accepted.len(), 20);
    for line in &accepted {
        assert!(line.contains("Microsoft.ContainerService/managedClusters/nodes/snapshot"));
        assert!(line.contains("1 resource(s): n") && line.contains("  inline  compressed  id "));
    }
    for line in &sent {
        let id = line
            .split("event ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert!(
            accepted.iter().any(|l| l.ends_with(id)),
            "{id} not printed by receive"
        );
    }
    let rest = receiver.stop();
    assert!(rest
        .iter()
        .any(|l| l.contains("20 event(s) accepted, 1 request(s) rejected")));
    let saved = saved_events(&save);
    let want: BTreeSet<String> = node_names(&input).into_iter().collect();
    let got: BTreeSet<String> = node_names(&saved).into_iter().collect();
    assert_eq!(got, want);
    assert_eq!(saved.lines().count(), 20);

    // The saved file is valid input.
    assert_valid(&dir, &save.join("events.ndjson"));
}

#[test]
fn a_rejected_notification_goes_to_the_resume_file() {
    let dir = temp_dir("rejected");
    let receiver = Receiver::start(&["--fault", "400", "--latency", "1"]);
    let input = ndjson(3);
    std::fs::write(dir.join("in.ndjson"), &input).unwrap();
    // One at a time, so the 400 hits the first one.
    let (stdout, stderr) = exits(
        receiver.send(&dir, "in.ndjson").args([
            "--in-flight",
            "1",
            "--workers",
            "1",
            "--unsent",
            "left.ndjson",
        ]),
        1,
    );
    let failed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAILED")).collect();
    assert_eq!(failed.len(), 1, "{stdout}");
    assert!(
        failed[0].starts_with("FAILED  in.ndjson:1:1  event "),
        "{stdout}"
    );
    assert!(failed[0].contains("HTTP 400"), "{stdout}");
    assert!(stderr.contains("summary: 2 sent (2 inline, 0 blob), 1 failed, 0 not sent"));
    assert!(
        stderr.contains("1 failed: the ARN receiver answered HTTP 400"),
        "{stderr}"
    );
    assert!(stderr.contains("are in left.ndjson"), "{stderr}");
    let left = std::fs::read_to_string(dir.join("left.ndjson")).unwrap();
    assert_eq!(
        left,
        format!("# from in.ndjson:1:1\n{}\n", input.lines().next().unwrap())
    );
    let lines = receiver.next_lines(3);
    assert_eq!(lines[0], "#1 REJECTED 400  (scripted fault)");

    // Resuming from the file (into the same file) sends it and empties the file.
    let (_, stderr) = exits(
        receiver
            .send(&dir, "left.ndjson")
            .args(["--unsent", "left.ndjson"]),
        0,
    );
    assert!(stderr.contains("left.ndjson is empty: nothing is left"));
    assert_eq!(
        std::fs::read_to_string(dir.join("left.ndjson")).unwrap(),
        ""
    );
    let line = &receiver.next_lines(1)[0];
    assert!(
        line.starts_with("#4 accepted") && line.contains(": n0 "),
        "{line}"
    );
}

#[test]
fn a_wrong_token_is_named_by_both_sides() {
    let dir = temp_dir("token");
    let receiver = Receiver::start(&[]);
    std::fs::write(dir.join("in.ndjson"), ndjson(1)).unwrap();
    let (stdout, _) = exits(
        receiver
            .send(&dir, "in.ndjson")
            .args(["--token", "wrong", "--unsent", "left.ndjson"])
            .env_remove("ARN_TOKEN"),
        1,
    );
    assert!(stdout.contains("HTTP 401"), "{stdout}");
    assert!(stdout.contains("missing or wrong bearer token"), "{stdout}");
    assert_eq!(
        receiver.next_lines(1)[0],
        "#1 REJECTED 401  missing or wrong bearer token"
    );
}

#[test]
fn another_publishers_invalid_event_is_rejected_with_the_reason() {
    let receiver = Receiver::start(&[]);
    let pem = std::fs::read_to_string(&receiver.ca).unwrap();
    let agent =
        arn_client::testing::agent_trusting(&pem, std::time::Duration::from_secs(30)).unwrap();
    let event = common::event_line(&common::notification("mc", &["n1".into()]))
        .replace(r#","apiVersion":"2024-01-01""#, "");
    let response = agent
        .post(format!("{}/arnnotify", receiver.url))
        .header("Authorization", format!("Bearer {}", receiver.token))
        .header("Content-Type", "application/json")
        .header("publisherinfo", "Microsoft.ContainerService")
        .send(event.as_bytes())
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let line = &receiver.next_lines(1)[0];
    assert!(
        line.starts_with("#1 REJECTED 400  invalid notification (api_version_missing, resource 0)"),
        "{line}"
    );
}

#[test]
fn missing_credentials_are_named_before_anything_is_sent() {
    let dir = temp_dir("setup");
    std::fs::write(dir.join("in.ndjson"), ndjson(1)).unwrap();
    // `arn send` with `args` and no credentials in the environment: a setup error.
    let send = |args: &[&str]| {
        let (_, stderr) = exits(
            common::arn()
                .args(["send", "in.ndjson", "--endpoint", "https://127.0.0.1:9"])
                .args(args)
                .env_remove("ARN_TOKEN")
                .env_remove("AZURE_TENANT_ID")
                .env_remove("AZURE_CLIENT_ID")
                .env_remove("AZURE_CLIENT_SECRET")
                .current_dir(&dir),
            2,
        );
        stderr
    };
    let stderr = send(&[]);
    assert!(
        stderr.contains("--auth token needs a token: set ARN_TOKEN or pass --token"),
        "{stderr}"
    );
    let stderr = send(&["--auth", "client-secret"]);
    assert!(stderr.contains("error: set AZURE_TENANT_ID"), "{stderr}");
    let stderr = send(&["--token", "t", "--ca", "missing.pem"]);
    assert!(stderr.contains("missing.pem: "), "{stderr}");
}
