//! The HTML pages: each handler turns a request into an `app` call and renders a template.
//! Forms post back here; after a successful change the browser is redirected (POST/redirect/GET).

use super::auth::{self, Principal};
use super::error::{Fail, PageError};
use crate::i18n::{t, Lang};
use crate::app::{self, SearchParams};
use super::{reports, AppState};
use crate::model::{ArticleId, Priority, QueueState, Role};
use crate::store::{AuditFilter, QueueFilter};
use crate::triage::Action;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

type PageResult = Result<Response, PageError>;

pub(super) fn lang_of(h: &HeaderMap) -> Lang {
    Lang::from_code(auth::read_cookie(h, auth::LANG_COOKIE).as_deref())
}

/// Only a path on this site: `next=` and `back=` must not send anyone elsewhere.
fn local_path(p: Option<&str>) -> String {
    match p {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        // the landing page, which sends each role to where it starts
        _ => "/".to_string(),
    }
}

fn here(uri: &axum::http::Uri) -> String {
    uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into())
}

/// Renders `name` with the fields every page has (language, user, CSRF token, current path).
pub(super) fn render(st: &AppState, name: &str, lang: Lang, p: Option<&Principal>, here: &str, section: &str, extra: Value) -> Result<String, Fail> {
    let mut ctx = serde_json::Map::new();
    ctx.insert("lang".into(), json!(lang.code()));
    ctx.insert("here".into(), json!(here));
    ctx.insert("section".into(), json!(section));
    if let Some(p) = p {
        ctx.insert("user".into(), json!({"id": p.user.id, "name": p.user.name, "role": p.user.role}));
        ctx.insert("csrf".into(), json!(p.csrf.clone().unwrap_or_default()));
    }
    if let Value::Object(m) = extra {
        ctx.extend(m);
    }
    let tpl = st.templates.get_template(name).map_err(|e| Fail::Internal(e.to_string()))?;
    tpl.render(Value::Object(ctx)).map_err(|e| Fail::Internal(format!("template {name}: {e:#}")))
}

/// The source-health banner, in the page's language, when enabled sources are failing: every user
/// sees it (an empty landing page otherwise looks like a quiet day), admins with the way to fix it.
async fn health_banner(st: &AppState, lang: Lang, p: &Principal) -> Result<Value, Fail> {
    let Some(a) = app::health_alarm(st).await? else { return Ok(Value::Null) };
    Ok(json!({"text": health_text(&a, lang), "admin": p.user.role == crate::model::Role::Admin}))
}

/// How many sources fail, since when and why, in one sentence.
pub(super) fn health_text(a: &app::HealthAlarm, lang: Lang) -> String {
    let vi = lang == Lang::Vi;
    let causes = a
        .causes
        .iter()
        .map(|(c, n)| {
            let (v, e) = c.describe();
            if vi { format!("{n} nguồn {v}") } else { format!("{n} × {e}") }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let when = |t: chrono::DateTime<Utc>| t.with_timezone(&crate::time::ZONE).format("%d/%m/%Y %H:%M").to_string();
    let since = match (a.since, vi) {
        (Some(None), true) => ", có nguồn chưa lần nào thu thập được".to_string(),
        (Some(None), false) => ", some never fetched successfully".to_string(),
        (Some(Some(t)), true) => format!(", từ {}", when(t)),
        (Some(Some(t)), false) => format!(", since {}", when(t)),
        (None, _) => String::new(),
    };
    if vi {
        format!("{}/{} nguồn tin đang lỗi{since}. Nguyên nhân: {causes}.", a.failing, a.enabled)
    } else {
        format!("{} of {} sources are failing{since}. Causes: {causes}.", a.failing, a.enabled)
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The landing page: leaders see the overview first, everyone else the day's search.
pub async fn home(Extension(p): Extension<Principal>) -> Response {
    see_other(if p.user.role == crate::model::Role::Leader { "/overview" } else { "/search" })
}

// ---- login ----

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> PageResult {
    let lang = lang_of(&headers);
    let body = render(&st, "login.html", lang, None, "/login", "login", json!({"next": local_path(q.next.as_deref()), "name": ""}))?;
    Ok(html(StatusCode::OK, body))
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let lang = lang_of(&headers);
    let name = f.name.trim().to_string();
    // per name *and* address: failures elsewhere never lock the owner out
    let user_key = format!("u:{name}@{}", addr.ip());
    let ip_key = format!("ip:{}", addr.ip());
    if let Some(wait) = st.limiter.blocked(&[&user_key]).or_else(|| st.ip_limiter.blocked(&[&ip_key])) {
        return Err(Fail::RateLimited(wait).into());
    }
    let found = st.store.password_hash(&name).await?;
    let password = f.password.clone();
    let ok_user = tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) if auth::verify_password(&password, &hash) && !user.disabled => Some(user),
        Some(_) => None,
        None => {
            auth::verify_dummy(&password);
            None
        }
    })
    .await
    .map_err(|e| Fail::Internal(e.to_string()))?;
    let Some(user) = ok_user else {
        st.limiter.failed(&[&user_key]);
        st.ip_limiter.failed(&[&ip_key]);
        tracing::warn!(user = name, client = %addr.ip(), "failed login");
        let body = render(
            &st,
            "login.html",
            lang,
            None,
            "/login",
            "login",
            json!({"next": local_path(f.next.as_deref()), "name": name, "error": t(lang, "login.failed")}),
        )?;
        return Ok(html(StatusCode::UNAUTHORIZED, body));
    };
    st.limiter.succeeded(&user_key);
    let sid = auth::new_secret();
    let now = Utc::now();
    let idle = chrono::Duration::from_std(st.cfg.server.session_idle).unwrap_or(chrono::Duration::hours(8));
    st.store.create_session(&auth::digest(&sid), user.id, &auth::new_secret(), now, now + idle).await?;
    let secure = secure(&st, &headers);
    let cookie = auth::cookie(auth::SESSION_COOKIE, &sid, None, secure, true);
    let mut r = see_other(&local_path(f.next.as_deref()));
    r.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(|_| Fail::Internal("cookie".into()))?);
    Ok(r)
}

fn secure(st: &AppState, h: &HeaderMap) -> bool {
    st.cfg.server.secure_cookies || h.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

pub async fn logout(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> PageResult {
    if let Some(h) = &p.session_hash {
        st.store.delete_session(h).await?;
    }
    let cookie = auth::cookie(auth::SESSION_COOKIE, "", Some(chrono::Duration::zero()), secure(&st, &headers), true);
    let mut r = see_other("/login");
    r.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(|_| Fail::Internal("cookie".into()))?);
    Ok(r)
}

#[derive(Deserialize)]
pub struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

pub async fn set_lang(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::from_code(q.to.as_deref());
    let cookie = auth::cookie(auth::LANG_COOKIE, lang.code(), Some(chrono::Duration::days(365)), secure(&st, &headers), true);
    let mut r = see_other(&local_path(q.back.as_deref()));
    if let Ok(v) = cookie.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, ty) = match file.as_str() {
        "app.css" => (include_str!("static/app.css"), "text/css; charset=utf-8"),
        "app.js" => (include_str!("static/app.js"), "text/javascript; charset=utf-8"),
        _ => return super::error::page_error(&Fail::NotFound(format!("static file {file}"))),
    };
    ([(header::CONTENT_TYPE, ty), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

// ---- search and articles ----

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    sort: Option<String>,
    offset: Option<usize>,
}

pub async fn search(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Extension(p): Extension<Principal>,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let lang = lang_of(&headers);
    let by_date = q.sort.as_deref() == Some("date");
    let params = SearchParams { q: q.q.clone(), sort_by_date: by_date, offset: q.offset.unwrap_or(0), limit: 20 };
    let saved = st.store.saved_searches(p.user.id).await?;
    let here = here(&uri);
    let (view, error) = match app::search(&st, params, lang).await.map_err(Fail::from) {
        Ok(v) => (Some(v), None),
        Err(Fail::InvalidQuery(e)) => (None, Some(crate::i18n::query_error(lang, &e))),
        Err(e) => return Err(e.into()),
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let mut ctx = json!({"saved": saved, "can_alert": st.cfg.smtp.is_some(), "q": q.q, "sort": if by_date {"date"} else {"relevance"}, "error": error, "hits": [], "facets": [], "total": 0, "offset": 0});
    if let Some(v) = view {
        let prev = (v.offset > 0).then(|| app::search_href(&v.q, by_date, v.offset.saturating_sub(v.limit)));
        let next = (v.offset + v.hits.len() < v.total).then(|| app::search_href(&v.q, by_date, v.offset + v.limit));
        let mut m = serde_json::to_value(&v).map_err(|e| Fail::Internal(e.to_string()))?;
        m["prev_href"] = json!(prev);
        m["next_href"] = json!(next);
        m["saved"] = ctx["saved"].take();
        m["can_alert"] = ctx["can_alert"].take();
        m["error"] = Value::Null;
        // the landing view is newest first by itself; a query typed there is ranked by relevance
        if v.landing {
            m["sort"] = json!("relevance");
        }
        ctx = m;
    }
    ctx["health"] = health_banner(&st, lang, &p).await?;
    // a landing page with nothing at all says what happens next, not only "nothing today"
    if ctx["landing"] == json!(true) && ctx["hits"].as_array().is_none_or(|h| h.is_empty()) {
        ctx["nothing_stored"] = json!(st.store.count_articles().await? == 0);
        ctx["is_admin"] = json!(p.user.role == crate::model::Role::Admin);
    }
    let body = render(&st, "search.html", lang, Some(&p), &here, "search", ctx)?;
    Ok(html(status, body))
}

#[derive(Deserialize)]
pub struct SaveSearchForm {
    name: String,
    query: String,
    alert_email: Option<String>,
    alert_digest: Option<String>,
}

pub async fn save_search(State(st): State<AppState>, Extension(p): Extension<Principal>, Form(f): Form<SaveSearchForm>) -> PageResult {
    let digest = f.alert_digest.as_deref().is_some_and(|v| !v.is_empty());
    app::save_search(&st, &p.actor(), &f.name, &f.query, f.alert_email.as_deref(), digest).await?;
    Ok(see_other(&app::search_href(f.query.trim(), false, 0)))
}

pub async fn delete_search(State(st): State<AppState>, Extension(p): Extension<Principal>, Path(id): Path<i64>) -> PageResult {
    st.store.delete_saved_search(p.user.id, id).await?;
    Ok(see_other("/search"))
}

pub async fn article(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> PageResult {
    let lang = lang_of(&headers);
    let v = app::article(&st, id, lang).await?;
    let mut ctx = serde_json::to_value(&v).map_err(|e| Fail::Internal(e.to_string()))?;
    ctx["can_flag"] = json!(super::access::allows(p.user.role, "POST", "/articles/{id}/flag"));
    ctx["can_gloss"] = json!(super::access::allows(p.user.role, "POST", "/articles/{id}/gloss"));
    ctx["priorities"] = json!(Priority::ALL.map(|x| x.as_str()));
    let body = render(&st, "article.html", lang, Some(&p), &here(&uri), "search", ctx)?;
    Ok(html(StatusCode::OK, body))
}

/// The article's kept responses as a WARC file: what triage staff attach as proof.
pub async fn evidence_warc(State(st): State<AppState>, Path(id): Path<i64>) -> PageResult {
    use crate::evidence::warc::{write_selection, Selection, WarcWriter};
    let article = st.store.articles(&[ArticleId(id)]).await?.pop().ok_or_else(|| Fail::NotFound(format!("article {id}")))?;
    let name = format!("presswatch-article-{}.warc.gz", article.id.0);
    let mut w = WarcWriter::new(Vec::new(), true, &name, Utc::now()).map_err(|e| Fail::Internal(e.to_string()))?;
    write_selection(&st.store, &mut w, &Selection::Articles(vec![article.id])).await.map_err(|e| Fail::Internal(e.to_string()))?;
    let body = w.finish().map_err(|e| Fail::Internal(e.to_string()))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/warc".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct FlagForm {
    reason: String,
    priority: Option<String>,
}

pub async fn flag(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<FlagForm>,
) -> PageResult {
    let priority = parse_priority(f.priority.as_deref())?.unwrap_or(Priority::Normal);
    let item = app::flag(&st, &p.actor(), id, &f.reason, priority).await?;
    Ok(see_other(&format!("/queue/{}", item.id)))
}

#[derive(Deserialize)]
pub struct GlossForm {
    title_vi: String,
    /// Where to go back to (the queue item the form was on), if it is one of ours.
    back: Option<String>,
}

pub async fn gloss(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<GlossForm>,
) -> PageResult {
    app::gloss(&st, &p.actor(), id, Some(&f.title_vi)).await?;
    let back = f.back.filter(|b| b.strip_prefix("/queue/").is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())));
    Ok(see_other(&back.unwrap_or_else(|| format!("/articles/{id}"))))
}

fn parse_priority(s: Option<&str>) -> Result<Option<Priority>, Fail> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Priority::parse(s).map(Some).ok_or_else(|| Fail::BadRequest(format!("priority `{s}`: low, normal, high or urgent"))),
    }
}

// ---- the queue ----

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    state: Option<String>,
    priority: Option<String>,
    agency: Option<String>,
    assignee: Option<String>,
    due_before: Option<String>,
    overdue: Option<String>,
    /// `score`: by the priority score, highest first (default: overdue, then urgent, first).
    sort: Option<String>,
    offset: Option<i64>,
}

/// Most open items a queue sorted by score reads to sort (an office's queue is far smaller).
const SCORE_SORT_MAX: i64 = 2000;

/// The filter a queue listing asks for; shared by the page and the API.
pub(super) fn queue_filter(q: &QueueQuery) -> Result<QueueFilter, Fail> {
    let state = q.state.as_deref().unwrap_or("open");
    let states = match state {
        "open" | "" => QueueState::ALL.into_iter().filter(|s| s.is_open()).collect(),
        "all" => Vec::new(),
        s => vec![QueueState::parse(s).ok_or_else(|| {
            Fail::BadRequest(format!("state `{s}`: open, all, or one of new, in_review, assigned, responded, closed, dismissed"))
        })?],
    };
    let nonempty = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    Ok(QueueFilter {
        states,
        priority: parse_priority(q.priority.as_deref())?,
        agency: nonempty(&q.agency),
        assignee: match nonempty(&q.assignee) {
            Some(a) => Some(a.parse().map_err(|_| Fail::BadRequest(format!("assignee `{a}` is not a user id")))?),
            None => None,
        },
        due_before: match nonempty(&q.due_before) {
            Some(d) => app::parse_due(&d)?,
            None => None,
        },
        overdue_only: q.overdue.as_deref().is_some_and(|v| v == "1" || v == "true"),
        article: None,
        story: None,
        limit: 50,
        offset: q.offset.unwrap_or(0).max(0),
    })
}

pub async fn queue(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Extension(p): Extension<Principal>,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let lang = lang_of(&headers);
    let filter = queue_filter(&q)?;
    let now = Utc::now();
    let by_score = q.sort.as_deref() == Some("score");
    // by score: read every matching item, score, sort, then take the page
    let (rows, scores, total) = if by_score {
        let all = QueueFilter { limit: SCORE_SORT_MAX, offset: 0, ..filter.clone() };
        let (rows, total) = st.store.queue_items(&all, now).await?;
        let scores = app::row_scores(&st, &rows).await?;
        let mut both: Vec<_> = rows.into_iter().zip(scores).collect();
        both.sort_by_key(|(r, (score, _))| (std::cmp::Reverse(*score), r.item.id));
        let page: Vec<_> = both.into_iter().skip(filter.offset as usize).take(filter.limit as usize).collect();
        let (rows, scores): (Vec<_>, Vec<_>) = page.into_iter().unzip();
        (rows, scores, total)
    } else {
        let (rows, total) = st.store.queue_items(&filter, now).await?;
        let scores = app::row_scores(&st, &rows).await?;
        (rows, scores, total)
    };
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.item.article_id.as_ref().map(|a| a.0)).collect();
    let (removed, edited) = st.store.revision_marks(&ids).await?;
    let rows: Vec<Value> = rows
        .iter()
        .zip(&scores)
        .map(|(r, (score, origin))| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["score"] = json!(score);
            v["origin"] = json!(origin);
            let article = r.item.article_id.as_ref().map(|a| a.0);
            v["removed"] = json!(article.is_some_and(|a| removed.contains(&a)));
            v["edited"] = json!(article.is_some_and(|a| edited.contains(&a)));
            v
        })
        .collect();
    let counts = st.store.queue_counts(now).await?;
    let users = st.store.users().await?;
    let page_href = |offset: i64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("state", &q.state),
            ("priority", &q.priority),
            ("agency", &q.agency),
            ("assignee", &q.assignee),
            ("due_before", &q.due_before),
            ("overdue", &q.overdue),
            ("sort", &q.sort),
        ] {
            if let Some(v) = v {
                s.append_pair(k, v);
            }
        }
        s.append_pair("offset", &offset.to_string());
        format!("/queue?{}", s.finish())
    };
    let mut ctx = json!({
        "rows": rows,
        "counts": counts,
        "states": QueueState::ALL.map(|s| s.as_str()),
        "priorities": Priority::ALL.map(|x| x.as_str()),
        "agencies": st.cfg.agencies.iter().map(|a| json!({"id": a.id, "name": a.name})).collect::<Vec<_>>(),
        "agency_names": st.agency_names(),
        "users": users.iter().filter(|u| !u.disabled).map(|u| json!({"id": u.id, "name": u.name})).collect::<Vec<_>>(),
        "f": {"state": q.state.clone().unwrap_or_else(|| "open".into()), "priority": q.priority, "agency": q.agency, "assignee": q.assignee, "due_before": q.due_before, "overdue": filter.overdue_only, "sort": q.sort},
        "prev_href": (filter.offset > 0).then(|| page_href((filter.offset - 50).max(0))),
        "next_href": (filter.offset + (rows.len() as i64) < total).then(|| page_href(filter.offset + 50)),
    });
    ctx["health"] = health_banner(&st, lang, &p).await?;
    let body = render(&st, "queue.html", lang, Some(&p), &here(&uri), "queue", ctx)?;
    Ok(html(StatusCode::OK, body))
}

/// Stored codes said in the page's language: field names, states, priorities, people, agencies and
/// rules by name. The queue item's history and the audit log read through it.
struct Words<'a> {
    st: &'a AppState,
    lang: Lang,
    users: &'a [crate::model::User],
}

impl Words<'_> {
    fn field(&self, field: &str) -> String {
        crate::i18n::t_or(self.lang, &format!("field.{field}"), field)
    }
    fn rule_name(&self, id: &str) -> Option<String> {
        self.st.cfg.rules.iter().find(|r| r.id == id).map(|r| r.name.clone())
    }
    fn value(&self, field: &str, raw: &str) -> String {
        if raw == "—" {
            return raw.to_string();
        }
        let named = match field {
            "state" => Some(t(self.lang, &format!("state.{raw}")).to_string()),
            "priority" => Some(t(self.lang, &format!("priority.{raw}")).to_string()),
            "role" => Some(t(self.lang, &format!("role.{raw}")).to_string()),
            "assignee_id" | "created_by" => self.users.iter().find(|u| u.id.to_string() == raw).map(|u| u.display()),
            "agency_id" => self.st.cfg.agencies.iter().find(|a| a.id == raw).map(|a| a.name.clone()),
            "rule_id" => self.rule_name(raw),
            _ => None,
        };
        named.unwrap_or_else(|| raw.to_string())
    }
    /// An auto-flag rule acts under `rule:<id>`: say which rule, by its name.
    fn actor(&self, actor: &str) -> String {
        match actor.strip_prefix("rule:") {
            Some(rule) => format!("{} «{}»", t(self.lang, "field.rule_id"), self.rule_name(rule).unwrap_or_else(|| rule.to_string())),
            // a person by full name and unit when the admin gave them
            None => self.users.iter().find(|u| u.name == actor).map_or_else(|| actor.to_string(), |u| u.display()),
        }
    }
    /// An audit entry's detail as sentences: `{"field": [before, after]}` as "Field: before → after",
    /// other keys as "field: value".
    fn detail(&self, detail: &Value) -> Vec<String> {
        let Some(m) = detail.as_object() else { return Vec::new() };
        m.iter()
            .map(|(k, v)| match v.as_array().filter(|a| a.len() == 2) {
                Some(pair) => format!(
                    "{}: {} → {}",
                    self.field(k),
                    self.value(k, &app::show(&pair[0])),
                    self.value(k, &app::show(&pair[1]))
                ),
                None => format!("{}: {}", self.field(k), self.value(k, &app::show(v))),
            })
            .collect()
    }
}

/// Characters of the article's first paragraph a queue item shows.
const LEAD_CHARS: usize = 400;

async fn render_item(st: &AppState, headers: &HeaderMap, p: &Principal, id: i64, status: StatusCode, error: Option<String>) -> PageResult {
    let lang = lang_of(headers);
    let mut v = app::item(st, id).await?;
    // the history reads as the office speaks: field names, states and priorities in the page's
    // language, people, agencies and rules by name (the audit log keeps the codes)
    let words = Words { st, lang, users: &v.users };
    let mut history = std::mem::take(&mut v.history);
    for h in &mut history {
        h.actor = words.actor(&h.actor);
        for c in &mut h.changes {
            *c = (words.field(&c.0), words.value(&c.0, &c.1), words.value(&c.0, &c.2));
        }
    }
    v.history = history;
    let mut ctx = serde_json::to_value(&v).map_err(|e| Fail::Internal(e.to_string()))?;
    // re-check outcomes and revision notes are stored in English words: said in the page's language
    if let Some(o) = v.check.as_ref().and_then(|c| c.last_outcome.clone()) {
        let (code, why) = o.split_once(": ").map_or((o.as_str(), None), |(a, b)| (a, Some(b)));
        let said = crate::i18n::t_or(lang, &format!("check.{code}"), code);
        ctx["check_outcome"] = json!(match why {
            Some(w) => format!("{said}: {w}"),
            None => said,
        });
    }
    if let Some(revs) = ctx["revisions"].as_array_mut() {
        for r in revs {
            let Some(d) = r["detail"].as_str().map(str::to_string) else { continue };
            let said = match d.as_str() {
                "the text changed" => t(lang, "revision.text_changed").to_string(),
                "answers again, with changes" => t(lang, "revision.back_changed").to_string(),
                "answers again" => t(lang, "revision.back").to_string(),
                "the page no longer holds the article text" => t(lang, "revision.text_gone").to_string(),
                other => match other.strip_prefix("redirected to the home page ") {
                    Some(url) => format!("{} {url}", t(lang, "revision.to_home")),
                    None => other.to_string(),
                },
            };
            r["detail"] = json!(said);
        }
    }
    // what the article says and why it was tagged, without leaving the item
    if let Some(a) = &v.article {
        let first = a.text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        let lead: String = first.chars().take(LEAD_CHARS).collect();
        ctx["lead"] = json!(if first.chars().count() > LEAD_CHARS { format!("{lead}…") } else { lead });
        ctx["topics"] = json!(st.tag_views(&a.topics, true, lang));
        ctx["localities"] = json!(st.tag_views(&a.localities, false, lang));
    }
    ctx["users"] = json!(v.users.iter().filter(|u| !u.disabled).map(|u| json!({"id": u.id, "name": u.name})).collect::<Vec<_>>());
    ctx["agencies"] = json!(st.cfg.agencies.iter().map(|a| json!({"id": a.id, "name": a.name})).collect::<Vec<_>>());
    ctx["agency_names"] = json!(st.agency_names());
    ctx["priorities"] = json!(Priority::ALL.map(|x| x.as_str()));
    ctx["can_work"] = json!(super::access::allows(p.user.role, "POST", "/queue/{id}/action"));
    ctx["can_gloss"] = json!(super::access::allows(p.user.role, "POST", "/articles/{id}/gloss"));
    ctx["error"] = json!(error);
    let body = render(st, "item.html", lang, Some(p), &format!("/queue/{id}"), "queue", ctx)?;
    Ok(html(status, body))
}

pub async fn queue_item(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> PageResult {
    render_item(&st, &headers, &p, id, StatusCode::OK, None).await
}

/// The item form's fields; which ones matter depends on `action`.
#[derive(Deserialize)]
pub struct ActionForm {
    action: String,
    version: i64,
    agency: Option<String>,
    assignee: Option<String>,
    due: Option<String>,
    priority: Option<String>,
    response_url: Option<String>,
    response_text: Option<String>,
    reason: Option<String>,
}

fn form_action(f: &ActionForm) -> Result<Action, Fail> {
    let opt = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let assignee = match opt(&f.assignee) {
        Some(a) => Some(a.parse::<i64>().map_err(|_| Fail::BadRequest(format!("assignee `{a}` is not a user id")))?),
        None => None,
    };
    let due = match opt(&f.due) {
        Some(d) => app::parse_due(&d)?,
        None => None,
    };
    Ok(match f.action.as_str() {
        "start_review" => Action::StartReview,
        "assign" => Action::Assign { agency: opt(&f.agency).unwrap_or_default(), assignee, due },
        "respond" => Action::Respond { response_url: opt(&f.response_url), response_text: opt(&f.response_text) },
        "close" => Action::Close,
        "dismiss" => Action::Dismiss { reason: opt(&f.reason).unwrap_or_default() },
        "reopen" => Action::Reopen { reason: opt(&f.reason).unwrap_or_default() },
        "edit" => Action::Edit {
            priority: parse_priority(f.priority.as_deref())?,
            agency: opt(&f.agency),
            clear_assignee: assignee.is_none(),
            assignee,
            clear_due: due.is_none(),
            due,
        },
        other => return Err(Fail::BadRequest(format!("unknown action `{other}`"))),
    })
}

pub async fn queue_action(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let result = match form_action(&f) {
        Ok(a) => app::act(&st, &p.actor(), id, f.version, &a).await.map(|_| ()).map_err(Fail::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/queue/{id}"))),
        // show the item as it is now, with the reason, so the user can redo their change
        Err(e @ (Fail::Conflict(_) | Fail::IllegalTransition(_) | Fail::BadRequest(_))) => {
            let lang = lang_of(&headers);
            let msg = if matches!(e, Fail::Conflict(_)) { format!("{} ({})", t(lang, "queue.conflict"), e) } else { e.to_string() };
            render_item(&st, &headers, &p, id, e.status(), Some(msg)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    text: String,
}

pub async fn queue_note(
    State(st): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    app::note(&st, &p.actor(), id, &f.text).await?;
    Ok(see_other(&format!("/queue/{id}")))
}

/// "Check again now": the item's article is re-fetched at the next turn of the re-checker (within a
/// minute) instead of at its scheduled time.
pub async fn queue_recheck(State(st): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let it = st.store.queue_item(id).await?.ok_or_else(|| Fail::NotFound(format!("queue item {id}")))?;
    let article = it.article_id.ok_or_else(|| Fail::BadRequest("this item has no article to check".into()))?;
    let now = Utc::now();
    st.store.sync_checks(now).await?;
    if !st.store.check_now(article, now).await? {
        return Err(Fail::BadRequest("only the article of an open item is re-checked".into()).into());
    }
    st.wake_rechecker.notify_one();
    Ok(see_other(&format!("/queue/{id}")))
}

// ---- admin ----

async fn render_users(
    st: &AppState,
    headers: &HeaderMap,
    p: &Principal,
    new_token: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let lang = lang_of(headers);
    let ctx = json!({
        "users": st.store.users().await?,
        "tokens": st.store.tokens().await?,
        "roles": Role::ALL.map(|r| r.as_str()),
        "new_token": new_token,
        "error": error,
    });
    let body = render(st, "users.html", lang, Some(p), "/admin/users", "users", ctx)?;
    Ok(html(status, body))
}

pub async fn users(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> PageResult {
    render_users(&st, &headers, &p, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AddUserForm {
    name: String,
    role: String,
    password: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    unit: String,
}

fn parse_role(s: &str) -> Result<Role, Fail> {
    Role::parse(s.trim()).ok_or_else(|| Fail::BadRequest(format!("role `{s}`: admin, analyst, triage or leader")))
}

pub async fn add_user(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Form(f): Form<AddUserForm>,
) -> PageResult {
    let r = match parse_role(&f.role) {
        Ok(role) => app::add_user(&st, &p.actor(), &f.name, role, f.password, app::Profile { full_name: &f.full_name, unit: &f.unit }).await.map_err(Fail::from),
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e @ (Fail::BadRequest(_) | Fail::Conflict(_))) => render_users(&st, &headers, &p, None, Some(e.to_string()), e.status()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct UpdateUserForm {
    role: Option<String>,
    disabled: Option<String>,
    password: Option<String>,
    full_name: Option<String>,
    unit: Option<String>,
}

pub async fn update_user(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<UpdateUserForm>,
) -> PageResult {
    let role = match f.role.as_deref() {
        Some(r) => match parse_role(r) {
            Ok(r) => Some(r),
            Err(e) => return render_users(&st, &headers, &p, None, Some(e.to_string()), e.status()).await,
        },
        None => None,
    };
    let disabled = f.disabled.as_deref().map(|d| d == "1" || d == "true");
    match app::update_user(&st, &p.actor(), id, role, disabled, f.password, (f.full_name, f.unit)).await.map_err(Fail::from) {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e @ Fail::BadRequest(_)) => render_users(&st, &headers, &p, None, Some(e.to_string()), e.status()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    label: String,
}

pub async fn create_token(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let token = app::create_token(&st, &p.actor(), id, &f.label).await?;
    render_users(&st, &headers, &p, Some(token), None, StatusCode::OK).await
}

pub async fn revoke_token(State(st): State<AppState>, Extension(p): Extension<Principal>, Path(id): Path<i64>) -> PageResult {
    app::revoke_token(&st, &p.actor(), id).await?;
    Ok(see_other("/admin/users"))
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn sources(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let lang = lang_of(&headers);
    // only known messages: a link must not be able to put words on the page
    let notice = q
        .notice
        .as_deref()
        .filter(|n| matches!(*n, "sources.queued" | "sources.retried" | "retag.started" | "config.reloaded" | "sources.added" | "sources.toggled"))
        .map(|n| t(lang, n));
    render_sources(&st, lang, &p, StatusCode::OK, notice.map(str::to_string), None, Value::Null).await
}

async fn render_sources(
    st: &AppState,
    lang: Lang,
    p: &Principal,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    form: Value,
) -> PageResult {
    let ctx = json!({
        "sources": app::sources(st).await?,
        "poisoned": st.store.poisoned_jobs().await?,
        "notice": notice,
        "error": error,
        "retag": st.retag.status(),
        "config": st.reload.status(),
        "form": form,
    });
    let body = render(st, "sources.html", lang, Some(p), "/admin/sources", "sources", ctx)?;
    Ok(html(status, body))
}

pub async fn reload_config(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> PageResult {
    match app::reload_config(&st, &p.actor()).await.map_err(Fail::from) {
        Ok(()) => Ok(see_other("/admin/sources?notice=config.reloaded")),
        Err(e) => render_sources(&st, lang_of(&headers), &p, e.status(), None, Some(e.to_string()), Value::Null).await,
    }
}

#[derive(Deserialize, serde::Serialize)]
pub struct SourceForm {
    name: String,
    url: String,
    origin: String,
    lang: Option<String>,
    internal: Option<String>,
}

pub async fn add_source(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>, Form(f): Form<SourceForm>) -> PageResult {
    let new = crate::sources_file::NewSource { name: f.name.clone(), url: f.url.clone(), origin: f.origin.clone(), lang: f.lang.clone() };
    let internal = f.internal.as_deref().is_some_and(|v| !v.is_empty());
    match app::add_source(&st, &p.actor(), new, internal).await.map_err(Fail::from) {
        Ok(_) => Ok(see_other("/admin/sources?notice=sources.added")),
        Err(e) => render_sources(&st, lang_of(&headers), &p, e.status(), None, Some(e.to_string()), json!(f)).await,
    }
}

#[derive(Deserialize)]
pub struct EnabledForm {
    enabled: String,
}

pub async fn set_source_enabled(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    Form(f): Form<EnabledForm>,
) -> PageResult {
    match app::set_source_enabled(&st, &p.actor(), &id, f.enabled == "1" || f.enabled == "true").await.map_err(Fail::from) {
        Ok(()) => Ok(see_other("/admin/sources?notice=sources.toggled")),
        Err(e) => render_sources(&st, lang_of(&headers), &p, e.status(), None, Some(e.to_string()), Value::Null).await,
    }
}

pub async fn run_source(State(st): State<AppState>, Extension(p): Extension<Principal>, Path(id): Path<String>) -> PageResult {
    app::run_source(&st, &p.actor(), &id).await?;
    Ok(see_other("/admin/sources?notice=sources.queued"))
}

pub async fn start_retag(State(st): State<AppState>, Extension(p): Extension<Principal>) -> PageResult {
    app::start_retag(&st, &p.actor()).await?;
    Ok(see_other("/admin/sources?notice=retag.started"))
}

pub async fn retry_job(State(st): State<AppState>, Extension(p): Extension<Principal>, Path(id): Path<i64>) -> PageResult {
    app::retry_job(&st, &p.actor(), id).await?;
    Ok(see_other("/admin/sources?notice=sources.retried"))
}

#[derive(Deserialize)]
pub struct LocalitiesQuery {
    q: Option<String>,
}

/// The configured localities with what each matches, and the gazetteer to find a unit's name in.
pub async fn localities(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Query(q): Query<LocalitiesQuery>,
) -> PageResult {
    let lang = lang_of(&headers);
    let places: Vec<Value> = st
        .cfg
        .localities
        .iter()
        .map(|l| {
            json!({
                "id": l.id, "name": l.name, "unit": l.unit,
                "anywhere": l.aliases,
                "near": l.near.iter().map(|(a, near)| json!({"text": a, "near": near.join(", ")})).collect::<Vec<_>>(),
                "not": l.not,
            })
        })
        .collect();
    let query = q.q.unwrap_or_default().trim().chars().take(100).collect::<String>();
    let g = crate::gazetteer::get();
    let found: Vec<Value> = if query.is_empty() {
        Vec::new()
    } else {
        g.find(&query, 50)
            .into_iter()
            .map(|id| {
                let u = &g.units[id];
                let label = g.label(id);
                // the era is said in the page's language
                let label = label.trim_end_matches(" (before 7/2025)");
                json!({"code": u.code, "level": u.level.as_str(), "former": u.era == crate::gazetteer::Era::Former, "label": label})
            })
            .collect()
    };
    let body = render(&st, "localities.html", lang, Some(&p), "/admin/localities", "localities", json!({"places": places, "q": query, "found": found}))?;
    Ok(html(StatusCode::OK, body))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

pub async fn audit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let lang = lang_of(&headers);
    let entries = st.store.audit_entries(&AuditFilter { before_id: q.before, limit: 100, ..Default::default() }).await?;
    let next = if entries.len() == 100 { entries.last().map(|e| format!("/admin/audit?before={}", e.id)) } else { None };
    let users = st.store.users().await?;
    let words = Words { st: &st, lang, users: &users };
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            v["actor"] = json!(words.actor(&e.actor));
            v["detail_lines"] = json!(words.detail(&e.detail));
            v
        })
        .collect();
    let body = render(&st, "audit.html", lang, Some(&p), "/admin/audit", "audit", json!({"entries": rows, "next_href": next}))?;
    Ok(html(StatusCode::OK, body))
}

// ---- reports ----

#[derive(Deserialize)]
pub struct ReportForm {
    week: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
}

pub async fn reports(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> PageResult {
    render_reports(&st, &headers, &p, StatusCode::OK, None).await
}

async fn render_reports(st: &AppState, headers: &HeaderMap, p: &Principal, status: StatusCode, error: Option<String>) -> PageResult {
    let lang = lang_of(headers);
    let last = crate::report::Period::last_full_week(Utc::now());
    let ctx = json!({
        "reports": st.store.reports(200).await?,
        "can_generate": super::access::allows(p.user.role, "POST", "/reports"),
        "default_week": last.label(),
        "schedule": st.cfg.report.schedule.map(|(d, h)| {
            let i = d.num_days_from_monday() as usize;
            let name = match lang {
                Lang::Vi => ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"][i],
                Lang::En => ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][i],
            };
            format!("{name} {h:02}:00")
        }),
        "error": error,
    });
    let body = render(st, "reports.html", lang, Some(p), "/reports", "reports", ctx)?;
    Ok(html(status, body))
}

pub async fn generate_report(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Form(f): Form<ReportForm>,
) -> PageResult {
    let period = match app::report_period(f.week.as_deref(), f.from.as_deref(), f.to.as_deref()).map_err(Fail::from) {
        Ok(period) => period,
        Err(e) => return render_reports(&st, &headers, &p, e.status(), Some(e.public_message())).await,
    };
    let id = app::generate_report(&st, &p.actor(), period).await?;
    Ok(see_other(&format!("/reports/{id}")))
}

/// The report itself (its own page, no site chrome), or a download with `?format=`.
pub async fn report(State(st): State<AppState>, Path(id): Path<i64>, Query(q): Query<ReportQuery>) -> PageResult {
    let (_, r) = app::report(&st, id).await?;
    Ok(match q.format.as_deref() {
        None => reports::report_page(&r)?,
        Some(f) => reports::report_file(&r, f)?,
    })
}

// ---- stories ----

pub async fn story(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>, Path(id): Path<i64>) -> PageResult {
    let lang = lang_of(&headers);
    let v = app::story(&st, id).await?;
    let mut ctx = serde_json::to_value(&v).map_err(|e| Fail::Internal(e.to_string()))?;
    // our own SVG (labels escaped when it was drawn), not crawled markup
    ctx["chart"] = json!(v.chart);
    ctx["can_flag"] = json!(super::access::allows(p.user.role, "POST", "/articles/{id}/flag"));
    ctx["priorities"] = json!(Priority::ALL.map(|x| x.as_str()));
    let body = render(&st, "story.html", lang, Some(&p), &format!("/stories/{id}"), "search", ctx)?;
    Ok(html(StatusCode::OK, body))
}
