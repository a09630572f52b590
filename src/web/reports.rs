//! A kept report as a download or a page.

use crate::app::AppError;
use super::error::Fail;

/// A report as a download in the format asked for (`html`, `docx`, `md`, `json`).
pub fn report_file(r: &crate::report::Report, format: &str) -> Result<axum::response::Response, Fail> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let f = crate::report::Format::parse(format).ok_or_else(|| Fail::App(AppError::BadRequest(format!("format {format:?}: html, docx, md or json"))))?;
    let bytes = crate::report::render(r, f)?;
    let disposition = format!("attachment; filename=\"{}\"", crate::report::file_name(r, f));
    Ok(([(header::CONTENT_TYPE, f.mime().to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

/// A report shown in the browser: its own self-contained page, under a policy that allows its inline
/// styles and nothing else (it has no script).
pub fn report_page(r: &crate::report::Report) -> Result<axum::response::Response, Fail> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let bytes = crate::report::render(r, crate::report::Format::Html)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        ],
        bytes,
    )
        .into_response())
}

