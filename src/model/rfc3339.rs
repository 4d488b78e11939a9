//! Times as Go's `time.RFC3339Nano` (`docs/protocol.md` section 3), the format of
//! `eventTime` and of the resources' times.

use std::fmt;
use std::io::Cursor;

use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A time formatted as Go's `time.RFC3339Nano`: fractional seconds with trailing zeros
/// dropped (none when zero), the offset kept as given, UTC as `Z`. That is the `time`
/// crate's RFC 3339 format, for every time RFC 3339 can express.
#[derive(Clone, Copy)]
pub(crate) struct Rfc3339Nano<'a>(pub(crate) &'a OffsetDateTime);

/// The longest text: `9999-12-31T23:59:59.999999999+23:59`.
const MAX: usize = 35;

impl Rfc3339Nano<'_> {
    /// The time to write: RFC 3339 offsets have no seconds, so such a time is written
    /// in UTC (the instant is kept).
    fn written(&self) -> OffsetDateTime {
        if self.0.offset().seconds_past_minute() != 0 {
            self.0.to_offset(time::UtcOffset::UTC)
        } else {
            *self.0
        }
    }

    /// The text into a stack buffer, without allocating; `None` for a year outside
    /// 0..=9999, which RFC 3339 cannot express (validation refuses such times).
    fn ascii(&self) -> Option<([u8; MAX], usize)> {
        let mut b = [0u8; MAX];
        let mut cursor = Cursor::new(&mut b[..]);
        self.written().format_into(&mut cursor, &Rfc3339).ok()?;
        // The cursor's position, not the count `format_into` returns: time 0.3.55
        // undercounts the offset's minutes (`+01:00` counted as 5 bytes).
        let n = usize::try_from(cursor.position()).ok()?;
        Some((b, n))
    }
}

impl fmt::Display for Rfc3339Nano<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn text(b: &[u8]) -> Result<&str, fmt::Error> {
            std::str::from_utf8(b).map_err(|_| fmt::Error)
        }
        if let Some((b, n)) = self.ascii() {
            return f.write_str(text(&b[..n])?);
        }
        // Another year: its sign and at least four digits (as Go writes it), then the
        // rest as for a year RFC 3339 allows (2000 is a leap year: any day fits).
        let t = self.written();
        let rest = Rfc3339Nano(&t.replace_year(2000).map_err(|_| fmt::Error)?).ascii();
        let (b, n) = rest.ok_or(fmt::Error)?;
        let sign = if t.year() < 0 { "-" } else { "" };
        write!(f, "{sign}{:04}", t.year().unsigned_abs())?;
        f.write_str(text(&b[4..n])?)
    }
}

impl Serialize for Rfc3339Nano<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.ascii() {
            Some((b, n)) => match std::str::from_utf8(&b[..n]) {
                Ok(text) => s.serialize_str(text),
                Err(_) => s.collect_str(self),
            },
            None => s.collect_str(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// The serialized form is the displayed one, quoted, over 2,000 times (the
    /// format itself is checked against Go's in `wire`'s tests).
    #[test]
    fn serialized_and_displayed_forms_agree() {
        let base = datetime!(2026-11-30 07:05:09.000000001 UTC);
        for k in 0..2000 {
            let t = base + time::Duration::nanoseconds(k * 7_654_321_987);
            let shown = Rfc3339Nano(&t).to_string();
            assert_eq!(
                serde_json::to_string(&Rfc3339Nano(&t)).unwrap(),
                format!("{shown:?}")
            );
        }
    }

    #[test]
    fn other_years_keep_their_sign_and_digits() {
        let t = datetime!(-0001-01-01 00:00:00 UTC);
        assert!(Rfc3339Nano(&t).ascii().is_none());
        assert_eq!(Rfc3339Nano(&t).to_string(), "-0001-01-01T00:00:00Z");
        let t = datetime!(-0001-02-03 04:05:06.78 +01:00);
        assert_eq!(Rfc3339Nano(&t).to_string(), "-0001-02-03T04:05:06.78+01:00");
    }
}
