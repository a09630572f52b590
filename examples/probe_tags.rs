//! Shows how the configured topics and localities tag some text, to tune `config/topics.toml`:
//! `cargo run --example probe_tags < lines.txt`, one `title|body` per line.
fn main() {
    let cfg = presswatch::config::Config::load(std::path::Path::new("config/presswatch.toml")).expect("config");
    let a = presswatch::analyze::Analyzer::new(&cfg.topics, &cfg.localities);
    let ctx = presswatch::analyze::Context { page_lang: None, source_lang: None, source: "x", origin: "domestic" };
    for line in std::io::stdin().lines().map_while(Result::ok) {
        let (t, b) = line.split_once('|').unwrap_or((&line, ""));
        let r = a.analyze(&presswatch::text::normalize(t), &presswatch::text::normalize(b), &ctx);
        let tags: Vec<String> = r.topics.iter().map(|t| format!("{}{:?}", t.id, t.matched)).collect();
        let locs: Vec<String> = r.localities.iter().map(|t| t.id.clone()).collect();
        println!("{:<3} {:<60} {:?} {:?}", r.lang, t.chars().take(60).collect::<String>(), tags, locs);
    }
}
