//! Compile errors of `#[aio::main]` and `#[aio::test]`, pinned with
//! trybuild: each case under `tests/ui/fail/` must fail with exactly the
//! messages and spans in its `.stderr` file, and each case under
//! `tests/ui/pass/` must build and run.
//!
//! After an intended change to a message, regenerate the `.stderr` files
//! with `TRYBUILD=overwrite cargo test --test macros_ui` and read the diff.
//! The expected output depends on the compiler's wording, so the test is
//! pinned to the stable toolchain the workspace builds with.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
