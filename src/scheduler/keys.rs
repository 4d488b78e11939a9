//! Ordering keys: which notifications must keep their order relative to each other.

use super::chains::Key;
use crate::config::OrderBy;
use crate::model::{Notification, NotificationResource};

/// Appends the ordering keys of `n` under `order_by` to `out`.
pub(crate) fn keys_of(n: &Notification, order_by: OrderBy, out: &mut Vec<Key>) {
    out.extend(n.resources.iter().map(|r| key_of(r, order_by)));
}

/// The ordering key of one resource under `order_by`: its id compared
/// case-insensitively, its top-level resource's, or one key for everything.
pub(crate) fn key_of(r: &NotificationResource, order_by: OrderBy) -> Key {
    match order_by {
        OrderBy::Global => 0,
        OrderBy::TopLevelResource => hash_ci(top_level_scope(resource_id(r)).as_bytes()),
        _ => hash_ci(resource_id(r).as_bytes()),
    }
}

/// The id a resource is known by at the receiver (`resourceId`, or the ARM id when
/// that is empty).
pub(crate) fn resource_id(r: &NotificationResource) -> &str {
    match r.sent_resource_id() {
        "" => r.arm_resource.id().as_str(),
        id => id,
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

/// A 64-bit hash of the ASCII-lowercased bytes (ARM ids compare case-insensitively).
/// Eight bytes at a time: each word is lowercased in place (SWAR) and folded in with
/// a multiply (as FxHash does), then the length and the murmur3 finalizer, so every
/// output bit depends on every input byte. About a tenth of the instructions of
/// byte-at-a-time FNV-1a on a 150-byte id. Two different ids with the same hash are
/// merely ordered as one resource.
pub(crate) fn hash_ci(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let fold = |h: u64, w: u64| (h.rotate_left(23) ^ lower_ascii(w)).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    let mut h = (&mut words).fold(0xcbf2_9ce4_8422_2325_u64, |h, w| {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        fold(h, u64::from_le_bytes(b))
    });
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut b = [0u8; 8];
        b[..tail.len()].copy_from_slice(tail);
        h = fold(h, u64::from_le_bytes(b));
    }
    h ^= bytes.len() as u64;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The eight bytes of `w` with ASCII `A`..=`Z` turned to lowercase; every other byte,
/// non-ASCII ones included, unchanged.
fn lower_ascii(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = w & !HIGH;
    // Per byte (no carries cross bytes: each lane is below 0x80 before the add):
    // high bit set when the 7-bit value is >= 'A', resp. > 'Z'.
    let from_a = low7 + ONES * u64::from(0x80 - b'A');
    let past_z = low7 + ONES * u64::from(0x80 - b'Z' - 1);
    let upper = from_a & !past_z & !w & HIGH;
    w | (upper >> 2)
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
    fn words_lowercase_exactly_the_ascii_capitals() {
        // Every byte value, in every lane: the same as `to_ascii_lowercase`.
        for b in 0..=255u8 {
            for lane in 0..8 {
                let mut bytes = *b"xY9/-_Z@";
                bytes[lane] = b;
                let got = lower_ascii(u64::from_le_bytes(bytes)).to_le_bytes();
                assert_eq!(
                    got,
                    bytes.map(|c| c.to_ascii_lowercase()),
                    "byte {b} lane {lane}"
                );
            }
        }
        // Lengths around the word size, and ids that differ only in case or length.
        let id = b"/subscriptions/S/resourceGroups/RG/providers/P.X/t/N";
        for len in 0..id.len() {
            let lower = id[..len].to_ascii_lowercase();
            assert_eq!(hash_ci(&id[..len]), hash_ci(&lower), "length {len}");
            if len > 0 {
                assert_ne!(hash_ci(&id[..len]), hash_ci(&id[..len - 1]));
            }
        }
        assert_ne!(hash_ci(b"a"), hash_ci(b"a\0"));
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
