//! Evidence: proof of what was published. Every article's first response is kept (decoded body,
//! gzip-compressed, with its status, headers and fetch time), so is every re-check that found an
//! edit; `warc` writes them out as WARC files that web-archive tools read. The re-checks that fetch
//! flagged articles again live in `crawl::recheck`, beside the fetcher they share.
//!
//! No network here: capturing, digests, diffs and the WARC format are pure; `warc` reads the store.

pub mod warc;

/// The captures are domain types (the store keeps them); what is done with them lives here.
pub use crate::model::{Capture, NewCapture};

use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha1::{Digest, Sha1};
use std::io::{Read, Write};

impl NewCapture {
    /// Compresses the body (fast level: this runs for every stored article) and digests it.
    pub fn new(url: &str, fetched_at: DateTime<Utc>, status: u16, headers: &[(String, String)], body: &[u8]) -> NewCapture {
        let mut lines = String::new();
        for (k, v) in headers {
            // a header value cannot break the line structure it is stored in
            let v: String = v.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
            lines.push_str(k);
            lines.push_str(": ");
            lines.push_str(&v);
            lines.push('\n');
        }
        NewCapture {
            url: url.to_string(),
            fetched_at,
            status,
            headers: lines,
            body_gz: gzip(body),
            body_len: body.len() as i64,
            body_sha1: sha1_digest(body),
        }
    }
}

#[cfg(test)]
impl NewCapture {
    /// As the store gives it back.
    pub(crate) fn kept(self, id: i64, article_id: i64) -> Capture {
        Capture {
            id,
            article_id,
            url: self.url,
            fetched_at: self.fetched_at,
            status: self.status,
            headers: self.headers,
            body_gz: self.body_gz,
            body_len: self.body_len,
            body_sha1: self.body_sha1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("capture {id}: stored body is damaged: {message}")]
    Damaged { id: i64, message: String },
    #[error("writing WARC: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl Capture {
    pub fn body(&self) -> Result<Vec<u8>, EvidenceError> {
        let mut out = Vec::with_capacity(self.body_len.max(0) as usize);
        GzDecoder::new(&self.body_gz[..])
            .read_to_end(&mut out)
            .map_err(|e| EvidenceError::Damaged { id: self.id, message: e.to_string() })?;
        if sha1_digest(&out) != self.body_sha1 {
            return Err(EvidenceError::Damaged { id: self.id, message: "digest does not match".into() });
        }
        Ok(out)
    }

    pub fn header_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.lines().filter_map(|l| l.split_once(": ").or_else(|| l.split_once(':')))
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), flate2::Compression::fast());
    // writing into a Vec cannot fail
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

pub fn sha1_digest(data: &[u8]) -> String {
    format!("sha1:{}", data_encoding::BASE32.encode(&Sha1::digest(data)))
}

/// One run of a word-level diff: unchanged, removed or added text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiffPart {
    pub kind: &'static str,
    pub text: String,
}

/// Unchanged runs longer than this are shortened to their ends in a diff.
const CONTEXT_CHARS: usize = 160;

/// A readable word-level diff of two versions: runs of `same`, `del` and `ins`, long unchanged runs
/// cut to their ends. Bounded in time: hostile input cannot make it quadratic for long.
pub fn diff(old: &str, new: &str) -> Vec<DiffPart> {
    let d = similar::TextDiff::configure().timeout(std::time::Duration::from_millis(300)).diff_unicode_words(old, new);
    let mut parts: Vec<DiffPart> = Vec::new();
    for c in d.iter_all_changes() {
        let kind = match c.tag() {
            similar::ChangeTag::Equal => "same",
            similar::ChangeTag::Delete => "del",
            similar::ChangeTag::Insert => "ins",
        };
        match parts.last_mut() {
            Some(p) if p.kind == kind => p.text.push_str(c.value()),
            _ => parts.push(DiffPart { kind, text: c.value().to_string() }),
        }
    }
    let n = parts.len();
    for (i, p) in parts.iter_mut().enumerate() {
        if p.kind != "same" || p.text.chars().count() <= CONTEXT_CHARS * 2 {
            continue;
        }
        let chars: Vec<char> = p.text.chars().collect();
        let head: String = chars[..CONTEXT_CHARS].iter().collect();
        let tail: String = chars[chars.len() - CONTEXT_CHARS..].iter().collect();
        p.text = match (i == 0, i + 1 == n) {
            (true, _) => format!("… {tail}"),
            (_, true) => format!("{head} …"),
            _ => format!("{head} … {tail}"),
        };
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_round_trips_and_detects_damage() {
        let body = "<p>Bài viết thử nghiệm về huyện Cần Giờ</p>".repeat(50);
        let headers = vec![("content-type".to_string(), "text/html\r\nX-Injected: 1".to_string())];
        let c = NewCapture::new("http://127.0.0.1/a", Utc::now(), 200, &headers, body.as_bytes());
        assert!(c.body_gz.len() < body.len() / 4, "compressed");
        assert_eq!(c.headers.lines().count(), 1, "a header value cannot add a line");
        let mut kept = c.kept(1, 1);
        assert_eq!(kept.body().expect("body"), body.as_bytes());
        let last = kept.body_gz.len() - 9;
        kept.body_gz[last] ^= 0xff;
        assert!(kept.body().is_err(), "a damaged body is refused, not returned");
    }

    #[test]
    fn sha1_in_warc_form() {
        // sha1("abc") = a9993e36..., base32 as in RFC 4648
        assert_eq!(sha1_digest(b"abc"), "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
    }

    #[test]
    fn diff_marks_changed_words_and_shortens_context() {
        let old = format!("{} Ủy ban xác nhận 12 người bị thương. {}", "mở đầu ".repeat(60), "kết thúc ".repeat(60));
        let new = format!("{} Ủy ban xác nhận 3 người bị thương nhẹ. {}", "mở đầu ".repeat(60), "kết thúc ".repeat(60));
        let parts = diff(&old, &new);
        let del: Vec<&str> = parts.iter().filter(|p| p.kind == "del").map(|p| p.text.trim()).collect();
        let ins: Vec<&str> = parts.iter().filter(|p| p.kind == "ins").map(|p| p.text.trim()).collect();
        assert!(del.iter().any(|d| d.contains("12")), "{parts:?}");
        assert!(ins.iter().any(|i| i.contains('3')) && ins.iter().any(|i| i.contains("nhẹ")), "{parts:?}");
        assert!(parts[0].text.starts_with('…'), "long unchanged start is cut: {:?}", parts[0]);
        assert!(parts.iter().all(|p| p.text.chars().count() < 400));
        assert!(diff("same", "same").iter().all(|p| p.kind == "same"));
    }
}
