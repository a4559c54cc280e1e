//! The attribute arguments: `#[aio::main(key = value, ...)]`.
//!
//! Every option has its own parser. A bad option (unknown or repeated key,
//! wrong syntax, bad value) is reported at its own tokens and parsing goes on
//! with the next one, so one pass shows every mistake; the options that did
//! parse are kept, so the expansion stays as close as possible to what the
//! user meant.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Lit, Path, Token};

/// Which macro is being expanded; decides the valid keys and the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[aio::main]`.
    Main,
    /// `#[aio::test]`.
    Test,
}

impl Kind {
    /// The attribute as users write it, for messages.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[aio::main]",
            Kind::Test => "#[aio::test]",
        }
    }

    /// The keys this macro accepts, in the order the docs list them.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Main => &["threads", "entries", "driver", "crate"],
            Kind::Test => &["driver", "entries", "start_paused", "crate"],
        }
    }

    /// "`a`, `b` and `c`", for messages.
    fn key_list(self) -> String {
        let keys: Vec<String> = self.keys().iter().map(|k| format!("`{k}`")).collect();
        match keys.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

/// The `driver = "..."` values, mirroring `aio::Driver`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DriverOpt {
    /// `"auto"`: `aio::Driver::Auto`.
    Auto,
    /// `"uring"`: `aio::Driver::IoUring`.
    IoUring,
    /// `"epoll"`: `aio::Driver::Epoll`.
    Epoll,
}

impl DriverOpt {
    /// The variant name in `aio::Driver`.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            DriverOpt::Auto => "Auto",
            DriverOpt::IoUring => "IoUring",
            DriverOpt::Epoll => "Epoll",
        }
    }
}

/// The options as parsed; absent or invalid ones keep their defaults.
pub(crate) struct Options {
    /// `threads = N`: runtimes (one per core) running the body; at least 1,
    /// or [`ALL_THREADS`].
    pub(crate) threads: usize,
    /// `entries = N`: the ring size; `None` leaves it to the runtime.
    pub(crate) entries: Option<u32>,
    /// `driver = "..."`; `None` is the macro's default (`Auto` for main,
    /// every available driver for tests).
    pub(crate) driver: Option<DriverOpt>,
    /// `start_paused = true`: the test's runtime starts with its clock
    /// paused (`aio::time::pause`).
    pub(crate) start_paused: bool,
    /// `crate = "path"`; `None` means `::aio`.
    pub(crate) crate_path: Option<Path>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: 1,
            entries: None,
            driver: None,
            start_paused: false,
            crate_path: None,
        }
    }
}

/// Parses the attribute arguments for `kind`.
///
/// Always returns options (the valid ones, defaults elsewhere) and, if
/// anything was wrong, one error carrying every message.
pub(crate) fn parse(kind: Kind, args: TokenStream) -> (Options, Option<syn::Error>) {
    let mut parser = OptionParser {
        kind,
        options: Options::default(),
        seen: Vec::new(),
        errors: None,
    };
    // The closure never fails: every problem is recorded in `errors`.
    let parsed = (|input: ParseStream<'_>| {
        parser.parse_all(input);
        Ok(())
    })
    .parse2(args);
    if let Err(e) = parsed {
        // Only if `parse_all` stopped early: syn reports the leftover tokens.
        parser.push(e);
    }
    (parser.options, parser.errors)
}

struct OptionParser {
    kind: Kind,
    options: Options,
    /// Keys already given, to reject repeats.
    seen: Vec<String>,
    errors: Option<syn::Error>,
}

impl OptionParser {
    fn push(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    fn parse_all(&mut self, input: ParseStream<'_>) {
        while !input.is_empty() {
            if let Err(e) = self.parse_one(input) {
                self.push(e);
                skip_to_comma(input);
            }
            if input.is_empty() {
                break;
            }
            // `parse_one` and `skip_to_comma` stop only at a comma or the
            // end, so this holds; were it ever not to, report, never panic.
            if let Err(e) = input.parse::<Token![,]>() {
                self.push(e);
                return;
            }
        }
    }

    /// Parses `key = value` up to the next top-level comma (not consumed).
    fn parse_one(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        let key = match input.call(Ident::parse_any) {
            Ok(key) => key,
            Err(_) => {
                let stray = value_tokens(input);
                let msg = format!(
                    "expected `key = value`; the options of `{}` are {}",
                    self.kind.attr(),
                    self.kind.key_list()
                );
                return Err(syn::Error::new_spanned(stray, msg));
            }
        };
        let name = key.unraw().to_string();
        let known = self.kind.keys().contains(&name.as_str());
        if !known {
            skip_to_comma(input);
            return Err(self.unknown_key(&key, &name));
        }
        if !input.peek(Token![=]) {
            let rest = value_tokens(input);
            let mut span = key.to_token_stream();
            span.extend(rest);
            let msg = format!("expected `{name} = ...`, e.g. `{}`", example(&name));
            return Err(syn::Error::new_spanned(span, msg));
        }
        let eq: Token![=] = input.parse()?;
        let value = value_tokens(input);
        if self.seen.contains(&name) {
            let msg = format!("`{name}` is given more than once");
            return Err(syn::Error::new(key.span(), msg));
        }
        self.seen.push(name.clone());
        if value.is_empty() {
            let msg = format!("`{name}` needs a value, e.g. `{}`", example(&name));
            return Err(syn::Error::new(eq.span, msg));
        }
        if let Some(next_key) = missing_comma(&value) {
            let msg = format!("expected `,` before `{next_key}`");
            return Err(syn::Error::new(next_key.span(), msg));
        }
        match name.as_str() {
            "threads" => self.options.threads = parse_threads(value)?,
            "entries" => self.options.entries = Some(parse_entries(value)?),
            "driver" => self.options.driver = Some(parse_driver(value)?),
            "start_paused" => self.options.start_paused = parse_bool(&name, value)?,
            "crate" => self.options.crate_path = Some(parse_crate(value)?),
            _ => unreachable!("`{name}` is listed in Kind::keys but has no parser"),
        }
        Ok(())
    }

    fn unknown_key(&self, key: &Ident, name: &str) -> syn::Error {
        let attr = self.kind.attr();
        let keys = self.kind.key_list();
        let msg = if self.kind == Kind::Test && name == "threads" {
            format!(
                "`threads` is not an option of `{attr}`: a test runs on one runtime per \
                 driver; to use several cores inside a test, use `aio::cores::Cores`; \
                 the options of `{attr}` are {keys}"
            )
        } else {
            let hint = match suggestion(self.kind, name) {
                Some(hint) => format!("; {hint}"),
                None => String::new(),
            };
            format!("unknown option `{name}`; the options of `{attr}` are {keys}{hint}")
        };
        syn::Error::new(key.span(), msg)
    }
}

/// A hint for names that people coming from other runtimes try.
fn suggestion(kind: Kind, name: &str) -> Option<&'static str> {
    match name {
        "worker_threads" | "thread" | "cores" | "workers" if kind == Kind::Main => {
            Some("did you mean `threads`?")
        }
        "flavor" if kind == Kind::Main => Some(
            "aio has no runtime flavors: every runtime is single-threaded; \
             `threads = N` starts one per core",
        ),
        "ring_size" | "ring_entries" | "sq_entries" | "queue_depth" | "entry" => {
            Some("did you mean `entries`?")
        }
        "backend" | "drivers" => Some("did you mean `driver`?"),
        "paused" | "start_pause" | "pause" if kind == Kind::Test => {
            Some("did you mean `start_paused`?")
        }
        "crate_name" | "krate" | "crate_path" => Some("did you mean `crate`?"),
        _ => None,
    }
}

/// A valid use of `key`, for messages.
fn example(key: &str) -> &'static str {
    match key {
        "threads" => "threads = 4",
        "entries" => "entries = 256",
        "driver" => "driver = \"epoll\"",
        "start_paused" => "start_paused = true",
        "crate" => "crate = \"::aio\"",
        _ => "key = value",
    }
}

/// The tokens up to (not including) the next top-level comma.
fn value_tokens(input: ParseStream<'_>) -> TokenStream {
    let mut tokens = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        match input.parse::<TokenTree>() {
            Ok(tt) => tokens.extend([tt]),
            Err(_) => break,
        }
    }
    tokens
}

/// In `threads = 2 entries = 8` the value of `threads` runs on into the next
/// option; returns the token that looks like the next key (`entries`).
fn missing_comma(value: &TokenStream) -> Option<TokenTree> {
    let tokens: Vec<TokenTree> = value.clone().into_iter().collect();
    let eq = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '='))?;
    match eq.checked_sub(1).map(|i| &tokens[i]) {
        Some(key @ TokenTree::Ident(_)) if eq >= 2 => Some(key.clone()),
        _ => None,
    }
}

fn skip_to_comma(input: ParseStream<'_>) {
    let _skipped = value_tokens(input);
}

/// The value as one literal, or `None` if it is anything else.
fn single_lit(value: &TokenStream) -> Option<Lit> {
    syn::parse2::<Lit>(value.clone()).ok()
}

/// A positive integer literal of type `T`, with messages naming `key`.
fn parse_positive<T>(key: &str, value: TokenStream) -> syn::Result<T>
where
    T: std::str::FromStr + PartialEq + From<u8>,
    T::Err: std::fmt::Display,
{
    let int = match single_lit(&value) {
        Some(Lit::Int(int)) => int,
        _ => {
            let msg = format!(
                "`{key}` expects an integer literal, e.g. `{}`",
                example(key)
            );
            return Err(syn::Error::new_spanned(value, msg));
        }
    };
    if int.base10_digits().starts_with('-') {
        let msg = format!("`{key}` must be at least 1");
        return Err(syn::Error::new(int.span(), msg));
    }
    let n: T = int.base10_parse().map_err(|e| {
        syn::Error::new(
            int.span(),
            format!("`{key}` = {}: {e}", int.base10_digits()),
        )
    })?;
    if n == T::from(0) {
        let msg = format!("`{key}` must be at least 1");
        return Err(syn::Error::new(int.span(), msg));
    }
    Ok(n)
}

/// `threads = N`, N >= 1.
/// `threads = N` (N >= 1) or `threads = "all"` (every CPU of the affinity
/// mask), the latter as [`ALL_THREADS`].
fn parse_threads(value: TokenStream) -> syn::Result<usize> {
    if let Some(Lit::Str(s)) = single_lit(&value) {
        return match s.value().as_str() {
            "all" => Ok(ALL_THREADS),
            other => Err(syn::Error::new_spanned(
                value,
                format!(
                    "`threads` expects an integer literal (`threads = 4`) or `\"all\"`, \
                     not `\"{other}\"`"
                ),
            )),
        };
    }
    parse_positive::<usize>("threads", value)
}

/// `threads = "all"`: one runtime per CPU the process may run on (the
/// runtime's `MainConfig` reads 0 as that).
pub(crate) const ALL_THREADS: usize = 0;

/// `entries = N`, 1 <= N <= u32::MAX; the runtime checks the kernel's limit.
fn parse_entries(value: TokenStream) -> syn::Result<u32> {
    parse_positive::<u32>("entries", value)
}

const DRIVER_VALUES: &str = "`\"auto\"`, `\"uring\"` or `\"epoll\"`";

/// `driver = "auto" | "uring" | "epoll"`.
fn parse_bool(key: &str, value: TokenStream) -> syn::Result<bool> {
    match single_lit(&value) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => {
            let msg = format!("`{key}` expects `true` or `false`");
            Err(syn::Error::new_spanned(value, msg))
        }
    }
}

fn parse_driver(value: TokenStream) -> syn::Result<DriverOpt> {
    let s = match single_lit(&value) {
        Some(Lit::Str(s)) => s,
        _ => {
            let msg = format!("`driver` expects a string: {DRIVER_VALUES}");
            return Err(syn::Error::new_spanned(value, msg));
        }
    };
    match s.value().as_str() {
        "auto" => Ok(DriverOpt::Auto),
        "uring" => Ok(DriverOpt::IoUring),
        "epoll" => Ok(DriverOpt::Epoll),
        other => {
            let hint = match other.to_ascii_lowercase().as_str() {
                "io_uring" | "iouring" | "io-uring" | "ring" => "; did you mean `\"uring\"`?",
                "auto" | "uring" | "epoll" => "; driver names are lowercase",
                _ => "",
            };
            let msg = format!("unknown driver `\"{other}\"`; expected {DRIVER_VALUES}{hint}");
            Err(syn::Error::new(s.span(), msg))
        }
    }
}

/// `crate = "path"`: the path under which `aio` is reachable.
fn parse_crate(value: TokenStream) -> syn::Result<Path> {
    let s = match single_lit(&value) {
        Some(Lit::Str(s)) => s,
        _ => {
            let msg = "`crate` expects a string holding a path, e.g. `crate = \"::aio\"`";
            return Err(syn::Error::new_spanned(value, msg));
        }
    };
    s.parse_with(Path::parse_mod_style).map_err(|_| {
        let msg = format!(
            "`crate = \"{}\"` is not a path; expected a path such as `\"::aio\"` or `\"my_crate::aio\"`",
            s.value()
        );
        syn::Error::new(s.span(), msg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn ok(kind: Kind, args: TokenStream) -> Options {
        match parse(kind, args) {
            (options, None) => options,
            (_, Some(e)) => panic!("unexpected error: {e}"),
        }
    }

    /// Every message, in order.
    fn errors(kind: Kind, args: TokenStream) -> Vec<String> {
        let args_text = args.to_string();
        match parse(kind, args) {
            (_, Some(e)) => e.into_iter().map(|e| e.to_string()).collect(),
            (_, None) => panic!("expected an error, but `{args_text}` parsed"),
        }
    }

    fn error(kind: Kind, args: TokenStream) -> String {
        let all = errors(kind, args);
        assert_eq!(all.len(), 1, "expected one error, got {all:?}");
        all.into_iter().next().unwrap_or_default()
    }

    #[test]
    fn defaults() {
        let o = ok(Kind::Main, quote!());
        assert_eq!(o.threads, 1);
        assert_eq!(o.entries, None);
        assert_eq!(o.driver, None);
        assert!(o.crate_path.is_none());
    }

    #[test]
    fn every_option() {
        let o = ok(
            Kind::Main,
            quote!(
                threads = 4,
                entries = 64,
                driver = "epoll",
                crate = "my::aio",
            ),
        );
        assert_eq!(o.threads, 4);
        assert_eq!(o.entries, Some(64));
        assert_eq!(o.driver, Some(DriverOpt::Epoll));
        let path = o.crate_path.map(|p| p.to_token_stream().to_string());
        assert_eq!(path.as_deref(), Some("my :: aio"));
    }

    #[test]
    fn driver_values() {
        for (s, d) in [
            ("auto", DriverOpt::Auto),
            ("uring", DriverOpt::IoUring),
            ("epoll", DriverOpt::Epoll),
        ] {
            assert_eq!(ok(Kind::Test, quote!(driver = #s)).driver, Some(d));
        }
        let e = error(Kind::Test, quote!(driver = "foo"));
        assert!(e.contains("unknown driver `\"foo\"`"), "{e}");
        assert!(e.contains(DRIVER_VALUES), "{e}");
        let e = error(Kind::Test, quote!(driver = "io_uring"));
        assert!(e.contains("did you mean `\"uring\"`"), "{e}");
        let e = error(Kind::Test, quote!(driver = epoll));
        assert!(e.contains("`driver` expects a string"), "{e}");
    }

    #[test]
    fn crate_path() {
        let o = ok(Kind::Test, quote!(crate = "::aio"));
        let path = o.crate_path.map(|p| p.to_token_stream().to_string());
        assert_eq!(path.as_deref(), Some(":: aio"));
        let e = error(Kind::Test, quote!(crate = "not a path"));
        assert!(e.contains("is not a path"), "{e}");
        let e = error(Kind::Test, quote!(crate = ""));
        assert!(e.contains("is not a path"), "{e}");
        let e = error(Kind::Test, quote!(crate = aio));
        assert!(e.contains("expects a string holding a path"), "{e}");
    }

    #[test]
    fn integers() {
        for args in [quote!(threads = 0), quote!(threads = -3)] {
            let e = error(Kind::Main, args);
            assert!(e.contains("`threads` must be at least 1"), "{e}");
        }
        let e = error(Kind::Main, quote!(entries = 0));
        assert!(e.contains("`entries` must be at least 1"), "{e}");
        let e = error(Kind::Main, quote!(entries = 5000000000));
        assert!(e.contains("`entries` = 5000000000"), "{e}");
        for args in [
            quote!(threads = "4"),
            quote!(threads = 4.0),
            quote!(threads = N),
            quote!(threads = 1 + 1),
        ] {
            let e = error(Kind::Main, args);
            assert!(e.contains("`threads` expects an integer literal"), "{e}");
        }
        assert_eq!(ok(Kind::Main, quote!(threads = 8usize)).threads, 8);
    }

    #[test]
    fn unknown_keys_list_the_valid_ones() {
        let e = error(Kind::Main, quote!(flavor = "multi_thread"));
        assert!(e.contains("unknown option `flavor`"), "{e}");
        assert!(
            e.contains("`threads`, `entries`, `driver` and `crate`"),
            "{e}"
        );
        let e = error(Kind::Test, quote!(foo = 1));
        assert!(
            e.contains("`driver`, `entries`, `start_paused` and `crate`"),
            "{e}"
        );
        let e = error(Kind::Test, quote!(paused = true));
        assert!(e.contains("did you mean `start_paused`?"), "{e}");
        let e = error(Kind::Test, quote!(start_paused = 1));
        assert!(
            e.contains("`start_paused` expects `true` or `false`"),
            "{e}"
        );
        assert!(ok(Kind::Test, quote!(start_paused = true)).start_paused);
        let e = error(Kind::Main, quote!(worker_threads = 2));
        assert!(e.contains("did you mean `threads`?"), "{e}");
    }

    #[test]
    fn threads_on_a_test_says_why() {
        let e = error(Kind::Test, quote!(threads = 2));
        assert!(
            e.contains("`threads` is not an option of `#[aio::test]`"),
            "{e}"
        );
        assert!(e.contains("aio::cores::Cores"), "{e}");
    }

    #[test]
    fn duplicates() {
        let e = error(Kind::Main, quote!(threads = 2, threads = 3));
        assert!(e.contains("`threads` is given more than once"), "{e}");
        // The first value stands.
        let (o, _) = parse(Kind::Main, quote!(threads = 2, threads = 3));
        assert_eq!(o.threads, 2);
    }

    #[test]
    fn syntax() {
        let e = error(Kind::Main, quote!(threads));
        assert!(e.contains("expected `threads = ...`"), "{e}");
        let e = error(Kind::Main, quote!(threads(4)));
        assert!(e.contains("expected `threads = ...`"), "{e}");
        let e = error(Kind::Main, quote!(4));
        assert!(e.contains("expected `key = value`"), "{e}");
        let e = error(Kind::Main, quote!(threads =));
        assert!(e.contains("`threads` needs a value"), "{e}");
        let e = error(Kind::Main, quote!(threads = 2 entries = 8));
        assert_eq!(e, "expected `,` before `entries`");
        let (o, e) = parse(Kind::Main, quote!(, threads = 2));
        assert!(e.is_some());
        assert_eq!(o.threads, 2);
        let e = error(Kind::Main, quote!("threads" = 4));
        assert!(e.contains("expected `key = value`"), "{e}");
    }

    #[test]
    fn every_mistake_is_reported_and_good_options_kept() {
        let (o, e) = parse(
            Kind::Main,
            quote!(threads = 0, bogus = 1, entries = 32, driver = "x"),
        );
        let msgs: Vec<String> = e.into_iter().flatten().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert_eq!(o.entries, Some(32));
        assert_eq!(o.threads, 1);
        assert_eq!(o.driver, None);
    }

    #[test]
    fn raw_keys_are_accepted() {
        assert_eq!(ok(Kind::Main, quote!(r#threads = 2)).threads, 2);
    }
}
