//! Checks one `notification` vector case (`tests/vectors/README.md`): the notification
//! is built through the public API from the wire-named input, as a caller builds it;
//! invalid cases must fail with the same rule, valid ones must produce the same
//! container and the same event (modulo the placeholders), and parse back with
//! `ReceivedEvent`.

use arn_client::model::{
    Activity, ArmResource, ChangeAction, DataBoundary, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ReceivedEvent, ResourceId, Rule, DEFAULT_INLINE_THRESHOLD, SDK_VERSION,
};
use arn_client::Error;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The blob URL our fake upload returns.
const BLOB_URI: &str = "https://account.blob.core.windows.net/arm-ext-nt-2026-11-01-12/x.txt?sig=s";

pub fn check(case: &Value) -> Result<(), String> {
    let threshold = match &case["inline_threshold"] {
        Value::Null => DEFAULT_INLINE_THRESHOLD,
        v => v.as_u64().ok_or("inline_threshold is not a number")? as usize,
    };
    let encoder = Encoder::new(threshold);
    let mut buf = EncodeBuf::new();
    let outcome = build(&case["notification"]).and_then(|n| {
        let encoded = encoder.encode(&n.notification, &mut buf);
        match encoded {
            Err(Error::Invalid(v)) => {
                // The reference checks changeAction per resource, after resourceId
                // and armResource.id: a bad one found while building wins over any
                // later rule.
                match n.change_action_invalid {
                    Some(k) if !earlier(v.rule, v.index, k) => {
                        Err(Built::Rule("change_action_invalid".into()))
                    }
                    _ => Err(Built::Rule(v.rule.as_str().into())),
                }
            }
            Err(e) => Err(Built::Other(format!("encode failed: {e}"))),
            Ok(_) if n.change_action_invalid.is_some() => {
                Err(Built::Rule("change_action_invalid".into()))
            }
            Ok(enc) => Ok((n.notification, enc)),
        }
    });
    match case["valid"].as_bool() {
        Some(false) => {
            let want = case["rule"].as_str().ok_or("invalid case without rule")?;
            match outcome {
                Err(Built::Rule(got)) if got == want => Ok(()),
                Err(Built::Rule(got)) => Err(format!("failed rule {got}, expected {want}")),
                Err(Built::Other(e)) => Err(format!("{e}, expected rule {want}")),
                Ok(_) => Err(format!("accepted, expected rule {want}")),
            }
        }
        Some(true) => match outcome {
            Err(Built::Rule(r)) => Err(format!("refused with rule {r}, expected valid")),
            Err(Built::Other(e)) => Err(e),
            Ok((n, enc)) => check_valid(case, &n, enc),
        },
        None => Err("case without valid".into()),
    }
}

enum Built {
    Rule(String),
    Other(String),
}

struct Input {
    notification: Notification,
    /// The first resource whose changeAction did not parse (built as Update).
    change_action_invalid: Option<usize>,
}

/// Whether a validation failure at `index` precedes the reference's changeAction check
/// of resource `k`.
fn earlier(rule: Rule, index: Option<usize>, k: usize) -> bool {
    match index {
        None => rule == Rule::BatchSize,
        Some(i) if i < k => true,
        Some(i) => i == k && matches!(rule, Rule::ResourceIdMissing | Rule::ArmIdMissing),
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str, Built> {
    match &v[key] {
        Value::Null => Ok(""),
        Value::String(s) => Ok(s),
        other => Err(Built::Other(format!("{key} is not a string: {other}"))),
    }
}

fn time_field(v: &Value, key: &str) -> Result<Option<OffsetDateTime>, Built> {
    match str_field(v, key)? {
        "" => Ok(None),
        s => OffsetDateTime::parse(s, &Rfc3339)
            .map(Some)
            .map_err(|e| Built::Other(format!("{key} {s:?}: {e}"))),
    }
}

fn rule_of(e: Error) -> Built {
    match e {
        Error::Invalid(v) => Built::Rule(v.rule.as_str().into()),
        other => Built::Other(other.to_string()),
    }
}

fn build(input: &Value) -> Result<Input, Built> {
    let empty = Vec::new();
    let inputs = match &input["resources"] {
        Value::Array(a) => a,
        Value::Null => &empty,
        _ => return Err(Built::Other("resources is not an array".into())),
    };
    let mut resources = Vec::with_capacity(inputs.len());
    let mut change_action_invalid = None;
    for (i, r) in inputs.iter().enumerate() {
        let activity: Activity = str_field(r, "activity")?
            .parse()
            .map_err(|e: arn_client::model::ValidationError| Built::Rule(e.rule.as_str().into()))?;
        let id = ResourceId::parse(str_field(r, "armResourceId")?)
            .map_err(|e| Built::Other(format!("resource {i}: {e}")))?;
        let props = match &r["properties"] {
            Value::Null => None,
            p => Some(p),
        };
        let api_version = str_field(r, "armApiVersion")?;
        let arm = match props {
            Some(p) => ArmResource::new(activity, &id, api_version, p),
            None => ArmResource::without_properties(activity, &id, api_version),
        }
        .map_err(rule_of)?;
        let change_action = match str_field(r, "changeAction")?.parse::<ChangeAction>() {
            Ok(c) => c,
            Err(_) => {
                change_action_invalid.get_or_insert(i);
                ChangeAction::Update
            }
        };
        let mut res = NotificationResource::new(arm, change_action)
            .with_resource_id(str_field(r, "resourceId")?)
            .with_api_version(str_field(r, "apiVersion")?)
            .with_source_resource_id(str_field(r, "sourceResourceId")?)
            .with_correlation_id(str_field(r, "correlationId")?)
            .with_home_tenant_id(str_field(r, "homeTenantId")?)
            .with_resource_home_tenant_id(str_field(r, "resourceHomeTenantId")?)
            .with_created_by(str_field(r, "createdBy")?)
            .with_modified_by(str_field(r, "modifiedBy")?);
        if let Some(t) = time_field(r, "resourceEventTime")? {
            res = res.with_resource_event_time(t);
        }
        if let Some(t) = time_field(r, "createdTime")? {
            res = res.with_created_time(t);
        }
        if let Some(t) = time_field(r, "modifiedTime")? {
            res = res.with_modified_time(t);
        }
        if let Value::Object(m) = &r["additionalResourceProperties"] {
            for (k, v) in m {
                let v = v.as_str().ok_or_else(|| {
                    Built::Other(format!("additionalResourceProperties.{k} is not a string"))
                })?;
                res = res.with_additional_resource_property(k.as_str(), v);
            }
        }
        resources.push(res);
    }
    let mut n = Notification::new(
        str_field(input, "resourceLocation")?,
        str_field(input, "publisherInfo")?,
        resources,
    )
    .with_frontdoor_location(str_field(input, "frontdoorLocation")?)
    .with_api_version(str_field(input, "apiVersion")?)
    .with_home_tenant_id(str_field(input, "homeTenantId")?)
    .with_resource_home_tenant_id(str_field(input, "resourceHomeTenantId")?)
    .with_batch_correlation_id(str_field(input, "batchCorrelationId")?);
    match str_field(input, "dataBoundary")? {
        "" => {}
        b => {
            let b: DataBoundary = b
                .parse()
                .map_err(|e: arn_client::model::ValidationError| Built::Other(e.to_string()))?;
            n = n.with_data_boundary(b);
        }
    }
    if let Value::Object(m) = &input["additionalBatchProperties"] {
        for (k, v) in m {
            n = n.with_additional_batch_property(k.as_str(), v.clone());
        }
    }
    Ok(Input {
        notification: n,
        change_action_invalid,
    })
}

fn check_valid(case: &Value, n: &Notification, enc: Encoded<'_>) -> Result<(), String> {
    let want_container = case["container"]
        .as_str()
        .ok_or("valid case without container")?;
    let (event_bytes, upload) = match enc {
        Encoded::Empty => return Err("encoded as empty".into()),
        Encoded::Inline(ev) => (ev.to_vec(), None),
        Encoded::Blob(p) => {
            let upload = p.resources().to_vec();
            (p.finish(BLOB_URI).to_vec(), Some(upload))
        }
    };
    let got_container = if upload.is_some() { "blob" } else { "inline" };
    if got_container != want_container {
        return Err(format!(
            "container {got_container}, expected {want_container}"
        ));
    }
    let mut ours: Value =
        serde_json::from_slice(&event_bytes).map_err(|e| format!("our event is not JSON: {e}"))?;

    // Placeholders: check ours, then put the placeholder in its place.
    let id = ours["id"].as_str().unwrap_or("");
    match uuid::Uuid::parse_str(id) {
        Ok(u) if u.get_version_num() == 4 => {}
        _ => return Err(format!("id {id:?} is not a UUID v4")),
    }
    ours["id"] = "<uuid>".into();
    let t = ours["eventTime"].as_str().unwrap_or("");
    match OffsetDateTime::parse(t, &Rfc3339) {
        Ok(p) if p.offset().is_utc() && t.ends_with('Z') => {}
        _ => return Err(format!("eventTime {t:?} is not an RFC 3339 UTC time")),
    }
    ours["eventTime"] = "<time>".into();
    let batch = &mut ours["data"]["additionalBatchProperties"];
    if batch["sdkVersion"] != SDK_VERSION {
        return Err(format!("sdkVersion {}", batch["sdkVersion"]));
    }
    batch["sdkVersion"] = "<sdk>".into();
    let want_event = &case["event"];
    if let Some(upload) = &upload {
        let info = &mut ours["data"]["resourcesBlobInfo"];
        if info["blobUri"].as_str().is_none_or(str::is_empty) {
            return Err("blobUri is empty".into());
        }
        info["blobUri"] = "<uri>".into();
        if info["blobSize"].as_u64() != Some(upload.len() as u64) {
            return Err(format!(
                "blobSize {} but we upload {} bytes",
                info["blobSize"],
                upload.len()
            ));
        }
        info["blobSize"] = want_event["data"]["resourcesBlobInfo"]["blobSize"].clone();
        let uploaded: Value =
            serde_json::from_slice(upload).map_err(|e| format!("our upload is not JSON: {e}"))?;
        same(&uploaded, &case["blob"], "blob")?;
    }
    same(&ours, want_event, "event")?;
    round_trip(&event_bytes, upload.as_deref(), n)
}

/// Our event parses back with the crate's own model into the same notification.
fn round_trip(event: &[u8], upload: Option<&[u8]>, n: &Notification) -> Result<(), String> {
    let received = ReceivedEvent::parse(event).map_err(|e| format!("ReceivedEvent::parse: {e}"))?;
    let back = received
        .into_validated(upload)
        .map_err(|e| format!("received event does not validate: {e}"))?;
    // Each resource's activity is not on the wire: compare the wire forms.
    let wire = |n: &Notification| serde_json::to_string(&n.resources).unwrap_or_default();
    if wire(&back) != wire(n)
        || back.additional_batch_properties != n.additional_batch_properties
        || (
            back.context.resource_location.as_str(),
            back.context.home_tenant_id.as_str(),
            back.context.api_version.as_str(),
        ) != (
            n.context.resource_location.as_str(),
            n.context.home_tenant_id.as_str(),
            n.context.api_version.as_str(),
        )
        || back.context.data_boundary != n.context.data_boundary
    {
        return Err("the received event parses to a different notification".into());
    }
    Ok(())
}

/// JSON equality: object key order ignored, numbers by value, time strings as instants.
fn same(ours: &Value, want: &Value, path: &str) -> Result<(), String> {
    match (ours, want) {
        (Value::Object(a), Value::Object(b)) => same_object(a, b, path),
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Err(format!(
                    "{path}: {} elements, expected {}",
                    a.len(),
                    b.len()
                ));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .try_for_each(|(i, (x, y))| same(x, y, &format!("{path}[{i}]")))
        }
        (Value::Number(a), Value::Number(b)) => {
            let eq = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            };
            eq.then_some(())
                .ok_or_else(|| format!("{path}: {a}, expected {b}"))
        }
        (Value::String(a), Value::String(b)) if a != b => {
            match (
                OffsetDateTime::parse(a, &Rfc3339),
                OffsetDateTime::parse(b, &Rfc3339),
            ) {
                (Ok(x), Ok(y)) if x == y => Ok(()),
                _ => Err(format!("{path}: {a:?}, expected {b:?}")),
            }
        }
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("{path}: {a}, expected {b}")),
    }
}

fn same_object(a: &Map<String, Value>, b: &Map<String, Value>, path: &str) -> Result<(), String> {
    if let Some(k) = a.keys().find(|k| !b.contains_key(*k)) {
        return Err(format!("{path}: unexpected key {k:?}"));
    }
    if let Some(k) = b.keys().find(|k| !a.contains_key(*k)) {
        return Err(format!("{path}: missing key {k:?}"));
    }
    a.iter()
        .try_for_each(|(k, v)| same(v, &b[k], &format!("{path}.{k}")))
}
