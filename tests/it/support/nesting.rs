//! Source files that nest `n` levels deep, one per way Rust code can nest: shared by the
//! nesting pre-check's unit tests (`src/parse.rs`), the command-line robustness tests
//! (`tests/it/robustness.rs`) and the stack probe (`examples/depth_probe.rs`).

/// Shapes that nest as deeply as `n`, each in its own way.
pub fn shapes(n: usize) -> Vec<(&'static str, String)> {
    let wrap =
        |open: &str, mid: &str, close: &str| format!("{}{mid}{}", open.repeat(n), close.repeat(n));
    vec![
        (
            "parens",
            format!("fn f() {{ let x = {}; }}", wrap("(", "1", ")")),
        ),
        ("blocks", format!("fn f() {}", wrap("{", "", "}"))),
        (
            "method chain",
            format!("fn f() {{ x{}; }}", ".f()".repeat(n)),
        ),
        ("field chain", format!("fn f() {{ x{}; }}", ".a".repeat(n))),
        ("calls", format!("fn f() {{ x{}; }}", "()".repeat(n))),
        ("indexing", format!("fn f() {{ x{}; }}", "[0]".repeat(n))),
        ("sum", format!("fn f() {{ 1{} }}", " + 1".repeat(n))),
        ("unary", format!("fn f() {{ {}x; }}", "!".repeat(n))),
        ("references", format!("fn f() {{ {}x; }}", "&".repeat(n))),
        ("casts", format!("fn f() {{ 1{}; }}", " as u8".repeat(n))),
        (
            "assignments",
            format!("fn f() {{ {}1; }}", "a = ".repeat(n)),
        ),
        ("returns", format!("fn f() {{ {}1; }}", "return ".repeat(n))),
        ("becomes", format!("fn f() {{ {}1; }}", "become ".repeat(n))),
        (
            "breaks",
            format!("fn f() {{ loop {{ {}1; }} }}", "break ".repeat(n)),
        ),
        ("ranges", format!("fn f() {{ {}1; }}", ".. ".repeat(n))),
        ("try", format!("fn f() {{ x{}; }}", "?".repeat(n))),
        (
            "awaits",
            format!("async fn f() {{ x{}; }}", ".await".repeat(n)),
        ),
        ("closures", format!("fn f() {{ {}1; }}", "|| ".repeat(n))),
        (
            "closures with parameters",
            format!("fn f() {{ {}1; }}", "|a, b| ".repeat(n)),
        ),
        (
            "move closures",
            format!("fn f() {{ {}1; }}", "move |a, b| ".repeat(n)),
        ),
        (
            "else if",
            format!(
                "fn f() {{ if a {{}} {}else {{}} }}",
                "else if a {} ".repeat(n)
            ),
        ),
        ("generics", format!("type T = {};", wrap("Vec<", "u8", ">"))),
        (
            "generics with commas",
            format!("type T = {};", wrap("HashMap<u8, ", "u8", ">")),
        ),
        (
            "function types",
            format!("type T = {}u8;", "fn() -> ".repeat(n)),
        ),
        (
            "dyn star types",
            format!("type T = {}u8;", "&dyn* Fn() -> ".repeat(n)),
        ),
        (
            "unsafe binder types",
            format!("type T = {}u8;", "unsafe<'a> ".repeat(n)),
        ),
        (
            "pointer types",
            format!("type T = {}u8;", "*const ".repeat(n)),
        ),
        (
            "tuple types",
            format!("type T = {};", wrap("(", "u8", ",)")),
        ),
        (
            "binding patterns",
            format!("fn f() {{ let {}_ = 1; }}", "a @ ".repeat(n)),
        ),
        (
            "box patterns",
            format!("fn f() {{ let {}x = 1; }}", "box ".repeat(n)),
        ),
        (
            "const block patterns",
            format!(
                "fn f() {{ match y {{ {} => 1 }} }}",
                wrap("const { match x { ", "_", " => 1 } }")
            ),
        ),
        ("modules", wrap("mod a { ", "", "}")),
        ("macros", format!("fn f() {{ {}; }}", wrap("m!(", "1", ")"))),
        (
            "match arms",
            format!("fn f() {{ {} }}", wrap("match x { _ => ", "1", " }")),
        ),
        (
            "unsafe blocks",
            format!("fn f() {{ {} }}", wrap("unsafe { ", "1", " }")),
        ),
        (
            "let else",
            format!(
                "fn f() {{ {} }}",
                wrap("let Some(x) = y else { ", "return;", " };")
            ),
        ),
        ("use trees", format!("use {};", wrap("a::{", "b", "}"))),
    ]
}
