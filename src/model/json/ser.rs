//! The value serializer: `serde_json::Serializer` with the compact formatter, over an
//! [`Out`], and the compound writer for what goes inside `{}` and `[]` (arrays,
//! objects, structs, variants, with serde_json's separators). Map keys go through
//! [`KeySer`], a raw value's text through [`RawStr`]; whatever serde_json would refuse
//! is refused with [`Error::Refused`], and the caller asks serde_json instead.

use std::fmt::Display;

use serde::ser::{self, Serialize};
use serde_json::ser::Formatter;

use super::error::{Error, Result};
use super::key::KeySer;
use super::out::{collect, number, Out};
use super::raw::{shape, RawStr};

/// The serializer: `serde_json::Serializer` with the compact formatter, over an
/// [`Out`].
pub(super) struct Ser<'a, O: ?Sized>(pub(super) &'a mut O);

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
        match shape() {
            Some(raw) if raw.name == name => Ok(Compound::raw(self.0)),
            _ => self.serialize_map(Some(len)),
        }
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

/// `{"variant":`, the start of every variant with data.
fn open_variant<O: Out + ?Sized>(out: &mut O, variant: &str) {
    out.byte(b'{');
    out.string(variant);
    out.byte(b':');
}

/// serde_json's `State`, kept so that even a `Serialize` impl whose length hint lies
/// gets the same bytes; `Raw` is a raw value being written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Empty,
    First,
    Rest,
    Raw,
}

/// An array, object, struct or variant being written.
pub(super) struct Compound<'a, O: ?Sized> {
    out: &'a mut O,
    state: State,
}

impl<'a, O: Out + ?Sized> Compound<'a, O> {
    /// A raw value about to write its text.
    fn raw(out: &'a mut O) -> Self {
        Compound {
            out,
            state: State::Raw,
        }
    }

    /// Writes `open`, and `close` too when `len` says there is nothing in between.
    #[inline]
    fn open(out: &'a mut O, open: u8, close: u8, len: Option<usize>) -> Self {
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

    /// A raw value's text, when `key` is the field that holds it; out of line, so
    /// that the ordinary fields' code stays small enough to inline.
    #[inline(never)]
    fn raw_text<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        match shape() {
            Some(raw) if raw.field == key => value.serialize(RawStr(&mut *self.out)),
            _ => Err(Error::Refused),
        }
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
            State::Raw => self.raw_text(key, value),
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
