//! OPML in and out for sources (`presswatch sources import FILE.opml`, `sources export`). Sources live
//! in the configuration, so import appends `[[source]]` entries to the file that holds them and
//! keeps the change only if the whole configuration still validates.

use crate::config::{Config, Source};
use anyhow::{bail, Context, Result};
use quick_xml::events::Event;
use std::path::Path;

/// One feed from an OPML outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub title: String,
    pub url: String,
}

pub fn parse(text: &str) -> Result<Vec<Outline>> {
    let mut r = quick_xml::Reader::from_str(text);
    let mut out = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref().eq_ignore_ascii_case(b"outline") => {
                let mut title = String::new();
                let mut url = None;
                for a in e.attributes().flatten() {
                    let v = a.unescape_value().map(|c| c.into_owned()).unwrap_or_default();
                    match a.key.local_name().as_ref() {
                        b"xmlUrl" | b"xmlurl" => url = Some(v),
                        b"title" => title = v,
                        b"text" if title.is_empty() => title = v,
                        _ => {}
                    }
                }
                if let Some(url) = url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) {
                    out.push(Outline { title: if title.is_empty() { url.clone() } else { title }, url });
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => bail!("malformed OPML at byte {}: {e}", r.buffer_position()),
            _ => {}
        }
    }
    Ok(out)
}

/// What an import did: the sources added, and every feed left out with the reason.
#[derive(Debug, Default)]
pub struct Imported {
    pub added: usize,
    pub skipped: Vec<(String, String)>,
}

/// Appends the OPML's feeds not configured yet, leaving out (and listing) what may not be a source.
pub fn import(cfg_path: &Path, opml_path: &Path, origin: &str, allow_private: bool) -> Result<Imported> {
    let cfg = Config::load(cfg_path)?;
    let text = std::fs::read_to_string(opml_path).with_context(|| format!("{}", opml_path.display()))?;
    let outlines = parse(&text).with_context(|| format!("{}", opml_path.display()))?;
    let mut ids: Vec<String> = cfg.sources.iter().map(|s| s.id.0.clone()).collect();
    let known: Vec<String> = cfg.sources.iter().map(|s| s.url.to_string()).collect();
    let mut block = String::new();
    let mut added = 0;
    let mut skipped = Vec::new();
    for o in outlines {
        let url = match url::Url::parse(&o.url) {
            Ok(u) => u,
            Err(e) => {
                skipped.push((o.url, format!("not a URL: {e}")));
                continue;
            }
        };
        if known.contains(&url.to_string()) {
            skipped.push((o.url, "already configured".into()));
            continue;
        }
        if let Some(why) = crate::sources_file::refuse(&url, allow_private) {
            skipped.push((o.url, why));
            continue;
        }
        let id = crate::sources_file::unique_slug(&o.title, &ids.iter().map(String::as_str).collect::<Vec<_>>());
        ids.push(id.clone());
        block.push_str(&crate::sources_file::source_block(&id, &o.title, &url, origin, None));
        added += 1;
    }
    if added == 0 {
        return Ok(Imported { added, skipped });
    }
    crate::sources_file::append(cfg_path, &format!("imported from {}", opml_path.display()), &block).map_err(|e| match e {
        crate::sources_file::EditError::Rejected(m) => anyhow::anyhow!("import rejected, configuration unchanged: {m}"),
        other => other.into(),
    })?;
    Ok(Imported { added, skipped })
}

pub fn export(sources: &[Source]) -> String {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n<head><title>presswatch sources</title></head>\n<body>\n",
    );
    for s in sources {
        out.push_str(&format!(
            "  <outline type=\"rss\" text=\"{}\" title=\"{}\" xmlUrl=\"{}\" category=\"{}\"{}/>\n",
            esc(&s.name),
            esc(&s.name),
            esc(s.url.as_str()),
            s.origin.as_str(),
            s.lang.as_deref().map(|l| format!(" language=\"{}\"", esc(l))).unwrap_or_default()
        ));
    }
    out.push_str("</body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_import_appends_only_new_feeds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let main = dir.path().join("presswatch.toml");
        std::fs::write(&main, "include = [\"sources.toml\"]\n").expect("w");
        std::fs::write(
            dir.path().join("sources.toml"),
            "[[source]]\nid = \"a\"\nname = \"A\"\nurl = \"https://a.example/rss\"\norigin = \"domestic\"\n",
        )
        .expect("w");
        let opml = dir.path().join("in.opml");
        std::fs::write(
            &opml,
            r#"<opml version="2.0"><body><outline text="Nhóm"><outline text="A" xmlUrl="https://a.example/rss"/>
<outline title="Báo Mới &amp; Hay" xmlUrl="https://b.example/feed"/><outline text="no feed"/></outline></body></opml>"#,
        )
        .expect("w");
        assert_eq!(import(&main, &opml, "overseas", false).expect("import").added, 1);
        let cfg = Config::load(&main).expect("valid after import");
        let b = cfg.sources.iter().find(|s| s.url.as_str() == "https://b.example/feed").expect("imported");
        assert_eq!(b.id.0, "bao-moi-hay");
        assert_eq!(b.name, "Báo Mới & Hay");
        assert_eq!(import(&main, &opml, "overseas", false).expect("again").added, 0, "nothing new the second time");
        let back = parse(&export(&cfg.sources)).expect("parse export");
        assert_eq!(back.len(), 2);
        assert!(back.iter().any(|o| o.title == "Báo Mới & Hay"));
    }

    /// Regression (issue 13): an OPML entry `http://127.0.0.1:22/` became a trusted source, and
    /// `file://` entries vanished without a word.
    #[test]
    fn internal_and_non_http_feeds_are_skipped_with_a_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let main = dir.path().join("presswatch.toml");
        std::fs::write(&main, "").expect("w");
        let opml = dir.path().join("in.opml");
        std::fs::write(
            &opml,
            r#"<opml><body><outline text="ssh" xmlUrl="http://127.0.0.1:22/"/><outline text="local" xmlUrl="http://localhost:8080/rss"/>
<outline text="meta" xmlUrl="http://169.254.169.254/latest"/><outline text="file" xmlUrl="file:///etc/passwd"/>
<outline text="ok" xmlUrl="https://203.162.4.1/rss"/></body></opml>"#,
        )
        .expect("w");
        let r = import(&main, &opml, "domestic", false).expect("import");
        assert_eq!(r.added, 1, "{r:?}");
        assert_eq!(r.skipped.len(), 4, "{r:?}");
        assert!(r.skipped.iter().any(|(u, why)| u == "file:///etc/passwd" && why.contains("scheme file")), "{r:?}");
        assert!(r.skipped.iter().filter(|(_, why)| why.contains("--allow-private")).count() == 3, "{r:?}");
        let cfg = Config::load(&main).expect("valid");
        assert_eq!(cfg.sources.iter().map(|s| s.url.as_str()).collect::<Vec<_>>(), ["https://203.162.4.1/rss"]);
        // the operator may say an internal feed is theirs
        let r = import(&main, &opml, "domestic", true).expect("import");
        assert_eq!(r.added, 3, "{r:?}");
    }

    #[test]
    fn bad_origin_is_rolled_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let main = dir.path().join("presswatch.toml");
        std::fs::write(&main, "").expect("w");
        let opml = dir.path().join("in.opml");
        std::fs::write(&opml, r#"<opml><body><outline text="B" xmlUrl="https://b.example/feed"/></body></opml>"#).expect("w");
        let e = import(&main, &opml, "abroad", false).unwrap_err().to_string();
        assert!(e.contains("origin"), "{e}");
        assert_eq!(std::fs::read_to_string(&main).expect("r"), "");
    }
}
