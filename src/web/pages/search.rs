//! The search page and saved searches.

use crate::app::AppError;
use super::*;

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
        Err(Fail::App(AppError::InvalidQuery(e))) => (None, Some(crate::i18n::query_error(lang, &e))),
        Err(e) => return Err(e.into()),
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let mut ctx = json!({"saved": saved, "can_alert": st.cfg.smtp.is_some(), "q": q.q, "sort": if by_date {"date"} else {"relevance"}, "error": error, "hits": [], "facets": [], "total": 0, "offset": 0});
    if let Some(v) = view {
        let prev = (v.offset > 0).then(|| app::search_href(&v.q, by_date, v.offset.saturating_sub(v.limit)));
        let next = (v.offset + v.hits.len() < v.total).then(|| app::search_href(&v.q, by_date, v.offset + v.limit));
        let mut m = serde_json::to_value(&v).map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
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
