//! Raw JSON: [`RawJson`], text the encoder writes as it is, and how serde_json's
//! `RawValue` hands its text to a serializer ([`shape`]), learned from its public
//! `Serialize` impl rather than named, so that both serializers write either verbatim.

use std::fmt;
use std::sync::OnceLock;

use serde::ser::{Impossible, Serialize, SerializeStruct, Serializer};
use serde_json::value::RawValue;

use super::error::{Error, Result};
use super::out::Out;

/// How a `RawValue` serializes: a struct named `name` with one field `field`, whose
/// value is its text as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Shape {
    pub(super) name: &'static str,
    pub(super) field: &'static str,
}

/// The [`Shape`] `RawValue` shows, found once by serializing `RawValue::NULL` into a
/// recorder; `None` if it shows something else, and then serde_json writes everything
/// (`model::json`), so its output stays the reference whatever its version does.
pub(super) fn shape() -> Option<Shape> {
    static SHAPE: OnceLock<Option<Shape>> = OnceLock::new();
    *SHAPE.get_or_init(|| {
        let mut seen = None;
        RawValue::NULL.serialize(Probe(&mut seen)).ok()?;
        seen
    })
}

/// JSON text written as it is: what the crate's serializer (or serde_json) produced,
/// or the text of a `RawValue`. Serializes as a `RawValue` does.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RawJson(Box<str>);

impl RawJson {
    /// `json`, which a JSON serializer wrote.
    pub(super) fn written(json: Box<str>) -> Self {
        RawJson(json)
    }

    /// The text.
    pub(crate) fn get(&self) -> &str {
        &self.0
    }
}

impl From<Box<RawValue>> for RawJson {
    fn from(raw: Box<RawValue>) -> Self {
        RawJson(raw.into())
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson")
            .field(&format_args!("{}", self.0))
            .finish()
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.serialize_as(shape(), s)
    }
}

impl RawJson {
    /// Serializes as a `RawValue` of `shape` does, or, without one, through a
    /// `&RawValue` parsed from the text (serde_json's public API).
    fn serialize_as<S: Serializer>(
        &self,
        shape: Option<Shape>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match shape {
            Some(shape) => {
                let mut st = s.serialize_struct(shape.name, 1)?;
                st.serialize_field(shape.field, &*self.0)?;
                st.end()
            }
            None => serde_json::from_str::<&RawValue>(&self.0)
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
        }
    }
}

/// Writes the one string field of a raw value as it is (serde_json's
/// `RawValueStrEmitter`).
pub(super) struct RawStr<'a, O: ?Sized>(pub(super) &'a mut O);

impl<O: Out + ?Sized> Serializer for RawStr<'_, O> {
    type Ok = ();
    type Error = Error;

    reject_compounds!(Error::Refused);
    reject_struct!(Error::Refused);
    reject_scalars!(Error::Refused);

    #[inline]
    fn serialize_str(self, v: &str) -> Result<()> {
        self.0.put(v);
        Ok(())
    }
}

/// Records the [`Shape`] of what it is given, if it is one.
struct Probe<'a>(&'a mut Option<Shape>);

impl<'a> Serializer for Probe<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeStruct = ProbeStruct<'a>;

    reject_compounds!(Error::Refused);
    reject_scalars!(Error::Refused);

    fn serialize_str(self, _: &str) -> Result<()> {
        Err(Error::Refused)
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<ProbeStruct<'a>> {
        match len {
            1 => Ok(ProbeStruct {
                seen: self.0,
                name,
                field: None,
            }),
            _ => Err(Error::Refused),
        }
    }
}

/// The struct [`Probe`] is given: one field, `null` as a string.
struct ProbeStruct<'a> {
    seen: &'a mut Option<Shape>,
    name: &'static str,
    field: Option<&'static str>,
}

impl SerializeStruct for ProbeStruct<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let mut text = Vec::new();
        value.serialize(RawStr(&mut text))?;
        if self.field.is_some() || text != b"null" {
            return Err(Error::Refused);
        }
        self.field = Some(key);
        Ok(())
    }

    fn end(self) -> Result<()> {
        let field = self.field.ok_or(Error::Refused)?;
        *self.seen = Some(Shape {
            name: self.name,
            field,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_value_shape_is_found() {
        let shape = shape().expect("RawValue serializes as a one-field struct");
        assert!(!shape.name.is_empty() && !shape.field.is_empty());
    }

    #[test]
    fn raw_json_serializes_as_its_text_through_serde_json() {
        let raw = RawJson::from(RawValue::from_string(r#"{ "a" : [1, "\n"] }"#.into()).unwrap());
        assert_eq!(raw.get(), r#"{ "a" : [1, "\n"] }"#);
        assert_eq!(
            serde_json::to_string(&[&raw, &raw]).unwrap(),
            r#"[{ "a" : [1, "\n"] },{ "a" : [1, "\n"] }]"#
        );
        assert_eq!(format!("{raw:?}"), r#"RawJson({ "a" : [1, "\n"] })"#);
        // Should serde_json change how a `RawValue` serializes: the same text.
        let mut out = Vec::new();
        raw.serialize_as(None, &mut serde_json::Serializer::new(&mut out))
            .unwrap();
        assert_eq!(out, raw.get().as_bytes());
    }
}
