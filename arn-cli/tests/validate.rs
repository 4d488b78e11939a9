//! Bad files: `arn validate` and `arn send` name every invalid notification with its
//! file, line, column and rule, and `arn send` sends nothing.

mod common;

use arn_client::testing::ArnReceiver;
use common::{event_line, notification, run, temp_dir};

/// The example input shipped with the crate: three valid notifications.
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nodes.ndjson");

/// A file with good lines and bad ones (broken JSON on line 3, a missing API version
/// on line 5, mixed resource types on line 6).
fn mixed_file() -> String {
    let good = |i: usize| event_line(&notification("mc", &[format!("n{i}")]));
    let no_api_version = good(4).replace(r#","apiVersion":"2024-01-01""#, "");
    let batch = {
        let mut two = notification("mc", &["a".into(), "b".into()]);
        let other = notification("mc2", &["x".into()]).resources.remove(0);
        two.resources[1] = other;
        event_line(&two)
    };
    let mixed_types = batch.replace("mc2/nodes/x", "mc2/agentPools/x").replace(
        "\"name\":\"x\",\"type\":\"Microsoft.ContainerService/managedClusters/nodes\"",
        "\"name\":\"x\",\"type\":\"Microsoft.ContainerService/managedClusters/agentPools\"",
    );
    format!(
        "{}\n{}\n{{\"topic\": \"\", oops}}\n\n{no_api_version}\n{mixed_types}\n",
        good(1),
        good(2)
    )
}

#[test]
fn validate_names_every_bad_line_and_the_rule() {
    let dir = temp_dir("validate");
    std::fs::write(dir.join("mixed.ndjson"), mixed_file()).unwrap();
    let (stdout, _) = run(&dir, &["validate", "mixed.ndjson"], 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[0].starts_with("mixed.ndjson:3:15: json: "),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("mixed.ndjson:5:1: api_version_missing: resources[0]"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("mixed.ndjson:6:1: mixed_resource_types: resources[1]"),
        "{stdout}"
    );
    assert_eq!(lines[3], "2 notifications valid, 3 invalid (1 file)");

    let (stdout, _) = run(&dir, &["validate", "--format", "json", "mixed.ndjson"], 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["valid"], 2);
    assert_eq!(report["invalid"], 3);
    assert_eq!(report["problems"][1]["line"], 5);
    assert_eq!(report["problems"][1]["rule"], "api_version_missing");
    assert_eq!(report["problems"][1]["file"], "mixed.ndjson");
}

#[test]
fn validate_accepts_the_example_and_each_input_form() {
    let dir = temp_dir("validate-ok");
    let (stdout, _) = run(&dir, &["validate", EXAMPLE], 0);
    assert!(stdout.ends_with("3 notifications valid, 0 invalid (1 file)\n"));

    let a = event_line(&notification("mc", &["a".into()]));
    let b = event_line(&notification("mc", &["b".into()]));
    let pretty = |s: &str| {
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(s).unwrap())
            .unwrap()
    };
    std::fs::write(dir.join("one.json"), pretty(&a)).unwrap();
    std::fs::write(
        dir.join("array.json"),
        format!("[{},\n{}]", pretty(&a), pretty(&b)),
    )
    .unwrap();
    let (stdout, _) = run(&dir, &["validate", "one.json", "array.json"], 0);
    assert!(stdout.ends_with("3 notifications valid, 0 invalid (2 files)\n"));
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = temp_dir("validate-missing");
    std::fs::write(
        dir.join("one.json"),
        event_line(&notification("mc", &["a".into()])),
    )
    .unwrap();
    let (stdout, stderr) = run(&dir, &["validate", "missing.json", "one.json"], 2);
    assert!(
        stderr.starts_with("error: cannot read missing.json: No such file or directory"),
        "{stderr}"
    );
    assert_eq!(
        stdout,
        "1 notification valid, 0 invalid (2 files, 1 unreadable)\n"
    );
    let (stdout, _) = run(&dir, &["validate", "--format", "json", "missing.json"], 2);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["invalid"], 0);
    assert_eq!(report["unreadable_files"][0]["file"], "missing.json");

    // `arn send` refuses to start: nothing is sent, no resume file.
    let (_, stderr) = run(
        &dir,
        &[
            "send",
            "one.json",
            "missing.json",
            "--endpoint",
            "https://127.0.0.1:9",
        ],
        2,
    );
    assert!(
        stderr.contains("error: cannot read missing.json: "),
        "{stderr}"
    );
    assert!(stderr.contains("nothing sent"), "{stderr}");
}

#[test]
fn an_empty_file_holds_no_notification_and_fails_validation() {
    let dir = temp_dir("validate-empty");
    std::fs::write(dir.join("empty.ndjson"), "").unwrap();
    std::fs::write(dir.join("blank.ndjson"), "\n  \n# a comment\n").unwrap();
    let (stdout, _) = run(&dir, &["validate", "empty.ndjson"], 1);
    assert_eq!(
        stdout,
        "empty.ndjson: empty: the file holds no notification\n\
         0 notifications valid, 0 invalid (1 file)\n"
    );
    let (stdout, _) = run(&dir, &["validate", "blank.ndjson", EXAMPLE], 1);
    assert!(stdout.starts_with("blank.ndjson: empty: "), "{stdout}");
    let (stdout, _) = run(&dir, &["validate", "--format", "json", "empty.ndjson"], 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["empty_files"][0], "empty.ndjson");
}

#[test]
fn send_of_a_bad_file_sends_nothing() {
    let receiver = ArnReceiver::start("t").unwrap();
    let dir = temp_dir("send-bad");
    std::fs::write(dir.join("ca.pem"), receiver.certificate_pem()).unwrap();
    std::fs::write(dir.join("mixed.ndjson"), mixed_file()).unwrap();
    let url = receiver.url();
    // `arn send mixed.ndjson` to the receiver, with `extra` options; exits with `code`.
    let send = |extra: &[&str], code| {
        let mut args = vec!["send", "mixed.ndjson", "--endpoint", &url];
        args.extend(["--ca", "ca.pem", "--token", "t"]);
        args.extend(extra);
        run(&dir, &args, code)
    };
    let (stdout, stderr) = send(&[], 1);
    assert!(stderr.contains("mixed.ndjson:3:15: json: "), "{stderr}");
    assert!(
        stderr.contains("mixed.ndjson:5:1: api_version_missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nothing sent: 3 invalid notification(s) (of 5)"),
        "{stderr}"
    );
    assert!(stdout.is_empty());
    assert_eq!(
        receiver.connection_count(),
        0,
        "nothing may reach the receiver"
    );
    // No resume file either: nothing was attempted.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("arn-unsent"))
        .collect();
    assert!(leftovers.is_empty());

    // --skip-invalid sends the two good ones and still names the bad ones.
    let (_, stderr) = send(&["--skip-invalid"], 0);
    assert!(
        stderr.contains("mixed.ndjson:5:1: api_version_missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "summary: 2 sent (2 inline, 0 blob), 0 failed, 0 not sent, 3 invalid left out"
        ),
        "{stderr}"
    );
    assert_eq!(receiver.events().len(), 2);
}

#[test]
fn dry_run_sends_nothing() {
    let dir = temp_dir("dry-run");
    let (stdout, _) = run(&dir, &["send", "--dry-run", EXAMPLE], 0);
    assert_eq!(stdout.matches("would send").count(), 3, "{stdout}");
    assert!(
        stdout.contains("dry run: 3 notification(s) would be sent"),
        "{stdout}"
    );
}
