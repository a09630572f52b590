//! Re-checks of flagged articles: each article of an open queue item is fetched again every
//! `evidence.recheck_interval`, through the same polite fetcher as the crawl. A changed text is an
//! edit (kept with the version before it, and the response as evidence); 404/410, a redirect to the
//! site's home page, or a page that no longer holds any article text is a removal; a page that
//! answers again after a removal is a return. A timeout or a server error says nothing about the
//! article and is only noted.

use crate::crawl::fetch::{Fetch, Validators};
use crate::crawl::page::extract_page;
use crate::crawl::{next_or_shutdown, Crawler};
use crate::model::NewCapture;
use crate::extract::SiteRules;
use crate::model::SourceId;
use crate::store::{CheckOutcome, DueCheck, StoreError};
use chrono::Utc;
use tokio::sync::watch;
use url::Url;

/// Due re-checks taken at once.
const TAKE: i64 = 500;

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RecheckSummary {
    pub checked: usize,
    pub unchanged: usize,
    pub edited: usize,
    pub removed: usize,
    pub restored: usize,
    pub failed: usize,
}

impl Crawler {
    /// Re-checks every flagged article that is due. Articles whose items closed are dropped first.
    pub async fn recheck_due(&self, shutdown: &watch::Receiver<bool>) -> Result<RecheckSummary, StoreError> {
        let mut summary = RecheckSummary::default();
        self.store.sync_checks(Utc::now()).await?;
        let due = self.store.due_checks(Utc::now(), TAKE).await?;
        let mut set = tokio::task::JoinSet::new();
        for check in due {
            let me = self.clone();
            set.spawn(async move {
                let outcome = me.check_one(&check).await;
                let now = Utc::now();
                let next = now + chrono::Duration::from_std(me.cfg.evidence.recheck_interval).unwrap_or(chrono::Duration::hours(6));
                me.store.record_check(&check, &outcome, now, next).await?;
                Ok::<_, StoreError>(outcome)
            });
        }
        let mut sd = shutdown.clone();
        while let Some(r) = next_or_shutdown(&mut set, &mut sd).await {
            let outcome = match r {
                Ok(Ok(o)) => o,
                Ok(Err(e)) => return Err(e),
                Err(e) => {
                    tracing::error!("re-check task failed: {e}");
                    continue;
                }
            };
            summary.checked += 1;
            match outcome {
                CheckOutcome::Unchanged | CheckOutcome::StillRemoved => summary.unchanged += 1,
                CheckOutcome::Edited { .. } => summary.edited += 1,
                CheckOutcome::Removed { .. } => summary.removed += 1,
                CheckOutcome::Restored { .. } => summary.restored += 1,
                CheckOutcome::Failed(_) => summary.failed += 1,
            }
        }
        Ok(summary)
    }

    async fn check_one(&self, check: &DueCheck) -> CheckOutcome {
        let removed = |detail: String| if check.removed { CheckOutcome::StillRemoved } else { CheckOutcome::Removed { detail } };
        let Ok(url) = Url::parse(&check.url) else { return CheckOutcome::Failed(format!("unparsable URL {}", check.url)) };
        let fetched = match self.fetcher.get(&url, &Validators::default()).await {
            Ok(Fetch::Ok(f)) => *f,
            Ok(Fetch::NotModified) => return CheckOutcome::Unchanged,
            Err(e) => {
                return match e.status {
                    Some(s @ (404 | 410)) => removed(format!("HTTP {s}")),
                    _ => CheckOutcome::Failed(e.to_string()),
                }
            }
        };
        if fetched.chain.len() > 1 && is_home(&fetched.final_url) && !is_home(&url) {
            return removed(format!("redirected to the home page {}", fetched.final_url));
        }
        let source = self.cfg.source(&SourceId(check.source_id.clone()));
        let rules =
            source.map(|s| SiteRules { content: s.content_selectors.clone(), exclude: s.exclude_selectors.clone() }).unwrap_or_default();
        let keep_raw = self.cfg.evidence.keep_raw;
        let (title0, text0, was_removed) = (check.title.clone(), check.text.clone(), check.removed);
        let done = tokio::task::spawn_blocking(move || {
            let ex = extract_page(&fetched.body, fetched.content_type.as_deref(), &fetched.final_url, &rules)?;
            let title = if ex.title.is_empty() { title0.clone() } else { ex.title };
            let same = squash(&title) == squash(&title0) && squash(&ex.text) == squash(&text0);
            // an edit or a return is proof worth keeping; an unchanged page is already kept
            let capture = (keep_raw && (!same || was_removed))
                .then(|| NewCapture::new(fetched.final_url.as_str(), Utc::now(), fetched.status, &fetched.headers, &fetched.body));
            Some((title, ex.text, same, capture))
        })
        .await
        .ok()
        .flatten();
        match done {
            None => removed("the page no longer holds the article text".into()),
            Some((title, text, true, capture)) if check.removed => CheckOutcome::Restored { title, text, capture },
            Some((_, _, true, _)) => CheckOutcome::Unchanged,
            Some((title, text, false, capture)) if check.removed => CheckOutcome::Restored { title, text, capture },
            Some((title, text, false, capture)) => CheckOutcome::Edited { title, text, capture },
        }
    }
}

/// The site's front page: where removed articles are commonly redirected.
fn is_home(u: &Url) -> bool {
    let p = u.path().trim_end_matches('/');
    p.is_empty() || ["/index.html", "/index.php", "/home", "/trang-chu"].contains(&p)
}

/// Whitespace differences are not edits.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_pages() {
        for u in ["https://a.vn/", "https://a.vn", "https://a.vn/index.html", "https://a.vn/trang-chu/"] {
            assert!(is_home(&Url::parse(u).expect("url")), "{u}");
        }
        assert!(!is_home(&Url::parse("https://a.vn/thoi-su/bai-1.html").expect("url")));
        assert_eq!(squash(" a \n b\tc "), "a b c");
    }
}
