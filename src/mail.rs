//! Mail out over SMTP (lettre): addressing and the transport that reports, the morning digest and
//! alerts all go through. What a message says is each sender's own business.

use crate::config::{SmtpConfig, SmtpTls};
use lettre::message::{Mailbox, MessageBuilder};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("address {address:?}: {message}")]
    Address { address: String, message: String },
    #[error("smtp.username is set but the environment variable {0} is not")]
    NoPassword(String),
    #[error("{0}")]
    Build(String),
    #[error("{host}:{port}: {message}")]
    Send { host: String, port: u16, message: String },
}

/// A message from `from` to every address of `to` under `subject`, the body still to come; an
/// address that does not parse is the error.
pub fn addressed(from: &str, to: &[String], subject: String) -> Result<MessageBuilder, MailError> {
    let mailbox = |a: &str| a.parse::<Mailbox>().map_err(|e| MailError::Address { address: a.to_string(), message: e.to_string() });
    let mut b = Message::builder().from(mailbox(from)?).subject(subject);
    for t in to {
        b = b.to(mailbox(t)?);
    }
    Ok(b)
}

/// Sends one message through the configured relay.
pub async fn send(smtp: &SmtpConfig, msg: Message) -> Result<(), MailError> {
    type T = AsyncSmtpTransport<Tokio1Executor>;
    let fail = |e: &dyn std::fmt::Display| MailError::Send { host: smtp.host.clone(), port: smtp.port, message: e.to_string() };
    let mut builder = match smtp.tls {
        SmtpTls::None => T::builder_dangerous(&smtp.host),
        SmtpTls::Starttls => T::starttls_relay(&smtp.host).map_err(|e| fail(&e))?,
        SmtpTls::Tls => T::relay(&smtp.host).map_err(|e| fail(&e))?,
    }
    .port(smtp.port)
    .timeout(Some(smtp.timeout));
    if let Some(user) = &smtp.username {
        let password = std::env::var(&smtp.password_env).map_err(|_| MailError::NoPassword(smtp.password_env.clone()))?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    builder.build().send(msg).await.map(|_| ()).map_err(|e| fail(&e))
}
