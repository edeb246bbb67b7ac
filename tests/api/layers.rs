//! The layers stay layered: nothing below `app.rs` (which assembles the server) or
//! `openapi.rs` (which collects the document from the domains) reaches back up into them. Read
//! from the source, so that a new import that breaks the rule fails here.

use std::path::Path;

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn nothing_below_the_app_or_the_document_imports_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let top = ["app.rs", "main.rs", "lib.rs", "openapi.rs"].map(|f| src.join(f));
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| !top.contains(f))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            [
                "crate::app::",
                "use crate::app;",
                "crate::openapi::",
                "use crate::openapi;",
            ]
            .iter()
            .any(|import| text.contains(import))
        })
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    assert!(files.len() > 20, "the sources were found: {}", files.len());
    assert!(
        offenders.is_empty(),
        "these import crate::app: {offenders:?}"
    );
}

/// The modules under `src/`, by path (`registrations::store`), with the text of each, tests
/// left out (a test may reach anywhere).
fn modules() -> std::collections::BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let rel = file.strip_prefix(&src).unwrap().with_extension("");
            let mut name = rel.to_string_lossy().replace('/', "::");
            if let Some(parent) = name.strip_suffix("::mod") {
                name = parent.to_owned();
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_owned();
            (name, code)
        })
        .collect()
}

/// The modules a module's code names: `crate::a::b::…` (the longest known prefix), and its
/// siblings through `super::`. A path through an alias (`use crate::meetings;`, then
/// `meetings::store::lock`) counts as naming `meetings` itself.
fn imports(name: &str, code: &str, known: &std::collections::BTreeSet<String>) -> Vec<String> {
    let parent = name.rsplit_once("::").map(|(p, _)| p).unwrap_or("");
    let words = |rest: &str| -> Vec<String> {
        rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .split("::")
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut found = Vec::new();
    for (marker, base) in [("crate::", String::new()), ("super::", parent.to_owned())] {
        for (at, _) in code.match_indices(marker) {
            let mut path: Vec<String> = base
                .split("::")
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect();
            path.extend(words(&code[at + marker.len()..]));
            while !path.is_empty() {
                let candidate = path.join("::");
                if known.contains(&candidate) {
                    if candidate != name {
                        found.push(candidate);
                    }
                    break;
                }
                path.pop();
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn no_module_imports_itself_through_others() {
    let modules = modules();
    let known: std::collections::BTreeSet<String> = modules.keys().cloned().collect();
    let graph: std::collections::BTreeMap<&str, Vec<String>> = modules
        .iter()
        .map(|(name, code)| (name.as_str(), imports(name, code, &known)))
        .collect();
    // `crate::meetings::Meeting` resolves to `meetings`, the module that re-exports it.
    assert!(
        graph["registrations::model"].contains(&"meetings".to_owned()),
        "the reader sees imports: {:?}",
        graph["registrations::model"]
    );
    assert!(
        graph["web::health"].contains(&"web::state".to_owned()),
        "and imports through super::"
    );
    // A depth-first walk; a module met again while still on the path closes a circle.
    fn walk<'a>(
        at: &'a str,
        graph: &'a std::collections::BTreeMap<&str, Vec<String>>,
        path: &mut Vec<&'a str>,
        done: &mut std::collections::BTreeSet<&'a str>,
        circles: &mut Vec<String>,
    ) {
        if let Some(start) = path.iter().position(|m| *m == at) {
            circles.push(format!("{} -> {at}", path[start..].join(" -> ")));
            return;
        }
        if !done.insert(at) {
            return;
        }
        path.push(at);
        for next in &graph[at] {
            walk(next, graph, path, done, circles);
        }
        path.pop();
    }
    let (mut done, mut circles) = (std::collections::BTreeSet::new(), Vec::new());
    for start in graph.keys() {
        walk(start, &graph, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(
        circles.is_empty(),
        "modules in a circle:\n{}",
        circles.join("\n")
    );
}
