//! The single owner of the index writer. It indexes whatever the database marks as not yet indexed,
//! in batches, one commit per batch, then marks those articles indexed. Because the database drives
//! it, a crash between storing and indexing is healed by the next run, and `reindex` is "mark all
//! as not indexed, clear the index, catch up".

use super::{Fields, SearchError};
use crate::model::Article;
use crate::store::Store;
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

const BATCH: i64 = 1000;
const WRITER_HEAP: usize = 64 * 1024 * 1024;
const GENERATION_KEY: &str = "index_generation";

pub struct Indexer {
    store: Store,
    index: Index,
    fields: Fields,
    writer: IndexWriter,
}

impl Indexer {
    /// Opens the writer (failing clearly if another process holds it) and makes sure the index and the
    /// database agree on what is indexed: an index that was deleted or replaced is rebuilt.
    pub async fn open(store: Store, dir: &std::path::Path) -> Result<Indexer, SearchError> {
        let (index, fields) = super::open(dir)?;
        let writer: IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => SearchError::Locked,
            e => SearchError::Index(e),
        })?;
        let mut me = Indexer { store, index, fields, writer };
        let payload = me.index.load_metas()?.payload;
        let ours = me.store.meta(GENERATION_KEY).await?;
        if payload.is_none() || payload != ours {
            tracing::info!("search index does not match the database; rebuilding it");
            me.reset().await?;
        }
        Ok(me)
    }

    /// Empties the index and marks every article for indexing.
    pub async fn reset(&mut self) -> Result<(), SearchError> {
        self.store.mark_all_unindexed().await?;
        self.writer.delete_all_documents()?;
        let generation = format!("{:x}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default());
        self.commit(&generation)?;
        self.store.set_meta(GENERATION_KEY, &generation).await?;
        Ok(())
    }

    fn commit(&mut self, generation: &str) -> Result<(), SearchError> {
        let writer = &mut self.writer;
        tokio::task::block_in_place(|| -> Result<(), SearchError> {
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(generation);
            prepared.commit()?;
            Ok(())
        })
    }

    /// Indexes everything not yet indexed; returns how many articles were added.
    pub async fn catch_up(&mut self) -> Result<usize, SearchError> {
        let generation = self.store.meta(GENERATION_KEY).await?.unwrap_or_default();
        let mut total = 0;
        loop {
            let ids = self.store.unindexed_ids(BATCH).await?;
            if ids.is_empty() {
                break;
            }
            self.add_batch(&ids).await?;
            self.commit(&generation)?;
            self.store.mark_indexed(&ids).await?;
            total += ids.len();
        }
        Ok(total)
    }

    /// Rebuilds the index beside the live one and swaps it in when complete, so searches answer
    /// from the old index until then and a rebuild killed midway leaves the old one as it was (it
    /// used to empty the index first: search answered 0, then half, until the next crawl). Holds
    /// the live writer throughout, so no crawler indexes into the index being replaced.
    pub async fn rebuild_aside(store: Store, dir: &std::path::Path) -> Result<usize, SearchError> {
        let live = Indexer::open(store.clone(), dir).await?;
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "index".into());
        let aside = dir.with_file_name(format!("{name}.rebuild"));
        let old = dir.with_file_name(format!("{name}.old"));
        for leftover in [&aside, &old] {
            if leftover.exists() {
                std::fs::remove_dir_all(leftover)?;
            }
        }
        std::fs::create_dir_all(&aside)?;
        let (index, fields) = super::open(&aside)?;
        let writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        let mut fresh = Indexer { store: store.clone(), index, fields, writer };
        let generation = format!("{:x}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default());
        let (mut last, mut total) = (0i64, 0usize);
        loop {
            let ids = store.article_ids_after(last, BATCH).await?;
            let Some(end) = ids.last() else { break };
            last = end.0;
            total += fresh.add_batch(&ids).await?;
        }
        fresh.commit(&generation)?;
        drop(fresh);
        // the swap: two renames on one file system; the database learns the new generation last,
        // and a crash between any two steps leaves an index whose payload disagrees, which the next
        // writer rebuilds
        std::fs::rename(dir, &old)?;
        if let Err(e) = std::fs::rename(&aside, dir) {
            let _ = std::fs::rename(&old, dir);
            return Err(e.into());
        }
        drop(live);
        // what an operator put beside the index files (the shipped README) stays with the index
        let readme = old.join("README.md");
        if readme.is_file() {
            let _ = std::fs::rename(&readme, dir.join("README.md"));
        }
        store.set_meta(GENERATION_KEY, &generation).await?;
        store.mark_indexed_through(last).await?;
        if let Err(e) = std::fs::remove_dir_all(&old) {
            tracing::warn!("could not remove the replaced index {}: {e}", old.display());
        }
        Ok(total)
    }

    /// Adds these articles (read with the feeds that listed them) to the writer, uncommitted;
    /// returns how many there were.
    async fn add_batch(&mut self, ids: &[crate::model::ArticleId]) -> Result<usize, SearchError> {
        let articles = self.store.articles(ids).await?;
        let mut seen = self.store.sightings_of_many(ids).await?;
        for a in &articles {
            self.add(a, &seen.remove(&a.id.0).unwrap_or_default())?;
        }
        Ok(articles.len())
    }

    fn add(&self, a: &Article, seen_in: &[String]) -> Result<(), SearchError> {
        let f = &self.fields;
        // delete first: indexing is idempotent, so re-running a batch after a crash adds no duplicates
        self.writer.delete_term(Term::from_field_u64(f.id, a.id.0 as u64));
        self.writer.add_document(document(f, a, seen_in))?;
        Ok(())
    }
}

/// The index document of an article. `source` holds the article's own source first, then every
/// other feed that listed it, so `source:` finds an article through any of its feeds.
pub fn document(f: &Fields, a: &Article, seen_in: &[String]) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_u64(f.id, a.id.0 as u64);
    d.add_text(f.url, &a.url);
    d.add_text(f.title_x, &a.title);
    d.add_text(f.title_f, &a.title);
    // a colleague's Vietnamese gloss makes a foreign title findable in Vietnamese (stored second,
    // so the title shown stays the original)
    if let Some(g) = &a.title_vi {
        d.add_text(f.title_x, g);
        d.add_text(f.title_f, g);
    }
    d.add_text(f.body_x, &a.text);
    d.add_text(f.body_f, &a.text);
    d.add_u64(f.plain, crate::text::is_plain_parts(&[&a.title, &a.text]) as u64);
    d.add_text(f.source, &a.source.0);
    for s in seen_in.iter().filter(|s| **s != a.source.0) {
        d.add_text(f.source, s);
    }
    d.add_text(f.lang, &a.lang);
    if let Some(o) = a.origin {
        d.add_text(f.origin, o.as_str());
    }
    for t in &a.topics {
        d.add_text(f.topic, &t.id);
        d.add_text(f.mentions, &t.id);
    }
    for t in &a.mentions {
        d.add_text(f.mentions, &t.id);
    }
    for l in &a.localities {
        d.add_text(f.locality, &l.id);
    }
    let when = a.published_at.unwrap_or(a.fetched_at);
    d.add_date(f.published, tantivy::DateTime::from_timestamp_secs(when.timestamp()));
    d
}
