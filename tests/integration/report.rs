//! The leadership report on a database whose counts we know: every figure, the period bounds (the
//! same as `export`), every format read back (DOCX through LibreOffice where installed), an empty
//! week, a week with thousands of articles, the weekly schedule and e-mail to a local SMTP sink.

use super::fixture::smtp_sink;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use presswatch::config::Config;
use presswatch::model::{Analysis, ArticleId, FailureClass, NewArticle, Priority, QueueState, Role, SourceId, Tag};
use presswatch::report::{self, Format, Period, Report};
use presswatch::store::{NewAudit, Store};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Vietnamese local time.
pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    presswatch::time::ZONE.with_ymd_and_hms(y, m, d, h, min, s).single().expect("time").with_timezone(&Utc)
}

/// Monday 23 November 2026, 10:00 in Vietnam: week 47 has just ended.
pub fn now() -> DateTime<Utc> {
    local(2026, 11, 23, 10, 0, 0)
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// The configuration file, for running the binary on the fixture.
    pub config: PathBuf,
    pub cfg: Config,
    pub store: Store,
}

pub fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    let toml = format!(
        r#"include = ["{root}/config/topics.toml", "{root}/config/localities.toml", "{root}/config/agencies.toml"]
[storage]
database_url = "sqlite://{db}"
index_dir = "{idx}"
[server]
listen = "127.0.0.1:0"
public_url = "https://baochi.example.gov.vn/"
[report]
organization = "Ban Tuyên giáo Huyện ủy"
parent_organization = "Huyện ủy Cần Giờ"
signer = "Trưởng ban"
localities = ["can-gio"]
{extra}
[[source]]
id = "trong-nuoc"
name = "Báo Trong Nước"
url = "http://127.0.0.1:9/a.xml"
origin = "domestic"
[[source]]
id = "hai-ngoai"
name = "Đài Hải Ngoại"
url = "http://127.0.0.1:9/b.xml"
origin = "overseas"
[[source]]
id = "nuoc-ngoai"
name = "Foreign Daily"
url = "http://127.0.0.1:9/c.xml"
origin = "foreign"
[[source]]
id = "im-lang"
name = "Báo Im Lặng"
url = "http://127.0.0.1:9/d.xml"
origin = "domestic"
"#,
        db = dir.join("db.sqlite").display(),
        idx = dir.join("index").display(),
    );
    let path = dir.join("presswatch.toml");
    std::fs::write(&path, toml).expect("write config");
    path
}

fn tags(ids: &[&str]) -> Vec<Tag> {
    ids.iter().map(|id| Tag::new(id.to_string(), vec!["x".into()], true)).collect()
}

pub async fn insert(
    store: &Store,
    n: usize,
    src: &str,
    lang: &str,
    title: &str,
    at: Option<DateTime<Utc>>,
    topics: &[&str],
    places: &[&str],
) -> i64 {
    let text = format!("Bài viết thử nghiệm số {n}: {title}. Nội dung do chúng tôi tự viết cho bài kiểm thử.");
    insert_text(store, n, src, lang, title, &text, at, topics, places).await
}

/// `insert` with the article's text given.
#[allow(clippy::too_many_arguments)]
pub async fn insert_text(
    store: &Store,
    n: usize,
    src: &str,
    lang: &str,
    title: &str,
    text: &str,
    at: Option<DateTime<Utc>>,
    topics: &[&str],
    places: &[&str],
) -> i64 {
    let text = text.to_string();
    let url = format!("https://{src}.example/bai-{n}");
    let a = NewArticle {
        url: url.clone(),
        canonical_url: url.clone(),
        source_id: SourceId(src.into()),
        title: title.into(),
        text: text.clone(),
        lang: lang.into(),
        published_at: at,
        fetched_at: at.unwrap_or(local(2026, 11, 21, 15, 0, 0)),
        content_hash: presswatch::model::content_hash(&text),
        analysis: Analysis { lang: lang.into(), topics: tags(topics), localities: tags(places), mentions: vec![] },
    };
    match store.insert_article(&a, &[url]).await.expect("insert") {
        presswatch::store::Stored::New(id) => id.0,
        other => panic!("article {n} not new: {other:?}"),
    }
}

/// The database of known counts described in the comments below.
pub async fn fixture(extra_config: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), extra_config);
    let cfg = Config::load(&config).expect("config");
    let store = Store::open(&cfg.storage.database_url).await.expect("store");
    store.sync_sources(&cfg.sources, cfg.crawl.interval, local(2026, 10, 1, 0, 0, 0)).await.expect("sources");
    let s = &store;
    // week 47 (16–22 November 2026)
    let a1 =
        insert(s, 1, "trong-nuoc", "vi", "Tin đồn sai về đảo Thạnh An", Some(local(2026, 11, 18, 9, 0, 0)), &["bien-dao"], &["can-gio"])
            .await;
    let a2 =
        insert(s, 2, "hai-ngoai", "vi", "Tin đồn sai về đảo Thạnh An", Some(local(2026, 11, 18, 10, 0, 0)), &["bien-dao"], &["can-gio"])
            .await;
    insert(
        s,
        3,
        "nuoc-ngoai",
        "en",
        "False rumours about Thanh An island",
        Some(local(2026, 11, 18, 11, 0, 0)),
        &["bien-dao"],
        &["can-gio"],
    )
    .await;
    for i in 0..3 {
        insert(
            s,
            4 + i,
            "trong-nuoc",
            "vi",
            &format!("Biển Đông: bài thứ {i}"),
            Some(local(2026, 11, 18, 12 + i as u32, 0, 0)),
            &["bien-dao"],
            &[],
        )
        .await;
    }
    let a7 =
        insert(s, 7, "hai-ngoai", "vi", "Nhân quyền và Cần Giờ", Some(local(2026, 11, 20, 8, 0, 0)), &["nhan-quyen"], &["can-gio"]).await;
    insert(s, 8, "trong-nuoc", "vi", "Du lịch Cần Giờ cuối tuần", Some(local(2026, 11, 16, 0, 0, 0)), &[], &["can-gio"]).await;
    insert(s, 9, "trong-nuoc", "vi", "Tin không có ngày đăng", None, &[], &[]).await;
    insert(s, 10, "nuoc-ngoai", "en", "Weather report", Some(local(2026, 11, 22, 23, 59, 59)), &[], &[]).await;
    // week 46, one second before week 47, and the next week
    insert(s, 11, "trong-nuoc", "vi", "Bài tuần trước sát giờ", Some(local(2026, 11, 15, 23, 59, 59)), &["bien-dao"], &["can-gio"]).await;
    insert(s, 12, "hai-ngoai", "vi", "Bài cũ về nhân quyền", Some(local(2026, 11, 10, 10, 0, 0)), &["nhan-quyen"], &["can-gio"]).await;
    insert(s, 13, "im-lang", "vi", "Bài của báo im lặng", Some(local(2026, 11, 12, 10, 0, 0)), &[], &[]).await;
    insert(s, 14, "trong-nuoc", "vi", "Bài tuần sau", Some(local(2026, 11, 23, 0, 0, 0)), &[], &[]).await;

    // the queue: A flagged and answered in the week, B flagged in the week and overdue, C older and dismissed
    let hash = presswatch::web::auth::hash_password("mật-khẩu-đủ-dài-1").expect("hash");
    let u = store.create_user("truc-ban", Role::Triage, &hash, local(2026, 10, 1, 0, 0, 0)).await.expect("user");
    let actor = (u.id, "truc-ban");
    let audit = |action: &'static str| NewAudit {
        actor_id: Some(u.id),
        actor: "truc-ban",
        action,
        target_kind: "queue_item",
        target_id: String::new(),
        detail: serde_json::json!({}),
        reason: None,
    };
    let a = store
        .create_queue_item(ArticleId(a2), "Xuyên tạc chủ quyền", Priority::Urgent, actor, local(2026, 11, 17, 10, 0, 0))
        .await
        .expect("A");
    let mut next = a.clone();
    next.state = QueueState::Responded;
    next.agency_id = Some("cong-an".into());
    next.responded_at = Some(local(2026, 11, 18, 10, 0, 0));
    store.update_queue_item(a.version, &next, &audit("respond"), local(2026, 11, 18, 10, 0, 0)).await.expect("respond A");
    let b = store
        .create_queue_item(ArticleId(a7), "Bịa đặt về nhân quyền", Priority::Urgent, actor, local(2026, 11, 19, 9, 0, 0))
        .await
        .expect("B");
    let mut next = b.clone();
    next.state = QueueState::Assigned;
    next.agency_id = Some("ngoai-vu".into());
    next.due_at = Some(local(2026, 11, 20, 17, 0, 0));
    store.update_queue_item(b.version, &next, &audit("assign"), local(2026, 11, 19, 9, 30, 0)).await.expect("assign B");
    let c = store.create_queue_item(ArticleId(a1), "Cần xem lại", Priority::Low, actor, local(2026, 11, 5, 9, 0, 0)).await.expect("C");
    let mut next = c.clone();
    next.state = QueueState::Dismissed;
    next.closed_at = Some(local(2026, 11, 17, 8, 0, 0));
    store.update_queue_item(c.version, &next, &audit("dismiss"), local(2026, 11, 17, 8, 0, 0)).await.expect("dismiss C");

    // Đài Hải Ngoại's feed failed during the week
    store.count_failure(&SourceId("hai-ngoai".into()), FailureClass::Timeout, None, local(2026, 11, 19, 3, 0, 0)).await.expect("failure");
    Fixture { dir, config, cfg, store }
}

fn row<'a>(rows: &'a [presswatch::report::Row], id: &str) -> &'a presswatch::report::Row {
    rows.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no row {id} in {:?}", rows.iter().map(|r| &r.id).collect::<Vec<_>>()))
}

fn counts(r: &presswatch::report::Count) -> (u64, u64, u64, u64) {
    (r.all, r.local, r.prev_all, r.prev_local)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_on_a_database_of_known_counts() {
    let f = fixture("").await;
    let period = Period::parse_week("2026-W47").unwrap();
    let r = report::build(&f.store, &f.cfg, period, now()).await.expect("report");

    assert_eq!(r.period.label, "2026-W47");
    assert_eq!(r.previous.label, "2026-W46");
    // articles 1–10; 11 is one second too early, 14 falls in the next week
    assert_eq!(counts(&r.totals.articles), (10, 5, 3, 2));
    assert_eq!((r.totals.sources, r.totals.languages), (3, 2));
    assert_eq!(r.totals.articles.query, "date:2026-11-16..2026-11-22");
    assert_eq!(r.totals.articles.local_query, "locality:can-gio date:2026-11-16..2026-11-22");
    assert_eq!(r.daily, vec![1, 0, 6, 0, 1, 1, 1], "by Vietnamese calendar day");

    assert_eq!(counts(&row(&r.by_origin, "domestic").count), (6, 2, 2, 1));
    assert_eq!(counts(&row(&r.by_origin, "overseas").count), (2, 2, 1, 1));
    assert_eq!(counts(&row(&r.by_origin, "foreign").count), (2, 1, 0, 0));
    assert_eq!(row(&r.by_origin, "overseas").name, "Người Việt ở nước ngoài");
    assert_eq!(counts(&row(&r.by_lang, "vi").count), (8, 4, 3, 2));
    assert_eq!(counts(&row(&r.by_lang, "en").count), (2, 1, 0, 0));
    assert_eq!(r.by_lang[0].id, "vi", "largest first");
    assert_eq!(counts(&row(&r.by_locality, "can-gio").count), (5, 5, 2, 2));

    // topics: the sensitive six first, in configuration order
    let sensitive: Vec<&str> = r.topics.iter().take_while(|t| t.sensitive).map(|t| t.id.as_str()).collect();
    for id in ["bien-dao", "bien-gioi", "nhan-quyen", "dan-chu", "ton-giao", "dan-toc"] {
        assert!(sensitive.contains(&id), "{id} among the first, sensitive topics: {sensitive:?}");
    }
    let bd = r.topics.iter().find(|t| t.id == "bien-dao").unwrap();
    assert_eq!(bd.name, "Biển đảo");
    assert_eq!(counts(&bd.count), (6, 3, 1, 1));
    assert_eq!(bd.count.query, "topic:bien-dao date:2026-11-16..2026-11-22");
    assert_eq!(bd.daily, vec![0, 0, 6, 0, 0, 0, 0]);
    assert_eq!(bd.spikes.len(), 1, "six articles on a day after a quiet month");
    assert_eq!(bd.spikes[0].day, NaiveDate::from_ymd_opt(2026, 11, 18).unwrap());
    assert_eq!(bd.spikes[0].query, "topic:bien-dao date:2026-11-18");
    let top = &bd.stories[0];
    assert_eq!(top.title, "Tin đồn sai về đảo Thạnh An");
    assert_eq!((top.articles, top.first_source.as_str()), (2, "Báo Trong Nước"));
    assert_eq!(top.outlets, vec!["Báo Trong Nước", "Đài Hải Ngoại"]);
    assert_eq!(bd.stories.len(), 5, "capped");
    let nq = r.topics.iter().find(|t| t.id == "nhan-quyen").unwrap();
    assert_eq!(counts(&nq.count), (1, 1, 1, 1));
    assert!(nq.spikes.is_empty());

    assert_eq!(r.top_sources.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), vec!["trong-nuoc", "hai-ngoai", "nuoc-ngoai"]);
    assert_eq!(r.new_sources.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), vec!["nuoc-ngoai"], "first local article this week");

    let q = &r.queue;
    // A has been answered but is open until someone closes it
    assert_eq!((q.flagged, q.responded, q.closed, q.dismissed, q.open, q.overdue), (2, 1, 0, 1, 2, 1));
    assert_eq!(q.median_hours_to_response, Some(24.0));
    let agencies: Vec<(&str, u64, u64, u64, u64)> =
        q.by_agency.iter().map(|a| (a.id.as_str(), a.flagged, a.responded, a.open, a.overdue)).collect();
    assert_eq!(agencies, vec![("cong-an", 1, 1, 1, 0), ("ngoai-vu", 1, 0, 1, 1)]);
    // overdue first; A is listed too, as answered
    assert_eq!(q.urgent_open.len(), 2);
    assert_eq!(q.urgent_open[1].state, "responded");
    assert_eq!(q.urgent_open[0].title, "Nhân quyền và Cần Giờ");
    assert!(q.urgent_open[0].overdue);
    assert_eq!(q.urgent_open[0].agency.as_deref(), Some("Sở Ngoại vụ Thành phố"));

    let health: Vec<(&str, &str)> = r.source_health.iter().map(|s| (s.id.as_str(), s.problem.as_str())).collect();
    assert_eq!(health, vec![("hai-ngoai", "failing"), ("im-lang", "silent")]);
    // the failure is named for a reader, in Vietnamese, not as a code or a raw error cut mid-word
    assert_eq!(r.source_health[0].detail, "quá thời gian chờ ×1", "{:?}", r.source_health[0]);

    // a pure function of (database, period, clock)
    let again = report::build(&f.store, &f.cfg, period, now()).await.expect("report");
    assert_eq!(again, r);
    // and what is kept reads back the same
    let (id, kept) = report::generate(&f.store, &f.cfg, period, now(), "truc-ban").await.expect("generate");
    assert_eq!(kept, r);
    let (info, back) = report::kept(&f.store, id).await.expect("read").expect("kept");
    assert_eq!(back, r);
    assert_eq!((info.label.as_str(), info.generated_by.as_str()), ("2026-W47", "truc-ban"));
}

/// The queue section counts every item, not one page of the queue list (which stops at 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_figures_count_every_item() {
    let f = fixture("").await;
    let article =
        ArticleId(insert(&f.store, 60, "trong-nuoc", "vi", "Bài bị gắn cờ nhiều lần", Some(local(2026, 11, 17, 9, 0, 0)), &[], &[]).await);
    let user = f.store.user_by_name("truc-ban").await.unwrap().expect("user");
    for i in 0..520 {
        f.store
            .create_queue_item(article.clone(), "lặp lại", Priority::Normal, (user.id, "truc-ban"), local(2026, 11, 18, 8, 0, i % 60))
            .await
            .unwrap();
    }
    let r = report::build(&f.store, &f.cfg, Period::parse_week("2026-W47").unwrap(), now()).await.unwrap();
    assert_eq!(r.queue.flagged, 522, "520 here and the fixture's A and B");
    assert_eq!(r.queue.open, 522);
}

/// The text of a DOCX body, runs joined.
pub fn docx_text(bytes: &[u8]) -> (String, Vec<String>) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("DOCX is a zip");
    let names: Vec<String> = zip.file_names().map(String::from).collect();
    let mut xml = String::new();
    zip.by_name("word/document.xml").expect("document.xml").read_to_string(&mut xml).expect("utf-8");
    let mut text = String::new();
    for part in xml.split("<w:t").skip(1) {
        let body = part.split_once('>').map(|(_, b)| b).unwrap_or("");
        text.push_str(body.split("</w:t>").next().unwrap_or(""));
        text.push(' ');
    }
    (text, names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_carries_the_same_figures_and_intact_vietnamese() {
    let f = fixture("").await;
    let r = report::build(&f.store, &f.cfg, Period::parse_week("2026-W47").unwrap(), now()).await.expect("report");

    let json: Report = serde_json::from_slice(&report::render(&r, Format::Json).unwrap()).expect("JSON reads back");
    assert_eq!(json, r);

    let md = String::from_utf8(report::render(&r, Format::Md).unwrap()).unwrap();
    assert!(md.contains("# BÁO CÁO"), "{md}");
    assert!(md.contains("Tình hình thông tin báo chí về Cần Giờ tuần 47 (từ 16/11/2026 đến 22/11/2026)"), "{md}");
    assert!(md.contains("Tin bài về địa bàn: **[5](<https://baochi.example.gov.vn/search?q=locality%3Acan-gio+date%3A2026-11-16..2026-11-22>)** (+150%)"), "{md}");
    assert!(
        md.contains("| Biển đảo | [6](<https://baochi.example.gov.vn/search?q=topic%3Abien-dao+date%3A2026-11-16..2026-11-22>) |"),
        "{md}"
    );
    assert!(md.contains("Cần Giờ, ngày 23 tháng 11 năm 2026"), "{md}");

    // MiniJinja writes `/` as `&#x2f;`, which browsers read as `/`
    let html = String::from_utf8(report::render(&r, Format::Html).unwrap()).unwrap().replace("&#x2f;", "/");
    assert!(html.contains("<h1 class=\"title\">BÁO CÁO</h1>"));
    assert!(html.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
    assert!(html.contains("HUYỆN ỦY CẦN GIỜ"), "parent organisation in capitals");
    assert!(html.contains(r#"<a href="https://baochi.example.gov.vn/search?q=topic%3Abien-dao+date%3A2026-11-16..2026-11-22" title="Tra cứu: topic:bien-dao date:2026-11-16..2026-11-22">6</a>"#));
    assert!(html.contains("<svg"), "charts inline");
    assert!(!html.contains("<script"), "no script in the report");
    assert!(!html.contains("<link") && !html.contains("src=\"http"), "self-contained");

    let docx = report::render(&r, Format::Docx).unwrap();
    let (text, names) = docx_text(&docx);
    assert!(text.contains("BÁO CÁO") && text.contains("Độc lập - Tự do - Hạnh phúc"), "{text}");
    assert!(text.contains("Tin đồn sai về đảo Thạnh An"), "{text}");
    assert!(text.contains("Sở Ngoại vụ"), "{text}");
    assert!(text.contains("topic:bien-dao date:2026-11-16..2026-11-22"), "queries in the appendix: {text}");
    assert!(names.iter().filter(|n| n.starts_with("word/media/")).count() >= 3, "charts embedded as images: {names:?}");
    docx_rs::read_docx(&docx).expect("docx-rs reads it back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_titles_stay_text_in_every_format() {
    let f = fixture("").await;
    insert(
        &f.store,
        50,
        "hai-ngoai",
        "vi",
        "<script>alert(1)</script> | **x** [y](javascript:alert(2))",
        Some(local(2026, 11, 17, 9, 0, 0)),
        &["bien-dao"],
        &[],
    )
    .await;
    let r = report::build(&f.store, &f.cfg, Period::parse_week("2026-W47").unwrap(), now()).await.unwrap();
    let html = String::from_utf8(report::render(&r, Format::Html).unwrap()).unwrap().replace("&#x2f;", "/");
    assert!(!html.contains("<script>alert"), "escaped in HTML");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let md = String::from_utf8(report::render(&r, Format::Md).unwrap()).unwrap();
    assert!(md.contains(r"\<script\>alert(1)\</script\> \| \*\*x\*\* \[y\](javascript:alert(2))"), "{md}");
    let (text, _) = docx_text(&report::render(&r, Format::Docx).unwrap());
    assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "XML-escaped in DOCX");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_week_and_a_busy_week_both_render() {
    let f = fixture("").await;
    // a quiet week after the first crawl (one before it is refused: see no_report_covers_a_week_before_the_first_crawl)
    let empty = report::build(&f.store, &f.cfg, Period::parse_week("2026-W49").unwrap(), now()).await.unwrap();
    assert_eq!(empty.totals.articles.all, 0);
    assert!(empty.topics.iter().all(|t| t.stories.is_empty() && t.spikes.is_empty()));
    for format in [Format::Html, Format::Docx, Format::Md, Format::Json] {
        assert!(!report::render(&empty, format).unwrap().is_empty(), "{format:?}");
    }
    let md = String::from_utf8(report::render(&empty, Format::Md).unwrap()).unwrap();
    assert!(md.contains("Tin bài về địa bàn: **[0]"), "{md}");

    // three thousand articles in week 45
    for i in 0..3000usize {
        let day = 2 + (i % 7) as u32;
        let topics: &[&str] = if i % 3 == 0 { &["bien-dao"] } else { &[] };
        let places: &[&str] = if i % 2 == 0 { &["can-gio"] } else { &[] };
        let src = ["trong-nuoc", "hai-ngoai", "nuoc-ngoai"][i % 3];
        insert(
            &f.store,
            1000 + i,
            src,
            "vi",
            &format!("Tin số {i} trong tuần bận rộn"),
            Some(local(2026, 11, day, 8, (i % 60) as u32, 0)),
            topics,
            places,
        )
        .await;
    }
    let busy = report::build(&f.store, &f.cfg, Period::parse_week("2026-W45").unwrap(), now()).await.unwrap();
    assert_eq!(busy.totals.articles.all, 3000);
    assert_eq!(busy.totals.articles.local, 1500);
    assert_eq!(busy.topics.iter().find(|t| t.id == "bien-dao").unwrap().count.all, 1000);
    for format in [Format::Html, Format::Docx, Format::Md, Format::Json] {
        assert!(!report::render(&busy, format).unwrap().is_empty(), "{format:?}");
    }
}

/// `soffice` converts the DOCX to PDF and the PDF carries our Vietnamese text. Skips (saying so)
/// where LibreOffice is not installed; `.ci/run` installs it, and under CI a missing one fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libreoffice_opens_the_docx() {
    let Some(soffice) = ["soffice", "libreoffice"]
        .into_iter()
        .find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        assert!(std::env::var("CI").is_err(), "CI must have LibreOffice (installed by .ci/run)");
        eprintln!("SKIPPED libreoffice_opens_the_docx: LibreOffice is not installed (.ci/run installs it)");
        return;
    };
    let f = fixture("").await;
    let r = report::build(&f.store, &f.cfg, Period::parse_week("2026-W47").unwrap(), now()).await.unwrap();
    let out = f.dir.path().join("lo");
    std::fs::create_dir_all(&out).unwrap();
    let docx = out.join("bao-cao.docx");
    std::fs::write(&docx, report::render(&r, Format::Docx).unwrap()).unwrap();
    let profile = format!("-env:UserInstallation=file://{}", out.join("profile").display());
    let st = std::process::Command::new(soffice)
        .args([profile.as_str(), "--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&out)
        .arg(&docx)
        .output()
        .expect("run soffice");
    let pdf = out.join("bao-cao.pdf");
    assert!(pdf.exists(), "LibreOffice made no PDF: {}", String::from_utf8_lossy(&st.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF") && bytes.len() > 20_000, "a PDF with the charts in it ({} bytes)", bytes.len());
    if let Ok(o) = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output() {
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("BÁO CÁO") && text.contains("Cần Giờ") && text.contains("Đài Hải Ngoại"), "{text}");
    }
    if let Ok(dir) = std::env::var("PRESSWATCH_REPORT_PICTURES") {
        // how docs/report-*.png were made: the first pages as pictures
        std::fs::copy(&pdf, Path::new(&dir).join("report-example.pdf")).unwrap();
        let _ = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "60", "-f", "1", "-l", "2"])
            .arg(&pdf)
            .arg(Path::new(&dir).join("report-page"))
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_report_is_written_once_when_due_and_mailed() {
    let (port, mut inbox) = smtp_sink().await;
    let extra = format!(
        "weekday = \"mon\"\nhour = 8\nemail_to = [\"Lãnh đạo <lanhdao@example.gov.vn>\"]\nattach = [\"docx\", \"md\"]\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"presswatch <presswatch@example.gov.vn>\"\n"
    );
    let f = fixture(&extra).await;
    // Monday 07:59 in Vietnam: not yet
    assert_eq!(report::scheduled(&f.store, &f.cfg, local(2026, 11, 23, 7, 59, 0)).await.unwrap(), None);
    let id = report::scheduled(&f.store, &f.cfg, now()).await.unwrap().expect("written at 10:00");
    assert_eq!(report::scheduled(&f.store, &f.cfg, now() + chrono::Duration::hours(3)).await.unwrap(), None, "once a week");
    let (info, r) = report::kept(&f.store, id).await.unwrap().unwrap();
    assert_eq!((info.label.as_str(), info.generated_by.as_str()), ("2026-W47", "schedule"));
    assert_eq!(r.totals.articles.all, 10);
    assert!(info.emailed_at.is_some() && info.email_error.is_none(), "{info:?}");

    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv()).await.expect("mail in time").expect("mail");
    assert!(mail.contains("To: =?utf-8?") || mail.contains("lanhdao@example.gov.vn"), "{mail}");
    assert!(mail.contains("Subject: "), "{mail}");
    assert!(mail.contains("presswatch-2026-W47.docx") && mail.contains("presswatch-2026-W47.md"), "attachments named: {mail}");
    assert!(mail.contains("multipart/alternative") && mail.contains("text/html"), "{mail}");
    assert!(inbox.try_recv().is_err(), "one e-mail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_email_is_recorded_and_the_report_kept() {
    // nothing listens on this port
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let extra = format!(
        "email_to = [\"lanhdao@example.gov.vn\"]\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"pw@example.gov.vn\"\ntimeout = \"3s\"\n"
    );
    let f = fixture(&extra).await;
    let id = report::scheduled(&f.store, &f.cfg, now()).await.unwrap().expect("written");
    let (info, _) = report::kept(&f.store, id).await.unwrap().unwrap();
    assert!(info.emailed_at.is_none());
    let err = info.email_error.expect("error recorded");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

/// Issue 15: a new install wrote last week's report at once, all zeros and every source "fine".
/// A period before the first crawl is never reported: the schedule skips it, and asked for by
/// hand it says there is no data yet instead of zeros.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_report_covers_a_week_before_the_first_crawl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = Config::load(&write_config(dir.path(), "weekday = \"mon\"\nhour = 8\n")).expect("config");
    let store = Store::open(&cfg.storage.database_url).await.expect("store");
    assert_eq!(report::scheduled(&store, &cfg, now()).await.unwrap(), None, "nothing crawled yet");
    let week = report::Period::last_full_week(now());
    let e = report::generate(&store, &cfg, week.clone(), now(), "cli").await.expect_err("no data");
    assert!(e.to_string().contains("chưa có dữ liệu") && e.to_string().contains("chưa thu thập"), "{e}");

    // installed on Monday morning: last week is still before it
    store.note_crawl_started(local(2026, 11, 23, 9, 0, 0)).await.expect("noted");
    assert_eq!(report::scheduled(&store, &cfg, now()).await.unwrap(), None, "the week before the install");
    let e = report::generate(&store, &cfg, week, now(), "cli").await.expect_err("no data");
    assert!(e.to_string().contains("23/11/2026"), "{e}");
    // a week later, the first full week since the install is reported, zeros and all
    let next = now() + chrono::Duration::days(7);
    let id = report::scheduled(&store, &cfg, next).await.unwrap().expect("the first watched week");
    let (info, _) = report::kept(&store, id).await.unwrap().unwrap();
    assert_eq!(info.label, "2026-W48");
    // a later first crawl never hides data already stored: the first article counts as well
    assert!(store.first_crawl_at().await.unwrap().is_some_and(|t| t <= local(2026, 11, 23, 9, 0, 0)));
}

/// Issue 15: "Vụ việc khẩn đang mở: Không có" while high-priority items were open. Open items of
/// high priority are listed too, after the urgent ones, each with its priority in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_high_priority_items_are_listed_after_the_urgent_ones() {
    let f = fixture("").await;
    let hash = presswatch::web::auth::hash_password("mat-khau-that-dai").expect("hash");
    let u = f.store.create_user("truc-ban-2", Role::Triage, &hash, local(2026, 10, 1, 0, 0, 0)).await.expect("user");
    let article = f.store.articles_page(0, 1, None, None).await.expect("articles")[0].id.clone();
    f.store
        .create_queue_item(article, "Thông tin sai về dự án", Priority::High, (u.id, "truc-ban-2"), local(2026, 11, 20, 9, 0, 0))
        .await
        .expect("high item");
    let r = report::build(&f.store, &f.cfg, Period::parse_week("2026-W47").unwrap(), now()).await.unwrap();
    let listed: Vec<&str> = r.queue.urgent_open.iter().map(|q| q.priority.as_str()).collect();
    assert_eq!(listed, vec!["urgent", "urgent", "high"]);
    let md = String::from_utf8(report::render(&r, Format::Md).unwrap()).unwrap();
    assert!(md.contains("Vụ việc khẩn và ưu tiên cao đang mở") && md.contains("ưu tiên cao, "), "{md}");
}

/// Issue 15: the overview leaders open first. The last 24 hours against the 24 before them, and
/// the seven days up to the day as a report of that rolling week, with each topic's articles about
/// the office's own localities counted apart and the stories carried by most outlets first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_counts_the_last_day_and_the_rolling_week() {
    let f = fixture("").await;
    // Thursday 19 November, 11:30: articles 4–6 (12:00–14:00 on the 18th, no locality) are the
    // last 24 hours; 1–3 (09:00–11:00 on the 18th, about Cần Giờ) the 24 hours before
    let at = local(2026, 11, 19, 11, 30, 0);
    let o = report::overview::overview(&f.store, &f.cfg, at).await.expect("overview");
    let d = &o.day;
    assert_eq!((d.articles, d.local, d.sensitive), (3, 0, 3));
    assert_eq!((d.prev_articles, d.prev_local, d.prev_sensitive), (3, 3, 3));
    let w = o.week.as_ref().expect("data in the week");
    assert_eq!((w.period.from, w.period.to), (NaiveDate::from_ymd_opt(2026, 11, 13).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 19).unwrap()));
    let sea = w.topics.iter().find(|t| t.id == "bien-dao").expect("bien-dao");
    // the 15th (article 11, about Cần Giờ) and the 18th (articles 1–6, three about Cần Giờ)
    assert_eq!(sea.daily, vec![0, 0, 1, 0, 0, 6, 0]);
    assert_eq!(sea.local_daily, vec![0, 0, 1, 0, 0, 3, 0]);
    assert_eq!(o.stories[0].title, "Tin đồn sai về đảo Thạnh An");
    assert_eq!(o.stories[0].outlets.len(), 2, "{:?}", o.stories[0]);

    // before anything is stored there is no week to show, and nothing fails
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = Config::load(&write_config(dir.path(), "")).expect("config");
    let store = Store::open(&cfg.storage.database_url).await.expect("store");
    let o = report::overview::overview(&store, &cfg, at).await.expect("empty overview");
    assert!(o.week.is_none() && o.stories.is_empty() && o.day == Default::default());
}

/// Issue 15: the morning digest is the overview, mailed once a day from the configured hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_morning_digest_is_mailed_once_a_day_from_its_hour() {
    let (port, mut inbox) = smtp_sink().await;
    let extra = format!(
        "digest_hour = 8\nemail_to = [\"lanhdao@example.gov.vn\"]\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"presswatch <presswatch@example.gov.vn>\"\n"
    );
    let f = fixture(&extra).await;
    let due = |h, m| presswatch::web::digest_if_due(&f.cfg, &f.store, local(2026, 11, 19, h, m, 0));
    assert!(!due(7, 59).await.expect("before the hour"), "not before 08:00");
    assert!(due(8, 5).await.expect("sent"), "sent at 08:05");
    assert!(!due(9, 0).await.expect("checked"), "once a day");
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv()).await.expect("mail in time").expect("mail");
    assert!(mail.contains("lanhdao@example.gov.vn") && mail.contains("Subject: "), "{mail}");
    assert!(mail.contains("multipart/related") && mail.contains("text/html") && mail.contains("text/plain"), "{mail}");
    assert!(mail.contains("image/png") && mail.contains("Content-ID: <chart0>"), "charts as inline pictures: {mail}");
    assert!(inbox.try_recv().is_err(), "one e-mail");
    let next_day = presswatch::web::digest_if_due(&f.cfg, &f.store, local(2026, 11, 20, 8, 0, 0)).await.expect("next day");
    assert!(next_day, "the next morning's digest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_named_in_passing_is_stored_and_shown_but_not_counted_as_local() {
    let f = fixture("").await;
    let text = "Đoàn khảo sát đi qua nhiều nơi, trong đó có Cần Giờ. Bài do chúng tôi tự viết.".to_string();
    let url = "https://trong-nuoc.example/bai-qua".to_string();
    let mut passing = Tag::new("can-gio", vec!["Cần Giờ".into()], false);
    passing.passing = true;
    let a = NewArticle {
        url: url.clone(),
        canonical_url: url.clone(),
        source_id: SourceId("trong-nuoc".into()),
        title: "Đoàn khảo sát về miền Tây".into(),
        text: text.clone(),
        lang: "vi".into(),
        published_at: Some(local(2026, 11, 19, 9, 0, 0)),
        fetched_at: local(2026, 11, 19, 9, 5, 0),
        content_hash: presswatch::model::content_hash(&text),
        analysis: Analysis { lang: "vi".into(), topics: vec![], localities: vec![passing], mentions: vec![] },
    };
    let id = match f.store.insert_article(&a, &[url]).await.expect("insert") {
        presswatch::store::Stored::New(id) => id,
        other => panic!("not new: {other:?}"),
    };
    let stored = f.store.articles(&[id]).await.expect("read back");
    assert!(stored[0].localities[0].passing, "kept as named in passing");
    let r = report::build(&f.store, &f.cfg, Period::parse_week("2026-W47").unwrap(), now()).await.expect("report");
    // one more article in the week (11, not 10), and still five about the locality
    assert_eq!(counts(&r.totals.articles), (11, 5, 3, 2));
    assert_eq!(counts(&row(&r.by_locality, "can-gio").count), (5, 5, 2, 2));
}
