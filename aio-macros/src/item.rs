//! A light `fn` item parser: the signature is parsed, the body is kept as
//! token trees split at top-level `;`.
//!
//! Like tokio-macros, this avoids parsing every statement with syn: it is
//! faster, and a body that syn cannot parse (newer syntax, or code the user
//! is in the middle of typing) still expands.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{braced, token, Attribute, Signature, Visibility};

/// A function item, with its body as raw statements.
pub(crate) struct ItemFn {
    /// `#[...]` before the function.
    pub(crate) outer_attrs: Vec<Attribute>,
    /// `pub`, `pub(crate)`, or nothing.
    pub(crate) vis: Visibility,
    /// Everything from `async` / `fn` to the return type and where clause.
    pub(crate) sig: Signature,
    brace_token: token::Brace,
    /// `#![...]` at the top of the body.
    inner_attrs: Vec<Attribute>,
    /// Statements, each with its terminating `;` if it had one.
    stmts: Vec<TokenStream>,
}

impl ItemFn {
    /// Every attribute, with inner ones (`#![...]`) turned into outer ones:
    /// the body moves into a block, where inner attributes are not allowed.
    pub(crate) fn attrs(&self) -> Vec<Attribute> {
        let inner = self.inner_attrs.iter().cloned().map(|mut attr| {
            attr.style = syn::AttrStyle::Outer;
            attr
        });
        self.outer_attrs.iter().cloned().chain(inner).collect()
    }

    /// The body, braces included, with the user's spans.
    pub(crate) fn body(&self) -> TokenStream {
        let mut tokens = TokenStream::new();
        self.brace_token.surround(&mut tokens, |tokens| {
            for stmt in &self.stmts {
                stmt.to_tokens(tokens);
            }
        });
        tokens
    }

    /// The first and last token spans of the last statement (the closing
    /// brace when the body is empty). Generated code that ties the body's
    /// type to the function's is spanned here, so a mismatch is reported
    /// at the user's tail expression rather than at the attribute.
    pub(crate) fn last_stmt_spans(&self) -> (Span, Span) {
        let mut last = self.stmts.last().cloned().unwrap_or_default().into_iter();
        let close = self.brace_token.span.close();
        let start = last.next().map_or(close, |t| t.span());
        let end = last.last().map_or(start, |t| t.span());
        (start, end)
    }
}

impl Parse for ItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let outer_attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let content;
        let brace_token = braced!(content in input);
        let inner_attrs = Attribute::parse_inner(&content)?;

        let mut stmts = Vec::new();
        let mut buf = TokenStream::new();
        while !content.is_empty() {
            if let Some(semi) = content.parse::<Option<syn::Token![;]>>()? {
                semi.to_tokens(&mut buf);
                stmts.push(std::mem::take(&mut buf));
                continue;
            }
            buf.extend([content.parse::<TokenTree>()?]);
        }
        if !buf.is_empty() {
            stmts.push(buf);
        }
        Ok(ItemFn {
            outer_attrs,
            vis,
            sig,
            brace_token,
            inner_attrs,
            stmts,
        })
    }
}
