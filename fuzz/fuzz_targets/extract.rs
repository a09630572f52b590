//! Charset decoding and article extraction on any bytes a page may hold.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = presswatch::extract::charset::decode(data, Some("text/html"));
    let _ = presswatch::extract::extract(&text, Some("https://bao.example/tin/1.html"), &Default::default());
    let _ = presswatch::extract::nesting::xml_depth(&text);
});
