//! The report as an e-mail: the report as the message body (HTML, with the Markdown as the
//! plain-text alternative) plus the configured attachments. `mail` sends it.

use super::{file_name, render, Format, Report, ReportError};
use crate::mail::addressed;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};
use lettre::Message;

fn mail_err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Mail(e.to_string())
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
