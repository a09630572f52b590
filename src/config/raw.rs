//! The files as written: what serde reads before anything is checked.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    #[serde(default)]
    pub(super) include: Vec<String>,
    pub(super) storage: Option<RawStorage>,
    pub(super) server: Option<RawServer>,
    pub(super) crawl: Option<RawCrawl>,
    pub(super) report: Option<RawReport>,
    pub(super) smtp: Option<RawSmtp>,
    pub(super) evidence: Option<RawEvidence>,
    #[serde(default)]
    pub(super) rule: Vec<RawStanding>,
    #[serde(default)]
    pub(super) alert: Vec<RawStanding>,
    #[serde(default)]
    pub(super) locality: Vec<RawLocality>,
    #[serde(default)]
    pub(super) topic: Vec<RawTopic>,
    #[serde(default)]
    pub(super) source: Vec<RawSource>,
    #[serde(default)]
    pub(super) agency: Vec<RawAgency>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    pub(super) database_url: Option<String>,
    pub(super) index_dir: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) listen: Option<String>,
    pub(super) session_idle: Option<String>,
    pub(super) header_read_timeout: Option<String>,
    pub(super) request_timeout: Option<String>,
    pub(super) max_connections: Option<i64>,
    pub(super) max_connections_per_address: Option<i64>,
    pub(super) secure_cookies: Option<bool>,
    pub(super) public_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReport {
    pub(super) organization: Option<String>,
    pub(super) parent_organization: Option<String>,
    pub(super) place: Option<String>,
    pub(super) signer: Option<String>,
    pub(super) schedule: Option<bool>,
    pub(super) weekday: Option<String>,
    pub(super) hour: Option<i64>,
    pub(super) email_to: Option<Vec<String>>,
    pub(super) attach: Option<Vec<String>>,
    pub(super) localities: Option<Vec<String>>,
    pub(super) digest: Option<bool>,
    pub(super) digest_hour: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    pub(super) host: String,
    pub(super) port: Option<i64>,
    pub(super) from: String,
    pub(super) username: Option<String>,
    pub(super) password_env: Option<String>,
    pub(super) tls: Option<String>,
    pub(super) timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvidence {
    pub(super) keep_raw: Option<bool>,
    pub(super) recheck_interval: Option<String>,
}

/// A `[[rule]]` or an `[[alert]]`: one shape, so unknown keys stay errors (serde cannot deny
/// unknown fields through `flatten`); the keys that belong to the other kind are refused by name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStanding {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) query: Option<String>,
    #[serde(default)]
    pub(super) origin: Vec<String>,
    #[serde(default)]
    pub(super) sources: Vec<String>,
    #[serde(default)]
    pub(super) lang: Vec<String>,
    #[serde(default)]
    pub(super) localities: Vec<String>,
    pub(super) min_story_size: Option<i64>,
    pub(super) min_story_growth: Option<i64>,
    pub(super) growth_window: Option<String>,
    // rules only
    pub(super) priority: Option<String>,
    pub(super) agency: Option<String>,
    pub(super) reason: Option<String>,
    // alerts only
    pub(super) rules: Option<Vec<String>>,
    pub(super) spikes: Option<bool>,
    pub(super) email: Option<Vec<String>>,
    pub(super) webhook: Option<String>,
    pub(super) digest: Option<String>,
    pub(super) quiet_hours: Option<String>,
}

impl RawStanding {
    /// The first key set that belongs to the other kind.
    pub(super) fn foreign_key(&self, rule: bool) -> Option<&'static str> {
        let rule_only = [("priority", self.priority.is_some()), ("agency", self.agency.is_some()), ("reason", self.reason.is_some())];
        let alert_only = [
            ("rules", self.rules.is_some()),
            ("spikes", self.spikes.is_some()),
            ("email", self.email.is_some()),
            ("webhook", self.webhook.is_some()),
            ("digest", self.digest.is_some()),
            ("quiet_hours", self.quiet_hours.is_some()),
        ];
        let other: &[(&'static str, bool)] = if rule { &alert_only } else { &rule_only };
        other.iter().find(|(_, set)| *set).map(|(k, _)| *k)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCrawl {
    pub(super) user_agent: Option<String>,
    pub(super) interval: Option<String>,
    pub(super) max_interval: Option<String>,
    pub(super) per_host_interval: Option<String>,
    pub(super) concurrency: Option<i64>,
    pub(super) timeout: Option<String>,
    pub(super) max_body: Option<String>,
    pub(super) max_redirects: Option<i64>,
    pub(super) respect_robots: Option<bool>,
    pub(super) allow_private_networks: Option<bool>,
    pub(super) max_articles_per_feed: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLocality {
    pub(super) id: String,
    pub(super) name: Option<String>,
    /// An administrative unit from the gazetteer: its names are derived (`gazetteer::aliases`).
    pub(super) unit: Option<String>,
    /// `unit` names the unit as it was before 1 July 2025 where the name exists now and before.
    #[serde(default)]
    pub(super) former: bool,
    /// How deep the derived names go: "unit", "district" or "commune" (default).
    pub(super) detail: Option<String>,
    #[serde(default)]
    pub(super) aliases: Vec<String>,
    #[serde(default)]
    pub(super) not: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTopic {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) name_en: Option<String>,
    pub(super) query: String,
    pub(super) strong: Option<String>,
    #[serde(default)]
    pub(super) sensitive: bool,
    pub(super) min_mentions: Option<i64>,
    pub(super) min_score: Option<f64>,
    pub(super) title_weight: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) url: String,
    pub(super) lang: Option<String>,
    pub(super) origin: String,
    #[serde(default = "yes")]
    pub(super) enabled: bool,
    pub(super) interval: Option<String>,
    /// CSS selectors for the article body on this outlet's pages, tried before generic extraction.
    #[serde(default)]
    pub(super) content_selectors: Vec<String>,
    /// CSS selectors removed from the body (share bars, related links) on this outlet's pages.
    #[serde(default)]
    pub(super) exclude_selectors: Vec<String>,
}

pub(super) fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgency {
    pub(super) id: String,
    pub(super) name: String,
}

