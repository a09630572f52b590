//! A real presswatch web server on a free loopback port with a fresh database, a few articles written
//! for these tests (one of them hostile), and one user per role.

use chrono::{Duration, Utc};
use presswatch::config::Config;
use presswatch::model::{Analysis, NewArticle, Role, SourceId, Tag};
use presswatch::search::indexer::Indexer;
use presswatch::search::searcher::Searcher;
use presswatch::store::Store;
use presswatch::metrics::Metrics;
use presswatch::web::{self, auth, AppState};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

pub const PASSWORD: &str = "mật-khẩu-đủ-dài-1";

pub struct App {
    pub addr: SocketAddr,
    pub store: Store,
    pub cfg: Arc<Config>,
    pub http: reqwest::Client,
    /// Article ids by fixture name.
    pub articles: HashMap<&'static str, i64>,
    pub users: HashMap<Role, i64>,
    _stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

fn tag(id: &str, words: &[&str], in_title: bool) -> Tag {
    Tag::new(id, words.iter().map(|w| w.to_string()).collect(), in_title)
}

fn article(url: &str, title: &str, text: &str, hours_ago: i64, topics: Vec<Tag>, places: Vec<Tag>) -> NewArticle {
    let now = Utc::now();
    NewArticle {
        url: url.into(),
        canonical_url: url.into(),
        source_id: SourceId("bao-mau".into()),
        title: title.into(),
        text: text.into(),
        lang: "vi".into(),
        published_at: Some(now - Duration::hours(hours_ago)),
        fetched_at: now,
        content_hash: presswatch::model::content_hash(text),
        analysis: Analysis { lang: "vi".into(), topics, localities: places, mentions: vec![] },
    }
}

trait Mentioning {
    fn mentioning(self, topics: Vec<Tag>) -> Self;
}

impl Mentioning for (&'static str, NewArticle) {
    fn mentioning(mut self, topics: Vec<Tag>) -> Self {
        self.1.analysis.mentions = topics;
        self
    }
}

pub async fn start(session_idle: &str) -> App {
    start_with(session_idle, "").await
}

/// `start` with more `[server]` settings (one `key = value` per line).
pub async fn start_with(session_idle: &str, server: &str) -> App {
    start_inner(session_idle, server, true).await
}

/// A server on a fresh install: the same users, no article stored yet.
pub async fn start_empty() -> App {
    start_inner("8h", "", false).await
}

async fn start_inner(session_idle: &str, server: &str, with_articles: bool) -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = env!("CARGO_MANIFEST_DIR");
    let toml = format!(
        r#"include = ["{root}/config/topics.toml", "{root}/config/localities.toml", "{root}/config/agencies.toml"]
[storage]
database_url = "sqlite://{db}"
index_dir = "{idx}"
[server]
listen = "127.0.0.1:0"
session_idle = "{session_idle}"
{server}
[[source]]
id = "bao-mau"
name = "Báo Mẫu"
url = "http://127.0.0.1:9/rss.xml"
origin = "overseas"
"#,
        db = dir.path().join("db.sqlite").display(),
        idx = dir.path().join("index").display(),
    );
    let path = dir.path().join("presswatch.toml");
    std::fs::write(&path, toml).expect("write config");
    let cfg = Arc::new(Config::load(&path).expect("config"));
    let store = Store::open(&cfg.storage.database_url).await.expect("store");
    store.sync_sources(&cfg.sources, cfg.crawl.interval, Utc::now()).await.expect("sources");

    let mut articles = HashMap::new();
    let fixtures = [
        (
            "bien-dao",
            article(
                "https://bao-mau.example/bien-dao-can-gio",
                "Ngư dân Cần Giờ nói về biển đảo",
                "Một bài viết thử nghiệm về biển đảo và ngư dân huyện Cần Giờ.\nĐoạn thứ hai kể chuyện đánh bắt xa bờ ở Biển Đông.",
                2,
                vec![Tag {
                    evidence: Some(presswatch::model::Evidence { score: 5.5, needed: 2.0, title: true, paragraphs: vec![1, 2], of_paragraphs: 2 }),
                    ..tag("bien-dao", &["biển đảo", "Biển Đông"], true)
                }],
                vec![tag("can-gio", &["Cần Giờ"], true)],
            ),
        ),
        (
            "du-lich",
            article(
                "https://bao-mau.example/du-lich",
                "Mùa du lịch mới ở Cần Giờ",
                "Bài thử nghiệm về du lịch rừng ngập mặn Cần Giờ, không nói gì về biển đảo chủ quyền. Giá phòng biến động theo mùa.",
                30,
                vec![],
                vec![tag("can-gio", &["Cần Giờ"], true)],
            ),
        )
        .mentioning(vec![tag("bien-dao", &["biển đảo"], false)]),
        (
            "hostile",
            article(
                "javascript:alert('url')",
                "<script>window.__pwned = 1</script> Tin giả về Cần Giờ <img src=x onerror=\"window.__pwned = 2\">",
                "Đoạn có mã độc <script>window.__pwned = 3</script> và <a href=\"javascript:window.__pwned = 4\">liên kết</a>.\n\
                 <img src=x onerror=\"window.__pwned = 5\"> Đoạn hai nói về Cần Giờ.",
                1,
                vec![],
                vec![tag("can-gio", &["Cần Giờ"], false)],
            ),
        ),
    ];
    for (name, a) in fixtures.into_iter().filter(|_| with_articles) {
        let stored = store.insert_article(&a, std::slice::from_ref(&a.url)).await.expect("insert");
        let id = match stored {
            presswatch::store::Stored::New(id) | presswatch::store::Stored::Known(id) => id.0,
        };
        store.record_sighting(&a.url, &SourceId("bao-mau".into()), None, Utc::now()).await.expect("sighting");
        articles.insert(name, id);
    }
    let mut indexer = Indexer::open(store.clone(), &cfg.storage.index_dir).await.expect("indexer");
    indexer.catch_up().await.expect("index");
    drop(indexer);

    let hash = auth::hash_password(PASSWORD).expect("hash");
    let mut users = HashMap::new();
    for role in Role::ALL {
        let u = store.create_user(role.as_str(), role, &hash, Utc::now()).await.expect("user");
        users.insert(role, u.id);
    }

    let searcher = Arc::new(Searcher::open(&cfg.storage.index_dir).expect("searcher"));
    let state = AppState::new(cfg.clone(), store.clone(), searcher, Arc::new(Metrics::new()), Arc::new(Notify::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = watch::channel(false);
    tokio::spawn(web::serve(listener, state, rx));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    App { addr, store, cfg, http, articles, users, _stop: tx, _dir: dir }
}

/// A logged-in browser-like client: its session cookie and CSRF token.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn login(&self, name: &str) -> Session {
        let r = self
            .http
            .post(self.url("/login"))
            .form(&[("name", name), ("password", PASSWORD), ("next", "/search")])
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 303, "login of {name}");
        let set = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("session cookie").to_string();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
        let cookie = set.split(';').next().unwrap_or_default().to_string();
        let page = self.http.get(self.url("/search")).header("cookie", &cookie).send().await.expect("search").text().await.expect("body");
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf in page").to_string();
        Session { cookie, csrf }
    }

    /// A page as a logged-in browser sees it.
    pub async fn page(&self, path: &str, s: &Session) -> String {
        let r = self.http.get(self.url(path)).header("cookie", &s.cookie).send().await.expect("request");
        r.text().await.expect("body")
    }

    /// Flags an article through the form, as a browser does; returns the item's page path.
    pub async fn flag(&self, article: i64, s: &Session, priority: &str) -> String {
        let r = self
            .http
            .post(self.url(&format!("/articles/{article}/flag")))
            .header("cookie", &s.cookie)
            .form(&[("csrf", s.csrf.as_str()), ("reason", "xuyên tạc"), ("priority", priority)])
            .send()
            .await
            .expect("flag");
        assert_eq!(r.status(), 303, "flagging redirects to the new item");
        r.headers()["location"].to_str().expect("location").to_string()
    }

    /// Stores a foreign (English) article written for the tests: a title with no Vietnamese in it.
    pub async fn add_foreign(&self) -> i64 {
        let now = Utc::now();
        let text = "A written test story: two fishing boats from the district were held near the islands.";
        let url = "https://foreign.example/boats-held";
        let a = NewArticle {
            url: url.into(),
            canonical_url: url.into(),
            source_id: SourceId("bao-mau".into()),
            title: "Fishing boats held near the islands".into(),
            text: text.into(),
            lang: "en".into(),
            published_at: Some(now),
            fetched_at: now,
            content_hash: presswatch::model::content_hash(text),
            analysis: Analysis { lang: "en".into(), topics: vec![], localities: vec![], mentions: vec![] },
        };
        match self.store.insert_article(&a, std::slice::from_ref(&a.url)).await.expect("insert") {
            presswatch::store::Stored::New(id) | presswatch::store::Stored::Known(id) => id.0,
        }
    }

    pub async fn token(&self, role: Role) -> String {
        let token = format!("pw_test_{}", role.as_str());
        self.store.create_token(&auth::digest(&token), self.users[&role], "test", Utc::now()).await.expect("token");
        token
    }
}
