//! Checks one `subject` vector case (format in `tests/vectors/README.md`): parses every
//! id and compares `subject()` with the Go reference's answer.

use std::borrow::Cow;

use arn_client::model::{subject, ResourceId};
use serde_json::Value;

pub fn check(case: &Value) -> Result<(), String> {
    let expected = case["subject"]
        .as_str()
        .ok_or("vector has no string \"subject\"")?;
    let ids = case["resource_ids"]
        .as_array()
        .ok_or("vector has no array \"resource_ids\"")?
        .iter()
        .map(|v| {
            let s = v.as_str().ok_or("resource id is not a string")?;
            ResourceId::parse(s).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    let got = subject(&ids);
    if got != expected {
        return Err(format!("subject: expected {expected:?}, got {got:?}"));
    }
    if !matches!(got, Cow::Borrowed(_)) {
        return Err("subject allocated (Cow::Owned)".to_owned());
    }
    Ok(())
}
