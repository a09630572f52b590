//! Reloading the configuration while `serve` runs: on SIGHUP, from the admin's button, and after a
//! source is added or turned off from the Sources page. The file is read and validated first; a
//! broken file changes nothing (the running configuration stays, and admins see why on the Sources
//! page); a valid one is handed to `serve`, which stops its workers and web server gracefully and
//! starts them again on it (sessions and data are in the database, so nobody is logged out).

use crate::config::Config;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokio::sync::Notify;

/// The running configuration's file and what became of the last reload.
#[derive(Default)]
pub struct Reload {
    path: Option<PathBuf>,
    accepted: Notify,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    loaded_at: Option<DateTime<Utc>>,
    failed: Option<(DateTime<Utc>, String)>,
    pending: Option<Config>,
}

/// What admins are shown.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// When the running configuration was read (None: not known, as in tests).
    pub loaded_at: Option<DateTime<Utc>>,
    /// The last reload that was refused, and why; cleared by the next one that works.
    pub failed: Option<(DateTime<Utc>, String)>,
    /// Whether this server knows its file (and so can reload and edit sources).
    pub can_reload: bool,
}

impl Reload {
    pub fn new(path: &Path, loaded_at: DateTime<Utc>) -> Reload {
        Reload { path: Some(path.to_path_buf()), state: Mutex::new(State { loaded_at: Some(loaded_at), ..State::default() }), ..Reload::default() }
    }

    /// The configuration file, when known.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Reads and validates the file; a valid one is handed to `serve` (which restarts on it), a
    /// broken one is refused with the reason, kept for the Sources page.
    pub fn request(&self, now: DateTime<Utc>) -> Result<(), String> {
        let Some(path) = &self.path else { return Err("this server does not know its configuration file".into()) };
        match Config::load(path) {
            Ok(cfg) => {
                self.accept(cfg);
                Ok(())
            }
            Err(e) => {
                self.refused(now, e.to_string());
                Err(e.to_string())
            }
        }
    }

    /// Hands `serve` a configuration already read and validated (a source edit's result).
    pub fn accept(&self, cfg: Config) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.pending = Some(cfg);
        s.failed = None;
        drop(s);
        self.accepted.notify_one();
    }

    /// A reload that validated but could not start (`serve` went back to the running
    /// configuration): kept for the Sources page like a refused file.
    pub fn refused(&self, now: DateTime<Utc>, why: String) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.failed = Some((now, why));
    }

    /// Waits until a reload has been accepted.
    pub async fn accepted(&self) {
        self.accepted.notified().await
    }

    /// The configuration to run next, once; marks it as loaded now.
    pub fn take_pending(&self, now: DateTime<Utc>) -> Option<Config> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let next = s.pending.take();
        if next.is_some() {
            s.loaded_at = Some(now);
        }
        next
    }

    pub fn status(&self) -> Status {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Status { loaded_at: s.loaded_at, failed: s.failed.clone(), can_reload: self.path.is_some() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_file_is_refused_and_the_reason_kept_until_a_good_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("presswatch.toml");
        std::fs::write(&path, "[storage]\ndatabase_url = \"sqlite://db.sqlite\"\n").expect("write");
        let r = Reload::new(&path, Utc::now());
        std::fs::write(&path, "[crawl]\ninterval = \"soon\"\n").expect("write");
        let e = r.request(Utc::now()).expect_err("broken");
        assert!(e.contains("crawl.interval"), "{e}");
        assert!(r.status().failed.is_some_and(|(_, m)| m == e));
        assert!(r.take_pending(Utc::now()).is_none(), "nothing to run");
        std::fs::write(&path, "[crawl]\ninterval = \"20m\"\n").expect("write");
        r.request(Utc::now()).expect("valid");
        assert!(r.status().failed.is_none());
        let next = r.take_pending(Utc::now()).expect("handed over");
        assert_eq!(next.crawl.interval, std::time::Duration::from_secs(1200));
        assert!(r.take_pending(Utc::now()).is_none(), "once");
        assert!(Reload::default().request(Utc::now()).is_err(), "no file, no reload");
    }
}
