//! Administration: users and tokens, sources, jobs, re-tags and reloads. Every change here is audited
//! through `App::audit`.

use super::{credentials, Actor, App, AppError};
use crate::model::{JobId, Role, SourceId, TokenId, User, UserId};
use chrono::Utc;
use serde::Serialize;

pub async fn hash(password: String) -> Result<String, AppError> {
    credentials::check_new_password(&password).map_err(AppError::BadRequest)?;
    tokio::task::spawn_blocking(move || credentials::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::Internal)
}

/// Longest full name or unit a user may have.
const PROFILE_MAX: usize = 120;

/// A full name and unit given for an account (None: not given) fit `PROFILE_MAX`.
fn check_profile(full_name: Option<&str>, unit: Option<&str>) -> Result<(), AppError> {
    for (what, v) in [("full name", full_name), ("unit", unit)] {
        if v.is_some_and(|v| v.chars().count() > PROFILE_MAX) {
            return Err(AppError::BadRequest(format!("{what}: at most {PROFILE_MAX} characters")));
        }
    }
    Ok(())
}

/// A user's full name and unit as given (either may be empty).
pub struct Profile<'a> {
    pub full_name: &'a str,
    pub unit: &'a str,
}

pub async fn add_user(st: &App, p: &Actor, name: &str, role: Role, password: String, profile: Profile<'_>) -> Result<User, AppError> {
    let name = name.trim();
    credentials::check_user_name(name).map_err(AppError::BadRequest)?;
    check_profile(Some(profile.full_name), Some(profile.unit))?;
    let h = hash(password).await?;
    let now = Utc::now();
    let mut u = st.store.create_user(name, role, &h, now).await?;
    if !(profile.full_name.trim().is_empty() && profile.unit.trim().is_empty()) {
        st.store.set_user_profile(u.id, profile.full_name, profile.unit).await?;
        u = st.store.user(u.id).await?.unwrap_or(u);
    }
    let detail = serde_json::json!({"name": u.name, "role": role.as_str(), "full_name": u.full_name, "unit": u.unit});
    st.audit(p, "user.create", "user", u.id.to_string(), detail, None).await?;
    Ok(u)
}

pub async fn update_user(
    st: &App,
    p: &Actor,
    id: UserId,
    role: Option<Role>,
    disabled: Option<bool>,
    password: Option<String>,
    profile: (Option<String>, Option<String>),
) -> Result<User, AppError> {
    let id = id.0;
    let before = st.store.user(id).await?.ok_or_else(|| AppError::NotFound(format!("user {id}")))?;
    // the full name and unit as given, when they differ from what is stored (blank clears)
    let (full_name, unit) = profile;
    check_profile(full_name.as_deref(), unit.as_deref())?;
    let changed = |given: &Option<String>, stored: &Option<String>| {
        given.as_deref().map(str::trim).is_some_and(|g| g != stored.as_deref().unwrap_or_default())
    };
    let profile_changed = changed(&full_name, &before.full_name) || changed(&unit, &before.unit);
    if p.user_id() == Some(id) && (role.is_some_and(|r| r != before.role) || disabled == Some(true)) {
        return Err(AppError::BadRequest("you cannot change your own role or disable yourself; ask another admin".into()));
    }
    let h = match password.filter(|s| !s.is_empty()) {
        Some(pw) => Some(hash(pw).await?),
        None => None,
    };
    let role = role.filter(|r| *r != before.role);
    let disabled = disabled.filter(|d| *d != before.disabled);
    if role.is_none() && disabled.is_none() && h.is_none() && !profile_changed {
        return Ok(before);
    }
    let mut after = st.store.update_user(id, role, disabled, h.as_deref()).await?;
    let mut detail = serde_json::Map::new();
    if profile_changed {
        let full = full_name.as_deref().unwrap_or(before.full_name.as_deref().unwrap_or_default());
        let unit = unit.as_deref().unwrap_or(before.unit.as_deref().unwrap_or_default());
        st.store.set_user_profile(id, full, unit).await?;
        after = st.store.user(id).await?.unwrap_or(after);
        detail.insert("full_name".into(), serde_json::json!([before.full_name, after.full_name]));
        detail.insert("unit".into(), serde_json::json!([before.unit, after.unit]));
    }
    if role.is_some() {
        detail.insert("role".into(), serde_json::json!([before.role, after.role]));
    }
    if disabled.is_some() {
        detail.insert("disabled".into(), serde_json::json!([before.disabled, after.disabled]));
    }
    if h.is_some() {
        detail.insert("password".into(), serde_json::json!("changed"));
    }
    st.audit(p, "user.update", "user", id.to_string(), detail.into(), None).await?;
    Ok(after)
}

/// A new API token for `user_id`; the token itself is returned once and only its hash is kept.
pub async fn create_token(st: &App, p: &Actor, user: UserId, label: &str) -> Result<String, AppError> {
    let user_id = user.0;
    let label = label.trim();
    if label.is_empty() {
        return Err(AppError::BadRequest("a token needs a label saying what uses it".into()));
    }
    let u = st.store.user(user_id).await?.ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
    let token = credentials::new_token();
    let id = st.store.create_token(&credentials::digest(&token), u.id, label, Utc::now()).await?;
    st.audit(p, "token.create", "api_token", id.to_string(), serde_json::json!({"user": u.name, "label": label}), None).await?;
    Ok(token)
}

pub async fn revoke_token(st: &App, p: &Actor, id: TokenId) -> Result<(), AppError> {
    let id = id.0;
    st.store.revoke_token(id).await?;
    st.audit(p, "token.revoke", "api_token", id.to_string(), serde_json::json!({}), None).await
}

pub async fn run_source(st: &App, p: &Actor, id: &str) -> Result<(), AppError> {
    if !st.store.run_source_now(&SourceId(id.to_string()), Utc::now()).await? {
        return Err(AppError::NotFound(format!("enabled source `{id}`")));
    }
    st.wake_crawler.notify_one();
    st.audit(p, "source.run", "source", id.to_string(), serde_json::json!({}), None).await
}

/// Queues a poisoned job again (it took the process down twice: an admin decides to try once more).
pub async fn retry_job(st: &App, p: &Actor, id: JobId) -> Result<(), AppError> {
    let id = id.0;
    let Some(job) = st.store.retry_poisoned(id, Utc::now()).await? else {
        return Err(AppError::NotFound(format!("poisoned job {id}")));
    };
    st.wake_crawler.notify_one();
    let detail = serde_json::json!({"kind": job.kind, "key": job.key, "crashes": job.crashes});
    st.audit(p, "job.retry", "job", id.to_string(), detail, None).await
}

/// Starts re-tagging every stored article with the running configuration, in the background (the
/// page shows its progress); a second start while one runs is a conflict.
pub async fn start_retag(st: &App, p: &Actor) -> Result<(), AppError> {
    if !st.retag.start() {
        return Err(AppError::Conflict("a re-tag is already running".into()));
    }
    st.audit(p, "taxonomy.retag", "taxonomy", "all".into(), serde_json::json!({}), None).await?;
    let (store, cfg, progress, wake) = (st.store.clone(), st.cfg.clone(), st.retag.clone(), st.wake_indexer.clone());
    tokio::spawn(async move {
        let outcome = crate::retag::run(&store, &cfg, None, &progress).await;
        match &outcome {
            Ok(r) => tracing::info!(examined = r.examined, changed = r.changed, "re-tag finished"),
            Err(e) => tracing::error!("re-tag failed: {e}"),
        }
        progress.finish(&outcome);
        wake.notify_one();
    });
    Ok(())
}


#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    pub name: String,
    pub url: String,
    pub origin: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub health: crate::store::SourceHealth,
}

/// The configured sources with their health, failing ones first (longest failing first), then by name.
pub async fn sources(st: &App) -> Result<Vec<SourceRow>, AppError> {
    let health = st.store.source_health().await?;
    let mut rows: Vec<SourceRow> = health
        .into_iter()
        .filter_map(|h| {
            let s = st.cfg.source(&SourceId(h.source_id.clone()))?;
            Some(SourceRow {
                name: s.name.clone(),
                url: s.url.to_string(),
                origin: s.origin.as_str().into(),
                enabled: s.enabled,
                health: h,
            })
        })
        .collect();
    // turned off last: their old failures are not news
    rows.sort_by(|a, b| {
        (!a.enabled, a.health.consecutive_failures == 0, -a.health.consecutive_failures, &a.name)
            .cmp(&(!b.enabled, b.health.consecutive_failures == 0, -b.health.consecutive_failures, &b.name))
    });
    Ok(rows)
}

/// The configuration file `serve` runs on, for changes made from the web.
fn config_file(st: &App) -> Result<std::path::PathBuf, AppError> {
    st.reload.path().map(|p| p.to_path_buf()).ok_or_else(|| AppError::Conflict("this server does not know its configuration file".into()))
}

/// Reads the configuration file again: a valid one restarts the workers and the web server on it
/// (the answer goes out first), a broken one is refused with the reason and changes nothing.
pub async fn reload_config(st: &App, p: &Actor) -> Result<(), AppError> {
    let file = config_file(st)?;
    let outcome = st.reload.request(Utc::now());
    let detail = serde_json::json!({"file": file.display().to_string(), "error": outcome.as_ref().err()});
    st.audit(p, "config.reload", "config", file.display().to_string(), detail, None).await?;
    outcome.map_err(|e| AppError::BadRequest(format!("cấu hình mới có lỗi, vẫn chạy cấu hình cũ / the new configuration is invalid, the running one stays: {e}")))
}

fn edit_fail(e: crate::sources_file::EditError) -> AppError {
    use crate::sources_file::EditError as E;
    match e {
        E::UnknownSource(id) => AppError::NotFound(format!("source `{id}`")),
        E::Exists(what) => AppError::Conflict(format!("nguồn đã có / already a source: {what}")),
        E::File { .. } => AppError::Internal(e.to_string()),
        other => AppError::BadRequest(other.to_string()),
    }
}

/// Adds a source to the configuration (as `sources import` does) and has `serve` run on the
/// configuration the edit validated; returns its id.
pub async fn add_source(st: &App, p: &Actor, new: crate::sources_file::NewSource, allow_private: bool) -> Result<String, AppError> {
    let file = config_file(st)?;
    let by = p.name().to_string();
    let n = new.clone();
    let (id, cfg) = tokio::task::spawn_blocking(move || crate::sources_file::add(&file, &n, allow_private, &by))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(edit_fail)?;
    let detail = serde_json::json!({"name": new.name, "url": new.url, "origin": new.origin, "lang": new.lang});
    st.audit(p, "source.add", "source", id.clone(), detail, None).await?;
    st.reload.accept(cfg);
    Ok(id)
}

/// Turns a source off or back on in the configuration and has `serve` run on the result.
pub async fn set_source_enabled(st: &App, p: &Actor, id: &str, enabled: bool) -> Result<(), AppError> {
    let file = config_file(st)?;
    let owned = id.to_string();
    let cfg = tokio::task::spawn_blocking(move || crate::sources_file::set_enabled(&file, &owned, enabled))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(edit_fail)?;
    let action = if enabled { "source.enable" } else { "source.disable" };
    st.audit(p, action, "source", id.to_string(), serde_json::json!({}), None).await?;
    st.reload.accept(cfg);
    Ok(())
}

/// Enabled sources whose last fetch failed, for the banner every user sees: how many of how many,
/// since when the earliest of them last worked (None: never), and the causes, most common first.
pub struct HealthAlarm {
    pub failing: usize,
    pub enabled: usize,
    pub since: Option<Option<chrono::DateTime<Utc>>>,
    pub causes: Vec<(crate::model::FailureClass, usize)>,
}

pub async fn health_alarm(st: &App) -> Result<Option<HealthAlarm>, AppError> {
    Ok(health_alarm_of(&st.cfg, &st.store).await?)
}

/// `health_alarm` without a running server (the morning digest).
pub async fn health_alarm_of(cfg: &crate::config::Config, store: &crate::store::Store) -> Result<Option<HealthAlarm>, crate::store::StoreError> {
    let enabled: Vec<&str> = cfg.sources.iter().filter(|s| s.enabled).map(|s| s.id.0.as_str()).collect();
    let failing: Vec<crate::store::FeedHealthRow> = store
        .feed_health_rows()
        .await?
        .into_iter()
        .filter(|h| h.consecutive_failures > 0 && enabled.contains(&h.source_id.as_str()))
        .collect();
    if failing.is_empty() {
        return Ok(None);
    }
    let mut causes: Vec<(crate::model::FailureClass, usize)> = Vec::new();
    for h in &failing {
        let class = h.last_error_class.as_deref().and_then(crate::model::FailureClass::parse).unwrap_or(crate::model::FailureClass::Other);
        match causes.iter_mut().find(|(c, _)| *c == class) {
            Some((_, n)) => *n += 1,
            None => causes.push((class, 1)),
        }
    }
    causes.sort_by(|a, b| b.1.cmp(&a.1));
    // the earliest "last worked" among them; a source that never worked makes it "never"
    let since = if failing.iter().any(|h| h.last_success_at.is_none()) {
        Some(None)
    } else {
        failing.iter().filter_map(|h| h.last_success_at).min().map(Some)
    };
    Ok(Some(HealthAlarm { failing: failing.len(), enabled: enabled.len(), since, causes }))
}


