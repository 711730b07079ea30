//! What the screen leaves out on real code, and what it costs (developer tool).
//!
//! `cargo run --release --example screen_probe -- DIR [--threads N]`: every `.rs` file under
//! `DIR`, each top-level directory taken as one unit; prints the share of bytes the screen
//! blanks, the time to scan, and the time `syn` takes on the files whole and once blanked.
use lockscan::screen::{self, FileWords, Vocabulary};
use rayon::prelude::*;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: screen_probe DIR [--threads N]");
    let threads: usize = match (args.next().as_deref(), args.next()) {
        (Some("--threads"), Some(n)) => n.parse().expect("a number of threads"),
        _ => 2,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(lockscan::parse::STACK_SIZE)
        .build_global()
        .expect("a thread pool");
    let root = std::path::Path::new(&dir);
    let mut files: Vec<(String, String)> = vec![];
    let mut paths: Vec<std::path::PathBuf> = vec![];
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        if entry.path().extension().is_none_or(|e| e != "rs") || !entry.file_type().is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let unit = entry
            .path()
            .strip_prefix(root)
            .ok()
            .and_then(|p| p.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((unit, text));
        paths.push(entry.path().to_path_buf());
    }
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    let t = Instant::now();
    let words: Vec<FileWords> = files
        .par_iter()
        .map(|(_, t)| screen::scan_text(t))
        .collect();
    let scan_time = t.elapsed();

    let mut names: std::collections::HashMap<screen::Word, String> = Default::default();
    for (_, text) in &files {
        for t in lockscan::lex::Lexer::new(text.as_bytes()) {
            if t.kind == lockscan::lex::Kind::Ident {
                let s = &text[t.start..t.end];
                names
                    .entry(screen::word(s.as_bytes()))
                    .or_insert_with(|| s.to_string());
            }
        }
    }
    let mut reasons: std::collections::HashMap<String, (usize, usize)> = Default::default();
    let t = Instant::now();
    let vocab = Vocabulary::default();
    let mut blank = vec![vec![]; files.len()];
    let mut start = 0;
    while start < files.len() {
        let mut end = start;
        while end < files.len() && files[end].0 == files[start].0 {
            end += 1;
        }
        let refs: Vec<Option<&FileWords>> = words[start..end].iter().map(Some).collect();
        let modules: Vec<screen::Word> = paths[start..end]
            .iter()
            .flat_map(|p| p.strip_prefix(root).unwrap_or(p).components())
            .map(|c| {
                let s = c.as_os_str().to_string_lossy();
                let s = s.strip_suffix(".rs").unwrap_or(&s).replace('-', "_");
                screen::word(s.as_bytes())
            })
            .collect();
        let (b, why) = screen::decide_why(&refs, &modules, &vocab);
        for (i, b) in b.into_iter().enumerate() {
            blank[start + i] = b;
        }
        if let Ok(probe) = std::env::var("PROBE_DECL") {
            let target = screen::word(probe.as_bytes());
            for k in start..end {
                for d in &words[k].decls {
                    if d.name == target
                        && d.kind == screen::DeclKind::Use
                        && d.classes & lockscan::known::words::EFFECT != 0
                    {
                        eprintln!(
                            "{} {:?}",
                            paths[k].display(),
                            d.words
                                .iter()
                                .map(|w| names.get(w).cloned().unwrap_or_default())
                                .collect::<Vec<_>>()
                        );
                    }
                }
            }
        }
        if let Ok(probe) = std::env::var("PROBE_FREE") {
            let target = screen::word(probe.as_bytes());
            for k in start..end {
                for r in &words[k].regions {
                    if let screen::RegionKind::Body(b) = &r.kind
                        && b.name == target
                        && b.owner == screen::Owner::Free
                    {
                        let text = &files[k].1;
                        let line = text[..r.start as usize].matches('\n').count() + 1;
                        eprintln!(
                            "{} {}: {}",
                            files[k].0,
                            line,
                            &text[r.start as usize..(r.start as usize + 60).min(r.end as usize)]
                                .replace('\n', " ")
                        );
                    }
                }
            }
        }
        for (k, why) in (start..end).zip(why) {
            for (r, why) in words[k].regions.iter().zip(why) {
                let Some(why) = why else { continue };
                let size = r.end as usize - r.start as usize;
                let name = |w: screen::Word| names.get(&w).cloned().unwrap_or_default();
                let reason = match why {
                    screen::Kept::Vocabulary => {
                        let screen::RegionKind::Body(b) = &r.kind else {
                            unreachable!()
                        };
                        let m = b.method_words.iter().find(|w| {
                            lockscan::known::words::classes(
                                &name(**w),
                                lockscan::known::words::Place::Method { argc: None },
                            ) & lockscan::known::words::EFFECT
                                != 0
                        });
                        let p = b.path_words.iter().find(|w| {
                            lockscan::known::words::classes(
                                &name(**w),
                                lockscan::known::words::Place::Path,
                            ) & lockscan::known::words::EFFECT
                                != 0
                        });
                        match (m, p) {
                            (Some(w), _) => format!("vocabulary .{}()", name(*w)),
                            (_, Some(w)) => format!("vocabulary {}", name(*w)),
                            _ => "vocabulary ?".to_string(),
                        }
                    }
                    screen::Kept::Local => "ordering or fragment".to_string(),
                    screen::Kept::Cells => "uses a cell field where Sync is promised".to_string(),
                    screen::Kept::Items(None) => "items: mod or glob".to_string(),
                    screen::Kept::Items(Some(w)) => format!("items: {}", name(w)),
                    screen::Kept::Calls(w, r) => format!("calls `{}` ({r:?})", name(w)),
                    screen::Kept::Static(w) => format!("static `{}`", name(w)),
                };
                let e = reasons.entry(reason).or_insert((0usize, 0usize));
                e.0 += 1;
                e.1 += size;
            }
        }
        start = end;
    }
    let decide_time = t.elapsed();
    let blanked: Vec<Option<String>> = files
        .par_iter()
        .zip(&words)
        .zip(&blank)
        .map(|((f, w), b)| screen::blank(&f.1, w, b))
        .collect();
    let mut cut = 0usize;
    let (mut regions, mut kept) = (0usize, 0usize);
    for ((w, b), (_, text)) in words.iter().zip(&blank).zip(&files) {
        regions += w.regions.len();
        kept += w.regions.len() - b.len();
        for &i in b {
            let r = &w.regions[i as usize];
            cut += r.end as usize - r.start as usize;
        }
        let _ = text;
    }
    let parse = |texts: Vec<&str>| {
        let t = cpu_time();
        let failed: usize = texts
            .par_iter()
            .map(|s| {
                let ok = syn::parse_file(s).is_ok();
                proc_macro2::extra::invalidate_current_thread_spans();
                usize::from(!ok)
            })
            .sum();
        (cpu_time() - t, failed)
    };
    let (whole, failed_whole) = parse(files.iter().map(|f| f.1.as_str()).collect());
    let (part, failed_part) = parse(
        files
            .iter()
            .zip(&blanked)
            .map(|(f, b)| b.as_deref().unwrap_or(&f.1))
            .collect(),
    );
    let all_blanked: Vec<Option<String>> = files
        .par_iter()
        .zip(&words)
        .map(|(f, w)| screen::blank(&f.1, w, &(0..w.regions.len() as u32).collect::<Vec<_>>()))
        .collect();
    let (ideal, _) = parse(
        files
            .iter()
            .zip(&all_blanked)
            .map(|(f, b)| b.as_deref().unwrap_or(&f.1))
            .collect(),
    );
    // The skeleton without its doc comments either: what they cost.
    let no_docs: Vec<String> = files
        .iter()
        .zip(&all_blanked)
        .map(|(f, b)| {
            let text = b.as_deref().unwrap_or(&f.1);
            let mut out = text.as_bytes().to_vec();
            for t in lockscan::lex::Lexer::new(text.as_bytes()) {
                if matches!(
                    t.kind,
                    lockscan::lex::Kind::LineComment { .. } | lockscan::lex::Kind::BlockComment
                ) {
                    for b in &mut out[t.start..t.end] {
                        if *b != b'\n' && b.is_ascii() {
                            *b = b' ';
                        }
                    }
                }
            }
            String::from_utf8(out).unwrap_or_default()
        })
        .collect();
    let (ideal_no_docs, _) = parse(no_docs.iter().map(String::as_str).collect());
    println!("syn CPU every region and comment blanked {ideal_no_docs:.2}s");
    let in_regions: usize = words
        .iter()
        .flat_map(|w| &w.regions)
        .map(|r| (r.end - r.start) as usize)
        .sum();
    println!(
        "in regions {:.1} MB; syn CPU with every region blanked {ideal:.2}s",
        in_regions as f64 / 1e6
    );
    println!(
        "{} files, {:.1} MB; {regions} regions, {kept} kept; blanked {:.1} MB ({:.0}%)",
        files.len(),
        bytes as f64 / 1e6,
        cut as f64 / 1e6,
        100.0 * cut as f64 / bytes as f64
    );
    let mut totals: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for (why, (n, size)) in &reasons {
        let cat = why.split([' ', ':', '(']).next().unwrap_or("").to_string();
        let e = totals.entry(cat).or_default();
        e.0 += n;
        e.1 += size;
    }
    for (cat, (n, size)) in &totals {
        println!(
            "total {n:>7} regions, {:>6.2} MB: {cat}",
            *size as f64 / 1e6
        );
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1.1));
    let top = if std::env::var("PROBE_ALL").is_ok() {
        usize::MAX
    } else {
        40
    };
    for (why, (n, size)) in reasons.iter().take(top) {
        println!("kept {n:>7} regions, {:>6.2} MB: {why}", *size as f64 / 1e6);
    }
    println!("scan {scan_time:.2?}, decide {decide_time:.2?} ({threads} threads)");
    println!(
        "syn CPU whole {whole:.2}s ({failed_whole} failed), blanked {part:.2}s ({failed_part} failed)"
    );
}

/// CPU seconds this process has used (user and system), from `/proc/self/stat`.
fn cpu_time() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
