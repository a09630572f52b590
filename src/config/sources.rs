//! `[[source]]` and `[[agency]]`: where articles come from and who answers for them.

use super::raw::RawSource;
use super::{check_lang, http_url, parse_duration, At, ConfigError};
use std::time::Duration;
use crate::model::{Origin, SourceId};

#[derive(Debug, Clone)]
pub struct Source {
    pub id: SourceId,
    pub name: String,
    pub url: url::Url,
    pub lang: Option<String>,
    pub origin: Origin,
    pub enabled: bool,
    pub interval: Option<Duration>,
    pub content_selectors: Vec<String>,
    pub exclude_selectors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Agency {
    pub id: String,
    pub name: String,
}

/// One `[[source]]` (its id already checked).
pub(super) fn validate(at: &At, i: usize, s: &RawSource) -> Result<Source, ConfigError> {
        let key = |k: &str| format!("source[{i}].{k}");
        let url = http_url(at, &key("url"), &s.url)?;
        let origin: Origin = s.origin.parse().map_err(|m| at.err(key("origin"), m))?;
        if let Some(l) = &s.lang {
            check_lang(at, &key("lang"), l)?;
        }
        let interval = s.interval.as_deref().map(parse_duration).transpose().map_err(|m| at.err(key("interval"), m))?;
        for (j, sel) in s.content_selectors.iter().chain(&s.exclude_selectors).enumerate() {
            scraper::Selector::parse(sel)
                .map_err(|e| at.err(format!("source[{i}].selectors[{j}]"), format!("invalid CSS selector \"{sel}\": {e}")))?;
        }
        Ok(Source {
            id: SourceId(s.id.clone()),
            name: s.name.clone(),
            url,
            lang: s.lang.clone(),
            origin,
            enabled: s.enabled,
            interval,
            content_selectors: s.content_selectors.clone(),
            exclude_selectors: s.exclude_selectors.clone(),
        })
}
