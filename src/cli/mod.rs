//! The command line: what each `presswatch` command does, as glue between the stages and `app`.
//! `main.rs` parses the arguments into `Cli` and calls `run`; errors here are `anyhow` because this
//! is the edge.

mod config;
pub mod crawl;
pub mod export;
mod search;
mod users;

use crate::config::Config;
use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "presswatch", version, about = "Press monitoring for a Vietnamese press office")]
pub struct Cli {
    /// Main configuration file.
    #[arg(long, global = true, env = "PRESSWATCH_CONFIG", default_value = "config/presswatch.toml")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Migrate, serve the web UI and API, crawl on schedule and keep the index current until SIGINT/SIGTERM.
    Serve,
    /// Users of the web UI and API.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// One pass over every enabled source (feeds, then the articles they list), then exit.
    Crawl {
        /// Required: `serve` is the continuous crawler.
        #[arg(long)]
        once: bool,
    },
    /// Search stored articles (diacritics optional; "phrases", AND/OR/NOT, -term, field:value, date:).
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Newest first instead of best first.
        #[arg(long)]
        by_date: bool,
        /// One JSON object: {"total": N, "hits": [...], "facets": {...}}.
        #[arg(long)]
        json: bool,
    },
    /// Every stored article, one per line (JSONL) or row (CSV with a BOM for Excel, or XLSX; times in
    /// Vietnam time, topic and locality names beside their ids).
    Export {
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        /// First day (YYYY-MM-DD, Vietnam time) or RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Last day, inclusive.
        #[arg(long)]
        until: Option<String>,
    },
    /// Kept responses (evidence) as a WARC file that web-archive tools read (.warc or .warc.gz).
    Warc {
        /// The file to write; `.gz` at the end compresses each record.
        #[arg(long)]
        out: PathBuf,
        /// Only these articles (repeatable); otherwise every article in the date range.
        #[arg(long)]
        article: Vec<i64>,
        /// First day (YYYY-MM-DD, Vietnam time) or RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Last day, inclusive.
        #[arg(long)]
        until: Option<String>,
    },
    /// The leadership summary for a period (default: the last full ISO week, Vietnam time).
    Report {
        /// An ISO week, like 2026-W47.
        #[arg(long, conflicts_with_all = ["from", "to"])]
        week: Option<String>,
        /// First day (YYYY-MM-DD, Vietnam time).
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// Last day, inclusive.
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// html, docx, md or json (default: from the --out extension, else html).
        #[arg(long)]
        format: Option<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Also keep it in the database (listed in the web UI) and e-mail it if [report] email_to is set.
        #[arg(long)]
        keep: bool,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Re-analyse stored articles with the current taxonomy and localities (after editing
    /// `topics.toml` or `localities.toml`); changed tags are stored and indexed again.
    Retag {
        /// Only articles published (or fetched) on or after this day (YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
    },
    /// Validate the configuration and say exactly what is wrong and where.
    CheckConfig,
    /// The gazetteer: `locality find NAME` searches Vietnam's units now and before 7/2025;
    /// `locality show ID` prints what a configured locality matches and why.
    Locality {
        #[command(subcommand)]
        what: LocalityCommand,
    },
    /// OPML in and out: `sources import FILE.opml`, `sources export`.
    Sources {
        #[command(subcommand)]
        what: SourcesCommand,
    },
    /// Measure extraction, ingest and search speed (see BENCHMARKS.md).
    #[cfg(feature = "bench")]
    Bench {
        #[command(subcommand)]
        what: crate::bench::BenchCommand,
    },
    /// Built without the `bench` feature: says how to build with it.
    #[cfg(not(feature = "bench"))]
    #[command(hide = true)]
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin (one line, at least 10 characters).
    Add {
        name: String,
        /// admin, analyst, triage or leader (a new user reads and searches until given more).
        #[arg(long, default_value = "analyst")]
        role: String,
    },
    /// Print a new API token for a user (shown once).
    Token {
        name: String,
        /// What will use the token.
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// List users and their roles.
    List,
}

#[derive(Subcommand)]
pub enum SourcesCommand {
    /// Add the OPML file's feeds that are not configured yet to the sources file.
    Import {
        file: PathBuf,
        /// Origin given to the imported sources: domestic, overseas or foreign.
        #[arg(long, default_value = "foreign")]
        origin: String,
        /// Also import feeds on private or loopback addresses (an intranet outlet of your own).
        #[arg(long)]
        allow_private: bool,
    },
    /// Print the configured sources as OPML.
    Export,
}

#[derive(Subcommand)]
pub enum LocalityCommand {
    /// Units whose name holds these words (diacritics optional), with their codes and parents.
    Find {
        name: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The names a configured locality matches, each with the unit it comes from, and the shared
    /// names that count only beside a parent.
    Show { id: String },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    Xlsx,
}

impl Cli {
    /// Commands that only print, often to `| head`: they end quietly when the reader goes away.
    pub fn only_prints(&self) -> bool {
        matches!(self.command, Command::CheckConfig | Command::Locality { .. })
    }

    /// The log level when `RUST_LOG` does not say: `serve` tells what it does, the rest only warn.
    pub fn log_level(&self) -> &'static str {
        match self.command {
            Command::Serve => "info",
            _ => "warn",
        }
    }
}

pub fn load_config(path: &Path) -> Result<Config> {
    Ok(Config::load(path)?)
}

/// A date on the command line (`time::parse_bound`), or an error that says what to write.
pub fn parse_cli_date(s: &str, end: bool) -> Result<DateTime<Utc>> {
    crate::time::parse_bound(s, end).with_context(|| format!("bad date {s:?}: write DD/MM/YYYY, YYYY-MM-DD or an RFC 3339 time"))
}

/// Runs one command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::CheckConfig = cli.command {
        return config::check_config(&cli.config);
    }
    if let Command::Sources { what } = &cli.command {
        return match what {
            SourcesCommand::Import { file, origin, allow_private } => {
                let r = crate::opml::import(&cli.config, file, origin, *allow_private)?;
                for (url, why) in &r.skipped {
                    eprintln!("skipped {url}: {why}");
                }
                println!("imported {} new sources, skipped {}", r.added, r.skipped.len());
                Ok(())
            }
            SourcesCommand::Export => {
                print!("{}", crate::opml::export(&load_config(&cli.config)?.sources));
                Ok(())
            }
        };
    }
    #[cfg(feature = "bench")]
    if let Command::Bench { what } = cli.command {
        return crate::bench::run(what, &cli.config).await;
    }
    #[cfg(not(feature = "bench"))]
    if let Command::Bench { .. } = cli.command {
        anyhow::bail!("this presswatch was built without benchmarks: build with `--features bench` (cargo run --release --features bench -- bench ...)");
    }
    if let Command::Locality { what } = &cli.command {
        return match what {
            LocalityCommand::Find { name, limit } => config::locality_find(name, *limit),
            LocalityCommand::Show { id } => config::locality_show(&load_config(&cli.config)?, id),
        };
    }
    let cfg = load_config(&cli.config)?;
    match cli.command {
        Command::Serve => crate::serve::serve(cfg, &cli.config).await,
        Command::User { what: UserCommand::Add { name, role } } => users::user_add(cfg, &name, &role).await,
        Command::User { what: UserCommand::Token { name, label } } => users::user_token(cfg, &name, &label).await,
        Command::User { what: UserCommand::List } => users::user_list(cfg).await,
        Command::Crawl { once } => {
            if !once {
                anyhow::bail!("`crawl` needs --once (`serve` crawls continuously)");
            }
            let s = crawl::crawl_once(cfg).await?;
            crawl::print_once_summary(&s);
            Ok(())
        }
        Command::Search { query, limit, offset, by_date, json } => search::search(cfg, &query, limit, offset, by_date, json).await,
        Command::Export { format, since, until } => {
            let since = since.map(|s| parse_cli_date(&s, false)).transpose()?;
            let until = until.map(|s| parse_cli_date(&s, true)).transpose()?;
            let f = match format {
                Format::Jsonl => export::ExportFormat::Jsonl,
                Format::Csv => export::ExportFormat::Csv,
                Format::Xlsx => export::ExportFormat::Xlsx,
            };
            export::export(cfg, f, since, until).await.map(|_| ())
        }
        Command::Warc { out, article, since, until } => {
            let since = since.map(|s| parse_cli_date(&s, false)).transpose()?;
            let until = until.map(|s| parse_cli_date(&s, true)).transpose()?;
            let n = export::warc(cfg, &out, article, since, until).await?;
            eprintln!("wrote {n} captures to {}", out.display());
            Ok(())
        }
        Command::Report { week, from, to, format, out, keep } => export::report(cfg, week, from, to, format, out, keep).await,
        Command::Reindex => {
            let n = crawl::reindex(cfg).await?;
            println!("reindexed {n} articles");
            Ok(())
        }
        Command::Retag { since } => {
            let since = since.as_deref().map(|d| parse_cli_date(d, false)).transpose()?;
            let r = crawl::retag(cfg, since, std::io::IsTerminal::is_terminal(&std::io::stderr())).await?;
            let indexed = match r.indexed {
                Some(n) => format!("{n} indexed again"),
                None => "serve holds the index and will index them".to_string(),
            };
            println!("retagged: {} articles examined, {} with new tags ({indexed})", r.examined, r.changed);
            Ok(())
        }
        Command::CheckConfig | Command::Bench { .. } | Command::Sources { .. } | Command::Locality { .. } => Ok(()),
    }
}
