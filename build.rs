//! Records the git commit the binary is built from, for `logweave --version`
//! (a wheel or a `cargo install` says exactly what it runs). Outside a git
//! checkout (a source archive) the commit is "unknown".

#[path = "build/git_watch.rs"]
mod git_watch;

use std::path::Path;

fn main() {
    // Naming any path stops cargo from rerunning this script on every change
    // in the package; outside git this is the only one.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/git_watch.rs");
    let here = Path::new(".");
    let commit = git_watch::head_commit(here).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=LOGWEAVE_COMMIT={commit}");
    for path in git_watch::watched_paths(here) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
