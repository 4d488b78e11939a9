//! Checks one `resource_id` vector case (format in `tests/vectors/README.md`): parses
//! `input` and compares every field the Go reference reported.

use arn_client::model::ResourceId;
use serde_json::Value;

fn field<'a>(case: &'a Value, key: &str) -> Result<&'a str, String> {
    case[key]
        .as_str()
        .ok_or_else(|| format!("vector has no string {key:?}"))
}

/// Compares one field; the vectors write "absent" as "".
fn same(key: &str, expected: &str, got: &str, diffs: &mut Vec<String>) {
    if expected != got {
        diffs.push(format!("{key}: expected {expected:?}, got {got:?}"));
    }
}

pub fn check(case: &Value) -> Result<(), String> {
    let input = field(case, "input")?;
    let ok = case["ok"].as_bool().ok_or("vector has no boolean \"ok\"")?;
    let id = match (ResourceId::parse(input), ok) {
        (Err(_), false) => return Ok(()),
        (Ok(id), false) => return Err(format!("expected an error, parsed as {:?}", id.as_str())),
        (Err(e), true) => return Err(format!("expected success, got error: {e}")),
        (Ok(id), true) => id,
    };
    let mut diffs = Vec::new();
    same(
        "canonical",
        field(case, "canonical")?,
        id.as_str(),
        &mut diffs,
    );
    same(
        "canonical (Display)",
        field(case, "canonical")?,
        &format!("{id}"),
        &mut diffs,
    );
    let opt = |v: Option<&str>| v.unwrap_or("").to_owned();
    same(
        "subscription_id",
        field(case, "subscription_id")?,
        &opt(id.subscription_id()),
        &mut diffs,
    );
    same(
        "resource_group_name",
        field(case, "resource_group_name")?,
        &opt(id.resource_group_name()),
        &mut diffs,
    );
    same(
        "provider",
        field(case, "provider")?,
        &opt(id.provider()),
        &mut diffs,
    );
    same(
        "location",
        field(case, "location")?,
        &opt(id.location()),
        &mut diffs,
    );
    same(
        "resource_type",
        field(case, "resource_type")?,
        &id.resource_type().to_string(),
        &mut diffs,
    );
    same(
        "namespace",
        field(case, "namespace")?,
        id.resource_type().namespace(),
        &mut diffs,
    );
    let types: Vec<&str> = case["types"]
        .as_array()
        .ok_or("vector has no array \"types\"")?
        .iter()
        .map(|t| t.as_str().unwrap_or("<not a string>"))
        .collect();
    let got: Vec<&str> = id.resource_type().types().collect();
    if got != types {
        diffs.push(format!("types: expected {types:?}, got {got:?}"));
    }
    same(
        "resource_name",
        field(case, "resource_name")?,
        id.name(),
        &mut diffs,
    );
    let parents: Vec<&str> = case["parents"]
        .as_array()
        .ok_or("vector has no array \"parents\"")?
        .iter()
        .map(|t| t.as_str().unwrap_or("<not a string>"))
        .collect();
    let got: Vec<&str> = id.parents().collect();
    if got != parents {
        diffs.push(format!("parents: expected {parents:?}, got {got:?}"));
    }
    // parent() agrees with parents(), and parsing the canonical string gives the same id.
    let first_parent = id.parent().map(|p| p.as_str().to_owned());
    if first_parent.as_deref() != parents.first().copied() {
        diffs.push(format!(
            "parent(): expected {:?}, got {first_parent:?}",
            parents.first()
        ));
    }
    match ResourceId::parse(id.as_str()) {
        Ok(again)
            if again.as_str() == id.as_str() && again.resource_type() == id.resource_type() => {}
        Ok(again) => diffs.push(format!("re-parsing the canonical form gave {again:?}")),
        Err(e) => diffs.push(format!("re-parsing the canonical form failed: {e}")),
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}
