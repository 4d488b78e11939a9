//! Recyclable promise slots. (runtime branch)
