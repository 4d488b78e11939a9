//! The event subject (`arn-protocol.md` section 5). STUB: to be implemented.

use std::borrow::Cow;

use super::ResourceId;

/// The longest ARM scope shared by every id: one id gives itself, ids in different
/// subscriptions give `"/"`.
pub fn subject<'a, I>(ids: I) -> Cow<'a, str>
where
    I: IntoIterator<Item = &'a ResourceId>,
{
    let mut it = ids.into_iter();
    match it.next() {
        Some(id) => Cow::Borrowed(id.as_str()),
        None => Cow::Borrowed("/"),
    }
}
