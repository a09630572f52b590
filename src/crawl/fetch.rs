//! Polite, bounded HTTP. Every fetch: checks robots.txt (RFC 9309) for its host, waits for that host's
//! turn (one request at a time per host, `per_host_interval` or `Crawl-delay` apart), then takes one of
//! `concurrency` global slots, so a slow host only ever delays its own URLs. Redirects are followed by
//! hand so each hop passes the same checks. Bodies are bounded after decompression, requests in time,
//! and loopback or private addresses are refused unless they are the operator's own configured sources:
//! crawled content can never steer a request into the local network.

use crate::config::CrawlConfig;
use crate::model::FailureClass;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{url}: {message}")]
pub struct FetchError {
    pub class: FailureClass,
    pub url: String,
    pub message: String,
    /// From `Retry-After`, when the server said when to come back.
    pub retry_after: Option<Duration>,
    /// The HTTP status, when the server answered with an error status.
    pub status: Option<u16>,
}

impl FetchError {
    fn new(class: FailureClass, url: &Url, message: impl Into<String>) -> FetchError {
        FetchError { class, url: url.to_string(), message: message.into(), retry_after: None, status: None }
    }
}

/// Validators from the previous fetch, for a conditional GET.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Fetched {
    pub final_url: Url,
    /// Every URL passed through, first to last (the requested one included).
    pub chain: Vec<Url>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body: Vec<u8>,
    /// The final response's status and headers as received (kept as evidence).
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub enum Fetch {
    NotModified,
    Ok(Box<Fetched>),
}

struct Robots {
    fetched: Instant,
    ttl: Duration,
    rules: RobotsRules,
}

enum RobotsRules {
    AllowAll,
    /// robots.txt could not be had (5xx, unreachable): everything is disallowed for now
    /// (RFC 9309 2.3.1.4), and the failure says why.
    Unreachable(FetchError),
    Parsed(Box<texting_robots::Robot>),
}

#[derive(Default)]
struct Host {
    /// Held for the whole request: one request at a time per host; holds when the next may start.
    turn: tokio::sync::Mutex<Option<Instant>>,
    robots: tokio::sync::Mutex<Option<Robots>>,
    crawl_delay: Mutex<Option<Duration>>,
    /// Consecutive host-level failures (DNS, connect, timeout, TLS).
    failures: AtomicU32,
    tripped_until: Mutex<Option<Instant>>,
}

/// After this many host-level failures in a row, the host's other URLs fail fast for a while.
const TRIP_AFTER: u32 = 2;
const TRIP_FOR: Duration = Duration::from_secs(600);
const ROBOTS_MAX: u64 = 512 * 1024;
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

pub struct Fetcher {
    client: reqwest::Client,
    cfg: CrawlConfig,
    agent_token: String,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    slots: Semaphore,
    /// `scheme://host:port` of configured sources, allowed even on loopback or private addresses.
    trusted: HashSet<String>,
    /// The client for every other origin: its resolver trusts no name, so a configured source's
    /// host name on another port or scheme (`http://vm:18099/` beside a source `http://vm:18005/`)
    /// is checked after DNS like any crawled link.
    strict_client: reqwest::Client,
}

struct GuardedResolver {
    allow_private: bool,
    /// Host names of configured sources: the operator chose them, wherever they resolve.
    trusted_names: Arc<HashSet<String>>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let allow = self.allow_private || self.trusted_names.contains(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs.iter().copied().filter(|a| allow || is_public(a.ip())).collect();
            if allowed.is_empty() {
                let why: Box<dyn std::error::Error + Send + Sync> = if addrs.is_empty() {
                    format!("dns: no address for {host}").into()
                } else {
                    format!("blocked: {host} resolves to a private or loopback address").into()
                };
                return Err(why);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Addresses on the public internet; crawled content must never steer a request anywhere else.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xC0) == 64)
                || (o[0] == 198 && (o[1] & 0xFE) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback() || v6.is_unspecified() || v6.is_multicast() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

impl Fetcher {
    /// `sources` are the configured source URLs: their hosts may be private (an intranet outlet, a
    /// local test site); any other private destination is refused.
    pub fn new(cfg: &CrawlConfig, sources: &[Url]) -> Result<Fetcher, String> {
        let trusted: HashSet<String> = sources.iter().filter_map(origin).collect();
        let trusted_names: HashSet<String> = sources.iter().filter_map(|u| u.host_str().map(str::to_ascii_lowercase)).collect();
        // reqwest is built without a default crypto provider; install ring once (an error means one is set)
        let _ = rustls::crypto::ring::default_provider().install_default();
        let build = |names: HashSet<String>| {
            reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .redirect(reqwest::redirect::Policy::none())
                .timeout(cfg.timeout)
                .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
                .pool_idle_timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(2)
                .no_proxy()
                .dns_resolver(Arc::new(GuardedResolver { allow_private: cfg.allow_private_networks, trusted_names: Arc::new(names) }))
                .build()
                .map_err(|e| format!("cannot build HTTP client: {e}"))
        };
        let client = build(trusted_names)?;
        let strict_client = build(HashSet::new())?;
        let agent_token = cfg.user_agent.split(['/', ' ']).next().unwrap_or("presswatch").to_string();
        Ok(Fetcher {
            client,
            cfg: cfg.clone(),
            agent_token,
            hosts: Mutex::new(HashMap::new()),
            slots: Semaphore::new(cfg.concurrency),
            trusted,
            strict_client,
        })
    }

    fn host(&self, url: &Url) -> Arc<Host> {
        let key = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
        let key = match url.port() {
            Some(p) => format!("{key}:{p}"),
            None => key,
        };
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts.entry(key).or_default().clone()
    }

    /// Whether `url` is on the exact origin (scheme, host, port) of a configured source.
    fn is_trusted(&self, url: &Url) -> bool {
        origin(url).is_some_and(|o| self.trusted.contains(&o))
    }

    fn check_target(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::new(FailureClass::Blocked, url, format!("scheme {} is not fetched", url.scheme())));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") => {
                Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
            }
            Some(_) => None,
            None => return Err(FetchError::new(FailureClass::Blocked, url, "URL has no host")),
        };
        if let Some(ip) = ip {
            let trusted = self.is_trusted(url);
            if !self.cfg.allow_private_networks && !trusted && !is_public(ip) {
                return Err(FetchError::new(FailureClass::Blocked, url, "private or loopback address refused"));
            }
        }
        Ok(())
    }

    /// GET with politeness, limits and redirects; `validators` make it conditional.
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetch, FetchError> {
        let mut chain = vec![url.clone()];
        let mut current = url.clone();
        loop {
            match self.get_one(&current, if chain.len() == 1 { Some(validators) } else { None }).await? {
                Hop::Done(mut f) => {
                    if let Fetch::Ok(ref mut f) = f {
                        f.chain = chain;
                    }
                    return Ok(f);
                }
                Hop::Redirect(next) => {
                    if chain.contains(&next) {
                        return Err(FetchError::new(FailureClass::Redirects, url, format!("redirect loop at {next}")));
                    }
                    if chain.len() > self.cfg.max_redirects {
                        return Err(FetchError::new(
                            FailureClass::Redirects,
                            url,
                            format!("more than {} redirects", self.cfg.max_redirects),
                        ));
                    }
                    chain.push(next.clone());
                    current = next;
                }
            }
        }
    }

    async fn get_one(&self, url: &Url, validators: Option<&Validators>) -> Result<Hop, FetchError> {
        self.check_target(url)?;
        let host = self.host(url);
        if let Some(until) = *host.tripped_until.lock().unwrap_or_else(|e| e.into_inner()) {
            if Instant::now() < until {
                return Err(FetchError::new(FailureClass::Timeout, url, "host failed repeatedly; skipped for now"));
            }
        }
        if self.cfg.respect_robots && url.path() != "/robots.txt" && !self.robots_allow(&host, url).await? {
            return Err(FetchError::new(FailureClass::RobotsDisallowed, url, "disallowed by robots.txt"));
        }
        let result = self.request(&host, url, validators, self.cfg.max_body_bytes).await;
        match &result {
            Err(e) if e.class.is_host_level() => {
                let n = host.failures.fetch_add(1, Ordering::SeqCst) + 1;
                if n >= TRIP_AFTER {
                    *host.tripped_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + TRIP_FOR);
                }
            }
            _ => {
                host.failures.store(0, Ordering::SeqCst);
                *host.tripped_until.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
        }
        result
    }

    async fn request(&self, host: &Host, url: &Url, validators: Option<&Validators>, max_body: u64) -> Result<Hop, FetchError> {
        let mut turn = host.turn.lock().await;
        if let Some(next) = *turn {
            tokio::time::sleep_until(next).await;
        }
        let _slot = self.slots.acquire().await.map_err(|_| FetchError::new(FailureClass::Other, url, "fetcher closed"))?;
        let result = self.send(url, validators, max_body).await;
        let delay = (*host.crawl_delay.lock().unwrap_or_else(|e| e.into_inner())).unwrap_or_default().max(self.cfg.per_host_interval);
        let mut next = Instant::now() + delay;
        if let Err(FetchError { retry_after: Some(d), .. }) = &result {
            next = next.max(Instant::now() + (*d).min(Duration::from_secs(3600)));
        }
        *turn = Some(next);
        result
    }

    async fn send(&self, url: &Url, validators: Option<&Validators>, max_body: u64) -> Result<Hop, FetchError> {
        // only a configured source's exact origin may resolve to an internal address
        let client = if self.is_trusted(url) { &self.client } else { &self.strict_client };
        let mut req = client.get(url.clone());
        if let Some(v) = validators {
            if let Some(e) = &v.etag {
                req = req.header(IF_NONE_MATCH, e);
            }
            if let Some(m) = &v.last_modified {
                req = req.header(IF_MODIFIED_SINCE, m);
            }
        }
        let resp = req.send().await.map_err(|e| classify(url, &e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status.is_redirection() && status.as_u16() != 304 {
            let loc = header(&headers, LOCATION.as_str())
                .ok_or_else(|| FetchError::new(FailureClass::Redirects, url, format!("HTTP {status} without Location")))?;
            let next = url.join(&loc).map_err(|e| FetchError::new(FailureClass::Redirects, url, format!("bad Location {loc:?}: {e}")))?;
            return Ok(Hop::Redirect(next));
        }
        if status.as_u16() == 304 {
            return Ok(Hop::Done(Fetch::NotModified));
        }
        if !status.is_success() {
            let class = match status.as_u16() {
                429 | 503 => FailureClass::RateLimited,
                s if s >= 500 => FailureClass::HttpServer,
                _ => FailureClass::HttpClient,
            };
            let mut e = FetchError::new(class, url, format!("HTTP {status}"));
            e.status = Some(status.as_u16());
            e.retry_after = header(&headers, RETRY_AFTER.as_str()).and_then(|v| parse_retry_after(&v));
            return Err(e);
        }
        if let Some(len) = resp.content_length() {
            if len > max_body {
                return Err(FetchError::new(FailureClass::TooLarge, url, format!("body of {len} bytes exceeds the {max_body}-byte limit")));
            }
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| classify(url, &e))?;
            // counted after decompression: a gzip bomb stops here
            if body.len() as u64 + chunk.len() as u64 > max_body {
                return Err(FetchError::new(FailureClass::TooLarge, url, format!("body exceeds the {max_body}-byte limit")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Hop::Done(Fetch::Ok(Box::new(Fetched {
            final_url: url.clone(),
            chain: Vec::new(),
            content_type: header(&headers, CONTENT_TYPE.as_str()),
            etag: header(&headers, ETAG.as_str()),
            last_modified: header(&headers, LAST_MODIFIED.as_str()),
            body,
            status: status.as_u16(),
            headers: headers.iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect(),
        }))))
    }

    /// Whether robots.txt allows the URL; an error when robots.txt itself could not be fetched.
    async fn robots_allow(&self, host: &Host, url: &Url) -> Result<bool, FetchError> {
        let mut slot = host.robots.lock().await;
        let stale = match &*slot {
            Some(r) => r.fetched.elapsed() > r.ttl,
            None => true,
        };
        if stale {
            let rules = self.fetch_robots(host, url).await;
            let ttl = match rules {
                RobotsRules::Unreachable(_) => Duration::from_secs(600),
                _ => Duration::from_secs(24 * 3600),
            };
            if let RobotsRules::Parsed(r) = &rules {
                let delay = crawl_delay(r.delay);
                *host.crawl_delay.lock().unwrap_or_else(|e| e.into_inner()) = delay;
            }
            *slot = Some(Robots { fetched: Instant::now(), ttl, rules });
        }
        match slot.as_ref().map(|r| &r.rules) {
            Some(RobotsRules::AllowAll) | None => Ok(true),
            Some(RobotsRules::Unreachable(e)) => Err(FetchError {
                url: url.to_string(),
                message: format!("robots.txt unreachable, so not fetched: {}", e.message),
                ..e.clone()
            }),
            Some(RobotsRules::Parsed(r)) => Ok(r.allowed(url.as_str())),
        }
    }

    /// RFC 9309: 4xx means no rules; 5xx or unreachable means everything is disallowed for now.
    async fn fetch_robots(&self, host: &Host, url: &Url) -> RobotsRules {
        let Ok(robots_url) = url.join("/robots.txt") else { return RobotsRules::AllowAll };
        let mut target = robots_url.clone();
        for _ in 0..=5 {
            match self.request(host, &target, None, ROBOTS_MAX).await {
                Ok(Hop::Done(Fetch::Ok(f))) => {
                    return match texting_robots::Robot::new(&self.agent_token, &f.body) {
                        Ok(r) => RobotsRules::Parsed(Box::new(r)),
                        Err(_) => RobotsRules::AllowAll,
                    }
                }
                Ok(Hop::Done(Fetch::NotModified)) => return RobotsRules::AllowAll,
                Ok(Hop::Redirect(next)) => {
                    // redirects to another host are followed for robots.txt only (RFC 9309 2.3.1.2)
                    if self.check_target(&next).is_err() {
                        return RobotsRules::AllowAll;
                    }
                    let other = self.host(&next);
                    if !std::ptr::eq(Arc::as_ptr(&other), host) {
                        return match self.request(&other, &next, None, ROBOTS_MAX).await {
                            Ok(Hop::Done(Fetch::Ok(f))) => texting_robots::Robot::new(&self.agent_token, &f.body)
                                .map(|r| RobotsRules::Parsed(Box::new(r)))
                                .unwrap_or(RobotsRules::AllowAll),
                            _ => RobotsRules::AllowAll,
                        };
                    }
                    target = next;
                }
                Err(e) => {
                    return match e.class {
                        FailureClass::HttpClient => RobotsRules::AllowAll,
                        FailureClass::TooLarge => RobotsRules::AllowAll,
                        _ => RobotsRules::Unreachable(e),
                    }
                }
            }
        }
        RobotsRules::AllowAll
    }
}

/// `scheme://host:port`, the port spelled out: what trust for internal targets is keyed on.
fn origin(u: &Url) -> Option<String> {
    Some(format!("{}://{}:{}", u.scheme(), u.host_str()?.to_ascii_lowercase(), u.port_or_known_default()?))
}

enum Hop {
    Done(Fetch),
    Redirect(Url),
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The longest wait a server's `Retry-After` can impose: a day (the feed backoff's own ceiling).
/// The header is the server's to write: a wait of 10^13 seconds put the next fetch past the last
/// date chrono can hold, and the date arithmetic panicked.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v.trim()).ok()?;
    let secs = (when.timestamp().saturating_sub(chrono::Utc::now().timestamp())).max(0) as u64;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// robots.txt's `Crawl-delay` as a wait between requests, at most `MAX_CRAWL_DELAY` (`1e30` is a
/// finite number of seconds no `Duration` holds: converting it unchecked panicked).
fn crawl_delay(d: Option<f32>) -> Option<Duration> {
    let d = d.filter(|d| d.is_finite() && *d > 0.0)?;
    Some(Duration::try_from_secs_f32(d).unwrap_or(MAX_CRAWL_DELAY).min(MAX_CRAWL_DELAY))
}

fn classify(url: &Url, e: &reqwest::Error) -> FetchError {
    let mut chain = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        src = s.source();
    }
    let lower = chain.to_lowercase();
    let class = if lower.contains("blocked:") {
        FailureClass::Blocked
    } else if e.is_timeout() || lower.contains("timed out") {
        FailureClass::Timeout
    } else if lower.contains("dns") || lower.contains("failed to lookup") || lower.contains("name or service") {
        FailureClass::Dns
    } else if lower.contains("certificate") || lower.contains("tls") {
        FailureClass::Tls
    } else if e.is_connect() {
        FailureClass::Connect
    } else if e.is_decode() || e.is_body() {
        FailureClass::Malformed
    } else {
        FailureClass::Other
    };
    FetchError::new(class, url, chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (issue 13): a source `http://vm:18005/` made every port of `vm` trusted, because
    /// the resolver only sees names. Trust is the exact origin, and other origins of a trusted name
    /// go through a resolver that trusts no name.
    #[tokio::test]
    async fn trust_is_the_exact_origin_even_for_names() {
        let cfg = crate::config::CrawlConfig::default();
        let f = Fetcher::new(&cfg, &[Url::parse("http://vm:18005/rss").expect("url")]).expect("fetcher");
        assert!(f.is_trusted(&Url::parse("http://VM:18005/other").expect("url")));
        for other in ["http://vm:18099/", "https://vm:18005/", "http://vm/"] {
            assert!(!f.is_trusted(&Url::parse(other).expect("url")), "{other}");
        }
        use reqwest::dns::Resolve;
        let name = |s: &str| s.parse::<reqwest::dns::Name>().expect("name");
        let strict = GuardedResolver { allow_private: false, trusted_names: Arc::new(HashSet::new()) };
        let err = strict.resolve(name("localhost")).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("private or loopback"), "{err}");
        let trusting = GuardedResolver { allow_private: false, trusted_names: Arc::new(HashSet::from(["localhost".to_string()])) };
        assert!(trusting.resolve(name("localhost")).await.is_ok());
        // and a fetch of an untrusted origin on a loopback IP is refused before any connection
        let e = f.get(&Url::parse("http://127.0.0.1:18099/").expect("url"), &Validators::default()).await.err().expect("refused");
        assert_eq!(e.class, FailureClass::Blocked);
    }

    /// Regression (issue 13): a response shorter than its Content-Length was stored as an article
    /// with a cut title and empty text. A body that ends early is a failed fetch, identity or gzip.
    #[tokio::test]
    async fn body_shorter_than_its_length_is_a_failure() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut c, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = c.read(&mut buf).await.unwrap_or(0);
                    let req = String::from_utf8_lossy(&buf[..n]).to_string();
                    let resp: Vec<u8> = if req.starts_with("GET /robots.txt") {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
                    } else if req.starts_with("GET /gz") || req.starts_with("GET /deflate") {
                        let deflate = req.starts_with("GET /deflate");
                        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                        std::io::Write::write_all(&mut z, "<html><head><title>Bài bị cắt</title></head><body>".repeat(50).as_bytes())
                            .expect("gz");
                        let mut z = z.finish().expect("gz");
                        if deflate {
                            let mut d = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                            std::io::Write::write_all(&mut d, "<html><head><title>Bài bị cắt</title></head><body>".repeat(50).as_bytes())
                                .expect("zlib");
                            z = d.finish().expect("zlib");
                        }
                        let enc = if deflate { "deflate" } else { "gzip" };
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: {enc}\r\nContent-Length: {}\r\n\r\n",
                            z.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&z[..z.len() / 2]);
                        r
                    } else if req.starts_with("GET /closed") {
                        // no length, the connection closed mid-tag: the end of the body is unknowable
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><head><title>B\xc3\xa0i b\xe1\xbb\x8b c".to_vec()
                    } else {
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html><head><title>B\xc3\xa0i b\xe1\xbb\x8b c".to_vec()
                    };
                    let _ = c.write_all(&resp).await;
                    let _ = c.shutdown().await;
                });
            }
        });
        let mut cfg = crate::config::CrawlConfig::default();
        cfg.per_host_interval = Duration::ZERO;
        let base = format!("http://{addr}");
        let f = Fetcher::new(&cfg, &[Url::parse(&base).expect("url")]).expect("fetcher");
        for path in ["/cut", "/gz", "/deflate", "/closed"] {
            let r = f.get(&Url::parse(&format!("{base}{path}")).expect("url"), &Validators::default()).await;
            if path == "/closed" {
                // without a length, the end of the connection is the end of the body (RFC 9112 6.3)
                assert!(r.is_ok(), "{path}");
            } else {
                let e = r.err().expect("a cut body is not a page");
                assert!(e.message.contains("message length"), "{path}: {e:?}");
            }
        }
    }

    #[test]
    fn public_addresses() {
        assert!(!is_public("127.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        for ip in ["10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.169.254", "::1", "fd00::1", "100.64.0.1", "0.0.0.0"] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(!is_public(ip), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "203.162.4.1"] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(is_public(ip), "{ip}");
        }
    }

    #[test]
    fn retry_after() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("9999999999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"), Some(MAX_RETRY_AFTER));
        for (given, want) in [(Some(2.5), Some(Duration::from_millis(2500))), (Some(1e30), Some(MAX_CRAWL_DELAY)), (Some(f32::INFINITY), None), (Some(-1.0), None), (None, None)] {
            assert_eq!(crawl_delay(given), want, "{given:?}");
        }
    }
}
