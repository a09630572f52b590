//! Language identification that stays right where whatlang alone is not: Vietnamese typed without
//! diacritics, Lao (unknown to whatlang), short texts (hints decide), and CJK by script.

use crate::text;

/// Folded Vietnamese syllables that are frequent in news and rare as English or French words.
const VI_SYLLABLES: &[&str] = &[
    "cua", "cac", "nhung", "duoc", "trong", "nguoi", "khong", "mot", "nay", "voi", "tai", "tinh", "huyen", "viet",
    "nhieu", "nhu", "cung", "chinh", "quyen", "nuoc", "ngay", "thanh", "truoc", "tren", "nhat", "lam", "moi",
    "dau", "den", "khi", "cho", "dan", "bien", "dao", "viec", "theo", "thu", "tich", "dinh", "phat", "trien",
    "kinh", "hien", "nhien", "luc", "luong", "quan", "doi", "chuc", "uy", "thuong", "truong", "nguyen", "tran",
    "pham", "hoang", "huynh", "xa", "hoi", "nhan", "trung", "quoc", "dong", "gioi", "phuong", "thong", "tin",
    "biet", "ngoai", "giao", "chu", "nghia", "tang", "giam", "dia", "phuc", "ngan", "sach", "nghi", "vao", "ra",
    "cap", "sau", "thi", "bo", "nha", "nam", "thang", "lanh", "dao", "duong", "sang", "chieu", "toi", "hom",
];

pub struct Hints<'a> {
    /// From the page (`<html lang>`, content-language).
    pub page: Option<&'a str>,
    /// From the source's configuration.
    pub source: Option<&'a str>,
}

/// Two-letter code for the language of `title` + `body`.
pub fn identify(title: &str, body: &str, hints: &Hints) -> String {
    let mut sample = String::with_capacity(4096);
    sample.push_str(title);
    sample.push('\n');
    let body_cut = body.char_indices().nth(3000).map(|(i, _)| i).unwrap_or(body.len());
    sample.push_str(&body[..body_cut]);

    if let Some(code) = by_script(&sample) {
        return code.to_string();
    }
    if text::vietnamese_letter_ratio(&sample) > 0.02 {
        return "vi".into();
    }
    let words = text::words(&sample);
    let latin_words: Vec<String> = words.iter().filter(|w| !w.bigram).map(|w| w.folded()).collect();
    if !latin_words.is_empty() {
        let vi = latin_words.iter().filter(|w| VI_SYLLABLES.contains(&w.as_str())).count();
        // Vietnamese without diacritics: many short syllables from the common list
        let avg_len = latin_words.iter().map(|w| w.len()).sum::<usize>() as f64 / latin_words.len() as f64;
        if vi as f64 / latin_words.len() as f64 >= 0.3 && avg_len < 5.0 {
            return "vi".into();
        }
    }
    let hint = hints.page.and_then(normalize_hint).or_else(|| hints.source.and_then(normalize_hint));
    let detector = whatlang::Detector::new();
    match detector.detect(&sample) {
        Some(info) if info.is_reliable() || (hint.is_none() && sample.len() > 200) => to_iso1(info.lang()),
        Some(info) => hint.unwrap_or_else(|| to_iso1(info.lang())),
        None => hint.unwrap_or_else(|| "und".into()),
    }
}

fn normalize_hint(h: &str) -> Option<String> {
    let primary = h.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    ((2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase())).then_some(primary)
}

fn by_script(s: &str) -> Option<&'static str> {
    let (mut han, mut kana, mut hangul, mut lao, mut thai, mut khmer, mut cyr, mut latin) = (0, 0, 0, 0, 0, 0, 0, 0);
    for c in s.chars() {
        match c as u32 {
            0x0E80..=0x0EFF => lao += 1,
            0x0E00..=0x0E7F => thai += 1,
            0x1780..=0x17FF => khmer += 1,
            0x3040..=0x30FF => kana += 1,
            0xAC00..=0xD7AF | 0x1100..=0x11FF => hangul += 1,
            0x4E00..=0x9FFF | 0x3400..=0x4DBF => han += 1,
            0x0400..=0x04FF => cyr += 1,
            _ if c.is_alphabetic() => latin += 1,
            _ => {}
        }
    }
    let non_latin = han + kana + hangul + lao + thai + khmer + cyr;
    // Latin letters in a CJK article (names, acronyms) are common; count each CJK char as a word's worth
    if non_latin * 3 < latin {
        return None;
    }
    let best = [(lao, "lo"), (thai, "th"), (khmer, "km"), (hangul, "ko"), (cyr, "ru")]
        .into_iter()
        .max_by_key(|(n, _)| *n)
        .filter(|(n, _)| *n > 0);
    if kana > 0 && kana * 10 >= han && kana >= hangul {
        return Some("ja");
    }
    match best {
        Some((n, code)) if n >= han => Some(code),
        _ if han > 0 => Some("zh"),
        _ => None,
    }
}

fn to_iso1(l: whatlang::Lang) -> String {
    use whatlang::Lang::*;
    match l {
        Eng => "en",
        Fra => "fr",
        Vie => "vi",
        Cmn => "zh",
        Jpn => "ja",
        Kor => "ko",
        Deu => "de",
        Spa => "es",
        Rus => "ru",
        Ind => "id",
        Tha => "th",
        Khm => "km",
        Por => "pt",
        Ita => "it",
        Nld => "nl",
        Tgl => "tl",
        other => return other.code().to_string(),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    const NO: Hints = Hints { page: None, source: None };

    #[test]
    fn vietnamese_with_and_without_diacritics() {
        assert_eq!(identify("Tỉnh tổ chức hội nghị về phát triển kinh tế biển", "", &NO), "vi");
        assert_eq!(identify("Tinh to chuc hoi nghi ve phat trien kinh te bien", "", &NO), "vi");
        assert_eq!(identify("Nguoi dan huyen Can Gio don Tet", "", &NO), "vi");
    }

    #[test]
    fn scripts() {
        assert_eq!(identify("南海局势引发关注", "", &NO), "zh");
        assert_eq!(identify("南シナ海の情勢について", "", &NO), "ja");
        assert_eq!(identify("남중국해 분쟁 격화", "", &NO), "ko");
        assert_eq!(identify("ລັດຖະບານລາວ ແລະ ຫວຽດນາມ", "", &NO), "lo");
    }

    #[test]
    fn latin_languages_and_hints() {
        assert_eq!(
            identify("Tensions rise in the South China Sea", "The government said on Monday that the patrol vessels had returned to port after a week.", &NO),
            "en"
        );
        assert_eq!(
            identify("La situation en mer de Chine méridionale", "Le gouvernement a annoncé lundi que les navires étaient rentrés au port après une semaine.", &NO),
            "fr"
        );
        // too short to tell: the hint decides
        assert_eq!(identify("Hanoi", "", &Hints { page: Some("fr-FR"), source: Some("en") }), "fr");
    }
}
