//! Folded `::group::` sections in the model: each source's groups (nested,
//! some longer than the window holds, some never ended) fold to their
//! header line, so the stream the viewer shows is what `--print` writes
//! less the bodies of the groups that end. The viewer must show that
//! stream however it got where it is: down from the top, up from `G`, and
//! after jumps that land inside a group whose header was never loaded.

use super::*;

/// What a record of a grouped source is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Plain,
    Header,
    End,
}

/// One record: time lag behind the clock (Airflow 3's logging records),
/// its kind, continuation lines.
#[derive(Clone, Debug)]
struct Grouped {
    dt: i64,
    lag: i64,
    kind: Kind,
    continuation: usize,
}

/// Records of a source with groups: headers and ends balanced as a task
/// writes them (an end only inside a group), long runs between them.
fn grouped_source() -> impl Strategy<Value = Vec<Grouped>> {
    prop::collection::vec(
        (
            0i64..400,
            0i64..2_500,
            any::<bool>(),
            prop_oneof![12 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
            0usize..2,
        ),
        1..120,
    )
    .prop_map(|items| {
        let mut depth = 0;
        items
            .into_iter()
            .map(|(dt, lag, late, kind, continuation)| {
                let kind = match kind {
                    1 => {
                        depth += 1;
                        Kind::Header
                    }
                    2 if depth > 0 => {
                        depth -= 1;
                        Kind::End
                    }
                    _ => Kind::Plain,
                };
                Grouped {
                    dt,
                    lag: if late { lag } else { 0 },
                    kind,
                    continuation,
                }
            })
            .collect()
    })
}

/// The source's text: every record's first line carries `id=SOURCE-INDEX`.
fn render_grouped(records: &[Grouped], source: usize) -> Vec<u8> {
    let mut text = String::new();
    let mut clock = 600_000i64;
    for (i, r) in records.iter().enumerate() {
        clock += r.dt;
        let ms = (clock - r.lag).clamp(0, 3_599_999);
        let what = match r.kind {
            Kind::Plain => "work",
            Kind::Header => "::group::Section",
            Kind::End => "::endgroup::",
        };
        text.push_str(&format!(
            "2024-12-20T10:{:02}:{:02}.{:03}Z {what} id={source}-{i}\n",
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000,
        ));
        for c in 0..r.continuation {
            text.push_str(&format!("  detail {c}\n"));
        }
    }
    text.into_bytes()
}

type Ids = std::collections::HashSet<(usize, usize)>;

/// The records a folded group hides, by `(source, index)`: from after
/// each header that has an end to its end, inclusive (nested ones too);
/// and the headers that fold (their records' other lines are the group's).
fn hidden_by_folds(sources: &[Vec<Grouped>]) -> (Ids, Ids) {
    let (mut hidden, mut headers) = (Ids::new(), Ids::new());
    for (s, records) in sources.iter().enumerate() {
        let mut open: Vec<usize> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            match r.kind {
                Kind::Header => open.push(i),
                Kind::End => {
                    if let Some(header) = open.pop() {
                        hidden.extend((header + 1..=i).map(|j| (s, j)));
                        headers.insert((s, header));
                    }
                }
                Kind::Plain => {}
            }
        }
    }
    (hidden, headers)
}

/// `--print`'s lines less the lines of records folded groups hide.
fn folded_stream(texts: &[Vec<u8>], sources: &[Vec<Grouped>]) -> Vec<String> {
    let (hidden, headers) = hidden_by_folds(sources);
    // Whether the record being read is shown, and its lines after the first.
    let (mut shown, mut rest_shown) = (true, true);
    printed(texts, &vec![true; texts.len()])
        .into_iter()
        .filter(|line| match line.rsplit_once("id=") {
            Some((_, id)) => {
                let mut parts = id.split('-').map(|p| p.parse::<usize>().unwrap_or(0));
                let key = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
                shown = !hidden.contains(&key);
                rest_shown = shown && !headers.contains(&key);
                shown
            }
            None => rest_shown,
        })
        .collect()
}

fn check_folds(sources: &[Vec<Grouped>], rows: u16, jumps: &[i64]) -> Result<(), TestCaseError> {
    let texts: Vec<Vec<u8>> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| render_grouped(s, i))
        .collect();
    let stream = folded_stream(&texts, sources);
    let height = (rows - 1) as usize;
    let h = height.min(stream.len());
    let last = stream.len() - h;
    // Jumps first, before anything was seen: wherever one lands, the
    // screen is consecutive lines of the folded stream.
    let mut viewer = Viewer::open(&texts, rows);
    for &ms in jumps {
        viewer.press(&format!(
            ":10:{:02}:{:02}.{:03}\n",
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000
        ));
        let screen = viewer.lines();
        prop_assert!(
            place(&stream, &screen).is_some(),
            "after a jump to {ms} the screen is not the folded stream's:\n{screen:#?}\nstream:\n{stream:#?}"
        );
        viewer.press("k");
        let screen = viewer.lines();
        prop_assert!(
            place(&stream, &screen).is_some(),
            "a line up after a jump to {ms}:\n{screen:#?}\nstream:\n{stream:#?}"
        );
    }
    // `G` on a viewer that has seen nothing: the folded stream's end, and
    // up from there a line at a time, exactly the folded stream.
    let mut viewer = Viewer::open(&texts, rows);
    viewer.press("G");
    let mut top = last;
    loop {
        prop_assert_eq!(
            viewer.lines(),
            stream[top..top + h].to_vec(),
            "going up from G, at line {}",
            top
        );
        if top == 0 {
            break;
        }
        viewer.press("k");
        top -= 1;
    }
    // Down from the top a page at a time.
    viewer.press("g");
    let mut top = 0;
    loop {
        prop_assert_eq!(
            viewer.lines(),
            stream[top..top + h].to_vec(),
            "going down, at line {}",
            top
        );
        if top == last {
            break;
        }
        viewer.press(" ");
        top = (top + height).min(last);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(96)
    ))]

    #[test]
    fn folded_groups_show_the_same_stream_however_it_is_reached(
        sources in prop::collection::vec(grouped_source(), 1..3),
        rows in 3u16..14,
        jumps in prop::collection::vec(590_000i64..640_000, 0..4),
    ) {
        check_folds(&sources, rows, &jumps)?;
    }
}
