//! The crate's JSON writer (`src/model/json*.rs`) byte for byte against serde_json,
//! through the public API that uses it: `ArmResource::new` (the properties' text, or
//! the same error) and the encoder (`additionalBatchProperties`). Inputs that are JSON
//! (the seeds: the repository's vectors) are written as the `serde_json::Value` they
//! parse to; other inputs drive a value that calls every method of serde's data model.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use arn_client::model::{
    Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ResourceId,
};
use arn_client::Error;
use libfuzzer_sys::fuzz_target;
use serde::ser::{
    SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// A value built from fuzz input whose `Serialize` calls any data-model method.
#[derive(Arbitrary, Debug)]
enum V {
    Unit,
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    I128(i128),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    U128(u128),
    F32(f32),
    F64(f64),
    Char(char),
    Str(String),
    Bytes(Vec<u8>),
    None,
    Some(Box<V>),
    UnitStruct,
    UnitVariant(u8),
    NewtypeStruct(Box<V>),
    NewtypeVariant(Box<V>),
    Seq(Vec<V>),
    Tuple(Vec<V>),
    TupleStruct(Vec<V>),
    TupleVariant(Vec<V>),
    Map(Vec<(V, V)>),
    Struct(Vec<(Field, V)>),
    StructVariant(Vec<(Field, V)>),
    /// Serialized as a `RawValue` when it is JSON (else as a string).
    Raw(String),
    /// A map whose entries are written with `serialize_key` and `serialize_value`.
    SplitMap(Vec<(V, V)>),
    /// A struct field that is skipped.
    Skipped(Field),
}

impl V {
    /// How deeply the value nests (deep ones are skipped: both writers recurse).
    fn depth(&self) -> usize {
        let kids: Box<dyn Iterator<Item = &V>> = match self {
            V::Some(v) | V::NewtypeStruct(v) | V::NewtypeVariant(v) => {
                Box::new(std::iter::once(&**v))
            }
            V::Seq(vs) | V::Tuple(vs) | V::TupleStruct(vs) | V::TupleVariant(vs) => {
                Box::new(vs.iter())
            }
            V::Map(es) | V::SplitMap(es) => Box::new(es.iter().flat_map(|(k, v)| [k, v])),
            V::Struct(fs) | V::StructVariant(fs) => Box::new(fs.iter().map(|(_, v)| v)),
            _ => Box::new(std::iter::empty()),
        };
        1 + kids.map(V::depth).max().unwrap_or(0)
    }
}

/// Struct field names are `&'static str`: a few, some needing escapes.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Field {
    A,
    Quote,
    Control,
    Unicode,
    Empty,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::A => "a",
            Field::Quote => "q\"\\",
            Field::Control => "\u{1}\n\t",
            Field::Unicode => "é\u{2028}😀",
            Field::Empty => "",
        }
    }
}

const VARIANTS: [&str; 3] = ["First", "sec\"ond", "\u{7f}"];

impl Serialize for V {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            V::Unit => s.serialize_unit(),
            V::Bool(v) => s.serialize_bool(*v),
            V::I8(v) => s.serialize_i8(*v),
            V::I16(v) => s.serialize_i16(*v),
            V::I32(v) => s.serialize_i32(*v),
            V::I64(v) => s.serialize_i64(*v),
            V::I128(v) => s.serialize_i128(*v),
            V::U8(v) => s.serialize_u8(*v),
            V::U16(v) => s.serialize_u16(*v),
            V::U32(v) => s.serialize_u32(*v),
            V::U64(v) => s.serialize_u64(*v),
            V::U128(v) => s.serialize_u128(*v),
            V::F32(v) => s.serialize_f32(*v),
            V::F64(v) => s.serialize_f64(*v),
            V::Char(v) => s.serialize_char(*v),
            V::Str(v) => s.serialize_str(v),
            V::Bytes(v) => s.serialize_bytes(v),
            V::None => s.serialize_none(),
            V::Some(v) => s.serialize_some(v),
            V::UnitStruct => s.serialize_unit_struct("U"),
            V::UnitVariant(i) => {
                let i = usize::from(*i) % VARIANTS.len();
                s.serialize_unit_variant("E", i as u32, VARIANTS[i])
            }
            V::NewtypeStruct(v) => s.serialize_newtype_struct("N", v),
            V::NewtypeVariant(v) => s.serialize_newtype_variant("E", 1, VARIANTS[1], v),
            V::Seq(vs) => {
                let mut seq = s.serialize_seq(Some(vs.len()))?;
                for v in vs {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            V::Tuple(vs) => {
                let mut t = s.serialize_tuple(vs.len())?;
                for v in vs {
                    t.serialize_element(v)?;
                }
                t.end()
            }
            V::TupleStruct(vs) => {
                let mut t = s.serialize_tuple_struct("T", vs.len())?;
                for v in vs {
                    t.serialize_field(v)?;
                }
                t.end()
            }
            V::TupleVariant(vs) => {
                let mut t = s.serialize_tuple_variant("E", 0, VARIANTS[0], vs.len())?;
                for v in vs {
                    t.serialize_field(v)?;
                }
                t.end()
            }
            V::Map(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            V::SplitMap(entries) => {
                let mut m = s.serialize_map(None)?;
                for (k, v) in entries {
                    m.serialize_key(k)?;
                    m.serialize_value(v)?;
                }
                m.end()
            }
            V::Struct(fields) => {
                let mut st = s.serialize_struct("S", fields.len())?;
                for (f, v) in fields {
                    match v {
                        V::Skipped(skip) => st.skip_field(skip.name())?,
                        v => st.serialize_field(f.name(), v)?,
                    }
                }
                st.end()
            }
            V::StructVariant(fields) => {
                let mut st = s.serialize_struct_variant("E", 2, VARIANTS[2], fields.len())?;
                for (f, v) in fields {
                    match v {
                        V::Skipped(skip) => st.skip_field(skip.name())?,
                        v => st.serialize_field(f.name(), v)?,
                    }
                }
                st.end()
            }
            V::Raw(text) => match serde_json::from_str::<Box<RawValue>>(text) {
                Ok(raw) => raw.serialize(s),
                Err(_) => s.serialize_str(text),
            },
            V::Skipped(_) => s.serialize_unit(),
        }
    }
}

/// Holds the properties the crate writes for `value` to serde_json's text or error.
fn same_properties<T: Serialize + ?Sized>(id: &ResourceId, value: &T) {
    // A delete may have no properties, so `null` is not refused.
    let ours = ArmResource::new(Activity::Delete, id, "2024-01-01", value);
    match (serde_json::to_string(value), ours) {
        (Ok(text), Ok(arm)) => {
            let want = (text != "null").then_some(text.as_str());
            assert_eq!(arm.properties(), want);
        }
        (Err(e), Err(Error::Encode(m))) => {
            assert_eq!(m, format!("armResource.properties: {e}"));
        }
        (want, got) => panic!("serde_json gave {want:?}, the crate {got:?}"),
    }
}

/// Holds `value`, as a batch property, to serde_json's text inside an encoded event.
fn same_in_event(id: &ResourceId, value: &Value) {
    let arm = ArmResource::new(Activity::Write, id, "2024-01-01", &1).expect("properties");
    let n = Notification::new(
        "eastus",
        "Microsoft.Compute",
        vec![NotificationResource::new(arm, ChangeAction::Update)],
    )
    .with_additional_batch_property("x", value.clone());
    let mut buf = EncodeBuf::new();
    let event = match Encoder::default()
        .encode(&n, &mut buf)
        .expect("a valid notification")
    {
        Encoded::Inline(event) => event,
        other => panic!("an inline event expected, got {other:?}"),
    };
    let want = format!(
        r#","x":{}}}"#,
        serde_json::to_string(value).expect("a Value")
    );
    let text = std::str::from_utf8(event).expect("UTF-8");
    assert!(text.contains(&want), "{want} not in {text}");
}

fuzz_target!(|data: &[u8]| {
    let id = ResourceId::parse(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
    )
    .expect("id");
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        same_properties(&id, &value);
        same_in_event(&id, &value);
        return;
    }
    if let Ok(v) = V::arbitrary_take_rest(Unstructured::new(data)) {
        if v.depth() > 64 {
            return;
        }
        same_properties(&id, &v);
        if let Ok(value) = serde_json::to_value(&v) {
            same_in_event(&id, &value);
        }
    }
});
