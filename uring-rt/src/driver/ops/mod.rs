//! Operation definitions, one per file; each runs on both backends.
