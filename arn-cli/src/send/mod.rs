//! `arn send`: validates every file first, then sends through an arn-client `Client`,
//! printing one outcome line per notification. Ctrl-C (or SIGTERM) stops intake,
//! waits for the notifications in flight up to `--drain`, and writes every
//! notification not confirmed sent to a resume file that `arn send` reads back.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arn_client::auth::{install_blocking_runtime, Cloud};
use arn_client::blob::BlobConfig;
use arn_client::model::Encoder;
use arn_client::transport::{Proxy, ReceiverConfig, UreqHttpClient};
use arn_client::Client;

use crate::auth::{credential, AuthKind};
use crate::input::read_files;
use crate::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

mod drive;
mod report;

/// Send notification files to an ARN receiver.
///
/// Validates every notification first; if any is invalid nothing is sent (unless
/// --skip-invalid). Prints one line per notification (sent with its event id, or
/// failed with the reason) and a summary. Every notification not confirmed sent
/// (failed, or not sent because of Ctrl-C) is written to a resume file, NDJSON, that
/// `arn send` takes as input.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files of ARN v3 events (JSON, a JSON array, or NDJSON), e.g. a resume file.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The ARN receiver's URL (without /arnnotify).
    #[arg(long, env = "ARN_ENDPOINT", required_unless_present = "dry_run")]
    endpoint: Option<String>,
    /// Trust this root certificate (PEM or DER) for the receiver, e.g. the CA file
    /// `arn receive` prints.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Where the receiver's token comes from.
    #[arg(long, value_enum, default_value_t = AuthKind::Token)]
    auth: AuthKind,
    /// The bearer token for --auth token (better from the environment: ARN_TOKEN).
    #[arg(long, env = "ARN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The Azure cloud, which picks the token scope (the library's default scope
    /// when unset).
    #[arg(long, value_enum)]
    cloud: Option<CloudArg>,
    /// Blob storage account URL for notifications too large to go inline (without it
    /// they fail): https://ACCOUNT.blob.core.windows.net.
    #[arg(long, value_name = "URL", env = "ARN_STORAGE_URL")]
    storage: Option<String>,
    /// Trust this root certificate (PEM or DER) for the storage account.
    #[arg(long, value_name = "FILE")]
    storage_ca: Option<PathBuf>,
    /// Where the storage token comes from. Defaults to --auth.
    #[arg(long, value_enum)]
    storage_auth: Option<AuthKind>,
    /// The HTTP proxy for every request (receiver, storage, credentials):
    /// http://[USER:PASSWORD@]HOST:PORT, or `none` for direct connections. Without
    /// it, the proxy variables are read (HTTPS_PROXY, NO_PROXY, ...).
    #[arg(long, value_name = "URL|none")]
    proxy: Option<String>,
    /// Compress events (zlib).
    #[arg(long)]
    compress: bool,
    /// Worker threads. Defaults to the library's default.
    #[arg(long)]
    workers: Option<usize>,
    /// Notifications submitted and not yet settled, at most.
    #[arg(long, default_value_t = 256, value_name = "N")]
    in_flight: usize,
    /// Send the valid notifications even if some are invalid (those are reported and
    /// left out).
    #[arg(long)]
    skip_invalid: bool,
    /// Validate and say how each would go (inline or blob); send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Each notification's deadline, in seconds (retries included).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    timeout: f64,
    /// After Ctrl-C, how long to wait for notifications in flight, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    drain: f64,
    /// The resume file for notifications not confirmed sent. Defaults to
    /// ./arn-unsent-DATE-TIME.ndjson (never overwriting one).
    #[arg(long, value_name = "FILE")]
    unsent: Option<PathBuf>,
    /// Print only failures and the summary.
    #[arg(long, short)]
    quiet: bool,
}

/// `--cloud` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum CloudArg {
    /// Azure public cloud.
    Public,
    /// Azure US Government.
    UsGov,
    /// Azure China.
    China,
    /// Any other cloud (the default scope).
    Other,
}

impl From<CloudArg> for Cloud {
    fn from(c: CloudArg) -> Cloud {
        match c {
            CloudArg::Public => Cloud::AzurePublic,
            CloudArg::UsGov => Cloud::AzureUsGovernment,
            CloudArg::China => Cloud::AzureChina,
            CloudArg::Other => Cloud::Other,
        }
    }
}

/// Runs `arn send`; returns the exit status.
pub fn run(args: Args) -> u8 {
    // First, so that a Ctrl-C from now on is ours: it stops intake, never the process.
    let interrupts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&interrupts);
    if let Err(e) = ctrlc::set_handler(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }) {
        eprintln!("error: cannot handle Ctrl-C: {e}");
        return EXIT_USAGE;
    }
    let input = read_files(&args.files);
    if !input.unreadable.is_empty() {
        for (file, e) in &input.unreadable {
            eprintln!("error: cannot read {file}: {e}");
        }
        eprintln!("nothing sent: every input file must be readable");
        return EXIT_USAGE;
    }
    for file in &input.empty {
        eprintln!("note: {file} holds no notification");
    }
    for problem in &input.problems {
        eprintln!("{problem}");
    }
    if !input.problems.is_empty() && !args.skip_invalid {
        eprintln!(
            "nothing sent: {} invalid notification(s) (of {}); fix them, or pass --skip-invalid \
             to send only the valid ones",
            input.problems.len(),
            input.problems.len() + input.records.len()
        );
        return EXIT_FAILED;
    }
    let skipped = input.problems.len();
    if args.dry_run {
        return dry_run(&args, &input.records, skipped);
    }
    let client = match build_client(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let progress = std::io::stderr().is_terminal() && !args.quiet;
    let drain = Duration::try_from_secs_f64(args.drain).unwrap_or_default();
    let (sources, notifications) = drive::split(input.records);
    let run = drive::Run {
        client: &client,
        in_flight: args.in_flight.max(1),
        drain,
        interrupts: &interrupts,
        quiet: args.quiet,
        progress,
    };
    let result = run.send_all(&sources, notifications);
    drop(client);
    report::finish(
        &sources,
        &result,
        skipped,
        args.unsent.as_deref(),
        &resume_hint(&args),
    )
}

/// The notifications as they would go: inline or through blob storage.
fn dry_run(args: &Args, records: &[crate::input::Record], skipped: usize) -> u8 {
    let encoder = Encoder::default();
    let mut blob_without_storage = 0;
    for r in records {
        let n = &r.notification;
        let way = match encoder.fits_inline(n) {
            Ok(()) => "inline".to_string(),
            Err(arn_client::Error::TooLarge { size, .. }) if args.storage.is_some() => {
                format!("blob ({size} bytes of resources)")
            }
            Err(e) => {
                blob_without_storage += 1;
                format!("would fail: {e}")
            }
        };
        println!(
            "would send  {}  {} resource(s)  {way}  {}",
            crate::origin::place(&r.at, r.origin.as_deref()),
            n.resources.len(),
            n.subject()
        );
    }
    println!(
        "dry run: {} notification(s) would be sent, {blob_without_storage} would fail, \
         {skipped} invalid left out; nothing sent",
        records.len() - blob_without_storage
    );
    if blob_without_storage == 0 {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

fn build_client(args: &Args) -> Result<Client, String> {
    let endpoint = args.endpoint.clone().ok_or("--endpoint is required")?;
    let storage_auth = args.storage_auth.unwrap_or(args.auth);
    let azure = |k: AuthKind| !matches!(k, AuthKind::Token | AuthKind::Azurite);
    if azure(args.auth) || (args.storage.is_some() && azure(storage_auth)) {
        // The Azure SDK's sleeps and spawns on OS threads; nothing else set one.
        let _ = install_blocking_runtime();
    }
    let proxy = match args.proxy.as_deref() {
        None => Proxy::from_env(),
        Some("none") => Proxy::none(),
        Some(url) => Proxy::url(url),
    };
    let http = Arc::new(
        UreqHttpClient::builder()
            .proxy(proxy.clone())
            .build()
            .map_err(|e| e.to_string())?,
    );
    let token = args.token.as_deref();
    let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut receiver = ReceiverConfig::new(endpoint, credential(args.auth, token, &http)?)
        .timeout(Duration::from_secs(30))
        .proxy(proxy.clone());
    if let Some(ca) = &args.ca {
        receiver = receiver.add_root_certificate(read(ca)?);
    }
    if let Some(cloud) = args.cloud {
        receiver = receiver.cloud(cloud.into());
    }
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .map_err(|_| format!("--timeout {} is not a duration", args.timeout))?;
    let mut builder = Client::builder(receiver)
        .compression(args.compress)
        .default_deadline(timeout)
        .queue_capacity(args.in_flight.max(1));
    if let Some(url) = &args.storage {
        let mut blob =
            BlobConfig::new(url.clone(), credential(storage_auth, token, &http)?).proxy(proxy);
        if let Some(ca) = &args.storage_ca {
            blob = blob.add_root_certificate(read(ca)?);
        }
        builder = builder.blob_storage(blob);
    }
    if let Some(workers) = args.workers {
        builder = builder.workers(workers);
    }
    builder.build().map_err(|e| e.to_string())
}

/// The options to repeat when resuming (everything but the files).
fn resume_hint(args: &Args) -> String {
    let mut hint = String::new();
    if let Some(e) = &args.endpoint {
        hint.push_str(&format!(" --endpoint {e}"));
    }
    if let Some(ca) = &args.ca {
        hint.push_str(&format!(" --ca {}", ca.display()));
    }
    if args.auth != AuthKind::Token {
        hint.push_str(" --auth ...");
    }
    if args.storage.is_some() {
        hint.push_str(" --storage ...");
    }
    if args.proxy.is_some() {
        hint.push_str(" --proxy ...");
    }
    if args.compress {
        hint.push_str(" --compress");
    }
    hint
}
