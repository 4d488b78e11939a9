//! Conformance: every `*.json` vector file in `$ARN_CONFORMANCE_DIR` (default
//! `tests/vectors`) is read, dispatched on `kind`, and every case is checked. A missing
//! directory, a directory without vectors, or an unknown kind is a failure.

#[path = "conformance/notification.rs"]
mod notification;
#[path = "conformance/resource_id.rs"]
mod resource_id;
#[path = "conformance/subject.rs"]
mod subject;

use std::path::PathBuf;

use serde_json::Value;

fn vector_dir() -> PathBuf {
    match std::env::var_os("ARN_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors"),
    }
}

#[test]
fn conformance_vectors() {
    let dir = vector_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("conformance directory {} unreadable: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no *.json vector files in {}",
        dir.display()
    );

    let mut failures = Vec::new();
    let mut checked = 0usize;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read vector file");
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
        let kind = doc["kind"].as_str().unwrap_or("");
        let cases = doc["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no cases array", file.display()));
        let check: fn(&Value) -> Result<(), String> = match kind {
            "resource_id" => resource_id::check,
            "subject" => subject::check,
            "notification" => notification::check,
            other => panic!("{}: unknown vector kind {other:?}", file.display()),
        };
        for case in cases {
            checked += 1;
            let name = case["name"].as_str().unwrap_or("<unnamed>");
            if let Err(why) = check(case) {
                failures.push(format!("{}: {kind} case {name:?}: {why}", file.display()));
            }
        }
    }
    assert!(checked > 0, "no cases in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {checked} conformance cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} conformance cases passed");
}
