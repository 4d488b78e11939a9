//! The writer primitives: where the serializer writes ([`Out`]), JSON strings with
//! serde_json's escapes, numbers with serde_json's digits, and `collect_str`.

use std::fmt::{self, Display};
use std::io;

use serde_json::ser::CompactFormatter;

use super::error::{Error, Result};
use super::scan::next_special;

/// Where the serializer writes: a `Cursor` (see `cursor`), a `Vec<u8>`, or
/// a [`Count`] of its bytes.
pub(crate) trait Out {
    /// Appends `s`.
    fn put(&mut self, s: &str);
    /// Appends one ASCII byte.
    fn byte(&mut self, b: u8);
    /// Appends `s` as a JSON string, quotes included.
    #[inline]
    fn string(&mut self, s: &str) {
        self.byte(b'"');
        write_str_contents(self, s);
        self.byte(b'"');
    }
}

impl Out for Vec<u8> {
    #[inline]
    fn put(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
    #[inline]
    fn byte(&mut self, b: u8) {
        self.push(b);
    }
}

/// Counts the bytes instead of writing them.
pub(crate) struct Count(pub(crate) usize);

impl Out for Count {
    #[inline]
    fn put(&mut self, s: &str) {
        self.0 += s.len();
    }
    #[inline]
    fn byte(&mut self, _: u8) {
        self.0 += 1;
    }
}

/// `\u00xx` for the control bytes, with serde_json's short forms.
static CONTROL: [&str; 32] = [
    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007", "\\b",
    "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012",
    "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a",
    "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
];

/// serde_json's escape of a byte [`next_special`] flagged: `\"` `\\` `\b` `\f` `\n`
/// `\r` `\t`, other controls as `\u00xx`.
#[inline]
fn escape(b: u8) -> &'static str {
    match b {
        b'"' => "\\\"",
        b'\\' => "\\\\",
        _ => CONTROL[usize::from(b & 0x1f)],
    }
}

/// Writes `s` escaped as serde_json escapes it, each clean run in one piece.
pub(crate) fn write_str_contents<O: Out + ?Sized>(out: &mut O, s: &str) {
    write_escaped(out, s, next_special(s.as_bytes(), 0));
}

/// [`write_str_contents`], the first byte to escape (or the end) already found.
pub(super) fn write_escaped<O: Out + ?Sized>(out: &mut O, s: &str, mut found: usize) {
    let b = s.as_bytes();
    let mut start = 0;
    while found < b.len() {
        // Both ends sit next to ASCII bytes, so they are char boundaries.
        out.put(&s[start..found]);
        out.put(escape(b[found]));
        start = found + 1;
        found = next_special(b, start);
    }
    out.put(&s[start..]);
}

/// Writes a number with serde_json's own formatter (same digits), through a small
/// stack buffer: 48 bytes hold any integer up to 128 bits and any float.
#[inline]
pub(super) fn number<O: Out + ?Sized>(
    out: &mut O,
    write: impl FnOnce(&mut CompactFormatter, &mut &mut [u8]) -> io::Result<()>,
) -> Result<()> {
    let mut buf = [0u8; 48];
    let mut rest = &mut buf[..];
    write(&mut CompactFormatter, &mut rest).map_err(|_| Error::Refused)?;
    let len = 48 - rest.len();
    out.put(std::str::from_utf8(&buf[..len]).map_err(|_| Error::Refused)?);
    Ok(())
}

/// Writes a `Display` value's text escaped (for `collect_str`).
pub(super) fn collect<O: Out + ?Sized, T: Display + ?Sized>(out: &mut O, value: &T) -> Result<()> {
    struct Escaping<'a, O: ?Sized>(&'a mut O);
    impl<O: Out + ?Sized> fmt::Write for Escaping<'_, O> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            write_str_contents(self.0, s);
            Ok(())
        }
    }
    out.byte(b'"');
    // Writing cannot fail, so an error comes from the `Display` impl itself.
    fmt::write(&mut Escaping(out), format_args!("{value}")).map_err(|_| Error::Display)?;
    out.byte(b'"');
    Ok(())
}
