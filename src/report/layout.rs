//! The report's content as a list of blocks: headings, paragraphs, tables, charts. Written once here;
//! the HTML, DOCX and Markdown renderers only decide how each kind of block looks.

use super::*;
use chrono::Datelike;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Heading {
        level: u8,
        text: String,
    },
    Para {
        parts: Vec<Span>,
    },
    /// The headline numbers, shown large.
    Figures {
        items: Vec<Figure>,
    },
    /// `widths`: each column's share of the page width, in percent.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Span>>,
        numeric: Vec<bool>,
        widths: Vec<u8>,
    },
    Chart {
        svg: String,
        caption: String,
    },
    Bullets {
        items: Vec<Vec<Span>>,
    },
}

/// A piece of text; a count carries the search that reproduces it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Span {
    pub text: String,
    pub strong: bool,
    /// The search query behind a figure.
    pub query: Option<String>,
    /// Where the text links to (the search page for a figure, the article for a story).
    pub link: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub label: String,
    pub value: Span,
    pub change: String,
    pub note: String,
}

fn t(s: impl Into<String>) -> Span {
    Span { text: s.into(), ..Default::default() }
}

fn b(s: impl Into<String>) -> Span {
    Span { text: s.into(), strong: true, ..Default::default() }
}

fn n(r: &Report, v: u64, query: &str) -> Span {
    Span { text: thousands(v), query: Some(query.to_string()), link: Some(search_link(r, query)), ..Default::default() }
}

/// Crawled URLs become links only when they are plain web addresses (never `javascript:` and the like).
fn web_link(u: &str) -> Option<String> {
    crate::triage::check_link(u).ok().map(|_| u.to_string())
}

/// `12.345`: Vietnamese thousands separator.
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// The report's title lines: `BÁO CÁO`, then what and when.
pub fn title(r: &Report) -> (String, String) {
    let place = if r.header.localities.is_empty() { String::new() } else { format!(" về {}", r.header.localities.join(", ")) };
    ("BÁO CÁO".into(), format!("Tình hình thông tin báo chí{place} {}", period_text(&r.period)))
}

/// `Cần Giờ, ngày 01 tháng 12 năm 2026`.
pub fn date_line(r: &Report) -> String {
    let d = r.generated_at.with_timezone(&crate::time::ZONE).date_naive();
    format!("{}, ngày {:02} tháng {:02} năm {}", r.header.place, d.day(), d.month(), d.year())
}

fn count_table(r: &Report, first: &str, rows: &[Row]) -> Block {
    Block::Table {
        head: vec![first.into(), "Tổng số".into(), "Về địa bàn".into(), "Kỳ trước".into(), "Thay đổi".into()],
        numeric: vec![false, true, true, true, true],
        widths: vec![36, 16, 16, 16, 16],
        rows: rows
            .iter()
            .map(|row| {
                let c = &row.count;
                vec![
                    t(&row.name),
                    n(r, c.all, &c.query),
                    n(r, c.local, &c.local_query),
                    t(thousands(c.prev_all)),
                    t(change_text(c.all, c.prev_all)),
                ]
            })
            .collect(),
    }
}

pub fn blocks(r: &Report) -> Vec<Block> {
    let mut out = Vec::new();
    let a = &r.totals.articles;

    out.push(Block::Heading { level: 1, text: "I. TỔNG QUAN".into() });
    out.push(Block::Figures {
        items: vec![
            Figure {
                label: "Tin bài về địa bàn".into(),
                value: n(r, a.local, &a.local_query),
                change: change_text(a.local, a.prev_local),
                note: format!("kỳ trước: {}", thousands(a.prev_local)),
            },
            Figure {
                label: "Tổng số tin bài thu thập".into(),
                value: n(r, a.all, &a.query),
                change: change_text(a.all, a.prev_all),
                note: format!("kỳ trước: {}", thousands(a.prev_all)),
            },
            Figure {
                label: "Nguồn tin / ngôn ngữ".into(),
                value: t(format!("{} / {}", r.totals.sources, r.totals.languages)),
                change: String::new(),
                note: "có bài trong kỳ".into(),
            },
            Figure {
                label: "Vụ việc cần phản hồi".into(),
                value: t(thousands(r.queue.flagged)),
                change: String::new(),
                note: format!("{} đang mở, {} quá hạn", r.queue.open, r.queue.overdue),
            },
        ],
    });
    out.push(Block::Chart { svg: chart::daily_bars("", &r.days, &r.daily, &[], 640, 170), caption: "Số tin bài theo ngày".into() });
    out.push(Block::Heading { level: 2, text: "1. Theo nguồn gốc".into() });
    out.push(count_table(r, "Nguồn gốc", &r.by_origin));
    out.push(Block::Heading { level: 2, text: "2. Theo ngôn ngữ".into() });
    out.push(count_table(r, "Ngôn ngữ", &r.by_lang));
    if !r.by_lang.is_empty() {
        let rows: Vec<(String, u64, u64)> = r.by_lang.iter().take(10).map(|l| (l.name.clone(), l.count.all, l.count.prev_all)).collect();
        out.push(Block::Chart { svg: chart::hbars(&rows, 560), caption: "Tin bài theo ngôn ngữ, kỳ này và kỳ trước".into() });
    }
    if !r.by_locality.is_empty() {
        out.push(Block::Heading { level: 2, text: "3. Theo địa bàn".into() });
        out.push(count_table(r, "Địa bàn", &r.by_locality));
    }

    out.push(Block::Heading { level: 1, text: "II. THEO CHỦ ĐỀ".into() });
    out.push(Block::Para {
        parts: vec![t(format!(
            "Các chủ đề nhạy cảm được nêu trước. Kỳ trước: {}. Ngày tăng đột biến (tô đỏ trên biểu đồ): từ 5 bài trở lên, cao gấp đôi mức trung bình 4 tuần trước.",
            period_text(&r.previous)
        ))],
    });
    let topic_rows: Vec<Row> =
        r.topics.iter().map(|tp| Row { id: tp.id.clone(), name: tp.name.clone(), count: tp.count.clone() }).collect();
    out.push(count_table(r, "Chủ đề", &topic_rows));
    // charts only for topics with coverage; the table above lists the rest as zero
    let series: Vec<(String, Vec<u64>, Vec<NaiveDate>)> = r
        .topics
        .iter()
        .filter(|tp| tp.count.all > 0)
        .map(|tp| (tp.name.clone(), tp.daily.clone(), tp.spikes.iter().map(|s| s.day).collect()))
        .collect();
    if !series.is_empty() {
        out.push(Block::Chart {
            svg: chart::small_multiples(&series, &r.days, 2, 640),
            caption: "Số tin bài theo ngày, từng chủ đề".into(),
        });
    }
    let mut quiet = Vec::new();
    let mut number = 0;
    for tp in &r.topics {
        let c = &tp.count;
        if c.all == 0 {
            quiet.push(tp.name.clone());
            continue;
        }
        number += 1;
        out.push(Block::Heading { level: 2, text: format!("{number}. {}{}", tp.name, if tp.sensitive { " (nhạy cảm)" } else { "" }) });
        let change = match change_text(c.all, c.prev_all).as_str() {
            "mới" => " (kỳ trước không có)".to_string(),
            ch => format!(" ({ch} so với kỳ trước)"),
        };
        let mut parts =
            vec![n(r, c.all, &c.query), t(format!(" tin bài{change}, trong đó ")), n(r, c.local, &c.local_query), t(" về địa bàn.")];
        for s in &tp.spikes {
            parts.push(t(" Tăng đột biến ngày "));
            parts.push(b(vn_date(s.day)));
            parts.push(t(": "));
            parts.push(n(r, s.articles, &s.query));
            parts.push(t(format!(" bài (trung bình {}/ngày).", format!("{:.1}", tp.baseline).replace('.', ","))));
        }
        out.push(Block::Para { parts });
        if !tp.stories.is_empty() {
            out.push(Block::Table {
                head: vec!["Tin nổi bật".into(), "Số bài".into(), "Đăng đầu tiên".into(), "Các cơ quan báo chí".into()],
                numeric: vec![false, true, false, false],
                widths: vec![40, 8, 26, 26],
                rows: tp
                    .stories
                    .iter()
                    .map(|s| {
                        vec![
                            Span { text: s.title.clone(), link: web_link(&s.url), strong: s.local, ..Default::default() },
                            t(thousands(s.articles)),
                            t(format!("{}, {}", s.first_source, vn_time(s.first_at))),
                            t(s.outlets.join(", ")),
                        ]
                    })
                    .collect(),
            });
        }
    }
    if !quiet.is_empty() {
        out.push(Block::Para { parts: vec![t("Không có tin bài trong kỳ về: "), t(quiet.join("; ")), t(".")] });
    }

    out.push(Block::Heading { level: 1, text: "III. NGUỒN TIN".into() });
    out.push(Block::Heading { level: 2, text: "1. Các nguồn đăng nhiều nhất".into() });
    out.push(count_table(r, "Nguồn", &r.top_sources));
    out.push(Block::Heading { level: 2, text: "2. Nguồn lần đầu đưa tin về địa bàn".into() });
    if r.new_sources.is_empty() {
        out.push(Block::Para { parts: vec![t("Không có.")] });
    } else {
        out.push(count_table(r, "Nguồn", &r.new_sources));
    }

    let q = &r.queue;
    out.push(Block::Heading { level: 1, text: "IV. XỬ LÝ, PHẢN HỒI THÔNG TIN".into() });
    let median = q.median_hours_to_response.map(|h| format!("{h:.1} giờ").replace('.', ",")).unwrap_or_else(|| "–".into());
    out.push(Block::Table {
        head: vec!["Trong kỳ".into(), "Số vụ việc".into()],
        numeric: vec![false, true],
        widths: vec![70, 30],
        rows: vec![
            vec![t("Đưa vào hàng đợi"), t(thousands(q.flagged))],
            vec![t("Đã phản hồi"), t(thousands(q.responded))],
            vec![t("Đã đóng"), t(thousands(q.closed))],
            vec![t("Bỏ qua"), t(thousands(q.dismissed))],
            vec![t("Thời gian phản hồi (trung vị)"), t(median)],
            vec![t(format!("Đang mở (lúc lập báo cáo, {})", vn_time(r.generated_at))), t(thousands(q.open))],
            vec![t("Quá hạn"), b(thousands(q.overdue))],
        ],
    });
    if !q.by_agency.is_empty() {
        out.push(Block::Table {
            head: vec!["Cơ quan chủ trì".into(), "Tiếp nhận".into(), "Đã phản hồi".into(), "Đang mở".into(), "Quá hạn".into()],
            numeric: vec![false, true, true, true, true],
            widths: vec![40, 15, 15, 15, 15],
            rows: q
                .by_agency
                .iter()
                .map(|a| {
                    vec![t(&a.name), t(thousands(a.flagged)), t(thousands(a.responded)), t(thousands(a.open)), t(thousands(a.overdue))]
                })
                .collect(),
        });
    }
    out.push(Block::Heading { level: 2, text: "Vụ việc khẩn và ưu tiên cao đang mở".into() });
    if q.urgent_open.is_empty() {
        out.push(Block::Para { parts: vec![t("Không có.")] });
    } else {
        out.push(Block::Bullets {
            items: q
                .urgent_open
                .iter()
                .map(|it| {
                    let due = it.due_at.map(|d| format!(", hạn {}", vn_time(d))).unwrap_or_default();
                    vec![
                        b(format!("#{} ", it.id)),
                        t(&it.title),
                        t(format!(
                            " — {}, {}{}{}{}",
                            if it.priority == "urgent" { "khẩn" } else { "ưu tiên cao" },
                            queue_state_name(&it.state),
                            it.agency.as_ref().map(|a| format!(", {a}")).unwrap_or_default(),
                            due,
                            if it.overdue { " (QUÁ HẠN)" } else { "" }
                        )),
                    ]
                })
                .collect(),
        });
    }

    out.push(Block::Heading { level: 1, text: "V. TÌNH TRẠNG NGUỒN TIN".into() });
    if r.source_health.is_empty() {
        out.push(Block::Para { parts: vec![t("Tất cả nguồn tin hoạt động bình thường trong kỳ.")] });
    } else {
        out.push(Block::Table {
            head: vec!["Nguồn".into(), "Tình trạng".into(), "Chi tiết".into(), "Lần thu thập thành công cuối".into()],
            numeric: vec![false, false, false, false],
            widths: vec![22, 18, 38, 22],
            rows: r
                .source_health
                .iter()
                .map(|s| {
                    vec![
                        t(&s.name),
                        t(if s.problem == "silent" { "Không có bài mới" } else { "Lỗi khi thu thập" }),
                        t(&s.detail),
                        t(s.last_success_at.map(vn_time).unwrap_or_else(|| "chưa có".into())),
                    ]
                })
                .collect(),
        });
    }
    out
}

/// Every query behind a figure, numbered in order of first appearance (DOCX refers to them by number).
pub fn queries(blocks: &[Block]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &Span| {
        if let Some(q) = &s.query {
            if !out.contains(q) {
                out.push(q.clone());
            }
        }
    };
    for bl in blocks {
        match bl {
            Block::Para { parts } => parts.iter().for_each(&mut add),
            Block::Figures { items } => items.iter().for_each(|f| add(&f.value)),
            Block::Table { rows, .. } => rows.iter().flatten().for_each(&mut add),
            Block::Bullets { items } => items.iter().flatten().for_each(&mut add),
            Block::Heading { .. } | Block::Chart { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separator() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1.000");
        assert_eq!(super::thousands(1234567), "1.234.567");
    }
}
