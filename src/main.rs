//! The `presswatch` binary: parses the command line, builds the runtime, starts logging, dispatches.

use clap::Parser;
use presswatch::cli::{self, Cli};
use std::process::ExitCode;

/// glibc gives threads up to 8 malloc arenas per core and keeps freed memory in each: `serve`
/// (tokio workers, extraction on blocking threads, a thread per SQLite connection, tantivy's)
/// peaked at 395 MB crawling 10,000 feeds while answering searches, 269 MB with two arenas, at
/// the same ingest speed (BENCHMARKS.md, memory of `serve`). `MALLOC_ARENA_MAX` still overrides.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; called first thing, before any thread.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Commands that only print (to a pipe, often `| head`) end quietly when the reader goes away, as
/// Unix tools do, instead of panicking on the broken pipe. Not for commands that talk to servers:
/// there a peer closing a socket must be an error, not a signal that kills the process.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal, first thing, before any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    if cli.only_prints() {
        quiet_on_closed_pipe();
    }
    let default_level = cli.log_level();
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
