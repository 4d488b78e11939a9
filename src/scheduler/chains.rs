//! The per-resource dependency graph: every pending notification is linked behind the
//! last earlier pending notification of each of its ordering keys, and is ready when
//! all of those have their outcome.
//!
//! Pure data, no threads or locks: the scheduler keeps it under its mutex. Nodes live
//! in a slab whose vectors are reused, so a warm graph inserts and completes without
//! allocating.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// An ordering key: a well-mixed 64-bit hash of a resource id (see `keys.rs`).
pub(crate) type Key = u64;

/// A node's place in the slab.
pub(crate) type NodeId = usize;

/// The keys are already well-mixed hashes: the map uses them as they are.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Clone)]
struct Node<T> {
    /// Bumped each time the slot is reused, so stale references can be told apart.
    generation: u64,
    keys: Vec<Key>,
    /// Nodes linked behind this one, each once.
    successors: Vec<NodeId>,
    /// Predecessors without an outcome yet.
    waiting: usize,
    payload: Option<T>,
    live: bool,
}

/// The graph of pending notifications (payload `T`).
#[derive(Clone)]
pub(crate) struct Chains<T> {
    nodes: Vec<Node<T>>,
    free: Vec<NodeId>,
    /// The last pending node of each key.
    tails: HashMap<Key, NodeId, BuildHasherDefault<KeyHasher>>,
    live: usize,
}

impl<T> Default for Chains<T> {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            free: Vec::new(),
            tails: HashMap::default(),
            live: 0,
        }
    }
}

impl<T> Chains<T> {
    /// Adds a node with `keys` (duplicates allowed) behind the last pending node of each
    /// key. Returns its id and whether it is ready (no pending predecessor).
    pub(crate) fn insert(&mut self, keys: &[Key], payload: T) -> (NodeId, bool) {
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.nodes.push(Node {
                    generation: 0,
                    keys: Vec::new(),
                    successors: Vec::new(),
                    waiting: 0,
                    payload: None,
                    live: false,
                });
                self.nodes.len() - 1
            }
        };
        let mut waiting = 0;
        for &key in keys {
            if let Some(prev) = self.tails.insert(key, id) {
                if prev == id {
                    continue; // a duplicate key of this node
                }
                // Linked once per predecessor: pushes of `id` happen only here, now.
                let successors = &mut self.nodes[prev].successors;
                if successors.last() != Some(&id) {
                    successors.push(id);
                    waiting += 1;
                }
            }
        }
        let node = &mut self.nodes[id];
        node.keys.clear();
        node.keys.extend_from_slice(keys);
        node.waiting = waiting;
        node.payload = Some(payload);
        node.live = true;
        self.live += 1;
        (id, waiting == 0)
    }

    /// The node's generation (changes when its slot is reused).
    pub(crate) fn generation(&self, id: NodeId) -> u64 {
        self.nodes[id].generation
    }

    /// The payload of a live node.
    pub(crate) fn payload_mut(&mut self, id: NodeId) -> Option<&mut T> {
        let node = self.nodes.get_mut(id)?;
        if node.live {
            node.payload.as_mut()
        } else {
            None
        }
    }

    /// Whether node `id` at `generation` is still pending and waits for a predecessor.
    pub(crate) fn is_waiting(&self, id: NodeId, generation: u64) -> bool {
        self.nodes
            .get(id)
            .is_some_and(|n| n.live && n.generation == generation && n.waiting > 0)
    }

    /// Node `id` has its outcome: unlinks it, frees its slot and calls `ready` for each
    /// successor that no longer waits for anything. Returns its payload.
    pub(crate) fn complete(&mut self, id: NodeId, mut ready: impl FnMut(NodeId)) -> Option<T> {
        let node = &mut self.nodes[id];
        debug_assert!(node.live && node.waiting == 0, "completed before ready");
        node.live = false;
        node.generation = node.generation.wrapping_add(1);
        let payload = node.payload.take();
        let keys = std::mem::take(&mut node.keys);
        let mut successors = std::mem::take(&mut node.successors);
        for key in &keys {
            if self.tails.get(key) == Some(&id) {
                self.tails.remove(key);
            }
        }
        for &s in &successors {
            let next = &mut self.nodes[s];
            next.waiting -= 1;
            if next.waiting == 0 {
                ready(s);
            }
        }
        successors.clear();
        let node = &mut self.nodes[id];
        node.keys = keys;
        node.successors = successors;
        self.free.push(id);
        self.live -= 1;
        payload
    }

    /// Removes every node, returning the payloads still held (close gave up).
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut out = Vec::new();
        for node in self.nodes.iter_mut().filter(|n| n.live) {
            node.live = false;
            node.generation = node.generation.wrapping_add(1);
            node.waiting = 0;
            node.successors.clear();
            out.extend(node.payload.take());
        }
        self.free = (0..self.nodes.len()).collect();
        self.tails.clear();
        self.live = 0;
        out
    }

    /// Nodes without an outcome.
    pub(crate) fn len(&self) -> usize {
        self.live
    }
}

#[cfg(test)]
#[path = "chains_tests.rs"]
mod tests;
