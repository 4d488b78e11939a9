//! The end of `arn send`: the resume file of every notification not confirmed sent,
//! and the summary.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::drive::{Outcome, Sent, Source};
use crate::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK};

/// Writes the resume file (if anything is left), prints the summary, and returns the
/// exit status: 0 all sent, 130 interrupted, 1 otherwise.
pub fn finish(
    sources: &[Source],
    sent: &Sent,
    skipped: usize,
    unsent_path: Option<&Path>,
    resume_options: &str,
) -> u8 {
    let mut counts = Counts::default();
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    let mut left = Vec::new();
    for (source, outcome) in sources.iter().zip(&sent.outcomes) {
        match outcome {
            Outcome::Sent(d) if d.inline => counts.inline += 1,
            Outcome::Sent(_) => counts.blob += 1,
            Outcome::Failed { error } => {
                counts.failed += 1;
                *reasons.entry(error.as_str()).or_default() += 1;
                left.push(source);
            }
            Outcome::Unsent => {
                counts.unsent += 1;
                left.push(source);
            }
        }
    }
    let sent_total = counts.inline + counts.blob;
    let secs = sent.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        sent_total as f64 / secs
    } else {
        0.0
    };
    let mut summary = format!(
        "summary: {sent_total} sent ({} inline, {} blob), {} failed, {} not sent, {skipped} \
         invalid left out; {secs:.2} s, {rate:.0} notifications/s{}",
        counts.inline,
        counts.blob,
        counts.failed,
        counts.unsent,
        if sent.interrupted {
            "; interrupted"
        } else {
            ""
        },
    );
    for (reason, n) in &reasons {
        summary.push_str(&format!("\n  {n} failed: {reason}"));
    }
    let mut status = if sent.interrupted {
        EXIT_INTERRUPTED
    } else if left.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    };
    // An explicit resume file always holds what is left, even nothing (a stale one
    // would be resent); the default one is made only when something is left.
    if !left.is_empty() || unsent_path.is_some() {
        match write_resume(&left, unsent_path) {
            Ok(path) if left.is_empty() => {
                summary.push_str(&format!("\n{} is empty: nothing is left", path.display()))
            }
            Ok(path) => summary.push_str(&format!(
                "\n{} notification(s) not confirmed sent are in {} (one per line); resume \
                 with:\n  arn send {}{resume_options}",
                left.len(),
                path.display(),
                path.display(),
            )),
            Err(e) => {
                summary.push_str(&format!(
                    "\nerror: the resume file could not be written ({e}); the {} \
                     notification(s) not confirmed sent follow on stdout",
                    left.len()
                ));
                let mut stdout = std::io::stdout().lock();
                for s in &left {
                    let _ = write!(stdout, "{}", resume_lines(s));
                }
                status = EXIT_FAILED;
            }
        }
    }
    eprintln!("{summary}");
    status
}

#[derive(Default)]
struct Counts {
    inline: usize,
    blob: usize,
    failed: usize,
    unsent: usize,
}

/// A notification's lines in a resume file: `# from FILE:LINE:COLUMN` (where it first
/// came from, kept through resumes of resumes), then its JSON.
fn resume_lines(s: &Source) -> String {
    format!(
        "{}{}\n{}\n",
        crate::origin::FROM,
        s.first_place(),
        s.line_json
    )
}

/// Writes the records, one per line, to `path` (replaced atomically: written beside
/// it, then renamed) or to a new `./arn-unsent-DATE-TIME[-N].ndjson`.
fn write_resume(left: &[&Source], path: Option<&Path>) -> std::io::Result<PathBuf> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => fresh_name()?,
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let mut body = String::new();
    for s in left {
        body.push_str(&resume_lines(s));
    }
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    Ok(path)
}

/// `arn-unsent-YYYYMMDD-HHMMSS.ndjson` in the current directory, with `-N` added when
/// that name is taken.
fn fresh_name() -> std::io::Result<PathBuf> {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let stamp = now.format(&format).map_err(std::io::Error::other)?;
    for n in 0..1000 {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let p = PathBuf::from(format!("arn-unsent-{stamp}{suffix}.ndjson"));
        if std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .is_ok()
        {
            return Ok(p);
        }
    }
    Err(std::io::Error::other("no free arn-unsent-*.ndjson name"))
}
