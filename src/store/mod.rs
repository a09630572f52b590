//! The system of record: sqlx over SQLite (WAL). Every query the rest of the code needs is a method
//! here, so a PostgreSQL backend can be added behind the same methods without touching callers.
//! Queries use the unchecked functions (no database needed to build); the tests exercise each one.

use chrono::{DateTime, Utc};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlSafeStr, SqlitePool};
use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error(
        "no database at {0}: nothing has been stored with this configuration yet (run `presswatch serve` or `presswatch crawl --once` first, or give the --config that the data belongs to)"
    )]
    Missing(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database holds malformed data: {0}")]
    Corrupt(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Duplicate(String),
    /// The record changed since the caller read it (optimistic concurrency).
    #[error("changed by someone else meanwhile (now at version {current}); reload and try again")]
    Conflict { current: i64 },
}

type Result<T> = std::result::Result<T, StoreError>;

/// Seconds after which a job that failed for good may be queued again (6 hours).
const REQUEUE_FAILED_AFTER: i64 = 6 * 3600;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/0001_init.sql")),
    (2, "web", include_str!("../../migrations/0002_web.sql")),
    (3, "reports", include_str!("../../migrations/0003_reports.sql")),
    (4, "stories", include_str!("../../migrations/0004_stories.sql")),
    (5, "evidence_watch", include_str!("../../migrations/0005_evidence_watch.sql")),
    (6, "poisoned_jobs", include_str!("../../migrations/0006_poisoned_jobs.sql")),
    (7, "mentions_evidence", include_str!("../../migrations/0007_mentions_evidence.sql")),
    (8, "user_profile", include_str!("../../migrations/0008_user_profile.sql")),
    (9, "title_gloss", include_str!("../../migrations/0009_title_gloss.sql")),
    (10, "locality_about", include_str!("../../migrations/0010_locality_about.sql")),
];

mod articles;
mod evidence;
mod ingest;
mod jobs;
mod queue;
mod reports;
mod sources;
mod sql;
mod stories;
mod users;
mod watch;

pub use articles::Stored;
pub use evidence::{CheckOutcome, CheckState, DueCheck, Revision};
pub use ingest::{Listed, ToStore};
pub use queue::{AuditFilter, NewAudit, QueueFilter, QueueRow};
pub use jobs::{Interrupted, Job, PoisonedJob, POISON_AFTER_CRASHES};
pub use reports::{FeedHealthRow, ReportArticle, ReportInfo};
pub use sources::{FeedState, SourceHealth};
pub use stories::{StoryInput, StoryMember};
pub use users::{SavedSearch, Session, TokenInfo};
pub use watch::{AlertEvent, RuleItem, StoryStats};

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    pub async fn open(url: &str) -> Result<Store> {
        let open_err = |source| StoreError::Open { url: url.to_string(), source };
        let mut opts = SqliteConnectOptions::from_str(url).map_err(open_err)?;
        if let Some(parent) = opts.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| open_err(sqlx::Error::Io(e)))?;
            }
        }
        opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // Switching a new file to WAL takes an exclusive lock that the busy timeout does not cover:
        // a process opening the same new database at that instant retries.
        let mut attempt = 0;
        let pool = loop {
            match SqlitePoolOptions::new().max_connections(4).connect_with(opts.clone()).await {
                Ok(p) => break p,
                Err(e) if attempt < 5 && e.to_string().contains("locked") => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(e) => return Err(open_err(e)),
            }
        };
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// `open` for a command that only reads: a database file that does not exist is an error naming
    /// where it was looked for, not a new empty database (which would look like lost data).
    pub async fn open_existing(url: &str) -> Result<Store> {
        let opts = SqliteConnectOptions::from_str(url).map_err(|source| StoreError::Open { url: url.to_string(), source })?;
        let file = opts.get_filename();
        let in_memory = file.as_os_str().is_empty() || file.to_string_lossy().starts_with(':');
        if !in_memory && !file.exists() {
            return Err(StoreError::Missing(file.display().to_string()));
        }
        Store::open(url).await
    }

    /// `open` for a spawned task (an owned URL).
    pub async fn open_owned(url: String) -> Result<Store> {
        Store::open(&url).await
    }

    async fn migrate(&self) -> Result<()> {
        let migrations: Vec<Migration> = MIGRATIONS
            .iter()
            .map(|(v, d, sql)| Migration::new(*v, Cow::Borrowed(*d), MigrationType::Simple, sql.into_sql_str(), false))
            .collect();
        let migrator = Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT };
        // Two processes starting on a new database race to migrate it (sqlx does not lock SQLite).
        // Each migration and its record commit together, so the loser rolls back and, retried,
        // finds the work done.
        let mut attempt = 0;
        loop {
            match migrator.run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt < 5 => {
                    tracing::debug!("migration attempt {attempt} failed ({e}); retrying");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A write transaction that takes the write lock up front: a deferred transaction that reads first
    /// fails at once with SQLITE_BUSY when another writer got in between, whatever the busy timeout.
    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Records that a crawl pass started, the first time only: reports never cover a period before it.
    pub async fn note_crawl_started(&self, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ('first_crawl_at', ?) ON CONFLICT(key) DO NOTHING")
            .bind(at.timestamp().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// When this install first crawled: the recorded first pass, or (for data stored before that
    /// was recorded, or imported) the first article fetched. `None` before any crawl.
    pub async fn first_crawl_at(&self) -> Result<Option<DateTime<Utc>>> {
        let noted = self.meta("first_crawl_at").await?.and_then(|v| v.parse::<i64>().ok());
        let first_article: Option<i64> = sqlx::query_scalar("SELECT MIN(fetched_at) FROM articles").fetch_one(&self.pool).await?;
        Ok([noted, first_article].into_iter().flatten().min().map(crate::time::from_unix))
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&self.pool).await?;
        Ok(match r {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
