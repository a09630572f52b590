//! `[storage]`: where the database and the index live, relative to the file that names them.

use super::raw::RawStorage;
use super::{At, ConfigError};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub database_url: String,
    pub index_dir: PathBuf,
}

const DEFAULT_DATABASE_URL: &str = "sqlite://data/presswatch.sqlite";

/// The folder of a configuration file, absolute (so a later change of directory changes nothing).
fn folder_of(file: &Path) -> PathBuf {
    let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf())
}

/// `base` joined with a relative path, `.` and `..` taken off by name (as people read the path:
/// `config/../data` is `data`), so messages name the file plainly.
fn join_in(base: &Path, relative: &str) -> PathBuf {
    let mut out = base.to_path_buf();
    for c in Path::new(relative).components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A `sqlite:` URL whose file path, when relative, is taken from `base`. `sqlite::memory:` and
/// absolute paths stay as written; options after `?` are kept.
pub(super) fn sqlite_url_in(url: &str, base: &Path) -> String {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let (file, options) = match rest.find('?') {
        Some(q) => rest.split_at(q),
        None => (rest, ""),
    };
    if file.is_empty() || file.starts_with(':') || Path::new(file).is_absolute() {
        return url.to_string();
    }
    format!("sqlite://{}{options}", join_in(base, file).display())
}

/// `[storage]` as written in `p`, or the defaults beside the main file `main_path`.
pub(super) fn validate(main_path: &Path, storage: Option<(PathBuf, &RawStorage)>) -> Result<StorageConfig, ConfigError> {
    Ok(match storage {
        None => {
            let base = folder_of(main_path);
            StorageConfig { database_url: sqlite_url_in(DEFAULT_DATABASE_URL, &base), index_dir: join_in(&base, "index") }
        }
        Some((p, s)) => {
            let at = At(&p);
            let database_url = s.database_url.clone().unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
            if !database_url.starts_with("sqlite:") {
                return Err(at.err(
                    "storage.database_url",
                    format!("\"{database_url}\": only sqlite:// is supported by this build (PostgreSQL is planned)"),
                ));
            }
            let base = folder_of(&p);
            StorageConfig {
                database_url: sqlite_url_in(&database_url, &base),
                index_dir: join_in(&base, s.index_dir.as_deref().unwrap_or("index")),
            }
        }
    })
}
