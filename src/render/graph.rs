//! `lockscan graph`: the lock-order graph as Graphviz DOT or a Mermaid flowchart.
//!
//! One node per lock class, one edge per "holding A, takes B", labelled with the functions that
//! do it; the edges and locks of each cycle that `lock_order_inversion` reports are red and
//! bold. One graph per unit (a workspace, a package, loose files): with several units, each is
//! a cluster (DOT) or a subgraph (Mermaid) of one drawing. Nodes are sorted by name and edges by
//! their ends, so the output is the same from run to run.

use super::{replace_chars, sanitize};
use crate::driver::Graphs;
use crate::index::graph::LockOrder;
use std::io::{self, Write};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT: `lockscan graph | dot -Tsvg > locks.svg`.
    Dot,
    /// A Mermaid flowchart: GitHub renders it in a ```mermaid block.
    Mermaid,
}

/// At most this many functions name an edge; the rest are counted.
const MAX_FUNCTIONS: usize = 3;

/// The colour of what is on a cycle.
const CYCLE: &str = "#d62728";

pub fn render(graphs: &Graphs, format: GraphFormat, out: &mut dyn Write) -> io::Result<()> {
    let units: Vec<(&str, &LockOrder)> =
        graphs.units.iter().map(|(n, g)| (n.as_str(), g)).collect();
    let text = match format {
        GraphFormat::Dot => dot(&units, graphs),
        GraphFormat::Mermaid => mermaid(&units),
    };
    out.write_all(text.as_bytes())
}

/// An edge's label lines: its functions, then how many more there are.
fn function_lines(functions: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = functions
        .iter()
        .take(MAX_FUNCTIONS)
        .map(|f| sanitize(f).into_owned())
        .collect();
    if functions.len() > MAX_FUNCTIONS {
        lines.push(format!("and {} more", functions.len() - MAX_FUNCTIONS));
    }
    lines
}

/// A DOT double-quoted string's contents.
fn dot_escape(s: &str) -> String {
    replace_chars(
        &sanitize(s),
        &[('"', "\\\""), ('\\', "\\\\"), ('\n', "\\n")],
    )
}

fn dot(units: &[(&str, &LockOrder)], graphs: &Graphs) -> String {
    let mut s = String::from("digraph lock_order {\n");
    s.push_str("  // lockscan graph: an edge A -> B where code holding A takes B\n");
    s.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t];\n");
    s.push_str("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    s.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let clusters = units.len() > 1;
    if let [(name, _)] = units {
        s.push_str(&format!(
            "  label=\"lock order of {}\";\n",
            dot_escape(name)
        ));
    }
    for (u, (name, g)) in units.iter().enumerate() {
        let indent = if clusters { "    " } else { "  " };
        if clusters {
            s.push_str(&format!("  subgraph cluster_{u} {{\n"));
            s.push_str(&format!("    label=\"{}\";\n", dot_escape(name)));
        }
        for (i, n) in g.nodes.iter().enumerate() {
            let style = if n.in_cycle {
                format!(
                    ", color=\"{CYCLE}\", fontcolor=\"{CYCLE}\", penwidth=2, style=\"rounded,bold\""
                )
            } else {
                String::new()
            };
            s.push_str(&format!(
                "{indent}u{u}_{i} [label=\"{}\"{style}];\n",
                dot_escape(&n.name)
            ));
        }
        for e in &g.edges {
            let label = function_lines(&e.functions).join("\n");
            let site = format!(
                "{}:{}",
                graphs.project.files[e.site.file.0 as usize].display, e.site.span.lo.line
            );
            let style = if e.in_cycle {
                format!(", color=\"{CYCLE}\", fontcolor=\"{CYCLE}\", penwidth=2.5, style=bold")
            } else {
                String::new()
            };
            s.push_str(&format!(
                "{indent}u{u}_{} -> u{u}_{} [label=\"{}\", tooltip=\"{}\"{style}];\n",
                e.from,
                e.to,
                dot_escape(&label),
                dot_escape(&site)
            ));
        }
        if clusters {
            s.push_str("  }\n");
        }
    }
    s.push_str("}\n");
    s
}

/// Text inside a Mermaid quoted label: quotes and angle brackets as entities (Mermaid reads
/// labels as HTML), lines joined with `<br>`.
fn mermaid_escape(s: &str) -> String {
    replace_chars(
        &sanitize(s),
        &[
            ('"', "#quot;"),
            ('<', "#lt;"),
            ('>', "#gt;"),
            ('#', "#35;"),
            ('`', "#96;"),
            ('\n', "<br>"),
        ],
    )
}

fn mermaid(units: &[(&str, &LockOrder)]) -> String {
    let mut s = String::new();
    if let [(name, _)] = units {
        s.push_str(&format!(
            "---\ntitle: \"lock order of {}\"\n---\n",
            mermaid_escape(name).replace('\\', "\\\\")
        ));
    }
    s.push_str("flowchart LR\n");
    s.push_str(&format!(
        "  classDef cycle stroke:{CYCLE},stroke-width:3px,color:{CYCLE}\n"
    ));
    let clusters = units.len() > 1;
    let mut link = 0;
    let mut cycle_links: Vec<usize> = vec![];
    let mut cycle_nodes: Vec<String> = vec![];
    for (u, (name, g)) in units.iter().enumerate() {
        let indent = if clusters { "    " } else { "  " };
        if clusters {
            s.push_str(&format!(
                "  subgraph unit{u}[\"{}\"]\n",
                mermaid_escape(name)
            ));
        }
        for (i, n) in g.nodes.iter().enumerate() {
            s.push_str(&format!(
                "{indent}u{u}_{i}[\"{}\"]\n",
                mermaid_escape(&n.name)
            ));
            if n.in_cycle {
                cycle_nodes.push(format!("u{u}_{i}"));
            }
        }
        if clusters {
            s.push_str("  end\n");
        }
        for e in &g.edges {
            let label = function_lines(&e.functions).join("\n");
            s.push_str(&format!(
                "  u{u}_{} -->|\"{}\"| u{u}_{}\n",
                e.from,
                mermaid_escape(&label),
                e.to
            ));
            if e.in_cycle {
                cycle_links.push(link);
            }
            link += 1;
        }
    }
    if !cycle_nodes.is_empty() {
        s.push_str(&format!("  class {} cycle\n", cycle_nodes.join(",")));
    }
    if !cycle_links.is_empty() {
        let ids: Vec<String> = cycle_links.iter().map(usize::to_string).collect();
        s.push_str(&format!(
            "  linkStyle {} stroke:{CYCLE},stroke-width:3px,color:{CYCLE}\n",
            ids.join(",")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_for_each_language() {
        assert_eq!(dot_escape("a \"b\" \\ c\nd"), "a \\\"b\\\" \\\\ c\\nd");
        assert_eq!(
            mermaid_escape("Vec<u8> \"x\" #1 `y`\nz"),
            "Vec#lt;u8#gt; #quot;x#quot; #35;1 #96;y#96;<br>z"
        );
        // Scanned text never reaches a terminal raw.
        assert_eq!(dot_escape("a\u{1b}[2J"), "a\\\\u{1b}[2J");
    }

    #[test]
    fn long_function_lists_are_cut() {
        let f: Vec<String> = (1..=5).map(|i| format!("f{i}")).collect();
        assert_eq!(function_lines(&f), ["f1", "f2", "f3", "and 2 more"]);
    }
}
