//! The system of record: sqlx over SQLite (WAL). Every query the rest of the code needs is a method
//! here, so a PostgreSQL backend can be added behind the same methods without touching callers.
//! Queries use the unchecked functions (no database needed to build); the tests exercise each one.

use crate::config::Source;
use crate::model::{Article, ArticleId, FailureClass, NewArticle, SourceId, Tag};
use crate::time::{from_unix, to_unix};
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

mod evidence;
mod ingest;
mod queue;
mod reports;
mod stories;
mod users;
mod watch;

pub use evidence::{CheckOutcome, CheckState, DueCheck, Revision};
pub use ingest::{Listed, ToStore};
pub use queue::{AuditFilter, NewAudit, QueueFilter, QueueRow};
pub use reports::{FeedHealthRow, ReportArticle, ReportInfo};
pub use stories::{StoryInput, StoryMember};
pub use users::{SavedSearch, Session, TokenInfo};
pub use watch::{AlertEvent, RuleItem, StoryStats};

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// Per-feed fetch state: validators for conditional GET, the schedule and health counters.
#[derive(Debug, Clone, Default)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<String>,
    pub interval_secs: i64,
    pub next_fetch_at: i64,
    pub consecutive_failures: i64,
}

/// Source health as shown to admins.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceHealth {
    pub source_id: String,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_fetch_at: DateTime<Utc>,
    pub consecutive_failures: i64,
    pub total_failures: i64,
    pub last_error_class: Option<String>,
    pub last_error: Option<String>,
    pub articles_stored: i64,
}

/// A `PoisonedJob` from a row of `id, kind, key, crashes, updated_at`.
fn poisoned_job(r: &sqlx::sqlite::SqliteRow) -> Result<PoisonedJob> {
    Ok(PoisonedJob { id: r.try_get(0)?, kind: r.try_get(1)?, key: r.try_get(2)?, crashes: r.try_get(3)?, since: from_unix(r.try_get(4)?) })
}

/// A crash takes this many times before a job that was running is set aside.
pub const POISON_AFTER_CRASHES: i64 = 2;

/// What `requeue_interrupted` found left running by a process that died.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    pub requeued: u64,
    pub poisoned: u64,
}

/// A job set aside after the process died while running it, `crashes` times.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PoisonedJob {
    pub id: i64,
    pub kind: String,
    /// What the job works on: the page URL for page jobs.
    pub key: String,
    pub crashes: i64,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub key: String,
    pub payload: String,
    pub attempts: i64,
}

/// Result of storing an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    New(ArticleId),
    /// Already known under another URL (canonical link, redirect, same text on the same host).
    Known(ArticleId),
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

    /// Work a crashed crawler had taken is queued again, each job's crash counted; a job that was
    /// running at `POISON_AFTER_CRASHES` crashes is set aside as `poisoned` and never retried by
    /// itself. Only the process about to work the queue calls this (one crawler per database;
    /// PostgreSQL workers will need leases instead): a read-only command run beside `serve` must not
    /// take its jobs away. A clean stop hands its jobs back first (`release_running`), so only a
    /// process that died leaves jobs running.
    pub async fn requeue_interrupted(&self) -> Result<Interrupted> {
        let mut tx = self.write_tx().await?;
        let now = to_unix(Utc::now());
        let poisoned = sqlx::query(
            "UPDATE jobs SET state = 'poisoned', crashes = crashes + 1, updated_at = ?,
               last_error = 'the process stopped while this job ran, ' || (crashes + 1) || ' times'
             WHERE state = 'running' AND crashes + 1 >= ?",
        )
        .bind(now)
        .bind(POISON_AFTER_CRASHES)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let requeued = sqlx::query("UPDATE jobs SET state = 'queued', crashes = crashes + 1, updated_at = ? WHERE state = 'running'")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Interrupted { requeued, poisoned })
    }

    /// Hands the jobs this process had taken back to the queue on a clean stop (not a crash: no
    /// crash is counted).
    pub async fn release_running(&self) -> Result<u64> {
        let r = sqlx::query("UPDATE jobs SET state = 'queued' WHERE state = 'running'").execute(&self.pool).await?;
        Ok(r.rows_affected())
    }

    /// Jobs set aside because the process died while running them, newest first.
    pub async fn poisoned_jobs(&self) -> Result<Vec<PoisonedJob>> {
        let rows = sqlx::query(
            "SELECT id, kind, key, crashes, updated_at FROM jobs WHERE state = 'poisoned' ORDER BY updated_at DESC, id DESC LIMIT 500",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(poisoned_job).collect()
    }

    /// Queues a poisoned job again with its counts cleared (an admin's decision); None if no
    /// poisoned job has this id.
    pub async fn retry_poisoned(&self, id: i64, now: DateTime<Utc>) -> Result<Option<PoisonedJob>> {
        let mut tx = self.write_tx().await?;
        let Some(row) = sqlx::query("SELECT id, kind, key, crashes, updated_at FROM jobs WHERE state = 'poisoned' AND id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let job = poisoned_job(&row)?;
        sqlx::query(
            "UPDATE jobs SET state = 'queued', crashes = 0, attempts = 0, last_error = NULL, run_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(to_unix(now))
        .bind(to_unix(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(job))
    }

    /// A write transaction that takes the write lock up front: a deferred transaction that reads first
    /// fails at once with SQLITE_BUSY when another writer got in between, whatever the busy timeout.
    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- sources and feed state ----

    /// Makes the sources table match the configuration; fetch state of existing sources is kept.
    pub async fn sync_sources(&self, sources: &[Source], default_interval: Duration, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE sources SET enabled = 0").execute(&mut *tx).await?;
        for s in sources {
            sqlx::query(
                "INSERT INTO sources (id, name, url, origin, lang, enabled, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, url = excluded.url, origin = excluded.origin,
                 lang = excluded.lang, enabled = excluded.enabled, updated_at = excluded.updated_at",
            )
            .bind(&s.id.0)
            .bind(&s.name)
            .bind(s.url.as_str())
            .bind(s.origin.as_str())
            .bind(&s.lang)
            .bind(s.enabled as i64)
            .bind(to_unix(now))
            .execute(&mut *tx)
            .await?;
            let interval = s.interval.unwrap_or(default_interval).as_secs() as i64;
            sqlx::query(
                "INSERT INTO feed_state (source_id, interval_secs, next_fetch_at) VALUES (?, ?, 0) ON CONFLICT(source_id) DO NOTHING",
            )
            .bind(&s.id.0)
            .bind(interval)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn feed_state(&self, source: &SourceId) -> Result<FeedState> {
        let row = sqlx::query(
            "SELECT etag, last_modified, body_hash, interval_secs, next_fetch_at, consecutive_failures FROM feed_state WHERE source_id = ?",
        )
        .bind(&source.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => FeedState::default(),
            Some(r) => FeedState {
                etag: r.try_get(0)?,
                last_modified: r.try_get(1)?,
                body_hash: r.try_get(2)?,
                interval_secs: r.try_get(3)?,
                next_fetch_at: r.try_get(4)?,
                consecutive_failures: r.try_get(5)?,
            },
        })
    }

    /// Enabled sources whose next fetch is due.
    pub async fn due_sources(&self, now: DateTime<Utc>) -> Result<Vec<SourceId>> {
        let rows = sqlx::query(
            "SELECT s.id FROM sources s JOIN feed_state f ON f.source_id = s.id WHERE s.enabled = 1 AND f.next_fetch_at <= ? ORDER BY f.next_fetch_at",
        )
        .bind(to_unix(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(SourceId(r.try_get(0)?))).collect()
    }

    /// Seconds until the next enabled source is due (None when there is none).
    pub async fn next_due_at(&self) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT MIN(f.next_fetch_at) FROM sources s JOIN feed_state f ON f.source_id = s.id WHERE s.enabled = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get(0)?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn record_feed_success(
        &self,
        source: &SourceId,
        now: DateTime<Utc>,
        etag: Option<&str>,
        last_modified: Option<&str>,
        body_hash: Option<&str>,
        changed: bool,
        interval_secs: i64,
        items: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE feed_state SET etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), body_hash = COALESCE(?, body_hash),
             interval_secs = ?, next_fetch_at = ?, last_fetch_at = ?, last_success_at = ?,
             last_change_at = CASE WHEN ? THEN ? ELSE last_change_at END,
             consecutive_failures = 0, items_last_fetch = ? WHERE source_id = ?",
        )
        .bind(etag)
        .bind(last_modified)
        .bind(body_hash)
        .bind(interval_secs)
        .bind(to_unix(now) + interval_secs)
        .bind(to_unix(now))
        .bind(to_unix(now))
        .bind(changed)
        .bind(to_unix(now))
        .bind(items)
        .bind(&source.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Counts a failure of the source's feed and schedules the retry.
    pub async fn record_feed_failure(
        &self,
        source: &SourceId,
        now: DateTime<Utc>,
        class: FailureClass,
        message: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE feed_state SET next_fetch_at = ?, last_fetch_at = ?, consecutive_failures = consecutive_failures + 1,
             total_failures = total_failures + 1, last_error_class = ?, last_error = ? WHERE source_id = ?",
        )
        .bind(to_unix(retry_at))
        .bind(to_unix(now))
        .bind(class.as_str())
        .bind(message)
        .bind(&source.0)
        .execute(&self.pool)
        .await?;
        self.count_failure(source, class, None, now).await
    }

    /// Counts a failure by class for the source (feed or one of its articles).
    pub async fn count_failure(&self, source: &SourceId, class: FailureClass, url: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO failure_counts (source_id, class, count, last_at, last_url) VALUES (?, ?, 1, ?, ?)
             ON CONFLICT(source_id, class) DO UPDATE SET count = count + 1, last_at = excluded.last_at, last_url = COALESCE(excluded.last_url, last_url)",
        )
        .bind(&source.0)
        .bind(class.as_str())
        .bind(to_unix(now))
        .bind(url)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn failure_counts(&self, source: &SourceId) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT class, count FROM failure_counts WHERE source_id = ? ORDER BY class")
            .bind(&source.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Every source's feed health, those turned off too (the Sources page lists them, to turn back on).
    pub async fn source_health(&self) -> Result<Vec<SourceHealth>> {
        let rows = sqlx::query(
            "SELECT f.source_id, f.last_success_at, f.next_fetch_at, f.consecutive_failures, f.total_failures, f.last_error_class, f.last_error,
             (SELECT COUNT(*) FROM articles a WHERE a.source_id = f.source_id)
             FROM feed_state f JOIN sources s ON s.id = f.source_id ORDER BY f.source_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SourceHealth {
                    source_id: r.try_get(0)?,
                    last_success_at: r.try_get::<Option<i64>, _>(1)?.map(from_unix),
                    next_fetch_at: from_unix(r.try_get(2)?),
                    consecutive_failures: r.try_get(3)?,
                    total_failures: r.try_get(4)?,
                    last_error_class: r.try_get(5)?,
                    last_error: r.try_get(6)?,
                    articles_stored: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Makes a source due now (admin "re-run"); false if no such enabled source.
    pub async fn run_source_now(&self, source: &SourceId, now: DateTime<Utc>) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE feed_state SET next_fetch_at = ? WHERE source_id = ? AND source_id IN (SELECT id FROM sources WHERE enabled = 1)",
        )
        .bind(to_unix(now))
        .bind(&source.0)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Articles stored but not yet searchable (for /metrics).
    pub async fn count_unindexed(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM articles WHERE indexed = 0").fetch_one(&self.pool).await?.try_get(0)?)
    }

    // ---- sightings and URLs ----

    pub async fn record_sighting(&self, url: &str, source: &SourceId, title: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO sightings (url, source_id, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(url, source_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind(url)
        .bind(&source.0)
        .bind(title)
        .bind(to_unix(now))
        .bind(to_unix(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn article_for_url(&self, url: &str) -> Result<Option<ArticleId>> {
        let r = sqlx::query("SELECT article_id FROM article_urls WHERE url = ?").bind(url).fetch_optional(&self.pool).await?;
        Ok(match r {
            Some(r) => Some(ArticleId(r.try_get(0)?)),
            None => None,
        })
    }

    /// Sources (feeds) that listed the article under any of its URLs.
    pub async fn sightings_of(&self, id: ArticleId) -> Result<Vec<String>> {
        Ok(self.sightings_of_many(&[id]).await?.into_values().next().unwrap_or_default())
    }

    /// `sightings_of` for many articles in one query.
    pub async fn sightings_of_many(&self, ids: &[ArticleId]) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let mut map: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT DISTINCT u.article_id, s.source_id FROM sightings s JOIN article_urls u ON u.url = s.url
                 WHERE u.article_id IN ({}) ORDER BY u.article_id, s.source_id",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            for r in q.fetch_all(&self.pool).await? {
                map.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
            }
        }
        Ok(map)
    }

    // ---- jobs ----

    /// Queues work once per (kind, key). An existing job is left as it is, unless it failed for good
    /// more than `REQUEUE_FAILED_AFTER` ago: asked for again, it gets a fresh set of attempts.
    pub async fn enqueue(&self, kind: &str, key: &str, payload: &str, run_at: DateTime<Utc>) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        enqueue_on(&mut conn, kind, key, payload, run_at).await
    }

    /// Takes up to `limit` due jobs of a kind, marking them running.
    pub async fn take_jobs(&self, kind: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Job>> {
        let mut tx = self.write_tx().await?;
        // Jobs that were running when the process died (crashes > 0) run one at a time beside the
        // rest: if one of them takes the process down again, it is the only suspect running and
        // the only one poisoned, not the thousands taken with it.
        let rows = sqlx::query(
            "SELECT * FROM (SELECT id, key, payload, attempts FROM jobs WHERE kind = ? AND state = 'queued' AND run_at <= ? AND crashes > 0
               AND NOT EXISTS (SELECT 1 FROM jobs WHERE kind = ? AND state = 'running' AND crashes > 0) ORDER BY run_at, id LIMIT 1)
             UNION ALL
             SELECT * FROM (SELECT id, key, payload, attempts FROM jobs WHERE kind = ? AND state = 'queued' AND run_at <= ? AND crashes = 0
               ORDER BY run_at, id LIMIT ?)",
        )
        .bind(kind)
        .bind(to_unix(now))
        .bind(kind)
        .bind(kind)
        .bind(to_unix(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let jobs = rows
            .iter()
            .map(|r| Ok(Job { id: r.try_get(0)?, key: r.try_get(1)?, payload: r.try_get(2)?, attempts: r.try_get(3)? }))
            .collect::<Result<Vec<Job>>>()?;
        // one statement per 500 jobs, not per job: each statement is a round trip to SQLite's thread
        for chunk in jobs.chunks(500) {
            let sql = format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE id IN ({})",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_unix(now));
            for j in chunk {
                q = q.bind(j.id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(jobs)
    }

    pub async fn finish_job(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET state = 'done', last_error = NULL, updated_at = ? WHERE id = ?")
            .bind(to_unix(Utc::now()))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up when None.
    pub async fn fail_job(&self, id: i64, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<()> {
        let (state, at) = match retry_at {
            Some(t) => ("queued", to_unix(t)),
            None => ("failed", to_unix(Utc::now())),
        };
        sqlx::query("UPDATE jobs SET state = ?, run_at = ?, last_error = ?, updated_at = ? WHERE id = ?")
            .bind(state)
            .bind(at)
            .bind(error)
            .bind(to_unix(Utc::now()))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn count_jobs(&self, kind: &str, state: &str) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) FROM jobs WHERE kind = ? AND state = ?").bind(kind).bind(state).fetch_one(&self.pool).await?;
        Ok(r.try_get(0)?)
    }

    /// When the next queued job of this kind is due.
    pub async fn next_job_at(&self, kind: &str) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT MIN(run_at) FROM jobs WHERE kind = ? AND state = 'queued'").bind(kind).fetch_one(&self.pool).await?;
        Ok(r.try_get(0)?)
    }

    // ---- articles ----

    /// Stores an article once: if any of `urls` (normalised) or its canonical URL is already known, or
    /// the same text was stored from the same host, the URLs are added to the existing article.
    pub async fn insert_article(&self, a: &NewArticle, urls: &[String]) -> Result<Stored> {
        self.insert_article_with(a, urls, None).await
    }

    /// `insert_article`, keeping the response that brought a new article in the same transaction.
    pub async fn insert_article_with(
        &self,
        a: &NewArticle,
        urls: &[String],
        capture: Option<&crate::model::NewCapture>,
    ) -> Result<Stored> {
        let mut stored = self.insert_articles(&[ToStore { article: a, urls, capture, job: None }]).await?;
        stored.pop().ok_or_else(|| StoreError::Corrupt("a batch of one stored nothing".into()))
    }

    pub async fn count_articles(&self) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) FROM articles").fetch_one(&self.pool).await?;
        Ok(r.try_get(0)?)
    }

    pub async fn unindexed_ids(&self, limit: i64) -> Result<Vec<ArticleId>> {
        let rows = sqlx::query("SELECT id FROM articles WHERE indexed = 0 ORDER BY id LIMIT ?").bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(ArticleId(r.try_get(0)?))).collect()
    }

    pub async fn mark_indexed(&self, ids: &[ArticleId]) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for chunk in ids.chunks(500) {
            let sql = format!("UPDATE articles SET indexed = 1 WHERE id IN ({})", placeholders(chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks every article as missing from the index (before a rebuild or when the index was lost).
    /// Article ids above `after`, in order, at most `limit`: a walk over every article in batches.
    pub async fn article_ids_after(&self, after: i64, limit: i64) -> Result<Vec<ArticleId>> {
        let rows =
            sqlx::query("SELECT id FROM articles WHERE id > ? ORDER BY id LIMIT ?").bind(after).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(ArticleId(r.try_get(0)?))).collect()
    }

    /// Marks every article up to `last` indexed (a rebuilt index holds them all).
    pub async fn mark_indexed_through(&self, last: i64) -> Result<()> {
        sqlx::query("UPDATE articles SET indexed = 1 WHERE id <= ? AND indexed = 0").bind(last).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn mark_all_unindexed(&self) -> Result<()> {
        sqlx::query("UPDATE articles SET indexed = 0").execute(&self.pool).await?;
        Ok(())
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

    /// Articles by id, in the order given, with their tags and the origin of their source.
    pub async fn articles(&self, ids: &[ArticleId]) -> Result<Vec<Article>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!("{} WHERE a.id IN ({})", ARTICLE_SELECT.as_str(), placeholders(chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.0);
            }
            let rows = q.fetch_all(&self.pool).await?;
            let mut found = self.articles_from_rows(&rows).await?;
            // keep the caller's order
            let pos: std::collections::HashMap<i64, usize> = chunk.iter().enumerate().map(|(i, id)| (id.0, i)).collect();
            found.sort_by_key(|a| pos.get(&a.id.0).copied().unwrap_or(usize::MAX));
            out.extend(found);
        }
        Ok(out)
    }

    /// One page of articles with `id > after_id`, in id order, optionally within published/fetched dates.
    pub async fn articles_page(
        &self,
        after_id: i64,
        limit: i64,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<Article>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(ARTICLE_PAGE.as_str()))
            .bind(after_id)
            .bind(since.map(to_unix).unwrap_or(i64::MIN))
            .bind(until.map(to_unix).unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        self.articles_from_rows(&rows).await
    }

    /// Builds articles from rows of `ARTICLE_SELECT`, loading all their tags in two queries.
    async fn articles_from_rows(&self, rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<Article>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(article_from_row(r)?);
        }
        let ids: Vec<i64> = out.iter().map(|a| a.id.0).collect();
        let mut topics = self.tags_of("article_topics", "topic_id", &ids).await?;
        let mut mentions = self.tags_of("article_mentions", "topic_id", &ids).await?;
        let mut places = self.tags_of("article_localities", "locality_id", &ids).await?;
        for a in &mut out {
            a.topics = topics.remove(&a.id.0).unwrap_or_default();
            a.mentions = mentions.remove(&a.id.0).unwrap_or_default();
            a.localities = places.remove(&a.id.0).unwrap_or_default();
        }
        Ok(out)
    }

    async fn tags_of(&self, table: &str, col: &str, ids: &[i64]) -> Result<std::collections::HashMap<i64, Vec<Tag>>> {
        let mut map: std::collections::HashMap<i64, Vec<Tag>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(map);
        }
        let evidence = if table == "article_topics" { "evidence" } else { "CAST(NULL AS TEXT)" };
        let about = if table == "article_localities" { "about" } else { "1" };
        let sql = format!(
            "SELECT article_id, {col}, matched, in_title, {evidence}, {about} FROM {table} WHERE article_id IN ({}) ORDER BY article_id, {col}",
            placeholders(ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&self.pool).await? {
            let matched: String = r.try_get(2)?;
            let evidence: Option<String> = r.try_get(4)?;
            map.entry(r.try_get(0)?).or_default().push(Tag {
                id: r.try_get(1)?,
                matched: serde_json::from_str(&matched).map_err(|e| StoreError::Corrupt(format!("{table}.matched: {e}")))?,
                in_title: r.try_get::<i64, _>(3)? != 0,
                evidence: evidence
                    .map(|e| serde_json::from_str(&e).map_err(|e| StoreError::Corrupt(format!("{table}.evidence: {e}"))))
                    .transpose()?,
                passing: r.try_get::<i64, _>(5)? == 0,
            });
        }
        Ok(map)
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

fn article_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<Article> {
    let id: i64 = r.try_get("id")?;
    let origin: Option<String> = r.try_get("origin")?;
    Ok(Article {
        id: ArticleId(id),
        url: r.try_get("url")?,
        canonical_url: r.try_get("canonical_url")?,
        source: SourceId(r.try_get("source_id")?),
        origin: origin.as_deref().and_then(|o| o.parse().ok()),
        title: r.try_get("title")?,
        title_vi: r.try_get("title_vi")?,
        text: r.try_get("text")?,
        lang: r.try_get("lang")?,
        published_at: r.try_get::<Option<i64>, _>("published_at")?.map(from_unix),
        fetched_at: from_unix(r.try_get("fetched_at")?),
        story_id: r.try_get("story_id")?,
        topics: Vec::new(),
        mentions: Vec::new(),
        localities: Vec::new(),
    })
}

const ARTICLE_COLUMNS: &str = "a.id, a.url, a.canonical_url, a.source_id, s.origin, a.title, a.title_vi, a.text, a.lang, a.published_at, a.fetched_at,
     (SELECT st.story_id FROM article_stories st WHERE st.article_id = a.id) AS story_id";

static ARTICLE_SELECT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {ARTICLE_COLUMNS} FROM articles a LEFT JOIN sources s ON s.id = a.source_id"));

static ARTICLE_PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {ARTICLE_COLUMNS} FROM articles a LEFT JOIN sources s ON s.id = a.source_id
         WHERE a.id > ? AND COALESCE(a.published_at, a.fetched_at) >= ? AND COALESCE(a.published_at, a.fetched_at) <= ?
         ORDER BY a.id LIMIT ?"
    )
});

/// `Store::enqueue` on a connection or transaction, so a job can commit with what caused it.
pub(crate) async fn enqueue_on(
    conn: &mut sqlx::SqliteConnection,
    kind: &str,
    key: &str,
    payload: &str,
    run_at: DateTime<Utc>,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO jobs (kind, key, payload, state, run_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?)
         ON CONFLICT(kind, key) DO UPDATE SET state = 'queued', attempts = 0, run_at = excluded.run_at,
           payload = excluded.payload, updated_at = excluded.updated_at
         WHERE jobs.state = 'failed' AND jobs.updated_at < excluded.updated_at - ?",
    )
    .bind(kind)
    .bind(key)
    .bind(payload)
    .bind(to_unix(run_at))
    .bind(to_unix(Utc::now()))
    .bind(REQUEUE_FAILED_AFTER)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}
