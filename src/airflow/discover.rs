//! The log folder's layout, read as a tree: dags, runs, tasks, map
//! indexes and tries, each a `key=value` folder (or `attempt=N.log` file).

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One folder of a level (`dag_id=etl_daily`) or one try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The value after `key=`.
    pub name: String,
    pub path: PathBuf,
    pub modified: SystemTime,
    /// Bytes of every file under it (for a try: its files).
    pub bytes: u64,
}

/// The `key=value` folders in `dir`, sorted by name.
pub fn children(dir: &Path, key: &str) -> io::Result<Vec<Node>> {
    let prefix = format!("{key}=");
    let mut nodes = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(value) = name.strip_prefix(&prefix) else {
            continue;
        };
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        if meta.is_dir() {
            nodes.push(Node {
                name: value.to_string(),
                path: entry.path(),
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                bytes: dir_bytes(&entry.path()),
            });
        }
    }
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(nodes)
}

/// Bytes of all files under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Newest first, for runs (their names sort by kind before time).
pub fn newest_first(nodes: &mut [Node]) {
    nodes.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.name.cmp(&a.name)));
}

/// The try number of a file name of the `attempt=N.log…` family.
pub fn try_of(name: &str) -> Option<(u32, &str)> {
    let rest = name.strip_prefix("attempt=")?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let number = rest[..digits].parse().ok()?;
    let suffix = rest[digits..].strip_prefix(".log")?;
    Some((number, suffix))
}

/// The tries in a task folder (`attempt=N.log*` files), newest first,
/// each with the bytes of all its files.
pub fn tries(dir: &Path) -> io::Result<Vec<Node>> {
    let mut nodes: Vec<Node> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let (Some((number, _)), Ok(meta)) = (try_of(&name), entry.metadata()) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let name = number.to_string();
        match nodes.iter_mut().find(|n| n.name == name) {
            Some(node) => {
                node.bytes += meta.len();
                node.modified = node.modified.max(modified);
            }
            None => nodes.push(Node {
                path: dir.join(format!("attempt={number}.log")),
                name,
                modified,
                bytes: meta.len(),
            }),
        }
    }
    nodes.sort_by_key(|n| std::cmp::Reverse(n.name.parse::<u32>().unwrap_or(0)));
    Ok(nodes)
}

/// The latest try in a task folder.
pub fn latest_try(dir: &Path) -> io::Result<Option<u32>> {
    Ok(tries(dir)?.first().and_then(|n| n.name.parse().ok()))
}

/// The files of try `number` in `dir` with what follows `attempt=N.log` in
/// their names: the attempt's own file first, then rotation backups
/// (`.1`, `.2`, … in order), then trigger sub-logs.
pub fn attempt_files(dir: &Path, number: u32) -> io::Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((n, suffix)) = try_of(&name) else {
            continue;
        };
        if n == number && entry.metadata().is_ok_and(|m| m.is_file()) {
            files.push((entry.path(), suffix.to_string()));
        }
    }
    let rank = |suffix: &str| -> (u8, u64, String) {
        if suffix.is_empty() {
            (0, 0, String::new())
        } else if suffix.starts_with(".trigger.") {
            (2, 0, suffix.to_string())
        } else {
            let number = suffix
                .trim_start_matches('.')
                .split('.')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX);
            (1, number, suffix.to_string())
        }
    };
    files.sort_by_key(|(_, suffix)| rank(suffix));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_numbers_and_suffixes() {
        assert_eq!(try_of("attempt=2.log"), Some((2, "")));
        assert_eq!(
            try_of("attempt=12.log.trigger.7.log"),
            Some((12, ".trigger.7.log"))
        );
        assert_eq!(try_of("attempt=1.log.2"), Some((1, ".2")));
        assert_eq!(try_of("attempt=x.log"), None);
        assert_eq!(try_of("attempt=1.txt"), None);
    }

    #[test]
    fn attempt_files_are_ordered_main_backups_triggers() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "attempt=1.log.trigger.5.log",
            "attempt=1.log.10",
            "attempt=1.log",
            "attempt=1.log.2",
            "attempt=2.log",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let suffixes: Vec<String> = attempt_files(dir.path(), 1)
            .unwrap()
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(suffixes, ["", ".2", ".10", ".trigger.5.log"]);
        let tries: Vec<String> = tries(dir.path())
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(tries, ["2", "1"]);
        assert_eq!(latest_try(dir.path()).unwrap(), Some(2));
    }
}
