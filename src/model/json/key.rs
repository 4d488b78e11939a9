//! The map-key serializer (serde_json's `MapKeySerializer`): strings, chars and unit
//! variant names as they are; integers, bools and finite floats in quotes; newtype
//! structs and `Some` through to their content. Everything else serde_json refuses,
//! so this one leaves it to serde_json (which phrases the error).

use std::fmt::Display;
use std::io;

use serde::ser::{Impossible, Serialize, Serializer};
use serde_json::ser::{CompactFormatter, Formatter};

use super::error::{Error, Result};
use super::out::{collect, number, Out};

/// Writes one map key.
pub(super) struct KeySer<'a, O: ?Sized>(pub(super) &'a mut O);

impl<O: Out + ?Sized> KeySer<'_, O> {
    /// Writes a number (or bool) key in quotes.
    #[inline]
    fn quoted(
        self,
        write: impl FnOnce(&mut CompactFormatter, &mut &mut [u8]) -> io::Result<()>,
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
            self.quoted(|f, w| Formatter::$write(f, w, v))
        }
    )*};
}

impl<O: Out + ?Sized> Serializer for KeySer<'_, O> {
    type Ok = ();
    type Error = Error;

    reject_compounds!(Error::Refused);
    reject_struct!(Error::Refused);

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
            return Err(Error::Refused);
        }
        self.quoted(|f, w| f.write_f32(w, v))
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        if !v.is_finite() {
            return Err(Error::Refused);
        }
        self.quoted(|f, w| f.write_f64(w, v))
    }

    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result<()> {
        collect(self.0, value)
    }
}
