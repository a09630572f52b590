//! The search index: tantivy, derived from the database and rebuildable at any time (`reindex`).
//!
//! Every text is indexed twice: `*_x` fields hold exact keys (diacritics kept, tone placement and
//! NFC/NFD differences erased) and `*_f` fields hold folded keys (no diacritics). Queries typed with
//! diacritics go to the exact fields (and to folded fields only for articles written without
//! diacritics); queries without diacritics go to the folded fields. CJK, Lao, Thai and Korean are
//! indexed as character bigrams by the same tokenizer (see `text::words`).

pub mod highlight;
pub mod indexer;
pub mod searcher;

use std::path::Path;
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::Index;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index at {path}: {source}")]
    Open { path: String, source: tantivy::TantivyError },
    #[error("search index is in use by another presswatch process (is `serve` running?); stop it or let it index")]
    Locked,
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad query: {0}")]
    Query(#[from] crate::query::QueryError),
    #[error("offset {0}: results go at most {max} deep; narrow the search (a date, a source, a topic) instead", max = searcher::MAX_DEPTH)]
    TooDeep(usize),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Words longer than this are not words (base64 blobs, hostile input) and are not indexed.
const MAX_TOKEN_BYTES: usize = 80;

#[derive(Clone)]
pub struct WordTokenizer {
    folded: bool,
}

pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

thread_local! {
    /// The other field's tokens of the last text tokenized on this thread. A document's exact and
    /// folded fields hold the same text and tantivy tokenizes them one after the other, while keying
    /// a word gives both keys at once: the second field takes its tokens from here.
    static OTHER_KEYS: std::cell::RefCell<Option<(bool, String, Vec<Token>)>> = const { std::cell::RefCell::new(None) };
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let folded = self.folded;
        let cached = OTHER_KEYS.with(|c| {
            let mut c = c.borrow_mut();
            match c.take() {
                Some((f, t, tokens)) if f == folded && t == text => Some(tokens),
                other => {
                    *c = other;
                    None
                }
            }
        });
        if let Some(tokens) = cached {
            return VecTokenStream { tokens, next: 0 };
        }
        let words = crate::text::words(text);
        let mut mine = Vec::with_capacity(words.len());
        let mut other = Vec::with_capacity(words.len());
        for (position, w) in words.into_iter().filter(|w| w.end - w.start <= MAX_TOKEN_BYTES).enumerate() {
            let (exact, fold) = if w.bigram { (w.raw.to_string(), w.raw.to_string()) } else { crate::text::keys(w.raw) };
            let token = |text| Token { offset_from: w.start, offset_to: w.end, position, text, position_length: 1 };
            let (m, o) = if folded { (fold, exact) } else { (exact, fold) };
            mine.push(token(m));
            other.push(token(o));
        }
        OTHER_KEYS.with(|c| *c.borrow_mut() = Some((!folded, text.to_string(), other)));
        VecTokenStream { tokens: mine, next: 0 }
    }
}

pub const EXACT: &str = "pw_exact";
pub const FOLDED: &str = "pw_folded";

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub url: Field,
    pub title_x: Field,
    pub title_f: Field,
    pub body_x: Field,
    pub body_f: Field,
    pub plain: Field,
    pub source: Field,
    pub lang: Field,
    pub origin: Field,
    pub topic: Field,
    /// Every topic whose words occur: the ones the article is about and the ones it only mentions.
    pub mentions: Field,
    pub locality: Field,
    pub published: Field,
}

fn text_field(tokenizer: &str, stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        o.set_stored()
    } else {
        o
    }
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        url: b.add_text_field("url", STORED),
        title_x: b.add_text_field("title_x", text_field(EXACT, true)),
        title_f: b.add_text_field("title_f", text_field(FOLDED, false)),
        body_x: b.add_text_field("body_x", text_field(EXACT, false)),
        body_f: b.add_text_field("body_f", text_field(FOLDED, false)),
        plain: b.add_u64_field("plain", INDEXED),
        source: b.add_text_field("source", STRING | STORED | FAST),
        lang: b.add_text_field("lang", STRING | STORED | FAST),
        origin: b.add_text_field("origin", STRING | STORED | FAST),
        topic: b.add_text_field("topic", STRING | STORED | FAST),
        mentions: b.add_text_field("mentions", STRING),
        locality: b.add_text_field("locality", STRING | STORED | FAST),
        published: b.add_date_field("published", INDEXED | STORED | FAST),
    };
    (b.build(), f)
}

pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(EXACT, WordTokenizer { folded: false });
    index.tokenizers().register(FOLDED, WordTokenizer { folded: true });
}

/// Opens the index at `dir`, creating it when absent. An index with another schema (an older
/// version) is replaced by an empty one; the caller then rebuilds it from the database.
pub fn open(dir: &Path) -> Result<(Index, Fields), SearchError> {
    let (schema, fields) = schema();
    let err = |source| SearchError::Open { path: dir.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(|e| err(tantivy::TantivyError::IoError(std::sync::Arc::new(e))))?;
    let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| err(e.into()))?;
    let index = match Index::open_or_create(mmap, schema.clone()) {
        Ok(i) => i,
        Err(tantivy::TantivyError::SchemaError(_)) => {
            tracing::warn!(dir = %dir.display(), "search index has an older schema; recreating it");
            for entry in std::fs::read_dir(dir).map_err(|e| err(tantivy::TantivyError::IoError(std::sync::Arc::new(e))))?.flatten() {
                if entry.file_name() != "README.md" && entry.path().is_file() {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
            let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| err(e.into()))?;
            Index::create(mmap, schema, Default::default()).map_err(err)?
        }
        Err(e) => return Err(err(e)),
    };
    register_tokenizers(&index);
    Ok((index, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(folded: bool, s: &str) -> Vec<String> {
        let mut t = WordTokenizer { folded };
        let mut ts = t.token_stream(s);
        let mut out = Vec::new();
        while ts.advance() {
            out.push(ts.token().text.clone());
        }
        out
    }

    #[test]
    fn folded_and_exact_tokens() {
        assert_eq!(tokens(true, "Biển Đảo"), vec!["bien", "dao"]);
        assert_eq!(tokens(false, "Hoà"), tokens(false, "hòa"));
        assert_ne!(tokens(false, "biển"), tokens(false, "biên"));
        let long = "x".repeat(200);
        assert_eq!(tokens(true, &format!("a {long} b")), vec!["a", "b"]);
    }

    #[test]
    fn second_field_from_the_first_fields_keys_is_the_same() {
        let text = "Ngư dân Trường Sa, HOÀ BÌNH và 越南 hôm nay";
        let exact_first = (tokens(false, text), tokens(true, text));
        let folded_first = (tokens(false, "khác"), tokens(true, text), tokens(false, text));
        assert_eq!(exact_first.1, folded_first.1);
        assert_eq!(exact_first.0, folded_first.2);
        assert_eq!(exact_first.1, vec!["ngu", "dan", "truong", "sa", "hoa", "binh", "va", "越南", "hom", "nay"]);
        assert_ne!(exact_first.0, exact_first.1);
        // a different text in between is not mistaken for the cached one
        assert_eq!(tokens(false, "Biển"), tokens(false, "Biển"));
        assert_eq!(tokens(true, "Biển"), vec!["bien"]);
    }
}
