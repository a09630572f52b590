//! The review queue: the list with its filters and scores, an item's page, and its actions.

use crate::model::QueueItemId;
use crate::app::AppError;
use super::*;

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
pub(super) const SCORE_SORT_MAX: i64 = 2000;

/// The filter a queue listing asks for; shared by the page and the API.
pub(crate) fn queue_filter(q: &QueueQuery) -> Result<QueueFilter, Fail> {
    let state = q.state.as_deref().unwrap_or("open");
    let states = match state {
        "open" | "" => QueueState::ALL.into_iter().filter(|s| s.is_open()).collect(),
        "all" => Vec::new(),
        s => vec![QueueState::parse(s).ok_or_else(|| {
            Fail::App(AppError::BadRequest(format!("state `{s}`: open, all, or one of new, in_review, assigned, responded, closed, dismissed")))
        })?],
    };
    let nonempty = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    Ok(QueueFilter {
        states,
        priority: parse_priority(q.priority.as_deref())?,
        agency: nonempty(&q.agency),
        assignee: match nonempty(&q.assignee) {
            Some(a) => Some(a.parse().map_err(|_| Fail::App(AppError::BadRequest(format!("assignee `{a}` is not a user id"))))?),
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
pub(super) struct Words<'a> {
    pub(super) st: &'a AppState,
    pub(super) lang: Lang,
    pub(super) users: &'a [crate::model::User],
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
    pub(super) fn actor(&self, actor: &str) -> String {
        match actor.strip_prefix("rule:") {
            Some(rule) => format!("{} «{}»", t(self.lang, "field.rule_id"), self.rule_name(rule).unwrap_or_else(|| rule.to_string())),
            // a person by full name and unit when the admin gave them
            None => self.users.iter().find(|u| u.name == actor).map_or_else(|| actor.to_string(), |u| u.display()),
        }
    }
    /// An audit entry's detail as sentences: `{"field": [before, after]}` as "Field: before → after",
    /// other keys as "field: value".
    pub(super) fn detail(&self, detail: &Value) -> Vec<String> {
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
pub(super) const LEAD_CHARS: usize = 400;

pub(super) async fn render_item(st: &AppState, headers: &HeaderMap, p: &Principal, id: i64, status: StatusCode, error: Option<String>) -> PageResult {
    let lang = lang_of(headers);
    let mut v = app::item(st, QueueItemId(id)).await?;
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
    let mut ctx = serde_json::to_value(&v).map_err(|e| Fail::App(AppError::Internal(e.to_string())))?;
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
    ctx["can_work"] = json!(crate::web::access::allows(p.user.role, "POST", "/queue/{id}/action"));
    ctx["can_gloss"] = json!(crate::web::access::allows(p.user.role, "POST", "/articles/{id}/gloss"));
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

pub(super) fn form_action(f: &ActionForm) -> Result<Action, Fail> {
    let opt = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let assignee = match opt(&f.assignee) {
        Some(a) => Some(a.parse::<i64>().map_err(|_| Fail::App(AppError::BadRequest(format!("assignee `{a}` is not a user id"))))?),
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
        other => return Err(Fail::App(AppError::BadRequest(format!("unknown action `{other}`")))),
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
        Ok(a) => app::act(&st, &p.actor(), QueueItemId(id), f.version, &a).await.map(|_| ()).map_err(Fail::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/queue/{id}"))),
        // show the item as it is now, with the reason, so the user can redo their change
        Err(e @ (Fail::App(AppError::Conflict(_)) | Fail::App(AppError::IllegalTransition(_)) | Fail::App(AppError::BadRequest(_)))) => {
            let lang = lang_of(&headers);
            let msg = if matches!(e, Fail::App(AppError::Conflict(_))) { format!("{} ({})", t(lang, "queue.conflict"), e) } else { e.to_string() };
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
    app::note(&st, &p.actor(), QueueItemId(id), &f.text).await?;
    Ok(see_other(&format!("/queue/{id}")))
}

/// "Check again now": the item's article is re-fetched at the next turn of the re-checker (within a
/// minute) instead of at its scheduled time.
pub async fn queue_recheck(State(st): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let it = st.store.queue_item(id).await?.ok_or_else(|| Fail::App(AppError::NotFound(format!("queue item {id}"))))?;
    let article = it.article_id.ok_or_else(|| Fail::App(AppError::BadRequest("this item has no article to check".into())))?;
    let now = Utc::now();
    st.store.sync_checks(now).await?;
    if !st.store.check_now(article, now).await? {
        return Err(Fail::App(AppError::BadRequest("only the article of an open item is re-checked".into())).into());
    }
    st.wake_rechecker.notify_one();
    Ok(see_other(&format!("/queue/{id}")))
}
