//! SQL text shared by the store's files.

/// `?,?,…` for an `IN (…)` of `n` values.
pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}


/// Rows per multi-row statement: well under SQLite's limit on bound values.
pub(super) const ROWS: usize = 100;

/// `(?, ?, …), (?, ?, …)…`: `rows` groups of `cols` placeholders.
pub(super) fn groups(rows: usize, cols: usize) -> String {
    let one = format!("({})", placeholders(cols));
    vec![one; rows].join(",")
}
