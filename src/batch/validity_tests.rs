//! A batch is sent without validating its notification again (`Validation::Done`):
//! every rule of `Notification::validate` must hold for it by what publish validated
//! (each change alone in its context) and by the group key (what the changes of one
//! notification share). These tests say how each rule is kept, and fail if one is not.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use time::macros::datetime;

use super::change::validate;
use super::entry::{GroupKey, Limits, Options, PublisherShared};
use super::ChangeContext;
use crate::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationContext, NotificationResource,
    ResourceId, Rule, MAX_BATCH_SIZE,
};

/// Every rule (a new one must be added here and to [`kept`]).
const RULES: [Rule; 14] = [
    Rule::BatchSize,
    Rule::ResourceIdMissing,
    Rule::PropertiesMissing,
    Rule::MixedResourceTypes,
    Rule::ApiVersionMissing,
    Rule::ApiVersionMismatch,
    Rule::TenantMismatch,
    Rule::ChangeActionInvalid,
    Rule::ActivityInvalid,
    Rule::DataBoundaryInvalid,
    Rule::ArmIdMissing,
    Rule::ReservedBatchProperty,
    Rule::TimeOutOfRange,
    Rule::EnvelopeInvalid,
];

/// How a batch keeps a rule without being validated again.
#[allow(clippy::large_enum_variant)] // a few examples in a test
enum Kept {
    /// A rule about one resource and its context: publish refuses a change that breaks
    /// it, like this one (`None`: no value can break it, see [`kept`]).
    AtPublish(Option<(ChangeContext, NotificationResource)>),
    /// A rule across resources: these two changes, each valid in the context, break it
    /// together, and their group keys differ.
    ByGroup(ChangeContext, NotificationResource, NotificationResource),
    /// A batch holds at most its publisher's `max_batch`, at most `MAX_BATCH_SIZE`.
    ByLimits,
    /// A context has no batch properties.
    ByContext,
    /// Not a rule `Notification::validate` checks (a value cannot break it, or only a
    /// received event can).
    NotValidated,
}

/// The notification of `resources` in `context`, as a batch's is built.
fn in_context(context: &NotificationContext, resources: Vec<NotificationResource>) -> Notification {
    Notification::in_context(context.clone(), resources)
}

fn node(name: &str, api_version: &str) -> NotificationResource {
    resource("nodes", name, api_version)
}

fn resource(kind: &str, name: &str, api_version: &str) -> NotificationResource {
    let id: ResourceId = format!(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/{kind}/{name}"
    )
    .parse()
    .unwrap();
    let arm = ArmResource::new(Activity::Snapshot, &id, api_version, &1).unwrap();
    NotificationResource::new(arm, ChangeAction::Update)
}

fn context() -> ChangeContext {
    ChangeContext::new("eastus", "Microsoft.ContainerService")
}

/// How `rule` is kept; an example of breaking it where one can.
fn kept(rule: Rule) -> Vec<Kept> {
    let at_publish = |ctx, r| vec![Kept::AtPublish(Some((ctx, r)))];
    let pinned = || context().with_api_version("2024-01-01");
    match rule {
        Rule::BatchSize => vec![Kept::ByLimits],
        Rule::ResourceIdMissing => at_publish(context(), node("a", "v").with_resource_id("")),
        // `ArmResource`'s constructors refuse an id with an empty canonical string,
        // which `ResourceId::parse` never makes anyway.
        Rule::ArmIdMissing => vec![Kept::AtPublish(None)],
        Rule::MixedResourceTypes => vec![Kept::ByGroup(
            context(),
            node("a", "v"),
            resource("agentPools", "p", "v"),
        )],
        Rule::ApiVersionMissing => at_publish(context(), node("a", "")),
        Rule::ApiVersionMismatch => vec![
            // Against the notification's, and the override against the ARM resource's.
            Kept::AtPublish(Some((pinned(), node("a", "2023-01-01")))),
            Kept::AtPublish(Some((context(), node("a", "v").with_api_version("w")))),
            // Across resources, and between an override and a resource without one.
            Kept::ByGroup(context(), node("a", "v"), node("b", "w")),
            Kept::ByGroup(
                pinned(),
                node("a", ""),
                node("b", "2024-01-01").with_api_version("2024-01-01"),
            ),
        ],
        Rule::TenantMismatch => vec![
            Kept::AtPublish(Some((context(), node("a", "v").with_home_tenant_id("t")))),
            Kept::AtPublish(Some((
                context().with_resource_home_tenant_id("t"),
                node("a", "v"),
            ))),
        ],
        Rule::TimeOutOfRange => at_publish(
            context(),
            node("a", "v").with_modified_time(datetime!(-0001-01-01 00:00 UTC)),
        ),
        Rule::ReservedBatchProperty => vec![Kept::ByContext],
        Rule::PropertiesMissing
        | Rule::ChangeActionInvalid
        | Rule::ActivityInvalid
        | Rule::DataBoundaryInvalid
        | Rule::EnvelopeInvalid => vec![Kept::NotValidated],
    }
}

fn publisher() -> Arc<PublisherShared> {
    let (tx, _rx) = crossbeam_channel::bounded(1);
    let options = Options {
        limits: Limits {
            max_resources: MAX_BATCH_SIZE,
            max_bytes: None,
        },
        linger: Duration::ZERO,
        coalesce: true,
        inline_batches: false,
        errors_capacity: 1,
    };
    Arc::new(PublisherShared::new(options, tx, None))
}

#[test]
fn every_rule_holds_in_a_batch_without_validating_it_again() {
    let p = publisher();
    for rule in RULES {
        for how in kept(rule) {
            match how {
                Kept::AtPublish(Some((ctx, r))) => {
                    // Publish refuses it (`Publisher::check`); so would the batch.
                    assert_eq!(validate(&ctx, &r).unwrap_err().rule, rule);
                    let n = in_context(&ctx, vec![r]);
                    assert_eq!(n.validate().unwrap_err().rule, rule);
                }
                Kept::AtPublish(None) | Kept::NotValidated => {}
                Kept::ByGroup(ctx, a, b) => {
                    validate(&ctx, &a).unwrap();
                    validate(&ctx, &b).unwrap();
                    let ctx = Arc::new(ctx);
                    let n = in_context(&ctx, vec![a.clone(), b.clone()]);
                    assert_eq!(n.validate().unwrap_err().rule, rule, "{a:?} {b:?}");
                    let (ka, kb) = (
                        GroupKey::of(&p, Arc::clone(&ctx), &a),
                        GroupKey::of(&p, Arc::clone(&ctx), &b),
                    );
                    assert_ne!(ka, kb, "{rule} needs them in different batches");
                }
                Kept::ByLimits => {
                    // The builder refuses a larger `max_batch` (the publisher's tests)
                    // and a cut stops at it (`scheduler::take`).
                    let n = in_context(&context(), vec![node("a", "v"); MAX_BATCH_SIZE + 1]);
                    assert_eq!(n.validate().unwrap_err().rule, rule);
                    in_context(&context(), vec![node("a", "v"); MAX_BATCH_SIZE])
                        .validate()
                        .unwrap();
                }
                Kept::ByContext => {
                    let n = in_context(&context(), vec![node("a", "v")]);
                    assert!(n.additional_batch_properties.is_empty());
                }
            }
        }
    }
}

/// Changes that differ in every field a rule reads (types, activities, API versions
/// and overrides, tenants, contexts equal or not, in distinct `Arc`s), each alone in
/// its context or not.
fn sample() -> Vec<(Arc<ChangeContext>, NotificationResource)> {
    let contexts = [
        context(),
        context(), // equal to the first, another Arc
        context().with_api_version("2024-01-01"),
        context().with_home_tenant_id("t"),
        context()
            .with_home_tenant_id("t")
            .with_resource_home_tenant_id("r")
            .with_api_version("2024-01-01"),
    ];
    let mut resources = Vec::new();
    for (kind, name) in [("nodes", "a"), ("NODES", "b"), ("agentPools", "p")] {
        for activity in [Activity::Snapshot, Activity::Write] {
            for (api, over) in [
                ("2024-01-01", None),
                ("2023-01-01", None),
                ("", None),
                ("2024-01-01", Some("2024-01-01")),
                ("", Some("2024-01-01")),
                ("2024-01-01", Some("")),
            ] {
                for (home, resource_home) in [("", ""), ("t", ""), ("t", "r")] {
                    let id: ResourceId = format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/{kind}/{name}").parse().unwrap();
                    let arm = ArmResource::new(activity, &id, api, &1).unwrap();
                    let mut r = NotificationResource::new(arm, ChangeAction::Update)
                        .with_home_tenant_id(home)
                        .with_resource_home_tenant_id(resource_home);
                    if let Some(v) = over {
                        r = r.with_api_version(v);
                    }
                    resources.push(r);
                }
            }
        }
    }
    let mut changes = Vec::new();
    for ctx in contexts {
        let ctx = Arc::new(ctx);
        for r in &resources {
            changes.push((Arc::clone(&ctx), r.clone()));
        }
    }
    changes
}

/// The lemma the batch path rests on: changes each valid in its context, under one
/// group key, make a valid notification in the first one's context, whatever their
/// order. And the sample is one where the key matters: valid changes under different
/// keys break each rule across resources.
#[test]
fn valid_changes_under_one_group_key_make_a_valid_notification() {
    let p = publisher();
    let valid: Vec<_> = sample()
        .into_iter()
        .filter(|(ctx, r)| validate(ctx, r).is_ok())
        .map(|(ctx, r)| (GroupKey::of(&p, Arc::clone(&ctx), &r), ctx, r))
        .collect();
    let mut groups: HashMap<&GroupKey, Vec<usize>> = HashMap::new();
    for (i, (key, _, _)) in valid.iter().enumerate() {
        groups.entry(key).or_default().push(i);
    }
    assert!(groups.values().any(|g| g.len() > 2), "some groups share");
    let mut broken = HashMap::new();
    for (i, (ki, ci, ri)) in valid.iter().enumerate() {
        for (kj, _, rj) in &valid {
            let n = in_context(ci, vec![ri.clone(), rj.clone()]);
            match n.validate() {
                Ok(()) => {}
                Err(e) => {
                    assert_ne!(ki, kj, "{e}: changes {ri:?} and {rj:?} share a key");
                    *broken.entry(e.rule).or_insert(0) += 1;
                }
            }
        }
        let group = &groups[ki];
        let all = group.iter().map(|&j| valid[j].2.clone()).collect();
        in_context(ci, all)
            .validate()
            .unwrap_or_else(|e| panic!("{i}: {e}"));
    }
    for rule in [
        Rule::MixedResourceTypes,
        Rule::ApiVersionMismatch,
        Rule::TenantMismatch,
    ] {
        assert!(
            broken.get(&rule).is_some_and(|&n| n > 0),
            "{rule}: {broken:?}"
        );
    }
}

/// Through the public API: a change that breaks a rule is refused by `submit` and
/// `publish_async` with `Error::Invalid` and handed back; the changes that break a rule
/// only together go out in valid notifications; a `max_batch` over `MAX_BATCH_SIZE` is
/// refused.
#[cfg(feature = "testing")]
#[test]
fn publish_refuses_a_change_that_breaks_a_rule_and_hands_it_back() {
    use std::time::Instant;

    use crate::model::ReceivedEvent;
    use crate::publisher::{Change, Publisher};
    use crate::testing::FakeTransport;
    use crate::{Client, Error};

    let fake = FakeTransport::new();
    let client = Arc::new(Client::with_transports(fake.clone()).build().unwrap());
    let publisher = Publisher::builder(Arc::clone(&client))
        .linger(Duration::from_secs(600))
        .coalesce(false)
        .build()
        .unwrap();
    let mut sent = 0;
    for rule in RULES {
        for how in kept(rule) {
            match how {
                Kept::AtPublish(Some((ctx, r))) => {
                    let change = Change::new(Arc::new(ctx), r);
                    let refused = [
                        publisher.submit(change.clone()).unwrap_err(),
                        publisher.publish_async(change.clone()).unwrap_err(),
                    ];
                    for refused in refused {
                        let (error, back) = refused.into_parts();
                        assert!(
                            matches!(error, Error::Invalid(ref v) if v.rule == rule),
                            "{rule}: {error}"
                        );
                        assert_eq!(back, change);
                    }
                }
                Kept::ByGroup(ctx, a, b) => {
                    let ctx = Arc::new(ctx);
                    for r in [a, b] {
                        publisher.submit(Change::new(Arc::clone(&ctx), r)).unwrap();
                        sent += 1;
                    }
                }
                Kept::ByLimits => {
                    let larger = Publisher::builder(Arc::clone(&client))
                        .max_batch(MAX_BATCH_SIZE + 1)
                        .build();
                    assert!(matches!(larger, Err(Error::Config(_))));
                }
                Kept::AtPublish(None) | Kept::ByContext | Kept::NotValidated => {}
            }
        }
    }
    publisher
        .flush(Instant::now() + Duration::from_secs(30))
        .unwrap();
    assert_eq!(publisher.errors().try_iter().count(), 0);
    let mut resources = 0;
    for post in fake.posts() {
        let event = ReceivedEvent::parse(&post.body).unwrap();
        resources += event.into_validated(None).unwrap().resources.len();
    }
    assert_eq!(resources, sent);
}
