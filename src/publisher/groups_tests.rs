//! Grouping and coalescing rules, on the pure state.

use super::*;
use crate::model::{ArmResource, ChangeAction, ResourceId};

const LIMITS: Limits = Limits {
    max_resources: 3,
    max_bytes: None,
};

fn node(name: &str, activity: Activity) -> NotificationResource {
    let id: ResourceId = format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/{name}").parse().unwrap();
    let arm = match activity {
        Activity::Delete => ArmResource::without_properties(activity, &id, "2024-01-01"),
        _ => ArmResource::new(
            activity,
            &id,
            "2024-01-01",
            &serde_json::json!({ "n": name }),
        ),
    }
    .unwrap();
    NotificationResource::new(arm, ChangeAction::Update)
}

/// Adds a 400-byte change of `r` at `at` under `limits`; `Err` carries the id of the
/// group to hand off first.
fn add_at(
    groups: &mut Groups,
    ctx: &Arc<ChangeContext>,
    r: NotificationResource,
    coalesce: bool,
    limits: Limits,
    at: Instant,
) -> Result<Added, u64> {
    let key = GroupKey::of(ctx, &r);
    let entry = Entry::new(Arc::clone(ctx), r, Reply::Errors, at, 400);
    groups
        .add(entry, &key, coalesce, limits, at)
        .map_err(|(_, gid)| gid)
}

/// [`add_at`] now, under [`LIMITS`].
fn add(
    groups: &mut Groups,
    ctx: &Arc<ChangeContext>,
    r: NotificationResource,
    coalesce: bool,
) -> Result<Added, u64> {
    add_at(groups, ctx, r, coalesce, LIMITS, Instant::now())
}

/// Added (to an open group or a new one); nothing replaced, nothing sealed.
const JOINED: Result<Added, u64> = Ok(Added {
    coalesced: false,
    sealed: None,
});

/// Replaced the resource's pending change; nothing sealed.
const REPLACED: Result<Added, u64> = Ok(Added {
    coalesced: true,
    sealed: None,
});

fn ctx() -> Arc<ChangeContext> {
    Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"))
}

#[test]
fn same_context_type_and_activity_share_a_group_until_full() {
    let (mut g, c) = (Groups::default(), ctx());
    assert_eq!(add(&mut g, &c, node("a", Activity::Snapshot), true), JOINED);
    assert_eq!(add(&mut g, &c, node("b", Activity::Snapshot), true), JOINED);
    // Another activity (another event type) opens another group.
    assert_eq!(add(&mut g, &c, node("x", Activity::Delete), true), JOINED);
    assert_eq!(g.all().len(), 2);
    let Ok(Added {
        coalesced: false,
        sealed: Some(gid),
    }) = add(&mut g, &c, node("c", Activity::Snapshot), true)
    else {
        panic!("the third snapshot fills its group");
    };
    let group = g.take(gid).unwrap();
    assert_eq!(group.entries.len(), 3);
    assert_eq!(g.changes, 1);
    assert!(g.take(gid).is_none());
    // Another context never shares.
    let other = Arc::new(ChangeContext::new("westus", "Microsoft.ContainerService"));
    add(&mut g, &other, node("a", Activity::Delete), true).unwrap();
    assert_eq!(g.all().len(), 2);
}

#[test]
fn a_newer_change_replaces_the_pending_one_and_keeps_its_replies() {
    let (mut g, c) = (Groups::default(), ctx());
    add(&mut g, &c, node("a", Activity::Snapshot), true).unwrap();
    add(&mut g, &c, node("b", Activity::Snapshot), true).unwrap();
    // In place: same group.
    assert_eq!(
        add(&mut g, &c, node("A", Activity::Snapshot), true),
        REPLACED
    );
    assert_eq!(g.changes, 2);
    // A delete moves it to the delete group; then a write moves it back, replacing the
    // delete: the create wins, with both older replies.
    assert_eq!(add(&mut g, &c, node("a", Activity::Delete), true), REPLACED);
    assert_eq!(add(&mut g, &c, node("a", Activity::Write), true), REPLACED);
    assert_eq!(g.changes, 2, "one pending change per resource");
    let ids = g.all();
    let mut pending = Vec::new();
    for gid in ids {
        for e in g.take(gid).unwrap().entries {
            pending.push((e.resource.arm_resource.activity(), e.replaced.len()));
        }
    }
    pending.sort_by_key(|(a, _)| a.to_string());
    assert_eq!(pending, [(Activity::Snapshot, 0), (Activity::Write, 3)]);
    assert_eq!((g.changes, g.bytes), (0, 0));
}

#[test]
fn without_coalescing_the_pending_change_goes_first() {
    let (mut g, c) = (Groups::default(), ctx());
    add(&mut g, &c, node("a", Activity::Snapshot), false).unwrap();
    let first = g.all()[0];
    assert_eq!(
        add(&mut g, &c, node("a", Activity::Snapshot), false),
        Err(first)
    );
    g.take(first).unwrap();
    assert_eq!(
        add(&mut g, &c, node("a", Activity::Snapshot), false),
        JOINED
    );
}

#[test]
fn byte_cap_seals_the_group_and_due_lists_sealed_then_lingered_groups() {
    let (mut g, c) = (Groups::default(), ctx());
    let limits = Limits {
        max_resources: 1000,
        max_bytes: Some(1000),
    };
    let t0 = Instant::now();
    let mut add_snapshot =
        |name, at| add_at(&mut g, &c, node(name, Activity::Snapshot), true, limits, at);
    assert_eq!(add_snapshot("a", t0).unwrap().sealed, None);
    assert_eq!(add_snapshot("b", t0).unwrap().sealed, None);
    // Over the cap: the first group is sealed, "c" opens the next one.
    let first = add_snapshot("c", t0 + Duration::from_millis(5))
        .unwrap()
        .sealed
        .expect("sealed");
    let linger = Duration::from_millis(5);
    // The sealed group is due at once; the new one after its linger.
    assert_eq!(g.due(t0 + Duration::from_millis(9), linger), [first]);
    assert_eq!(g.take(first).unwrap().entries.len(), 2);
    assert_eq!(g.next_due(linger), Some(t0 + Duration::from_millis(10)));
    let due = g.due(t0 + Duration::from_millis(10), linger);
    assert_eq!(due.len(), 1);
    assert_eq!(g.take(due[0]).unwrap().entries.len(), 1);
    assert!(g.is_empty());
}
