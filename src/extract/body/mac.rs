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

    pub(super) fn mac_body(&mut self, mac: &syn::Macro) -> Val {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return Val::None;
        };
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
                for e in macros::macro_args(&mac.tokens) {
                    match &e {
                        syn::Expr::Async(ab) => {
                            self.async_block(ab, false);
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
