//! Where a notification first came from, kept across resume files.
//!
//! `arn send` writes `# from FILE:LINE:COLUMN` above each line of its resume file.
//! Every input reader treats a line whose first non-blank character is `#` as a
//! comment; a record right below a `# from` comment takes that place as its origin,
//! so the resume file of a resume names the original input again.

use std::borrow::Cow;

use crate::input::Position;

/// What a resume file's comment line starts with.
pub const FROM: &str = "# from ";

/// The `# from` comments of one file, by the 1-based line they are on.
#[derive(Debug, Default)]
pub struct Origins(Vec<(usize, String)>);

impl Origins {
    /// The origin named just above a record that starts on `line`.
    pub fn above(&self, line: usize) -> Option<String> {
        let above = line.checked_sub(1)?;
        self.0
            .iter()
            .find(|(at, _)| *at == above)
            .map(|(_, origin)| origin.clone())
    }
}

/// The text with every comment line blanked out (spaces, so byte offsets, lines and
/// columns stay as they were), and the origins its `# from` comments name.
pub fn strip_comments(text: &str) -> (Cow<'_, str>, Origins) {
    let is_comment = |line: &str| {
        line.trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('#')
    };
    if !text.split_inclusive('\n').any(is_comment) {
        return (Cow::Borrowed(text), Origins::default());
    }
    let mut out = String::with_capacity(text.len());
    let mut origins = Vec::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if !is_comment(line) {
            out.push_str(line);
            continue;
        }
        let body = line.trim_end_matches(['\r', '\n']);
        let comment = body.trim_start_matches('\u{feff}').trim();
        if let Some(origin) = comment.strip_prefix(FROM.trim_end()) {
            origins.push((i + 1, origin.trim().to_string()));
        }
        out.extend(std::iter::repeat_n(' ', body.len()));
        out.push_str(&line[body.len()..]);
    }
    (Cow::Owned(out), Origins(origins))
}

/// `at`, followed by ` (from ORIGIN)` when the record came from a resume file.
pub fn place(at: &Position, origin: Option<&str>) -> String {
    match origin {
        Some(origin) => format!("{at} (from {origin})"),
        None => at.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_blanked_in_place_and_origins_kept() {
        let text = "# from a.ndjson:3:1\n{}\r\n  # note é\n\n# from b.json:7:5\n{}\n";
        let (clean, origins) = strip_comments(text);
        assert_eq!(clean.len(), text.len());
        assert_eq!(clean.lines().count(), text.lines().count());
        assert!(!clean.contains('#'));
        assert_eq!(clean.lines().nth(1), Some("{}"));
        assert_eq!(origins.above(2).as_deref(), Some("a.ndjson:3:1"));
        assert_eq!(origins.above(6).as_deref(), Some("b.json:7:5"));
        assert_eq!(origins.above(4), None);
        assert_eq!(origins.above(1), None);
        assert!(matches!(strip_comments("{}\n"), (Cow::Borrowed(_), _)));
    }
}
