//! A compact JSON serializer whose output is byte-identical to serde_json's
//! (`serde_json::to_vec` with its compact formatter), written for speed: strings are
//! scanned a word (8 bytes) at a time and clean runs copied in one piece, and a
//! [`Cursor`] stores short strings as fixed words. It pays: 20.3k instructions per AKS
//! node resource on the blob path instead of serde_json's 37.7k (`count-instructions.sh`).
//!
//! What stays serde_json's: the digits of numbers (its `CompactFormatter`), the escapes
//! (`\"` `\\` `\b` `\f` `\n` `\r` `\t`, other controls as `\u00xx`, nothing else),
//! raw values (whose shape is learned from `RawValue`'s public `Serialize` impl:
//! `raw`), and every error: whatever serde_json refuses (a key that is not a string,
//! a `Serialize` impl's own error) the crate's serializer leaves to serde_json, which
//! then serializes the same value and gives its own result (so on that path a
//! `Serialize` impl runs twice, which serde's `&self` contract makes harmless).
//!
//! Layers, each importing only those above it: `scan` (the word scanner), `error`,
//! `out` (destinations, strings, numbers), `cursor`, `raw`, `key` (map keys), `ser`
//! (values and compounds), and here the entry points.

#[macro_use]
mod reject;
mod cursor;
mod error;
mod key;
mod out;
mod raw;
mod scan;
mod ser;

use std::cell::Cell;

use serde::Serialize;

pub(crate) use cursor::Cursor;
use error::Error;
use out::Count;
pub(crate) use out::{write_str_contents, Out};
pub(crate) use raw::RawJson;
use ser::Ser;

/// Writes `value` with the crate's serializer, unless serde_json must: when the shape
/// of its raw values is not known (`raw::shape`) or the serializer refused.
fn fast<O: Out + ?Sized, T: Serialize + ?Sized>(out: &mut O, value: &T) -> Result<(), Error> {
    raw::shape().ok_or(Error::Refused)?;
    value.serialize(Ser(out))
}

/// serde_json's error for a `Display` impl that failed inside `collect_str` (where
/// serde_json itself panics).
fn display_error() -> serde_json::Error {
    serde::ser::Error::custom(Error::Display)
}

/// Appends `value`'s JSON to `out`: exactly what `serde_json::to_vec` produces, or
/// its error. On error `out` may hold part of it.
pub(crate) fn to_vec_into<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> serde_json::Result<()> {
    let start = out.len();
    match fast(out, value) {
        Ok(()) => Ok(()),
        Err(Error::Display) => Err(display_error()),
        Err(Error::Refused) => {
            out.truncate(start);
            serde_json::to_writer(out, value)
        }
    }
}

/// Writes `value`'s JSON at `out`'s position, as [`to_vec_into`] does.
pub(crate) fn write_into<T: Serialize + ?Sized>(
    out: &mut Cursor,
    value: &T,
) -> serde_json::Result<()> {
    let start = out.written().len();
    match fast(out, value) {
        Ok(()) => Ok(()),
        Err(Error::Display) => Err(display_error()),
        Err(Error::Refused) => {
            let json = serde_json::to_string(value)?;
            out.truncate(start);
            out.put(&json);
            Ok(())
        }
    }
}

/// The length of `value`'s JSON, counted without writing it.
pub(crate) fn len_of<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<usize> {
    let mut count = Count(0);
    match fast(&mut count, value) {
        Ok(()) => Ok(count.0),
        Err(Error::Display) => Err(display_error()),
        Err(Error::Refused) => serde_json::to_vec(value).map(|json| json.len()),
    }
}

thread_local! {
    /// [`to_raw_value`]'s scratch buffer, kept warm per thread (at most
    /// [`SCRATCH_KEEP`] bytes): a fresh buffer per call costs ~5.3k instructions (26%)
    /// more per AKS node resource on the blob path (`scripts/count-instructions.sh`).
    static SCRATCH: Cell<Cursor> = const { Cell::new(Cursor::new()) };
}

/// A scratch buffer that grew larger than this is dropped, not kept for the thread.
const SCRATCH_KEEP: usize = 64 << 10;

/// `value`'s JSON as [`RawJson`]: `serde_json::value::to_raw_value`'s text, or its
/// error. Written into the thread's scratch buffer, then copied once into an exactly
/// sized box.
pub(crate) fn to_raw_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<RawJson> {
    // Taken, not borrowed: a `Serialize` impl that calls back in here finds an empty
    // buffer instead of a borrow conflict.
    let mut out = SCRATCH.try_with(Cell::take).unwrap_or_default();
    out.clear();
    let raw = match fast(&mut out, value) {
        // The serializer writes only `&str` pieces, so the check never fails.
        Ok(()) => std::str::from_utf8(out.written())
            .map(|json| RawJson::written(json.into()))
            .map_err(serde::ser::Error::custom),
        Err(Error::Display) => Err(display_error()),
        Err(Error::Refused) => serde_json::to_string(value).map(|s| RawJson::written(s.into())),
    };
    if out.capacity() <= SCRATCH_KEEP {
        let _ = SCRATCH.try_with(|s| s.set(out));
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Serialize` impl that fails only the first time: what the crate's serializer
    /// refuses, serde_json is asked for, and its answer stands.
    struct FailsOnce(std::cell::Cell<bool>);

    impl Serialize for FailsOnce {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if self.0.replace(false) {
                return Err(serde::ser::Error::custom("first time"));
            }
            s.serialize_str("second")
        }
    }

    #[test]
    fn what_the_serializer_refuses_serde_json_writes() {
        let mut out = b"[".to_vec();
        to_vec_into(&mut out, &FailsOnce(true.into())).unwrap();
        assert_eq!(out, br#"["second""#);
        let mut cursor = Cursor::new();
        cursor.put("[");
        write_into(&mut cursor, &FailsOnce(true.into())).unwrap();
        assert_eq!(cursor.written(), br#"["second""#);
        assert_eq!(len_of(&FailsOnce(true.into())).unwrap(), 8);
        assert_eq!(
            to_raw_value(&FailsOnce(true.into())).unwrap().get(),
            r#""second""#
        );
    }

    #[test]
    fn the_scratch_buffer_is_kept_and_reused() {
        let big = "x".repeat(4000);
        to_raw_value(&big).unwrap();
        let cap = SCRATCH.with(|s| {
            let b = s.take();
            let cap = b.capacity();
            s.set(b);
            cap
        });
        assert!(cap >= 4002);
        assert_eq!(to_raw_value("y").unwrap().get(), r#""y""#);
    }

    #[test]
    fn a_failing_display_is_an_error_not_a_panic() {
        struct Broken;
        impl std::fmt::Display for Broken {
            fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                Err(std::fmt::Error)
            }
        }
        struct Shown;
        impl Serialize for Shown {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&Broken)
            }
        }
        let e = to_raw_value(&Shown).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a Display implementation returned an error unexpectedly"
        );
        assert!(len_of(&Shown).is_err() && to_vec_into(&mut Vec::new(), &Shown).is_err());
    }
}
