//! The shape of the code, held as a test: top-level modules import each other in one direction only
//! (a walk down the layers never climbs back), and no source file outgrows what a reader holds in
//! mind. Reads `src/` as text: `crate::name` paths and `use crate::{a, b}` groups outside tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines of code (before a file's tests) above which a file wants to be several.
const MAX_LINES: usize = 600;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src/ is readable") {
        let p = e.expect("directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code without its tests and without comment lines.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The top-level modules a piece of code names through `crate::`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::X, b, c::{Y, Z}}`: the first name of each top-level item
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        start = false;
                        let name = ident(&group[j..]);
                        if !name.is_empty() && name != "self" {
                            out.insert(name);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// A cycle through `from` in `edges`, as the list of modules walked, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Option<Vec<String>> {
    fn walk(
        at: &str,
        edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == at) {
            let mut c = path[i..].to_vec();
            c.push(at.to_string());
            return Some(c);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for next in edges.get(at).map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            if let Some(c) = walk(&next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        if let Some(c) = walk(start, edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

fn sources() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    (src, files)
}

#[test]
fn top_level_modules_form_no_cycle() {
    let (src, files) = sources();
    // module → module it names → files that name it
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        // a module's `tests.rs` is its `#[cfg(test)] mod tests`, free to reach across layers
        if m == "main" || m == "lib" || f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("source is UTF-8");
        for to in named_modules(&code(&text)) {
            if to != m {
                let rel = f.strip_prefix(&src).expect("under src").display().to_string();
                edges.entry(m.clone()).or_default().entry(to).or_default().insert(rel);
            }
        }
    }
    if let Some(c) = cycle(&edges) {
        let steps: Vec<String> = c.windows(2).map(|w| format!("{} → {} (in {:?})", w[0], w[1], edges[&w[0]][&w[1]])).collect();
        panic!("modules import each other in a circle:\n  {}", steps.join("\n  "));
    }
}

#[test]
fn the_cycle_check_sees_cycles() {
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (a, b) in [("web", "app"), ("app", "store"), ("store", "model")] {
        edges.entry(a.into()).or_default().insert(b.into(), BTreeSet::new());
    }
    assert_eq!(cycle(&edges), None);
    edges.entry("store".into()).or_default().insert("web".into(), BTreeSet::new());
    assert_eq!(cycle(&edges), Some(vec!["app".into(), "store".into(), "web".into(), "app".into()]));
    let named = named_modules("use crate::{model::{A, B}, store::Store, time};\nlet x = crate::text::fold(y);");
    assert_eq!(named.into_iter().collect::<Vec<_>>(), ["model", "store", "text", "time"]);
}

#[test]
fn no_source_file_outgrows_a_reading() {
    let (src, files) = sources();
    let long: Vec<String> = files
        .iter()
        // a module's `tests.rs` is its tests
        .filter(|f| f.file_name().is_some_and(|n| n != "tests.rs"))
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).expect("source is UTF-8");
            let lines = text.split("#[cfg(test)]").next().unwrap_or_default().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.strip_prefix(&src).expect("under src").display()))
        })
        .collect();
    assert!(long.is_empty(), "files over {MAX_LINES} lines before their tests: {}", long.join(", "));
}
