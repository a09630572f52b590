//! End to end through the library: a crawl pass over the fixture site (hostile responses included),
//! then storage, tags, index and search are checked as a user would see them.

use super::fixture::{gzip, page, Resp, Site};
use presswatch::config::Config;
use presswatch::crawl::{Crawler, Progress};
use presswatch::model::{Article, SourceId};
use presswatch::search::indexer::Indexer;
use presswatch::search::searcher::{SearchRequest, Searcher};
use presswatch::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use unicode_normalization::UnicodeNormalization;

fn rss(site: &str, items: &[(&str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, path)| {
            let link = if path.starts_with("http") { path.to_string() } else { format!("{site}{path}") };
            format!(
                "<item><title>{title}</title><link>{link}</link><description>Tóm tắt: {title}</description>\
                 <pubDate>Fri, 20 Nov 2026 01:30:00 GMT</pubDate></item>\n"
            )
        })
        .collect();
    format!(r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Báo Thử Nghiệm</title>{items}</channel></rss>"#)
}

pub struct World {
    pub good: Site,
    pub hostile: Site,
    pub dir: tempfile::TempDir,
    pub config_path: std::path::PathBuf,
}

/// The fixture site: host 127.0.0.1 is a well-behaved outlet with some broken pages;
/// host 127.0.0.2 is hostile (slow, huge, compressed bombs, broken feeds).
pub async fn world() -> World {
    let good_routes = |base: &str| -> HashMap<String, Resp> {
        let mut r = HashMap::new();
        r.insert("/robots.txt".into(), Resp::ok("text/plain", "User-agent: *\nDisallow: /private/\n"));
        let mut feed = Resp::ok(
            "application/rss+xml",
            rss(
                base,
                &[
                    ("Ngư dân Cần Giờ bám biển", "/tin/1.html?utm_source=rss&utm_medium=feed"),
                    ("Giá xăng biến động mạnh", "/tin/2.html"),
                    ("Trang nội bộ", "/private/secret.html"),
                    ("Tin NFD", "/tin/nfd.html"),
                    ("Tin mã cũ", "/tin/legacy.html"),
                    ("Tin chuyển hướng", "/redirect-me"),
                    ("Vòng lặp", "/loop-a"),
                    ("Lỗi máy chủ", "/tin/500.html"),
                    ("Tin không dấu", "/tin/khong-dau.html"),
                    // crawled content trying to reach inside the network
                    ("Nội bộ", "http://127.0.0.3:9/admin"),
                    ("Chuyển vào trong", "/to-internal"),
                ],
            ),
        );
        feed.etag = Some("\"v1\"".into());
        r.insert("/rss.xml".into(), feed);
        r.insert(
            "/atom.xml".into(),
            Resp::ok(
                "application/atom+xml",
                format!(
                    r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Báo Thử Nghiệm Atom</title>
<id>urn:x</id><updated>2026-11-20T01:00:00Z</updated>
<entry><title>Ngư dân Cần Giờ bám biển</title><id>urn:1</id><link href="{base}/tin/1.html#top"/><updated>2026-11-20T01:00:00Z</updated></entry>
<entry><title>Tensions in the South China Sea</title><id>urn:4</id><link href="{base}/tin/4.html"/><updated>2026-11-20T02:00:00Z</updated></entry>
</feed>"#
                ),
            ),
        );
        r.insert(
            "/sitemap.xml".into(),
            Resp::ok(
                "application/xml",
                format!(
                    r#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/tin/5.html</loc><news:news><news:publication_date>2026-11-20T09:00:00+07:00</news:publication_date><news:title>南海局势</news:title></news:news></url>
<url><loc>{base}/tin/2.html?fbclid=abc</loc></url>
</urlset>"#
                ),
            ),
        );
        r.insert(
            "/trang-chu".into(),
            Resp::html(
                r#"<html><head><link rel="alternate" type="application/rss+xml" href="/rss2.xml"></head><body>Trang chủ</body></html>"#,
            ),
        );
        r.insert("/rss2.xml".into(), Resp::ok("application/rss+xml", rss(base, &[("Lễ hội ở Cần Giờ", "/tin/6.html")])));
        r.insert(
            "/tin/1.html".into(),
            Resp::html(&page(
                "Ngư dân Cần Giờ bám biển",
                &[
                    "Sáng nay hàng trăm tàu cá của ngư dân xã Cần Giờ đã ra khơi sau đợt nghỉ vì gió mùa, tiếp tục bám biển dài ngày.",
                    "Ngư dân cho biết họ luôn mang theo thiết bị liên lạc và sẵn sàng báo tin khi gặp tàu lạ hoạt động trái phép ở Biển Đông.",
                    "Chính quyền địa phương cam kết hỗ trợ chi phí nhiên liệu và bảo hiểm thân tàu cho các chuyến biển xa.",
                ],
                Some(&format!("{base}/tin/1.html")),
                "vi",
            )),
        );
        r.insert(
            "/tin/2.html".into(),
            Resp::html(&page(
                "Giá xăng biến động mạnh",
                &[
                    "Giá xăng dầu trong nước tuần qua biến động mạnh theo thị trường thế giới, khiến nhiều doanh nghiệp vận tải lo lắng.",
                    "Các chuyên gia dự báo giá sẽ còn điều chỉnh trong kỳ tới, người tiêu dùng nên theo dõi thông báo của liên bộ.",
                    "Nhiều cửa hàng xăng dầu chưa kịp cập nhật bảng giá mới trong buổi sáng đầu tiên sau khi điều chỉnh.",
                ],
                None,
                "vi",
            )),
        );
        r.insert("/private/secret.html".into(), Resp::html(&page("Bí mật", &["Không được phép thu thập trang này."], None, "vi")));
        let nfd_title: String = "Hội thảo về Trường Sa tại Cần Giờ".nfd().collect();
        let nfd_para: String =
            "Các nhà nghiên cứu đã trình bày nhiều tư liệu lịch sử khẳng định chủ quyền của Việt Nam đối với quần đảo Trường Sa và Hoàng Sa."
                .nfd()
                .collect();
        r.insert(
            "/tin/nfd.html".into(),
            Resp::html(&page(
                &nfd_title,
                &[&nfd_para, "Hội thảo thu hút đông đảo sinh viên và cán bộ nghiên cứu tham dự trong hai ngày."],
                None,
                "vi",
            )),
        );
        // windows-1258 spells tones as combining marks after the base letter
        let para = "<p>Thời tiết Huế hôm nay có mưa nhỏ và gió lạnh, người dân đi làm sớm hơn mọi ngày.</p>".repeat(4);
        let legacy = to_cp1258(&format!(
            "<html><head><meta charset=\"windows-1258\"><title>Tin mã cũ</title></head><body><article><h1>Mùa Đông ở Huế</h1>{para}</article></body></html>"
        ));
        r.insert(
            "/tin/legacy.html".into(),
            Resp { status: 200, headers: vec![("content-type".into(), "text/html".into())], body: legacy, ..Default::default() },
        );
        r.insert("/redirect-me".into(), Resp::redirect("/tin/3.html"));
        r.insert(
            "/tin/3.html".into(),
            Resp::html(&page(
                "Khánh thành cầu mới ở Cần Thạnh",
                &[
                    "Cây cầu mới nối trung tâm thị trấn Cần Thạnh với khu dân cư ven biển đã chính thức thông xe sáng thứ sáu.",
                    "Công trình giúp người dân rút ngắn thời gian đi lại và thuận tiện vận chuyển hải sản ra chợ đầu mối.",
                ],
                None,
                "vi",
            )),
        );
        r.insert("/to-internal".into(), Resp::redirect("http://127.0.0.1:1/secret"));
        r.insert("/loop-a".into(), Resp::redirect("/loop-b"));
        r.insert("/loop-b".into(), Resp::redirect("/loop-a"));
        r.insert("/tin/500.html".into(), Resp::status(500));
        r.insert(
            "/tin/khong-dau.html".into(),
            Resp::html(&page(
                "Nguoi dan Can Gio trong rung ngap man",
                &[
                    "Nguoi dan xa Can Gio tham gia trong moi hang nghin cay duoc tren dat bai boi ven bien trong thang nay.",
                    "Chinh quyen dia phuong cho biet du an se giup bao ve bo bien va tao sinh ke cho nhieu ho dan.",
                ],
                None,
                "vi",
            )),
        );
        r.insert(
            "/tin/4.html".into(),
            Resp::html(&page(
                "Tensions in the South China Sea",
                &[
                    "Fishing crews from southern Vietnam said on Friday that foreign patrol vessels had shadowed their boats near the Spratly Islands.",
                    "Analysts said the incident was the third of its kind this month and called for calm talks between the parties involved.",
                ],
                None,
                "en",
            )),
        );
        r.insert(
            "/tin/5.html".into(),
            Resp::html(&page(
                "南海局势引发关注",
                &[
                    "越南渔民表示，本周在南沙群岛附近作业时多次遇到外国巡逻船只跟随，当地官员呼吁各方保持克制。",
                    "分析人士认为，有关各方应通过对话解决分歧，维护地区和平稳定。",
                ],
                None,
                "zh",
            )),
        );
        r.insert(
            "/tin/6.html".into(),
            Resp::html(&page(
                "Lễ hội Nghinh Ông ở Cần Giờ",
                &[
                    "Lễ hội Nghinh Ông năm nay thu hút hàng chục nghìn người dân và du khách về thị trấn ven biển.",
                    "Ban tổ chức cho biết nhiều hoạt động văn hóa truyền thống được phục dựng, trong đó có lễ rước trên biển.",
                ],
                None,
                "vi",
            )),
        );
        r.insert("/broken.xml".into(), Resp::ok("application/rss+xml", "<?xml version=\"1.0\"?><rss><channel><item><title>Cắt ngang"));
        r.insert("/not-a-feed".into(), Resp::html("<html><body><p>Đây là trang tin, không phải nguồn RSS.</p></body></html>"));
        r
    };

    let good = serve_named([127, 0, 0, 1], good_routes).await;

    let hostile_routes = |base: &str| -> HashMap<String, Resp> {
        let mut r = HashMap::new();
        r.insert("/robots.txt".into(), Resp::ok("text/plain", "User-agent: *\nAllow: /\n"));
        r.insert(
            "/feed.xml".into(),
            Resp::ok(
                "application/rss+xml",
                rss(
                    base,
                    &[
                        ("Chậm", "/slow.html"),
                        ("Lớn", "/big.html"),
                        ("Bom", "/bomb.html"),
                        ("Chậm 2", "/slow2.html"),
                        ("Chậm 3", "/slow3.html"),
                    ],
                ),
            ),
        );
        let slow =
            Resp { delay: Duration::from_secs(5), ..Resp::html(&page("Chậm", &["Trang này trả lời rất chậm."], None, "vi")) };
        r.insert("/slow.html".into(), slow.clone());
        r.insert("/slow2.html".into(), slow.clone());
        r.insert("/slow3.html".into(), slow);
        r.insert("/big.html".into(), Resp::html(&"<p>quá lớn</p>".repeat(200_000)));
        let mut bomb = Resp::html("");
        bomb.body = gzip(&vec![b' '; 30_000_000]);
        bomb.headers.push(("content-encoding".into(), "gzip".into()));
        r.insert("/bomb.html".into(), bomb);
        r.insert("/slow-feed.xml".into(), Resp { delay: Duration::from_secs(5), ..Resp::ok("application/rss+xml", rss(base, &[])) });
        r
    };
    let hostile = serve_named([127, 0, 0, 2], hostile_routes).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        r#"
[storage]
database_url = "sqlite://{db}"
index_dir = "{idx}"

[crawl]
user_agent = "presswatch-test/0.1 (+mailto:test@example.org)"
per_host_interval = "0s"
timeout = "1s"
max_body = "1MB"
concurrency = 4

[[locality]]
id = "can-gio"
name = "Cần Giờ"
aliases = ["Can Gio", "Cần Thạnh"]

[[topic]]
id = "bien-dao"
name = "Biển đảo"
query = '"Biển Đông" OR "Trường Sa" OR "Hoàng Sa" OR "South China Sea" OR Spratly OR 南海 OR 南沙'

[[topic]]
id = "ton-giao"
name = "Tôn giáo"
query = '"tôn giáo" OR chùa OR "nhà thờ"'

[[source]]
id = "thu-rss"
name = "Báo Thử Nghiệm RSS"
url = "{g}/rss.xml"
origin = "domestic"
lang = "vi"

[[source]]
id = "thu-atom"
name = "Báo Thử Nghiệm Atom"
url = "{g}/atom.xml"
origin = "foreign"

[[source]]
id = "thu-sitemap"
name = "Báo Thử Nghiệm sitemap"
url = "{g}/sitemap.xml"
origin = "overseas"

[[source]]
id = "thu-trang-chu"
name = "Báo Thử Nghiệm trang chủ"
url = "{g}/trang-chu"
origin = "domestic"

[[source]]
id = "hong-xml"
name = "XML hỏng"
url = "{g}/broken.xml"
origin = "domestic"

[[source]]
id = "khong-phai-feed"
name = "Không phải feed"
url = "{g}/not-a-feed"
origin = "domestic"

[[source]]
id = "doc-hai"
name = "Máy chủ độc hại"
url = "{h}/feed.xml"
origin = "foreign"

[[source]]
id = "doc-hai-cham"
name = "Feed chậm"
url = "{h}/slow-feed.xml"
origin = "foreign"
"#,
        db = dir.path().join("db.sqlite").display(),
        idx = dir.path().join("index").display(),
        g = good.url(""),
        h = hostile.url(""),
    );
    let config_path = dir.path().join("presswatch.toml");
    std::fs::write(&config_path, config).expect("write config");
    World { good, hostile, dir, config_path }
}

/// Encodes Vietnamese text as windows-1258: precomposed letters split into base (with its vowel
/// marks) plus a combining tone mark, which is how that code page writes them.
fn to_cp1258(s: &str) -> Vec<u8> {
    const TONES: [char; 5] = ['\u{0300}', '\u{0301}', '\u{0303}', '\u{0309}', '\u{0323}'];
    let mut split = String::new();
    for c in s.chars() {
        let d: String = c.to_string().nfd().collect();
        let tone: Option<char> = d.chars().find(|m| TONES.contains(m));
        let base: String = d.chars().filter(|m| !TONES.contains(m)).collect::<String>().nfc().collect();
        split.push_str(&base);
        if let Some(t) = tone {
            split.push(t);
        }
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&split);
    assert!(!unmappable, "fixture text not representable in windows-1258");
    bytes.into_owned()
}

async fn serve_named(ip: [u8; 4], routes: impl Fn(&str) -> HashMap<String, Resp>) -> Site {
    // routes embed the site's own base URL, so bind first, then build them
    for _ in 0..5 {
        let l = tokio::net::TcpListener::bind(std::net::SocketAddr::from((ip, 0))).await.expect("bind");
        let port = l.local_addr().expect("addr").port();
        drop(l);
        let base = format!("http://{}.{}.{}.{}:{port}", ip[0], ip[1], ip[2], ip[3]);
        let site = super::fixture::serve_on(ip, port, routes(&base)).await;
        if let Some(s) = site {
            return s;
        }
    }
    panic!("could not bind a fixture port");
}

async fn crawl(world: &World) -> (Store, presswatch::crawl::PassSummary) {
    let cfg = Config::load(&world.config_path).expect("config");
    let store = Store::open(&cfg.storage.database_url).await.expect("store");
    store.sync_sources(&cfg.sources, cfg.crawl.interval, chrono::Utc::now()).await.expect("sync");
    let mut indexer = Indexer::open(store.clone(), &cfg.storage.index_dir).await.expect("indexer");
    let crawler = Crawler::new(Arc::new(cfg), store.clone(), Arc::new(Notify::new())).expect("crawler");
    let (_tx, rx) = watch::channel(false);
    let summary = crawler.pass(true, &rx, &Progress::new(false)).await.expect("pass");
    eprintln!("pass summary: {summary:?}");
    indexer.catch_up().await.expect("index");
    (store, summary)
}

async fn all_articles(store: &Store) -> Vec<Article> {
    store.articles_page(0, 1000, None, None).await.expect("articles")
}

fn by_path<'a>(articles: &'a [Article], path: &str) -> Option<&'a Article> {
    articles.iter().find(|a| a.url.ends_with(path))
}

fn facets(world: &World, q: &str) -> std::collections::BTreeMap<String, Vec<(String, u64)>> {
    let s = Searcher::open(&world.dir.path().join("index")).expect("searcher");
    s.reload().expect("reload");
    s.search(&SearchRequest { query: q.into(), limit: 5, offset: 0, sort_by_date: false, facets: true }).expect("search").facets
}

fn search(world: &World, q: &str) -> Vec<String> {
    let s = Searcher::open(&world.dir.path().join("index")).expect("searcher");
    s.reload().expect("reload");
    let r = s.search(&SearchRequest { query: q.into(), limit: 50, offset: 0, sort_by_date: false, facets: true }).expect("search");
    r.hits.into_iter().map(|h| h.url).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_pass_end_to_end() {
    let world = world().await;
    let (store, summary) = crawl(&world).await;
    let articles = all_articles(&store).await;
    let urls: Vec<&str> = articles.iter().map(|a| a.url.as_str()).collect();

    // stored once each, whatever the tracking parameters, fragments or feeds
    for path in [
        "/tin/1.html",
        "/tin/2.html",
        "/tin/3.html",
        "/tin/4.html",
        "/tin/5.html",
        "/tin/6.html",
        "/tin/nfd.html",
        "/tin/legacy.html",
        "/tin/khong-dau.html",
    ] {
        let n = urls.iter().filter(|u| u.ends_with(path)).count();
        assert_eq!(n, 1, "{path} stored {n} times; stored: {urls:?}");
    }
    let one = by_path(&articles, "/tin/1.html").expect("article 1");
    assert!(!one.url.contains("utm_"), "tracking parameters kept: {}", one.url);
    let seen = store.sightings_of(one.id.clone()).await.expect("sightings");
    assert_eq!(seen, vec!["thu-atom".to_string(), "thu-rss".to_string()], "article 1 should remember both feeds");

    // robots.txt honoured: the disallowed page was never requested
    assert_eq!(world.good.requested("/private/secret.html"), 0, "robots.txt violated");
    assert!(world.good.requested("/robots.txt") >= 1);

    // redirects followed; the loop and the 500 are classified failures, not articles
    assert!(by_path(&articles, "/tin/3.html").is_some());
    assert!(summary.failures.contains_key("redirects"), "{:?}", summary.failures);
    assert!(summary.failures.contains_key("http_5xx") || summary.pages_retry_later > 0, "{:?}", summary);
    let feed_failures = store.failure_counts(&SourceId("thu-rss".into())).await.expect("failures");
    assert!(feed_failures.iter().any(|(c, _)| c == "redirects"), "{feed_failures:?}");

    // crawled links and redirects into the local network are refused, not followed
    assert!(summary.failures.get("blocked").copied().unwrap_or(0) >= 2, "{:?}", summary.failures);
    assert!(!urls.iter().any(|u| u.contains("127.0.0.3") || u.contains(":1/")), "{urls:?}");

    // hostile host: slow pages time out, the big page and the gzip bomb are refused, nothing stored from them
    let hostile = store.failure_counts(&SourceId("doc-hai".into())).await.expect("failures");
    let classes: Vec<&str> = hostile.iter().map(|(c, _)| c.as_str()).collect();
    assert!(classes.contains(&"too_large"), "{classes:?}");
    assert!(classes.contains(&"timeout"), "{classes:?}");
    assert!(!urls.iter().any(|u| u.contains("bomb") || u.contains("big.html") || u.contains("slow")));
    // broken feeds are classified per source
    let health = store.source_health().await.expect("health");
    let class_of = |id: &str| health.iter().find(|h| h.source_id == id).and_then(|h| h.last_error_class.clone());
    assert_eq!(class_of("hong-xml").as_deref(), Some("malformed"));
    assert_eq!(class_of("khong-phai-feed").as_deref(), Some("not_a_feed"));
    assert_eq!(class_of("doc-hai-cham").as_deref(), Some("timeout"));
    assert_eq!(class_of("thu-rss"), None);

    // extraction: boilerplate excluded; legacy charset and NFD text come out as NFC Vietnamese
    assert!(one.text.contains("hàng trăm tàu cá"), "{}", one.text);
    assert!(!one.text.contains("Tin liên quan") && !one.text.contains("Giấy phép") && !one.text.contains("Trang chủ"), "{}", one.text);
    let legacy = by_path(&articles, "/tin/legacy.html").expect("legacy");
    assert!(legacy.title.contains("Mùa Đông ở Huế"), "{}", legacy.title);
    assert!(legacy.text.contains("Thời tiết Huế"), "{}", legacy.text);
    let nfd = by_path(&articles, "/tin/nfd.html").expect("nfd");
    assert!(nfd.title.contains("Trường Sa"), "title not NFC: {:?}", nfd.title);

    // language
    let lang = |p: &str| by_path(&articles, p).map(|a| a.lang.clone()).unwrap_or_default();
    assert_eq!(lang("/tin/1.html"), "vi");
    assert_eq!(lang("/tin/khong-dau.html"), "vi");
    assert_eq!(lang("/tin/4.html"), "en");
    assert_eq!(lang("/tin/5.html"), "zh");

    // tags: topic and locality only from the article itself, with the matched words kept
    let topics = |p: &str| by_path(&articles, p).map(|a| a.topics.iter().map(|t| t.id.clone()).collect::<Vec<_>>()).unwrap_or_default();
    let places = |p: &str| by_path(&articles, p).map(|a| a.localities.iter().map(|t| t.id.clone()).collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(topics("/tin/1.html"), vec!["bien-dao"]);
    assert_eq!(one.topics[0].matched, vec!["Biển Đông".to_string()]);
    assert!(topics("/tin/2.html").is_empty(), "biến động is not Biển Đông; menus do not count");
    assert!(places("/tin/2.html").is_empty(), "the footer's Cần Giờ must not count");
    assert_eq!(places("/tin/1.html"), vec!["can-gio"]);
    assert_eq!(places("/tin/3.html"), vec!["can-gio"], "alias Cần Thạnh");
    assert_eq!(places("/tin/khong-dau.html"), vec!["can-gio"], "unaccented alias in unaccented text");
    assert_eq!(topics("/tin/nfd.html"), vec!["bien-dao"]);
    assert_eq!(topics("/tin/4.html"), vec!["bien-dao"]);
    assert_eq!(topics("/tin/5.html"), vec!["bien-dao"]);

    // search: with or without diacritics, phrases, fields, CJK
    let hits = search(&world, "bien dong");
    assert!(hits.iter().any(|u| u.ends_with("/tin/1.html")), "{hits:?}");
    let hits = search(&world, "\"Biển Đông\"");
    assert!(hits.iter().any(|u| u.ends_with("/tin/1.html")));
    assert!(!hits.iter().any(|u| u.ends_with("/tin/2.html")), "exact query must not match biến động: {hits:?}");
    let hits = search(&world, "truong sa");
    assert!(hits.iter().any(|u| u.ends_with("/tin/nfd.html")), "NFD text must be searchable: {hits:?}");
    let hits = search(&world, "\"Trường Sa\" topic:bien-dao lang:vi");
    assert_eq!(hits.len(), 1, "{hits:?}");
    let hits = search(&world, "南沙");
    assert!(hits.iter().any(|u| u.ends_with("/tin/5.html")), "{hits:?}");
    let hits = search(&world, "\"Trường Sa\" OR Spratly");
    assert!(hits.iter().any(|u| u.ends_with("/tin/4.html")) && hits.iter().any(|u| u.ends_with("/tin/nfd.html")), "{hits:?}");
    let hits = search(&world, "Can Gio");
    assert!(hits.iter().any(|u| u.ends_with("/tin/khong-dau.html")) && hits.iter().any(|u| u.ends_with("/tin/1.html")), "{hits:?}");
    // the sitemap listed 5 and 2 (2 with a tracking parameter): `source:` finds both, nothing else
    let mut hits = search(&world, "source:thu-sitemap");
    hits.sort();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits[0].ends_with("/tin/2.html") && hits[1].ends_with("/tin/5.html"), "{hits:?}");

    // facets count what matched, by tag, language, source, origin and Vietnamese day
    let f = facets(&world, "\"Trường Sa\" OR Spratly OR \"Biển Đông\" OR 南沙");
    assert!(f["topic"].contains(&("bien-dao".to_string(), 4)), "{f:?}");
    assert!(f["lang"].iter().any(|(k, n)| k == "en" && *n == 1), "{f:?}");
    assert!(f["origin"].iter().any(|(k, _)| k == "domestic"), "{f:?}");
    // every fixture article says it was published 2026-11-20 08:30 in Vietnam (01:30 UTC)
    assert_eq!(f["date"].iter().map(|(_, n)| n).sum::<u64>(), 4, "{f:?}");
    assert!(f["date"].iter().all(|(d, _)| d == "2026-11-20"), "{f:?}");

    // a second pass: the RSS feed answers 304 and nothing is stored twice
    let (store2, second) = crawl(&world).await;
    assert!(second.sources_unchanged >= 1, "{second:?}");
    assert_eq!(second.articles_new, 0, "{second:?}");
    assert_eq!(store2.count_articles().await.expect("count"), articles.len() as i64);
    let _ = &world.hostile;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_catches_up_after_loss() {
    let world = world().await;
    let (store, _) = crawl(&world).await;
    let n = store.count_articles().await.expect("count");
    // the index is derived: delete it and the next writer rebuilds it from the database
    std::fs::remove_dir_all(world.dir.path().join("index")).expect("rm index");
    let mut indexer = Indexer::open(store.clone(), &world.dir.path().join("index")).await.expect("indexer");
    let added = indexer.catch_up().await.expect("catch up");
    assert_eq!(added as i64, n);
    drop(indexer);
    let s = Searcher::open(&world.dir.path().join("index")).expect("searcher");
    assert_eq!(s.num_docs() as i64, n);
}

/// Regression (issue 13): a 1.1 MB page of 100,000 nested `<div>` took minutes to parse and then
/// overflowed the stack, aborting the crawler at every start; a feed nested as deep would do the
/// same to feed-rs. Now the page is read (its text kept) and the feed is a classified failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_page_and_feed_do_not_stop_the_crawl() {
    const DEPTH: usize = 100_000;
    let site = serve_named([127, 0, 0, 7], |base| {
        let mut r = HashMap::new();
        r.insert("/robots.txt".to_string(), Resp::ok("text/plain", "User-agent: *\nAllow: /\n"));
        r.insert("/rss.xml".to_string(), Resp::ok("application/rss+xml", rss(base, &[("Trang lồng sâu", "/tin/deep.html")])));
        let text = "<p>Người dân trong xã đã cùng nhau dọn dẹp bãi biển sau cơn bão, thu gom hàng tấn rác thải trôi dạt vào bờ.</p>";
        let deep = format!(
            "<html><head><title>Trang lồng sâu</title></head><body>{}{text}{text}{text}{}</body></html>",
            "<div>".repeat(DEPTH),
            "</div>".repeat(DEPTH)
        );
        r.insert("/tin/deep.html".to_string(), Resp::html(&deep));
        let feed = format!("<?xml version=\"1.0\"?><rss><channel>{}</channel></rss>", "<x>".repeat(DEPTH) + &"</x>".repeat(DEPTH));
        r.insert("/deep.xml".to_string(), Resp::ok("application/rss+xml", feed));
        r
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("presswatch.toml");
    std::fs::write(
        &config_path,
        format!(
            "[storage]\ndatabase_url = \"sqlite://{}\"\nindex_dir = \"{}\"\n[crawl]\nper_host_interval = \"0s\"\ntimeout = \"20s\"\n\
             [[source]]\nid = \"deep-page\"\nname = \"D\"\nurl = \"{}\"\norigin = \"domestic\"\n\
             [[source]]\nid = \"deep-feed\"\nname = \"F\"\nurl = \"{}\"\norigin = \"domestic\"\n",
            dir.path().join("db.sqlite").display(),
            dir.path().join("index").display(),
            site.url("/rss.xml"),
            site.url("/deep.xml"),
        ),
    )
    .expect("config");
    let world = World { good: site, hostile: serve_named([127, 0, 0, 8], |_| HashMap::new()).await, dir, config_path };
    let (store, summary) = crawl(&world).await;
    assert_eq!(world.good.requested("/tin/deep.html"), 1);
    assert_eq!(summary.articles_new, 1, "{summary:?}");
    let articles = all_articles(&store).await;
    let deep = by_path(&articles, "/tin/deep.html").expect("deep page stored");
    assert!(deep.text.contains("dọn dẹp bãi biển"), "{}", deep.text);
    let health = store.source_health().await.expect("health");
    let feed = health.iter().find(|h| h.source_id == "deep-feed").expect("feed health");
    assert_eq!(feed.last_error_class.as_deref(), Some("malformed"), "{health:?}");
    assert!(feed.last_error.as_deref().unwrap_or("").contains("nested"), "{health:?}");
}

/// RFC 9309: robots.txt answering 5xx means the whole host is off limits, and the failure says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_unavailable_means_nothing_is_fetched() {
    let site = serve_named([127, 0, 0, 5], |base| {
        let mut r = HashMap::new();
        r.insert("/robots.txt".to_string(), Resp::status(500));
        r.insert("/rss.xml".to_string(), Resp::ok("application/rss+xml", rss(base, &[("Tin", "/tin/1.html")])));
        r
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("presswatch.toml");
    std::fs::write(
        &config_path,
        format!(
            "[storage]\ndatabase_url = \"sqlite://{}\"\nindex_dir = \"{}\"\n[crawl]\nper_host_interval = \"0s\"\ntimeout = \"2s\"\n\
             [[source]]\nid = \"robots-500\"\nname = \"R\"\nurl = \"{}\"\norigin = \"domestic\"\n",
            dir.path().join("db.sqlite").display(),
            dir.path().join("index").display(),
            site.url("/rss.xml")
        ),
    )
    .expect("config");
    let world = World { good: site, hostile: serve_named([127, 0, 0, 6], |_| HashMap::new()).await, dir, config_path };
    let (store, summary) = crawl(&world).await;
    assert_eq!(world.good.requested("/rss.xml"), 0, "fetched despite robots.txt answering 500");
    assert!(world.good.requested("/robots.txt") >= 1);
    assert_eq!(summary.sources_failed, 1);
    let health = store.source_health().await.expect("health");
    assert_eq!(health[0].last_error_class.as_deref(), Some("http_5xx"), "{health:?}");
    assert!(health[0].last_error.as_deref().unwrap_or("").contains("robots.txt unreachable"), "{health:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_queue_lifecycle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&format!("sqlite://{}", dir.path().join("db.sqlite").display())).await.expect("store");
    let now = chrono::Utc::now();
    assert!(store.enqueue("page", "https://a.example/1", "{}", now).await.expect("enqueue"));
    assert!(!store.enqueue("page", "https://a.example/1", "{}", now).await.expect("enqueue"), "deduplicated by key");
    let jobs = store.take_jobs("page", now, 10).await.expect("take");
    assert_eq!(jobs.len(), 1);
    assert!(store.take_jobs("page", now, 10).await.expect("take").is_empty(), "a running job is not taken twice");
    // a read-only open (export, search) leaves running work alone; the crawler's start requeues it
    let reader = Store::open(&format!("sqlite://{}", dir.path().join("db.sqlite").display())).await.expect("store");
    assert_eq!(reader.count_jobs("page", "running").await.expect("count"), 1);
    assert_eq!(store.requeue_interrupted().await.expect("requeue").requeued, 1);
    let again = store.take_jobs("page", now, 10).await.expect("take");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1, "attempts counted when taken");
    // a retry in the future is not due now; a permanent failure is not retried
    store.fail_job(again[0].id, "HTTP 503", Some(now + chrono::Duration::minutes(5))).await.expect("fail");
    assert!(store.take_jobs("page", now, 10).await.expect("take").is_empty());
    let later = store.take_jobs("page", now + chrono::Duration::minutes(6), 10).await.expect("take");
    assert_eq!(later.len(), 1);
    store.fail_job(later[0].id, "HTTP 404", None).await.expect("fail");
    assert_eq!(store.count_jobs("page", "failed").await.expect("count"), 1);
    assert!(!store.enqueue("page", "https://a.example/1", "{}", now).await.expect("enqueue"), "failed just now: not requeued yet");
}

/// Regression (issue 13): a page that took the process down was requeued at every start and took it
/// down again. A job running at two crashes is set aside; the jobs that were merely taken with it
/// are tried one at a time, so only the culprit is poisoned; a clean stop counts no crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_running_at_two_crashes_is_poisoned_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&format!("sqlite://{}", dir.path().join("db.sqlite").display())).await.expect("store");
    let now = chrono::Utc::now();
    for i in 0..3 {
        store.enqueue("page", &format!("https://a.example/{i}"), "{}", now).await.expect("enqueue");
    }
    // a clean stop hands jobs back without counting a crash
    assert_eq!(store.take_jobs("page", now, 10).await.expect("take").len(), 3);
    assert_eq!(store.release_running().await.expect("release"), 3);
    assert_eq!(store.take_jobs("page", now, 10).await.expect("take").len(), 3, "released jobs are not suspects");
    // first crash: all three were running
    let i = store.requeue_interrupted().await.expect("requeue");
    assert_eq!((i.requeued, i.poisoned), (3, 0));
    // suspects run one at a time
    let one = store.take_jobs("page", now, 10).await.expect("take");
    assert_eq!(one.len(), 1, "{one:?}");
    assert!(store.take_jobs("page", now, 10).await.expect("take").is_empty(), "a second suspect waits for the first");
    // second crash with it running: it alone is poisoned
    let i = store.requeue_interrupted().await.expect("requeue");
    assert_eq!((i.requeued, i.poisoned), (0, 1));
    let poisoned = store.poisoned_jobs().await.expect("poisoned");
    assert_eq!(poisoned.len(), 1);
    assert_eq!((poisoned[0].key.as_str(), poisoned[0].crashes), (one[0].key.as_str(), 2));
    assert_eq!(store.count_jobs("page", "poisoned").await.expect("count"), 1);
    // the innocent two finish, one after the other, and the poisoned one is never taken by itself
    for _ in 0..2 {
        let j = store.take_jobs("page", now, 10).await.expect("take");
        assert_eq!(j.len(), 1);
        assert_ne!(j[0].key, one[0].key);
        store.finish_job(j[0].id).await.expect("finish");
    }
    assert!(store.take_jobs("page", now, 10).await.expect("take").is_empty());
    assert!(!store.enqueue("page", &one[0].key, "{}", now).await.expect("enqueue"), "listing it again does not revive it");
    // an admin's retry queues it afresh
    assert!(store.retry_poisoned(poisoned[0].id, now).await.expect("retry").is_some());
    assert!(store.retry_poisoned(poisoned[0].id, now).await.expect("retry").is_none(), "only poisoned jobs are retried");
    let back = store.take_jobs("page", now, 10).await.expect("take");
    assert_eq!((back.len(), back[0].attempts), (1, 0));
}

/// Regression: `serve` and an `export` started together on a new database raced to migrate it and
/// one of them failed with "table sources already exists".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_opens_both_succeed() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let opens: Vec<_> = (0..4).map(|_| tokio::spawn(Store::open_owned(url.clone()))).collect();
        for o in opens {
            o.await.expect("join").expect("every concurrent open migrates or finds the migration done");
        }
    }
}

/// The crawler stores whatever pages finished together in one batch (`insert_articles`); a batch
/// must decide exactly as storing the same articles one at a time does: same URLs, same canonical
/// link, same text on the same site (long enough) are one article, in order, earlier ones first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_store_decides_as_one_at_a_time() {
    use presswatch::model::{Analysis, NewArticle, Tag};
    use presswatch::store::{Stored, ToStore};
    let long =
        "Ngư dân xã Cần Giờ ra khơi sau nhiều ngày nghỉ vì thời tiết xấu; tàu cá được kiểm tra thiết bị an toàn trước khi xuất bến. "
            .repeat(3);
    let article = |url: &str, canonical: &str, text: &str| NewArticle {
        url: url.into(),
        canonical_url: canonical.into(),
        source_id: SourceId("s".into()),
        title: format!("Tin {url}"),
        text: text.into(),
        lang: "vi".into(),
        published_at: None,
        fetched_at: chrono::Utc::now(),
        content_hash: presswatch::model::content_hash(text),
        analysis: Analysis {
            lang: "vi".into(),
            topics: vec![Tag::new("bien-dao", vec![url.into()], false)],
            localities: vec![],
            mentions: vec![],
        },
    };
    let other = format!("{long} Khác.");
    let cases: Vec<(NewArticle, Vec<String>)> = vec![
        (article("https://a.example/1", "https://a.example/1", &long), vec!["https://a.example/1".into()]),
        // listed under another URL, same canonical link
        (article("https://a.example/1?ref=rss", "https://a.example/1", "ngắn"), vec!["https://a.example/1?ref=rss".into()]),
        // same long text on the same site (www. is the same site)
        (article("https://www.a.example/copy", "https://www.a.example/copy", &long), vec!["https://www.a.example/copy".into()]),
        // same text on another site: its own article
        (article("https://b.example/1", "https://b.example/1", &long), vec!["https://b.example/1".into()]),
        // short texts are never matched by text
        (article("https://a.example/s1", "https://a.example/s1", "ngắn"), vec!["https://a.example/s1".into()]),
        (article("https://a.example/s2", "https://a.example/s2", "ngắn"), vec!["https://a.example/s2".into()]),
        // a redirect chain that reaches an article stored earlier in the batch
        (article("https://a.example/2", "https://a.example/2", &other), vec!["https://a.example/old".into(), "https://b.example/1".into()]),
        (article("https://a.example/3", "https://a.example/3", &other), vec!["https://a.example/3".into()]),
    ];
    async fn tables(store_url: &str) -> (Vec<(i64, String, String)>, Vec<(String, i64)>, Vec<(i64, String, String)>) {
        use sqlx::Row;
        let pool = sqlx::SqlitePool::connect(store_url).await.expect("connect");
        let articles = sqlx::query("SELECT id, url, canonical_url FROM articles ORDER BY id").fetch_all(&pool).await.expect("articles");
        let urls = sqlx::query("SELECT url, article_id FROM article_urls ORDER BY url").fetch_all(&pool).await.expect("urls");
        let topics =
            sqlx::query("SELECT article_id, topic_id, matched FROM article_topics ORDER BY 1").fetch_all(&pool).await.expect("tags");
        pool.close().await;
        (
            articles.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect(),
            urls.iter().map(|r| (r.get(0), r.get(1))).collect(),
            topics.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect(),
        )
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let one_url = format!("sqlite://{}", dir.path().join("one.sqlite").display());
    let one = Store::open(&one_url).await.expect("store");
    let mut expected = Vec::new();
    for (a, urls) in &cases {
        expected.push(one.insert_article_with(a, urls, None).await.expect("insert"));
    }
    one.close().await;
    let new = |s: &[Stored]| s.iter().filter(|s| matches!(s, Stored::New(_))).count();
    assert_eq!(new(&expected), 5, "{expected:?}");

    for split in [cases.len(), 3] {
        let url = format!("sqlite://{}", dir.path().join(format!("batch{split}.sqlite")).display());
        let store = Store::open(&url).await.expect("store");
        let now = chrono::Utc::now();
        for (a, _) in &cases {
            store.enqueue("page", &a.url, "{}", now).await.expect("enqueue");
        }
        let jobs = store.take_jobs("page", now, 100).await.expect("take");
        let batch: Vec<ToStore> =
            cases.iter().zip(&jobs).map(|((a, urls), j)| ToStore { article: a, urls, capture: None, job: Some(j.id) }).collect();
        let mut got = Vec::new();
        for part in batch.chunks(split) {
            got.extend(store.insert_articles(part).await.expect("batch"));
        }
        assert_eq!(got, expected, "batches of {split}");
        assert_eq!(store.count_jobs("page", "done").await.expect("count"), cases.len() as i64);
        store.close().await;
        assert_eq!(tables(&url).await, tables(&one_url).await, "batches of {split}");
    }
}

/// What a feed listed is recorded and queued in one transaction: URLs already stored are seen but
/// not queued, a URL queued already is not queued twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_are_recorded_and_queued_once() {
    use presswatch::store::Listed;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&format!("sqlite://{}", dir.path().join("db.sqlite").display())).await.expect("store");
    let now = chrono::Utc::now();
    let a = presswatch::model::NewArticle {
        url: "https://a.example/old".into(),
        canonical_url: "https://a.example/old".into(),
        source_id: SourceId("s".into()),
        title: "Cũ".into(),
        text: "Đã lưu".into(),
        lang: "vi".into(),
        published_at: None,
        fetched_at: now,
        content_hash: "h".into(),
        analysis: Default::default(),
    };
    store.insert_article(&a, &["https://a.example/old".to_string()]).await.expect("insert");
    let urls: Vec<String> = (0..250).map(|i| format!("https://a.example/{i}")).chain(["https://a.example/old".to_string()]).collect();
    let listed: Vec<Listed> = urls.iter().map(|u| Listed { url: u, title: Some("Tin"), payload: "{}".into() }).collect();
    let source = SourceId("s".into());
    assert_eq!(store.take_listings(&source, &listed, now).await.expect("listings"), 250, "all but the stored one");
    assert_eq!(store.take_listings(&source, &listed, now).await.expect("listings"), 0, "queued already");
    assert_eq!(store.count_jobs("page", "queued").await.expect("count"), 250);
    let seen = store.sightings_of(presswatch::model::ArticleId(1)).await.expect("sightings");
    assert_eq!(seen, vec!["s".to_string()], "the stored article was seen in the feed");
}
