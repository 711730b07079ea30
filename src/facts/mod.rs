//! Per-file facts: what extraction keeps of a file once its syntax tree is dropped.
//!
//! Facts are data only. They describe what the code *says* (items, types as written, places,
//! calls, and when each candidate guard is alive) and know nothing of rules. Names are as
//! written in the file; resolving them against the crate is the index's job.
//!
//! Inside a function body, everything is numbered in evaluation order: an [`Event`] is a lock
//! acquisition, a call or an `.await`, and each [`Holder`] (a value that may be a lock guard)
//! carries the event ranges during which it is alive. "Which guards are held at this call?" is
//! then a question about numbers, answered without the syntax tree.

use crate::intern::Sym;
use crate::span::{Pos, Span};
use serde::{Deserialize, Serialize};

pub type ModIdx = u32;
pub type FnIdx = u32;
pub type HolderIdx = u32;
pub type PlaceIdx = u32;
pub type CallIdx = u32;
pub type LocalIdx = u32;

/// Everything lockscan keeps of one parsed file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FileFacts {
    /// `modules[0]` is the file itself; inline `mod x { .. }` blocks follow.
    pub modules: Vec<ModuleFacts>,
    pub structs: Vec<StructFacts>,
    pub aliases: Vec<TypeAliasFacts>,
    pub statics: Vec<StaticFacts>,
    pub impls: Vec<ImplFacts>,
    pub traits: Vec<TraitFacts>,
    /// Functions, methods, and the closures and async blocks inside them.
    pub fns: Vec<FnFacts>,
    /// Uses of paths that look like statics (`SCREAMING_CASE`), for `static_mut`.
    pub static_refs: Vec<StaticRef>,
    /// `unsafe { .. }` blocks in bodies, in the order they start.
    pub unsafe_blocks: Vec<UnsafeBlock>,
    /// Every item's extent, parents before children.
    pub outline: Vec<ItemExtent>,
    /// `// lockscan: allow(..)` comments.
    pub suppressions: Vec<SuppressionFact>,
    /// Calls of the file's own macros that were expanded and walked: what was found inside
    /// has the call's span, so no fix may edit there.
    pub expansions: Vec<Span>,
    /// A hash of the bytes the facts were read from: a fix can tell the file changed since.
    /// Not kept in the cache (the low half of the hash a file's facts are kept by, set again
    /// when they are read), so that two texts with the same facts keep the same bytes.
    #[serde(skip)]
    pub source_hash: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ModuleFacts {
    pub parent: Option<ModIdx>,
    pub name: Sym,
    pub uses: Vec<UseFacts>,
    /// `mod name;` declarations whose content lives in another file.
    pub file_children: Vec<ModDecl>,
    /// Where the first item starts (its first outer attribute, if any): where a fix inserts a
    /// `use`. `None` for a module without items.
    pub first_item: Option<Pos>,
    /// Inside `#[cfg(test)]`.
    pub is_test: bool,
    /// The inline module's own `#[cfg(..)]` (the root's: none).
    pub cfg: Option<Cfg>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ModDecl {
    pub name: Sym,
    /// The `#[path = "…"]` attribute, if any.
    pub path_attr: Option<Box<str>>,
    pub span: Span,
    /// The declaration's `#[cfg(..)]`: the module's file exists in the builds it names.
    pub cfg: Option<Cfg>,
}

/// What an item's `#[cfg(..)]` attributes ask of a build (several attributes: all of them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cfg {
    /// `unix`, `feature = "send"`, as written without spaces.
    Atom(Box<str>),
    All(Vec<Cfg>),
    Any(Vec<Cfg>),
    Not(Box<Cfg>),
}

/// One name a `use` brings into scope: `use a::b::{c as d}` is `d` → `a::b::c`.
#[derive(Debug, Serialize, Deserialize)]
pub struct UseFacts {
    /// The bound name; [`crate::intern::sym::UNDERSCORE`] for `as _`.
    pub alias: Sym,
    pub path: Box<[Sym]>,
    pub glob: bool,
}

/// A type as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TypeFact {
    Path(TypePath),
    /// `&T` or `&mut T`.
    Ref(Box<TypeFact>),
    /// `*const T` or `*mut T`.
    Ptr(Box<TypeFact>),
    Tuple(Vec<TypeFact>),
    /// `[T; N]` or `[T]`.
    Array(Box<TypeFact>),
    /// `impl A + B` or `dyn A + B`.
    Bounds(Vec<TypePath>),
    FnPtr,
    Other,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypePath {
    pub segs: Vec<TypeSeg>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypeSeg {
    pub name: Sym,
    /// Generic type arguments, including associated type bindings (`Target = T`).
    pub args: Vec<TypeFact>,
}

impl Interval {
    pub fn contains(self, e: u32) -> bool {
        self.start <= e && e < self.end
    }
}

impl TypePath {
    pub fn names(&self) -> impl Iterator<Item = Sym> + '_ {
        self.segs.iter().map(|s| s.name)
    }
    pub fn last(&self) -> Option<&TypeSeg> {
        self.segs.last()
    }
}

impl TypeFact {
    pub fn simple_path(segs: &[Sym]) -> TypeFact {
        TypeFact::Path(TypePath {
            segs: segs
                .iter()
                .map(|&name| TypeSeg { name, args: vec![] })
                .collect(),
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct StructFacts {
    pub module: ModIdx,
    pub name: Sym,
    pub span: Span,
    /// Generic type parameter names.
    pub generics: Vec<Sym>,
    /// Named fields, or `0`, `1`, … for tuple structs; for enums, every variant's fields.
    pub fields: Vec<FieldFacts>,
    pub is_enum: bool,
    /// What `#[derive(..)]` gives it: `Clone`, `Debug`, …
    pub derives: Vec<Sym>,
    /// Its `#[cfg(..)]`.
    pub cfg: Option<Cfg>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FieldFacts {
    pub name: Sym,
    pub ty: TypeFact,
    pub span: Span,
    /// The type as written, for fixes.
    pub ty_span: Span,
    /// Its `#[cfg(..)]`.
    pub cfg: Option<Cfg>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TypeAliasFacts {
    pub module: ModIdx,
    pub name: Sym,
    pub generics: Vec<Sym>,
    pub ty: TypeFact,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaticOrigin {
    Item,
    LazyStatic,
    ThreadLocal,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct StaticFacts {
    pub module: ModIdx,
    /// The function whose body declares it: seen only there (and in its closures).
    pub in_fn: Option<FnIdx>,
    pub name: Sym,
    /// The name.
    pub span: Span,
    /// The whole item, from `static` to `;`.
    pub item_span: Span,
    pub ty: TypeFact,
    pub mutable: bool,
    /// The `mut` keyword, when `mutable`.
    pub mut_span: Option<Span>,
    /// The type as written, for fixes.
    pub ty_span: Span,
    pub init_span: Span,
    /// The initializer as written.
    pub init_text: Box<str>,
    pub origin: StaticOrigin,
    /// What the initializer constructs, as far as syntax shows (`Mutex::new(..)` → `Mutex`).
    pub init_ty: Option<TypeFact>,
    /// `#[thread_local]`: each thread has its own.
    pub thread_local_attr: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ImplFacts {
    pub module: ModIdx,
    pub self_ty: TypeFact,
    pub trait_path: Option<TypePath>,
    pub generics: Vec<Sym>,
    pub is_unsafe: bool,
    pub span: Span,
    /// Its `#[cfg(..)]`.
    pub cfg: Option<Cfg>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TraitFacts {
    pub module: ModIdx,
    pub name: Sym,
    pub span: Span,
    /// Every method the trait declares, with a default body or without.
    pub methods: Vec<Sym>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FnOwner {
    Free,
    Impl(u32),
    Trait(u32),
    /// A closure or async block; `deferred` when it runs later or elsewhere (spawned, stored,
    /// returned), so the guards held where it is written are not held while it runs.
    Closure {
        parent: FnIdx,
        deferred: bool,
        is_async_block: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Receiver {
    Value,
    Ref,
    RefMut,
    /// `self: Pin<&mut Self>`: exclusive, like `&mut self`.
    PinMut,
    Typed,
}

impl Receiver {
    /// No other thread can use `self` while the method runs: `self`, `&mut self`,
    /// `Pin<&mut Self>`.
    pub fn is_exclusive(self) -> bool {
        matches!(self, Receiver::Value | Receiver::RefMut | Receiver::PinMut)
    }
}

/// How a test function runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestKind {
    /// `#[test]`, `#[bench]`: on one thread of its own.
    Plain,
    /// `#[tokio::test]` (and `async_std::test`): a runtime on the test's one thread.
    CurrentThread,
    /// `#[tokio::test(flavor = "multi_thread")]`: tasks may run on other threads.
    MultiThread,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FnFacts {
    pub module: ModIdx,
    pub name: Sym,
    /// The name (for closures: the closure's head).
    pub span: Span,
    pub owner: FnOwner,
    pub is_async: bool,
    /// `#[test]`, or inside a `#[cfg(test)]` module.
    pub is_test: bool,
    /// The function is a test itself (`#[test]`, `#[tokio::test]`), and how it runs.
    pub test: Option<TestKind>,
    /// `pub` (any `pub(..)` too): callers outside the unit may call it.
    pub is_pub: bool,
    pub receiver: Option<Receiver>,
    pub params: Vec<ParamFacts>,
    pub ret: Option<TypeFact>,
    pub body: Option<Body>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ParamFacts {
    pub name: Option<Sym>,
    pub ty: TypeFact,
    pub span: Span,
    /// Written `&mut T`: while the function runs, no other thread reaches what it points to.
    pub ref_mut: bool,
}

/// What extraction learned from one function body.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Body {
    pub events: Vec<Event>,
    pub holders: Vec<Holder>,
    /// Liveness of holders: `holders[h].live` indexes this pool.
    pub intervals: Vec<Interval>,
    pub calls: Vec<CallFact>,
    pub places: Vec<Place>,
    pub locals: Vec<LocalFacts>,
    /// Values the body returns (its tail and every `return`), for "returns a guard".
    pub returns: Vec<Operand>,
    /// Comparisons, `min`/`max` and sorts, with the bases they mention: evidence that the code
    /// orders lock instances by a key.
    pub orderings: Vec<Ordering>,
    /// `drop(g)`, `mem::forget(g)`, `let _ = m.lock()`, …: what happened to guards.
    pub guard_ops: Vec<GuardOp>,
    /// A closure's `drop(g)` (or move) of a binding it captured from its parent: from event
    /// `at` on, the parent's guard in that binding is gone.
    pub captured_ends: Vec<CapturedEnd>,
    /// Mentions of a binding while it owns a lock guard (`g.len()`, `drop(g)`, `*g += 1`).
    pub guard_uses: Vec<GuardUse>,
    /// Reads and writes of a guard's value through `*`: `*g += 1`, `*m.lock().unwrap() = v`.
    pub guard_accesses: Vec<ValueAccess>,
    /// Assignments to a guard's value or to a part of it: `*g = v`, `*g += 1`, `g.count += 1`,
    /// `g.items[i] = x`, with the field written and the locals the new value mentions.
    pub guard_writes: Vec<GuardWrite>,
    /// Fields of a guard's value that the code names, however it uses them, once per mention:
    /// `g.shutdown`, `m.lock().unwrap().completed.push(x)`, `state.running = false`.
    pub guard_fields: Vec<GuardField>,
    /// `if`, `if let`, `match`, `while` and `while let`: what their conditions evaluate and
    /// what they control.
    pub branches: Vec<Branch>,
    /// The arguments of calls to the atomic types' methods and their look-alikes (`load`,
    /// `store`, `swap`, `compare_exchange`, `fetch_*`, `wrapping_add`, …), by shape.
    pub call_args: Vec<CallArgs>,
    /// Locals of enclosing functions that this closure or async block mentions.
    pub captures: Vec<(FnIdx, LocalIdx)>,
    /// Locals holding a future, with the `.await` event that polls it (`fut.await`,
    /// `join!(a, b)`).
    pub awaited_locals: Vec<(LocalIdx, u32)>,
    /// The body takes a value out of a field of `self` (`drop(self.held.take())`): what the
    /// receiver kept (a guard) may be given up here.
    pub releases_self: bool,
    /// Uses of a field through interior mutability or a raw pointer, with the guards alive
    /// there: who touches a `Cell` or a pointer's target, and under which lock.
    pub field_uses: Vec<FieldUse>,
    /// Closures stored in a field of a struct literal (`Spool { data, on_full: Box::new(|| ..) }`),
    /// to be called through it later (`(self.on_full)()`).
    pub stored_closures: Vec<StoredClosure>,
}

/// A closure stored in field `field` of a struct literal of type `owner` (through
/// `Box::new`, `Arc::new` or `Some`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredClosure {
    /// The literal's type as written (`Spool`, `Self`).
    pub owner: TypeFact,
    pub field: Sym,
    pub closure: FnIdx,
    /// The literal's fields given a place of this body (`data` in `Spool { data, .. }`,
    /// `inner: Arc::clone(&inner)`): what the closure captured is, through them, a part of
    /// the value it is called on.
    pub fields: Vec<(Sym, PlaceIdx)>,
}

/// A use of a field's value that may change it through `&`: a method of interior mutability or
/// of a raw pointer called on it (`self.hits.set(..)`, `self.free.borrow()`,
/// `self.pixels.add(i)`), or a read or write through `*` of it or of a pointer made from it
/// (`*self.pixels.add(i) = v`, `*self.value.get()`, `&mut *self.ptr`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FieldUse {
    /// The field as written (`self.slots.free`), through the methods that only make a pointer
    /// of it (`add`, `get`, `cast`, …).
    pub place: PlaceIdx,
    pub kind: FieldUseKind,
    /// The number of events before the use.
    pub at: u32,
    /// The holders alive at the use (an interval of events cannot say it between two events).
    pub held: Box<[HolderIdx]>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldUseKind {
    /// `field.name(..)`: one of `known::cells`' access methods.
    Method(Sym),
    /// `*field`: a read.
    DerefRead,
    /// `*field = v`, `*field += v`, `(*field).x = v`, `&mut *field`.
    DerefWrite,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedEnd {
    pub fn_: FnIdx,
    pub local: LocalIdx,
    pub at: u32,
}

/// A half-open range of event indices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// A lock method is called; the holder is alive from the next event on.
    Acquire(HolderIdx),
    Call(CallIdx),
    /// `.await` (an async lock's `.await` comes just before its `Acquire`).
    Await,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HolderKind {
    /// `place.method()` where `method` is a lock method.
    Lock { place: PlaceIdx, method: Sym },
    /// The result of a call that is kept (bound, or a scrutinee): a guard if the callee returns one.
    CallResult(CallIdx),
    /// A parameter whose type is a guard (`g: MutexGuard<'_, T>`): the caller's guard, now this
    /// function's to keep or end; alive from the start.
    Param(u16),
}

/// How the code keeps a candidate guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Held {
    /// A temporary: alive to the end of its statement.
    Temporary,
    /// Bound by `let` (or moved into a binding).
    Binding,
    /// Kept alive by the scrutinee of a `match`, `if let` or `while let`, or a `for` iterator.
    Scrutinee(ScrutineeKind),
    /// `let _ = …` or a bare `m.lock();`: dropped at once.
    Discarded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScrutineeKind {
    Match,
    IfLet,
    WhileLet,
    For,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Holder {
    pub kind: HolderKind,
    /// From the receiver to the end of the call (`self.m.lock()`).
    pub span: Span,
    pub held: Held,
    /// The first binding that owned it, with the binding's span.
    pub binding: Option<(Sym, Span)>,
    /// That binding, when it is a local of the same body.
    pub local: Option<LocalIdx>,
    /// Range in [`Body::intervals`].
    pub live: (u32, u32),
    /// The lock call is followed by `.await`.
    pub awaited: bool,
    /// `.unwrap()`, `.expect(..)`, `?` or a `match` on `Ok`/`Err` was applied: a `LockResult`.
    pub unwrapped: bool,
    /// Of those, `?`: as likely an `io::Result` (`index.write()?`) as a `LockResult`.
    pub tried: bool,
    /// Wrapped in `Some(..)`: an `Option` holds it, which `is_none()` can test.
    pub in_option: bool,
    /// Written inside an `unsafe` block.
    pub in_unsafe: bool,
    /// The number of arguments of the lock call.
    pub argc: u8,
    /// The `let _ =` / statement span when `held` is `Discarded`.
    pub stmt_span: Span,
    /// How the guard was discarded, when `held` is `Discarded`.
    pub discard: Option<Discard>,
    /// Loops (`loop`, `while`, `for`) around the acquisition, in this body.
    pub loop_depth: u8,
    /// The lock method is one the configuration names (`lock-methods`): a lock by the user's
    /// word, whatever its receiver looks like.
    pub configured: bool,
}

/// The form of a statement that drops a guard at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discard {
    /// `let _ = m.lock();`, with the span of the `_`.
    Let(Span),
    /// `_ = m.lock();`, with the span of the `_`.
    Assign(Span),
    /// `m.lock();`
    Statement,
}

/// A mention of a local binding while it owns a lock guard.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct GuardUse {
    pub holder: HolderIdx,
    pub local: LocalIdx,
    /// The number of events before the mention.
    pub at: u32,
    pub span: Span,
}

/// An assignment to a guard's value, or to a field of it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GuardWrite {
    pub holder: HolderIdx,
    /// The field of the guarded value that changes (`g.count += 1` → `count`, `g.items[i] = x`
    /// → `items`); `None` for the whole value (`*g = v`, `g[i] = v`).
    pub field: Option<Sym>,
    /// `Assign` (`=`: the old value is overwritten) or `Compound` (`+=` and friends).
    pub access: Access,
    /// Locals of this body the assigned value (the right-hand side) mentions.
    pub locals: Vec<LocalIdx>,
}

/// A field of a guard's value, named: `g.shutdown`, `m.lock().unwrap().completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardField {
    pub holder: HolderIdx,
    pub field: Sym,
}

/// Where an expression stands: what a rewrite of it must keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExprPos {
    /// An expression statement ending in `;`.
    Stmt,
    /// The last expression of a block, without `;`.
    Tail,
    /// Inside a larger expression.
    Inner,
}

/// Arithmetic and bitwise operators, as in `a + b` and `a += b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

/// A read or write of a value through `*` (a guard's value) or of a static.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct ValueAccess {
    pub holder: HolderIdx,
    pub access: Access,
    /// For `Compound`, the operator (`+=` is `Add`).
    pub op: Option<ArithOp>,
    /// The whole expression: `*g += 1`, `*m.lock().unwrap()`.
    pub span: Span,
    /// The right-hand side of an assignment.
    pub value: Option<Span>,
    pub pos: ExprPos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BranchKind {
    If,
    IfLet,
    Match,
    While,
    WhileLet,
}

/// A construct that tests a condition and runs code depending on it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Branch {
    pub kind: BranchKind,
    pub span: Span,
    /// Events of the condition or scrutinee.
    pub cond: Interval,
    /// Events of the branches, arms or loop body.
    pub body: Interval,
    /// A branch or arm leaves (`return`, `break`, `continue`, a diverging macro), so that
    /// what follows the construct depends on the condition too.
    pub exits: bool,
    /// Locals of this body that the condition mentions.
    pub locals: Vec<LocalIdx>,
    /// For `if` (then, else) and `match` (each arm): the events of each arm. Events in two
    /// arms of one branch never run in one pass through it.
    pub arms: Vec<Interval>,
    /// For each of `arms`, how many statements it has: a block's statements (macro calls
    /// such as `println!` included, which make no events), 1 for an arm that is an
    /// expression or an `else if`, 0 for a missing `else`.
    pub arm_stmts: Vec<u32>,
}

impl Branch {
    /// Do events `a` and `b` lie in two different arms of this branch?
    pub fn separates(&self, a: u32, b: u32) -> bool {
        let arm = |e: u32| self.arms.iter().position(|iv| iv.contains(e));
        matches!((arm(a), arm(b)), (Some(x), Some(y)) if x != y)
    }
}

impl Body {
    /// Can events `a` and `b` run in one pass through the body, or do they lie in two arms of
    /// one `if` or `match`?
    pub fn exclusive(&self, a: u32, b: u32) -> bool {
        self.branches.iter().any(|br| br.separates(a, b))
    }

    /// The locals whose `let` computed them from what event `e` gave (`let v = X.load(o)`), or
    /// from such a local (`let w = v + 1`, `let v4 = if v3 > 10 { v3 } else { 0 }`), a few
    /// steps deep.
    pub fn computed_from(&self, e: u32) -> Vec<LocalIdx> {
        let mut out: Vec<LocalIdx> = (0..self.locals.len() as LocalIdx)
            .filter(|&l| self.locals[l as usize].init.contains(e))
            .collect();
        for _ in 0..8 {
            let before = out.len();
            for (i, l) in self.locals.iter().enumerate() {
                let i = i as LocalIdx;
                if !out.contains(&i) && l.init_locals.iter().any(|x| out.contains(x)) {
                    out.push(i);
                }
            }
            if out.len() == before {
                break;
            }
        }
        out
    }
}

/// The arguments of one call, by shape.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallArgs {
    pub call: CallIdx,
    pub args: Vec<ArgFact>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArgFact {
    pub span: Span,
    pub shape: ArgShape,
    /// Locals of this body the argument mentions.
    pub locals: Vec<LocalIdx>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ArgShape {
    /// A path as written: `Ordering::SeqCst`, `true`, `n`.
    Path(Box<[Sym]>),
    /// `true` or `false`.
    Bool(bool),
    /// Any other literal: `1`, `"x"`.
    Lit,
    /// Exactly a call of this body: `X.load(o)`, `f(x)`.
    Call(CallIdx),
    /// `lhs op rhs`.
    Binary {
        op: ArithOp,
        lhs: ArgOperand,
        rhs: ArgOperand,
    },
    Other,
}

/// An operand of a binary argument.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct ArgOperand {
    pub span: Span,
    /// The operand is exactly this call.
    pub call: Option<CallIdx>,
    /// Evaluating it calls, locks and awaits nothing.
    pub pure: bool,
}

/// A place as written: `self.inner.state`, `other.balance`, `COUNTER`, `m` …
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub base: Base,
    pub proj: Vec<Proj>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Base {
    SelfValue,
    Param(u16),
    /// A local binding of function `fn_` (a closure's captured variables are its parent's).
    Local {
        fn_: FnIdx,
        local: LocalIdx,
    },
    /// A path (a static, or a constant, or something unresolved), as written.
    Path(Box<[Sym]>),
    /// The value a call returns (`handle().lock()`).
    Call(CallIdx),
    /// The value behind a guard: `g.rx` where `g` holds a lock (`Mutex<Worker>`).
    Guard(HolderIdx),
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Proj {
    Field(Sym),
    /// `[i]`: the index as written when it is a plain name or literal.
    Index(Option<Sym>),
    /// A method that returns (a reference to) the same lock: `get()`, `as_ref()`, `unwrap()`…
    Method(Sym),
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LocalFacts {
    pub name: Sym,
    pub span: Span,
    /// The annotated type, or the type its initializer visibly constructs.
    pub ty: Option<TypeFact>,
    /// `let b = a.clone()`, `let b = &self.x`, `let b = Arc::clone(&a)`: `b` is `a`.
    pub alias_of: Option<PlaceIdx>,
    /// `let b = f(..)`: `b` has the type `f` returns.
    pub init_call: Option<CallIdx>,
    /// `let Some(b) = f(..) else ..`, `if let Ok(b) = f(..)`: `b` is what the variant (named
    /// here) wraps in the value `f` returns.
    pub payload_of: Option<(CallIdx, Sym)>,
    /// `let s = S { a: Arc::clone(&x), .. }`: `s.a` is `x`.
    pub field_aliases: Vec<(Sym, PlaceIdx)>,
    /// Bound by a closure's parameter list.
    pub is_closure_param: bool,
    /// The events of the `let` initializer that bound it (empty when there is none).
    pub init: Interval,
    /// Other locals of this body that the `let` initializer mentions: what its value is
    /// computed from (`let w = v + 1` → `v`).
    pub init_locals: Vec<LocalIdx>,
    /// Given a new value by a plain `=` that is not computed from its old one (`v = compute()`,
    /// not `v = v + 1`): its initializer is then not all it may hold.
    pub reassigned: bool,
    /// Bound to a value made right there (`S { .. }`, `S::new(..)`, `Arc::new(..)`): nobody else
    /// has it until this function hands it out.
    pub fresh: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CallFact {
    pub callee: Callee,
    pub receiver: Option<Operand>,
    pub args: Vec<Operand>,
    /// The call's value is awaited right away: `f().await`.
    pub awaited: bool,
    /// The callee's name (method name, or last path segment).
    pub name_span: Span,
    /// Loops (`loop`, `while`, `for`) around the call, in this body.
    pub loop_depth: u8,
    /// The call begins a statement that is nothing else (`f(x);`, `f(x).await?;`): code can be
    /// inserted before it.
    pub starts_stmt: bool,
    /// Guards passed by value (`take(g)`, `take(m.lock().unwrap())`), by argument index: they
    /// are the callee's from the call on.
    pub moved: Vec<(u8, HolderIdx)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Callee {
    /// `f(..)`, `Type::f(..)`, `crate::m::f(..)`, as written.
    Path(Box<[Sym]>),
    /// `receiver.name(..)`.
    Method(Sym),
    /// A closure or a local bound to one: `(|| ..)()`, `let f = || ..; f()`.
    Closure(FnIdx),
    /// A call through a parameter: `f()` where `f: impl Fn()`.
    Param(u16),
    /// A call of a closure stored in field `name` of the receiver: `(self.on_full)()`.
    Stored(Sym),
    /// No call is written: the receiver (a local or a parameter, by value) goes out of scope
    /// here (the end of its block, `drop(x)`), so its destructor runs. Recorded only where the
    /// guard of a lock call (or a guard parameter) is alive; the index resolves it to the `Drop` impls the
    /// value's type runs.
    Drop,
    /// Anything else (`(self.callback)()`, `a[i]()`).
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Operand {
    Place(PlaceIdx),
    Guard(HolderIdx),
    Closure(FnIdx),
    Other,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Ordering {
    pub span: Span,
    /// Bases mentioned by the comparison's operands (or the sort's receiver).
    pub bases: Vec<Base>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuardOpKind {
    /// `drop(g)` / `mem::drop(g)`.
    Drop,
    /// `mem::forget(g)`, `ManuallyDrop::new(g)`, `Box::leak(Box::new(g))`.
    Forget,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GuardOp {
    pub kind: GuardOpKind,
    pub holder: HolderIdx,
    /// The whole call: `mem::forget(g)`.
    pub span: Span,
    /// The function as written: `mem::forget`, `ManuallyDrop::new`, `Box::leak`, `drop`.
    pub callee: Box<[Sym]>,
    /// The function's path (`mem::forget`), for fixes.
    pub callee_span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    Read,
    /// `X = v`
    Assign,
    /// `X += v` and friends.
    Compound,
    /// `&X`
    Ref,
    /// `&mut X`, `addr_of_mut!(X)`, `&raw mut X`
    RefMut,
    /// `X.method(..)`
    Method,
}

/// A use of a path that looks like a static.
#[derive(Debug, Serialize, Deserialize)]
pub struct StaticRef {
    pub module: ModIdx,
    pub fn_: Option<FnIdx>,
    pub path: Box<[Sym]>,
    /// The last segment of the path.
    pub span: Span,
    pub access: Access,
    /// The whole access: `COUNTER += 1`, `X = v`; the path alone for other accesses.
    pub expr: Span,
    /// The right-hand side of an assignment.
    pub value: Option<Span>,
    /// For `Compound`, the operator.
    pub op: Option<ArithOp>,
    pub pos: ExprPos,
    /// The operand a write combines with the static (`v` in `X += v` and `X = X + v`) as
    /// written, when it is a literal or a lone name: text a fix may write twice.
    pub delta_text: Option<Box<str>>,
    /// `X = X op v` (or `X = v op X`, for an operator whose operands commute).
    pub self_op: Option<SelfOp>,
    /// A write that is a statement (`X += 1;`) whose block's next statement reads the static
    /// first thing: as the tail (`X`), a `let` initializer (`let n = X;`) or a `return X`.
    pub then_read: Option<ThenRead>,
    /// For [`Access::Method`] on the static itself (`X.as_ref()`), the method's name.
    pub method: Option<Sym>,
}

/// `X = X op v`: a read-modify-write written as an assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfOp {
    pub op: ArithOp,
    /// `v`, the other operand.
    pub delta: Span,
    /// The mention of the static inside the value (its last segment, as in [`StaticRef::span`]).
    pub this: Span,
}

/// The read that follows a write (see [`StaticRef::then_read`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThenRead {
    /// The read's last segment, as in [`StaticRef::span`].
    pub read: Span,
    /// Where the statement holding the read starts.
    pub next: Pos,
}

/// An `unsafe { .. }` block: what a fix needs to take it away once it holds nothing unsafe.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UnsafeBlock {
    /// From `unsafe` to the closing brace.
    pub span: Span,
    pub open: Span,
    /// What it holds, when that is simple (see [`UnsafeContent`]).
    pub content: Option<UnsafeContent>,
    pub pos: BlockPos,
}

/// The content of an `unsafe` block that holds nothing but expression statements and `let`s
/// of one name, made of literals, locals, paths that look like statics, operators (no `*`),
/// assignments, casts, `if`/`else`, plain blocks and `return`: no call, method call, field,
/// index, macro, closure or item. Only the statics in it can need `unsafe`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsafeContent {
    /// How many paths that look like statics it mentions.
    pub statics: u32,
    /// Its statements, each with its `;`.
    pub stmts: Vec<Span>,
    /// Its tail expression.
    pub tail: Option<Span>,
    pub tail_shape: TailShape,
    /// It binds names with `let`: taken away, it keeps its braces, which scope them.
    pub binds: bool,
}

/// What an `unsafe` block's tail is, as far as taking the block away goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TailShape {
    /// A path (`X`, `config::X`): its rewrite is a method call, which fits anywhere.
    Path,
    /// An `if` or a block: a statement of its own, needing no `;`.
    BlockLike,
    Other,
}

/// Where a block expression stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlockPos {
    /// A statement that is not its block's tail, with the `;` after it if there is one.
    Stmt { semi: Option<Span> },
    /// The tail of its block.
    Tail,
    /// Where any expression fits as it is: a `let` initializer, an argument, a `return`
    /// value, the right-hand side of an assignment, a closure's body, a condition.
    Slot,
    /// Anything else, such as an operand: a bare expression may need parentheses there.
    Operand,
}
pub mod dump;
pub mod outline;

pub use outline::{ItemExtent, ItemKind, SuppressionFact};
