//! Storage (under construction).
