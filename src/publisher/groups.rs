//! The open groups: pending changes batched by everything that must match within one
//! notification (`docs/protocol.md` section 4: context, resource type, API version;
//! plus the activity, which picks the event type), with coalescing per resource.
//!
//! Pure data, kept under the publisher's lock.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::change::{ChangeContext, ChangeOutcome};
use crate::model::{Activity, NotificationResource, ResourceType};
use crate::promise::Resolver;

/// Where a change's outcome goes.
pub(crate) enum Reply {
    /// To a promise.
    Promise(Resolver<ChangeOutcome>),
    /// Failures to the publisher's errors channel.
    Errors,
}

/// One pending change, with the replies of the older changes it replaced.
pub(crate) struct Entry {
    pub(crate) context: Arc<ChangeContext>,
    pub(crate) resource: NotificationResource,
    pub(crate) own: Reply,
    /// Replies of the changes this one replaced (coalesced), oldest first.
    pub(crate) replaced: Vec<Reply>,
    pub(crate) deadline: Instant,
    /// The resource id, ASCII-lowercased (ARM ids compare case-insensitively); shared
    /// with the index of resources, so indexing it costs no copy.
    key: Arc<str>,
    /// The resource's JSON size, plus one for the comma that separates it.
    bytes: usize,
}

impl Entry {
    /// A pending change whose resource's JSON is `bytes` long.
    pub(crate) fn new(
        context: Arc<ChangeContext>,
        resource: NotificationResource,
        own: Reply,
        deadline: Instant,
        bytes: usize,
    ) -> Self {
        // One allocation, lowercased in place.
        let mut key = Arc::<str>::from(resource.sent_resource_id());
        Arc::get_mut(&mut key)
            .expect("a new Arc")
            .make_ascii_lowercase();
        Self {
            context,
            resource,
            own,
            replaced: Vec::new(),
            deadline,
            key,
            bytes,
        }
    }
}

/// What must be equal for two changes to share a notification.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GroupKey {
    context: Arc<ChangeContext>,
    /// A clone shares the id's type string (a reference count).
    resource_type: ResourceType,
    /// The API version sent: the ARM resource's shared string (a reference count), or
    /// a copy of the resource's override.
    api_version: Arc<str>,
    activity: Activity,
}

impl GroupKey {
    pub(crate) fn of(context: &Arc<ChangeContext>, r: &NotificationResource) -> Self {
        let api_version = match &r.api_version {
            Some(version) => Arc::from(version.as_str()),
            None => Arc::clone(&r.arm_resource.api_version),
        };
        Self {
            context: Arc::clone(context),
            resource_type: r.arm_resource.resource_type().clone(),
            api_version,
            activity: r.arm_resource.activity(),
        }
    }
}

/// An open group: the changes of one future notification.
pub(crate) struct Group {
    pub(crate) entries: Vec<Entry>,
    pub(crate) opened: Instant,
    key: GroupKey,
    bytes: usize,
    /// Complete: takes no more changes and is due for hand-off. `add` seals a group
    /// the moment it reaches `max_resources`, or when a change would pass its byte cap.
    /// A group is the open group of its key in `Groups::ids` exactly while unsealed.
    sealed: bool,
}

/// How large a group may grow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_resources: usize,
    pub(crate) max_bytes: Option<usize>,
}

/// What adding a change did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Added {
    /// Whether it replaced an older pending change of its resource.
    pub(crate) coalesced: bool,
    /// A group that is now complete (full, or at its byte cap) and should be handed
    /// off; new changes of its kind go to a new group.
    pub(crate) sealed: Option<u64>,
}

/// The open groups and the index of their resources.
#[derive(Default)]
pub(crate) struct Groups {
    groups: HashMap<u64, Group>,
    ids: HashMap<GroupKey, u64>,
    by_resource: HashMap<Arc<str>, (u64, usize)>,
    /// Group ids in the order they were opened (stale ids are skipped).
    opened: VecDeque<(Instant, u64)>,
    next_id: u64,
    /// Pending changes (replaced ones not counted).
    pub(crate) changes: usize,
    /// Their estimated bytes.
    pub(crate) bytes: usize,
}

impl Groups {
    /// Adds `entry` to the open group for `key` (cloned only to open a group). With
    /// `coalesce`, it replaces the pending change of its resource (wherever it is; the
    /// older change's replies move to it). Without, a pending change of the same
    /// resource hands the entry back with the id of its group, to hand off first
    /// (order). A group that reaches `limits` is sealed: later changes of its kind open
    /// a new one.
    #[allow(clippy::result_large_err)] // the entry is handed back by value
    pub(crate) fn add(
        &mut self,
        mut entry: Entry,
        key: &GroupKey,
        coalesce: bool,
        limits: Limits,
        now: Instant,
    ) -> Result<Added, (Entry, u64)> {
        let mut coalesced = false;
        if let Some(&(gid, idx)) = self.by_resource.get(&entry.key) {
            if !coalesce {
                return Err((entry, gid));
            }
            coalesced = true;
            if self.ids.get(key) == Some(&gid) {
                // Same open group: replace in place, keeping the group's age.
                let group = self.groups.get_mut(&gid).expect("indexed group exists");
                let old = std::mem::replace(&mut group.entries[idx], entry);
                let new = &mut group.entries[idx];
                new.replaced = old.replaced;
                new.replaced.push(old.own);
                group.bytes = group.bytes - old.bytes + new.bytes;
                self.bytes = self.bytes - old.bytes + new.bytes;
                return Ok(Added {
                    coalesced,
                    sealed: None,
                });
            }
            let old = self.remove(gid, idx);
            entry.replaced = old.replaced;
            entry.replaced.push(old.own);
        }
        let mut sealed = None;
        let open = self.ids.get(key).copied().filter(|gid| {
            let g = &self.groups[gid];
            let over_bytes = limits
                .max_bytes
                .is_some_and(|max| g.bytes + entry.bytes > max);
            !(over_bytes || g.entries.len() >= limits.max_resources)
        });
        let gid = match open {
            Some(gid) => gid,
            None => {
                if let Some(full) = self.ids.remove(key) {
                    self.groups.get_mut(&full).expect("open group").sealed = true;
                    sealed = Some(full);
                }
                let gid = self.next_id;
                self.next_id += 1;
                self.ids.insert(key.clone(), gid);
                self.groups.insert(
                    gid,
                    Group {
                        entries: Vec::new(),
                        opened: now,
                        key: key.clone(),
                        bytes: 0,
                        sealed: false,
                    },
                );
                self.opened.push_back((now, gid));
                gid
            }
        };
        let group = self.groups.get_mut(&gid).expect("just found or made");
        // A group's resources JSON is its entries' bytes (each with its comma) plus
        // the brackets, less the comma the last one does not need: `bytes + 1`.
        self.by_resource
            .insert(Arc::clone(&entry.key), (gid, group.entries.len()));
        group.bytes += entry.bytes;
        self.bytes += entry.bytes;
        self.changes += 1;
        group.entries.push(entry);
        if group.entries.len() >= limits.max_resources {
            group.sealed = true;
            self.ids.remove(&group.key);
            sealed = sealed.or(Some(gid));
        }
        Ok(Added { coalesced, sealed })
    }

    /// Removes entry `idx` of group `gid` (the group goes when empty).
    fn remove(&mut self, gid: u64, idx: usize) -> Entry {
        let group = self.groups.get_mut(&gid).expect("indexed group exists");
        let old = group.entries.swap_remove(idx);
        if let Some(moved) = group.entries.get(idx) {
            self.by_resource.insert(Arc::clone(&moved.key), (gid, idx));
        }
        self.by_resource.remove(&old.key);
        group.bytes -= old.bytes;
        self.bytes -= old.bytes;
        self.changes -= 1;
        if group.entries.is_empty() {
            let group = self.groups.remove(&gid).expect("present");
            self.forget_open(gid, &group);
        }
        old
    }

    /// Forgets group `gid` (just removed) as the open group of its key, unless it was
    /// sealed: a sealed group's key maps to a newer group, or to none.
    fn forget_open(&mut self, gid: u64, group: &Group) {
        if !group.sealed {
            let open = self.ids.remove(&group.key);
            debug_assert_eq!(open, Some(gid), "an unsealed group is its key's open group");
        }
    }

    /// Takes group `gid` out to be sent; `None` if it is gone already.
    pub(crate) fn take(&mut self, gid: u64) -> Option<Group> {
        let group = self.groups.remove(&gid)?;
        self.forget_open(gid, &group);
        for e in &group.entries {
            self.by_resource.remove(&e.key);
        }
        self.changes -= group.entries.len();
        self.bytes -= group.bytes;
        Some(group)
    }

    /// The groups opened at least `linger` before `now`, and the sealed ones (waiting
    /// for a hand-off that a `try_` call could not make); oldest first. They stay
    /// listed until taken.
    pub(crate) fn due(&mut self, now: Instant, linger: Duration) -> Vec<u64> {
        self.oldest();
        let mut due: Vec<u64> = self
            .opened
            .iter()
            .take_while(|(opened, _)| *opened + linger <= now)
            .map(|&(_, gid)| gid)
            .filter(|gid| self.groups.contains_key(gid))
            .collect();
        due.extend(
            self.groups
                .iter()
                .filter(|(_, g)| g.sealed)
                .map(|(&gid, _)| gid),
        );
        due.sort_unstable();
        due.dedup();
        due
    }

    /// When the oldest open group is due.
    pub(crate) fn next_due(&mut self, linger: Duration) -> Option<Instant> {
        self.oldest().map(|opened| opened + linger)
    }

    /// When the oldest open group was opened; drops the ids of groups gone before it.
    fn oldest(&mut self) -> Option<Instant> {
        while let Some(&(opened, gid)) = self.opened.front() {
            if self.groups.contains_key(&gid) {
                return Some(opened);
            }
            self.opened.pop_front();
        }
        None
    }

    /// Every open group, oldest first.
    pub(crate) fn all(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.groups.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Whether no change is pending.
    pub(crate) fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
#[path = "groups_tests.rs"]
mod tests;
