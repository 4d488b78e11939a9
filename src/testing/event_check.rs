//! What the local receiver checks in an event (`docs/protocol.md` sections 3 and 4),
//! on the raw JSON so that it judges the encoder rather than trusting it.

use serde_json::Value;

/// Checks the envelope and returns the container (`"inline"` or `"blob"`).
pub(crate) fn check_envelope(event: &Value, publisher_header: &str) -> Result<String, String> {
    let obj = event.as_object().ok_or("the event is not a JSON object")?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str);
    if text("topic") != Some("") {
        return Err("topic must be \"\"".into());
    }
    for k in ["subject", "eventType", "eventTime", "id"] {
        if text(k).is_none_or(str::is_empty) {
            return Err(format!("{k} missing or empty"));
        }
    }
    if text("dataVersion") != Some("3.0") || text("metadataVersion") != Some("1.0") {
        return Err("dataVersion must be 3.0 and metadataVersion 1.0".into());
    }
    let event_time = text("eventTime").unwrap_or_default();
    time::OffsetDateTime::parse(event_time, &time::format_description::well_known::Rfc3339)
        .map_err(|_| "eventTime is not RFC 3339".to_string())?;
    uuid::Uuid::parse_str(text("id").unwrap_or_default()).map_err(|_| "id is not a UUID")?;
    let data = obj
        .get("data")
        .and_then(Value::as_object)
        .ok_or("data missing")?;
    let publisher = data
        .get("publisherInfo")
        .and_then(Value::as_str)
        .ok_or("data.publisherInfo missing")?;
    if publisher != publisher_header {
        return Err("the publisherinfo header differs from data.publisherInfo".into());
    }
    if data
        .get("resourceLocation")
        .and_then(Value::as_str)
        .is_none()
    {
        return Err("data.resourceLocation missing".into());
    }
    let batch = data
        .get("additionalBatchProperties")
        .and_then(Value::as_object)
        .ok_or("data.additionalBatchProperties missing")?;
    if batch.get("batchSize").and_then(Value::as_u64).is_none()
        || batch.get("sdkVersion").and_then(Value::as_str).is_none()
    {
        return Err("batchSize or sdkVersion missing".into());
    }
    match data.get("resourcesContainer").and_then(Value::as_str) {
        Some("inline") => {
            if !data.get("resources").is_some_and(Value::is_array) {
                return Err("an inline event needs a resources array".into());
            }
            Ok("inline".into())
        }
        Some("blob") => {
            if !data.get("resources").is_some_and(Value::is_null) {
                return Err("a blob event has resources: null".into());
            }
            let info = data
                .get("resourcesBlobInfo")
                .ok_or("resourcesBlobInfo missing")?;
            if info.get("blobUri").and_then(Value::as_str).is_none()
                || info.get("blobSize").and_then(Value::as_u64).is_none()
            {
                return Err("resourcesBlobInfo needs blobUri and blobSize".into());
            }
            Ok("blob".into())
        }
        _ => Err("resourcesContainer must be inline or blob".into()),
    }
}

/// Checks the resources against the event (batch size, type, activity, required keys).
pub(crate) fn check_resources(event: &Value, resources: &[Value]) -> Result<(), String> {
    let data = &event["data"];
    if resources.is_empty() || resources.len() > 1000 {
        return Err("1..=1000 resources".into());
    }
    if data["additionalBatchProperties"]["batchSize"].as_u64() != Some(resources.len() as u64) {
        return Err("batchSize differs from the number of resources".into());
    }
    let first_type = resources[0]["armResource"]["type"].as_str().unwrap_or("");
    let event_type = event["eventType"].as_str().unwrap_or("");
    let activity = event_type
        .strip_prefix(first_type)
        .and_then(|s| s.strip_prefix('/'))
        .unwrap_or("");
    if !matches!(activity, "write" | "delete" | "snapshot") {
        return Err("eventType is not {type of the first resource}/{activity}".into());
    }
    for r in resources {
        if r["resourceId"].as_str().is_none_or(str::is_empty)
            || r["armResource"]["id"].as_str().is_none_or(str::is_empty)
        {
            return Err("a resource lacks resourceId or armResource.id".into());
        }
        if r["armResource"]["type"].as_str() != Some(first_type) {
            return Err("resources of different types".into());
        }
        if r["statusCode"].as_str() != Some("OK") {
            return Err("statusCode must be OK".into());
        }
        let action = r["resourceSystemProperties"]["changeAction"].as_str();
        if !matches!(action, Some("Create" | "Delete" | "Move" | "Update")) {
            return Err("bad changeAction".into());
        }
    }
    Ok(())
}

/// Fetches a blob's bytes with a plain GET and checks its size.
pub(crate) fn fetch_blob(agent: &ureq::Agent, event: &Value) -> Result<Vec<u8>, String> {
    let info = &event["data"]["resourcesBlobInfo"];
    let uri = info["blobUri"].as_str().unwrap_or_default();
    let size = info["blobSize"].as_u64().unwrap_or_default();
    let mut response = agent.get(uri).call().map_err(|e| {
        format!(
            "blob GET failed: {}",
            crate::sanitize::sanitize_message(&e.to_string())
        )
    })?;
    if response.status() != 200 {
        return Err(format!("blob GET answered HTTP {}", response.status()));
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .map_err(|_| "blob body unreadable".to_string())?;
    if body.len() as u64 != size {
        return Err(format!(
            "blobSize {size} but the blob has {} bytes",
            body.len()
        ));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({"topic": "", "subject": "/subscriptions/s", "eventType": "Microsoft.Foo/bars/write",
            "eventTime": "2024-05-01T10:00:00.5Z", "id": "0b8d3f2e-6a3c-4e57-9a55-4f1d8b4f9a10",
            "dataVersion": "3.0", "metadataVersion": "1.0",
            "data": {"additionalBatchProperties": {"batchCorrelationId": "", "sdkVersion": "rust@0.1.0", "batchSize": 1},
                "resourceLocation": "eastus", "publisherInfo": "Microsoft.Foo", "resourcesContainer": "inline",
                "resources": [{"armResource": {"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Foo/bars/b",
                    "type": "Microsoft.Foo/bars", "properties": {}}, "resourceId": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Foo/bars/b",
                    "statusCode": "OK", "resourceSystemProperties": {"createdBy": "", "modifiedBy": "", "changeAction": "Create"}}]}})
    }

    #[test]
    fn accepts_a_good_event_and_rejects_broken_ones() {
        let e = event();
        assert_eq!(check_envelope(&e, "Microsoft.Foo").unwrap(), "inline");
        let res = e["data"]["resources"].as_array().unwrap().clone();
        check_resources(&e, &res).unwrap();
        assert!(check_envelope(&e, "Other").is_err());
        let mut bad = e.clone();
        bad["dataVersion"] = json!("2.0");
        assert!(check_envelope(&bad, "Microsoft.Foo").is_err());
        let mut bad = e.clone();
        bad["eventType"] = json!("Microsoft.Foo/bars/explode");
        assert!(check_resources(&bad, &res).is_err());
        let mut bad_res = res.clone();
        bad_res[0]["statusCode"] = json!("Failed");
        assert!(check_resources(&e, &bad_res).is_err());
    }
}
