//! The one integration-test binary (each extra binary costs a link on a 2-core machine).
//! Everything is served from 127.0.0.x by `fixture`; nothing here touches the internet.

mod integration {
    pub mod browser;
    pub mod cli;
    pub mod crawl;
    pub mod fixture;
    pub mod layout;
    pub mod report;
    pub mod shared_eval;
    pub mod stories;
    pub mod topic_senses;
    pub mod watch;
    pub mod web;
    pub mod webapp;
}
