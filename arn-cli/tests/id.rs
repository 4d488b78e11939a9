//! `arn id`: parts and canonical form of ARM ids, and their subject, checked against
//! the library's conformance vectors (produced by the reference implementation).

mod common;

use common::{arn, exits, text};

#[test]
fn parts_canonical_form_and_errors() {
    let n1 = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/n1";
    let (stdout, _) = exits(arn().args(["id", n1]), 0);
    let canonical = n1.replace("resourcegroups", "resourceGroups");
    for want in [
        format!("  canonical:      {canonical}"),
        "  subscription:   s".to_string(),
        "  resource group: rg".to_string(),
        "  namespace:      Microsoft.ContainerService".to_string(),
        "  type:           Microsoft.ContainerService/managedClusters/nodes".to_string(),
        "  name:           n1".to_string(),
        "  parents:        /subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc".to_string(),
        format!("subject: {canonical}"),
    ] {
        assert!(stdout.lines().any(|l| l == want), "{want:?} missing in\n{stdout}");
    }

    let (stdout, _) = exits(arn().args(["id", n1, "/subscriptions/s/resourceGroups"]), 1);
    assert!(
        stdout.contains("/subscriptions/s/resourceGroups\n  error: "),
        "{stdout}"
    );
    assert!(!stdout.contains("subject:"), "{stdout}");
}

#[test]
fn subjects_match_the_conformance_vectors() {
    let vectors: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/subjects.json"
    )))
    .unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() > 10);
    for case in cases {
        let ids: Vec<&str> = case["resource_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let out = arn()
            .args(["id", "--format", "json", "--"])
            .args(&ids)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            case["name"],
            text(&out.stdout)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["subject"], case["subject"], "{}", case["name"]);
        assert_eq!(report["ids"].as_array().unwrap().len(), ids.len());
    }
}
