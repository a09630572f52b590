//! What a hit shows of its text: a snippet around the best match and the matched words marked, as
//! the reader typed them. A phrase (`"Biển Đông"`, or `bien dong` typed as adjacent words) is
//! marked as a whole; a word typed with diacritics marks only that spelling (`Đông`, not `động`);
//! a word typed without them marks every spelling (`dong`: `Đông`, `động`).

use crate::query::Expr;
use crate::text;

/// The word sequences a query looks for in a body, each word as a key and whether it compares
/// exactly (typed with diacritics) or folded.
#[derive(Debug, Default, Clone)]
pub struct Wanted {
    seqs: Vec<Seq>,
}

#[derive(Debug, Clone)]
struct Seq {
    /// Per word: its exact key, its folded key, and whether it compares exactly.
    keys: Vec<(String, String, bool)>,
    /// Adjacent typed words (`bien dong`): when they occur together, their lone occurrences are
    /// not marked in the same snippet.
    run: bool,
}

/// A word keyed as the index keys it (exactly, or folded).
fn word_key(w: &str, exact: bool) -> String {
    crate::text::index_key(w, !exact)
}

fn seq(words: &[String], run: bool) -> Seq {
    Seq { keys: words.iter().map(|w| (word_key(w, true), word_key(w, false), text::has_diacritics(w))).collect(), run }
}

impl Wanted {
    pub fn of(expr: Option<&Expr>) -> Wanted {
        let mut w = Wanted::default();
        if let Some(e) = expr {
            w.collect(e);
        }
        w
    }

    fn collect(&mut self, e: &Expr) {
        match e {
            Expr::Text { words, .. } if !words.is_empty() => self.seqs.push(seq(words, false)),
            Expr::And(items) => {
                // consecutive single typed words read as a phrase, as ranking already scores them
                let mut run: Vec<String> = Vec::new();
                let flush = |run: &mut Vec<String>, seqs: &mut Vec<Seq>| {
                    if run.len() >= 2 {
                        seqs.push(seq(run, true));
                    }
                    run.clear();
                };
                for x in items {
                    match x {
                        Expr::Text { words, phrase: false } if words.len() == 1 => run.push(words[0].clone()),
                        _ => flush(&mut run, &mut self.seqs),
                    }
                    self.collect(x);
                }
                flush(&mut run, &mut self.seqs);
            }
            Expr::Or(items) => items.iter().for_each(|x| self.collect(x)),
            // title-only terms, fields, dates and exclusions are not in the body
            Expr::Field { .. } | Expr::Date(_) | Expr::Not(_) | Expr::Text { .. } => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }

    /// The matches in `words` as `(first word, word count)`, longest first and not overlapping;
    /// a lone word of a run that also occurs as the run is left out. When the exact spellings
    /// find nothing (an article written without diacritics), every word compares folded.
    fn matches(&self, words: &[text::Word]) -> Vec<(usize, usize)> {
        // every hit's whole text comes here (the landing page's query has no words at all)
        if self.seqs.is_empty() {
            return Vec::new();
        }
        let any_exact = self.seqs.iter().any(|s| s.keys.iter().any(|k| k.2));
        let exact: Vec<String> = if any_exact { words.iter().map(|w| word_key(w.raw, true)).collect() } else { Vec::new() };
        let folded: Vec<String> = words.iter().map(|w| word_key(w.raw, false)).collect();
        let found = |loose: bool| {
            let mut all: Vec<(usize, usize, usize)> = Vec::new(); // (start, len, seq index)
            for (si, s) in self.seqs.iter().enumerate() {
                let n = s.keys.len();
                for i in 0..words.len().saturating_sub(n - 1) {
                    let hit = s.keys.iter().enumerate().all(|(j, (x, f, ex))| if *ex && !loose { &exact[i + j] == x } else { &folded[i + j] == f });
                    if hit {
                        all.push((i, n, si));
                    }
                }
            }
            all
        };
        let mut all = found(false);
        if all.is_empty() && any_exact {
            all = found(true);
        }
        // words of runs that occur as runs here: their lone occurrences are noise (`động` of
        // "hoạt động" beside "Biển Đông")
        let run_words: Vec<&String> = all
            .iter()
            .filter(|&&(_, n, si)| n > 1 && self.seqs[si].run)
            .flat_map(|&(_, _, si)| self.seqs[si].keys.iter().map(|(_, f, _)| f))
            .collect();
        all.retain(|&(_, n, si)| n > 1 || !run_words.contains(&&self.seqs[si].keys[0].1));
        all.sort_by_key(|&(i, n, _)| (std::cmp::Reverse(n), i));
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for (i, n, _) in all {
            if taken.iter().all(|&(a, m)| i + n <= a || a + m <= i) {
                taken.push((i, n));
            }
        }
        taken.sort();
        taken
    }
}

/// How the text spells the typed words where a query typed without diacritics matched a run of
/// two or more of them (`bien dong`: "Biển Đông", "biến động"), lowercased; empty when every
/// word was typed with its diacritics.
pub fn readings(body: &str, wanted: &Wanted) -> Vec<String> {
    // most queries have no phrase typed without diacritics: no pass over the text then
    if !wanted.seqs.iter().any(|s| s.keys.len() >= 2 && s.keys.iter().any(|k| !k.2)) {
        return Vec::new();
    }
    let words = text::words(body);
    let mut out: Vec<String> = Vec::new();
    for (i, n) in wanted.matches(&words) {
        let loose = wanted.seqs.iter().any(|s| s.keys.len() == n && s.keys.iter().any(|k| !k.2));
        if n >= 2 && loose {
            let r = words[i..i + n].iter().map(|w| w.raw.to_lowercase()).collect::<Vec<_>>().join(" ");
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// A plain-text window of about `max_chars` of `body`, from the start of the sentence that holds
/// the best match (the longest sequence; the first of equals), or from the start.
pub fn snippet(body: &str, wanted: &Wanted, max_chars: usize) -> String {
    let words = text::words(body);
    let best = wanted.matches(&words).into_iter().max_by_key(|&(i, n)| (n, std::cmp::Reverse(i)));
    let at = best.map(|(i, _)| words[i].start).unwrap_or(0);
    // the sentence it is in, unless that starts too far back to show the match
    let reach = max_chars / 3;
    let sentence = body[..at]
        .char_indices()
        .rev()
        .find(|&(_, c)| matches!(c, '.' | '!' | '?' | '\n' | '。'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let from = if body[sentence..at].chars().count() <= reach {
        sentence
    } else {
        body[..at].char_indices().rev().nth(reach / 2).map(|(i, _)| i).unwrap_or(0)
    };
    let rest = &body[from..];
    let window: String = rest.chars().take(max_chars).collect();
    let mut s = window.split_whitespace().collect::<Vec<_>>().join(" ");
    if from > 0 {
        s = format!("…{s}");
    }
    if rest.chars().count() > max_chars {
        s.push('…');
    }
    s
}

/// `snippet` split into plain and marked pieces.
pub fn marks(snippet: &str, wanted: &Wanted) -> Vec<(String, bool)> {
    let words = text::words(snippet);
    let mut out = Vec::new();
    let mut at = 0;
    for (i, n) in wanted.matches(&words) {
        let (start, end) = (words[i].start, words[i + n - 1].end);
        if start > at {
            out.push((snippet[at..start].to_string(), false));
        }
        out.push((snippet[start..end].to_string(), true));
        at = end;
    }
    if at < snippet.len() {
        out.push((snippet[at..].to_string(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(query: &str, body: &str) -> Vec<String> {
        let e = crate::query::parse(query).expect("query");
        let w = Wanted::of(Some(&e));
        marks(body, &w).into_iter().filter(|(_, m)| *m).map(|(s, _)| s).collect()
    }

    #[test]
    fn a_phrase_is_marked_whole_and_diacritics_typed_are_respected() {
        let body = "Hoạt động nghề cá trên Biển Đông diễn ra bình thường; giá cá biến động nhẹ.";
        assert_eq!(marked("\"Biển Đông\"", body), vec!["Biển Đông"]);
        // unaccented adjacent words: both readings as runs (the search finds both), and never the
        // lone "động" of "hoạt động"
        assert_eq!(marked("bien dong", body), vec!["Biển Đông", "biến động"]);
        // typed with diacritics, a lone word marks only that spelling
        assert_eq!(marked("động", body), vec!["động", "động"]);
        assert_eq!(marked("Đông", body), vec!["Đông"]);
        // without diacritics every spelling
        assert_eq!(marked("dong", body), vec!["động", "Đông", "động"]);
        // words that never occur together are marked one by one
        assert_eq!(marked("nghề giá", body), vec!["nghề", "giá"]);
        // an article written without diacritics still shows the match
        assert_eq!(marked("\"Biển Đông\"", "Tau ca tren bien Dong."), vec!["bien Dong"]);
        // exclusions and fields are not marked
        assert_eq!(marked("cá -giá lang:vi", body), vec!["cá", "cá"]);
    }

    #[test]
    fn an_unaccented_phrase_has_the_readings_the_text_gives_it() {
        let body = "Hoạt động trên Biển Đông. Giá cá biến động. Biển Đông lặng sóng.";
        let w = |q: &str| Wanted::of(Some(&crate::query::parse(q).expect("query")));
        assert_eq!(readings(body, &w("bien dong")), vec!["biển đông", "biến động"]);
        assert!(readings(body, &w("\"Biển Đông\"")).is_empty(), "typed with diacritics: nothing to ask");
        assert!(readings(body, &w("dong")).is_empty(), "one word is not a reading");
    }

    #[test]
    fn the_snippet_starts_at_the_sentence_of_the_best_match() {
        let filler = "Câu mở đầu nói về thời tiết và mùa màng của huyện trong tuần qua. ".repeat(6);
        let body = format!("{filler}Tin khác có chữ biển. Ngư dân kể chuyện đánh bắt trên Biển Đông suốt tháng.");
        let e = crate::query::parse("bien dong").expect("query");
        let s = snippet(&body, &Wanted::of(Some(&e)), 120);
        assert!(s.starts_with("… Ngư dân kể chuyện") || s.starts_with("…Ngư dân kể chuyện"), "{s}");
        assert!(s.contains("Biển Đông"), "{s}");
        // no query: the start
        assert!(snippet(&body, &Wanted::default(), 40).starts_with("Câu mở đầu"));
    }
}
