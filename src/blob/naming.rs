//! Container and blob names (`arn-protocol.md` section 7).

use std::time::SystemTime;

use time::OffsetDateTime;

use crate::Error;

/// The prefix of every container the client writes.
const PREFIX: &str = "arm-ext-nt";

/// Longest container name extension (`^[a-z0-9-]{1,41}$`).
const MAX_EXT_LEN: usize = 41;

/// Lower-cases and checks a container name extension: `^[a-z0-9-]{1,41}$` after
/// lower-casing (`arn-protocol.md` section 7).
pub(crate) fn validate_ext(ext: &str) -> Result<String, Error> {
    let ext = ext.to_ascii_lowercase();
    let ok = !ext.is_empty()
        && ext.len() <= MAX_EXT_LEN
        && ext
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(ext)
    } else {
        Err(Error::Config(format!(
            "blob container extension {ext:?} must match ^[a-z0-9-]{{1,41}}$"
        )))
    }
}

/// The container for blobs written at `at`: one per UTC hour,
/// `arm-ext-nt-YYYY-MM-DD-H` or `arm-ext-nt-{ext}-YYYY-MM-DD-H`, the hour NOT
/// zero-padded and date and hour both in UTC (`arn-protocol.md` section 7; the Go
/// reference takes the hour in local time, a defect not copied here).
///
/// `ext` is used as given: pass a value checked by `BlobConfig` (lower case,
/// `^[a-z0-9-]{1,41}$`).
pub fn container_name(ext: Option<&str>, at: SystemTime) -> String {
    let t = OffsetDateTime::from(at);
    let (y, m, d, h) = (t.year(), u8::from(t.month()), t.day(), t.hour());
    match ext {
        Some(ext) => format!("{PREFIX}-{ext}-{y:04}-{m:02}-{d:02}-{h}"),
        None => format!("{PREFIX}-{y:04}-{m:02}-{d:02}-{h}"),
    }
}

/// A fresh blob name: `{uuid-v4}.txt` (`arn-protocol.md` section 7).
pub(crate) fn blob_name() -> String {
    format!("{}.txt", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use time::macros::datetime;

    fn at(t: OffsetDateTime) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(t.unix_timestamp() as u64)
    }

    #[test]
    fn hour_is_not_zero_padded_and_utc() {
        assert_eq!(
            container_name(None, at(datetime!(2024-03-05 07:59:59 UTC))),
            "arm-ext-nt-2024-03-05-7"
        );
        assert_eq!(
            container_name(None, at(datetime!(2024-12-31 23:00:00 UTC))),
            "arm-ext-nt-2024-12-31-23"
        );
        assert_eq!(
            container_name(None, at(datetime!(2024-01-01 00:00:00 UTC))),
            "arm-ext-nt-2024-01-01-0"
        );
        // An instant given with an offset is named by its UTC date and hour.
        assert_eq!(
            container_name(None, at(datetime!(2024-01-01 01:30:00 +05:00))),
            "arm-ext-nt-2023-12-31-20"
        );
    }

    #[test]
    fn extension_goes_after_the_prefix() {
        assert_eq!(
            container_name(Some("aks-prod"), at(datetime!(2025-10-09 10:00:00 UTC))),
            "arm-ext-nt-aks-prod-2025-10-09-10"
        );
    }

    #[test]
    fn longest_names_fit_the_63_character_limit() {
        let ext = "a".repeat(41);
        let name = container_name(Some(&ext), at(datetime!(2025-10-09 10:00:00 UTC)));
        assert!(name.len() <= 63, "{}", name.len());
        assert!(name.len() >= 3);
    }

    #[test]
    fn extension_validation() {
        assert_eq!(validate_ext("AKS-Prod1").unwrap(), "aks-prod1");
        assert_eq!(validate_ext(&"x".repeat(41)).unwrap().len(), 41);
        for bad in ["", "a_b", "a.b", "ä", "a b", &"x".repeat(42)] {
            assert!(matches!(validate_ext(bad), Err(Error::Config(_))), "{bad:?}");
        }
    }

    #[test]
    fn blob_names_are_uuid_v4_txt() {
        let a = blob_name();
        let b = blob_name();
        assert_ne!(a, b);
        let stem = a.strip_suffix(".txt").unwrap();
        let id = uuid::Uuid::parse_str(stem).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }
}
