//! Property tests of the ARM resource id parser (`docs/protocol.md` section 6): generated
//! valid ids parse to what an independent model of the grammar expects, the canonical
//! form parses back to the same id, and no string makes the parser panic.

use arn_client::model::{subject, ResourceId};
use proptest::prelude::*;

/// One step of a generated id below its root scope.
#[derive(Clone, Debug)]
enum Step {
    /// `providers/{namespace}`: only directly under a subscription or the tenant.
    Namespace(String),
    /// `providers/{namespace}/{type}/{name}`.
    Provider(String, String, String),
    /// `{type}/{name}`.
    Child(String, String),
}

#[derive(Clone, Debug)]
struct Generated {
    subscription: Option<String>,
    resource_group: Option<String>,
    steps: Vec<Step>,
    trailing: Option<String>,
}

/// Names are opaque: anything without '/', including keywords, spaces, '%', '?',
/// unicode.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._-]{1,12}",
        "[^/]{1,8}",
        Just("providers".to_owned()),
        Just("resourceGroups".to_owned()),
        Just("locations".to_owned()),
        Just("my rg%20?x=1#f".to_owned()),
        Just("\u{30ea}\u{30bd}\u{30fc}\u{30b9}-\u{1F680}".to_owned()),
    ]
}

/// Type segments: never a keyword the grammar treats specially, sometimes `locations`
/// (sets the location) or a case variant of it (does not).
fn ty() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z][a-zA-Z0-9]{0,10}".prop_filter("not a keyword", |t| {
            !["providers", "subscriptions", "resourcegroups"]
                .iter()
                .any(|k| t.eq_ignore_ascii_case(k))
        }),
        1 => Just("locations".to_owned()),
        1 => Just("Locations".to_owned()),
        1 => Just("\u{3a9}megas".to_owned()),
    ]
}

fn namespace() -> impl Strategy<Value = String> {
    "[A-Z][a-z]{1,8}\\.[A-Z][a-zA-Z]{1,10}"
        .prop_filter("not built in", |n| n != "Microsoft.Resources")
}

/// A resource: a provider resource followed by child resources.
fn resource() -> impl Strategy<Value = Vec<Step>> {
    (
        (namespace(), ty(), name()),
        prop::collection::vec((ty(), name()), 0..3),
    )
        .prop_map(|((ns, t, n), children)| {
            let mut steps = vec![Step::Provider(ns, t, n)];
            steps.extend(children.into_iter().map(|(t, n)| Step::Child(t, n)));
            steps
        })
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        prop::option::of(name()),
        prop::option::of(name()),
        prop::option::of(namespace()),
        prop::collection::vec(resource(), 0..4),
        prop::option::of(ty()),
    )
        .prop_filter_map(
            "needs at least one scope",
            |(sub, rg, ns, resources, trailing)| {
                // A resource group needs a subscription; a namespace goes only directly under
                // a subscription or the tenant; a trailing type not directly under a group.
                let rg = rg.filter(|_| sub.is_some());
                let ns = ns.filter(|_| rg.is_none());
                let mut steps: Vec<Step> = ns.into_iter().map(Step::Namespace).collect();
                steps.extend(resources.into_iter().flatten());
                let after_group = rg.is_some() && steps.is_empty();
                let after_namespace = matches!(steps.last(), Some(Step::Namespace(_)));
                let trailing = trailing.filter(|_| !after_group && !after_namespace);
                let empty = sub.is_none() && steps.is_empty();
                (!empty).then_some(Generated {
                    subscription: sub,
                    resource_group: rg,
                    steps,
                    trailing,
                })
            },
        )
}

/// What the parser must report for a generated id, computed from the model.
#[derive(Debug, PartialEq)]
struct Expected {
    canonical: String,
    subscription: Option<String>,
    resource_group: Option<String>,
    provider: Option<String>,
    location: Option<String>,
    resource_type: String,
    name: String,
    parents: usize,
}

impl Generated {
    fn expected(&self) -> Expected {
        let mut canonical = String::new();
        let mut levels = 0;
        let mut location = None;
        let mut provider = None;
        let (mut namespace, mut types) = (String::new(), Vec::new());
        let mut name = String::new();
        if let Some(s) = &self.subscription {
            canonical += &format!("/subscriptions/{s}");
            (namespace, types, name) = (
                "Microsoft.Resources".into(),
                vec!["subscriptions".to_owned()],
                s.clone(),
            );
            levels += 1;
        }
        if let Some(rg) = &self.resource_group {
            canonical += &format!("/resourceGroups/{rg}");
            (namespace, types, name) = (
                "Microsoft.Resources".into(),
                vec!["resourceGroups".to_owned()],
                rg.clone(),
            );
            levels += 1;
        }
        for step in &self.steps {
            levels += 1;
            match step {
                Step::Namespace(ns) => {
                    canonical += &format!("/providers/{ns}");
                    provider = Some(ns.clone());
                    (namespace, types, name) = (
                        "Microsoft.Resources".into(),
                        vec!["providers".to_owned()],
                        ns.clone(),
                    );
                }
                Step::Provider(ns, t, n) => {
                    canonical += &format!("/providers/{ns}/{t}/{n}");
                    (namespace, types, name) = (ns.clone(), vec![t.clone()], n.clone());
                    if t == "locations" {
                        location = Some(n.clone());
                    }
                }
                Step::Child(t, n) => {
                    canonical += &format!("/{t}/{n}");
                    types.push(t.clone());
                    name = n.clone();
                    if t == "locations" {
                        location = Some(n.clone());
                    }
                }
            }
        }
        if let Some(t) = &self.trailing {
            canonical += &format!("/{t}");
            types.push(t.clone());
            name = String::new();
            levels += 1;
            if t == "locations" {
                location = None;
            }
        }
        Expected {
            canonical,
            subscription: self.subscription.clone(),
            resource_group: self.resource_group.clone(),
            provider,
            location,
            resource_type: format!("{namespace}/{}", types.join("/")),
            name,
            parents: levels - 1,
        }
    }

    /// The id as a caller might write it: keywords in any case, runs of slashes.
    fn spelled(&self, cases: &[bool], slashes: &[usize]) -> String {
        let mut i = 0;
        let mut next = || {
            i += 1;
            (cases[i % cases.len()], slashes[i % slashes.len()])
        };
        let mut out = String::new();
        let mut push = |segment: &str, keyword: bool, out: &mut String| {
            let (upper, n) = next();
            out.push_str(&"/".repeat(n));
            if keyword && upper {
                out.push_str(&segment.to_uppercase());
            } else {
                out.push_str(segment);
            }
        };
        if let Some(s) = &self.subscription {
            push("subscriptions", true, &mut out);
            push(s, false, &mut out);
        }
        if let Some(rg) = &self.resource_group {
            push("resourceGroups", true, &mut out);
            push(rg, false, &mut out);
        }
        for step in &self.steps {
            match step {
                Step::Namespace(ns) => {
                    push("providers", true, &mut out);
                    push(ns, false, &mut out);
                }
                Step::Provider(ns, t, n) => {
                    push("providers", true, &mut out);
                    push(ns, false, &mut out);
                    push(t, false, &mut out);
                    push(n, false, &mut out);
                }
                Step::Child(t, n) => {
                    push(t, false, &mut out);
                    push(n, false, &mut out);
                }
            }
        }
        if let Some(t) = &self.trailing {
            push(t, false, &mut out);
        }
        let (_, n) = next();
        out.push_str(&"/".repeat(n - 1));
        out
    }
}

fn observed(id: &ResourceId) -> Expected {
    Expected {
        canonical: id.as_str().to_owned(),
        subscription: id.subscription_id().map(str::to_owned),
        resource_group: id.resource_group_name().map(str::to_owned),
        provider: id.provider().map(str::to_owned),
        location: id.location().map(str::to_owned),
        resource_type: id.resource_type().to_string(),
        name: id.name().to_owned(),
        parents: id.parents().count(),
    }
}

/// Everything observable about an id, for comparing two parses.
fn snapshot(id: &ResourceId) -> (Expected, Vec<String>, Vec<String>) {
    (
        observed(id),
        id.parents().map(str::to_owned).collect(),
        id.resource_type().types().map(str::to_owned).collect(),
    )
}

/// Strings made of the grammar's own vocabulary, to reach every rule and error.
fn vocabulary_string() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just(""),
        Just("subscriptions"),
        Just("SUBSCRIPTIONS"),
        Just("resourceGroups"),
        Just("resourcegroups"),
        Just("providers"),
        Just("Providers"),
        Just("locations"),
        Just("Locations"),
        Just("Microsoft.Resources"),
        Just("tenants"),
        Just("x"),
        Just("\u{e9}"),
        Just("\u{1F680}"),
        Just(" "),
        Just("%2F"),
        Just("provider\u{17F}"),
        Just("\u{17F}ubscriptions"),
    ];
    (any::<bool>(), prop::collection::vec(word, 0..12)).prop_map(|(lead, words)| {
        let body = words.join("/");
        if lead {
            format!("/{body}")
        } else {
            body
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_ids_parse_as_the_model_says(
        g in generated(),
        cases in prop::collection::vec(any::<bool>(), 1..8),
        slashes in prop::collection::vec(1usize..4, 1..8),
    ) {
        let expected = g.expected();
        let input = g.spelled(&cases, &slashes);
        let id = ResourceId::parse(&input).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(observed(&id), expected, "input {:?}", input);
        // Display and the canonical form round-trip.
        let again = ResourceId::parse(&format!("{id}")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(snapshot(&again), snapshot(&id));
        prop_assert_eq!(&again, &id);
        // Each parent parses to the id `parent()` returns.
        let mut parent = id.parent();
        for p in id.parents() {
            let owned = parent.take().ok_or_else(|| TestCaseError::fail("parent() ended early"))?;
            prop_assert_eq!(owned.as_str(), p);
            let parsed = ResourceId::parse(p).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(snapshot(&parsed), snapshot(&owned));
            parent = owned.parent();
        }
        prop_assert!(parent.is_none());
        // The subject of an id and its parent is the parent.
        if let Some(p) = id.parent() {
            prop_assert_eq!(subject([&id, &p]), p.as_str());
        }
        prop_assert_eq!(subject([&id, &again]), id.as_str());
    }

    #[test]
    fn vocabulary_strings_never_panic_and_round_trip(s in vocabulary_string()) {
        if let Ok(id) = ResourceId::parse(&s) {
            let again = ResourceId::parse(id.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(snapshot(&again), snapshot(&id));
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        if let Ok(id) = ResourceId::parse(&s) {
            let again = ResourceId::parse(id.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(snapshot(&again), snapshot(&id));
        }
    }

    #[test]
    fn slashy_strings_never_panic(s in "[/a-zA-Z\u{e9}\u{1F680} ]{0,64}") {
        if let Ok(id) = ResourceId::parse(&s) {
            let again = ResourceId::parse(id.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(snapshot(&again), snapshot(&id));
        }
    }
}
