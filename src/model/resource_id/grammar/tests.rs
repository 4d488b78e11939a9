//! Unit tests of the grammar (a sibling file: the grammar module is big enough).

use super::*;
use crate::model::ResourceId;

const S: &str = "/subscriptions/00000000-0000-0000-0000-000000000000";

fn id(s: &str) -> ResourceId {
    ResourceId::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn kind(s: &str) -> ResourceIdErrorKind {
    ResourceId::parse(s).unwrap_err().kind()
}

#[test]
fn keyword_words_match_a_byte_comparison() {
    // Every ASCII byte at every position of each keyword, in every case mix of it.
    for keyword in ["subscriptions", "resourcegroups", "providers"] {
        for at in 0..keyword.len() {
            for c in 0..=127u8 {
                for upper in [false, true] {
                    let mut a = keyword.as_bytes().to_vec();
                    if upper {
                        a.make_ascii_uppercase();
                    }
                    a[at] = c;
                    let a = std::str::from_utf8(&a).expect("ASCII");
                    assert_eq!(
                        eq_ic(a, keyword),
                        a.eq_ignore_ascii_case(keyword),
                        "{a:?} against {keyword:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn keywords_fold_like_go_equal_fold() {
    assert!(eq_ic("SUBSCRIPTIONS", "subscriptions"));
    assert!(eq_ic("\u{17F}ub\u{17F}criptions", "subscriptions"));
    assert!(eq_ic("PROVIDER\u{17F}", "providers"));
    assert!(eq_ic("\u{212A}", "k"));
    assert!(
        !eq_ic("\u{131}", "i"),
        "dotless i has no simple folding to i"
    );
    assert!(!eq_ic("subscription", "subscriptions"));
    assert!(!eq_ic("subscriptionss", "subscriptions"));
    assert!(!eq_ic("\u{17F}ubscriptionsx", "subscriptions"));
    assert!(!eq_ic("\u{e9}ubscriptions", "subscriptions"));
    // In an id: the keyword is recognised and normalised.
    let i = id("/\u{17F}ubscriptions/s/resourceGroup\u{17F}/rg/provider\u{17F}/A.B/t/n");
    assert_eq!(
        i.as_str(),
        "/subscriptions/s/resourceGroups/rg/providers/A.B/t/n"
    );
    assert_eq!(i.resource_group_name(), Some("rg"));
}

#[test]
fn empty_segments_are_dropped_before_the_grammar() {
    // `/subscriptions//resourceGroups/x`: subscription "resourceGroups", then a
    // trailing child type "x" (docs/protocol.md section 6).
    let i = id("/subscriptions//resourceGroups/x");
    assert_eq!(i.as_str(), "/subscriptions/resourceGroups/x");
    assert_eq!(i.subscription_id(), Some("resourceGroups"));
    assert_eq!(i.name(), "");
    assert_eq!(
        i.resource_type().to_string(),
        "Microsoft.Resources/subscriptions/x"
    );
}

#[test]
fn trailing_types() {
    let i = id(&format!(
        "{S}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/"
    ));
    assert_eq!(i.name(), "");
    assert_eq!(
        i.resource_type().types().collect::<Vec<_>>(),
        ["virtualNetworks", "subnets"]
    );
    assert_eq!(
        i.parents().next(),
        Some(&i.as_str()[..i.as_str().len() - 8])
    );
    assert_eq!(
        id(&format!("{S}/providers")).resource_type().to_string(),
        "Microsoft.Resources/subscriptions/providers"
    );
    // Not directly under a resource group, never `subscriptions`/`resourceGroups`.
    assert_eq!(
        kind(&format!("{S}/resourceGroups/rg/foo")),
        ResourceIdErrorKind::TypeUnderResourceGroup
    );
    let vm = format!("{S}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm");
    assert_eq!(
        kind(&format!("{vm}/Subscriptions")),
        ResourceIdErrorKind::MissingName
    );
    assert_eq!(
        kind(&format!("{vm}/resourcegroups")),
        ResourceIdErrorKind::MissingName
    );
    // A trailing `locations` sets an empty location, hiding an inherited one.
    let loc = id(&format!("{S}/locations/eastus/foo/bar/locations"));
    assert_eq!(loc.location(), None);
    assert_eq!(loc.parent().unwrap().location(), Some("eastus"));
}

#[test]
fn resource_groups_under_any_parent_but_subscriptions_only_at_the_root() {
    let i = id("/providers/Microsoft.Management/managementGroups/mg1/resourceGroups/rg1");
    assert_eq!(i.resource_group_name(), Some("rg1"));
    assert_eq!(i.subscription_id(), None);
    assert_eq!(
        i.resource_type().to_string(),
        "Microsoft.Resources/resourceGroups"
    );
    let i = id(&format!("{S}/resourceGroups/rg1/SUBSCRIPTIONS/s2"));
    assert_eq!(
        i.as_str(),
        format!("{S}/resourceGroups/rg1/SUBSCRIPTIONS/s2")
    );
    assert_eq!(
        i.subscription_id(),
        Some("00000000-0000-0000-0000-000000000000")
    );
    assert_eq!(
        i.resource_type().types().collect::<Vec<_>>(),
        ["resourceGroups", "SUBSCRIPTIONS"]
    );
    let i = id("/PROVIDERS/Microsoft.Management/managementGroups/mg1/ResourceGroups/rg1");
    assert_eq!(
        i.as_str(),
        "/providers/Microsoft.Management/managementGroups/mg1/resourceGroups/rg1"
    );
}

#[test]
fn locations_lower_case_only() {
    let i = id(&format!(
        "{S}/providers/Microsoft.Compute/locations/eastus/operations/op"
    ));
    assert_eq!(i.location(), Some("eastus"));
    assert_eq!(id(&format!("{S}/LOCATIONS/eastus")).location(), None);
    assert_eq!(
        id(&format!("{S}/providers/Microsoft.Compute/Locations/eastus")).location(),
        None
    );
}

#[test]
fn provider_namespaces() {
    let i = id(&format!("{S}/Providers/Microsoft.Insights"));
    assert_eq!(i.as_str(), format!("{S}/providers/Microsoft.Insights"));
    assert_eq!(i.provider(), Some("Microsoft.Insights"));
    assert_eq!(i.name(), "Microsoft.Insights");
    assert_eq!(
        i.resource_type().to_string(),
        "Microsoft.Resources/providers"
    );
    let ext = id(&format!(
        "{S}/providers/Microsoft.Insights/providers/Microsoft.Compute/virtualMachines/vm"
    ));
    assert_eq!(ext.provider(), Some("Microsoft.Insights"));
    assert_eq!(
        ext.resource_type().to_string(),
        "Microsoft.Compute/virtualMachines"
    );
    // Only under a subscription or the tenant.
    assert_eq!(
        kind(&format!(
            "{S}/resourceGroups/rg/providers/Microsoft.Compute"
        )),
        ResourceIdErrorKind::MisplacedNamespace
    );
    assert_eq!(
        kind("/providers/Microsoft.Compute/providers/Microsoft.Network"),
        ResourceIdErrorKind::MisplacedNamespace
    );
    assert_eq!(
        kind(&format!("{S}/providers/Microsoft.Compute/virtualMachines")),
        ResourceIdErrorKind::IncompleteProvider
    );
}

#[test]
fn built_in_types_spelled_as_provider_resources() {
    // Go compares type strings, so `Microsoft.Resources/{type}` written as a provider
    // resource behaves as the built-in type.
    let rg = id(&format!(
        "{S}/providers/Microsoft.Resources/resourceGroups/rg"
    ));
    assert_eq!(rg.resource_group_name(), Some("rg"));
    assert_eq!(
        kind(&format!("{}/x", rg.as_str())),
        ResourceIdErrorKind::TypeUnderResourceGroup
    );
    let t = id("/providers/Microsoft.Resources/tenants/t1/subscriptions/s1/providers/P.Q");
    assert_eq!(t.subscription_id(), Some("s1"));
    assert_eq!(t.provider(), Some("P.Q"));
    // Exact case only.
    let other = id(&format!(
        "{S}/providers/microsoft.resources/resourceGroups/rg"
    ));
    assert_eq!(other.resource_group_name(), None);
}

#[test]
fn names_are_opaque() {
    let i = id(&format!(
        "{S}/resourceGroups/my%20rg?x=1#f/providers/A.B/c/\u{1F680} \u{e9}"
    ));
    assert_eq!(i.resource_group_name(), Some("my%20rg?x=1#f"));
    assert_eq!(i.name(), "\u{1F680} \u{e9}");
}

#[test]
fn deep_ids_grow_past_the_initial_capacity() {
    let mut s = format!("{S}/resourceGroups/rg/providers/Microsoft.Foo/r/r0");
    for i in 0..40 {
        s.push_str(&format!("/c{i}/n{i}"));
    }
    let i = id(&s);
    assert_eq!(i.name(), "n39");
    assert_eq!(i.resource_type().types().count(), 41);
    assert_eq!(i.parents().count(), 42);
}
