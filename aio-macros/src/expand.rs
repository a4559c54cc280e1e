//! Checking the annotated function and writing the expansion.
//!
//! On any error the output still holds a function of the same name and
//! shape, with the user's body, next to the `compile_error!`s: IDEs keep
//! completing and type-checking the body, and rustc reports nothing beyond
//! the macro's own messages.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::Ident;

use crate::item::ItemFn;
use crate::options::{self, DriverOpt, Kind, Options};

/// The whole macro: arguments and item in, item (and errors) out.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut input: ItemFn = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(e) => {
            // Not a function: give the item back untouched, with the error.
            let msg = format!("`{}` goes on an `async fn`: {e}", kind.attr());
            let mut out = item;
            out.extend(syn::Error::new(e.span(), msg).into_compile_error());
            return out;
        }
    };
    let (options, mut errors) = options::parse(kind, args);
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };

    // `async` missing: the body still fits in an async block, so expand as
    // usual. Arguments or generics: the body cannot be moved out of its
    // function, so keep that function as it is, nested in a stand-in.
    let mut expandable = true;
    let attr = kind.attr();
    if input.sig.asyncness.is_none() {
        let msg = format!(
            "`{attr}` needs an `async fn`: the `async` keyword is missing from the function declaration"
        );
        push(syn::Error::new_spanned(input.sig.fn_token, msg));
    }
    if !input.sig.inputs.is_empty() || input.sig.variadic.is_some() {
        let msg = format!("`{attr}` functions cannot take arguments");
        let mut span = input.sig.inputs.to_token_stream();
        input.sig.variadic.to_tokens(&mut span);
        push(syn::Error::new_spanned(span, msg));
        expandable = false;
    }
    if !input.sig.generics.params.is_empty() || input.sig.generics.where_clause.is_some() {
        let msg = format!("`{attr}` functions cannot be generic");
        push(syn::Error::new_spanned(&input.sig.generics, msg));
        expandable = false;
    }
    if kind == Kind::Test {
        if let Some(i) = input.outer_attrs.iter().position(is_test_attr) {
            let test_attr = input.outer_attrs.remove(i);
            let msg = "`#[aio::test]` already makes the function a test; remove this `#[test]`";
            push(syn::Error::new_spanned(test_attr, msg));
        }
    }

    let mut out = if expandable {
        expand_fn(kind, &input, &options)
    } else {
        stand_in(kind, &input)
    };
    if let Some(errors) = errors {
        out.extend(errors.into_compile_error());
    }
    out
}

/// `#[test]`, `#[core::prelude::v1::test]` and the like.
fn is_test_attr(attr: &syn::Attribute) -> bool {
    let syn::Meta::Path(path) = &attr.meta else {
        return false;
    };
    match path.segments.last() {
        Some(last) if last.ident == "test" && last.arguments.is_none() => {}
        _ => return false,
    }
    let first = path.segments.first().map(|s| s.ident.to_string());
    path.segments.len() == 1 || matches!(first.as_deref(), Some("core" | "std"))
}

/// The path to the `aio` crate: `crate = "..."` (with the user's spans),
/// or `::aio` located at `span`.
fn crate_path(options: &Options, span: Span) -> TokenStream {
    match &options.crate_path {
        Some(path) => path.to_token_stream(),
        None => quote_spanned!(span=> ::aio),
    }
}

fn driver_tokens(krate: &TokenStream, driver: DriverOpt) -> TokenStream {
    let variant = Ident::new(driver.variant(), Span::call_site());
    quote!(#krate::Driver::#variant)
}

fn entries_tokens(options: &Options) -> TokenStream {
    match options.entries {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    }
}

/// The function with its body moved into an async block and handed to the
/// runtime hook.
///
/// The hook call is spanned over the body's last statement, so that a
/// mismatch between the body's type and the declared return type (or a
/// missing `MainOutput` impl) is reported at the user's tail expression.
fn expand_fn(kind: Kind, input: &ItemFn, options: &Options) -> TokenStream {
    let attrs = input.attrs();
    let vis = &input.vis;
    let mut sig = input.sig.clone();
    sig.asyncness = None;
    let body = input.body();
    let (last_start, last_end) = input.last_stmt_spans();
    let start = Span::call_site().located_at(last_start);
    let end = Span::call_site().located_at(last_end);
    let krate = crate_path(options, start);
    let entries = entries_tokens(options);

    let (hook, args) = match kind {
        Kind::Test => {
            let driver = match options.driver {
                Some(d) => {
                    let d = driver_tokens(&krate, d);
                    quote!(::core::option::Option::Some(#d))
                }
                None => quote!(::core::option::Option::None),
            };
            let paused = options.start_paused;
            let cfg = quote! {
                #krate::__private::TestConfig {
                    driver: #driver,
                    entries: #entries,
                    start_paused: #paused,
                }
            };
            (quote!(run_test), quote!(#cfg, || async move #body))
        }
        Kind::Main => {
            let threads = options.threads;
            let driver = driver_tokens(&krate, options.driver.unwrap_or(DriverOpt::Auto));
            let cfg = quote! {
                #krate::__private::MainConfig {
                    threads: #threads,
                    entries: #entries,
                    driver: #driver,
                }
            };
            if threads == 1 {
                (quote!(run_main), quote!(#cfg, async move #body))
            } else {
                (
                    quote!(run_main_threads),
                    quote!(#cfg, move || async move #body),
                )
            }
        }
    };
    let head = quote_spanned!(start=> #krate::__private::#hook);
    let call = quote_spanned!(end=> #head(#args));
    let test_attr = match kind {
        Kind::Test => quote!(#[::core::prelude::v1::test]),
        Kind::Main => quote!(),
    };
    // `-> !` (a server's endless loop): the async block's output falls back
    // to `()`, so the call is a statement and the function ends in a panic
    // that the body's type makes unreachable.
    let returns_never =
        matches!(&sig.output, syn::ReturnType::Type(_, ty) if matches!(**ty, syn::Type::Never(_)));
    let body = if returns_never {
        quote! {
            #call;
            ::core::unreachable!("the body of a `-> !` function returned")
        }
    } else {
        call
    };
    quote! {
        #(#attrs)*
        #test_attr
        #vis #sig {
            #body
        }
    }
}

/// For a function whose signature cannot run (arguments, generics): a
/// stand-in of the same name and the shape the macro needs, holding the
/// user's function unchanged so its body is still checked.
fn stand_in(kind: Kind, input: &ItemFn) -> TokenStream {
    let attrs = input.attrs();
    let vis = &input.vis;
    let ident = &input.sig.ident;
    let sig = &input.sig;
    let body = input.body();
    let test_attr = match kind {
        Kind::Test => quote!(#[::core::prelude::v1::test]),
        Kind::Main => quote!(),
    };
    quote! {
        #(#attrs)*
        #test_attr
        #vis fn #ident() {
            #[allow(dead_code, unused_variables, clippy::all)]
            #sig #body
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion as text, with whitespace squeezed out so checks do not
    /// depend on how `TokenStream` prints spacing.
    fn expand_str(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        let out = expand(kind, args, item).to_string();
        out.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn has(haystack: &str, needle: &str) -> bool {
        let needle: String = needle.chars().filter(|c| !c.is_whitespace()).collect();
        haystack.contains(&needle)
    }

    #[test]
    fn main_single_thread_calls_run_main() {
        let out = expand_str(
            Kind::Main,
            quote!(entries = 64),
            quote!(
                async fn main() -> io::Result<()> {
                    Ok(())
                }
            ),
        );
        assert!(has(&out, "fn main() -> io::Result<()>"), "{out}");
        assert!(!has(&out, "async fn"), "{out}");
        assert!(has(&out, "::aio::__private::run_main("), "{out}");
        assert!(
            has(
                &out,
                "::aio::__private::MainConfig { threads: 1usize, \
                 entries: ::core::option::Option::Some(64u32), driver: ::aio::Driver::Auto, }"
            ),
            "{out}"
        );
        assert!(has(&out, "async move { Ok(()) }"), "{out}");
        assert!(!has(&out, "compile_error"), "{out}");
    }

    #[test]
    fn main_threads_calls_run_main_threads_with_a_maker() {
        let out = expand_str(
            Kind::Main,
            quote!(threads = 4, driver = "uring", crate = "my::rt"),
            quote!(
                async fn main() {}
            ),
        );
        assert!(has(&out, "my::rt::__private::run_main_threads("), "{out}");
        assert!(has(&out, "threads: 4usize"), "{out}");
        assert!(has(&out, "driver: my::rt::Driver::IoUring"), "{out}");
        assert!(has(&out, "move || async move {}"), "{out}");
    }

    #[test]
    fn main_threads_all_runs_one_runtime_per_cpu() {
        let out = expand_str(
            Kind::Main,
            quote!(threads = "all"),
            quote!(
                async fn main() {}
            ),
        );
        assert!(has(&out, "::aio::__private::run_main_threads("), "{out}");
        assert!(has(&out, "threads: 0usize"), "{out}");
        assert!(!has(&out, "compile_error"), "{out}");

        let bad = expand_str(
            Kind::Main,
            quote!(threads = "many"),
            quote!(
                async fn main() {}
            ),
        );
        assert!(has(&bad, "or `\\\"all\\\"`"), "{bad}");
    }

    #[test]
    fn test_calls_run_test_after_the_user_attributes() {
        let out = expand_str(
            Kind::Test,
            quote!(driver = "epoll"),
            quote! {
                /// docs
                #[should_panic]
                pub async fn t() { body() }
            },
        );
        let test_attr = out.find("#[::core::prelude::v1::test]");
        let should_panic = out.find("#[should_panic]");
        assert!(
            matches!((should_panic, test_attr), (Some(a), Some(b)) if a < b),
            "{out}"
        );
        assert!(has(&out, "pub fn t()"), "{out}");
        assert!(has(&out, "::aio::__private::run_test("), "{out}");
        assert!(
            has(
                &out,
                "TestConfig { driver: ::core::option::Option::Some(::aio::Driver::Epoll), \
                 entries: ::core::option::Option::None, start_paused: false, }"
            ),
            "{out}"
        );
        assert!(has(&out, "|| async move { body() }"), "{out}");
    }

    #[test]
    fn inner_attributes_move_outside() {
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                async fn main() {
                    #![allow(unused)]
                    let x = 1;
                }
            ),
        );
        assert!(has(&out, "#[allow(unused)] fn main()"), "{out}");
        assert!(!has(&out, "#!["), "{out}");
    }

    #[test]
    fn option_error_still_expands_with_the_valid_options() {
        let out = expand_str(
            Kind::Main,
            quote!(threads = 0, entries = 8),
            quote!(
                async fn main() {}
            ),
        );
        assert!(has(&out, "compile_error!"), "{out}");
        assert!(has(&out, "threads: 1usize"), "{out}");
        assert!(has(&out, "Some(8u32)"), "{out}");
        assert!(has(&out, "run_main("), "{out}");
    }

    #[test]
    fn arguments_keep_the_function_inside_a_stand_in() {
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                async fn main(x: u32) {
                    use_it(x)
                }
            ),
        );
        assert!(has(&out, "compile_error!"), "{out}");
        assert!(has(&out, "fn main() {"), "{out}");
        assert!(has(&out, "async fn main(x: u32) { use_it(x) }"), "{out}");
        assert!(!has(&out, "run_main"), "{out}");
    }

    #[test]
    fn a_second_test_attribute_is_dropped_and_reported() {
        let out = expand_str(
            Kind::Test,
            quote!(),
            quote!(
                #[test]
                async fn t() {}
            ),
        );
        assert!(has(&out, "compile_error!"), "{out}");
        assert!(
            out.starts_with("#[::core::prelude::v1::test]fnt()"),
            "{out}"
        );
        let attr = |tokens: TokenStream| -> syn::Attribute { syn::parse_quote!(#tokens) };
        assert!(is_test_attr(&attr(quote!(#[test]))));
        assert!(is_test_attr(&attr(quote!(#[::core::prelude::v1::test]))));
        assert!(is_test_attr(&attr(
            quote!(#[std::prelude::rust_2021::test])
        )));
        assert!(!is_test_attr(&attr(quote!(#[aio::test]))));
        assert!(!is_test_attr(&attr(quote!(#[tokio::test]))));
    }

    #[test]
    fn never_returning_main_ends_unreachable() {
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                async fn main() -> ! {
                    loop {}
                }
            ),
        );
        assert!(has(&out, "fn main() -> !"), "{out}");
        assert!(has(&out, "::core::unreachable!("), "{out}");
    }

    #[test]
    fn not_a_function_is_given_back_with_the_error() {
        let out = expand_str(
            Kind::Main,
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert!(has(&out, "struct S;"), "{out}");
        assert!(has(&out, "goes on an `async fn`"), "{out}");
    }
}
