//! The web server over real HTTP: who may do what, CSRF, sessions, the queue's state machine and
//! its conflicts, the audit log, sanitising, the API's error shape, metrics and the OpenAPI file.

use super::webapp::{start, start_empty, start_with, App, Session, PASSWORD};
use presswatch::model::{Role, Tag};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;

#[derive(Clone, Copy)]
enum Body {
    None,
    Form(&'static str),
    Json(&'static str),
}

const ALL: &[Role] = &[Role::Admin, Role::Analyst, Role::Triage, Role::Leader];
const FLAG: &[Role] = &[Role::Admin, Role::Analyst, Role::Triage];
const WORK: &[Role] = &[Role::Admin, Role::Triage];
const ADMIN: &[Role] = &[Role::Admin];
const REPORT: &[Role] = &[Role::Admin, Role::Triage, Role::Leader];
/// Marks a route anyone may use.
const PUBLIC: &[Role] = &[];

/// (method, route pattern, concrete path, body, roles allowed). Written out here, independently of
/// `access::RULES`, so a change to the rules that is not meant shows up as a failure.
fn matrix(app: &App, item: i64, report: i64, story: i64) -> Vec<(&'static str, &'static str, String, Body, &'static [Role])> {
    let art = app.articles["du-lich"];
    let leader = app.users[&Role::Leader];
    vec![
        ("GET", "/", "/".into(), Body::None, ALL),
        ("GET", "/overview", "/overview".into(), Body::None, ALL),
        ("GET", "/api/v1/overview", "/api/v1/overview".into(), Body::None, ALL),
        ("GET", "/healthz", "/healthz".into(), Body::None, PUBLIC),
        ("GET", "/login", "/login".into(), Body::None, PUBLIC),
        ("POST", "/login", "/login".into(), Body::Form("name=leader&password=m%E1%BA%ADt-kh%E1%BA%A9u-%C4%91%E1%BB%A7-d%C3%A0i-1"), PUBLIC),
        ("GET", "/lang", "/lang?to=en&back=/search".into(), Body::None, PUBLIC),
        ("GET", "/static/{file}", "/static/app.css".into(), Body::None, PUBLIC),
        ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json".into(), Body::None, PUBLIC),
        ("POST", "/logout", "/logout".into(), Body::Form(""), ALL),
        ("GET", "/search", "/search?q=bien+dao".into(), Body::None, ALL),
        ("POST", "/searches", "/searches".into(), Body::Form("name=x&query=bien"), ALL),
        ("POST", "/searches/{id}/delete", "/searches/999999/delete".into(), Body::Form(""), ALL),
        ("GET", "/articles/{id}", format!("/articles/{art}"), Body::None, ALL),
        ("GET", "/articles/{id}/evidence.warc.gz", format!("/articles/{art}/evidence.warc.gz"), Body::None, ALL),
        ("POST", "/articles/{id}/flag", format!("/articles/{art}/flag"), Body::Form("reason=ma+tran&priority=low"), FLAG),
        ("POST", "/articles/{id}/gloss", format!("/articles/{art}/gloss"), Body::Form("title_vi=x"), FLAG),
        ("GET", "/queue", "/queue".into(), Body::None, ALL),
        ("GET", "/queue/{id}", format!("/queue/{item}"), Body::None, ALL),
        ("POST", "/queue/{id}/action", format!("/queue/{item}/action"), Body::Form("action=close&version=0"), WORK),
        ("POST", "/queue/{id}/notes", format!("/queue/{item}/notes"), Body::Form("text=ghi+chu"), WORK),
        ("POST", "/queue/{id}/recheck", format!("/queue/{item}/recheck"), Body::Form(""), WORK),
        ("GET", "/stories/{id}", format!("/stories/{story}"), Body::None, ALL),
        ("GET", "/reports", "/reports".into(), Body::None, ALL),
        ("POST", "/reports", "/reports".into(), Body::Form("week=2026-W47"), REPORT),
        ("GET", "/reports/{id}", format!("/reports/{report}"), Body::None, ALL),
        ("GET", "/admin/users", "/admin/users".into(), Body::None, ADMIN),
        ("POST", "/admin/users", "/admin/users".into(), Body::Form("name=x&role=leader&password=short"), ADMIN),
        ("POST", "/admin/users/{id}", format!("/admin/users/{leader}"), Body::Form(""), ADMIN),
        ("POST", "/admin/users/{id}/tokens", format!("/admin/users/{leader}/tokens"), Body::Form("label=matrix"), ADMIN),
        ("POST", "/admin/tokens/{id}/revoke", "/admin/tokens/999999/revoke".into(), Body::Form(""), ADMIN),
        ("GET", "/admin/sources", "/admin/sources".into(), Body::None, ADMIN),
        ("POST", "/admin/sources", "/admin/sources".into(), Body::Form("name=x&url=not-a-url&origin=domestic"), ADMIN),
        ("POST", "/admin/sources/{id}/enabled", "/admin/sources/khong-co/enabled".into(), Body::Form("enabled=0"), ADMIN),
        ("POST", "/admin/reload", "/admin/reload".into(), Body::Form(""), ADMIN),
        ("POST", "/admin/sources/{id}/run", "/admin/sources/bao-mau/run".into(), Body::Form(""), ADMIN),
        ("POST", "/admin/jobs/{id}/retry", "/admin/jobs/999999/retry".into(), Body::Form(""), ADMIN),
        ("POST", "/admin/retag", "/admin/retag".into(), Body::Form(""), ADMIN),
        ("GET", "/admin/audit", "/admin/audit".into(), Body::None, ADMIN),
        ("GET", "/admin/localities", "/admin/localities?q=can+gio".into(), Body::None, ADMIN),
        ("GET", "/admin/audit/export", "/admin/audit/export?format=csv".into(), Body::None, ADMIN),
        ("GET", "/metrics", "/metrics".into(), Body::None, ADMIN),
        ("GET", "/api/v1/stories/{id}", format!("/api/v1/stories/{story}"), Body::None, ALL),
        ("GET", "/api/v1/reports", "/api/v1/reports".into(), Body::None, ALL),
        ("POST", "/api/v1/reports", "/api/v1/reports".into(), Body::Json(r#"{"week":"2026-W47"}"#), REPORT),
        ("GET", "/api/v1/reports/{id}", format!("/api/v1/reports/{report}"), Body::None, ALL),
        ("GET", "/api/v1/me", "/api/v1/me".into(), Body::None, ALL),
        ("GET", "/api/v1/meta", "/api/v1/meta".into(), Body::None, ALL),
        ("GET", "/api/v1/gazetteer", "/api/v1/gazetteer?q=can+gio".into(), Body::None, ADMIN),
        ("GET", "/api/v1/search", "/api/v1/search?q=bien".into(), Body::None, ALL),
        ("GET", "/api/v1/articles/{id}", format!("/api/v1/articles/{art}"), Body::None, ALL),
        ("POST", "/api/v1/articles/{id}/flag", format!("/api/v1/articles/{art}/flag"), Body::Json(r#"{"reason":"x"}"#), FLAG),
        ("PATCH", "/api/v1/articles/{id}", format!("/api/v1/articles/{art}"), Body::Json(r#"{"title_vi":"x"}"#), FLAG),
        ("GET", "/api/v1/queue", "/api/v1/queue".into(), Body::None, ALL),
        ("GET", "/api/v1/queue/{id}", format!("/api/v1/queue/{item}"), Body::None, ALL),
        (
            "POST",
            "/api/v1/queue/{id}/actions",
            format!("/api/v1/queue/{item}/actions"),
            Body::Json(r#"{"version":0,"action":"close"}"#),
            WORK,
        ),
        ("POST", "/api/v1/queue/{id}/notes", format!("/api/v1/queue/{item}/notes"), Body::Json(r#"{"text":"x"}"#), WORK),
        ("GET", "/api/v1/searches", "/api/v1/searches".into(), Body::None, ALL),
        ("POST", "/api/v1/searches", "/api/v1/searches".into(), Body::Json(r#"{"name":"x","query":"bien"}"#), ALL),
        ("DELETE", "/api/v1/searches/{id}", "/api/v1/searches/999999".into(), Body::None, ALL),
        ("POST", "/api/v1/tokens", "/api/v1/tokens".into(), Body::Json(r#"{"label":"x"}"#), ALL),
        ("GET", "/api/v1/users", "/api/v1/users".into(), Body::None, ADMIN),
        ("POST", "/api/v1/users", "/api/v1/users".into(), Body::Json(r#"{"name":"x","role":"leader","password":"short"}"#), ADMIN),
        ("PATCH", "/api/v1/users/{id}", format!("/api/v1/users/{leader}"), Body::Json("{}"), ADMIN),
        ("GET", "/api/v1/sources", "/api/v1/sources".into(), Body::None, ADMIN),
        ("POST", "/api/v1/sources", "/api/v1/sources".into(), Body::Json(r#"{"name":"x","url":"not a url"}"#), ADMIN),
        ("PATCH", "/api/v1/sources/{id}", "/api/v1/sources/khong-co".into(), Body::Json(r#"{"enabled":false}"#), ADMIN),
        ("GET", "/api/v1/config", "/api/v1/config".into(), Body::None, ADMIN),
        ("POST", "/api/v1/config/reload", "/api/v1/config/reload".into(), Body::None, ADMIN),
        ("POST", "/api/v1/sources/{id}/run", "/api/v1/sources/bao-mau/run".into(), Body::None, ADMIN),
        ("GET", "/api/v1/jobs/poisoned", "/api/v1/jobs/poisoned".into(), Body::None, ADMIN),
        ("POST", "/api/v1/jobs/{id}/retry", "/api/v1/jobs/999999/retry".into(), Body::None, ADMIN),
        ("GET", "/api/v1/retag", "/api/v1/retag".into(), Body::None, ADMIN),
        ("POST", "/api/v1/retag", "/api/v1/retag".into(), Body::None, ADMIN),
        ("GET", "/api/v1/audit", "/api/v1/audit".into(), Body::None, ADMIN),
    ]
}

enum Who<'a> {
    Anonymous,
    Browser(&'a Session),
    Token(&'a str),
}

async fn call(app: &App, method: &str, path: &str, body: Body, who: &Who<'_>) -> reqwest::Response {
    let m = Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.http.request(m, app.url(path));
    match who {
        Who::Anonymous => {}
        Who::Browser(s) => req = req.header("cookie", &s.cookie),
        Who::Token(t) => req = req.bearer_auth(t),
    }
    match body {
        Body::None => {
            if let Who::Browser(s) = who {
                req = req.header("x-csrf-token", &s.csrf);
            }
        }
        Body::Form(f) => {
            let csrf = match who {
                Who::Browser(s) => format!("csrf={}&", s.csrf),
                _ => String::new(),
            };
            req = req.header("content-type", "application/x-www-form-urlencoded").body(format!("{csrf}{f}"));
        }
        Body::Json(j) => {
            if let Who::Browser(s) = who {
                req = req.header("x-csrf-token", &s.csrf);
            }
            req = req.header("content-type", "application/json").body(j);
        }
    }
    req.send().await.expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_matrix_every_route_every_role_and_anonymous() {
    let app = start("8h").await;
    let item = app
        .store
        .create_queue_item(
            presswatch::model::ArticleId(app.articles["bien-dao"]),
            "ma trận",
            presswatch::model::Priority::Normal,
            (app.users[&Role::Analyst], "analyst"),
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .id;
    // the week the fixture's articles were crawled in (a week before the first crawl is refused)
    let period = presswatch::report::Period::last_full_week(chrono::Utc::now() + chrono::Duration::days(7));
    let (report, _) = presswatch::report::generate(&app.store, &app.cfg, period, chrono::Utc::now(), "admin").await.unwrap();
    presswatch::serve::pipeline::assign_stories(&app.store, 100).await.unwrap();
    let routes = matrix(&app, item, report, app.articles["bien-dao"]);

    // the matrix covers every route the server has, and nothing it lacks
    let ours: HashSet<(String, String)> = routes.iter().map(|(m, p, ..)| (m.to_string(), p.to_string())).collect();
    let rules: HashSet<(String, String)> = presswatch::web::access::RULES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(ours, rules, "the access matrix test must list exactly the routes of access::RULES");

    let mut sessions = Vec::new();
    for role in Role::ALL {
        sessions.push((role, app.login(role.as_str()).await, app.token(role).await));
    }
    let mut failures = Vec::new();
    for (method, pattern, path, body, allowed) in &routes {
        let api = path.starts_with("/api/");
        // anonymous
        let r = call(&app, method, path, *body, &Who::Anonymous).await;
        let s = r.status().as_u16();
        if allowed.is_empty() {
            if s == 401 || s == 403 || s >= 500 {
                failures.push(format!("anonymous {method} {path}: {s}, expected public"));
            }
        } else if api && s != 401 {
            failures.push(format!("anonymous {method} {path}: {s}, expected 401"));
        } else if !api {
            let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            if s != 303 || !loc.starts_with("/login") {
                failures.push(format!("anonymous {method} {path}: {s} {loc}, expected a redirect to /login"));
            }
        }
        // logging out is checked last, below: it ends the session the other checks use
        if allowed.is_empty() || *path == "/logout" {
            continue;
        }
        for (role, session, token) in &sessions {
            let who = if api { Who::Token(token) } else { Who::Browser(session) };
            let r = call(&app, method, path, *body, &who).await;
            let s = r.status().as_u16();
            let may = allowed.contains(role);
            if may && (s == 401 || s == 403 || s >= 500) {
                let text = r.text().await.unwrap_or_default();
                failures.push(format!("{role:?} {method} {path}: {s}, expected allowed: {}", text.chars().take(200).collect::<String>()));
            } else if !may && s != 403 {
                failures.push(format!("{role:?} {method} {path}: {s}, expected 403"));
            } else if !may && api {
                let v: Value = r.json().await.unwrap_or_default();
                if v["error"]["code"] != "forbidden" {
                    failures.push(format!("{role:?} {method} {path}: error code {}", v["error"]["code"]));
                }
            }
        }
        let _ = pattern;
    }
    // logging out works for everyone, and the session is gone afterwards
    for (role, session, _) in &sessions {
        let r = call(&app, "POST", "/logout", Body::Form(""), &Who::Browser(session)).await;
        assert_eq!(r.status(), 303, "{role:?} logout");
        let r = call(&app, "GET", "/search", Body::None, &Who::Browser(session)).await;
        assert_eq!(r.status(), 303, "{role:?} after logout");
    }
    assert!(failures.is_empty(), "access matrix failures:\n{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_same_origin_and_login_limits() {
    let app = start("8h").await;
    let s = app.login("analyst").await;
    let art = app.articles["bien-dao"];
    let flag = |body: String| {
        app.http
            .post(app.url(&format!("/articles/{art}/flag")))
            .header("cookie", &s.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let r = flag("reason=khong+co+token".into()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("data-code=\"csrf\""));
    let r = flag(format!("csrf={}x&reason=sai+token", &s.csrf[..63])).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = flag(format!("csrf={}&reason=dung+token", s.csrf)).header("origin", "http://evil.example").send().await.unwrap();
    assert_eq!(r.status(), 403, "a cross-site form post is refused even with the token");
    let r = flag(format!("csrf={}&reason=dung+token", s.csrf)).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(r.status(), 403, "so is one the browser marks cross-site");
    let r = flag(format!("csrf={}&reason=dung+token", s.csrf)).header("origin", format!("http://{}", app.addr)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    // JSON with the session needs the header; a token needs no CSRF
    let api = format!("/api/v1/articles/{art}/flag");
    let r = app.http.post(app.url(&api)).header("cookie", &s.cookie).json(&json!({"reason": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "csrf");
    let r = app
        .http
        .post(app.url(&api))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .json(&json!({"reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let token = app.token(Role::Analyst).await;
    let r = app.http.post(app.url(&api)).bearer_auth(&token).json(&json!({"reason": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let r = app.http.get(app.url("/api/v1/me")).bearer_auth("pw_not_a_token").send().await.unwrap();
    assert_eq!(r.status(), 401);

    // five wrong passwords for one name, then even the right one waits; other users still log in
    for i in 0..5 {
        let r = app.http.post(app.url("/login")).form(&[("name", "triage"), ("password", "sai-mat-khau")]).send().await.unwrap();
        assert_eq!(r.status(), 401, "attempt {i}");
        assert!(r.text().await.unwrap().contains("Sai tên đăng nhập"));
    }
    let r = app.http.post(app.url("/login")).form(&[("name", "triage"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let r = app.http.post(app.url("/login")).form(&[("name", "admin"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 303, "a colleague at the same address is not locked out");
    // regression (issue 13): the failures above came from one address; the owner of the name,
    // with the right password from another, is not locked out by them
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = elsewhere.post(app.url("/login")).form(&[("name", "triage"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 303, "the owner from another address logs in");
    let r = elsewhere.post(app.url("/login")).form(&[("name", "triage"), ("password", "sai-mat-khau")]).send().await.unwrap();
    assert_eq!(r.status(), 401, "and has tries of their own");
    // a disabled user cannot log in, and their token stops working
    let admin = app.token(Role::Admin).await;
    let leader_token = app.token(Role::Leader).await;
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/users/{}", app.users[&Role::Leader])))
        .bearer_auth(&admin)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app.http.post(app.url("/login")).form(&[("name", "leader"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app.http.get(app.url("/api/v1/me")).bearer_auth(&leader_token).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // an admin cannot lock themselves out
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/users/{}", app.users[&Role::Admin])))
        .bearer_auth(&admin)
        .json(&json!({"role": "leader"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_after_idle_time() {
    // long enough that a loaded CI machine gets from login to the first request inside it (at 1 s
    // it did not, once), short enough to wait out
    let app = start("4s").await;
    let s = app.login("leader").await;
    let r = app.http.get(app.url("/queue")).header("cookie", &s.cookie).send().await.unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(5500)).await;
    let r = app.http.get(app.url("/queue")).header("cookie", &s.cookie).send().await.unwrap();
    assert_eq!(r.status(), 303, "an idle session has expired");
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login?next=%2Fqueue"));
}

async fn act(app: &App, token: &str, item: i64, body: Value) -> (u16, Value) {
    let r = app.http.post(app.url(&format!("/api/v1/queue/{item}/actions"))).bearer_auth(token).json(&body).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_state_machine_conflicts_and_audit() {
    let app = start("8h").await;
    let analyst = app.token(Role::Analyst).await;
    let triage = app.token(Role::Triage).await;
    let admin = app.token(Role::Admin).await;
    let art = app.articles["bien-dao"];
    let r = app
        .http
        .post(app.url(&format!("/api/v1/articles/{art}/flag")))
        .bearer_auth(&analyst)
        .json(&json!({"reason": "Thông tin sai về Cần Giờ", "priority": "urgent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let item: Value = r.json().await.unwrap();
    let id = item["id"].as_i64().unwrap();
    assert_eq!((item["state"].as_str(), item["version"].as_i64()), (Some("new"), Some(1)));

    // illegal transitions are 409 with a reason
    let (s, v) = act(&app, &triage, id, json!({"version": 1, "action": "close"})).await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["code"], "illegal_transition");
    assert!(v["error"]["message"].as_str().unwrap().contains("cannot close an item that is new"), "{v}");
    let (s, _) = act(&app, &triage, id, json!({"version": 1, "action": "fly"})).await;
    assert_eq!(s, 400, "an unknown action is a bad request");

    let (s, v) = act(&app, &triage, id, json!({"version": 1, "action": "start_review"})).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("in_review")));
    // two people act on version 2 at once: one wins, the other gets a conflict, nothing is overwritten
    let assign =
        json!({"version": 2, "action": "assign", "agency": "cong-an", "assignee": app.users[&Role::Triage], "due": "2026-12-01T10:00:00Z"});
    let dismiss = json!({"version": 2, "action": "dismiss", "reason": "trùng lặp"});
    let ((s1, v1), (s2, v2)) = tokio::join!(act(&app, &triage, id, assign.clone()), act(&app, &admin, id, dismiss.clone()));
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{v1} {v2}");
    let loser = if s1 == 409 { &v1 } else { &v2 };
    assert_eq!(loser["error"]["code"], "conflict");
    let now: Value = app.http.get(app.url(&format!("/api/v1/queue/{id}"))).bearer_auth(&triage).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["item"]["version"], 3);
    if now["item"]["state"] == "dismissed" {
        let (s, _) = act(&app, &triage, id, json!({"version": 3, "action": "reopen", "reason": "cần xử lý"})).await;
        assert_eq!(s, 200);
        let (s, _) = act(&app, &triage, id, json!({"version": 4, "action": "assign", "agency": "cong-an"})).await;
        assert_eq!(s, 200);
    }
    let item: Value =
        app.http.get(app.url(&format!("/api/v1/queue/{id}"))).bearer_auth(&triage).send().await.unwrap().json().await.unwrap();
    let v = item["item"]["version"].as_i64().unwrap();
    assert_eq!(item["item"]["state"], "assigned");
    assert_eq!(item["legal_actions"], json!(["respond", "dismiss", "edit"]));

    let (s, e) = act(&app, &triage, id, json!({"version": v, "action": "assign", "agency": "khong-co"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (409, Some("illegal_transition")));
    let (s, e) = act(&app, &triage, id, json!({"version": v, "action": "edit", "agency": "khong-co"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (400, Some("bad_request")), "unknown agencies are refused");
    let (s, e) = act(&app, &triage, id, json!({"version": v, "action": "respond", "response_url": "javascript:alert(1)"})).await;
    assert_eq!(s, 400, "{e}");
    let (s, _) = act(&app, &triage, id, json!({"version": v, "action": "respond", "response_url": "https://ubnd.example/thong-cao", "response_text": "Đã có thông cáo chính thức."})).await;
    assert_eq!(s, 200);
    let r = app
        .http
        .post(app.url(&format!("/api/v1/queue/{id}/notes")))
        .bearer_auth(&triage)
        .json(&json!({"text": "Đã gửi báo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (s, closed) = act(&app, &triage, id, json!({"version": v + 1, "action": "close"})).await;
    assert_eq!((s, closed["state"].as_str()), (200, Some("closed")));
    let (s, _) = act(&app, &triage, id, json!({"version": v + 2, "action": "edit", "priority": "low"})).await;
    assert_eq!(s, 409, "a closed item is not edited");

    // the queue lists it by state, and the audit log tells the whole story in order
    let q: Value = app.http.get(app.url("/api/v1/queue?state=closed")).bearer_auth(&triage).send().await.unwrap().json().await.unwrap();
    assert_eq!(q["total"], 1);
    let open: Value = app.http.get(app.url("/api/v1/queue")).bearer_auth(&triage).send().await.unwrap().json().await.unwrap();
    assert_eq!(open["total"], 0);
    let log: Value = app
        .http
        .get(app.url(&format!("/api/v1/audit?target_kind=queue_item&target_id={id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.first(), Some(&"queue.create"));
    assert_eq!(actions.last(), Some(&"queue.close"));
    for a in ["queue.start_review", "queue.assign", "queue.respond", "queue.note"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let assign_entry = log["entries"].as_array().unwrap().iter().find(|e| e["action"] == "queue.assign").unwrap();
    assert_eq!(assign_entry["detail"]["agency_id"], json!([null, "cong-an"]));
    assert!(log["entries"].as_array().unwrap().iter().all(|e| e["actor"].is_string() && e["at"].is_string()));
    let csv = app.http.get(app.url("/api/v1/audit?format=csv")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("\u{feff}id,at,actor,action,target_kind,target_id,detail,reason"), "BOM for Excel, then the header");
    assert!(csv.lines().nth(1).is_some_and(|l| l.contains("+07:00")), "times in Vietnam time: {csv}");
    assert!(csv.contains("queue.respond"));

    // the log is append-only in the database itself
    let pool = sqlx::SqlitePool::connect(&app.cfg.storage.database_url).await.unwrap();
    let e = sqlx::query("UPDATE audit_log SET actor = 'someone else'").execute(&pool).await.unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(sqlx::query("DELETE FROM audit_log").execute(&pool).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_search_sanitise_and_handle_conflicts() {
    let app = start("8h").await;
    let s = app.login("triage").await;
    let get = |path: String| app.http.get(app.url(&path)).header("cookie", &s.cookie).send();

    // search without diacritics finds the article, highlights the match, explains the tags
    let page = get("/search?q=bien+dao".into()).await.unwrap().text().await.unwrap();
    assert!(page.contains("Ngư dân Cần Giờ nói về biển đảo"), "{page}");
    assert!(page.contains("<mark>biển đảo</mark>"), "adjacent typed words are highlighted as one phrase");
    assert!(page.contains("data-facet=\"topic:bien-dao\""));
    assert!(page.contains("Biển đảo <small>(biển đảo, Biển Đông)</small>"), "why-tagged");
    // languages by name, in the hit and in the facet (issue 15: "vi"/"en")
    assert!(page.contains(" · Tiếng Việt · ") && page.contains(">Tiếng Việt</a>"), "{page}");
    // an unaccented phrase the hits read two ways offers both ("Ý bạn là")
    let both = get("/search?q=bien+dong".into()).await.unwrap().text().await.unwrap().replace("&#x2f;", "/");
    assert!(both.contains("Ý bạn là:"), "{both}");
    assert!(both.contains(">biển đông</a>") && both.contains(">biến động</a>"), "{both}");
    let exact = get(format!("/search?q={}", urlencode("\"Biển Đông\""))).await.unwrap().text().await.unwrap();
    assert!(!exact.contains("Ý bạn là:"), "typed with diacritics: nothing to ask");
    // nothing found says so and offers the broader readings that do find something
    let none = get(format!("/search?q={}", urlencode("\"đảo biển\""))).await.unwrap().text().await.unwrap();
    assert!(none.contains("Không tìm thấy bài nào") && none.contains("Thử tìm rộng hơn"), "{none}");
    assert!(none.contains(">đảo biển</a>"), "the words without quotes find the article: {none}");
    // an article nobody flagged says so, not "•  —"
    let art = get(format!("/articles/{}", app.articles["bien-dao"])).await.unwrap().text().await.unwrap();
    assert!(art.contains("Chưa có trong danh sách cần xử lý."), "{art}");
    // a passing mention is searchable with `mentions:` but is not coverage of the topic
    let token = app.token(Role::Analyst).await;
    let api = |q: &str| {
        let url = app.url(&format!("/api/v1/search?q={}", urlencode(q)));
        let req = app.http.get(url).bearer_auth(&token);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(api("topic:bien-dao").await["total"], 1);
    assert_eq!(api("mentions:bien-dao").await["total"], 2, "about implies mentions");
    assert_eq!(api("mentions:bien-dao -topic:bien-dao").await["hits"][0]["title"], "Mùa du lịch mới ở Cần Giờ");
    let about: Value = app.http.get(app.url(&format!("/api/v1/articles/{}", app.articles["bien-dao"]))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(about["topics"][0]["evidence"]["paragraphs"], serde_json::json!([1, 2]), "{about}");
    assert_eq!(about["topics"][0]["evidence"]["needed"], 2.0);
    let page = get(format!("/articles/{}", app.articles["du-lich"])).await.unwrap().text().await.unwrap();
    assert!(page.contains("Có nhắc đến") && page.contains("id=\"article-mentions\""), "{page}");
    let page = get(format!("/articles/{}", app.articles["bien-dao"])).await.unwrap().text().await.unwrap();
    assert!(page.contains("đoạn 1, 2/2 · điểm 5.5 (ngưỡng 2.0)"), "{page}");
    let by_date = get("/search?q=bien+dao&sort=date".into()).await.unwrap().text().await.unwrap();
    assert!(by_date.contains("data-facet=\"topic:bien-dao\""), "facets also when sorted by date");
    // the landing view is today's coverage, newest first
    let landing = get("/search".into()).await.unwrap().text().await.unwrap();
    assert!(landing.contains("Tin hôm nay"));
    // a bad query is a 400 with the parser's message, on the page, in the page's language
    let r = get("/search?q=%22unclosed".into()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Dấu ngoặc kép mở ở ký tự thứ 1 chưa được đóng"));
    let r = get(format!("/search?q={}", urlencode("topic:bien-dao ("))).await.unwrap();
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(page.contains("Dấu ngoặc đơn ở ký tự thứ 16") && !page.contains("empty query"), "an open parenthesis at the end is named as such");
    let r: Value = app
        .http
        .get(app.url("/api/v1/search?q=date:yesterday"))
        .bearer_auth(app.token(Role::Triage).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"]["code"], "invalid_query");
    // regression (issue 13): query bombs overflowed a worker's stack and aborted the whole server;
    // now each is a 400, and the server keeps answering
    for bomb in ["(".repeat(5000), "NOT ".repeat(10_000) + "x", "(".repeat(200) + "x", "x date:[* TO *]".to_string()] {
        let r = get(format!("/search?q={}", urlencode(&bomb))).await.unwrap();
        assert_eq!(r.status(), 400, "page, {} bytes", bomb.len());
        let r = app.http.get(app.url(&format!("/api/v1/search?q={}", urlencode(&bomb)))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 400, "api, {} bytes", bomb.len());
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "invalid_query");
    }
    assert_eq!(get("/search?q=bien+dao".into()).await.unwrap().status(), 200, "still serving");

    // hostile crawled text is shown as text, and a javascript: URL is not made a link
    let hostile = app.articles["hostile"];
    let page = get(format!("/articles/{hostile}")).await.unwrap().text().await.unwrap();
    assert!(!page.contains("<script>window"), "script escaped");
    assert!(!page.contains("<img src=x"), "img escaped");
    assert!(page.contains("&lt;script&gt;window.__pwned = 3&lt;&#x2f;script&gt;"), "{page}");
    assert!(!page.contains("href=\"javascript:"), "no javascript: link");
    let hits = get("/search?q=pwned".into()).await.unwrap().text().await.unwrap();
    assert!(!hits.contains("<script>window") && !hits.contains("<img src=x"));

    // English is one click away and sticks
    let r = get("/lang?to=en&back=//evil.example/".into()).await.unwrap();
    assert_eq!(r.headers()["location"], "/", "no open redirect");
    let cookie = format!("{}; pw_lang=en", s.cookie);
    let page = app.http.get(app.url("/queue")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Review queue") && page.contains("lang=\"en\""));

    // flag from the article page, then two tabs act on the same version: the second sees a conflict
    let art = app.articles["bien-dao"];
    let form = |body: String, path: String| {
        app.http
            .post(app.url(&path))
            .header("cookie", &s.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r =
        form(format!("csrf={}&reason=Sai+s%E1%BB%B1+th%E1%BA%ADt&priority=high", s.csrf), format!("/articles/{art}/flag")).await.unwrap();
    assert_eq!(r.status(), 303);
    let item_path = r.headers()["location"].to_str().unwrap().to_string();
    let r = form(format!("csrf={}&action=start_review&version=1", s.csrf), format!("{item_path}/action")).await.unwrap();
    assert_eq!(r.status(), 303);
    let r = form(format!("csrf={}&action=dismiss&version=1&reason=x", s.csrf), format!("{item_path}/action")).await.unwrap();
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("vừa được người khác thay đổi"), "{body}");
    assert!(body.contains("data-state=\"in_review\""), "the page shows the item as it is now");
    let page = get(item_path.clone()).await.unwrap().text().await.unwrap();
    assert!(page.contains("data-action=\"assign\"") && !page.contains("data-action=\"close\""), "only legal actions are offered");
    assert!(page.contains("bắt đầu xem xét"), "history shows the review");
    // the article's opening and why it was tagged, without leaving the item
    assert!(page.contains("id=\"item-lead\"") && page.contains("Một bài viết thử nghiệm về biển đảo"), "{page}");
    assert!(page.contains("id=\"item-topics\"") && page.contains("biển đảo, Biển Đông"), "{page}");
    // in words and names, not codes and ids (issue 15: "state: new → in_review", "assignee_id: — → 4")
    assert!(page.contains("Trạng thái: Mới → Đang xem xét") && !page.contains("state: new"), "{page}");
    let agency = app.cfg.agencies[0].clone();
    let analyst_id = app.users[&Role::Analyst];
    // people by full name and unit where the admin gave them
    app.store.set_user_profile(analyst_id, "Nguyễn Thị Lan", "Phòng Văn hóa").await.unwrap();
    let r = form(
        format!("csrf={}&action=assign&version=2&agency={}&assignee={analyst_id}&due=31%2F12%2F2026", s.csrf, agency.id),
        format!("{item_path}/action"),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let page = get(item_path.clone()).await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("Cơ quan chịu trách nhiệm: — → {}", agency.name)), "{page}");
    assert!(page.contains("Người phụ trách: — → Nguyễn Thị Lan (Phòng Văn hóa)") && !page.contains("assignee_id"), "{page}");
    // the audit log says the same in sentences, not raw JSON
    let admin = app.login("admin").await;
    let audit = app.page("/admin/audit", &admin).await;
    assert!(audit.contains("Trạng thái: Mới → Đang xem xét") && audit.contains("Người phụ trách: — → Nguyễn Thị Lan (Phòng Văn hóa)"), "{audit}");
    // an admin gives a new colleague's full name and unit when creating the account
    let r = app
        .http
        .post(app.url("/admin/users"))
        .header("cookie", &admin.cookie)
        .form(&[("csrf", admin.csrf.as_str()), ("name", "tran.binh"), ("role", "triage"), ("password", "mat-khau-du-dai-1"), ("full_name", "Trần Văn Bình"), ("unit", "Ban Tuyên giáo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let users = app.page("/admin/users", &admin).await;
    assert!(users.contains("Trần Văn Bình") && users.contains("Ban Tuyên giáo"), "{users}");
    let u = app.store.user_by_name("tran.binh").await.unwrap().expect("created");
    assert_eq!((u.full_name.as_deref(), u.unit.as_deref()), (Some("Trần Văn Bình"), Some("Ban Tuyên giáo")));
    // and corrects them later: the unit changes, the name stays, and the audit log says so
    let r = app
        .http
        .post(app.url(&format!("/admin/users/{}", u.id)))
        .header("cookie", &admin.cookie)
        .form(&[("csrf", admin.csrf.as_str()), ("role", "triage"), ("disabled", "0"), ("full_name", "Trần Văn Bình"), ("unit", "Phòng Văn hóa - Thông tin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let u = app.store.user_by_name("tran.binh").await.unwrap().expect("kept");
    assert_eq!((u.full_name.as_deref(), u.unit.as_deref()), (Some("Trần Văn Bình"), Some("Phòng Văn hóa - Thông tin")));
    let f = presswatch::store::AuditFilter { target_kind: Some("user".into()), limit: 10, ..Default::default() };
    let entries = app.store.audit_entries(&f).await.unwrap();
    assert!(entries.iter().any(|a| a.action == "user.update" && format!("{:?}", a.detail).contains("Phòng Văn hóa - Thông tin")), "{entries:?}");
    assert!(!audit.contains("{&quot;") && !audit.contains("assignee_id"), "no raw JSON: {audit}");
    // days as people here write them, in the form and back on the page (issue 15: mm/dd/yyyy)
    assert!(page.replace("&#x2f;", "/").contains("Hạn xử lý: — → 31/12/2026 23:59"), "{page}");
    assert!(page.replace("&#x2f;", "/").contains("name=\"due\" inputmode=\"numeric\" placeholder=\"dd/mm/yyyy\""), "{page}");
    let r = get("/queue?due_before=1%2F1%2F2027".into()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(&item_path), "due before 1/1/2027");
    // the queue shows each item's priority score and origin, and sorts by the score on request
    let other = form(format!("csrf={}&reason=Xem+l%E1%BA%A1i&priority=low", s.csrf), format!("/articles/{}/flag", app.articles["du-lich"]))
        .await
        .unwrap();
    assert_eq!(other.status(), 303);
    let list = get("/queue?sort=score".into()).await.unwrap().text().await.unwrap();
    let scores: Vec<u32> = list
        .split("data-score=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().and_then(|v| v.parse().ok()))
        .collect();
    assert!(scores.len() >= 2 && scores.windows(2).all(|w| w[0] >= w[1]), "highest first: {scores:?}");
    assert!(list.contains("Trong nước") || list.contains("Nước ngoài") || list.contains("Hải ngoại"), "origin shown");
    assert!(list.contains("<option value=\"score\" selected>"), "the choice is kept");
    // the queue lists urgent/overdue first and filters
    let list = get("/queue?priority=high".into()).await.unwrap().text().await.unwrap();
    assert!(list.contains(&item_path));
    let list = get("/queue?priority=low".into()).await.unwrap().text().await.unwrap();
    assert!(!list.contains(&item_path));
    let r = get("/queue?state=bogus".into()).await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_metrics_openapi_health() {
    let app = start("8h").await;
    let admin = app.token(Role::Admin).await;
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["articles"], 3);
    // malformed bodies and unknown things get the stable error shape
    let r = app
        .http
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "bad_request");
    let r = app.http.get(app.url("/api/v1/articles/999999")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    let r = app.http.get(app.url("/api/v1/nothing-here")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // a malformed path or query string too (found by schemathesis: axum's own plain-text answers)
    for path in ["/api/v1/articles/abc", "/api/v1/queue/null%2Cnull", "/api/v1/stories/99999999999999999999999", "/api/v1/queue?offset=x", "/api/v1/search?q=a&offset=-1", "/api/v1/reports/1?format=md&format=json", "/api/v1/search?q=can+gio&offset=1099511627776"] {
        let r = app.http.get(app.url(path)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.headers()["content-type"], "application/json", "{path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "bad_request", "{path}: {v}");
        assert!(!v["error"]["message"].as_str().unwrap_or_default().is_empty(), "{path}: {v}");
    }
    // that offset asked the collector for terabytes and aborted the whole process; the server lives on
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    // the gazetteer, for an admin writing a locality's unit: diacritics optional, now and before
    let r = app.http.get(app.url("/api/v1/gazetteer?q=can+gio&limit=5")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let units: Value = r.json().await.unwrap();
    let labels: Vec<&str> = units["units"].as_array().unwrap().iter().filter_map(|u| u["label"].as_str()).collect();
    assert!(labels.contains(&"Xã Cần Giờ, Thành phố Hồ Chí Minh") && labels.iter().any(|l| l.starts_with("Huyện Cần Giờ")), "{units}");
    for path in ["/api/v1/gazetteer", "/api/v1/gazetteer?q=a&limit=x", "/api/v1/gazetteer?q=a&level=1"] {
        let r = app.http.get(app.url(path)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
    }
    let analyst = app.token(Role::Analyst).await;
    assert_eq!(app.http.get(app.url("/api/v1/gazetteer?q=x")).bearer_auth(&analyst).send().await.unwrap().status(), 403);
    // and on the admin's Localities page, beside what each configured place matches
    let r = app.http.get(app.url("/admin/localities?q=thanh+an")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"locality-can-gio\"") && page.contains("Xã Thạnh An, Thành phố Cần Thơ"), "{page}");
    assert!(page.contains("(trước 7"), "former units say so in the page's language");
    assert_eq!(app.http.get(app.url("/admin/localities")).bearer_auth(&analyst).send().await.unwrap().status(), 403);
    let r = app.http.delete(app.url("/api/v1/searches/abc")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()["error"]["code"].clone()), (400, json!("bad_request")));
    // every object of a list is valid JSON with each key once (sources had `source_id` twice)
    let raw = app.http.get(app.url("/api/v1/sources")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
    let sources: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(raw.matches("\"source_id\"").count(), sources.as_array().map_or(0, Vec::len), "{raw}");
    assert_eq!(sources[0]["source_id"], "bao-mau");
    let r = app
        .http
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"name": "bien.tap", "role": "analyst", "password": "mat-khau-du-dai"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .http
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"name": "bien.tap", "role": "analyst", "password": "mat-khau-du-dai"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // responses carry the security headers
    let r = app.http.get(app.url("/login")).send().await.unwrap();
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    assert_eq!(r.headers()["referrer-policy"], "same-origin");

    let _ = app.http.get(app.url("/api/v1/search?q=can+gio")).bearer_auth(&admin).send().await.unwrap();
    let m = app.http.get(app.url("/metrics")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("presswatch_articles 3"), "{m}");
    assert!(m.contains("route=\"/api/v1/search\""), "{m}");
    assert!(m.contains("presswatch_queue_items{name=\"new\"}"));
    assert!(m.contains("presswatch_http_request_duration_seconds_bucket"));

    // every API route is documented with its method
    let spec: Value = app.http.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (method, path, _) in presswatch::web::access::RULES {
        if path.starts_with("/api/") {
            assert!(spec["paths"][path][method.to_lowercase()].is_object(), "{method} {path} missing from openapi.json");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_listed_generated_on_demand_viewed_and_downloaded() {
    let app = start("8h").await;
    let leader = app.login("leader").await;
    let get = |path: String, s: &Session| app.http.get(app.url(&path)).header("cookie", &s.cookie).send();

    let page = app.page("/reports", &leader).await;
    assert!(page.contains("Chưa có báo cáo nào."), "empty list");
    // the week the fixture articles fall in
    let week = presswatch::report::Period::last_full_week(chrono::Utc::now() + chrono::Duration::days(7)).label();
    let r = app
        .http
        .post(app.url("/reports"))
        .header("cookie", &leader.cookie)
        .form(&[("csrf", leader.csrf.as_str()), ("week", week.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/reports/"), "{loc}");

    let r = get(loc.clone(), &leader).await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.starts_with("default-src 'none'") && !csp.contains("script-src"), "no script may run in a report: {csp}");
    let html = r.text().await.unwrap().replace("&#x2f;", "/");
    assert!(html.contains("BÁO CÁO") && html.contains(&format!("tuần {}", &week[6..])), "{}", &html[..html.len().min(3000)]);
    // the hostile fixture article is in this week: its title is text, not markup
    assert!(!html.contains("<script>window.__pwned"), "crawled titles are escaped");

    let r = get(format!("{loc}?format=docx"), &leader).await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    let cd = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert_eq!(cd, format!("attachment; filename=\"presswatch-{week}.docx\""));
    let (text, _) = super::report::docx_text(&r.bytes().await.unwrap());
    assert!(text.contains("Ngư dân Cần Giờ nói về biển đảo"), "{text}");
    let r = get(format!("{loc}?format=pdf"), &leader).await.unwrap();
    assert_eq!(r.status(), 400);

    let list = app.page("/reports", &leader).await;
    assert!(list.contains(&format!("href=\"{loc}\"")) && list.contains(&week), "listed");

    // a bad week is explained on the page, not a crash
    let r = app
        .http
        .post(app.url("/reports"))
        .header("cookie", &leader.cookie)
        .form(&[("csrf", leader.csrf.as_str()), ("week", "tuần trước")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("YYYY-Www"));

    // the API: the same report as JSON, a new one on demand, errors in the API's shape
    let token = app.token(presswatch::model::Role::Leader).await;
    let today = presswatch::time::local_date(chrono::Utc::now());
    let month_ago = today - chrono::Duration::days(30);
    let id = loc.trim_start_matches("/reports/");
    let v: Value = app.http.get(app.url(&format!("/api/v1/reports/{id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["report"]["period"]["label"], week.as_str());
    assert!(v["report"]["totals"]["articles"]["all"].as_u64().unwrap() >= 2, "{v}");
    let post_report = |body: Value| app.http.post(app.url("/api/v1/reports")).bearer_auth(&token).json(&body).send();
    let r = post_report(json!({"from": month_ago.to_string(), "to": today.to_string()})).await.unwrap();
    assert_eq!(r.status(), 201);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/api/v1/reports/"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["report"]["period"]["label"], format!("{month_ago}..{today}"));
    // a month before anything was crawled is "no data yet", not a report of zeros
    let r = post_report(json!({"from": "2020-01-01", "to": "2020-01-31"})).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("chưa có dữ liệu"));
    let r = post_report(json!({"from": "2026-11-30", "to": "2026-11-01"})).await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_request");
    let v: Value = app.http.get(app.url("/api/v1/reports")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["reports"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_page_and_new_articles_of_a_flagged_story_on_its_item() {
    let app = start("8h").await;
    let original = app.articles["bien-dao"];
    presswatch::serve::pipeline::assign_stories(&app.store, 100).await.unwrap();
    let analyst = app.login("analyst").await;
    let item = app.flag(original, &analyst, "high").await.trim_start_matches("/queue/").to_string();

    // another outlet reposts the piece after it was flagged
    let a = app.store.articles(&[presswatch::model::ArticleId(original)]).await.unwrap().remove(0);
    let copy = presswatch::model::NewArticle {
        url: "https://bao-khac.example/dang-lai".into(),
        canonical_url: "https://bao-khac.example/dang-lai".into(),
        source_id: presswatch::model::SourceId("bao-mau".into()),
        title: "Đăng lại: ngư dân nói về biển đảo".into(),
        text: format!("{}\nNguồn: báo bạn.", a.text),
        lang: "vi".into(),
        published_at: Some(chrono::Utc::now()),
        fetched_at: chrono::Utc::now() + chrono::Duration::seconds(5),
        content_hash: "khac".into(),
        analysis: Default::default(),
    };
    let copy_id = match app.store.insert_article(&copy, std::slice::from_ref(&copy.url)).await.unwrap() {
        presswatch::store::Stored::New(id) => id.0,
        other => panic!("{other:?}"),
    };
    assert_eq!(presswatch::serve::pipeline::assign_stories(&app.store, 100).await.unwrap(), 1);

    let page = app.page(&format!("/queue/{item}"), &analyst).await;
    let story_part = page.split("id=\"item-story\"").nth(1).expect("the item lists its story");
    assert!(story_part.contains(&format!("data-article=\"{copy_id}\"")) && story_part.contains("mới"), "{story_part}");

    let page = app.page(&format!("/articles/{original}"), &analyst).await;
    assert!(page.contains(&format!("href=\"/stories/{original}\"")), "the article links its story");
    let page = app.http.get(app.url(&format!("/stories/{original}"))).header("cookie", &analyst.cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert_eq!(page.matches("<tr data-article=").count(), 2);
    assert!(page.contains(&format!("/queue/{item}")), "the story shows its queue item");

    let token = app.token(presswatch::model::Role::Leader).await;
    let v: Value =
        app.http.get(app.url(&format!("/api/v1/stories/{original}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["articles"].as_array().unwrap().len(), 2);
    assert_eq!(v["articles"][0]["id"], original, "first published first");
    let r = app.http.get(app.url("/api/v1/stories/999999")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // the item flagged from the story's first article concerns the story
    let v: Value = app.http.get(app.url(&format!("/api/v1/queue/{item}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["item"]["story_id"], original, "{v}");
    // analysts can flag the whole story from its page; leaders cannot
    let page = app.page(&format!("/stories/{original}"), &analyst).await;
    assert!(page.contains(&format!("action=\"/articles/{original}/flag\"")), "flag form on the story page");
    let leader = app.login("leader").await;
    let page = app.page(&format!("/stories/{original}"), &leader).await;
    assert!(!page.contains("flag-story-form"));
}

/// The item shows what re-checks found (a word diff of an edit, a removal), the priority score with
/// its parts, and offers the kept responses as WARC. Crawled text in a diff stays text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_shows_edits_removals_score_and_evidence() {
    use presswatch::store::{CheckOutcome, DueCheck};
    let app = start("8h").await;
    let id = app.articles["bien-dao"];
    let analyst = app.login("analyst").await;
    let item = app.flag(id, &analyst, "urgent").await;
    let now = chrono::Utc::now();
    app.store.sync_checks(now).await.unwrap();
    let due = app.store.due_checks(now, 10).await.unwrap();
    assert_eq!(due.len(), 1, "the flagged article is under watch");
    let check: DueCheck = due[0].clone();
    let edited = format!("{} <script>alert(1)</script> đã được đính chính", check.text);
    let edit = CheckOutcome::Edited { title: check.title.clone(), text: edited, capture: None };
    app.store.record_check(&check, &edit, now, now + chrono::Duration::hours(6)).await.unwrap();
    let removal = CheckOutcome::Removed { detail: "HTTP 410".into() };
    app.store.record_check(&check, &removal, now, now + chrono::Duration::hours(6)).await.unwrap();

    let page = app.page(&item, &analyst).await;
    let part = page.split("id=\"item-revisions\"").nth(1).expect("revisions section");
    assert!(part.contains("data-kind=\"edited\"") && part.contains("data-kind=\"removed\""), "{part}");
    assert!(part.contains("<ins>") && part.contains("đính chính"), "the edit is shown as a diff: {part}");
    assert!(part.contains("&lt;script&gt;") && !part.contains("<script>alert"), "crawled text stays text");
    assert!(part.contains("HTTP 410"));
    // outcomes and notes in the page's language, not "(removed)" or "the text changed"
    assert!(part.contains("nội dung đã thay đổi") && !part.contains("the text changed"), "{part}");
    assert!(page.contains("(đã bị gỡ)") && !page.contains("(removed)"), "{page}");
    assert!(!part.contains("id=\"recheck\""), "analysts do not work the queue");
    // the queue list marks the item's article as taken down (it was edited first)
    let list = app.page("/queue?state=all", &analyst).await;
    let row = list.split(&format!("href=\"{item}\">")).nth(2).and_then(|r| r.split("</td>").next()).unwrap_or_default();
    assert!(row.contains("data-badge=\"removed\"") && row.contains("Đã gỡ"), "{row}");
    // triage asks for a re-check now instead of in six hours
    let triage = app.login("triage").await;
    assert!(app.page(&item, &triage).await.contains("id=\"recheck\""));
    let r = app
        .http
        .post(app.url(&format!("{item}/recheck")))
        .header("cookie", &triage.cookie)
        .form(&[("csrf", triage.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let state = app.store.check_state(presswatch::model::ArticleId(id)).await.unwrap().expect("under watch");
    assert!(state.next_at <= chrono::Utc::now(), "due now");
    let score = page.split("id=\"item-score\"").nth(1).expect("score section");
    assert!(score.contains("data-part=\"score.priority\"") && score.contains("30/30"), "urgent gives full priority points: {score}");
    assert!(score.contains("<td>Khẩn</td>") && !score.contains("<td>urgent</td>"), "the priority in words: {score}");

    let token = app.token(presswatch::model::Role::Leader).await;
    let api = format!("/api/v1{item}");
    let v: Value = app.http.get(app.url(&api)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["revisions"].as_array().unwrap().len(), 2, "{v}");
    assert!(v["score"]["total"].as_u64().unwrap() >= 30);
    // without [smtp] a saved search cannot promise e-mail alerts: refused, and the form does not offer them
    let r = app
        .http
        .post(app.url("/api/v1/searches"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "x", "query": "biển", "alert_email": "a@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("smtp"));
    assert!(!app.page("/search?q=bi%E1%BB%83n", &analyst).await.contains("name=\"alert_email\""));
    let warc = app.http.get(app.url(&format!("/articles/{id}/evidence.warc.gz"))).header("cookie", &analyst.cookie).send().await.unwrap();
    assert_eq!(warc.status(), 200);
    assert_eq!(warc.headers()["content-type"], "application/warc");
    let bytes = warc.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut text).unwrap();
    assert!(text.starts_with("WARC/1.0\r\nWARC-Type: warcinfo"), "a WARC even with nothing kept yet");
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Reads until the server closes the connection (or 30 s pass: then it did not); what was read.
async fn read_to_close(s: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(30), s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Regression (issue 13): 500 half-sent requests were all still open after 65 s. A connection
/// that does not finish its request head, or sits idle after a response, is closed after
/// `header_read_timeout`; one address cannot hold more than `max_connections_per_address`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_idle_and_crowding_connections_are_cut_off() {
    use tokio::io::AsyncWriteExt;
    let app = start_with("8h", "header_read_timeout = \"1s\"").await;
    let mut half = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    assert!(read_to_close(&mut half).await.is_some(), "a half-sent request is cut off");
    let mut idle = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let answered = read_to_close(&mut idle).await.expect("an idle keep-alive is closed");
    assert!(answered.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answered));

    let app = start_with("8h", "max_connections_per_address = 3").await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
        // a byte of a request: the server has accepted and is reading it
        c.write_all(b"G").await.expect("write");
        held.push(c);
    }
    let mut extra = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let got = read_to_close(&mut extra).await.expect("closed");
    assert!(got.is_empty(), "a fourth connection from the address is closed unanswered: {}", String::from_utf8_lossy(&got));
    drop(held);
    // the slots come back when those connections end
    let mut ok = false;
    for _ in 0..50 {
        if app.http.get(app.url("/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "served again once the held connections closed");
}

/// A page that took the process down twice is set aside: the Sources page and the API list it
/// with its URL and crash count, metrics count it, and an admin's retry queues it again (audited).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poisoned_jobs_are_shown_and_retried_by_an_admin() {
    let app = start("8h").await;
    let now = chrono::Utc::now();
    let url = "https://bao.example/tin/doc-hai.html";
    app.store.enqueue("page", url, "{}", now).await.unwrap();
    for _ in 0..2 {
        assert_eq!(app.store.take_jobs("page", now, 10).await.unwrap().len(), 1);
        app.store.requeue_interrupted().await.unwrap();
    }
    let admin = app.login("admin").await;
    let page = app.page("/admin/sources", &admin).await;
    let shown = url.replace('/', "&#x2f;"); // as the template escapes it
    assert!(page.contains("Việc bị tạm gác") && page.contains(&shown), "{page}");
    let token = app.token(Role::Admin).await;
    let listed: Value = app.http.get(app.url("/api/v1/jobs/poisoned")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let job = &listed["jobs"][0];
    assert_eq!((job["key"].as_str(), job["crashes"].as_i64()), (Some(url), Some(2)), "{listed}");
    let metrics = app.http.get(app.url("/metrics")).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("presswatch_page_jobs{name=\"poisoned\"} 1"), "{metrics}");
    let id = job["id"].as_i64().unwrap();
    let r = app.http.post(app.url(&format!("/api/v1/jobs/{id}/retry"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let r = app.http.post(app.url(&format!("/api/v1/jobs/{id}/retry"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 404, "only a poisoned job is retried");
    assert_eq!(app.store.count_jobs("page", "queued").await.unwrap(), 1);
    let audit: Value =
        app.http.get(app.url("/api/v1/audit?target_kind=job")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert!(audit.to_string().contains("job.retry"), "{audit}");
    assert!(!app.page("/admin/sources", &admin).await.contains(&shown));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_re_tags_stored_articles_from_the_sources_page() {
    let app = start("8h").await;
    let admin = app.login("admin").await;
    // the fixtures were stored with hand-written tags; the shipped taxonomy sees them otherwise
    let before = app.store.articles(&[presswatch::model::ArticleId(app.articles["du-lich"])]).await.unwrap();
    assert_eq!(before[0].mentions.len(), 1, "stored as a mention of bien-dao");
    let page = app.http.get(app.url("/admin/sources")).header("cookie", &admin.cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("action=\"/admin/retag\"") && page.contains("Gắn lại ngay"), "{page}");
    let r = app
        .http
        .post(app.url("/admin/retag"))
        .header("cookie", &admin.cookie)
        .form(&[("csrf", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/sources?notice=retag.started");
    // it runs in the background; the API says how far it is
    let token = app.token(Role::Admin).await;
    // the status once the run has ended (up to 10 s)
    let finished = || async {
        let mut status = Value::Null;
        for _ in 0..200 {
            status = app.http.get(app.url("/api/v1/retag")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            if status["running"] == false && !status["last"].is_null() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        status
    };
    let status = finished().await;
    assert_eq!(status["last"]["examined"], 3, "{status}");
    assert!(status["last"]["error"].is_null(), "{status}");
    let changed = status["last"]["changed"].as_u64().unwrap();
    assert!(changed >= 1, "{status}");
    // what is stored now is what the analyzer says, evidence included
    let cfg = &app.cfg;
    let analyzer = presswatch::analyze::Analyzer::new(&cfg.topics, &cfg.localities);
    for name in ["bien-dao", "du-lich", "hostile"] {
        let a = &app.store.articles(&[presswatch::model::ArticleId(app.articles[name])]).await.unwrap()[0];
        let ctx = presswatch::analyze::Context { page_lang: Some(&a.lang), source_lang: None, source: &a.source.0, origin: "overseas" };
        let want = analyzer.analyze(&a.title, &a.text, &ctx);
        let ids = |v: &[Tag]| v.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
        assert_eq!((ids(&a.topics), ids(&a.mentions), ids(&a.localities)), (ids(&want.topics), ids(&want.mentions), ids(&want.localities)), "{name}");
        assert!(a.topics.iter().all(|t| t.evidence.is_some()), "{name}: a tag says why");
    }
    let page = app.http.get(app.url("/admin/sources")).header("cookie", &admin.cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Lần gần nhất") && page.contains(&format!("{changed} bài đổi nhãn")), "{page}");
    // a second run finds nothing to change; the audit log has both
    let r = app.http.post(app.url("/api/v1/retag")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let status = finished().await;
    assert_eq!(status["last"]["changed"], 0, "{status}");
    let audit: Value = app.http.get(app.url("/api/v1/audit")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let retags = audit.to_string().matches("taxonomy.retag").count();
    assert_eq!(retags, 2, "{audit}");
}

/// Issue 15: the Sources page showed raw English errors ("robots.txt unreachable… dns error"). The
/// failure is named in the page's language with its likely cause; the raw error stays one click away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_is_named_in_the_readers_language() {
    let app = start("8h").await;
    let now = chrono::Utc::now();
    let source = presswatch::model::SourceId("bao-mau".into());
    let raw = "robots.txt unreachable, so not fetched: dns error: failed to lookup address information";
    app.store.record_feed_failure(&source, now, presswatch::model::FailureClass::Dns, raw, now).await.unwrap();
    let admin = app.login("admin").await;
    let page = app.page("/admin/sources", &admin).await;
    assert!(page.contains("không phân giải được tên miền"), "{page}");
    assert!(page.contains("Chi tiết kỹ thuật") && page.contains("dns error"), "the raw error is kept behind a summary");
    assert!(!page.contains("<strong>dns</strong>"), "no bare code");
    let english = app
        .http
        .get(app.url("/admin/sources"))
        .header("cookie", format!("{}; pw_lang=en", admin.cookie))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("the domain name does not resolve"), "{english}");
}

/// Issue 15: with every source failing, the landing page said only "nothing yet today". Everyone
/// now sees how many sources fail, since when and why; only admins get the link to fix it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_sees_when_sources_fail_and_admins_see_where_to_fix_it() {
    let app = start("8h").await;
    let analyst = app.login("analyst").await;
    assert!(!app.page("/search", &analyst).await.contains("health-banner"), "no banner while sources work");
    let now = chrono::Utc::now();
    for id in app.cfg.sources.iter().filter(|s| s.enabled).map(|s| s.id.clone()).collect::<Vec<_>>() {
        app.store.record_feed_failure(&id, now, presswatch::model::FailureClass::Dns, "dns error", now).await.unwrap();
    }
    let enabled = app.cfg.sources.iter().filter(|s| s.enabled).count();
    let page = app.page("/search", &analyst).await.replace("&#x2f;", "/");
    assert!(page.contains(&format!("{enabled}/{enabled} nguồn tin đang lỗi")), "{page}");
    assert!(page.contains(&format!("{enabled} nguồn không phân giải được tên miền")), "{page}");
    assert!(page.contains("Hãy báo quản trị viên") && !page.contains("href=\"/admin/sources\""), "an analyst is told whom to ask");
    let queue = app.page("/queue", &analyst).await;
    assert!(queue.contains("nguồn tin đang lỗi"), "on the queue too");
    let admin = app.login("admin").await;
    assert!(app.page("/search", &admin).await.contains("href=\"/admin/sources\""), "an admin gets the way to fix it");
    // and a new user is offered as an analyst, not as the first role in the list (admin)
    let users = app.page("/admin/users", &admin).await;
    let form = &users[users.rfind("<select name=\"role\">").expect("new-user form")..];
    assert!(form.contains("<option value=\"analyst\" selected>"), "{form}");
}

/// Issue 15: leaders land on the overview ("Tổng quan"); everyone has the link. The page shows the
/// last 24 hours against the 24 before, a chart per sensitive topic drawn on the server, the
/// stories and the queue, in Vietnamese or English; the API gives the same figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaders_land_on_the_overview() {
    let app = start("8h").await;
    presswatch::serve::pipeline::assign_stories(&app.store, 100).await.expect("stories");
    let leader = app.login("leader").await;
    let r = app.http.get(app.url("/")).header("cookie", &leader.cookie).send().await.expect("home");
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/overview"));
    let analyst = app.login("analyst").await;
    let r = app.http.get(app.url("/")).header("cookie", &analyst.cookie).send().await.expect("home");
    assert_eq!(r.headers()["location"].to_str().unwrap(), "/search", "analysts start with search");
    assert!(app.page("/search", &analyst).await.contains("href=\"/overview\""), "the link for everyone");

    let page = app.page("/overview", &leader).await.replace("&#x2f;", "/");
    assert!(page.contains("<h1>Tổng quan</h1>") && page.contains("24 giờ qua") && page.contains("7 ngày qua"), "{page}");
    // two articles in the last 24 hours (one on a sensitive topic), one in the 24 before
    let card = |n: usize| page.split(&format!("data-figure=\"day-{n}\"")).nth(1).and_then(|s| s.split("</div>").next()).unwrap_or_default().to_string();
    assert!(card(1).contains(">2</strong>") && card(1).contains("24 giờ trước đó: 1"), "{}", card(1));
    assert!(card(3).contains(">1</strong>"), "{}", card(3));
    assert_eq!(page.matches("<svg").count(), 6, "one chart per sensitive topic");
    assert!(page.contains("Ngư dân Cần Giờ nói về biển đảo"), "the story on a sensitive topic");
    assert!(!page.contains("<script>window.__pwned"), "crawled titles stay text");
    let en = app.http.get(app.url("/overview")).header("cookie", format!("{}; pw_lang=en", leader.cookie)).send().await.expect("en");
    let en = en.text().await.expect("body");
    assert!(en.contains("<h1>Overview</h1>") && en.contains("Last 24 hours") && en.contains("Sea and islands"), "{en}");

    let token = app.token(presswatch::model::Role::Leader).await;
    let v: Value = app.http.get(app.url("/api/v1/overview")).bearer_auth(&token).send().await.expect("api").json().await.expect("json");
    assert_eq!((v["day"]["articles"].as_u64(), v["day"]["prev_articles"].as_u64(), v["day"]["sensitive"].as_u64()), (Some(2), Some(1), Some(1)));
    assert_eq!(v["week"]["totals"]["articles"]["all"], 3, "{v}");
}

/// Issue 15: on a fresh install the landing page said "nothing yet today; the newest follow" with
/// nothing below. It says nothing has been collected yet and what happens next, and gives an admin
/// the way to the Sources page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_install_says_what_happens_next() {
    let app = start_empty().await;
    let analyst = app.login("analyst").await;
    let page = app.page("/search", &analyst).await;
    assert!(page.contains("data-empty=\"nothing-stored\"") && page.contains("Chưa có bài nào được thu thập"), "{page}");
    assert!(page.contains("báo quản trị viên") && !page.contains("Hôm nay chưa có bài nào"), "{page}");
    let admin = app.login("admin").await;
    assert!(app.page("/search", &admin).await.contains("<a href=\"/admin/sources\">Xem trang Nguồn tin"), "an admin is sent where to look");
    let leader = app.login("leader").await;
    let overview = app.page("/overview", &leader).await;
    assert!(overview.contains("data-empty=\"overview\"") && overview.contains("Chưa có dữ liệu"), "{overview}");
}

/// Issue 15: a foreign title in the queue means nothing to a reader who does not read the language.
/// A colleague writes its Vietnamese gloss once; the queue, the item and the article show it, a
/// Vietnamese search finds the article by it, and the change is audited like every triage change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_title_gets_a_vietnamese_gloss_that_is_shown_searched_and_audited() {
    use presswatch::model::ArticleId;
    let app = start("8h").await;
    let id = app.add_foreign().await;
    let triage = app.login("triage").await;
    let item_path = app.flag(id, &triage, "high").await;
    // the article and item pages offer the form while there is no gloss
    let page = app.page(&item_path, &triage).await;
    assert!(page.contains(&format!("action=\"/articles/{id}/gloss\"")) && page.contains("Tiêu đề tiếng Việt"), "{page}");
    let gloss = "Tàu cá bị giữ gần quần đảo";
    let post = |body: Vec<(&'static str, String)>| {
        let s = triage.clone();
        let app = &app;
        async move {
            let mut form = vec![("csrf", s.csrf.clone())];
            form.extend(body);
            app.http.post(app.url(&format!("/articles/{id}/gloss"))).header("cookie", &s.cookie).form(&form).send().await.unwrap()
        }
    };
    let r = post(vec![("title_vi", format!("  {gloss} ")), ("back", item_path.clone())]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], item_path.as_str(), "back to the item");
    // a `back` that leaves the site is ignored
    let r = post(vec![("title_vi", gloss.into()), ("back", "https://evil.example/".into())]).await;
    assert_eq!(r.headers()["location"], format!("/articles/{id}").as_str());
    // shown on the queue list under the original, on the item and on the article
    let queue = app.page("/queue", &triage).await;
    assert!(queue.contains("Fishing boats held near the islands") && queue.contains(&format!("data-gloss title=\"Tiêu đề tiếng Việt\">{gloss}<")), "{queue}");
    assert!(app.page(&item_path, &triage).await.contains(&format!("id=\"title-gloss\"><span class=\"muted\">Tiêu đề tiếng Việt:</span> {gloss}")));
    assert!(app.page(&format!("/articles/{id}"), &triage).await.contains(gloss));
    // audited once (the repeat changed nothing), with before and after, and told in the item's history
    let admin = app.token(Role::Admin).await;
    let audit: Value = app.http.get(app.url("/api/v1/audit")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    let entries: Vec<&Value> = audit["entries"].as_array().expect("entries").iter().filter(|e| e["action"] == "article.gloss").collect();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["target_id"], id.to_string());
    assert_eq!(entries[0]["detail"]["title_vi"], json!([null, gloss]));
    assert!(app.page(&item_path, &triage).await.contains("ghi tiêu đề tiếng Việt"));
    // a Vietnamese search, typed without diacritics, finds the foreign article by its gloss
    let mut indexer = presswatch::search::indexer::Indexer::open(app.store.clone(), &app.cfg.storage.index_dir).await.unwrap();
    indexer.catch_up().await.unwrap();
    drop(indexer);
    let token = app.token(Role::Analyst).await;
    let mut found = Value::Null;
    for _ in 0..100 {
        found = app.http.get(app.url("/api/v1/search?q=tau+ca+bi+giu")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        if found["total"] != 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found["hits"][0]["id"], id, "{found}");
    assert_eq!(found["hits"][0]["title"], "Fishing boats held near the islands", "the original stays the title");
    assert_eq!(found["hits"][0]["title_vi"], gloss);
    let page = app.page("/search?q=tau+ca+bi+giu", &triage).await;
    assert!(page.contains(&format!("data-gloss title=\"Tiêu đề tiếng Việt\">{gloss}<")), "the results show the gloss: {page}");
    // the leadership report lists the open high-priority item with its gloss beside the original
    let today = chrono::Utc::now().date_naive();
    let body = json!({"from": (today - chrono::Duration::days(6)).to_string(), "to": today.to_string()});
    let r = app.http.post(app.url("/api/v1/reports")).bearer_auth(&admin).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let report: Value = r.json().await.unwrap();
    let md = app.page(&format!("/reports/{}?format=md", report["id"]), &triage).await;
    assert!(md.contains(&format!("Fishing boats held near the islands ({gloss})")), "{md}");
    // the API sets and clears it; bad requests say what is wrong
    let patch = |path: String, body: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            let r = app.http.patch(app.url(&path)).bearer_auth(&token).header("content-type", "application/json").body(body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, v) = patch(format!("/api/v1/articles/{id}"), r#"{"title_vi": null}"#).await;
    assert_eq!((status, &v["title_vi"]), (200, &Value::Null), "{v}");
    assert_eq!(app.store.articles(&[ArticleId(id)]).await.unwrap()[0].title_vi, None);
    let vi = app.articles["du-lich"];
    let (status, v) = patch(format!("/api/v1/articles/{vi}"), r#"{"title_vi": "x"}"#).await;
    assert_eq!(status, 400, "a Vietnamese article needs no gloss: {v}");
    assert!(v.to_string().contains("title_vi"), "{v}");
    let (status, _) = patch(format!("/api/v1/articles/{id}"), r#"{"title": "x"}"#).await;
    assert_eq!(status, 400, "only the gloss may change");
    let long = Box::leak(format!(r#"{{"title_vi": "{}"}}"#, "dài ".repeat(100)).into_boxed_str());
    let (status, v) = patch(format!("/api/v1/articles/{id}"), long).await;
    assert_eq!(status, 400, "{v}");
    let (status, _) = patch("/api/v1/articles/999999".into(), r#"{"title_vi": "x"}"#).await;
    assert_eq!(status, 404);
    // leaders read it but cannot write it
    let leader = app.login("leader").await;
    let r = app
        .http
        .post(app.url(&format!("/articles/{id}/gloss")))
        .header("cookie", &leader.cookie)
        .form(&[("csrf", leader.csrf.as_str()), ("title_vi", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!app.page(&format!("/articles/{id}"), &leader).await.contains("gloss-form"));
}
