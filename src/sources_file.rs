//! Sources as written in the configuration files, changed from outside the file: `sources import`
//! (OPML) and the admin's Sources page add them, the page also turns one off or on. Every change is
//! written where sources live (`sources.toml` when the main file includes it, else the main file),
//! kept only if the whole configuration still validates, and otherwise undone byte for byte. Edits
//! go through toml_edit, so the office's comments and layout stay as they were.

use crate::config::Config;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    /// The configuration would not validate with the change: nothing was changed.
    #[error("change refused, configuration unchanged: {0}")]
    Rejected(String),
    #[error("no source with id `{0}` in the configuration files")]
    UnknownSource(String),
    #[error("url `{url}`: {why}")]
    BadUrl { url: String, why: String },
    #[error("{0} already exists")]
    Exists(String),
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> EditError {
    EditError::File { path: path.to_path_buf(), message: e.to_string() }
}

/// The main file and the files it includes, in that order.
fn config_files(cfg_path: &Path) -> Result<Vec<PathBuf>, EditError> {
    let text = std::fs::read_to_string(cfg_path).map_err(|e| file_err(cfg_path, e))?;
    let v: toml::Table = toml::from_str(&text).map_err(|e| file_err(cfg_path, e))?;
    let base = cfg_path.parent().unwrap_or(Path::new("."));
    let mut out = vec![cfg_path.to_path_buf()];
    for inc in v.get("include").and_then(|i| i.as_array()).into_iter().flatten().filter_map(|i| i.as_str()) {
        out.push(base.join(inc));
    }
    Ok(out)
}

/// The file new sources go to: `sources.toml` when the main file includes it, else the main file.
pub fn target(cfg_path: &Path) -> Result<PathBuf, EditError> {
    let files = config_files(cfg_path)?;
    Ok(files.iter().find(|p| p.file_name().is_some_and(|n| n == "sources.toml")).cloned().unwrap_or_else(|| cfg_path.to_path_buf()))
}

/// Writes `text` to `file`, then keeps it only if the configuration at `cfg_path` still loads.
fn write_checked(cfg_path: &Path, file: &Path, before: &str, text: &str) -> Result<Config, EditError> {
    std::fs::write(file, text).map_err(|e| file_err(file, e))?;
    match Config::load(cfg_path) {
        Ok(cfg) => Ok(cfg),
        Err(e) => {
            std::fs::write(file, before).map_err(|w| file_err(file, format!("could not restore after {e}: {w}")))?;
            Err(EditError::Rejected(e.to_string()))
        }
    }
}

/// Appends `[[source]]` entries (TOML text) to the sources file, with a comment line above them.
pub fn append(cfg_path: &Path, comment: &str, block: &str) -> Result<Config, EditError> {
    let file = target(cfg_path)?;
    let before = std::fs::read_to_string(&file).unwrap_or_default();
    let sep = if before.is_empty() || before.ends_with('\n') { "" } else { "\n" };
    write_checked(cfg_path, &file, &before, &format!("{before}{sep}\n# {comment}{block}"))
}

/// A source an admin adds from the Sources page.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub name: String,
    pub url: String,
    pub origin: String,
    pub lang: Option<String>,
}

/// Adds one source, with an id made from its name; returns the id and the configuration with it.
pub fn add(cfg_path: &Path, s: &NewSource, allow_private: bool, by: &str) -> Result<(String, Config), EditError> {
    let cfg = Config::load(cfg_path).map_err(|e| file_err(cfg_path, e))?;
    let url = url::Url::parse(s.url.trim()).map_err(|e| EditError::BadUrl { url: s.url.clone(), why: e.to_string() })?;
    if let Some(why) = refuse(&url, allow_private) {
        return Err(EditError::BadUrl { url: s.url.clone(), why });
    }
    if let Some(known) = cfg.sources.iter().find(|k| k.url == url) {
        return Err(EditError::Exists(format!("{} (nguồn `{}`)", url, known.id.0)));
    }
    let ids: Vec<&str> = cfg.sources.iter().map(|k| k.id.0.as_str()).collect();
    let id = unique_slug(s.name.trim(), &ids);
    let block = source_block(&id, s.name.trim(), &url, &s.origin, s.lang.as_deref());
    let cfg = append(cfg_path, &format!("added from the Sources page by {by}"), &block)?;
    Ok((id, cfg))
}

/// One `[[source]]` entry as TOML, values quoted by the toml crate; `lang` when given.
pub(crate) fn source_block(id: &str, name: &str, url: &url::Url, origin: &str, lang: Option<&str>) -> String {
    let q = |v: &str| toml::Value::String(v.to_string()).to_string();
    let mut block = format!("\n[[source]]\nid = {}\nname = {}\nurl = {}\norigin = {}\n", q(id), q(name), q(url.as_str()), q(origin));
    if let Some(l) = lang.map(str::trim).filter(|l| !l.is_empty()) {
        block.push_str(&format!("lang = {}\n", q(l)));
    }
    block
}

/// Turns a configured source off (`enabled = false`) or back on, in the file that holds it.
pub fn set_enabled(cfg_path: &Path, id: &str, enabled: bool) -> Result<Config, EditError> {
    for file in config_files(cfg_path)? {
        let before = std::fs::read_to_string(&file).map_err(|e| file_err(&file, e))?;
        let mut doc: toml_edit::DocumentMut = before.parse().map_err(|e| file_err(&file, e))?;
        let Some(sources) = doc.get_mut("source").and_then(|s| s.as_array_of_tables_mut()) else { continue };
        let Some(t) = sources.iter_mut().find(|t| t.get("id").and_then(|v| v.as_str()) == Some(id)) else { continue };
        if enabled {
            // on is the default: the key goes rather than saying so
            t.remove("enabled");
        } else {
            t.insert("enabled", toml_edit::value(false));
        }
        return write_checked(cfg_path, &file, &before, &doc.to_string());
    }
    Err(EditError::UnknownSource(id.to_string()))
}

/// An id made from `name`, numbered past those `taken`.
pub(crate) fn unique_slug(name: &str, taken: &[&str]) -> String {
    let base = slug(name);
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id.as_str()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

fn slug(s: &str) -> String {
    let folded = crate::text::fold(s);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').chars().take(48).collect::<String>();
    if out.is_empty() {
        "source".into()
    } else {
        out
    }
}

/// Why a feed URL may not become a source, if it may not. A configured source is trusted to sit
/// on an internal address (an intranet outlet), so an imported list, written by someone else, must
/// not make `http://127.0.0.1:22/` or `http://metadata.internal/` one without the operator saying so.
pub(crate) fn refuse(url: &url::Url, allow_private: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("scheme {} is not crawled (only http and https)", url.scheme()));
    }
    let host = url.host_str()?;
    if allow_private {
        return None;
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<std::net::IpAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![ip.into()],
        Some(url::Host::Ipv6(ip)) => vec![ip.into()],
        _ => std::net::ToSocketAddrs::to_socket_addrs(&(host, port)).map(|a| a.map(|s| s.ip()).collect()).unwrap_or_default(),
    };
    let internal = host.eq_ignore_ascii_case("localhost") || addrs.iter().any(|ip| !crate::crawl::fetch::is_public(*ip));
    internal.then(|| format!("{host} is a private or loopback address (import with --allow-private if it is your own outlet)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(sources: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let main = dir.path().join("presswatch.toml");
        std::fs::write(&main, "include = [\"sources.toml\"]\n[storage]\ndatabase_url = \"sqlite://db.sqlite\"\n").expect("write");
        std::fs::write(dir.path().join("sources.toml"), sources).expect("write");
        (dir, main)
    }

    const ONE: &str = "# our outlets\n[[source]]\nid = \"bao-mau\"   # the district paper\nname = \"Báo Mẫu\"\nurl = \"https://bao-mau.example/rss\"\norigin = \"domestic\"\n";

    #[test]
    fn a_source_is_turned_off_and_on_keeping_the_files_comments() {
        let (dir, main) = setup(ONE);
        let cfg = set_enabled(&main, "bao-mau", false).expect("off");
        assert!(!cfg.sources[0].enabled);
        let text = std::fs::read_to_string(dir.path().join("sources.toml")).expect("read");
        assert!(text.contains("# our outlets") && text.contains("# the district paper") && text.contains("enabled = false"), "{text}");
        assert!(set_enabled(&main, "bao-mau", true).expect("on").sources[0].enabled);
        assert!(!std::fs::read_to_string(dir.path().join("sources.toml")).expect("read").contains("enabled"));
        assert!(matches!(set_enabled(&main, "khong-co", false), Err(EditError::UnknownSource(_))));
    }

    #[test]
    fn an_added_source_gets_an_id_and_a_bad_one_changes_nothing() {
        let (dir, main) = setup(ONE);
        let new = |name: &str, url: &str, origin: &str| NewSource { name: name.into(), url: url.into(), origin: origin.into(), lang: None };
        // a private address needs the admin to say it is their own outlet
        let e = add(&main, &new("Báo Mẫu", "http://127.0.0.1:8080/rss", "domestic"), false, "admin").expect_err("private");
        assert!(matches!(e, EditError::BadUrl { .. }), "{e}");
        let (id, _) = add(&main, &new("Báo Mẫu", "http://127.0.0.1:8080/rss", "domestic"), true, "admin").expect("added");
        assert_eq!(id, "bao-mau-2", "ids stay unique");
        let cfg = Config::load(&main).expect("valid");
        assert_eq!(cfg.sources.len(), 2);
        assert!(matches!(add(&main, &new("Lặp", "https://bao-mau.example/rss", "domestic"), false, "admin"), Err(EditError::Exists(_))));
        let before = std::fs::read_to_string(dir.path().join("sources.toml")).expect("read");
        let e = add(&main, &new("Sai", "https://sai.example/rss", "martian"), false, "admin").expect_err("bad origin");
        assert!(matches!(e, EditError::Rejected(ref m) if m.contains("origin")), "{e}");
        assert_eq!(std::fs::read_to_string(dir.path().join("sources.toml")).expect("read"), before, "undone byte for byte");
        assert!(matches!(add(&main, &new("x", "not a url", "domestic"), false, "admin"), Err(EditError::BadUrl { .. })));
    }
}
