//! `arn id`: ARM resource ids parsed as the Azure SDKs parse them: the canonical form,
//! the parts, and the subject (the deepest scope shared) of several ids.

use arn_client::model::{subject, ResourceId};
use serde_json::json;

use crate::validate::Format;
use crate::{EXIT_FAILED, EXIT_OK};

/// Parse ARM resource ids: canonical form and parts, and the subject of them all
/// (the deepest scope they share), as an event about them would carry.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// ARM resource ids, e.g. /subscriptions/SUB/resourceGroups/RG.
    #[arg(required = true)]
    ids: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `arn id`; returns the exit status (1 if any id does not parse).
pub fn run(args: &Args) -> u8 {
    let parsed: Vec<Result<ResourceId, String>> = args
        .ids
        .iter()
        .map(|s| ResourceId::parse(s).map_err(|e| e.to_string()))
        .collect();
    let good: Vec<&ResourceId> = parsed.iter().filter_map(|r| r.as_ref().ok()).collect();
    let all_good = good.len() == parsed.len();
    let subject = all_good.then(|| subject(good.iter().copied()).into_owned());
    match args.format {
        Format::Text => print_text(&args.ids, &parsed, subject.as_deref()),
        Format::Json => println!("{}", to_json(&args.ids, &parsed, subject.as_deref())),
    }
    if all_good {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// The parts of one id, as (label, value) pairs; an absent part is empty.
fn parts(id: &ResourceId) -> Vec<(&'static str, String)> {
    let opt = |v: Option<&str>| v.unwrap_or_default().to_string();
    let parents: Vec<String> = id.parents().map(str::to_string).collect();
    vec![
        ("canonical", id.as_str().to_string()),
        ("subscription", opt(id.subscription_id())),
        ("resource group", opt(id.resource_group_name())),
        ("provider", opt(id.provider())),
        ("namespace", id.resource_type().namespace().to_string()),
        ("type", id.resource_type().to_string()),
        ("name", id.name().to_string()),
        ("location", opt(id.location())),
        ("parents", parents.join("\n                  ")),
    ]
}

fn print_text(inputs: &[String], parsed: &[Result<ResourceId, String>], subject: Option<&str>) {
    for (input, result) in inputs.iter().zip(parsed) {
        match result {
            Ok(id) => {
                println!("{input}");
                for (label, value) in parts(id) {
                    let value = if value.is_empty() { "-" } else { &value };
                    println!("  {:<15} {value}", format!("{label}:"));
                }
            }
            Err(e) => println!("{input}\n  error: {e}"),
        }
    }
    if let Some(subject) = subject {
        println!(
            "subject: {}",
            if subject.is_empty() { "-" } else { subject }
        );
    }
}

fn to_json(
    inputs: &[String],
    parsed: &[Result<ResourceId, String>],
    subject: Option<&str>,
) -> serde_json::Value {
    let ids: Vec<_> = inputs
        .iter()
        .zip(parsed)
        .map(|(input, result)| match result {
            Ok(id) => json!({
                "input": input,
                "ok": true,
                "canonical": id.as_str(),
                "subscription_id": id.subscription_id().unwrap_or(""),
                "resource_group_name": id.resource_group_name().unwrap_or(""),
                "provider": id.provider().unwrap_or(""),
                "resource_type": id.resource_type().to_string(),
                "namespace": id.resource_type().namespace(),
                "types": id.resource_type().types().collect::<Vec<_>>(),
                "resource_name": id.name(),
                "location": id.location().unwrap_or(""),
                "parents": id.parents().map(str::to_string).collect::<Vec<_>>(),
            }),
            Err(e) => json!({ "input": input, "ok": false, "error": e }),
        })
        .collect();
    json!({ "ids": ids, "subject": subject })
}
