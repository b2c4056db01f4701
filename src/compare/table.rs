//! Templates and their counts, in bounded tables.
//!
//! Masking numbers and ids is not enough: a message often goes on with
//! words that differ from record to record (a batch's column names, a
//! user's name). So the baseline also teaches which *places* vary: a place
//! is a word's position under the message's first two words (position 1
//! under the first word); once [`VARIED`] different words were seen at a
//! place — or, at a place seldom reached (the end of a long message), at
//! least [`FEW_VARIED`] words and another one at least every other time — its word
//! is a wildcard in every template, and a run of wildcards is one. A
//! place the baseline reached fewer than [`FEW_VARIED`] times right after
//! a wildcard is one too: the baseline's prose was seldom that long. `Processing batch #: lease schema retry` and
//! `Processing batch #: merge ingest` are then one template,
//! `Processing batch #: <*>`, while `Task failed with exception` stays
//! apart from `Task finished`. The first word never varies.
//!
//! Both tables are bounded: [`PLACES`] places and [`CAPACITY`] templates.
//! A full template table is first compacted (templates made again with
//! the places learned since, which merges those that differ only where
//! words vary); what still finds no room is counted as *other*, and said.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// Different words at a place that make it vary.
pub const VARIED: usize = 16;
/// Fewer make it vary when at least half the records that reached it
/// had a word not seen there before.
pub const FEW_VARIED: usize = 4;
/// Most places learned; beyond, new places never vary (said).
pub const PLACES: usize = 131_072;
/// Most templates kept; beyond, records are counted as other (said).
pub const CAPACITY: usize = 65_536;
/// Words learned between two compactions of a full table.
const RELEARNED: u64 = CAPACITY as u64 / 16;
/// Longest example of a template kept, in bytes.
const EXAMPLE: usize = 200;
/// A wildcard in a template's words.
const WILDCARD: u64 = u64::MAX;

/// Keys here are hashes already.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type ByHash<V> = HashMap<u64, V, BuildHasherDefault<Identity>>;

/// The words seen at one place, until it varies.
struct Place {
    words: [u32; VARIED],
    seen: u8,
    /// Records that reached it.
    samples: u32,
}

impl Place {
    fn varies(&self) -> bool {
        let seen = self.seen as usize;
        seen == VARIED || (seen >= FEW_VARIED && 2 * seen >= self.samples as usize)
    }
}

/// Which places vary, as learned from the baseline.
#[derive(Default)]
pub struct Places {
    places: ByHash<Place>,
    /// Words learned at places: templates made before are worth making
    /// again once many more are.
    pub learned: u64,
    /// A place found no room: some places were not learned.
    pub full: bool,
}

impl Places {
    fn key(words: &[u64], at: usize) -> u64 {
        let second = if at == 1 { 0 } else { words[1] };
        let mut bytes = [0u8; 24];
        bytes[..8].copy_from_slice(&words[0].to_le_bytes());
        bytes[8..16].copy_from_slice(&second.to_le_bytes());
        bytes[16..].copy_from_slice(&(at as u64).to_le_bytes());
        xxh3_64(&bytes)
    }

    /// Learns the words of one baseline message.
    pub fn learn(&mut self, words: &[u64]) {
        for (at, &word) in words.iter().enumerate().skip(1) {
            // Enough to tell words apart at one place (a collision would
            // only make a place vary one word later).
            let word = word as u32;
            let key = Self::key(words, at);
            let room = self.places.len() < PLACES;
            let place = match self.places.entry(key) {
                Entry::Occupied(place) => place.into_mut(),
                Entry::Vacant(_) if !room => {
                    self.full = true;
                    continue;
                }
                Entry::Vacant(place) => place.insert(Place {
                    words: [0; VARIED],
                    seen: 0,
                    samples: 0,
                }),
            };
            place.samples = place.samples.saturating_add(1);
            let seen = place.seen as usize;
            if seen < VARIED && !place.words[..seen].contains(&word) {
                place.words[seen] = word;
                place.seen += 1;
                self.learned += 1;
            }
        }
    }

    /// Whether each of a message's words is a wildcard.
    fn wildcards<'a>(&'a self, words: &'a [u64]) -> impl Iterator<Item = bool> + 'a {
        let mut after_wildcard = false;
        (0..words.len()).map(move |at| {
            let place = (at > 0)
                .then(|| self.places.get(&Self::key(words, at)))
                .flatten();
            let wild = place.is_some_and(Place::varies)
                || (after_wildcard && place.is_none_or(|p| (p.samples as usize) < FEW_VARIED));
            after_wildcard = wild;
            wild
        })
    }

    /// The template of a message's words: its id.
    pub fn template(&self, words: &[u64]) -> u64 {
        let mut hasher = Xxh3::new();
        let mut last = 0;
        for (at, wild) in self.wildcards(words).enumerate() {
            let word = if wild { WILDCARD } else { words[at] };
            if word == WILDCARD && last == WILDCARD {
                continue;
            }
            hasher.update(&word.to_le_bytes());
            last = word;
        }
        hasher.digest()
    }

    /// A template's example with the places that vary shown as `<*>`.
    fn shown(&self, words: &[u64], example: &str) -> String {
        let mut out = String::new();
        let mut last_wild = false;
        let mut wildcards = self.wildcards(words);
        for text in example.split(' ') {
            let wild = wildcards.next().unwrap_or(false);
            if wild && last_wild {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(if wild { "<*>" } else { text });
            last_wild = wild;
        }
        out
    }
}

/// One template: how many records of it each side had.
struct Template {
    baseline: u64,
    compared: u64,
    words: Box<[u64]>,
    example: Box<str>,
}

/// A template as the summary lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub template: String,
    pub baseline: u64,
    pub compared: u64,
}

/// The templates of the baseline and of the sources compared with it.
#[derive(Default)]
pub struct Table {
    templates: ByHash<Template>,
    /// Records past the capacity, on each side.
    pub other_baseline: u64,
    pub other_compared: u64,
    /// `Places::learned` at the last compaction: compacting again is worth
    /// it only once many more words were learned (which keeps its cost, a
    /// pass over the table, amortised).
    compacted_at: u64,
}

impl Table {
    /// Counts one baseline record (its masked `words`, the `shown` text).
    pub fn add_baseline(&mut self, places: &Places, words: &[u64], shown: impl FnOnce() -> String) {
        self.add(places, words, shown, true);
    }

    /// Counts one record of the sources compared.
    pub fn add_compared(&mut self, places: &Places, words: &[u64], shown: impl FnOnce() -> String) {
        self.add(places, words, shown, false);
    }

    fn add(
        &mut self,
        places: &Places,
        words: &[u64],
        shown: impl FnOnce() -> String,
        baseline: bool,
    ) {
        let id = places.template(words);
        if self.templates.len() >= CAPACITY
            && !self.templates.contains_key(&id)
            && places.learned >= self.compacted_at + RELEARNED
        {
            self.compact(places);
        }
        let room = self.templates.len() < CAPACITY;
        let template = match self.templates.get_mut(&id) {
            Some(template) => template,
            None if !room => {
                if baseline {
                    self.other_baseline += 1;
                } else {
                    self.other_compared += 1;
                }
                return;
            }
            None => {
                let mut example = shown();
                if example.len() > EXAMPLE {
                    let mut cut = EXAMPLE;
                    while !example.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    example.truncate(cut);
                }
                self.templates.entry(id).or_insert(Template {
                    baseline: 0,
                    compared: 0,
                    words: words.into(),
                    example: example.into(),
                })
            }
        };
        if baseline {
            template.baseline += 1;
        } else {
            template.compared += 1;
        }
    }

    /// Makes every template again with the places learned so far, merging
    /// those that differ only where words vary.
    pub fn compact(&mut self, places: &Places) {
        self.compacted_at = places.learned;
        let old = std::mem::take(&mut self.templates);
        for (_, template) in old {
            let id = places.template(&template.words);
            match self.templates.get_mut(&id) {
                Some(kept) => {
                    kept.baseline += template.baseline;
                    kept.compared += template.compared;
                }
                None => {
                    self.templates.insert(id, template);
                }
            }
        }
    }

    /// Whether the baseline had this template.
    pub fn baseline_had(&self, id: u64) -> bool {
        self.templates.get(&id).is_some_and(|t| t.baseline > 0)
    }

    /// How many templates are kept.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    /// `true` when none are.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// Every template with its counts, shown with `<*>` where words vary.
    pub fn counted(&self, places: &Places) -> Vec<Counted> {
        self.templates
            .values()
            .map(|t| Counted {
                template: places.shown(&t.words, &t.example),
                baseline: t.baseline,
                compared: t.compared,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::template::{masked_text, Words};
    use super::*;

    fn learn_all(places: &mut Places, messages: &[String]) {
        let mut words = Words::default();
        for m in messages {
            words.read(m.as_bytes());
            places.learn(&words.hashes);
        }
    }

    fn id(places: &Places, message: &str) -> u64 {
        let mut words = Words::default();
        words.read(message.as_bytes());
        places.template(&words.hashes)
    }

    /// What a generated task's batches are described with.
    const VOCABULARY: &[&str] = crate::gen::BATCH_WORDS;

    fn prose(seed: usize, len: usize) -> String {
        (0..len)
            .map(|i| {
                // A fixed pseudo-random pick: no pattern a place could follow.
                let n = xxh3_64(&(seed * 1000 + i).to_le_bytes()) as usize;
                VOCABULARY[n % VOCABULARY.len()]
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn places_where_words_vary_become_one_wildcard_and_others_stay_apart() {
        let mut places = Places::default();
        let messages: Vec<String> = (0..1000)
            .map(|n| format!("Processing batch {n}: {}", prose(n, 3 + n % 9)))
            .chain([
                "Task finished".to_string(),
                "Task failed with exception".into(),
            ])
            .collect();
        learn_all(&mut places, &messages);
        let a = id(&places, "Processing batch 7: lease schema retry");
        let b = id(&places, &format!("Processing batch 9123: {}", prose(1, 11)));
        assert_eq!(
            a, b,
            "prose after the batch is a wildcard, whatever its length"
        );
        assert_ne!(
            id(&places, "Task failed with exception"),
            id(&places, "Task finished")
        );
        // A place with few different words keeps them.
        assert_ne!(
            id(&places, "Task failed with exception"),
            id(&places, "Task failed with timeout")
        );
        let mut words = Words::default();
        let example = "Processing batch 7: lease schema retry";
        words.read(example.as_bytes());
        assert_eq!(
            places.shown(&words.hashes, &masked_text(example.as_bytes())),
            "Processing batch #: <*>"
        );
    }

    #[test]
    fn a_full_table_is_compacted_then_counts_the_rest_as_other() {
        let mut places = Places::default();
        let mut table = Table::default();
        let mut words = Words::default();
        // Distinct first words never vary: each is a template of its own.
        let total = CAPACITY + 10;
        for n in 0..total {
            let message = format!("{} happened", to_letters(n));
            words.read(message.as_bytes());
            places.learn(&words.hashes);
            table.add_baseline(&places, &words.hashes, || message.clone());
        }
        assert_eq!(table.len(), CAPACITY);
        assert_eq!(table.other_baseline, 10);
    }

    fn to_letters(mut n: usize) -> String {
        let mut s = String::new();
        loop {
            s.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
            if n == 0 {
                return s;
            }
        }
    }

    #[test]
    fn compacting_merges_templates_learned_before_their_place_varied() {
        let mut places = Places::default();
        let mut table = Table::default();
        let mut words = Words::default();
        for n in 0..100 {
            let message = format!("Processing batch {n}: {}", prose(n, 4));
            words.read(message.as_bytes());
            places.learn(&words.hashes);
            table.add_baseline(&places, &words.hashes, || masked_text(message.as_bytes()));
        }
        assert!(table.len() > 1, "early records made templates of their own");
        table.compact(&places);
        assert_eq!(table.len(), 1);
        assert_eq!(
            table.counted(&places),
            vec![Counted {
                template: "Processing batch #: <*>".into(),
                baseline: 100,
                compared: 0
            }]
        );
    }
}
