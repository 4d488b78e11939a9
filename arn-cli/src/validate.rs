//! `arn validate`: every notification checked as a receiver would check it, each
//! invalid one reported with file, line, column and the rule that failed.

use std::path::PathBuf;

use serde_json::json;

use crate::input::{read_files, Input};
use crate::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// Check notification files without sending anything.
///
/// Reports every invalid notification as `FILE:LINE:COLUMN: RULE: MESSAGE`; exits 0
/// only if all are valid and every file holds at least one. A file that holds no
/// notification (empty, or only blank and `#` comment lines) exits 1; a file that
/// cannot be read is reported on stderr and exits 2.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files of ARN v3 events (JSON, a JSON array, or NDJSON).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// How `arn validate` and `arn id` print their results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lines for people.
    Text,
    /// One JSON document for machines.
    Json,
}

/// Runs `arn validate`; returns the exit status.
pub fn run(args: &Args) -> u8 {
    let input = read_files(&args.files);
    for (file, e) in &input.unreadable {
        eprintln!("error: cannot read {file}: {e}");
    }
    match args.format {
        Format::Text => print_text(&input, args.files.len()),
        Format::Json => println!("{}", to_json(&input)),
    }
    if !input.unreadable.is_empty() {
        EXIT_USAGE
    } else if input.problems.is_empty() && input.empty.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

fn print_text(input: &Input, files: usize) {
    for problem in &input.problems {
        println!("{problem}");
    }
    for file in &input.empty {
        println!("{file}: empty: the file holds no notification");
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut unread = String::new();
    if !input.unreadable.is_empty() {
        unread = format!(", {} unreadable", input.unreadable.len());
    }
    println!(
        "{} valid, {} invalid ({}{unread})",
        plural(input.records.len(), "notification"),
        input.problems.len(),
        plural(files, "file"),
    );
}

/// The JSON report: counts and every problem.
pub fn to_json(input: &Input) -> serde_json::Value {
    let problems: Vec<_> = input
        .problems
        .iter()
        .map(|p| {
            json!({
                "file": p.at.file,
                "line": p.at.line,
                "column": p.at.column,
                "rule": p.rule,
                "message": p.message,
            })
        })
        .collect();
    let unreadable: Vec<_> = input
        .unreadable
        .iter()
        .map(|(file, e)| json!({"file": file, "message": e.to_string()}))
        .collect();
    json!({
        "valid": input.records.len(),
        "invalid": input.problems.len(),
        "problems": problems,
        "empty_files": input.empty,
        "unreadable_files": unreadable,
    })
}
