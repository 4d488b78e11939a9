//! The grammar of ARM resource ids: Go's `arm.ParseResourceID` (azcore v1.18.0), as a
//! loop over a window of the next four non-empty segments (`docs/protocol.md` section 6).

use super::segments::Segments;
use crate::error::ResourceIdErrorKind;

/// The namespace of the built-in types (subscriptions, resource groups, provider
/// namespaces, the tenant).
pub(super) const BUILTIN_NAMESPACE: &str = "Microsoft.Resources";

/// One scope of an id, as byte offsets into the canonical string.
#[derive(Clone, Copy, Debug)]
pub(super) struct Level {
    /// `canonical[..end]` is this scope's canonical string.
    pub(super) end: u32,
    /// The resource name (empty for a trailing type without a name).
    pub(super) name: Span,
    /// The last element of this scope's type, as written in the canonical string.
    pub(super) last_type: Span,
    /// The type namespace; `None` is `Microsoft.Resources` (the built-in types).
    pub(super) namespace: Option<Span>,
    /// Index of the first level whose `last_type` is part of this level's type chain.
    pub(super) base: u32,
    /// Which built-in type this level's type is exactly (Go compares type strings).
    pub(super) builtin: Builtin,
    /// Which inherited fields this level sets (`SETS_*`).
    pub(super) sets: u8,
}

/// The built-in types Go's parser compares type strings with (exact, case-sensitive
/// `Microsoft.Resources/{type}`), or `None` for any other type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Builtin {
    None,
    Tenant,
    Subscription,
    ResourceGroup,
    Provider,
}

impl Builtin {
    /// Which built-in type `{namespace}/{ty}` is, compared as exact strings.
    fn of(namespace: &str, ty: &str) -> Builtin {
        if namespace != BUILTIN_NAMESPACE {
            return Builtin::None;
        }
        match ty {
            "tenants" => Builtin::Tenant,
            "subscriptions" => Builtin::Subscription,
            "resourceGroups" => Builtin::ResourceGroup,
            "providers" => Builtin::Provider,
            _ => Builtin::None,
        }
    }
}

pub(super) const SETS_SUBSCRIPTION: u8 = 1;
pub(super) const SETS_RESOURCE_GROUP: u8 = 2;
pub(super) const SETS_PROVIDER: u8 = 4;
pub(super) const SETS_LOCATION: u8 = 8;

/// A byte range of the canonical string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span(pub(super) u32, pub(super) u32);

impl Span {
    /// The text of `span` in `s` (empty if out of range, which never happens).
    pub(super) fn of(s: &str, span: Span) -> &str {
        s.get(span.0 as usize..span.1 as usize).unwrap_or("")
    }
}

/// Go's `strings.EqualFold(a, keyword)` for a `keyword` of lower-case ASCII letters:
/// ASCII letters in any case, and the two non-ASCII letters whose simple case folding
/// is an ASCII one, 'ſ' (U+017F, folds to 's') and 'K' (U+212A, Kelvin sign, to 'k').
#[inline]
fn eq_ic(a: &str, keyword: &str) -> bool {
    debug_assert!(keyword.bytes().all(|c| c.is_ascii_lowercase()));
    let n = keyword.len();
    if a.len() == n {
        // Those two letters take more bytes than 's' or 'k', so a string as long as the
        // keyword matches only with ASCII letters; for letters, OR-ing in 0x20 lowers
        // the case, and no other byte becomes a lower-case letter that way.
        let (a, k) = (a.as_bytes(), keyword.as_bytes());
        return a.iter().zip(k).all(|(c, k)| c | 0x20 == *k);
    }
    if a.len() < n {
        return false;
    }
    eq_ic_longer(a, keyword)
}

/// [`eq_ic`] for `a` longer than `keyword`: only 'ſ' or 'K' in `a` can make it match.
#[cold]
fn eq_ic_longer(a: &str, keyword: &str) -> bool {
    // Longer: compare letter by letter (this stops at the first difference).
    let mut k = keyword.chars();
    let folded = a.chars().all(|c| {
        let c = match c {
            '\u{17F}' => 's',
            '\u{212A}' => 'k',
            c => c,
        };
        k.next().is_some_and(|kc| c.eq_ignore_ascii_case(&kc))
    });
    folded && k.next().is_none()
}

/// Builds the levels of an id while writing its canonical string.
struct Builder {
    canonical: String,
    levels: Vec<Level>,
}

impl Builder {
    fn span(&mut self, s: &str) -> Span {
        let start = self.canonical.len() as u32;
        self.canonical.push_str(s);
        Span(start, self.canonical.len() as u32)
    }

    /// True when the type of the current innermost scope (the tenant root when there is
    /// none) is exactly the built-in type `b`, as Go's `ResourceType.String() ==`.
    fn parent_is(&self, b: Builtin) -> bool {
        self.levels.last().map_or(Builtin::Tenant, |l| l.builtin) == b
    }

    /// Pushes the level that ends here. `ty` is its last type; `base` the first level of
    /// its type chain.
    fn push(
        &mut self,
        ty: &str,
        spans: [Span; 2],
        namespace: Option<Span>,
        base: usize,
        builtin: Builtin,
    ) {
        let [last_type, name] = spans;
        // Go's `init`: the type string decides which inherited field the name sets.
        let mut sets = match builtin {
            Builtin::Subscription => SETS_SUBSCRIPTION,
            Builtin::ResourceGroup => SETS_RESOURCE_GROUP,
            Builtin::Provider => SETS_PROVIDER,
            Builtin::None | Builtin::Tenant => 0,
        };
        // `resourceType.lastType() == "locations"`: lower case only.
        if ty == "locations" {
            sets |= SETS_LOCATION;
        }
        self.levels.push(Level {
            end: self.canonical.len() as u32,
            name,
            last_type,
            namespace,
            base: base as u32,
            builtin,
            sets,
        });
    }

    /// Writes `/{ty}` and, when `name` is not empty, `/{name}`.
    fn write_pair(&mut self, ty: &str, name: &str) -> [Span; 2] {
        self.canonical.push('/');
        let last_type = self.span(ty);
        if name.is_empty() {
            return [last_type, Span(last_type.1, last_type.1)];
        }
        self.canonical.push('/');
        [last_type, self.span(name)]
    }

    /// `{type}/{name}` (or a trailing `{type}` when `name` is empty) that is not a
    /// provider segment: Go's `newResourceID` with `chooseResourceType`.
    fn child(&mut self, ty: &str, name: &str) {
        let here = self.levels.len();
        if eq_ic(ty, "resourcegroups") {
            // resourceGroups under any parent is a resource group (azcore v1.18.0).
            let spans = self.write_pair("resourceGroups", name);
            self.push("resourceGroups", spans, None, here, Builtin::ResourceGroup);
        } else if eq_ic(ty, "subscriptions") && self.parent_is(Builtin::Tenant) {
            let spans = self.write_pair("subscriptions", name);
            self.push("subscriptions", spans, None, here, Builtin::Subscription);
        } else {
            // The parent's type with `ty` appended (Go's `AppendChild`): a chain of two
            // or more types is never a built-in type. The tenant root never gets such a
            // child (the first segment is subscriptions or providers); were it to, the
            // chain would start here.
            let (namespace, base) = self
                .levels
                .last()
                .map_or((None, here), |p| (p.namespace, p.base as usize));
            let spans = self.write_pair(ty, name);
            self.push(ty, spans, namespace, base, Builtin::None);
        }
    }

    /// `providers/{namespace}`: a provider namespace id (type
    /// `Microsoft.Resources/providers`, name = the namespace).
    fn namespace(&mut self, namespace: &str) {
        let here = self.levels.len();
        let spans = self.write_pair("providers", namespace);
        self.push("providers", spans, None, here, Builtin::Provider);
    }

    /// `providers/{namespace}/{type}/{name}`: a provider (or extension) resource.
    fn provider(&mut self, namespace: &str, ty: &str, name: &str) {
        let here = self.levels.len();
        self.canonical.push_str("/providers/");
        let ns = self.span(namespace);
        let spans = self.write_pair(ty, name);
        self.push(ty, spans, Some(ns), here, Builtin::of(namespace, ty));
    }
}

/// The next (up to four) non-empty segments of an id: enough lookahead for every rule
/// of Go's `appendNext`, without collecting the segments.
struct Window<'a> {
    segments: Segments<'a>,
    window: [&'a str; 4],
    len: usize,
}

impl<'a> Window<'a> {
    fn new(input: &'a str) -> Self {
        Window {
            segments: Segments::new(input),
            window: [""; 4],
            len: 0,
        }
    }

    /// The next segments: all that remain when fewer than four do.
    fn get(&mut self) -> &[&'a str] {
        while let Some(slot) = self.window.get_mut(self.len) {
            match self.segments.next() {
                Some(s) => {
                    *slot = s;
                    self.len += 1;
                }
                None => break,
            }
        }
        self.window.get(..self.len).unwrap_or(&[])
    }

    /// Consumes the first `n` segments of the window.
    fn advance(&mut self, n: usize) {
        let n = n.min(self.len);
        self.window.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

pub(super) const EMPTY_LEVEL: Level = Level {
    end: 0,
    name: Span(0, 0),
    last_type: Span(0, 0),
    namespace: None,
    base: 0,
    builtin: Builtin::None,
    sets: 0,
};

/// Go's `ParseResourceID`: the canonical string and the levels of `input`.
pub(super) fn parse(input: &str) -> Result<(String, Vec<Level>), ResourceIdErrorKind> {
    use ResourceIdErrorKind as E;
    if input.is_empty() {
        return Err(E::Empty);
    }
    if !input.starts_with('/') {
        return Err(E::NoLeadingSlash);
    }
    // Offsets are u32. The canonical form is never longer than the input: it only
    // drops empty segments and rewrites keywords to spellings of the same length.
    if u32::try_from(input.len()).is_err() {
        return Err(E::TooLong);
    }
    let mut parts = Window::new(input);
    match parts.get() {
        [first, _, ..] if eq_ic(first, "subscriptions") || eq_ic(first, "providers") => {}
        [_, _, ..] => return Err(E::BadFirstSegment),
        _ => return Err(E::TooShort),
    }
    // Typical ids have 2 to 5 levels; deeper ones grow the vector.
    let mut b = Builder {
        canonical: String::with_capacity(input.len()),
        levels: Vec::with_capacity(6),
    };
    // Go's recursive `appendNext`, as a loop over a window of the next segments.
    loop {
        let window = parts.get();
        let providers = window.first().is_some_and(|p| eq_ic(p, "providers"));
        let used = match window {
            [] => break,
            &[ty] => {
                if eq_ic(ty, "subscriptions") || eq_ic(ty, "resourcegroups") {
                    return Err(E::MissingName);
                }
                if b.parent_is(Builtin::ResourceGroup) {
                    return Err(E::TypeUnderResourceGroup);
                }
                b.child(ty, "");
                1
            }
            &[_, ns, ref tail @ ..]
                if providers && tail.first().is_none_or(|t| eq_ic(t, "providers")) =>
            {
                if !b.parent_is(Builtin::Subscription) && !b.parent_is(Builtin::Tenant) {
                    return Err(E::MisplacedNamespace);
                }
                b.namespace(ns);
                2
            }
            &[_, ns, ty, name, ..] if providers => {
                b.provider(ns, ty, name);
                4
            }
            [_, ..] if providers => {
                return Err(E::IncompleteProvider);
            }
            &[ty, name, ..] => {
                b.child(ty, name);
                2
            }
        };
        parts.advance(used);
    }
    Ok((b.canonical, b.levels))
}

#[cfg(test)]
mod tests;
