//! A fixture news site served on loopback: feeds, sitemaps, pages and robots.txt, including hostile
//! responses. Every article here was written for these tests.

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use axum::Router;
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Clone, Default)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    /// Answer 304 when the request's If-None-Match equals this.
    pub etag: Option<String>,
}

impl Resp {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Resp {
        Resp { status: 200, headers: vec![("content-type".into(), content_type.into())], body: body.into(), ..Default::default() }
    }
    pub fn html(body: &str) -> Resp {
        Resp::ok("text/html; charset=utf-8", body)
    }
    pub fn redirect(to: &str) -> Resp {
        Resp { status: 301, headers: vec![("location".into(), to.into())], ..Default::default() }
    }
    pub fn status(code: u16) -> Resp {
        Resp { status: code, body: b"error".to_vec(), ..Default::default() }
    }
}

pub struct Site {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Change a page between crawls (an edit, a removal).
    pub routes: Arc<Mutex<HashMap<String, Resp>>>,
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
    pub fn requested(&self, path: &str) -> usize {
        self.requests.lock().map(|r| r.iter().filter(|p| p.as_str() == path).count()).unwrap_or(0)
    }
}

async fn respond(routes: &Mutex<HashMap<String, Resp>>, requests: &Mutex<Vec<String>>, uri: String, headers: HeaderMap) -> Response<Body> {
    let path = uri.split('?').next().unwrap_or("").to_string();
    if let Ok(mut r) = requests.lock() {
        r.push(path.clone());
    }
    let found = routes.lock().ok().and_then(|routes| routes.get(&uri).or_else(|| routes.get(&path)).cloned());
    let Some(resp) = found else {
        return Response::builder().status(404).body(Body::from("not found")).unwrap_or_default();
    };
    if !resp.delay.is_zero() {
        tokio::time::sleep(resp.delay).await;
    }
    if let (Some(etag), Some(inm)) = (&resp.etag, headers.get("if-none-match")) {
        if inm.to_str().ok() == Some(etag.as_str()) {
            return Response::builder().status(304).body(Body::empty()).unwrap_or_default();
        }
    }
    let mut b = Response::builder().status(StatusCode::from_u16(resp.status).unwrap_or(StatusCode::OK));
    for (k, v) in &resp.headers {
        b = b.header(k, v);
    }
    if let Some(e) = &resp.etag {
        b = b.header("etag", e);
    }
    b.body(Body::from(resp.body)).unwrap_or_default()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

/// A news page in the layout of a Vietnamese outlet: menu, article, related links, footer.
/// The menu, related links and footer name topics and places that must not count.
pub fn page(title: &str, paragraphs: &[&str], canonical: Option<&str>, lang: &str) -> String {
    let canon = canonical.map(|c| format!(r#"<link rel="canonical" href="{c}">"#)).unwrap_or_default();
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} - Báo Thử Nghiệm</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="2026-11-20T08:30:00+07:00">{canon}</head><body>
<header><nav class="menu"><a href="/">Trang chủ</a> <a href="/c/bien-dao">Biển Đông</a> <a href="/c/ton-giao">Tôn giáo</a>
<a href="/c/dia-phuong">Cần Giờ</a> <a href="/c/nhan-quyen">Nhân quyền</a></nav></header>
<main><article class="detail"><h1>{title}</h1>
<div class="share-bar">Chia sẻ Facebook Zalo</div>
{body}</article>
<aside class="related"><h3>Tin liên quan</h3><ul>
<li><a href="/x1">Tranh chấp Trường Sa và Hoàng Sa trên Biển Đông</a></li>
<li><a href="/x2">Đồng bào dân tộc thiểu số ở Cần Giờ đón Tết</a></li></ul></aside></main>
<footer>Báo Thử Nghiệm. Trụ sở: số 1 đường Hoàng Sa, Cần Giờ. Giấy phép 99/GP-BTTTT.</footer>
</body></html>"#
    )
}

/// Serves on a given port; None when the port was taken meanwhile.
pub async fn serve_on(ip: [u8; 4], port: u16, routes: HashMap<String, Resp>) -> Option<Site> {
    let routes = Arc::new(Mutex::new(routes));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (r2, q2) = (routes.clone(), requests.clone());
    let app = Router::new().fallback(move |req: Request<Body>| {
        let routes = r2.clone();
        let requests = q2.clone();
        async move { respond(&routes, &requests, req.uri().to_string(), req.headers().clone()).await }
    });
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, port))).await.ok()?;
    let addr = listener.local_addr().ok()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Some(Site { addr, requests, routes })
}

/// A minimal SMTP server that keeps what it is sent.
pub async fn smtp_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                let mut data = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            let _ = tx.send(std::mem::take(&mut data));
                            let _ = w.write_all(b"250 OK queued\r\n").await;
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (port, rx)
}
