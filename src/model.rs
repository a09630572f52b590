//! Domain types: the messages passed between stages of the data's journey, and typed ids so that an
//! article id can never be passed where a source id is expected.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($name:ident, $inner:ty) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(ArticleId, i64);
// Source ids are the operator's slugs from config (`vnexpress`), stable across restarts.
id_type!(SourceId, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Domestic,
    Overseas,
    Foreign,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Domestic => "domestic",
            Origin::Overseas => "overseas",
            Origin::Foreign => "foreign",
        }
    }
}

impl std::str::FromStr for Origin {
    type Err = String;

    fn from_str(s: &str) -> Result<Origin, String> {
        match s {
            "domestic" => Ok(Origin::Domestic),
            "overseas" => Ok(Origin::Overseas),
            "foreign" => Ok(Origin::Foreign),
            other => Err(format!("\"{other}\" is not one of domestic, overseas, foreign")),
        }
    }
}

/// Typed ids of what the application acts on, so a queue item's id cannot be passed as a user's.
macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

typed_id!(QueueItemId, UserId, TokenId, JobId, ReportId, StoryId);

/// One item a feed or sitemap listed: where the article is, plus what the listing said about it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Listing {
    pub url: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// What `extract` produced from one HTML page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extracted {
    pub title: String,
    pub text: String,
    pub published_at: Option<DateTime<Utc>>,
    pub canonical_url: Option<String>,
    /// `<html lang>`, `content-language` and similar declarations.
    pub lang_hint: Option<String>,
}

/// Why an article carries a topic or locality: the words that matched, and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub id: String,
    pub matched: Vec<String>,
    pub in_title: bool,
    /// For a topic the article is about: its score against the threshold, and where it matched.
    /// `None` for localities, mentions and tags stored before scores were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// A place named only in passing (once, outside the title and lead, or in a list of
    /// provinces): searchable and shown, but not counted by reports, rules and alerts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub passing: bool,
}

impl Tag {
    pub fn new(id: impl Into<String>, matched: Vec<String>, in_title: bool) -> Tag {
        Tag { id: id.into(), matched, in_title, evidence: None, passing: false }
    }
}

/// How strongly an article is about a topic (`analyze::aboutness`): the score it reached, the
/// score it needed, and the parts of the article that matched (paragraphs numbered from 1; the
/// first one is the lead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub score: f64,
    pub needed: f64,
    pub title: bool,
    pub paragraphs: Vec<u32>,
    pub of_paragraphs: u32,
}

/// What `analyze` concluded about an article's text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Analysis {
    pub lang: String,
    /// Topics the article is about: facets, `topic:`, reports, rules, alerts and priority.
    pub topics: Vec<Tag>,
    /// Topics whose words occur without the article being about them: `mentions:` only.
    pub mentions: Vec<Tag>,
    pub localities: Vec<Tag>,
}

/// An article ready to be stored: extracted, analysed, with its identity settled.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArticle {
    pub url: String,
    pub canonical_url: String,
    pub source_id: SourceId,
    pub title: String,
    pub text: String,
    pub lang: String,
    pub published_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
    pub content_hash: String,
    pub analysis: Analysis,
}

/// Where and when an article was found: its URLs, its source and the fetch time.
#[derive(Debug, Clone)]
pub struct Found {
    pub url: String,
    pub canonical_url: String,
    pub source_id: SourceId,
    pub fetched_at: DateTime<Utc>,
}

impl NewArticle {
    /// An analysed article as it will be stored: its fingerprint comes from its text and its
    /// language from the analysis. The crawler (pages and listings) and the benches build it so.
    pub fn analysed(found: Found, title: String, text: String, published_at: Option<DateTime<Utc>>, analysis: Analysis) -> NewArticle {
        NewArticle {
            url: found.url,
            canonical_url: found.canonical_url,
            source_id: found.source_id,
            content_hash: content_hash(&text),
            title,
            text,
            lang: analysis.lang.clone(),
            published_at,
            fetched_at: found.fetched_at,
            analysis,
        }
    }
}

/// The fingerprint of an article's text: the same text on the same outlet is the same article.
pub fn content_hash(text: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// A title as a Vietnamese reader needs it: "original (gloss)" when a foreign title has a
/// colleague's Vietnamese gloss (`Article::title_vi`), else the title itself.
pub fn glossed_title(title: String, gloss: Option<&str>) -> String {
    match gloss {
        Some(g) if !title.is_empty() => format!("{title} ({g})"),
        _ => title,
    }
}

/// A stored article as read back from the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    pub id: ArticleId,
    pub url: String,
    pub canonical_url: String,
    pub source: SourceId,
    pub origin: Option<Origin>,
    pub title: String,
    /// A colleague's Vietnamese rendering of a foreign title (`Store::set_title_gloss`).
    pub title_vi: Option<String>,
    pub text: String,
    pub lang: String,
    pub published_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
    pub topics: Vec<Tag>,
    pub mentions: Vec<Tag>,
    pub localities: Vec<Tag>,
    pub story_id: Option<i64>,
}

/// How a fetch or parse failed, as counted per source and shown in source health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    Dns,
    Connect,
    Timeout,
    Tls,
    HttpClient,
    HttpServer,
    RateLimited,
    TooLarge,
    Redirects,
    RobotsDisallowed,
    Blocked,
    NotAFeed,
    Malformed,
    Other,
}

impl FailureClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Dns => "dns",
            FailureClass::Connect => "connect",
            FailureClass::Timeout => "timeout",
            FailureClass::Tls => "tls",
            FailureClass::HttpClient => "http_4xx",
            FailureClass::HttpServer => "http_5xx",
            FailureClass::RateLimited => "rate_limited",
            FailureClass::TooLarge => "too_large",
            FailureClass::Redirects => "redirects",
            FailureClass::RobotsDisallowed => "robots_disallowed",
            FailureClass::Blocked => "blocked",
            FailureClass::NotAFeed => "not_a_feed",
            FailureClass::Malformed => "malformed",
            FailureClass::Other => "other",
        }
    }
    /// Failures worth trying again later: the same request may well succeed.
    pub fn is_transient(self) -> bool {
        self.is_host_level() || matches!(self, FailureClass::HttpServer | FailureClass::RateLimited)
    }
    /// Failures that mean the host itself is unwell: after a few, skip its other URLs this pass.
    pub fn is_host_level(self) -> bool {
        matches!(self, FailureClass::Dns | FailureClass::Connect | FailureClass::Timeout | FailureClass::Tls)
    }
    pub const ALL: [FailureClass; 14] = [
        FailureClass::Dns,
        FailureClass::Connect,
        FailureClass::Timeout,
        FailureClass::Tls,
        FailureClass::HttpClient,
        FailureClass::HttpServer,
        FailureClass::RateLimited,
        FailureClass::TooLarge,
        FailureClass::Redirects,
        FailureClass::RobotsDisallowed,
        FailureClass::Blocked,
        FailureClass::NotAFeed,
        FailureClass::Malformed,
        FailureClass::Other,
    ];
    /// The stored code (`as_str`) read back.
    pub fn parse(s: &str) -> Option<FailureClass> {
        FailureClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// What went wrong and its likely cause, for a press office (Vietnamese, English): the one
    /// wording the Sources page, the banner and the report's section V share.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            FailureClass::Dns => ("không phân giải được tên miền (sai địa chỉ hoặc mất mạng)", "the domain name does not resolve (wrong address or no network)"),
            FailureClass::Connect => ("mất kết nối tới máy chủ", "cannot connect to the server"),
            FailureClass::Timeout => ("quá thời gian chờ", "timed out"),
            FailureClass::Tls => ("lỗi chứng chỉ bảo mật (TLS)", "TLS certificate error"),
            FailureClass::HttpClient => ("trang không tồn tại hoặc bị từ chối (lỗi 4xx, như 404)", "page missing or refused (4xx, such as 404)"),
            FailureClass::HttpServer => ("máy chủ nguồn bị lỗi (lỗi 5xx)", "the source's server failed (5xx)"),
            FailureClass::RateLimited => ("nguồn yêu cầu giảm tần suất truy cập (429)", "the source asks for fewer requests (429)"),
            FailureClass::TooLarge => ("nội dung quá lớn", "response too large"),
            FailureClass::Redirects => ("chuyển hướng quá nhiều lần", "too many redirects"),
            FailureClass::RobotsDisallowed => ("bị robots.txt chặn", "blocked by robots.txt"),
            FailureClass::Blocked => ("địa chỉ bị chặn theo cấu hình an toàn", "address blocked by the safety rules"),
            FailureClass::NotAFeed => ("địa chỉ không phải nguồn tin RSS/Atom", "not an RSS/Atom feed"),
            FailureClass::Malformed => ("nguồn tin bị lỗi định dạng", "malformed feed"),
            FailureClass::Other => ("lỗi khác", "other error"),
        }
    }
}

/// What a user may do; checked in one place for every route (`web::access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Analyst,
    Triage,
    Leader,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Triage, Role::Leader];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Triage => "triage",
            Role::Leader => "leader",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The person's full name and unit, shown in history and the audit log when set.
    pub full_name: Option<String>,
    pub unit: Option<String>,
}

impl User {
    /// How people read who did something: "Nguyễn Văn A (Phòng Thông tin)", or the login name.
    pub fn display(&self) -> String {
        match (&self.full_name, &self.unit) {
            (Some(n), Some(u)) => format!("{n} ({u})"),
            (Some(n), None) => n.clone(),
            (None, Some(u)) => format!("{} ({u})", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// Where a queue item stands. `new → in_review → assigned → responded → closed`, `dismissed` from any
/// open state, and reopening from `closed` or `dismissed` (see `triage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    New,
    InReview,
    Assigned,
    Responded,
    Closed,
    Dismissed,
}

impl QueueState {
    pub const ALL: [QueueState; 6] =
        [QueueState::New, QueueState::InReview, QueueState::Assigned, QueueState::Responded, QueueState::Closed, QueueState::Dismissed];
    pub fn as_str(self) -> &'static str {
        match self {
            QueueState::New => "new",
            QueueState::InReview => "in_review",
            QueueState::Assigned => "assigned",
            QueueState::Responded => "responded",
            QueueState::Closed => "closed",
            QueueState::Dismissed => "dismissed",
        }
    }
    pub fn parse(s: &str) -> Option<QueueState> {
        QueueState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn is_open(self) -> bool {
        !matches!(self, QueueState::Closed | QueueState::Dismissed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// An item of the review queue: an article (or, later, a story) that may need an official answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueItem {
    pub id: i64,
    pub article_id: Option<ArticleId>,
    pub story_id: Option<i64>,
    pub state: QueueState,
    pub reason: String,
    pub priority: Priority,
    pub agency_id: Option<String>,
    pub assignee_id: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
    pub response_url: Option<String>,
    pub response_text: Option<String>,
    pub created_by: Option<i64>,
    /// The auto-flag rule that opened the item; None when a person did.
    pub rule_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Grows with every change; an update names the version it saw.
    pub version: i64,
}

impl QueueItem {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state.is_open() && self.due_at.is_some_and(|d| d < now)
    }
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    /// What changed: `{"field": [before, after], ...}` or the created record.
    pub detail: serde_json::Value,
    pub reason: Option<String>,
}

/// How a report is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Html,
    Docx,
    Md,
    Json,
}

impl ReportFormat {
    pub fn parse(s: &str) -> Option<ReportFormat> {
        Some(match s.to_ascii_lowercase().as_str() {
            "html" => ReportFormat::Html,
            "docx" => ReportFormat::Docx,
            "md" | "markdown" => ReportFormat::Md,
            "json" => ReportFormat::Json,
            _ => return None,
        })
    }
    pub fn ext(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Docx => "docx",
            ReportFormat::Md => "md",
            ReportFormat::Json => "json",
        }
    }
    pub fn mime(self) -> &'static str {
        match self {
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ReportFormat::Md => "text/markdown; charset=utf-8",
            ReportFormat::Json => "application/json",
        }
    }
}


/// A response as it will be kept.
#[derive(Debug, Clone)]
pub struct NewCapture {
    pub url: String,
    pub fetched_at: DateTime<Utc>,
    pub status: u16,
    /// "Name: value" lines, as received.
    pub headers: String,
    pub body_gz: Vec<u8>,
    pub body_len: i64,
    /// "sha1:" + base32, the form WARC's payload digest takes.
    pub body_sha1: String,
}

/// A kept response, read back.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Capture {
    pub id: i64,
    pub article_id: i64,
    pub url: String,
    pub fetched_at: DateTime<Utc>,
    pub status: u16,
    pub headers: String,
    #[serde(skip)]
    pub body_gz: Vec<u8>,
    pub body_len: i64,
    pub body_sha1: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gloss_follows_its_title_and_never_stands_alone() {
        assert_eq!(glossed_title("Boats held".into(), Some("Tàu bị giữ")), "Boats held (Tàu bị giữ)");
        assert_eq!(glossed_title("Boats held".into(), None), "Boats held");
        // reports leave titles empty where no story needs them: the gloss stays out too
        assert_eq!(glossed_title(String::new(), Some("Tàu bị giữ")), "");
    }
}
