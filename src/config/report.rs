//! `[report]`, `[smtp]` and `[evidence]`: the weekly report, the mail it goes out by, and what is
//! kept of each fetch.

use super::raw::{RawEvidence, RawReport, RawSmtp};
use super::standing::check_mailbox;
use super::{parse_duration, At, ConfigError, Locality};
use std::path::PathBuf;
use std::time::Duration;

/// What is kept of each fetch, and how often flagged articles are fetched again.
#[derive(Debug, Clone)]
pub struct EvidenceConfig {
    pub keep_raw: bool,
    pub recheck_interval: Duration,
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        EvidenceConfig { keep_raw: true, recheck_interval: Duration::from_secs(6 * 3600) }
    }
}

/// The weekly leadership report: who issues it, when `serve` writes it, who receives it.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    pub organization: String,
    pub parent_organization: Option<String>,
    /// The place in the date line (`Cần Giờ, ngày ...`).
    pub place: String,
    pub signer: String,
    /// Weekday and local hour (Asia/Ho_Chi_Minh) at which `serve` writes last week's report; None: off.
    pub schedule: Option<(chrono::Weekday, u32)>,
    /// Local hour at which `serve` mails the overview to `email_to` each morning; None: off.
    pub digest_hour: Option<u32>,
    pub email_to: Vec<String>,
    pub attach: Vec<crate::model::ReportFormat>,
    /// The ids of the localities the report is about (the office's own); the others configured are
    /// tagged and searchable but are not "the locality" of the report. Default: all.
    pub localities: Vec<String>,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            organization: "Bộ phận theo dõi báo chí".into(),
            parent_organization: None,
            place: "Việt Nam".into(),
            signer: "Người lập báo cáo".into(),
            schedule: Some((chrono::Weekday::Mon, 7)),
            digest_hour: Some(7),
            email_to: Vec::new(),
            attach: vec![crate::model::ReportFormat::Docx, crate::model::ReportFormat::Html],
            localities: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP: only for a relay on this machine or a trusted network.
    None,
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub username: Option<String>,
    /// The password is read from this environment variable when mail is sent, never from the file.
    pub password_env: String,
    pub tls: SmtpTls,
    pub timeout: Duration,
}

pub(super) fn validate_report(at: &At, r: &RawReport, localities: &[Locality]) -> Result<ReportConfig, ConfigError> {
    let mut c = ReportConfig::default();
    let text = |v: &Option<String>, key: &str, slot: &mut String| -> Result<(), ConfigError> {
        if let Some(v) = v {
            if v.trim().is_empty() {
                return Err(at.err(format!("report.{key}"), "must not be empty"));
            }
            *slot = v.trim().to_string();
        }
        Ok(())
    };
    text(&r.organization, "organization", &mut c.organization)?;
    c.localities = match &r.localities {
        None => localities.iter().map(|l| l.id.clone()).collect(),
        Some(ids) => {
            for (j, id) in ids.iter().enumerate() {
                if !localities.iter().any(|l| &l.id == id) {
                    return Err(at.err(format!("report.localities[{j}]"), format!("unknown locality \"{id}\"")));
                }
            }
            ids.clone()
        }
    };
    let first = c.localities.first().and_then(|id| localities.iter().find(|l| &l.id == id));
    c.place = first.map(|l| l.name.clone()).unwrap_or(c.place);
    text(&r.place, "place", &mut c.place)?;
    text(&r.signer, "signer", &mut c.signer)?;
    c.parent_organization = r.parent_organization.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let weekday = match r.weekday.as_deref() {
        None => chrono::Weekday::Mon,
        Some(w) => w
            .parse::<chrono::Weekday>()
            .map_err(|_| at.err("report.weekday", format!("\"{w}\" is not a weekday like \"mon\" or \"monday\"")))?,
    };
    let hour = match r.hour {
        None => 7,
        Some(h) if (0..=23).contains(&h) => h as u32,
        Some(h) => return Err(at.err("report.hour", format!("{h} is out of range 0..=23"))),
    };
    c.schedule = r.schedule.unwrap_or(true).then_some((weekday, hour));
    let digest_hour = match r.digest_hour {
        None => 7,
        Some(h) if (0..=23).contains(&h) => h as u32,
        Some(h) => return Err(at.err("report.digest_hour", format!("{h} is out of range 0..=23"))),
    };
    c.digest_hour = r.digest.unwrap_or(true).then_some(digest_hour);
    for (i, m) in r.email_to.iter().flatten().enumerate() {
        check_mailbox(at, &format!("report.email_to[{i}]"), m)?;
    }
    c.email_to = r.email_to.clone().unwrap_or_default();
    if let Some(a) = &r.attach {
        c.attach = Vec::new();
        for (i, f) in a.iter().enumerate() {
            let f = crate::model::ReportFormat::parse(f)
                .ok_or_else(|| at.err(format!("report.attach[{i}]"), format!("\"{f}\" is not one of html, docx, md, json")))?;
            if !c.attach.contains(&f) {
                c.attach.push(f);
            }
        }
    }
    Ok(c)
}

pub(super) fn validate_smtp(at: &At, s: &RawSmtp) -> Result<SmtpConfig, ConfigError> {
    if s.host.trim().is_empty() || s.host.contains(['/', ' ']) {
        return Err(at.err("smtp.host", format!("\"{}\" is not a host name", s.host)));
    }
    let tls = match s.tls.as_deref().unwrap_or("starttls") {
        "none" => SmtpTls::None,
        "starttls" => SmtpTls::Starttls,
        "tls" => SmtpTls::Tls,
        other => return Err(at.err("smtp.tls", format!("\"{other}\" is not one of none, starttls, tls"))),
    };
    let port = match s.port {
        None => match tls {
            SmtpTls::Tls => 465,
            _ => 587,
        },
        Some(p) if (1..=65535).contains(&p) => p as u16,
        Some(p) => return Err(at.err("smtp.port", format!("{p} is out of range 1..=65535"))),
    };
    check_mailbox(at, "smtp.from", &s.from)?;
    let timeout = match &s.timeout {
        None => Duration::from_secs(30),
        Some(t) => parse_duration(t).map_err(|m| at.err("smtp.timeout", m))?,
    };
    Ok(SmtpConfig {
        host: s.host.trim().to_string(),
        port,
        from: s.from.clone(),
        username: s.username.clone().filter(|u| !u.is_empty()),
        password_env: s.password_env.clone().unwrap_or_else(|| "PRESSWATCH_SMTP_PASSWORD".into()),
        tls,
        timeout,
    })
}

pub(super) fn validate_evidence(evidence: Option<(PathBuf, &RawEvidence)>) -> Result<EvidenceConfig, ConfigError> {
    let mut evidence_cfg = EvidenceConfig::default();
    if let Some((p, e)) = evidence {
        let at = At(&p);
        evidence_cfg.keep_raw = e.keep_raw.unwrap_or(true);
        if let Some(v) = &e.recheck_interval {
            evidence_cfg.recheck_interval = parse_duration(v).map_err(|m| at.err("evidence.recheck_interval", m))?;
            if evidence_cfg.recheck_interval < Duration::from_secs(60) {
                return Err(at.err("evidence.recheck_interval", "must be at least 1m: a re-check is a request to the outlet"));
            }
        }
    }
    Ok(evidence_cfg)
}
