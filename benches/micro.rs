//! Criterion micro-benchmarks (in progress).
fn main() {}
