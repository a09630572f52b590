//! presswatch: press monitoring for a Vietnamese provincial or district press office.
//! See ARCHITECTURE.md for the map of the code.

pub mod analyze;
pub mod app;
/// Benchmarks and quality measures: behind the `bench` feature, so `serve` does not carry them.
#[cfg(feature = "bench")]
pub mod bench;
pub mod cli;
pub mod config;
pub mod crawl;
pub mod evidence;
pub mod extract;
pub mod gazetteer;
pub mod i18n;
pub mod mail;
pub mod metrics;
pub mod model;
pub mod opml;
pub mod query;
pub mod report;
pub mod reload;
pub mod retag;
pub mod search;
pub mod serve;
pub mod sources_file;
pub mod store;
pub mod stories;
pub mod text;
pub mod time;
pub mod triage;
pub mod urlnorm;
pub mod watch;
pub mod web;
