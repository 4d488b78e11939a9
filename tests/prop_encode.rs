//! Property tests of the encoder: every encoded event is valid JSON whose resources
//! (inline, or the blob bytes) parse back to the same resources; encoding never panics
//! and refuses exactly what `validate()` refuses.

use arn_client::model::{
    Activity, ArmResource, ChangeAction, DataBoundary, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ReceivedEvent, ResourceId, ResourcesContainer, SDK_VERSION,
};
use arn_client::Error;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

/// Names are opaque to the id parser; keep them off the keywords and `/`.
fn name() -> impl Strategy<Value = String> {
    "[^/]{1,10}".prop_filter("keyword", |s| {
        !["subscriptions", "resourcegroups", "providers", "locations"]
            .contains(&s.to_ascii_lowercase().as_str())
    })
}

/// One of a few id shapes; `shape` is chosen per notification so the types agree.
fn resource_id(shape: usize) -> impl Strategy<Value = ResourceId> {
    (name(), name(), name(), name()).prop_map(move |(s, rg, a, b)| {
        let id = match shape {
            0 => format!("/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{a}"),
            1 => format!(
                "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{a}/nodes/{b}"
            ),
            2 => format!("/subscriptions/{s}/locations/{a}"),
            _ => format!("/providers/Microsoft.Billing/billingAccounts/{a}/billingProfiles/{b}"),
        };
        ResourceId::parse(&id).expect("generated ids parse")
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::from),
            btree_map(".{0,6}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Batch property values go through `serde_json::Value` both ways, whose default float
/// parsing is not exact: no floats here (properties are raw bytes and keep them).
fn batch_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        vec(any::<u32>(), 0..3).prop_map(Value::from),
    ]
}

fn time() -> impl Strategy<Value = OffsetDateTime> {
    // Years 1..=9999, any nanosecond, offsets in whole minutes.
    (
        -62_135_596_800i64..253_402_214_400,
        0u32..1_000_000_000,
        -1439i32..=1439,
    )
        .prop_map(|(secs, nanos, minutes)| {
            let t = OffsetDateTime::from_unix_timestamp(secs).expect("in range")
                + time::Duration::nanoseconds(i64::from(nanos));
            let off = UtcOffset::from_whole_seconds(minutes * 60).expect("offset");
            t.checked_to_offset(off).unwrap_or(t)
        })
}

fn activity() -> impl Strategy<Value = Activity> {
    prop_oneof![
        Just(Activity::Write),
        Just(Activity::Delete),
        Just(Activity::Snapshot)
    ]
}

fn change_action() -> impl Strategy<Value = ChangeAction> {
    prop_oneof![
        Just(ChangeAction::Create),
        Just(ChangeAction::Delete),
        Just(ChangeAction::Move),
        Just(ChangeAction::Update)
    ]
}

/// Resource knobs that may break the rules when `chaos` is on.
#[derive(Clone, Debug)]
struct Knobs {
    props: Option<Value>,
    change: ChangeAction,
    event_time: Option<OffsetDateTime>,
    created: Option<OffsetDateTime>,
    extra: std::collections::BTreeMap<String, String>,
    text: String,
    api_override: Option<String>,
    tenant_override: Option<String>,
    empty_resource_id: bool,
}

fn knobs(chaos: bool) -> impl Strategy<Value = Knobs> {
    let flip = move || {
        if chaos {
            prop::bool::weighted(0.05).boxed()
        } else {
            Just(false).boxed()
        }
    };
    (
        prop::option::of(json_value()),
        change_action(),
        prop::option::of(time()),
        prop::option::of(time()),
        btree_map(".{0,5}", ".{0,5}", 0..3),
        ".{0,8}",
        (flip(), flip(), flip()),
    )
        .prop_map(
            |(props, change, event_time, created, extra, text, (api, tenant, rid))| Knobs {
                props,
                change,
                event_time,
                created,
                extra,
                text,
                api_override: api.then(|| "2099-01-01".to_string()),
                tenant_override: tenant.then(|| "other-tenant".to_string()),
                empty_resource_id: rid,
            },
        )
}

/// A notification of `activity` resources; with `chaos`, some rules may break.
fn notification(chaos: bool) -> impl Strategy<Value = Notification> {
    (0usize..4, activity(), 0usize..12, any::<bool>())
        .prop_flat_map(move |(shape, act, count, mixed_shapes)| {
            let other = if chaos && mixed_shapes {
                (shape + 1) % 4
            } else {
                shape
            };
            (
                vec(
                    (
                        resource_id(shape),
                        resource_id(other),
                        any::<bool>(),
                        knobs(chaos),
                    ),
                    count,
                ),
                Just(act),
                ".{0,8}",
                prop::option::of(prop_oneof![
                    Just(DataBoundary::Global),
                    Just(DataBoundary::Eu)
                ]),
                btree_map("[a-z]{1,6}", batch_value(), 0..3),
                any::<bool>(),
            )
        })
        .prop_map(
            |(items, act, tenant, boundary, extra, api_on_notification)| {
                let resources = items
                    .into_iter()
                    .map(|(id, other_id, use_other, k)| {
                        build_resource(act, if use_other { other_id } else { id }, k, &tenant)
                    })
                    .collect();
                let mut n = Notification::new("eastus", "Microsoft.Test", resources)
                    .with_home_tenant_id(tenant.clone())
                    .with_resource_home_tenant_id(tenant)
                    .with_batch_correlation_id("b\u{2028}\"");
                n.additional_batch_properties = extra;
                if let Some(b) = boundary {
                    n = n.with_data_boundary(b);
                }
                if api_on_notification {
                    n = n.with_api_version("2024-01-01");
                }
                n
            },
        )
}

fn build_resource(act: Activity, id: ResourceId, k: Knobs, tenant: &str) -> NotificationResource {
    // write/snapshot need properties: give them some when the draw has none.
    let props = match (act, k.props) {
        (Activity::Delete, p) => p,
        (_, Some(Value::Null) | None) => Some(Value::from(k.text.clone())),
        (_, p) => p,
    };
    let arm = match &props {
        Some(p) => ArmResource::new(act, &id, "2024-01-01", p),
        None => ArmResource::without_properties(act, &id, "2024-01-01"),
    }
    .expect("properties given");
    let mut r = NotificationResource::new(arm, k.change)
        .with_additional_resource_properties(k.extra)
        .with_correlation_id(k.text.clone())
        .with_modified_by(k.text)
        .with_home_tenant_id(tenant)
        .with_resource_home_tenant_id(tenant);
    if let Some(t) = k.event_time {
        r = r.with_resource_event_time(t);
    }
    if let Some(t) = k.created {
        r = r.with_created_time(t);
    }
    if let Some(v) = k.api_override {
        r = r.with_api_version(v);
    }
    if let Some(t) = k.tenant_override {
        r = r.with_home_tenant_id(t);
    }
    if k.empty_resource_id {
        r = r.with_resource_id("");
    }
    r
}

/// Parses what was sent back into a notification and checks it is `n`.
fn assert_round_trip(
    n: &Notification,
    event: &[u8],
    blob: Option<&[u8]>,
) -> Result<(), TestCaseError> {
    let v: Value = serde_json::from_slice(event)
        .map_err(|e| TestCaseError::fail(format!("event JSON: {e}")))?;
    prop_assert_eq!(
        &v["data"]["additionalBatchProperties"]["sdkVersion"],
        SDK_VERSION
    );
    prop_assert_eq!(
        &v["data"]["additionalBatchProperties"]["batchSize"],
        n.resources.len()
    );
    if let Some(b) = blob {
        let _: Value = serde_json::from_slice(b)
            .map_err(|e| TestCaseError::fail(format!("blob JSON: {e}")))?;
    }
    let received = ReceivedEvent::parse(event).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let container = if blob.is_some() {
        ResourcesContainer::Blob
    } else {
        ResourcesContainer::Inline
    };
    prop_assert_eq!(received.resources_container, container);
    let back = received
        .into_validated(blob)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, n);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn encoded_events_parse_back_to_the_same_notification(
        n in notification(false),
        threshold in prop_oneof![Just(0usize), Just(usize::MAX), 0usize..20_000],
    ) {
        prop_assume!(n.validate().is_ok());
        let mut buf = EncodeBuf::new();
        match Encoder::new(threshold).encode(&n, &mut buf) {
            Err(e) => return Err(TestCaseError::fail(format!("valid notification refused: {e}"))),
            Ok(Encoded::Empty) => prop_assert!(n.resources.is_empty()),
            Ok(Encoded::Inline(ev)) => {
                let ev = ev.to_vec();
                assert_round_trip(&n, &ev, None)?;
            }
            Ok(Encoded::Blob(p)) => {
                let blob = p.resources().to_vec();
                prop_assert!(blob.len() >= threshold);
                let ev = p.finish("https://a.blob.core.windows.net/c/b.txt?sv=1&sig=x").to_vec();
                assert_round_trip(&n, &ev, Some(&blob))?;
            }
        }
    }

    #[test]
    fn encoding_refuses_exactly_what_validation_refuses(
        n in notification(true),
        threshold in prop_oneof![Just(0usize), 0usize..20_000],
    ) {
        let mut buf = EncodeBuf::new();
        let verdict = n.validate();
        match (verdict, Encoder::new(threshold).encode(&n, &mut buf)) {
            (Ok(()), Ok(_)) => {}
            (Err(want), Err(Error::Invalid(got))) => prop_assert_eq!(want, got),
            (v, e) => return Err(TestCaseError::fail(format!("validate {v:?}, encode {e:?}"))),
        }
    }
}
