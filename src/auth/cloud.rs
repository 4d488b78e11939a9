//! The Azure cloud and the token scope it implies (`docs/protocol.md` section 2).

/// The scope used when no cloud is configured (the Go client's default).
pub const ARG_SCOPE: &str = "https://arg.management.core.windows.net//.default";
/// The scope used for the Azure public, US Government and China clouds. The double
/// slash is real.
pub const ARN_SCOPE: &str = "api://41fc9deb-1ccc-4fcc-871d-12bf54ad8986//.default";

/// The Azure cloud the publisher runs in; it picks the token scope.
///
/// The Go client uses [`ARG_SCOPE`] unless a cloud configuration is given, and
/// [`ARN_SCOPE`] when it is one of the three Azure clouds. We follow it: no cloud set,
/// or [`Cloud::Other`], means [`ARG_SCOPE`]; an explicit [`Cloud::AzurePublic`],
/// [`Cloud::AzureUsGovernment`] or [`Cloud::AzureChina`] means [`ARN_SCOPE`]. An
/// explicit scope (`ReceiverConfig::scope`) overrides both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cloud {
    /// Azure public cloud.
    AzurePublic,
    /// Azure US Government.
    AzureUsGovernment,
    /// Azure China (21Vianet).
    AzureChina,
    /// Any other (sovereign, private or test) cloud: the default scope.
    Other,
}

impl Cloud {
    /// The token scope for this cloud.
    pub fn scope(self) -> &'static str {
        match self {
            Cloud::AzurePublic | Cloud::AzureUsGovernment | Cloud::AzureChina => ARN_SCOPE,
            Cloud::Other => ARG_SCOPE,
        }
    }

    /// The scope for an optional cloud: [`ARG_SCOPE`] when none is set.
    pub fn scope_for(cloud: Option<Cloud>) -> &'static str {
        cloud.map_or(ARG_SCOPE, Cloud::scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert_eq!(
            Cloud::scope_for(None),
            "https://arg.management.core.windows.net//.default"
        );
        assert_eq!(Cloud::Other.scope(), ARG_SCOPE);
        for c in [
            Cloud::AzurePublic,
            Cloud::AzureUsGovernment,
            Cloud::AzureChina,
        ] {
            assert_eq!(
                Cloud::scope_for(Some(c)),
                "api://41fc9deb-1ccc-4fcc-871d-12bf54ad8986//.default"
            );
        }
    }
}
