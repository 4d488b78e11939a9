//! A received event, parsed, validated, encoded and parsed again, is the same
//! notification: `ReceivedEvent::parse` -> `into_validated` -> `Encoder::encode` ->
//! `ReceivedEvent::parse` -> `into_validated` gives an equal `Notification`, and its
//! encoding is the same JSON but for the event's id and time. Seeds: the events of
//! `tests/vectors/notifications.json`.
#![no_main]

use arn_client::model::{EncodeBuf, Encoded, Encoder, Notification, ReceivedEvent};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The event JSON of `n` (and, for a blob event, the resources uploaded), as a value
/// without its id and time.
fn encode(n: &Notification) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut buf = EncodeBuf::new();
    match Encoder::default().encode(n, &mut buf) {
        Ok(Encoded::Inline(event)) => (event.to_vec(), None),
        Ok(Encoded::Blob(pending)) => {
            let blob = pending.resources().to_vec();
            (
                pending
                    .finish("https://a.blob.core.windows.net/c/b.txt?sig=x")
                    .to_vec(),
                Some(blob),
            )
        }
        Ok(Encoded::Empty) => (Vec::new(), None),
        Err(e) => panic!("a validated notification does not encode: {e}"),
    }
}

fn without_id_and_time(event: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(event).expect("the encoder writes JSON");
    let o = v.as_object_mut().expect("an object");
    o.remove("id");
    o.remove("eventTime");
    v
}

fuzz_target!(|data: &[u8]| {
    let Ok(event) = ReceivedEvent::parse(data) else {
        return;
    };
    let _ = event.check_envelope();
    let Ok(first) = event.into_validated(None) else {
        return;
    };
    let (bytes, blob) = encode(&first);
    if bytes.is_empty() {
        assert!(first.resources.is_empty());
        return;
    }
    let again = ReceivedEvent::parse(&bytes)
        .unwrap_or_else(|e| panic!("the encoder's event does not parse: {e}"));
    assert_eq!(again.subject, first.subject());
    assert_eq!(again.context, first.context, "the context changed in a round trip");
    let second = again
        .into_validated(blob.as_deref())
        .unwrap_or_else(|e| panic!("the encoder's event does not validate: {e}"));
    assert_eq!(second, first, "the notification changed in a round trip");
    let (bytes2, blob2) = encode(&second);
    assert_eq!(without_id_and_time(&bytes2), without_id_and_time(&bytes));
    assert_eq!(blob2, blob);
});
