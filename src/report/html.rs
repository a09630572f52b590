//! Self-contained HTML: inline CSS and SVG charts, no script, readable on a phone and printable.

use super::layout;
use super::{Report, ReportError};
use minijinja::{context, Environment};

const TEMPLATE: &str = include_str!("report.html");

pub fn render(r: &Report) -> Result<String, ReportError> {
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE).map_err(err)?;
    let (title, subtitle) = layout::title(r);
    let tmpl = env.get_template("report.html").map_err(err)?;
    tmpl.render(context! {
        header => &r.header,
        title,
        subtitle,
        date_line => layout::date_line(r),
        blocks => layout::blocks(r),
        generated => super::vn_time(r.generated_at),
        label => &r.period.label,
    })
    .map_err(err)
}

fn err(e: minijinja::Error) -> ReportError {
    ReportError::Render { format: "html", message: format!("{e:#}") }
}
