//! Unit tests of `ResourceId` (a sibling file, as for the grammar).

use super::*;
use crate::error::ResourceIdErrorKind;

const S: &str = "/subscriptions/00000000-0000-0000-0000-000000000000";
const SUB: &str = "00000000-0000-0000-0000-000000000000";

fn id(s: &str) -> ResourceId {
    ResourceId::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn aks_node_accessors() {
    let s = format!(
        "{S}/resourceGroups/test/providers/Microsoft.ContainerService/managedClusters/c/nodes/n1"
    );
    let id = id(&s);
    assert_eq!(id.as_str(), s);
    assert_eq!(id.to_string(), s);
    assert_eq!(id.subscription_id(), Some(SUB));
    assert_eq!(id.resource_group_name(), Some("test"));
    assert_eq!(id.provider(), None);
    assert_eq!(id.location(), None);
    assert_eq!(id.name(), "n1");
    let t = id.resource_type();
    assert_eq!(t.namespace(), "Microsoft.ContainerService");
    assert_eq!(t.types().collect::<Vec<_>>(), ["managedClusters", "nodes"]);
    assert_eq!(
        t.to_string(),
        "Microsoft.ContainerService/managedClusters/nodes"
    );
}

#[test]
fn parents_nearest_first_without_the_tenant_root() {
    let id = id(&format!(
        "{S}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a"
    ));
    let parents: Vec<&str> = id.parents().collect();
    assert_eq!(
        parents,
        [
            format!("{S}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"),
            format!("{S}/resourceGroups/rg"),
            S.to_owned(),
        ]
    );
    assert_eq!(id.parents().len(), 3);
    let parent = id.parent().unwrap();
    assert_eq!(parent.as_str(), parents[0]);
    assert_eq!(
        parent.resource_type().to_string(),
        "Microsoft.Network/virtualNetworks"
    );
    assert_eq!(parent.name(), "v");
    assert_eq!(parent.resource_group_name(), Some("rg"));
    let grandparent = parent.parent().unwrap();
    assert_eq!(
        grandparent,
        ResourceId::parse(&format!("{S}/resourceGroups/rg")).unwrap()
    );
    let subscription = grandparent.parent().unwrap();
    assert_eq!(subscription.as_str(), S);
    assert_eq!(subscription.parent(), None);
    assert_eq!(subscription.parents().next(), None);
}

#[test]
fn errors_carry_input_and_reason() {
    use ResourceIdErrorKind as K;
    let cases = [
        ("", K::Empty),
        ("subscriptions/x", K::NoLeadingSlash),
        ("/", K::TooShort),
        ("/subscriptions", K::TooShort),
        ("/myRg/x", K::BadFirstSegment),
        ("/subscriptions/s/resourceGroups", K::MissingName),
        (
            "/subscriptions/s/resourceGroups/rg/x",
            K::TypeUnderResourceGroup,
        ),
        (
            "/providers/P.Q/t/n/providers/Other.Ns",
            K::MisplacedNamespace,
        ),
        ("/providers/P.Q/t", K::IncompleteProvider),
    ];
    for (input, kind) in cases {
        let e = ResourceId::parse(input).unwrap_err();
        assert_eq!((e.input(), e.kind()), (input, kind));
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("invalid ARM resource id {input:?}: ")),
            "{text}"
        );
        assert!(text.ends_with(&kind.to_string()), "{text}");
    }
}

#[test]
fn equality_and_hash_use_the_canonical_form() {
    use std::collections::HashSet;
    let a = id(&format!("{S}/resourceGroups/rg"));
    let b = id(&format!("/{S}/RESOURCEGROUPS//rg/"));
    let c = id(&format!("{S}/resourceGroups/RG"));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let set: HashSet<ResourceId> = [a.clone(), b, c].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert!(set.contains(&a));
    assert!(set.contains(format!("{S}/resourceGroups/RG").as_str()));
    assert_eq!(format!("{a:?}"), format!("ResourceId({:?})", a.as_str()));
    assert_eq!(a.as_str().parse::<ResourceId>().unwrap(), a);
    assert_eq!(ResourceId::try_from(a.as_str()).unwrap(), a);
}

#[test]
fn serde_uses_the_canonical_string() {
    let a = id(&format!("{S}//resourcegroups/rg/"));
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(json, format!("\"{S}/resourceGroups/rg\""));
    let back: ResourceId = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    assert_eq!(back.resource_group_name(), Some("rg"));
    let owned: ResourceId = serde_json::from_value(serde_json::json!(S)).unwrap();
    assert_eq!(owned.as_str(), S);
    let err = serde_json::from_str::<ResourceId>("\"/nope\"").unwrap_err();
    assert!(err.to_string().contains("invalid ARM resource id"), "{err}");
    assert!(serde_json::from_str::<ResourceId>("42").is_err());
}

#[test]
fn resource_id_error_is_usable_as_crate_error() {
    let e: crate::Error = ResourceId::parse("x").unwrap_err().into();
    assert!(matches!(e, crate::Error::ResourceId(_)));
}

#[test]
fn odd_inputs_never_panic() {
    for s in [
        "/\u{e9}/\u{1F680}",
        "/subscriptions/\u{1F680}/resourceGroups",
        "//////",
        "/providers/\u{10FFFF}",
        "/subscriptions/s/providers/a/b/c/d/e",
        "/ /",
        "/subscriptions/s/providers/\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}/t/n",
    ] {
        if let Ok(id) = ResourceId::parse(s) {
            let _ = (id.name(), id.location(), id.parents().count(), id.parent());
            let _ = id.resource_type().to_string();
        }
    }
}

#[test]
fn types_of_near_miss_ids_are_the_right_ones() {
    // Near misses of each other, parsed one after the other: a longer or shorter
    // chain, a type that is a prefix of another, a namespace that is a prefix of
    // another, case differences.
    let cases = [
        ("/providers/A.B/t/n", "A.B/t"),
        ("/providers/A.B/t/n/u/m", "A.B/t/u"),
        ("/providers/A.B/t/n/u", "A.B/t/u"),
        ("/providers/A.B/tt/n", "A.B/tt"),
        ("/providers/A.B/t/n", "A.B/t"),
        ("/providers/A.Bc/t/n", "A.Bc/t"),
        ("/providers/A.B/t/n", "A.B/t"),
        ("/providers/A.B/T/n", "A.B/T"),
        ("/providers/A.B/t/n/t/m", "A.B/t/t"),
        ("/providers/A.B.t/n/x", "A.B.t/n"),
        ("/subscriptions/s", "Microsoft.Resources/subscriptions"),
        (
            "/subscriptions/s/resourceGroups/rg",
            "Microsoft.Resources/resourceGroups",
        ),
        ("/providers/A.B/t/n", "A.B/t"),
    ];
    for round in 0..2 {
        for (input, want) in cases.iter().skip(round) {
            let id = id(input);
            let t = id.resource_type();
            assert_eq!(t.to_string(), *want, "{input}");
            let (ns, types) = want.split_once('/').unwrap();
            assert_eq!(t.namespace(), ns, "{input}");
            assert_eq!(t.types().collect::<Vec<_>>().join("/"), types, "{input}");
        }
    }
}

#[test]
fn resource_type_debug_lists_namespace_and_types() {
    let id = id("/providers/A.B/t/n/u/m");
    assert_eq!(
        format!("{:?}", id.resource_type()),
        r#"ResourceType { namespace: "A.B", types: ["t", "u"] }"#
    );
}
