//! Checks one `subject` vector case. STUB: to be implemented.

use serde_json::Value;

pub fn check(case: &Value) -> Result<(), String> {
    Err(format!("subject checks not implemented: {}", case["name"]))
}
