//! E-mail delivery over SMTP (lettre): the report as the message body (HTML, with the Markdown as
//! the plain-text alternative) plus the configured attachments.

use super::{file_name, render, Format, Report, ReportError};
use crate::config::{SmtpConfig, SmtpTls};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

fn mail_err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Mail(e.to_string())
}

/// A message from `from` to every address of `to` under `subject`, the body still to come; an
/// address that does not parse is the error.
pub fn addressed(from: &str, to: &[String], subject: String) -> Result<lettre::message::MessageBuilder, ReportError> {
    let mut b = Message::builder().from(from.parse::<Mailbox>().map_err(mail_err)?).subject(subject);
    for t in to {
        b = b.to(t.parse::<Mailbox>().map_err(mail_err)?);
    }
    Ok(b)
}

/// Builds the message; separate from sending so it can be checked without a server.
pub fn message(r: &Report, from: &str, to: &[String], attach: &[Format]) -> Result<Message, ReportError> {
    let (title, subtitle) = super::layout::title(r);
    let b = addressed(from, to, format!("{title}: {subtitle}"))?;
    let html = String::from_utf8(render(r, Format::Html)?).map_err(mail_err)?;
    let text = String::from_utf8(render(r, Format::Md)?).map_err(mail_err)?;
    let mut body = MultiPart::mixed().multipart(MultiPart::alternative_plain_html(text, html));
    for f in attach {
        let ct = ContentType::parse(f.mime()).map_err(mail_err)?;
        body = body.singlepart(Attachment::new(file_name(r, *f)).body(render(r, *f)?, ct));
    }
    b.multipart(body).map_err(mail_err)
}

pub async fn send(smtp: &SmtpConfig, msg: Message) -> Result<(), ReportError> {
    type T = AsyncSmtpTransport<Tokio1Executor>;
    let mut builder = match smtp.tls {
        SmtpTls::None => T::builder_dangerous(&smtp.host),
        SmtpTls::Starttls => T::starttls_relay(&smtp.host).map_err(mail_err)?,
        SmtpTls::Tls => T::relay(&smtp.host).map_err(mail_err)?,
    }
    .port(smtp.port)
    .timeout(Some(smtp.timeout));
    if let Some(user) = &smtp.username {
        let password = std::env::var(&smtp.password_env)
            .map_err(|_| ReportError::Mail(format!("smtp.username is set but the environment variable {} is not", smtp.password_env)))?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    builder.build().send(msg).await.map(|_| ()).map_err(|e| ReportError::Mail(format!("{}:{}: {e}", smtp.host, smtp.port)))
}
