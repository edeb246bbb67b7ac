//! The layers stay layered: nothing below `app.rs` (which assembles the server) or
//! `openapi.rs` (which collects the document from the domains) reaches back up into them, no
//! module imports itself through others, and files and functions stay short enough to read.
//! Read from the source, so that a change that breaks a rule fails here.

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

/// Longest a file under `src/` may grow, in lines.
const MAX_FILE_LINES: usize = 600;
/// Longest a function may grow, in lines from `fn` to its closing brace.
const MAX_FUNCTION_LINES: usize = 80;
/// Functions that are data rather than logic: the demo meeting's programme.
const DATA_FUNCTIONS: [&str; 1] = ["demo/mod.rs::programme"];

/// The functions of one file (free, in impls and traits, nested) and their lengths.
struct FunctionLengths {
    file: String,
    found: Vec<(String, usize)>,
}

impl FunctionLengths {
    fn record(&mut self, name: &syn::Ident, block: &syn::Block, start: proc_macro2::Span) {
        let lines = block.brace_token.span.close().end().line - start.start().line + 1;
        self.found.push((format!("{}::{name}", self.file), lines));
    }
}

impl<'ast> syn::visit::Visit<'ast> for FunctionLengths {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.record(&f.sig.ident, &f.block, f.sig.fn_token.span);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.record(&f.sig.ident, &f.block, f.sig.fn_token.span);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.record(&f.sig.ident, block, f.sig.fn_token.span);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

#[test]
fn files_and_functions_stay_short_enough_to_read() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let (mut long_files, mut functions) = (Vec::new(), Vec::new());
    for file in &files {
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        if text.lines().count() > MAX_FILE_LINES {
            long_files.push(format!("{name}: {} lines", text.lines().count()));
        }
        let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut lengths = FunctionLengths {
            file: name,
            found: Vec::new(),
        };
        syn::visit::Visit::visit_file(&mut lengths, &syntax);
        functions.extend(lengths.found);
    }
    // The reader measures: the longest function is found, and it is the demo's data.
    let longest = functions.iter().max_by_key(|(_, lines)| *lines).unwrap();
    assert!(
        functions.len() > 300,
        "functions found: {}",
        functions.len()
    );
    assert!(
        longest.1 > MAX_FUNCTION_LINES,
        "the demo's programme is long: {longest:?}"
    );
    let long_functions: Vec<String> = functions
        .iter()
        .filter(|(name, lines)| {
            *lines > MAX_FUNCTION_LINES && !DATA_FUNCTIONS.contains(&name.as_str())
        })
        .map(|(name, lines)| format!("{name}: {lines} lines"))
        .collect();
    assert!(
        long_files.is_empty() && long_functions.is_empty(),
        "split by what the code is about (ARCHITECTURE.md); over {MAX_FILE_LINES} lines: \
         {long_files:?}; functions over {MAX_FUNCTION_LINES} lines: {long_functions:?}"
    );
}
