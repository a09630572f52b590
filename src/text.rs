//! Text normalisation and word segmentation shared by analysis (tagging) and search (indexing, queries).
//!
//! Vietnamese text reaches us in NFC, NFD, with old- or new-style tone placement (`hoà`/`hòa`) and with the
//! look-alike `Ð` (U+00D0) for `Đ`. Every word gets two keys so that all of these compare equal:
//! - `exact`: lowercase, tone mark moved to a suffix, so placement variants collapse but diacritics stay;
//! - `folded`: lowercase with every diacritic removed (`đ` → `d`), for queries typed without diacritics.
//!
//! Scripts written without spaces (Chinese, Japanese, Lao, Thai, Khmer, Myanmar) and Korean become
//! overlapping character bigrams: the lightest tokenisation that makes them searchable.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// NFC plus the look-alike fixes; run on every text before analysis or storage.
pub fn normalize(s: &str) -> String {
    // most pages are NFC already and free of the look-alikes: then this is one scan, not a
    // decompose-recompose of every character (a measurable share of extraction)
    let lookalike = |c: char| matches!(c, '\u{00D0}' | '\u{00F0}' | '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{200B}' | '\u{FEFF}');
    if unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes && !s.chars().any(lookalike) {
        return s.to_string();
    }
    s.nfc()
        .map(|c| match c {
            '\u{00D0}' => '\u{0110}', // Icelandic Eth used for Vietnamese Đ
            '\u{00F0}' => '\u{0111}',
            '\u{00A0}' | '\u{2007}' | '\u{202F}' => ' ',
            '\u{200B}' | '\u{FEFF}' => '\u{200B}',
            c => c,
        })
        .filter(|c| *c != '\u{200B}')
        .collect()
}

const TONE_MARKS: [(char, char); 5] = [
    ('\u{0300}', '2'), // huyền
    ('\u{0301}', '1'), // sắc
    ('\u{0303}', '4'), // ngã
    ('\u{0309}', '3'), // hỏi
    ('\u{0323}', '5'), // nặng
];

/// Lowercase key that keeps diacritics but not the position of the tone mark: `Hoà`, `hòa` → `hoa₂`.
pub fn exact_key(word: &str) -> String {
    keys(word).0
}

/// Both keys of a word in one pass: `(exact_key, fold)`. ASCII words (most foreign text, and
/// Vietnamese typed without diacritics) skip Unicode decomposition entirely; words of precomposed
/// Latin letters (Vietnamese in NFC) are keyed a letter at a time from a table; anything else
/// (decomposed marks, other scripts) is decomposed and recomposed.
pub fn keys(word: &str) -> (String, String) {
    if word.is_ascii() {
        let k = word.to_ascii_lowercase();
        return (k.clone(), k);
    }
    keys_by_table(word).unwrap_or_else(|| keys_decomposed(word))
}

/// One precomposed letter's share of the keys: lowercase with its tone mark taken off (other marks
/// kept, composed), lowercase with every mark taken off, and its tone digit.
#[derive(Clone, Copy)]
struct LetterKeys {
    base: char,
    folded: char,
    tone: Option<char>,
}

/// Latin-1 Supplement to Latin Extended-B, then Latin Extended Additional (every Vietnamese letter).
const TABLE_RANGES: [(u32, u32); 2] = [(0x00C0, 0x0250), (0x1E00, 0x1F00)];

/// Built once from `keys_decomposed` itself, so the two paths cannot disagree on a letter; letters
/// that do not key to exactly one character each way are left to the slow path.
static LETTER_KEYS: std::sync::LazyLock<Vec<Option<LetterKeys>>> = std::sync::LazyLock::new(|| {
    TABLE_RANGES
        .iter()
        .flat_map(|&(lo, hi)| lo..hi)
        .map(|u| {
            let c = char::from_u32(u)?;
            if !c.is_alphabetic() {
                return None;
            }
            let (exact, folded) = keys_decomposed(c.encode_utf8(&mut [0; 4]));
            let mut e = exact.chars();
            let base = e.next()?;
            let tone = match (e.next(), e.next(), e.next()) {
                (None, _, _) => None,
                (Some('\u{2080}'), Some(d), None) => Some(d),
                _ => return None,
            };
            let mut f = folded.chars();
            let folded = f.next()?;
            if f.next().is_some() {
                return None;
            }
            Some(LetterKeys { base, folded, tone })
        })
        .collect()
});

fn letter_keys(c: char) -> Option<LetterKeys> {
    let u = c as u32;
    let mut offset = 0;
    for (lo, hi) in TABLE_RANGES {
        if (lo..hi).contains(&u) {
            return LETTER_KEYS[offset + (u - lo) as usize];
        }
        offset += (hi - lo) as usize;
    }
    None
}

/// `keys` for a word of ASCII and precomposed letters; None when any other character is in it.
/// Per-letter keys concatenate to the word's keys because every such letter is a starter: NFC
/// never composes across them.
fn keys_by_table(word: &str) -> Option<(String, String)> {
    let mut tone = None;
    let mut base = String::with_capacity(word.len());
    let mut folded = String::with_capacity(word.len());
    for c in word.chars() {
        if c.is_ascii() {
            let l = c.to_ascii_lowercase();
            base.push(l);
            folded.push(l);
            continue;
        }
        let k = letter_keys(c)?;
        if let Some(t) = k.tone {
            tone.get_or_insert(t);
        }
        base.push(k.base);
        folded.push(k.folded);
    }
    if let Some(d) = tone {
        base.push('\u{2080}');
        base.push(d);
    }
    Some((base, folded))
}

/// `keys` by decomposition: correct for any input, and the reference for the letter table.
fn keys_decomposed(word: &str) -> (String, String) {
    let mut tone = None;
    let mut base = String::with_capacity(word.len());
    let mut folded = String::with_capacity(word.len());
    for c in word.nfd() {
        if let Some((_, digit)) = TONE_MARKS.iter().find(|(m, _)| *m == c) {
            tone.get_or_insert(*digit);
            continue;
        }
        match c {
            '\u{00D0}' | '\u{0110}' | '\u{00F0}' | 'đ' => {
                base.push('đ');
                folded.push('d');
            }
            c if is_combining_mark(c) => base.push(c),
            c => {
                for l in c.to_lowercase() {
                    base.push(l);
                    folded.push(l);
                }
            }
        }
    }
    let mut exact: String = base.nfc().collect();
    if let Some(d) = tone {
        exact.push('\u{2080}'); // subscript marker, cannot occur in a normalised word
        exact.push(d);
    }
    (exact, folded)
}

/// Lowercase key with every diacritic removed: `Đảo` → `dao`.
pub fn fold(word: &str) -> String {
    keys(word).1
}

/// Whether `inner`'s words occur in a row in `outer`, compared folded (`tàu Cần Giờ` holds
/// `Can Gio`).
pub fn contains_phrase(outer: &str, inner: &str) -> bool {
    let key = |s: &str| words(&normalize(s)).iter().map(|w| fold(w.raw)).collect::<Vec<_>>();
    let (outer, inner) = (key(outer), key(inner));
    !inner.is_empty() && outer.windows(inner.len()).any(|w| w == inner.as_slice())
}

/// True when the word carries any diacritic, i.e. its exact and folded forms differ.
pub fn has_diacritics(word: &str) -> bool {
    word.chars().any(|c| !c.is_ascii() && is_latin_letter(c)) || word.nfd().any(is_combining_mark)
}

fn is_latin_letter(c: char) -> bool {
    matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF)
}

/// Scripts tokenised as character bigrams.
pub fn is_bigram_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF     // Thai, Lao
        | 0x1000..=0x109F   // Myanmar
        | 0x1780..=0x17FF   // Khmer
        | 0x1100..=0x11FF   // Hangul Jamo
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK ext A
        | 0x4E00..=0x9FFF   // CJK
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF
        | 0x20000..=0x2FFFF)
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    is_letter(c) || c.is_alphanumeric() || is_combining_mark(c)
}

/// `char::is_alphabetic`, answered without Unicode's tables for ASCII and the Latin letters of
/// Vietnamese (Latin-1 to Latin Extended-B, Latin Extended Additional): those lookups were a
/// measurable share of tagging and indexing.
pub fn is_letter(c: char) -> bool {
    match c as u32 {
        0..=0x7F => c.is_ascii_alphabetic(),
        0xC0..=0x24F => c != '×' && c != '÷',
        0x1E00..=0x1EFF => true,
        _ => c.is_alphabetic(),
    }
}

/// One word (or one character bigram) of a text, with byte offsets into the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'a> {
    pub start: usize,
    pub end: usize,
    pub raw: &'a str,
    /// First letter uppercase: proper names must match as proper names.
    pub capitalized: bool,
    pub all_caps: bool,
    /// True for a CJK/Lao/... bigram or lone character.
    pub bigram: bool,
}

impl Word<'_> {
    pub fn exact(&self) -> String {
        if self.bigram {
            self.raw.to_string()
        } else {
            exact_key(self.raw)
        }
    }
    pub fn folded(&self) -> String {
        if self.bigram {
            self.raw.to_string()
        } else {
            fold(self.raw)
        }
    }
}

/// Splits text into words. Punctuation (commas included) separates words but is not a word, so
/// positions stay consecutive across it and phrases are not broken by it.
pub fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut iter = text.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        if is_bigram_script(c) {
            // collect the run of bigram-script characters
            let mut chars = vec![(start, c)];
            while let Some(&(i, c2)) = iter.peek() {
                if is_bigram_script(c2) {
                    chars.push((i, c2));
                    iter.next();
                } else if is_combining_mark(c2) {
                    iter.next(); // Lao/Thai vowel signs and tone marks stay inside the run
                } else {
                    break;
                }
            }
            let run_end = iter.peek().map(|(i, _)| *i).unwrap_or(text.len());
            let bounds: Vec<usize> = chars.iter().map(|(i, _)| *i).chain(std::iter::once(run_end)).collect();
            if chars.len() == 1 {
                out.push(bigram_word(text, bounds[0], bounds[1]));
            } else {
                for k in 0..chars.len() - 1 {
                    out.push(bigram_word(text, bounds[k], bounds[k + 2]));
                }
            }
            continue;
        }
        if !is_word_char(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c2)) = iter.peek() {
            if is_word_char(c2) && !is_bigram_script(c2) {
                end = i + c2.len_utf8();
                iter.next();
            } else {
                break;
            }
        }
        let raw = &text[start..end];
        let capitalized = c.is_uppercase();
        let all_caps = capitalized && raw.chars().filter(|c| c.is_alphabetic()).all(|c| !c.is_lowercase());
        out.push(Word { start, end, raw, capitalized, all_caps, bigram: false });
    }
    out
}

fn bigram_word(text: &str, start: usize, end: usize) -> Word<'_> {
    Word { start, end, raw: &text[start..end], capitalized: false, all_caps: false, bigram: true }
}

/// A text is "plain" when it has Latin words but (almost) no diacritics: Vietnamese typed without
/// diacritics, or a foreign language. Folded matching is allowed only on plain text.
pub fn is_plain(text: &str) -> bool {
    is_plain_parts(&[text])
}

/// `is_plain` over several parts taken together (title and body), without joining them.
pub fn is_plain_parts(parts: &[&str]) -> bool {
    let mut latin = 0usize;
    let mut marked = 0usize;
    for c in parts.iter().flat_map(|p| p.chars()) {
        if c.is_ascii_alphabetic() {
            latin += 1;
        } else if is_latin_letter(c) {
            latin += 1;
            marked += 1;
        }
    }
    latin > 0 && marked * 100 <= latin
}

/// Counts characters with Vietnamese-only letters or tone marks; used by language identification.
pub fn vietnamese_letter_ratio(text: &str) -> f64 {
    let mut letters = 0usize;
    let mut vi = 0usize;
    for c in text.chars() {
        if is_letter(c) {
            letters += 1;
            if is_vietnamese_letter(c) {
                vi += 1;
            }
        }
    }
    if letters == 0 {
        0.0
    } else {
        vi as f64 / letters as f64
    }
}

fn is_vietnamese_letter(c: char) -> bool {
    // ă â đ ê ô ơ ư and every precomposed letter in Latin Extended Additional's Vietnamese block
    matches!(c, 'ă' | 'Ă' | 'đ' | 'Đ' | 'ơ' | 'Ơ' | 'ư' | 'Ư') || matches!(c as u32, 0x1EA0..=0x1EF9)
}

/// HTML-escapes text for the few places that build HTML outside templates.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A word as the index keys it: bigram scripts as they are, else folded or exact.
pub fn index_key(word: &str, folded: bool) -> String {
    if word.chars().next().is_some_and(is_bigram_script) {
        word.to_string()
    } else if folded {
        fold(word)
    } else {
        exact_key(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letter_table_keys_as_decomposition_does() {
        // every letter of the table ranges alone, and beside others in every case and position
        let letters: Vec<char> =
            TABLE_RANGES.iter().flat_map(|&(lo, hi)| lo..hi).filter_map(char::from_u32).filter(|c| c.is_alphabetic()).collect();
        assert!(letters.len() > 400);
        for (i, c) in letters.iter().enumerate() {
            let other = letters[(i * 7 + 3) % letters.len()];
            for w in [c.to_string(), format!("Ng{c}"), format!("{c}{other}x"), format!("{other}{c}")] {
                assert_eq!(keys(&w), keys_decomposed(&w), "word {w:?} ({:04X})", *c as u32);
            }
        }
        for w in ["Nguyễn", "TRƯỜNG", "Hoà", "hòa", "Ðà", "quốc", "nghiêng", "Ưu", "Ỷ", "café"] {
            assert_eq!(keys(w), keys_decomposed(w), "{w}");
            assert!(keys_by_table(w).is_some(), "{w} takes the table");
        }
        // decomposed input is never keyed by the table
        let nfd: String = "Biển".nfd().collect();
        assert!(keys_by_table(&nfd).is_none());
        assert_eq!(keys(&nfd), keys("Biển"));
        // the shortcut for Latin letters agrees with Unicode
        assert!((0..0x2000).filter_map(char::from_u32).all(|c| is_letter(c) == c.is_alphabetic()));
    }

    #[test]
    fn nfd_and_nfc_give_the_same_keys() {
        let nfc = "Biển Đảo";
        let nfd: String = nfc.nfd().collect();
        let a: Vec<String> = words(&normalize(nfc)).iter().map(|w| w.exact()).collect();
        let b: Vec<String> = words(&normalize(&nfd)).iter().map(|w| w.exact()).collect();
        assert_eq!(a, b);
        // NFD text is split correctly even without normalising first
        assert_eq!(words(&nfd).len(), 2);
    }

    #[test]
    fn normalize_fast_path_changes_nothing_it_should_not() {
        let nfd: String = "Trường Sa".nfd().collect();
        assert_eq!(normalize(&nfd), "Trường Sa");
        assert_eq!(normalize("Trường Sa"), "Trường Sa");
        assert_eq!(normalize("Biển\u{00A0}\u{00D0}ông\u{200B}"), "Biển Đông");
    }

    #[test]
    fn tone_placement_and_lookalike_d_collapse() {
        assert_eq!(exact_key("hòa"), exact_key("hoà"));
        assert_eq!(exact_key("Ủy"), exact_key("Uỷ"));
        assert_eq!(exact_key("\u{00D0}ông"), exact_key("Đông"));
        assert_ne!(exact_key("biển"), exact_key("biên"));
        assert_ne!(exact_key("chùa"), exact_key("chưa"));
    }

    #[test]
    fn keys_of_nfc_and_nfd_words() {
        for (w, exact, folded) in [
            ("Biển", "biên\u{2080}3", "bien"),
            ("ĐẢO", "đao\u{2080}3", "dao"),
            ("\u{00D0}ông", "đông", "dong"),
            ("Spratly", "spratly", "spratly"),
            ("Nguyễn", "nguyên\u{2080}4", "nguyen"),
        ] {
            assert_eq!(keys(w), (exact.to_string(), folded.to_string()), "{w}");
            let nfd: String = w.nfd().collect();
            assert_eq!(keys(&nfd), (exact.to_string(), folded.to_string()), "NFD {w}");
        }
    }

    #[test]
    fn folding_removes_all_diacritics() {
        assert_eq!(fold("Biển Đông"), "bien dong");
        assert_eq!(fold("Trường"), "truong");
        assert!(has_diacritics("đảo"));
        assert!(!has_diacritics("dao"));
    }

    #[test]
    fn cjk_and_lao_become_bigrams() {
        let w: Vec<&str> = words("南沙群岛 x").iter().map(|w| w.raw).collect();
        assert_eq!(w, vec!["南沙", "沙群", "群岛", "x"]);
        let lao = words("ວຽງຈັນ");
        assert!(lao.iter().all(|w| w.bigram));
        assert!(!lao.is_empty());
    }

    #[test]
    fn punctuation_separates_but_is_not_a_word() {
        let w: Vec<&str> = words("Hoàng Sa, Trường Sa.").iter().map(|w| w.raw).collect();
        assert_eq!(w, vec!["Hoàng", "Sa", "Trường", "Sa"]);
    }

    #[test]
    fn plain_detection() {
        assert!(is_plain("Tranh chap bien dao o Truong Sa"));
        assert!(!is_plain("Tranh chấp biển đảo ở Trường Sa"));
        assert!(!is_plain("南沙"));
    }
}
