//! Query execution. A parsed `query::Expr` becomes a tantivy query with the routing described in
//! `search` (exact fields for words with diacritics, folded fields otherwise), adjacent typed words
//! add a phrase clause that lifts articles where they stand together (`biển đảo` above `biển ... đảo`),
//! and title matches weigh double. Facet counts come from fast fields.

use super::{Fields, SearchError};
use crate::query::{self, DateRange, Expr, Field as QField};
use crate::text;
use std::collections::BTreeMap;
use std::ops::Bound;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::AggregationCollector;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Index, IndexReader, Order, ReloadPolicy, TantivyDocument, Term};

pub struct Searcher {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// How many of the best matches by words alone are ranked again with the word-pair phrases.
    rescore_pool: usize,
}

/// The word-pair phrases (`bien dong` also scored as "bien dong") read positions for every match:
/// on a query matching most of the index that was 90 % of its time. They only lift articles where
/// the words stand together, so they score the best `RESCORE_POOL` matches by words alone.
const RESCORE_POOL: usize = 500;

/// How deep results may be paged (as search engines do: 10,000). Past it, a search is to be
/// narrowed, not paged.
pub const MAX_DEPTH: usize = 10_000;

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub offset: usize,
    pub sort_by_date: bool,
    pub facets: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RawHit {
    pub id: i64,
    pub score: f32,
    pub url: String,
    pub title: String,
    pub source: String,
    pub lang: String,
    pub topics: Vec<String>,
    pub localities: Vec<String>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<RawHit>,
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
    #[serde(skip)]
    pub expr: Option<Expr>,
}

const FACETS: [&str; 5] = ["topic", "locality", "lang", "source", "origin"];

impl Searcher {
    pub fn open(dir: &std::path::Path) -> Result<Searcher, SearchError> {
        let (index, fields) = super::open(dir)?;
        Self::with_index(index, fields)
    }

    pub fn with_index(index: Index, fields: Fields) -> Result<Searcher, SearchError> {
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(Searcher { index, reader, fields, rescore_pool: RESCORE_POOL })
    }

    /// Makes the latest commit visible now (a caller that must see its own write).
    pub fn reload(&self) -> Result<(), SearchError> {
        Ok(self.reader.reload()?)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let expr = query::parse(&req.query)?;
        let searcher = self.reader.searcher();
        let limit = req.limit.clamp(1, 1000);
        // the collector keeps offset + limit documents in memory: a crafted offset would ask for
        // terabytes and abort the process
        if req.offset > MAX_DEPTH {
            return Err(SearchError::TooDeep(req.offset));
        }
        // ranked in two steps when word pairs add phrase clauses and the page lies in the pool
        let leaves = if req.sort_by_date || req.offset + limit > self.rescore_pool { None } else { pair_leaves(&self.fields, &expr) };
        let rescore = leaves.is_some();
        let core = if rescore { build_with(&self.fields, &expr, false) } else { build(&self.fields, &expr) };
        let top = if rescore { TopDocs::with_limit(self.rescore_pool) } else { TopDocs::with_limit(limit).and_offset(req.offset) };
        let collector = if req.facets {
            let mut spec: serde_json::Map<String, serde_json::Value> =
                FACETS.iter().map(|f| (f.to_string(), serde_json::json!({"terms": {"field": f, "size": 50}}))).collect();
            // days in Vietnam (UTC+7, no DST): buckets start at 17:00 UTC
            spec.insert(
                "date".into(),
                serde_json::json!({"date_histogram": {"field": "published", "fixed_interval": "1d", "offset": "-7h", "min_doc_count": 1}}),
            );
            let aggs: Aggregations = serde_json::from_value(serde_json::Value::Object(spec))
                .map_err(|e| SearchError::Index(tantivy::TantivyError::InvalidArgument(e.to_string())))?;
            Some(AggregationCollector::from_aggs(aggs, Default::default()))
        } else {
            None
        };
        let (addrs, total, aggs): (Vec<(f32, tantivy::DocAddress)>, usize, Option<serde_json::Value>) = if req.sort_by_date {
            let by_date = top.order_by_fast_field::<tantivy::DateTime>("published", Order::Desc);
            let (docs, total, agg) = searcher.search(&core, &(by_date, Count, collector))?;
            (docs.into_iter().map(|(_, a)| (0.0, a)).collect(), total, agg.and_then(|a| serde_json::to_value(a).ok()))
        } else {
            let (docs, total, agg) = searcher.search(&core, &(top.order_by_score(), Count, collector))?;
            let docs = match &leaves {
                Some(l) => rescore_page(&searcher, l, docs, req.offset, limit)?,
                None => docs,
            };
            (docs, total, agg.and_then(|a| serde_json::to_value(a).ok()))
        };
        let mut facets = BTreeMap::new();
        if let Some(v) = aggs {
            for f in FACETS {
                let buckets = v[f]["buckets"].as_array().cloned().unwrap_or_default();
                let list =
                    buckets.iter().filter_map(|b| Some((b["key"].as_str()?.to_string(), b["doc_count"].as_u64()?))).collect::<Vec<_>>();
                facets.insert(f.to_string(), list);
            }
            let days = v["date"]["buckets"].as_array().cloned().unwrap_or_default();
            let list = days
                .iter()
                .filter_map(|b| {
                    let ms = b["key"].as_f64()? as i64;
                    // a bucket starts at 00:00 Vietnam time; name it by that day
                    let day = chrono::DateTime::from_timestamp_millis(ms)?.with_timezone(&crate::time::ZONE).date_naive();
                    Some((day.to_string(), b["doc_count"].as_u64()?))
                })
                .collect::<Vec<_>>();
            facets.insert("date".to_string(), list);
        }
        let f = &self.fields;
        let mut hits = Vec::with_capacity(addrs.len());
        for (score, addr) in addrs {
            let d: TantivyDocument = searcher.doc(addr)?;
            let s = |field: Field| d.get_first(field).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let all = |field: Field| d.get_all(field).filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>();
            hits.push(RawHit {
                id: d.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or_default() as i64,
                score,
                url: s(f.url),
                title: s(f.title_x),
                source: s(f.source),
                lang: s(f.lang),
                topics: all(f.topic),
                localities: all(f.locality),
                published_at: d
                    .get_first(f.published)
                    .and_then(|v| v.as_datetime())
                    .and_then(|t| chrono::DateTime::from_timestamp(t.into_timestamp_secs(), 0)),
            });
        }
        let _ = &self.index;
        Ok(SearchResults { total, hits, facets, expr: Some(expr) })
    }
}

fn term_or_phrase(field: Field, keys: &[String]) -> Box<dyn Query> {
    if keys.len() == 1 {
        Box::new(TermQuery::new(Term::from_field_text(field, &keys[0]), IndexRecordOption::WithFreqs))
    } else {
        Box::new(PhraseQuery::new(keys.iter().map(|k| Term::from_field_text(field, k)).collect()))
    }
}

/// Words (one, or a phrase) in the title, or in title and body with the title weighing double.
fn text_query(f: &Fields, words: &[String], title_only: bool) -> Box<dyn Query> {
    let clauses =
        text_leaves(f, words, title_only).into_iter().map(|(q, b)| (Occur::Should, Box::new(BoostQuery::new(q, b)) as Box<dyn Query>));
    Box::new(BooleanQuery::new(clauses.collect()))
}

/// The alternatives `text_query` sums, each with its boost: exact spelling first (when the words
/// have diacritics), folded only for articles written without diacritics.
fn text_leaves(f: &Fields, words: &[String], title_only: bool) -> Vec<(Box<dyn Query>, f32)> {
    let dia = words.iter().any(|w| text::has_diacritics(w));
    let exact: Vec<String> = words.iter().map(|w| text::index_key(w, false)).collect();
    let folded: Vec<String> = words.iter().map(|w| text::index_key(w, true)).collect();
    let targets: &[(Field, Field, f32)] =
        if title_only { &[(f.title_x, f.title_f, 1.0)] } else { &[(f.title_x, f.title_f, 2.0), (f.body_x, f.body_f, 1.0)] };
    let mut leaves: Vec<(Box<dyn Query>, f32)> = Vec::new();
    for &(fx, ff, boost) in targets {
        if dia {
            leaves.push((term_or_phrase(fx, &exact), boost * 1.5));
            let plain: Box<dyn Query> = Box::new(TermQuery::new(Term::from_field_u64(f.plain, 1), IndexRecordOption::Basic));
            leaves.push((Box::new(BooleanQuery::new(vec![(Occur::Must, term_or_phrase(ff, &folded)), (Occur::Must, plain)])), boost));
        } else {
            leaves.push((term_or_phrase(ff, &folded), boost));
        }
    }
    leaves
}

/// Adjacent typed words of an AND, as the word pairs `build` also scores as phrases, with the
/// pair's boost (capitalised names weigh double).
fn word_pairs(items: &[Expr]) -> Vec<(Vec<String>, f32)> {
    items
        .windows(2)
        .filter_map(|pair| match pair {
            [Expr::Text { words: a, phrase: false }, Expr::Text { words: b, phrase: false }] => {
                let names = [&a[0], &b[0]].iter().all(|w| w.chars().next().is_some_and(char::is_uppercase));
                Some((vec![a[0].clone(), b[0].clone()], if names { 2.0 } else { 1.0 }))
            }
            _ => None,
        })
        .collect()
}

fn date_query(f: &Fields, r: &DateRange) -> Box<dyn Query> {
    let at = |d: chrono::NaiveDate| {
        Term::from_field_date(f.published, tantivy::DateTime::from_timestamp_secs(crate::time::day_start(d).timestamp()))
    };
    let lower = r.from.map(|d| Bound::Included(at(d))).unwrap_or(Bound::Unbounded);
    let upper = r.to.and_then(|d| d.succ_opt()).map(|d| Bound::Excluded(at(d))).unwrap_or(Bound::Unbounded);
    Box::new(RangeQuery::new(lower, upper))
}

/// The full query, word-pair phrases included.
pub fn build(f: &Fields, e: &Expr) -> Box<dyn Query> {
    build_with(f, e, true)
}

/// The pair phrases of a query whose top level is an AND with adjacent typed words, each as the
/// leaves it sums with their boosts; None for any other shape (ranked in one step).
fn pair_leaves(f: &Fields, e: &Expr) -> Option<Vec<(Box<dyn Query>, f32)>> {
    let Expr::And(items) = e else { return None };
    if items.iter().any(|x| matches!(x, Expr::And(_) | Expr::Or(_))) {
        return None;
    }
    let leaves: Vec<(Box<dyn Query>, f32)> = word_pairs(items)
        .into_iter()
        .flat_map(|(words, boost)| text_leaves(f, &words, false).into_iter().map(move |(q, b)| (q, b * boost)))
        .collect();
    (!leaves.is_empty()).then_some(leaves)
}

/// Adds the pair phrases' scores to the pool's (what the full query would sum: each phrase scorer
/// is only asked about pool documents, in doc order), best first, then the asked-for page.
fn rescore_page(
    searcher: &tantivy::Searcher,
    leaves: &[(Box<dyn Query>, f32)],
    pool: Vec<(f32, tantivy::DocAddress)>,
    offset: usize,
    limit: usize,
) -> Result<Vec<(f32, tantivy::DocAddress)>, SearchError> {
    let mut by_segment: BTreeMap<u32, Vec<(f32, tantivy::DocAddress)>> = BTreeMap::new();
    for (score, addr) in pool {
        by_segment.entry(addr.segment_ord).or_default().push((score, addr));
    }
    let weights = leaves
        .iter()
        .map(|(q, b)| Ok((q.weight(tantivy::query::EnableScoring::enabled_from_searcher(searcher))?, *b)))
        .collect::<Result<Vec<_>, SearchError>>()?;
    let mut scored = Vec::new();
    for (ord, mut docs) in by_segment {
        docs.sort_by_key(|(_, a)| a.doc_id);
        for (weight, boost) in &weights {
            let mut scorer = weight.scorer(searcher.segment_reader(ord), *boost)?;
            for (score, addr) in docs.iter_mut() {
                let at = if scorer.doc() < addr.doc_id { scorer.seek(addr.doc_id) } else { scorer.doc() };
                if at == addr.doc_id {
                    *score += scorer.score();
                }
            }
        }
        scored.extend(docs);
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(scored.into_iter().skip(offset).take(limit).collect())
}

fn build_with(f: &Fields, e: &Expr, pairs: bool) -> Box<dyn Query> {
    let build = |f: &Fields, e: &Expr| build_with(f, e, pairs);
    match e {
        Expr::Text { words, .. } => text_query(f, words, false),
        Expr::Field { field: QField::Title, value } => {
            let words: Vec<String> = text::words(&text::normalize(value)).iter().map(|w| w.raw.to_string()).collect();
            text_query(f, &words, true)
        }
        Expr::Field { field, value } => {
            let target = match field {
                QField::Source => f.source,
                QField::Lang => f.lang,
                QField::Topic => f.topic,
                QField::Mentions => f.mentions,
                QField::Locality => f.locality,
                QField::Origin => f.origin,
                QField::Title => f.title_x,
            };
            Box::new(TermQuery::new(Term::from_field_text(target, &value.to_lowercase()), IndexRecordOption::Basic))
        }
        Expr::Date(r) => date_query(f, r),
        Expr::And(items) => {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for x in items {
                match x {
                    Expr::Not(inner) => clauses.push((Occur::MustNot, build(f, inner))),
                    x => clauses.push((Occur::Must, build(f, x))),
                }
            }
            // adjacent typed words also count as a phrase, for ranking only
            for (words, boost) in word_pairs(items).into_iter().filter(|_| pairs) {
                clauses.push((Occur::Should, Box::new(BoostQuery::new(text_query(f, &words, false), boost))));
            }
            Box::new(BooleanQuery::new(clauses))
        }
        Expr::Or(items) => Box::new(BooleanQuery::new(items.iter().map(|x| (Occur::Should, build(f, x))).collect())),
        Expr::Not(inner) => Box::new(BooleanQuery::new(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, build(f, inner))])),
    }
}

/// A plain-text window of `text` around the best match of the query (`highlight::snippet`).
pub fn snippet(text_body: &str, expr: Option<&Expr>, max_chars: usize) -> String {
    crate::search::highlight::snippet(text_body, &crate::search::highlight::Wanted::of(expr), max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With every match in the pool, ranking in two steps must give the one-step order and scores.
    #[test]
    fn two_step_ranking_equals_one_step() {
        use crate::model::{Article, ArticleId, SourceId};
        let dir = tempfile::tempdir().expect("tempdir");
        let (index, fields) = crate::search::open(dir.path()).expect("index");
        let mut w: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        let words = ["biển", "Đông", "bien", "dong", "biến", "động", "Cần", "Giờ", "ngư", "dân", "tàu", "cá"];
        let mut seed = 7u64;
        for i in 0..300 {
            let mut pick = || {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                words[(seed >> 33) as usize % words.len()]
            };
            let title: Vec<&str> = (0..4).map(|_| pick()).collect();
            let body: Vec<&str> = (0..40).map(|_| pick()).collect();
            let a = Article {
                id: ArticleId(i),
                url: format!("https://x.example/{i}"),
                canonical_url: format!("https://x.example/{i}"),
                source: SourceId("s".into()),
                origin: None,
                title: title.join(" "),
                title_vi: None,
                text: body.join(" "),
                lang: "vi".into(),
                published_at: None,
                fetched_at: chrono::Utc::now(),
                topics: vec![],
                localities: vec![],
                mentions: vec![],
                story_id: None,
            };
            w.add_document(crate::search::indexer::document(&fields, &a, &[])).expect("add");
        }
        w.commit().expect("commit");
        let mut s = Searcher::with_index(index, fields).expect("searcher");
        s.reload().expect("reload");
        for q in ["bien dong", "Biển Đông", "Cần Giờ ngư dân", "tàu cá -khong", "ngư dân lang:vi"] {
            for offset in [0, 20] {
                let req = SearchRequest { query: q.into(), limit: 20, offset, sort_by_date: false, facets: false };
                s.rescore_pool = RESCORE_POOL;
                let two = s.search(&req).expect("two steps");
                s.rescore_pool = 0;
                let one = s.search(&req).expect("one step");
                assert_eq!(two.total, one.total, "{q}");
                assert!(two.total > 40, "{q}: the test needs a second page");
                let ids = |r: &SearchResults| r.hits.iter().map(|h| h.id).collect::<Vec<_>>();
                assert_eq!(ids(&two), ids(&one), "{q} at {offset}");
                for (a, b) in two.hits.iter().zip(&one.hits) {
                    assert!((a.score - b.score).abs() < 1e-3, "{q}: {} vs {}", a.score, b.score);
                }
            }
        }
        // a page far past the end (a crafted `offset`) is an empty page, by relevance or by date
        for by_date in [false, true] {
            let req = |offset| SearchRequest { query: "Cần Giờ".into(), limit: 20, offset, sort_by_date: by_date, facets: true };
            for offset in [301, MAX_DEPTH] {
                let r = s.search(&req(offset)).expect("far page");
                assert!(r.hits.is_empty() && r.total > 0, "offset {offset}");
            }
            // deeper is refused before anything is allocated (2^40 aborted the process)
            for offset in [MAX_DEPTH + 1, 1 << 40, 1 << 63, usize::MAX] {
                assert!(matches!(s.search(&req(offset)), Err(SearchError::TooDeep(o)) if o == offset), "offset {offset}");
            }
        }
    }
}
