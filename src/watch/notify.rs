//! Delivery of alerts: durable `notify` jobs (one per alert, channel and batch of events), sent by
//! e-mail (SMTP, the report's transport) or as a JSON POST to a webhook, retried with backoff when
//! the receiver is down. The JSON body of the webhook is `Message`.

use crate::config::{Alert, Config};
use crate::store::{AlertEvent, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Attempts before a delivery is given up (the job stays visible as failed).
const MAX_ATTEMPTS: i64 = 6;
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// What an alert says, as the webhook receives it and the e-mail shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub alert: String,
    pub name: String,
    pub sent_at: DateTime<Utc>,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// `story`, `article` or `spike`
    pub kind: String,
    pub summary: String,
    pub article_id: Option<i64>,
    pub story_id: Option<i64>,
    /// Where to read it in presswatch.
    pub link: Option<String>,
    pub detected_at: DateTime<Utc>,
}

impl Message {
    pub fn new(alert: &Alert, events: &[AlertEvent], cfg: &Config, now: DateTime<Utc>) -> Message {
        let base = &cfg.server.public_url;
        let events = events
            .iter()
            .map(|e| Event {
                kind: e.key.split(':').next().unwrap_or("story").to_string(),
                summary: e.summary.clone(),
                article_id: e.article_id,
                story_id: e.story_id,
                link: match (e.story_id, e.article_id) {
                    (Some(s), _) => Some(format!("{base}/stories/{s}")),
                    (None, Some(a)) => Some(format!("{base}/articles/{a}")),
                    _ => None,
                },
                detected_at: e.created_at,
            })
            .collect();
        Message { alert: alert.id.clone(), name: alert.name.clone(), sent_at: now, events }
    }

    fn subject(&self) -> String {
        format!("[presswatch] {}: {} tin mới / new", self.name, self.events.len())
    }

    fn text(&self) -> String {
        let mut s = format!("{}\n\n", self.name);
        for e in &self.events {
            s.push_str(&format!("- {}\n", e.summary));
            if let Some(l) = &e.link {
                s.push_str(&format!("  {l}\n"));
            }
        }
        s
    }

    fn html(&self) -> String {
        let esc = crate::text::escape_html;
        let mut s = format!("<h2>{}</h2><ul>", esc(&self.name));
        for e in &self.events {
            match &e.link {
                Some(l) => s.push_str(&format!("<li><a href=\"{}\">{}</a></li>", esc(l), esc(&e.summary))),
                None => s.push_str(&format!("<li>{}</li>", esc(&e.summary))),
            }
        }
        s.push_str("</ul>");
        s
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliverySummary {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Sends every due notification. A failure is retried later (10 s, 40 s, 160 s, … apart) and
/// never blocks the other notifications.
pub async fn deliver_due(store: &Store, cfg: &Config, client: &reqwest::Client) -> Result<DeliverySummary, StoreError> {
    let mut summary = DeliverySummary::default();
    let jobs = store.take_jobs("notify", Utc::now(), 50).await?;
    if jobs.is_empty() {
        return Ok(summary);
    }
    let alerts = super::alerts(store, cfg).await?;
    for job in jobs {
        let result = match serde_json::from_str::<Message>(&job.payload) {
            Err(e) => Err(format!("bad notification payload: {e}")),
            Ok(m) => match (job.key.split(':').nth(1), alerts.iter().find(|a| a.id == m.alert)) {
                (_, None) => Err(format!("alert {} is no longer configured", m.alert)),
                (Some("email"), Some(a)) => send_email(cfg, a, &m).await,
                (Some("webhook"), Some(a)) => post_webhook(client, a, &m).await,
                (other, _) => Err(format!("unknown channel {other:?}")),
            },
        };
        match result {
            Ok(()) => {
                store.finish_job(job.id).await?;
                summary.sent += 1;
            }
            Err(e) => {
                let attempts = job.attempts + 1;
                let retry = (attempts < MAX_ATTEMPTS).then(|| Utc::now() + chrono::Duration::seconds(10 * 4i64.pow(attempts as u32 - 1)));
                tracing::warn!(job = %job.key, attempts, "alert delivery failed: {e}");
                store.fail_job(job.id, &e, retry).await?;
                if retry.is_some() {
                    summary.retrying += 1;
                } else {
                    summary.failed += 1;
                }
            }
        }
    }
    Ok(summary)
}

/// The client for webhooks: the address is the operator's (so private networks are allowed), but
/// redirects are not followed and answers are bounded in time.
pub fn webhook_client(user_agent: &str) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(WEBHOOK_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| format!("cannot build the webhook client: {e}"))
}

async fn post_webhook(client: &reqwest::Client, alert: &Alert, m: &Message) -> Result<(), String> {
    let Some(url) = &alert.webhook else { return Err("the alert has no webhook any more".into()) };
    let resp = client.post(url.clone()).json(m).send().await.map_err(|e| format!("{url}: {e}"))?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url}: HTTP {}", resp.status()))
    }
}

async fn send_email(cfg: &Config, alert: &Alert, m: &Message) -> Result<(), String> {
    let Some(smtp) = &cfg.smtp else { return Err("no [smtp] configured".into()) };
    use lettre::message::MultiPart;
    let b = crate::mail::addressed(&smtp.from, &alert.email, m.subject()).map_err(|e| e.to_string())?;
    let msg = b.multipart(MultiPart::alternative_plain_html(m.text(), m.html())).map_err(|e| e.to_string())?;
    crate::mail::send(smtp, msg).await.map_err(|e| e.to_string())
}
