//! DOCX in the layout of a Vietnamese administrative report (Nghị định 30/2020/NĐ-CP): A4, Times New
//! Roman 13 pt, the two-column heading block (issuing body | national motto), place and date, the
//! title, numbered sections, tables, charts as PNG images, and the recipients block. Each figure is
//! a link to its search and carries a superscript number that the appendix resolves to the query.

use super::chart;
use super::layout::{self, Block, Span};
use super::{Report, ReportError};
use docx_rs::*;

const FONT: &str = "Times New Roman";
/// Half-points.
const BODY: usize = 26;
const SMALL: usize = 22;
/// Usable width of an A4 page with 30 mm + 15 mm margins, in twentieths of a point (twips).
const TEXT_WIDTH_TWIPS: usize = 9354;
/// ...and in EMU, for images.
const TEXT_WIDTH_EMU: u32 = TEXT_WIDTH_TWIPS as u32 * 635;

fn run(text: &str) -> Run {
    Run::new().add_text(text)
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text))
}

fn centered(r: Run) -> Paragraph {
    Paragraph::new().add_run(r).align(AlignmentType::Center)
}

fn err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Render { format: "docx", message: e.to_string() }
}

pub fn render(r: &Report) -> Result<Vec<u8>, ReportError> {
    let blocks = layout::blocks(r);
    let queries = layout::queries(&blocks);
    let refnum = |q: &str| queries.iter().position(|x| x == q).map(|i| i + 1);
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(PageMargin::new().top(1134).bottom(1134).left(1701).right(850).header(567).footer(567))
        .default_fonts(RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT))
        .default_size(BODY);

    // heading block: issuing body on the left, national motto on the right, borderless
    let h = &r.header;
    let mut left = TableCell::new().width(TEXT_WIDTH_TWIPS * 2 / 5, WidthType::Dxa);
    if let Some(p) = &h.parent_organization {
        left = left.add_paragraph(centered(run(&p.to_uppercase()).size(BODY)));
    }
    left = left
        .add_paragraph(centered(run(&h.organization.to_uppercase()).bold().size(BODY)))
        .add_paragraph(centered(run("Số:        /BC").size(BODY)));
    let right = TableCell::new()
        .width(TEXT_WIDTH_TWIPS * 3 / 5, WidthType::Dxa)
        .add_paragraph(centered(run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").bold().size(SMALL + 2)))
        .add_paragraph(centered(run("Độc lập - Tự do - Hạnh phúc").bold().size(BODY + 2).underline("single")))
        .add_paragraph(centered(run(&layout::date_line(r)).italic().size(BODY + 1)));
    doc = doc.add_table(Table::without_borders(vec![TableRow::new(vec![left, right])]).width(TEXT_WIDTH_TWIPS, WidthType::Dxa));
    let (title, subtitle) = layout::title(r);
    doc = doc
        .add_paragraph(Paragraph::new())
        .add_paragraph(centered(run(&title).bold().size(BODY + 2)))
        .add_paragraph(centered(run(&subtitle).bold().size(BODY + 1)))
        .add_paragraph(Paragraph::new());

    for b in &blocks {
        match b {
            Block::Heading { level, text } => {
                let mut r = run(text).bold();
                if *level > 1 {
                    r = r.italic();
                }
                doc = doc.add_paragraph(Paragraph::new().add_run(r).keep_next(true).line_spacing(LineSpacing::new().before(120).after(60)));
            }
            Block::Para { parts } => {
                doc = doc.add_paragraph(spans(Paragraph::new().align(AlignmentType::Both), parts, &refnum, BODY));
            }
            Block::Figures { items } => {
                for f in items {
                    let mut p = Paragraph::new().add_run(run(&format!("- {}: ", f.label)));
                    p = spans(p, std::slice::from_ref(&Span { strong: true, ..f.value.clone() }), &refnum, BODY);
                    if !f.change.is_empty() {
                        p = p.add_run(run(&format!(" ({})", f.change)));
                    }
                    p = p.add_run(run(&format!("; {}.", f.note)).italic());
                    doc = doc.add_paragraph(p);
                }
            }
            Block::Table { head, rows, numeric, widths } => {
                doc = doc.add_table(table(head, rows, numeric, widths, &refnum)).add_paragraph(Paragraph::new())
            }
            Block::Chart { svg, caption } => {
                let (png, w, hpx) = chart::png(svg, 2.0).map_err(err)?;
                // fit the page width, keep the aspect ratio
                let w_emu = TEXT_WIDTH_EMU.min(w * 9525 / 2);
                let h_emu = (w_emu as u64 * hpx as u64 / w.max(1) as u64) as u32;
                let pic = Pic::new_with_dimensions(png, w, hpx).size(w_emu, h_emu);
                doc = doc
                    .add_paragraph(Paragraph::new().add_run(Run::new().add_image(pic)).align(AlignmentType::Center).keep_next(true))
                    .add_paragraph(centered(run(caption).italic().size(SMALL)));
            }
            Block::Bullets { items } => {
                for it in items {
                    let p = Paragraph::new().add_run(run("- "));
                    doc = doc.add_paragraph(spans(p, it, &refnum, BODY));
                }
            }
        }
    }

    // recipients (left) and signature (right), as every administrative report ends
    let recipients = TableCell::new()
        .width(TEXT_WIDTH_TWIPS / 2, WidthType::Dxa)
        .add_paragraph(Paragraph::new().add_run(run("Nơi nhận:").bold().italic().size(SMALL + 2)))
        .add_paragraph(para("- Lãnh đạo (để báo cáo);").size(SMALL))
        .add_paragraph(para("- Lưu: VT.").size(SMALL));
    let signer = TableCell::new()
        .width(TEXT_WIDTH_TWIPS / 2, WidthType::Dxa)
        .add_paragraph(centered(run(&h.signer.to_uppercase()).bold()))
        .add_paragraph(centered(run("(Ký, ghi rõ họ tên)").italic().size(SMALL)));
    doc = doc
        .add_paragraph(Paragraph::new())
        .add_table(Table::without_borders(vec![TableRow::new(vec![recipients, signer])]).width(TEXT_WIDTH_TWIPS, WidthType::Dxa));

    // appendix: what each superscript number searches for
    if !queries.is_empty() {
        doc = doc.add_paragraph(
            Paragraph::new().add_run(run("PHỤ LỤC: TRUY VẤN TÁI TẠO SỐ LIỆU").bold()).page_break_before(true).align(AlignmentType::Center),
        );
        doc = doc.add_paragraph(
            para(&format!(
                "Mỗi số liệu đánh dấu [n] trong báo cáo được tái tạo bằng truy vấn n dưới đây trên trang tìm kiếm {}.",
                r.search_url
            ))
            .size(SMALL),
        );
        let rows: Vec<Vec<Span>> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| vec![Span { text: (i + 1).to_string(), ..Default::default() }, Span { text: q.clone(), ..Default::default() }])
            .collect();
        doc = doc.add_table(table(&["Số".into(), "Truy vấn".into()], &rows, &[true, false], &[8, 92], &|_| None));
    }
    doc = doc.footer(
        Footer::new().add_paragraph(
            Paragraph::new()
                .add_run(run(&format!("presswatch · {} · trang ", r.period.label)).size(18))
                .add_page_num(PageNum::new())
                .align(AlignmentType::Right),
        ),
    );

    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(err)?;
    Ok(out.into_inner())
}

fn spans(mut p: Paragraph, parts: &[Span], refnum: &dyn Fn(&str) -> Option<usize>, size: usize) -> Paragraph {
    for s in parts {
        let mut r = run(&s.text).size(size);
        if s.strong {
            r = r.bold();
        }
        match &s.link {
            Some(l) => p = p.add_hyperlink(Hyperlink::new(l, HyperlinkType::External).add_run(r.color("1A4F8B"))),
            None => p = p.add_run(r),
        }
        if let Some(n) = s.query.as_deref().and_then(refnum) {
            let mut sup = run(&format!("[{n}]")).size(size - 8).color("666666");
            sup.run_property = sup.run_property.vert_align(VertAlignType::SuperScript);
            p = p.add_run(sup);
        }
    }
    p
}

fn table(head: &[String], rows: &[Vec<Span>], numeric: &[bool], widths: &[u8], refnum: &dyn Fn(&str) -> Option<usize>) -> Table {
    let grid: Vec<usize> = widths.iter().map(|&pct| TEXT_WIDTH_TWIPS * pct as usize / 100).collect();
    let align = |i: usize| if numeric.get(i).copied().unwrap_or(false) { AlignmentType::Right } else { AlignmentType::Left };
    let mut out = vec![TableRow::new(
        head.iter()
            .enumerate()
            .map(|(i, h)| {
                TableCell::new()
                    .width(grid.get(i).copied().unwrap_or(0), WidthType::Dxa)
                    .shading(Shading::new().fill("E8EDF2"))
                    .add_paragraph(Paragraph::new().add_run(run(h).bold().size(SMALL)).align(align(i)))
            })
            .collect(),
    )
    .cant_split()];
    for row in rows {
        out.push(
            TableRow::new(
                row.iter()
                    .enumerate()
                    .map(|(i, s)| {
                        TableCell::new().width(grid.get(i).copied().unwrap_or(0), WidthType::Dxa).add_paragraph(spans(
                            Paragraph::new().align(align(i)),
                            std::slice::from_ref(s),
                            refnum,
                            SMALL,
                        ))
                    })
                    .collect(),
            )
            .cant_split(),
        );
    }
    Table::new(out).set_grid(grid.clone()).width(TEXT_WIDTH_TWIPS, WidthType::Dxa).layout(TableLayoutType::Fixed)
}
