//! `export`, `warc` and `report`: what is stored, written out for other tools and for people.

use crate::config::Config;
use crate::model::ArticleId;
use crate::store::Store;
use super::search::matched_json;
use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, Utc};
use std::io::{IsTerminal, Write};

/// `report`: renders the period's report to a file or standard output.
pub async fn report(
    cfg: Config,
    week: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    out: Option<std::path::PathBuf>,
    keep: bool,
) -> Result<()> {
    use crate::report::{Format, Period};
    let now = Utc::now();
    let period = Period::chosen(week.as_deref(), from.as_deref(), to.as_deref(), now)?;
    let from_ext = out.as_ref().and_then(|p| p.extension()).and_then(|e| e.to_str()).and_then(Format::parse);
    let format = match format {
        Some(f) => Format::parse(&f).with_context(|| format!("--format {f}: write html, docx, md or json"))?,
        None => from_ext.unwrap_or(Format::Html),
    };
    if format == Format::Docx && out.is_none() && std::io::stdout().is_terminal() {
        bail!("a DOCX report is binary: give --out FILE.docx (or redirect standard output)");
    }
    let store = Store::open_existing(&cfg.storage.database_url).await?;
    let report = if keep {
        let (id, r) = crate::report::generate(&store, &cfg, period, now, "cli").await?;
        match crate::report::email(&store, &cfg, id, &r, now).await {
            Ok(true) => eprintln!("report {id} kept and e-mailed to {}", cfg.report.email_to.join(", ")),
            Ok(false) => eprintln!("report {id} kept"),
            Err(e) => eprintln!("report {id} kept; {e}"),
        }
        r
    } else {
        crate::report::build(&store, &cfg, period, now).await?
    };
    store.close().await;
    let bytes = crate::report::render(&report, format)?;
    match out {
        Some(p) => {
            // write beside, then rename: a failed run never leaves half a report under the name
            let tmp = p.with_extension("partial");
            std::fs::write(&tmp, &bytes).with_context(|| format!("--out {}: cannot write", p.display()))?;
            std::fs::rename(&tmp, &p).with_context(|| format!("--out {}: cannot write", p.display()))?;
        }
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(&bytes)?;
            o.flush()?;
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    /// A spreadsheet (binary: to a file or a pipe, never a terminal).
    Xlsx,
}

/// The columns of the CSV and XLSX exports: DESIGN's fields first, in their order, then names.
const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "url",
    "canonical_url",
    "source",
    "origin",
    "title",
    "text",
    "lang",
    "topics",
    "localities",
    "published_at",
    "fetched_at",
    "story_id",
    "mentions",
    "topic_names",
    "locality_names",
];

/// Longest text a spreadsheet cell holds (Excel's limit); longer article texts are cut there.
const XLSX_CELL_CHARS: usize = 32_767;

/// One article as the cells of a CSV or XLSX row: times in Vietnam time with their offset (what an
/// analyst reads), lists joined with `;`, names from the configuration beside the ids.
fn export_cells(row: &ExportRow, cfg: &Config) -> Vec<String> {
    let local = |d: DateTime<Utc>| d.with_timezone(&crate::time::ZONE).to_rfc3339();
    let topic_name = |id: &&str| cfg.topics.iter().find(|t| t.id == *id).map_or(id.to_string(), |t| t.name.clone());
    let locality_name = |id: &&str| cfg.localities.iter().find(|l| l.id == *id).map_or(id.to_string(), |l| l.name.clone());
    vec![
        row.id.to_string(),
        row.url.to_string(),
        row.canonical_url.to_string(),
        row.source.to_string(),
        row.origin.unwrap_or("").to_string(),
        row.title.to_string(),
        row.text.to_string(),
        row.lang.to_string(),
        row.topics.join(";"),
        row.localities.join(";"),
        row.published_at.map(local).unwrap_or_default(),
        local(row.fetched_at),
        row.story_id.map(|s| s.to_string()).unwrap_or_default(),
        row.mentions.join(";"),
        row.topics.iter().map(topic_name).collect::<Vec<_>>().join("; "),
        row.localities.iter().map(locality_name).collect::<Vec<_>>().join("; "),
    ]
}

/// Where `export` writes its rows.
enum ExportSink {
    Jsonl(std::io::BufWriter<std::io::Stdout>),
    Csv(csv::Writer<std::io::BufWriter<std::io::Stdout>>),
    Xlsx { book: rust_xlsxwriter::Workbook, rows: u32 },
}

#[derive(serde::Serialize)]
struct ExportRow<'a> {
    id: i64,
    url: &'a str,
    canonical_url: &'a str,
    source: &'a str,
    origin: Option<&'static str>,
    title: &'a str,
    /// A colleague's Vietnamese gloss of a foreign title (JSON lines only; absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    title_vi: Option<&'a str>,
    text: &'a str,
    lang: &'a str,
    topics: Vec<&'a str>,
    localities: Vec<&'a str>,
    published_at: Option<DateTime<Utc>>,
    fetched_at: DateTime<Utc>,
    story_id: Option<i64>,
    seen_in: Vec<String>,
    matched: serde_json::Value,
    /// Topics the article only mentions (not counted as coverage).
    mentions: Vec<&'a str>,
    /// Per topic it is about: the score against the threshold and the paragraphs that matched.
    evidence: serde_json::Map<String, serde_json::Value>,
}

/// `warc`: writes to a temporary file beside `out` and renames it, so a failed export never leaves
/// a truncated archive under the asked-for name.
pub async fn warc(
    cfg: Config,
    out: &std::path::Path,
    articles: Vec<i64>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<usize> {
    use crate::evidence::warc::{write_selection, Selection, WarcWriter};
    let name = out.file_name().and_then(|n| n.to_str()).with_context(|| format!("--out {}: not a file name", out.display()))?;
    if !(name.ends_with(".warc") || name.ends_with(".warc.gz")) {
        anyhow::bail!("--out {}: name the file .warc or .warc.gz", out.display());
    }
    let store = Store::open(&cfg.storage.database_url).await?;
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    let file = std::io::BufWriter::new(tmp.reopen()?);
    let mut w = WarcWriter::new(file, name.ends_with(".gz"), name, Utc::now())?;
    let sel = if articles.is_empty() {
        Selection::Range { since, until }
    } else {
        Selection::Articles(articles.into_iter().map(ArticleId).collect())
    };
    let n = write_selection(&store, &mut w, &sel).await?;
    w.finish()?.into_inner().map_err(|e| anyhow::anyhow!("writing {}: {}", out.display(), e.error()))?.sync_all()?;
    tmp.persist(out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(n)
}

pub async fn export(cfg: Config, format: ExportFormat, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Result<usize> {
    if format == ExportFormat::Xlsx && std::io::stdout().is_terminal() {
        bail!("an XLSX export is binary: redirect standard output to a file (presswatch export --format xlsx > articles.xlsx)");
    }
    let store = Store::open_existing(&cfg.storage.database_url).await?;
    let stdout = || std::io::BufWriter::new(std::io::stdout());
    let mut sink = match format {
        ExportFormat::Jsonl => ExportSink::Jsonl(stdout()),
        ExportFormat::Csv => {
            let mut out = stdout();
            // the byte order mark is how Excel on Windows knows the file is UTF-8 (else "Biá»ƒn")
            out.write_all("\u{feff}".as_bytes())?;
            let mut w = csv::Writer::from_writer(out);
            w.write_record(EXPORT_COLUMNS)?;
            ExportSink::Csv(w)
        }
        ExportFormat::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet_with_constant_memory();
            sheet.set_name("articles")?;
            let bold = rust_xlsxwriter::Format::new().set_bold();
            for (col, name) in EXPORT_COLUMNS.iter().enumerate() {
                let width = match *name {
                    "title" | "topic_names" | "locality_names" => 40.0,
                    "text" | "url" | "canonical_url" => 60.0,
                    _ => 14.0,
                };
                sheet.set_column_width(col as u16, width)?;
                sheet.write_string_with_format(0, col as u16, *name, &bold)?;
            }
            sheet.set_freeze_panes(1, 0)?;
            ExportSink::Xlsx { book, rows: 1 }
        }
    };
    let mut after = 0;
    let mut n = 0;
    loop {
        let page = store.articles_page(after, 500, since, until).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        let ids: Vec<_> = page.iter().map(|a| a.id.clone()).collect();
        let mut seen = store.sightings_of_many(&ids).await?;
        for a in &page {
            let seen_in = seen.remove(&a.id.0).unwrap_or_default();
            let row = ExportRow {
                id: a.id.0,
                url: &a.url,
                canonical_url: &a.canonical_url,
                source: &a.source.0,
                origin: a.origin.map(|o| o.as_str()),
                title: &a.title,
                title_vi: a.title_vi.as_deref(),
                text: &a.text,
                lang: &a.lang,
                topics: a.topics.iter().map(|t| t.id.as_str()).collect(),
                localities: a.localities.iter().map(|t| t.id.as_str()).collect(),
                published_at: a.published_at,
                fetched_at: a.fetched_at,
                story_id: a.story_id,
                seen_in,
                matched: matched_json(a),
                mentions: a.mentions.iter().map(|t| t.id.as_str()).collect(),
                evidence: a
                    .topics
                    .iter()
                    .filter_map(|t| Some((t.id.clone(), serde_json::to_value(t.evidence.as_ref()?).ok()?)))
                    .collect(),
            };
            match &mut sink {
                ExportSink::Jsonl(out) => writeln!(out, "{}", serde_json::to_string(&row)?)?,
                ExportSink::Csv(w) => w.write_record(export_cells(&row, &cfg))?,
                ExportSink::Xlsx { book, rows } => {
                    let sheet = book.worksheet_from_index(0)?;
                    for (col, mut cell) in export_cells(&row, &cfg).into_iter().enumerate() {
                        if let Some((cut, _)) = cell.char_indices().nth(XLSX_CELL_CHARS - 1) {
                            cell.truncate(cut);
                            cell.push('…');
                        }
                        sheet.write_string(*rows, col as u16, cell)?;
                    }
                    *rows += 1;
                }
            }
            n += 1;
        }
    }
    match sink {
        ExportSink::Jsonl(mut out) => out.flush()?,
        ExportSink::Csv(mut w) => w.flush()?,
        ExportSink::Xlsx { mut book, .. } => {
            let mut out = stdout();
            book.save_to_writer(&mut out)?;
            out.flush()?;
        }
    }
    store.close().await;
    Ok(n)
}
