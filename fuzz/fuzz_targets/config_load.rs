//! The configuration loader on any file: an error that names the key, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("presswatch-fuzz-config-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("presswatch.toml");
    if std::fs::write(&path, data).is_ok() {
        let _ = presswatch::config::Config::load(&path);
    }
});
