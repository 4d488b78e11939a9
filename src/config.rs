//! Client options and their defaults. (runtime branch)
