//! The command-line contract of DESIGN.md, exercised through the real binary.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_presswatch"))
}

/// Runs the binary with `--config cfg` while `rt` keeps the fixture servers on it answering.
fn run_beside(rt: &tokio::runtime::Runtime, cfg: &str, args: &[&str]) -> std::process::Output {
    let mut c = bin();
    c.arg("--config").arg(cfg).args(args);
    rt.block_on(async { tokio::task::spawn_blocking(move || c.output()).await }).expect("join").expect("run")
}

#[test]
fn check_config_names_file_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bad.toml");
    std::fs::write(&p, "[crawl]\ninterval = \"soon\"\n").expect("write");
    let out = bin().args(["--config", p.to_str().unwrap_or_default(), "check-config"]).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("bad.toml") && err.contains("crawl.interval"), "{err}");
}

#[test]
fn the_gazetteer_is_searchable_and_a_closed_pipe_ends_quietly() {
    let out = bin().args(["locality", "find", "can gio"]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("Huyện Cần Giờ, Thành phố Hồ Chí Minh") && s.contains("787"), "{s}");
    // the reader stops after one line (as `| head -1` does): no panic about a broken pipe
    let mut child = bin()
        .args(["locality", "find", "an", "--limit", "100000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    let out = bin().args(["locality", "find", "Nơi Không Có"]).output().expect("run");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("Nơi Không Có"));
}

#[test]
fn shipped_config_is_valid() {
    let out = bin().args(["--config", "config/presswatch.toml", "check-config"]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("ok"), "{s}");
}

#[test]
fn shipped_topics_have_required_ids_and_avoid_collisions() {
    let cfg = presswatch::config::Config::load(std::path::Path::new("config/presswatch.toml")).expect("config");
    for id in ["bien-dao", "bien-gioi", "nhan-quyen", "dan-chu", "ton-giao", "dan-toc"] {
        assert!(cfg.topics.iter().any(|t| t.id == id), "missing topic {id}");
    }
    let analyzer = presswatch::analyze::Analyzer::new(&cfg.topics, &cfg.localities);
    let ctx = presswatch::analyze::Context { page_lang: None, source_lang: Some("vi"), source: "x", origin: "domestic" };
    let tags = |title: &str, body: &str| -> Vec<String> {
        analyzer
            .analyze(title, body, &ctx)
            .topics
            .into_iter()
            .map(|t| t.id)
            .filter(|t| ["bien-dao", "bien-gioi", "nhan-quyen", "dan-chu", "ton-giao", "dan-toc"].contains(&t.as_str()))
            .collect()
    };
    // collisions from DESIGN.md: none of these is a sensitive topic
    assert!(tags("Lãnh đạo tỉnh làm việc với đạo diễn phim", "Buổi làm việc bàn về dự án phim tài liệu.").is_empty());
    assert!(tags("Giá vàng biến động mạnh", "Thị trường biến động trong tuần.").is_empty());
    assert!(tags("Dự án chưa hoàn thành", "Công trình chưa bàn giao, chưa nghiệm thu.").is_empty());
    assert!(tags("Đoàn kết dân tộc, xây dựng đất nước", "Tinh thần dân tộc được phát huy.").is_empty());
    assert!(tags("Cấp giấy chứng nhận quyền sử dụng đất", "Người dân nhận giấy chứng nhận quyền sử dụng đất.").is_empty());
    assert!(tags("Tòa án tối cao Đài Loan ra phán quyết", "Phán quyết của tòa án tối cao Đài Loan.").is_empty());
    assert!(tags("Du lịch biển đảo hút khách", "Du khách đến các bãi biển và đảo nhỏ.").is_empty());
    assert!(tags("Nhà thơ trẻ ra mắt tập thơ", "Tập thơ của nhà thơ được đón nhận.").is_empty());
    // and the real thing is found
    assert_eq!(tags("Tàu lạ xâm phạm vùng biển Trường Sa", ""), vec!["bien-dao"]);
    assert_eq!(tags("Hội nghị về công tác dân tộc", "Đồng bào dân tộc thiểu số được hỗ trợ."), vec!["dan-toc"]);
    assert_eq!(tags("Lễ Phật đản tại chùa", "Tín đồ Phật giáo dự lễ."), vec!["ton-giao"]);
    assert_eq!(tags("Report on human rights", "The human rights report was published."), vec!["nhan-quyen"]);

    // other senses and passing mentions (issue 20), in sentences of our own: a topic word that
    // occurs is not an article about the topic
    let body = |ps: &[&str]| ps.join("\n");
    assert!(
        tags(
            "Ấn Độ và Pakistan mở lại tuyến xe buýt",
            &body(&[
                "Tuyến xe buýt qua biên giới giữa Ấn Độ và Pakistan hoạt động trở lại sau nhiều tháng gián đoạn.",
                "Hành khách hai nước cho biết thủ tục nhanh hơn trước.",
                "Giới chức hy vọng tuyến đường thúc đẩy giao thương."
            ])
        )
        .is_empty(),
        "another country's border"
    );
    assert!(
        tags(
            "Ca sĩ trẻ ra mắt album thứ ba",
            &body(&[
                "Album đánh dấu cột mốc quan trọng trong sự nghiệp của cô.",
                "Mười bài hát mới được thu âm trong hai tháng.",
                "Buổi ra mắt thu hút đông khán giả."
            ])
        )
        .is_empty(),
        "a milestone"
    );
    assert!(
        tags(
            "Thượng viện Mỹ thông qua ngân sách",
            &body(&[
                "Đảng Dân chủ và đảng Cộng hòa đạt thỏa thuận sau nhiều tuần tranh cãi.",
                "Ngân sách mới tăng chi cho hạ tầng.",
                "Tổng thống dự kiến ký trong tuần."
            ])
        )
        .is_empty(),
        "a party name"
    );
    assert!(
        tags(
            "Đêm nhạc thính phòng cuối tuần",
            &body(&[
                "Dàn nhạc biểu diễn tại nhà thờ lớn của thành phố vào tối thứ bảy.",
                "Vé được bán tại quầy từ thứ hai.",
                "Chương trình gồm các tác phẩm cổ điển."
            ])
        )
        .is_empty(),
        "a church as a venue"
    );
    assert!(
        tags(
            "Xe khách lật trên đèo, ba người bị thương",
            &body(&[
                "Chiếc xe khách mất lái khi xuống dốc và lật nghiêng bên đường.",
                "Trong số người bị thương có một phụ nữ người dân tộc thiểu số.",
                "Cơ quan chức năng đang điều tra nguyên nhân."
            ])
        )
        .is_empty(),
        "a victim who happens to belong to a minority"
    );
    assert!(
        tags(
            "Bão số 3 mạnh lên trên Biển Đông",
            &body(&[
                "Hồi 7 giờ sáng, tâm bão ở vào khoảng phía đông bắc quần đảo Trường Sa, sức gió mạnh cấp 10.",
                "Các tàu thuyền cần chủ động phòng tránh.",
                "Dự báo bão di chuyển theo hướng tây."
            ])
        )
        .is_empty(),
        "a weather bulletin"
    );
    // and articles that are about the topic, in several paragraphs
    assert_eq!(
        tags(
            "Bắt giữ xe chở hàng lậu qua cửa khẩu",
            &body(&[
                "Bộ đội biên phòng tỉnh Lạng Sơn bắt giữ xe tải chở hàng lậu qua biên giới Việt - Trung.",
                "Lực lượng biên phòng cho biết tình trạng buôn lậu qua đường mòn biên giới vẫn phức tạp.",
                "Số hàng bị tạm giữ để xử lý."
            ])
        ),
        vec!["bien-gioi"]
    );
    assert_eq!(
        tags(
            "Vietnam protests survey ship in the South China Sea",
            &body(&[
                "Vietnam demanded that the survey ship leave its exclusive economic zone in the South China Sea.",
                "The ministry said the Spratly Islands belong to Vietnam."
            ])
        ),
        vec!["bien-dao"]
    );
    assert_eq!(
        tags("越南抗议南海调查船", &body(&["越南外交部要求该船离开越南在南海的专属经济区。", "发言人表示越南对南沙群岛拥有主权。"])),
        vec!["bien-dao"]
    );
}

#[test]
fn crawl_search_export_reindex_through_the_binary() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let world = rt.block_on(super::crawl::world());
    let cfg = world.config_path.to_str().unwrap_or_default().to_string();
    // the fixture servers live on `rt`; run the binary while it keeps them alive
    let run = |args: &[&str]| run_beside(&rt, &cfg, args);
    let out = run(&["crawl", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("articles:") && summary.contains("new"), "{summary}");

    let out = run(&["search", "bien dong", "--json", "--limit", "5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert!(v["total"].as_u64().unwrap_or(0) >= 1, "{v}");
    // unaccented "bien dong" also matches "biến động": both are hits, ranked by BM25
    let hits = v["hits"].as_array().cloned().unwrap_or_default();
    let hit = hits.iter().find(|h| h["url"].as_str().unwrap_or("").ends_with("/tin/1.html")).expect("the Biển Đông article");
    for key in ["id", "url", "title", "source", "lang", "published_at", "topics", "localities", "score", "snippet"] {
        assert!(hit.get(key).is_some(), "hit lacks {key}: {hit}");
    }
    assert!(hit["snippet"].as_str().unwrap_or("").to_lowercase().contains("biển đông"), "{hit}");

    let out = run(&["search", "(unclosed"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("parenthesis"));

    let out = run(&["export", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("jsonl line")).collect();
    assert!(lines.len() >= 9, "{}", lines.len());
    for key in
        ["id", "url", "canonical_url", "source", "title", "text", "lang", "topics", "localities", "published_at", "fetched_at", "story_id"]
    {
        assert!(lines[0].get(key).is_some(), "export lacks {key}");
    }
    let out = run(&["export", "--format", "csv", "--since", "2026-11-20", "--until", "2026-11-20"]);
    assert!(out.status.success());
    let csv_text = String::from_utf8_lossy(&out.stdout);
    // the byte order mark is what makes Excel on Windows read UTF-8
    assert!(csv_text.starts_with("\u{feff}id,url,canonical_url,source"), "{csv_text}");
    assert!(csv_text.lines().count() > 1);
    // times in Vietnam time with the offset; topic and locality names beside their ids
    let config = presswatch::config::Config::load(std::path::Path::new(&cfg)).expect("config");
    let mut rows = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let header = rows.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let mut named = 0;
    for r in rows.records() {
        let r = r.expect("row");
        assert!(r[col("fetched_at")].ends_with("+07:00"), "{:?}", &r[col("fetched_at")]);
        let ids: Vec<&str> = r[col("topics")].split(';').filter(|t| !t.is_empty()).collect();
        let names: Vec<String> = ids.iter().map(|id| config.topics.iter().find(|t| t.id == *id).expect("topic").name.clone()).collect();
        assert_eq!(r[col("topic_names")], names.join("; "));
        named += ids.len();
    }
    assert!(named > 0, "some exported article has a topic");

    // the same rows as a spreadsheet
    let out = run(&["export", "--format", "xlsx"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut book = zip::ZipArchive::new(std::io::Cursor::new(out.stdout)).expect("an XLSX is a zip");
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut book.by_name("xl/worksheets/sheet1.xml").expect("sheet"), &mut sheet).expect("read");
    assert!(sheet.contains("topic_names") && sheet.contains("+07:00"), "{}", &sheet[..sheet.len().min(2000)]);
    let first = lines[0]["title"].as_str().expect("title");
    assert!(sheet.contains(&first.replace('&', "&amp;").replace('<', "&lt;")), "the first article's title is in the sheet");

    let out = run(&["reindex"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("reindexed {}", lines.len())));
    let out = run(&["search", "Spratly"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("South China Sea"));

    // regression (issue 13): a reindex killed midway left search answering 0 or half the articles.
    // It now builds beside the live index: one that fails (here: its working directory is taken
    // by a file) leaves the old index answering in full, and the next one clears what was left.
    let total = |out: std::process::Output| -> u64 {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["total"].as_u64().expect("total")
    };
    let before = total(run(&["search", "--json", "lang:vi OR lang:en OR lang:zh"]));
    assert!(before > 0);
    let index_dir = world.dir.path().join("index");
    let blocker = index_dir.with_file_name("index.rebuild");
    std::fs::write(&blocker, "not a directory").expect("blocker");
    let out = run(&["reindex"]);
    assert!(!out.status.success(), "a rebuild that cannot start is an error");
    assert_eq!(total(run(&["search", "--json", "lang:vi OR lang:en OR lang:zh"])), before, "the old index still answers in full");
    std::fs::remove_file(&blocker).expect("rm");
    std::fs::create_dir_all(&blocker).expect("a half-built index left by a killed reindex");
    std::fs::write(blocker.join("junk"), "x").expect("junk");
    let out = run(&["reindex"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!blocker.exists(), "the leftover is cleared");
    assert!(!index_dir.with_file_name("index.old").exists(), "the replaced index is removed");
    assert_eq!(total(run(&["search", "--json", "lang:vi OR lang:en OR lang:zh"])), before);
}

/// `retag` (issue 20): after the taxonomy changes, stored articles carry the new tags, search finds
/// them by the new topic, and a second run finds nothing to change.
#[test]
fn retag_applies_an_edited_taxonomy_to_stored_articles() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let world = rt.block_on(super::crawl::world());
    let cfg = world.config_path.to_str().unwrap_or_default().to_string();
    let run = |args: &[&str]| run_beside(&rt, &cfg, args);
    let out = run(&["crawl", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hits = |q: &str| -> u64 {
        let out = run(&["search", "--json", q]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["total"].as_u64().expect("total")
    };
    assert_eq!(hits("topic:nghe-ca"), 0);
    let mut toml = std::fs::read_to_string(&world.config_path).expect("config");
    toml.push_str("\n[[topic]]\nid = \"nghe-ca\"\nname = \"Nghề cá\"\nquery = '\"tàu cá\" OR \"ngư dân\"'\n");
    std::fs::write(&world.config_path, toml).expect("config");
    let out = run(&["retag"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.contains("with new tags") && !said.contains(" 0 with new tags"), "{said}");
    assert!(hits("topic:nghe-ca") >= 1, "the fishing story carries the new topic");
    let export = run(&["export"]);
    let tagged = String::from_utf8_lossy(&export.stdout).lines().filter(|l| l.contains("nghe-ca")).count();
    assert!(tagged >= 1);
    let again = run(&["retag", "--since", "2020-01-01"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains(" 0 with new tags"), "{}", String::from_utf8_lossy(&again.stdout));
}

/// Crash consistency (issue 13): `kill -9` at several points of `crawl --once` and of `serve`, then
/// a clean crawl. Nothing stored is lost, corrupted or duplicated, no job is stuck, and search finds
/// exactly what export lists.
#[test]
fn kill_9_during_crawl_and_serve_loses_and_duplicates_nothing() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let world = rt.block_on(super::crawl::world());
    let cfg = world.config_path.to_str().unwrap_or_default().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let mut toml = std::fs::read_to_string(&world.config_path).expect("config");
    toml.push_str(&format!("\n[server]\nlisten = \"127.0.0.1:{port}\"\n"));
    std::fs::write(&world.config_path, toml).expect("config");
    let run = |args: &[&str]| run_beside(&rt, &cfg, args);
    // the process is killed after `ms`, wherever it is (it may also have finished: that is fine)
    let kill_after = |args: &[&str], ms: u64| {
        let mut c = bin();
        c.arg("--config").arg(&cfg).args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        rt.block_on(async {
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut child = c.spawn()?;
                std::thread::sleep(std::time::Duration::from_millis(ms));
                let _ = child.kill(); // SIGKILL
                child.wait().map(|_| ())
            })
            .await
        })
        .expect("join")
        .expect("run")
    };
    for ms in [150, 400, 900, 1600] {
        kill_after(&["crawl", "--once"], ms);
    }
    for ms in [300, 1200] {
        kill_after(&["serve"], ms);
    }
    let out = run(&["crawl", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let db = format!("sqlite://{}", world.dir.path().join("db.sqlite").display());
    let (integrity, dupes, running, poisoned): (String, i64, i64, i64) = rt.block_on(async {
        use sqlx::Row;
        let pool = sqlx::SqlitePool::connect(&db).await.expect("db");
        let integrity: String = sqlx::query("PRAGMA integrity_check").fetch_one(&pool).await.expect("check").get(0);
        let dupes: i64 = sqlx::query("SELECT COUNT(*) FROM (SELECT url FROM articles GROUP BY url HAVING COUNT(*) > 1)")
            .fetch_one(&pool)
            .await
            .expect("dupes")
            .get(0);
        let running: i64 = sqlx::query("SELECT COUNT(*) FROM jobs WHERE state = 'running'").fetch_one(&pool).await.expect("jobs").get(0);
        // a job in flight at two of the kills is set aside by design (it could be a page that kills
        // the process); those pages are the only ones allowed to be missing
        let poisoned: i64 = sqlx::query("SELECT COUNT(*) FROM jobs WHERE state = 'poisoned'").fetch_one(&pool).await.expect("jobs").get(0);
        pool.close().await;
        (integrity, dupes, running, poisoned)
    });
    assert_eq!(integrity, "ok");
    assert_eq!(dupes, 0, "an article stored twice");
    assert_eq!(running, 0, "jobs left running");
    let export = run(&["export"]);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&export.stdout).lines().map(|l| serde_json::from_str(l).expect("jsonl")).collect();
    assert!(lines.len() as i64 >= 9 - poisoned, "every fixture article stored: {} ({poisoned} poisoned)", lines.len());
    let mut langs: Vec<String> = lines.iter().filter_map(|l| l["lang"].as_str().map(str::to_string)).collect();
    langs.sort();
    langs.dedup();
    let every = langs.iter().map(|l| format!("lang:{l}")).collect::<Vec<_>>().join(" OR ");
    let out = run(&["search", "--json", "--limit", "1", &every]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["total"].as_u64(), Some(lines.len() as u64), "search total = export count");
}

#[test]
fn serve_crawls_in_the_background_and_stops_on_sigterm() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let world = rt.block_on(super::crawl::world());
    let cfg = world.config_path.to_str().unwrap_or_default().to_string();
    // a free port for the web server (a fixed one could be taken on a shared machine)
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let mut toml = std::fs::read_to_string(&world.config_path).expect("config");
    toml.push_str(&format!("\n[server]\nlisten = \"127.0.0.1:{port}\"\n"));
    std::fs::write(&world.config_path, toml).expect("config");
    // the first user, password on stdin
    let add_user = |args: &[&str]| {
        let mut add = bin()
            .args(["--config", &cfg, "user", "add"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("user add");
        {
            use std::io::Write;
            add.stdin.take().expect("stdin").write_all(b"mat-khau-that-dai\n").expect("password");
        }
        add.wait_with_output().expect("user add output")
    };
    let added = add_user(&["chi.lan", "--role", "triage"]);
    assert!(added.status.success() && String::from_utf8_lossy(&added.stdout).contains("chi.lan (triage) created"));
    // without --role a new user is an analyst, never an admin
    let added = add_user(&["ban.doc"]);
    assert!(String::from_utf8_lossy(&added.stdout).contains("ban.doc (analyst) created"), "{added:?}");
    assert!(add_user(&["quan.tri", "--role", "admin"]).status.success());
    // stderr to a file: a pipe nobody reads would block the server once full
    let log_path = world.dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = bin().args(["--config", &cfg, "serve"]).env("RUST_LOG", "info").stderr(log).spawn().expect("spawn serve");
    let log_tail = || std::fs::read_to_string(&log_path).unwrap_or_default().lines().rev().take(30).collect::<Vec<_>>().join("\n");
    let count_exported = || {
        let mut c = bin();
        c.args(["--config", &cfg, "export"]);
        rt.block_on(async { tokio::task::spawn_blocking(move || c.output()).await })
            .ok()
            .and_then(|o| o.ok())
            .map(|o| String::from_utf8_lossy(&o.stdout).lines().count())
            .unwrap_or(0)
    };
    // wait (bounded) for the first background pass to store the fixture site's articles
    let mut stored = 0;
    for _ in 0..120 {
        stored = count_exported();
        if stored >= 9 {
            break;
        }
        rt.block_on(async { tokio::time::sleep(std::time::Duration::from_millis(500)).await });
    }
    assert!(stored >= 9, "serve stored {stored} articles; its log, newest first:\n{}", log_tail());
    // the web server answers next to the crawler, and the user made on the command line logs in
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let (health, login) = rt.block_on(async {
        let h = http.get(format!("http://127.0.0.1:{port}/healthz")).send().await.expect("healthz");
        let l = http
            .post(format!("http://127.0.0.1:{port}/login"))
            .form(&[("name", "chi.lan"), ("password", "mat-khau-that-dai")])
            .send()
            .await
            .expect("login");
        (h.status().as_u16(), l.status().as_u16())
    });
    assert_eq!((health, login), (200, 303), "log:\n{}", log_tail());
    // a one-off crawl beside it says what to use instead (it used to answer "index in use")
    let mut c = bin();
    c.args(["--config", &cfg, "crawl", "--once"]);
    let out = rt.block_on(async { tokio::task::spawn_blocking(move || c.output()).await }).expect("join").expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("serve") && err.contains("Thu thập ngay"), "{err}");
    reload_and_edit_sources(&rt, &http, port, &world.config_path, child.id(), &log_tail);
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = rt.block_on(async { tokio::task::spawn_blocking(move || child.wait()).await }).expect("join").expect("wait");
    assert!(exit.success(), "serve did not stop cleanly: {exit:?}");
    // the index was brought up to date before exit
    let mut c = bin();
    c.args(["--config", &cfg, "search", "Spratly", "--json"]);
    let out = rt.block_on(async { tokio::task::spawn_blocking(move || c.output()).await }).expect("join").expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["total"], 1, "{v}");
}

/// `report` agrees with `export` for the same period: every count in the JSON report recomputed
/// from the exported rows; the other formats written with `--out` carry the same totals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_counts_agree_with_export_for_the_same_period() {
    let f = super::report::fixture("").await;
    let config = f.config.to_str().unwrap_or_default().to_string();
    let export = bin().args(["--config", &config, "export", "--since", "2026-11-16", "--until", "2026-11-22"]).output().expect("export");
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let rows: Vec<serde_json::Value> =
        String::from_utf8_lossy(&export.stdout).lines().map(|l| serde_json::from_str(l).expect("JSONL")).collect();
    let out = bin().args(["--config", &config, "report", "--week", "2026-W47", "--format", "json"]).output().expect("report");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: presswatch::report::Report = serde_json::from_slice(&out.stdout).expect("report JSON");

    let local = |row: &serde_json::Value| row["localities"].as_array().is_some_and(|a| !a.is_empty());
    let count = |pred: &dyn Fn(&serde_json::Value) -> bool| -> (u64, u64) {
        let hits: Vec<_> = rows.iter().filter(|r| pred(r)).collect();
        (hits.len() as u64, hits.iter().filter(|r| local(r)).count() as u64)
    };
    assert_eq!(rows.len(), 10);
    assert_eq!((r.totals.articles.all, r.totals.articles.local), count(&|_| true));
    for row in &r.by_lang {
        assert_eq!((row.count.all, row.count.local), count(&|a| a["lang"] == row.id.as_str()), "lang {}", row.id);
    }
    for row in &r.by_origin {
        assert_eq!((row.count.all, row.count.local), count(&|a| a["origin"] == row.id.as_str()), "origin {}", row.id);
    }
    for row in &r.top_sources {
        assert_eq!((row.count.all, row.count.local), count(&|a| a["source"] == row.id.as_str()), "source {}", row.id);
    }
    for t in &r.topics {
        let has = |a: &serde_json::Value| a["topics"].as_array().is_some_and(|ts| ts.iter().any(|x| x == t.id.as_str()));
        assert_eq!((t.count.all, t.count.local), count(&has), "topic {}", t.id);
        assert_eq!(t.daily.iter().sum::<u64>(), t.count.all, "topic {} daily series", t.id);
    }

    // the same totals in Markdown and DOCX, written to files named on the command line
    let md = f.dir.path().join("tuan-47.md");
    let docx = f.dir.path().join("tuan-47.docx");
    for p in [&md, &docx] {
        let out = bin()
            .args(["--config", &config, "report", "--from", "2026-11-16", "--to", "2026-11-22", "--out"])
            .arg(p)
            .output()
            .expect("report");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let md = std::fs::read_to_string(&md).expect("md written");
    assert!(md.contains("Tổng số tin bài thu thập: **[10]") && md.contains("Tin bài về địa bàn: **[5]"), "{md}");
    let (text, _) = super::report::docx_text(&std::fs::read(&docx).expect("docx written"));
    assert!(text.contains("Tổng số tin bài thu thập") && text.contains(" 10 "), "{text}");

    // bad periods are one-line errors naming what is wrong
    for (args, want) in [
        (vec!["report", "--week", "2026-47"], "YYYY-Www"),
        (vec!["report", "--from", "2026-11-30", "--to", "2026-11-01"], "before it starts"),
        (vec!["report", "--format", "pdf"], "html, docx, md or json"),
    ] {
        let out = bin().args(["--config", &config]).args(&args).output().expect("report");
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want) && err.trim().lines().count() == 1, "{args:?}: {err}");
    }
}

/// DESIGN.md: relative paths in the configuration are the file's, never the working directory's.
/// A read-only command run from elsewhere finds the data, and before any data exists it says where
/// it looked instead of creating an empty database there.
#[test]
fn storage_paths_follow_the_config_file_not_the_working_directory() {
    let home = tempfile::tempdir().expect("tempdir");
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let conf = home.path().join("config");
    std::fs::create_dir_all(&conf).expect("mkdir");
    let cfg = conf.join("presswatch.toml");
    std::fs::write(&cfg, "[storage]\ndatabase_url = \"sqlite://../data/pw.sqlite\"\nindex_dir = \"../index\"\n").expect("write");
    let run = |args: &[&str]| bin().current_dir(elsewhere.path()).arg("--config").arg(&cfg).args(args).output().expect("run");

    let out = run(&["search", "biển đảo"]);
    assert!(!out.status.success(), "a search before any data must fail");
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = home.path().join("data").join("pw.sqlite");
    assert!(err.contains(&expected.display().to_string()), "names where it looked: {err}");
    assert!(!expected.exists() && !elsewhere.path().join("data").exists(), "no empty database is created");
    for cmd in [&["export"][..], &["report", "--format", "md"]] {
        let out = run(cmd);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no database"), "{cmd:?}");
    }

    let out = run(&["reindex"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(expected.exists() && home.path().join("index").is_dir(), "data sits beside the config folder");
    assert!(std::fs::read_dir(elsewhere.path()).expect("ls").next().is_none(), "nothing is written in the working directory");
    let out = run(&["search", "biển đảo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Issue 15: configuration changes without a restart nobody mentions. A broken file is refused and
/// the running configuration stays (admins see why); a source added or turned off from the Sources
/// page is written to the configuration and `serve` restarts its workers on it; SIGHUP reloads.
fn reload_and_edit_sources(
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    port: u16,
    config: &std::path::Path,
    pid: u32,
    log_tail: &dyn Fn() -> String,
) {
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let cookie = rt.block_on(async {
        let r = http.post(url("/login")).form(&[("name", "quan.tri"), ("password", "mat-khau-that-dai")]).send().await.expect("login");
        r.headers()["set-cookie"].to_str().expect("cookie").split(';').next().unwrap_or_default().to_string()
    });
    // a keep-alive connection to the generation that stopped is closed under the client: like a
    // browser, try a GET again on a fresh one
    let page = |path: &str| {
        rt.block_on(async {
            for _ in 0..5 {
                if let Ok(r) = http.get(url(path)).header("cookie", &cookie).send().await {
                    if let Ok(body) = r.text().await {
                        return body;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("GET {path} failed five times");
        })
    };
    let post = |path: &str, form: &[(&str, &str)]| {
        let sources = page("/admin/sources");
        let csrf = sources.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
        let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        f.extend_from_slice(form);
        rt.block_on(async {
            let r = http.post(url(path)).header("cookie", &cookie).form(&f).send().await.expect("post");
            (r.status().as_u16(), r.text().await.expect("body"))
        })
    };
    // polls the Sources page until `seen` holds (the workers restart in the background)
    let wait_for = |what: &str, seen: &dyn Fn(&str) -> bool| {
        for _ in 0..120 {
            if seen(&page("/admin/sources")) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        let last = page("/admin/sources");
        let rows: Vec<&str> = last.lines().filter(|l| l.contains("data-source=")).collect();
        panic!("{what} never showed on the Sources page ({rows:?}); serve's log, newest first:\n{}", log_tail());
    };
    let original = std::fs::read_to_string(config).expect("config");
    assert!(page("/admin/sources").contains("Nạp lại cấu hình"), "the reload button");

    // a broken file: refused, said why, and the running configuration keeps serving
    std::fs::write(config, format!("{original}\n[bogus]\nkey = 1\n")).expect("break");
    let (status, body) = post("/admin/reload", &[]);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("vẫn chạy cấu hình cũ") && body.contains("bogus"), "{body}");
    assert!(page("/admin/sources").contains("data-config=\"failed\""), "the refusal stays on the page");
    let status: serde_json::Value = serde_json::from_str(&page("/api/v1/config")).expect("config status");
    assert!(status["failed"][1].as_str().is_some_and(|e| e.contains("bogus")) && status["can_reload"] == true, "{status}");
    std::fs::write(config, &original).expect("restore");

    // a source added from the page is written to the file and served after the restart
    let (status, body) = post("/admin/sources", &[("name", "Báo Thêm Mới"), ("url", "http://127.0.0.1:9/them.xml"), ("origin", "domestic"), ("internal", "1")]);
    assert_eq!(status, 303, "{body}");
    let text = std::fs::read_to_string(config).expect("config");
    assert!(text.contains("Báo Thêm Mới") && text.contains("id = \"bao-them-moi\""), "{text}");
    wait_for("the added source", &|p| p.contains("data-source=\"bao-them-moi\"") && !p.contains("data-config=\"failed\""));
    assert_eq!(rt.block_on(async { http.get(url("/healthz")).send().await.expect("healthz").status().as_u16() }), 200);

    // turned off from the page
    let (status, _) = post("/admin/sources/bao-them-moi/enabled", &[("enabled", "0")]);
    assert_eq!(status, 303);
    assert!(std::fs::read_to_string(config).expect("config").contains("enabled = false"));
    wait_for("the source turned off", &|p| p.contains("data-source=\"bao-them-moi\" data-enabled=\"false\""));

    // and back on by editing the file and sending SIGHUP
    let edited = std::fs::read_to_string(config).expect("config").replace("enabled = false\n", "");
    std::fs::write(config, edited).expect("edit");
    let hup = std::process::Command::new("kill").args(["-HUP", &pid.to_string()]).status().expect("kill -HUP");
    assert!(hup.success());
    wait_for("SIGHUP's reload", &|p| p.contains("data-source=\"bao-them-moi\" data-enabled=\"true\""));

    // a file that validates but cannot start (its address is taken) falls back to the running one
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let taken = busy.local_addr().expect("addr").port();
    let before = std::fs::read_to_string(config).expect("config");
    std::fs::write(config, before.replace(&format!("127.0.0.1:{port}"), &format!("127.0.0.1:{taken}"))).expect("edit");
    let (status, body) = post("/admin/reload", &[]);
    assert_eq!(status, 303, "{body}");
    wait_for("the fallback after a reload that could not start", &|p| p.contains("data-config=\"failed\"") && p.contains(&taken.to_string()));
    std::fs::write(config, before).expect("restore");
    drop(busy);
}
