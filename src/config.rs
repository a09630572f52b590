//! Configuration: TOML files parsed into raw structs, then validated once into `Config`. Later code
//! only ever sees a `Config`, so durations, sizes, URLs, ids and topic queries are known good.

use crate::model::{Origin, SourceId};
use crate::query::{self, Expr};
use serde::Deserialize;
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    include: Vec<String>,
    storage: Option<RawStorage>,
    server: Option<RawServer>,
    crawl: Option<RawCrawl>,
    report: Option<RawReport>,
    smtp: Option<RawSmtp>,
    evidence: Option<RawEvidence>,
    #[serde(default)]
    rule: Vec<RawStanding>,
    #[serde(default)]
    alert: Vec<RawStanding>,
    #[serde(default)]
    locality: Vec<RawLocality>,
    #[serde(default)]
    topic: Vec<RawTopic>,
    #[serde(default)]
    source: Vec<RawSource>,
    #[serde(default)]
    agency: Vec<RawAgency>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    database_url: Option<String>,
    index_dir: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<String>,
    session_idle: Option<String>,
    header_read_timeout: Option<String>,
    request_timeout: Option<String>,
    max_connections: Option<i64>,
    max_connections_per_address: Option<i64>,
    secure_cookies: Option<bool>,
    public_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    organization: Option<String>,
    parent_organization: Option<String>,
    place: Option<String>,
    signer: Option<String>,
    schedule: Option<bool>,
    weekday: Option<String>,
    hour: Option<i64>,
    email_to: Option<Vec<String>>,
    attach: Option<Vec<String>>,
    localities: Option<Vec<String>>,
    digest: Option<bool>,
    digest_hour: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: String,
    port: Option<i64>,
    from: String,
    username: Option<String>,
    password_env: Option<String>,
    tls: Option<String>,
    timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    keep_raw: Option<bool>,
    recheck_interval: Option<String>,
}

/// A `[[rule]]` or an `[[alert]]`: one shape, so unknown keys stay errors (serde cannot deny
/// unknown fields through `flatten`); the keys that belong to the other kind are refused by name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStanding {
    id: String,
    name: String,
    query: Option<String>,
    #[serde(default)]
    origin: Vec<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    lang: Vec<String>,
    #[serde(default)]
    localities: Vec<String>,
    min_story_size: Option<i64>,
    min_story_growth: Option<i64>,
    growth_window: Option<String>,
    // rules only
    priority: Option<String>,
    agency: Option<String>,
    reason: Option<String>,
    // alerts only
    rules: Option<Vec<String>>,
    spikes: Option<bool>,
    email: Option<Vec<String>>,
    webhook: Option<String>,
    digest: Option<String>,
    quiet_hours: Option<String>,
}

impl RawStanding {
    /// The first key set that belongs to the other kind.
    fn foreign_key(&self, rule: bool) -> Option<&'static str> {
        let rule_only = [("priority", self.priority.is_some()), ("agency", self.agency.is_some()), ("reason", self.reason.is_some())];
        let alert_only = [
            ("rules", self.rules.is_some()),
            ("spikes", self.spikes.is_some()),
            ("email", self.email.is_some()),
            ("webhook", self.webhook.is_some()),
            ("digest", self.digest.is_some()),
            ("quiet_hours", self.quiet_hours.is_some()),
        ];
        let other: &[(&'static str, bool)] = if rule { &alert_only } else { &rule_only };
        other.iter().find(|(_, set)| *set).map(|(k, _)| *k)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrawl {
    user_agent: Option<String>,
    interval: Option<String>,
    max_interval: Option<String>,
    per_host_interval: Option<String>,
    concurrency: Option<i64>,
    timeout: Option<String>,
    max_body: Option<String>,
    max_redirects: Option<i64>,
    respect_robots: Option<bool>,
    allow_private_networks: Option<bool>,
    max_articles_per_feed: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocality {
    id: String,
    name: Option<String>,
    /// An administrative unit from the gazetteer: its names are derived (`gazetteer::aliases`).
    unit: Option<String>,
    /// `unit` names the unit as it was before 1 July 2025 where the name exists now and before.
    #[serde(default)]
    former: bool,
    /// How deep the derived names go: "unit", "district" or "commune" (default).
    detail: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    not: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    id: String,
    name: String,
    name_en: Option<String>,
    query: String,
    strong: Option<String>,
    #[serde(default)]
    sensitive: bool,
    min_mentions: Option<i64>,
    min_score: Option<f64>,
    title_weight: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    name: String,
    url: String,
    lang: Option<String>,
    origin: String,
    #[serde(default = "yes")]
    enabled: bool,
    interval: Option<String>,
    /// CSS selectors for the article body on this outlet's pages, tried before generic extraction.
    #[serde(default)]
    content_selectors: Vec<String>,
    /// CSS selectors removed from the body (share bars, related links) on this outlet's pages.
    #[serde(default)]
    exclude_selectors: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgency {
    id: String,
    name: String,
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

/// What is kept of each fetch, and how often flagged articles are fetched again.
#[derive(Debug, Clone)]
pub struct EvidenceConfig {
    pub keep_raw: bool,
    pub recheck_interval: Duration,
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        EvidenceConfig { keep_raw: true, recheck_interval: Duration::from_secs(6 * 3600) }
    }
}

/// Conditions on a new article, all of which must hold. Lists mean "any of"; empty means any.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub query: Option<Expr>,
    pub query_text: Option<String>,
    pub origins: Vec<Origin>,
    pub sources: Vec<String>,
    pub langs: Vec<String>,
    pub localities: Vec<String>,
    /// Articles in the article's story (itself included).
    pub min_story_size: usize,
    /// Articles that joined the story within `growth_window`.
    pub min_story_growth: usize,
    pub growth_window: Duration,
}

impl Conditions {
    /// True when nothing is asked: such an alert only listens to rules or spikes.
    pub fn is_empty(&self) -> bool {
        self.query.is_none()
            && self.origins.is_empty()
            && self.sources.is_empty()
            && self.langs.is_empty()
            && self.localities.is_empty()
            && self.min_story_size <= 1
            && self.min_story_growth == 0
    }
}

/// An auto-flag rule: articles meeting its conditions open a queue item (one per story).
#[derive(Debug, Clone)]
pub struct FlagRule {
    pub id: String,
    pub name: String,
    pub when: Conditions,
    pub priority: crate::model::Priority,
    pub agency: Option<String>,
    pub reason: String,
}

/// Who is told, how and when, about articles meeting conditions, items opened by rules, or spikes.
#[derive(Debug, Clone)]
pub struct Alert {
    pub id: String,
    pub name: String,
    /// None: the alert only listens to `rules` and/or `spikes`.
    pub when: Option<Conditions>,
    pub rules: Vec<String>,
    pub spikes: bool,
    pub email: Vec<String>,
    pub webhook: Option<url::Url>,
    /// Collect and send at most once per this period instead of at once.
    pub digest: Option<Duration>,
    /// Local (Asia/Ho_Chi_Minh) minutes of the day `[from, to)`; may wrap midnight.
    pub quiet_hours: Option<(u32, u32)>,
}

/// The weekly leadership report: who issues it, when `serve` writes it, who receives it.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    pub organization: String,
    pub parent_organization: Option<String>,
    /// The place in the date line (`Cần Giờ, ngày ...`).
    pub place: String,
    pub signer: String,
    /// Weekday and local hour (Asia/Ho_Chi_Minh) at which `serve` writes last week's report; None: off.
    pub schedule: Option<(chrono::Weekday, u32)>,
    /// Local hour at which `serve` mails the overview to `email_to` each morning; None: off.
    pub digest_hour: Option<u32>,
    pub email_to: Vec<String>,
    pub attach: Vec<crate::model::ReportFormat>,
    /// The ids of the localities the report is about (the office's own); the others configured are
    /// tagged and searchable but are not "the locality" of the report. Default: all.
    pub localities: Vec<String>,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            organization: "Bộ phận theo dõi báo chí".into(),
            parent_organization: None,
            place: "Việt Nam".into(),
            signer: "Người lập báo cáo".into(),
            schedule: Some((chrono::Weekday::Mon, 7)),
            digest_hour: Some(7),
            email_to: Vec::new(),
            attach: vec![crate::model::ReportFormat::Docx, crate::model::ReportFormat::Html],
            localities: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP: only for a relay on this machine or a trusted network.
    None,
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub username: Option<String>,
    /// The password is read from this environment variable when mail is sent, never from the file.
    pub password_env: String,
    pub tls: SmtpTls,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub database_url: String,
    pub index_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: std::net::SocketAddr,
    /// A session ends after this long without a request (and after 7 days in any case).
    pub session_idle: Duration,
    /// Always mark cookies `Secure` (set this behind a TLS proxy that does not send
    /// `X-Forwarded-Proto: https`; with that header they are marked anyway).
    pub secure_cookies: bool,
    /// The address users reach the web UI at; links in reports and e-mails point there.
    pub public_url: String,
    /// A connection that has not sent a whole request head this long after opening, or after its
    /// last response (an idle keep-alive), is closed.
    pub header_read_timeout: Duration,
    /// Longest time one request may take, body included; then it is answered 408.
    pub request_timeout: Duration,
    /// Connections open at once, from everyone; more wait to be accepted.
    pub max_connections: usize,
    /// Connections open at once from one address; more are closed at once.
    pub max_connections_per_address: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: ([127, 0, 0, 1], 8080).into(),
            session_idle: Duration::from_secs(8 * 3600),
            secure_cookies: false,
            public_url: "http://127.0.0.1:8080".into(),
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            max_connections: 1024,
            max_connections_per_address: 128,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CrawlConfig {
    pub user_agent: String,
    pub interval: Duration,
    pub max_interval: Duration,
    pub per_host_interval: Duration,
    pub concurrency: usize,
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub respect_robots: bool,
    /// Off by default: crawled links never reach loopback or private networks other than the
    /// configured sources' own hosts.
    pub allow_private_networks: bool,
    pub max_articles_per_feed: usize,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            user_agent: format!("presswatch/{} (+https://example.org/contact)", env!("CARGO_PKG_VERSION")),
            interval: Duration::from_secs(15 * 60),
            max_interval: Duration::from_secs(6 * 3600),
            per_host_interval: Duration::from_secs(2),
            concurrency: 8,
            timeout: Duration::from_secs(20),
            max_body_bytes: 5_000_000,
            max_redirects: 5,
            respect_robots: true,
            allow_private_networks: false,
            max_articles_per_feed: 200,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Locality {
    pub id: String,
    pub name: String,
    /// The name first, then the names derived from `unit` that need nothing beside them, then the
    /// configured aliases; each parsed as a phrase.
    pub aliases: Vec<String>,
    /// Names shared with a place elsewhere: each counts only in a paragraph (or the title) that also
    /// names one of the words beside it (the unit's parents).
    pub near: Vec<(String, Vec<String>)>,
    /// The gazetteer unit it was configured from (`unit`), its label, and every name derived with
    /// the reason (`presswatch locality show`).
    pub unit: Option<String>,
    pub derived: Vec<crate::gazetteer::Alias>,
    /// Phrases that name something else (`tàu Cần Giờ`, a ship): an alias inside one does not count.
    pub not: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub query: Expr,
    pub query_text: String,
    /// Strong cues (`strong`): a paragraph, or the title, where the query holds and this also
    /// holds counts one more, so a phrase that only a story about the topic uses ("vi phạm nhân
    /// quyền") outweighs a word that many stories use in passing.
    pub strong: Option<Expr>,
    pub sensitive: bool,
    pub min_mentions: usize,
    /// Aboutness needed for the tag (`analyze::aboutness`): each paragraph the query matches in
    /// counts 1 (1.5 with two mentions or more), the lead 0.5 more, the title `title_weight`.
    pub min_score: f64,
    pub title_weight: f64,
}

#[derive(Debug, Clone)]
pub struct Source {
    pub id: SourceId,
    pub name: String,
    pub url: url::Url,
    pub lang: Option<String>,
    pub origin: Origin,
    pub enabled: bool,
    pub interval: Option<Duration>,
    pub content_selectors: Vec<String>,
    pub exclude_selectors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Agency {
    pub id: String,
    pub name: String,
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

const DEFAULT_DATABASE_URL: &str = "sqlite://data/presswatch.sqlite";

/// The folder of a configuration file, absolute (so a later change of directory changes nothing).
fn folder_of(file: &Path) -> PathBuf {
    let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf())
}

/// `base` joined with a relative path, `.` and `..` taken off by name (as people read the path:
/// `config/../data` is `data`), so messages name the file plainly.
fn join_in(base: &Path, relative: &str) -> PathBuf {
    let mut out = base.to_path_buf();
    for c in Path::new(relative).components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A `sqlite:` URL whose file path, when relative, is taken from `base`. `sqlite::memory:` and
/// absolute paths stay as written; options after `?` are kept.
fn sqlite_url_in(url: &str, base: &Path) -> String {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let (file, options) = match rest.find('?') {
        Some(q) => rest.split_at(q),
        None => (rest, ""),
    };
    if file.is_empty() || file.starts_with(':') || Path::new(file).is_absolute() {
        return url.to_string();
    }
    format!("sqlite://{}{options}", join_in(base, file).display())
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
    let mut check_dup = |kind: &'static str, id: &str, at: &At, key: String| -> Result<(), ConfigError> {
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
            validate_id(&at, &format!("rule[{i}].id"), &r.id)?;
            check_dup("rule", &r.id, &at, format!("rule[{i}].id"))?;
            if let Some(k) = r.foreign_key(true) {
                return Err(at.err(format!("rule[{i}].{k}"), "belongs to an [[alert]], not a [[rule]]"));
            }
            raw_rules.push((path, i, r));
        }
        for (i, a) in f.alert.iter().enumerate() {
            validate_id(&at, &format!("alert[{i}].id"), &a.id)?;
            check_dup("alert", &a.id, &at, format!("alert[{i}].id"))?;
            if let Some(k) = a.foreign_key(false) {
                return Err(at.err(format!("alert[{i}].{k}"), "belongs to a [[rule]], not an [[alert]]"));
            }
            raw_alerts.push((path, i, a));
        }

        for (i, l) in f.locality.iter().enumerate() {
            let key = |k: &str| format!("locality[{i}].{k}");
            validate_id(&at, &key("id"), &l.id)?;
            check_dup("locality", &l.id, &at, key("id"))?;
            let derived = match &l.unit {
                None => {
                    if l.former || l.detail.is_some() {
                        let k = if l.former { "former" } else { "detail" };
                        return Err(at.err(key(k), "applies to a `unit`, and this locality names none"));
                    }
                    None
                }
                Some(spec) => {
                    let g = crate::gazetteer::get();
                    // None: "unit", the unit itself (and a province's towns), whatever its level
                    let detail = match l.detail.as_deref() {
                        None | Some("commune") => Some(crate::gazetteer::Level::Commune),
                        Some("district") => Some(crate::gazetteer::Level::District),
                        Some("unit") => None,
                        Some(other) => {
                            return Err(at.err(key("detail"), format!("\"{other}\" is not one of \"unit\", \"district\", \"commune\"")))
                        }
                    };
                    let id = g.resolve(spec, l.former).map_err(|e| at.err(key("unit"), e.to_string()))?;
                    let detail = detail.unwrap_or(g.units[id].level);
                    Some((g.label(id), g.units[id].name, g.aliases(id, detail)))
                }
            };
            let name = match (&l.name, &derived) {
                (Some(n), _) if !n.trim().is_empty() => n.trim().to_string(),
                (Some(_), _) => return Err(at.err(key("name"), "must not be empty")),
                (None, Some((_, unit_name, _))) => unit_name.to_string(),
                (None, None) => return Err(at.err(key("name"), "is required (or a `unit` to take it from)")),
            };
            let mut aliases = vec![name.clone()];
            let mut near = Vec::new();
            for a in derived.iter().flat_map(|d| &d.2) {
                if a.near.is_empty() {
                    if !aliases.contains(&a.text) {
                        aliases.push(a.text.clone());
                    }
                } else {
                    near.push((a.text.clone(), a.near.clone()));
                }
            }
            for (j, a) in l.aliases.iter().enumerate() {
                if crate::text::words(a).is_empty() {
                    return Err(at.err(format!("locality[{i}].aliases[{j}]"), "alias has no words"));
                }
                if !aliases.contains(&a.trim().to_string()) {
                    aliases.push(a.trim().to_string());
                }
            }
            let mut not = Vec::new();
            for (j, n) in l.not.iter().enumerate() {
                let key = format!("locality[{i}].not[{j}]");
                if crate::text::words(n).is_empty() {
                    return Err(at.err(key, "phrase has no words"));
                }
                if !aliases.iter().any(|a| crate::text::contains_phrase(n, a)) {
                    return Err(at.err(key, "contains none of the locality's name and aliases, so it would exclude nothing"));
                }
                not.push(n.trim().to_string());
            }
            let (unit, derived) = derived.map_or((None, Vec::new()), |(label, _, d)| (Some(label), d));
            localities.push(Locality { id: l.id.clone(), name, aliases, near, not, unit, derived });
        }
        for (i, t) in f.topic.iter().enumerate() {
            let key = |k: &str| format!("topic[{i}].{k}");
            validate_id(&at, &key("id"), &t.id)?;
            check_dup("topic", &t.id, &at, key("id"))?;
            // the query and the strong cues: the search syntax, without fields that name tags
            let topic_query = |k: &str, q: &str| -> Result<Expr, ConfigError> {
                let e = query::parse(q).map_err(|e| at.err(key(k), format!("topic \"{}\": {e}", t.id)))?;
                check_topic_fields(&e).map_err(|m| at.err(key(k), format!("topic \"{}\": {m}", t.id)))?;
                Ok(e)
            };
            let query = topic_query("query", &t.query)?;
            let strong = t.strong.as_deref().map(|q| topic_query("strong", q)).transpose()?;
            let min_mentions = match t.min_mentions {
                None => 1,
                Some(n) if (1..=100).contains(&n) => n as usize,
                Some(n) => return Err(at.err(key("min_mentions"), format!("{n} is out of range 1..=100"))),
            };
            let weight = |v: Option<f64>, k: &str, default: f64| -> Result<f64, ConfigError> {
                match v {
                    None => Ok(default),
                    Some(x) if x.is_finite() && (0.0..=100.0).contains(&x) => Ok(x),
                    Some(x) => Err(at.err(key(k), format!("{x} is out of range 0..=100"))),
                }
            };
            let min_score = weight(t.min_score, "min_score", 1.0)?;
            let title_weight = weight(t.title_weight, "title_weight", 2.0)?;
            topics.push(Topic {
                id: t.id.clone(),
                name: t.name.clone(),
                name_en: t.name_en.clone(),
                query,
                query_text: t.query.clone(),
                strong,
                sensitive: t.sensitive,
                min_mentions,
                min_score,
                title_weight,
            });
        }
        for (i, s) in f.source.iter().enumerate() {
            let key = |k: &str| format!("source[{i}].{k}");
            validate_id(&at, &key("id"), &s.id)?;
            check_dup("source", &s.id, &at, key("id"))?;
            let url = url::Url::parse(&s.url).map_err(|e| at.err(key("url"), format!("invalid URL \"{}\": {e}", s.url)))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(at.err(key("url"), format!("\"{}\" is not an http(s) URL", s.url)));
            }
            let origin = match s.origin.as_str() {
                "domestic" => Origin::Domestic,
                "overseas" => Origin::Overseas,
                "foreign" => Origin::Foreign,
                other => return Err(at.err(key("origin"), format!("\"{other}\" is not one of domestic, overseas, foreign"))),
            };
            if let Some(l) = &s.lang {
                if !(2..=3).contains(&l.len()) || !l.chars().all(|c| c.is_ascii_lowercase()) {
                    return Err(at.err(key("lang"), format!("\"{l}\" is not an ISO 639-1 code like \"vi\" or \"en\"")));
                }
            }
            let interval = s.interval.as_deref().map(parse_duration).transpose().map_err(|m| at.err(key("interval"), m))?;
            for (j, sel) in s.content_selectors.iter().chain(&s.exclude_selectors).enumerate() {
                scraper::Selector::parse(sel)
                    .map_err(|e| at.err(format!("source[{i}].selectors[{j}]"), format!("invalid CSS selector \"{sel}\": {e}")))?;
            }
            sources.push(Source {
                id: SourceId(s.id.clone()),
                name: s.name.clone(),
                url,
                lang: s.lang.clone(),
                origin,
                enabled: s.enabled,
                interval,
                content_selectors: s.content_selectors.clone(),
                exclude_selectors: s.exclude_selectors.clone(),
            });
        }
        for (i, a) in f.agency.iter().enumerate() {
            validate_id(&at, &format!("agency[{i}].id"), &a.id)?;
            check_dup("agency", &a.id, &at, format!("agency[{i}].id"))?;
            agencies.push(Agency { id: a.id.clone(), name: a.name.clone() });
        }
    }

    // relative paths are the naming file's, never the working directory's: `search` run from
    // another folder must find the data `serve` wrote
    let storage = match storage {
        None => {
            let base = folder_of(main_path);
            StorageConfig { database_url: sqlite_url_in(DEFAULT_DATABASE_URL, &base), index_dir: join_in(&base, "index") }
        }
        Some((p, s)) => {
            let at = At(&p);
            let database_url = s.database_url.clone().unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
            if !database_url.starts_with("sqlite:") {
                return Err(at.err(
                    "storage.database_url",
                    format!("\"{database_url}\": only sqlite:// is supported by this build (PostgreSQL is planned)"),
                ));
            }
            let base = folder_of(&p);
            StorageConfig {
                database_url: sqlite_url_in(&database_url, &base),
                index_dir: join_in(&base, s.index_dir.as_deref().unwrap_or("index")),
            }
        }
    };
    let server = match server {
        None => ServerConfig::default(),
        Some((p, s)) => {
            let listen = s.listen.as_deref().unwrap_or("127.0.0.1:8080");
            let mut server = ServerConfig {
                listen: listen
                    .parse()
                    .map_err(|e| At(&p).err("server.listen", format!("\"{listen}\" is not an address like 127.0.0.1:8080 ({e})")))?,
                secure_cookies: s.secure_cookies.unwrap_or(false),
                ..ServerConfig::default()
            };
            if let Some(v) = &s.session_idle {
                server.session_idle = parse_duration_in(v, Duration::from_secs(1), Duration::from_secs(7 * 86_400))
                    .map_err(|m| At(&p).err("server.session_idle", m))?;
            }
            let bounded = |v: &Option<String>, key: &str, min: u64, max: u64, slot: &mut Duration| -> Result<(), ConfigError> {
                if let Some(v) = v {
                    *slot = parse_duration_in(v, Duration::from_secs(min), Duration::from_secs(max))
                        .map_err(|m| At(&p).err(format!("server.{key}"), m))?;
                }
                Ok(())
            };
            bounded(&s.header_read_timeout, "header_read_timeout", 1, 600, &mut server.header_read_timeout)?;
            bounded(&s.request_timeout, "request_timeout", 1, 3600, &mut server.request_timeout)?;
            let count = |v: Option<i64>, key: &str, slot: &mut usize| -> Result<(), ConfigError> {
                match v {
                    Some(n) if !(1..=100_000).contains(&n) => {
                        Err(At(&p).err(format!("server.{key}"), format!("{n} is out of range 1..=100000")))
                    }
                    Some(n) => {
                        *slot = n as usize;
                        Ok(())
                    }
                    None => Ok(()),
                }
            };
            count(s.max_connections, "max_connections", &mut server.max_connections)?;
            count(s.max_connections_per_address, "max_connections_per_address", &mut server.max_connections_per_address)?;
            server.public_url = match &s.public_url {
                Some(u) => {
                    let parsed = url::Url::parse(u).map_err(|e| At(&p).err("server.public_url", format!("invalid URL \"{u}\": {e}")))?;
                    if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
                        return Err(At(&p).err("server.public_url", format!("\"{u}\" is not an http(s) address without a query")));
                    }
                    u.trim_end_matches('/').to_string()
                }
                None => format!("http://{}", server.listen),
            };
            server
        }
    };
    let mut crawl_cfg = CrawlConfig::default();
    if let Some((p, c)) = crawl {
        let at = At(&p);
        let dur = |v: &Option<String>, key: &str, slot: &mut Duration| -> Result<(), ConfigError> {
            if let Some(v) = v {
                *slot = parse_duration(v).map_err(|m| at.err(format!("crawl.{key}"), m))?;
            }
            Ok(())
        };
        dur(&c.interval, "interval", &mut crawl_cfg.interval)?;
        dur(&c.max_interval, "max_interval", &mut crawl_cfg.max_interval)?;
        dur(&c.per_host_interval, "per_host_interval", &mut crawl_cfg.per_host_interval)?;
        dur(&c.timeout, "timeout", &mut crawl_cfg.timeout)?;
        if crawl_cfg.timeout.is_zero() {
            return Err(at.err("crawl.timeout", "must be above zero"));
        }
        if crawl_cfg.interval.is_zero() {
            return Err(at.err("crawl.interval", "must be above zero"));
        }
        if let Some(ua) = &c.user_agent {
            if ua.trim().is_empty() || !ua.is_ascii() {
                return Err(at.err("crawl.user_agent", "must be non-empty ASCII, naming the crawler and a contact"));
            }
            crawl_cfg.user_agent = ua.clone();
        }
        if let Some(n) = c.concurrency {
            if !(1..=256).contains(&n) {
                return Err(at.err("crawl.concurrency", format!("{n} is out of range 1..=256")));
            }
            crawl_cfg.concurrency = n as usize;
        }
        if let Some(s) = &c.max_body {
            crawl_cfg.max_body_bytes = parse_size(s).map_err(|m| at.err("crawl.max_body", m))?;
            if crawl_cfg.max_body_bytes < 1024 {
                return Err(at.err("crawl.max_body", "must be at least 1KB"));
            }
            if crawl_cfg.max_body_bytes > MAX_BODY_LIMIT {
                return Err(at.err("crawl.max_body", format!("\"{s}\" is above the limit of 100MiB (each body is held in memory)")));
            }
        }
        if let Some(n) = c.max_redirects {
            if !(0..=20).contains(&n) {
                return Err(at.err("crawl.max_redirects", format!("{n} is out of range 0..=20")));
            }
            crawl_cfg.max_redirects = n as usize;
        }
        if let Some(n) = c.max_articles_per_feed {
            if !(1..=100_000).contains(&n) {
                return Err(at.err("crawl.max_articles_per_feed", format!("{n} is out of range 1..=100000")));
            }
            crawl_cfg.max_articles_per_feed = n as usize;
        }
        crawl_cfg.respect_robots = c.respect_robots.unwrap_or(true);
        crawl_cfg.allow_private_networks = c.allow_private_networks.unwrap_or(false);
        if crawl_cfg.max_interval < crawl_cfg.interval {
            crawl_cfg.max_interval = crawl_cfg.interval;
        }
    }

    let report = match report {
        // the defaults go through the same path as a written [report] (the place from the first locality)
        None => validate_report(&At(main_path), &RawReport::default(), &localities)?,
        Some((p, r)) => validate_report(&At(&p), r, &localities)?,
    };
    let smtp = smtp.map(|(p, s)| validate_smtp(&At(&p), s)).transpose()?;
    if !report.email_to.is_empty() && smtp.is_none() {
        return Err(ConfigError::Invalid {
            path: main_path.to_path_buf(),
            key: "report.email_to".into(),
            message: "recipients are set but there is no [smtp] section to send through".into(),
        });
    }
    let mut evidence_cfg = EvidenceConfig::default();
    if let Some((p, e)) = evidence {
        let at = At(&p);
        evidence_cfg.keep_raw = e.keep_raw.unwrap_or(true);
        if let Some(v) = &e.recheck_interval {
            evidence_cfg.recheck_interval = parse_duration(v).map_err(|m| at.err("evidence.recheck_interval", m))?;
            if evidence_cfg.recheck_interval < Duration::from_secs(60) {
                return Err(at.err("evidence.recheck_interval", "must be at least 1m: a re-check is a request to the outlet"));
            }
        }
    }
    let known = Known { localities: &localities, topics: &topics, sources: &sources };
    let mut rules = Vec::new();
    for (path, i, r) in raw_rules {
        let at = At(path);
        let key = |k: &str| format!("rule[{i}].{k}");
        let when = validate_conditions(&at, &format!("rule[{i}]"), r, &known)?;
        if when.is_empty() {
            return Err(at.err(key("query"), format!("rule \"{}\" has no condition: it would flag every article", r.id)));
        }
        let priority = match r.priority.as_deref() {
            None => crate::model::Priority::Normal,
            Some(p) => crate::model::Priority::parse(p)
                .ok_or_else(|| at.err(key("priority"), format!("\"{p}\" is not one of low, normal, high, urgent")))?,
        };
        if let Some(a) = &r.agency {
            if !agencies.iter().any(|x| &x.id == a) {
                return Err(at.err(key("agency"), format!("unknown agency \"{a}\"")));
            }
        }
        let reason = r.reason.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| r.name.clone());
        rules.push(FlagRule { id: r.id.clone(), name: r.name.clone(), when, priority, agency: r.agency.clone(), reason });
    }
    let mut alerts = Vec::new();
    for (path, i, a) in raw_alerts {
        let at = At(path);
        let key = |k: &str| format!("alert[{i}].{k}");
        let when = validate_conditions(&at, &format!("alert[{i}]"), a, &known)?;
        let when = (!when.is_empty()).then_some(when);
        let listened: &[String] = a.rules.as_deref().unwrap_or_default();
        let spikes = a.spikes.unwrap_or(false);
        let email: &[String] = a.email.as_deref().unwrap_or_default();
        for (j, r) in listened.iter().enumerate() {
            if !rules.iter().any(|x| &x.id == r) {
                return Err(at.err(format!("alert[{i}].rules[{j}]"), format!("unknown rule \"{r}\"")));
            }
        }
        if when.is_none() && listened.is_empty() && !spikes {
            return Err(
                at.err(key("query"), format!("alert \"{}\" listens to nothing: give a query or conditions, rules, or spikes = true", a.id))
            );
        }
        for (j, m) in email.iter().enumerate() {
            check_mailbox(&at, &format!("alert[{i}].email[{j}]"), m)?;
        }
        if !email.is_empty() && smtp.is_none() {
            return Err(at.err(key("email"), "recipients are set but there is no [smtp] section to send through"));
        }
        let webhook = match &a.webhook {
            None => None,
            Some(u) => {
                let parsed = url::Url::parse(u).map_err(|e| at.err(key("webhook"), format!("invalid URL \"{u}\": {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(at.err(key("webhook"), format!("\"{u}\" is not an http(s) URL")));
                }
                Some(parsed)
            }
        };
        if email.is_empty() && webhook.is_none() {
            return Err(at.err(key("email"), format!("alert \"{}\" tells no one: give email recipients or a webhook", a.id)));
        }
        let digest = a.digest.as_deref().map(parse_duration).transpose().map_err(|m| at.err(key("digest"), m))?;
        if digest.is_some_and(|d| d < Duration::from_secs(60)) {
            return Err(at.err(key("digest"), "must be at least 1m"));
        }
        let quiet_hours = a.quiet_hours.as_deref().map(parse_quiet_hours).transpose().map_err(|m| at.err(key("quiet_hours"), m))?;
        alerts.push(Alert {
            id: a.id.clone(),
            name: a.name.clone(),
            when,
            rules: listened.to_vec(),
            spikes,
            email: email.to_vec(),
            webhook,
            digest,
            quiet_hours,
        });
    }
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

/// What conditions may name.
struct Known<'a> {
    localities: &'a [Locality],
    topics: &'a [Topic],
    sources: &'a [Source],
}

fn validate_conditions(at: &At, prefix: &str, c: &RawStanding, known: &Known) -> Result<Conditions, ConfigError> {
    let key = |k: &str| format!("{prefix}.{k}");
    let query = match &c.query {
        None => None,
        Some(q) => {
            let e = query::parse(q).map_err(|e| at.err(key("query"), e.to_string()))?;
            if contains_date(&e) {
                return Err(at.err(key("query"), "standing queries are evaluated on each new article: date: does not apply"));
            }
            Some(e)
        }
    };
    let mut origins = Vec::new();
    for (j, o) in c.origin.iter().enumerate() {
        origins.push(match o.as_str() {
            "domestic" => Origin::Domestic,
            "overseas" => Origin::Overseas,
            "foreign" => Origin::Foreign,
            other => return Err(at.err(format!("{prefix}.origin[{j}]"), format!("\"{other}\" is not one of domestic, overseas, foreign"))),
        });
    }
    for (j, s) in c.sources.iter().enumerate() {
        if !known.sources.iter().any(|x| &x.id.0 == s) {
            return Err(at.err(format!("{prefix}.sources[{j}]"), format!("unknown source \"{s}\"")));
        }
    }
    for (j, l) in c.localities.iter().enumerate() {
        if !known.localities.iter().any(|x| &x.id == l) {
            return Err(at.err(format!("{prefix}.localities[{j}]"), format!("unknown locality \"{l}\"")));
        }
    }
    for (j, l) in c.lang.iter().enumerate() {
        if !(2..=3).contains(&l.len()) || !l.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(at.err(format!("{prefix}.lang[{j}]"), format!("\"{l}\" is not an ISO 639-1 code like \"vi\"")));
        }
    }
    if let Some(e) = &query {
        let mut unknown = None;
        visit_fields(e, &mut |f, v| {
            use crate::query::Field;
            let ok = match f {
                Field::Topic | Field::Mentions => known.topics.iter().any(|t| t.id.eq_ignore_ascii_case(v)),
                Field::Locality => known.localities.iter().any(|l| l.id.eq_ignore_ascii_case(v)),
                _ => true,
            };
            if !ok && unknown.is_none() {
                unknown = Some(format!("{}:{v} names no configured {}", f.name(), f.name()));
            }
        });
        if let Some(m) = unknown {
            return Err(at.err(key("query"), m));
        }
    }
    let count = |v: Option<i64>, k: &str| -> Result<usize, ConfigError> {
        match v {
            None => Ok(0),
            Some(n) if (0..=100_000).contains(&n) => Ok(n as usize),
            Some(n) => Err(at.err(key(k), format!("{n} is out of range 0..=100000"))),
        }
    };
    let growth_window = match &c.growth_window {
        None => Duration::from_secs(24 * 3600),
        Some(w) => parse_duration(w).map_err(|m| at.err(key("growth_window"), m))?,
    };
    Ok(Conditions {
        query,
        query_text: c.query.clone(),
        origins,
        sources: c.sources.clone(),
        langs: c.lang.clone(),
        localities: c.localities.clone(),
        min_story_size: count(c.min_story_size, "min_story_size")?,
        min_story_growth: count(c.min_story_growth, "min_story_growth")?,
        growth_window,
    })
}

fn contains_date(e: &Expr) -> bool {
    match e {
        Expr::Date(_) => true,
        Expr::And(v) | Expr::Or(v) => v.iter().any(contains_date),
        Expr::Not(x) => contains_date(x),
        _ => false,
    }
}

fn visit_fields(e: &Expr, f: &mut dyn FnMut(crate::query::Field, &str)) {
    match e {
        Expr::Field { field, value } => f(*field, value),
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| visit_fields(x, f)),
        Expr::Not(x) => visit_fields(x, f),
        _ => {}
    }
}

/// "22:00-06:30" → minutes of the day (from, to).
fn parse_quiet_hours(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("\"{s}\" is not a time range like \"22:00-06:00\"");
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (from, to) = (minutes(a).ok_or_else(bad)?, minutes(b).ok_or_else(bad)?);
    if from == to {
        return Err(format!("\"{s}\" is an empty range"));
    }
    Ok((from, to))
}

fn check_mailbox(at: &At, key: &str, v: &str) -> Result<(), ConfigError> {
    v.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| at.err(key, format!("\"{v}\" is not an e-mail address like \"Văn phòng <vp@example.org>\" ({e})")))
}

fn validate_report(at: &At, r: &RawReport, localities: &[Locality]) -> Result<ReportConfig, ConfigError> {
    let mut c = ReportConfig::default();
    let text = |v: &Option<String>, key: &str, slot: &mut String| -> Result<(), ConfigError> {
        if let Some(v) = v {
            if v.trim().is_empty() {
                return Err(at.err(format!("report.{key}"), "must not be empty"));
            }
            *slot = v.trim().to_string();
        }
        Ok(())
    };
    text(&r.organization, "organization", &mut c.organization)?;
    c.localities = match &r.localities {
        None => localities.iter().map(|l| l.id.clone()).collect(),
        Some(ids) => {
            for (j, id) in ids.iter().enumerate() {
                if !localities.iter().any(|l| &l.id == id) {
                    return Err(at.err(format!("report.localities[{j}]"), format!("unknown locality \"{id}\"")));
                }
            }
            ids.clone()
        }
    };
    let first = c.localities.first().and_then(|id| localities.iter().find(|l| &l.id == id));
    c.place = first.map(|l| l.name.clone()).unwrap_or(c.place);
    text(&r.place, "place", &mut c.place)?;
    text(&r.signer, "signer", &mut c.signer)?;
    c.parent_organization = r.parent_organization.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let weekday = match r.weekday.as_deref() {
        None => chrono::Weekday::Mon,
        Some(w) => w
            .parse::<chrono::Weekday>()
            .map_err(|_| at.err("report.weekday", format!("\"{w}\" is not a weekday like \"mon\" or \"monday\"")))?,
    };
    let hour = match r.hour {
        None => 7,
        Some(h) if (0..=23).contains(&h) => h as u32,
        Some(h) => return Err(at.err("report.hour", format!("{h} is out of range 0..=23"))),
    };
    c.schedule = r.schedule.unwrap_or(true).then_some((weekday, hour));
    let digest_hour = match r.digest_hour {
        None => 7,
        Some(h) if (0..=23).contains(&h) => h as u32,
        Some(h) => return Err(at.err("report.digest_hour", format!("{h} is out of range 0..=23"))),
    };
    c.digest_hour = r.digest.unwrap_or(true).then_some(digest_hour);
    for (i, m) in r.email_to.iter().flatten().enumerate() {
        check_mailbox(at, &format!("report.email_to[{i}]"), m)?;
    }
    c.email_to = r.email_to.clone().unwrap_or_default();
    if let Some(a) = &r.attach {
        c.attach = Vec::new();
        for (i, f) in a.iter().enumerate() {
            let f = crate::model::ReportFormat::parse(f)
                .ok_or_else(|| at.err(format!("report.attach[{i}]"), format!("\"{f}\" is not one of html, docx, md, json")))?;
            if !c.attach.contains(&f) {
                c.attach.push(f);
            }
        }
    }
    Ok(c)
}

fn validate_smtp(at: &At, s: &RawSmtp) -> Result<SmtpConfig, ConfigError> {
    if s.host.trim().is_empty() || s.host.contains(['/', ' ']) {
        return Err(at.err("smtp.host", format!("\"{}\" is not a host name", s.host)));
    }
    let tls = match s.tls.as_deref().unwrap_or("starttls") {
        "none" => SmtpTls::None,
        "starttls" => SmtpTls::Starttls,
        "tls" => SmtpTls::Tls,
        other => return Err(at.err("smtp.tls", format!("\"{other}\" is not one of none, starttls, tls"))),
    };
    let port = match s.port {
        None => match tls {
            SmtpTls::Tls => 465,
            _ => 587,
        },
        Some(p) if (1..=65535).contains(&p) => p as u16,
        Some(p) => return Err(at.err("smtp.port", format!("{p} is out of range 1..=65535"))),
    };
    check_mailbox(at, "smtp.from", &s.from)?;
    let timeout = match &s.timeout {
        None => Duration::from_secs(30),
        Some(t) => parse_duration(t).map_err(|m| at.err("smtp.timeout", m))?,
    };
    Ok(SmtpConfig {
        host: s.host.trim().to_string(),
        port,
        from: s.from.clone(),
        username: s.username.clone().filter(|u| !u.is_empty()),
        password_env: s.password_env.clone().unwrap_or_else(|| "PRESSWATCH_SMTP_PASSWORD".into()),
        tls,
        timeout,
    })
}

/// Topics are evaluated per article, so they may not refer to other tags or dates.
fn check_topic_fields(e: &Expr) -> Result<(), String> {
    use crate::query::Field;
    match e {
        Expr::Field { field: Field::Topic | Field::Mentions | Field::Locality, .. } => {
            Err("topic rules cannot refer to topic:, mentions: or locality:".into())
        },
        Expr::Date(_) => Err("topic rules cannot use date:".into()),
        Expr::And(v) | Expr::Or(v) => v.iter().try_for_each(check_topic_fields),
        Expr::Not(x) => check_topic_fields(x),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(main: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("presswatch.toml");
        std::fs::write(&p, main).expect("write");
        Config::load(&p)
    }

    #[test]
    fn storage_paths_are_relative_to_the_file_that_names_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("config");
        std::fs::create_dir_all(&conf).expect("mkdir");
        std::fs::write(conf.join("presswatch.toml"), "include = [\"storage.toml\"]\n").expect("write");
        std::fs::write(conf.join("storage.toml"), "[storage]\ndatabase_url = \"sqlite://../data/pw.sqlite?mode=rwc\"\nindex_dir = \"idx\"\n").expect("write");
        let cfg = Config::load(&conf.join("presswatch.toml")).expect("config");
        let base = std::path::absolute(&conf).expect("absolute");
        assert_eq!(cfg.storage.database_url, format!("sqlite://{}?mode=rwc", dir.path().join("data/pw.sqlite").display()));
        assert_eq!(cfg.storage.index_dir, base.join("idx"));
        // absolute paths and in-memory databases stay as written; no [storage] means the main file's folder
        assert_eq!(sqlite_url_in("sqlite:///srv/pw.sqlite", &base), "sqlite:///srv/pw.sqlite");
        assert_eq!(sqlite_url_in("sqlite::memory:", &base), "sqlite::memory:");
        let cfg = load_str("").expect("config");
        assert!(cfg.storage.database_url.ends_with("/data/presswatch.sqlite") && cfg.storage.index_dir.is_absolute(), "{:?}", cfg.storage);
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let e = load_str("[crawl]\nintervall = \"15m\"\n").unwrap_err().to_string();
        assert!(e.contains("presswatch.toml"), "{e}");
        assert!(e.contains("intervall"), "{e}");
    }

    #[test]
    fn bad_duration_and_url_and_query() {
        let e = load_str("[crawl]\ninterval = \"15\"\n").unwrap_err().to_string();
        assert!(e.contains("crawl.interval") && e.contains("unit"), "{e}");
        let e = load_str("[[source]]\nid='a'\nname='A'\nurl='ftp://x'\norigin='domestic'\n").unwrap_err().to_string();
        assert!(e.contains("source[0].url"), "{e}");
        let e = load_str("[[topic]]\nid='t'\nname='T'\nquery='(a OR'\n").unwrap_err().to_string();
        assert!(e.contains("topic[0].query") && e.contains("\"t\""), "{e}");
        let e = load_str("[[topic]]\nid='t'\nname='T'\nquery='a'\nstrong='\"b'\n").unwrap_err().to_string();
        assert!(e.contains("topic[0].strong") && e.contains("\"t\""), "{e}");
        let e = load_str("[[topic]]\nid='t'\nname='T'\nquery='a'\nstrong='topic:u'\n").unwrap_err().to_string();
        assert!(e.contains("topic[0].strong"), "{e}");
        let e = load_str("[[source]]\nid='a'\nname='A'\nurl='http://x.org/'\norigin='abroad'\n").unwrap_err().to_string();
        assert!(e.contains("source[0].origin"), "{e}");
        let e = load_str("[[locality]]\nid='p'\nname='Phú Yên'\nnot=['công ty Sông Cầu']\n").unwrap_err().to_string();
        assert!(e.contains("locality[0].not[0]") && e.contains("exclude nothing"), "{e}");
        assert!(load_str("[[locality]]\nid='p'\nname='Phú Yên'\naliases=['Sông Cầu']\nnot=['công ty Sông Cầu']\n").is_ok());
    }

    #[test]
    fn duplicate_ids_across_includes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = "[[source]]\nid='a'\nname='A'\nurl='http://x.org/'\norigin='domestic'\n";
        std::fs::write(dir.path().join("s.toml"), src).expect("write");
        let p = dir.path().join("main.toml");
        std::fs::write(&p, format!("include=['s.toml']\n{src}")).expect("write");
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("s.toml") && e.contains("duplicate source id \"a\""), "{e}");
    }

    #[test]
    fn missing_include_is_reported_in_main_file() {
        let e = load_str("include=['nope.toml']\n").unwrap_err().to_string();
        assert!(e.contains("include[0]") && e.contains("nope.toml"), "{e}");
    }

    #[test]
    fn defaults_apply() {
        let c = load_str("").expect("empty config is valid");
        assert_eq!(c.crawl.interval, Duration::from_secs(900));
        assert!(c.crawl.respect_robots);
        assert!(!c.crawl.allow_private_networks);
    }

    #[test]
    fn report_and_smtp_are_checked() {
        let c = load_str("[[locality]]\nid='can-gio'\nname='Cần Giờ'\n").expect("valid");
        assert_eq!(c.report.place, "Cần Giờ", "the first locality names the place");
        assert_eq!(c.report.schedule, Some((chrono::Weekday::Mon, 7)));
        assert_eq!(c.server.public_url, "http://127.0.0.1:8080");
        let c = load_str("[report]\nweekday='friday'\nhour=16\nattach=['md','docx','md']\n").expect("valid");
        assert_eq!(c.report.schedule, Some((chrono::Weekday::Fri, 16)));
        assert_eq!(c.report.attach, vec![crate::model::ReportFormat::Md, crate::model::ReportFormat::Docx]);
        assert_eq!(load_str("[report]\nschedule=false\n").expect("valid").report.schedule, None);
        assert_eq!(load_str("").expect("valid").report.digest_hour, Some(7));
        assert_eq!(load_str("[report]\ndigest_hour=6\n").expect("valid").report.digest_hour, Some(6));
        assert_eq!(load_str("[report]\ndigest=false\n").expect("valid").report.digest_hour, None);
        let e = load_str("[report]\ndigest_hour=24\n").expect_err("hour out of range").to_string();
        assert!(e.contains("report.digest_hour"), "{e}");
        for (toml, key) in [
            ("[report]\nweekday='someday'\n", "report.weekday"),
            ("[report]\nhour=24\n", "report.hour"),
            ("[report]\norganization=' '\n", "report.organization"),
            ("[report]\nattach=['pdf']\n", "report.attach[0]"),
            ("[report]\nemail_to=['lanhdao@example.org']\n", "report.email_to"),
            ("[report]\nemail_to=['not an address']\n[smtp]\nhost='h'\nfrom='a@b.org'\n", "report.email_to[0]"),
            ("[smtp]\nhost='h'\nfrom='a@b.org'\ntls='ssl'\n", "smtp.tls"),
            ("[smtp]\nhost='h'\nfrom='nobody'\n", "smtp.from"),
            ("[smtp]\nhost='h'\nfrom='a@b.org'\nport=0\n", "smtp.port"),
            ("[server]\npublic_url='ftp://x'\n", "server.public_url"),
        ] {
            let e = load_str(toml).unwrap_err().to_string();
            assert!(e.contains(key), "{toml:?}: {e}");
        }
        let c = load_str("[server]\npublic_url='https://baochi.example.gov.vn/'\n[smtp]\nhost='h'\nfrom='a@b.org'\ntls='tls'\n")
            .expect("valid");
        assert_eq!(c.server.public_url, "https://baochi.example.gov.vn");
        assert_eq!(c.smtp.map(|s| s.port), Some(465));
    }

    #[test]
    fn rules_alerts_and_evidence_are_checked() {
        const BASE: &str = "[[locality]]\nid='can-gio'\nname='Cần Giờ'\n[[topic]]\nid='bien-dao'\nname='Biển đảo'\nquery='\"Biển Đông\"'\n\
            [[agency]]\nid='ban-tg'\nname='Ban Tuyên giáo'\n[smtp]\nhost='h'\nfrom='a@b.org'\n";
        let ok = format!(
            "{BASE}[evidence]\nkeep_raw=false\nrecheck_interval='2h'\n\
             [[rule]]\nid='r'\nname='R'\nquery='topic:bien-dao AND locality:can-gio'\norigin=['foreign']\npriority='urgent'\nagency='ban-tg'\n\
             [[alert]]\nid='a'\nname='A'\nrules=['r']\nwebhook='http://127.0.0.1:9/hook'\nquiet_hours='22:00-06:00'\ndigest='1h'\n\
             [[alert]]\nid='s'\nname='S'\nspikes=true\nemail=['lanhdao@example.org']\n"
        );
        let c = load_str(&ok).expect("valid");
        assert!(!c.evidence.keep_raw);
        assert_eq!(c.evidence.recheck_interval, Duration::from_secs(7200));
        assert_eq!(c.rules[0].priority, crate::model::Priority::Urgent);
        assert_eq!(c.rules[0].reason, "R", "the rule's name is the item's reason unless one is given");
        assert_eq!(c.alerts[0].quiet_hours, Some((22 * 60, 6 * 60)));
        assert!(c.alerts[0].when.is_none() && c.alerts[1].spikes);
        for (extra, key) in [
            ("[[rule]]\nid='x'\nname='X'\n", "rule[0].query"),
            ("[[rule]]\nid='x'\nname='X'\nquery='topic:khong-co'\n", "rule[0].query"),
            ("[[rule]]\nid='x'\nname='X'\nquery='biển date:2026-01-01'\n", "rule[0].query"),
            ("[[rule]]\nid='x'\nname='X'\nquery='biển'\norigin=['abroad']\n", "rule[0].origin[0]"),
            ("[[rule]]\nid='x'\nname='X'\nquery='biển'\nagency='nobody'\n", "rule[0].agency"),
            ("[[rule]]\nid='x'\nname='X'\nquery='biển'\npriority='asap'\n", "rule[0].priority"),
            ("[[rule]]\nid='x'\nname='X'\nquery='biển'\nwebhook='http://h/'\n", "rule[0].webhook"),
            ("[[rule]]\nid='x'\nname='X'\nlocalities=['ha-noi']\n", "rule[0].localities[0]"),
            ("[[alert]]\nid='x'\nname='X'\nquery='biển'\n", "alert[0].email"),
            ("[[alert]]\nid='x'\nname='X'\nwebhook='http://h/'\n", "alert[0].query"),
            ("[[alert]]\nid='x'\nname='X'\nrules=['none']\nwebhook='http://h/'\n", "alert[0].rules[0]"),
            ("[[alert]]\nid='x'\nname='X'\nspikes=true\nwebhook='file:///etc/passwd'\n", "alert[0].webhook"),
            ("[[alert]]\nid='x'\nname='X'\nspikes=true\nemail=['nobody']\n", "alert[0].email[0]"),
            ("[[alert]]\nid='x'\nname='X'\nspikes=true\nwebhook='http://h/'\nquiet_hours='22-6'\n", "alert[0].quiet_hours"),
            ("[[alert]]\nid='x'\nname='X'\nspikes=true\nwebhook='http://h/'\npriority='high'\n", "alert[0].priority"),
            ("[[alert]]\nid='x'\nname='X'\nspikes=true\nwebhook='http://h/'\ncolour='red'\n", "colour"),
            ("[evidence]\nrecheck_interval='5s'\n", "evidence.recheck_interval"),
            ("[report]\nlocalities=['ha-noi']\n", "report.localities[0]"),
        ] {
            let e = load_str(&format!("{BASE}{extra}")).unwrap_err().to_string();
            assert!(e.contains(key), "{extra:?}: {e}");
        }
    }

    /// The locality tags of our own written sentences, the places configured from units.
    fn place_tags(cfg: &Config, title: &str, body: &str) -> Vec<crate::model::Tag> {
        let a = crate::analyze::Analyzer::new(&[], &cfg.localities);
        let ctx = crate::analyze::Context { page_lang: None, source_lang: None, source: "s", origin: "domestic" };
        let (t, b) = (crate::text::normalize(title), crate::text::normalize(body));
        a.analyze(&t, &b, &ctx).localities
    }

    /// Which localities those sentences are tagged with.
    fn places(cfg: &Config, title: &str, body: &str) -> Vec<String> {
        place_tags(cfg, title, body).into_iter().map(|l| l.id).collect()
    }

    #[test]
    fn a_locality_from_the_gazetteer_counts_its_old_and_new_names_and_not_a_namesake() {
        let cfg = load_str("[[locality]]\nid = 'cg'\nunit = 'Huyện Cần Giờ'\n\n[[locality]]\nid = 'ct'\nunit = 'Thành phố Cần Thơ'\nformer = true\ndetail = 'unit'\n").unwrap();
        let cg = &cfg.localities[0];
        assert_eq!(cg.name, "Cần Giờ", "the name comes from the unit");
        assert!(cg.unit.as_deref().is_some_and(|u| u.starts_with("Huyện Cần Giờ, Thành phố Hồ Chí Minh")));
        // the former district under its current name, and a former commune with its type word
        assert_eq!(places(&cfg, "", "UBND xã Cần Giờ họp dân về dự án lấn biển."), ["cg"]);
        assert_eq!(places(&cfg, "Cháy rừng phòng hộ ở xã Lý Nhơn", "Lửa bùng lên chiều qua."), ["cg"]);
        // a former town's name alone, beside the city it belongs to
        assert_eq!(places(&cfg, "", "Ngư dân Cần Thạnh (TP.HCM) ra khơi sớm."), ["cg"]);
        // Thạnh An is a commune of Cần Giờ and of Cần Thơ: alone it is neither
        assert!(places(&cfg, "", "Người dân Thạnh An đón Tết trên đảo.").is_empty());
        assert_eq!(places(&cfg, "", "Xã đảo Thạnh An của TP.HCM có điện lưới."), ["cg"]);
        assert_eq!(places(&cfg, "", "Thị trấn Thạnh An thuộc huyện Vĩnh Thạnh, Cần Thơ, mở chợ mới."), ["ct"]);
        // typed without diacritics, and in English
        assert_eq!(places(&cfg, "", "Nguoi dan huyen Can Gio trong rung duoc."), ["cg"]);
        assert_eq!(places(&cfg, "Mangroves of Can Gio district", "Visitors come by ferry."), ["cg"]);
        // a commune's name alone, with no place beside it, is a person's or a word
        assert!(places(&cfg, "", "Anh Lý Nhơn là thợ máy.").is_empty());
    }

    #[test]
    fn a_unit_that_is_not_there_or_is_ambiguous_is_refused_with_its_key() {
        let err = |toml: &str| load_str(toml).unwrap_err().to_string();
        let e = err("[[locality]]\nid = 'x'\nunit = 'Huyện Không Tên'\n");
        assert!(e.contains("locality[0].unit") && e.contains("no administrative unit"), "{e}");
        let e = err("[[locality]]\nid = 'x'\nunit = 'Xã Thạnh An'\n");
        assert!(e.contains("locality[0].unit") && e.contains("Cần Thơ") && e.contains("Hồ Chí Minh"), "{e}");
        let e = err("[[locality]]\nid = 'x'\nunit = 'Huyện Cần Giờ'\ndetail = 'street'\n");
        assert!(e.contains("locality[0].detail"), "{e}");
        let e = err("[[locality]]\nid = 'x'\nname = 'X'\nformer = true\n");
        assert!(e.contains("locality[0].former"), "{e}");
        let e = err("[[locality]]\nid = 'x'\n");
        assert!(e.contains("locality[0].name"), "{e}");
        // a parent after a comma settles it
        assert!(load_str("[[locality]]\nid = 'x'\nunit = 'Xã Thạnh An, Thành phố Cần Thơ'\n").is_ok());
    }

    #[test]
    fn a_province_rolls_up_its_former_provinces_districts_and_communes() {
        let cfg = load_str("[[locality]]\nid = 'tq'\nunit = 'Tỉnh Tuyên Quang'\n").unwrap();
        let tagged = |title: &str, body: &str| -> Vec<(String, Vec<String>)> {
            place_tags(&cfg, title, body).into_iter().map(|l| (l.id, l.matched)).collect()
        };
        // the current province took in Hà Giang in 2025: an article on Hà Giang is the office's
        assert_eq!(tagged("Lũ quét ở Hà Giang", "Nước rút chậm."), [("tq".to_string(), vec!["Hà Giang".to_string()])]);
        // a former district, and a commune with its type word: the place that matched is shown
        assert_eq!(tagged("Mùa cam ở Hàm Yên", ""), [("tq".to_string(), vec!["Hàm Yên".to_string()])]);
        // Tân Trào was also a commune of Hải Dương and of Hải Phòng: it counts beside its district
        assert!(tagged("", "Nông dân xã Tân Trào thu hoạch chè.").is_empty());
        let got = tagged("", "Nông dân xã Tân Trào, huyện Sơn Dương thu hoạch chè.");
        assert!(got.len() == 1 && got[0].1.iter().any(|m| m.contains("Tân Trào")), "{got:?}");
        // as it was before, the province does not take in Hà Giang
        let before = load_str("[[locality]]\nid = 'tq'\nunit = 'Tỉnh Tuyên Quang'\nformer = true\n").unwrap();
        assert!(places(&before, "Lũ quét ở Hà Giang", "Nước rút chậm.").is_empty());
    }
}
