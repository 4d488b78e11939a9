//! Ordering keys: which notifications must keep their order relative to each other.

use super::chains::Key;
use crate::config::OrderBy;
use crate::model::Notification;

/// Appends the ordering keys of `n` under `order_by` to `out`.
pub(crate) fn keys_of(n: &Notification, order_by: OrderBy, out: &mut Vec<Key>) {
    match order_by {
        OrderBy::Global => out.push(0),
        OrderBy::TopLevelResource => out.extend(
            n.resources
                .iter()
                .map(|r| hash_ci(top_level_scope(resource_id(r)).as_bytes())),
        ),
        _ => out.extend(
            n.resources
                .iter()
                .map(|r| hash_ci(resource_id(r).as_bytes())),
        ),
    }
}

/// The id a resource is known by at the receiver (`resourceId`, or the ARM id when
/// that is empty).
fn resource_id(r: &crate::model::NotificationResource) -> &str {
    if r.resource_id.is_empty() {
        r.arm_resource.id().as_str()
    } else {
        &r.resource_id
    }
}

/// The top-level resource of an ARM id (`.../providers/{Namespace}/{type}/{name}`
/// right under the tenant, a subscription or a resource group), or the id itself when
/// it has none. Walks the segments by position, so a resource group named
/// `providers` is not taken for the keyword.
pub(crate) fn top_level_scope(id: &str) -> &str {
    // Non-empty segments with the byte offset where each ends.
    let mut segments = id
        .split('/')
        .scan(0, |end, s| {
            *end += s.len() + 1;
            Some((*end - 1, s))
        })
        .filter(|(_, s)| !s.is_empty())
        .peekable();
    for keyword in ["subscriptions", "resourceGroups"] {
        if segments
            .peek()
            .is_some_and(|(_, s)| s.eq_ignore_ascii_case(keyword))
        {
            segments.nth(1);
        }
    }
    match segments.next() {
        Some((_, s)) if s.eq_ignore_ascii_case("providers") => match segments.nth(2) {
            Some((end, _)) => &id[..end],
            None => id,
        },
        _ => id,
    }
}

/// A 64-bit hash of the ASCII-lowercased bytes (ARM ids compare case-insensitively):
/// FNV-1a, then the murmur3 finalizer so every output bit depends on every input
/// byte. Two different ids with the same hash are merely ordered as one resource.
pub(crate) fn hash_ci(bytes: &[u8]) -> u64 {
    let mut h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    });
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_scope_of_ids() {
        let rg = "/subscriptions/s/resourceGroups/rg";
        let mc = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc";
        assert_eq!(top_level_scope(mc), mc);
        assert_eq!(top_level_scope(&format!("{mc}/nodes/n1")), mc);
        assert_eq!(top_level_scope(&format!("{mc}/providers/P/ext/e")), mc);
        assert_eq!(top_level_scope(rg), rg);
        assert_eq!(top_level_scope("/subscriptions/s"), "/subscriptions/s");
        assert_eq!(top_level_scope("/"), "/");
        assert_eq!(top_level_scope(""), "");
        // A resource group named like the keyword is skipped by position.
        let odd = "/subscriptions/s/resourceGroups/providers/providers/NS/t/x/c/y";
        assert_eq!(
            top_level_scope(odd),
            "/subscriptions/s/resourceGroups/providers/providers/NS/t/x"
        );
        // Tenant-level resources (management groups) and a bare namespace.
        let mg = "/providers/Microsoft.Management/managementGroups/mg1";
        assert_eq!(top_level_scope(&format!("{mg}/resourceGroups/rg1")), mg);
        assert_eq!(top_level_scope("/providers/NS"), "/providers/NS");
    }

    #[test]
    fn hash_ignores_ascii_case_and_mixes_every_bit() {
        assert_eq!(
            hash_ci(b"/Subscriptions/A/rg"),
            hash_ci(b"/subscriptions/a/RG")
        );
        assert_ne!(hash_ci(b"/subscriptions/a"), hash_ci(b"/subscriptions/b"));
        // Names that differ only in high bits of a byte (rg-1/mc-1 ... rg-40/mc-40)
        // spread evenly over the low bits.
        for buckets in [2u64, 4, 8, 16] {
            let mut seen = vec![0usize; buckets as usize];
            for i in 0..4000 {
                let id = format!(
                    "/subscriptions/s/resourceGroups/rg-{i}/providers/P.X/managedClusters/mc-{i}"
                );
                seen[(hash_ci(id.as_bytes()) % buckets) as usize] += 1;
            }
            let even = 4000 / buckets as usize;
            assert!(
                seen.iter()
                    .all(|&c| c > even * 8 / 10 && c < even * 12 / 10),
                "{buckets}: {seen:?}"
            );
        }
    }
}
