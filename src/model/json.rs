//! A compact JSON serializer whose output is byte-identical to `serde_json::to_vec`
//! (serde_json 1.0.154), written for speed.
//!
//! Why it exists: counted with `scripts/count-instructions.sh` (callgrind), turning an
//! AKS node's properties and a notification into JSON was most of the client's work:
//! ~43.5k instructions per resource on the blob path, of which
//! `serde_json::value::to_raw_value` in [`ArmResource::new`](super::ArmResource::new)
//! was ~24k (~18k in serde_json's `format_escaped_str`, which looks every byte up in a
//! table and writes each piece through `io::Write`; ~2k regrowing its `Vec`) and the
//! encoder's `serde_json::to_writer` ~9k more. Here strings are scanned a word (8
//! bytes) at a time and clean runs copied with one call. Properties and an event's
//! resources go through a [`Cursor`], which stores strings of
//! at most 16 bytes (most keys and values) as fixed words and copies longer ones 16
//! bytes at a time as it checks them; properties are serialized into a per-thread
//! scratch buffer and copied once into an exactly sized `Box<RawValue>`. A plain
//! `Vec<u8>` (the event's few top-level fields) takes the generic word-scanning path.
//!
//! What stays serde_json's: the digits of numbers (its `CompactFormatter`), the
//! escapes (`\"` `\\` `\b` `\f` `\n` `\r` `\t`, other controls as `\u00xx`, nothing
//! else), the map-key rules (`json_key`), the `RawValue` protocol, and every error,
//! which is a `serde_json::Error` built by serde_json itself (see `json_key`).

use std::cell::Cell;
use std::fmt::Display;

use serde::de::value::MapDeserializer;
use serde::de::Deserialize;
use serde::ser::{self, Serialize};
use serde_json::ser::Formatter;
use serde_json::value::RawValue;
use serde_json::{Error, Result};

use super::json_key::{collect, number, open_variant, Compound};
use super::json_out::Cursor;

/// The struct name through which `RawValue` serializes its text (serde_json's
/// `raw::TOKEN`): a struct of that name with one field of that name is written raw.
pub(crate) const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// Where the serializer writes: a [`Cursor`], a `Vec<u8>`,
/// or a [`Count`] of its bytes.
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

/// Appends `value`'s JSON to `out`, exactly the bytes `serde_json::to_vec` would
/// produce. On error `out` may hold part of it.
pub(crate) fn to_vec_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<()> {
    value.serialize(Ser(out))
}

/// The length of `value`'s JSON, counted without writing it.
pub(crate) fn len_of<T: Serialize + ?Sized>(value: &T) -> Result<usize> {
    let mut count = Count(0);
    value.serialize(Ser(&mut count))?;
    Ok(count.0)
}

thread_local! {
    /// [`to_raw_value`]'s scratch: once it has grown to a thread's usual properties,
    /// serializing them allocates only the exactly sized result.
    static SCRATCH: Cell<Cursor> = const { Cell::new(Cursor::new()) };
}

/// A scratch buffer that grew larger than this is dropped, not kept for the thread
/// (properties that large are rare, and pay their regrowth again).
const SCRATCH_KEEP: usize = 64 << 10;

/// `serde_json::value::to_raw_value`, same text and errors: serialized into the
/// thread's scratch buffer (no regrowth once warm), checked as UTF-8 (the crate
/// forbids `unsafe`; ~0.7k instructions per AKS node, less than the byte-wise writes
/// save) and copied once into an exactly sized box, without re-parsing it. Measured
/// against a fresh buffer per call, shrunk into the box: one of 128 bytes cost ~1.4k
/// instructions more per AKS node, one of 2 KiB ~130 more.
pub(crate) fn to_raw_value<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>> {
    // Taken, not borrowed: a `Serialize` impl that calls back in here finds an empty
    // buffer instead of a borrow conflict.
    let mut out = SCRATCH.try_with(Cell::take).unwrap_or_default();
    out.clear();
    let raw = value.serialize(Ser(&mut out)).and_then(|()| {
        let json = std::str::from_utf8(out.written()).map_err(ser::Error::custom)?;
        boxed_raw(json)
    });
    if out.capacity() <= SCRATCH_KEEP {
        let _ = SCRATCH.try_with(|s| s.set(out));
    }
    raw
}

/// `json`, which this serializer wrote, as an owned `RawValue`. serde_json's public
/// constructors re-parse (`RawValue::from_string`) or are `unsafe`; its own
/// `Deserialize for Box<RawValue>` takes the text as given from a one-entry map keyed
/// by [`RAW_TOKEN`] (how its deserializers hand it over), which serde's
/// `MapDeserializer` provides. Should a later serde_json stop accepting that, the
/// re-parsing constructor still gives the right answer.
fn boxed_raw(json: &str) -> Result<Box<RawValue>> {
    Box::<RawValue>::deserialize(raw_map(json)).or_else(|_| RawValue::from_string(json.to_owned()))
}

pub(crate) fn raw_map(
    json: &str,
) -> MapDeserializer<'_, std::iter::Once<(&'static str, &str)>, Error> {
    MapDeserializer::new(std::iter::once((RAW_TOKEN, json)))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const SPACES: u64 = ONES * b' ' as u64;

/// Flags (high bit of the byte) the bytes of `w` that need escaping: below 0x20 or
/// `"` (the bytes that, XORed with 0x02, are below 0x21) or `\` (zero when XORed
/// with it), with the classic has-less-than / has-zero-byte tricks; a byte >= 0x80 is
/// never flagged. A borrow can flag a clean byte only above a flagged one, so the
/// lowest flag is always exact.
#[inline]
pub(super) fn specials(w: u64) -> u64 {
    let control_or_quote = (w ^ (ONES * 0x02)).wrapping_sub(ONES * 0x21);
    let backslash = (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    (control_or_quote | backslash) & !w & (ONES * 0x80)
}

/// The 8 bytes of `b` from `at` as a little-endian word.
#[inline]
pub(super) fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// `b` (shorter than 8 bytes) as a little-endian word padded with spaces, loaded as
/// two overlapping halves instead of byte by byte.
#[inline]
pub(super) fn short_word(b: &[u8]) -> u64 {
    let n = b.len();
    let u32_at = |at: usize| {
        let mut w = [0; 4];
        w.copy_from_slice(&b[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    let u16_at = |at: usize| u64::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let w = match n {
        4.. => u32_at(0) | (u32_at(n - 4) << (8 * (n - 4))),
        2.. => u16_at(0) | (u16_at(n - 2) << (8 * (n - 2))),
        1 => u64::from(b[0]),
        _ => 0,
    };
    w | (SPACES << (8 * n))
}

/// The index of the first byte of `b` from `at` on that needs escaping, or `b.len()`:
/// 8 bytes at a time; the last few as the string's last 8 bytes (the ones before
/// them were checked clean, so the lowest flag is still the first special) or, when
/// fewer than 8 are left from `at`, as one padded word.
#[inline(always)]
pub(super) fn next_special(b: &[u8], at: usize) -> usize {
    let n = b.len();
    let rest = &b[at..];
    if rest.len() < 8 {
        let m = specials(short_word(rest));
        return if m == 0 {
            n
        } else {
            at + (m.trailing_zeros() / 8) as usize
        };
    }
    let mut i = at;
    for w in rest.chunks_exact(8) {
        let m = specials(u64::from_le_bytes(w.try_into().unwrap_or_default()));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    if i < n {
        let m = specials(word(b, n - 8));
        if m != 0 {
            return n - 8 + (m.trailing_zeros() / 8) as usize;
        }
    }
    n
}

/// `\u00xx` for the control bytes, with serde_json's short forms.
static CONTROL: [&str; 32] = [
    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007", "\\b",
    "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012",
    "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a",
    "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
];

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

/// The serializer: `serde_json::Serializer` with the compact formatter, over an
/// [`Out`].
pub(crate) struct Ser<'a, O: ?Sized>(pub(crate) &'a mut O);

macro_rules! numbers {
    ($($method:ident($ty:ty) => $write:ident;)*) => {$(
        #[inline]
        fn $method(self, v: $ty) -> Result<()> {
            number(self.0, |f, w| f.$write(w, v))
        }
    )*};
}

impl<'a, O: Out + ?Sized> ser::Serializer for Ser<'a, O> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, O>;
    type SerializeTuple = Compound<'a, O>;
    type SerializeTupleStruct = Compound<'a, O>;
    type SerializeTupleVariant = Compound<'a, O>;
    type SerializeMap = Compound<'a, O>;
    type SerializeStruct = Compound<'a, O>;
    type SerializeStructVariant = Compound<'a, O>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.0.put(if v { "true" } else { "false" });
        Ok(())
    }

    numbers! {
        serialize_i8(i8) => write_i8;
        serialize_i16(i16) => write_i16;
        serialize_i32(i32) => write_i32;
        serialize_i64(i64) => write_i64;
        serialize_i128(i128) => write_i128;
        serialize_u8(u8) => write_u8;
        serialize_u16(u16) => write_u16;
        serialize_u32(u32) => write_u32;
        serialize_u64(u64) => write_u64;
        serialize_u128(u128) => write_u128;
    }

    fn serialize_f32(self, v: f32) -> Result<()> {
        if !v.is_finite() {
            return self.serialize_unit();
        }
        number(self.0, |f, w| f.write_f32(w, v))
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        if !v.is_finite() {
            return self.serialize_unit();
        }
        number(self.0, |f, w| f.write_f64(w, v))
    }

    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<()> {
        self.0.string(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        ser::SerializeSeq::end(seq)
    }

    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<()> {
        self.0.put("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        let out = self.0;
        open_variant(out, variant);
        value.serialize(Ser(&mut *out))?;
        out.byte(b'}');
        Ok(())
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, O>> {
        Ok(Compound::open(self.0, b'[', b']', len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, O>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, O>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, O>> {
        open_variant(self.0, variant);
        self.serialize_seq(Some(len))
    }

    #[inline]
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, O>> {
        Ok(Compound::open(self.0, b'{', b'}', len))
    }

    #[inline]
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'a, O>> {
        if name == RAW_TOKEN {
            return Ok(Compound::raw(self.0));
        }
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, O>> {
        open_variant(self.0, variant);
        self.serialize_map(Some(len))
    }

    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<()> {
        collect(self.0, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_are_built_without_reparsing() {
        // Text that does not parse is taken as it is: the cheap path, not the fallback.
        let raw = Box::<RawValue>::deserialize(raw_map("[1,")).unwrap();
        assert_eq!(raw.get(), "[1,");
        let raw = to_raw_value(&serde_json::json!({"a": [1, "\n"]})).unwrap();
        assert_eq!(raw.get(), r#"{"a":[1,"\n"]}"#);
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
}
