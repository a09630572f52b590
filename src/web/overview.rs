//! "Tổng quan": the page leaders land on, its JSON, and the morning digest mail that carries the
//! same content. The figures are `report::overview`'s; this turns them into the page's words and
//! charts (server-rendered SVG, as in the report) in the reader's language.

use super::auth::Principal;
use super::error::{ApiError, PageError};
use crate::i18n::{t, Lang};
use super::AppState;
use crate::config::Config;
use crate::report::overview::Overview;
use crate::report::{chart, Count};
use crate::store::Store;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one computed overview serves every reader: a week's figures over a large database take
/// a second or two, and a leader reloading the page does not need them fresher than this.
const FRESH_FOR: Duration = Duration::from_secs(60);

/// The last overview computed, and when.
#[derive(Default)]
pub struct Cache(std::sync::Mutex<Option<(Instant, Arc<Overview>)>>);

async fn current(st: &AppState) -> Result<Arc<Overview>, crate::report::ReportError> {
    if let Ok(c) = st.overview.0.lock() {
        if let Some((_, o)) = c.as_ref().filter(|(at, _)| at.elapsed() < FRESH_FOR) {
            return Ok(o.clone());
        }
    }
    let o = Arc::new(crate::report::overview::overview(&st.store, &st.cfg, Utc::now()).await?);
    if let Ok(mut c) = st.overview.0.lock() {
        *c = Some((Instant::now(), o.clone()));
    }
    Ok(o)
}

pub async fn page(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> Result<Response, PageError> {
    let lang = super::pages::lang_of(&headers);
    let o = current(&st).await.map_err(super::error::Fail::from)?;
    let alarm = crate::app::health_alarm(&st).await?;
    let ctx = context(&st.cfg, &o, alarm.as_ref(), lang, "");
    let body = super::pages::render(&st, "overview.html", lang, Some(&p), "/overview", "overview", json!({ "ov": ctx, "base": "" }))?;
    Ok((StatusCode::OK, Html(body)).into_response())
}

pub async fn api(State(st): State<AppState>) -> Result<Response, ApiError> {
    let o = current(&st).await.map_err(super::error::Fail::from)?;
    Ok(Json(&*o).into_response())
}

/// The morning digest: once a day, from `report.digest_hour` (Vietnam time), the overview mailed
/// to `report.email_to` when SMTP is set and something has been crawled. The day it went out is
/// kept in the database, so a restart does not send it twice; a failed send is tried again on
/// the scheduler's next turn. Returns whether a mail went out.
pub async fn digest_if_due(cfg: &Config, store: &Store, now: DateTime<Utc>) -> Result<bool, crate::report::ReportError> {
    use chrono::Timelike;
    let (Some(hour), Some(smtp)) = (cfg.report.digest_hour, &cfg.smtp) else { return Ok(false) };
    let local = now.with_timezone(&crate::time::ZONE);
    if cfg.report.email_to.is_empty() || local.hour() < hour {
        return Ok(false);
    }
    let today = local.date_naive().to_string();
    if store.meta(DIGEST_SENT).await?.as_deref() == Some(today.as_str()) || store.first_crawl_at().await?.is_none() {
        return Ok(false);
    }
    let msg = digest_message(cfg, store, &smtp.from, now).await?;
    crate::mail::send(smtp, msg).await.map_err(crate::report::ReportError::from)?;
    store.set_meta(DIGEST_SENT, &today).await?;
    Ok(true)
}

/// The meta key holding the local date of the last digest sent.
const DIGEST_SENT: &str = "digest_sent_on";

/// The digest as a mail: the overview page as HTML with its charts attached inline as PNG (mail
/// programs drop inline SVG), and a plain-text part pointing to the page.
pub async fn digest_message(cfg: &Config, store: &Store, from: &str, now: DateTime<Utc>) -> Result<lettre::Message, crate::report::ReportError> {
    use lettre::message::{header::ContentType, Attachment, MultiPart, SinglePart};
    let err = |e: &dyn std::fmt::Display| crate::report::ReportError::Mail(e.to_string());
    let o = crate::report::overview::overview(store, cfg, now).await?;
    let alarm = crate::app::health_alarm_of(cfg, store).await?;
    let base = cfg.server.public_url.trim_end_matches('/');
    let ctx = context(cfg, &o, alarm.as_ref(), Lang::Vi, base);
    let subject = format!("{}: {} ({})", t(Lang::Vi, "overview.title"), cfg.report.organization, crate::time::local_date(now).format("%d/%m/%Y"));
    let html = super::templates()
        .get_template("overview_mail.html")
        .and_then(|tpl| tpl.render(json!({"lang": "vi", "ov": ctx, "title": subject, "base": base})))
        .map_err(|e| crate::report::ReportError::Render { format: "digest", message: format!("{e:#}") })?;
    let mut images: Vec<(String, &str)> = Vec::new();
    for (i, svg) in ctx["charts"].as_array().into_iter().flatten().enumerate() {
        images.push((format!("chart{i}"), svg.as_str().unwrap_or_default()));
    }
    if let Some(svg) = ctx["agency_chart"].as_str() {
        images.push(("agencies".into(), svg));
    }
    let png = ContentType::parse("image/png").map_err(|e| err(&e))?;
    let mut related = MultiPart::related().singlepart(SinglePart::html(html));
    for (cid, svg) in images {
        // a chart that cannot be drawn leaves its frame empty, not the mail unsent
        if let Ok((bytes, _, _)) = chart::png(svg, 2.0) {
            related = related.singlepart(Attachment::new_inline(cid).body(bytes, png.clone()));
        }
    }
    let text = format!("{subject}\n\n{}: {base}/overview\n", t(Lang::Vi, "overview.open_page"));
    let b = crate::mail::addressed(from, &cfg.report.email_to, subject)?;
    b.multipart(MultiPart::alternative().singlepart(SinglePart::plain(text)).multipart(related)).map_err(|e| err(&e))
}

/// Everything the overview template shows, in `lang`; links start with `base` ("" on the site,
/// the public address in a mail).
fn context(cfg: &Config, o: &Overview, alarm: Option<&crate::app::HealthAlarm>, lang: Lang, base: &str) -> Value {
    let link = |q: &str| format!("{base}/search?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
    let topic_name = |id: &str| crate::app::topic_name(cfg, id, lang);
    let d = &o.day;
    let card = |key: &str, now: u64, prev: u64, href: Option<String>| {
        json!({"label": t(lang, key), "value": crate::report::thousands(now), "prev": crate::report::thousands(prev), "change": change(now, prev), "href": href})
    };
    let day = vec![
        card("overview.articles", d.articles, d.prev_articles, None),
        card("overview.local", d.local, d.prev_local, None),
        card("overview.sensitive", d.sensitive, d.prev_sensitive, None),
    ];
    let health = json!({
        "alarm": alarm.map(|a| super::pages::health_text(a, lang)),
        "issues": o.week.iter().flat_map(|w| &w.source_health).map(|s| json!({
            "name": s.name,
            "problem": match (s.problem.as_str(), lang) {
                ("silent", _) => t(lang, "overview.silent").to_string(),
                (_, Lang::Vi) => format!("{}: {}", t(lang, "overview.failing"), s.detail),
                _ => t(lang, "overview.failing").to_string(),
            },
        })).collect::<Vec<_>>(),
    });
    let Some(w) = &o.week else {
        return json!({"has_data": false, "generated_at": o.generated_at, "day": day, "health": health});
    };
    let week_card = |key: &str, c: &Count, local: bool| {
        let (now, prev, q) = if local { (c.local, c.prev_local, &c.local_query) } else { (c.all, c.prev_all, &c.query) };
        card(key, now, prev, Some(link(q)))
    };
    let q = &w.queue;
    let week = vec![
        week_card("overview.articles", &w.totals.articles, false),
        week_card("overview.local", &w.totals.articles, true),
        json!({"label": t(lang, "overview.open"), "value": crate::report::thousands(q.open), "href": format!("{base}/queue")}),
        json!({"label": t(lang, "overview.overdue"), "value": crate::report::thousands(q.overdue), "href": format!("{base}/queue?overdue=1"), "alert": q.overdue > 0}),
    ];
    let legend = (t(lang, "overview.legend_local"), t(lang, "overview.legend_all"));
    let sensitive: Vec<_> = w.topics.iter().filter(|s| s.sensitive).collect();
    let charts: Vec<String> = sensitive
        .iter()
        .map(|s| {
            let marked: Vec<_> = s.spikes.iter().map(|x| x.day).collect();
            let title = format!("{} · {}", topic_name(&s.id), crate::report::thousands(s.count.all));
            chart::daily_pair(&title, &w.days, (&s.daily, &s.local_daily), &marked, (300, 150), legend)
        })
        .collect();
    let spikes: Vec<Value> = sensitive
        .iter()
        .flat_map(|s| {
            s.spikes.iter().map(|x| json!({"topic": topic_name(&s.id), "day": x.day.format("%d/%m").to_string(), "articles": x.articles, "href": link(&x.query)}))
        })
        .collect();
    let stories: Vec<Value> = o
        .stories
        .iter()
        .map(|s| {
            json!({"title": s.title, "href": format!("{base}/articles/{}", s.article_id), "outlets": s.outlets.len(), "articles": s.articles,
                   "first_source": s.first_source, "first_at": s.first_at, "local": s.local})
        })
        .collect();
    let agencies: Vec<(String, u64, u64)> = q.by_agency.iter().filter(|a| a.open > 0).map(|a| (a.name.clone(), a.open, a.overdue)).collect();
    let agency_chart = (!agencies.is_empty()).then(|| chart::hbars_with(&agencies, 420, (t(lang, "overview.agency_open"), t(lang, "overview.agency_overdue"))));
    let urgent: Vec<Value> = q
        .urgent_open
        .iter()
        .map(|r| json!({"title": r.title, "href": format!("{base}/queue/{}", r.id), "priority": r.priority, "overdue": r.overdue, "due_at": r.due_at}))
        .collect();
    json!({
        "has_data": true,
        "generated_at": o.generated_at,
        "from": w.period.from.format("%d/%m/%Y").to_string(),
        "to": w.period.to.format("%d/%m/%Y").to_string(),
        "day": day,
        "week": week,
        "charts": charts,
        "spikes": spikes,
        "stories": stories,
        "agency_chart": agency_chart,
        "urgent": urgent,
        "health": health,
    })
}

/// `+12 %`, `−3 %`, or nothing when there was nothing to compare with.
fn change(now: u64, prev: u64) -> String {
    match Count::change(now, prev) {
        Some(p) if p >= 0.5 => format!("+{p:.0} %"),
        Some(p) if p <= -0.5 => format!("−{:.0} %", -p),
        Some(_) => "±0 %".into(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_mail_carries_pictures_where_the_page_carries_svg() {
        let ov = serde_json::json!({"has_data": true, "day": [], "week": [], "charts": ["<svg id=\"c0\"></svg>"], "spikes": [], "stories": [],
            "urgent": [], "agency_chart": "<svg id=\"ag\"></svg>", "health": {"alarm": null, "issues": []}, "generated_at": "2026-12-07T00:00:00Z"});
        let env = super::super::templates();
        let mail = env.get_template("overview_mail.html").and_then(|t| t.render(serde_json::json!({"lang": "vi", "ov": ov, "title": "T", "base": "https://pw.example"}))).expect("mail");
        assert!(mail.contains("src=\"cid:chart0\"") && mail.contains("src=\"cid:agencies\"") && !mail.contains("<svg"), "{mail}");
        assert!(mail.replace("&#x2f;", "/").contains("href=\"https://pw.example/queue\""), "links are absolute in a mail: {mail}");
        let page = env.get_template("overview_body.html").and_then(|t| t.render(serde_json::json!({"lang": "vi", "ov": ov, "base": ""}))).expect("page");
        assert!(page.contains("<svg id=\"c0\">") && !page.contains("cid:"), "{page}");
    }

    #[test]
    fn change_is_signed_and_empty_without_a_base() {
        assert_eq!(super::change(12, 10), "+20 %");
        assert_eq!(super::change(5, 10), "−50 %");
        assert_eq!(super::change(10, 10), "±0 %");
        assert_eq!(super::change(3, 0), "");
    }
}
