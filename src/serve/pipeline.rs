//! What happens to an article after it is stored, as named steps: its story is found
//! (`assign_stories`), then the index and the watch rules follow (in `serve`'s post-store task).

use crate::stories::{bands, signature, similarity, Signature, BANDS, SAME_STORY};
use crate::store::{Store, StoreError};

/// Gives every article that has none a story: joins the story of its most similar earlier article,
/// or starts one (whose id is the article's). Returns how many articles were assigned. Runs in id
/// order, so a story's id names the first of its articles stored; a batch commits together.
pub async fn assign_stories(store: &Store, batch: i64) -> Result<usize, StoreError> {
    let mut done = 0;
    loop {
        match assign_stories_once(store, batch).await? {
            0 => return Ok(done),
            n => done += n,
        }
    }
}

/// One batch of `assign_stories`: at most `batch` articles, one transaction.
pub async fn assign_stories_once(store: &Store, batch: i64) -> Result<usize, StoreError> {
    {
        let pending = store.articles_without_story(batch).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let sigs: Vec<Option<Signature>> = pending.iter().map(|a| signature(&a.title, &a.text)).collect();
        let wanted: Vec<[i64; BANDS]> = sigs.iter().flatten().map(bands).collect();
        let mut found = store.story_candidates(&wanted).await?.into_iter();
        // (article, story, signature); a new story takes its first article's id
        let mut decided: Vec<(i64, i64, Option<Signature>)> = Vec::with_capacity(pending.len());
        for (a, sig) in pending.iter().zip(sigs) {
            let mut best: Option<(f64, i64)> = None;
            if let Some(sig) = &sig {
                let stored = found.next().unwrap_or_default();
                // articles decided earlier in this batch are not in the store yet
                let this_batch = decided.iter().filter_map(|(_, story, s)| Some((*story, s.clone()?)));
                for (story, other) in stored.into_iter().chain(this_batch) {
                    let s = similarity(sig, &other);
                    if s >= SAME_STORY && best.is_none_or(|(b, _)| s > b) {
                        best = Some((s, story));
                    }
                }
            }
            decided.push((a.id, best.map_or(a.id, |b| b.1), sig));
        }
        store.save_stories(&decided).await?;
        Ok(pending.len())
    }
}

