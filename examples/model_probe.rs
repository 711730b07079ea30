//! Prints how each lock call of a path resolves: class, instance, library, mode (developer tool).
//! `cargo run --example model_probe -- PATH [FILE-SUBSTRING]`
use lockscan::index::model::Model;
use lockscan::index::{FnId, Index};

fn main() {
    let path = std::env::args().nth(1).expect("a path");
    let filter = std::env::args().nth(2).unwrap_or_default();
    let project = lockscan::project::discover(&[path.into()], &Default::default()).unwrap();
    for unit in 0..project.units.len() as u32 {
        let parsed: Vec<_> = project.units[unit as usize]
            .files
            .iter()
            .filter_map(|&id| {
                let src = &project.files[id.0 as usize];
                match lockscan::parse::parse_path(&src.path, &Default::default()) {
                    lockscan::parse::Outcome::Parsed(f) => Some((id, f)),
                    _ => None,
                }
            })
            .collect();
        let ix = Index::build(&project, unit, parsed);
        let api = lockscan::known::Api::default();
        let m = Model::new(&ix, &api);
        if std::env::var_os("SUMMARIES").is_some() {
            for i in 0..ix.fns.len() as u32 {
                let f = FnId(i);
                let file = &project.files[ix.fn_file(f).id.0 as usize].display;
                if !file.contains(&filter) {
                    continue;
                }
                let s = m.summary(f);
                if !s.is_empty() {
                    println!(
                        "summary {}: returns {:?} acquires {:?} param_calls {:?} edges {}",
                        ix.fn_display(f),
                        s.returns.as_ref().map(|r| &r.lock.text),
                        s.acquires
                            .iter()
                            .map(|a| (&a.lock.text, &a.lock.class))
                            .collect::<Vec<_>>(),
                        s.param_calls
                            .iter()
                            .map(|pc| (pc.param, pc.held.len()))
                            .collect::<Vec<_>>(),
                        s.edges.len()
                    );
                }
            }
            for e in m.lock_graph().edges {
                println!(
                    "edge {} -> {} in {}",
                    e.witness.held.text,
                    e.witness.acquired.text,
                    ix.fn_display(e.witness.f)
                );
            }
        }
        for i in 0..ix.fns.len() as u32 {
            let f = FnId(i);
            let file = &project.files[ix.fn_file(f).id.0 as usize].display;
            if !file.contains(&filter) {
                continue;
            }
            let Some(body) = ix.func(f).body.as_ref() else {
                continue;
            };
            for (h, holder) in body.holders.iter().enumerate() {
                if let lockscan::facts::HolderKind::CallResult(c) = holder.kind {
                    let lock = m.lock(lockscan::index::model::HeldRef { f, h: h as u32 });
                    println!(
                        "{file}:{} result of call {c} (callees {:?}) => {:?}",
                        holder.span.lo.line,
                        m.callees(f, c)
                            .iter()
                            .map(|g| ix.fn_display(*g))
                            .collect::<Vec<_>>(),
                        lock.map(|l| (&l.class, &l.text))
                    );
                }
                if let lockscan::facts::HolderKind::Lock { place, method } = holder.kind {
                    let info = ix.place_info(f, &body.places[place as usize]);
                    let lock = m.lock(lockscan::index::model::HeldRef { f, h: h as u32 });
                    println!(
                        "{file}:{} {} .{method}() ty={:?} => {:?}",
                        holder.span.lo.line,
                        info.text,
                        info.ty,
                        lock.map(|l| (&l.class, l.ty, l.mode))
                    );
                }
            }
        }
    }
}
