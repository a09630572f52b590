//! Stories: the same piece carried by several outlets (wire copy, reposts, rewrites) grouped into one
//! story as articles arrive. Each article gets a MinHash signature of its folded word 3-shingles;
//! locality-sensitive hashing (32 bands of 2 rows) finds earlier articles that may share text, and
//! the signatures confirm it: an estimated Jaccard similarity of at least `SAME_STORY` joins the
//! story of the most similar one. Everything here is pure; the step that runs it over newly stored
//! articles is `serve::pipeline::assign_stories`.

pub const HASHES: usize = 64;
pub const BANDS: usize = 32;
const ROWS: usize = HASHES / BANDS;
/// Estimated Jaccard similarity of shingle sets above which two articles are one story. Rewrites of
/// one piece keep a third or more of their 3-word runs; separate articles on one subject share a
/// few percent (names, stock phrases).
pub const SAME_STORY: f64 = 0.3;
/// Articles per transaction of the story stage. Each article adds 32 band keys at random places in
/// one b-tree: bigger batches let a page take several before it is written (500: 1.2 ms per article
/// at 100k stored; see BENCHMARKS.md).
pub const BATCH: i64 = 5000;
/// Fewer shingles than this and the text says too little to be matched (a listing's summary).
const MIN_SHINGLES: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; HASHES]);

/// Multipliers and offsets of the 64 hash functions (odd 64-bit constants from a fixed SplitMix64
/// sequence, so signatures stay comparable across runs and versions).
static COEFFS: std::sync::LazyLock<[(u64, u64); HASHES]> = std::sync::LazyLock::new(|| {
    let mut state: u64 = 0x7072_6573_7377_6174; // "presswat"
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut out = [(0, 0); HASHES];
    for c in out.iter_mut() {
        *c = (next() | 1, next());
    }
    out
});

/// One word's hash, case and diacritics folded on the fly (`Đảo`, `đảo` and `dao` hash alike)
/// without building a string: this runs for every word of every article.
fn word_hash(raw: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in raw.chars() {
        let c = if c.is_ascii() {
            c.to_ascii_lowercase()
        } else {
            let lower = c.to_lowercase().next().unwrap_or(c);
            match lower {
                'đ' => 'd',
                '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
                    let mut base = lower;
                    unicode_normalization::char::decompose_canonical(lower, |d| {
                        if base == lower {
                            base = d;
                        }
                    });
                    base
                }
                // combining marks of decomposed text carry no letter
                _ if unicode_normalization::char::is_combining_mark(lower) => continue,
                _ => lower,
            }
        };
        h = (h ^ c as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The MinHash signature of an article's title and text; None when the text is too short to tell.
pub fn signature(title: &str, text: &str) -> Option<Signature> {
    let mut words: Vec<u64> = Vec::new();
    for part in [title, text] {
        words.extend(crate::text::words(part).iter().map(|w| word_hash(w.raw)));
    }
    if words.len() < 3 {
        return None;
    }
    let mut shingles: Vec<u64> = words.windows(3).map(|w| mix(w[0] ^ mix(w[1] ^ mix(w[2].wrapping_add(0x9E37_79B9_7F4A_7C15))))).collect();
    shingles.sort_unstable();
    shingles.dedup();
    if shingles.len() < MIN_SHINGLES {
        return None;
    }
    let mut sig = [u32::MAX; HASHES];
    for &s in &shingles {
        for (slot, &(a, b)) in sig.iter_mut().zip(COEFFS.iter()) {
            let h = (a.wrapping_mul(s).wrapping_add(b) >> 32) as u32;
            if h < *slot {
                *slot = h;
            }
        }
    }
    Some(Signature(sig))
}

/// Estimated Jaccard similarity: the share of hash functions on which the two agree.
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    a.0.iter().zip(&b.0).filter(|(x, y)| x == y).count() as f64 / HASHES as f64
}

/// The LSH band keys: each band's rows and its number hashed together. Two articles sharing any
/// key are compared.
pub fn bands(s: &Signature) -> [i64; BANDS] {
    let mut out = [0; BANDS];
    for (i, rows) in s.0.chunks(ROWS).enumerate() {
        let mut bytes = Vec::with_capacity(ROWS * 4 + 1);
        bytes.push(i as u8);
        for r in rows {
            bytes.extend_from_slice(&r.to_le_bytes());
        }
        out[i] = xxhash_rust::xxh3::xxh3_64(&bytes) as i64;
    }
    out
}

impl Signature {
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
    pub fn from_bytes(b: &[u8]) -> Option<Signature> {
        if b.len() != HASHES * 4 {
            return None;
        }
        let mut out = [0u32; HASHES];
        for (i, c) in b.chunks_exact(4).enumerate() {
            out[i] = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        Some(Signature(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIRE: &str = "Sáng nay, chính quyền huyện Cần Giờ đã tổ chức buổi gặp mặt ngư dân trước mùa biển mới. \
        Tại buổi gặp, đại diện đồn biên phòng nhắc bà con mang theo giấy tờ và giữ liên lạc thường xuyên với bờ. \
        Hội nghề cá cho biết năm nay có thêm ba mươi tàu được lắp thiết bị giám sát hành trình. \
        Người dân bày tỏ mong muốn được hỗ trợ nhiên liệu khi giá dầu tăng cao. \
        Lãnh đạo huyện cam kết sẽ kiến nghị thành phố xem xét các đề xuất trong tháng tới.";

    #[test]
    fn copies_and_rewrites_match_other_articles_do_not() {
        let wire = signature("Cần Giờ gặp mặt ngư dân", WIRE).unwrap();
        let copy = signature("Ngư dân Cần Giờ được dặn dò trước mùa biển", &format!("{WIRE} Xem thêm: tin liên quan.")).unwrap();
        // a rewrite: sentences reordered, one dropped, a few words changed, no diacritics
        let rewrite = "Hoi nghe ca cho biet nam nay co them ba muoi tau duoc lap thiet bi giam sat hanh trinh. \
            Sang nay, chinh quyen huyen Can Gio da to chuc buoi gap mat ngu dan truoc mua bien moi. \
            Tai buoi gap, dai dien don bien phong nhac ba con mang theo giay to va giu lien lac voi bo. \
            Lanh dao huyen hua se kien nghi thanh pho xem xet cac de xuat.";
        let rewrite = signature("Can Gio: ngu dan chuan bi ra khoi", rewrite).unwrap();
        let other = signature(
            "Biên phòng tuần tra vùng biển Cần Giờ",
            "Lực lượng biên phòng huyện Cần Giờ tăng cường tuần tra trên biển trong dịp cuối năm. \
             Các tổ công tác kiểm tra giấy tờ tàu cá và hướng dẫn ngư dân về quy định khai thác. \
             Đơn vị cũng phối hợp với chính quyền xã để tuyên truyền về chủ quyền biển đảo.",
        )
        .unwrap();
        assert!(similarity(&wire, &copy) > 0.7, "{}", similarity(&wire, &copy));
        assert!(similarity(&wire, &rewrite) >= SAME_STORY, "{}", similarity(&wire, &rewrite));
        assert!(similarity(&wire, &other) < 0.1, "{}", similarity(&wire, &other));
        assert!(similarity(&rewrite, &other) < 0.1);
        // candidates: the copy shares at least one band with the wire story
        let (bw, bc) = (bands(&wire), bands(&copy));
        assert!(bw.iter().zip(&bc).any(|(a, b)| a == b));
        assert_eq!(Signature::from_bytes(&wire.to_bytes()), Some(wire));
    }

    #[test]
    fn short_texts_are_not_matched() {
        assert_eq!(signature("Tin ngắn", "Chỉ vài chữ."), None);
    }

    #[test]
    fn words_fold_case_and_diacritics() {
        assert_eq!(word_hash("Đảo"), word_hash("dao"));
        assert_eq!(word_hash("BIỂN"), word_hash("bien"));
        // decomposed text (some sites publish NFD) hashes like composed text
        assert_eq!(word_hash("bie\u{0302}\u{0309}n"), word_hash("biển"));
        assert_ne!(word_hash("dao"), word_hash("dau"));
    }
}
