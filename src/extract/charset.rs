//! Bytes to text: the charset comes from the byte-order mark, then the HTTP header, then the document's
//! own declaration (`<meta charset>`, `http-equiv`, `<?xml encoding?>`), then UTF-8. Legacy Vietnamese
//! encodings (windows-1258) decode to decomposed text, so callers normalise to NFC afterwards.

use encoding_rs::Encoding;

pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let enc = sniff(bytes, content_type);
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

pub fn sniff(bytes: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    if let Some(enc) = content_type.and_then(charset_param).and_then(|l| Encoding::for_label(l.as_bytes())) {
        return enc;
    }
    let head = &bytes[..bytes.len().min(4096)];
    if let Some(enc) = declared_in_document(head) {
        return enc;
    }
    encoding_rs::UTF_8
}

fn charset_param(ct: &str) -> Option<String> {
    ct.split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_string())
}

fn declared_in_document(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    for key in [&b"charset="[..], &b"encoding="[..]] {
        let mut from = 0;
        while let Some(pos) = find(&lower[from..], key) {
            let start = from + pos + key.len();
            let rest = &lower[start..];
            let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
            let end =
                rest.iter().position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))).unwrap_or(rest.len());
            if let Some(enc) = Encoding::for_label(&rest[..end]) {
                // a page served as UTF-16 cannot declare itself in ASCII; the declaration is wrong
                if enc != encoding_rs::UTF_16LE && enc != encoding_rs::UTF_16BE {
                    return Some(enc);
                }
            }
            from = start;
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_then_meta_then_utf8() {
        // "Biển Đông" in windows-1258: ê (0xEA) + combining hook (0xD2), Đ (0xD0), ô (0xF4)
        let bytes = b"Bi\xEA\xD2n \xD0\xF4ng";
        let html = [b"<html><head><meta charset=\"windows-1258\"></head><body>".to_vec(), bytes.to_vec()].concat();
        let text = crate::text::normalize(&decode(&html, None));
        assert!(text.contains("Biển Đông"), "{text}");
        assert!(decode("Đà Nẵng".as_bytes(), Some("text/html; charset=utf-8")).contains("Đà Nẵng"));
        let latin1 = decode(&[0x63, 0x61, 0x66, 0xe9], Some("text/html; charset=ISO-8859-1"));
        assert_eq!(latin1, "café");
    }

    #[test]
    fn bom_wins() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("Huế".as_bytes());
        assert_eq!(decode(&b, Some("text/html; charset=iso-8859-1")), "Huế");
    }

    #[test]
    fn xml_declaration() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><rss>Hu\xEA\xEC</rss>";
        assert!(crate::text::normalize(&decode(bytes, None)).contains("Huế"));
    }
}
