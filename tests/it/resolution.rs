//! Name resolution the rules rely on, seen in their findings: which item a name in the code
//! stands for.

use crate::support::{lib_crate, lockscan};

/// Two tests may each declare their own `static mut BUF` in their bodies, beside a
/// module-level one of the same name: each body's name is its own static, and the module's
/// is seen only where no body declares one.
#[test]
fn a_static_declared_in_a_body_is_that_bodys() {
    let dir = lib_crate(
        "static mut BUF: [u8; 4] = [0; 4];

pub fn fill() {
    unsafe { BUF[0] = 1 }
}

pub fn first() -> u8 {
    static mut BUF: [u8; 4] = [0; 4];
    unsafe {
        BUF[1] = 2;
        BUF[1]
    }
}

pub fn second() -> u8 {
    static mut BUF: [u8; 4] = [0; 4];
    let read = || unsafe { BUF[2] };
    read()
}
",
    );
    let out = lockscan(dir.path(), &["--format", "json", "--fail-on", "never"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Each finding (by the line of its declaration) with the lines of the accesses labelled.
    let mut found: Vec<(u64, Vec<u64>)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "static_mut")
        .map(|d| {
            let line = d["line"].as_u64().unwrap();
            let mut at: Vec<u64> = d["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["line"].as_u64().unwrap())
                .filter(|&l| l != line)
                .collect();
            at.sort();
            (line, at)
        })
        .collect();
    found.sort();
    assert_eq!(found, [(1, vec![4]), (8, vec![10, 11]), (16, vec![17])]);
}
