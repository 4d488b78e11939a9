//! Times as Go's `time.RFC3339Nano` (`docs/protocol.md` section 3), the format of
//! `eventTime` and of the resources' times.

use std::fmt;

use serde::{Serialize, Serializer};
use time::OffsetDateTime;

/// A time formatted as Go's `time.RFC3339Nano`: fractional seconds with trailing zeros
/// dropped (none when zero), the offset kept as given, UTC as `Z`.
#[derive(Clone, Copy)]
pub(crate) struct Rfc3339Nano<'a>(pub(crate) &'a OffsetDateTime);

/// The longest text of a year in 0..=9999: `9999-12-31T23:59:59.999999999+23:59`.
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

    /// The text, digit by digit, for years 0 to 9999 (`None` for others, written by
    /// [`fmt::Display`]'s general path). Every event has at least one time: a
    /// `write!` with seven format specifications cost ~2k instructions per time.
    fn ascii(&self) -> Option<([u8; MAX], usize)> {
        let t = self.written();
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        let mut b = [0u8; MAX];
        let two = |b: &mut [u8], at: usize, v: u32| {
            b[at] = b'0' + (v / 10 % 10) as u8;
            b[at + 1] = b'0' + (v % 10) as u8;
        };
        two(&mut b, 0, year / 100);
        two(&mut b, 2, year % 100);
        b[4] = b'-';
        two(&mut b, 5, u32::from(u8::from(t.month())));
        b[7] = b'-';
        two(&mut b, 8, u32::from(t.day()));
        b[10] = b'T';
        two(&mut b, 11, u32::from(t.hour()));
        b[13] = b':';
        two(&mut b, 14, u32::from(t.minute()));
        b[16] = b':';
        two(&mut b, 17, u32::from(t.second()));
        let mut n = 19;
        let (mut nanos, width) = fraction(t.nanosecond());
        if width > 0 {
            b[n] = b'.';
            for i in (1..=width).rev() {
                b[n + i] = b'0' + (nanos % 10) as u8;
                nanos /= 10;
            }
            n += width + 1;
        }
        let offset = t.offset();
        if offset.is_utc() {
            b[n] = b'Z';
            return Some((b, n + 1));
        }
        let secs = offset.whole_seconds();
        b[n] = if secs < 0 { b'-' } else { b'+' };
        let abs = secs.unsigned_abs();
        two(&mut b, n + 1, abs / 3600);
        b[n + 3] = b':';
        two(&mut b, n + 4, abs % 3600 / 60);
        Some((b, n + 6))
    }
}

/// The fractional digits of `nanos` without trailing zeros, and how many there are
/// (none for zero).
fn fraction(mut nanos: u32) -> (u32, usize) {
    if nanos == 0 {
        return (0, 0);
    }
    let mut width = 9;
    while nanos.is_multiple_of(10) {
        nanos /= 10;
        width -= 1;
    }
    (nanos, width)
}

impl fmt::Display for Rfc3339Nano<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ascii() {
            Some((b, n)) => f.write_str(std::str::from_utf8(&b[..n]).map_err(|_| fmt::Error)?),
            None => self.general(f),
        }
    }
}

impl Rfc3339Nano<'_> {
    /// Any year, through `fmt`.
    fn general(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.written();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )?;
        let (nanos, width) = fraction(t.nanosecond());
        if width > 0 {
            write!(f, ".{nanos:0width$}")?;
        }
        let offset = t.offset();
        if offset.is_utc() {
            return f.write_str("Z");
        }
        let secs = offset.whole_seconds();
        let sign = if secs < 0 { '-' } else { '+' };
        let abs = secs.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
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

    /// The general path, which the digit-by-digit one must equal.
    struct General<'a>(Rfc3339Nano<'a>);

    impl fmt::Display for General<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.general(f)
        }
    }

    #[test]
    fn digits_match_the_general_path() {
        let base = datetime!(2026-11-30 07:05:09.000000001 UTC);
        for (i, t) in [
            base,
            datetime!(0000-01-01 00:00:00 UTC),
            datetime!(9999-12-31 23:59:59.999999999 +23:59),
            datetime!(0042-02-03 04:05:06.1 -09:30),
            datetime!(2026-06-07 08:09:10.123456789 +00:00:30),
            datetime!(1999-10-11 12:13:14.5 +05:45),
        ]
        .into_iter()
        .chain((0..2000).map(|k| base + time::Duration::nanoseconds(k * 7_654_321_987)))
        .enumerate()
        {
            let (b, n) = Rfc3339Nano(&t).ascii().expect("a year in range");
            let fast = std::str::from_utf8(&b[..n]).unwrap();
            assert_eq!(fast, General(Rfc3339Nano(&t)).to_string(), "{i}");
            assert_eq!(Rfc3339Nano(&t).to_string(), fast, "{i}");
            let json = serde_json::to_string(&Rfc3339Nano(&t)).unwrap();
            assert_eq!(json, format!("{fast:?}"), "{i}");
        }
    }

    #[test]
    fn other_years_take_the_general_path() {
        let t = datetime!(-0001-01-01 00:00:00 UTC);
        assert!(Rfc3339Nano(&t).ascii().is_none());
        assert!(Rfc3339Nano(&t).to_string().ends_with("-01-01T00:00:00Z"));
    }
}
