//! A notification too large to go inline goes through blob storage: `arn receive
//! --azurite` runs a real Azurite, `arn send --storage` uploads the resources there
//! and the receiver fetches them through the SAS URL.

mod common;

use arn_client::model::Notification;
use common::{assert_valid, event_line, exits, node, node_names, saved_events, temp_dir, Receiver};

/// 1000 AKS nodes with the real node payload: about 2 MB of resources JSON.
fn thousand_nodes() -> Notification {
    let payload: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/payloads/node.json"
    )))
    .unwrap();
    let resources = (0..1000)
        .map(|i| node("mc-big", &format!("big{i:04}"), &payload))
        .collect();
    Notification::new("eastus", "Microsoft.ContainerService", resources)
}

#[test]
fn a_large_notification_goes_through_azurite() {
    let dir = temp_dir("blob");
    let save = dir.join("saved");
    let receiver = Receiver::start(&["--azurite", "--save", save.to_str().unwrap()]);
    assert_eq!(receiver.storage[0], "--storage", "{:?}", receiver.storage);
    let big = event_line(&thousand_nodes());
    assert!(big.len() > 1_000_000);
    let small = event_line(&common::notification("mc-small", &["s0".into()]));
    std::fs::write(dir.join("in.ndjson"), format!("{big}\n{small}\n")).unwrap();

    let (stdout, stderr) = exits(
        receiver
            .send(&dir, "in.ndjson")
            .args(&receiver.storage)
            .arg("--compress"),
        0,
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("sent    in.ndjson:1:1") && l.contains("  blob  ")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("sent    in.ndjson:2:1") && l.contains("  inline  ")),
        "{stdout}"
    );
    assert!(
        stderr.contains("summary: 2 sent (1 inline, 1 blob), 0 failed"),
        "{stderr}"
    );

    let lines = receiver.next_lines(2);
    let blob_line = lines
        .iter()
        .find(|l| l.contains("1000 resource(s)"))
        .unwrap();
    assert!(
        blob_line.contains("big0000, big0001, big0002 +997 more  blob  compressed"),
        "{blob_line}"
    );
    receiver.stop();
    // Saved with the resources inline, so the file can be sent again.
    let names = node_names(&saved_events(&save));
    assert_eq!(names.len(), 1001);
    assert!(names.contains(&"big0999".to_string()) && names.contains(&"s0".to_string()));
    assert_valid(&dir, &save.join("events.ndjson"));
}

#[test]
fn without_storage_a_large_notification_fails_and_is_kept() {
    let dir = temp_dir("blob-none");
    let receiver = Receiver::start(&[]);
    let big = event_line(&thousand_nodes());
    std::fs::write(dir.join("in.ndjson"), format!("{big}\n")).unwrap();
    let (stdout, _) = exits(
        receiver
            .send(&dir, "in.ndjson")
            .args(["--unsent", "left.ndjson"]),
        1,
    );
    assert!(
        stdout.contains("FAILED  in.ndjson:1:1  event -  the resources JSON is"),
        "{stdout}"
    );
    assert!(stdout.contains("no blob storage"), "{stdout}");
    let left = std::fs::read_to_string(dir.join("left.ndjson")).unwrap();
    assert!(
        left == format!("# from in.ndjson:1:1\n{big}\n"),
        "the resume file holds the notification below its origin"
    );
}
