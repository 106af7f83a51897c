//! Repository rules that code review would otherwise have to remember.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() && name != "target" && name != "node_modules" && !name.starts_with('.') {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file opens with a one-line `//!` saying what it is for.
#[test]
fn every_rust_file_says_what_it_is_for() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    assert!(files.len() > 10);
    let missing: Vec<_> = files
        .iter()
        .filter(|path| !std::fs::read_to_string(path).unwrap().starts_with("//!"))
        .map(|path| path.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a leading //! line: {missing:?}");
}

/// **sdrs-core does no I/O**: its only dependencies are pure data crates that build for wasm32.
#[test]
fn core_has_no_io_dependencies() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    let names: Vec<&str> =
        deps.lines().filter_map(|line| line.split(['.', '=', ' ']).next()).filter(|name| !name.is_empty()).collect();
    let allowed = ["percent-encoding", "serde", "serde_json", "thiserror", "time", "schemars"];
    for name in &names {
        assert!(allowed.contains(name), "sdrs-core must not depend on `{name}`");
    }
    let mut sources = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut sources);
    assert!(sources.len() > 10, "the wire/ modules are scanned too");
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for forbidden in ["SystemTime::now", "Instant::now", "std::fs", "std::net", "std::env"] {
            assert!(!text.contains(forbidden), "{} uses {forbidden}", path.display());
        }
    }
}

/// **Only sdrs-wasm knows wasm-bindgen's JS values** (and, in the console, the request helper that reads the browser's
/// parsed answers): the other crates speak Rust and JSON, so the JS boundary stays thin.
#[test]
fn only_sdrs_wasm_knows_js_values() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    // Spelled in two parts, so that this file does not match itself.
    let needle = concat!("Js", "Value");
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| !path.components().any(|c| c.as_os_str() == "sdrs-wasm"))
        // The console reads the browser's parsed answers in its request helper, and nowhere else.
        .filter(|path| !path.ends_with("sdrs-console/src/api.rs"))
        .filter(|path| std::fs::read_to_string(path).unwrap().contains(needle))
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "{needle} outside sdrs-wasm: {offenders:?}");
}

/// **The console changes case in ASCII only**: `str::to_lowercase` and `to_uppercase` link Unicode's case tables,
/// 7.4 KB of the gzipped console (`scripts/size-check`), and what it lowercases are wire values and its own labels.
#[test]
fn the_console_changes_case_in_ascii_only() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdrs-console/src"), &mut files);
    assert!(files.len() > 10, "the console's sources are scanned");
    // Spelled in two parts, so that this file does not match itself.
    let needles = [concat!(".to_lower", "case()"), concat!(".to_upper", "case()")];
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            needles.iter().any(|needle| text.contains(needle))
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "Unicode case conversion in the console: {offenders:?}");
}
