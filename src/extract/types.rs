//! Types as written (`syn::Type` → [`TypeFact`]), and the type an initializer visibly builds.

use crate::facts::{TypeFact, TypePath, TypeSeg};
use crate::intern::Sym;

pub fn type_fact(ty: &syn::Type) -> TypeFact {
    match ty {
        syn::Type::Path(p) => match &p.qself {
            // `<T as Trait>::Assoc`: the projection is unknown to a syntax-only tool.
            Some(_) => TypeFact::Other,
            None => TypeFact::Path(type_path(&p.path)),
        },
        syn::Type::Reference(r) => TypeFact::Ref(Box::new(type_fact(&r.elem))),
        syn::Type::Ptr(p) => TypeFact::Ptr(Box::new(type_fact(&p.elem))),
        syn::Type::Tuple(t) => TypeFact::Tuple(t.elems.iter().map(type_fact).collect()),
        syn::Type::Array(a) => TypeFact::Array(Box::new(type_fact(&a.elem))),
        syn::Type::Slice(s) => TypeFact::Array(Box::new(type_fact(&s.elem))),
        syn::Type::Paren(p) => type_fact(&p.elem),
        syn::Type::Group(g) => type_fact(&g.elem),
        syn::Type::ImplTrait(t) => TypeFact::Bounds(bounds(t.bounds.iter())),
        syn::Type::TraitObject(t) => TypeFact::Bounds(bounds(t.bounds.iter())),
        syn::Type::FnPtr(_) => TypeFact::FnPtr,
        _ => TypeFact::Other,
    }
}

fn bounds<'a>(bounds: impl Iterator<Item = &'a syn::TypeParamBound>) -> Vec<TypePath> {
    bounds
        .filter_map(|b| match b {
            syn::TypeParamBound::Trait(t) => Some(type_path(&t.path)),
            _ => None,
        })
        .collect()
}

pub fn type_path(path: &syn::Path) -> TypePath {
    TypePath {
        segs: path
            .segments
            .iter()
            .map(|seg| TypeSeg {
                name: Sym::new(&seg.ident.to_string()),
                args: match &seg.arguments {
                    syn::PathArguments::AngleBracketed(a) => a
                        .args
                        .iter()
                        .filter_map(|arg| match arg {
                            syn::GenericArgument::Type(t) => Some(type_fact(t)),
                            syn::GenericArgument::AssocType(b) => Some(type_fact(&b.ty)),
                            _ => None,
                        })
                        .collect(),
                    _ => vec![],
                },
            })
            .collect(),
    }
}

pub fn path_syms(path: &syn::Path) -> Box<[Sym]> {
    let mut out = Vec::with_capacity(path.segments.len() + 1);
    if path.leading_colon.is_some() {
        out.push(crate::intern::sym::EMPTY);
    }
    out.extend(path.segments.iter().map(|s| Sym::new(&s.ident.to_string())));
    out.into_boxed_slice()
}

/// Constructor functions: `T::new(..)` and friends build a `T`.
const CONSTRUCTORS: &[&str] = &[
    "new",
    "default",
    "with_capacity",
    "from",
    "const_new",
    "new_with",
    "with_value",
];

/// Wrappers whose first argument's type is the wrapped value's type: `Arc::new(Mutex::new(0))`
/// is an `Arc<Mutex<_>>`.
fn wraps_its_argument(name: &str) -> bool {
    matches!(
        name,
        "Arc"
            | "Rc"
            | "Box"
            | "Pin"
            | "Cell"
            | "RefCell"
            | "Some"
            | "CachePadded"
            | "Mutex"
            | "RwLock"
            | "FairMutex"
            | "ReentrantMutex"
            | "ReentrantLock"
            | "SpinMutex"
    )
}

/// The type an initializer visibly builds, from syntax alone: `Arc::new(Mutex::new(0))` is an
/// `Arc<Mutex<_>>`, `LazyLock::new(|| RwLock::new(..))` a `LazyLock<RwLock<_>>`, `Foo { .. }` a
/// `Foo`.
pub fn ctor_type(expr: &syn::Expr) -> Option<TypeFact> {
    ctor_type_depth(expr, 0)
}

fn ctor_type_depth(expr: &syn::Expr, depth: u32) -> Option<TypeFact> {
    if depth > 8 {
        return None;
    }
    match expr {
        syn::Expr::Call(call) => {
            let syn::Expr::Path(func) = &*call.func else {
                return None;
            };
            if func.qself.is_some() {
                return None;
            }
            let segs = &func.path.segments;
            let last = segs.last()?;
            let last_name = last.ident.to_string();
            // `Some(x)` is an `Option<x>`: say what it holds.
            if segs.len() == 1 && last_name == "Some" {
                let inner = ctor_type_depth(call.args.first()?, depth + 1)?;
                return Some(wrap("Option", inner));
            }
            if segs.len() < 2 || !CONSTRUCTORS.contains(&last_name.as_str()) {
                return None;
            }
            let ty_path = syn::Path {
                leading_colon: func.path.leading_colon,
                segments: segs.iter().take(segs.len() - 1).cloned().collect(),
            };
            let mut tp = type_path(&ty_path);
            let ty_name = tp.segs.last()?.name.as_str();
            let wants_arg = tp.segs.last()?.args.is_empty();
            if wants_arg && (wraps_its_argument(ty_name) || is_lazy(ty_name)) {
                let inner = call.args.first().and_then(|a| {
                    if is_lazy(ty_name) {
                        closure_result_type(a, depth + 1)
                    } else {
                        ctor_type_depth(a, depth + 1)
                    }
                });
                if let Some(inner) = inner {
                    tp.segs.last_mut()?.args.push(inner);
                }
            }
            Some(TypeFact::Path(tp))
        }
        syn::Expr::Struct(s) if s.qself.is_none() => Some(TypeFact::Path(type_path(&s.path))),
        // `let mut held = None;`: an `Option` of what is assigned later.
        syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident("None") => {
            Some(TypeFact::Path(TypePath {
                segs: vec![TypeSeg {
                    name: Sym::new("Option"),
                    args: vec![],
                }],
            }))
        }
        syn::Expr::Paren(p) => ctor_type_depth(&p.expr, depth + 1),
        syn::Expr::Group(g) => ctor_type_depth(&g.expr, depth + 1),
        syn::Expr::MethodCall(m) if m.method == "clone" || m.method == "into" => None,
        _ => None,
    }
}

fn is_lazy(name: &str) -> bool {
    matches!(name, "LazyLock" | "Lazy" | "LazyCell")
}

fn closure_result_type(expr: &syn::Expr, depth: u32) -> Option<TypeFact> {
    match expr {
        syn::Expr::Closure(c) => match &*c.body {
            syn::Expr::Block(b) => match b.block.stmts.last()? {
                syn::Stmt::Expr(e, None) => ctor_type_depth(e, depth + 1),
                _ => None,
            },
            e => ctor_type_depth(e, depth + 1),
        },
        _ => None,
    }
}

fn wrap(name: &str, inner: TypeFact) -> TypeFact {
    TypeFact::Path(TypePath {
        segs: vec![TypeSeg {
            name: Sym::new(name),
            args: vec![inner],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(t: &TypeFact) -> String {
        match t {
            TypeFact::Path(p) => p
                .segs
                .iter()
                .map(|s| {
                    if s.args.is_empty() {
                        s.name.to_string()
                    } else {
                        let args: Vec<_> = s.args.iter().map(show).collect();
                        format!("{}<{}>", s.name, args.join(", "))
                    }
                })
                .collect::<Vec<_>>()
                .join("::"),
            TypeFact::Ref(t) => format!("&{}", show(t)),
            other => format!("{other:?}"),
        }
    }

    fn ctor(src: &str) -> String {
        let e: syn::Expr = syn::parse_str(src).unwrap();
        ctor_type(&e).map(|t| show(&t)).unwrap_or_default()
    }

    #[test]
    fn constructors_show_their_type() {
        assert_eq!(ctor("Arc::new(Mutex::new(0))"), "Arc<Mutex>");
        assert_eq!(ctor("std::sync::Mutex::new(vec![])"), "std::sync::Mutex");
        assert_eq!(
            ctor("LazyLock::new(|| RwLock::new(HashMap::new()))"),
            "LazyLock<RwLock<HashMap>>"
        );
        assert_eq!(ctor("Account { id: 1 }"), "Account");
        assert_eq!(ctor("Some(Mutex::new(1))"), "Option<Mutex>");
        assert_eq!(ctor("compute(1)"), "");
        assert_eq!(ctor("x.clone()"), "");
    }

    #[test]
    fn types_keep_their_arguments() {
        let t: syn::Type = syn::parse_str("&'a Arc<parking_lot::Mutex<Vec<u8>>>").unwrap();
        assert_eq!(show(&type_fact(&t)), "&Arc<parking_lot::Mutex<Vec<u8>>>");
    }
}
