//! Container and blob names (`docs/protocol.md` section 7).

use std::sync::Arc;
use std::time::SystemTime;

use time::OffsetDateTime;

use crate::Error;

/// The clock that names containers (hourly).
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The prefix of every container the client writes.
const PREFIX: &str = "arm-ext-nt";

/// Longest container name extension (`^[a-z0-9-]{1,41}$`).
const MAX_EXT_LEN: usize = 41;

/// Longest container name Azure accepts.
const MAX_CONTAINER_LEN: usize = 63;

/// Longest date-hour suffix: `-YYYY-MM-DD-HH`.
const MAX_SUFFIX_LEN: usize = 14;

/// Lower-cases and checks a container name extension: `^[a-z0-9-]{1,41}$` after
/// lower-casing (`docs/protocol.md` section 7).
///
/// Also refused, because Azure would refuse the container names they make (3–63
/// characters, no `--`, no hyphen at either end of a part): an extension longer than
/// 38 characters (`arm-ext-nt-` + 41 + `-YYYY-MM-DD-HH` is 66), or one that starts or
/// ends with `-` or contains `--`. The Go reference accepts them and then fails at
/// every upload.
pub(crate) fn validate_ext(ext: &str) -> Result<String, Error> {
    let ext = ext.to_ascii_lowercase();
    let pattern_ok = !ext.is_empty()
        && ext.len() <= MAX_EXT_LEN
        && ext
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !pattern_ok {
        return Err(Error::Config(format!(
            "blob container extension {ext:?} must match ^[a-z0-9-]{{1,41}}$"
        )));
    }
    let max = MAX_CONTAINER_LEN - PREFIX.len() - 1 - MAX_SUFFIX_LEN;
    if ext.len() > max || ext.starts_with('-') || ext.ends_with('-') || ext.contains("--") {
        return Err(Error::Config(format!(
            "blob container extension {ext:?} would make invalid container names \
             (at most {max} characters, no leading, trailing or double '-')"
        )));
    }
    Ok(ext)
}

/// The container for blobs written at `at`: one per UTC hour,
/// `arm-ext-nt-YYYY-MM-DD-H` or `arm-ext-nt-{ext}-YYYY-MM-DD-H`, the hour NOT
/// zero-padded and date and hour both in UTC (`docs/protocol.md` section 7; the Go
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

/// A fresh blob name: `{uuid-v4}.txt` (`docs/protocol.md` section 7).
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
        let ext = validate_ext(&"a".repeat(38)).unwrap();
        let name = container_name(Some(&ext), at(datetime!(2025-10-09 10:00:00 UTC)));
        assert_eq!(name.len(), 63);
        assert!(name.len() >= 3);
    }

    #[test]
    fn extension_validation() {
        assert_eq!(validate_ext("AKS-Prod1").unwrap(), "aks-prod1");
        assert_eq!(validate_ext(&"x".repeat(38)).unwrap().len(), 38);
        let too_long = "x".repeat(39);
        for bad in [
            "",
            "a_b",
            "a.b",
            "ä",
            "a b",
            &"x".repeat(42),
            &too_long,
            "-a",
            "a-",
            "a--b",
        ] {
            assert!(
                matches!(validate_ext(bad), Err(Error::Config(_))),
                "{bad:?}"
            );
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
