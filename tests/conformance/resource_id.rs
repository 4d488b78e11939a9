//! Checks one `resource_id` vector case. STUB: to be implemented.

use serde_json::Value;

pub fn check(case: &Value) -> Result<(), String> {
    Err(format!(
        "resource_id checks not implemented: {}",
        case["name"]
    ))
}
