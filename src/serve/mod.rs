//! The daemon: what `serve` runs besides the web server.

pub mod pipeline;
