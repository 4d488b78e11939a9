//! `ResourceId::parse` against a naive reference: Go's `arm.ParseResourceID` (azcore
//! v1.18.0, `docs/protocol.md` section 6) written as directly as Go writes it, with a
//! linked parent chain and string comparisons. Both must accept and reject the same
//! inputs and agree on the canonical string and every accessor; the canonical string
//! (and serde's form) must parse back to the same id.
#![no_main]

use std::rc::Rc;

use arn_client::model::ResourceId;
use libfuzzer_sys::fuzz_target;

const BUILTIN: &str = "Microsoft.Resources";

/// Go's `ResourceType`: a namespace and a `/`-joined type.
#[derive(Clone)]
struct Type {
    namespace: String,
    ty: String,
}

impl Type {
    fn new(namespace: &str, ty: &str) -> Self {
        Type {
            namespace: namespace.into(),
            ty: ty.into(),
        }
    }
    fn string(&self) -> String {
        format!("{}/{}", self.namespace, self.ty)
    }
    fn types(&self) -> Vec<&str> {
        self.ty.split('/').filter(|t| !t.is_empty()).collect()
    }
    fn last(&self) -> &str {
        self.types().last().copied().unwrap_or("")
    }
    fn is(&self, builtin: &str) -> bool {
        self.string() == format!("{BUILTIN}/{builtin}")
    }
}

/// Go's `ResourceID`.
struct Id {
    parent: Option<Rc<Id>>,
    rtype: Type,
    name: String,
    subscription: String,
    group: String,
    provider: String,
    location: String,
    string: String,
}

/// Go's `strings.EqualFold(a, keyword)` for a lower-case ASCII keyword: the only
/// non-ASCII letters that fold to ASCII ones are 'ſ' (to 's') and the Kelvin sign.
fn eq_fold(a: &str, keyword: &str) -> bool {
    a.chars().count() == keyword.chars().count()
        && a.chars().zip(keyword.chars()).all(|(c, k)| {
            c.to_ascii_lowercase() == k || (c == 'ſ' && k == 's') || (c == 'K' && k == 'k')
        })
}

fn root() -> Rc<Id> {
    Rc::new(Id {
        parent: None,
        rtype: Type::new(BUILTIN, "tenants"),
        name: String::new(),
        subscription: String::new(),
        group: String::new(),
        provider: String::new(),
        location: String::new(),
        string: String::new(),
    })
}

/// Go's `init`.
fn init(parent: &Rc<Id>, rtype: Type, name: &str, is_child: bool) -> Rc<Id> {
    let mut id = Id {
        parent: Some(Rc::clone(parent)),
        name: name.into(),
        subscription: parent.subscription.clone(),
        group: parent.group.clone(),
        provider: parent.provider.clone(),
        location: parent.location.clone(),
        string: parent.string.clone(),
        rtype,
    };
    if id.rtype.is("subscriptions") {
        id.subscription = name.into();
    }
    if id.rtype.last() == "locations" {
        id.location = name.into();
    }
    if id.rtype.is("resourceGroups") {
        id.group = name.into();
    }
    if id.rtype.is("providers") {
        id.provider = name.into();
    }
    if is_child {
        id.string += &format!("/{}", id.rtype.last());
        if !name.is_empty() {
            id.string += &format!("/{name}");
        }
    } else {
        id.string += &format!("/providers/{}/{}/{name}", id.rtype.namespace, id.rtype.ty);
    }
    Rc::new(id)
}

/// Go's `newResourceID` with `chooseResourceType`.
fn child(parent: &Rc<Id>, ty: &str, name: &str) -> Rc<Id> {
    let rtype = if eq_fold(ty, "resourcegroups") {
        Type::new(BUILTIN, "resourceGroups")
    } else if eq_fold(ty, "subscriptions") && parent.rtype.is("tenants") {
        Type::new(BUILTIN, "subscriptions")
    } else {
        Type::new(
            &parent.rtype.namespace,
            &format!("{}/{ty}", parent.rtype.ty),
        )
    };
    init(parent, rtype, name, true)
}

/// Go's recursive `appendNext`.
fn append_next(parent: Rc<Id>, parts: &[&str]) -> Option<Rc<Id>> {
    let providers = parts.first().is_some_and(|p| eq_fold(p, "providers"));
    match parts {
        [] => Some(parent),
        [ty] => {
            if eq_fold(ty, "subscriptions") || eq_fold(ty, "resourcegroups") {
                return None;
            }
            if parent.rtype.is("resourceGroups") {
                return None;
            }
            Some(child(&parent, ty, ""))
        }
        [_, ns, rest @ ..] if providers && rest.first().is_none_or(|p| eq_fold(p, "providers")) => {
            if !parent.rtype.is("subscriptions") && !parent.rtype.is("tenants") {
                return None;
            }
            let namespace = init(&parent, Type::new(BUILTIN, "providers"), ns, true);
            append_next(namespace, rest)
        }
        [_, ns, ty, name, rest @ ..] if providers => {
            append_next(init(&parent, Type::new(ns, ty), name, false), rest)
        }
        [ty, name, rest @ ..] if !providers => append_next(child(&parent, ty, name), rest),
        _ => None,
    }
}

/// Go's `ParseResourceID`.
fn reference(input: &str) -> Option<Rc<Id>> {
    if !input.starts_with('/') {
        return None;
    }
    let parts: Vec<&str> = input.split('/').filter(|s| !s.is_empty()).collect();
    if parts.len() < 2 || !(eq_fold(parts[0], "subscriptions") || eq_fold(parts[0], "providers")) {
        return None;
    }
    append_next(root(), &parts)
}

/// Everything the parsed id tells, as strings ("" for absent).
fn summary(id: &ResourceId) -> Vec<String> {
    let rt = id.resource_type();
    let mut out = vec![
        id.as_str().to_owned(),
        id.to_string(),
        id.subscription_id().unwrap_or("").to_owned(),
        id.resource_group_name().unwrap_or("").to_owned(),
        id.provider().unwrap_or("").to_owned(),
        id.location().unwrap_or("").to_owned(),
        rt.to_string(),
        rt.namespace().to_owned(),
        rt.types().collect::<Vec<_>>().join("|"),
        id.name().to_owned(),
        id.parent()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
    ];
    out.extend(id.parents().map(str::to_owned));
    out
}

/// The same, from the reference.
fn expected(id: &Id) -> Vec<String> {
    let mut parents = Vec::new();
    let mut at = id.parent.as_ref();
    while let Some(p) = at.filter(|p| p.parent.is_some()) {
        parents.push(p.string.clone());
        at = p.parent.as_ref();
    }
    let mut out = vec![
        id.string.clone(),
        id.string.clone(),
        id.subscription.clone(),
        id.group.clone(),
        id.provider.clone(),
        id.location.clone(),
        id.rtype.string(),
        id.rtype.namespace.clone(),
        id.rtype.types().join("|"),
        id.name.clone(),
        parents.first().cloned().unwrap_or_default(),
    ];
    out.extend(parents);
    out
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let parsed = ResourceId::parse(&input);
    match (&parsed, reference(&input)) {
        (Ok(id), Some(want)) => {
            assert_eq!(summary(id), expected(&want), "input {input:?}");
            let again = ResourceId::parse(id.as_str()).expect("the canonical string parses");
            assert_eq!(&again, id);
            assert_eq!(summary(&again), summary(id), "canonical {:?}", id.as_str());
            let json = serde_json::to_string(id).expect("serializes");
            assert_eq!(json, serde_json::to_string(id.as_str()).unwrap());
            let back: ResourceId = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(&back, id);
        }
        (Err(e), None) => assert_eq!(e.input(), input),
        (Ok(id), None) => panic!(
            "{input:?} parsed to {:?}; the reference refuses it",
            id.as_str()
        ),
        (Err(e), Some(want)) => {
            panic!(
                "{input:?} refused ({e}); the reference parses it to {:?}",
                want.string
            )
        }
    }
});
