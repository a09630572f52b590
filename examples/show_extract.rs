//! Prints the text presswatch extracts from one page of the extraction benchmark:
//! `cargo run --example show_extract -- <id-prefix> [set folder of ../shared/eval]`.
fn main() {
    let prefix = std::env::args().nth(1).unwrap_or_default();
    let set = std::env::args().nth(2).unwrap_or_else(|| "scrapinghub-article-extraction-benchmark".into());
    let dir = std::path::Path::new("../shared/eval").join(set);
    match presswatch::bench::show_one(&dir, &prefix) {
        Ok(t) => println!("{t}"),
        Err(e) => eprintln!("error: {e}"),
    }
}
