//! `user add|token|list`: accounts made at the server's command line, through `app` like the admin
//! pages (same checks, same audit entries, with the CLI as the actor).

use crate::model::UserId;
use crate::app::{self, Actor, App, AppError};
use crate::config::Config;
use crate::store::Store;
use anyhow::{Context as _, Result};
use std::io::IsTerminal;
use std::sync::Arc;

/// The application on the configured store and index, for the commands that act through it.
async fn open_app(cfg: Config) -> Result<App> {
    let store = Store::open(&cfg.storage.database_url).await?;
    let searcher = Arc::new(crate::search::searcher::Searcher::open(&cfg.storage.index_dir)?);
    let metrics = Arc::new(crate::metrics::Metrics::new());
    Ok(App::new(Arc::new(cfg), store, searcher, metrics, Arc::new(tokio::sync::Notify::new())))
}

fn plain(e: AppError) -> anyhow::Error {
    anyhow::Error::msg(e.to_string())
}

/// `user add`: the password comes from stdin (one line), never from the command line.
pub async fn user_add(cfg: Config, name: &str, role: &str) -> Result<()> {
    let role = crate::model::Role::parse(role).with_context(|| format!("role `{role}`: admin, analyst, triage or leader"))?;
    let mut password = String::new();
    if std::io::stdin().is_terminal() {
        eprint!("password for {name}: ");
    }
    std::io::stdin().read_line(&mut password).context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    let app = open_app(cfg).await?;
    let profile = app::Profile { full_name: "", unit: "" };
    let user = app::add_user(&app, &Actor::Cli, name, role, password, profile).await.map_err(plain);
    app.store.close().await;
    let user = user?;
    println!("user {} ({}) created", user.name, role.as_str());
    Ok(())
}

/// `user token`: prints a new API token for a user (shown once; only its hash is stored).
pub async fn user_token(cfg: Config, name: &str, label: &str) -> Result<()> {
    let app = open_app(cfg).await?;
    let token = async {
        let user = app.store.user_by_name(name).await?.with_context(|| format!("no user `{name}`"))?;
        app::create_token(&app, &Actor::Cli, UserId(user.id), label).await.map_err(plain)
    }
    .await;
    app.store.close().await;
    println!("{}", token?);
    Ok(())
}

pub async fn user_list(cfg: Config) -> Result<()> {
    let store = Store::open(&cfg.storage.database_url).await?;
    for u in store.users().await? {
        println!("{}\t{}\t{}", u.name, u.role.as_str(), if u.disabled { "disabled" } else { "active" });
    }
    store.close().await;
    Ok(())
}
