//! The worker threads. (runtime branch)
