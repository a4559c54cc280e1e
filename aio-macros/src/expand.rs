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
            let cfg = quote! {
                #krate::__private::TestConfig { driver: #driver, entries: #entries }
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
