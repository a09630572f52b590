//! Markdown (GitHub-flavoured tables). Charts are left out: the figures behind them are in the tables.

use super::layout::{self, Block, Span};
use super::Report;
use std::fmt::Write;

/// Escapes what Markdown would read as markup or as a table cell boundary.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn span(s: &Span) -> String {
    let mut text = esc(&s.text);
    if s.strong {
        text = format!("**{text}**");
    }
    match &s.link {
        Some(l) => format!("[{text}](<{}>)", l.replace(['<', '>', ' '], "")),
        None => text,
    }
}

fn spans(p: &[Span]) -> String {
    p.iter().map(span).collect()
}

pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let h = &r.header;
    if let Some(p) = &h.parent_organization {
        let _ = writeln!(s, "{}  ", esc(p));
    }
    let _ = writeln!(s, "**{}**\n", esc(&h.organization));
    let _ = writeln!(s, "*{}*\n", esc(&layout::date_line(r)));
    let (title, subtitle) = layout::title(r);
    let _ = writeln!(s, "# {title}\n\n**{}**\n", esc(&subtitle));
    for b in layout::blocks(r) {
        match b {
            Block::Heading { level, text } => {
                let _ = writeln!(s, "{} {}\n", "#".repeat(level as usize + 1), esc(&text));
            }
            Block::Para { parts } => {
                let _ = writeln!(s, "{}\n", spans(&parts));
            }
            Block::Figures { items } => {
                for f in items {
                    let change = if f.change.is_empty() { String::new() } else { format!(" ({})", f.change) };
                    let _ = writeln!(s, "- {}: **{}**{change} — {}", esc(&f.label), span(&f.value), esc(&f.note));
                }
                s.push('\n');
            }
            Block::Table { head, rows, numeric, .. } => {
                let _ = writeln!(s, "| {} |", head.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | "));
                let _ = writeln!(s, "|{}|", numeric.iter().map(|&n| if n { "---:" } else { "---" }).collect::<Vec<_>>().join("|"));
                for row in rows {
                    let _ = writeln!(s, "| {} |", row.iter().map(span).collect::<Vec<_>>().join(" | "));
                }
                s.push('\n');
            }
            Block::Chart { .. } => {}
            Block::Bullets { items } => {
                for it in items {
                    let _ = writeln!(s, "- {}", spans(&it));
                }
                s.push('\n');
            }
        }
    }
    let _ = writeln!(
        s,
        "---\n\n*Lập tự động bởi presswatch lúc {}. Mỗi con số dẫn tới trang tìm kiếm tái tạo nó.*",
        super::vn_time(r.generated_at)
    );
    s
}
