//! The leadership report. `build` computes every figure for a period from the database (a pure
//! function of the database, the period and the clock); the `Report` it returns is what the JSON
//! format prints and what is kept in the database; `html`, `docx` and `markdown` render it. Every
//! count carries the search query that reproduces it.

pub mod chart;
pub mod deliver;
mod docx;
mod figures;
mod html;
mod layout;
mod markdown;
pub mod overview;
pub mod period;

pub use figures::{build, is_spike};
pub use layout::thousands;
pub use period::{Period, PeriodError};
/// The report formats live with the domain types, since the configuration names them too.
pub use crate::model::ReportFormat as Format;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Period(#[from] PeriodError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("rendering the {format} report: {message}")]
    Render { format: &'static str, message: String },
    #[error("kept report is unreadable: {0}")]
    Body(#[from] serde_json::Error),
    #[error("e-mail: {0}")]
    Mail(String),
    #[error("e-mail: {0}")]
    Mailer(#[from] crate::mail::MailError),
    /// A period with nothing in it that ends before the first crawl: zeros there would read as
    /// a quiet week, not as "not watching yet".
    #[error("chưa có dữ liệu cho kỳ {period} / no data for {period}: {}", match first { Some(d) => format!("lần thu thập đầu tiên là ngày {} / the first crawl was on that day", d.format("%d/%m/%Y")), None => "chưa thu thập lần nào / nothing has been crawled yet".into() })]
    BeforeData { period: String, first: Option<chrono::NaiveDate> },
}

/// Renders a report in one format.
pub fn render(r: &Report, format: Format) -> Result<Vec<u8>, ReportError> {
    match format {
        Format::Json => Ok(serde_json::to_vec_pretty(r)?),
        Format::Md => Ok(markdown::render(r).into_bytes()),
        Format::Html => html::render(r).map(String::into_bytes),
        Format::Docx => docx::render(r),
    }
}

/// File name for a report download: `presswatch-2026-W47.docx`.
pub fn file_name(r: &Report, format: Format) -> String {
    format!("presswatch-{}.{}", r.period.label.replace("..", "_"), format.ext())
}

/// Version of the JSON layout; bumped when a field changes meaning.
pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema: u32,
    pub generated_at: DateTime<Utc>,
    /// Who or what issues it: the heading block of the document.
    pub header: Header,
    pub period: PeriodInfo,
    pub previous: PeriodInfo,
    /// Where the links point: the web UI's search page.
    pub search_url: String,
    /// The days of the period, for every `daily` series.
    pub days: Vec<NaiveDate>,
    pub totals: Totals,
    pub daily: Vec<u64>,
    pub by_origin: Vec<Row>,
    pub by_lang: Vec<Row>,
    pub by_locality: Vec<Row>,
    pub topics: Vec<TopicSection>,
    pub top_sources: Vec<Row>,
    /// Sources whose first article about a configured locality falls in the period.
    pub new_sources: Vec<Row>,
    pub queue: QueueSection,
    pub source_health: Vec<SourceIssue>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub parent_organization: Option<String>,
    pub organization: String,
    pub place: String,
    /// Title of whoever signs it, above the signature.
    pub signer: String,
    pub localities: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PeriodInfo {
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A count over all articles of the period and over those about a configured locality, with the same
/// counts for the previous period and the searches that reproduce them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Count {
    pub all: u64,
    pub local: u64,
    pub prev_all: u64,
    pub prev_local: u64,
    pub query: String,
    pub local_query: String,
}

impl Count {
    /// Change against the previous period in percent; None when there was nothing to compare with.
    pub fn change(now: u64, prev: u64) -> Option<f64> {
        (prev > 0).then(|| (now as f64 - prev as f64) * 100.0 / prev as f64)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    /// Every article stored for the period: what `export --since/--until` lists.
    pub articles: Count,
    pub sources: u64,
    pub languages: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub count: Count,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopicSection {
    pub id: String,
    pub name: String,
    pub sensitive: bool,
    #[serde(flatten)]
    pub count: Count,
    pub daily: Vec<u64>,
    /// The same days, counting only articles about the report's own localities (absent from
    /// reports kept before it was added).
    #[serde(default)]
    pub local_daily: Vec<u64>,
    /// Mean articles per day over the four weeks before the period.
    pub baseline: f64,
    pub spikes: Vec<Spike>,
    pub stories: Vec<Story>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Spike {
    pub day: NaiveDate,
    pub articles: u64,
    pub query: String,
}

/// Articles of one story (the same story id, or until stories are clustered, the same title).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Story {
    pub title: String,
    pub url: String,
    pub article_id: i64,
    pub articles: u64,
    pub first_source: String,
    pub first_at: DateTime<Utc>,
    pub outlets: Vec<String>,
    pub local: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct QueueSection {
    /// Opened during the period.
    pub flagged: u64,
    pub responded: u64,
    pub closed: u64,
    pub dismissed: u64,
    /// At the time the report was generated.
    pub open: u64,
    pub overdue: u64,
    /// Hours from opening to the first response, over items responded during the period.
    pub median_hours_to_response: Option<f64>,
    pub by_agency: Vec<AgencyRow>,
    /// Open items of urgent or high priority (the name is the JSON schema's).
    pub urgent_open: Vec<QueueRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AgencyRow {
    pub id: String,
    pub name: String,
    pub flagged: u64,
    pub responded: u64,
    pub open: u64,
    pub overdue: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QueueRef {
    pub id: i64,
    pub title: String,
    pub priority: String,
    pub state: String,
    pub agency: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceIssue {
    pub id: String,
    pub name: String,
    /// `failing` (fetches failed during the period) or `silent` (published before, nothing this period).
    pub problem: String,
    pub detail: String,
    pub last_success_at: Option<DateTime<Utc>>,
}

/// Vietnamese names of what reports show.
pub(crate) fn origin_name(id: &str) -> &'static str {
    match id {
        "domestic" => "Trong nước",
        "overseas" => "Người Việt ở nước ngoài",
        "foreign" => "Nước ngoài",
        _ => "Không rõ",
    }
}

pub(crate) fn lang_name(id: &str) -> String {
    match id {
        "vi" => "Tiếng Việt",
        "en" => "Tiếng Anh",
        "zh" => "Tiếng Trung",
        "ko" => "Tiếng Hàn",
        "ja" => "Tiếng Nhật",
        "lo" => "Tiếng Lào",
        "fr" => "Tiếng Pháp",
        "km" => "Tiếng Khmer",
        "th" => "Tiếng Thái",
        "ru" => "Tiếng Nga",
        "de" => "Tiếng Đức",
        other => return other.to_string(),
    }
    .to_string()
}

/// `+12%`, `−5%`, `mới` (nothing the period before), `0%`.
pub(crate) fn change_text(now: u64, prev: u64) -> String {
    match Count::change(now, prev) {
        None if now > 0 => "mới".into(),
        None => "–".into(),
        Some(p) if p.abs() < 0.5 => "0%".into(),
        Some(p) if p > 0.0 => format!("+{p:.0}%"),
        Some(p) => format!("−{:.0}%", -p),
    }
}

/// `01/12/2026`.
pub(crate) fn vn_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

pub(crate) fn vn_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::time::ZONE).format("%H:%M %d/%m/%Y").to_string()
}

/// The link for a figure: the search page with the query filled in.
pub(crate) fn search_link(r: &Report, query: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    format!("{}?q={q}", r.search_url)
}

pub(crate) fn period_text(p: &PeriodInfo) -> String {
    if p.label.contains('W') {
        let week = p.label.rsplit('W').next().unwrap_or("");
        format!("tuần {week} (từ {} đến {})", vn_date(p.from), vn_date(p.to))
    } else {
        format!("từ {} đến {}", vn_date(p.from), vn_date(p.to))
    }
}

pub(crate) fn queue_state_name(s: &str) -> &'static str {
    match s {
        "new" => "Mới",
        "in_review" => "Đang xem xét",
        "assigned" => "Đã giao",
        "responded" => "Đã phản hồi",
        "closed" => "Đã đóng",
        "dismissed" => "Bỏ qua",
        _ => "?",
    }
}

/// Builds the report for a period and keeps it; `by` is a user name or `schedule`.
pub async fn generate(
    store: &crate::store::Store,
    cfg: &crate::config::Config,
    period: Period,
    now: DateTime<Utc>,
    by: &str,
) -> Result<(i64, Report), ReportError> {
    let r = build(store, cfg, period, now).await?;
    let body = serde_json::to_string(&r)?;
    let id = store.save_report(&r.period.label, &r.period.from.to_string(), &r.period.to.to_string(), by, &body, now).await?;
    Ok((id, r))
}

/// A kept report, read back.
pub async fn kept(store: &crate::store::Store, id: i64) -> Result<Option<(crate::store::ReportInfo, Report)>, ReportError> {
    match store.report(id).await? {
        None => Ok(None),
        Some((info, body)) => Ok(Some((info, serde_json::from_str(&body)?))),
    }
}

/// Sends a kept report to the configured recipients and records the outcome on it. Does nothing
/// (Ok(false)) when no recipient or no SMTP server is configured.
pub async fn email(
    store: &crate::store::Store,
    cfg: &crate::config::Config,
    id: i64,
    r: &Report,
    now: DateTime<Utc>,
) -> Result<bool, ReportError> {
    let Some(smtp) = &cfg.smtp else { return Ok(false) };
    if cfg.report.email_to.is_empty() {
        return Ok(false);
    }
    let sent = match deliver::message(r, &smtp.from, &cfg.report.email_to, &cfg.report.attach) {
        Ok(msg) => crate::mail::send(smtp, msg).await.map_err(ReportError::from),
        Err(e) => Err(e),
    };
    let error = sent.as_ref().err().map(|e| e.to_string());
    store.record_report_email(id, error.as_deref(), now).await?;
    sent.map(|_| true)
}

/// When this week's scheduled report is due: the configured weekday and hour, Vietnam time.
pub fn due_this_week(schedule: (chrono::Weekday, u32), now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    let today = now.with_timezone(&crate::time::ZONE).date_naive();
    let monday = today - chrono::Duration::days(today.weekday().num_days_from_monday() as i64);
    let day = monday + chrono::Duration::days(schedule.0.num_days_from_monday() as i64);
    let local = day.and_hms_opt(schedule.1, 0, 0).unwrap_or_default();
    crate::time::ZONE.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or(now)
}

/// The scheduler's step: once this week's due time has passed, writes (and mails) last week's report
/// unless it already exists. Returns the id written, if any. A restart after the due time catches up.
pub async fn scheduled(store: &crate::store::Store, cfg: &crate::config::Config, now: DateTime<Utc>) -> Result<Option<i64>, ReportError> {
    let Some(schedule) = cfg.report.schedule else { return Ok(None) };
    if now < due_this_week(schedule, now) {
        return Ok(None);
    }
    let period = Period::last_full_week(now);
    if store.scheduled_report_exists(&period.label()).await? {
        return Ok(None);
    }
    // the week before the install is not reported (it would be all zeros, every source "fine")
    match store.first_crawl_at().await? {
        Some(first) if first < period.end() => {}
        _ => return Ok(None),
    }
    let (id, r) = generate(store, cfg, period, now, "schedule").await?;
    if let Err(e) = email(store, cfg, id, &r, now).await {
        tracing::error!(report = id, "weekly report e-mail failed: {e}");
    }
    Ok(Some(id))
}
