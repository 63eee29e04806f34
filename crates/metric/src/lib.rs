//! Metric engine (under construction).
