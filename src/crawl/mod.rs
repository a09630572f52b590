//! Crawling: schedule → fetch → discover → fetch page → extract → analyze → store. See `pass`.

pub mod discover;
pub mod fetch;
pub mod urlnorm;
