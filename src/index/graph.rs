//! The lock-order graph of a unit: an edge A → B for every place where a thread holding a lock
//! of class A takes a lock of class B, directly or in a function it calls. A cycle is a
//! possible deadlock: threads that take the locks in different orders can each hold one and
//! wait for the next.

use super::FnId;
use super::locks::{HeldLock, LockClass};
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
    pub from: LockClass,
    pub to: LockClass,
    pub witness: Witness,
}

#[derive(Default)]
pub struct LockGraph {
    /// The first witness of each edge, in the order found (deterministic: functions in file
    /// order, events in evaluation order).
    pub edges: Vec<Edge>,
    index: FxHashMap<(LockClass, LockClass), usize>,
}

impl LockGraph {
    fn add(&mut self, w: Witness) {
        let key = (w.held.class.clone(), w.acquired.class.clone());
        if key.0 == key.1 || self.index.contains_key(&key) {
            return;
        }
        self.index.insert(key.clone(), self.edges.len());
        self.edges.push(Edge {
            from: key.0,
            to: key.1,
            witness: w,
        });
    }

    pub fn edge(&self, from: &LockClass, to: &LockClass) -> Option<&Edge> {
        self.index
            .get(&(from.clone(), to.clone()))
            .map(|&i| &self.edges[i])
    }

    /// The cycles to report, as edge indices in order: every pair of locks taken in both
    /// orders, then, in each strongly connected component, the shortest cycle through each lock
    /// no reported cycle covers yet.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        // Nodes in order of first appearance.
        let mut nodes: Vec<&LockClass> = vec![];
        let mut id: FxHashMap<&LockClass, usize> = FxHashMap::default();
        for e in &self.edges {
            for c in [&e.from, &e.to] {
                if !id.contains_key(c) {
                    id.insert(c, nodes.len());
                    nodes.push(c);
                }
            }
        }
        let n = nodes.len();
        let mut succ: Vec<Vec<(usize, usize)>> = vec![vec![]; n];
        for (i, e) in self.edges.iter().enumerate() {
            succ[id[&e.from]].push((id[&e.to], i));
        }
        let mut out: Vec<Vec<usize>> = vec![];
        let mut covered = vec![false; n];
        for (i, e) in self.edges.iter().enumerate() {
            let back = self.index.get(&(e.to.clone(), e.from.clone())).copied();
            if let Some(j) = back
                && i < j
            {
                out.push(vec![i, j]);
                covered[id[&e.from]] = true;
                covered[id[&e.to]] = true;
            }
        }
        let comps = tarjan(&succ);
        for comp in comps {
            if comp.len() < 2 {
                continue;
            }
            let in_comp = |x: usize| comp.contains(&x);
            let mut starts = comp.clone();
            starts.sort_unstable();
            for &s in &starts {
                if covered[s] {
                    continue;
                }
                if let Some(c) = shortest_cycle(&succ, s, &in_comp) {
                    for &e in &c {
                        covered[id[&self.edges[e].from]] = true;
                    }
                    out.push(c);
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
                        let held: Vec<_> =
                            held.iter().filter(|(h, ..)| shared(h)).cloned().collect();
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
                                || (mx.mode.is_read() && my.mode.is_read())
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
        // Readers do not wait for readers.
        if h.mode.is_read() && a.lock.mode.is_read() {
            continue;
        }
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
