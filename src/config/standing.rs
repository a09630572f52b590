//! `[[rule]]` and `[[alert]]`: standing queries on every new article, with what happens when one
//! holds (a queue item opened, someone told).

use super::raw::RawStanding;
use super::{check_lang, http_url, parse_duration, Agency, At, ConfigError, Locality, SmtpConfig, Source, Topic};
use crate::model::Origin;
use crate::query::{self, Expr};
use std::path::Path;
use std::time::Duration;

/// Conditions on a new article, all of which must hold. Lists mean "any of"; empty means any.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub query: Option<Expr>,
    pub query_text: Option<String>,
    pub origins: Vec<Origin>,
    pub sources: Vec<String>,
    pub langs: Vec<String>,
    pub localities: Vec<String>,
    /// Articles in the article's story (itself included).
    pub min_story_size: usize,
    /// Articles that joined the story within `growth_window`.
    pub min_story_growth: usize,
    pub growth_window: Duration,
}

impl Conditions {
    /// True when nothing is asked: such an alert only listens to rules or spikes.
    pub fn is_empty(&self) -> bool {
        self.query.is_none()
            && self.origins.is_empty()
            && self.sources.is_empty()
            && self.langs.is_empty()
            && self.localities.is_empty()
            && self.min_story_size <= 1
            && self.min_story_growth == 0
    }
}

/// An auto-flag rule: articles meeting its conditions open a queue item (one per story).
#[derive(Debug, Clone)]
pub struct FlagRule {
    pub id: String,
    pub name: String,
    pub when: Conditions,
    pub priority: crate::model::Priority,
    pub agency: Option<String>,
    pub reason: String,
}

/// Who is told, how and when, about articles meeting conditions, items opened by rules, or spikes.
#[derive(Debug, Clone)]
pub struct Alert {
    pub id: String,
    pub name: String,
    /// None: the alert only listens to `rules` and/or `spikes`.
    pub when: Option<Conditions>,
    pub rules: Vec<String>,
    pub spikes: bool,
    pub email: Vec<String>,
    pub webhook: Option<url::Url>,
    /// Collect and send at most once per this period instead of at once.
    pub digest: Option<Duration>,
    /// Local (Asia/Ho_Chi_Minh) minutes of the day `[from, to)`; may wrap midnight.
    pub quiet_hours: Option<(u32, u32)>,
}

pub(super) fn validate_rules(raw_rules: Vec<(&Path, usize, &RawStanding)>, known: &Known, agencies: &[Agency]) -> Result<Vec<FlagRule>, ConfigError> {
    let mut rules = Vec::new();
    for (path, i, r) in raw_rules {
        let at = At(path);
        let key = |k: &str| format!("rule[{i}].{k}");
        let when = validate_conditions(&at, &format!("rule[{i}]"), r, &known)?;
        if when.is_empty() {
            return Err(at.err(key("query"), format!("rule \"{}\" has no condition: it would flag every article", r.id)));
        }
        let priority = match r.priority.as_deref() {
            None => crate::model::Priority::Normal,
            Some(p) => crate::model::Priority::parse(p)
                .ok_or_else(|| at.err(key("priority"), format!("\"{p}\" is not one of low, normal, high, urgent")))?,
        };
        if let Some(a) = &r.agency {
            if !agencies.iter().any(|x| &x.id == a) {
                return Err(at.err(key("agency"), format!("unknown agency \"{a}\"")));
            }
        }
        let reason = r.reason.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| r.name.clone());
        rules.push(FlagRule { id: r.id.clone(), name: r.name.clone(), when, priority, agency: r.agency.clone(), reason });
    }
    Ok(rules)
}

pub(super) fn validate_alerts(
    raw_alerts: Vec<(&Path, usize, &RawStanding)>,
    known: &Known,
    rules: &[FlagRule],
    smtp: Option<&SmtpConfig>,
) -> Result<Vec<Alert>, ConfigError> {
    let mut alerts = Vec::new();
    for (path, i, a) in raw_alerts {
        let at = At(path);
        let key = |k: &str| format!("alert[{i}].{k}");
        let when = validate_conditions(&at, &format!("alert[{i}]"), a, &known)?;
        let when = (!when.is_empty()).then_some(when);
        let listened: &[String] = a.rules.as_deref().unwrap_or_default();
        let spikes = a.spikes.unwrap_or(false);
        let email: &[String] = a.email.as_deref().unwrap_or_default();
        for (j, r) in listened.iter().enumerate() {
            if !rules.iter().any(|x| &x.id == r) {
                return Err(at.err(format!("alert[{i}].rules[{j}]"), format!("unknown rule \"{r}\"")));
            }
        }
        if when.is_none() && listened.is_empty() && !spikes {
            return Err(
                at.err(key("query"), format!("alert \"{}\" listens to nothing: give a query or conditions, rules, or spikes = true", a.id))
            );
        }
        for (j, m) in email.iter().enumerate() {
            check_mailbox(&at, &format!("alert[{i}].email[{j}]"), m)?;
        }
        if !email.is_empty() && smtp.is_none() {
            return Err(at.err(key("email"), "recipients are set but there is no [smtp] section to send through"));
        }
        let webhook = match &a.webhook {
            None => None,
            Some(u) => {
                Some(http_url(&at, &key("webhook"), u)?)
            }
        };
        if email.is_empty() && webhook.is_none() {
            return Err(at.err(key("email"), format!("alert \"{}\" tells no one: give email recipients or a webhook", a.id)));
        }
        let digest = a.digest.as_deref().map(parse_duration).transpose().map_err(|m| at.err(key("digest"), m))?;
        if digest.is_some_and(|d| d < Duration::from_secs(60)) {
            return Err(at.err(key("digest"), "must be at least 1m"));
        }
        let quiet_hours = a.quiet_hours.as_deref().map(parse_quiet_hours).transpose().map_err(|m| at.err(key("quiet_hours"), m))?;
        alerts.push(Alert {
            id: a.id.clone(),
            name: a.name.clone(),
            when,
            rules: listened.to_vec(),
            spikes,
            email: email.to_vec(),
            webhook,
            digest,
            quiet_hours,
        });
    }
    Ok(alerts)
}

/// What conditions may name.
pub(super) struct Known<'a> {
    pub(super) localities: &'a [Locality],
    pub(super) topics: &'a [Topic],
    pub(super) sources: &'a [Source],
}

fn validate_conditions(at: &At, prefix: &str, c: &RawStanding, known: &Known) -> Result<Conditions, ConfigError> {
    let key = |k: &str| format!("{prefix}.{k}");
    let query = match &c.query {
        None => None,
        Some(q) => {
            let e = query::parse(q).map_err(|e| at.err(key("query"), e.to_string()))?;
            if contains_date(&e) {
                return Err(at.err(key("query"), "standing queries are evaluated on each new article: date: does not apply"));
            }
            Some(e)
        }
    };
    let mut origins = Vec::new();
    for (j, o) in c.origin.iter().enumerate() {
        origins.push(o.parse::<Origin>().map_err(|m| at.err(format!("{prefix}.origin[{j}]"), m))?);
    }
    for (j, s) in c.sources.iter().enumerate() {
        if !known.sources.iter().any(|x| &x.id.0 == s) {
            return Err(at.err(format!("{prefix}.sources[{j}]"), format!("unknown source \"{s}\"")));
        }
    }
    for (j, l) in c.localities.iter().enumerate() {
        if !known.localities.iter().any(|x| &x.id == l) {
            return Err(at.err(format!("{prefix}.localities[{j}]"), format!("unknown locality \"{l}\"")));
        }
    }
    for (j, l) in c.lang.iter().enumerate() {
        check_lang(at, &format!("{prefix}.lang[{j}]"), l)?;
    }
    if let Some(e) = &query {
        let mut unknown = None;
        visit_fields(e, &mut |f, v| {
            use crate::query::Field;
            let ok = match f {
                Field::Topic | Field::Mentions => known.topics.iter().any(|t| t.id.eq_ignore_ascii_case(v)),
                Field::Locality => known.localities.iter().any(|l| l.id.eq_ignore_ascii_case(v)),
                _ => true,
            };
            if !ok && unknown.is_none() {
                unknown = Some(format!("{}:{v} names no configured {}", f.name(), f.name()));
            }
        });
        if let Some(m) = unknown {
            return Err(at.err(key("query"), m));
        }
    }
    let count = |v: Option<i64>, k: &str| -> Result<usize, ConfigError> {
        match v {
            None => Ok(0),
            Some(n) if (0..=100_000).contains(&n) => Ok(n as usize),
            Some(n) => Err(at.err(key(k), format!("{n} is out of range 0..=100000"))),
        }
    };
    let growth_window = match &c.growth_window {
        None => Duration::from_secs(24 * 3600),
        Some(w) => parse_duration(w).map_err(|m| at.err(key("growth_window"), m))?,
    };
    Ok(Conditions {
        query,
        query_text: c.query.clone(),
        origins,
        sources: c.sources.clone(),
        langs: c.lang.clone(),
        localities: c.localities.clone(),
        min_story_size: count(c.min_story_size, "min_story_size")?,
        min_story_growth: count(c.min_story_growth, "min_story_growth")?,
        growth_window,
    })
}

fn contains_date(e: &Expr) -> bool {
    match e {
        Expr::Date(_) => true,
        Expr::And(v) | Expr::Or(v) => v.iter().any(contains_date),
        Expr::Not(x) => contains_date(x),
        _ => false,
    }
}

fn visit_fields(e: &Expr, f: &mut dyn FnMut(crate::query::Field, &str)) {
    match e {
        Expr::Field { field, value } => f(*field, value),
        Expr::And(v) | Expr::Or(v) => v.iter().for_each(|x| visit_fields(x, f)),
        Expr::Not(x) => visit_fields(x, f),
        _ => {}
    }
}

/// "22:00-06:30" → minutes of the day (from, to).
fn parse_quiet_hours(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("\"{s}\" is not a time range like \"22:00-06:00\"");
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (from, to) = (minutes(a).ok_or_else(bad)?, minutes(b).ok_or_else(bad)?);
    if from == to {
        return Err(format!("\"{s}\" is an empty range"));
    }
    Ok((from, to))
}

pub(super) fn check_mailbox(at: &At, key: &str, v: &str) -> Result<(), ConfigError> {
    v.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| at.err(key, format!("\"{v}\" is not an e-mail address like \"Văn phòng <vp@example.org>\" ({e})")))
}

