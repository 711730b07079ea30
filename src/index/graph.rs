//! The lock-order graph of a unit: an edge A → B for every place where a thread holding a lock
//! of class A takes a lock of class B, directly or in a function it calls. A cycle is a
//! possible deadlock: threads that take the locks in different orders can each hold one and
//! wait for the next.

use super::FnId;
use super::locks::{HeldLock, LockClass, Mode};
use super::model::{Acquisition, Model};
use super::summary::Trace;
use crate::span::Loc;
use rustc_hash::FxHashMap;

/// Where an edge was seen: in `f`, holding `held` (taken at `held_loc`), `acquired` was taken.
#[derive(Clone, Debug)]
pub struct Witness {
    pub f: FnId,
    pub held: HeldLock,
    pub held_loc: Loc,
    /// The held lock is taken inside a callee, around the closure that takes the other.
    pub held_by_callee: bool,
    /// The function that took the held lock (`f`, or the function a closure `f` runs in).
    pub held_fn: FnId,
    /// From the event in `f` to the acquisition.
    pub acquired: HeldLock,
    pub trace: Trace,
}

#[derive(Clone, Debug)]
pub struct Edge {
    /// The classes of the lock held and the lock taken, as nodes of the graph (see
    /// [`node_class`]).
    pub from: LockClass,
    pub to: LockClass,
    pub witness: Witness,
    /// The other functions where the edge is seen (each once, in the order found, the
    /// witness's left out).
    pub also_in: Vec<FnId>,
    /// The witnesses of the first of `also_in`, one per function (at most
    /// [`MAX_OTHER_WITNESSES`]): the other places a report shows.
    pub others: Vec<Witness>,
}

/// How many witnesses besides the first an edge keeps to show.
pub const MAX_OTHER_WITNESSES: usize = 3;

/// The class a lock stands for in the graph: its `Type::field` or static, or, for a lock no
/// field or static names (a parameter, a local, a helper's result), the lock's type when that
/// names a type of the unit (`Mutex<Session>`): the same session reached as a parameter in
/// one function and as a collection's element in another is one node.
pub fn node_class(l: &HeldLock) -> LockClass {
    match (&l.class, &l.type_class) {
        (LockClass::Param(..) | LockClass::Local(..) | LockClass::Text(_), Some(t)) => t.clone(),
        (c, _) => c.clone(),
    }
}

/// How a lock is held or waited for, as far as who blocks whom goes.
fn mode_key(m: Mode) -> u8 {
    match m {
        Mode::Exclusive | Mode::Write => 0,
        Mode::Read => 1,
        Mode::RecursiveRead => 2,
        Mode::Upgradable => 3,
    }
}

/// Does a thread waiting for a lock in mode `wait` wait for a thread holding it in `held`? A
/// write waits for any holder, and anything waits for a writer; a read waits for a read only
/// behind a queued writer (writer-preferring locks: std, parking_lot, tokio), so only when a
/// writer of the lock exists; a recursive read (`read_recursive`, spin's reads) never does.
fn waits_for(wait: Mode, held: Mode, has_writer: bool) -> bool {
    match (wait, held) {
        (Mode::Exclusive | Mode::Write, _) | (_, Mode::Exclusive | Mode::Write) => true,
        (Mode::Upgradable, Mode::Upgradable) => true,
        (Mode::RecursiveRead, _) => false,
        _ => has_writer,
    }
}

#[derive(Default)]
pub struct LockGraph {
    /// The first witness of each edge (a pair of classes in a pair of modes), in the order
    /// found (deterministic: functions in file order, events in evaluation order).
    pub edges: Vec<Edge>,
    index: FxHashMap<(LockClass, LockClass, u8, u8), usize>,
    /// Every lock class taken in the unit, with the place as first written and where it is
    /// first taken, in the order found: nested or not, each is a lock of the design.
    pub classes: Vec<(LockClass, String, Loc)>,
    class_index: rustc_hash::FxHashSet<LockClass>,
    /// Classes taken somewhere in an exclusive mode (`write()`, `lock()`).
    written: rustc_hash::FxHashSet<LockClass>,
}

impl LockGraph {
    fn add_class(&mut self, l: &HeldLock, at: Loc) {
        let class = node_class(l);
        if matches!(l.mode, Mode::Exclusive | Mode::Write) {
            self.written.insert(class.clone());
        }
        if self.class_index.insert(class.clone()) {
            self.classes.push((class, l.text.clone(), at));
        }
    }

    fn add(&mut self, w: Witness) {
        let (from, to) = (node_class(&w.held), node_class(&w.acquired));
        if from == to {
            return;
        }
        let key = (from, to, mode_key(w.held.mode), mode_key(w.acquired.mode));
        if let Some(&i) = self.index.get(&key) {
            let e = &mut self.edges[i];
            if e.witness.f != w.f && !e.also_in.contains(&w.f) {
                e.also_in.push(w.f);
                if e.others.len() < MAX_OTHER_WITNESSES {
                    e.others.push(w);
                }
            }
            return;
        }
        self.index.insert(key.clone(), self.edges.len());
        self.edges.push(Edge {
            from: key.0,
            to: key.1,
            witness: w,
            also_in: vec![],
            others: vec![],
        });
    }

    /// Can edge `b` follow edge `a` in a deadlock: the lock `a` waits for is the one `b`
    /// holds, in a mode that makes `a`'s wait wait for `b`'s holder?
    fn follows(&self, a: &Edge, b: &Edge) -> bool {
        a.to == b.from
            && waits_for(
                a.witness.acquired.mode,
                b.witness.held.mode,
                self.written.contains(&a.to),
            )
    }

    /// The cycles to report, as edge indices in order: every pair of locks taken in both
    /// orders (in modes that wait for each other), then, in each strongly connected component,
    /// the shortest cycle through each lock no reported cycle covers yet. One cycle of classes
    /// is reported once, whatever the modes.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let n = self.edges.len();
        // A node per edge: a cycle of edges each of which can follow the one before.
        let succ: Vec<Vec<(usize, usize)>> = (0..n)
            .map(|i| {
                (0..n)
                    .filter(|&j| self.follows(&self.edges[i], &self.edges[j]))
                    .map(|j| (j, j))
                    .collect()
            })
            .collect();
        let mut out: Vec<Vec<usize>> = vec![];
        let mut seen: rustc_hash::FxHashSet<Vec<LockClass>> = Default::default();
        let mut covered: rustc_hash::FxHashSet<LockClass> = Default::default();
        let mut keep = |cycle: Vec<usize>,
                        out: &mut Vec<Vec<usize>>,
                        covered: &mut rustc_hash::FxHashSet<LockClass>| {
            let mut classes: Vec<LockClass> =
                cycle.iter().map(|&e| self.edges[e].from.clone()).collect();
            // The same classes in the same order, from any start, are one cycle.
            let start = (0..classes.len())
                .min_by_key(|&i| format!("{:?}", classes[i]))
                .unwrap_or(0);
            classes.rotate_left(start);
            if seen.insert(classes) {
                for &e in &cycle {
                    covered.insert(self.edges[e].from.clone());
                }
                out.push(cycle);
            }
        };
        for i in 0..n {
            for j in i + 1..n {
                let (a, b) = (&self.edges[i], &self.edges[j]);
                if self.follows(a, b) && self.follows(b, a) {
                    keep(vec![i, j], &mut out, &mut covered);
                }
            }
        }
        for comp in tarjan(&succ) {
            if comp.len() < 2 {
                continue;
            }
            let in_comp = |x: usize| comp.contains(&x);
            let mut starts = comp.clone();
            starts.sort_unstable();
            for &s in &starts {
                if covered.contains(&self.edges[s].from) {
                    continue;
                }
                if let Some(mut c) = shortest_cycle(&succ, s, &in_comp) {
                    // `shortest_cycle` gives the edges after `s`, ending in `s`.
                    c.rotate_right(1);
                    keep(c, &mut out, &mut covered);
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Strongly connected components (iterative Tarjan).
fn tarjan(succ: &[Vec<(usize, usize)>]) -> Vec<Vec<usize>> {
    let n = succ.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = vec![];
    let mut comps = vec![];
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&(w, _)) = succ[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = vec![];
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comps.push(comp);
            }
        }
    }
    comps
}

/// The shortest cycle through `s` inside the component, as edge indices.
fn shortest_cycle(
    succ: &[Vec<(usize, usize)>],
    s: usize,
    in_comp: &dyn Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    let mut prev: FxHashMap<usize, (usize, usize)> = FxHashMap::default();
    let mut queue = std::collections::VecDeque::from([s]);
    while let Some(v) = queue.pop_front() {
        for &(w, e) in &succ[v] {
            if !in_comp(w) {
                continue;
            }
            if w == s {
                let mut path = vec![e];
                let mut cur = v;
                while cur != s {
                    let (p, pe) = prev[&cur];
                    path.push(pe);
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = prev.entry(w) {
                slot.insert((v, e));
                queue.push_back(w);
            }
        }
    }
    None
}

impl Model<'_> {
    /// The unit's lock-order graph.
    pub fn lock_graph(&self) -> LockGraph {
        let mut g = LockGraph::default();
        for (f, body) in self.bodies() {
            for e in 0..body.events.len() as u32 {
                let acqs = self.acquisitions_at(f, e);
                for a in &acqs {
                    g.add_class(&a.lock, a.trace.site());
                }
                if !acqs.is_empty() {
                    let held: Vec<(HeldLock, Loc, FnId)> = self
                        .held_at(f, e)
                        .into_iter()
                        .filter_map(|r| {
                            Some((
                                self.lock(r)?.clone(),
                                self.loc(r.f, self.holder(r).span),
                                r.f,
                            ))
                        })
                        .collect();
                    for a in acqs {
                        // Two threads must be able to reach both locks for a cycle to close.
                        let shared = |l: &HeldLock| self.may_be_shared(f, &l.instance);
                        if !shared(&a.lock) {
                            continue;
                        }
                        // Two locks taken in an order chosen by comparing them are no edge.
                        let held: Vec<_> = held
                            .iter()
                            .filter(|(h, ..)| {
                                shared(h) && !self.orders_both(f, &h.instance, &a.lock.instance)
                            })
                            .cloned()
                            .collect();
                        add_edges(&mut g, f, &held, &a);
                    }
                }
                // Orders a callee sets between the locks we hand it.
                if let crate::facts::EventKind::Call(c) = body.events[e as usize].kind {
                    let call_loc = self.loc(f, body.events[e as usize].span);
                    for &callee in self.callees(f, c) {
                        let name = callee;
                        for (x, y) in &self.summary(callee).edges {
                            let (Some(mx), Some(my)) = (
                                self.ix.map_lock(f, c, callee, &x.lock),
                                self.ix.map_lock(f, c, callee, &y.lock),
                            ) else {
                                continue;
                            };
                            if y.lock.is_try
                                || !self.may_be_shared(f, &mx.instance)
                                || !self.may_be_shared(f, &my.instance)
                            {
                                continue;
                            }
                            g.add(Witness {
                                f,
                                held_by_callee: true,
                                held_fn: f,
                                held_loc: x.trace.site(),
                                held: mx,
                                acquired: my,
                                trace: y.trace.through(call_loc, name),
                            });
                        }
                    }
                }
            }
        }
        g
    }
}

/// The lock-order graph as people read it: locks by name, each edge with the functions that
/// take its locks in that order, and what is on a cycle that `lock_order_inversion` reports.
/// Only names and places: nothing that refers back into the index.
#[derive(Clone, Debug, Default)]
pub struct LockOrder {
    /// Sorted by name.
    pub nodes: Vec<OrderNode>,
    /// Sorted by the names of their ends.
    pub edges: Vec<OrderEdge>,
    /// How many cycles `lock_order_inversion` reports here (before suppressions).
    pub cycles: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderNode {
    /// `Account::balance`, `REGISTRY`, `m (in main)`.
    pub name: String,
    pub in_cycle: bool,
    /// Where it is first taken.
    pub site: Option<Loc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderEdge {
    /// Indices into `nodes`: the lock held, the lock taken.
    pub from: usize,
    pub to: usize,
    /// The functions that take `to` while holding `from`: `Books::receive`, `a closure in
    /// main`, in the order found.
    pub functions: Vec<String>,
    /// Where the first of them takes `to` (directly, or the call that leads to it).
    pub site: Loc,
    /// Where `from` is taken, in that function.
    pub held_site: Loc,
    pub in_cycle: bool,
}

impl LockOrder {
    /// The part that touches the files `keep` says yes to: the edges with a site there, and
    /// the locks first taken there or at an end of a kept edge. Indices are renumbered.
    pub fn retain_files(&mut self, keep: impl Fn(crate::span::FileId) -> bool) {
        self.edges
            .retain(|e| keep(e.site.file) || keep(e.held_site.file));
        let used: Vec<bool> = (0..self.nodes.len())
            .map(|i| {
                self.nodes[i].site.is_some_and(|l| keep(l.file))
                    || self.edges.iter().any(|e| e.from == i || e.to == i)
            })
            .collect();
        self.drop_nodes(&used);
    }

    /// Leaves out the locks no edge touches (never held while another is taken, nor taken
    /// under another).
    pub fn without_lone_locks(&mut self) {
        let used: Vec<bool> = (0..self.nodes.len())
            .map(|i| self.edges.iter().any(|e| e.from == i || e.to == i))
            .collect();
        self.drop_nodes(&used);
    }

    fn drop_nodes(&mut self, keep: &[bool]) {
        let mut new_index = vec![usize::MAX; self.nodes.len()];
        let mut next = 0;
        for (i, &k) in keep.iter().enumerate() {
            if k {
                new_index[i] = next;
                next += 1;
            }
        }
        let mut i = 0;
        self.nodes.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        for e in &mut self.edges {
            e.from = new_index[e.from];
            e.to = new_index[e.to];
        }
        for n in &mut self.nodes {
            n.in_cycle = false;
        }
        for e in self.edges.iter().filter(|e| e.in_cycle) {
            self.nodes[e.from].in_cycle = true;
            self.nodes[e.to].in_cycle = true;
        }
    }
}

impl Model<'_> {
    /// The unit's lock-order graph, named for people (what `lockscan graph` draws).
    pub fn lock_order(&self) -> LockOrder {
        let g = self.lock_graph();
        let cycles = g.cycles();
        let on_cycle: rustc_hash::FxHashSet<usize> = cycles.iter().flatten().copied().collect();
        // A lock local to a function (or passed in) is named with it: two functions may each
        // have their own `m`.
        let name = |class: &LockClass, text: &str| {
            let base = self.class_name(class, text);
            match class {
                LockClass::Local(f, _) | LockClass::Param(f, _) => {
                    format!("{base} (in {})", self.ix.fn_display(self.outer_fn(*f)))
                }
                _ => base,
            }
        };
        let mut names: Vec<String> = vec![];
        let mut first_site: FxHashMap<usize, Loc> = FxHashMap::default();
        let mut by_class: FxHashMap<&LockClass, usize> = FxHashMap::default();
        let intern = |class: &'_ LockClass, text: &str, names: &mut Vec<String>| -> usize {
            let n = name(class, text);
            match names.iter().position(|x| *x == n) {
                Some(i) => i,
                None => {
                    names.push(n);
                    names.len() - 1
                }
            }
        };
        for (class, text, at) in &g.classes {
            let i = intern(class, text, &mut names);
            by_class.insert(class, i);
            first_site.entry(i).or_insert(*at);
        }
        let mut raw: Vec<(usize, usize, Vec<String>, Loc, Loc, bool)> = vec![];
        for (i, e) in g.edges.iter().enumerate() {
            let from = match by_class.get(&e.from) {
                Some(&n) => n,
                None => intern(&e.from, &e.witness.held.text, &mut names),
            };
            let to = match by_class.get(&e.to) {
                Some(&n) => n,
                None => intern(&e.to, &e.witness.acquired.text, &mut names),
            };
            if from == to {
                continue;
            }
            let functions: Vec<String> = std::iter::once(e.witness.f)
                .chain(e.also_in.iter().copied())
                .map(|f| self.ix.fn_display(f))
                .fold(vec![], |mut v, f| {
                    if !v.contains(&f) {
                        v.push(f);
                    }
                    v
                });
            let site = e
                .witness
                .trace
                .steps
                .first()
                .map(|s| s.0)
                .unwrap_or(e.witness.held_loc);
            raw.push((
                from,
                to,
                functions,
                site,
                e.witness.held_loc,
                on_cycle.contains(&i),
            ));
        }
        // Sorted by name: the order of discovery follows file order, names are stable.
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| names[a].cmp(&names[b]));
        let mut rank = vec![0; names.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let mut edges: Vec<OrderEdge> = vec![];
        for (from, to, functions, site, held_site, in_cycle) in raw {
            let (from, to) = (rank[from], rank[to]);
            // Two classes of one name (rare: the same text in two places) make one edge.
            match edges.iter_mut().find(|e| e.from == from && e.to == to) {
                Some(e) => {
                    e.in_cycle |= in_cycle;
                    for f in functions {
                        if !e.functions.contains(&f) {
                            e.functions.push(f);
                        }
                    }
                }
                None => edges.push(OrderEdge {
                    from,
                    to,
                    functions,
                    site,
                    held_site,
                    in_cycle,
                }),
            }
        }
        edges.sort_by_key(|a| (a.from, a.to));
        let nodes = order
            .iter()
            .enumerate()
            .map(|(r, &i)| OrderNode {
                name: names[i].clone(),
                in_cycle: edges
                    .iter()
                    .any(|e| e.in_cycle && (e.from == r || e.to == r)),
                site: first_site.get(&i).copied(),
            })
            .collect();
        LockOrder {
            nodes,
            edges,
            cycles: cycles.len(),
        }
    }
}

fn add_edges(g: &mut LockGraph, f: FnId, held: &[(HeldLock, Loc, FnId)], a: &Acquisition) {
    if a.lock.is_try {
        return;
    }
    let own = held.iter().cloned().map(|(h, loc, hf)| (h, loc, false, hf));
    let also = a
        .also_held
        .iter()
        .chain(a.given.iter())
        .map(|s| (s.lock.clone(), s.trace.site(), true, f));
    for (h, loc, held_by_callee, held_fn) in own.chain(also) {
        g.add(Witness {
            f,
            held: h,
            held_loc: loc,
            held_by_callee,
            held_fn,
            acquired: a.lock.clone(),
            trace: a.trace.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_finds_the_cycle_and_only_it() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3
        let succ = vec![vec![(1, 0)], vec![(2, 1)], vec![(0, 2), (3, 3)], vec![]];
        let comps = tarjan(&succ);
        let mut big: Vec<Vec<usize>> = comps.into_iter().filter(|c| c.len() > 1).collect();
        assert_eq!(big.len(), 1);
        big[0].sort_unstable();
        assert_eq!(big[0], vec![0, 1, 2]);
        let in_comp = |x: usize| x < 3;
        assert_eq!(shortest_cycle(&succ, 0, &in_comp), Some(vec![0, 1, 2]));
    }
}
