//! WARC (ISO 28500, version 1.0 for the widest reader support) output of kept captures: a
//! `warcinfo` record, then per capture a `response` record (the HTTP response as kept) and a
//! `metadata` record tying it to the article. In `.warc.gz` form each record is its own gzip member,
//! as the standard asks, so readers can seek record by record.
//!
//! The kept body is the decoded one (reqwest undoes Content-Encoding), so the response block carries
//! the body's real length and the original `Content-Encoding`/`Transfer-Encoding` headers are kept
//! under `X-Presswatch-Original-` names instead of being replayed wrongly.

use super::{sha1_digest, Capture, EvidenceError};
use crate::model::ArticleId;
use crate::store::Store;
use crate::time::to_unix;
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::write::GzEncoder;
use std::collections::HashMap;
use std::io::Write;

pub struct WarcWriter<W: Write> {
    out: W,
    gzip: bool,
    pub records: usize,
}

/// What the metadata record says about the article a capture belongs to.
#[derive(Debug, Clone)]
pub struct CaptureContext {
    pub article_url: String,
    pub source: String,
    pub title: String,
}

impl<W: Write> WarcWriter<W> {
    /// Starts a file with its `warcinfo` record.
    pub fn new(out: W, gzip: bool, filename: &str, now: DateTime<Utc>) -> Result<WarcWriter<W>, EvidenceError> {
        let mut w = WarcWriter { out, gzip, records: 0 };
        let info = format!(
            "software: presswatch/{}\r\nformat: WARC File Format 1.0\r\nconformsTo: http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf\r\ndescription: pages collected by presswatch, as kept at fetch time\r\n",
            env!("CARGO_PKG_VERSION")
        );
        let filename = clean(filename);
        w.record(
            &[("WARC-Type", "warcinfo".into()), ("WARC-Date", warc_date(now)), ("WARC-Filename", filename)],
            "application/warc-fields",
            info.as_bytes(),
        )?;
        Ok(w)
    }

    /// Writes one capture as a `response` record and a `metadata` record.
    pub fn capture(&mut self, c: &Capture, ctx: &CaptureContext) -> Result<(), EvidenceError> {
        let body = c.body()?;
        let reason = reqwest::StatusCode::from_u16(c.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
        let mut block = format!("HTTP/1.1 {} {reason}\r\n", c.status).into_bytes();
        for (k, v) in c.header_pairs() {
            let lower = k.to_ascii_lowercase();
            let k = match lower.as_str() {
                "content-length" => continue,
                "content-encoding" => "X-Presswatch-Original-Content-Encoding",
                "transfer-encoding" => "X-Presswatch-Original-Transfer-Encoding",
                _ => k,
            };
            block.extend_from_slice(format!("{}: {}\r\n", clean(k), clean(v)).as_bytes());
        }
        block.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        block.extend_from_slice(&body);
        let date = warc_date(c.fetched_at);
        let id = record_id();
        self.record(
            &[
                ("WARC-Type", "response".into()),
                ("WARC-Record-ID", id.clone()),
                ("WARC-Date", date.clone()),
                ("WARC-Target-URI", clean(&c.url)),
                ("WARC-Payload-Digest", c.body_sha1.clone()),
                ("WARC-Block-Digest", sha1_digest(&block)),
            ],
            "application/http;msgtype=response",
            &block,
        )?;
        let meta = format!(
            "presswatch-article-id: {}\r\npresswatch-article-url: {}\r\npresswatch-source: {}\r\npresswatch-title: {}\r\n",
            c.article_id,
            clean(&ctx.article_url),
            clean(&ctx.source),
            clean(&ctx.title),
        );
        self.record(
            &[("WARC-Type", "metadata".into()), ("WARC-Date", date), ("WARC-Target-URI", clean(&c.url)), ("WARC-Concurrent-To", id)],
            "application/warc-fields",
            meta.as_bytes(),
        )
    }

    fn record(&mut self, headers: &[(&str, String)], content_type: &str, block: &[u8]) -> Result<(), EvidenceError> {
        let mut head = String::from("WARC/1.0\r\n");
        let has_id = headers.iter().any(|(k, _)| *k == "WARC-Record-ID");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !has_id {
            head.push_str(&format!("WARC-Record-ID: {}\r\n", record_id()));
        }
        head.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", block.len()));
        if self.gzip {
            let mut enc = GzEncoder::new(&mut self.out, flate2::Compression::default());
            enc.write_all(head.as_bytes())?;
            enc.write_all(block)?;
            enc.write_all(b"\r\n\r\n")?;
            enc.finish()?;
        } else {
            self.out.write_all(head.as_bytes())?;
            self.out.write_all(block)?;
            self.out.write_all(b"\r\n\r\n")?;
        }
        self.records += 1;
        Ok(())
    }

    pub fn finish(mut self) -> Result<W, EvidenceError> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Which captures go into a file.
pub enum Selection {
    Articles(Vec<ArticleId>),
    /// By the article's date (published, else fetched), as `export` selects.
    Range {
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    },
}

/// Writes the selected captures, reading them a page at a time; returns how many were written.
pub async fn write_selection<W: Write>(store: &Store, w: &mut WarcWriter<W>, sel: &Selection) -> Result<usize, EvidenceError> {
    let mut n = 0;
    let mut contexts: HashMap<i64, CaptureContext> = HashMap::new();
    let mut after = 0;
    loop {
        let page = match sel {
            Selection::Articles(ids) => {
                if after > 0 {
                    break;
                }
                let mut all = Vec::new();
                for id in ids {
                    all.extend(store.captures_of(id.clone()).await?);
                }
                after = 1;
                all
            }
            Selection::Range { since, until } => {
                let page = store.captures_page(after, since.map(to_unix), until.map(to_unix), 200).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                page
            }
        };
        let missing: Vec<ArticleId> = page.iter().map(|c| ArticleId(c.article_id)).filter(|a| !contexts.contains_key(&a.0)).collect();
        for a in store.articles(&missing).await? {
            contexts.insert(a.id.0, CaptureContext { article_url: a.url, source: a.source.0, title: a.title });
        }
        for c in &page {
            let ctx = contexts.get(&c.article_id).cloned().unwrap_or(CaptureContext {
                article_url: c.url.clone(),
                source: String::new(),
                title: String::new(),
            });
            w.capture(c, &ctx)?;
            n += 1;
        }
        if contexts.len() > 10_000 {
            contexts.clear();
        }
    }
    Ok(n)
}

fn warc_date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// Header values come from crawled pages: no line breaks, no control characters.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::NewCapture;

    #[test]
    fn records_are_well_formed() {
        let headers = vec![
            ("content-type".to_string(), "text/html; charset=utf-8".to_string()),
            ("content-encoding".to_string(), "gzip".to_string()),
            ("content-length".to_string(), "12".to_string()),
        ];
        let body = "<html><title>Thử</title><p>Nội dung</p></html>";
        let c = NewCapture::new("http://127.0.0.1:9/a?x=1", Utc::now(), 200, &headers, body.as_bytes()).kept(1, 7);
        let mut w = WarcWriter::new(Vec::new(), false, "t.warc", Utc::now()).expect("warcinfo");
        let ctx = CaptureContext { article_url: "http://127.0.0.1:9/a".into(), source: "s".into(), title: "Tiêu đề\r\nX: y".into() };
        w.capture(&c, &ctx).expect("capture");
        assert_eq!(w.records, 3);
        let out = String::from_utf8(w.finish().expect("finish")).expect("utf8");
        assert_eq!(out.matches("WARC/1.0\r\n").count(), 3);
        assert!(out.contains("HTTP/1.1 200 OK\r\n"));
        assert!(out.contains("X-Presswatch-Original-Content-Encoding: gzip\r\n"));
        assert!(out.contains(&format!("Content-Length: {}\r\n\r\n<html>", body.len())), "body length, not the wire length");
        assert!(!out.contains("\r\nX: y"), "a crawled title cannot add a header");
    }
}
