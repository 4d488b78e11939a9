//! The non-empty segments of an id (Go's `splitStringAndOmitEmpty(id, "/")`), the
//! slashes found with `memchr`.

/// The non-empty segments of an id, in order.
pub(super) struct Segments<'a> {
    input: &'a str,
    /// The slashes not yet taken.
    slashes: memchr::Memchr<'a>,
    /// Where the next segment may start (just after the last slash taken).
    start: usize,
}

impl<'a> Segments<'a> {
    /// The segments of `input`.
    pub(super) fn new(input: &'a str) -> Self {
        Segments {
            input,
            slashes: memchr::memchr_iter(b'/', input.as_bytes()),
            start: 0,
        }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let len = self.input.len();
        while self.start < len {
            let end = self.slashes.next().unwrap_or(len);
            let start = std::mem::replace(&mut self.start, end + 1);
            if end > start {
                // '/' is ASCII, so both ends are char boundaries; `get` keeps this
                // panic-free.
                return Some(self.input.get(start..end).unwrap_or(""));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(s: &str) -> Vec<&str> {
        s.split('/').filter(|p| !p.is_empty()).collect()
    }

    #[test]
    fn same_as_split_without_empty_parts() {
        let samples = [
            "",
            "/",
            "///",
            "a",
            "//a/b///c d/\u{e9}/",
            "abcdefg/",
            "abcdefgh/",
            "/abcdefgh",
            "abcdefghijklmnopq/r",
            "\u{e9}\u{e9}\u{e9}\u{e9}/x",
            "0123456789abcdef",
            "0123456\u{2f}",
            "\u{ff}\u{ff}/\u{ff}",
            "\u{80}\u{80}\u{80}\u{80}/",
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
            "./.0/.//0..//////////x",
        ];
        for s in samples {
            for start in 0..=s.len() {
                let Some(s) = s.get(start..) else { continue };
                assert_eq!(Segments::new(s).collect::<Vec<_>>(), want(s), "{s:?}");
            }
        }
    }

    #[test]
    fn every_byte_at_every_position() {
        // Each byte value next to slashes and to bytes one off from '/'.
        for c in 0..=127u8 {
            for at in 0..20 {
                for fill in [b'x', b'/', b'.', b'0'] {
                    let mut buf = [fill; 20];
                    buf[at] = c;
                    let s = std::str::from_utf8(&buf).expect("ASCII");
                    assert_eq!(
                        Segments::new(s).collect::<Vec<_>>(),
                        want(s),
                        "{c} at {at} in {s:?}"
                    );
                }
            }
        }
    }
}
