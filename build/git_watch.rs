//! Which git files a build must watch to know that HEAD moved.
//!
//! Shared by `build.rs` and `tests/build_watch.rs`. Cargo treats a watched
//! path that does not exist as changed on every build, so the build script
//! would rerun and the whole crate recompile each time: only paths that
//! exist are named. What moves HEAD, and what of it is watched:
//!
//! * a checkout or a detached commit rewrites `HEAD` itself;
//! * a commit on a branch rewrites the branch's loose ref when it has one;
//!   when the branch lives only in `packed-refs`, the commit creates the
//!   loose ref, so the folder it will appear in is watched instead;
//! * `git gc`/`pack-refs` deletes the loose ref (a missing watched file:
//!   the script reruns once and watches `packed-refs` from then on).
//!
//! Paths come from `git rev-parse --git-path`, which resolves a worktree's
//! own `HEAD` and the refs it shares with the main checkout.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files and folders whose change means HEAD may name another commit,
/// for a repository whose work tree contains `dir`; empty outside git.
pub fn watched_paths(dir: &Path) -> Vec<PathBuf> {
    let Some(head) = git_path(dir, "HEAD") else {
        return Vec::new();
    };
    let mut paths = vec![head];
    if let Some(packed) = git_path(dir, "packed-refs").filter(|p| p.exists()) {
        paths.push(packed);
    }
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        if let Some(loose) = git_path(dir, &branch) {
            if loose.exists() {
                paths.push(loose);
            } else if let Some(folder) = loose.parent().filter(|f| f.is_dir()) {
                paths.push(folder.to_path_buf());
            }
        }
    }
    paths
}

/// The commit HEAD names, abbreviated as `git log --oneline` would show
/// it; `None` outside git.
pub fn head_commit(dir: &Path) -> Option<String> {
    git(dir, &["rev-parse", "--short=12", "HEAD"])
}

fn git_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(git(dir, &["rev-parse", "--git-path", name])?);
    // Relative to the directory git ran in.
    Some(if path.is_absolute() {
        path
    } else {
        dir.join(path)
    })
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}
