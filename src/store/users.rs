//! Users, sessions, API tokens and saved searches. Secrets are never stored: sessions and tokens are
//! kept as hashes (the caller hashes), passwords as argon2 hashes (the caller hashes).

use super::{Result, Store, StoreError};
use crate::model::{Role, User};
use crate::time::{from_unix, to_unix};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A live session: who, and the CSRF token bound to it.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub query: String,
    pub created_at: DateTime<Utc>,
    /// New matches are e-mailed here (at once, or daily when `alert_digest`).
    pub alert_email: Option<String>,
    pub alert_digest: bool,
}

fn saved_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<SavedSearch> {
    Ok(SavedSearch {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        query: r.try_get(2)?,
        created_at: from_unix(r.try_get(3)?),
        alert_email: r.try_get(4)?,
        alert_digest: r.try_get::<i64, _>(5)? != 0,
    })
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub user: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn user_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<User> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("users.role `{role}`")))?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: from_unix(r.try_get("created_at")?),
        full_name: r.try_get::<Option<String>, _>("full_name")?.filter(|s| !s.is_empty()),
        unit: r.try_get::<Option<String>, _>("unit")?.filter(|s| !s.is_empty()),
    })
}

const USER_COLS: &str = "u.id, u.name, u.role, u.disabled, u.created_at, u.full_name, u.unit";

impl Store {
    pub async fn create_user(&self, name: &str, role: Role, password_hash: &str, now: DateTime<Utc>) -> Result<User> {
        let r = sqlx::query("INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(role.as_str())
            .bind(password_hash)
            .bind(to_unix(now))
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Duplicate(format!("user `{name}`")));
        }
        self.user_by_name(name).await?.ok_or_else(|| StoreError::NotFound(format!("user `{name}`")))
    }

    /// Sets (or clears, with an empty string) a user's full name and unit.
    pub async fn set_user_profile(&self, id: i64, full_name: &str, unit: &str) -> Result<()> {
        let blank = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        sqlx::query("UPDATE users SET full_name = ?, unit = ? WHERE id = ?")
            .bind(blank(full_name))
            .bind(blank(unit))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.name = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users u ORDER BY u.name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// The stored hash for a login, with the user (disabled users included: the caller refuses them).
    pub async fn password_hash(&self, name: &str) -> Result<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.name = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => Ok(Some((user_from_row(&r)?, r.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    /// Changes role, disabled flag and/or password. Disabling or a new password ends the user's
    /// sessions and revokes nothing else.
    pub async fn update_user(&self, id: i64, role: Option<Role>, disabled: Option<bool>, password_hash: Option<&str>) -> Result<User> {
        let mut tx = self.write_tx().await?;
        let exists = sqlx::query("SELECT 1 FROM users WHERE id = ?").bind(id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("user {id}")));
        }
        if let Some(r) = role {
            sqlx::query("UPDATE users SET role = ? WHERE id = ?").bind(r.as_str()).bind(id).execute(&mut *tx).await?;
        }
        if let Some(d) = disabled {
            sqlx::query("UPDATE users SET disabled = ? WHERE id = ?").bind(d as i64).bind(id).execute(&mut *tx).await?;
        }
        if let Some(h) = password_hash {
            sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?").bind(h).bind(id).execute(&mut *tx).await?;
        }
        if disabled == Some(true) || password_hash.is_some() || role.is_some() {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.user(id).await?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))
    }

    // ---- sessions ----

    pub async fn create_session(&self, id_hash: &str, user_id: i64, csrf: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // expired sessions are swept as new ones are made
        sqlx::query("DELETE FROM sessions WHERE expires_at < ?").bind(to_unix(now)).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, created_at, seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(to_unix(now))
            .bind(to_unix(now))
            .bind(to_unix(expires))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session if it is live at `now`; extends it to `now + idle`, capped by `max_age` after creation.
    pub async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
        max_age: chrono::Duration,
    ) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {USER_COLS}, s.csrf, s.created_at AS s_created, s.expires_at, s.seen_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ?"
        );
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id_hash).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let user = user_from_row(&r)?;
        let expires = from_unix(r.try_get("expires_at")?);
        if expires <= now || user.disabled {
            return Ok(None);
        }
        let created = from_unix(r.try_get("s_created")?);
        let seen = from_unix(r.try_get("seen_at")?);
        let new_expiry = (now + idle).min(created + max_age);
        // write at most once a minute per session: reads should not all become writes
        if now - seen > chrono::Duration::seconds(60) || new_expiry < expires {
            sqlx::query("UPDATE sessions SET seen_at = ?, expires_at = ? WHERE id_hash = ?")
                .bind(to_unix(now))
                .bind(to_unix(new_expiry))
                .bind(id_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(Session { user, csrf: r.try_get("csrf")?, expires_at: expires }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    // ---- API tokens ----

    pub async fn create_token(&self, token_hash: &str, user_id: i64, label: &str, now: DateTime<Utc>) -> Result<i64> {
        let r = sqlx::query("INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(label)
            .bind(to_unix(now))
            .execute(&self.pool)
            .await?;
        Ok(r.last_insert_rowid())
    }

    pub async fn user_by_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLS}, t.id AS token_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ? AND t.revoked = 0 AND u.disabled = 0"
        );
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let last: Option<i64> = r.try_get("last_used_at")?;
        if last.is_none_or(|l| to_unix(now) - l > 60) {
            sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
                .bind(to_unix(now))
                .bind(r.try_get::<i64, _>("token_id")?)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(user_from_row(&r)?))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT t.id, u.name, t.label, t.created_at, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.revoked = 0 ORDER BY t.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get(0)?,
                    user: r.try_get(1)?,
                    label: r.try_get(2)?,
                    created_at: from_unix(r.try_get(3)?),
                    last_used_at: r.try_get::<Option<i64>, _>(4)?.map(from_unix),
                })
            })
            .collect()
    }

    pub async fn revoke_token(&self, id: i64) -> Result<()> {
        let r = sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE id = ? AND revoked = 0").bind(id).execute(&self.pool).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        Ok(())
    }

    // ---- saved searches ----

    /// `alert`: an address to e-mail new matches to, and whether as a daily digest.
    pub async fn save_search(&self, user_id: i64, name: &str, query: &str, alert: Option<(&str, bool)>, now: DateTime<Utc>) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO saved_searches (user_id, name, query, created_at, alert_email, alert_digest) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(user_id)
        .bind(name)
        .bind(query)
        .bind(to_unix(now))
        .bind(alert.map(|a| a.0))
        .bind(alert.is_some_and(|a| a.1) as i64)
        .execute(&self.pool)
        .await?;
        Ok(r.last_insert_rowid())
    }

    pub async fn saved_searches(&self, user_id: i64) -> Result<Vec<SavedSearch>> {
        let rows = sqlx::query(
            "SELECT id, name, query, created_at, alert_email, alert_digest FROM saved_searches WHERE user_id = ? ORDER BY name, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(saved_from_row).collect()
    }

    /// Saved searches that alert someone, of users still enabled.
    pub async fn alerting_searches(&self) -> Result<Vec<SavedSearch>> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.query, s.created_at, s.alert_email, s.alert_digest FROM saved_searches s
             JOIN users u ON u.id = s.user_id WHERE s.alert_email IS NOT NULL AND u.disabled = 0 ORDER BY s.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(saved_from_row).collect()
    }

    /// Deletes one of the user's own saved searches.
    pub async fn delete_saved_search(&self, user_id: i64, id: i64) -> Result<()> {
        let r = sqlx::query("DELETE FROM saved_searches WHERE id = ? AND user_id = ?").bind(id).bind(user_id).execute(&self.pool).await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("saved search {id}")));
        }
        Ok(())
    }
}
