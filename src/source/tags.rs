//! Tags: the short names before each line on screen, in `--tag` output
//! and in the sources panel — the same in every mode.

/// Each label's tag: the shortest path suffix (whole `/`-separated parts)
/// that no other label ends with, as a user tells files apart
/// (`attempt=1.log`, `remote/attempt=1.log`, `attempt=1.log.trigger.42.log`).
/// A label that is a suffix of another is its own tag; two equal labels
/// get `~N` (their 1-based place) after them.
pub fn short_tags(labels: &[String]) -> Vec<String> {
    let parts: Vec<Vec<&str>> = labels
        .iter()
        .map(|l| l.split('/').filter(|p| !p.is_empty()).collect())
        .collect();
    let ends_with = |other: &[&str], suffix: &[&str]| {
        other.len() >= suffix.len() && other[other.len() - suffix.len()..] == *suffix
    };
    let mut tags: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, mine)| {
            let unique = (1..=mine.len()).find(|&k| {
                let suffix = &mine[mine.len() - k..];
                parts
                    .iter()
                    .enumerate()
                    .all(|(j, other)| j == i || !ends_with(other, suffix))
            });
            match unique {
                Some(k) => mine[mine.len() - k..].join("/"),
                None if mine.is_empty() => labels[i].clone(),
                None => mine.join("/"),
            }
        })
        .collect();
    let mut seen = std::collections::HashMap::new();
    for tag in &tags {
        *seen.entry(tag.clone()).or_insert(0usize) += 1;
    }
    for (i, tag) in tags.iter_mut().enumerate() {
        if seen.get(tag.as_str()).is_some_and(|&n| n > 1) {
            *tag = format!("{tag}~{}", i + 1);
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::short_tags;

    fn tags(labels: &[&str]) -> Vec<String> {
        short_tags(&labels.iter().map(|l| l.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn the_shortest_suffix_that_tells_sources_apart() {
        assert_eq!(
            tags(&[
                "attempt=1.log",
                "attempt=1.log.trigger.42.log",
                "remote/attempt=1.log"
            ]),
            [
                "attempt=1.log",
                "attempt=1.log.trigger.42.log",
                "remote/attempt=1.log"
            ]
        );
        assert_eq!(tags(&["logs/a.log", "logs/b.log"]), ["a.log", "b.log"]);
        assert_eq!(
            tags(&["x/run1/attempt=1.log", "x/run2/attempt=1.log", "y.log"]),
            ["run1/attempt=1.log", "run2/attempt=1.log", "y.log"]
        );
        assert_eq!(
            tags(&["/var/log/app.log", "s3://bucket/dag/app.log"]),
            ["log/app.log", "dag/app.log"]
        );
        assert_eq!(tags(&["-"]), ["-"]);
        assert_eq!(tags(&["a.log", "a.log"]), ["a.log~1", "a.log~2"]);
        assert_eq!(tags(&["/", "a"]), ["/", "a"]);
    }
}
