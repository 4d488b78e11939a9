//! The client: submission API over the worker pool. (runtime branch)
