//! Shared helpers for the `arn` end-to-end tests: input files built with arn-client's
//! own encoder, the built binary, and `arn receive` run as a child process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use arn_client::model::{
    Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ResourceId,
};

pub const SUB: &str = "00000000-0000-0000-0000-000000000001";

/// One AKS node resource of cluster `cluster`, with `properties`.
pub fn node(cluster: &str, name: &str, properties: &serde_json::Value) -> NotificationResource {
    let id = ResourceId::parse(&format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/{cluster}/nodes/{name}"
    ))
    .unwrap();
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", properties).unwrap();
    NotificationResource::new(arm, ChangeAction::Update)
}

/// A notification about the nodes `names` of `cluster`.
pub fn notification(cluster: &str, names: &[String]) -> Notification {
    let props = serde_json::json!({ "ready": true });
    let resources = names.iter().map(|n| node(cluster, n, &props)).collect();
    Notification::new("eastus", "Microsoft.ContainerService", resources)
}

/// The v3 event of `n` on one line, resources inline whatever their size.
pub fn event_line(n: &Notification) -> String {
    let mut buf = EncodeBuf::new();
    match Encoder::new(usize::MAX).encode(n, &mut buf).unwrap() {
        Encoded::Inline(bytes) => String::from_utf8(bytes.to_vec()).unwrap(),
        other => panic!("expected an inline event, got {other:?}"),
    }
}

/// `count` one-node notifications (nodes `n0`, `n1`, ...), one event per line.
pub fn ndjson(count: usize) -> String {
    (0..count)
        .map(|i| event_line(&notification(&format!("mc-{}", i % 7), &[format!("n{i}")])) + "\n")
        .collect()
}

/// A fresh, empty directory under the test target's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("arn-cli")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The built `arn` binary.
pub fn arn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_arn"))
}

/// Runs `command` to completion, asserts that its exit status is `code` (both outputs
/// in the message), and returns its stdout and stderr as text.
pub fn exits(command: &mut Command, code: i32) -> (String, String) {
    let out = command.output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "{stdout}\n{stderr}");
    (stdout, stderr)
}

/// Runs `arn ARGS` in `dir` to completion, as [`exits`] does.
pub fn run(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    exits(arn().args(args).current_dir(dir), code)
}

/// Program output as text (invalid UTF-8 replaced), for asserts and their messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `arn receive` running as a child; SIGINT and wait on drop.
pub struct Receiver {
    pub child: Child,
    pub url: String,
    pub ca: String,
    pub token: String,
    /// `--storage ...` options the receiver printed, when it runs Azurite.
    pub storage: Vec<String>,
    lines: mpsc::Receiver<String>,
}

impl Receiver {
    /// Starts `arn receive ARGS` and reads its banner.
    pub fn start(args: &[&str]) -> Receiver {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let ca_dir = temp_dir(&format!("receiver-{n}"));
        let mut child = arn()
            .arg("receive")
            .args(args)
            .arg("--ca-out")
            .arg(ca_dir.join("ca.pem"))
            .env_remove("ARN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let lines = read_lines(child.stdout.take().unwrap());
        let (mut url, mut ca, mut token, mut storage) = (None, None, None, Vec::new());
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(120))
                .expect("arn receive prints its banner");
            if let Some(u) = line.strip_prefix("arn receive: listening on ") {
                url = Some(u.to_string());
            } else if let Some(c) = line.trim().strip_prefix("CA file:") {
                ca = Some(c.trim().to_string());
            } else if let Some(t) = line.trim().strip_prefix("token:") {
                token = Some(t.trim().to_string());
            } else if line.trim().starts_with("ARN_TOKEN=") {
                if let Some((_, s)) = line.split_once(" --storage ") {
                    storage = format!("--storage {s}")
                        .split(' ')
                        .map(str::to_string)
                        .collect();
                }
            } else if line == "Ctrl-C stops." {
                break;
            }
        }
        Receiver {
            child,
            url: url.unwrap(),
            ca: ca.unwrap(),
            token: token.unwrap(),
            storage,
            lines,
        }
    }

    /// `arn send FILE --endpoint URL --ca CA` to this receiver, to run in `dir` with
    /// `ARN_TOKEN` set to its token; callers add options and run it.
    pub fn send(&self, dir: &Path, file: &str) -> Command {
        let mut send = arn();
        send.args(["send", file, "--endpoint", &self.url, "--ca", &self.ca])
            .env("ARN_TOKEN", &self.token)
            .current_dir(dir);
        send
    }

    /// The next `n` lines it prints (waits up to a minute for each).
    pub fn next_lines(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                self.lines
                    .recv_timeout(Duration::from_secs(60))
                    .expect("a line from arn receive")
            })
            .collect()
    }

    /// SIGINTs it and returns the rest of its output.
    pub fn stop(mut self) -> Vec<String> {
        interrupt(self.child.id());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "arn receive exited with {status}");
        self.lines.try_iter().collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            interrupt(self.child.id());
            let _ = self.child.wait();
        }
    }
}

/// What `arn receive --save SAVE` saved: `SAVE/events.ndjson`.
pub fn saved_events(save: &Path) -> String {
    std::fs::read_to_string(save.join("events.ndjson")).unwrap()
}

/// Asserts that `arn validate FILE`, run in `dir`, finds every notification valid
/// (exit status 0).
pub fn assert_valid(dir: &Path, file: &Path) {
    run(dir, &["validate", file.to_str().unwrap()], 0);
}

/// The lines of `out` on a channel, read by a thread.
pub fn read_lines(out: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Sends SIGINT to `pid` (as Ctrl-C would).
pub fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The node names (`armResource.name`) of every event in an NDJSON file, in order
/// (`#` comment lines, such as a resume file's `# from FILE:LINE:COLUMN`, skipped).
pub fn node_names(ndjson: &str) -> Vec<String> {
    ndjson
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["data"]["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["armResource"]["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}
