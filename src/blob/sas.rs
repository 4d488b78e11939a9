//! Read-only user delegation SAS URLs (`docs/protocol.md` section 7).

use azure_storage_common::models::UserDelegationKey;
use azure_storage_sas::{SasBuilder, SasProtocol};
use time::{Duration, OffsetDateTime};

use crate::{Error, SecretUrl};

/// How far before "now" the SAS starts (clock skew allowance).
const START_SKEW: Duration = Duration::seconds(10);
/// How long a SAS is valid at most.
pub(crate) const SAS_LIFETIME: Duration = Duration::days(7);

/// The signed, read-only, https-only URL of blob `container/blob`:
/// `sp=r`, `spr=https`, `sr=b`, start = now − 10 s (not before the key's start),
/// expiry = now + 7 days but never after the key's expiry.
///
/// `skt`/`ske`/`skv` come from the key as the service sent them: the key was
/// requested with seconds-only times (`KeyInfo`), which the SAS builder writes back
/// seconds-only, so they match byte for byte.
pub(crate) fn blob_sas_url(
    service_url: &str,
    account: &str,
    container: &str,
    blob: &str,
    key: &UserDelegationKey,
    now: OffsetDateTime,
) -> Result<SecretUrl, Error> {
    let key_start = key.signed_start.ok_or_else(|| incomplete("SignedStart"))?;
    let key_expiry = key
        .signed_expiry
        .ok_or_else(|| incomplete("SignedExpiry"))?;
    let start = (now - START_SKEW).max(key_start);
    let expiry = (now + SAS_LIFETIME).min(key_expiry);
    if expiry <= now {
        return Err(Error::Blob {
            status: None,
            code: None,
            request_id: None,
            message: "the user delegation key has expired".into(),
        });
    }
    let query = SasBuilder::new(account, key, expiry)
        .map_err(|_| incomplete("a required field"))?
        .start(start)
        .protocol(SasProtocol::Https)
        .blob(container, blob)
        .read()
        .build();
    Ok(SecretUrl::new(format!(
        "{service_url}/{container}/{blob}?{query}"
    )))
}

fn incomplete(field: &str) -> Error {
    Error::Blob {
        status: None,
        code: None,
        request_id: None,
        message: format!("the user delegation key lacks {field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn key(start: OffsetDateTime, expiry: OffsetDateTime) -> UserDelegationKey {
        UserDelegationKey {
            signed_oid: Some("11111111-1111-1111-1111-111111111111".into()),
            signed_tid: Some("22222222-2222-2222-2222-222222222222".into()),
            signed_start: Some(start),
            signed_expiry: Some(expiry),
            signed_service: Some("b".into()),
            signed_version: Some("2026-04-06".into()),
            value: Some(vec![7u8; 32]),
            ..Default::default()
        }
    }

    fn params(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').unwrap().1;
        query
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn get<'a>(p: &'a [(String, String)], k: &str) -> &'a str {
        &p.iter().find(|(key, _)| key == k).unwrap().1
    }

    #[test]
    fn read_only_https_blob_sas_with_key_fields() {
        let now = datetime!(2026-01-10 12:00:00 UTC);
        let k = key(
            datetime!(2026-01-10 11:00:00 UTC),
            datetime!(2026-01-17 11:00:00 UTC),
        );
        let url = blob_sas_url(
            "https://acct.blob.core.windows.net",
            "acct",
            "c-1",
            "b.txt",
            &k,
            now,
        )
        .unwrap();
        let url = url.expose();
        assert!(
            url.starts_with("https://acct.blob.core.windows.net/c-1/b.txt?"),
            "{url}"
        );
        let p = params(url);
        assert_eq!(get(&p, "sp"), "r");
        assert_eq!(get(&p, "spr"), "https");
        assert_eq!(get(&p, "sr"), "b");
        assert_eq!(get(&p, "st"), "2026-01-10T11:59:50Z");
        // The key expires before now + 7 days: the SAS ends with the key.
        assert_eq!(get(&p, "se"), "2026-01-17T11:00:00Z");
        assert_eq!(get(&p, "skt"), "2026-01-10T11:00:00Z");
        assert_eq!(get(&p, "ske"), "2026-01-17T11:00:00Z");
        assert_eq!(get(&p, "skv"), "2026-04-06");
        assert_eq!(get(&p, "skoid"), "11111111-1111-1111-1111-111111111111");
        assert!(!get(&p, "sig").is_empty());
    }

    #[test]
    fn start_never_precedes_the_key_and_expiry_is_seven_days() {
        let now = datetime!(2026-01-10 12:00:05 UTC);
        let k = key(now - Duration::seconds(5), now + Duration::days(8));
        let url = blob_sas_url("https://h/acct", "acct", "c", "b.txt", &k, now).unwrap();
        let p = params(url.expose());
        assert_eq!(get(&p, "st"), "2026-01-10T12:00:00Z");
        assert_eq!(get(&p, "se"), "2026-01-17T12:00:05Z");
    }

    #[test]
    fn expired_or_incomplete_keys_are_refused() {
        let now = datetime!(2026-01-10 12:00:00 UTC);
        let k = key(now - Duration::days(8), now - Duration::days(1));
        assert!(matches!(
            blob_sas_url("https://h/a", "a", "c", "b", &k, now),
            Err(Error::Blob { .. })
        ));
        let mut k = key(now, now + Duration::days(7));
        k.value = None;
        assert!(matches!(
            blob_sas_url("https://h/a", "a", "c", "b", &k, now),
            Err(Error::Blob { .. })
        ));
    }
}
