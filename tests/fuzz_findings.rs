//! What fuzzing found (issue 20), each from the minimal input that showed it: a float in
//! `additionalBatchProperties` that drifted on a parse -> encode -> parse round trip,
//! and lone surrogate escapes in `armResource.properties` that passed the syntax-only
//! checks although serde_json rejects them (`docs/protocol.md` section 3).

use arn_client::model::{
    Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ReceivedEvent, ResourceId,
};
use arn_client::Error;
use serde_json::value::RawValue;
use serde_json::Value;

const ID: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";

/// The inline event of a one-resource notification with `extra` as the batch property
/// `x` and `{"s":"PLACEHOLDER"}` as the resource's properties.
fn event_text(extra: Value) -> String {
    let id = ResourceId::parse(ID).unwrap();
    let props = serde_json::json!({ "s": "PLACEHOLDER" });
    let arm = ArmResource::new(Activity::Write, &id, "2024-07-01", &props).unwrap();
    let n = Notification::new(
        "eastus",
        "Microsoft.Compute",
        vec![NotificationResource::new(arm, ChangeAction::Create)],
    )
    .with_additional_batch_property("x", extra);
    encode(&n)
}

fn encode(n: &Notification) -> String {
    let mut buf = EncodeBuf::new();
    match Encoder::default().encode(n, &mut buf).unwrap() {
        Encoded::Inline(event) => String::from_utf8(event.to_vec()).unwrap(),
        other => panic!("an inline event expected, got {other:?}"),
    }
}

#[test]
fn a_float_in_batch_properties_survives_parse_encode_parse_exactly() {
    // serde_json's default float parser read this as 1.8726782586993998e262 (one ulp
    // off), which is then written and read back as yet another value.
    let text = event_text(Value::from(0)).replace(r#""x":0"#, r#""x":1.8726782586994e+262"#);
    assert!(text.contains("1.8726782586994e+262"), "{text}");
    let first = ReceivedEvent::parse(text.as_bytes()).unwrap();
    assert_eq!(
        first.additional_batch_properties["x"].as_f64(),
        Some(1.8726782586994e262)
    );
    let again = encode(&first.clone().into_validated(None).unwrap());
    let second = ReceivedEvent::parse(again.as_bytes()).unwrap();
    assert_eq!(
        second.additional_batch_properties,
        first.additional_batch_properties
    );
}

/// The event with `escaped` (JSON string contents) in place of the properties' value.
fn with_property(escaped: &str) -> String {
    event_text(Value::Null).replace("PLACEHOLDER", escaped)
}

#[test]
fn a_lone_surrogate_escape_in_received_properties_is_a_decode_error() {
    for lone in [
        r"pre\ud800x",
        r"\udc00",
        r"a\ud83d",
        r"\ud83d\ud83d\ude00",
        r"\ud800\u0041",
    ] {
        let text = with_property(lone);
        // What the receiver's own JSON parser says of it.
        assert!(serde_json::from_str::<Value>(&text).is_err(), "{lone}");
        match ReceivedEvent::parse(text.as_bytes()) {
            Err(Error::Decode(m)) => assert!(m.contains("lone surrogate"), "{lone}: {m}"),
            other => panic!("{lone}: a decode error expected, got {other:?}"),
        }
    }
}

#[test]
fn surrogate_pairs_and_escaped_backslashes_still_parse() {
    for fine in [
        r"\ud83d\ude00",
        r"\\ud800",
        r"\\\ud83d\ude00x",
        r"\u00e9\ud7ff\ue000",
    ] {
        let text = with_property(fine);
        let event = ReceivedEvent::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{fine}: {e}"));
        let props = event.resources[0].arm_resource.properties().unwrap();
        assert_eq!(props, format!(r#"{{"s":"{fine}"}}"#));
    }
}

#[test]
fn raw_properties_with_a_lone_surrogate_are_refused_when_built() {
    let id = ResourceId::parse(ID).unwrap();
    let raw: Box<RawValue> = serde_json::from_str(r#"{"s":"pre\ud800x"}"#).unwrap();
    match ArmResource::from_raw(Activity::Write, &id, "2024-07-01", Some(raw)) {
        Err(Error::Encode(m)) => assert!(m.contains("lone surrogate"), "{m}"),
        other => panic!("an encode error expected, got {other:?}"),
    }
    let pair: Box<RawValue> = serde_json::from_str(r#"{"s":"\ud83d\ude00"}"#).unwrap();
    assert!(ArmResource::from_raw(Activity::Write, &id, "2024-07-01", Some(pair)).is_ok());
}
