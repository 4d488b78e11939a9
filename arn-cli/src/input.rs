//! Reading notification files: a JSON object, a JSON array of objects, or NDJSON (one
//! object per line), each object an ARN v3 event as a receiver gets it. Every record
//! keeps its file, line and column so that errors can point at it. A UTF-8 byte-order
//! mark at the start of a file (as some Windows editors save) is skipped in every
//! layout, and lines and columns count from after it.

use std::fmt;
use std::path::Path;

use arn_client::model::{Notification, ReceivedEvent, ResourcesContainer};
use arn_client::Error;
use serde::de::IgnoredAny;

/// Where something is in an input file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The file as named on the command line.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in bytes).
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Why a record (or a file) cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: the record's first byte, or the exact spot of a JSON error.
    pub at: Position,
    /// The rule that failed: a validation rule of the model (`api_version_missing`,
    /// ...), or `json` (not JSON), `event_shape` (JSON, but not an ARN v3 event),
    /// `blob_event` (its resources are elsewhere).
    pub rule: String,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.at, self.rule, self.message)
    }
}

/// One valid notification read from a file, with its source text.
#[derive(Clone, Debug)]
pub struct Record {
    /// Where the record starts.
    pub at: Position,
    /// The record's JSON, minified onto one line (for resume files).
    pub line_json: String,
    /// Where it first came from, when it was read from a resume file (the `# from`
    /// comment above it; see [`crate::origin`]).
    pub origin: Option<String>,
    /// The parsed, validated notification.
    pub notification: Notification,
}

/// The outcome of reading some files: the valid records and the problems, in order.
#[derive(Debug, Default)]
pub struct Input {
    /// Valid notifications.
    pub records: Vec<Record>,
    /// Invalid records.
    pub problems: Vec<Problem>,
    /// Files that could not be read: the file as named, and why.
    pub unreadable: Vec<(String, std::io::Error)>,
    /// Files that hold no notification (empty, or only blank and comment lines).
    pub empty: Vec<String>,
}

/// Reads and validates every record of every file.
pub fn read_files(files: &[impl AsRef<Path>]) -> Input {
    let mut input = Input::default();
    for file in files {
        let file = file.as_ref();
        let name = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => {
                let before = input.records.len() + input.problems.len();
                read_text(&name, &text, &mut input);
                if input.records.len() + input.problems.len() == before {
                    input.empty.push(name);
                }
            }
            Err(e) => input.unreadable.push((name, e)),
        }
    }
    input
}

/// Reads and validates every record of one file's text (after a leading byte-order
/// mark, if any).
pub fn read_text(file: &str, text: &str, input: &mut Input) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (text, origins) = crate::origin::strip_comments(text);
    let text = &*text;
    let lines = LineIndex::new(text);
    for span in split(text) {
        match span {
            Err((offset, rule, message)) => input.problems.push(Problem {
                at: lines.position(file, offset),
                rule: rule.into(),
                message,
            }),
            Ok((start, end)) => {
                let at = lines.position(file, start);
                let json = &text[start..end];
                match check(json) {
                    Ok(notification) => input.records.push(Record {
                        origin: origins.above(at.line),
                        at,
                        line_json: minify(json),
                        notification,
                    }),
                    Err((rule, message, inner)) => {
                        let at = match inner {
                            Some((line, column)) => at.inside(line, column),
                            None => at,
                        };
                        input.problems.push(Problem { at, rule, message });
                    }
                }
            }
        }
    }
}

/// A record's byte range, or why the file cannot be split there.
type Span = Result<(usize, usize), SpanError>;

/// A syntax error: its byte offset, the rule (`json`) and the message.
type SpanError = (usize, &'static str, String);

/// Splits a file into the byte ranges of its records. Every record range holds one
/// syntactically valid JSON value (each layout's splitting parses it once), so that
/// [`check`] only has to read it into the model.
fn split(text: &str) -> Vec<Span> {
    let start = text.len() - text.trim_start_matches([' ', '\t', '\r', '\n']).len();
    match text[start..].chars().next() {
        None => Vec::new(),
        Some('[') => split_array(text, start + 1),
        Some(_) if is_ndjson(&text[start..]) => split_lines(text),
        Some(_) => split_stream(text, start),
    }
}

/// NDJSON when the first line holds a whole object (a pretty-printed object's first
/// line is only `{`).
fn is_ndjson(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("").trim();
    first.starts_with('{') && first.ends_with('}')
}

/// One record per non-empty line; a broken line does not hide the next ones.
fn split_lines(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let start = offset + (line.len() - line.trim_start().len());
            let end = start + trimmed.len();
            let syntax = serde_json::from_str::<IgnoredAny>(trimmed);
            spans.push(match syntax {
                Ok(_) => Ok((start, end)),
                Err(e) => Err(json_error(&text[..end], start, &e)),
            });
        }
        offset += line.len();
    }
    spans
}

/// Whitespace-separated JSON values (one object, or several pretty-printed ones); a
/// syntax error ends the file, since nothing after it can be trusted.
fn split_stream(text: &str, mut pos: usize) -> Vec<Span> {
    let mut spans = Vec::new();
    loop {
        pos = skip_ws(text, pos);
        if pos >= text.len() {
            return spans;
        }
        match one_value(text, pos) {
            Ok(end) => {
                spans.push(Ok((pos, end)));
                pos = end;
            }
            Err(e) => {
                spans.push(Err(e));
                return spans;
            }
        }
    }
}

/// The elements of a top-level array, starting after its `[`.
fn split_array(text: &str, mut pos: usize) -> Vec<Span> {
    let mut spans = Vec::new();
    pos = skip_ws(text, pos);
    if text[pos..].starts_with(']') {
        return trailing(text, pos + 1, spans);
    }
    loop {
        pos = skip_ws(text, pos);
        match one_value(text, pos) {
            Ok(end) => {
                spans.push(Ok((pos, end)));
                pos = skip_ws(text, end);
            }
            Err(e) => {
                spans.push(Err(e));
                return spans;
            }
        }
        match text[pos..].chars().next() {
            Some(',') => pos += 1,
            Some(']') => return trailing(text, pos + 1, spans),
            _ => {
                spans.push(Err((
                    pos,
                    "json",
                    "expected `,` or `]` after an array element".into(),
                )));
                return spans;
            }
        }
    }
}

/// Only whitespace may follow the top-level array.
fn trailing(text: &str, pos: usize, mut spans: Vec<Span>) -> Vec<Span> {
    let pos = skip_ws(text, pos);
    if pos < text.len() {
        spans.push(Err((pos, "json", "text after the closing `]`".into())));
    }
    spans
}

/// Parses one JSON value at `pos`; returns its end, or the error's byte offset.
fn one_value(text: &str, pos: usize) -> Result<usize, SpanError> {
    let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<IgnoredAny>();
    match stream.next() {
        Some(Ok(_)) => Ok(pos + stream.byte_offset()),
        Some(Err(e)) => Err(json_error(text, pos, &e)),
        None => Err((pos, "json", "expected a JSON value".into())),
    }
}

/// A syntax error `e` of the JSON that starts at `pos`, at its byte offset in `text`.
fn json_error(text: &str, pos: usize, e: &serde_json::Error) -> SpanError {
    let offset = LineIndex::new(&text[pos..]).offset(e.line(), e.column());
    (pos + offset, "json", strip_location(&e.to_string()))
}

fn skip_ws(text: &str, pos: usize) -> usize {
    pos + (text[pos..].len() - text[pos..].trim_start().len())
}

/// What [`check`] returns on failure: the rule, the message and, when the JSON does
/// not have the event's shape, the 1-based line and column inside the record.
type CheckError = (String, String, Option<(usize, usize)>);

/// Parses and validates one record (JSON, as [`split`] made sure): everything a
/// receiver checks.
fn check(json: &str) -> Result<Notification, CheckError> {
    let event = ReceivedEvent::parse(json.as_bytes()).map_err(|e| {
        let message = decode_message(&e);
        let location = serde_location(&message);
        (
            "event_shape".to_string(),
            strip_location(&message),
            location,
        )
    })?;
    if event.resources_container == ResourcesContainer::Blob {
        return Err((
            "blob_event".into(),
            "a blob event's resources are behind a SAS URL, so it cannot be sent again; \
             give the resources inline (arn receive --save writes them so)"
                .into(),
            None,
        ));
    }
    event.into_validated(None).map_err(|e| match e {
        Error::Invalid(v) => {
            let index = v
                .index
                .map(|i| format!("resources[{i}]: "))
                .unwrap_or_default();
            (
                v.rule.as_str().to_string(),
                format!("{index}{}", v.detail),
                None,
            )
        }
        other => ("event_shape".into(), decode_message(&other), None),
    })
}

/// The message of a decode error without the crate's prefix.
fn decode_message(e: &Error) -> String {
    match e {
        Error::Decode(m) => m.clone(),
        other => other.to_string(),
    }
}

/// `(line, column)` from serde_json's "... at line L column C" message suffix.
fn serde_location(message: &str) -> Option<(usize, usize)> {
    let (_, tail) = message.rsplit_once(" at line ")?;
    let (line, column) = tail.split_once(" column ")?;
    Some((line.parse().ok()?, column.parse().ok()?))
}

/// The message without serde_json's " at line L column C" suffix, if it has one.
fn strip_location(message: &str) -> String {
    match message.rsplit_once(" at line ") {
        Some((head, _)) if serde_location(message).is_some() => head.into(),
        _ => message.into(),
    }
}

/// The JSON with whitespace outside strings removed: one line, same content.
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Byte offsets of line starts, to turn offsets into lines and columns and back.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    fn position(&self, file: &str, offset: usize) -> Position {
        let line = self.starts.partition_point(|&s| s <= offset);
        Position {
            file: file.to_string(),
            line,
            column: offset - self.starts[line - 1] + 1,
        }
    }

    /// The byte offset of a 1-based line and column (serde_json's columns count
    /// bytes; column 0 means the end of the previous line).
    fn offset(&self, line: usize, column: usize) -> usize {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        (start + column).saturating_sub(1)
    }
}

impl Position {
    /// The position of `line`/`column` (1-based) counted inside a record that
    /// starts here. serde_json's column 0 (before a line's first character) counts
    /// as column 1.
    fn inside(self, line: usize, column: usize) -> Position {
        if line <= 1 {
            Position {
                column: self.column + column.saturating_sub(1),
                ..self
            }
        } else {
            Position {
                line: self.line + line - 1,
                column: column.max(1),
                ..self
            }
        }
    }
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
