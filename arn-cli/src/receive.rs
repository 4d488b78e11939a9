//! `arn receive`: the library's local HTTPS ARN receiver (real TLS, a certificate
//! generated at start) as a program: it prints its URL, CA file and token, then one
//! line per request: each accepted event (checked strictly, as ARN would) and each
//! rejected request with the reason.

use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arn_client::model::ReceivedEvent;
use arn_client::testing::{AcceptedEvent, ArnReceiver, Azurite, Fault, ReceivedRequest};
use serde_json::Value;

use crate::{EXIT_OK, EXIT_USAGE};

/// Run a local HTTPS ARN receiver for development (no Azure needed).
///
/// Prints its URL, CA file and token, and the `arn send` command line to use; then
/// one line per request: accepted events (subject, event type, resources,
/// inline/blob, compressed) and rejected requests with the reason. Ctrl-C stops it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Listen on this port of 127.0.0.1. Defaults to a free port.
    #[arg(long)]
    port: Option<u16>,
    /// Wait this long before answering each request, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency: u64,
    /// Scripted answers to the next requests, in order, then normal handling:
    /// comma-separated STATUS (e.g. 503), STATUS:RETRY_AFTER (e.g. 429:1), reset
    /// (close without answering) or stall (hold the request 30 s), each optionally
    /// repeated with *N, e.g. "503*2,429:1,reset".
    #[arg(long, value_name = "SCRIPT")]
    fault: Option<String>,
    /// Append every accepted event to DIR/events.ndjson, one per line (blob events
    /// with their resources inline), ready for `arn send`.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// The bearer token requests must carry.
    #[arg(long, env = "ARN_TOKEN", default_value = "arn-dev-token")]
    token: String,
    /// Where to write the receiver's certificate (PEM), for clients to trust.
    /// Defaults to arn-receive-PORT.pem in the temporary directory (Azurite's goes
    /// beside it, as arn-azurite-PORT.pem).
    #[arg(long, value_name = "FILE")]
    ca_out: Option<PathBuf>,
    /// Also start a local Azurite (blob storage emulator, installed by
    /// scripts/install-test-deps.sh) for notifications too large to go inline.
    #[arg(long)]
    azurite: bool,
    /// Trust this root certificate (PEM or DER) when fetching blob events' resources.
    #[arg(long, value_name = "FILE")]
    blob_ca: Option<PathBuf>,
}

/// Runs `arn receive` until Ctrl-C; returns the exit status.
pub fn run(args: &Args) -> u8 {
    match serve(args) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

fn serve(args: &Args) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    let script = match &args.fault {
        Some(s) => parse_script(s)?,
        None => Vec::new(),
    };
    let azurite = if args.azurite {
        Some(Azurite::start().map_err(|e| e.to_string())?)
    } else {
        None
    };
    let mut builder = ArnReceiver::builder().token(&args.token);
    if let Some(a) = &azurite {
        builder = builder.add_root_certificate(a.cert_pem());
    }
    if let Some(ca) = &args.blob_ca {
        let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
        builder = builder.add_root_certificate(pem);
    }
    let receiver = builder
        .start()
        .map_err(|e| format!("starting the receiver: {e}"))?;
    receiver.set_latency(Duration::from_millis(args.latency));
    let scripted = script.len();
    receiver.script(script);
    let port = match args.port {
        Some(p) => crate::forward::forward(p, receiver.addr())
            .map_err(|e| format!("listening on port {p}: {e}"))?,
        None => receiver.addr().port(),
    };
    let url = format!("https://127.0.0.1:{port}");
    let ca = args
        .ca_out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("arn-receive-{port}.pem")));
    write_file(&ca, receiver.certificate_pem().as_bytes())?;
    let (mut storage, mut extra) = (String::new(), String::new());
    if let Some(a) = &azurite {
        let azurite_ca = ca.with_file_name(format!("arn-azurite-{port}.pem"));
        write_file(&azurite_ca, a.cert_pem().as_bytes())?;
        storage = format!(
            " --storage {} --storage-ca {} --storage-auth azurite",
            a.service_url(),
            azurite_ca.display()
        );
        extra.push_str(&format!("\n  storage:  {} (Azurite)", a.service_url()));
    }
    let mut save = match &args.save {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = dir.join("events.ndjson");
            let file = File::options()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            extra.push_str(&format!("\n  saving:   {}", path.display()));
            Some(file)
        }
        None => None,
    };
    say(&format!(
        "arn receive: listening on {url}\n  CA file:  {}\n  token:    {}{extra}\nsend with:\n  \
         ARN_TOKEN={} arn send FILE --endpoint {url} --ca {}{storage}\nCtrl-C stops.",
        ca.display(),
        args.token,
        args.token,
        ca.display(),
    ));
    let (accepted, rejected) = watch(&receiver, &stop, &mut save, scripted);
    say(&format!(
        "arn receive: stopped; {accepted} event(s) accepted, {rejected} request(s) rejected"
    ));
    Ok(())
}

/// Prints every request as it is answered, until `stop`; returns the counts of
/// accepted events and rejected requests. The first `scripted` event posts got the
/// `--fault` script's answers.
fn watch(
    receiver: &ArnReceiver,
    stop: &AtomicBool,
    save: &mut Option<File>,
    scripted: usize,
) -> (usize, usize) {
    let (mut seen, mut accepted, mut rejected, mut posts) = (0, 0, 0, 0);
    loop {
        // After Ctrl-C, one last pass prints what arrived before it.
        let stopping = stop.load(Ordering::SeqCst);
        if receiver.wait_for_requests(seen + 1, Duration::from_millis(200)) <= seen {
            if stopping {
                break;
            }
            continue;
        }
        let requests = receiver.requests();
        let any_ok = requests[seen..].iter().any(|r| r.status == Some(200));
        let events = if any_ok {
            receiver.events()
        } else {
            Vec::new()
        };
        for request in &requests[seen..] {
            let event = events.iter().find(|e| e.request == request.order);
            if request.path == "/arnnotify" {
                posts += 1;
            }
            match (request.status, event) {
                (Some(200), Some(event)) => {
                    accepted += 1;
                    say(&event_line(request, event));
                    if let Some(file) = save {
                        if let Err(e) = writeln!(file, "{}", saved_line(request, event)) {
                            eprintln!("error: saving event: {e}");
                        }
                    }
                }
                _ => {
                    rejected += 1;
                    say(&rejection_line(request, posts <= scripted));
                }
            }
        }
        seen = requests.len();
        if stopping {
            break;
        }
        // The receiver hands out copies of its whole log: under a stream of requests,
        // take them in batches of up to a tenth of a second rather than one by one.
        std::thread::sleep(Duration::from_millis(100));
    }
    (accepted, rejected)
}

/// `#N accepted TYPE SUBJECT K resource(s): a, b, c +M  inline|blob  compressed|plain  id ID`
fn event_line(request: &ReceivedRequest, event: &AcceptedEvent) -> String {
    let e = &event.event;
    let names: Vec<&str> = event
        .notification
        .resources
        .iter()
        .map(|r| r.arm_resource.name())
        .collect();
    let mut shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        shown.push_str(&format!(" +{} more", names.len() - 3));
    }
    format!(
        "#{} accepted  {}  {}  {} resource(s): {shown}  {}  {}  id {}",
        request.order + 1,
        e["eventType"].as_str().unwrap_or("?"),
        e["subject"].as_str().unwrap_or("?"),
        names.len(),
        if event.inline { "inline" } else { "blob" },
        if event.compressed {
            "compressed"
        } else {
            "plain"
        },
        e["id"].as_str().unwrap_or("?"),
    )
}

/// `#N REJECTED STATUS  reason`.
fn rejection_line(request: &ReceivedRequest, scripted: bool) -> String {
    let n = request.order + 1;
    match request.status {
        None => format!("#{n} REJECTED  connection closed without an answer (scripted fault)"),
        Some(s) if scripted => format!("#{n} REJECTED {s}  (scripted fault)"),
        Some(401) => format!("#{n} REJECTED 401  missing or wrong bearer token"),
        Some(400) => format!("#{n} REJECTED 400  {}", why_invalid(request)),
        Some(404) => format!("#{n} REJECTED 404  no such path: {}", request.path),
        Some(s) => format!("#{n} REJECTED {s}  (scripted fault)"),
    }
}

/// Why the receiver refused a body: the model's verdict, when it has one.
fn why_invalid(request: &ReceivedRequest) -> String {
    let body = match inflate(request) {
        Ok(b) => b,
        Err(e) => return e,
    };
    match ReceivedEvent::parse(&body) {
        Err(e) => e.to_string(),
        Ok(event) if event.blob_info.is_some() => {
            "a blob event that failed the checks (its blob is unreachable or invalid)".into()
        }
        Ok(event) => match event.into_validated(None) {
            Err(e) => e.to_string(),
            Ok(_) => "the event failed the receiver's checks of the raw JSON".into(),
        },
    }
}

fn inflate(request: &ReceivedRequest) -> Result<Vec<u8>, String> {
    if !request.compressed {
        return Ok(request.body.clone());
    }
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(&request.body[..])
        .read_to_end(&mut out)
        .map_err(|_| "the body is not zlib data".to_string())?;
    Ok(out)
}

/// The event as received, on one line; a blob event with its resources inline (its
/// SAS URL would expire), so that the line is valid `arn send` input.
fn saved_line(request: &ReceivedRequest, event: &AcceptedEvent) -> String {
    if event.inline {
        if let Ok(body) = inflate(request) {
            return crate::input::minify(&String::from_utf8_lossy(&body));
        }
    }
    let mut e = event.event.clone();
    if let Some(data) = e.get_mut("data").and_then(Value::as_object_mut) {
        data.remove("resourcesBlobInfo");
        data.insert("resources".into(), Value::Array(event.resources.clone()));
        data.insert("resourcesContainer".into(), Value::from("inline"));
    }
    e.to_string()
}

/// Parses a `--fault` script.
pub fn parse_script(script: &str) -> Result<Vec<Fault>, String> {
    let mut faults = Vec::new();
    for item in script.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (what, times) = match item.split_once('*') {
            Some((w, n)) => (
                w.trim(),
                n.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("--fault {item:?}: the count after * is not a number"))?,
            ),
            None => (item, 1),
        };
        let status = |s: &str| match s.parse::<u16>() {
            Ok(n) if (100..=599).contains(&n) => Ok(n),
            _ => Err(format!(
                "--fault {item:?}: expected an HTTP status, STATUS:RETRY_AFTER, reset or stall"
            )),
        };
        let fault = match what {
            "reset" => Fault::Reset,
            "stall" => Fault::Stall,
            _ => match what.split_once(':') {
                Some((s, after)) => Fault::StatusRetryAfter(status(s)?, after.to_string()),
                None => Fault::Status(status(what)?),
            },
        };
        faults.extend(std::iter::repeat_n(fault, times));
    }
    Ok(faults)
}

fn write_file(path: &PathBuf, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// A line on stdout, flushed at once (a pipe sees it immediately); a closed stdout is
/// ignored.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_scripts() {
        assert_eq!(
            parse_script("503*2, 429:1,reset,stall").unwrap(),
            vec![
                Fault::Status(503),
                Fault::Status(503),
                Fault::StatusRetryAfter(429, "1".into()),
                Fault::Reset,
                Fault::Stall,
            ]
        );
        assert_eq!(parse_script("").unwrap(), vec![]);
        for bad in ["boom", "99", "503*x", "700:1"] {
            let e = parse_script(bad).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }
}
