//! Who is asking: passwords (argon2), session cookies, API tokens, CSRF tokens, and the login rate
//! limit. What they may do is decided in `access`.

use crate::model::User;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "pw_session";
pub const LANG_COOKIE: &str = "pw_lang";
/// A session lives at most this long, however active.
pub const SESSION_MAX_AGE: chrono::Duration = chrono::Duration::days(7);

/// The user behind a request, and how they proved it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    /// Set for a browser session: unsafe requests must echo it. `None` for an API token.
    pub csrf: Option<String>,
    /// The hash of the session id (to log out).
    pub session_hash: Option<String>,
}

impl Principal {
    /// Who the application sees acting.
    pub fn actor(&self) -> crate::app::Actor {
        crate::app::Actor::User { id: self.user.id, name: self.user.name.clone() }
    }
}

pub use crate::app::credentials::{
    check_new_password, check_user_name, digest, hash_password, new_secret, new_token, same_secret, verify_dummy, verify_password,
    MIN_PASSWORD,
};

/// A cookie header value.
pub fn cookie(name: &str, value: &str, max_age: Option<chrono::Duration>, secure: bool, http_only: bool) -> String {
    let mut c = cookie::Cookie::build((name, value)).path("/").same_site(cookie::SameSite::Lax).http_only(http_only).secure(secure);
    if let Some(age) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(age.num_seconds()));
    }
    c.build().to_string()
}

pub fn read_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Failed logins per key with a backoff that grows: after `max_failures` failures a key waits
/// `base`, and each further failure doubles the wait (up to `MAX_LOCK`); a key forgets its failures
/// once it has been quiet for `forget_after`. The web keys it twice: per (name, address), so a
/// guesser elsewhere cannot lock the owner of a name out (five wrong passwords from anyone used to
/// lock the name for everyone), and per address, so one address cannot spray names.
pub struct LoginLimiter {
    max_failures: u32,
    base: Duration,
    forget_after: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// The longest a key is made to wait.
const MAX_LOCK: Duration = Duration::from_secs(3600);

impl LoginLimiter {
    pub fn new(max_failures: u32, base: Duration, forget_after: Duration) -> LoginLimiter {
        LoginLimiter { max_failures, base, forget_after, failures: Mutex::new(HashMap::new()) }
    }

    fn lock_for(&self, failures: u32) -> Duration {
        if failures < self.max_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.max_failures).min(16);
        self.base.saturating_mul(1 << doublings).min(MAX_LOCK)
    }

    /// Seconds to wait if any of `keys` is locked now.
    pub fn blocked(&self, keys: &[&str]) -> Option<u64> {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|k| map.get(*k))
            .filter_map(|(n, last)| {
                let left = self.lock_for(*n).saturating_sub(now.duration_since(*last));
                (!left.is_zero()).then(|| left.as_secs().max(1))
            })
            .max()
    }

    pub fn failed(&self, keys: &[&str]) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // bound memory under a spray of user names
        if map.len() > 100_000 {
            map.retain(|_, (_, last)| now.duration_since(*last) < self.forget_after);
        }
        for k in keys {
            let e = map.entry(k.to_string()).or_insert((0, now));
            if now.duration_since(e.1) >= self.forget_after {
                e.0 = 0;
            }
            e.0 = e.0.saturating_add(1);
            e.1 = now;
        }
    }

    pub fn succeeded(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_secrets() {
        let h = hash_password("mật khẩu dài đủ").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("mật khẩu dài đủ", &h));
        assert!(!verify_password("mat khau dai du", &h));
        assert!(!verify_password("x", "not a hash"));
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b) && !same_secret("a", "ab"));
    }

    #[test]
    fn limiter_blocks_after_failures_backs_off_and_forgets_on_success() {
        let l = LoginLimiter::new(3, Duration::from_secs(60), Duration::from_secs(900));
        for _ in 0..3 {
            assert_eq!(l.blocked(&["u:an", "ip:1"]), None);
            l.failed(&["u:an", "ip:1"]);
        }
        assert!(l.blocked(&["u:an"]).is_some_and(|s| s > 0 && s <= 60));
        assert!(l.blocked(&["ip:1"]).is_some());
        assert_eq!(l.blocked(&["u:binh"]), None);
        // each failure past the limit doubles the wait, up to an hour
        l.failed(&["u:an"]);
        assert!(l.blocked(&["u:an"]).is_some_and(|s| s > 60 && s <= 120));
        for _ in 0..30 {
            l.failed(&["u:an"]);
        }
        assert!(l.blocked(&["u:an"]).is_some_and(|s| s > 1800 && s <= 3600));
        l.succeeded("u:an");
        assert_eq!(l.blocked(&["u:an"]), None);
    }
}
