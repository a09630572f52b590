//! `[crawl]`: how often and how politely sources are fetched.

use super::raw::RawCrawl;
use super::{parse_duration, parse_size, At, ConfigError, MAX_BODY_LIMIT};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CrawlConfig {
    pub user_agent: String,
    pub interval: Duration,
    pub max_interval: Duration,
    pub per_host_interval: Duration,
    pub concurrency: usize,
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub respect_robots: bool,
    /// Off by default: crawled links never reach loopback or private networks other than the
    /// configured sources' own hosts.
    pub allow_private_networks: bool,
    pub max_articles_per_feed: usize,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            user_agent: format!("presswatch/{} (+https://example.org/contact)", env!("CARGO_PKG_VERSION")),
            interval: Duration::from_secs(15 * 60),
            max_interval: Duration::from_secs(6 * 3600),
            per_host_interval: Duration::from_secs(2),
            concurrency: 8,
            timeout: Duration::from_secs(20),
            max_body_bytes: 5_000_000,
            max_redirects: 5,
            respect_robots: true,
            allow_private_networks: false,
            max_articles_per_feed: 200,
        }
    }
}

pub(super) fn validate(crawl: Option<(PathBuf, &RawCrawl)>) -> Result<CrawlConfig, ConfigError> {
    let mut crawl_cfg = CrawlConfig::default();
    if let Some((p, c)) = crawl {
        let at = At(&p);
        let dur = |v: &Option<String>, key: &str, slot: &mut Duration| -> Result<(), ConfigError> {
            if let Some(v) = v {
                *slot = parse_duration(v).map_err(|m| at.err(format!("crawl.{key}"), m))?;
            }
            Ok(())
        };
        dur(&c.interval, "interval", &mut crawl_cfg.interval)?;
        dur(&c.max_interval, "max_interval", &mut crawl_cfg.max_interval)?;
        dur(&c.per_host_interval, "per_host_interval", &mut crawl_cfg.per_host_interval)?;
        dur(&c.timeout, "timeout", &mut crawl_cfg.timeout)?;
        if crawl_cfg.timeout.is_zero() {
            return Err(at.err("crawl.timeout", "must be above zero"));
        }
        if crawl_cfg.interval.is_zero() {
            return Err(at.err("crawl.interval", "must be above zero"));
        }
        if let Some(ua) = &c.user_agent {
            if ua.trim().is_empty() || !ua.is_ascii() {
                return Err(at.err("crawl.user_agent", "must be non-empty ASCII, naming the crawler and a contact"));
            }
            crawl_cfg.user_agent = ua.clone();
        }
        if let Some(n) = c.concurrency {
            if !(1..=256).contains(&n) {
                return Err(at.err("crawl.concurrency", format!("{n} is out of range 1..=256")));
            }
            crawl_cfg.concurrency = n as usize;
        }
        if let Some(s) = &c.max_body {
            crawl_cfg.max_body_bytes = parse_size(s).map_err(|m| at.err("crawl.max_body", m))?;
            if crawl_cfg.max_body_bytes < 1024 {
                return Err(at.err("crawl.max_body", "must be at least 1KB"));
            }
            if crawl_cfg.max_body_bytes > MAX_BODY_LIMIT {
                return Err(at.err("crawl.max_body", format!("\"{s}\" is above the limit of 100MiB (each body is held in memory)")));
            }
        }
        if let Some(n) = c.max_redirects {
            if !(0..=20).contains(&n) {
                return Err(at.err("crawl.max_redirects", format!("{n} is out of range 0..=20")));
            }
            crawl_cfg.max_redirects = n as usize;
        }
        if let Some(n) = c.max_articles_per_feed {
            if !(1..=100_000).contains(&n) {
                return Err(at.err("crawl.max_articles_per_feed", format!("{n} is out of range 1..=100000")));
            }
            crawl_cfg.max_articles_per_feed = n as usize;
        }
        crawl_cfg.respect_robots = c.respect_robots.unwrap_or(true);
        crawl_cfg.allow_private_networks = c.allow_private_networks.unwrap_or(false);
        if crawl_cfg.max_interval < crawl_cfg.interval {
            crawl_cfg.max_interval = crawl_cfg.interval;
        }
    }
    Ok(crawl_cfg)
}
