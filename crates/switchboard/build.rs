//! Records the commit the binary is built from, for `--version` and `switchboard_build_info`:
//! `git rev-parse --short HEAD`, else `SWITCHBOARD_COMMIT` from the build's environment (a
//! source tarball or an image build without `.git`), else "unknown".

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=SWITCHBOARD_COMMIT");
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it names (a commit).
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
        if let Ok(text) = std::fs::read_to_string(&head)
            && let Some(branch) = text.trim().strip_prefix("ref: ")
            && let Some(path) = git(&["rev-parse", "--git-path", branch])
            && std::path::Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let commit = git(&["rev-parse", "--short", "HEAD"])
        .or_else(|| {
            std::env::var("SWITCHBOARD_COMMIT")
                .ok()
                .filter(|c| !c.trim().is_empty())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SWITCHBOARD_COMMIT={commit}");
}
