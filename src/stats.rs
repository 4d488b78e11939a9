//! Client statistics snapshots. (runtime branch)
