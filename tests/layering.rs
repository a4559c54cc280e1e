//! The runtime crate's top-level modules import each other in one
//! direction only: no cycle among them, read from the `crate::…` paths of
//! every non-test source file (STYLE.md, "arrows point one way"). A test
//! module may reach anywhere; the code it tests may not.
//!
//! Run `cargo test --test layering -- --nocapture` to print the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/uring-rt/src");

/// Modules that must import no other top-level module of the crate.
const LEAVES: &[&str] = &["sys", "blocking", "coop", "cancel", "marker", "trace"];

/// The edges `from -> to` between top-level modules, with one file that
/// makes each.
fn graph() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let root = Path::new(SRC);
    let mut test_only = BTreeSet::new();
    let mut files = Vec::new();
    collect(root, &mut files);
    // Files declared as `#[cfg(test)] mod x;` are test code.
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for pair in lines.windows(2) {
            if pair[0] == "#[cfg(test)]" {
                if let Some(name) = declared_module(pair[1]) {
                    let dir = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
                        file.parent().unwrap().to_path_buf()
                    } else {
                        file.with_extension("")
                    };
                    test_only.insert(dir.join(format!("{name}.rs")));
                    test_only.insert(dir.join(name).join("mod.rs"));
                }
            }
        }
    }
    let reexports = root_reexports(&fs::read_to_string(root.join("lib.rs")).unwrap());
    let mut edges: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for file in &files {
        if test_only.contains(file) {
            continue;
        }
        let rel = file.strip_prefix(root).unwrap();
        let from = top_module(rel);
        let text = fs::read_to_string(file).unwrap();
        for name in crate_paths(&text) {
            // `crate::Driver` is `crate::driver::Driver` re-exported.
            let to = reexports.get(&name).cloned().unwrap_or(name);
            if to != from && to != "lib" && is_module(root, &to) {
                edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| rel.to_path_buf());
            }
        }
    }
    edges
}

/// Names lib.rs re-exports at the root (`pub use driver::Driver;`), mapped
/// to the module they come from.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        let Some(path) = line.strip_prefix("pub use ") else {
            continue;
        };
        let path = path.trim_end_matches(';');
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        let items = items.trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let name = item.trim().rsplit("::").next().unwrap_or("").trim();
            if !name.is_empty() {
                out.insert(name.to_string(), module.to_string());
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `name` of a line `mod name;` / `pub(crate) mod name;` (not inline ones).
fn declared_module(line: &str) -> Option<&str> {
    let rest = line.split("mod ").nth(1)?;
    let name = rest.strip_suffix(';')?;
    name.chars()
        .all(|c| c.is_alphanumeric() || c == '_')
        .then_some(name)
}

/// The top-level module a file belongs to (`lib` for lib.rs).
fn top_module(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    first.trim_end_matches(".rs").to_string()
}

fn is_module(root: &Path, name: &str) -> bool {
    root.join(format!("{name}.rs")).exists() || root.join(name).join("mod.rs").exists()
}

/// The first segment of every `crate::x` path in code (comments, doc
/// comments, `$crate` in macros and inline `#[cfg(test)] mod … { }` blocks
/// excluded).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]" {
            if let Some(next) = lines.peek() {
                let next = next.trim();
                if next.contains("mod ") && next.ends_with('{') {
                    break; // the inline test module runs to the end of the file
                }
            }
        }
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().last();
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if before != Some('$') && before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
                if !name.is_empty() {
                    out.insert(name.clone());
                } else if after.starts_with('{') {
                    // `crate::{a, b::c}`: the first segment of each item.
                    let group = &after[1..after.find('}').unwrap_or(after.len())];
                    for item in group.split(',') {
                        let seg: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !seg.is_empty() {
                            out.insert(seg);
                        }
                    }
                }
            }
            rest = after;
        }
    }
    out
}

/// A cycle through `start`, if any (depth-first search).
fn find_cycle(edges: &BTreeMap<String, BTreeMap<String, PathBuf>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeMap<String, PathBuf>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flat_map(|m| m.keys()) {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(c) = visit(node, edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn top_level_modules_form_no_cycle() {
    let edges = graph();
    for (from, tos) in &edges {
        let list: Vec<String> = tos
            .iter()
            .map(|(to, file)| format!("{to} ({})", file.display()))
            .collect();
        println!("{from} -> {}", list.join(", "));
    }
    assert!(
        edges.contains_key("driver"),
        "the scan found no imports at all"
    );
    if let Some(cycle) = find_cycle(&edges) {
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("{} -> {} ({})", w[0], w[1], edges[&w[0]][&w[1]].display()))
            .collect();
        panic!(
            "uring-rt's modules import in a cycle:\n  {}",
            steps.join("\n  ")
        );
    }
}

#[test]
fn leaves_import_nothing_above_them() {
    let edges = graph();
    for leaf in LEAVES {
        if let Some(tos) = edges.get(*leaf) {
            panic!("`{leaf}` must be a leaf but imports {tos:?}");
        }
    }
}

#[test]
fn the_scanner_sees_imports_and_ignores_comments() {
    let text = "use crate::driver::Op;\n// crate::runtime in a comment\n/// [`x`](crate::task)\n\
                use crate::{buf::IoBuf, io};\nmacro_rules! m { () => { $crate::net } }\n\
                #[cfg(test)]\nmod tests {\n    use crate::time;\n}\n";
    let found: Vec<String> = crate_paths(text).into_iter().collect();
    assert_eq!(found, ["buf", "driver", "io"]);
}
