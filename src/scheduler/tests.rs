//! The scheduler's own bookkeeping: flush epochs.

use super::epochs::Epochs;

#[test]
fn epochs_pass_when_earlier_work_is_done() {
    let mut e = Epochs::default();
    let a = e.accept();
    let flush1 = e.begin_flush();
    let b = e.accept();
    assert!(!e.passed(flush1));
    let flush2 = e.begin_flush();
    assert!(e.done(b), "b's epoch, which flush2 waits for, emptied");
    assert!(!e.passed(flush1) && !e.passed(flush2), "a is still pending");
    assert!(e.done(a));
    assert!(e.passed(flush1) && e.passed(flush2));
    // A flush with nothing pending passes at once.
    let flush3 = e.begin_flush();
    assert!(e.passed(flush3));
    let c = e.accept();
    e.reset();
    assert!(e.passed(c));
    e.done(c); // a stale epoch after a reset is ignored
}

/// `done` says `true` at every outcome that lets a waiting flush pass (flushes are
/// woken only then), and `false` while no flush waits: over every sequence of up to 7
/// steps of accept, flush and done.
#[test]
fn epochs_done_reports_every_flush_that_may_pass() {
    fn walk(e: &Epochs, pending: &[u64], flushes: &[u64], depth: usize) {
        if depth == 0 {
            return;
        }
        let mut next = e.clone();
        let mut p = pending.to_vec();
        p.push(next.accept());
        walk(&next, &p, flushes, depth - 1);

        let mut next = e.clone();
        let mut f = flushes.to_vec();
        f.push(next.begin_flush());
        walk(&next, pending, &f, depth - 1);

        for i in 0..pending.len() {
            let mut next = e.clone();
            let before: Vec<bool> = flushes.iter().map(|&f| next.passed(f)).collect();
            let woke = next.done(pending[i]);
            let after: Vec<bool> = flushes.iter().map(|&f| next.passed(f)).collect();
            let passed_now = before.iter().zip(&after).any(|(b, a)| !b && *a);
            assert!(!passed_now || woke, "a flush passed without a wake-up");
            if before.iter().all(|&b| b) {
                assert!(!woke, "woken with no flush waiting");
            }
            let mut p = pending.to_vec();
            p.remove(i);
            walk(&next, &p, flushes, depth - 1);
        }
    }
    walk(&Epochs::default(), &[], &[], 7);
}
