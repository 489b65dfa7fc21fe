//! The library's layers depend one way (issue 12; the order is written in `src/lib.rs`):
//!
//! ```text
//! model -> threshold -> recording -> engine -> network -> io -> compare -> converge -> plot
//! ```
//!
//! A module may use modules to its left, never one to its right; the command line
//! (`src/bin/`) stands on top of all of them. This test reads every source file of the library
//! and resolves each `crate::…` and `super::…` path in its code (comments and doc comments are
//! skipped) to the file that defines it. It checks:
//!
//! 1. no file uses a top-level module above its own;
//! 2. there is no import circle between files, other than the one Rust's module tree makes
//!    between a `mod.rs` and the files below it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: [&str; 9] = [
    "model",
    "threshold",
    "recording",
    "engine",
    "network",
    "io",
    "compare",
    "converge",
    "plot",
];

fn rank(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == top)
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file: `src/engine/exact/shard.rs` -> `["engine", "exact",
/// "shard"]`, `src/engine/mod.rs` -> `["engine"]`, `src/lib.rs` -> `[]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a file without comments (line comments, doc comments and block comments);
/// string literals are kept.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_line, mut in_block, mut in_str) = (false, false, false);
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        if in_line {
            if c == '\n' {
                in_line = false;
                out.push('\n');
            }
        } else if in_block {
            if c == '*' && next == Some('/') {
                chars.next();
                in_block = false;
                out.push(' ');
            }
        } else if in_str {
            out.push(c);
            if c == '\\' {
                if let Some(e) = chars.next() {
                    out.push(e);
                }
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '\'' && next == Some('"') {
            // the character literal '"' opens no string
            out.push(c);
            out.push(chars.next().unwrap());
        } else if c == '/' && next == Some('/') {
            in_line = true;
        } else if c == '/' && next == Some('*') {
            chars.next();
            in_block = true;
        } else {
            in_str = c == '"';
            out.push(c);
        }
    }
    out
}

/// The paths a file's code names, as absolute module paths: `crate::a::b::C` -> `[a, b, C]`,
/// `super::x` resolved against the file's module.
fn paths_in(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b':') {
                continue;
            }
            let rest = &code[at..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let segs: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
            let mut path: Vec<String>;
            let mut segs = segs.as_slice();
            if segs.first() == Some(&"crate") {
                path = Vec::new();
                segs = &segs[1..];
            } else {
                // `super` is the parent module, for a `mod.rs` (whose module is its directory's)
                // as for any other file
                path = module.to_vec();
                path.pop();
                let mut s = segs;
                s = &s[1..];
                while s.first() == Some(&"super") {
                    path.pop();
                    s = &s[1..];
                }
                segs = s;
            }
            path.extend(segs.iter().map(|s| s.to_string()));
            out.push(path);
        }
    }
    out
}

/// The longest prefix of `path` that is the module of a file.
fn file_module(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

#[test]
fn layers_depend_one_way_and_no_files_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.retain(|f| !f.starts_with(src.join("bin")));
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        let code = code_of(&fs::read_to_string(file).unwrap());
        for path in paths_in(&code, &module) {
            let Some(target) = file_module(&path, &modules) else {
                continue;
            };
            if target.is_empty() || module.is_empty() || target == module {
                continue;
            }
            let (own, used) = (rank(&module[0]), rank(&target[0]));
            match (own, used) {
                (Some(a), Some(b)) if b > a => problems.push(format!(
                    "{} uses {} ({}), a layer above its own ({})",
                    file.strip_prefix(&src).unwrap().display(),
                    path.join("::"),
                    target[0],
                    module[0]
                )),
                (None, _) => problems.push(format!("module {} is in no layer", module[0])),
                _ => {}
            }
            // the module tree's own parent/child links are no import circle
            let related = target.starts_with(&module) || module.starts_with(&target);
            if !related {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    // circles between files: depth-first search for a back edge
    fn visit(
        m: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
        circles: &mut Vec<String>,
    ) {
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for t in edges.get(m).into_iter().flatten() {
            match state.get(t).copied().unwrap_or(0) {
                0 => visit(t, edges, state, stack, circles),
                1 => {
                    let i = stack.iter().position(|s| s == t).unwrap();
                    let names: Vec<String> =
                        stack[i..].iter().chain([t]).map(|s| s.join("::")).collect();
                    circles.push(names.join(" -> "));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
    }
    let mut state = BTreeMap::new();
    let mut circles = Vec::new();
    for m in edges.keys() {
        if state.get(m).copied().unwrap_or(0) == 0 {
            visit(m, &edges, &mut state, &mut Vec::new(), &mut circles);
        }
    }
    problems.extend(circles.into_iter().map(|c| format!("import circle: {c}")));
    assert!(
        modules.len() > 20 && !edges.is_empty(),
        "too few modules or imports found: the test reads nothing"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_resolves_paths() {
    let m = vec![
        "engine".to_string(),
        "exact".to_string(),
        "shard".to_string(),
    ];
    let code = code_of("use super::cell::Cell; // crate::plot\nuse crate::model::if_curr_exp::Params;\n/* crate::io */ let x = crate::threshold::first_crossing;");
    let paths: Vec<String> = paths_in(&code, &m).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        [
            "model::if_curr_exp::Params",
            "threshold::first_crossing",
            "engine::exact::cell::Cell"
        ]
    );
    // `super` in a mod.rs names the parent of the directory's module
    let paths = paths_in("use super::NetData;", &m[..2]);
    assert_eq!(paths, [vec!["engine".to_string(), "NetData".to_string()]]);
}
