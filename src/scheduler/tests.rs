//! The scheduler's own bookkeeping: flush epochs.

use super::*;

#[test]
fn epochs_pass_when_earlier_work_is_done() {
    let mut e = Epochs::default();
    let a = e.accept();
    let flush1 = e.begin_flush();
    let b = e.accept();
    assert!(!e.passed(flush1));
    let flush2 = e.begin_flush();
    e.done(b);
    assert!(!e.passed(flush1) && !e.passed(flush2), "a is still pending");
    e.done(a);
    assert!(e.passed(flush1) && e.passed(flush2));
    // A flush with nothing pending passes at once.
    let flush3 = e.begin_flush();
    assert!(e.passed(flush3));
    let c = e.accept();
    e.reset();
    assert!(e.passed(c));
    e.done(c); // a stale epoch after a reset is ignored
}
