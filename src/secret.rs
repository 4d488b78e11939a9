//! Values that must never reach logs, errors or `Debug` output.

use std::fmt;

/// A secret string (an access token). `Debug` and `Display` print `<redacted>`;
/// the value is reachable only through [`SecretString::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A URL whose query string is secret (a SAS URL: its `sig` grants access).
/// `Debug` and `Display` print the URL without its query string; the full URL is
/// reachable only through [`SecretUrl::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The full URL, query string included. Call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without its query string: safe to log.
    pub fn redacted(&self) -> &str {
        strip_query(&self.0)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({}?<redacted>)", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}?<redacted>", self.redacted())
    }
}

/// `url` without its query string and fragment (where SAS signatures live): the one
/// place the crate cuts a URL for logs, errors and `Debug`.
pub(crate) fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let t = SecretString::new("sentinel-token");
        assert!(!format!("{t:?} {t}").contains("sentinel"));
        assert_eq!(t.expose(), "sentinel-token");
        let u = SecretUrl::new("https://a.blob/c/b.txt?sv=1&sig=sentinel-sig");
        let shown = format!("{u:?} {u}");
        assert!(!shown.contains("sentinel"), "{shown}");
        assert!(shown.contains("https://a.blob/c/b.txt"));
        assert_eq!(u.redacted(), "https://a.blob/c/b.txt");
        assert_eq!(strip_query("https://a/b?sig=x"), "https://a/b");
        assert_eq!(strip_query("https://a/b#f"), "https://a/b");
        assert_eq!(strip_query("https://a/b"), "https://a/b");
    }
}
