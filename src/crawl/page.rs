//! The article stage: a queued page job is fetched, extracted, analysed and stored once. Extraction
//! and analysis are CPU work and run off the async threads so fetching continues meanwhile.

use super::{retry_at, Crawler, PassSummary, Progress};
use crate::analyze::Context;
use crate::model::NewCapture;
use crate::extract::{self, SiteRules};
use crate::model::{FailureClass, Found, Listing, NewArticle, SourceId};
use crate::store::{Job, StoreError, Stored, ToStore};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::watch;
use url::Url;

/// What the listing said about a page, kept with the job until the page is stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PagePayload {
    pub source: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

impl PagePayload {
    pub fn from_listing(source: &SourceId, l: &Listing) -> PagePayload {
        PagePayload { source: source.0.clone(), title: l.title.clone(), summary: l.summary.clone(), published_at: l.published_at }
    }
}

const MAX_ATTEMPTS: i64 = 5;
/// Page jobs taken from the queue at once; bounds memory, not concurrency (that is `fetch`'s job).
const TAKE: i64 = 2000;

enum PageOutcome {
    /// Fetched, extracted and analysed; written by `pages` together with the others ready.
    Built(Box<Built>),
    Failed(FailureClass, bool),
}

struct Built {
    job: i64,
    article: NewArticle,
    urls: Vec<String>,
    capture: Option<NewCapture>,
}

impl Crawler {
    pub(crate) async fn pages(
        &self,
        summary: &mut PassSummary,
        shutdown: &watch::Receiver<bool>,
        progress: &Progress,
    ) -> Result<(), StoreError> {
        let pending = self.store.count_jobs("page", "queued").await?;
        progress.start("articles", pending as u64);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let jobs = self.store.take_jobs("page", Utc::now(), TAKE).await?;
            if jobs.is_empty() {
                // retries about to come due are worth waiting for; later ones belong to a later pass
                let next = self.store.next_job_at("page").await?;
                let wait = next.map(|t| t - Utc::now().timestamp()).filter(|w| *w <= super::RETRY_WAIT_IN_PASS.as_secs() as i64);
                match wait {
                    Some(w) => {
                        let mut sd = shutdown.clone();
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(w.max(0) as u64 + 1)) => {}
                            _ = sd.changed() => {}
                        }
                        continue;
                    }
                    None => break,
                }
            }
            let mut set = tokio::task::JoinSet::new();
            for job in jobs {
                let me = self.clone();
                set.spawn(async move { me.page(job).await });
            }
            let mut sd = shutdown.clone();
            // on shutdown, in-flight jobs stay `running` and are queued again at the next start
            while let Some(first) = super::next_or_shutdown(&mut set, &mut sd).await {
                // Group commit: every page that finished meanwhile is written in one transaction,
                // while the other pages go on fetching and extracting.
                let mut ready = vec![first];
                let mut built: Vec<Built> = Vec::new();
                while let Some(r) = set.try_join_next() {
                    ready.push(r);
                }
                for r in ready {
                    progress.inc();
                    match r {
                        Ok(Ok(PageOutcome::Built(b))) => built.push(*b),
                        Ok(Ok(PageOutcome::Failed(class, retry))) => {
                            summary.fail(class);
                            if !retry {
                                summary.pages_failed += 1;
                            }
                        }
                        Ok(Err(e)) => return Err(e),
                        Err(e) => tracing::error!("page task failed: {e}"),
                    }
                }
                self.write_built(built, summary).await?;
            }
        }
        progress.finish();
        summary.pages_retry_later = self.store.count_jobs("page", "queued").await? as usize;
        Ok(())
    }

    async fn page(&self, job: Job) -> Result<PageOutcome, StoreError> {
        let payload: PagePayload = match serde_json::from_str(&job.payload) {
            Ok(p) => p,
            Err(e) => {
                self.store.fail_job(job.id, &format!("bad job payload: {e}"), None).await?;
                return Ok(PageOutcome::Failed(FailureClass::Other, false));
            }
        };
        let source_id = SourceId(payload.source.clone());
        let Some(source) = self.cfg.source(&source_id).cloned() else {
            self.store.fail_job(job.id, "source no longer configured", None).await?;
            return Ok(PageOutcome::Failed(FailureClass::Other, false));
        };
        let Ok(url) = Url::parse(&job.key) else {
            self.store.fail_job(job.id, "unparsable URL", None).await?;
            return Ok(PageOutcome::Failed(FailureClass::Malformed, false));
        };
        let mut fetched = match self.fetcher.get(&url, &Default::default()).await {
            Ok(super::fetch::Fetch::Ok(f)) => *f,
            // no validators were sent, so a 304 is the server's error
            Ok(super::fetch::Fetch::NotModified) => {
                return self.give_up(&job, &source_id, &url, FailureClass::HttpClient, "unexpected 304 to an unconditional request").await;
            }
            Err(e) => {
                self.store.count_failure(&source_id, e.class, Some(url.as_str()), Utc::now()).await?;
                if e.class.is_transient() && job.attempts < MAX_ATTEMPTS {
                    let at = e
                        .retry_after
                        .map(|d| Utc::now() + chrono::Duration::from_std(d).unwrap_or_default())
                        .unwrap_or_else(|| retry_at(job.attempts));
                    self.store.fail_job(job.id, &e.to_string(), Some(at)).await?;
                    return Ok(PageOutcome::Failed(e.class, true));
                }
                // Not ours to fetch: keep what the feed itself published about it, if it said enough.
                if e.class == FailureClass::RobotsDisallowed {
                    self.store_from_listing(&source, &url, &payload).await?;
                }
                self.store.fail_job(job.id, &e.to_string(), None).await?;
                return Ok(PageOutcome::Failed(e.class, false));
            }
        };
        let is_html = fetched.content_type.as_deref().is_none_or(|c| c.contains("html") || c.contains("xml") || c.starts_with("text/"));
        if !is_html {
            let msg = format!("not an HTML page ({})", fetched.content_type.as_deref().unwrap_or(""));
            return self.give_up(&job, &source_id, &url, FailureClass::NotAFeed, &msg).await;
        }

        let analyzer = self.analyzer.clone();
        let rules = SiteRules { content: source.content_selectors.clone(), exclude: source.exclude_selectors.clone() };
        let origin = source.origin.as_str();
        let source_lang = source.lang.clone();
        // the listing's title and summary stand in for what the page lacks
        let (listed_title, listed_summary) = (payload.title.clone(), payload.summary.clone());
        let final_url = fetched.final_url.clone();
        let body = std::mem::take(&mut fetched.body);
        let ct = fetched.content_type.clone();
        let sid = source_id.clone();
        let keep_raw = self.cfg.evidence.keep_raw;
        let (status, headers) = (fetched.status, std::mem::take(&mut fetched.headers));
        let fetched_at = Utc::now();
        let built = tokio::task::spawn_blocking(move || {
            let mut ex = extract_page(&body, ct.as_deref(), &final_url, &rules)?;
            let title = if ex.title.is_empty() { listed_title.unwrap_or_default() } else { std::mem::take(&mut ex.title) };
            let text = if ex.text.is_empty() { listed_summary.unwrap_or_default() } else { std::mem::take(&mut ex.text) };
            if title.is_empty() && text.is_empty() {
                return None;
            }
            let ctx = Context { page_lang: ex.lang_hint.as_deref(), source_lang: source_lang.as_deref(), source: &sid.0, origin };
            let analysis = analyzer.analyze(&title, &text, &ctx);
            let capture = keep_raw.then(|| NewCapture::new(final_url.as_str(), fetched_at, status, &headers, &body));
            Some((ex, title, text, analysis, capture))
        })
        .await
        .ok()
        .flatten();
        let Some((ex, title, text, analysis, capture)) = built else {
            return self.give_up(&job, &source_id, &url, FailureClass::Malformed, "no article text found").await;
        };

        let mut urls: Vec<String> = vec![job.key.clone()];
        urls.extend(fetched.chain.iter().filter_map(|u| crate::urlnorm::normalize(u.as_str())));
        let final_norm = crate::urlnorm::normalize(fetched.final_url.as_str()).unwrap_or_else(|| job.key.clone());
        let canonical = ex
            .canonical_url
            .as_deref()
            .and_then(|c| crate::urlnorm::resolve(&fetched.final_url, c))
            .filter(|c| same_site(c, &fetched.final_url))
            .unwrap_or(final_norm.clone());
        urls.sort();
        urls.dedup();
        let found = Found { url: final_norm, canonical_url: canonical, source_id: source_id.clone(), fetched_at };
        let published = crate::time::plausible_published(ex.published_at.or(payload.published_at), fetched_at);
        let article = NewArticle::analysed(found, title, text, published, analysis);
        Ok(PageOutcome::Built(Box::new(Built { job: job.id, article, urls, capture })))
    }

    /// Writes the built pages in one transaction, their jobs marked done with them, and wakes the
    /// indexer if any article was new.
    async fn write_built(&self, built: Vec<Built>, summary: &mut PassSummary) -> Result<(), StoreError> {
        if built.is_empty() {
            return Ok(());
        }
        let batch: Vec<ToStore<'_>> =
            built.iter().map(|b| ToStore { article: &b.article, urls: &b.urls, capture: b.capture.as_ref(), job: Some(b.job) }).collect();
        let stored = self.store.insert_articles(&batch).await?;
        let mut any_new = false;
        for s in stored {
            any_new |= matches!(s, Stored::New(_));
            summary.stored(s);
        }
        if any_new {
            self.stored.notify_one();
        }
        Ok(())
    }

    /// Counts a failure of the page against its source and gives the job up.
    async fn give_up(&self, job: &Job, source: &SourceId, url: &Url, class: FailureClass, why: &str) -> Result<PageOutcome, StoreError> {
        self.store.count_failure(source, class, Some(url.as_str()), Utc::now()).await?;
        self.store.fail_job(job.id, &format!("{url}: {why}"), None).await?;
        Ok(PageOutcome::Failed(class, false))
    }

    /// Stores an article from its listing alone (title and summary) when the page cannot be fetched.
    async fn store_from_listing(&self, source: &crate::config::Source, url: &Url, p: &PagePayload) -> Result<Option<Stored>, StoreError> {
        let (Some(title), summary) = (p.title.clone(), p.summary.clone().unwrap_or_default()) else { return Ok(None) };
        let ctx = Context { page_lang: None, source_lang: source.lang.as_deref(), source: &source.id.0, origin: source.origin.as_str() };
        let analysis = self.analyzer.analyze(&title, &summary, &ctx);
        let norm = url.to_string();
        let now = Utc::now();
        let found = Found { url: norm.clone(), canonical_url: norm.clone(), source_id: source.id.clone(), fetched_at: now };
        let article = NewArticle::analysed(found, title, summary, crate::time::plausible_published(p.published_at, now), analysis);
        let stored = self.store.insert_article(&article, &[norm]).await?;
        if matches!(stored, Stored::New(_)) {
            self.stored.notify_one();
        }
        Ok(Some(stored))
    }
}

/// A page may only name a canonical URL on its own site: a hostile page must not merge itself into
/// another outlet's article.
fn same_site(candidate: &str, page: &Url) -> bool {
    let a = crate::urlnorm::site(candidate);
    a.is_some() && a == crate::urlnorm::site(page.as_str())
}

/// Decodes and extracts a fetched page. CPU work: call it off the async threads.
pub(crate) fn extract_page(body: &[u8], content_type: Option<&str>, url: &Url, rules: &SiteRules) -> Option<crate::model::Extracted> {
    let html = extract::charset::decode(body, content_type);
    extract::extract(&html, Some(url.as_str()), rules).ok()
}
