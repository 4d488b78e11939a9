//! Starting a local Azurite for tests. (blob branch)
