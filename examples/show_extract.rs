//! Prints the text presswatch extracts from one page of the extraction benchmark:
//! `cargo run --example show_extract -- <id-prefix>`.
fn main() {
    let prefix = std::env::args().nth(1).unwrap_or_default();
    let dir = std::path::Path::new("../shared/eval/scrapinghub-article-extraction-benchmark");
    match presswatch::bench::show_one(dir, &prefix) {
        Ok(t) => println!("{t}"),
        Err(e) => eprintln!("error: {e}"),
    }
}
