//! Checks one `notification` vector case. STUB: to be implemented.

use serde_json::Value;

pub fn check(case: &Value) -> Result<(), String> {
    Err(format!(
        "notification checks not implemented: {}",
        case["name"]
    ))
}
