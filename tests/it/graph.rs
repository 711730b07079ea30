//! `lockscan graph`: the lock-order graph of the fixtures, drawn by the real tools.
//!
//! - DOT is rendered by Graphviz's `dot` (installed by `scripts/install-test-tools`, which this
//!   test runs when `dot` is missing; a machine where that fails fails the test, it is never
//!   skipped), and what `dot` laid out is read back (`-Tplain`): the nodes, the edges and the
//!   colour of the cycle's edges.
//! - Mermaid is parsed by Mermaid itself (the `mermaid` npm package, headless in Node with
//!   jsdom for its DOM), installed by this test under `target/tmp/`, and the diagram it built
//!   is read back (`tests/data/mermaid/check.mjs`).

use crate::support::{
    data, lockscan, npm_install, output, repo, root, stderr, stdout, system_tool, text, tmp,
    write_crate,
};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// `lockscan graph ARGS` in the repository, its output and the exit code checked.
fn graph(args: &[&str]) -> String {
    let mut all = vec!["graph"];
    all.extend_from_slice(args);
    let out = lockscan(root(), &all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// The edges the fixtures' two crates (`ledger` and `warehouse`, fixtures/crates/) take their
/// locks in: held, taken, by whom, and whether it is on a cycle. Four of the five make the two
/// inversions `lock_order_inversion` reports there; `Books::receive` taking `audit_log` under
/// `totals` (through `Warehouse::restock`) is on no cycle.
const CRATES_EDGES: &[(&str, &str, &str, bool)] = &[
    (
        "Books::totals",
        "Warehouse::audit_log",
        "Books::receive",
        false,
    ),
    (
        "Books::totals",
        "Warehouse::inventory",
        "Books::receive",
        true,
    ),
    (
        "Warehouse::audit_log",
        "Warehouse::inventory",
        "a closure in Warehouse::audit",
        true,
    ),
    (
        "Warehouse::inventory",
        "Books::totals",
        "Books::recount",
        true,
    ),
    (
        "Warehouse::inventory",
        "Warehouse::audit_log",
        "Warehouse::restock",
        true,
    ),
];

type EdgeSet = BTreeSet<(String, String, String, bool)>;

fn expected_edges() -> EdgeSet {
    CRATES_EDGES
        .iter()
        .map(|(a, b, f, c)| (a.to_string(), b.to_string(), f.to_string(), *c))
        .collect()
}

/// Graphviz's `dot`, installed by the repository's script when it is missing.
fn dot() -> PathBuf {
    system_tool("dot", "rendering `lockscan graph`")
}

fn run_dot(format: &str, input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(dot())
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dot runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "dot -T{format} rejected the graph:\n{}\n{input}",
        stderr(&out)
    );
    stdout(&out)
}

/// One `-Tplain` field: a word, or a quoted string.
fn plain_fields(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut field = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => field.push('\n'),
                        Some(c) => field.push(c),
                        None => {}
                    },
                    '"' => break,
                    c => field.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        out.push(field);
    }
    out
}

/// The nodes (id → label) and the edges (held, taken, label, on a cycle) of a graph as `dot`
/// laid it out.
fn laid_out(dot_text: &str) -> (Vec<String>, EdgeSet) {
    let plain = run_dot("plain", dot_text);
    let mut labels = std::collections::HashMap::new();
    let mut edges = EdgeSet::new();
    for line in plain.lines() {
        let f = plain_fields(line);
        match f.first().map(String::as_str) {
            // node name x y width height label style shape color fillcolor
            Some("node") => {
                labels.insert(f[1].clone(), f[6].clone());
            }
            // edge tail head n x1 y1 .. xn yn [label xl yl] style color
            Some("edge") => {
                let n: usize = f[3].parse().unwrap();
                let rest = &f[4 + 2 * n..];
                let label = if rest.len() == 5 {
                    rest[0].clone()
                } else {
                    String::new()
                };
                let color = rest.last().unwrap();
                edges.insert((
                    labels[&f[1]].clone(),
                    labels[&f[2]].clone(),
                    label,
                    color == "#d62728",
                ));
            }
            _ => {}
        }
    }
    let mut nodes: Vec<String> = labels.into_values().collect();
    nodes.sort();
    (nodes, edges)
}

#[test]
fn the_fixtures_graph_renders_with_graphviz() {
    let text = graph(&["fixtures/crates/ledger", "fixtures/crates/warehouse"]);
    let svg = run_dot("svg", &text);
    assert!(
        svg.contains("<svg") && svg.contains("Warehouse::inventory"),
        "{svg}"
    );
    let (nodes, edges) = laid_out(&text);
    assert_eq!(
        nodes,
        [
            "Books::totals",
            "Warehouse::audit_log",
            "Warehouse::inventory"
        ]
    );
    assert_eq!(edges, expected_edges());
}

#[test]
fn the_whole_fixture_crate_renders_with_graphviz() {
    // Every lock of every fixture, in one drawing: dot takes it, and the seed's deadlock
    // (`LOCK1`/`LOCK2` in opposite orders, fixtures/src/seeds/) is on a red cycle.
    let text = graph(&["fixtures", "--all-locks"]);
    let (nodes, edges) = laid_out(&text);
    assert!(nodes.len() > 100, "{nodes:?}");
    for e in [
        ("LOCK1", "LOCK2", "thread1_work", true),
        ("LOCK2", "LOCK1", "thread2_work", true),
        (
            "SAFE1",
            "SAFE2",
            "safe_thread1_work\nsafe_thread2_work",
            false,
        ),
    ] {
        let e = (e.0.to_string(), e.1.to_string(), e.2.to_string(), e.3);
        assert!(edges.contains(&e), "{e:?} not in {edges:#?}");
    }
    // Without `--all-locks`, only the locks some edge touches.
    let nested = graph(&["fixtures"]);
    let (fewer, same_edges) = laid_out(&nested);
    assert!(fewer.len() < nodes.len());
    assert_eq!(same_edges, edges);
    for n in &fewer {
        assert!(
            edges.iter().any(|e| &e.0 == n || &e.1 == n),
            "{n} touches no edge"
        );
    }
}

#[test]
fn the_graph_is_the_same_from_run_to_run() {
    let one = graph(&["fixtures", "--threads", "1"]);
    for _ in 0..3 {
        assert_eq!(graph(&["fixtures", "--threads", "2"]), one);
    }
    let m = graph(&["fixtures", "-f", "mermaid", "--threads", "1"]);
    assert_eq!(graph(&["fixtures", "-f", "mermaid", "--threads", "2"]), m);
}

static MERMAID: Mutex<Option<PathBuf>> = Mutex::new(None);

const MERMAID_VERSION: &str = "11.17.2";
const JSDOM_VERSION: &str = "29.1.1";

/// A directory with `mermaid` and `jsdom` installed from npm, and the checking script.
fn mermaid_checker() -> PathBuf {
    let mut done = MERMAID.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = &*done {
        return p.clone();
    }
    let dir = tmp().join(format!("mermaid-{MERMAID_VERSION}-jsdom-{JSDOM_VERSION}"));
    let installed = |package: &str| {
        dir.join("node_modules")
            .join(package)
            .join("package.json")
            .is_file()
    };
    if !installed("mermaid") || !installed("jsdom") {
        npm_install(
            &dir,
            &[
                format!("mermaid@{MERMAID_VERSION}"),
                format!("jsdom@{JSDOM_VERSION}"),
            ],
            "Mermaid",
        );
        assert!(
            installed("mermaid") && installed("jsdom"),
            "npm left out mermaid or jsdom"
        );
    }
    std::fs::copy(data("mermaid/check.mjs"), dir.join("check.mjs")).unwrap();
    *done = Some(dir.clone());
    dir
}

/// What Mermaid's own parser made of `text`, or its error.
fn mermaid_parse(diagram: &str) -> Result<serde_json::Value, String> {
    let dir = mermaid_checker();
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(input.path(), diagram).unwrap();
    let out = output(
        Command::new("node")
            .arg(dir.join("check.mjs"))
            .arg(input.path())
            .current_dir(&dir),
    );
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("the checker prints JSON"))
    } else {
        Err(text(&out))
    }
}

#[test]
fn the_mermaid_graph_is_what_mermaid_parses() {
    // The checker is not fooled: Mermaid rejects a broken flowchart.
    assert!(mermaid_parse("flowchart LR\n  a -->|\"x| b\n").is_err());

    let text = graph(&[
        "fixtures/crates/ledger",
        "fixtures/crates/warehouse",
        "--format",
        "mermaid",
    ]);
    let d = mermaid_parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(d["type"], "flowchart-v2");
    let label = |id: &str| -> String {
        d["vertices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .map(|v| v["text"].as_str().unwrap().to_string())
            .unwrap()
    };
    let mut nodes: Vec<String> = d["vertices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["text"].as_str().unwrap().to_string())
        .collect();
    nodes.sort();
    assert_eq!(
        nodes,
        [
            "Books::totals",
            "Warehouse::audit_log",
            "Warehouse::inventory"
        ]
    );
    for v in d["vertices"].as_array().unwrap() {
        assert_eq!(v["classes"], serde_json::json!(["cycle"]), "{v}");
    }
    let edges: EdgeSet = d["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let red = e["style"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x == "stroke:#d62728"));
            (
                label(e["start"].as_str().unwrap()),
                label(e["end"].as_str().unwrap()),
                e["text"].as_str().unwrap().replace("<br>", "\n"),
                red,
            )
        })
        .collect();
    assert_eq!(edges, expected_edges());

    // The whole fixture crate, and names that need escaping, parse too.
    let all = graph(&["fixtures", "--format", "mermaid", "--all-locks"]);
    let d = mermaid_parse(&all).unwrap_or_else(|e| panic!("{e}\n{all}"));
    assert!(d["vertices"].as_array().unwrap().len() > 100);
}

/// Two packages side by side, outside any workspace: one drawing, a cluster (subgraph) each,
/// and a lock local to a function (shared with a thread it spawns) named with it.
const TWO_LOCKS: &str = "use std::sync::Mutex;
pub struct Pair { a: Mutex<u8>, b: Mutex<u8> }
impl Pair {
    pub fn ab(&self) { let _a = self.a.lock().unwrap(); let _b = self.b.lock().unwrap(); }
    pub fn ba(&self) { let _b = self.b.lock().unwrap(); let _a = self.a.lock().unwrap(); }
}
pub fn locals() {
    let m = std::sync::Arc::new(Mutex::new(0u8));
    let n = std::sync::Arc::new(Mutex::new(0u8));
    let (m2, n2) = (std::sync::Arc::clone(&m), std::sync::Arc::clone(&n));
    let t = std::thread::spawn(move || {
        *m2.lock().unwrap() += 1;
        *n2.lock().unwrap() += 1;
    });
    let _m = m.lock().unwrap();
    let _n = n.lock().unwrap();
    drop((_m, _n));
    t.join().unwrap();
}
";

#[test]
fn several_units_are_clusters_of_one_drawing() {
    let two = repo();
    for name in ["alpha", "beta"] {
        let dest = two.path().join(name);
        write_crate(&dest, &[("lib.rs", TWO_LOCKS.as_bytes())]);
        std::fs::write(
            dest.join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        )
        .unwrap();
    }
    let out = lockscan(two.path(), &["graph", "alpha", "beta"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dot_text = stdout(&out);
    assert_eq!(
        dot_text.matches("subgraph cluster_").count(),
        2,
        "{dot_text}"
    );
    assert!(dot_text.contains("label=\"alpha\"") && dot_text.contains("label=\"beta\""));
    let (nodes, edges) = laid_out(&dot_text);
    assert_eq!(
        nodes,
        [
            "Pair::a",
            "Pair::a",
            "Pair::b",
            "Pair::b",
            "m (in locals)",
            "m (in locals)",
            "n (in locals)",
            "n (in locals)"
        ]
    );
    assert_eq!(edges.len(), 3, "{edges:?}");
    assert!(edges.contains(&(
        "m (in locals)".into(),
        "n (in locals)".into(),
        "locals".into(),
        false
    )));
    assert!(edges.contains(&("Pair::a".into(), "Pair::b".into(), "Pair::ab".into(), true)));
    assert_eq!(
        stderr(&out),
        "8 locks and 6 edges (4 on a cycle) in 2 units\n"
    );

    let out = lockscan(two.path(), &["graph", "alpha", "beta", "-f", "mermaid"]);
    let m = stdout(&out);
    assert_eq!(m.matches("subgraph unit").count(), 2, "{m}");
    let d = mermaid_parse(&m).unwrap_or_else(|e| panic!("{e}\n{m}"));
    assert_eq!(d["subgraphs"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(d["edges"].as_array().unwrap().len(), 6, "{d}");
}

#[test]
fn a_named_file_draws_the_part_it_takes_part_in() {
    // `audit.rs` takes `audit_log` then `inventory` (in a closure); the rest of the workspace's
    // edges are elsewhere.
    let text = graph(&["fixtures/crates/warehouse/src/audit.rs"]);
    let (nodes, edges) = laid_out(&text);
    assert_eq!(nodes, ["Warehouse::audit_log", "Warehouse::inventory"]);
    assert_eq!(
        edges.into_iter().map(|e| e.2).collect::<Vec<_>>(),
        ["a closure in Warehouse::audit"]
    );
}

#[test]
fn the_graph_goes_to_an_output_file_and_bad_paths_fail() {
    let dir = repo();
    let file = dir.path().join("locks.dot");
    let out = lockscan(
        root(),
        &[
            "graph",
            "fixtures/crates/ledger",
            "fixtures/crates/warehouse",
            "-o",
            file.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        graph(&["fixtures/crates/ledger", "fixtures/crates/warehouse"])
    );

    let out = lockscan(root(), &["graph", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    let out = lockscan(dir.path(), &["graph"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).starts_with("error: no Rust files to check in `.`"));
}

/// The README's picture is the fixtures' graph: `docs/lock-order.dot` is what `lockscan graph
/// fixtures/crates` prints, `docs/lock-order.svg` is Graphviz's drawing of it (the command is
/// in the README), and the README's Mermaid block is the Mermaid form. `LOCKSCAN_BLESS=1`
/// rewrites all three.
#[test]
fn the_readme_picture_is_the_fixtures_graph() {
    let dot_text = graph(&["fixtures/crates/ledger", "fixtures/crates/warehouse"]);
    let mermaid_text = graph(&[
        "fixtures/crates/ledger",
        "fixtures/crates/warehouse",
        "--format",
        "mermaid",
    ]);
    let docs = root().join("docs");
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let start = readme
        .find("<!-- graph:start")
        .expect("the README has the graph block");
    let open = start + readme[start..].find("```mermaid\n").unwrap() + "```mermaid\n".len();
    let close = open + readme[open..].find("```\n<!-- graph:end -->").unwrap();
    if std::env::var_os("LOCKSCAN_BLESS").is_some() {
        std::fs::write(docs.join("lock-order.dot"), &dot_text).unwrap();
        std::fs::write(docs.join("lock-order.svg"), run_dot("svg", &dot_text)).unwrap();
        let new = format!("{}{}{}", &readme[..open], mermaid_text, &readme[close..]);
        std::fs::write(&readme_path, new).unwrap();
        return;
    }
    assert_eq!(
        std::fs::read_to_string(docs.join("lock-order.dot")).unwrap(),
        dot_text,
        "docs/lock-order.dot is out of date: LOCKSCAN_BLESS=1 cargo test --test it graph"
    );
    assert_eq!(
        &readme[open..close],
        mermaid_text,
        "the README's Mermaid block is out of date"
    );
    assert!(readme.contains("![The lock order of the fixtures' two crates"));
    assert!(readme.contains("](docs/lock-order.svg)"));
    // The SVG is a drawing of this graph.
    let svg = std::fs::read_to_string(docs.join("lock-order.svg")).unwrap();
    assert!(svg.contains("<!-- Title: lock_order Pages: 1 -->"), "{svg}");
    for name in [
        "Books::totals",
        "Warehouse::audit_log",
        "Warehouse::inventory",
        "Books::recount",
    ] {
        assert!(svg.contains(name), "the SVG has no {name}");
    }
    assert_eq!(svg.matches("class=\"edge\"").count(), CRATES_EDGES.len());
    assert!(svg.contains("stroke=\"#d62728\""));
}
