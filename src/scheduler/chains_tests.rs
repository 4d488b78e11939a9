//! Exhaustive interleavings of small cases: every order in which notifications can be
//! accepted, started and completed, checked against the guarantee itself.

use std::collections::HashSet;

use super::*;

/// The model's view of one explored state.
#[derive(Clone)]
struct World {
    chains: Chains<usize>,
    /// Node id of each accepted notification (by acceptance index).
    ids: Vec<NodeId>,
    ready: Vec<usize>,
    started: u32,
    done: u32,
}

fn shares(a: &[Key], b: &[Key]) -> bool {
    a.iter().any(|k| b.contains(k))
}

/// Explores every interleaving of: accept the next notification, start any ready one,
/// complete any started one. Checks at every state that
/// - no two started, unfinished notifications share a key;
/// - a notification is ready exactly when every earlier one it shares a key with has
///   its outcome (order kept, and no waiting for anything else);
/// - every path ends with every notification done (no deadlock).
fn explore(case: &[Vec<Key>]) -> usize {
    let mut seen = HashSet::new();
    let start = World {
        chains: Chains::default(),
        ids: Vec::new(),
        ready: Vec::new(),
        started: 0,
        done: 0,
    };
    let mut stack = vec![start];
    let mut states = 0;
    while let Some(w) = stack.pop() {
        // States are merged only when the graph itself is the same (the tail of each
        // key and every pending node's links), so a bug in the graph is never hidden
        // behind another path to the same progress.
        if !seen.insert(fingerprint(&w)) {
            continue;
        }
        states += 1;
        check(case, &w);
        let all = (1u32 << case.len()) - 1;
        if w.done == all {
            assert_eq!(w.chains.len(), 0);
            continue;
        }
        let mut moved = false;
        if w.ids.len() < case.len() {
            let mut next = w.clone();
            let i = next.ids.len();
            let (id, ready) = next.chains.insert(&mut case[i].clone(), i);
            next.ids.push(id);
            if ready {
                next.ready.push(i);
            }
            stack.push(next);
            moved = true;
        }
        for &i in &w.ready {
            if w.started & (1 << i) == 0 {
                let mut next = w.clone();
                next.started |= 1 << i;
                stack.push(next);
                moved = true;
            }
        }
        for i in 0..case.len() {
            if w.started & (1 << i) != 0 && w.done & (1 << i) == 0 {
                let mut next = w.clone();
                let mut released = Vec::new();
                let payload = next.chains.remove(next.ids[i], |n| released.push(n));
                assert_eq!(payload, Some(i));
                for n in released {
                    // Slots are reused: the released node is the unfinished one there.
                    let j = (0..next.ids.len())
                        .find(|&j| next.ids[j] == n && next.done & (1 << j) == 0 && j != i)
                        .expect("a released node is pending");
                    next.ready.push(j);
                }
                next.done |= 1 << i;
                stack.push(next);
                moved = true;
            }
        }
        assert!(moved, "deadlock: {case:?}");
    }
    states
}

fn fingerprint(w: &World) -> Vec<u64> {
    let index = |id: NodeId| {
        (0..w.ids.len())
            .find(|&j| w.ids[j] == id && w.done & (1 << j) == 0)
            .map_or(u64::MAX, |j| j as u64)
    };
    let mut f = vec![w.ids.len() as u64, u64::from(w.started), u64::from(w.done)];
    let mut tails: Vec<(u64, u64)> = w
        .chains
        .tails
        .iter()
        .map(|(k, l)| (*k, index(l.node)))
        .collect();
    tails.sort_unstable();
    f.extend(tails.into_iter().flat_map(|(k, j)| [k, j]));
    for j in 0..w.ids.len() {
        if w.done & (1 << j) == 0 {
            let node = &w.chains.nodes[w.ids[j]];
            f.push(u64::MAX - 1);
            f.push(node.waiting as u64);
            f.extend(
                node.next
                    .iter()
                    .map(|l| l.map_or(u64::MAX, |l| index(l.node))),
            );
        }
    }
    let mut ready = w.ready.clone();
    ready.sort_unstable();
    f.push(u64::MAX - 2);
    f.extend(ready.into_iter().map(|r| r as u64));
    f
}

fn check(case: &[Vec<Key>], w: &World) {
    let running: Vec<usize> = (0..w.ids.len())
        .filter(|&i| w.started & (1 << i) != 0 && w.done & (1 << i) == 0)
        .collect();
    for (a, &i) in running.iter().enumerate() {
        for &j in &running[a + 1..] {
            assert!(
                !shares(&case[i], &case[j]),
                "{i} and {j} in flight: {case:?}"
            );
        }
    }
    for j in 0..w.ids.len() {
        if w.done & (1 << j) != 0 {
            continue;
        }
        let may_run = (0..j).all(|i| !shares(&case[i], &case[j]) || w.done & (1 << i) != 0);
        assert_eq!(
            w.ready.contains(&j),
            may_run,
            "notification {j} readiness wrong in {case:?} (done {:b})",
            w.done
        );
    }
}

/// Every non-empty subset of `keys` keys, as key lists (with a duplicate key now and
/// then, which must count once).
fn key_sets(keys: u64) -> Vec<Vec<Key>> {
    (1u64..(1 << keys))
        .map(|mask| {
            let mut v: Vec<Key> = (0..keys).filter(|k| mask & (1 << k) != 0).collect();
            if mask.count_ones() == 2 {
                v.push(v[0]);
            }
            v
        })
        .collect()
}

#[test]
fn every_interleaving_of_four_notifications_over_three_resources() {
    let sets = key_sets(3);
    let mut cases = 0;
    let mut states = 0;
    for a in &sets {
        for b in &sets {
            for c in &sets {
                for d in &sets {
                    states += explore(&[a.clone(), b.clone(), c.clone(), d.clone()]);
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 7 * 7 * 7 * 7);
    assert!(states > cases * 10, "{states} states");
}

#[test]
fn every_interleaving_of_six_notifications_over_two_resources() {
    let sets = key_sets(2);
    let mut case = vec![Vec::new(); 6];
    for code in 0..3usize.pow(6) {
        let mut c = code;
        for slot in case.iter_mut() {
            *slot = sets[c % 3].clone();
            c /= 3;
        }
        explore(&case);
    }
}

#[test]
fn slots_are_reused_without_stale_links() {
    let mut chains = Chains::default();
    let (a, ready) = chains.insert(&mut vec![1], "a");
    assert!(ready);
    let (b, ready) = chains.insert(&mut vec![1, 2], "b");
    assert!(!ready);
    assert!(chains.is_waiting(b, chains.generation(b)));
    let mut released = Vec::new();
    assert_eq!(chains.remove(a, |n| released.push(n)), Some("a"));
    assert_eq!(released, [b]);
    let g = chains.generation(a);
    // Slot `a` is reused by an unrelated node: ready at once, and old references to
    // the slot see a new generation.
    let (c, ready) = chains.insert(&mut vec![3], "c");
    assert_eq!(c, a);
    assert!(ready);
    assert_eq!(chains.generation(c), g);
    let (d, ready) = chains.insert(&mut vec![2], "d");
    assert!(!ready, "d waits for b");
    released.clear();
    chains.remove(b, |n| released.push(n));
    assert_eq!(released, [d]);
    assert_eq!(chains.drain(), vec!["c", "d"]);
    assert_eq!(chains.len(), 0);
    let (_, ready) = chains.insert(&mut vec![1, 2, 3], "e");
    assert!(ready, "drain forgets every tail");
}
