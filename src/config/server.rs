//! `[server]`: the web server's address, sessions and limits.

use super::raw::RawServer;
use super::{parse_duration_in, At, ConfigError};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: std::net::SocketAddr,
    /// A session ends after this long without a request (and after 7 days in any case).
    pub session_idle: Duration,
    /// Always mark cookies `Secure` (set this behind a TLS proxy that does not send
    /// `X-Forwarded-Proto: https`; with that header they are marked anyway).
    pub secure_cookies: bool,
    /// The address users reach the web UI at; links in reports and e-mails point there.
    pub public_url: String,
    /// A connection that has not sent a whole request head this long after opening, or after its
    /// last response (an idle keep-alive), is closed.
    pub header_read_timeout: Duration,
    /// Longest time one request may take, body included; then it is answered 408.
    pub request_timeout: Duration,
    /// Connections open at once, from everyone; more wait to be accepted.
    pub max_connections: usize,
    /// Connections open at once from one address; more are closed at once.
    pub max_connections_per_address: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: ([127, 0, 0, 1], 8080).into(),
            session_idle: Duration::from_secs(8 * 3600),
            secure_cookies: false,
            public_url: "http://127.0.0.1:8080".into(),
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            max_connections: 1024,
            max_connections_per_address: 128,
        }
    }
}

pub(super) fn validate(server: Option<(PathBuf, &RawServer)>) -> Result<ServerConfig, ConfigError> {
    Ok(match server {
        None => ServerConfig::default(),
        Some((p, s)) => {
            let listen = s.listen.as_deref().unwrap_or("127.0.0.1:8080");
            let mut server = ServerConfig {
                listen: listen
                    .parse()
                    .map_err(|e| At(&p).err("server.listen", format!("\"{listen}\" is not an address like 127.0.0.1:8080 ({e})")))?,
                secure_cookies: s.secure_cookies.unwrap_or(false),
                ..ServerConfig::default()
            };
            if let Some(v) = &s.session_idle {
                server.session_idle = parse_duration_in(v, Duration::from_secs(1), Duration::from_secs(7 * 86_400))
                    .map_err(|m| At(&p).err("server.session_idle", m))?;
            }
            let bounded = |v: &Option<String>, key: &str, min: u64, max: u64, slot: &mut Duration| -> Result<(), ConfigError> {
                if let Some(v) = v {
                    *slot = parse_duration_in(v, Duration::from_secs(min), Duration::from_secs(max))
                        .map_err(|m| At(&p).err(format!("server.{key}"), m))?;
                }
                Ok(())
            };
            bounded(&s.header_read_timeout, "header_read_timeout", 1, 600, &mut server.header_read_timeout)?;
            bounded(&s.request_timeout, "request_timeout", 1, 3600, &mut server.request_timeout)?;
            let count = |v: Option<i64>, key: &str, slot: &mut usize| -> Result<(), ConfigError> {
                match v {
                    Some(n) if !(1..=100_000).contains(&n) => {
                        Err(At(&p).err(format!("server.{key}"), format!("{n} is out of range 1..=100000")))
                    }
                    Some(n) => {
                        *slot = n as usize;
                        Ok(())
                    }
                    None => Ok(()),
                }
            };
            count(s.max_connections, "max_connections", &mut server.max_connections)?;
            count(s.max_connections_per_address, "max_connections_per_address", &mut server.max_connections_per_address)?;
            server.public_url = match &s.public_url {
                Some(u) => {
                    let parsed = url::Url::parse(u).map_err(|e| At(&p).err("server.public_url", format!("invalid URL \"{u}\": {e}")))?;
                    if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
                        return Err(At(&p).err("server.public_url", format!("\"{u}\" is not an http(s) address without a query")));
                    }
                    u.trim_end_matches('/').to_string()
                }
                None => format!("http://{}", server.listen),
            };
            server
        }
    })
}
