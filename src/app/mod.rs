//! The application layer: what staff can do, whoever asks. The web (pages and API) and the CLI both
//! call these functions with an `Actor`; each checks its input, acts through the store, writes the
//! audit entry and answers with a view or an `AppError`. Nothing here knows of HTTP: statuses,
//! cookies and templates are `web`'s.

pub mod admin;
pub mod articles;
pub mod credentials;
pub mod queue;
pub mod reports;
pub mod search;
pub mod stories;

pub use admin::*;
pub use articles::*;
pub use queue::*;
pub use reports::*;
pub use search::*;
pub use stories::*;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::search::searcher::Searcher;
use crate::store::{NewAudit, Store, StoreError};
use crate::triage::TriageError;
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::Notify;

/// What the application works on: the configuration, the store and the index, and the handles that
/// wake the background work an action asks for.
#[derive(Clone)]
pub struct App {
    pub cfg: Arc<Config>,
    pub store: Store,
    pub searcher: Arc<Searcher>,
    pub metrics: Arc<Metrics>,
    /// Wakes the crawl loop (an admin re-ran a source).
    pub wake_crawler: Arc<Notify>,
    /// Wakes the task that owns the index (a re-tag or an edit changed articles).
    pub wake_indexer: Arc<Notify>,
    /// Wakes the re-check worker ("Kiểm tra lại ngay" on a queue item).
    pub wake_rechecker: Arc<Notify>,
    /// The admin's re-tag run, if any, and how the last one ended.
    pub retag: Arc<crate::retag::Progress>,
    /// The configuration file, for reloading it and editing sources (unknown in tests).
    pub reload: Arc<crate::reload::Reload>,
}

impl App {
    pub fn new(cfg: Arc<Config>, store: Store, searcher: Arc<Searcher>, metrics: Arc<Metrics>, wake_crawler: Arc<Notify>) -> App {
        App {
            cfg,
            store,
            searcher,
            metrics,
            wake_crawler,
            wake_indexer: Arc::new(Notify::new()),
            wake_rechecker: Arc::new(Notify::new()),
            retag: Arc::new(crate::retag::Progress::default()),
            reload: Arc::new(crate::reload::Reload::default()),
        }
    }

    /// Writes one audit entry for `actor`: the one place entries are built.
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        kind: &str,
        target: String,
        detail: serde_json::Value,
        reason: Option<&str>,
    ) -> Result<(), AppError> {
        let e = NewAudit { actor_id: actor.user_id(), actor: actor.name(), action, target_kind: kind, target_id: target, detail, reason };
        self.store.audit(&e, Utc::now()).await?;
        Ok(())
    }
}

/// Who does something: a signed-in user (by session or API token) or the operator at the server's
/// command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User { id: i64, name: String },
    Cli,
}

impl Actor {
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::User { id, .. } => Some(*id),
            Actor::Cli => None,
        }
    }

    /// The name the audit log shows.
    pub fn name(&self) -> &str {
        match self {
            Actor::User { name, .. } => name,
            Actor::Cli => "cli",
        }
    }

    /// The user acting, for what only a user may do (queue work, saved searches).
    pub fn person(&self) -> Result<(i64, &str), AppError> {
        match self {
            Actor::User { id, name } => Ok((*id, name)),
            Actor::Cli => Err(AppError::Forbidden("this needs a signed-in user".into())),
        }
    }
}

/// Why an action was refused or failed, in terms the web maps to statuses and the CLI prints.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    InvalidQuery(crate::query::QueryError),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    IllegalTransition(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Duplicate(what) => AppError::Conflict(format!("{what} already exists")),
            e @ StoreError::Conflict { .. } => AppError::Conflict(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<TriageError> for AppError {
    fn from(e: TriageError) -> AppError {
        match e {
            e @ TriageError::IllegalTransition { .. } => AppError::IllegalTransition(e.to_string()),
            TriageError::Invalid(m) => AppError::BadRequest(m),
        }
    }
}

impl From<crate::search::SearchError> for AppError {
    fn from(e: crate::search::SearchError) -> AppError {
        match e {
            crate::search::SearchError::Query(q) => AppError::InvalidQuery(q),
            e @ crate::search::SearchError::TooDeep(_) => AppError::BadRequest(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<crate::report::ReportError> for AppError {
    fn from(e: crate::report::ReportError) -> AppError {
        use crate::report::ReportError as R;
        match e {
            R::Period(p) => AppError::BadRequest(p.to_string()),
            e @ R::BeforeData { .. } => AppError::BadRequest(e.to_string()),
            R::Store(s) => s.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}
