//! Prometheus `/metrics`: HTTP requests and latency per route, crawl passes and their outcomes,
//! queue actions (counted as they happen), and stock figures read from the database at scrape time
//! (articles, unindexed backlog, jobs, queue by state, failing sources, index size).

use crate::crawl::PassSummary;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NameLabels {
    name: String,
}

pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_seconds: Family<RouteLabels, Histogram>,
    crawl_passes: Counter,
    crawl_sources_failed: Counter,
    crawl_articles_new: Counter,
    crawl_pages_failed: Counter,
    crawl_failures: Family<NameLabels, Counter>,
    queue_actions: Family<NameLabels, Counter>,
    articles: Gauge,
    articles_unindexed: Gauge,
    index_docs: Gauge,
    page_jobs: Family<NameLabels, Gauge>,
    queue_items: Family<NameLabels, Gauge>,
    sources_failing: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("presswatch");
        let http_requests = Family::<HttpLabels, Counter>::default();
        r.register("http_requests", "HTTP requests by route and status", http_requests.clone());
        let http_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
        });
        r.register("http_request_duration_seconds", "Time to answer, by route", http_seconds.clone());
        let counter = |r: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            r.register(name, help, c.clone());
            c
        };
        let gauge = |r: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            r.register(name, help, g.clone());
            g
        };
        let crawl_passes = counter(&mut r, "crawl_passes", "Crawl passes finished");
        let crawl_sources_failed = counter(&mut r, "crawl_sources_failed", "Feed fetches that failed");
        let crawl_articles_new = counter(&mut r, "crawl_articles_new", "Articles stored for the first time");
        let crawl_pages_failed = counter(&mut r, "crawl_pages_failed", "Article pages given up on");
        let crawl_failures = Family::<NameLabels, Counter>::default();
        r.register("crawl_failures", "Failures by class", crawl_failures.clone());
        let queue_actions = Family::<NameLabels, Counter>::default();
        r.register("queue_actions", "Review queue actions taken", queue_actions.clone());
        let articles = gauge(&mut r, "articles", "Articles stored");
        let articles_unindexed = gauge(&mut r, "articles_unindexed", "Articles stored but not yet searchable");
        let index_docs = gauge(&mut r, "index_documents", "Documents in the search index");
        let page_jobs = Family::<NameLabels, Gauge>::default();
        r.register("page_jobs", "Article page jobs by state", page_jobs.clone());
        let queue_items = Family::<NameLabels, Gauge>::default();
        r.register("queue_items", "Review queue items by state (and overdue)", queue_items.clone());
        let sources_failing = gauge(&mut r, "sources_failing", "Enabled sources whose last fetch failed");
        Metrics {
            registry: r,
            http_requests,
            http_seconds,
            crawl_passes,
            crawl_sources_failed,
            crawl_articles_new,
            crawl_pages_failed,
            crawl_failures,
            queue_actions,
            articles,
            articles_unindexed,
            index_docs,
            page_jobs,
            queue_items,
            sources_failing,
        }
    }

    pub fn record_pass(&self, s: &PassSummary) {
        self.crawl_passes.inc();
        self.crawl_sources_failed.inc_by(s.sources_failed as u64);
        self.crawl_articles_new.inc_by(s.articles_new as u64);
        self.crawl_pages_failed.inc_by(s.pages_failed as u64);
        for (class, n) in &s.failures {
            self.crawl_failures.get_or_create(&NameLabels { name: class.clone() }).inc_by(*n as u64);
        }
    }

    pub fn queue_action(&self, name: &str) {
        self.queue_actions.get_or_create(&NameLabels { name: name.to_string() }).inc();
    }

    /// Counts one HTTP request by its route pattern, and its time.
    pub fn http_request(&self, method: String, route: String, status: u16, seconds: f64) {
        self.http_requests.get_or_create(&HttpLabels { method, route: route.clone(), status }).inc();
        self.http_seconds.get_or_create(&RouteLabels { route }).observe(seconds);
    }

    /// The registry's text, with the stock figures read now.
    pub async fn render(&self, cfg: &crate::config::Config, store: &crate::store::Store, index_docs: u64) -> Result<String, String> {
        self.refresh(cfg, store, index_docs).await.map_err(|e| e.to_string())?;
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).map_err(|e| e.to_string())?;
        Ok(out)
    }

    async fn refresh(&self, cfg: &crate::config::Config, store: &crate::store::Store, index_docs: u64) -> Result<(), crate::store::StoreError> {
        let now = chrono::Utc::now();
        let (articles, unindexed) = (store.count_articles().await?, store.count_unindexed().await?);
        self.articles.set(articles);
        self.articles_unindexed.set(unindexed);
        self.index_docs.set(index_docs as i64);
        for state in ["queued", "running", "done", "failed", "poisoned"] {
            let n = store.count_jobs("page", state).await?;
            self.page_jobs.get_or_create(&NameLabels { name: state.into() }).set(n);
        }
        for s in crate::model::QueueState::ALL {
            self.queue_items.get_or_create(&NameLabels { name: s.as_str().into() }).set(0);
        }
        let counts = store.queue_counts(now).await?;
        for (state, n) in counts {
            self.queue_items.get_or_create(&NameLabels { name: state }).set(n);
        }
        let health = store.source_health().await?;
        let enabled = |id: &str| cfg.sources.iter().any(|s| s.enabled && s.id.0 == id);
        let failing = health.iter().filter(|h| h.consecutive_failures > 0 && enabled(&h.source_id)).count();
        self.sources_failing.set(failing as i64);
        Ok(())
    }
}

