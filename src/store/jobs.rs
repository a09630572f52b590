//! The job queue (page fetches and the like): queued, taken, finished or failed, and what a crash
//! left running.

use super::sql::placeholders;
use super::{Result, Store, REQUEUE_FAILED_AFTER};
use crate::time::{from_unix, to_unix};
use chrono::{DateTime, Utc};
use sqlx::Row;

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

impl Store {
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
}

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
