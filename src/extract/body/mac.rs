//! Macro calls: arguments read as expressions, `select!` branches, `join!`.

use super::*;

impl Walker<'_, '_> {
    pub(super) fn mac(&mut self, mac: &syn::Macro) -> Val {
        if self.fx.macro_depth >= crate::extract::MAX_MACRO_DEPTH {
            return Val::None;
        }
        self.fx.macro_depth += 1;
        let v = self.mac_body(mac);
        self.fx.macro_depth -= 1;
        v
    }

    /// A call of one of the file's own `macro_rules!` macros, expanded (see
    /// [`crate::extract::expand`]).
    fn user_macro(&mut self, mac: &syn::Macro) -> Option<proc_macro2::TokenStream> {
        if self.fx.user_macros.is_empty() {
            return None;
        }
        let call = call_span(mac);
        let ts = self.fx.user_macros.expand(mac, call)?;
        let span = sp(call);
        if !self.fx.facts.expansions.contains(&span) {
            self.fx.facts.expansions.push(span);
        }
        Some(ts)
    }

    /// A macro call in statement position that is one of the file's own: its expansion's
    /// statements are walked where the call stands, so the bindings they make live to the end
    /// of the enclosing block. `false` when it is not expanded.
    pub(super) fn user_macro_stmts(&mut self, mac: &syn::Macro) -> bool {
        if self.fx.macro_depth >= crate::extract::MAX_MACRO_DEPTH {
            return false;
        }
        let Some(ts) = self.user_macro(mac) else {
            return false;
        };
        let Ok(stmts) = syn::parse::Parser::parse2(syn::Block::parse_within, ts) else {
            return false;
        };
        self.fx.macro_depth += 1;
        self.stmts_in_frame(&stmts);
        self.fx.macro_depth -= 1;
        true
    }

    pub(super) fn mac_body(&mut self, mac: &syn::Macro) -> Val {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return Val::None;
        };
        // One of the file's own macros, in expression position: an expression, or statements
        // in a block of their own.
        if let Some(ts) = self.user_macro(mac) {
            if let Ok(e) = syn::parse2::<syn::Expr>(ts.clone()) {
                return self.expr(&e);
            }
            if let Ok(stmts) = syn::parse::Parser::parse2(syn::Block::parse_within, ts) {
                let block = syn::Block {
                    brace_token: syn::token::Brace(mac.delimiter.span().join()),
                    stmts,
                };
                return self.block_inner(&block);
            }
        }
        if macros::is_opaque(&name) {
            return Val::None;
        }
        match macros::macro_kind(&name) {
            MacroKind::AddrOf { mutable } => {
                let access = if mutable { Access::RefMut } else { Access::Ref };
                if let Ok(e) = syn::parse2::<syn::Expr>(mac.tokens.clone()) {
                    self.expr_access(&e, access);
                }
                Val::None
            }
            MacroKind::Select => {
                let branches = macros::select_branches(&mac.tokens);
                for b in &branches {
                    if let Some(f) = &b.future {
                        let v = self.expr(f);
                        self.mark_awaited(&v);
                    }
                    if let Some(g) = &b.guard {
                        self.expr(g);
                    }
                }
                let span = name_span(mac);
                self.push_event(EventKind::Await, span);
                let entry = self.snapshot();
                let mut ends = vec![];
                for b in &branches {
                    self.restore(entry.clone());
                    if let Some(h) = &b.handler {
                        self.expr(h);
                    }
                    ends.push(self.snapshot());
                }
                if ends.is_empty() {
                    ends.push(entry);
                }
                self.restore(Self::join(ends));
                Val::None
            }
            // Arguments that are only literals and plain names do nothing we follow.
            MacroKind::Args if !macros::worth_reading(&mac.tokens) => Val::None,
            kind => {
                // `assert!(cond, ..)` is `if !cond { panic!(..) }`: the condition's
                // temporaries (a guard in `m.lock().unwrap().is_empty()`) end before the
                // message is formatted.
                let cond_first = matches!(name.as_str(), "assert" | "debug_assert");
                for (i, e) in macros::macro_args(&mac.tokens).into_iter().enumerate() {
                    match &e {
                        syn::Expr::Async(ab) => {
                            self.async_block(ab, false);
                        }
                        e if cond_first && i == 0 => {
                            self.temp_scope(|w| {
                                w.expr(e);
                                Val::None
                            });
                        }
                        e => {
                            let v = self.expr(e);
                            if kind == MacroKind::Join {
                                self.mark_awaited(&v);
                            }
                        }
                    }
                }
                match kind {
                    MacroKind::Diverging => self.diverge(),
                    MacroKind::Join => {
                        let span = name_span(mac);
                        self.push_event(EventKind::Await, span);
                    }
                    _ => {}
                }
                Val::None
            }
        }
    }
}

/// A whole macro call, from its path to its closing delimiter.
fn call_span(mac: &syn::Macro) -> proc_macro2::Span {
    let start = mac
        .path
        .segments
        .first()
        .map(|s| s.ident.span())
        .unwrap_or_else(proc_macro2::Span::call_site);
    start.join(mac.delimiter.span().close()).unwrap_or(start)
}

/// A macro call's name with its `!`: where the `.await` it stands for happens.
fn name_span(mac: &syn::Macro) -> Span {
    between(
        mac.path
            .segments
            .first()
            .map(|s| s.ident.span())
            .unwrap_or_else(proc_macro2::Span::call_site),
        mac.bang_token.span,
    )
}
