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
