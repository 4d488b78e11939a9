//! Messages safe for errors and logs: no URL query strings (SAS signatures), no bearer
//! values, bounded length. Used wherever a foreign error's text (ureq, rustls, the
//! Azure SDK, a receiver's answer) becomes part of the crate's own.

/// Removes query strings from anything that looks like a URL, and the value after
/// every `Bearer` (any case). A word made only of lowercase letters after "bearer" is
/// prose ("wrong bearer token"), not a credential, and is kept.
pub(crate) fn strip_urls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_bearer = false;
    for (i, word) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let bare = word.trim_end_matches(|c: char| c.is_ascii_punctuation());
        if after_bearer && !is_prose(bare) && !bare.is_empty() {
            out.push_str("<redacted>");
            out.push_str(&word[bare.len()..]);
        } else if word.contains("://") || word.contains('?') {
            out.push_str(crate::secret::strip_query(word));
        } else {
            out.push_str(word);
        }
        let tail = word.rsplit(|c: char| !c.is_ascii_alphabetic()).next();
        after_bearer = tail.is_some_and(|t| t.eq_ignore_ascii_case("bearer"));
    }
    out
}

/// A plain lowercase word of at most 12 letters: English, not a token.
fn is_prose(word: &str) -> bool {
    word.len() <= 12 && word.bytes().all(|b| b.is_ascii_lowercase())
}

/// A message safe for errors and logs: no URL query strings, no bearer values, at
/// most 256 bytes.
pub(crate) fn sanitize_message(s: &str) -> String {
    truncate(strip_urls(s), 256)
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub(crate) fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_query_strings_and_bearer() {
        let s = strip_urls("GET https://a.blob/c?sig=SECRET failed; Bearer abc.def");
        assert!(!s.contains("SECRET") && !s.contains("abc.def"), "{s}");
        assert!(s.contains("https://a.blob/c"));
        let s = strip_urls("Authorization: Bearer SENTINEL-TOKEN-7f3a9, bearer=x");
        assert!(!s.contains("SENTINEL"), "{s}");
        assert!(s.contains("Bearer <redacted>,"), "{s}");
    }

    #[test]
    fn keeps_prose_after_bearer() {
        let body = r#"{"error":"missing or wrong bearer token"}"#;
        assert_eq!(strip_urls(body), body);
        assert_eq!(strip_urls("no bearer"), "no bearer");
    }

    #[test]
    fn truncates_on_char_boundary() {
        assert_eq!(truncate("ééé".into(), 3), "é");
        assert_eq!(truncate("abc".into(), 10), "abc");
    }
}
