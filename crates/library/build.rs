//! Embeds every `library/*.json` file of the repository: writes a list of
//! `(file name, include_str!(path))` pairs, sorted by name, for `src/embedded.rs`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let folder = manifest.join("../../library");
    println!("cargo:rerun-if-changed={}", folder.display());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(err) => panic!(
            "cannot read the metric library folder {}: {err}",
            folder.display()
        ),
    };
    files.sort();
    let mut out = String::from("&[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_else(|| panic!("library file name is not UTF-8: {}", path.display()));
        let absolute = path
            .canonicalize()
            .unwrap_or_else(|e| panic!("cannot resolve {}: {e}", path.display()));
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            absolute.display().to_string()
        );
    }
    out.push_str("]\n");
    let target =
        PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("library_files.rs");
    if let Err(err) = std::fs::write(&target, out) {
        panic!("cannot write {}: {err}", target.display());
    }
}
