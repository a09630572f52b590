//! Evidence, rules and alerts end to end, through `crawl --once` as a user runs it: two fixture
//! outlets (a foreign one and a domestic one that syndicates its story), a local webhook receiver
//! and a local SMTP sink. Checks that a rule opens one item per story and no more, alerts arrive
//! once per story (a failed webhook is retried), quiet hours hold alerts, an edit and a removal of
//! the flagged article become revisions, and the kept responses export as WARC that an independent
//! reader (Python's warcio) accepts.

use super::fixture::{page, serve_on, smtp_sink, Resp, Site};
use presswatch::config::Config;
use presswatch::model::ArticleId;
use presswatch::store::{QueueFilter, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CLAIM: &[&str] = &[
    "Một tờ báo nước ngoài đăng bài viết với những nhận định sai lệch về tình hình Biển Đông gần huyện Cần Giờ.",
    "Bài viết dẫn lời một người giấu tên và cho rằng tàu cá của ngư dân đã bị cấm ra khơi trong suốt tháng qua.",
    "Theo bài viết, chính quyền địa phương không thông báo cho người dân về các quy định mới trên biển.",
    "Tác giả còn đưa ra một bản đồ không rõ nguồn gốc để minh họa cho các nhận định của mình về vùng biển.",
    "Nhiều chi tiết trong bài không trùng khớp với thông tin do cơ quan chức năng công bố trong cùng thời gian.",
];

const OTHER: &[&str] = &[
    "Hội chợ nông sản của huyện Cần Giờ khai mạc sáng nay với hơn tám mươi gian hàng của các hợp tác xã.",
    "Các sản phẩm được giới thiệu gồm muối, hải sản khô, mật ong rừng và nhiều loại trái cây theo mùa.",
    "Ban tổ chức cho biết hội chợ kéo dài ba ngày và có các buổi hướng dẫn bán hàng trực tuyến cho nông dân.",
];

fn rss(base: &str, items: &[(&str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, path)| {
            format!("<item><title>{title}</title><link>{base}{path}</link><pubDate>Fri, 20 Nov 2026 01:30:00 GMT</pubDate></item>")
        })
        .collect();
    format!(r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>"#)
}

/// A local webhook receiver: answers 503 to the first `fail_first` posts, then 200; keeps bodies.
async fn webhook_receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<serde_json::Value>>>, Arc<Mutex<usize>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let attempts = Arc::new(Mutex::new(0usize));
    let (g, a) = (got.clone(), attempts.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (g, a) = (g.clone(), a.clone());
            async move {
                let n = {
                    let mut a = a.lock().unwrap();
                    *a += 1;
                    *a
                };
                if n <= fail_first {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                g.lock().unwrap().push(serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, got, attempts)
}

struct World {
    foreign: Site,
    _dir: tempfile::TempDir,
    cfg_path: std::path::PathBuf,
    db: String,
}

async fn world(webhook: &str, smtp_port: u16, quiet: &str) -> World {
    let mut f: HashMap<String, Resp> = HashMap::new();
    let mut d: HashMap<String, Resp> = HashMap::new();
    f.insert("/robots.txt".into(), Resp::ok("text/plain", "User-agent: *\nAllow: /\n"));
    d.insert("/robots.txt".into(), Resp::ok("text/plain", "User-agent: *\nAllow: /\n"));
    f.insert("/".into(), Resp::html("<html><body><h1>Trang chủ</h1></body></html>"));
    f.insert("/a/claim.html".into(), Resp::html(&page("Nhận định sai lệch về Biển Đông gần Cần Giờ", CLAIM, None, "vi")));
    let copy: Vec<String> = CLAIM.iter().map(|s| s.to_string()).chain(["Theo báo nước ngoài.".to_string()]).collect();
    let copy: Vec<&str> = copy.iter().map(String::as_str).collect();
    d.insert("/b/copy.html".into(), Resp::html(&page("Báo nước ngoài viết sai về Biển Đông", &copy, None, "vi")));
    d.insert("/b/fair.html".into(), Resp::html(&page("Hội chợ nông sản Cần Giờ khai mạc", OTHER, None, "vi")));
    let foreign = serve_on([127, 0, 0, 1], 0, f).await.expect("foreign site");
    let domestic = serve_on([127, 0, 0, 1], 0, d).await.expect("domestic site");
    foreign
        .routes
        .lock()
        .unwrap()
        .insert("/rss.xml".into(), Resp::ok("application/rss+xml", rss(&foreign.url(""), &[("Claim", "/a/claim.html")])));
    domestic.routes.lock().unwrap().insert(
        "/rss.xml".into(),
        Resp::ok("application/rss+xml", rss(&domestic.url(""), &[("Copy", "/b/copy.html"), ("Fair", "/b/fair.html")])),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/pw.sqlite", dir.path().display());
    let cfg = format!(
        r#"
[storage]
database_url = "{db}"
index_dir = "{index}"
[crawl]
user_agent = "presswatch-test/0.1 (+https://example.org/contact)"
per_host_interval = "10ms"
timeout = "5s"
[evidence]
recheck_interval = "1h"
[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
from = "presswatch <pw@example.gov.vn>"
timeout = "5s"
[[locality]]
id = "can-gio"
name = "Cần Giờ"
[[topic]]
id = "bien-dao"
name = "Biển đảo"
query = '"Biển Đông"'
sensitive = true
[[agency]]
id = "ban-tuyen-giao"
name = "Ban Tuyên giáo"
[[source]]
id = "ngoai"
name = "Báo Ngoài"
url = "{fu}"
origin = "foreign"
[[source]]
id = "trong"
name = "Báo Trong"
url = "{du}"
origin = "domestic"
[[rule]]
id = "chu-quyen-nuoc-ngoai"
name = "Biển đảo trên báo nước ngoài"
query = "topic:bien-dao AND locality:can-gio"
origin = ["foreign", "overseas"]
priority = "high"
agency = "ban-tuyen-giao"
[[rule]]
id = "lan-rong"
name = "Câu chuyện lan rộng"
query = "topic:bien-dao"
min_story_size = 5
[[alert]]
id = "hook"
name = "Cảnh báo chủ quyền"
rules = ["chu-quyen-nuoc-ngoai"]
webhook = "{webhook}"
[[alert]]
id = "mail"
name = "Tin về Cần Giờ và Biển Đông"
query = '"Biển Đông" AND "Cần Giờ"'
email = ["lanhdao@example.gov.vn"]
{quiet}
"#,
        index = dir.path().join("index").display(),
        fu = foreign.url("/rss.xml"),
        du = domestic.url("/rss.xml"),
    );
    let cfg_path = dir.path().join("presswatch.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    World { foreign, _dir: dir, cfg_path, db }
}

async fn crawl(w: &World) -> presswatch::cli::crawl::OnceSummary {
    presswatch::cli::crawl::crawl_once(Config::load(&w.cfg_path).unwrap()).await.unwrap()
}

async fn article_by_url(store: &Store, url: &str) -> ArticleId {
    store.article_for_url(url).await.unwrap().expect("article stored")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_alerts_revisions_and_warc() {
    let (hook, posts, attempts) = webhook_receiver(1).await;
    let (port, mut inbox) = smtp_sink().await;
    let w = world(&hook, port, "").await;

    // an analyst's saved search that e-mails new matches; a disabled saved search would not
    let store = Store::open(&w.db).await.unwrap();
    let analyst = store.create_user("analyst", presswatch::model::Role::Analyst, "x", chrono::Utc::now()).await.unwrap();
    store.save_search(analyst.id, "Biển Đông", "\"Biển Đông\"", Some(("analyst@example.gov.vn", false)), chrono::Utc::now()).await.unwrap();
    store.save_search(analyst.id, "Hội chợ", "\"hội chợ\"", None, chrono::Utc::now()).await.unwrap();

    // 1. first pass: three articles, two of one story; the rule flags the foreign one
    let s = crawl(&w).await;
    assert_eq!(s.pass.articles_new, 3, "{:?}", s.pass.failures);
    assert_eq!(s.watch.items_opened, 1, "one item for the story, not one per copy");
    assert_eq!(s.watch.alert_events, 3, "one event per alert (two configured, one saved search) for the one story");
    assert_eq!((s.delivery.sent, s.delivery.retrying), (2, 1), "mails sent; the webhook answered 503 and waits for a retry");

    let claim = article_by_url(&store, &w.foreign.url("/a/claim.html")).await.0;
    let (items, total) = store.queue_items(&QueueFilter { limit: 50, ..Default::default() }, chrono::Utc::now()).await.unwrap();
    assert_eq!(total, 1);
    let item = &items[0].item;
    assert_eq!(item.article_id, Some(ArticleId(claim)));
    assert_eq!(item.rule_id.as_deref(), Some("chu-quyen-nuoc-ngoai"));
    assert_eq!((item.priority.as_str(), item.agency_id.as_deref()), ("high", Some("ban-tuyen-giao")));
    let audit = store
        .audit_entries(&presswatch::store::AuditFilter { target_id: Some(item.id.to_string()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audit[0].actor, "rule:chu-quyen-nuoc-ngoai", "the rule is on record as who opened it");

    let mut mails = Vec::new();
    for _ in 0..2 {
        mails.push(tokio::time::timeout(std::time::Duration::from_secs(5), inbox.recv()).await.unwrap().unwrap());
    }
    assert!(mails.iter().any(|m| m.contains("To: lanhdao@example.gov.vn")), "{mails:?}");
    assert!(mails.iter().any(|m| m.contains("To: analyst@example.gov.vn")), "the saved search mailed its owner: {mails:?}");
    assert!(inbox.try_recv().is_err(), "one story, one e-mail per alert");

    // the webhook is retried when due (10 s after the 503) and then delivered once
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let cfg = Config::load(&w.cfg_path).unwrap();
    let client = presswatch::watch::notify::webhook_client("t").unwrap();
    let d = presswatch::watch::notify::deliver_due(&store, &cfg, &client).await.unwrap();
    assert_eq!(d.sent, 1);
    assert_eq!(*attempts.lock().unwrap(), 2);
    {
        let posts = posts.lock().unwrap();
        assert_eq!(posts.len(), 1);
        let ev = &posts[0]["events"][0];
        assert_eq!(posts[0]["alert"], "hook");
        assert_eq!(ev["kind"], "story");
        assert!(ev["summary"].as_str().unwrap_or("").contains("Biển Đông"), "{ev}");
        assert!(ev["link"].as_str().unwrap_or("").contains("/stories/"), "{ev}");
    }

    // 2. a second pass over unchanged feeds alerts nobody again and flags nothing new
    let s = crawl(&w).await;
    assert_eq!((s.watch.items_opened, s.watch.alert_events, s.delivery.sent), (0, 0, 0));
    assert_eq!(s.recheck.unchanged, 1, "the flagged article was checked and had not changed");

    // 3. the outlet edits the article: the next re-check records the edit with both versions
    let mut edited: Vec<String> = CLAIM.iter().map(|s| s.to_string()).collect();
    edited[1] = "Bài viết dẫn lời một người giấu tên và cho rằng một số tàu cá đã tạm nghỉ trong vài ngày.".into();
    let edited: Vec<&str> = edited.iter().map(String::as_str).collect();
    w.foreign
        .routes
        .lock()
        .unwrap()
        .insert("/a/claim.html".into(), Resp::html(&page("Nhận định sai lệch về Biển Đông gần Cần Giờ", &edited, None, "vi")));
    assert!(store.check_now(ArticleId(claim), chrono::Utc::now()).await.unwrap());
    let s = crawl(&w).await;
    assert_eq!(s.recheck.edited, 1);
    // 4. then takes it down: the removal is recorded
    w.foreign.routes.lock().unwrap().insert("/a/claim.html".into(), Resp::status(404));
    store.check_now(ArticleId(claim), chrono::Utc::now()).await.unwrap();
    let s = crawl(&w).await;
    assert_eq!(s.recheck.removed, 1);
    let revs = store.revisions(ArticleId(claim)).await.unwrap();
    assert_eq!(revs.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), vec!["edited", "removed"]);
    assert!(revs[0].prev_text.as_deref().unwrap_or("").contains("bị cấm ra khơi"));
    assert!(revs[0].text.as_deref().unwrap_or("").contains("tạm nghỉ"));
    let diff = presswatch::evidence::diff(revs[0].prev_text.as_deref().unwrap(), revs[0].text.as_deref().unwrap());
    assert!(diff.iter().any(|p| p.kind == "del" && p.text.contains("cấm")), "{diff:?}");
    assert!(diff.iter().any(|p| p.kind == "ins" && p.text.contains("nghỉ")), "{diff:?}");
    assert_eq!(revs[1].detail, "HTTP 404");
    // a redirect to the home page after it came back is a removal too
    w.foreign
        .routes
        .lock()
        .unwrap()
        .insert("/a/claim.html".into(), Resp::html(&page("Nhận định sai lệch về Biển Đông gần Cần Giờ", &edited, None, "vi")));
    store.check_now(ArticleId(claim), chrono::Utc::now()).await.unwrap();
    assert_eq!(crawl(&w).await.recheck.restored, 1);
    w.foreign.routes.lock().unwrap().insert("/a/claim.html".into(), Resp::redirect("/"));
    store.check_now(ArticleId(claim), chrono::Utc::now()).await.unwrap();
    assert_eq!(crawl(&w).await.recheck.removed, 1);
    let last = store.revisions(ArticleId(claim)).await.unwrap().pop().unwrap();
    assert!(last.detail.starts_with("redirected to the home page"), "{}", last.detail);

    // dismissed, the article is no longer watched; reopened, it is watched again from where it was
    // (removed, with the edited text as the version to compare), not from the first fetch
    let act = |item: presswatch::model::QueueItem, action: presswatch::triage::Action| {
        let store = store.clone();
        async move {
            let known = presswatch::triage::Known { agency: &|_| true, user: &|_| true };
            let next = presswatch::triage::apply(&item, &action, &known, chrono::Utc::now()).unwrap();
            let audit = presswatch::store::NewAudit {
                actor_id: None,
                actor: "test",
                action: "queue.action",
                target_kind: "queue_item",
                target_id: item.id.to_string(),
                detail: serde_json::json!({}),
                reason: action.reason(),
            };
            store.update_queue_item(item.version, &next, &audit, chrono::Utc::now()).await.unwrap();
            store.queue_item(item.id).await.unwrap().unwrap()
        }
    };
    let it = store.queue_item(item.id).await.unwrap().unwrap();
    let it = act(it, presswatch::triage::Action::Dismiss { reason: "đã xử lý".into() }).await;
    store.sync_checks(chrono::Utc::now()).await.unwrap();
    assert!(store.check_state(ArticleId(claim)).await.unwrap().is_none(), "a dismissed item's article is not re-checked");
    act(it, presswatch::triage::Action::Reopen { reason: "đăng lại".into() }).await;
    store.sync_checks(chrono::Utc::now()).await.unwrap();
    let state = store.check_state(ArticleId(claim)).await.unwrap().expect("watched again");
    assert!(state.removed_at.is_some(), "still known as removed");

    // 5. the evidence: first fetch of each article, plus the edited version
    let captures = store.captures_of(ArticleId(claim)).await.unwrap();
    assert_eq!(captures.len(), 3, "first fetch, the edit, the return");
    assert_eq!(captures[0].status, 200);
    assert!(String::from_utf8(captures[0].body().unwrap()).unwrap().contains("bị cấm ra khơi"));
    let out = w._dir.path().join("evidence.warc.gz");
    let n = presswatch::cli::export::warc(Config::load(&w.cfg_path).unwrap(), &out, vec![], None, None).await.unwrap();
    assert_eq!(n, 5, "3 captures of the claim + 2 other articles");
    read_back_with_warcio(&out, 5, &w.foreign.url("/a/claim.html"));
}

/// An independent reader: Python's warcio (installed by .ci/run) checks every digest and reads the
/// records back. Skipped visibly when it is missing outside CI.
fn read_back_with_warcio(path: &std::path::Path, responses: usize, claim_url: &str) {
    let has = std::process::Command::new("python3").args(["-c", "import warcio"]).status().map(|s| s.success()).unwrap_or(false);
    if !has {
        assert!(std::env::var("CI").is_err(), "CI must have Python's warcio (installed by .ci/run)");
        eprintln!("SKIPPED: WARC read-back needs Python's warcio (pip install warcio)");
        return;
    }
    let check = std::process::Command::new("python3")
        .args(["-c", "from warcio.cli import main; main()", "check", "-v"])
        .arg(path)
        .output()
        .unwrap();
    assert!(check.status.success(), "warcio check: {}{}", String::from_utf8_lossy(&check.stdout), String::from_utf8_lossy(&check.stderr));
    let script = r#"
import sys, json
from warcio.archiveiterator import ArchiveIterator
out = []
with open(sys.argv[1], 'rb') as f:
    for r in ArchiveIterator(f):
        item = {"type": r.rec_type, "uri": r.rec_headers.get_header('WARC-Target-URI')}
        if r.rec_type == 'response':
            item["status"] = r.http_headers.get_statuscode()
            item["body"] = r.content_stream().read().decode('utf-8', 'replace')
        out.append(item)
print(json.dumps(out))
"#;
    let o = std::process::Command::new("python3").args(["-c", script]).arg(path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let records: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(records[0]["type"], "warcinfo");
    let resp: Vec<&serde_json::Value> = records.iter().filter(|r| r["type"] == "response").collect();
    assert_eq!(resp.len(), responses);
    assert_eq!(records.iter().filter(|r| r["type"] == "metadata").count(), responses);
    let claim: Vec<&&serde_json::Value> = resp.iter().filter(|r| r["uri"] == claim_url).collect();
    assert_eq!(claim.len(), 3);
    assert!(claim[0]["body"].as_str().unwrap().contains("bị cấm ra khơi"), "Vietnamese text intact through the archive");
    assert!(claim[1]["body"].as_str().unwrap().contains("tạm nghỉ"));
}

/// Quiet hours hold an alert and let it out, once, when they end; a digest gathers events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_alerts_until_they_end() {
    let (hook, _posts, _) = webhook_receiver(0).await;
    let (port, _inbox) = smtp_sink().await;
    // quiet all day except 23:00–23:59 local: whatever time the test runs at, pick a window that
    // contains "now" and then a time outside it
    let w = world(&hook, port, "quiet_hours = \"00:00-23:00\"\ndigest = \"1h\"").await;
    let cfg = Config::load(&w.cfg_path).unwrap();
    let store = Store::open(&w.db).await.unwrap();
    let local = |h: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap().and_hms_opt(h, 30, 0).unwrap().and_utc() - chrono::Duration::hours(7)
    };
    store.add_alert_event("mail", "story:1", None, Some(1), "một", local(10)).await.unwrap();
    assert_eq!(presswatch::watch::dispatch(&store, &cfg, local(10)).await.unwrap(), 0, "held in quiet hours");
    assert_eq!(store.unsent_alert_events("mail").await.unwrap().len(), 1);
    store.add_alert_event("mail", "story:2", None, Some(2), "hai", local(11)).await.unwrap();
    assert!(!store.add_alert_event("mail", "story:2", None, Some(2), "hai", local(11)).await.unwrap(), "one story, one alert");
    assert_eq!(presswatch::watch::dispatch(&store, &cfg, local(23)).await.unwrap(), 2, "both go out together when quiet ends");
    assert_eq!(store.count_jobs("notify", "queued").await.unwrap(), 1, "one digest message");
    store.add_alert_event("mail", "story:3", None, Some(3), "ba", local(23)).await.unwrap();
    let later = local(23) + chrono::Duration::minutes(20);
    assert_eq!(presswatch::watch::dispatch(&store, &cfg, later).await.unwrap(), 0, "the digest waits for its hour");
}
