//! Configuration tests: loading, every section's checks, and the errors naming their keys.

use super::*;
use super::storage::sqlite_url_in;

fn load_str(main: &str) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("presswatch.toml");
    std::fs::write(&p, main).expect("write");
    Config::load(&p)
}

#[test]
fn storage_paths_are_relative_to_the_file_that_names_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("config");
    std::fs::create_dir_all(&conf).expect("mkdir");
    std::fs::write(conf.join("presswatch.toml"), "include = [\"storage.toml\"]\n").expect("write");
    std::fs::write(conf.join("storage.toml"), "[storage]\ndatabase_url = \"sqlite://../data/pw.sqlite?mode=rwc\"\nindex_dir = \"idx\"\n").expect("write");
    let cfg = Config::load(&conf.join("presswatch.toml")).expect("config");
    let base = std::path::absolute(&conf).expect("absolute");
    assert_eq!(cfg.storage.database_url, format!("sqlite://{}?mode=rwc", dir.path().join("data/pw.sqlite").display()));
    assert_eq!(cfg.storage.index_dir, base.join("idx"));
    // absolute paths and in-memory databases stay as written; no [storage] means the main file's folder
    assert_eq!(sqlite_url_in("sqlite:///srv/pw.sqlite", &base), "sqlite:///srv/pw.sqlite");
    assert_eq!(sqlite_url_in("sqlite::memory:", &base), "sqlite::memory:");
    let cfg = load_str("").expect("config");
    assert!(cfg.storage.database_url.ends_with("/data/presswatch.sqlite") && cfg.storage.index_dir.is_absolute(), "{:?}", cfg.storage);
}

#[test]
fn unknown_key_names_file_and_key() {
    let e = load_str("[crawl]\nintervall = \"15m\"\n").unwrap_err().to_string();
    assert!(e.contains("presswatch.toml"), "{e}");
    assert!(e.contains("intervall"), "{e}");
}

#[test]
fn bad_duration_and_url_and_query() {
    let e = load_str("[crawl]\ninterval = \"15\"\n").unwrap_err().to_string();
    assert!(e.contains("crawl.interval") && e.contains("unit"), "{e}");
    let e = load_str("[[source]]\nid='a'\nname='A'\nurl='ftp://x'\norigin='domestic'\n").unwrap_err().to_string();
    assert!(e.contains("source[0].url"), "{e}");
    let e = load_str("[[topic]]\nid='t'\nname='T'\nquery='(a OR'\n").unwrap_err().to_string();
    assert!(e.contains("topic[0].query") && e.contains("\"t\""), "{e}");
    let e = load_str("[[topic]]\nid='t'\nname='T'\nquery='a'\nstrong='\"b'\n").unwrap_err().to_string();
    assert!(e.contains("topic[0].strong") && e.contains("\"t\""), "{e}");
    let e = load_str("[[topic]]\nid='t'\nname='T'\nquery='a'\nstrong='topic:u'\n").unwrap_err().to_string();
    assert!(e.contains("topic[0].strong"), "{e}");
    let e = load_str("[[source]]\nid='a'\nname='A'\nurl='http://x.org/'\norigin='abroad'\n").unwrap_err().to_string();
    assert!(e.contains("source[0].origin"), "{e}");
    let e = load_str("[[locality]]\nid='p'\nname='Phú Yên'\nnot=['công ty Sông Cầu']\n").unwrap_err().to_string();
    assert!(e.contains("locality[0].not[0]") && e.contains("exclude nothing"), "{e}");
    assert!(load_str("[[locality]]\nid='p'\nname='Phú Yên'\naliases=['Sông Cầu']\nnot=['công ty Sông Cầu']\n").is_ok());
}

#[test]
fn duplicate_ids_across_includes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = "[[source]]\nid='a'\nname='A'\nurl='http://x.org/'\norigin='domestic'\n";
    std::fs::write(dir.path().join("s.toml"), src).expect("write");
    let p = dir.path().join("main.toml");
    std::fs::write(&p, format!("include=['s.toml']\n{src}")).expect("write");
    let e = Config::load(&p).unwrap_err().to_string();
    assert!(e.contains("s.toml") && e.contains("duplicate source id \"a\""), "{e}");
}

#[test]
fn missing_include_is_reported_in_main_file() {
    let e = load_str("include=['nope.toml']\n").unwrap_err().to_string();
    assert!(e.contains("include[0]") && e.contains("nope.toml"), "{e}");
}

#[test]
fn defaults_apply() {
    let c = load_str("").expect("empty config is valid");
    assert_eq!(c.crawl.interval, Duration::from_secs(900));
    assert!(c.crawl.respect_robots);
    assert!(!c.crawl.allow_private_networks);
}

#[test]
fn report_and_smtp_are_checked() {
    let c = load_str("[[locality]]\nid='can-gio'\nname='Cần Giờ'\n").expect("valid");
    assert_eq!(c.report.place, "Cần Giờ", "the first locality names the place");
    assert_eq!(c.report.schedule, Some((chrono::Weekday::Mon, 7)));
    assert_eq!(c.server.public_url, "http://127.0.0.1:8080");
    let c = load_str("[report]\nweekday='friday'\nhour=16\nattach=['md','docx','md']\n").expect("valid");
    assert_eq!(c.report.schedule, Some((chrono::Weekday::Fri, 16)));
    assert_eq!(c.report.attach, vec![crate::model::ReportFormat::Md, crate::model::ReportFormat::Docx]);
    assert_eq!(load_str("[report]\nschedule=false\n").expect("valid").report.schedule, None);
    assert_eq!(load_str("").expect("valid").report.digest_hour, Some(7));
    assert_eq!(load_str("[report]\ndigest_hour=6\n").expect("valid").report.digest_hour, Some(6));
    assert_eq!(load_str("[report]\ndigest=false\n").expect("valid").report.digest_hour, None);
    let e = load_str("[report]\ndigest_hour=24\n").expect_err("hour out of range").to_string();
    assert!(e.contains("report.digest_hour"), "{e}");
    for (toml, key) in [
        ("[report]\nweekday='someday'\n", "report.weekday"),
        ("[report]\nhour=24\n", "report.hour"),
        ("[report]\norganization=' '\n", "report.organization"),
        ("[report]\nattach=['pdf']\n", "report.attach[0]"),
        ("[report]\nemail_to=['lanhdao@example.org']\n", "report.email_to"),
        ("[report]\nemail_to=['not an address']\n[smtp]\nhost='h'\nfrom='a@b.org'\n", "report.email_to[0]"),
        ("[smtp]\nhost='h'\nfrom='a@b.org'\ntls='ssl'\n", "smtp.tls"),
        ("[smtp]\nhost='h'\nfrom='nobody'\n", "smtp.from"),
        ("[smtp]\nhost='h'\nfrom='a@b.org'\nport=0\n", "smtp.port"),
        ("[server]\npublic_url='ftp://x'\n", "server.public_url"),
    ] {
        let e = load_str(toml).unwrap_err().to_string();
        assert!(e.contains(key), "{toml:?}: {e}");
    }
    let c = load_str("[server]\npublic_url='https://baochi.example.gov.vn/'\n[smtp]\nhost='h'\nfrom='a@b.org'\ntls='tls'\n")
        .expect("valid");
    assert_eq!(c.server.public_url, "https://baochi.example.gov.vn");
    assert_eq!(c.smtp.map(|s| s.port), Some(465));
}

#[test]
fn rules_alerts_and_evidence_are_checked() {
    const BASE: &str = "[[locality]]\nid='can-gio'\nname='Cần Giờ'\n[[topic]]\nid='bien-dao'\nname='Biển đảo'\nquery='\"Biển Đông\"'\n\
        [[agency]]\nid='ban-tg'\nname='Ban Tuyên giáo'\n[smtp]\nhost='h'\nfrom='a@b.org'\n";
    let ok = format!(
        "{BASE}[evidence]\nkeep_raw=false\nrecheck_interval='2h'\n\
         [[rule]]\nid='r'\nname='R'\nquery='topic:bien-dao AND locality:can-gio'\norigin=['foreign']\npriority='urgent'\nagency='ban-tg'\n\
         [[alert]]\nid='a'\nname='A'\nrules=['r']\nwebhook='http://127.0.0.1:9/hook'\nquiet_hours='22:00-06:00'\ndigest='1h'\n\
         [[alert]]\nid='s'\nname='S'\nspikes=true\nemail=['lanhdao@example.org']\n"
    );
    let c = load_str(&ok).expect("valid");
    assert!(!c.evidence.keep_raw);
    assert_eq!(c.evidence.recheck_interval, Duration::from_secs(7200));
    assert_eq!(c.rules[0].priority, crate::model::Priority::Urgent);
    assert_eq!(c.rules[0].reason, "R", "the rule's name is the item's reason unless one is given");
    assert_eq!(c.alerts[0].quiet_hours, Some((22 * 60, 6 * 60)));
    assert!(c.alerts[0].when.is_none() && c.alerts[1].spikes);
    for (extra, key) in [
        ("[[rule]]\nid='x'\nname='X'\n", "rule[0].query"),
        ("[[rule]]\nid='x'\nname='X'\nquery='topic:khong-co'\n", "rule[0].query"),
        ("[[rule]]\nid='x'\nname='X'\nquery='biển date:2026-01-01'\n", "rule[0].query"),
        ("[[rule]]\nid='x'\nname='X'\nquery='biển'\norigin=['abroad']\n", "rule[0].origin[0]"),
        ("[[rule]]\nid='x'\nname='X'\nquery='biển'\nagency='nobody'\n", "rule[0].agency"),
        ("[[rule]]\nid='x'\nname='X'\nquery='biển'\npriority='asap'\n", "rule[0].priority"),
        ("[[rule]]\nid='x'\nname='X'\nquery='biển'\nwebhook='http://h/'\n", "rule[0].webhook"),
        ("[[rule]]\nid='x'\nname='X'\nlocalities=['ha-noi']\n", "rule[0].localities[0]"),
        ("[[alert]]\nid='x'\nname='X'\nquery='biển'\n", "alert[0].email"),
        ("[[alert]]\nid='x'\nname='X'\nwebhook='http://h/'\n", "alert[0].query"),
        ("[[alert]]\nid='x'\nname='X'\nrules=['none']\nwebhook='http://h/'\n", "alert[0].rules[0]"),
        ("[[alert]]\nid='x'\nname='X'\nspikes=true\nwebhook='file:///etc/passwd'\n", "alert[0].webhook"),
        ("[[alert]]\nid='x'\nname='X'\nspikes=true\nemail=['nobody']\n", "alert[0].email[0]"),
        ("[[alert]]\nid='x'\nname='X'\nspikes=true\nwebhook='http://h/'\nquiet_hours='22-6'\n", "alert[0].quiet_hours"),
        ("[[alert]]\nid='x'\nname='X'\nspikes=true\nwebhook='http://h/'\npriority='high'\n", "alert[0].priority"),
        ("[[alert]]\nid='x'\nname='X'\nspikes=true\nwebhook='http://h/'\ncolour='red'\n", "colour"),
        ("[evidence]\nrecheck_interval='5s'\n", "evidence.recheck_interval"),
        ("[report]\nlocalities=['ha-noi']\n", "report.localities[0]"),
    ] {
        let e = load_str(&format!("{BASE}{extra}")).unwrap_err().to_string();
        assert!(e.contains(key), "{extra:?}: {e}");
    }
}

/// The locality tags of our own written sentences, the places configured from units.
fn place_tags(cfg: &Config, title: &str, body: &str) -> Vec<crate::model::Tag> {
    let a = crate::analyze::Analyzer::new(&[], &cfg.localities);
    let ctx = crate::analyze::Context { page_lang: None, source_lang: None, source: "s", origin: "domestic" };
    let (t, b) = (crate::text::normalize(title), crate::text::normalize(body));
    a.analyze(&t, &b, &ctx).localities
}

/// Which localities those sentences are tagged with.
fn places(cfg: &Config, title: &str, body: &str) -> Vec<String> {
    place_tags(cfg, title, body).into_iter().map(|l| l.id).collect()
}

#[test]
fn a_locality_from_the_gazetteer_counts_its_old_and_new_names_and_not_a_namesake() {
    let cfg = load_str("[[locality]]\nid = 'cg'\nunit = 'Huyện Cần Giờ'\n\n[[locality]]\nid = 'ct'\nunit = 'Thành phố Cần Thơ'\nformer = true\ndetail = 'unit'\n").unwrap();
    let cg = &cfg.localities[0];
    assert_eq!(cg.name, "Cần Giờ", "the name comes from the unit");
    assert!(cg.unit.as_deref().is_some_and(|u| u.starts_with("Huyện Cần Giờ, Thành phố Hồ Chí Minh")));
    // the former district under its current name, and a former commune with its type word
    assert_eq!(places(&cfg, "", "UBND xã Cần Giờ họp dân về dự án lấn biển."), ["cg"]);
    assert_eq!(places(&cfg, "Cháy rừng phòng hộ ở xã Lý Nhơn", "Lửa bùng lên chiều qua."), ["cg"]);
    // a former town's name alone, beside the city it belongs to
    assert_eq!(places(&cfg, "", "Ngư dân Cần Thạnh (TP.HCM) ra khơi sớm."), ["cg"]);
    // Thạnh An is a commune of Cần Giờ and of Cần Thơ: alone it is neither
    assert!(places(&cfg, "", "Người dân Thạnh An đón Tết trên đảo.").is_empty());
    assert_eq!(places(&cfg, "", "Xã đảo Thạnh An của TP.HCM có điện lưới."), ["cg"]);
    assert_eq!(places(&cfg, "", "Thị trấn Thạnh An thuộc huyện Vĩnh Thạnh, Cần Thơ, mở chợ mới."), ["ct"]);
    // typed without diacritics, and in English
    assert_eq!(places(&cfg, "", "Nguoi dan huyen Can Gio trong rung duoc."), ["cg"]);
    assert_eq!(places(&cfg, "Mangroves of Can Gio district", "Visitors come by ferry."), ["cg"]);
    // a commune's name alone, with no place beside it, is a person's or a word
    assert!(places(&cfg, "", "Anh Lý Nhơn là thợ máy.").is_empty());
}

#[test]
fn a_unit_that_is_not_there_or_is_ambiguous_is_refused_with_its_key() {
    let err = |toml: &str| load_str(toml).unwrap_err().to_string();
    let e = err("[[locality]]\nid = 'x'\nunit = 'Huyện Không Tên'\n");
    assert!(e.contains("locality[0].unit") && e.contains("no administrative unit"), "{e}");
    let e = err("[[locality]]\nid = 'x'\nunit = 'Xã Thạnh An'\n");
    assert!(e.contains("locality[0].unit") && e.contains("Cần Thơ") && e.contains("Hồ Chí Minh"), "{e}");
    let e = err("[[locality]]\nid = 'x'\nunit = 'Huyện Cần Giờ'\ndetail = 'street'\n");
    assert!(e.contains("locality[0].detail"), "{e}");
    let e = err("[[locality]]\nid = 'x'\nname = 'X'\nformer = true\n");
    assert!(e.contains("locality[0].former"), "{e}");
    let e = err("[[locality]]\nid = 'x'\n");
    assert!(e.contains("locality[0].name"), "{e}");
    // a parent after a comma settles it
    assert!(load_str("[[locality]]\nid = 'x'\nunit = 'Xã Thạnh An, Thành phố Cần Thơ'\n").is_ok());
}

#[test]
fn a_province_rolls_up_its_former_provinces_districts_and_communes() {
    let cfg = load_str("[[locality]]\nid = 'tq'\nunit = 'Tỉnh Tuyên Quang'\n").unwrap();
    let tagged = |title: &str, body: &str| -> Vec<(String, Vec<String>)> {
        place_tags(&cfg, title, body).into_iter().map(|l| (l.id, l.matched)).collect()
    };
    // the current province took in Hà Giang in 2025: an article on Hà Giang is the office's
    assert_eq!(tagged("Lũ quét ở Hà Giang", "Nước rút chậm."), [("tq".to_string(), vec!["Hà Giang".to_string()])]);
    // a former district, and a commune with its type word: the place that matched is shown
    assert_eq!(tagged("Mùa cam ở Hàm Yên", ""), [("tq".to_string(), vec!["Hàm Yên".to_string()])]);
    // Tân Trào was also a commune of Hải Dương and of Hải Phòng: it counts beside its district
    assert!(tagged("", "Nông dân xã Tân Trào thu hoạch chè.").is_empty());
    let got = tagged("", "Nông dân xã Tân Trào, huyện Sơn Dương thu hoạch chè.");
    assert!(got.len() == 1 && got[0].1.iter().any(|m| m.contains("Tân Trào")), "{got:?}");
    // as it was before, the province does not take in Hà Giang
    let before = load_str("[[locality]]\nid = 'tq'\nunit = 'Tỉnh Tuyên Quang'\nformer = true\n").unwrap();
    assert!(places(&before, "Lũ quét ở Hà Giang", "Nước rút chậm.").is_empty());
}
