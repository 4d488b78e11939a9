//! The crate's JSON serializer (`model::json`, directly and through
//! `ArmResource::new`) writes exactly what serde_json writes: the same bytes for
//! any `serde_json::Value` and for every method of the serde data model, the same
//! length when it only counts, the same `RawValue` text, and the same errors.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::{Activity, ArmResource, ResourceId};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The serializer's three outputs, as serde_json's functions return them.
mod json {
    use serde::Serialize;
    use serde_json::value::RawValue;

    /// The bytes it appends to a `Vec` (`serde_json::to_vec`'s).
    pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::new();
        crate::model::json::to_vec_into(&mut out, value).map(|()| out)
    }

    /// The length it counts without writing.
    pub fn len<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<usize> {
        crate::model::json::len_of(value)
    }

    /// The `RawValue` it builds (`serde_json::value::to_raw_value`'s).
    pub fn to_raw_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Box<RawValue>> {
        crate::model::json::to_raw_value(value)
            .and_then(|raw| RawValue::from_string(raw.get().to_owned()))
    }
}

/// Holds the three outputs to serde_json's: bytes, length and raw value, or the same
/// error (message and category) from each.
fn same<T: Serialize + ?Sized>(value: &T) {
    let ours = json::to_vec(value);
    let len = json::len(value);
    let raw = json::to_raw_value(value);
    match serde_json::to_vec(value) {
        Ok(expected) => {
            let text = String::from_utf8(expected.clone()).unwrap();
            assert_eq!(
                String::from_utf8(ours.expect("serde_json succeeded")).unwrap(),
                text
            );
            assert_eq!(len.expect("serde_json succeeded"), expected.len());
            assert_eq!(raw.expect("serde_json succeeded").get(), text);
        }
        Err(expected) => {
            for err in [ours.err(), len.err(), raw.err()] {
                let err = err.unwrap_or_else(|| panic!("serde_json failed with {expected}"));
                assert_eq!(err.to_string(), expected.to_string());
                assert_eq!(err.classify(), expected.classify());
            }
        }
    }
}

/// Characters that stress the escaper: mostly clean ASCII (runs across the 8-byte
/// words), the escaped ones, every control, DEL, and multi-byte characters, some with
/// bytes equal to `"` or `\` but for the top bit.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        12 => prop::char::range('a', 'z'),
        2 => prop::sample::select(vec!['"', '\\', '/', '\u{7f}', ' ', '\'']),
        3 => prop::char::range('\0', '\u{1f}'),
        2 => prop::sample::select(vec!['é', 'Ģ', 'Ü', '≜', '€', '\u{2028}', '😀', '\u{fffd}']),
        1 => any::<char>(),
    ]
}

fn tricky_string() -> impl Strategy<Value = String> {
    vec(tricky_char(), 0..=40).prop_map(|cs| cs.into_iter().collect())
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(vec![
            i64::MIN as f64,
            u64::MAX as f64,
            -0.0,
            0.0,
            5e-324,
            2.2250738585072014e-308,
            1.7976931348623157e308,
            -1.7976931348623157e308,
            1e21,
            1e-7,
            0.1,
            123456789.125,
        ])
        .prop_map(Value::from),
        prop::sample::select(vec![i64::MIN, i64::MAX, 0, -1]).prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        tricky_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::from),
            btree_map(tricky_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct UnitStruct;

#[derive(Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Newtype(String);

#[derive(Serialize, Debug)]
struct TupleStruct(i8, String, f32);

#[derive(Serialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Alpha,
    #[serde(rename = "be\"ta\n")]
    Beta,
}

#[derive(Serialize, Debug, Clone)]
enum Variant {
    Unit,
    Newtype(i32),
    Tuple(u8, String),
    EmptyTuple(),
    Struct { a: Option<bool>, b: char },
    EmptyStruct {},
}

/// `serialize_bytes`.
#[derive(Debug)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

/// `collect_str`, written in several pieces.
#[derive(Debug)]
struct Shown(String, i64);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:>5}|{}", self.0, self.1, self.0)
    }
}

impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A map through `collect_map` with keys of any `Serialize` type (floats included).
#[derive(Debug)]
struct Pairs<K>(Vec<(K, u8)>);

impl<K: Serialize> Serialize for Pairs<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize, Debug)]
struct Everything {
    bool: bool,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    i128: i128,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    u128: u128,
    f32: f32,
    f64: f64,
    char: char,
    #[serde(rename = "str\u{1}ing")]
    string: String,
    bytes: Bytes,
    some: Option<String>,
    none: Option<u8>,
    unit: (),
    unit_struct: UnitStruct,
    newtype: Newtype,
    tuple: (u8, String, ()),
    empty_tuple: (),
    tuple_struct: TupleStruct,
    variants: Vec<Variant>,
    empty_vec: Vec<u8>,
    shown: Shown,
    int_keys: BTreeMap<i64, u8>,
    i128_keys: BTreeMap<i128, u8>,
    u128_keys: BTreeMap<u128, u8>,
    u8_keys: BTreeMap<u8, u8>,
    bool_keys: BTreeMap<bool, u8>,
    char_keys: BTreeMap<char, u8>,
    string_keys: BTreeMap<String, u8>,
    variant_keys: BTreeMap<Key, u8>,
    newtype_keys: BTreeMap<Newtype, u8>,
    option_keys: BTreeMap<Option<String>, u8>,
    f32_keys: Pairs<f32>,
    f64_keys: Pairs<f64>,
    shown_keys: Pairs<Shown>,
    empty_map: BTreeMap<String, u8>,
    raw: Box<RawValue>,
    raws: Vec<Option<Box<RawValue>>>,
}

fn variant() -> impl Strategy<Value = Variant> {
    prop_oneof![
        Just(Variant::Unit),
        any::<i32>().prop_map(Variant::Newtype),
        (any::<u8>(), tricky_string()).prop_map(|(a, b)| Variant::Tuple(a, b)),
        Just(Variant::EmptyTuple()),
        (any::<Option<bool>>(), tricky_char()).prop_map(|(a, b)| Variant::Struct { a, b }),
        Just(Variant::EmptyStruct {}),
    ]
}

fn raw() -> impl Strategy<Value = Box<RawValue>> {
    value().prop_map(|v| serde_json::value::to_raw_value(&v).unwrap())
}

prop_compose! {
    fn ints()(
        a in any::<(bool, i8, i16, i32, i64, i128)>(),
        b in any::<(u8, u16, u32, u64, u128)>(),
        f in any::<(f32, f64)>(),
    ) -> ((bool, i8, i16, i32, i64, i128), (u8, u16, u32, u64, u128), (f32, f64)) {
        (a, b, f)
    }
}

prop_compose! {
    fn keys()(
        ints in btree_map(any::<i64>(), any::<u8>(), 0..4),
        i128s in btree_map(any::<i128>(), any::<u8>(), 0..3),
        u128s in btree_map(any::<u128>(), any::<u8>(), 0..3),
        u8s in btree_map(any::<u8>(), any::<u8>(), 0..3),
        bools in btree_map(any::<bool>(), any::<u8>(), 0..3),
        chars in btree_map(tricky_char(), any::<u8>(), 0..4),
        strings in btree_map(tricky_string(), any::<u8>(), 0..4),
        variants in btree_map(prop_oneof![Just(Key::Alpha), Just(Key::Beta)], any::<u8>(), 0..3),
        newtypes in btree_map(tricky_string().prop_map(Newtype), any::<u8>(), 0..3),
        options in btree_map(tricky_string().prop_map(Some), any::<u8>(), 0..3),
        f32s in vec((any::<f32>().prop_filter("finite", |f| f.is_finite()), any::<u8>()), 0..3),
        f64s in vec((any::<f64>().prop_filter("finite", |f| f.is_finite()), any::<u8>()), 0..3),
        shown in vec((tricky_string(), any::<i64>(), any::<u8>()), 0..3),
    ) -> Everything {
        Everything {
            bool: false, i8: 0, i16: 0, i32: 0, i64: 0, i128: 0, u8: 0, u16: 0, u32: 0,
            u64: 0, u128: 0, f32: 0.0, f64: 0.0, char: 'x', string: String::new(),
            bytes: Bytes(Vec::new()), some: None, none: None, unit: (),
            unit_struct: UnitStruct, newtype: Newtype(String::new()),
            tuple: (0, String::new(), ()), empty_tuple: (),
            tuple_struct: TupleStruct(0, String::new(), 0.0), variants: Vec::new(),
            empty_vec: Vec::new(), shown: Shown(String::new(), 0),
            int_keys: ints, i128_keys: i128s, u128_keys: u128s, u8_keys: u8s,
            bool_keys: bools, char_keys: chars, string_keys: strings,
            variant_keys: variants, newtype_keys: newtypes, option_keys: options,
            f32_keys: Pairs(f32s), f64_keys: Pairs(f64s),
            shown_keys: Pairs(shown.into_iter().map(|(s, n, v)| (Shown(s, n), v)).collect()),
            empty_map: BTreeMap::new(),
            raw: RawValue::NULL.to_owned(), raws: Vec::new(),
        }
    }
}

prop_compose! {
    fn everything()(
        e in keys(),
        ((bool, i8, i16, i32, i64, i128), (u8, u16, u32, u64, u128), (f32, f64)) in ints(),
        char in tricky_char(),
        strings in (tricky_string(), any::<Option<()>>().prop_flat_map(|o| {
            proptest::option::weighted(if o.is_some() { 0.9 } else { 0.1 }, tricky_string())
        }), tricky_string(), tricky_string()),
        bytes in vec(any::<u8>(), 0..12),
        tuple in (any::<u8>(), tricky_string(), any::<i8>(), any::<f32>()),
        variants in vec(variant(), 0..6),
        shown in (tricky_string(), any::<i64>()),
        raw in raw(),
        raws in vec(proptest::option::of(raw()), 0..3),
    ) -> Everything {
        Everything {
            bool, i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, f32, f64, char,
            string: strings.0,
            bytes: Bytes(bytes),
            some: strings.1,
            newtype: Newtype(strings.2),
            tuple: (tuple.0, tuple.1, ()),
            tuple_struct: TupleStruct(tuple.2, strings.3, tuple.3),
            variants,
            shown: Shown(shown.0, shown.1),
            raw,
            raws,
            ..e
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn values_serialize_as_serde_json_does(v in value()) {
        same(&v);
    }

    #[test]
    fn strings_serialize_as_serde_json_does(s in tricky_string()) {
        same(&s);
        same(&[&s, &s]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_data_model_method_serializes_as_serde_json_does(e in everything()) {
        same(&e);
    }

    /// The path callers take: `ArmResource::new` stores exactly serde_json's text.
    #[test]
    fn arm_resource_properties_are_serde_json_text(v in value()) {
        let id = ResourceId::parse("/subscriptions/s/resourceGroups/rg/providers/P.N/t/n").unwrap();
        let arm = ArmResource::new(Activity::Delete, &id, "2024-01-01", &v).unwrap();
        let text = serde_json::to_string(&v).unwrap();
        prop_assert_eq!(arm.properties(), (text != "null").then_some(text.as_str()));
    }
}

/// Strings at every length around the 8-byte words, with one special byte (or none)
/// at every position: the word scan, the overlapping last word and the short path.
#[test]
fn every_escape_at_every_position() {
    for len in 0..=40 {
        for at in 0..=len {
            for special in (0u8..0x20).chain([b'"', b'\\', b' ', 0x7f]) {
                let mut s = "abcdefghij".repeat(5)[..len].to_owned();
                if at < len {
                    s.replace_range(at..=at, std::str::from_utf8(&[special]).unwrap());
                }
                same(&s);
            }
        }
    }
}

#[test]
fn keys_serde_json_rejects_are_the_same_errors() {
    same(&BTreeMap::from([(vec![1u8], 1)]));
    same(&BTreeMap::from([((), 1)]));
    same(&BTreeMap::from([(None::<String>, 1)]));
    same(&BTreeMap::from([(UnitStruct, 1)]));
    same(&BTreeMap::from([((1, 2), 1)]));
    same(&Pairs(vec![(Bytes(vec![1]), 1)]));
    same(&Pairs(vec![(Variant::Newtype(1), 1)]));
    same(&Pairs(vec![(Variant::Tuple(1, "x".into()), 1)]));
    same(&Pairs(vec![(Variant::Struct { a: None, b: 'x' }, 1)]));
    same(&Pairs(vec![(BTreeMap::from([(1, 2)]), 1)]));
    same(&Pairs(vec![(f64::NAN, 1)]));
    same(&Pairs(vec![(f32::INFINITY, 1)]));
    same(&Pairs(vec![(f64::NEG_INFINITY, 1)]));
    same(&Pairs(vec![(Key::Beta, 1), (Key::Alpha, 2)]));
    // A failing `Serialize` impl's own error passes through unchanged.
    struct Fails;
    impl Serialize for Fails {
        fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no \"thanks\""))
        }
    }
    same(&[Fails]);
    same(&BTreeMap::from([("k", Fails)]));
    let arm = ArmResource::new(
        Activity::Write,
        &ResourceId::parse("/subscriptions/s").unwrap(),
        "v",
        &BTreeMap::from([((), 1)]),
    );
    assert!(arm.is_err());
}

#[test]
fn a_raw_value_is_written_as_it_is() {
    let raw = RawValue::from_string(r#"{ "a" : [1, 2.50, "\u0041"] }"#.to_owned()).unwrap();
    same(&raw);
    same(&[&raw, &raw]);
    same(&BTreeMap::from([("raw", Some(&raw))]));
    let boxed = json::to_raw_value(&raw).unwrap();
    assert_eq!(boxed.get(), raw.get());
}
