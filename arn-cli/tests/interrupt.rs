//! Ctrl-C (SIGINT) in the middle of `arn send` loses nothing: every notification is
//! either confirmed sent (and the receiver has it) or in the resume file, and sending
//! the resume file completes the job.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use common::{exits, interrupt, ndjson, node_names, read_lines, saved_events, temp_dir, Receiver};

const COUNT: usize = 300;

/// Sends `COUNT` notifications to a slow receiver, SIGINTs the sender after ten
/// confirmed sends, and checks the books; then resumes.
fn interrupted_send(name: &str, extra: &[&str]) {
    let dir = temp_dir(name);
    let save = dir.join("saved");
    let receiver = Receiver::start(&["--latency", "150", "--save", save.to_str().unwrap()]);
    let input = ndjson(COUNT);
    std::fs::write(dir.join("in.ndjson"), &input).unwrap();
    let mut child = receiver
        .send(&dir, "in.ndjson")
        .args([
            "--workers",
            "4",
            "--in-flight",
            "16",
            "--unsent",
            "left.ndjson",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = read_lines(child.stdout.take().unwrap());
    let mut stdout = Vec::new();
    while stdout
        .iter()
        .filter(|l: &&String| l.starts_with("sent "))
        .count()
        < 10
    {
        stdout.push(
            lines
                .recv_timeout(Duration::from_secs(60))
                .expect("arn send confirms sends"),
        );
    }
    interrupt(child.id());
    let status = child.wait().unwrap();
    stdout.extend(lines.iter());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: taking no more notifications"),
        "{stderr}"
    );
    assert!(stderr.contains("; interrupted"), "{stderr}");
    assert!(
        stderr.contains("arn send left.ndjson --endpoint"),
        "{stderr}"
    );

    // Confirmed sends: "sent    in.ndjson:LINE:1 ..." is node n{LINE-1}.
    let confirmed: BTreeSet<String> = stdout
        .iter()
        .filter(|l| l.starts_with("sent "))
        .map(|l| {
            let at = l.split_whitespace().nth(1).unwrap();
            let line: usize = at.split(':').nth(1).unwrap().parse().unwrap();
            format!("n{}", line - 1)
        })
        .collect();
    assert!(
        stderr.contains(&format!("summary: {} sent", confirmed.len())),
        "{stderr}"
    );
    let left_text = std::fs::read_to_string(dir.join("left.ndjson")).unwrap();
    let left: Vec<String> = node_names(&left_text);
    let left_set: BTreeSet<String> = left.iter().cloned().collect();
    assert_eq!(
        left.len(),
        left_set.len(),
        "no notification twice in the resume file"
    );
    assert!(
        !left.is_empty() && left.len() < COUNT,
        "interrupted in the middle"
    );
    assert!(
        confirmed.is_disjoint(&left_set),
        "a confirmed send is not resent"
    );
    assert_eq!(
        confirmed.len() + left.len(),
        COUNT,
        "each one is sent or left"
    );

    // Resume: everything reaches the receiver.
    exits(
        receiver
            .send(&dir, "left.ndjson")
            .args(["--workers", "8", "--quiet"]),
        0,
    );
    let rest = receiver.stop();
    assert!(
        rest.iter().any(|l| l.starts_with("arn receive: stopped")),
        "{rest:?}"
    );
    let accepted: BTreeSet<String> = node_names(&saved_events(&save)).into_iter().collect();
    let all: BTreeSet<String> = node_names(&input).into_iter().collect();
    assert!(
        confirmed.is_subset(&accepted),
        "every confirmed send was accepted"
    );
    assert_eq!(
        accepted, all,
        "after resuming, the receiver has every notification"
    );
}

#[test]
fn sigint_drains_the_sends_in_flight_and_leaves_the_rest() {
    interrupted_send("sigint-drain", &[]);
}

#[test]
fn sigint_with_no_drain_time_leaves_the_unconfirmed_ones_too() {
    interrupted_send("sigint-nodrain", &["--drain", "0"]);
}
