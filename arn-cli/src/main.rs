//! `arn`: validate, send and receive Azure Resource Notifications (ARN v3) from the
//! command line, on top of the arn-client library (no async runtime).
//!
//! - `arn validate FILE...`: checks every notification as a receiver would.
//! - `arn send FILE... --endpoint URL`: sends them, one outcome line each; Ctrl-C
//!   stops intake, drains, and writes what was not confirmed sent to a resume file.
//! - `arn receive`: a local HTTPS ARN receiver for development.
//! - `arn id ID...`: parses ARM resource ids and prints their subject.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod auth;
mod forward;
mod id;
use arn_cli::{input, origin};
mod receive;
mod send;
mod validate;

/// Validate, send and receive Azure Resource Notifications (ARN v3).
///
/// Input files hold ARN v3 events exactly as a receiver gets them (resources inline):
/// one JSON object, a JSON array of objects, or NDJSON (one object per line).
#[derive(Debug, Parser)]
#[command(name = "arn", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Validate(validate::Args),
    Send(send::Args),
    Receive(receive::Args),
    Id(id::Args),
}

/// Exit status: everything asked for was done.
pub const EXIT_OK: u8 = 0;
/// Exit status: something failed (an invalid notification, a failed send, a bad id).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: bad arguments or setup (clap's own usage errors use 2 as well).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: interrupted by Ctrl-C (128 + SIGINT), after writing the resume file.
pub const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Send(args) => send::run(args),
        Command::Receive(args) => receive::run(&args),
        Command::Id(args) => id::run(&args),
    };
    ExitCode::from(code)
}
