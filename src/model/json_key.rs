//! What [`super::json`] writes inside `{}` and `[]`: the compound writer (arrays,
//! objects, structs, variants, with serde_json's separators), the map-key serializer
//! (serde_json's `MapKeySerializer`) and the text of a `RawValue` (its
//! `RawValueStrEmitter`), with serde_json's errors; and the number and `collect_str`
//! writers both serializers share.
//!
//! The errors are serde_json's own values, not look-alikes: its constructors for
//! "key must be a string" and the like are private, so each is obtained by asking
//! serde_json's serializer (into `io::sink()`) to do the same wrong thing. That only
//! happens on an error path, and `Error::classify` and the message stay the same.

use std::fmt::{self, Display};
use std::io;

use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};
use serde_json::ser::CompactFormatter;
use serde_json::{Error, Result};

use super::json::{write_str_contents, Out, Ser, RAW_TOKEN};

fn sink() -> serde_json::Serializer<io::Sink> {
    serde_json::Serializer::new(io::sink())
}

fn or_custom(r: Result<()>, msg: &str) -> Error {
    r.err().unwrap_or_else(|| ser::Error::custom(msg))
}

/// serde_json's error for a map key that is not a string, number, bool or char.
pub(crate) fn key_must_be_a_string() -> Error {
    or_custom(sink().collect_map([((), ())]), "key must be a string")
}

/// serde_json's error for a NaN or infinite float key.
fn float_key_must_be_finite() -> Error {
    or_custom(
        sink().collect_map([(f64::NAN, ())]),
        "float key must be finite (got NaN or +/-inf)",
    )
}

/// serde_json's error for a `RawValue` struct with another field.
pub(crate) fn invalid_raw_value() -> Error {
    let mut ser = sink();
    let r = (&mut ser)
        .serialize_struct(RAW_TOKEN, 1)
        .and_then(|mut s| s.serialize_field("", &()));
    or_custom(r, "expected value")
}

/// Writes a number with serde_json's own formatter (same digits), through a small
/// stack buffer: 48 bytes hold any integer up to 128 bits and any float.
#[inline]
pub(crate) fn number<O: Out + ?Sized>(
    out: &mut O,
    write: impl FnOnce(&mut CompactFormatter, &mut &mut [u8]) -> io::Result<()>,
) -> Result<()> {
    let mut buf = [0u8; 48];
    let mut rest = &mut buf[..];
    write(&mut CompactFormatter, &mut rest).map_err(Error::io)?;
    let len = 48 - rest.len();
    out.put(std::str::from_utf8(&buf[..len]).map_err(ser::Error::custom)?);
    Ok(())
}

/// Writes a `Display` value's text escaped (for `collect_str`).
pub(crate) fn collect<O: Out + ?Sized, T: Display + ?Sized>(out: &mut O, value: &T) -> Result<()> {
    struct Escaping<'a, O: ?Sized>(&'a mut O);
    impl<O: Out + ?Sized> fmt::Write for Escaping<'_, O> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            write_str_contents(self.0, s);
            Ok(())
        }
    }
    out.byte(b'"');
    // Writing cannot fail, so an error comes from the `Display` impl itself (where
    // serde_json panics, this returns an error).
    fmt::write(&mut Escaping(out), format_args!("{value}")).map_err(|_| {
        ser::Error::custom("a Display implementation returned an error unexpectedly")
    })?;
    out.byte(b'"');
    Ok(())
}

/// Rejects the methods a restricted serializer does not take, with `$err`.
macro_rules! reject {
    ($err:expr; $($method:ident($($arg:ty),*);)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<()> {
            Err($err)
        }
    )*};
}

/// Rejects every compound (and the generic methods the serializer does not take).
macro_rules! reject_compounds {
    ($err:expr) => {
        type SerializeSeq = Impossible<(), Error>;
        type SerializeTuple = Impossible<(), Error>;
        type SerializeTupleStruct = Impossible<(), Error>;
        type SerializeTupleVariant = Impossible<(), Error>;
        type SerializeMap = Impossible<(), Error>;
        type SerializeStruct = Impossible<(), Error>;
        type SerializeStructVariant = Impossible<(), Error>;

        reject! { $err;
            serialize_bytes(&[u8]);
            serialize_none();
            serialize_unit();
            serialize_unit_struct(&'static str);
        }

        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<()> {
            Err($err)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
            Err($err)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
            Err($err)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct> {
            Err($err)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant> {
            Err($err)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
            Err($err)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
            Err($err)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant> {
            Err($err)
        }
    };
}

/// serde_json's `MapKeySerializer`: strings, chars and unit variant names as they
/// are; integers, bools and finite floats in quotes; newtype structs and `Some`
/// through to their content; anything else "key must be a string".
pub(crate) struct KeySer<'a, O: ?Sized>(pub(crate) &'a mut O);

impl<O: Out + ?Sized> KeySer<'_, O> {
    /// Writes a number (or bool) key in quotes.
    #[inline]
    fn quoted(
        self,
        write: impl FnOnce(&mut serde_json::ser::CompactFormatter, &mut &mut [u8]) -> io::Result<()>,
    ) -> Result<()> {
        self.0.byte(b'"');
        number(self.0, write)?;
        self.0.byte(b'"');
        Ok(())
    }
}

macro_rules! quoted {
    ($($method:ident($ty:ty) => $write:ident;)*) => {$(
        fn $method(self, v: $ty) -> Result<()> {
            self.quoted(|f, w| serde_json::ser::Formatter::$write(f, w, v))
        }
    )*};
}

impl<O: Out + ?Sized> Serializer for KeySer<'_, O> {
    type Ok = ();
    type Error = Error;

    reject_compounds!(key_must_be_a_string());

    #[inline]
    fn serialize_str(self, v: &str) -> Result<()> {
        self.0.string(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
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

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    quoted! {
        serialize_bool(bool) => write_bool;
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
            return Err(float_key_must_be_finite());
        }
        self.quoted(|f, w| serde_json::ser::Formatter::write_f32(f, w, v))
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        if !v.is_finite() {
            return Err(float_key_must_be_finite());
        }
        self.quoted(|f, w| serde_json::ser::Formatter::write_f64(f, w, v))
    }

    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<()> {
        collect(self.0, value)
    }
}

/// serde_json's `RawValueStrEmitter`: the one string field of a `RawValue`, written
/// as it is.
pub(crate) struct RawStr<'a, O: ?Sized>(pub(crate) &'a mut O);

fn expected_raw_value() -> Error {
    ser::Error::custom("expected RawValue")
}

impl<O: Out + ?Sized> Serializer for RawStr<'_, O> {
    type Ok = ();
    type Error = Error;

    reject_compounds!(expected_raw_value());

    reject! { expected_raw_value();
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<()> {
        self.0.put(v);
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, _: &T) -> Result<()> {
        Err(expected_raw_value())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<()> {
        Err(expected_raw_value())
    }

    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<()> {
        self.0.put(&value.to_string());
        Ok(())
    }
}

/// `{"variant":`, the start of every variant with data.
pub(crate) fn open_variant<O: Out + ?Sized>(out: &mut O, variant: &str) {
    out.byte(b'{');
    out.string(variant);
    out.byte(b':');
}

/// serde_json's `State`, kept so that even a `Serialize` impl whose length hint lies
/// gets the same bytes; `Raw` is a `RawValue` being written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Empty,
    First,
    Rest,
    Raw,
}

/// An array, object, struct or variant being written.
pub(crate) struct Compound<'a, O: ?Sized> {
    out: &'a mut O,
    state: State,
}

impl<'a, O: Out + ?Sized> Compound<'a, O> {
    /// A `RawValue` about to write its text.
    pub(crate) fn raw(out: &'a mut O) -> Self {
        Compound {
            out,
            state: State::Raw,
        }
    }

    /// Writes `open`, and `close` too when `len` says there is nothing in between.
    #[inline]
    pub(crate) fn open(out: &'a mut O, open: u8, close: u8, len: Option<usize>) -> Self {
        out.byte(open);
        let state = if len == Some(0) {
            out.byte(close);
            State::Empty
        } else {
            State::First
        };
        Compound { out, state }
    }

    /// The separator before an element or key.
    #[inline]
    fn next(&mut self) {
        if self.state != State::First {
            self.out.byte(b',');
        }
        self.state = State::Rest;
    }

    /// Writes `close` unless [`Compound::open`] already did; returns the output.
    #[inline]
    fn close(self, close: u8) -> &'a mut O {
        if self.state != State::Empty {
            self.out.byte(close);
        }
        self.out
    }

    #[inline]
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.next();
        value.serialize(Ser(&mut *self.out))
    }

    #[inline]
    fn field<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        self.next();
        self.out.string(key);
        self.out.byte(b':');
        value.serialize(Ser(&mut *self.out))
    }
}

macro_rules! sequences {
    ($($trait:ident :: $method:ident;)*) => {$(
        impl<O: Out + ?Sized> ser::$trait for Compound<'_, O> {
            type Ok = ();
            type Error = Error;
            #[inline]
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
                self.element(value)
            }
            #[inline]
            fn end(self) -> Result<()> {
                self.close(b']');
                Ok(())
            }
        }
    )*};
}

sequences! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
}

impl<O: Out + ?Sized> ser::SerializeTupleVariant for Compound<'_, O> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.close(b']').byte(b'}');
        Ok(())
    }
}

impl<O: Out + ?Sized> ser::SerializeMap for Compound<'_, O> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        self.next();
        key.serialize(KeySer(&mut *self.out))
    }
    #[inline]
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.out.byte(b':');
        value.serialize(Ser(&mut *self.out))
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.close(b'}');
        Ok(())
    }
}

impl<O: Out + ?Sized> ser::SerializeStruct for Compound<'_, O> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        match self.state {
            State::Raw if key == RAW_TOKEN => value.serialize(RawStr(&mut *self.out)),
            State::Raw => Err(invalid_raw_value()),
            _ => self.field(key, value),
        }
    }
    #[inline]
    fn end(self) -> Result<()> {
        if self.state != State::Raw {
            self.close(b'}');
        }
        Ok(())
    }
}

impl<O: Out + ?Sized> ser::SerializeStructVariant for Compound<'_, O> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<()> {
        self.close(b'}').byte(b'}');
        Ok(())
    }
}
