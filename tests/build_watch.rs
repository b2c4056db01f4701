//! `build.rs` names the commit for `--version` and must not make every build
//! recompile the crate (issue 33). These check its choice of watched paths
//! against real git repositories the way cargo judges them: a watched path
//! that is missing, or that holds a file newer than the last run, reruns the
//! script. After a commit, a checkout or a `git gc`, the script must rerun
//! (or still name the right commit); with nothing changed, it must not.
//! `.ci/run` checks the same on the real clone: a second build compiles
//! nothing.

#[path = "../build/git_watch.rs"]
mod git_watch;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed in {}", dir.display());
}

fn commit(dir: &Path, message: &str) {
    fs::write(dir.join("file.txt"), message).expect("write");
    git(dir, &["add", "file.txt"]);
    git(dir, &["commit", "-q", "-m", message]);
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    commit(dir.path(), "first");
    dir
}

/// What cargo's fingerprint sees of the watched paths after a run: the
/// script reruns when one is missing or holds anything newer than `since`.
struct Run {
    paths: Vec<PathBuf>,
    at: SystemTime,
}

impl Run {
    fn now(dir: &Path) -> Run {
        let paths = git_watch::watched_paths(dir);
        assert!(!paths.is_empty(), "a git checkout watches something");
        for path in &paths {
            assert!(path.exists(), "watched path {} must exist: cargo reruns the script on every build for a missing one", path.display());
        }
        // mtimes are compared to a moment strictly after the run, as cargo
        // compares them to its stamp file written after the script.
        std::thread::sleep(std::time::Duration::from_millis(20));
        Run {
            paths,
            at: SystemTime::now(),
        }
    }

    fn would_rerun(&self) -> bool {
        self.paths.iter().any(|path| changed_since(path, self.at))
    }
}

fn changed_since(path: &Path, at: SystemTime) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return true;
    };
    if meta.modified().is_ok_and(|m| m > at) {
        return true;
    }
    meta.is_dir()
        && fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| changed_since(&entry.path(), at))
}

#[test]
fn nothing_changed_means_no_rerun_with_and_without_packed_refs() {
    let dir = repo();
    assert!(!dir.path().join(".git/packed-refs").exists());
    assert!(!Run::now(dir.path()).would_rerun(), "no packed-refs");

    git(dir.path(), &["pack-refs", "--all"]);
    assert!(dir.path().join(".git/packed-refs").exists());
    assert!(!Run::now(dir.path()).would_rerun(), "refs packed");
}

#[test]
fn a_commit_reruns_whether_the_branch_is_loose_or_packed() {
    let dir = repo();
    let run = Run::now(dir.path());
    commit(dir.path(), "second");
    assert!(run.would_rerun(), "commit on a loose branch");

    git(dir.path(), &["pack-refs", "--all"]);
    let run = Run::now(dir.path());
    assert!(
        !dir.path().join(".git/refs/heads/main").exists(),
        "the branch lives in packed-refs only"
    );
    commit(dir.path(), "third");
    assert!(run.would_rerun(), "commit on a packed branch");
}

#[test]
fn a_gc_after_the_run_reruns_or_leaves_the_commit_right() {
    let dir = repo();
    let before = git_watch::head_commit(dir.path());
    let run = Run::now(dir.path());
    git(dir.path(), &["gc", "-q"]);
    assert!(run.would_rerun() || git_watch::head_commit(dir.path()) == before);
    assert!(!Run::now(dir.path()).would_rerun(), "settled after the gc");
}

#[test]
fn a_checkout_and_a_detached_commit_rerun() {
    let dir = repo();
    git(dir.path(), &["branch", "other"]);
    let run = Run::now(dir.path());
    git(dir.path(), &["checkout", "-q", "other"]);
    assert!(run.would_rerun(), "checkout of another branch");

    git(dir.path(), &["checkout", "-q", "--detach"]);
    let run = Run::now(dir.path());
    commit(dir.path(), "detached");
    assert!(run.would_rerun(), "commit on a detached HEAD");
}

#[test]
fn a_worktree_watches_its_own_head_and_the_shared_refs() {
    let dir = repo();
    let tree = dir.path().join("tree");
    git(
        dir.path(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "side",
            tree.to_str().expect("utf-8 path"),
        ],
    );
    let run = Run::now(&tree);
    assert!(!run.would_rerun(), "nothing changed in the worktree");
    commit(&tree, "in the worktree");
    assert!(run.would_rerun(), "commit in the worktree");
}

#[test]
fn outside_git_nothing_is_watched_and_the_commit_is_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    if Command::new("git")
        .arg("-C")
        .arg(dir.path())
        .args(["rev-parse", "--git-dir"])
        .output()
        .is_ok_and(|out| out.status.success())
    {
        eprintln!(
            "skipped: the temporary folder {} is inside a git repository",
            dir.path().display()
        );
        return;
    }
    assert!(git_watch::watched_paths(dir.path()).is_empty());
    assert_eq!(git_watch::head_commit(dir.path()), None);
}
