//! Configuration: TOML files parsed into raw structs, then validated once into `Config`. Later code
//! only ever sees a `Config`, so durations, sizes, URLs, ids and topic queries are known good.

mod crawl;
mod places;
mod raw;
mod report;
mod server;
mod sources;
mod standing;
mod storage;
#[cfg(test)]
mod tests;
mod topics;

pub use crawl::CrawlConfig;
pub use places::Locality;
pub use report::{EvidenceConfig, ReportConfig, SmtpConfig, SmtpTls};
pub use server::ServerConfig;
pub use sources::{Agency, Source};
pub use standing::{Alert, Conditions, FlagRule};
pub use storage::StorageConfig;
pub use topics::Topic;

use crate::model::SourceId;
use raw::{RawFile, RawReport, RawStanding};
use standing::Known;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: `{key}`: {message}")]
    Invalid { path: PathBuf, key: String, message: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub storage: StorageConfig,
    pub server: ServerConfig,
    pub crawl: CrawlConfig,
    pub localities: Vec<Locality>,
    pub topics: Vec<Topic>,
    pub sources: Vec<Source>,
    pub agencies: Vec<Agency>,
    pub report: ReportConfig,
    pub smtp: Option<SmtpConfig>,
    pub evidence: EvidenceConfig,
    pub rules: Vec<FlagRule>,
    pub alerts: Vec<Alert>,
}

/// Where a value was defined, for error messages.
#[derive(Clone)]
struct At<'a>(&'a Path);

impl At<'_> {
    fn err(&self, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid { path: self.0.to_path_buf(), key: key.into(), message: message.into() }
    }
}

/// The longest duration any key accepts: beyond a year a setting is a typo, and date arithmetic
/// on it overflows (`session_idle = "1000000000000000s"` passed and then every login panicked).
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("invalid duration \"{s}\" ({e}); write it with a unit, like \"15m\" or \"2s\""))?;
    if d > MAX_DURATION {
        return Err(format!("\"{s}\" is longer than a year (366d), the most any duration here may be"));
    }
    Ok(d)
}

/// `parse_duration` within `min..=max`, saying which bound was crossed.
fn parse_duration_in(s: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < min || d > max {
        return Err(format!("\"{s}\" is out of range {}..={}", humantime::format_duration(min), humantime::format_duration(max)));
    }
    Ok(d)
}

/// Most bytes `crawl.max_body` may allow one response: every fetched body is held in memory.
pub const MAX_BODY_LIMIT: u64 = 100 * 1024 * 1024;

pub fn parse_size(s: &str) -> Result<u64, String> {
    let v: bytesize::ByteSize = s.trim().parse().map_err(|e| format!("invalid size \"{s}\" ({e}); write it with a unit, like \"5MB\""))?;
    Ok(v.as_u64())
}

/// An absolute http(s) URL with a host.
fn http_url(at: &At, key: &str, s: &str) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(s).map_err(|e| at.err(key, format!("invalid URL \"{s}\": {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(at.err(key, format!("\"{s}\" is not an http(s) URL")));
    }
    Ok(url)
}

/// A language code as the analyzer writes it (ISO 639-1, or 639-3 where there is no two-letter one).
fn check_lang(at: &At, key: &str, l: &str) -> Result<(), ConfigError> {
    if (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(at.err(key, format!("\"{l}\" is not an ISO 639-1 code like \"vi\" or \"en\"")))
    }
}

impl Config {
    /// Reads the main file and its includes, then validates everything once.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let main = read_file(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut files: Vec<(PathBuf, RawFile)> = Vec::new();
        let includes = main.include.clone();
        files.push((path.to_path_buf(), main));
        for (i, inc) in includes.iter().enumerate() {
            let p = base.join(inc);
            let f = read_file(&p).map_err(|e| match e {
                ConfigError::Read { source, .. } => ConfigError::Invalid {
                    path: path.to_path_buf(),
                    key: format!("include[{i}]"),
                    message: format!("cannot read {}: {source}", p.display()),
                },
                other => other,
            })?;
            if !f.include.is_empty() {
                return Err(At(&p).err("include", "only the main file may include others"));
            }
            files.push((p, f));
        }
        validate(path, files)
    }

    pub fn source(&self, id: &SourceId) -> Option<&Source> {
        self.sources.iter().find(|s| &s.id == id)
    }
}

fn read_file(path: &Path) -> Result<RawFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    toml::from_str(&text).map_err(|e| ConfigError::Syntax { path: path.to_path_buf(), message: one_line(&e.to_string()) })
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty() && *l != "|").collect::<Vec<_>>().join(" ")
}

fn validate_id(at: &At, key: &str, id: &str) -> Result<(), ConfigError> {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(at.err(key, format!("invalid id \"{id}\": use lowercase letters, digits, '-' and '_'")))
    }
}

fn validate(main_path: &Path, files: Vec<(PathBuf, RawFile)>) -> Result<Config, ConfigError> {
    let mut storage = None;
    let mut server = None;
    let mut crawl = None;
    let mut report = None;
    let mut smtp = None;
    let mut evidence = None;
    let mut raw_rules: Vec<(&Path, usize, &RawStanding)> = Vec::new();
    let mut raw_alerts: Vec<(&Path, usize, &RawStanding)> = Vec::new();
    let mut localities = Vec::new();
    let mut topics = Vec::new();
    let mut sources = Vec::new();
    let mut agencies = Vec::new();
    let mut seen: HashMap<(&'static str, String), PathBuf> = HashMap::new();
    // each `[[kind]]`'s id: well formed, and unique among its kind across all files
    let mut new_id = |kind: &'static str, i: usize, id: &str, at: &At| -> Result<(), ConfigError> {
        let key = format!("{kind}[{i}].id");
        validate_id(at, &key, id)?;
        if let Some(prev) = seen.insert((kind, id.to_string()), at.0.to_path_buf()) {
            return Err(at.err(key, format!("duplicate {kind} id \"{id}\" (first defined in {})", prev.display())));
        }
        Ok(())
    };

    for (path, f) in &files {
        let at = At(path);
        macro_rules! once {
            ($slot:ident, $field:ident, $name:literal) => {
                if let Some(v) = &f.$field {
                    if $slot.is_some() {
                        return Err(at.err($name, "defined in more than one file"));
                    }
                    $slot = Some((path.clone(), v));
                }
            };
        }
        once!(storage, storage, "storage");
        once!(server, server, "server");
        once!(crawl, crawl, "crawl");
        once!(report, report, "report");
        once!(smtp, smtp, "smtp");
        once!(evidence, evidence, "evidence");
        for (i, r) in f.rule.iter().enumerate() {
            new_id("rule", i, &r.id, &at)?;
            if let Some(k) = r.foreign_key(true) {
                return Err(at.err(format!("rule[{i}].{k}"), "belongs to an [[alert]], not a [[rule]]"));
            }
            raw_rules.push((path, i, r));
        }
        for (i, a) in f.alert.iter().enumerate() {
            new_id("alert", i, &a.id, &at)?;
            if let Some(k) = a.foreign_key(false) {
                return Err(at.err(format!("alert[{i}].{k}"), "belongs to a [[rule]], not an [[alert]]"));
            }
            raw_alerts.push((path, i, a));
        }

        for (i, l) in f.locality.iter().enumerate() {
            new_id("locality", i, &l.id, &at)?;
            localities.push(places::validate(&at, i, l)?);
        }
        for (i, t) in f.topic.iter().enumerate() {
            new_id("topic", i, &t.id, &at)?;
            topics.push(topics::validate(&at, i, t)?);
        }
        for (i, s) in f.source.iter().enumerate() {
            new_id("source", i, &s.id, &at)?;
            sources.push(sources::validate(&at, i, s)?);
        }
        for (i, a) in f.agency.iter().enumerate() {
            new_id("agency", i, &a.id, &at)?;
            agencies.push(Agency { id: a.id.clone(), name: a.name.clone() });
        }
    }

    // relative paths are the naming file's, never the working directory's: `search` run from
    // another folder must find the data `serve` wrote
    let storage = storage::validate(main_path, storage)?;
    let server = server::validate(server)?;
    let crawl_cfg = crawl::validate(crawl)?;

    let report = match report {
        // the defaults go through the same path as a written [report] (the place from the first locality)
        None => report::validate_report(&At(main_path), &RawReport::default(), &localities)?,
        Some((p, r)) => report::validate_report(&At(&p), r, &localities)?,
    };
    let smtp = smtp.map(|(p, s)| report::validate_smtp(&At(&p), s)).transpose()?;
    if !report.email_to.is_empty() && smtp.is_none() {
        return Err(ConfigError::Invalid {
            path: main_path.to_path_buf(),
            key: "report.email_to".into(),
            message: "recipients are set but there is no [smtp] section to send through".into(),
        });
    }
    let evidence_cfg = report::validate_evidence(evidence)?;
    let known = Known { localities: &localities, topics: &topics, sources: &sources };
    let rules = standing::validate_rules(raw_rules, &known, &agencies)?;
    let alerts = standing::validate_alerts(raw_alerts, &known, &rules, smtp.as_ref())?;
    Ok(Config {
        path: main_path.to_path_buf(),
        storage,
        server,
        crawl: crawl_cfg,
        localities,
        topics,
        sources,
        agencies,
        report,
        smtp,
        evidence: evidence_cfg,
        rules,
        alerts,
    })
}

