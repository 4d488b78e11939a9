//! The event subject (`docs/protocol.md` section 5).

use std::borrow::Cow;

use super::ResourceId;

/// The longest ARM scope shared by every id, as the Go reference's `subject()` computes
/// it (`docs/protocol.md` section 5).
///
/// The parent chains are compared from the tenant root down, scope by scope, as exact
/// (case-sensitive) canonical strings; the deepest scope on which all ids agree is the
/// subject. So one id (or several equal ids) gives that id's canonical string, ids in
/// different subscriptions (or tenant-level scopes) give `"/"`, and zero ids give `""`
/// (the Go reference's answer; a notification without resources is never sent).
///
/// Never allocates: the subject is always a prefix of the first id's canonical string,
/// so the result is always `Cow::Borrowed`.
pub fn subject<'a, I>(ids: I) -> Cow<'a, str>
where
    I: IntoIterator<Item = &'a ResourceId>,
{
    let mut ids = ids.into_iter();
    let Some(first) = ids.next() else {
        return Cow::Borrowed("");
    };
    let canonical = first.as_str();
    // Number of leading scopes (below the tenant root) shared so far.
    let mut shared = first.scope_ends().len();
    for id in ids {
        if shared == 0 {
            break;
        }
        shared = shared_scopes(first, id, shared);
    }
    let end = match shared.checked_sub(1) {
        None => return Cow::Borrowed("/"),
        Some(last) => first.scope_ends().nth(last).unwrap_or(0),
    };
    Cow::Borrowed(canonical.get(..end).unwrap_or("/"))
}

/// How many of the first `limit` scopes of `a` and `b` have equal canonical strings.
/// Scope `k` is equal when scope `k - 1` is and the text between the two scope ends is.
fn shared_scopes(a: &ResourceId, b: &ResourceId, limit: usize) -> usize {
    let (a_str, b_str) = (a.as_str().as_bytes(), b.as_str().as_bytes());
    let mut start = 0;
    let mut shared = 0;
    for (a_end, b_end) in a.scope_ends().zip(b.scope_ends()).take(limit) {
        if a_end != b_end || a_str.get(start..a_end) != b_str.get(start..b_end) {
            break;
        }
        start = a_end;
        shared += 1;
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<ResourceId> {
        list.iter().map(|s| ResourceId::parse(s).unwrap()).collect()
    }

    const S: &str = "/subscriptions/00000000-0000-0000-0000-000000000000";

    #[test]
    fn zero_ids_give_empty() {
        assert_eq!(subject(std::iter::empty()), "");
    }

    #[test]
    fn one_id_borrows_itself() {
        let v = ids(&[&format!("{S}/resourceGroups/rg/providers/P.Q/t/a")]);
        let s = subject(&v);
        assert!(matches!(s, Cow::Borrowed(_)));
        assert!(std::ptr::eq(s.as_ptr(), v[0].as_str().as_ptr()));
        assert_eq!(s, v[0].as_str());
    }

    #[test]
    fn siblings_give_parent_borrowed() {
        let v = ids(&[
            &format!("{S}/resourceGroups/rg/providers/P.Q/t/a/sub/x"),
            &format!("{S}/resourceGroups/rg/providers/P.Q/t/a/sub/y"),
        ]);
        let s = subject(&v);
        assert!(matches!(s, Cow::Borrowed(_)));
        assert_eq!(s, format!("{S}/resourceGroups/rg/providers/P.Q/t/a"));
    }

    #[test]
    fn different_subscriptions_give_root() {
        let v = ids(&[S, "/subscriptions/11111111-1111-1111-1111-111111111111"]);
        assert_eq!(subject(&v), "/");
    }

    #[test]
    fn name_that_is_a_prefix_is_not_shared() {
        // "rg" and "rg1" share bytes but not a scope.
        let v = ids(&[
            &format!("{S}/resourceGroups/rg"),
            &format!("{S}/resourceGroups/rg1"),
        ]);
        assert_eq!(subject(&v), S);
    }

    #[test]
    fn comparison_is_case_sensitive_except_keywords() {
        let v = ids(&[
            &format!("{S}/resourcegroups/rg"),
            &format!("{S}/RESOURCEGROUPS/rg"),
        ]);
        assert_eq!(subject(&v), format!("{S}/resourceGroups/rg"));
        let v = ids(&[
            &format!("{S}/resourceGroups/rg"),
            &format!("{S}/resourceGroups/RG"),
        ]);
        assert_eq!(subject(&v), S);
    }

    #[test]
    fn extension_and_its_base() {
        let base = format!("{S}/resourceGroups/rg/providers/P.Q/t/a");
        let v = ids(&[&base, &format!("{base}/providers/P.R/ext/e")]);
        assert_eq!(subject(&v), base);
    }
}
