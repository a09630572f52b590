//! Feed, sitemap and feed-link discovery on any bytes a server may send.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://bao.example/rss.xml").expect("base");
    let _ = presswatch::crawl::discover::discover(data, None, &base, 1 << 20);
    let _ = presswatch::crawl::discover::discover(data, Some("application/rss+xml; charset=windows-1258"), &base, 1 << 20);
});
