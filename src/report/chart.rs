//! Charts as SVG (inline in HTML) and as PNG (rasterised from the same SVG with resvg, for DOCX).
//! The SVG is written by hand: three chart shapes, every label escaped.

use chrono::NaiveDate;
use std::fmt::Write;
use std::sync::{Arc, LazyLock};

const FONT: &str = "DejaVu Sans, Arial, Helvetica, sans-serif";
const BAR: &str = "#2563a8";
const PREV: &str = "#c7ced8";
const SPIKE: &str = "#c0392b";
const GRID: &str = "#e3e6ea";
const INK: &str = "#222";
const MUTED: &str = "#666";

use crate::text::escape_html as esc;

/// A round axis maximum at or above `max`: 1, 2, 5 × 10ⁿ.
fn nice_max(max: u64) -> u64 {
    let max = max.max(1);
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

fn open(w: u32, h: u32) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}" font-size="11"><rect width="{w}" height="{h}" fill="white"/>"##
    )
}

/// Daily counts as vertical bars; `marked` days (spikes) in red. Labels every day when they fit.
pub fn daily_bars(title: &str, days: &[NaiveDate], values: &[u64], marked: &[NaiveDate], w: u32, h: u32) -> String {
    let mut s = open(w, h);
    let (left, right, top, bottom) = (34.0, 8.0, if title.is_empty() { 10.0 } else { 24.0 }, 22.0);
    if !title.is_empty() {
        let _ = write!(s, r##"<text x="{left}" y="15" font-size="12" font-weight="bold" fill="{INK}">{}</text>"##, esc(title));
    }
    let max = nice_max(values.iter().copied().max().unwrap_or(0));
    let pw = w as f64 - left - right;
    let ph = h as f64 - top - bottom;
    for i in 0..=2 {
        let v = max * i / 2;
        let y = top + ph - ph * (v as f64 / max as f64);
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{GRID}"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{MUTED}">{v}</text>"##,
            w as f64 - right,
            left - 4.0,
            y + 4.0
        );
    }
    let n = values.len().max(1);
    let slot = pw / n as f64;
    let label_every = ((n as f64 * 34.0 / pw).ceil() as usize).max(1);
    for (i, (&v, d)) in values.iter().zip(days).enumerate() {
        let bh = ph * (v as f64 / max as f64);
        let x = left + slot * i as f64 + slot * 0.15;
        let color = if marked.contains(d) { SPIKE } else { BAR };
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="{color}"><title>{} : {v}</title></rect>"##,
            top + ph - bh,
            slot * 0.7,
            d.format("%d/%m")
        );
        if n <= 14 && v > 0 {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{INK}">{v}</text>"##,
                x + slot * 0.35,
                top + ph - bh - 3.0
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{MUTED}">{}</text>"##,
                x + slot * 0.35,
                h as f64 - 7.0,
                d.format("%d/%m")
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Daily counts of one topic as bars: all articles (grey) with those about the office's own
/// localities (blue) in front; a spike day's bar is red. `legend` names the two.
pub fn daily_pair(title: &str, days: &[NaiveDate], (all, local): (&[u64], &[u64]), marked: &[NaiveDate], (w, h): (u32, u32), legend: (&str, &str)) -> String {
    let mut s = open(w, h);
    let (left, right, top, bottom) = (30.0, 6.0, 22.0, 34.0);
    let _ = write!(s, r##"<text x="4" y="15" font-size="12" font-weight="bold" fill="{INK}">{}</text>"##, esc(title));
    let max = nice_max(all.iter().chain(local).copied().max().unwrap_or(0));
    let pw = w as f64 - left - right;
    let ph = h as f64 - top - bottom;
    for i in 0..=1 {
        let v = max * i;
        let y = top + ph - ph * i as f64;
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{GRID}"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{MUTED}">{v}</text>"##,
            w as f64 - right,
            left - 4.0,
            y + 4.0
        );
    }
    let slot = pw / days.len().max(1) as f64;
    for (i, d) in days.iter().enumerate() {
        let (a, l) = (all.get(i).copied().unwrap_or(0), local.get(i).copied().unwrap_or(0));
        let x = left + slot * i as f64 + slot * 0.15;
        let bar = |v: u64| ph * (v as f64 / max as f64);
        let grey = if marked.contains(d) { SPIKE } else { PREV };
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{grey}"><title>{} : {a} / {l}</title></rect><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{BAR}"/>"##,
            top + ph - bar(a),
            slot * 0.7,
            bar(a),
            d.format("%d/%m"),
            x + slot * 0.15,
            top + ph - bar(l),
            slot * 0.4,
            bar(l)
        );
        if days.len() <= 14 {
            let _ = write!(s, r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{MUTED}">{}</text>"##, x + slot * 0.35, top + ph + 13.0, d.format("%d/%m"));
        }
    }
    legend_of(&mut s, left, h as f64 - 5.0, legend);
    s.push_str("</svg>");
    s
}

/// One small daily chart per series, in a grid of `cols` columns.
pub fn small_multiples(series: &[(String, Vec<u64>, Vec<NaiveDate>)], days: &[NaiveDate], cols: usize, w: u32) -> String {
    let cols = cols.max(1);
    let rows = series.len().div_ceil(cols).max(1);
    let cw = w / cols as u32;
    let chh = 120;
    let mut s = open(w, chh * rows as u32);
    for (i, (name, values, marked)) in series.iter().enumerate() {
        let inner = daily_bars(name, days, values, marked, cw - 6, chh - 6);
        let (x, y) = ((i % cols) as u32 * cw, (i / cols) as u32 * chh);
        // nested <svg> keeps each chart's coordinates; strip the outer attributes we re-set
        let body = inner.trim_start_matches(|c| c != '>').trim_start_matches('>').trim_end_matches("</svg>");
        let _ = write!(s, r##"<svg x="{x}" y="{y}" width="{}" height="{}">{body}</svg>"##, cw - 6, chh - 6);
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, this period beside the previous one (grey).
pub fn hbars(rows: &[(String, u64, u64)], w: u32) -> String {
    hbars_with(rows, w, ("kỳ này", "kỳ trước"))
}

/// Horizontal bars, two values per row: the first (blue, labelled) over the second (grey), with
/// `legend` naming them.
pub fn hbars_with(rows: &[(String, u64, u64)], w: u32, legend: (&str, &str)) -> String {
    let row_h = 24.0;
    let h = (rows.len().max(1) as f64 * row_h + 26.0) as u32;
    let mut s = open(w, h);
    let label_w = 170.0;
    let max = nice_max(rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(0));
    let pw = w as f64 - label_w - 50.0;
    for (i, (label, now, prev)) in rows.iter().enumerate() {
        let y = 6.0 + row_h * i as f64;
        let short: String = label.chars().take(26).collect();
        let _ = write!(s, r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{INK}">{}</text>"##, label_w - 6.0, y + 13.0, esc(&short));
        let wn = pw * (*now as f64 / max as f64);
        let wp = pw * (*prev as f64 / max as f64);
        let _ = write!(
            s,
            r##"<rect x="{label_w}" y="{y:.1}" width="{wn:.1}" height="10" fill="{BAR}"/><rect x="{label_w}" y="{:.1}" width="{wp:.1}" height="5" fill="{PREV}"/><text x="{:.1}" y="{:.1}" fill="{INK}">{now}</text>"##,
            y + 12.0,
            label_w + wn.max(wp) + 4.0,
            y + 11.0
        );
    }
    legend_of(&mut s, label_w, h as f64 - 8.0, legend);
    s.push_str("</svg>");
    s
}

/// The two series' swatches and names (blue, then grey) on one line from `x`, text baseline `y`.
fn legend_of(s: &mut String, x: f64, y: f64, (first, second): (&str, &str)) {
    let after = x + 30.0 + 7.0 * first.chars().count() as f64;
    let _ = write!(
        s,
        r##"<rect x="{x:.1}" y="{:.1}" width="10" height="8" fill="{BAR}"/><text x="{:.1}" y="{y:.1}" fill="{MUTED}">{}</text><rect x="{after:.1}" y="{:.1}" width="10" height="8" fill="{PREV}"/><text x="{:.1}" y="{y:.1}" fill="{MUTED}">{}</text>"##,
        y - 8.0,
        x + 14.0,
        esc(first),
        y - 8.0,
        after + 14.0,
        esc(second)
    );
}

static FONTS: LazyLock<Arc<resvg::usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = resvg::usvg::fontdb::Database::new();
    db.load_system_fonts();
    db.set_sans_serif_family("DejaVu Sans");
    Arc::new(db)
});

/// Rasterises one of our SVGs at `scale` (2 for print-quality images in DOCX). Without any system
/// font the labels are left out but the bars still render.
pub fn png(svg: &str, scale: f32) -> Result<(Vec<u8>, u32, u32), String> {
    let opt = resvg::usvg::Options { fontdb: FONTS.clone(), ..Default::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| format!("chart SVG: {e}"))?;
    let size = tree.size();
    let (w, h) = ((size.width() * scale).ceil() as u32, (size.height() * scale).ceil() as u32);
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w.max(1), h.max(1)).ok_or("chart has no area")?;
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    let bytes = pixmap.encode_png().map_err(|e| format!("chart PNG: {e}"))?;
    Ok((bytes, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: i64) -> Vec<NaiveDate> {
        let d0 = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        (0..n).map(|i| d0 + chrono::Duration::days(i)).collect()
    }

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(101), 200);
    }

    #[test]
    fn labels_are_escaped_and_rasterised() {
        let d = days(7);
        let svg = daily_bars("<Biển đảo & \"x\">", &d, &[1, 0, 3, 9, 2, 0, 1], &[d[3]], 400, 140);
        assert!(svg.contains("&lt;Biển đảo &amp; &quot;x&quot;&gt;"));
        assert!(!svg.contains("<Biển"));
        assert_eq!(svg.matches("<rect x=").count(), 7, "one bar per day");
        assert!(svg.contains(SPIKE), "the spike day is marked");
        let (png, w, h) = png(&svg, 2.0).unwrap();
        assert_eq!((w, h), (800, 280));
        assert!(png.starts_with(b"\x89PNG"));
        let grid = small_multiples(&[("a".into(), vec![1; 7], vec![]), ("b".into(), vec![2; 7], vec![])], &d, 2, 600);
        assert!(resvg::usvg::Tree::from_str(&grid, &Default::default()).is_ok());
        let bars = hbars(&[("Tiếng Việt".into(), 10, 8), ("Tiếng Anh".into(), 0, 3)], 500);
        assert!(resvg::usvg::Tree::from_str(&bars, &Default::default()).is_ok());
    }
}
